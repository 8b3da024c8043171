// Dictionary: interns strings into dense 0-based ids, in insertion order.
//
// Used for every string key of the input (merchant ids, SKU ids, customer ids,
// categories, regions, channels...). Ids are assigned in the order strings are
// first added, so a deterministic insertion order gives deterministic ids.
//
// Thread safety: concurrent Find()/Name()/size() calls are safe while no
// thread calls Add(); Add() needs exclusive access.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace partnergraph {

class Dictionary {
 public:
  static constexpr std::uint32_t kNotFound = 0xFFFFFFFFu;

  // Returns the id of `name`, adding it if new.
  std::uint32_t Add(std::string_view name);
  // Returns the id of `name`, or kNotFound.
  std::uint32_t Find(std::string_view name) const;
  // The string of id `id` (id < size()).
  const std::string& Name(std::uint32_t id) const { return names_[id]; }
  std::uint32_t size() const { return static_cast<std::uint32_t>(names_.size()); }
  bool empty() const { return names_.empty(); }
  void Reserve(std::size_t n);
  // All names in id order.
  const std::vector<std::string>& names() const { return names_; }
  // Approximate heap bytes used.
  std::size_t MemoryBytes() const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>()(s);
    }
  };
  std::vector<std::string> names_;
  std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>> index_;
};

}  // namespace partnergraph
