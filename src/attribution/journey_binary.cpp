#include "partnergraph/attribution/journey_binary.hpp"

#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/concurrent_queue.h>
#include <oneapi/tbb/parallel_pipeline.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <string_view>
#include <utility>

#include "parallel.hpp"
#include "path_aggregator.hpp"

namespace partnergraph {
namespace {

constexpr char kMagic[4] = {'P', 'G', 'J', '1'};
constexpr std::uint32_t kMaxChannels = 256;
constexpr std::uint32_t kMaxPayload = 1u << 28;
// Counts of the order-1 fast path, per thread: a transition matrix with rows
// (start) + 256 channel ids and 256 columns (a power of two, so a row offset
// is a shift), then per row the (conversion) and (null) counts. Any byte is a
// valid index, so ids are range-checked once per block (the block's largest id).
constexpr std::size_t kRows = 257;
constexpr std::size_t kCols = 256;
constexpr std::size_t kEndOffset = kRows * kCols;  // then 2 per row: conversion, null

void PutU32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void PutU16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v & 0xFF));
  out.push_back(static_cast<char>(v >> 8));
}
std::uint32_t GetU32(const unsigned char* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
double GetF64(const unsigned char* p) {
  std::uint64_t bits = 0;
  for (int i = 7; i >= 0; --i) bits = (bits << 8) | p[i];
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}
void PutF64(std::string& out, double v) {
  std::uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xFF));
}

struct Closer {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

struct Block {
  std::uint64_t index = 0;
  std::uint64_t offset = 0;  // file offset of the block header
  std::uint32_t journeys = 0;
  std::unique_ptr<unsigned char[]> payload;  // reused from wave to wave
  std::size_t capacity = 0;
  std::size_t size = 0;
};

// The file's header, then its blocks a wave at a time.
class BlockReader {
 public:
  static Result<BlockReader> Open(const std::filesystem::path& path) {
    BlockReader r;
    r.name_ = path.string();
    r.file_.reset(std::fopen(path.c_str(), "rb"));
    if (!r.file_) return Status::IOError(r.name_ + ": cannot open: " + std::strerror(errno));
    unsigned char head[8];
    if (std::fread(head, 1, 8, r.file_.get()) != 8 || std::memcmp(head, kMagic, 4) != 0) {
      return Status::Corruption(r.name_ + ": not a binary journey file (no \"PGJ1\" header)");
    }
    const std::uint32_t n = GetU32(head + 4);
    if (n == 0 || n > kMaxChannels) {
      return Status::Corruption(r.name_ + ": channel count " + std::to_string(n) +
                                " (must be 1..256)");
    }
    r.offset_ = 8;
    for (std::uint32_t i = 0; i < n; ++i) {
      unsigned char len[2];
      if (std::fread(len, 1, 2, r.file_.get()) != 2) return r.Truncated("channel names");
      const std::size_t l = len[0] | (len[1] << 8);
      std::string name(l, '\0');
      if (std::fread(name.data(), 1, l, r.file_.get()) != l) return r.Truncated("channel names");
      if (name.empty()) {
        return Status::Corruption(r.name_ + ": channel " + std::to_string(i) + " has no name");
      }
      r.offset_ += 2 + l;
      r.channels_.push_back(std::move(name));
    }
    return r;
  }

  const std::string& name() const { return name_; }
  const std::vector<std::string>& channels() const { return channels_; }

  // Reads the next block into `b` (reusing its buffer). Returns false at the
  // end of the file.
  Result<bool> NextBlock(Block& b) {
    unsigned char head[8];
    const std::size_t got = std::fread(head, 1, 8, file_.get());
    if (got == 0 && std::feof(file_.get())) return false;
    if (got != 8) return Truncated("a block header");
    b.index = next_block_++;
    b.offset = offset_;
    b.journeys = GetU32(head);
    const std::uint32_t size = GetU32(head + 4);
    if (size > kMaxPayload || b.journeys > size / 3) {
      return Status::Corruption(name_ + ": block " + std::to_string(b.index) + " (offset " +
                                std::to_string(b.offset) + "): " + std::to_string(b.journeys) +
                                " journeys in " + std::to_string(size) +
                                " bytes is impossible");
    }
    if (b.capacity < size) {
      b.capacity = size;
      b.payload.reset(new unsigned char[size]);
    }
    b.size = size;
    if (std::fread(b.payload.get(), 1, size, file_.get()) != size) {
      return Truncated("block " + std::to_string(b.index));
    }
    offset_ += 8 + size;
    return true;
  }

