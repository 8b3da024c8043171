// What the fuzz targets share (docs/testing.md, "Fuzzing").
//
// The model-file loaders read paths, so a target writes the fuzzer's bytes to a file in a
// private scratch folder (on /dev/shm when it exists: no disk I/O per input) and calls the
// loader on it. Every model file is a binary container with a CRC-32 per section, one of its
// header and one of the whole file: random bytes would almost never get past them, so
// FixContainerChecksums rewrites those fields after the fuzzer's mutation. The loaders are then
// exercised past their checksums on every input, as they would be on a file damaged before
// its checksum was written (a bug in a writer, or a deliberately crafted file).
//
// Thread safety: none; a libFuzzer target runs one input at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace partnergraph::fuzz {

// The scratch folder of this process, created on first use and removed at exit (or, after a
// crash, by the next target that starts).
const std::filesystem::path& ScratchDir();

// Writes `bytes` to ScratchDir() / name (replacing it) and returns the path. Aborts if the
// write fails: a harness fault, not a finding.
std::filesystem::path WriteScratchFile(const std::string& name, std::string_view bytes);

// The bytes of a fuzzer input as a string.
inline std::string AsString(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// zlib's CRC-32 of `bytes`.
std::uint32_t Crc32(std::string_view bytes);

// Sets the last 4 bytes to the little-endian CRC-32 of the bytes before them. No effect below
// 4 bytes.
void FixTrailingChecksum(std::string& bytes);

// A binary container (common/binary_container.hpp: graph.pgg, *.emb, *.faiss.meta,
// *_neighbors.bin, precomputed.bin): each section's CRC-32 whose offset and length lie inside
// the file, then the header's, then the whole file's. No effect on what is too short for them.
void FixContainerChecksums(std::string& bytes);

// Where section `name` of a container lies (offset, length), when its table entry can be read
// and its bytes lie inside the file; nullopt otherwise.
std::optional<std::pair<std::size_t, std::size_t>> FindContainerSection(const std::string& bytes,
                                                                        std::string_view name);

// manifest.json (engine/model_manifest.hpp): when the text holds `"manifest_crc32": "` once,
// followed by 8 bytes, those become the CRC-32 of the text with them read as "00000000".
void FixManifestChecksum(std::string& text);

}  // namespace partnergraph::fuzz
