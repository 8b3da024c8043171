#include "partnergraph/attribution/path_file_reader.hpp"

#include <fmt/format.h>
#include <oneapi/tbb/concurrent_queue.h>
#include <oneapi/tbb/parallel_pipeline.h>

#include <atomic>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "parallel.hpp"
#include "partnergraph/common/errno_text.hpp"
#include "path_aggregator.hpp"

namespace partnergraph {
namespace {

using attribution_internal::ChunkPaths;
using attribution_internal::PathMerger;

constexpr std::string_view kColumnNames[4] = {"path", "total_conversions",
                                              "total_conversion_value", "total_null"};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Shortens `text` for an error message.
std::string Quote(std::string_view text) {
  constexpr std::size_t kMax = 60;
  std::string out = "\"";
  out.append(text.substr(0, kMax));
  if (text.size() > kMax) out.append("...");
  out.append("\"");
  return out;
}

// Parses one chunk of complete lines. The chunk's own paths are keyed by the
// raw text of the path field, so a repeated path costs one hash lookup; its
// channel names are split and interned only the first time.
class ChunkParser {
 public:
  explicit ChunkParser(const std::unordered_set<std::string_view>* known) : known_(known) {}

  // Parses `text` into `out` (cleared first). The parser keeps its memory for
  // the next chunk.
  void Parse(std::string_view text, ChunkPaths* out) {
    out_ = out;
    out_->Clear();
    raw_index_.Clear();
    raw_keys_.clear();
    channel_index_.clear();
    const char* p = text.data();
    const char* end = p + text.size();
    while (p < end) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
      const char* line_end = nl ? nl : end;
      ++out_->lines;
      std::string_view line(p, line_end - p);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!ParseLine(line)) return;
      p = nl ? nl + 1 : end;
    }
  }

 private:
  void Fail(std::string message) {
    out_->error_line = out_->lines;
    out_->error = std::move(message);
  }

  // The common case: up to 15 digits with at most one '.', no sign or exponent.
  // mantissa / 10^decimals is then correctly rounded (both operands are exact
  // doubles and IEEE division rounds once), so it equals what from_chars gives.
  static bool FastNumber(std::string_view field, double* v) {
    static constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                        1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    if (field.empty() || field.size() > 16) return false;
    std::uint64_t mantissa = 0;
    int digits = 0;
    int decimals = -1;
    for (char ch : field) {
      if (ch >= '0' && ch <= '9') {
        mantissa = mantissa * 10 + static_cast<std::uint64_t>(ch - '0');
        ++digits;
        if (decimals >= 0) ++decimals;
      } else if (ch == '.' && decimals < 0) {
        decimals = 0;
      } else {
        return false;
      }
    }
    if (digits == 0 || digits > 15) return false;
    *v = static_cast<double>(mantissa) / kPow10[decimals < 0 ? 0 : decimals];
    return true;
  }

  bool ParseNumber(std::string_view field, int column, double* v) {
    if (FastNumber(field, v)) return true;
    const char* b = field.data();
    const char* e = b + field.size();
    auto [ptr, ec] = std::from_chars(b, e, *v);
    if (field.empty() || ec != std::errc() || ptr != e) {
      if (ec == std::errc::result_out_of_range && ptr == e) {
        Fail("column " + std::string(kColumnNames[column]) + ": " + Quote(field) +
             " is out of range");
      } else {
        Fail("column " + std::string(kColumnNames[column]) + ": " + Quote(field) +
             " is not a number");
      }
      return false;
    }
    if (!std::isfinite(*v)) {
      Fail("column " + std::string(kColumnNames[column]) + ": " + Quote(field) +
           " is not a finite number");
      return false;
    }
    if (*v < 0) {
      Fail("column " + std::string(kColumnNames[column]) + ": " + Quote(field) +
           " is negative");
      return false;
    }
    return true;
  }

  // Splits a new path into channels and interns them; returns its local index.
  bool AddPath(std::string_view raw, std::uint32_t* index) {
    ids_.clear();
    std::size_t touch = 0;
    std::string_view rest = raw;
    while (true) {
      ++touch;
      std::size_t gt = rest.find('>');
      std::string_view name = Trim(rest.substr(0, gt));
      if (name.empty()) {
        Fail(touch == 1 && gt == std::string_view::npos
                 ? std::string("column path: empty path")
                 : fmt::format("column path: empty channel name at touch {} of {}", touch,
                               Quote(raw)));
        return false;
      }
      auto [it, inserted] =
          channel_index_.try_emplace(name, static_cast<std::uint32_t>(out_->channels.size()));
      if (inserted) {
        if (known_ && !known_->contains(name)) {
          Fail("column path: unknown channel " + Quote(name));
          return false;
        }
        out_->channels.emplace_back(name);
      }
      ids_.push_back(it->second);
      if (gt == std::string_view::npos) break;
      rest.remove_prefix(gt + 1);
    }
    *index = out_->AddPath(ids_);
    return true;
  }

