#include "partnergraph/embed/purchase_sequences.hpp"

#include <tbb/parallel_sort.h>

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

  SequenceCorpus corpus;
  corpus.Reserve(0, sorted.size());
  std::vector<std::uint32_t> sequence;
  auto emit = [&] {
    if (sequence.size() < options.min_length) return;
    const std::size_t piece = options.max_length == 0 ? sequence.size() : options.max_length;
    for (std::size_t begin = 0; begin < sequence.size(); begin += piece) {
      const std::size_t size = std::min(piece, sequence.size() - begin);
      if (size >= options.min_length) {
        corpus.Add(std::span<const std::uint32_t>(sequence.data() + begin, size));
      }
    }
  };
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (i > 0 && sorted[i].customer != sorted[i - 1].customer) {
      emit();
      sequence.clear();
    }
    if (options.collapse_repeats && !sequence.empty() && sequence.back() == sorted[i].sku) continue;
    sequence.push_back(sorted[i].sku);
  }
  emit();
  return corpus;
}

}  // namespace partnergraph
