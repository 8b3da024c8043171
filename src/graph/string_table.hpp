// StringTable: n strings in one character array (private to src/graph).
//
// Layout: chars holds the strings back to back; string i is
// chars[offsets[i], offsets[i+1]); offsets has n + 1 entries (empty table: 0
// or 1 entries). When built with an index, sorted is the permutation of
// [0, n) ordering the strings bytewise ascending (they must be distinct), for
// Find(). It costs ~12 bytes per string plus the characters (no hash
// table: Find() is a binary search), which matters for tens of millions of customers.
//
// Thread safety: immutable after Build; const members are safe concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "partnergraph/common/dictionary.hpp"
#include "partnergraph/common/status.hpp"

namespace partnergraph::graph_internal {

class StringTable {
 public:
  // Copies `names`; with `indexed`, sorts a lookup permutation (oneTBB, in the
  // caller's arena). Duplicate names in an indexed table are an error
  // (InvalidArgument naming `what` and the name).
  static Result<StringTable> Build(const std::vector<std::string>& names, bool indexed,
                                   std::string_view what);
  // The same from a Dictionary's names, in id order (no intermediate copy).
  static Result<StringTable> Build(const Dictionary& names, bool indexed, std::string_view what);

  std::uint32_t size() const {
    return offsets.size() <= 1 ? 0u : static_cast<std::uint32_t>(offsets.size() - 1);
  }
  std::string_view Get(std::uint32_t i) const {
    return std::string_view(chars.data() + offsets[i], offsets[i + 1] - offsets[i]);
  }
  // The index of `s`, or nullopt (also when the table has no index).
  std::optional<std::uint32_t> Find(std::string_view s) const;
  std::size_t MemoryBytes() const;
  // Checks a loaded table: `expected_size` strings, offsets in bounds and
  // non-decreasing, and (when `indexed`) a permutation in strictly ascending
  // string order. Corruption naming `what` otherwise.
  Status Validate(std::string_view what, std::uint32_t expected_size, bool indexed) const;

  std::vector<char> chars;
  std::vector<std::uint64_t> offsets;
  std::vector<std::uint32_t> sorted;
};

}  // namespace partnergraph::graph_internal
