// CsvReader: reads one delimited text file (RFC 4180) into memory and hands
// out its records, sequentially or in parallel chunks.
//
// Accepts plain files and gzip files (by content, whatever the name; several
// concatenated gzip members are read as one text), a UTF-8 byte-order mark at
// the start (skipped), LF or CRLF line ends, quoted fields with doubled quotes
// ("a ""b""") and with embedded delimiters and newlines. The first record is
// the header when CsvOptions::has_header. Lines that are entirely empty (""
// or "\r") carry no data and are skipped; they still count for line numbers.
//
// Quoting rule: a quote opens a quoted field only as the first character of a
// field; it is closed by a quote that is not doubled. A record ends at a line
// end outside any quoted field. Everything else is malformed but still split
// deterministically, the same way in every chunk.
//
// A record that cannot be split cleanly (an unterminated quote, a quote inside
// an unquoted field, text after a closing quote, a field count different from
// the header's) or whose text is not acceptable (a field that is not valid
// UTF-8, holds a NUL, a control character other than TAB or a line end inside
// a quoted field, a byte-order mark, or is longer than 4096 bytes: the error
// names the column and the byte offset in the field) is still handed out, with
// CsvRecord::error set, so that the caller reports it (file:line) and decides;
// no record is skipped silently. The header's names follow the same text rules
// (InvalidArgument).
// An unterminated quote makes its record run to the end of the file.
//
// Ownership: the reader owns the file's text. The string_views of a CsvRecord
// (fields, raw) point into that text and stay valid until the reader is
// destroyed (moving the reader keeps them valid), except two that are valid
// only during the callback:
// a quoted field that contained doubled quotes (it is unescaped into scratch
// memory) and `error`.
// Thread safety: the reader is immutable after Open()/FromString(); ForEach and
// ForEachInChunk may run concurrently from several threads, on any chunks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
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
  // The first record names the columns; data records must have as many fields.
  bool has_header = true;
  // Target size of a parallel chunk in bytes (chunks end on record boundaries, so a
  // chunk is at least one record long). Must be >= 1.
  std::size_t chunk_bytes = 4u << 20;
};

struct CsvRecord {
  // 1-based physical line number where the record starts (the header is line 1).
  std::size_t line = 0;
  // The record's fields, unquoted and unescaped.
  std::span<const std::string_view> fields;
  // Non-empty when the record is malformed (e.g. "unterminated quoted field",
  // "expected 7 fields, found 8"); the fields are then split as well as possible.
  std::string_view error;
  // The raw text of the record (without its final line end), for rejected-row reports.
  std::string_view raw;
};

class CsvReader {
 public:
  // Opens `path` (plain: memory-mapped; gzip: inflated into memory) and parses
  // the header.
  // Errors: IOError when the file cannot be read or decompressed; InvalidArgument
  // when the file is empty (no header), the header is malformed or names a column
  // twice. Messages start with the file name.
  static Result<CsvReader> Open(const std::filesystem::path& path, CsvOptions options = {});
  // Parses `text` (plain or gzip bytes) as if it were a file named `display_name`
  // (for tests and adapters). Same errors as Open().
  static Result<CsvReader> FromString(std::string text, std::string display_name,
                                      CsvOptions options = {});

  CsvReader(CsvReader&&) noexcept = default;
  CsvReader& operator=(CsvReader&&) noexcept = default;

  // The file name used in messages ("orders.csv").
  const std::string& display_name() const { return display_name_; }
  // Column names in file order (empty without has_header).
  const std::vector<std::string>& header() const { return header_; }
  // Index of the column named `name` (exact, case-sensitive) in the header, or nullopt.
  std::optional<std::size_t> Column(std::string_view name) const;
  // Size in bytes of the (decompressed) text.
  std::size_t text_bytes() const { return text_.size(); }

  // Number of chunks the data records are split into (0 when there is no data
  // after the header; a chunk may hold only blank lines).
  std::size_t chunk_count() const { return chunks_.size(); }
  // An upper bound of the number of records in chunk `chunk` (its line count).
  std::size_t chunk_max_records(std::size_t chunk) const { return chunks_[chunk].newlines + 1; }
  // Calls fn for every record of chunk `chunk` (< chunk_count()), in file order.
  void ForEachInChunk(std::size_t chunk, const std::function<void(const CsvRecord&)>& fn) const;
  // Calls fn for every data record in file order (one thread), releasing each
  // chunk after it (see ReleaseChunk).
  void ForEach(const std::function<void(const CsvRecord&)>& fn) const;
  // OK when the file read is the file opened: IOError naming it when it shrank under
  // the reader's mapping (the bytes past its new end were read as zeros: see
  // mapped_file.hpp) or its size or modification time differ now from when it was
  // opened. Call it after the records were used, and drop what they gave on error.
  // OK for text given as a string. Thread-safe.
  Status CheckUnchanged() const;
  // Says that chunk `chunk` will not be read again soon. For a plain file (read
  // through a memory mapping) its pages leave the process's resident set; views
  // into them stay valid, since a later read brings the same bytes back from
  // the file. No effect on gzip input or text given as a string. Thread-safe.
  void ReleaseChunk(std::size_t chunk) const;

 private:
  struct Chunk {
    std::size_t begin = 0;       // byte offset of the chunk's first record
    std::size_t end = 0;         // byte offset one past the chunk's last record
    std::size_t first_line = 0;  // line number at `begin`
    std::size_t newlines = 0;    // '\n' characters in [begin, end)
  };
  CsvReader() = default;
  // Takes `bytes` (plain or gzip), owned by `storage`.
  // `file_backed`: `bytes` is a read-only mapping of the file itself, whose pages
  // ReleaseRange may drop.
  static Result<CsvReader> FromStorage(std::shared_ptr<const void> storage, std::string_view bytes,
                                       std::string display_name, CsvOptions options,
                                       bool file_backed);
  // Drops the whole pages of text_[begin, end) from the resident set when the
  // text is a file mapping; no effect otherwise.
  void ReleaseRange(std::size_t begin, std::size_t end) const;
  Status Init();
  void SplitIntoChunks(std::size_t data_begin, std::size_t data_first_line);

  std::string display_name_;
  CsvOptions options_;
  // Owns the bytes `text_` points to (a std::string, a file mapping or an anonymous memory
  // mapping); heap-allocated, so that moving the reader keeps views valid.
  std::shared_ptr<const void> storage_;
  std::string_view text_;
  bool file_backed_ = false;
  // Open(): the file, the mapping it was read through (if any) and its identity when opened.
  std::filesystem::path path_;
  std::shared_ptr<const class MappedFile> mapping_;
  std::int64_t opened_size_ = -1;
  std::int64_t opened_mtime_ns_ = -1;
  std::vector<std::string> header_;
  std::vector<Chunk> chunks_;
};

}  // namespace partnergraph