 private:
  Status Truncated(const std::string& what) const {
    if (std::ferror(file_.get())) {
      return Status::IOError(name_ + ": read error: " + std::strerror(errno));
    }
    return Status::Corruption(name_ + ": file ends inside " + what);
  }

  std::string name_;
  std::unique_ptr<std::FILE, Closer> file_;
  std::vector<std::string> channels_;
  std::uint64_t offset_ = 0;
  std::uint64_t next_block_ = 0;
};

// One decoded journey.
struct Journey {
  const unsigned char* touches = nullptr;
  std::uint32_t count = 0;
  bool converted = false;
  double value = 0.0;
};

// Walks the journeys of a block, checking everything; `fn(journey)` for each.
// Returns an empty string or the first problem ("journey 5: ...").
template <typename Fn>
std::string DecodeBlock(const Block& b, std::uint32_t channel_count, bool check_ids, Fn&& fn) {
  const unsigned char* p = b.payload.get();
  const unsigned char* end = p + b.size;
  for (std::uint32_t j = 0; j < b.journeys; ++j) {
    auto fail = [&](const std::string& what) { return "journey " + std::to_string(j) + ": " + what; };
    if (end - p < 2) return fail("payload ends inside the journey");
    Journey jr;
    jr.count = p[0];
    const unsigned flags = p[1];
    p += 2;
    if (jr.count == 0) return fail("has no touch");
    if (flags & ~1u) return fail("unknown flags " + std::to_string(flags));
    jr.converted = flags & 1u;
    if (jr.converted) {
      if (end - p < 8) return fail("payload ends inside the value");
      jr.value = GetF64(p);
      p += 8;
      if (!std::isfinite(jr.value) || jr.value < 0) return fail("value is negative or not finite");
    }
    if (end - p < static_cast<std::ptrdiff_t>(jr.count)) return fail("payload ends inside the touches");
    jr.touches = p;
    if (check_ids) {
      for (std::uint32_t t = 0; t < jr.count; ++t) {
        if (p[t] >= channel_count) {
          return fail("channel id " + std::to_string(p[t]) + " >= channel count " +
                      std::to_string(channel_count));
        }
      }
    }
    p += jr.count;
    fn(jr);
  }
  if (p != end) return "block has " + std::to_string(end - p) + " bytes after its last journey";
  return {};
}

Status BlockError(const std::string& file, const Block& b, const std::string& what) {
  return Status::Corruption(file + ": block " + std::to_string(b.index) + " (offset " +
                            std::to_string(b.offset) + "): " + what);
}

}  // namespace

void JourneyBinaryWriter::Closer::operator()(std::FILE* f) const { std::fclose(f); }

