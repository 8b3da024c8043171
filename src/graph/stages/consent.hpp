// Stage "consent": customer–consent→merchant, the record that decides each
// (customer, merchant, channel): the latest, the more restrictive at equal
// timestamps.
#pragma once

#include <cstdint>
#include <vector>

#include "partnergraph/common/status.hpp"
#include "partnergraph/ingest/dataset.hpp"
#include "per_source.hpp"

namespace partnergraph::graph_internal {

struct ConsentInput {
  const std::vector<ConsentRecord>& records;
  std::uint32_t customers = 0;  // NodeTables
};

struct ConsentEdges {
  EdgeLists consent;                  // customer → (merchant, channel) ascending
  std::vector<std::uint8_t> channel;  // per edge: ContactChannel
  std::vector<std::uint8_t> status;   // per edge: ConsentStatus
  std::vector<std::int64_t> ts;       // per edge
};

// InvalidArgument when the edge list outgrows 32-bit offsets. The sort runs in
// parallel (oneTBB); the result does not depend on the thread count.
Result<ConsentEdges> ResolveConsent(const ConsentInput& in);

}  // namespace partnergraph::graph_internal
