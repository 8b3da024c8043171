// Dictionary: interns strings into dense 0-based ids, in insertion order.
//
// Used for every string key of the input (merchant ids, SKU ids, customer ids,
// order ids, categories, regions, channels...). Ids are assigned in the order
// strings are first added, so a deterministic insertion order gives
// deterministic ids.
//
// Memory: the names are stored once, back to back in one byte array, with an
// 8-byte start offset each; the index is an open-addressing table of 8-byte
// slots (32 bits of the hash and the id) kept at most 70% full. A name of L
// bytes costs about L + 8 + 8/0.7 bytes, against about 100 + L for the
// std::unordered_map<std::string> it replaced; this is what lets the loader
// hold a 100M-line dataset (docs/architecture.md "Memory").
//
// Thread safety: concurrent Find()/Name()/size() calls are safe while no
// thread calls Add(); Add() needs exclusive access.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace partnergraph {

class Dictionary {
 public:
  static constexpr std::uint32_t kNotFound = 0xFFFFFFFFu;
  // The largest number of names (ids are 32-bit and kNotFound is reserved).
  static constexpr std::uint32_t kMaxSize = 0xFFFFFFFEu;

  // Returns the id of `name`, adding it if new. Adding a name beyond kMaxSize
  // aborts: callers bound their input far below it.
  std::uint32_t Add(std::string_view name);
  // Returns the id of `name`, or kNotFound.
  std::uint32_t Find(std::string_view name) const;
  // ids[i] = Find(names[i]) for every i (the spans have the same size). The
  // lookups of a group are done in steps (all slots, then all name starts,
  // then all name bytes), each step prefetching what the next one reads, so
  // their cache misses overlap instead of following one another: on a table
  // far larger than the cache this is what the big loads spend their time on.
  void FindBatch(std::span<const std::string_view> names, std::span<std::uint32_t> ids) const;
  // A hint that `name` is about to be looked up or added: starts bringing its
  // first slot into the cache. Changes nothing.
  void Prefetch(std::string_view name) const;
  // The string of id `id` (id < size()); valid until the next Add().
  std::string_view Name(std::uint32_t id) const {
    std::uint64_t begin = starts_[id];
    std::uint64_t end = id + 1 < starts_.size() ? starts_[id + 1] : bytes_.size();
    return {bytes_.data() + begin, static_cast<std::size_t>(end - begin)};
  }
  std::uint32_t size() const { return static_cast<std::uint32_t>(starts_.size()); }
  bool empty() const { return starts_.empty(); }
  // Prepares for `names` names of `bytes` bytes in all (0: unknown).
  void Reserve(std::size_t names, std::size_t bytes = 0);
  // A copy of all names in id order.
  std::vector<std::string> Names() const;
  // Heap bytes held.
  std::size_t MemoryBytes() const;

  friend bool operator==(const Dictionary& a, const Dictionary& b) {
    return a.bytes_ == b.bytes_ && a.starts_ == b.starts_;
  }

 private:
  static std::uint32_t Tag(std::string_view name);
  // The first slot to probe for `tag` in a table of 2^bits slots.
  static std::size_t Home(std::uint32_t tag, int bits);
  void Rehash(int bits);
  // log2 of the table size, 0 when it has no slots (also after a move).
  int Bits() const;

  std::vector<char> bytes_;            // the names, back to back
  std::vector<std::uint64_t> starts_;  // start of each name in bytes_
  // 0 = empty; else (tag << 32) | (id + 1). Empty or a power of two long.
  std::vector<std::uint64_t> slots_;
};

}  // namespace partnergraph