  bool FailFieldCount(std::string_view line) {
    std::size_t fields = 1;
    for (char c : line) fields += c == ';';
    Fail(
        fmt::format("expected 4 fields separated by ';' "
                    "(path;total_conversions;total_conversion_value;total_null), found {}",
                    fields));
    return false;
  }

  bool ParseLine(std::string_view line) {
    if (line.empty()) {
      Fail("blank line (expected path;total_conversions;total_conversion_value;total_null)");
      return false;
    }
    // The three numbers are short: find their separators from the end. A ';'
    // inside the path field is caught when the path is first seen (AddPath).
    std::size_t sep[3];
    std::size_t found = 0;
    for (std::size_t i = line.size(); i-- > 0 && found < 3;) {
      if (line[i] == ';') sep[found++] = i;
    }
    if (found < 3) return FailFieldCount(line);
    const std::size_t s1 = sep[2], s2 = sep[1], s3 = sep[0];
    std::string_view raw = line.substr(0, s1);
    bool inserted = false;
    const std::uint32_t index = raw_index_.FindOrInsert(
        attribution_internal::HashBytes(raw.data(), raw.size()),
        [&](std::uint32_t k) { return raw_keys_[k] == raw; }, &inserted);
    if (inserted) {
      raw_keys_.push_back(raw);
      if (raw.find(';') != std::string_view::npos) return FailFieldCount(line);
      std::uint32_t added = 0;
      if (!AddPath(raw, &added)) return false;
      assert(added == index);
    }
    double conv = 0, value = 0, nulls = 0;
    if (!ParseNumber(line.substr(s1 + 1, s2 - s1 - 1), 1, &conv)) return false;
    if (!ParseNumber(line.substr(s2 + 1, s3 - s2 - 1), 2, &value)) return false;
    if (!ParseNumber(line.substr(s3 + 1), 3, &nulls)) return false;
    if (value > 0 && conv == 0) {
      Fail("column total_conversion_value: " + Quote(line.substr(s2 + 1, s3 - s2 - 1)) +
           " is revenue without a conversion (total_conversions is 0)");
      return false;
    }
    out_->Add(index, conv, value, nulls);
    ++out_->rows;
    return true;
  }

  const std::unordered_set<std::string_view>* known_;
  ChunkPaths* out_ = nullptr;
  // The chunk's paths by the raw text of their path field (views into the chunk).
  attribution_internal::FlatIndex raw_index_{1 << 12};
  std::vector<std::string_view> raw_keys_;
  std::unordered_map<std::string_view, std::uint32_t> channel_index_;
  std::vector<std::uint32_t> ids_;
};

// Reads up to `n` bytes into `dst`; returns the count (0 at the end).
using ByteSource = std::function<Result<std::size_t>(char* dst, std::size_t n)>;

