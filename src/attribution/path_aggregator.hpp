// Internal: per-chunk aggregation of paths, and the in-order merge of chunks
// into a JourneyTable of distinct paths (used by the path-file and binary
// readers), on an open-addressing hash index whose keys live elsewhere.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "partnergraph/attribution/journey_table.hpp"

namespace partnergraph::attribution_internal {

// A fast 64-bit hash of a byte string (multiply-xorshift over 8-byte words).
inline std::uint64_t HashBytes(const void* data, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xD6E8FEB86659FD93ull);
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  std::uint64_t w = 0;
  std::memcpy(&w, p, n);
  h = (h ^ w) * 0x94D049BB133111EBull;
  h ^= h >> 31;
  h *= 0xBF58476D1CE4E5B9ull;
  return h ^ (h >> 29);
}

// Maps keys stored by the caller to dense indices 0, 1, 2, ... in insertion
// order. The caller gives each key's hash and an equality test against an
// existing index. Linear probing, load factor <= 1/2. Not synchronised.
class FlatIndex {
 public:
  static constexpr std::uint32_t kEmpty = 0xFFFFFFFFu;

  explicit FlatIndex(std::size_t expected = 512) {
    std::size_t cap = 16;
    while (cap < 2 * expected) cap *= 2;
    slots_.assign(cap, Slot{kEmpty, 0});
  }

  std::size_t size() const { return hashes_.size(); }

  // Hints the cache line of the first probe of hash `h` (no effect on results).
  void Prefetch(std::uint64_t h) const { __builtin_prefetch(&slots_[h & (slots_.size() - 1)]); }
  // The index in the first probed slot of hash `h` when its tag matches, else kEmpty: a guess of
  // the key's index, for prefetching its data (no effect on results).
  std::uint32_t Guess(std::uint64_t h) const {
    const Slot& s = slots_[h & (slots_.size() - 1)];
    return s.tag == static_cast<std::uint32_t>(h >> 32) ? s.index : kEmpty;
  }

  // Empties the index, keeping its memory.
  void Clear() {
    std::fill(slots_.begin(), slots_.end(), Slot{kEmpty, 0});
    hashes_.clear();
  }

  // The index of the key with hash `h` for which eq(index) is true; when there
  // is none, the key gets index size() and *inserted is set.
  template <typename Eq>
  std::uint32_t FindOrInsert(std::uint64_t h, Eq&& eq, bool* inserted) {
    if (2 * (hashes_.size() + 1) > slots_.size()) Grow();
    const std::size_t mask = slots_.size() - 1;
    const auto tag = static_cast<std::uint32_t>(h >> 32);
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.index == kEmpty) {
        s = {static_cast<std::uint32_t>(hashes_.size()), tag};
        hashes_.push_back(h);
        *inserted = true;
        return s.index;
      }
      if (s.tag == tag && eq(s.index)) {
        *inserted = false;
        return s.index;
      }
    }
  }

 private:
  struct Slot {
    std::uint32_t index;
    std::uint32_t tag;
  };
  void Grow() {
    std::vector<Slot> bigger(slots_.size() * 2, Slot{kEmpty, 0});
    const std::size_t mask = bigger.size() - 1;
    for (std::uint32_t k = 0; k < hashes_.size(); ++k) {
      std::size_t i = hashes_[k] & mask;
      while (bigger[i].index != kEmpty) i = (i + 1) & mask;
      bigger[i] = {k, static_cast<std::uint32_t>(hashes_[k] >> 32)};
    }
    slots_.swap(bigger);
  }
  std::vector<Slot> slots_;
  std::vector<std::uint64_t> hashes_;  // by index
};

// The weights of a path, side by side (one cache line touched per update).
struct PathWeights {
  double conversions = 0.0;
  double value = 0.0;
  double nulls = 0.0;
};

// The distinct paths of one chunk with their summed weights (summed in line
// order), plus the chunk's line count and its first error.
struct ChunkPaths {
  // Names of the chunk's local channel ids, in order of first appearance. Left
  // empty when the ids are already global (binary files).
  std::vector<std::string> channels;
  std::vector<std::uint64_t> offsets{0};
  std::vector<std::uint32_t> touches;
  std::vector<PathWeights> weights;
  std::uint64_t lines = 0;       // lines (or records) consumed
  std::uint64_t rows = 0;        // data rows aggregated
  std::uint64_t error_line = 0;  // 1-based within the chunk, when `error` is set
  std::string error;

  // Empties the chunk, keeping its memory (chunks are reused wave after wave).
  void Clear() {
    channels.clear();
    offsets.assign(1, 0);
    touches.clear();
    weights.clear();
    lines = rows = error_line = 0;
    error.clear();
  }

