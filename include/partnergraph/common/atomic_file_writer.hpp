// AtomicFileWriter: writes a file so that readers see either its old content
// or the complete new one, also after a crash or a power loss: the bytes go to
// "<path>.tmp"; Commit() fsyncs it, puts it in <path>'s place (swapping it with
// an existing file, renameat2 RENAME_EXCHANGE, then removing the old one) and
// fsyncs the folder, so that neither a renamed but empty file nor a lost rename
// can survive a crash. Destroying the writer before Commit() (or a failed
// Commit()) removes the temporary. Keeps a running CRC-32 (zlib) of everything
// appended.
//
// WriteFileAtomically is the one-call form for bytes already in memory; every
// "write to a temporary file and rename" in the tree goes through one of the two.
//
// Error messages start with the target path and name the temporary file
// ("/m/config.json: write to /m/config.json.tmp failed: No space left on device").
//
// Thread safety: none; one writer per thread. Two writers of the same path at
// once share the temporary file: do not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>

#include "partnergraph/common/status.hpp"

namespace partnergraph {

class AtomicFileWriter {
 public:
  // Creates (truncates) "<path>.tmp". Errors: IOError naming the file and the temporary.
  static Result<AtomicFileWriter> Open(const std::filesystem::path& path);
  AtomicFileWriter(AtomicFileWriter&& other) noexcept;
  AtomicFileWriter& operator=(AtomicFileWriter&&) = delete;
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  ~AtomicFileWriter();

  // Appends bytes. Errors: IOError naming the file (after one, only destruction is useful:
  // it removes the temporary).
  Status Append(const void* data, std::size_t size);
  // CRC-32 of the bytes appended so far.
  std::uint32_t crc() const { return crc_; }
  // Bytes appended so far.
  std::uint64_t size() const { return size_; }
  // fsync, close, rename over the target, fsync the target's folder. Errors: IOError naming
  // the file; the temporary is removed and the target is as it was (when the folder's fsync
  // fails, the rename is undone: the old file swapped back, or the new one moved out). Only
  // where that cannot be done (a file system without RENAME_EXCHANGE, or the undoing itself
  // failed) is the new file left in place, the message saying its rename may not survive a
  // crash. Call at most once.
  Status Commit();

  const std::filesystem::path& path() const { return path_; }

 private:
  AtomicFileWriter(std::filesystem::path path, std::filesystem::path tmp, int fd)
      : path_(std::move(path)), tmp_(std::move(tmp)), fd_(fd) {}
  // The message "<path>: <what> <tmp>..." of a failed system call (errno).
  Status SystemError(std::string_view what) const;
  std::filesystem::path path_;
  std::filesystem::path tmp_;
  int fd_ = -1;
  std::uint32_t crc_ = 0;
  std::uint64_t size_ = 0;
};

// Writes `bytes` to `path` through an AtomicFileWriter (temporary file, fsync, rename,
// fsync of the folder). Errors: IOError naming the file; the temporary is removed and an
// existing `path` is left as it was.
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes);

// How RenamePaths moves: swap the two paths atomically (both must exist), or fail with EEXIST
// when `to` exists (the values of renameat2(2)'s RENAME_EXCHANGE and RENAME_NOREPLACE).
enum class RenameMode : unsigned { kExchange = 1u << 1, kNoReplace = 1u << 0 };

// renameat2(2) between two paths: glibc's wrapper when it has one (2.28 and later; Debian 12 has
// 2.36), else the system call; the wrapper is preferred because tests/fault's LD_PRELOAD shim
// intercepts it. 0, or -1 with errno (EINVAL or ENOSYS where the file system or the kernel
// cannot do it).
int RenamePaths(const std::filesystem::path& from, const std::filesystem::path& to,
                RenameMode mode);

// fsyncs a folder, so that the renames and creations in it survive a crash.
// Errors: IOError naming the folder.
Status SyncDirectory(const std::filesystem::path& dir);

// CRC-32 (zlib) of `size` bytes continuing from `crc` (0 to start).
std::uint32_t Crc32(std::uint32_t crc, const void* data, std::size_t size);

}  // namespace partnergraph