Result<JourneyBinaryWriter> JourneyBinaryWriter::Create(const std::filesystem::path& path,
                                                        const std::vector<std::string>& channels,
                                                        std::uint32_t journeys_per_block) {
  if (channels.empty() || channels.size() > kMaxChannels) {
    return Status::InvalidArgument(path.string() + ": " + std::to_string(channels.size()) +
                                   " channels (a binary journey file holds 1..256)");
  }
  if (journeys_per_block == 0) {
    return Status::InvalidArgument(path.string() + ": journeys_per_block must be >= 1");
  }
  std::string head(kMagic, 4);
  PutU32(head, static_cast<std::uint32_t>(channels.size()));
  for (const std::string& c : channels) {
    if (c.empty() || c.size() > 0xFFFF) {
      return Status::InvalidArgument(path.string() + ": channel name \"" + c.substr(0, 40) +
                                     "\" is empty or longer than 65535 bytes");
    }
    PutU16(head, static_cast<std::uint16_t>(c.size()));
    head += c;
  }
  JourneyBinaryWriter w;
  w.name_ = path.string();
  w.file_.reset(std::fopen(path.c_str(), "wb"));
  if (!w.file_) return Status::IOError(w.name_ + ": cannot create: " + std::strerror(errno));
  if (std::fwrite(head.data(), 1, head.size(), w.file_.get()) != head.size()) {
    return Status::IOError(w.name_ + ": write error: " + std::strerror(errno));
  }
  w.channel_count_ = static_cast<std::uint32_t>(channels.size());
  w.per_block_ = journeys_per_block;
  return w;
}

Status JourneyBinaryWriter::Add(std::span<const std::uint8_t> path, bool converted, double value) {
  if (!file_) return Status::InvalidArgument(name_ + ": writer is closed");
  if (path.empty() || path.size() > 255) {
    return Status::InvalidArgument(name_ + ": a journey has 1..255 touches, not " +
                                   std::to_string(path.size()));
  }
  for (std::uint8_t c : path) {
    if (c >= channel_count_) {
      return Status::InvalidArgument(name_ + ": channel id " + std::to_string(c) +
                                     " >= channel count " + std::to_string(channel_count_));
    }
  }
  if (!std::isfinite(value) || value < 0 || (!converted && value != 0)) {
    return Status::InvalidArgument(name_ + ": journey value must be finite, >= 0, and 0 "
                                   "unless converted");
  }
  block_.push_back(static_cast<char>(path.size()));
  block_.push_back(converted ? 1 : 0);
  if (converted) PutF64(block_, value);
  block_.append(reinterpret_cast<const char*>(path.data()), path.size());
  ++journeys_;
  if (++in_block_ == per_block_) return FlushBlock();
  return Status::Ok();
}

Status JourneyBinaryWriter::FlushBlock() {
  if (in_block_ == 0) return Status::Ok();
  std::string head;
  PutU32(head, in_block_);
  PutU32(head, static_cast<std::uint32_t>(block_.size()));
  if (std::fwrite(head.data(), 1, head.size(), file_.get()) != head.size() ||
      std::fwrite(block_.data(), 1, block_.size(), file_.get()) != block_.size()) {
    return Status::IOError(name_ + ": write error: " + std::strerror(errno));
  }
  block_.clear();
  in_block_ = 0;
  return Status::Ok();
}

Status JourneyBinaryWriter::Close() {
  if (!file_) return Status::Ok();
  PG_RETURN_IF_ERROR(FlushBlock());
  std::FILE* f = file_.release();
  if (std::fclose(f) != 0) return Status::IOError(name_ + ": close error: " + std::strerror(errno));
  return Status::Ok();
}

Result<bool> IsJourneyBinaryFile(const std::filesystem::path& path) {
  std::unique_ptr<std::FILE, Closer> f(std::fopen(path.c_str(), "rb"));
  if (!f) return Status::IOError(path.string() + ": cannot open: " + std::strerror(errno));
  char head[4];
  return std::fread(head, 1, 4, f.get()) == 4 && std::memcmp(head, kMagic, 4) == 0;
}

