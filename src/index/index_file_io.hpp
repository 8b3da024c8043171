// File helpers of the index module: checksums, durable writes, whole-file
// reads. (The embed module has its own AtomicFileWriter; index does not link
// embed, so the few lines are repeated rather than shared through common.)
//
// Thread safety: functions are independent; concurrent calls on different
// paths are safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "partnergraph/common/status.hpp"

namespace partnergraph::index_internal {

// CRC-32 (zlib) of `size` bytes continuing from `crc` (0 to start).
std::uint32_t Crc32(std::uint32_t crc, const void* data, std::size_t size);

struct FileDigest {
  std::uint64_t size = 0;
  std::uint32_t crc = 0;
};
// Size and CRC-32 of a file, read in 1 MiB pieces. Errors: IOError naming it.
Result<FileDigest> DigestFile(const std::filesystem::path& path);

// Flushes a written file to disk (fsync). Errors: IOError naming it.
Status SyncFile(const std::filesystem::path& path);

// Writes `bytes` to `path` + ".tmp", fsyncs it and renames it over `path`; the temporary
// is removed on failure. Errors: IOError naming the file.
Status WriteFileAtomically(const std::filesystem::path& path, const std::string& bytes);

// The whole content of a file. Errors: IOError naming it.
Result<std::string> ReadWholeFile(const std::filesystem::path& path);

}  // namespace partnergraph::index_internal
