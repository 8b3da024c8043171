// CsvWriter: writes one delimited text file (RFC 4180) through a buffer, to
// `<path>.tmp`, and renames it to `<path>` on Commit() (through an AtomicFileWriter:
// fsync before the rename, fsync of the folder after it), so that a crash or an
// error never leaves a partial file under the real name.
//
// Quoting: a field is quoted only when it needs it: when it contains the
// delimiter, a double quote, CR or LF, or starts or ends with a space or tab.
// Inside a quoted field a double quote is doubled. Records end with LF (the
// native format's readers accept LF and CRLF; CsvWriterOptions::crlf gives
// CRLF). Text is written as given (UTF-8 expected); no byte-order mark.
//
// CsvFormatter formats records into a string without any I/O, so that worker
// threads can format blocks of rows in parallel and one thread appends them,
// in order, with CsvWriter::AppendFormatted().
//
// Thread safety: neither class is synchronised; use one object per thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "partnergraph/common/atomic_file_writer.hpp"
#include "partnergraph/common/status.hpp"

namespace partnergraph {

struct CsvWriterOptions {
  // Field separator.
  char delimiter = ',';
  // End records with CRLF instead of LF.
  bool crlf = false;
  // The buffer is written to the file whenever it holds at least this many bytes.
  std::size_t buffer_bytes = 1u << 20;
};

// Appends `field` to `out`, quoted and escaped when it needs to be (see the top
// of this file).
void AppendCsvField(std::string& out, std::string_view field, char delimiter = ',');

// Appends `unix_seconds` (seconds since 1970-01-01T00:00:00Z) as ISO-8601 UTC,
// "YYYY-MM-DDTHH:MM:SSZ", the spelling of timestamps in the native format.
// Years outside 0000..9999 are written with as many digits as they need.
void AppendIsoTimestamp(std::string& out, std::int64_t unix_seconds);
std::string FormatIsoTimestamp(std::int64_t unix_seconds);

// Formats records into an owned string. Fields are separated automatically;
// EndRow() ends the record.
class CsvFormatter {
 public:
  explicit CsvFormatter(char delimiter = ',', bool crlf = false)
      : delimiter_(delimiter), crlf_(crlf) {}

  // A text field, quoted when needed.
  CsvFormatter& Add(std::string_view field);
  CsvFormatter& Add(const char* field) { return Add(std::string_view(field)); }
  CsvFormatter& Add(const std::string& field) { return Add(std::string_view(field)); }
  // An integer in decimal.
  CsvFormatter& Add(std::int64_t v);
  CsvFormatter& Add(std::uint64_t v);
  CsvFormatter& Add(int v) { return Add(static_cast<std::int64_t>(v)); }
  CsvFormatter& Add(unsigned v) { return Add(static_cast<std::uint64_t>(v)); }
  // A number with exactly `decimals` digits after the point ("12.50"); NaN and
  // infinities are written as "nan"/"inf" (callers should not produce them).
  CsvFormatter& AddFixed(double v, int decimals);
  // A number in the shortest form that reads back to the same double.
  CsvFormatter& Add(double v);
  // An ISO-8601 UTC timestamp (see AppendIsoTimestamp).
  CsvFormatter& AddTimestamp(std::int64_t unix_seconds);
  // An empty field.
  CsvFormatter& AddEmpty();
  // A whole record of text fields.
  CsvFormatter& AddRow(std::initializer_list<std::string_view> fields);
  // Ends the current record.
  void EndRow();

  char delimiter() const { return delimiter_; }
  bool crlf() const { return crlf_; }
  // The formatted text so far; complete records only after EndRow().
  const std::string& text() const { return text_; }
  std::string& mutable_text() { return text_; }
  std::size_t size() const { return text_.size(); }
  // Drops the text (keeps the capacity) and starts a fresh record.
  void Clear();

 private:
  void Separate();
  char delimiter_;
  bool crlf_;
  bool row_started_ = false;
  std::string text_;
};

class CsvWriter {
 public:
  // Creates (truncates) `<path>.tmp` for writing. The directory must exist.
  // Errors: IOError naming the file when it cannot be created.
  static Result<CsvWriter> Create(const std::filesystem::path& path,
                                  CsvWriterOptions options = {});

  CsvWriter(CsvWriter&& other) noexcept;
  CsvWriter& operator=(CsvWriter&& other) noexcept;
  CsvWriter(const CsvWriter&) = delete;
  CsvWriter& operator=(const CsvWriter&) = delete;
  // Without a successful Commit(): closes and removes `<path>.tmp`; the real
  // `<path>` is left as it was.
  ~CsvWriter();

  // The record being built; call EndRow() to finish it.
  CsvFormatter& row() { return buffer_; }
  // Finishes the current record and flushes the buffer when it is full.
  // Errors: IOError naming the file (the first write error sticks: every later
  // call returns it too).
  Status EndRow();
  // Writes a whole record of text fields (EndRow() included).
  Status WriteRow(std::initializer_list<std::string_view> fields);
  // Appends complete records formatted by a CsvFormatter with the same
  // delimiter and line end (`text` must end with a line end, or be empty).
  Status AppendFormatted(std::string_view text);

  // Writes the buffer, fsyncs and closes the file, renames `<path>.tmp` to `<path>`
  // (replacing an existing file) and fsyncs the folder. After Commit() the writer accepts no rows.
  // Errors: IOError naming the file; then `<path>` is untouched and the
  // temporary file is removed.
  Status Commit();

  const std::filesystem::path& path() const { return path_; }
  // Records written so far (EndRow/WriteRow calls; AppendFormatted counts lines).
  std::uint64_t rows() const { return rows_; }
  // Bytes handed to the writer so far (buffered or written).
  std::uint64_t bytes() const { return bytes_flushed_ + buffer_.size(); }

 private:
  CsvWriter(std::unique_ptr<AtomicFileWriter> file, CsvWriterOptions options);
  Status Flush();
  // Appends bytes to the file; a failure sticks.
  Status Write(std::string_view bytes);
  // Records `error` as the writer's error unless one is already recorded; returns the
  // recorded one.
  Status Stick(Status error);
  Status Fail(std::string what);
  void Abandon();

  std::filesystem::path path_;
  std::unique_ptr<AtomicFileWriter> file_;  // null after Commit() or when abandoned
  CsvWriterOptions options_;
  CsvFormatter buffer_;
  Status error_;
  std::uint64_t rows_ = 0;
  std::uint64_t bytes_flushed_ = 0;
  bool committed_ = false;
};

}  // namespace partnergraph
