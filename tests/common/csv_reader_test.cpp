#include <catch2/catch.hpp>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>

#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "partnergraph/common/csv_reader.hpp"
#include "test_paths.hpp"

using namespace partnergraph;

namespace {

// A record copied out of the callback, so that it can be compared later.
struct Rec {
  std::size_t line = 0;
  std::vector<std::string> fields;
  std::string error;
  std::string raw;
  bool operator==(const Rec&) const = default;
};

std::vector<Rec> Collect(const CsvReader& reader) {
  std::vector<Rec> out;
  reader.ForEach([&](const CsvRecord& r) {
    out.push_back({r.line, {r.fields.begin(), r.fields.end()}, std::string(r.error),
                   std::string(r.raw)});
  });
  return out;
}

CsvReader Read(std::string text, CsvOptions options = {}) {
  auto reader = CsvReader::FromString(std::move(text), "test.csv", options);
  REQUIRE(reader.ok());
  return std::move(reader).value();
}

// Compresses `text` as one gzip member.
std::string Gzip(std::string_view text) {
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                       Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&zs, text.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

using Fields = std::vector<std::string>;

}  // namespace

namespace Catch {
template <>
struct StringMaker<Rec> {
  static std::string convert(const Rec& r) {
    std::string out = "{line " + std::to_string(r.line) + ", fields [";
    for (const auto& f : r.fields) out += "<" + f + ">";
    return out + "], error <" + r.error + ">, raw <" + r.raw + ">}";
  }
};
}  // namespace Catch

TEST_CASE("CsvReader splits a simple file and finds columns by name", "[common][csv]") {
  CsvReader reader = Read("id,name,price\na,Alpha,1.5\nb,Beta,2\n");
  CHECK(reader.header() == Fields{"id", "name", "price"});
  CHECK(reader.Column("price") == 2u);
  CHECK(reader.Column("Price") == std::nullopt);
  CHECK(reader.display_name() == "test.csv");
  auto recs = Collect(reader);
  REQUIRE(recs.size() == 2);
  CHECK(recs[0] == Rec{2, {"a", "Alpha", "1.5"}, "", "a,Alpha,1.5"});
  CHECK(recs[1] == Rec{3, {"b", "Beta", "2"}, "", "b,Beta,2"});
}

TEST_CASE("CsvReader skips a BOM and tolerates CRLF and a missing final newline",
          "[common][csv]") {
  CsvReader reader = Read("\xEF\xBB\xBFid,name\r\na,x\r\nb,\r\nc,z");
  CHECK(reader.header() == Fields{"id", "name"});
  auto recs = Collect(reader);
  REQUIRE(recs.size() == 3);
  CHECK(recs[0] == Rec{2, {"a", "x"}, "", "a,x"});
  CHECK(recs[1] == Rec{3, {"b", ""}, "", "b,"});
  CHECK(recs[2] == Rec{4, {"c", "z"}, "", "c,z"});
}

TEST_CASE("CsvReader unquotes RFC 4180 fields and keeps line numbers", "[common][csv]") {
  const std::string text =
      "id,text,n\r\n"
      "1,\"a, b\",x\r\n"
      "2,\"say \"\"hi\"\"\",y\r\n"
      "3,\"two\r\nlines\nthree\",z\r\n"
      "4,\"\",\"\"\r\n"
      "5,plain,\"last\"";
  CsvReader reader = Read(text);
  auto recs = Collect(reader);
  REQUIRE(recs.size() == 5);
  CHECK(recs[0] == Rec{2, {"1", "a, b", "x"}, "", "1,\"a, b\",x"});
  CHECK(recs[1] == Rec{3, {"2", "say \"hi\"", "y"}, "", "2,\"say \"\"hi\"\"\",y"});
  CHECK(recs[2] == Rec{4, {"3", "two\r\nlines\nthree", "z"}, "", "3,\"two\r\nlines\nthree\",z"});
  CHECK(recs[3] == Rec{7, {"4", "", ""}, "", "4,\"\",\"\""});
  CHECK(recs[4] == Rec{8, {"5", "plain", "last"}, "", "5,plain,\"last\""});
}

TEST_CASE("CsvReader skips blank lines but counts them", "[common][csv]") {
  CsvReader reader = Read("\n\r\nid,v\n\na,1\r\n\r\n\nb,2\n\n");
  CHECK(reader.header() == Fields{"id", "v"});
  auto recs = Collect(reader);
  REQUIRE(recs.size() == 2);
  CHECK(recs[0].line == 5);
  CHECK(recs[1].line == 8);
}

TEST_CASE("CsvReader hands malformed records out with an error", "[common][csv]") {
  SECTION("wrong field count, both ways") {
    auto recs = Collect(Read("a,b,c\n1,2\n1,2,3,4\n1,2,3\n"));
    REQUIRE(recs.size() == 3);
    CHECK(recs[0].error == "expected 3 fields, found 2");
    CHECK(recs[0].fields == Fields{"1", "2"});
    CHECK(recs[0].raw == "1,2");
    CHECK(recs[1].error == "expected 3 fields, found 4");
    CHECK(recs[2].error.empty());
  }
  SECTION("quote inside an unquoted field") {
    auto recs = Collect(Read("a,b\nx,5\" screen\ny,z\n"));
    REQUIRE(recs.size() == 2);
    CHECK(recs[0].line == 2);
    CHECK(recs[0].error == "quote inside an unquoted field");
    CHECK(recs[0].fields == Fields{"x", "5\" screen"});
    CHECK(recs[0].raw == "x,5\" screen");
    CHECK(recs[1] == Rec{3, {"y", "z"}, "", "y,z"});
  }
  SECTION("text after a closing quote") {
    auto recs = Collect(Read("a,b\n\"x\"y,1\nz,2\n"));
    REQUIRE(recs.size() == 2);
    CHECK(recs[0].error == "unexpected text after a closing quote");
    CHECK(recs[0].raw == "\"x\"y,1");
    CHECK(recs[1] == Rec{3, {"z", "2"}, "", "z,2"});
  }
  SECTION("unterminated quote runs to the end of the file") {
    auto recs = Collect(Read("a,b\n1,ok\n2,\"open\n3,lost\n4,lost\n"));
    REQUIRE(recs.size() == 2);
    CHECK(recs[0] == Rec{2, {"1", "ok"}, "", "1,ok"});
    CHECK(recs[1].line == 3);
    CHECK(recs[1].error == "unterminated quoted field (it runs to the end of the file)");
    CHECK(recs[1].raw == "2,\"open\n3,lost\n4,lost");
  }
}

TEST_CASE("CsvReader rejects an empty file, a bad header, a duplicate column", "[common][csv]") {
  auto empty = CsvReader::FromString("", "orders.csv");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.status().IsInvalidArgument());
  CHECK(empty.status().message() == "orders.csv: file is empty (no header row)");

