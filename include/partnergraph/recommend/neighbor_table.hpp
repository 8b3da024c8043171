// NeighborTable: the ANN stage of the live queries, computed once (at build, or by
// `partnergraph precompute` on an existing model) so that a query reads a list
// instead of searching an index.
//
// Two tables exist, one per index:
//   - SKU lists (sku_neighbors.bin): every SKU with an item2vec vector, searched as
//     RecommendCouponPairs searches a trigger SKU: the SKU index, k = coupon_candidates + 1,
//     efSearch = coupon_ef_search (0: the index's own), one query per search. One HNSW search
//     per trigger was most of the merchant coupon query's time (bench/RESULTS.md, issue 3).
//   - merchant lists (merchant_neighbors.bin): every merchant with an audience vector,
//     searched as RecommendPartners searches without a region, category or tier filter: the
//     merchant index, k = partner_candidates + 1, the index's own efSearch (ef_search 0). The
//     search was about half of a partner query's time; a request with one of those filters
//     (the search then filters inside the index) or another candidate count still searches.
// A list holds exactly what the live search returns. HNSW and IVF answer a query alike
// alone or in a batch, so the batched queries' answers are unchanged too; an exact Flat
// index answers a batch of 20 or more queries through BLAS, whose float rounding may order a
// tie at the k-th hit differently from the single query the list holds.
//
// The key records what the lists depend on; a table answers only for a model with the same
// key (Recommender::Create refuses another): the kind, k, efSearch, the graph's item count
// (SKUs or merchants), and the index's identity (its fingerprint and the CRC-32 of its
// sidecar, VectorIndex::file_checksum(): two builds of the same data may give different HNSW
// graphs, hence different lists).
//
// File: a binary container (common/binary_container.hpp, docs/formats.md), written to a
// temporary file and renamed. Magic "PGSKUNBR" (format "SKU neighbour") or "PGMERNBR"
// ("merchant neighbour"), version 3 (1: before the config digest, 2: before the container;
// both refused with a message that says to run `partnergraph precompute`). Sections:
//   header   u32 k, u32 efSearch, u32 item count of the graph (SKUs or merchants), u64 index
//            fingerprint, u32 index checksum (CRC-32 of the index's .meta sidecar), u32 covered
//            items C, u32 config digest: CRC-32 of the model's config.json the lists were
//            computed with (model_manifest.hpp); 0 when not computed for a model folder
//   items    C x u32 covered item ids, ascending
//   offsets  (C + 1) x u64: item i's hits are entries [offsets[i], offsets[i + 1])
//   hits     offsets[C] x (u32 item id, f32 score), each list best first
//
// Thread safety: immutable after construction; const members are safe from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "partnergraph/common/ids.hpp"
#include "partnergraph/common/status.hpp"
#include "partnergraph/index/vector_index.hpp"
#include "partnergraph/recommend/recommend_options.hpp"

