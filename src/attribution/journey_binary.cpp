#include "partnergraph/attribution/journey_binary.hpp"

#include <endian.h>
#include <fmt/format.h>
#include <oneapi/tbb/concurrent_queue.h>
#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/parallel_pipeline.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <string_view>
#include <utility>

#include "parallel.hpp"
#include "partnergraph/common/binary_container.hpp"
#include "partnergraph/common/errno_text.hpp"
#include "path_aggregator.hpp"

namespace partnergraph {
namespace {

constexpr char kMagic[4] = {'P', 'G', 'J', '1'};
constexpr std::uint32_t kMaxChannels = 256;
constexpr std::uint32_t kMaxPayload = 1u << 28;
// A mapped file's merged pages leave the resident set this many bytes at a time.
constexpr std::uint64_t kReleaseStep = 16u << 20;

// The counts of the order-1 fast path, one table per thread, for a file of n
// channels (sized by n, not by 256, so that a thread does not touch, and fault
// in, half a megabyte of zeros for a dozen channels):
//   - a transition matrix of cols = bit_ceil(n) columns (a power of two, so a
//     row offset is a shift) and cols + 1 rows, (start) then one per column,
//     then the (conversion) and (null) counts of each row;
//   - whole-journey counts for the short journeys (up to key_touches touches:
//     3 when cols <= 16, 2 when cols <= 64, 1 up to 128 channels, none above):
//     per touch count t, one (conversion, null) pair per key
//     b0 | b1 << shift | b2 << 2 shift. Such a journey costs one increment
//     and no loop (journey lengths are unpredictable, and the mispredicted
//     loop exit cost more than the counting); keys are expanded into
//     transitions once, at the end.
// A channel byte is masked to cols - 1 before use, so any byte is a valid index,
// and ids are range-checked once per block (the block's largest unmasked id,
// or an out-of-range bit for the short journeys): a block with a bad id fails
// the whole read, so where its counts went does not matter.
struct Order1Layout {
  explicit Order1Layout(std::uint32_t n)
      : cols(std::bit_ceil(std::max<std::size_t>(n, 1))),
        shift(static_cast<unsigned>(std::countr_zero(cols))),
        rows(cols + 1),
        end_offset(rows * cols),
        key_touches(n > 128 ? 0 : shift <= 4 ? 3 : shift <= 6 ? 2 : 1) {
    std::size_t entries = 0, keys = 1;
    for (std::uint32_t t = 1; t <= key_touches; ++t) {
      keys *= cols;
      key_base[t] = end_offset + 2 * rows + 2 * entries;
      entries += keys;
    }
    total = end_offset + 2 * rows + 2 * entries;
  }
  std::size_t cols;
  unsigned shift;
  std::size_t rows;
  std::size_t end_offset;  // then 2 per row: conversion, null
  std::uint32_t key_touches;
  // Offset of the (conversion, null) pair of key 0 of t-touch journeys.
  std::array<std::size_t, 4> key_base{};
  std::size_t total = 0;
  std::size_t size() const { return total; }
  // Keys of t-touch journeys.
  std::size_t key_count(std::uint32_t t) const { return std::size_t{1} << (shift * t); }
};

struct Closer {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

struct Block {
  std::uint64_t index = 0;
  std::uint64_t offset = 0;  // file offset of the block header
  std::uint32_t journeys = 0;
  const unsigned char* payload = nullptr;  // into the file's mapping, or `buffer`
  std::size_t size = 0;
  std::vector<unsigned char> buffer;  // read files only; reused from wave to wave
};

// The file's header, then its blocks a wave at a time, through a BinaryStreamReader
// (common/binary_container.hpp): a regular file is mapped, not copied; a block's pages are
// mapped in one call when it is decoded (Populate) and dropped from the resident set after it
// is merged (Release, kReleaseStep at a time), so the mapped part of the resident set stays
// under kReleaseStep plus the blocks in flight. Other files (pipes) are read into per-slot
// buffers.
class BlockReader {
 public:
  static Result<BlockReader> Open(const std::filesystem::path& path) {
    PG_ASSIGN_OR_RETURN(BinaryStreamReader file, BinaryStreamReader::Open(path));
    BlockReader r(std::move(file));
    const unsigned char* head = nullptr;
    auto magic = r.file_.Read(8, "the header", r.head_);
    if (magic.ok()) head = *magic;
    if (head == nullptr || std::memcmp(head, kMagic, 4) != 0) {
      return Status::Corruption(
          fmt::format("{}: not a binary journey file (no \"PGJ1\" header)", r.name()));
    }
    const auto n = LoadLittleEndian<std::uint32_t>(head + 4);
    if (n == 0 || n > kMaxChannels) {
      return Status::Corruption(fmt::format("{}: channel count {} (must be 1..256)", r.name(), n));
    }
    for (std::uint32_t i = 0; i < n; ++i) {
      PG_ASSIGN_OR_RETURN(const unsigned char* len, r.file_.Read(2, "channel names", r.head_));
      const std::size_t l = LoadLittleEndian<std::uint16_t>(len);
      PG_ASSIGN_OR_RETURN(const unsigned char* name, r.file_.Read(l, "channel names", r.head_));
      if (l == 0) return Status::Corruption(fmt::format("{}: channel {} has no name", r.name(), i));
      r.channels_.emplace_back(reinterpret_cast<const char*>(name), l);
    }
    return r;
  }