  auto blank = CsvReader::FromString("\xEF\xBB\xBF\r\n\n", "orders.csv");
  REQUIRE_FALSE(blank.ok());
  CHECK(blank.status().message() == "orders.csv: file is empty (no header row)");

  auto bad = CsvReader::FromString("\nid,\"name\n", "orders.csv");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() ==
        "orders.csv:2: malformed header: unterminated quoted field (it runs to the end of the "
        "file)");

  auto dup = CsvReader::FromString("id,price,price\n", "orders.csv");
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.status().message() == "orders.csv:1: header names column \"price\" twice");
}

TEST_CASE("CsvReader: a header-only file has no chunks", "[common][csv]") {
  CsvReader reader = Read("id,name\n");
  CHECK(reader.chunk_count() == 0);
  CHECK(Collect(reader).empty());
  CsvReader no_newline = Read("id,name");
  CHECK(no_newline.header() == Fields{"id", "name"});
  CHECK(no_newline.chunk_count() == 0);
}

TEST_CASE("CsvReader: other delimiter, no header", "[common][csv]") {
  CsvOptions options;
  options.delimiter = ';';
  options.has_header = false;
  auto recs = Collect(Read("a;b;\"c;d\"\ne\n", options));
  REQUIRE(recs.size() == 2);
  CHECK(recs[0] == Rec{1, {"a", "b", "c;d"}, "", "a;b;\"c;d\""});
  CHECK(recs[1] == Rec{2, {"e"}, "", "e"});
}

