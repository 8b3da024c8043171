#include "partnergraph/common/csv_reader.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <unordered_set>

#include "gzip_text.hpp"
#include "partnergraph/common/errno_text.hpp"
#include "partnergraph/common/mapped_file.hpp"

namespace partnergraph {
namespace {

using csv_internal::Gunzip;
using csv_internal::IsGzip;
using csv_internal::TextBuffer;

constexpr std::size_t kNoPos = std::numeric_limits<std::size_t>::max();
// The longest field accepted (ids, names, categories: docs/formats.md).
constexpr std::size_t kMaxFieldBytes = 4096;
// How far the chunking scan reads before it releases what it has read.
constexpr std::size_t kReleaseStep = 64u << 20;

// One split record, see ParseRecord().
struct ParsedRecord {
  std::size_t next = 0;      // offset after the record and its line end
  std::size_t raw_end = 0;   // offset of the end of the record's text (before "\r\n")
  std::size_t newlines = 0;  // '\n' characters consumed, the final one included
  const char* error = nullptr;
};

// Splits the record that starts at `pos` (< end, not a blank line) into
// `fields`. Quoted fields without doubled quotes point into `text`; the others
// are unescaped into `scratch`. The quoting rule is the one in csv_reader.hpp
// and must stay in step with FindChunkBoundaries().
ParsedRecord ParseRecord(std::string_view text, std::size_t pos, std::size_t end, char delim,
                         std::vector<std::string_view>& fields, std::string& scratch) {
  const char* s = text.data();
  ParsedRecord out;
  fields.clear();

  // Fast path: a line without any quote.
  const void* nl = std::memchr(s + pos, '\n', end - pos);
  const std::size_t eol = nl != nullptr ? static_cast<std::size_t>(static_cast<const char*>(nl) - s) : end;
  if (std::memchr(s + pos, '"', eol - pos) == nullptr) {
    std::size_t content_end = eol;
    if (content_end > pos && s[content_end - 1] == '\r') --content_end;
    std::size_t b = pos;
    while (true) {
      const void* d = std::memchr(s + b, delim, content_end - b);
      if (d == nullptr) {
        fields.emplace_back(s + b, content_end - b);
        break;
      }
      const auto di = static_cast<std::size_t>(static_cast<const char*>(d) - s);
      fields.emplace_back(s + b, di - b);
      b = di + 1;
    }
    out.raw_end = content_end;
    out.newlines = nl != nullptr ? 1 : 0;
    out.next = nl != nullptr ? eol + 1 : end;
    return out;
  }

  // General path: a state machine over the fields.
  scratch.clear();
  struct Unescaped {
    std::size_t field;
    std::size_t offset;
    std::size_t size;
  };
  std::vector<Unescaped> unescaped;
  std::size_t p = pos;
  auto set_error = [&out](const char* message) {
    if (out.error == nullptr) out.error = message;
  };
  while (true) {
    if (p < end && s[p] == '"') {
      const std::size_t content = p + 1;
      std::size_t search = content;
      std::size_t close = kNoPos;
      bool doubled = false;
      while (search < end) {
        const void* q = std::memchr(s + search, '"', end - search);
        if (q == nullptr) break;
        const auto qi = static_cast<std::size_t>(static_cast<const char*>(q) - s);
        if (qi + 1 < end && s[qi + 1] == '"') {
          doubled = true;
          search = qi + 2;
          continue;
        }
        close = qi;
        break;
      }
      if (close == kNoPos) {
        set_error("unterminated quoted field (it runs to the end of the file)");
        out.newlines += static_cast<std::size_t>(std::count(s + content, s + end, '\n'));
        fields.emplace_back(s + content, end - content);
        std::size_t raw_end = end;
        while (raw_end > pos && (s[raw_end - 1] == '\n' || s[raw_end - 1] == '\r')) --raw_end;
        out.raw_end = raw_end;
        out.next = end;
        break;
      }
      out.newlines += static_cast<std::size_t>(std::count(s + content, s + close, '\n'));
      if (doubled) {
        const std::size_t offset = scratch.size();
        for (std::size_t i = content; i < close; ++i) {
          scratch.push_back(s[i]);
          if (s[i] == '"') ++i;  // the second quote of a doubled pair
        }
        unescaped.push_back({fields.size(), offset, scratch.size() - offset});
        fields.emplace_back();
      } else {
        fields.emplace_back(s + content, close - content);
      }
      p = close + 1;
      const bool clean_end = p == end || s[p] == delim || s[p] == '\n' ||
                             (s[p] == '\r' && (p + 1 == end || s[p + 1] == '\n'));
      if (!clean_end) {
        set_error("unexpected text after a closing quote");
        while (p < end && s[p] != delim && s[p] != '\n') ++p;
      }
    } else {
      const std::size_t b = p;
      while (p < end && s[p] != delim && s[p] != '\n') {
        if (s[p] == '"') set_error("quote inside an unquoted field");
        ++p;
      }
      std::size_t e = p;
      if (e > b && s[e - 1] == '\r' && (p == end || s[p] == '\n')) --e;
      fields.emplace_back(s + b, e - b);
    }
    if (p < end && s[p] == delim) {
      ++p;
      continue;
    }
    if (p < end && s[p] == '\r') ++p;
    if (p < end && s[p] == '\n') {
      out.raw_end = p > pos && s[p - 1] == '\r' ? p - 1 : p;
      out.newlines += 1;
      out.next = p + 1;
    } else {
      out.raw_end = p > pos && s[p - 1] == '\r' ? p - 1 : p;
      out.next = end;
    }
    break;
  }
  for (const Unescaped& u : unescaped) {
    fields[u.field] = std::string_view(scratch.data() + u.offset, u.size);
  }
  return out;
}

// Whether `bytes` may hold anything but printable ASCII (a byte below 0x20 or from 0x7F up).
// One pass without a branch per byte, which the compiler vectorises: almost every record of a
// real file is printable ASCII and goes no further.
bool MayNeedTextCheck(std::string_view bytes) {
  unsigned acc = 0;
  for (const char ch : bytes) {
    acc |= static_cast<unsigned>(static_cast<unsigned char>(ch) - 0x20u >= 0x5Fu);
  }
  return acc != 0;
}

// The first problem of a field's text: invalid UTF-8, a control character (TAB, LF, and CR
// before LF are allowed: quoted fields may span lines), DEL, a C1 control, or a byte-order
// mark (only the file's first bytes may hold one). Written by hand because the check is one
// table-free pass over bytes the parser already holds, and no installed library (ICU is not
// a dependency) validates UTF-8 with this policy on controls.
struct TextProblem {
  std::size_t offset = 0;  // byte offset in the field
  const char* what = nullptr;
};
std::optional<TextProblem> FindTextProblem(std::string_view f) {
  const auto* s = reinterpret_cast<const unsigned char*>(f.data());
  const std::size_t n = f.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned c = s[i];
    if (c < 0x80) {
      if (c == 0) return TextProblem{i, "a NUL byte"};
      if (c == '\r' && !(i + 1 < n && s[i + 1] == '\n')) {
        return TextProblem{i, "a carriage return inside a field"};
      }
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
        return TextProblem{i, "a control character"};
      }
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0, min = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return TextProblem{i, "invalid UTF-8"};
    }
    if (i + len > n) return TextProblem{i, "invalid UTF-8 (a truncated sequence)"};
    for (std::size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return TextProblem{i, "invalid UTF-8"};
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return TextProblem{i, "invalid UTF-8 (an overlong form or a non-character)"};
    }
    if (cp >= 0x80 && cp <= 0x9F) return TextProblem{i, "a control character"};
    if (cp == 0xFEFF) {
      return TextProblem{i, "a byte-order mark (allowed only at the start of the file)"};
    }
    i += len;
  }
  return std::nullopt;
}

