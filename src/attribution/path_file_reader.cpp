#include "partnergraph/attribution/path_file_reader.hpp"

#include <oneapi/tbb/parallel_for.h>

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
  ChunkParser(const std::unordered_set<std::string_view>* known, ChunkPaths* out)
      : known_(known), out_(out) {}

  void Parse(std::string_view text) {
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

  bool ParseNumber(std::string_view field, int column, double* v) {
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
                 : "column path: empty channel name at touch " + std::to_string(touch) +
                       " of " + Quote(raw));
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

  bool ParseLine(std::string_view line) {
    if (line.empty()) {
      Fail("blank line (expected path;total_conversions;total_conversion_value;total_null)");
      return false;
    }
    std::size_t s1 = line.find(';');
    std::size_t s2 = s1 == std::string_view::npos ? s1 : line.find(';', s1 + 1);
    std::size_t s3 = s2 == std::string_view::npos ? s2 : line.find(';', s2 + 1);
    if (s3 == std::string_view::npos || line.find(';', s3 + 1) != std::string_view::npos) {
      std::size_t fields = 1;
      for (char c : line) fields += c == ';';
      Fail("expected 4 fields separated by ';' "
           "(path;total_conversions;total_conversion_value;total_null), found " +
           std::to_string(fields));
      return false;
    }
    std::string_view raw = line.substr(0, s1);
    double conv = 0, value = 0, nulls = 0;
    if (!ParseNumber(line.substr(s1 + 1, s2 - s1 - 1), 1, &conv)) return false;
    if (!ParseNumber(line.substr(s2 + 1, s3 - s2 - 1), 2, &value)) return false;
    if (!ParseNumber(line.substr(s3 + 1), 3, &nulls)) return false;
    if (value > 0 && conv == 0) {
      Fail("column total_conversion_value: " + Quote(line.substr(s2 + 1, s3 - s2 - 1)) +
           " is revenue without a conversion (total_conversions is 0)");
      return false;
    }
    std::uint32_t index = 0;
    auto it = raw_index_.find(raw);
    if (it != raw_index_.end()) {
      index = it->second;
    } else {
      if (!AddPath(raw, &index)) return false;
      raw_index_.emplace(raw, index);
    }
    out_->Add(index, conv, value, nulls);
    ++out_->rows;
    return true;
  }

  const std::unordered_set<std::string_view>* known_;
  ChunkPaths* out_;
  std::unordered_map<std::string_view, std::uint32_t> raw_index_;
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
  PathMerger merger;
  std::string carry;
  bool eof = false;
  bool first_chunk = true;
  std::uint64_t lines_before = 0;  // lines of the chunks already merged (header included)
  std::vector<std::string> texts;
  std::vector<std::size_t> skips;  // bytes at the start of each chunk not parsed (a header)
  while (!eof) {
    texts.clear();
    skips.clear();
    std::uint64_t wave_bytes = 0;
    while (texts.size() < options.chunks_per_wave && !eof) {
      std::string buf = std::move(carry);
      carry.clear();
      std::size_t old = buf.size();
      buf.resize(old + options.chunk_bytes);
      PG_ASSIGN_OR_RETURN(std::size_t got, source(buf.data() + old, options.chunk_bytes));
      buf.resize(old + got);
      wave_bytes += got;
      if (got == 0) eof = true;
      if (!eof) {
        std::size_t nl = buf.rfind('\n');
        if (nl == std::string::npos) {  // a line longer than a chunk: read on
          carry = std::move(buf);
          continue;
        }
        carry.assign(buf, nl + 1);
        buf.resize(nl + 1);
      }
      if (buf.empty()) continue;
      std::size_t skip = 0;
      if (first_chunk) {
        first_chunk = false;
        if (buf.starts_with("\xEF\xBB\xBF")) skip = 3;
        if (std::string_view(buf).substr(skip).starts_with("path;")) {
          std::size_t nl = buf.find('\n', skip);
          skip = nl == std::string::npos ? buf.size() : nl + 1;
          lines_before = 1;
        }
      }
      texts.push_back(std::move(buf));
      skips.push_back(skip);
    }
    std::vector<ChunkPaths> parsed(texts.size());
    attribution_internal::RunInArena(options.threads, [&] {
      tbb::parallel_for(std::size_t{0}, texts.size(), [&](std::size_t i) {
        ChunkParser parser(known, &parsed[i]);
        parser.Parse(std::string_view(texts[i]).substr(skips[i]));
      });
    });
    for (std::size_t i = 0; i < parsed.size(); ++i) {
      if (!parsed[i].error.empty()) {
        return Status::InvalidArgument(std::string(display_name) + ":" +
                                       std::to_string(lines_before + parsed[i].error_line) +
                                       ": " + parsed[i].error);
      }
      merger.Merge(parsed[i]);
      lines_before += parsed[i].lines;
    }
    if (progress) progress->Advance(wave_bytes);
  }
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
    return Status::IOError(path.string() + ": cannot open: " + std::strerror(errno));
  }
  const std::string name = path.string();
  ByteSource source = [&](char* dst, std::size_t n) -> Result<std::size_t> {
    std::size_t got = std::fread(dst, 1, n, file.get());
    if (got < n && std::ferror(file.get())) {
      return Status::IOError(name + ": read error: " + std::strerror(errno));
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