TEST_CASE("CsvReader reads gzip by content, whatever the name", "[common][csv]") {
  const std::string text = "id,v\na,\"1\n2\"\nb,3\n";
  const auto dir = testing::FreshTempDir("csv_reader_gzip");
  {
    std::ofstream out(dir / "data.csv", std::ios::binary);
    out << Gzip(text);
  }
  auto from_file = CsvReader::Open(dir / "data.csv");
  REQUIRE(from_file.ok());
  CHECK(from_file->display_name() == "data.csv");
  auto plain = Read(text);
  CHECK(Collect(*from_file) == Collect(plain));

  SECTION("several concatenated members") {
    auto two = Read(Gzip("id,v\na,1\n") + Gzip("b,2\n"));
    auto recs = Collect(two);
    REQUIRE(recs.size() == 2);
    CHECK(recs[1] == Rec{3, {"b", "2"}, "", "b,2"});
  }
  SECTION("truncated") {
    std::string gz = Gzip(text);
    gz.resize(gz.size() - 10);
    auto r = CsvReader::FromString(gz, "orders.csv.gz");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().IsIOError());
    CHECK(r.status().message() == "orders.csv.gz: truncated gzip data");
  }
  SECTION("corrupt") {
    std::string gz = Gzip(text);
    for (std::size_t i = 10; i < gz.size() - 8; ++i) gz[i] = static_cast<char>(0xff);
    auto r = CsvReader::FromString(gz, "orders.csv.gz");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().IsIOError());
    CHECK(r.status().message().rfind("orders.csv.gz: corrupt gzip data", 0) == 0);
  }
}

TEST_CASE("CsvReader inflates a .csv.gz that expands past 100 MB", "[common][csv]") {
  // Before, a gzip whose text outgrew about 8 MB failed with a false "out of memory": the
  // buffer's huge-page advice split its mapping, and mremap cannot grow a split mapping.
  std::string text = "id,v\n";
  const std::string row = "a_fairly_long_identifier_to_fill_the_buffer_quickly,123456789\n";
  const std::size_t rows = (110u << 20) / row.size();
  text.reserve(text.size() + rows * row.size());
  for (std::size_t i = 0; i < rows; ++i) text += row;
  const auto dir = testing::FreshTempDir("csv_reader_big_gzip");
  {
    std::ofstream out(dir / "orders.csv.gz", std::ios::binary);
    out << Gzip(text);
  }
  const std::size_t expanded = text.size();
  text = {};
  auto reader = CsvReader::Open(dir / "orders.csv.gz");
  INFO((reader.ok() ? std::string("ok") : reader.status().ToString()));
  REQUIRE(reader.ok());
  CHECK(reader->text_bytes() == expanded);
  std::size_t records = 0, errors = 0;
  reader->ForEach([&](const CsvRecord& r) {
    ++records;
    errors += !r.error.empty();
  });
  CHECK(records == rows);
  CHECK(errors == 0);
}

TEST_CASE("CsvReader::Open reports a missing file", "[common][csv]") {
  auto r = CsvReader::Open(testing::FreshTempDir("csv_reader_missing") / "nope.csv");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsIOError());
  CHECK(r.status().message().find("nope.csv: No such file or directory") != std::string::npos);
}

TEST_CASE("CsvReader chunks give the same records as one pass, in parallel too",
          "[common][csv]") {
  // Random text with every awkward case: quoted delimiters and newlines, doubled
  // quotes, CRLF, blank lines, stray quotes, text after a closing quote, and
  // field counts that differ from the header.
  std::mt19937 rng(7);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  std::string text = "k,a,b\r\n";
  for (int i = 0; i < 3000; ++i) {
    const int fields = pick(20) == 0 ? 2 + pick(3) : 3;
    for (int f = 0; f < fields; ++f) {
      if (f > 0) text += ',';
      switch (pick(9)) {
        case 0: text += "\"q,\n\"\"x\"\"\r\ny\""; break;
        case 1: text += "\"\""; break;
        case 2: text += "\"plain\""; break;
        case 3: if (pick(30) == 0) text += "bad\"quote"; else text += "v"; break;
        case 4: if (pick(30) == 0) text += "\"x\"tail"; else text += "w"; break;
        default: text += std::to_string(i * 10 + f); break;
      }
    }
    text += pick(2) == 0 ? "\r\n" : "\n";
    if (pick(25) == 0) text += "\n";
  }
  CsvOptions one_chunk;
  one_chunk.chunk_bytes = text.size() * 2;
  const CsvReader whole = Read(text, one_chunk);
  REQUIRE(whole.chunk_count() == 1);
  const std::vector<Rec> expected = Collect(whole);
  REQUIRE(expected.size() == 3000);

  for (std::size_t chunk_bytes : {1, 2, 3, 5, 17, 64, 333, 4096, 50000}) {
    INFO("chunk_bytes " << chunk_bytes);
    CsvOptions options;
    options.chunk_bytes = chunk_bytes;
    const CsvReader reader = Read(text, options);
    CHECK(reader.chunk_count() > 1);
    CHECK(Collect(reader) == expected);

    // Two threads parse alternate chunks at the same time.
    std::vector<std::vector<Rec>> per_chunk(reader.chunk_count());
    auto work = [&](std::size_t first) {
      for (std::size_t c = first; c < reader.chunk_count(); c += 2) {
        reader.ForEachInChunk(c, [&](const CsvRecord& r) {
          per_chunk[c].push_back({r.line, {r.fields.begin(), r.fields.end()},
                                  std::string(r.error), std::string(r.raw)});
        });
      }
    };
    std::thread t0(work, 0);
    std::thread t1(work, 1);
    t0.join();
    t1.join();
    std::vector<Rec> joined;
    for (auto& recs : per_chunk) joined.insert(joined.end(), recs.begin(), recs.end());
    CHECK(joined == expected);
  }
}

