// CsvReader: reads one delimited text file (RFC 4180) into memory and hands
// out its records, sequentially or in parallel chunks.
//
// Accepts plain files and gzip files (by content, whatever the name), a UTF-8
// byte-order mark at the start (skipped), LF or CRLF line ends, quoted fields
// with doubled quotes ("a ""b""") and with embedded delimiters and newlines.
// The first record is the header when CsvOptions::has_header.
//
// A record that cannot be split (an unterminated quote, a stray quote inside
// an unquoted field, a field count different from the header's) is still
// handed out, with CsvRecord::error set and fields possibly empty, so that the
// caller reports it (file:line) and decides; no record is skipped silently.
//
// Ownership: the reader owns the file's text; the string_views of a CsvRecord
// stay valid until the reader is destroyed, except unescaped quoted fields,
// which are valid only during the callback.
// Thread safety: ForEach and ForEachInChunk may be called concurrently on
// distinct chunks; the reader itself is immutable after Open().
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "partnergraph/common/status.hpp"

namespace partnergraph {

struct CsvOptions {
  // Field separator: ',' for the native format, ';' for the attribution path format.
  char delimiter = ',';
  // The first record names the columns.
  bool has_header = true;
  // Target size of a parallel chunk in bytes (chunks end on record boundaries).
  std::size_t chunk_bytes = 4u << 20;
};

struct CsvRecord {
  // 1-based physical line number where the record starts (the header is line 1).
  std::size_t line = 0;
  // The record's fields, unquoted and unescaped.
  std::span<const std::string_view> fields;
  // Non-empty when the record is malformed; then `fields` may be incomplete.
  std::string_view error;
  // The raw text of the record (without its line end), for rejected-row reports.
  std::string_view raw;
};

class CsvReader {
 public:
  // Reads `path` (plain or gzip) into memory and parses the header.
  // Errors: IOError when the file cannot be read or decompressed, InvalidArgument
  // when the header is missing or malformed; both name the file.
  static Result<CsvReader> Open(const std::filesystem::path& path, CsvOptions options = {});
  // Parses `text` as if it were a file named `display_name` (for tests and adapters).
  static Result<CsvReader> FromString(std::string text, std::string display_name,
                                      CsvOptions options = {});

  CsvReader(CsvReader&&) noexcept = default;
  CsvReader& operator=(CsvReader&&) noexcept = default;

  // The file name used in messages ("orders.csv").
  const std::string& display_name() const { return display_name_; }
  const std::vector<std::string>& header() const { return header_; }
  // Index of the column named `name` in the header, or nullopt.
  std::optional<std::size_t> Column(std::string_view name) const;
  // Size in bytes of the (decompressed) text.
  std::size_t text_bytes() const { return text_.size(); }

  // Number of chunks the data records are split into (>= 1 unless the file has no data).
  std::size_t chunk_count() const { return chunks_.size(); }
  // Calls fn for every record of chunk `chunk`, in file order.
  void ForEachInChunk(std::size_t chunk, const std::function<void(const CsvRecord&)>& fn) const;
  // Calls fn for every data record in file order (one thread).
  void ForEach(const std::function<void(const CsvRecord&)>& fn) const;

 private:
  struct Chunk {
    std::size_t begin = 0;       // byte offset of the chunk's first record
    std::size_t end = 0;         // byte offset one past the chunk's last record
    std::size_t first_line = 0;  // line number of its first record
  };
  CsvReader() = default;
  Status Init();

  std::string display_name_;
  CsvOptions options_;
  std::string text_;
  std::vector<std::string> header_;
  std::vector<Chunk> chunks_;
};

}  // namespace partnergraph
