#include "partnergraph/common/options_reader.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <string>

using namespace partnergraph;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

OptionsReader ParseOk(const char* json) {
  auto reader = OptionsReader::Parse(json, "m.json");
  REQUIRE(reader.ok());
  return std::move(reader).value();
}

// The "s" section of `json`.
OptionsReader SectionOf(const char* json) {
  OptionsReader doc = ParseOk(json);
  auto section = doc.Section("s");
  REQUIRE(section.ok());
  REQUIRE(section->has_value());
  return std::move(**section);
}

}  // namespace

TEST_CASE("OptionsReader reads present keys and keeps the others' defaults", "[common]") {
  OptionsReader s = SectionOf(
      R"({"s": {"flag": false, "name": "HNSW32", "rate": 0.5, "count": 12, "big": 5000000000,
                "mode": "walk"}})");
  CHECK(s.path() == "s");
  bool flag = true, absent_flag = true;
  std::string name, mode = "svd";
  double rate = 0, absent_rate = 0.25;
  std::uint32_t count = 0, absent_count = 7;
  std::uint64_t big = 0;
  CHECK(s.Read("flag", &flag).ok());
  CHECK(s.Read("absent_flag", &absent_flag).ok());
  CHECK(s.Read("name", &name).ok());
  CHECK(s.Read("rate", &rate, {0, 1, true, false}).ok());
  CHECK(s.Read("absent_rate", &absent_rate).ok());
  CHECK(s.Read("count", &count, {1, 100}).ok());
  CHECK(s.Read("absent_count", &absent_count).ok());
  CHECK(s.Read("big", &big).ok());
  CHECK(s.ReadChoice("mode", {"svd", "walk"}, &mode).ok());
  CHECK_FALSE(flag);
  CHECK(absent_flag);
  CHECK(name == "HNSW32");
  CHECK(rate == 0.5);
  CHECK(absent_rate == 0.25);
  CHECK(count == 12);
  CHECK(absent_count == 7);
  CHECK(big == 5000000000ull);
  CHECK(mode == "walk");
  CHECK(s.RejectUnknownKeys().ok());
}

TEST_CASE("OptionsReader refuses a document that is not a JSON object", "[common]") {
  auto malformed = OptionsReader::Parse(R"({"s": )", "m.json");
  REQUIRE_FALSE(malformed.ok());
  CHECK(malformed.status().IsInvalidArgument());
  CHECK(malformed.status().message().find("m.json: malformed JSON: ") == 0);
  CHECK(OptionsReader::Parse("[1, 2]", "m.json").status().message() ==
        "m.json: expected a JSON object at the top level");
  CHECK(OptionsReader::Parse("", "m.json").status().message().find("m.json: malformed JSON") == 0);
}

TEST_CASE("OptionsReader refuses a section that is not an object, naming its path", "[common]") {
  OptionsReader doc = ParseOk(R"({"s": [1], "t": {"u": 3}})");
  auto s = doc.Section("s");
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().message() == "m.json: s: expected an object, got [1]");
  auto t = doc.Section("t");
  REQUIRE(t.ok());
  REQUIRE(t->has_value());
  auto u = (*t)->Section("u");
  REQUIRE_FALSE(u.ok());
  CHECK(u.status().message() == "m.json: t.u: expected an object, got 3");
  auto absent = doc.Section("absent");
  REQUIRE(absent.ok());
  CHECK_FALSE(absent->has_value());
}

TEST_CASE("OptionsReader refuses values of the wrong type, naming the field path", "[common]") {
  OptionsReader s = SectionOf(
      R"({"s": {"flag": 1, "name": 5, "rate": "0.5", "count": -1, "frac": 2.5, "text": "7",
                "huge": 4294967296, "mode": 3, "other_mode": "pca"}})");
  bool flag = true;
  std::string name = "kept", mode = "svd";
  double rate = 0.25;
  std::uint32_t count = 9;
  std::uint64_t big = 1;
  CHECK(s.Read("flag", &flag).message() == "m.json: s.flag: expected true or false, got 1");
  CHECK(s.Read("name", &name).message() == "m.json: s.name: expected a string, got 5");
  CHECK(s.Read("rate", &rate).message() == "m.json: s.rate: expected a number, got \"0.5\"");
  CHECK(s.Read("count", &count).message() ==
        "m.json: s.count: expected a non-negative integer below 4294967295, got -1");
  CHECK(s.Read("frac", &count).message() ==
        "m.json: s.frac: expected a non-negative integer below 4294967295, got 2.5");
  CHECK(s.Read("text", &big).message() ==
        "m.json: s.text: expected a non-negative integer below 18446744073709551615, got \"7\"");
  CHECK(s.Read("huge", &count).message() ==
        "m.json: s.huge: expected a non-negative integer below 4294967295, got 4294967296");
  CHECK(s.ReadChoice("mode", {"svd", "walk"}, &mode).message() ==
        "m.json: s.mode: expected \"svd\" or \"walk\", got 3");
  CHECK(s.ReadChoice("other_mode", {"a", "b", "c"}, &mode).message() ==
        "m.json: s.other_mode: expected \"a\", \"b\" or \"c\", got \"pca\"");
  // A refused value leaves the field as it was.
  CHECK(flag);
  CHECK(name == "kept");
  CHECK(rate == 0.25);
  CHECK(count == 9);
  CHECK(big == 1);
  CHECK(mode == "svd");
  CHECK(s.Read("flag", &flag).IsInvalidArgument());
}

