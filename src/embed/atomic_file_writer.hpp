// AtomicFileWriter: writes a file so that readers see either its old content
// or the complete new one: the bytes go to "<path>.tmp", are flushed to disk
// (fsync) and the temporary is renamed over <path> by Commit(). Destroying the
// writer before Commit() removes the temporary. Keeps a running CRC-32 (zlib)
// of everything appended.
//
// Thread safety: none; one writer per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>

#include "partnergraph/common/status.hpp"

namespace partnergraph::embed_internal {

class AtomicFileWriter {
 public:
  // Creates "<path>.tmp". Errors: IOError naming it.
  static Result<AtomicFileWriter> Open(const std::filesystem::path& path);
  AtomicFileWriter(AtomicFileWriter&& other) noexcept;
  AtomicFileWriter& operator=(AtomicFileWriter&&) = delete;
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  ~AtomicFileWriter();

  // Appends bytes. Errors: IOError naming the temporary file.
  Status Append(const void* data, std::size_t size);
  // CRC-32 of the bytes appended so far.
  std::uint32_t crc() const { return crc_; }
  // fsync, close, rename over the target. Errors: IOError; the temporary is removed.
  Status Commit();

 private:
  AtomicFileWriter(std::filesystem::path path, std::filesystem::path tmp, int fd)
      : path_(std::move(path)), tmp_(std::move(tmp)), fd_(fd) {}
  std::filesystem::path path_;
  std::filesystem::path tmp_;
  int fd_ = -1;
  std::uint32_t crc_ = 0;
};

// CRC-32 (zlib) of `size` bytes continuing from `crc` (0 to start).
std::uint32_t Crc32(std::uint32_t crc, const void* data, std::size_t size);

}  // namespace partnergraph::embed_internal
