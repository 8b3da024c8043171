// precomputed.bin's container: round trip of the header, old versions refused with the fix,
// damage named by section and offset. (The answers themselves are compared with the live
// recommender in engine_test.cpp.)
#include "partnergraph/engine/precomputed_answers.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "common/container_bytes.hpp"
#include "test_paths.hpp"

using namespace partnergraph;

namespace {

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteAll(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

}  // namespace

TEST_CASE("precomputed.bin round-trips its header; old versions name the fix", "[engine]") {
  const auto dir = testing::FreshTempDir("precomputed_container");
  const auto path = dir / "precomputed.bin";
  const PrecomputedAnswers empty;
  REQUIRE(empty.Save(path, 0x0123456789abcdefULL, 0xfeedbeef).ok());
  auto info = PrecomputedAnswers::ReadFileInfo(path);
  REQUIRE(info.ok());
  CHECK(info->fingerprint == 0x0123456789abcdefULL);
  CHECK(info->config_digest == 0xfeedbeef);
  CHECK(info->merchant_count == 0);
  auto loaded = PrecomputedAnswers::Load(path, 0x0123456789abcdefULL, 0);
  REQUIRE(loaded.ok());
  CHECK(loaded->config_digest() == 0xfeedbeef);
  CHECK(PrecomputedAnswers::Load(path, 1, 0).status().IsInvalidArgument());
  const std::string good = ReadAll(path);

  SECTION("versions 1 to 3 (before the container) are refused by their version") {
    for (std::uint32_t version : {1u, 2u, 3u}) {
      std::string old = good;
      std::memcpy(old.data() + 8, &version, 4);
      WriteAll(path, old);
      const std::string expected = "precomputed.bin: precomputed answers format version " +
                                   std::to_string(version) +
                                   ", this build reads 4: run `partnergraph precompute --model " +
                                   dir.string() + "` to rewrite it, or rebuild the model";
      for (const Status& s : {PrecomputedAnswers::Load(path, 0, 0).status(),
                              PrecomputedAnswers::ReadFileInfo(path).status()}) {
        CHECK(s.IsInvalidArgument());
        CHECK(s.message() == expected);
      }
    }
  }
  SECTION("a list longer than k is refused, naming the section and offset") {
    // One merchant whose first list claims 5 entries for k 0 (checksums resealed).
    std::string bad = good;
    const auto header = testing::ContainerSection(bad, "header").first;
    const std::uint32_t one = 1;
    std::memcpy(bad.data() + header + 12, &one, 4);  // merchant count
    testing::ResealContainer(bad);
    WriteAll(path, bad);
    auto s = PrecomputedAnswers::Load(path, 0x0123456789abcdefULL, 1).status();
    CHECK(s.IsCorruption());
    CHECK(s.message() == "precomputed.bin: section answers (offset " +
                             std::to_string(testing::ContainerSection(bad, "answers").first) +
                             "): merchant 0: bad list");
  }
}
