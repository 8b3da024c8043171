#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <string>

#include "attribution_test_util.hpp"
#include "partnergraph/attribution/path_file_reader.hpp"
#include "test_paths.hpp"

using namespace partnergraph;
using namespace partnergraph::testing;

namespace {

// The error message of parsing `text` (fails the test when it parses).
std::string ParseError(std::string_view text, AttributionOptions options = {}) {
  auto r = ParsePathText(text, "paths.csv", options);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsInvalidArgument());
  return r.status().message();
}

std::vector<std::string> PathNames(const JourneyTable& t, std::size_t i) {
  std::vector<std::string> out;
  for (auto k : t.path(i)) out.push_back(t.keys[k]);
  return out;
}

}  // namespace

TEST_CASE("path files: rows repeating a path are aggregated", "[attribution]") {
  auto t = ParseOrFail(
      "path;total_conversions;total_conversion_value;total_null\n"
      "a > b;1;2.5;3\n"
      "c;0;0;1\n"
      "a>b;2;1;0\n"            // the same path, other spacing
      "  a >\tb ;0;0;1\n");   // and again
  REQUIRE(t.path_count() == 2);
  CHECK(t.keys == std::vector<std::string>{"a", "b", "c"});
  CHECK(PathNames(t, 0) == std::vector<std::string>{"a", "b"});
  CHECK(t.conversions[0] == 3);
  CHECK(t.value[0] == 3.5);
  CHECK(t.nulls[0] == 4);
  CHECK(PathNames(t, 1) == std::vector<std::string>{"c"});
  CHECK(t.input_rows == 4);
  CHECK(t.ages.empty());
  CHECK_FALSE(t.has_skus());
}

TEST_CASE("path files: header optional, CRLF, no final newline, long lines", "[attribution]") {
  auto plain = ParseOrFail("x > y;1;2;3\r\ny;0;0;1");
  REQUIRE(plain.path_count() == 2);
  CHECK(plain.nulls[1] == 1);
  CHECK(plain.input_rows == 2);

  // A line much longer than a chunk, read with tiny chunks.
  std::string path = "c0";
  for (int i = 1; i < 300; ++i) path += " > c" + std::to_string(i % 7);
  AttributionOptions o;
  o.chunk_bytes = 16;
  o.chunks_per_wave = 3;
  auto t = ParseOrFail("path;total_conversions;total_conversion_value;total_null\n" + path +
                           ";1;1;1\nc1;1;0;0\n",
                       o);
  REQUIRE(t.path_count() == 2);
  CHECK(t.path(0).size() == 300);
  CHECK(t.keys.size() == 7);
}

TEST_CASE("path files: small chunks give the same table as one chunk", "[attribution]") {
  std::string text = "path;total_conversions;total_conversion_value;total_null\n";
  for (int i = 0; i < 500; ++i) {
    text += "k" + std::to_string(i % 5) + " > k" + std::to_string(i % 3) + ";" +
            std::to_string(i % 4) + ";" + (i % 4 ? std::to_string(i % 4) + ".25" : "0") + ";" + std::to_string(1 + i % 2) +
            "\n";
  }
  auto big = ParseOrFail(text);
  AttributionOptions o;
  o.chunk_bytes = 64;
  o.chunks_per_wave = 4;
  auto small = ParseOrFail(text, o);
  CHECK(small.keys == big.keys);
  CHECK(small.touches == big.touches);
  CHECK(small.offsets == big.offsets);
  CHECK(small.conversions == big.conversions);
  CHECK(small.nulls == big.nulls);
  for (std::size_t i = 0; i < big.path_count(); ++i) {
    CHECK(small.value[i] == Approx(big.value[i]).epsilon(0).margin(1e-9));
  }
}

TEST_CASE("path files: malformed rows are errors naming the line", "[attribution]") {
  const std::string head = "path;total_conversions;total_conversion_value;total_null\na;1;1;0\n";
  CHECK_THAT(ParseError(head + "a > b;1;2\n"),
             Catch::StartsWith("paths.csv:3: expected 4 fields") && Catch::Contains("found 3"));
  CHECK_THAT(ParseError(head + "a;1;2;3;4\n"), Catch::StartsWith("paths.csv:3:") &&
                                                   Catch::Contains("found 5"));
  CHECK_THAT(ParseError(head + "a;1;2;x;4\n"), Catch::Contains("found 5"));
  CHECK_THAT(ParseError(head + "a;b;1;2;3\n"), Catch::Contains("found 5"));
  CHECK_THAT(ParseError(head + "a;1;2;3\na;1;2;3;4\n"),
             Catch::StartsWith("paths.csv:4:") && Catch::Contains("found 5"));
  CHECK_THAT(ParseError(head + "a;1\n"), Catch::Contains("found 2"));
  CHECK_THAT(ParseError(head + "a\n"), Catch::Contains("found 1"));
  CHECK_THAT(ParseError(head + "a;x1;2;3\n"),
             Catch::Equals("paths.csv:3: column total_conversions: \"x1\" is not a number"));
  CHECK_THAT(ParseError(head + "a;1;2,5;3\n"),
             Catch::Equals("paths.csv:3: column total_conversion_value: \"2,5\" is not a number"));
  CHECK_THAT(ParseError(head + "a;1;2;\n"),
             Catch::Equals("paths.csv:3: column total_null: \"\" is not a number"));
  CHECK_THAT(ParseError(head + "a;1;2; 3\n"), Catch::Contains("\" 3\" is not a number"));
  CHECK_THAT(ParseError(head + "a;1;2;-3\n"),
             Catch::Equals("paths.csv:3: column total_null: \"-3\" is negative"));
  CHECK_THAT(ParseError(head + "a;1;-0.5;3\n"), Catch::Contains("is negative"));
  CHECK_THAT(ParseError(head + "a;nan;2;3\n"), Catch::Contains("not a finite number"));
  CHECK_THAT(ParseError(head + "a;1;inf;3\n"), Catch::Contains("not a finite number"));
  CHECK_THAT(ParseError(head + "a;1;1e999;3\n"), Catch::Contains("out of range"));
  CHECK_THAT(ParseError(head + ";1;2;3\n"),
             Catch::Equals("paths.csv:3: column path: empty path"));
  CHECK_THAT(ParseError(head + "  ;1;2;3\n"), Catch::Contains("empty path"));
  CHECK_THAT(ParseError(head + "a >  > b;1;2;3\n"),
             Catch::StartsWith("paths.csv:3: column path: empty channel name at touch 2"));
  CHECK_THAT(ParseError(head + "a > ;1;2;3\n"), Catch::Contains("empty channel name at touch 2"));
  CHECK_THAT(ParseError(head + "\na;1;1;1\n"), Catch::StartsWith("paths.csv:3: blank line"));
  CHECK_THAT(ParseError(head + "a;0;5;1\n"),
             Catch::StartsWith("paths.csv:3: column total_conversion_value: \"5\"") &&
                 Catch::Contains("without a conversion"));
  // Without a header the first line is line 1.
  CHECK_THAT(ParseError("a;1;1;x\n"), Catch::StartsWith("paths.csv:1:"));
}

