// SkuNeighborTable: the SKU-embedding neighbour lists of the coupon query's
// trigger SKUs, computed once (at build, or by `partnergraph precompute` on an
// existing model) so that a coupon query reads a list instead of searching the
// SKU index (one HNSW search per trigger was most of the merchant coupon
// query's time: bench/RESULTS.md, issue 3).
//
// A list holds exactly what the live search returns (Recommender::SkuNeighbors):
// the same index, k = coupon_candidates + 1, efSearch = coupon_ef_search (0: the
// index's own), one query per search as RecommendCouponPairs(SkuId) makes it.
// HNSW and IVF answer a query alike alone or in a batch, so the merchant and
// batch queries' answers are unchanged too; an exact Flat index answers a batch of
// 20 or more queries through BLAS, whose float rounding may order a tie at the
// k-th hit differently from the single query the list holds.
//
// The key records what the lists depend on; a table answers only for a model with
// the same key (Recommender::Create refuses another): k, efSearch, the graph's SKU
// count, and the SKU index's identity (its fingerprint and the CRC-32 of its
// sidecar, VectorIndex::file_checksum(): two builds of the same data may give
// different HNSW graphs, hence different lists).
//
// File sku_neighbors.bin (little-endian; written to a temporary file and renamed):
//   0   8 bytes magic "PGSKUNBR"
//   8   u32 version (1)
//   12  u32 k
//   16  u32 efSearch
//   20  u32 SKU count of the graph
//   24  u64 SKU index fingerprint
//   32  u32 SKU index checksum (CRC-32 of skus.faiss.meta)
//   36  u32 covered SKUs C
//   40  C x u32 covered SKU ids, ascending
//       (C + 1) x u64 offsets: SKU i's hits are entries [offsets[i], offsets[i + 1])
//       offsets[C] x (u32 SKU id, f32 score) entries, each list best first
//       u32 CRC-32 (zlib) of every preceding byte
//
// Thread safety: immutable after construction; const members are safe from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "partnergraph/common/ids.hpp"
#include "partnergraph/common/status.hpp"
#include "partnergraph/index/vector_index.hpp"
#include "partnergraph/recommend/recommend_options.hpp"

namespace partnergraph {

// What a table's lists depend on.
struct SkuNeighborKey {
  std::uint32_t k = 0;                  // neighbours asked per SKU (coupon_candidates + 1)
  std::uint32_t ef_search = 0;          // efSearch asked (coupon_ef_search; 0: the index's own)
  std::uint32_t sku_count = 0;          // SKUs in the graph
  std::uint64_t index_fingerprint = 0;  // VectorIndex::fingerprint() of the SKU index
  std::uint32_t index_checksum = 0;     // VectorIndex::file_checksum() of the SKU index
  friend bool operator==(const SkuNeighborKey&, const SkuNeighborKey&) = default;
};

// The key the live search of `sku_index` under `options` has, for a graph of `sku_count` SKUs.
SkuNeighborKey ExpectedSkuNeighborKey(const VectorIndex& sku_index, std::uint32_t sku_count,
                                      const RecommendOptions& options);

// Why a table of key `actual` does not answer for `expected`: every differing field, in the
// words of the configuration ("k 21 (coupon_candidates 20) but the model asks 31
// (coupon_candidates 30)"); empty when the keys are equal.
std::string DescribeKeyMismatch(const SkuNeighborKey& expected, const SkuNeighborKey& actual);

class SkuNeighborTable {
 public:
  static constexpr std::uint32_t kFormatVersion = 1;

  // A table over `skus` (ascending, distinct, each below key.sku_count); skus[i]'s hits are
  // hits[offsets[i] .. offsets[i + 1]), at most key.k of them. InvalidArgument naming the
  // first inconsistency.
  static Result<SkuNeighborTable> FromLists(SkuNeighborKey key, std::vector<SkuId> skus,
                                            std::vector<std::uint64_t> offsets,
                                            std::vector<Neighbor> hits);

  // Writes the file (temporary file + rename). IOError naming the file.
  Status Save(const std::filesystem::path& path) const;
  // Reads a file written by Save. Corruption naming the file when it is truncated, damaged
  // (checksum), of another version or inconsistent; InvalidArgument naming the file and
  // every differing field when its key is not `expected` (computed for another model or
  // other recommend options: `partnergraph precompute` rewrites it); IOError when
  // unreadable.
  static Result<SkuNeighborTable> Load(const std::filesystem::path& path,
                                       const SkuNeighborKey& expected);

  const SkuNeighborKey& key() const { return key_; }
  // Number of SKUs with a stored list.
  std::uint32_t covered() const { return static_cast<std::uint32_t>(skus_.size()); }
  // The stored hits of s (score desc, id asc; empty for a SKU without a vector), or
  // nullopt when s has no stored list (the caller searches).
  std::optional<std::span<const Neighbor>> Find(SkuId s) const {
    if (s.value >= slot_.size() || slot_[s.value] == kNoSlot) return std::nullopt;
    const std::uint32_t i = slot_[s.value];
    return std::span<const Neighbor>(hits_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]);
  }
  // Heap bytes held.
  std::uint64_t MemoryBytes() const;

 private:
  static constexpr std::uint32_t kNoSlot = 0xFFFFFFFFu;
  SkuNeighborTable() = default;
  // Checks the lists against the key and fills slot_. Empty string when consistent, else
  // the first inconsistency.
  std::string BuildSlots();

  SkuNeighborKey key_;
  std::vector<SkuId> skus_;
  std::vector<std::uint64_t> offsets_;
  std::vector<Neighbor> hits_;
  std::vector<std::uint32_t> slot_;  // per SKU of the graph: its position in skus_, or kNoSlot
};

}  // namespace partnergraph