TEST_CASE("CsvReader maps a plain file, released chunks read back the same bytes",
          "[common][csv]") {
  // ~6 MB with quoted newlines, so there are many chunks and many pages.
  std::string text = "id,note,n\n";
  for (int i = 0; i < 120000; ++i) {
    text += "r" + std::to_string(i) + ",\"multi\nline " + std::to_string(i * 7) + "\"," +
            std::to_string(i % 97) + "\n";
  }
  const auto dir = testing::FreshTempDir("csv_reader_mapped");
  {
    std::ofstream out(dir / "big.csv", std::ios::binary);
    out << text;
  }
  CsvOptions options;
  options.chunk_bytes = 64 * 1024;
  auto mapped = CsvReader::Open(dir / "big.csv", options);
  REQUIRE(mapped.ok());
  CHECK(mapped->chunk_count() > 50);
  const auto expected = Collect(Read(text, options));
  REQUIRE(expected.size() == 120000);
  // ForEach releases every chunk after reading it; a second pass must still see
  // every byte, and so must a chunk read after an explicit release.
  CHECK(Collect(*mapped) == expected);
  CHECK(Collect(*mapped) == expected);
  std::vector<std::string> first_chunk;
  mapped->ForEachInChunk(0, [&](const CsvRecord& r) { first_chunk.emplace_back(r.raw); });
  mapped->ReleaseChunk(0);
  std::size_t i = 0;
  mapped->ForEachInChunk(0, [&](const CsvRecord& r) {
    REQUIRE(i < first_chunk.size());
    CHECK(r.raw == first_chunk[i++]);
  });
  CHECK(i == first_chunk.size());
  // Release is a no-op for text held in memory.
  auto in_memory = Read(text, options);
  in_memory.ReleaseChunk(0);
  CHECK(Collect(in_memory) == expected);
}

TEST_CASE("CsvReader rejects text that is not clean UTF-8, naming the column and the byte",
          "[common][csv]") {
  auto first_error = [](std::string text) {
    auto reader = CsvReader::FromString(std::move(text), "skus.csv");
    REQUIRE(reader.ok());
    std::vector<std::string> errors;
    reader->ForEach([&](const CsvRecord& r) { errors.emplace_back(r.error); });
    return errors;
  };
  const std::string header = "sku_id,name\n";
  // Accepted: multi-byte UTF-8, TAB, a line end (LF or CRLF) inside a quoted field.
  CHECK(first_error(header + "s1,Caf\xC3\xA9 \xF0\x9F\x8D\x9E\ttab\n") == std::vector<std::string>{""});
  CHECK(first_error(header + "s1,\"two\r\nlines\"\n") == std::vector<std::string>{""});
  struct Case {
    std::string row;
    std::string error;
  };
  for (const Case& c : std::vector<Case>{
           {"s\xFF,x\n", "column sku_id: invalid UTF-8 at byte 1 of the field"},
           {"s1,ab\xC3\n", "column name: invalid UTF-8 (a truncated sequence) at byte 2 of the field"},
           {"s1,\xC0\xAF\n", "column name: invalid UTF-8 (an overlong form or a non-character) at byte 0 of the field"},
           {"s1,\xED\xA0\x80\n", "column name: invalid UTF-8 (an overlong form or a non-character) at byte 0 of the field"},
           {std::string("s1,a\0b\n", 7), "column name: a NUL byte at byte 1 of the field"},
           {"s1,\x1B[31mred\n", "column name: a control character at byte 0 of the field"},
           {"s1,a\rb\n", "column name: a carriage return inside a field at byte 1 of the field"},
           {"s1,\xC2\x85\n", "column name: a control character at byte 0 of the field"},
           {"\xEF\xBB\xBFs1,x\n", "column sku_id: a byte-order mark (allowed only at the start of the file) at byte 0 of the field"},
           {"s1," + std::string(4097, 'n') + "\n", "column name: a field longer than the limit of 4096 bytes at byte 4096 of the field"},
       }) {
    INFO(c.row.substr(0, 40));
    CHECK(first_error(header + c.row) == std::vector<std::string>{c.error});
  }
  // A field of exactly 4096 bytes is fine; the rows around a bad one are untouched.
  CHECK(first_error(header + "s1," + std::string(4096, 'n') + "\ns\xFF,x\ns3,y\n") ==
        std::vector<std::string>{"", "column sku_id: invalid UTF-8 at byte 1 of the field", ""});
  // A BOM at the start of the file is skipped; a bad header name refuses the file.
  CHECK(first_error("\xEF\xBB\xBF" + header + "s1,x\n") == std::vector<std::string>{""});
  auto bad_header = CsvReader::FromString("sku\xFF,name\ns1,x\n", "skus.csv");
  REQUIRE_FALSE(bad_header.ok());
  CHECK(bad_header.status().message() ==
        "skus.csv:1: header column 1: invalid UTF-8 at byte 3 of the name");
}

