// Item2vec-style training sequences: each customer's purchases in time order,
// fed to the skip-gram trainer so that SKUs bought by the same customers close
// in time (at whatever merchant) get nearby vectors.
#pragma once

#include <cstdint>
#include <span>

#include "partnergraph/common/status.hpp"
#include "partnergraph/embed/embed_options.hpp"
#include "partnergraph/embed/sequence_corpus.hpp"

namespace partnergraph {

// One purchase: dense customer and SKU indices (CustomerId::value, SkuId::value) and a
// timestamp in any consistent unit (e.g. seconds since the epoch).
struct PurchaseEvent {
  std::uint32_t customer = 0;
  std::int64_t time = 0;
  std::uint32_t sku = 0;
};

// Groups `purchases` (any order) by customer, in increasing customer index, and orders
// each customer's purchases by (time, sku) so that purchases at the same instant come in
// a fixed order. Then, per options: collapses consecutive repeats of a SKU; removes the
// SKUs that occur fewer than min_count times in all these sequences together (and
// collapses the repeats this makes adjacent); drops sequences shorter than min_length,
// and cuts longer ones into pieces of at most max_length tokens (a final piece shorter
// than min_length is dropped). Tokens are SKU indices. Errors: InvalidArgument for options
// out of range.
// Thread safety: pure function.
Result<SequenceCorpus> BuildPurchaseSequences(std::span<const PurchaseEvent> purchases,
                                              const SequenceOptions& options);

}  // namespace partnergraph
