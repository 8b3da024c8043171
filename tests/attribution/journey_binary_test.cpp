#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "attribution_test_util.hpp"
#include "partnergraph/attribution/journey_binary.hpp"
#include "test_paths.hpp"

using namespace partnergraph;
using namespace partnergraph::testing;

namespace {

struct Journey {
  std::vector<std::uint8_t> path;
  bool converted;
  double value;
};

// Random journeys over `channels` channels, the same for a given seed.
std::vector<Journey> RandomJourneys(int count, int channels, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<Journey> out;
  for (int i = 0; i < count; ++i) {
    Journey j;
    const int len = 1 + static_cast<int>(rng() % 5);
    for (int t = 0; t < len; ++t) j.path.push_back(static_cast<std::uint8_t>(rng() % channels));
    j.converted = rng() % 3 == 0;
    j.value = j.converted ? static_cast<double>(rng() % 1000) / 8 : 0.0;
    out.push_back(j);
  }
  return out;
}

std::vector<std::string> ChannelNames(int n) {
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) names.push_back("ch" + std::to_string(i));
  return names;
}

void WriteFile(const std::filesystem::path& file, const std::vector<Journey>& journeys,
               int channels, std::uint32_t per_block) {
  auto w = JourneyBinaryWriter::Create(file, ChannelNames(channels), per_block);
  REQUIRE(w.ok());
  for (const auto& j : journeys) REQUIRE(w->Add(j.path, j.converted, j.value).ok());
  REQUIRE(w->Close().ok());
}

// The same journeys as path-format rows, one row per journey.
std::string AsPathText(const std::vector<Journey>& journeys) {
  std::string text;
  for (const auto& j : journeys) {
    for (std::size_t t = 0; t < j.path.size(); ++t) {
      if (t) text += " > ";
      text += "ch" + std::to_string(j.path[t]);
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, ";%d;%.17g;%d\n", j.converted ? 1 : 0, j.value,
                  j.converted ? 0 : 1);
    text += buf;
  }
  return text;
}

std::string ReadBytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void WriteBytes(const std::filesystem::path& file, const std::string& bytes) {
  std::ofstream(file, std::ios::binary) << bytes;
}

std::string ReadError(const std::filesystem::path& file) {
  auto r = ReadJourneyBinary(file, {});
  REQUIRE_FALSE(r.ok());
  auto c = CountMarkovOrder1FromBinary(file, {});
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().message() == r.status().message());
  return r.status().message();
}

}  // namespace

TEST_CASE("binary journeys: read back as the same distinct paths as the path format",
          "[attribution]") {
  const auto dir = FreshTempDir("attribution_binary_roundtrip");
  const auto journeys = RandomJourneys(3000, 5, 1);
  WriteFile(dir / "j.pgj", journeys, 5, 100);
  auto is_binary = IsJourneyBinaryFile(dir / "j.pgj");
  REQUIRE(is_binary.ok());
  CHECK(*is_binary);
  AttributionOptions o;
  o.chunk_bytes = 512;  // several waves
  o.chunks_per_wave = 2;
  auto bin = ReadJourneyBinary(dir / "j.pgj", o);
  REQUIRE(bin.ok());
  CHECK(bin->input_rows == 3000);
  auto text = ParseOrFail(AsPathText(journeys));
  REQUIRE(bin->path_count() == text.path_count());
  for (std::size_t i = 0; i < text.path_count(); ++i) {
    std::vector<std::string> a, b;
    for (auto k : bin->path(i)) a.push_back(bin->keys[k]);
    for (auto k : text.path(i)) b.push_back(text.keys[k]);
    CHECK(a == b);
    CHECK(bin->conversions[i] == text.conversions[i]);
    CHECK(bin->nulls[i] == text.nulls[i]);
    CHECK(bin->value[i] == Approx(text.value[i]).epsilon(0).margin(1e-9));
  }
}

