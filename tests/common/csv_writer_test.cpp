#include "partnergraph/common/csv_writer.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "partnergraph/common/csv_reader.hpp"
#include "test_paths.hpp"

namespace pg = partnergraph;
namespace fs = std::filesystem;

namespace {
std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

TEST_CASE("csv_writer: quotes a field only when it needs to", "[common]") {
  auto field = [](std::string_view s, char delim = ',') {
    std::string out;
    pg::AppendCsvField(out, s, delim);
    return out;
  };
  CHECK(field("plain") == "plain");
  CHECK(field("") == "");
  CHECK(field("a,b") == "\"a,b\"");
  CHECK(field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(field("two\nlines") == "\"two\nlines\"");
  CHECK(field("cr\rhere") == "\"cr\rhere\"");
  CHECK(field(" lead") == "\" lead\"");
  CHECK(field("trail ") == "\"trail \"");
  CHECK(field("in side") == "in side");
  CHECK(field("a;b", ';') == "\"a;b\"");
  CHECK(field("a,b", ';') == "a,b");
}

TEST_CASE("csv_writer: ISO-8601 timestamps", "[common]") {
  CHECK(pg::FormatIsoTimestamp(0) == "1970-01-01T00:00:00Z");
  CHECK(pg::FormatIsoTimestamp(1767225599) == "2025-12-31T23:59:59Z");
  CHECK(pg::FormatIsoTimestamp(951782400) == "2000-02-29T00:00:00Z");
  CHECK(pg::FormatIsoTimestamp(-1) == "1969-12-31T23:59:59Z");
}

TEST_CASE("csv_writer: formatter numbers and rows", "[common]") {
  pg::CsvFormatter f;
  f.Add("id").Add(std::int64_t{-3}).Add(std::uint64_t{42}).AddFixed(12.5, 2).AddEmpty().Add(
      0.1);
  f.EndRow();
  f.AddRow({"x", "y,z"});
  CHECK(f.text() == "id,-3,42,12.50,,0.1\nx,\"y,z\"\n");
  pg::CsvFormatter crlf(';', true);
  crlf.Add("a").Add("b");
  crlf.EndRow();
  CHECK(crlf.text() == "a;b\r\n");
}

TEST_CASE("csv_writer: writes to .tmp and renames on Commit", "[common]") {
  auto dir = pg::testing::FreshTempDir("csv_writer_commit");
  fs::path path = dir / "out.csv";
  pg::CsvWriterOptions options;
  options.buffer_bytes = 16;  // forces several flushes
  auto w = pg::CsvWriter::Create(path, options);
  REQUIRE(w.ok());
  REQUIRE(w->WriteRow({"id", "name"}).ok());
  for (int i = 0; i < 50; ++i) {
    w->row().Add(i).Add("name, with comma");
    REQUIRE(w->EndRow().ok());
  }
  REQUIRE(w->AppendFormatted("x,y\nz,w\n").ok());
  CHECK(w->rows() == 53);
  CHECK_FALSE(fs::exists(path));
  CHECK(fs::exists(dir / "out.csv.tmp"));
  REQUIRE(w->Commit().ok());
  CHECK(fs::exists(path));
  CHECK_FALSE(fs::exists(dir / "out.csv.tmp"));
  CHECK(static_cast<std::uint64_t>(fs::file_size(path)) == w->bytes());

  // Round trip through the reader.
  auto r = pg::CsvReader::Open(path);
  REQUIRE(r.ok());
  std::size_t rows = 0;
  r->ForEach([&](const pg::CsvRecord& rec) {
    REQUIRE(rec.error.empty());
    if (rows < 50) {
      CHECK(rec.fields[0] == std::to_string(rows));
      CHECK(rec.fields[1] == "name, with comma");
    }
    ++rows;
  });
  CHECK(rows == 52);

  // No rows after Commit.
  w->row().Add("late");
  CHECK(w->EndRow().IsIOError());
  CHECK(w->Commit().IsIOError());
}

TEST_CASE("csv_writer: an abandoned writer leaves the real file untouched", "[common]") {
  auto dir = pg::testing::FreshTempDir("csv_writer_abandon");
  fs::path path = dir / "keep.csv";
  std::ofstream(path) << "old\n";
  {
    auto w = pg::CsvWriter::Create(path);
    REQUIRE(w.ok());
    REQUIRE(w->WriteRow({"new"}).ok());
    // Destroyed without Commit(), as after an error or a crash of the caller.
  }
  CHECK(ReadFile(path) == "old\n");
  CHECK_FALSE(fs::exists(dir / "keep.csv.tmp"));
}

TEST_CASE("csv_writer: errors name the file", "[common]") {
  auto dir = pg::testing::FreshTempDir("csv_writer_errors");
  auto missing = pg::CsvWriter::Create(dir / "no_such_dir" / "x.csv");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().IsIOError());
  CHECK(missing.status().message().find("x.csv") != std::string::npos);

  auto w = pg::CsvWriter::Create(dir / "partial.csv");
  REQUIRE(w.ok());
  CHECK(w->AppendFormatted("no line end").IsIOError());
  // The error sticks and Commit() refuses, removing the temporary file.
  CHECK(w->WriteRow({"a"}).IsIOError());
  pg::Status s = w->Commit();
  CHECK(s.IsIOError());
  CHECK(s.message().find("partial.csv") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "partial.csv"));
  CHECK_FALSE(fs::exists(dir / "partial.csv.tmp"));
}