Result<JourneyTable> ReadPaths(const ByteSource& source, std::string_view display_name,
                               const AttributionOptions& options, Progress* progress) {
  PG_RETURN_IF_ERROR(ValidateAttributionOptions(options));
  std::unordered_set<std::string_view> known_set(options.known_channels.begin(),
                                                 options.known_channels.end());
  const auto* known = options.known_channels.empty() ? nullptr : &known_set;

  // A pipeline: read a chunk (serial, in order) -> parse it (parallel) -> merge
  // it (serial, in file order). At most chunks_per_wave chunks are in flight;
  // their buffers and parsers are reused.
  struct Chunk {
    std::unique_ptr<char[]> data;  // uninitialised: the source fills it
    std::size_t capacity = 0;
    std::size_t len = 0;
    std::size_t skip = 0;          // bytes at the start not parsed (a header)
    std::uint64_t skip_lines = 0;  // lines in those bytes
    std::uint64_t bytes_read = 0;
    ChunkParser parser;
    ChunkPaths paths;
    explicit Chunk(const std::unordered_set<std::string_view>* k) : parser(k) {}
  };
  std::vector<std::unique_ptr<Chunk>> pool;
  tbb::concurrent_queue<Chunk*> free_chunks;
  for (std::size_t i = 0; i < options.chunks_per_wave; ++i) {
    pool.push_back(std::make_unique<Chunk>(known));
    free_chunks.push(pool.back().get());
  }
  PathMerger merger;
  std::vector<char> carry;  // the incomplete last line of the previous chunk
  bool eof = false;
  bool first_chunk = true;
  std::uint64_t lines_before = 0;  // lines of the chunks already merged (header included)
  // The first error of each stage; a parse error comes before any read error in
  // file order (its chunk was read before the read that failed).
  Status read_failure, parse_failure;
  std::atomic<bool> failed{false};

  std::uint64_t unreported = 0;  // bytes read, not yet handed to `progress`
  auto read = [&](tbb::flow_control& fc) -> Chunk* {
    while (!eof && !failed.load()) {
      if (Cancelled(options)) {
        read_failure = Status::Unavailable(std::string(display_name) + ": reading cancelled");
        failed = true;
        break;
      }
      Chunk* c = nullptr;
      free_chunks.try_pop(c);  // never empty: one chunk per live token
      std::size_t len = carry.size();
      if (c->capacity < len + options.chunk_bytes) {
        c->capacity = len + options.chunk_bytes;
        c->data.reset(new char[c->capacity]);
      }
      if (len > 0) std::memcpy(c->data.get(), carry.data(), len);
      carry.clear();
      auto got = source(c->data.get() + len, options.chunk_bytes);
      if (!got.ok()) {
        read_failure = got.status();
        failed = true;
        free_chunks.push(c);
        break;
      }
      len += *got;
      unreported += *got;
      if (*got == 0) eof = true;
      if (!eof) {
        const std::size_t nl = std::string_view(c->data.get(), len).rfind('\n');
        if (nl == std::string_view::npos) {  // a line longer than a chunk: read on
          carry.assign(c->data.get(), c->data.get() + len);
          free_chunks.push(c);
          continue;
        }
        carry.assign(c->data.get() + nl + 1, c->data.get() + len);
        len = nl + 1;
      }
      if (len == 0) {
        free_chunks.push(c);
        continue;
      }
      std::size_t skip = 0;
      c->skip_lines = 0;
      if (first_chunk) {
        first_chunk = false;
        std::string_view text(c->data.get(), len);
        if (text.starts_with("\xEF\xBB\xBF")) skip = 3;
        if (text.substr(skip).starts_with("path;")) {
          const std::size_t nl = text.find('\n', skip);
          skip = nl == std::string_view::npos ? len : nl + 1;
          c->skip_lines = 1;
        }
      }
      c->len = len;
      c->skip = skip;
      c->bytes_read = unreported;
      unreported = 0;
      return c;
    }
    fc.stop();
    return nullptr;
  };
  auto parse = [](Chunk* c) -> Chunk* {
    c->parser.Parse(std::string_view(c->data.get(), c->len).substr(c->skip), &c->paths);
    return c;
  };
  auto merge = [&](Chunk* c) {
    lines_before += c->skip_lines;
    if (parse_failure.ok()) {
      if (!c->paths.error.empty()) {
        parse_failure = Status::InvalidArgument(fmt::format(
            "{}:{}: {}", display_name, lines_before + c->paths.error_line, c->paths.error));
        failed = true;
      } else {
        merger.Merge(c->paths);
        lines_before += c->paths.lines;
      }
    }
    if (progress) progress->Advance(c->bytes_read);
    free_chunks.push(c);
  };
  attribution_internal::RunInArena(options.threads, [&] {
    tbb::parallel_pipeline(
        options.chunks_per_wave,
        tbb::make_filter<void, Chunk*>(tbb::filter_mode::serial_in_order, read) &
            tbb::make_filter<Chunk*, Chunk*>(tbb::filter_mode::parallel, parse) &
            tbb::make_filter<Chunk*, void>(tbb::filter_mode::serial_in_order, merge));
  });
  if (!parse_failure.ok()) return parse_failure;
  if (!read_failure.ok()) return read_failure;
  return std::move(merger).Finish();
}

}  // namespace

Result<JourneyTable> ReadPathFile(const std::filesystem::path& path,
                                  const AttributionOptions& options, Progress* progress) {
  struct Closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, Closer> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    return Status::IOError(path.string() + ": cannot open: " + ErrnoText(errno));
  }
  const std::string name = path.string();
  ByteSource source = [&](char* dst, std::size_t n) -> Result<std::size_t> {
    std::size_t got = std::fread(dst, 1, n, file.get());
    if (got < n && std::ferror(file.get())) {
      return Status::IOError(name + ": read error: " + ErrnoText(errno));
    }
    return got;
  };
  return ReadPaths(source, name, options, progress);
}

Result<JourneyTable> ParsePathText(std::string_view text, std::string_view display_name,
                                   const AttributionOptions& options) {
  std::size_t pos = 0;
  ByteSource source = [&](char* dst, std::size_t n) -> Result<std::size_t> {
    std::size_t got = std::min(n, text.size() - pos);
    std::memcpy(dst, text.data() + pos, got);
    pos += got;
    return got;
  };
  return ReadPaths(source, display_name, options, nullptr);
}

}  // namespace partnergraph