TEST_CASE("binary journeys: order-1 counting equals the chain built from paths",
          "[attribution]") {
  const auto dir = FreshTempDir("attribution_binary_markov");
  const auto journeys = RandomJourneys(5000, 6, 2);
  WriteFile(dir / "j.pgj", journeys, 7, 256);  // channel 6 never occurs
  AttributionOptions o;
  o.chunk_bytes = 1024;
  o.model = AttributionModel::kMarkov;
  auto counted = CountMarkovOrder1FromBinary(dir / "j.pgj", o);
  REQUIRE(counted.ok());
  CHECK(counted->journeys == 5000);
  CHECK(counted->chain.state_count() == 7);  // (start) + the 6 channels that occur
  auto fast = RunMarkovAttribution(counted->chain, counted->keys, {}, o);
  REQUIRE(fast.ok());
  auto table = ReadJourneyBinary(dir / "j.pgj", o);
  REQUIRE(table.ok());
  auto slow = RunOrFail(*table, o);
  CHECK(fast->conversions == slow.conversions);
  CHECK(fast->journeys == slow.journeys);
  CHECK(fast->value == Approx(slow.value).epsilon(0).margin(1e-9));
  for (std::size_t k = 0; k < 6; ++k) {
    INFO(slow.keys[k]);
    CHECK(Credit(*fast, slow.keys[k]).removal_effect ==
          Approx(slow.totals[k].removal_effect).epsilon(0).margin(1e-12));
    CHECK(Credit(*fast, slow.keys[k]).value == Approx(slow.totals[k].value).epsilon(0).margin(1e-9));
  }
  CHECK(Credit(*fast, "ch6").removal_effect == 0);
  // One and two threads give the same bytes.
  o.threads = 1;
  auto one = CountMarkovOrder1FromBinary(dir / "j.pgj", o);
  o.threads = 2;
  auto two = CountMarkovOrder1FromBinary(dir / "j.pgj", o);
  REQUIRE((one.ok() && two.ok()));
  auto r1 = RunMarkovAttribution(one->chain, one->keys, {}, o);
  auto r2 = RunMarkovAttribution(two->chain, two->keys, {}, o);
  for (std::size_t k = 0; k < r1->totals.size(); ++k) {
    CHECK(r1->totals[k].removal_effect == r2->totals[k].removal_effect);
    CHECK(r1->totals[k].value == r2->totals[k].value);
  }
}

// Transition counts by (from, to) state name.
std::map<std::pair<std::string, std::string>, double> TransitionsByName(
    const MarkovChain& chain, const std::vector<std::string>& keys) {
  std::map<std::pair<std::string, std::string>, double> out;
  for (const auto& t : chain.Transitions()) {
    out[{chain.StateName(t.from, keys), chain.StateName(t.to, keys)}] += t.count;
  }
  return out;
}

TEST_CASE("binary journeys: order-1 counting is exact for every channel count and length",
          "[attribution]") {
  // The counter keeps whole-journey counts for short journeys (how short
  // depends on the channel count) and counts longer ones touch by touch.
  const auto dir = FreshTempDir("attribution_binary_markov_widths");
  for (const int channels : {1, 3, 8, 12, 16, 17, 40, 64, 65, 100, 128, 129, 200, 256}) {
    INFO("channels " << channels);
    std::mt19937 rng(static_cast<unsigned>(channels));
    std::vector<Journey> journeys;
    for (int i = 0; i < 3000; ++i) {
      Journey j;
      const int len = 1 + static_cast<int>(rng() % (i % 7 == 0 ? 12 : 4));
      for (int t = 0; t < len; ++t) {
        // Skewed towards the highest ids, where a masking slip would show.
        const int c = rng() % 2 ? channels - 1 - static_cast<int>(rng() % 3) : static_cast<int>(rng());
        j.path.push_back(static_cast<std::uint8_t>(((c % channels) + channels) % channels));
      }
      j.converted = rng() % 4 == 0;
      j.value = j.converted ? static_cast<double>(rng() % 1000) / 8 : 0.0;
      journeys.push_back(j);
    }
    const auto file = dir / ("j" + std::to_string(channels) + ".pgj");
    WriteFile(file, journeys, channels, 101);
    AttributionOptions o;
    o.model = AttributionModel::kMarkov;
    auto counted = CountMarkovOrder1FromBinary(file, o);
    REQUIRE(counted.ok());
    CHECK(counted->journeys == journeys.size());
    auto table = ReadJourneyBinary(file, o);
    REQUIRE(table.ok());
    auto built = MarkovChain::Build(*table, 1);
    REQUIRE(built.ok());
    CHECK(TransitionsByName(counted->chain, counted->keys) ==
          TransitionsByName(*built, table->keys));
    double value = 0;
    for (std::size_t s = 0; s < counted->chain.state_count(); ++s) value += counted->chain.value_at(s);
    CHECK(value == Approx(built->total_value()).epsilon(0).margin(1e-9));
  }
}

TEST_CASE("binary journeys: a channel id between the channel count and the next power of two "
          "is an error", "[attribution]") {
  const auto dir = FreshTempDir("attribution_binary_bad_short_id");
  {
    auto w = JourneyBinaryWriter::Create(dir / "ok.pgj", ChannelNames(5), 2);
    REQUIRE(w.ok());
    REQUIRE(w->Add(std::vector<std::uint8_t>{0, 1}, false).ok());
    REQUIRE(w->Add(std::vector<std::uint8_t>{4, 4, 4}, false).ok());
    REQUIRE(w->Add(std::vector<std::uint8_t>{2, 3}, true, 1.5).ok());
    REQUIRE(w->Add(std::vector<std::uint8_t>{1}, false).ok());
    REQUIRE(w->Close().ok());
  }
  REQUIRE(CountMarkovOrder1FromBinary(dir / "ok.pgj", {}).ok());
  const std::string good = ReadBytes(dir / "ok.pgj");
  // Header "PGJ1", count 5, 5 × (2 + 3) = 33 bytes; block 0 header at 33, payload at 41:
  // journey 0 = [2][0][0][1], journey 1 = [3][0][4][4][4].
  const std::size_t payload = 41;
  std::string bad = good;
  bad[payload + 3] = 6;  // journey 0's second touch: 6 < 8 columns, but >= 5 channels
  WriteBytes(dir / "id.pgj", bad);
  auto c = CountMarkovOrder1FromBinary(dir / "id.pgj", {});
  REQUIRE_FALSE(c.ok());
  CHECK_THAT(c.status().message(),
             Catch::Contains("block 0 (offset 33): journey 0: channel id 6 >= channel count 5"));
  bad = good;
  bad[payload + 6] = 7;  // journey 1's second touch
  WriteBytes(dir / "id2.pgj", bad);
  c = CountMarkovOrder1FromBinary(dir / "id2.pgj", {});
  REQUIRE_FALSE(c.ok());
  CHECK_THAT(c.status().message(),
             Catch::Contains("block 0 (offset 33): journey 1: channel id 7 >= channel count 5"));
}

