#include "partnergraph/embed/purchase_sequences.hpp"

#include <tbb/parallel_sort.h>

#include <algorithm>
#include <tuple>
#include <vector>

namespace partnergraph {

Result<SequenceCorpus> BuildPurchaseSequences(std::span<const PurchaseEvent> purchases,
                                              const SequenceOptions& options) {
  PG_RETURN_IF_ERROR(Validate(options));
  std::vector<PurchaseEvent> sorted(purchases.begin(), purchases.end());
  tbb::parallel_sort(sorted.begin(), sorted.end(), [](const PurchaseEvent& a, const PurchaseEvent& b) {
    return std::tie(a.customer, a.time, a.sku) < std::tie(b.customer, b.time, b.sku);
  });

  // 1. Each customer's tokens in order, repeats collapsed: tokens[starts[c] .. starts[c + 1]).
  std::vector<std::uint32_t> tokens;
  std::vector<std::size_t> starts;
  tokens.reserve(sorted.size());
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    const bool new_customer = i == 0 || sorted[i].customer != sorted[i - 1].customer;
    if (new_customer) starts.push_back(tokens.size());
    if (options.collapse_repeats && !new_customer && tokens.back() == sorted[i].sku) continue;
    tokens.push_back(sorted[i].sku);
  }
  starts.push_back(tokens.size());

  // 2. min_count: how often each SKU occurs in those sequences.
  std::vector<std::uint32_t> counts;
  if (options.min_count > 1) {
    std::uint32_t max_sku = 0;
    for (std::uint32_t t : tokens) max_sku = std::max(max_sku, t);
    counts.assign(tokens.empty() ? 0 : static_cast<std::size_t>(max_sku) + 1, 0);
    for (std::uint32_t t : tokens) ++counts[t];
  }
  auto kept = [&](std::uint32_t t) { return counts.empty() || counts[t] >= options.min_count; };

  // 3. Per customer: the kept tokens (repeats collapsed again, since removing a SKU can make
  //    two equal ones adjacent), then min_length and max_length.
  SequenceCorpus corpus;
  corpus.Reserve(0, tokens.size());
  std::vector<std::uint32_t> sequence;
  for (std::size_t c = 0; c + 1 < starts.size(); ++c) {
    sequence.clear();
    for (std::size_t i = starts[c]; i < starts[c + 1]; ++i) {
      const std::uint32_t t = tokens[i];
      if (!kept(t)) continue;
      if (options.collapse_repeats && !sequence.empty() && sequence.back() == t) continue;
      sequence.push_back(t);
    }
    if (sequence.size() < options.min_length) continue;
    const std::size_t piece = options.max_length == 0 ? sequence.size() : options.max_length;
    for (std::size_t begin = 0; begin < sequence.size(); begin += piece) {
      const std::size_t size = std::min(piece, sequence.size() - begin);
      if (size >= options.min_length) {
        corpus.Add(std::span<const std::uint32_t>(sequence.data() + begin, size));
      }
    }
  }
  return corpus;
}

}  // namespace partnergraph