namespace {

// Runs read (serial, in order) -> work (parallel) -> finish (serial, in file
// order) over the blocks of `reader`, with at most options.chunks_per_wave
// blocks in flight. `Slot` holds a Block `block` plus per-block work state and
// a std::string `error`; `work(slot)` decodes it; `finish(slot)` merges it (in
// block order) when no error came before. Returns the first error in file
// order (a read error after the blocks that decoded).
template <typename Slot, typename WorkFn, typename FinishFn>
Status RunBlockPipeline(BlockReader& reader, const AttributionOptions& options,
                        Progress* progress, WorkFn work, FinishFn finish) {
  std::vector<std::unique_ptr<Slot>> pool;
  tbb::concurrent_queue<Slot*> free_slots;
  for (std::size_t i = 0; i < options.chunks_per_wave; ++i) {
    pool.push_back(std::make_unique<Slot>());
    free_slots.push(pool.back().get());
  }
  Status read_failure, block_failure;
  std::atomic<bool> failed{false};
  bool eof = false;
  auto read = [&](tbb::flow_control& fc) -> Slot* {
    if (eof || failed.load()) {
      fc.stop();
      return nullptr;
    }
    if (Cancelled(options)) {
      read_failure = Status::Unavailable(reader.name() + ": reading cancelled");
      failed = true;
      fc.stop();
      return nullptr;
    }
    Slot* slot = nullptr;
    free_slots.try_pop(slot);  // never empty: one slot per live token
    auto more = reader.NextBlock(slot->block);
    if (!more.ok() || !*more) {
      if (!more.ok()) {
        read_failure = more.status();
        failed = true;
      }
      eof = true;
      free_slots.push(slot);
      fc.stop();
      return nullptr;
    }
    slot->error.clear();
    return slot;
  };
  auto decode = [&](Slot* slot) -> Slot* {
    work(*slot);
    return slot;
  };
  auto merge = [&](Slot* slot) {
    if (block_failure.ok()) {
      if (!slot->error.empty()) {
        block_failure = BlockError(reader.name(), slot->block, slot->error);
        failed = true;
      } else {
        finish(*slot);
      }
    }
    if (progress) progress->Advance(8 + slot->block.size);
    free_slots.push(slot);
  };
  attribution_internal::RunInArena(options.threads, [&] {
    tbb::parallel_pipeline(
        options.chunks_per_wave,
        tbb::make_filter<void, Slot*>(tbb::filter_mode::serial_in_order, read) &
            tbb::make_filter<Slot*, Slot*>(tbb::filter_mode::parallel, decode) &
            tbb::make_filter<Slot*, void>(tbb::filter_mode::serial_in_order, merge));
  });
  if (!block_failure.ok()) return block_failure;
  return read_failure;
}

}  // namespace

Result<JourneyTable> ReadJourneyBinary(const std::filesystem::path& path,
                                       const AttributionOptions& options, Progress* progress) {
  PG_RETURN_IF_ERROR(ValidateAttributionOptions(options));
  PG_ASSIGN_OR_RETURN(BlockReader reader, BlockReader::Open(path));
  const auto channel_count = static_cast<std::uint32_t>(reader.channels().size());
  attribution_internal::PathMerger merger;
  merger.SetKeys(reader.channels());
  struct Slot {
    Block block;
    std::string error;
    attribution_internal::ChunkPaths paths;
    attribution_internal::FlatIndex index{1 << 12};
    std::vector<std::string_view> raw_keys;
    std::vector<std::uint32_t> ids;
  };
  auto work = [&](Slot& slot) {
    auto& out = slot.paths;
    out.Clear();
    slot.index.Clear();
    slot.raw_keys.clear();
    std::string bad_id;
    slot.error = DecodeBlock(slot.block, channel_count, false, [&](const Journey& j) {
      if (!bad_id.empty()) return;
      std::string_view raw(reinterpret_cast<const char*>(j.touches), j.count);
      bool inserted = false;
      const std::uint32_t p = slot.index.FindOrInsert(
          attribution_internal::HashBytes(raw.data(), raw.size()),
          [&](std::uint32_t k) { return slot.raw_keys[k] == raw; }, &inserted);
      if (inserted) {
        slot.raw_keys.push_back(raw);
        slot.ids.assign(j.touches, j.touches + j.count);
        for (std::uint32_t id : slot.ids) {
          if (id >= channel_count) {
            bad_id = "journey " + std::to_string(out.rows) + ": channel id " +
                     std::to_string(id) + " >= channel count " + std::to_string(channel_count);
            return;
          }
        }
        out.AddPath(slot.ids);
      }
      out.Add(p, j.converted ? 1.0 : 0.0, j.value, j.converted ? 0.0 : 1.0);
      ++out.rows;
    });
    if (slot.error.empty()) slot.error = std::move(bad_id);
  };
  auto finish = [&](Slot& slot) { merger.Merge(slot.paths); };
  PG_RETURN_IF_ERROR(RunBlockPipeline<Slot>(reader, options, progress, work, finish));
  return std::move(merger).Finish();
}