namespace partnergraph {

// Which index a table's lists come from.
enum class NeighborKind : std::uint32_t { kSkus = 0, kMerchants = 1 };

// What a table's lists depend on.
struct NeighborKey {
  NeighborKind kind = NeighborKind::kSkus;
  std::uint32_t k = 0;                  // neighbours asked per item (candidates + 1)
  std::uint32_t ef_search = 0;          // efSearch asked (0: the index's own)
  std::uint32_t item_count = 0;         // SKUs or merchants in the graph
  std::uint64_t index_fingerprint = 0;  // VectorIndex::fingerprint() of the index
  std::uint32_t index_checksum = 0;     // VectorIndex::file_checksum() of the index
  friend bool operator==(const NeighborKey&, const NeighborKey&) = default;
};

// The key the live search of `sku_index` under `options` has, for a graph of `sku_count` SKUs.
NeighborKey ExpectedSkuNeighborKey(const VectorIndex& sku_index, std::uint32_t sku_count,
                                   const RecommendOptions& options);
// The same for the unfiltered partner search of `merchant_index`.
NeighborKey ExpectedMerchantNeighborKey(const VectorIndex& merchant_index,
                                        std::uint32_t merchant_count,
                                        const RecommendOptions& options);

// Why a table of key `actual` does not answer for `expected`: every differing field, in the
// words of the configuration ("k 21 (coupon_candidates 20) but the model asks 31
// (coupon_candidates 30)"); empty when the keys are equal.
std::string DescribeKeyMismatch(const NeighborKey& expected, const NeighborKey& actual);

// The version of both files' format.
inline constexpr std::uint32_t kNeighborFormatVersion = 3;

// What a neighbour file's header records (either kind).
struct NeighborFileInfo {
  NeighborKey key;
  std::uint32_t covered = 0;
  std::uint32_t config_digest = 0;
};

// Reads the header of a neighbour file of either kind, nothing more (the whole-file checksum
// is Load's). Errors: IOError when unreadable; InvalidArgument naming the file when it is not
// a neighbour file or of another version (the message says to run `partnergraph
// precompute`); Corruption naming it when it is truncated or its header is damaged.
Result<NeighborFileInfo> ReadNeighborFileInfo(const std::filesystem::path& path);

// Id is SkuId (kind kSkus) or MerchantId (kind kMerchants); both are instantiated in
// neighbor_table.cpp.
template <typename Id>
class NeighborTable {
 public:
  static constexpr std::uint32_t kFormatVersion = kNeighborFormatVersion;
  static constexpr NeighborKind kKind =
      std::is_same_v<Id, SkuId> ? NeighborKind::kSkus : NeighborKind::kMerchants;

  // A table over `items` (ascending, distinct, each below key.item_count); items[i]'s hits
  // are hits[offsets[i] .. offsets[i + 1]), at most key.k of them, each an id below
  // key.item_count. InvalidArgument naming the first inconsistency (or a key of another
  // kind).
  static Result<NeighborTable> FromLists(NeighborKey key, std::vector<Id> items,
                                         std::vector<std::uint64_t> offsets,
                                         std::vector<Neighbor> hits);

  // Writes the file (AtomicFileWriter: temporary file, fsync, rename), recording
  // `config_digest` (the CRC-32 of the config.json the lists were computed with; 0 outside a
  // model folder). IOError naming the file.
  Status Save(const std::filesystem::path& path, std::uint32_t config_digest) const;
  // Reads a file written by Save. Corruption naming the file when it is truncated, damaged
  // (checksum) or inconsistent; InvalidArgument naming the file when it is of another kind or
  // version, and naming every differing field when its key is not `expected` (computed for
  // another model or other recommend options: `partnergraph precompute` rewrites it); IOError
  // when unreadable.
  static Result<NeighborTable> Load(const std::filesystem::path& path, const NeighborKey& expected);

  const NeighborKey& key() const { return key_; }
  // The config digest read by Load (0 for a table made by FromLists).
  std::uint32_t config_digest() const { return config_digest_; }
  // Number of items with a stored list.
  std::uint32_t covered() const { return static_cast<std::uint32_t>(items_.size()); }
  // The stored hits of `item` (score desc, id asc), or nullopt when it has no stored list
  // (the caller searches).
  std::optional<std::span<const Neighbor>> Find(Id item) const {
    if (item.value >= slot_.size() || slot_[item.value] == kNoSlot) return std::nullopt;
    const std::uint32_t i = slot_[item.value];
    return std::span<const Neighbor>(hits_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]);
  }
  // Heap bytes held.
  std::uint64_t MemoryBytes() const;

 private:
  static constexpr std::uint32_t kNoSlot = 0xFFFFFFFFu;
  NeighborTable() = default;
  // Checks the lists against the key and fills slot_. Empty string when consistent, else
  // the first inconsistency.
  std::string BuildSlots();

  NeighborKey key_;
  std::uint32_t config_digest_ = 0;
  std::vector<Id> items_;
  std::vector<std::uint64_t> offsets_;
  std::vector<Neighbor> hits_;
  std::vector<std::uint32_t> slot_;  // per item of the graph: its position in items_, or kNoSlot
};

using SkuNeighborTable = NeighborTable<SkuId>;
using MerchantNeighborTable = NeighborTable<MerchantId>;

}  // namespace partnergraph