  const std::string& name() const { return file_.name(); }
  const std::vector<std::string>& channels() const { return channels_; }
  Status CheckUnchanged() const { return file_.CheckUnchanged(); }

  // Reads the next block into `b` (reusing its buffer). Returns false at the
  // end of the file.
  Result<bool> NextBlock(Block& b) {
    PG_ASSIGN_OR_RETURN(const bool end, file_.AtEnd());
    if (end) return false;
    b.index = next_block_++;
    b.offset = file_.offset();
    PG_ASSIGN_OR_RETURN(const unsigned char* head, file_.Read(8, "a block header", head_));
    b.journeys = LoadLittleEndian<std::uint32_t>(head);
    const auto size = LoadLittleEndian<std::uint32_t>(head + 4);
    if (size > kMaxPayload || b.journeys > size / 3) {
      return Status::Corruption(
          fmt::format("{}: block {} (offset {}): {} journeys in {} bytes is impossible", name(),
                      b.index, b.offset, b.journeys, size));
    }
    PG_ASSIGN_OR_RETURN(b.payload, file_.Read(size, fmt::format("block {}", b.index), b.buffer));
    b.size = size;
    return true;
  }

  // Brings in the pages of block `b` before it is decoded (BinaryStreamReader::Populate).
  void Populate(const Block& b) const { file_.Populate(b.offset, b.offset + 8 + b.size); }
  // Called in block order once block `b` is merged (BinaryStreamReader::Release).
  void Release(const Block& b) { file_.Release(b.offset + 8 + b.size, kReleaseStep); }

 private:
  explicit BlockReader(BinaryStreamReader file) : file_(std::move(file)) {}