// Length of the blank line at `pos` ("\n", "\r\n", or "\r" at the end), 0 if none.
std::size_t BlankLineLength(std::string_view text, std::size_t pos, std::size_t end) {
  if (text[pos] == '\n') return 1;
  if (text[pos] == '\r' && (pos + 1 == end || text[pos + 1] == '\n')) {
    return pos + 1 == end ? 1 : 2;
  }
  return 0;
}

}  // namespace

Result<CsvReader> CsvReader::Open(const std::filesystem::path& path, CsvOptions options) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status::IOError("cannot open " + path.string() + ": " + ErrnoText(errno));
  }
  std::unique_ptr<int, void (*)(int*)> guard(new int(fd), [](int* f) {
    ::close(*f);
    delete f;
  });
  struct stat st{};
  const std::size_t expected =
      ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? static_cast<std::size_t>(st.st_size) : 0;
  // A plain regular file is mapped, not copied: its pages come in as chunks are
  // parsed and leave the resident set once released (ReleaseChunk), so a 9 GB
  // orders.csv never sits in memory whole. Mapped files must not be truncated
  // while a reader is open (as for any mmap, that would fault).
  auto remember = [&](Result<CsvReader> reader,
                      std::shared_ptr<const MappedFile> mapping) -> Result<CsvReader> {
    if (!reader.ok()) return reader;
    reader->mapping_ = std::move(mapping);
    if (S_ISREG(st.st_mode)) {  // a pipe or a device has no identity to compare
      reader->path_ = path;
      reader->opened_size_ = static_cast<std::int64_t>(st.st_size);
      reader->opened_mtime_ns_ =
          static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    }
    // A gzip file was inflated from the mapping already: a shrink shows now.
    PG_RETURN_IF_ERROR(reader->CheckUnchanged());
    return reader;
  };
  if (std::shared_ptr<const MappedFile> file = MappedFile::Map(fd, expected)) {
    const std::string_view bytes(file->data(), file->size());
    const bool file_backed = !IsGzip(bytes);
    return remember(FromStorage(file, bytes, path.filename().string(), options, file_backed),
                    file);
  }
  auto buffer = std::make_shared<TextBuffer>();
  const Status no_memory = Status::IOError("out of memory reading " + path.string());
  // One byte more than expected, so that the end of the file is seen in one pass.
  if (!buffer->Reserve(expected + 1)) return no_memory;
  while (true) {
    if (buffer->size == buffer->capacity() && !buffer->Reserve(buffer->capacity() * 2)) {
      return no_memory;
    }
    const ssize_t n = ::read(fd, buffer->data() + buffer->size, buffer->capacity() - buffer->size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IOError("cannot read " + path.string() + ": " + ErrnoText(errno));
    }
    if (n == 0) break;
    buffer->size += static_cast<std::size_t>(n);
  }
  const std::string_view bytes(buffer->data(), buffer->size);
  return remember(FromStorage(buffer, bytes, path.filename().string(), options, false), nullptr);
}

