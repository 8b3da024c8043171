#include "stages/consent.hpp"

#include <tbb/parallel_sort.h>

#include <numeric>

#include "partnergraph/consent/contact_policy.hpp"

namespace partnergraph::graph_internal {

Result<ConsentEdges> ResolveConsent(const ConsentInput& in) {
  const auto& records = in.records;
  // Records of one (customer, merchant, channel) in folding order: time
  // ascending, at equal time the less restrictive first. Records that tie on
  // both carry the same status, and folding those gives the same state in any
  // order; the index keeps the sort deterministic.
  std::vector<std::uint32_t> order(records.size());
  std::iota(order.begin(), order.end(), 0u);
  tbb::parallel_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    const auto& x = records[a];
    const auto& y = records[b];
    if (x.customer != y.customer) return x.customer < y.customer;
    if (x.merchant != y.merchant) return x.merchant < y.merchant;
    if (x.channel != y.channel) return x.channel < y.channel;
    if (x.ts != y.ts) return x.ts < y.ts;
    int rx = ConsentRestrictiveness(x.status), ry = ConsentRestrictiveness(y.status);
    if (rx != ry) return rx > ry;
    return a < b;
  });
  const std::uint32_t sales = in.sources.Find(kSalesConsentSource);
  ConsentEdges result;
  auto& offsets = result.consent.offsets;
  offsets.assign(static_cast<std::size_t>(in.customers) + 1, 0);
  ConsentState state;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const auto& r = records[order[i]];
    const bool from_sales = sales != Dictionary::kNotFound && r.source == sales;
    state = NextConsentState(state, r.status, from_sales ? kSalesConsentSource : "");
    if (i + 1 < order.size()) {
      const auto& n = records[order[i + 1]];
      if (n.customer == r.customer && n.merchant == r.merchant && n.channel == r.channel) continue;
    }
    ++offsets[r.customer.value + 1];
    result.consent.entries.push_back(r.merchant.value);
    result.channel.push_back(static_cast<std::uint8_t>(r.channel));
    result.status.push_back(static_cast<std::uint8_t>(*state.status));
    result.sales_block.push_back(state.sales_block ? 1 : 0);
    result.ts.push_back(r.ts);
    state = ConsentState{};
  }
  PG_RETURN_IF_ERROR(PrefixSum(offsets, "consent edges"));
  return result;
}

}  // namespace partnergraph::graph_internal