  std::uint32_t AddPath(std::span<const std::uint32_t> ids) {
    touches.insert(touches.end(), ids.begin(), ids.end());
    offsets.push_back(touches.size());
    weights.emplace_back();
    return static_cast<std::uint32_t>(weights.size() - 1);
  }
  void Add(std::uint32_t path, double c, double v, double n) {
    PathWeights& w = weights[path];
    w.conversions += c;
    w.value += v;
    w.nulls += n;
  }
};

// Merges chunks in the order they are given. Channel ids follow the order of
// first appearance across chunks, paths too; weights of a path are summed in
// chunk order. Not synchronised.
class PathMerger {
 public:
  // For chunks with global ids: the key names.
  void SetKeys(std::vector<std::string> keys) {
    table_.keys = std::move(keys);
    for (std::uint32_t i = 0; i < table_.keys.size(); ++i) key_index_.emplace(table_.keys[i], i);
  }

  // The chunk's paths are looked up in batches: first every path of the batch is remapped,
  // hashed and its probe slot prefetched, then the lookups run one by one in chunk order (so ids
  // and sums come out exactly as without batching). This stage is serial; the prefetch hides
  // most of the cache misses on the index, which dominate it for large path counts.
  void Merge(const ChunkPaths& chunk) {
    remap_.clear();
    for (const std::string& name : chunk.channels) {
      auto [it, inserted] =
          key_index_.try_emplace(name, static_cast<std::uint32_t>(table_.keys.size()));
      if (inserted) table_.keys.push_back(name);
      remap_.push_back(it->second);
    }
    const bool global = chunk.channels.empty();
    constexpr std::size_t kBatch = 16;
    std::uint64_t hashes[kBatch];
    std::size_t starts[kBatch + 1];
    const std::size_t n = chunk.weights.size();
    for (std::size_t b = 0; b < n; b += kBatch) {
      const std::size_t e = std::min(n, b + kBatch);
      ids_.clear();
      for (std::size_t i = b; i < e; ++i) {
        starts[i - b] = ids_.size();
        for (std::uint64_t t = chunk.offsets[i]; t < chunk.offsets[i + 1]; ++t) {
          const std::uint32_t id = chunk.touches[t];
          ids_.push_back(global ? id : remap_[id]);
        }
        hashes[i - b] = HashBytes(ids_.data() + starts[i - b],
                                  (ids_.size() - starts[i - b]) * sizeof(std::uint32_t));
        index_.Prefetch(hashes[i - b]);
      }
      starts[e - b] = ids_.size();
      // The likely matches' offsets, then their touches (the slots are in cache by now).
      std::uint32_t guess[kBatch];
      for (std::size_t i = b; i < e; ++i) {
        guess[i - b] = index_.Guess(hashes[i - b]);
        if (guess[i - b] != FlatIndex::kEmpty) __builtin_prefetch(&table_.offsets[guess[i - b]]);
      }
      for (std::size_t i = b; i < e; ++i) {
        if (guess[i - b] != FlatIndex::kEmpty) {
          __builtin_prefetch(table_.touches.data() + table_.offsets[guess[i - b]]);
        }
      }
      for (std::size_t i = b; i < e; ++i) {
        const std::uint32_t* ids = ids_.data() + starts[i - b];
        const std::size_t count = starts[i - b + 1] - starts[i - b];
        const std::size_t bytes = count * sizeof(std::uint32_t);
        bool inserted = false;
        const std::uint32_t path = index_.FindOrInsert(
            hashes[i - b],
            [&](std::uint32_t k) {
              return table_.offsets[k + 1] - table_.offsets[k] == count &&
                     std::memcmp(table_.touches.data() + table_.offsets[k], ids, bytes) == 0;
            },
            &inserted);
        const PathWeights& w = chunk.weights[i];
        if (inserted) {
          table_.touches.insert(table_.touches.end(), ids, ids + count);
          table_.offsets.push_back(table_.touches.size());
          sums_.push_back(w);
        } else {
          PathWeights& sum = sums_[path];
          sum.conversions += w.conversions;
          sum.value += w.value;
          sum.nulls += w.nulls;
        }
      }
    }
    table_.input_rows += chunk.rows;
  }

  JourneyTable Finish() && {
    table_.conversions.reserve(sums_.size());
    table_.value.reserve(sums_.size());
    table_.nulls.reserve(sums_.size());
    for (const PathWeights& w : sums_) {
      table_.conversions.push_back(w.conversions);
      table_.value.push_back(w.value);
      table_.nulls.push_back(w.nulls);
    }
    return std::move(table_);
  }

 private:
  JourneyTable table_;
  std::unordered_map<std::string, std::uint32_t> key_index_;
  FlatIndex index_{1 << 14};
  std::vector<PathWeights> sums_;  // per path of table_ (its weight columns are filled at the end)
  std::vector<std::uint32_t> remap_;
  std::vector<std::uint32_t> ids_;
};

}  // namespace partnergraph::attribution_internal