Result<BinaryOrder1Chain> CountMarkovOrder1FromBinary(const std::filesystem::path& path,
                                                      const AttributionOptions& options,
                                                      Progress* progress) {
  PG_RETURN_IF_ERROR(ValidateAttributionOptions(options));
  PG_ASSIGN_OR_RETURN(BlockReader reader, BlockReader::Open(path));
  const auto n = static_cast<std::uint32_t>(reader.channels().size());
  // Integer counts per thread: exact, so the order of the final sum is irrelevant.
  tbb::enumerable_thread_specific<std::vector<std::uint64_t>> counts(
      [] { return std::vector<std::uint64_t>(kEndOffset + 2 * kRows, 0); });
  std::vector<double> values(n, 0.0);
  std::uint64_t journeys = 0;
  struct Slot {
    Block block;
    std::string error;
    std::vector<double> values;  // conversion value per row of the count matrix
  };
  auto work = [&](Slot& slot) {
    std::uint64_t* c = counts.local().data();
    slot.values.assign(kRows, 0.0);
    double* v = slot.values.data();
    const Block& b = slot.block;
    const unsigned char* p = b.payload.get();
    const unsigned char* end = p + b.size;
    std::uint64_t* ends = c + kEndOffset;
    unsigned largest = 0;
    std::uint32_t j = 0;
    // The fast loop: structure checked inline, channel ids folded into `largest`.
    for (; j < b.journeys; ++j) {
      if (end - p < 2) break;
      const std::uint32_t touches = p[0];
      const unsigned flags = p[1];
      if (touches == 0 || (flags & ~1u)) break;
      const std::size_t need = 2 + (flags ? 8 : 0) + touches;
      if (static_cast<std::size_t>(end - p) < need) break;
      double value = 0;
      if (flags) {
        value = GetF64(p + 2);
        if (!std::isfinite(value) || value < 0) break;
      }
      const unsigned char* t = p + 2 + (flags ? 8 : 0);
      std::size_t row = 0;
      for (std::uint32_t k = 0; k < touches; ++k) {
        const unsigned ch = t[k];
        largest = std::max(largest, ch);
        ++c[(row << 8) + ch];
        row = ch + 1;
      }
      ++ends[2 * row + (flags ? 0 : 1)];
      v[row] += value;
      p += need;
    }
    if (j < b.journeys || p != end || largest >= n) {
      slot.error = DecodeBlock(b, n, true, [](const Journey&) {});
      if (slot.error.empty()) slot.error = "inconsistent block";
    }
  };
  auto finish = [&](Slot& slot) {
    for (std::uint32_t k = 0; k < n; ++k) values[k] += slot.values[k + 1];
    journeys += slot.block.journeys;
  };
  PG_RETURN_IF_ERROR(RunBlockPipeline<Slot>(reader, options, progress, work, finish));
  std::vector<double> matrix((n + 1) * (n + 2), 0.0);
  for (const auto& c : counts) {
    for (std::size_t r = 0; r <= n; ++r) {
      for (std::size_t col = 0; col < n; ++col) {
        matrix[r * (n + 2) + col] += static_cast<double>(c[r * kCols + col]);
      }
      matrix[r * (n + 2) + n] += static_cast<double>(c[kEndOffset + 2 * r]);
      matrix[r * (n + 2) + n + 1] += static_cast<double>(c[kEndOffset + 2 * r + 1]);
    }
  }
  return BinaryOrder1Chain{reader.channels(), MarkovChain::FromOrder1Counts(n, matrix, values),
                           journeys};
}

}  // namespace partnergraph
