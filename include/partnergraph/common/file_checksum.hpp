// File checksums: a file's size and CRC-32 (zlib), read in full, or, for a file that ends
// with the CRC-32 of all its preceding bytes (every binary model file does: graph.pgg,
// *.emb, *.faiss.meta, *.bin), that recorded value, read from its last four bytes.
//
// Note: the CRC-32 of a whole file that ends with its own CRC-32 (little-endian) is the same
// constant, 0x2144DF1C, for every such file: CRC-32 is affine, and that is its residue. It
// tells a damaged file from an intact one, never one intact file from another; the recorded
// value does (see model_manifest.hpp).
//
// Thread safety: functions are independent; concurrent calls are safe.
#pragma once

#include <cstdint>
#include <filesystem>

#include "partnergraph/common/status.hpp"

namespace partnergraph {

struct FileDigest {
  std::uint64_t size = 0;
  std::uint32_t crc = 0;  // CRC-32 (zlib)
};

// Size and CRC-32 of every byte of a file, read in 1 MiB pieces. Errors: IOError naming it.
Result<FileDigest> DigestFile(const std::filesystem::path& path);

// Size of a file that ends with a u32 (little-endian) CRC-32 of all its preceding bytes, and
// that recorded CRC-32, from its size and its last four bytes only (whether the bytes match
// it is the file's loader's to check, or DigestFile's). Errors: IOError naming the file when
// it cannot be read; Corruption naming it when it is shorter than four bytes.
Result<FileDigest> ReadTrailingCrc32(const std::filesystem::path& path);

}  // namespace partnergraph
