#include "partnergraph/common/atomic_file_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <system_error>

#include "partnergraph/common/errno_text.hpp"

#ifndef PG_HAVE_RENAMEAT2
#include <sys/syscall.h>
#endif

namespace partnergraph {

int RenamePaths(const std::filesystem::path& from, const std::filesystem::path& to,
                RenameMode mode) {
  const auto flags = static_cast<unsigned>(mode);
#ifdef PG_HAVE_RENAMEAT2
  return ::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), flags);
#else
  return static_cast<int>(
      ::syscall(SYS_renameat2, AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), flags));
#endif
}

std::uint32_t Crc32(std::uint32_t crc, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const Bytef*>(data);
  // zlib takes a uInt length; feed it in pieces below 4 GiB.
  while (size > 0) {
    const std::size_t piece = std::min<std::size_t>(size, 1u << 30);
    crc = static_cast<std::uint32_t>(::crc32(crc, bytes, static_cast<uInt>(piece)));
    bytes += piece;
    size -= piece;
  }
  return crc;
}

Status SyncDirectory(const std::filesystem::path& dir) {
  const std::filesystem::path folder = dir.empty() ? std::filesystem::path(".") : dir;
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    return Status::IOError(folder.string() +
                           ": cannot open the folder to fsync it: " + ErrnoText(error));
  }
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0) {
    return Status::IOError(folder.string() + ": fsync of the folder failed: " + ErrnoText(error));
  }
  return Status::Ok();
}

Result<AtomicFileWriter> AtomicFileWriter::Open(const std::filesystem::path& path) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int error = errno;
    return Status::IOError(path.string() + ": cannot create " + tmp.string() + ": " +
                           ErrnoText(error));
  }
  return AtomicFileWriter(path, std::move(tmp), fd);
}

AtomicFileWriter::AtomicFileWriter(AtomicFileWriter&& other) noexcept
    : path_(std::move(other.path_)),
      tmp_(std::move(other.tmp_)),
      fd_(other.fd_),
      crc_(other.crc_),
      size_(other.size_) {
  other.fd_ = -1;
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) {
    ::close(fd_);
    std::error_code ignored;
    std::filesystem::remove(tmp_, ignored);
  }
}

Status AtomicFileWriter::SystemError(std::string_view what) const {
  const int error = errno;  // before anything below can change it
  return Status::IOError(path_.string() + ": " + std::string(what) + " " + tmp_.string() +
                         " failed: " + ErrnoText(error));
}

Status AtomicFileWriter::Append(const void* data, std::size_t size) {
  if (fd_ < 0) return Status::IOError(path_.string() + ": write after Commit()");
  crc_ = Crc32(crc_, data, size);
  size_ += size;
  const auto* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd_, bytes, std::min<std::size_t>(size, 1u << 30));
    if (n < 0) {
      if (errno == EINTR) continue;
      return SystemError("write to");
    }
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

Status AtomicFileWriter::Commit() {
  if (fd_ < 0) return Status::IOError(path_.string() + ": Commit() called twice");
  Status status;
  if (::fsync(fd_) != 0) status = SystemError("fsync of");
  if (::close(fd_) != 0 && status.ok()) status = SystemError("close of");
  fd_ = -1;
  // An existing file is swapped with the temporary rather than renamed over, so that it can be
  // put back when the folder's fsync fails: an error then always means the old content. Where
  // the file system cannot swap (EINVAL, ENOSYS), a plain rename.
  enum class Placed { kNew, kExchanged, kReplaced } placed = Placed::kNew;
  if (status.ok()) {
    struct stat existing;
    int rc = -1;
    // Only a regular file is swapped: RENAME_EXCHANGE would swap a folder too, where rename()
    // refuses to replace one.
    if (::lstat(path_.c_str(), &existing) == 0) {
      placed = Placed::kReplaced;
      if (S_ISREG(existing.st_mode)) {
        rc = RenamePaths(tmp_, path_, RenameMode::kExchange);
        if (rc == 0 || (errno != EINVAL && errno != ENOSYS)) placed = Placed::kExchanged;
      }
    }
    if (placed != Placed::kExchanged) rc = ::rename(tmp_.c_str(), path_.c_str());
    if (rc != 0) {
      const int error = errno;
      status = Status::IOError(path_.string() + ": cannot rename " + tmp_.string() +
                               " over it: " + ErrnoText(error));
    }
  }
  if (!status.ok()) {
    std::error_code ignored;
    std::filesystem::remove(tmp_, ignored);
    return status;
  }
  // The rename is an entry in the folder: without this a crash may lose it (the old file
  // comes back) even though the data itself reached the disk.
  Status synced = SyncDirectory(path_.parent_path());
  std::error_code ignored;
  if (!synced.ok()) {
    // Put things back as they were: the old file swapped in again, or the new one moved out.
    const bool undone = placed == Placed::kExchanged
                            ? RenamePaths(tmp_, path_, RenameMode::kExchange) == 0
                        : placed == Placed::kNew ? ::rename(path_.c_str(), tmp_.c_str()) == 0
                                                 : false;
    if (!undone) {
      if (placed == Placed::kExchanged) std::filesystem::remove(tmp_, ignored);
      return Status::IOError(path_.string() + ": renamed into place, but the rename may not " +
                             "survive a crash: " + synced.message());
    }
    std::filesystem::remove(tmp_, ignored);
    return Status::IOError(path_.string() + ": not written (" +
                           (placed == Placed::kExchanged ? "the old file kept" : "no file") +
                           "): " + synced.message());
  }
  if (placed == Placed::kExchanged) std::filesystem::remove(tmp_, ignored);  // the old file
  return Status::Ok();
}

Status WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes) {
  PG_ASSIGN_OR_RETURN(AtomicFileWriter writer, AtomicFileWriter::Open(path));
  PG_RETURN_IF_ERROR(writer.Append(bytes.data(), bytes.size()));
  return writer.Commit();
}

}  // namespace partnergraph