  BinaryStreamReader file_;
  std::vector<unsigned char> head_;  // headers read from a pipe
  std::vector<std::string> channels_;
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
  const unsigned char* p = b.payload;
  const unsigned char* end = p + b.size;
  for (std::uint32_t j = 0; j < b.journeys; ++j) {
    auto fail = [&](const std::string& what) { return fmt::format("journey {}: {}", j, what); };
    if (end - p < 2) return fail("payload ends inside the journey");
    Journey jr;
    jr.count = p[0];
    const unsigned flags = p[1];
    p += 2;
    if (jr.count == 0) return fail("has no touch");
    if (flags & ~1u) return fail(fmt::format("unknown flags {}", flags));
    jr.converted = flags & 1u;
    if (jr.converted) {
      if (end - p < 8) return fail("payload ends inside the value");
      jr.value = LoadLittleEndian<double>(p);
      p += 8;
      if (!std::isfinite(jr.value) || jr.value < 0) return fail("value is negative or not finite");
    }
    if (end - p < static_cast<std::ptrdiff_t>(jr.count)) return fail("payload ends inside the touches");
    jr.touches = p;
    if (check_ids) {
      for (std::uint32_t t = 0; t < jr.count; ++t) {
        if (p[t] >= channel_count) {
          return fail(fmt::format("channel id {} >= channel count {}", p[t], channel_count));
        }
      }
    }
    p += jr.count;
    fn(jr);
  }
  if (p != end) return fmt::format("block has {} bytes after its last journey", end - p);
  return {};
}

Status BlockError(const std::string& file, const Block& b, const std::string& what) {
  return Status::Corruption(
      fmt::format("{}: block {} (offset {}): {}", file, b.index, b.offset, what));
}

}  // namespace

void JourneyBinaryWriter::Closer::operator()(std::FILE* f) const { std::fclose(f); }

Result<JourneyBinaryWriter> JourneyBinaryWriter::Create(const std::filesystem::path& path,
                                                        const std::vector<std::string>& channels,
                                                        std::uint32_t journeys_per_block) {
  if (channels.empty() || channels.size() > kMaxChannels) {
    return Status::InvalidArgument(fmt::format(
        "{}: {} channels (a binary journey file holds 1..256)", path.string(), channels.size()));
  }
  if (journeys_per_block == 0) {
    return Status::InvalidArgument(
        fmt::format("{}: journeys_per_block must be >= 1", path.string()));
  }
  ByteWriter head;
  head.PutBytes(std::string_view(kMagic, 4));
  head.Put(static_cast<std::uint32_t>(channels.size()));
  for (const std::string& c : channels) {
    if (c.empty() || c.size() > 0xFFFF) {
      return Status::InvalidArgument(
          fmt::format("{}: channel name \"{}\" is empty or longer than 65535 bytes", path.string(),
                      c.substr(0, 40)));
    }
    head.Put(static_cast<std::uint16_t>(c.size()));
    head.PutBytes(c);
  }
  JourneyBinaryWriter w;
  w.name_ = path.string();
  w.file_.reset(std::fopen(path.c_str(), "wb"));
  if (!w.file_) {
    return Status::IOError(fmt::format("{}: cannot create: {}", w.name_, ErrnoText(errno)));
  }
  if (std::fwrite(head.data().data(), 1, head.data().size(), w.file_.get()) != head.data().size()) {
    return Status::IOError(fmt::format("{}: write error: {}", w.name_, ErrnoText(errno)));
  }
  w.channel_count_ = static_cast<std::uint32_t>(channels.size());
  w.per_block_ = journeys_per_block;
  return w;
}

Status JourneyBinaryWriter::Add(std::span<const std::uint8_t> path, bool converted, double value) {
  if (!file_) return Status::InvalidArgument(fmt::format("{}: writer is closed", name_));
  if (path.empty() || path.size() > 255) {
    return Status::InvalidArgument(
        fmt::format("{}: a journey has 1..255 touches, not {}", name_, path.size()));
  }
  for (std::uint8_t c : path) {
    if (c >= channel_count_) {
      return Status::InvalidArgument(
          fmt::format("{}: channel id {} >= channel count {}", name_, c, channel_count_));
    }
  }
  if (!std::isfinite(value) || value < 0 || (!converted && value != 0)) {
    return Status::InvalidArgument(
        fmt::format("{}: journey value must be finite, >= 0, and 0 unless converted", name_));
  }
  block_.push_back(static_cast<char>(path.size()));
  block_.push_back(converted ? 1 : 0);
  if (converted) block_.append(reinterpret_cast<const char*>(&value), sizeof value);
  block_.append(reinterpret_cast<const char*>(path.data()), path.size());
  ++journeys_;
  if (++in_block_ == per_block_) return FlushBlock();
  return Status::Ok();
}

Status JourneyBinaryWriter::FlushBlock() {
  if (in_block_ == 0) return Status::Ok();
  ByteWriter head;
  head.Put(in_block_);
  head.Put(static_cast<std::uint32_t>(block_.size()));
  if (std::fwrite(head.data().data(), 1, 8, file_.get()) != 8 ||
      std::fwrite(block_.data(), 1, block_.size(), file_.get()) != block_.size()) {
    return Status::IOError(fmt::format("{}: write error: {}", name_, ErrnoText(errno)));
  }
  block_.clear();
  in_block_ = 0;
  return Status::Ok();
}

Status JourneyBinaryWriter::Close() {
  if (!file_) return Status::Ok();
  PG_RETURN_IF_ERROR(FlushBlock());
  std::FILE* f = file_.release();
  if (std::fclose(f) != 0) {
    return Status::IOError(fmt::format("{}: close error: {}", name_, ErrnoText(errno)));
  }
  return Status::Ok();
}

Result<bool> IsJourneyBinaryFile(const std::filesystem::path& path) {
  std::unique_ptr<std::FILE, Closer> f(std::fopen(path.c_str(), "rb"));
  if (!f) {
    return Status::IOError(fmt::format("{}: cannot open: {}", path.string(), ErrnoText(errno)));
  }
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
      read_failure = Status::Unavailable(fmt::format("{}: reading cancelled", reader.name()));
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
    reader.Populate(slot->block);
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
    reader.Release(slot->block);
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
  PG_RETURN_IF_ERROR(read_failure);
  // Every block has been read: a file truncated meanwhile was read as zeros (mapped_file.hpp).
  return reader.CheckUnchanged();
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
            bad_id = fmt::format("journey {}: channel id {} >= channel count {}", out.rows, id,
                                 channel_count);
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
  const Order1Layout layout(n);
  // Integer counts per thread: exact, so the order of the final sum is irrelevant.
  tbb::enumerable_thread_specific<std::vector<std::uint64_t>> counts(
      [&] { return std::vector<std::uint64_t>(layout.size(), 0); });
  std::vector<double> values(n, 0.0);
  std::uint64_t journeys = 0;
  struct Slot {
    Block block;
    std::string error;
    std::vector<double> values;  // conversion value per row of the count matrix
  };
  auto work = [&](Slot& slot) {
    std::uint64_t* c = counts.local().data();
    slot.values.assign(layout.rows, 0.0);
    double* v = slot.values.data();
    const Block& b = slot.block;
    const unsigned char* p = b.payload;
    const unsigned char* end = p + b.size;
    std::uint64_t* ends = c + layout.end_offset;
    const unsigned shift = layout.shift;
    const unsigned mask = static_cast<unsigned>(layout.cols - 1);
    unsigned largest = 0;
    std::uint32_t j = 0;
    const std::uint32_t key_touches = layout.key_touches;
    // Per byte of a 3-byte window: 128 - n (see out_of_range).
    const std::uint32_t id_limit = (128u - n) * 0x010101u;
    std::uint32_t out_of_range = 0;
    const std::array<std::size_t, 4> key_base = layout.key_base;  // a local: `c` cannot alias it
    // Touch bytes of a t-touch journey in a little-endian 4-byte load.
    static constexpr std::uint32_t kTouchMask[4] = {0, 0xFFu, 0xFFFFu, 0xFFFFFFu};
    // The fast loop: structure checked inline, channel ids folded into `largest`.
    for (; j < b.journeys; ++j) {
      if (end - p < 2) break;
      const std::uint32_t touches = p[0];
      const unsigned flags = p[1];
      if (touches == 0 || (flags & ~1u)) break;
      const std::size_t need = 2 + (flags ? 8 : 0) + touches;
      if (static_cast<std::size_t>(end - p) < need) break;
      const unsigned char* t = p + 2 + (flags ? 8 : 0);
      if (touches <= key_touches && end - t >= 4) {
        std::uint32_t window;
        std::memcpy(&window, t, 4);
        window = le32toh(window) & kTouchMask[touches];
        // A byte b < 128 has b + 128 - n >= 128 exactly when b >= n; a byte
        // >= 128 sets the top bit itself (n <= 128 on this path).
        out_of_range |= window | (window + id_limit);
        const unsigned b0 = window & 0xFFu, b1 = (window >> 8) & 0xFFu, b2 = window >> 16;
        const std::size_t key = (b0 & mask) | ((b1 & mask) << shift) | ((b2 & mask) << (2 * shift));
        ++c[key_base[touches] + 2 * key + (flags ^ 1u)];
      } else {
        std::size_t row = 0;
        for (std::uint32_t k = 0; k < touches; ++k) {
          const unsigned ch = t[k];
          largest = std::max(largest, ch);
          const unsigned col = ch & mask;
          ++c[(row << shift) + col];
          row = col + 1;
        }
        ++ends[2 * row + (flags ^ 1u)];
      }
      if (flags) {
        const double value = LoadLittleEndian<double>(p + 2);
        if (!std::isfinite(value) || value < 0) break;
        v[(t[touches - 1] & mask) + 1] += value;
      }
      p += need;
    }
    if (j < b.journeys || p != end || largest >= n || (out_of_range & 0x808080u) != 0) {
      slot.error = DecodeBlock(b, n, true, [](const Journey&) {});
      if (slot.error.empty()) slot.error = "inconsistent block";
    }
  };
  auto finish = [&](Slot& slot) {
    for (std::uint32_t k = 0; k < n; ++k) values[k] += slot.values[k + 1];
    journeys += slot.block.journeys;
  };
  PG_RETURN_IF_ERROR(RunBlockPipeline<Slot>(reader, options, progress, work, finish));
  // Sum the threads' tables, whole-journey keys expanded into transitions (all
  // in integers: exact, whatever the order).
  std::vector<std::uint64_t> total(layout.size(), 0);
  for (const auto& c : counts) {
    for (std::size_t i = 0; i < total.size(); ++i) total[i] += c[i];
  }
  const std::size_t mask = layout.cols - 1;
  for (std::uint32_t touches = 1; touches <= layout.key_touches; ++touches) {
    for (std::size_t key = 0; key < layout.key_count(touches); ++key) {
      const std::uint64_t conversions = total[layout.key_base[touches] + 2 * key];
      const std::uint64_t nulls = total[layout.key_base[touches] + 2 * key + 1];
      if (conversions + nulls == 0) continue;
      std::size_t row = 0;
      for (std::uint32_t k = 0; k < touches; ++k) {
        const std::size_t col = (key >> (layout.shift * k)) & mask;
        total[(row << layout.shift) + col] += conversions + nulls;
        row = col + 1;
      }
      total[layout.end_offset + 2 * row] += conversions;
      total[layout.end_offset + 2 * row + 1] += nulls;
    }
  }
  std::vector<double> matrix((std::size_t{n} + 1) * (n + 2), 0.0);
  for (std::size_t r = 0; r <= n; ++r) {
    for (std::size_t col = 0; col < n; ++col) {
      matrix[r * (n + 2) + col] = static_cast<double>(total[(r << layout.shift) + col]);
    }
    matrix[r * (n + 2) + n] = static_cast<double>(total[layout.end_offset + 2 * r]);
    matrix[r * (n + 2) + n + 1] = static_cast<double>(total[layout.end_offset + 2 * r + 1]);
  }
  return BinaryOrder1Chain{reader.channels(), MarkovChain::FromOrder1Counts(n, matrix, values),
                           journeys};
}

}  // namespace partnergraph