TEST_CASE("path files: numbers read exactly as from_chars reads them", "[attribution]") {
  // The reader's fast path (digits and one '.') must give the correctly rounded
  // double, like std::from_chars; long and exponent forms take the slow path.
  for (const char* v : {"0", "1", "0.1", "2.675", "74802.972", "123456789012345",
                        "0.000000000000001", "99999.99999", "1e3", "1234567890123456789",
                        "3.14159265358979323846"}) {
    INFO(v);
    auto t = ParseOrFail(std::string("a;1;") + v + ";0\n");
    CHECK(t.value[0] == std::strtod(v, nullptr));
  }
}

TEST_CASE("path files: the first bad line is reported, also across chunks", "[attribution]") {
  std::string text = "path;total_conversions;total_conversion_value;total_null\n";
  for (int i = 0; i < 200; ++i) text += "a > b;1;1;1\n";
  text += "a > b;1;1;oops\n";  // line 202
  for (int i = 0; i < 50; ++i) text += "a;1;1;1\n";
  text += "a;;1;1\n";  // line 253: a later error
  AttributionOptions o;
  o.chunk_bytes = 100;
  o.chunks_per_wave = 2;
  for (int threads : {1, 2}) {
    o.threads = threads;
    CHECK_THAT(ParseError(text, o), Catch::StartsWith("paths.csv:202: column total_null"));
  }
}

TEST_CASE("path files: unknown channels are rejected when channels are declared",
          "[attribution]") {
  AttributionOptions o;
  o.known_channels = {"alpha", "beta"};
  CHECK(ParseOrFail("alpha > beta;1;1;0\n", o).keys.size() == 2);
  CHECK_THAT(ParseError("alpha;1;1;0\nalpha > gamma > beta;1;1;0\n", o),
             Catch::Equals("paths.csv:2: column path: unknown channel \"gamma\""));
  // Without the list any name is a channel.
  CHECK(ParseOrFail("alpha > gamma;1;1;0\n").keys.size() == 2);
}

TEST_CASE("path files: missing file is an IOError naming it", "[attribution]") {
  auto r = ReadPathFile("/nonexistent/dir/paths.csv", {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsIOError());
  CHECK_THAT(r.status().message(), Catch::Contains("/nonexistent/dir/paths.csv"));
}

TEST_CASE("path files: ReadPathFile equals ParsePathText", "[attribution]") {
  auto dir = FreshTempDir("attribution_read_path_file");
  const auto file = dir / "paths.csv";
  std::ofstream(file) << kExampleA;
  auto from_file = ReadPathFile(file, {});
  REQUIRE(from_file.ok());
  auto from_text = ParseOrFail(kExampleA);
  CHECK(from_file->keys == from_text.keys);
  CHECK(from_file->touches == from_text.touches);
  CHECK(from_file->conversions == from_text.conversions);
  CHECK(from_file->value == from_text.value);
  CHECK(from_file->nulls == from_text.nulls);
  CHECK(from_file->input_rows == 4);
}

TEST_CASE("path files: the ChannelAttribution sample aggregates to its published totals",
          "[attribution]") {
  const auto file = SharedDatasets() / "attribution" / "channelattribution_Data.csv";
  PG_REQUIRE_SHARED_DATASET(file);
  auto t = ReadPathFile(file, {});
  REQUIRE(t.ok());
  // README: 10,000 rows, 5,408 distinct paths, 12 channels, totals 19,785 /
  // 74,802.972 (rounded there; the exact decimal sum is 74,802.9715872108375) / 68,602.
  CHECK(t->input_rows == 10000);
  CHECK(t->path_count() == 5408);
  CHECK(t->keys.size() == 12);
  CHECK(t->total_conversions() == 19785);
  CHECK(t->total_value() == Approx(74802.97158721084).epsilon(0).margin(1e-6));
  CHECK(t->total_nulls() == 68602);
}
