// Stage "segments": customers grouped by region × dominant category × price
// band, the smallest groups merged into "other" segments past max_segments.
#pragma once

#include <cstdint>
#include <vector>

#include "partnergraph/common/dictionary.hpp"
#include "partnergraph/common/status.hpp"
#include "partnergraph/graph/graph_options.hpp"
#include "stages/customer_features.hpp"
#include "string_table.hpp"

namespace partnergraph::graph_internal {

struct SegmentsInput {
  const CustomerFeatures& features;  // DeriveCustomerFeatures
  const Dictionary& regions;         // Dataset::regions, for names
  const Dictionary& categories;      // Dataset::categories, for names
  const GraphOptions& options;       // reads price_bands, max_segments
};

// Columns indexed by SegmentId (kept keys ascending, then the "other"s), as
// stored in the graph.
struct Segments {
  std::uint32_t count = 0;
  std::vector<std::uint32_t> segment_region;    // kNone: unknown / global other
  std::vector<std::uint32_t> segment_category;  // kNone for "other"
  std::vector<std::uint32_t> segment_band;      // SegmentInfo::kOtherBand for "other"
  std::vector<std::uint32_t> segment_customers;
  StringTable segment_names;
  StringTable segment_descriptions;
  std::vector<std::uint32_t> customer_segment;  // by CustomerId; kNone without order lines
  std::uint64_t keys_merged = 0;                // BuildReport::segment_keys_merged
};

// InvalidArgument when the names outgrow a string table. The sorts run in
// parallel (oneTBB); the result does not depend on the thread count.
Result<Segments> DeriveSegments(const SegmentsInput& in);

}  // namespace partnergraph::graph_internal