Status CsvReader::CheckUnchanged() const {
  if (mapping_ && mapping_->shrank()) {
    return Status::IOError(
        fmt::format("{}: the file shrank while it was being read (it had {} bytes when opened); "
                    "nothing read from it is used",
                    display_name_, opened_size_));
  }
  if (path_.empty()) return Status::Ok();
  struct stat now{};
  if (::stat(path_.c_str(), &now) != 0) {
    return Status::IOError(display_name_ +
                           ": the file went away while it was being read: " + ErrnoText(errno));
  }
  const std::int64_t mtime_ns =
      static_cast<std::int64_t>(now.st_mtim.tv_sec) * 1'000'000'000 + now.st_mtim.tv_nsec;
  if (static_cast<std::int64_t>(now.st_size) != opened_size_ || mtime_ns != opened_mtime_ns_) {
    return Status::IOError(
        fmt::format("{}: the file changed while it was being read ({} bytes when opened, {} "
                    "now); nothing read from it is used",
                    display_name_, opened_size_, now.st_size));
  }
  return Status::Ok();
}

Result<CsvReader> CsvReader::FromString(std::string text, std::string display_name,
                                        CsvOptions options) {
  auto storage = std::make_shared<std::string>(std::move(text));
  const std::string_view bytes = *storage;
  return FromStorage(std::move(storage), bytes, std::move(display_name), options, false);
}

