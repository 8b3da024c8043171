#include "partnergraph/common/csv_writer.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <system_error>
#include <utility>

#include "partnergraph/common/time.hpp"

namespace partnergraph {
namespace {

bool NeedsQuotes(std::string_view field, char delimiter) {
  if (field.empty()) return false;
  char first = field.front();
  char last = field.back();
  if (first == ' ' || first == '\t' || last == ' ' || last == '\t') return true;
  for (char c : field) {
    if (c == delimiter || c == '"' || c == '\n' || c == '\r') return true;
  }
  return false;
}

void AppendDigits(std::string& out, std::uint64_t v, int min_width) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  int len = static_cast<int>(res.ptr - buf);
  for (int i = len; i < min_width; ++i) out.push_back('0');
  out.append(buf, res.ptr);
}

}  // namespace

void AppendCsvField(std::string& out, std::string_view field, char delimiter) {
  if (!NeedsQuotes(field, delimiter)) {
    out.append(field);
    return;
  }
  out.push_back('"');
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

void AppendIsoTimestamp(std::string& out, std::int64_t unix_seconds) {
  std::int64_t days = unix_seconds / 86400;
  std::int64_t secs = unix_seconds % 86400;
  if (secs < 0) {
    secs += 86400;
    days -= 1;
  }
  CivilDate date = CivilFromDays(days);
  const std::int64_t year = date.year;
  const auto month = static_cast<std::uint64_t>(date.month);
  const auto day = static_cast<std::uint64_t>(date.day);
  if (year < 0) {
    out.push_back('-');
    AppendDigits(out, static_cast<std::uint64_t>(-year), 4);
  } else {
    AppendDigits(out, static_cast<std::uint64_t>(year), 4);
  }
  out.push_back('-');
  AppendDigits(out, month, 2);
  out.push_back('-');
  AppendDigits(out, day, 2);
  out.push_back('T');
  AppendDigits(out, static_cast<std::uint64_t>(secs / 3600), 2);
  out.push_back(':');
  AppendDigits(out, static_cast<std::uint64_t>(secs / 60 % 60), 2);
  out.push_back(':');
  AppendDigits(out, static_cast<std::uint64_t>(secs % 60), 2);
  out.push_back('Z');
}

std::string FormatIsoTimestamp(std::int64_t unix_seconds) {
  std::string s;
  AppendIsoTimestamp(s, unix_seconds);
  return s;
}

// ---- CsvFormatter ----

void CsvFormatter::Separate() {
  if (row_started_) {
    text_.push_back(delimiter_);
  } else {
    row_started_ = true;
  }
}

CsvFormatter& CsvFormatter::Add(std::string_view field) {
  Separate();
  AppendCsvField(text_, field, delimiter_);
  return *this;
}

CsvFormatter& CsvFormatter::Add(std::int64_t v) {
  Separate();
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  text_.append(buf, res.ptr);
  return *this;
}

CsvFormatter& CsvFormatter::Add(std::uint64_t v) {
  Separate();
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  text_.append(buf, res.ptr);
  return *this;
}

CsvFormatter& CsvFormatter::AddFixed(double v, int decimals) {
  Separate();
  char buf[512];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
  if (res.ec != std::errc()) {
    // Only a value beyond ~1e300 with many decimals overflows the buffer.
    res = std::to_chars(buf, buf + sizeof buf, v);
  }
  text_.append(buf, res.ptr);
  return *this;
}

CsvFormatter& CsvFormatter::Add(double v) {
  Separate();
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  text_.append(buf, res.ptr);
  return *this;
}

CsvFormatter& CsvFormatter::AddTimestamp(std::int64_t unix_seconds) {
  Separate();
  AppendIsoTimestamp(text_, unix_seconds);
  return *this;
}

CsvFormatter& CsvFormatter::AddEmpty() {
  Separate();
  return *this;
}

CsvFormatter& CsvFormatter::AddRow(std::initializer_list<std::string_view> fields) {
  for (std::string_view f : fields) Add(f);
  EndRow();
  return *this;
}

void CsvFormatter::EndRow() {
  if (crlf_) text_.push_back('\r');
  text_.push_back('\n');
  row_started_ = false;
}

void CsvFormatter::Clear() {
  text_.clear();
  row_started_ = false;
}

// ---- CsvWriter ----

CsvWriter::CsvWriter(std::unique_ptr<AtomicFileWriter> file, CsvWriterOptions options)
    : path_(file->path()),
      file_(std::move(file)),
      options_(options),
      buffer_(options.delimiter, options.crlf) {
  buffer_.mutable_text().reserve(options_.buffer_bytes + (64u << 10));
}

Result<CsvWriter> CsvWriter::Create(const std::filesystem::path& path, CsvWriterOptions options) {
  PG_ASSIGN_OR_RETURN(AtomicFileWriter file, AtomicFileWriter::Open(path));
  return CsvWriter(std::make_unique<AtomicFileWriter>(std::move(file)), options);
}

CsvWriter::CsvWriter(CsvWriter&& other) noexcept
    : path_(std::move(other.path_)),
      file_(std::move(other.file_)),
      options_(other.options_),
      buffer_(std::move(other.buffer_)),
      error_(std::move(other.error_)),
      rows_(other.rows_),
      bytes_flushed_(other.bytes_flushed_),
      committed_(other.committed_) {
  other.committed_ = true;  // the moved-from writer owns no file any more
}

CsvWriter& CsvWriter::operator=(CsvWriter&& other) noexcept {
  if (this != &other) {
    Abandon();
    path_ = std::move(other.path_);
    file_ = std::move(other.file_);
    options_ = other.options_;
    buffer_ = std::move(other.buffer_);
    error_ = std::move(other.error_);
    rows_ = other.rows_;
    bytes_flushed_ = other.bytes_flushed_;
    committed_ = other.committed_;
    other.committed_ = true;
  }
  return *this;
}

CsvWriter::~CsvWriter() { Abandon(); }

void CsvWriter::Abandon() {
  file_.reset();  // an uncommitted AtomicFileWriter removes its temporary file
  committed_ = true;
}

Status CsvWriter::Fail(std::string what) {
  return Stick(Status::IOError(path_.string() + ": " + std::move(what)));
}

Status CsvWriter::Stick(Status error) {
  if (error_.ok()) error_ = std::move(error);
  return error_;
}

Status CsvWriter::Write(std::string_view bytes) {
  Status written = file_->Append(bytes.data(), bytes.size());
  if (!written.ok()) return Stick(std::move(written));
  bytes_flushed_ += bytes.size();
  return Status::Ok();
}

Status CsvWriter::Flush() {
  if (!error_.ok()) return error_;
  if (file_ == nullptr) return Fail("write after Commit()");
  if (!buffer_.text().empty()) {
    PG_RETURN_IF_ERROR(Write(buffer_.text()));
    buffer_.Clear();
  }
  return Status::Ok();
}

Status CsvWriter::EndRow() {
  buffer_.EndRow();
  if (file_ == nullptr) return Fail("write after Commit()");
  ++rows_;
  if (buffer_.size() >= options_.buffer_bytes) return Flush();
  return error_;
}

Status CsvWriter::WriteRow(std::initializer_list<std::string_view> fields) {
  for (std::string_view f : fields) buffer_.Add(f);
  return EndRow();
}

Status CsvWriter::AppendFormatted(std::string_view text) {
  if (!error_.ok()) return error_;
  if (file_ == nullptr) return Fail("write after Commit()");
  if (!text.empty() && text.back() != '\n') {
    return Fail("AppendFormatted: text does not end with a line end");
  }
  std::uint64_t lines = 0;
  for (char c : text) lines += (c == '\n');
  rows_ += lines;
  if (text.size() >= options_.buffer_bytes) {
    PG_RETURN_IF_ERROR(Flush());
    return Write(text);
  }
  buffer_.mutable_text().append(text);
  if (buffer_.size() >= options_.buffer_bytes) return Flush();
  return Status::Ok();
}

Status CsvWriter::Commit() {
  if (committed_) {
    return error_.ok() ? Fail("Commit() called twice") : error_;
  }
  Status st = Flush();
  if (st.ok()) {
    st = file_->Commit();  // fsync, rename, fsync of the folder
    if (!st.ok()) st = Stick(std::move(st));
  }
  Abandon();  // after a failure: removes the temporary file
  return st;
}

}  // namespace partnergraph
