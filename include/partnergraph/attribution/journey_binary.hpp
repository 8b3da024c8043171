// The binary journey file: individual journeys as channel-id sequences, for
// fast batch reading (docs/attribution.md "Binary journey file").
//
// Layout (all integers little-endian):
//   header   "PGJ1" | u32 channel_count (1..256)
//            | channel_count × (u16 name length, name bytes)
//   blocks   until the end of the file, each:
//            u32 journey_count | u32 payload_bytes | payload
//   journey  u8 touches (1..255) | u8 flags (bit 0: converted; other bits 0)
//            | f64 value (only when converted; IEEE-754, finite, >= 0)
//            | touches × u8 channel id (< channel_count)
// Blocks are independent, so a reader decodes a wave of them in parallel.
// A journey with more than 255 touches cannot be written (the writer rejects it).
//
// Thread safety: a JourneyBinaryWriter is not synchronised; the reading
// functions are reentrant.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "partnergraph/attribution/attribution_options.hpp"
#include "partnergraph/attribution/journey_table.hpp"
#include "partnergraph/attribution/markov_chain.hpp"
#include "partnergraph/common/progress.hpp"
#include "partnergraph/common/status.hpp"

namespace partnergraph {

class JourneyBinaryWriter {
 public:
  // Creates (truncates) `path` and writes the header. Errors: InvalidArgument
  // for 0 or more than 256 channels, an empty or over-long name, or
  // journeys_per_block 0; IOError naming the file.
  static Result<JourneyBinaryWriter> Create(const std::filesystem::path& path,
                                            const std::vector<std::string>& channels,
                                            std::uint32_t journeys_per_block = 65536);
  JourneyBinaryWriter(JourneyBinaryWriter&&) noexcept = default;
  JourneyBinaryWriter& operator=(JourneyBinaryWriter&&) noexcept = default;
  ~JourneyBinaryWriter() = default;  // an unclosed file is left incomplete

  // Appends one journey. Errors: InvalidArgument for 0 or more than 255
  // touches, a channel id out of range, a negative or non-finite value (or a
  // value on a non-converted journey); IOError.
  Status Add(std::span<const std::uint8_t> path, bool converted, double value = 0.0);
  // Writes the last block and closes the file. Errors: IOError.
  Status Close();

  std::uint64_t journeys() const { return journeys_; }

 private:
  struct Closer {
    void operator()(std::FILE* f) const;
  };
  JourneyBinaryWriter() = default;
  Status FlushBlock();

  std::string name_;
  std::unique_ptr<std::FILE, Closer> file_;
  std::uint32_t channel_count_ = 0;
  std::uint32_t per_block_ = 0;
  std::uint32_t in_block_ = 0;
  std::string block_;
  std::uint64_t journeys_ = 0;
};

// True when `path` starts with the "PGJ1" magic. Errors: IOError.
Result<bool> IsJourneyBinaryFile(const std::filesystem::path& path);

// Reads a binary journey file into a JourneyTable of distinct paths (the same
// table a path file with one row per journey would give, except that channel
// ids follow the file's channel list). Streaming like ReadPathFile: a pipeline
// reads blocks in order, decodes them in parallel and merges them in block
// order, with at most options.chunks_per_wave blocks in flight. `progress`
// (may be null) counts bytes.
// Errors: IOError; Corruption naming the file, block and journey (bad magic,
// sizes, touch count, flags, channel id, value).
Result<JourneyTable> ReadJourneyBinary(const std::filesystem::path& path,
                                       const AttributionOptions& options,
                                       Progress* progress = nullptr);

// The order-1 Markov chain counted straight from a binary journey file, without
// building paths: per-thread integer transition counts (exact, so the reduction
// order does not matter), conversion values summed per block and merged in
// block order. Same errors as ReadJourneyBinary.
struct BinaryOrder1Chain {
  std::vector<std::string> keys;  // the file's channel names
  MarkovChain chain;
  std::uint64_t journeys = 0;
};
Result<BinaryOrder1Chain> CountMarkovOrder1FromBinary(const std::filesystem::path& path,
                                                      const AttributionOptions& options,
                                                      Progress* progress = nullptr);

}  // namespace partnergraph