TEST_CASE("CsvReader: a file truncated while it is read is an error, not a SIGBUS",
          "[common][csv]") {
  // Issue 19 item 4: reading a mapped page past a file's new end raised SIGBUS (exit 135).
  const auto dir = testing::FreshTempDir("csv_reader_truncated");
  const auto path = dir / "orders.csv";
  {
    std::ofstream out(path, std::ios::binary);
    out << "id,v\n";
    for (int i = 0; i < 400000; ++i) out << "row" << i << ",12345678901234567890\n";
  }
  auto reader = CsvReader::Open(path);
  REQUIRE(reader.ok());
  CHECK(reader->CheckUnchanged().ok());
  // Truncate to 1 KiB while the reader holds the mapping, then read everything.
  std::filesystem::resize_file(path, 1024);
  std::size_t records = 0, errors = 0;
  reader->ForEach([&](const CsvRecord& r) {
    ++records;
    errors += !r.error.empty();
  });
  CHECK(records > 0);
  const Status status = reader->CheckUnchanged();
  REQUIRE(status.IsIOError());
  CHECK(status.message().rfind("orders.csv: the file shrank while it was being read", 0) == 0);

  // A file rewritten in place (same size, new modification time) is reported as changed.
  {
    std::ofstream out(path, std::ios::binary);
    out << "id,v\na,1\n";
  }
  auto again = CsvReader::Open(path);
  REQUIRE(again.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  {
    std::ofstream out(path, std::ios::binary);
    out << "id,v\nb,2\n";
  }
  const Status changed = again->CheckUnchanged();
  REQUIRE(changed.IsIOError());
  CHECK(changed.message().find("changed while it was being read") != std::string::npos);
}

TEST_CASE("CsvReader: a SIGBUS outside a reader's mapping still ends the process",
          "[common][csv]") {
  // The guard must not swallow faults it does not own: a child touches a truncated mapping of
  // its own making and must die of SIGBUS.
  const auto dir = testing::FreshTempDir("csv_reader_foreign_sigbus");
  auto reader = CsvReader::FromString("id\na\n", "x.csv");  // installs nothing; Open does
  REQUIRE(reader.ok());
  {
    std::ofstream out(dir / "seed.csv");
    out << "id\na\n";
  }
  REQUIRE(CsvReader::Open(dir / "seed.csv").ok());  // the handler is installed now
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const auto file = dir / "foreign.bin";
    int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, 1 << 16) != 0) _exit(3);
    auto* p = static_cast<volatile char*>(mmap(nullptr, 1 << 16, PROT_READ, MAP_SHARED, fd, 0));
    if (p == MAP_FAILED || ftruncate(fd, 0) != 0) _exit(4);
    const char c = p[1 << 15];  // SIGBUS
    _exit(c == 0 ? 5 : 6);
  }
  int wstatus = 0;
  REQUIRE(waitpid(child, &wstatus, 0) == child);
#if defined(__SANITIZE_ADDRESS__)
  // Under AddressSanitizer the guard hands the fault to ASan's own SIGBUS handler, which reports
  // it and exits with ASan's exit code (1) instead of dying of the signal: still the end of the
  // process, never the _exit codes the child reaches when the fault is swallowed.
  CHECK(WIFEXITED(wstatus));
  CHECK(WEXITSTATUS(wstatus) == 1);
#else
  CHECK(WIFSIGNALED(wstatus));
  CHECK(WTERMSIG(wstatus) == SIGBUS);
#endif
}
