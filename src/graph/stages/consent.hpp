// Stage "consent": customer–consent→merchant, the state that decides each
// (customer, merchant, channel): its records folded in time order with
// NextConsentState (consent/contact_policy.hpp), so that a sales block holds
// over later records until sales lifts it; at equal timestamps the more
// restrictive record is folded last and wins.
#pragma once

#include <cstdint>
#include <vector>

#include "partnergraph/common/dictionary.hpp"
#include "partnergraph/common/status.hpp"
#include "partnergraph/ingest/dataset.hpp"
#include "per_source.hpp"

namespace partnergraph::graph_internal {

struct ConsentInput {
  const std::vector<ConsentRecord>& records;
  const Dictionary& sources;    // Dataset::consent_sources, which ConsentRecord::source indexes
  std::uint32_t customers = 0;  // NodeTables
};

struct ConsentEdges {
  EdgeLists consent;                      // customer → (merchant, channel) ascending
  std::vector<std::uint8_t> channel;      // per edge: ContactChannel
  std::vector<std::uint8_t> status;       // per edge: ConsentStatus that decides
  std::vector<std::uint8_t> sales_block;  // per edge: 1 while a sales block holds, else 0
  std::vector<std::int64_t> ts;           // per edge: the latest record's
};

// InvalidArgument when the edge list outgrows 32-bit offsets. The sort runs in
// parallel (oneTBB); the result does not depend on the thread count.
Result<ConsentEdges> ResolveConsent(const ConsentInput& in);

}  // namespace partnergraph::graph_internal