Result<CsvReader> CsvReader::FromStorage(std::shared_ptr<const void> storage,
                                         std::string_view bytes, std::string display_name,
                                         CsvOptions options, bool file_backed) {
  CsvReader reader;
  reader.file_backed_ = file_backed;
  reader.display_name_ = std::move(display_name);
  reader.options_ = options;
  if (reader.options_.chunk_bytes == 0) reader.options_.chunk_bytes = 1;
  if (IsGzip(bytes)) {
    auto inflated = std::make_shared<TextBuffer>();
    PG_RETURN_IF_ERROR(Gunzip(bytes, reader.display_name_, *inflated));
    reader.text_ = std::string_view(inflated->data(), inflated->size);
    reader.storage_ = std::move(inflated);
  } else {
    reader.text_ = bytes;
    reader.storage_ = std::move(storage);
  }
  PG_RETURN_IF_ERROR(reader.Init());
  return reader;
}

Status CsvReader::Init() {
  const std::string_view text = text_;
  const std::size_t end = text.size();
  std::size_t pos = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;
  std::size_t line = 1;
  if (!options_.has_header) {
    SplitIntoChunks(pos, line);
    return Status::Ok();
  }
  while (pos < end) {
    const std::size_t blank = BlankLineLength(text, pos, end);
    if (blank == 0) break;
    pos += blank;
    ++line;
  }
  if (pos == end) {
    return Status::InvalidArgument(display_name_ + ": file is empty (no header row)");
  }
  std::vector<std::string_view> fields;
  std::string scratch;
  const ParsedRecord header = ParseRecord(text, pos, end, options_.delimiter, fields, scratch);
  if (header.error != nullptr) {
    return Status::InvalidArgument(
        fmt::format("{}:{}: malformed header: {}", display_name_, line, header.error));
  }
  std::unordered_set<std::string_view> seen;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (auto problem = FindTextProblem(fields[i])) {
      return Status::InvalidArgument(
          fmt::format("{}:{}: header column {}: {} at byte {} of the name", display_name_, line,
                      i + 1, problem->what, problem->offset));
    }
  }
  for (std::string_view name : fields) {
    if (!name.empty() && !seen.insert(name).second) {
      return Status::InvalidArgument(
          fmt::format("{}:{}: header names column \"{}\" twice", display_name_, line, name));
    }
    header_.emplace_back(name);
  }
  SplitIntoChunks(header.next, line + header.newlines);
  return Status::Ok();
}

// Cuts the data into chunks of about chunk_bytes, each ending just after a
// record's line end. Only the positions of quotes need a closer look: between
// two quotes every '\n' ends a record, and a quote that opens a quoted field
// (see csv_reader.hpp) hides the '\n's up to its closing quote.
void CsvReader::SplitIntoChunks(std::size_t data_begin, std::size_t data_first_line) {
  const char* s = text_.data();
  const std::size_t end = text_.size();
  const char delim = options_.delimiter;
  const std::size_t step = options_.chunk_bytes;
  std::vector<std::size_t> cuts;  // chunk begin offsets after the first
  std::size_t chunk_begin = data_begin;
  std::size_t target = data_begin + step;
  // Cuts at record ends in [from, region_end), where no quoted field is open.
  auto cut_in = [&](std::size_t from, std::size_t region_end) {
    while (target < region_end) {
      const std::size_t at = std::max(from, target);
      if (at >= region_end) break;
      const void* nl = std::memchr(s + at, '\n', region_end - at);
      if (nl == nullptr) break;
      const auto cut = static_cast<std::size_t>(static_cast<const char*>(nl) - s) + 1;
      if (cut >= end) break;
      cuts.push_back(cut);
      chunk_begin = cut;
      target = chunk_begin + step;
    }
  };
  // Both passes below read the whole text; what they have read leaves the
  // resident set behind them (mapped files only), so a scan holds ~no memory.
  std::size_t released = 0;
  auto release_before = [&](std::size_t offset) {
    if (offset >= released + kReleaseStep) {
      ReleaseRange(released, offset);
      released = offset;
    }
  };
  std::size_t pos = data_begin;
  while (pos < end) {
    const void* q = std::memchr(s + pos, '"', end - pos);
    const std::size_t qpos = q != nullptr ? static_cast<std::size_t>(static_cast<const char*>(q) - s) : end;
    cut_in(pos, qpos);
    release_before(qpos);
    if (qpos == end) break;
    const bool opens_field = qpos == data_begin || s[qpos - 1] == delim || s[qpos - 1] == '\n';
    if (!opens_field) {
      pos = qpos + 1;
      continue;
    }
    std::size_t search = qpos + 1;
    pos = end;  // unterminated unless a closing quote is found
    while (search < end) {
      const void* c = std::memchr(s + search, '"', end - search);
      if (c == nullptr) break;
      const auto ci = static_cast<std::size_t>(static_cast<const char*>(c) - s);
      if (ci + 1 < end && s[ci + 1] == '"') {
        search = ci + 2;
        continue;
      }
      pos = ci + 1;
      break;
    }
  }
  ReleaseRange(0, end);
  chunks_.clear();
  if (data_begin >= end) return;
  std::size_t begin = data_begin;
  std::size_t line = data_first_line;
  cuts.push_back(end);
  for (std::size_t cut : cuts) {
    const auto newlines = static_cast<std::size_t>(std::count(s + begin, s + cut, '\n'));
    chunks_.push_back({begin, cut, line, newlines});
    ReleaseRange(begin, cut);
    line += newlines;
    begin = cut;
  }
}

