// Dictionary: interning, growth through many rehashes, names with any bytes,
// copies and moves, and the memory bound the loader relies on.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "partnergraph/common/dictionary.hpp"

namespace partnergraph {
namespace {

TEST_CASE("Dictionary: an empty dictionary finds nothing", "[common][dictionary]") {
  Dictionary d;
  CHECK(d.empty());
  CHECK(d.size() == 0);
  CHECK(d.Find("") == Dictionary::kNotFound);
  CHECK(d.Find("a") == Dictionary::kNotFound);
  CHECK(d.Names().empty());
}

TEST_CASE("Dictionary: ids stay dense and stable across many rehashes", "[common][dictionary]") {
  Dictionary d;
  std::unordered_map<std::string, std::uint32_t> expected;
  // 200,000 names: the table grows from 16 slots through 15 rehashes.
  for (std::uint32_t i = 0; i < 200000; ++i) {
    std::string name = "o" + std::to_string(i * 7919u % 1000003u);
    auto [it, fresh] = expected.emplace(name, static_cast<std::uint32_t>(expected.size()));
    CHECK(d.Add(name) == it->second);
  }
  REQUIRE(d.size() == expected.size());
  for (const auto& [name, id] : expected) {
    REQUIRE(d.Find(name) == id);
    REQUIRE(d.Name(id) == name);
    REQUIRE(d.Add(name) == id);  // adding again returns the same id
  }
  CHECK(d.Find("o-1") == Dictionary::kNotFound);
  // About 6 name bytes + 8 (start) + 8 / 0.7 (slots) per name, far below the
  // ~100 bytes of a std::unordered_map<std::string> entry.
  CHECK(d.MemoryBytes() < 40 * d.size());
}

TEST_CASE("Dictionary: names may be empty, share prefixes or hold any byte",
          "[common][dictionary]") {
  Dictionary d;
  const std::vector<std::string> names = {"", "a", "ab", "abc", std::string("a\0b", 3),
                                          std::string("a\0c", 3), "\xff\xfe", "ABC"};
  for (std::size_t i = 0; i < names.size(); ++i) CHECK(d.Add(names[i]) == i);
  for (std::size_t i = 0; i < names.size(); ++i) {
    CHECK(d.Find(names[i]) == i);
    CHECK(d.Name(static_cast<std::uint32_t>(i)) == names[i]);
  }
  CHECK(d.Names() == names);
  CHECK(d.Find(std::string("a\0d", 3)) == Dictionary::kNotFound);
}

TEST_CASE("Dictionary: Reserve changes no id, copies and moves keep the names",
          "[common][dictionary]") {
  Dictionary d;
  d.Add("x");
  d.Add("y");
  d.Reserve(100000, 1000000);
  CHECK(d.Find("x") == 0);
  CHECK(d.Find("y") == 1);
  CHECK(d.Add("z") == 2);

  Dictionary copy = d;
  CHECK(copy == d);
  copy.Add("w");
  CHECK(copy.size() == 4);
  CHECK(d.size() == 3);
  CHECK_FALSE(copy == d);

  Dictionary moved = std::move(copy);
  CHECK(moved.Find("w") == 3);
  CHECK(moved.Name(2) == "z");
  copy = Dictionary();  // a moved-from dictionary is reusable after assignment
  CHECK(copy.empty());
  CHECK(copy.Add("v") == 0);
}

TEST_CASE("Dictionary: FindBatch gives what Find gives, for present, absent and empty names",
          "[common][dictionary]") {
  Dictionary d;
  std::vector<std::uint32_t> none(3, 0);
  const std::vector<std::string_view> three = {"a", "", "b"};
  d.FindBatch(three, none);  // an empty dictionary
  CHECK(none == std::vector<std::uint32_t>(3, Dictionary::kNotFound));

  // 300,000 names: with 32-bit tags some pairs share a tag (and so a probe
  // sequence), which the batch must resolve by comparing the names.
  std::vector<std::string> stored;
  std::vector<std::string> queries;
  for (std::uint32_t i = 0; i < 300000; ++i) {
    stored.push_back("s" + std::to_string(i * 2654435761u));
    d.Add(stored.back());
    queries.push_back(stored.back());
    if (i % 3 == 0) queries.push_back("absent" + std::to_string(i));
  }
  d.Add("");
  queries.emplace_back("");
  queries.push_back(stored.front());
  // Sizes that are not a multiple of the internal group, and one that is.
  for (std::size_t size : {queries.size(), std::size_t{1}, std::size_t{16}, std::size_t{37}}) {
    std::vector<std::string_view> names(queries.begin(), queries.begin() + size);
    std::vector<std::uint32_t> ids(size, 12345);
    d.FindBatch(names, ids);
    for (std::size_t i = 0; i < size; ++i) REQUIRE(ids[i] == d.Find(names[i]));
  }
  std::vector<std::string_view> names(queries.begin(), queries.end());
  std::vector<std::uint32_t> ids(names.size());
  d.FindBatch(names, ids);
  CHECK(ids.back() == 0);
  CHECK(ids[ids.size() - 2] == d.size() - 1);  // ""
  CHECK(ids[1] == Dictionary::kNotFound);      // "absent0"
  d.Prefetch("s0");                            // a hint only
  CHECK(d.Find(stored[0]) == 0);
}

}  // namespace
}  // namespace partnergraph
