#include "string_table.hpp"

#include <fmt/format.h>
#include <tbb/parallel_sort.h>

#include <algorithm>
#include <numeric>

namespace partnergraph::graph_internal {

namespace {

// Builds from `count` strings, string i being get(i).
template <typename Get>
Result<StringTable> BuildFrom(std::size_t count, Get&& get, bool indexed, std::string_view what) {
  StringTable table;
  std::size_t total = 0;
  for (std::size_t i = 0; i < count; ++i) total += get(i).size();
  table.chars.reserve(total);
  table.offsets.reserve(count + 1);
  table.offsets.push_back(0);
  for (std::size_t i = 0; i < count; ++i) {
    std::string_view n = get(i);
    table.chars.insert(table.chars.end(), n.begin(), n.end());
    table.offsets.push_back(table.chars.size());
  }
  if (indexed) {
    table.sorted.resize(count);
    std::iota(table.sorted.begin(), table.sorted.end(), 0u);
    tbb::parallel_sort(table.sorted.begin(), table.sorted.end(),
                       [&table](std::uint32_t a, std::uint32_t b) {
                         return table.Get(a) < table.Get(b);
                       });
    for (std::size_t i = 1; i < table.sorted.size(); ++i) {
      if (table.Get(table.sorted[i - 1]) == table.Get(table.sorted[i])) {
        return Status::InvalidArgument(std::string(what) + ": duplicate id \"" +
                                       std::string(table.Get(table.sorted[i])) + "\"");
      }
    }
  }
  return table;
}

}  // namespace

Result<StringTable> StringTable::Build(const std::vector<std::string>& names, bool indexed,
                                       std::string_view what) {
  return BuildFrom(
      names.size(), [&](std::size_t i) { return std::string_view(names[i]); }, indexed, what);
}

Result<StringTable> StringTable::Build(const Dictionary& names, bool indexed,
                                       std::string_view what) {
  return BuildFrom(
      names.size(), [&](std::size_t i) { return names.Name(static_cast<std::uint32_t>(i)); },
      indexed, what);
}

std::optional<std::uint32_t> StringTable::Find(std::string_view s) const {
  auto it = std::lower_bound(sorted.begin(), sorted.end(), s,
                             [this](std::uint32_t i, std::string_view key) { return Get(i) < key; });
  if (it == sorted.end() || Get(*it) != s) return std::nullopt;
  return *it;
}

std::size_t StringTable::MemoryBytes() const {
  return chars.capacity() + offsets.capacity() * sizeof(std::uint64_t) +
         sorted.capacity() * sizeof(std::uint32_t);
}

Status StringTable::Validate(std::string_view what, std::uint32_t expected_size,
                             bool indexed) const {
  auto fail = [&](const std::string& why) {
    return Status::Corruption("string table " + std::string(what) + ": " + why);
  };
  if (offsets.empty()) {
    if (expected_size != 0 || !chars.empty() || !sorted.empty()) return fail("no offsets");
    return Status::Ok();
  }
  if (offsets.size() != static_cast<std::size_t>(expected_size) + 1) {
    return fail(fmt::format("{} strings, expected {}", offsets.size() - 1, expected_size));
  }
  if (offsets.front() != 0 || offsets.back() != chars.size()) {
    return fail(fmt::format("offsets do not span the {} characters", chars.size()));
  }
  for (std::size_t i = 1; i < offsets.size(); ++i) {
    if (offsets[i] < offsets[i - 1]) return fail(fmt::format("offsets decrease at {}", i));
  }
  if (!indexed) {
    if (!sorted.empty()) return fail("unexpected lookup index");
    return Status::Ok();
  }
  if (sorted.size() != expected_size) return fail("lookup index has the wrong size");
  std::vector<bool> seen(expected_size, false);
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    std::uint32_t v = sorted[i];
    if (v >= expected_size || seen[v]) return fail("lookup index is not a permutation");
    seen[v] = true;
    if (i > 0 && !(Get(sorted[i - 1]) < Get(v))) return fail("lookup index is not sorted");
  }
  return Status::Ok();
}

}  // namespace partnergraph::graph_internal
