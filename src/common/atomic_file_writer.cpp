#include "partnergraph/common/atomic_file_writer.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

namespace partnergraph {

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
                           ": cannot open the folder to fsync it: " + std::strerror(error));
  }
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0) {
    return Status::IOError(folder.string() +
                           ": fsync of the folder failed: " + std::strerror(error));
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
                           std::strerror(error));
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
                         " failed: " + std::strerror(error));
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
  if (status.ok() && ::rename(tmp_.c_str(), path_.c_str()) != 0) {
    const int error = errno;
    status = Status::IOError(path_.string() + ": cannot rename " + tmp_.string() +
                             " over it: " + std::strerror(error));
  }
  if (!status.ok()) {
    std::error_code ignored;
    std::filesystem::remove(tmp_, ignored);
    return status;
  }
  // The rename is an entry in the folder: without this a crash may lose it (the old file
  // comes back) even though the data itself reached the disk.
  Status synced = SyncDirectory(path_.parent_path());
  if (!synced.ok()) {
    return Status::IOError(path_.string() + ": renamed into place, but the rename may not " +
                           "survive a crash: " + synced.message());
  }
  return Status::Ok();
}

Status WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes) {
  PG_ASSIGN_OR_RETURN(AtomicFileWriter writer, AtomicFileWriter::Open(path));
  PG_RETURN_IF_ERROR(writer.Append(bytes.data(), bytes.size()));
  return writer.Commit();
}

}  // namespace partnergraph