TEST_CASE("OptionsReader refuses numbers out of range, naming the range", "[common]") {
  OptionsReader s = SectionOf(
      R"({"s": {"zero": 0, "window": 1001, "share": 0, "one": 1.0, "min_count": 0,
                "big": 2000000000000, "fine": 1000}})");
  std::uint32_t window = 5, min_count = 1, fine = 0;
  double share = 0.5, one = 0.5;
  std::uint64_t big = 0;
  CHECK(s.Read("zero", &window, {1, 1000}).message() ==
        "m.json: s.zero: 0 is out of range [1, 1000]");
  CHECK(s.Read("window", &window, {1, 1000}).message() ==
        "m.json: s.window: 1001 is out of range [1, 1000]");
  CHECK(s.Read("share", &share, {0, 1, true, false}).message() ==
        "m.json: s.share: 0 is out of range (0, 1]");
  CHECK(s.Read("one", &one, {0, 1, false, true}).message() ==
        "m.json: s.one: 1 is out of range [0, 1)");
  CHECK(s.Read("min_count", &min_count, {1, kInf}).message() ==
        "m.json: s.min_count: 0 is out of range [1, inf)");
  CHECK(s.Read("big", &big, {0, 1e12}).message() ==
        "m.json: s.big: 2000000000000 is out of range [0, 1000000000000]");
  CHECK(window == 5);
  CHECK(share == 0.5);
  CHECK(s.Read("fine", &fine, {1, 1000}).ok());
  CHECK(fine == 1000);  // the closed end is allowed
}

TEST_CASE("OptionsReader refuses unknown keys, listing the known ones", "[common]") {
  OptionsReader s = SectionOf(R"({"s": {"window": 3, "windw": 4, "zzz": 5}})");
  std::uint32_t window = 0;
  CHECK(s.Read("window", &window).ok());
  CHECK(s.Read("dim", &window).ok());  // absent: still a known key
  s.Allow({"sgns"});
  CHECK(s.RejectUnknownKeys().message() ==
        "m.json: s.windw: unknown key (known: window, dim, sgns)");
  // At the top level the path is the key alone.
  OptionsReader doc = ParseOk(R"({"embed": {}, "vendors": 1})");
  doc.Allow({"embed", "index"});
  CHECK(doc.RejectUnknownKeys().message() == "m.json: vendors: unknown key (known: embed, index)");
  CHECK(doc.Error("model", "a rule across fields").message() ==
        "m.json: model: a rule across fields");
}

TEST_CASE("OptionRange and FormatOptionNumber write what the messages show", "[common]") {
  CHECK(FormatOptionNumber(12) == "12");
  CHECK(FormatOptionNumber(0.025) == "0.025");
  CHECK(FormatOptionNumber(1e-4) == "0.0001");
  CHECK(FormatOptionNumber(1.0001) == "1.0001");
  CHECK(FormatOptionNumber(kInf) == "inf");
  CHECK(FormatOptionNumber(-kInf) == "-inf");
  CHECK(FormatOptionNumber(1e20) == "1e+20");
  CHECK(OptionRange{64, double(1u << 24)}.ToString() == "[64, 16777216]");
  CHECK(OptionRange{0, kInf, true, false}.ToString() == "(0, inf)");
  const OptionRange positive{0, kInf, true, false};
  CHECK_FALSE(positive.Contains(0));
  CHECK(positive.Contains(1e300));
  CHECK(positive.Contains(kInf));
  CHECK_FALSE(positive.Contains(std::numeric_limits<double>::quiet_NaN()));
  CHECK_FALSE(OptionRange{0, 1}.Contains(kInf));
  CHECK(OptionRange{0, 1}.Contains(1));
  CHECK_FALSE(OptionRange{0, 1, false, true}.Contains(1));
}
