// Stage "derived competitors": merchant–competitor_derived→merchant, merchants
// of the same category whose assortments (SKU category × price band cells)
// overlap by Jaccard >= competitor_min_jaccard.
#pragma once

#include <cstdint>
#include <vector>

#include "partnergraph/common/status.hpp"
#include "partnergraph/graph/graph_options.hpp"
#include "per_source.hpp"

namespace partnergraph::graph_internal {

struct DerivedCompetitorsInput {
  const EdgeLists& sells;                               // NodeTables
  const std::vector<double>& sku_price;                 // NodeTables
  const std::vector<std::uint32_t>& sku_category;       // NodeTables
  const std::vector<std::uint32_t>& merchant_category;  // NodeTables
  // Reads derive_competitors, competitor_price_band_ratio,
  // competitor_max_candidates, max_derived_competitors, competitor_min_jaccard.
  const GraphOptions& options;
};

struct DerivedCompetitorEdges {
  // merchant → merchants, ascending, symmetric; empty lists when
  // derive_competitors is off.
  EdgeLists competitor_derived;
  std::vector<float> overlap;          // per edge: the Jaccard overlap
  std::uint64_t merchants_capped = 0;  // BuildReport::merchants_capped_competitor_candidates
};

// InvalidArgument when an edge list outgrows 32-bit offsets. Parallel over
// merchants (oneTBB); the result does not depend on the thread count.
Result<DerivedCompetitorEdges> DeriveCompetitors(const DerivedCompetitorsInput& in);

}  // namespace partnergraph::graph_internal
