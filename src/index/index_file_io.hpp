// File helpers of the index module: a file's size and checksum, fsync of a
// file written by FAISS, durable writes and whole-file reads (the latter two
// on top of common's AtomicFileWriter).
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
