// Stage "segment reach": how many customers of each segment each merchant
// has, stored both ways (merchant–reached_by→segment, segment–reaches→merchant).
#pragma once

#include <cstdint>
#include <vector>

#include "partnergraph/common/status.hpp"
#include "per_source.hpp"

namespace partnergraph::graph_internal {

struct SegmentReachInput {
  const EdgeLists& has_customer;                       // Purchases::has_customer
  const std::vector<std::uint32_t>& customer_segment;  // Segments
  std::uint32_t segments = 0;                          // Segments::count
};

struct SegmentReachEdges {
  EdgeLists reached_by;  // merchant → segments, ascending
  std::vector<std::uint32_t> reached_by_customers;
  EdgeLists reaches;  // segment → merchants, ascending
  std::vector<std::uint32_t> reaches_customers;
};

// InvalidArgument when an edge list outgrows 32-bit offsets. Parallel over
// merchants (oneTBB); the result does not depend on the thread count.
Result<SegmentReachEdges> DeriveSegmentReach(const SegmentReachInput& in);

}  // namespace partnergraph::graph_internal
