// GraphOptions: every knob of the graph build (GraphBuilder), in one place.
//
// The options a graph was built with are stored in the graph file and are
// returned by EcosystemGraph::options(), so that a model says how it was made.
#pragma once

#include <cstdint>

#include "partnergraph/common/status.hpp"

namespace partnergraph {

struct GraphOptions {
  // ---- Co-purchase (sku–co-purchased→sku) ----

  // Two order lines of one customer count as a co-purchase of their SKUs when
  // their timestamps are at most this many seconds apart, in either order.
  std::int64_t copurchase_window_seconds = std::int64_t{30} * 24 * 3600;
  // Minimum support (distinct customers) for a co-purchase edge; a pair seen
  // by fewer customers is noise and gets no edge.
  std::uint32_t min_copurchase_support = 2;
  // At most this many co-purchase neighbours are kept per SKU, the best by
  // (support desc, lift desc, SKU id asc); 0 keeps all. Guards hub SKUs.
  // Applied per direction, so B may be among A's neighbours and not the reverse.
  std::uint32_t max_copurchase_neighbors = 200;

  // ---- Pair guard (co-purchase, shared customers, category pairs) ----

  // Work per customer in the pair computations grows with the square of its
  // purchases; a customer with more than this many is capped, deterministically:
  //  - co-purchase pairs use only its this-many most recent order lines;
  //  - shared-customer pairs use only its this-many most recently visited
  //    merchants (ties: smaller merchant id first);
  //  - category pairs use only its this-many most recently bought categories.
  // Counts of capped customers are in BuildReport. Must be >= 2.
  std::uint32_t max_purchases_per_customer = 256;

  // ---- Shared customers (merchant–shares-customers→merchant) ----

  // Minimum distinct shared customers for a shares-customers edge (>= 1).
  std::uint32_t min_shared_customers = 1;

  // ---- Customer segments (segment–reaches→merchant) ----

  // Number of price bands (quantiles of a customer's mean unit price among
  // customers with the same dominant category), 1..100.
  std::uint32_t price_bands = 3;
  // Maximum number of segments (>= 2). When region × dominant category × price
  // band yields more, the largest keys are kept and the rest are merged into
  // one "other" segment per region (or into one global "other" when even that
  // does not fit). See segment derivation in ecosystem_graph.hpp.
  std::uint32_t max_segments = 4096;

  // ---- Derived competitors (merchant–competes→merchant, derived) ----

  // Derive competitor edges from category and assortment overlap.
  bool derive_competitors = true;
  // Width of a SKU price band on a log scale: band = floor(log(price) /
  // log(ratio)); 2.0 puts 4.50 and 4.00 in one band, 20.00 in another. > 1.
  double competitor_price_band_ratio = 2.0;
  // Two merchants of the same category compete when the Jaccard index of their
  // assortment cells (SKU category × price band) is at least this, in (0, 1].
  double competitor_min_jaccard = 0.3;
  // Candidates examined per merchant (walking its cells from the rarest);
  // bounds the work in crowded categories. 0 = no limit.
  std::uint32_t competitor_max_candidates = 2000;
  // Each merchant keeps its best this-many derived competitors (Jaccard desc,
  // id asc); the edge set is the symmetric union of those lists. 0 = no limit.
  std::uint32_t max_derived_competitors = 50;

  // ---- Execution ----

  // Worker threads for the build (oneTBB arena); 0 = all hardware threads.
  // The graph is identical whatever the thread count.
  std::uint32_t threads = 0;
  // Draw progress on stderr (only when it is a terminal; see progress.hpp).
  // Not stored with the graph.
  bool show_progress = false;

  // OK, or InvalidArgument naming the first field out of range.
  Status Validate() const;
};

}  // namespace partnergraph
