// The CSV reader's fuzz checks, shared by csv_reader_fuzz.cpp and gzip_fuzz.cpp.
//
// Besides "no crash, no leak, no hang", two properties csv_reader.hpp promises are checked, and
// a violation aborts (a finding):
//   - chunking changes nothing: every record (line, fields, error, raw text) read chunk by chunk
//     with a chunk size of 1..16 bytes equals the one read through ForEach with one chunk;
//   - chunk_max_records(c) bounds the records ForEachInChunk(c) hands out (callers size
//     their per-chunk arrays by it).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "partnergraph/common/csv_reader.hpp"

namespace partnergraph::fuzz {

// One record, copied out of the callback (error and unescaped fields are valid only there).
struct CopiedRecord {
  std::size_t line = 0;
  std::vector<std::string> fields;
  std::string error;
  std::string raw;
  bool operator==(const CopiedRecord&) const = default;
};

inline CopiedRecord Copy(const CsvRecord& r) {
  CopiedRecord c;
  c.line = r.line;
  c.fields.assign(r.fields.begin(), r.fields.end());
  c.error = std::string(r.error);
  c.raw = std::string(r.raw);
  return c;
}

[[noreturn]] inline void Fail(const char* what, std::size_t detail) {
  std::fprintf(stderr, "csv fuzz check failed: %s (%zu)\n", what, detail);
  std::abort();
}

// Every record of `reader` through ForEach.
inline std::vector<CopiedRecord> ReadAll(const CsvReader& reader) {
  std::vector<CopiedRecord> out;
  reader.ForEach([&out](const CsvRecord& r) { out.push_back(Copy(r)); });
  return out;
}

// Every record of `reader` chunk by chunk, checking each chunk's record bound.
inline std::vector<CopiedRecord> ReadChunked(const CsvReader& reader) {
  std::vector<CopiedRecord> out;
  for (std::size_t c = 0; c < reader.chunk_count(); ++c) {
    std::size_t records = 0;
    reader.ForEachInChunk(c, [&](const CsvRecord& r) {
      ++records;
      out.push_back(Copy(r));
    });
    if (records > reader.chunk_max_records(c)) Fail("chunk_max_records is not a bound", c);
    reader.ReleaseChunk(c);
  }
  return out;
}

// Parses `text` with `options` (chunk_bytes as given) and with `tiny_chunk` bytes per chunk,
// reads both every way and compares. Returns the records (empty when the text is refused).
inline std::vector<CopiedRecord> CheckCsv(const std::string& text, CsvOptions options,
                                          std::size_t tiny_chunk) {
  Result<CsvReader> whole = CsvReader::FromString(text, "fuzz.csv", options);
  CsvOptions chunked_options = options;
  chunked_options.chunk_bytes = tiny_chunk;
  Result<CsvReader> chunked = CsvReader::FromString(text, "fuzz.csv", chunked_options);
  if (whole.ok() != chunked.ok()) Fail("the chunk size changed whether the text opens", 0);
  if (!whole.ok()) return {};
  if (whole->header() != chunked->header()) Fail("the chunk size changed the header", 0);
  for (std::size_t i = 0; i < whole->header().size(); ++i) {
    const std::optional<std::size_t> at = whole->Column(whole->header()[i]);
    // Empty names may repeat; a non-empty one is found at its (only) position.
    if (!at || (!whole->header()[i].empty() && *at != i)) Fail("Column() misses a header name", i);
  }
  std::vector<CopiedRecord> records = ReadAll(*whole);
  if (ReadChunked(*whole) != records) Fail("ForEachInChunk differs from ForEach", 0);
  const std::vector<CopiedRecord> small = ReadChunked(*chunked);
  if (small != records) {
    std::size_t i = 0;
    while (i < small.size() && i < records.size() && small[i] == records[i]) ++i;
    Fail("records read in tiny chunks differ from one chunk; first differing record", i);
  }
  if (!whole->CheckUnchanged().ok()) Fail("CheckUnchanged fails for text given as a string", 0);
  return records;
}

// CsvOptions from a fuzzer's option byte: bit 0 the delimiter (',' or ';'), bit 1 no header,
// bits 2..5 the tiny chunk size minus one (1..16 bytes).
struct CsvFuzzOptions {
  CsvOptions options;
  std::size_t tiny_chunk = 1;
};
inline CsvFuzzOptions OptionsFromByte(std::uint8_t b) {
  CsvFuzzOptions o;
  o.options.delimiter = (b & 1) != 0 ? ';' : ',';
  o.options.has_header = (b & 2) == 0;
  o.tiny_chunk = 1 + ((b >> 2) & 0x0F);
  return o;
}

}  // namespace partnergraph::fuzz