TEST_CASE("binary journeys: the writer rejects what the format cannot hold", "[attribution]") {
  const auto dir = FreshTempDir("attribution_binary_writer");
  CHECK_FALSE(JourneyBinaryWriter::Create(dir / "x.pgj", {}).ok());
  CHECK_FALSE(JourneyBinaryWriter::Create(dir / "x.pgj", ChannelNames(257)).ok());
  CHECK_FALSE(JourneyBinaryWriter::Create(dir / "x.pgj", {"a", ""}).ok());
  auto w = JourneyBinaryWriter::Create(dir / "x.pgj", {"a", "b"});
  REQUIRE(w.ok());
  CHECK_FALSE(w->Add({}, false).ok());
  CHECK_FALSE(w->Add(std::vector<std::uint8_t>(256, 0), false).ok());
  CHECK_THAT(w->Add(std::vector<std::uint8_t>{0, 2}, false).message(),
             Catch::Contains("channel id 2 >= channel count 2"));
  CHECK_FALSE(w->Add(std::vector<std::uint8_t>{0}, false, 5.0).ok());
  CHECK_FALSE(w->Add(std::vector<std::uint8_t>{0}, true, -1.0).ok());
  CHECK(w->Add(std::vector<std::uint8_t>{0, 1}, true, 2.5).ok());
  CHECK(w->Close().ok());
  CHECK_FALSE(JourneyBinaryWriter::Create("/nonexistent/dir/x.pgj", {"a"}).ok());
}

TEST_CASE("binary journeys: corrupt files are errors naming block and journey",
          "[attribution]") {
  const auto dir = FreshTempDir("attribution_binary_corrupt");
  {
    auto w = JourneyBinaryWriter::Create(dir / "ok.pgj", {"a", "b"}, 2);
    REQUIRE(w.ok());
    REQUIRE(w->Add(std::vector<std::uint8_t>{0, 1}, true, 2.5).ok());
    REQUIRE(w->Add(std::vector<std::uint8_t>{1}, false).ok());
    REQUIRE(w->Add(std::vector<std::uint8_t>{1, 1, 0}, false).ok());
    REQUIRE(w->Close().ok());
  }
  const std::string good = ReadBytes(dir / "ok.pgj");
  // Header "PGJ1", count 2, "a", "b" = 8 + 3 + 3 = 14 bytes; block 0 header at
  // 14, payload at 22: journey 0 = [2][1][8-byte value][0][1], journey 1 = [1][0][1].
  const std::size_t payload = 22;
  CHECK(good.size() == payload + 12 + 3 + 8 + 5);

  WriteBytes(dir / "magic.pgj", "PGJX" + good.substr(4));
  CHECK_THAT(ReadError(dir / "magic.pgj"), Catch::Contains("not a binary journey file"));

  std::string bad_id = good;
  bad_id[payload + 11] = 5;  // journey 0's second touch
  WriteBytes(dir / "id.pgj", bad_id);
  CHECK_THAT(ReadError(dir / "id.pgj"),
             Catch::Contains("block 0 (offset 14): journey 0: channel id 5 >= channel count 2"));

  std::string no_touch = good;
  no_touch[payload + 12] = 0;  // journey 1's touch count
  WriteBytes(dir / "empty.pgj", no_touch);
  CHECK_THAT(ReadError(dir / "empty.pgj"), Catch::Contains("block 0 (offset 14): journey 1"));

  std::string flags = good;
  flags[payload + 13] = 4;
  WriteBytes(dir / "flags.pgj", flags);
  CHECK_THAT(ReadError(dir / "flags.pgj"), Catch::Contains("journey 1: unknown flags 4"));

  WriteBytes(dir / "cut.pgj", good.substr(0, good.size() - 2));
  CHECK_THAT(ReadError(dir / "cut.pgj"), Catch::Contains("file ends inside block 1"));

  auto missing = ReadJourneyBinary(dir / "none.pgj", {});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().IsIOError());
}