void CsvReader::ReleaseRange(std::size_t begin, std::size_t end) const {
  if (!file_backed_ || end <= begin) return;
  // Whole pages inside [begin, end) only: a page shared with a neighbouring
  // range may still be in use. The mapping starts on a page boundary.
  static const auto kPage = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  const std::size_t first = (begin + kPage - 1) / kPage * kPage;
  const std::size_t last = end / kPage * kPage;
  if (last <= first) return;
  // Clean pages of a read-only private file mapping: dropping them is always
  // safe, a later read faults them in again from the page cache or the file.
  madvise(const_cast<char*>(text_.data()) + first, last - first, MADV_DONTNEED);
}

void CsvReader::ReleaseChunk(std::size_t chunk) const {
  const Chunk& c = chunks_.at(chunk);
  ReleaseRange(c.begin, c.end);
}

std::optional<std::size_t> CsvReader::Column(std::string_view name) const {
  for (std::size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] == name) return i;
  }
  return std::nullopt;
}

void CsvReader::ForEachInChunk(std::size_t chunk,
                               const std::function<void(const CsvRecord&)>& fn) const {
  const Chunk& c = chunks_.at(chunk);
  const std::string_view text = text_;
  std::vector<std::string_view> fields;
  fields.reserve(std::max<std::size_t>(header_.size(), 8));
  std::string scratch;
  std::string count_error;
  std::size_t pos = c.begin;
  std::size_t line = c.first_line;
  while (pos < c.end) {
    const std::size_t blank = BlankLineLength(text, pos, c.end);
    if (blank != 0) {
      pos += blank;
      ++line;
      continue;
    }
    const ParsedRecord parsed = ParseRecord(text, pos, c.end, options_.delimiter, fields, scratch);
    CsvRecord record;
    record.line = line;
    record.fields = fields;
    record.raw = text.substr(pos, parsed.raw_end - pos);
    if (parsed.error != nullptr) {
      record.error = parsed.error;
    } else if (options_.has_header && fields.size() != header_.size()) {
      count_error = fmt::format("expected {} fields, found {}", header_.size(), fields.size());
      record.error = count_error;
    } else if (record.raw.size() > kMaxFieldBytes || MayNeedTextCheck(record.raw)) {
      for (std::size_t i = 0; i < fields.size(); ++i) {
        auto problem = FindTextProblem(fields[i]);
        if (!problem && fields[i].size() > kMaxFieldBytes) {
          problem = TextProblem{kMaxFieldBytes, "a field longer than the limit of 4096 bytes"};
        }
        if (!problem) continue;
        const std::string column =
            i < header_.size() && !header_[i].empty() ? header_[i] : fmt::format("{}", i + 1);
        count_error = fmt::format("column {}: {} at byte {} of the field", column, problem->what,
                                  problem->offset);
        record.error = count_error;
        break;
      }
    }
    fn(record);
    line += parsed.newlines;
    pos = parsed.next;
  }
}

void CsvReader::ForEach(const std::function<void(const CsvRecord&)>& fn) const {
  for (std::size_t i = 0; i < chunks_.size(); ++i) {
    ForEachInChunk(i, fn);
    ReleaseChunk(i);
  }
}

}  // namespace partnergraph
