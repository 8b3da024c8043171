#include "atomic_file_writer.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

namespace partnergraph::embed_internal {
namespace {
std::string ErrnoText() { return std::strerror(errno); }
}  // namespace

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

Result<AtomicFileWriter> AtomicFileWriter::Open(const std::filesystem::path& path) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError(tmp.string() + ": cannot create: " + ErrnoText());
  return AtomicFileWriter(path, std::move(tmp), fd);
}

AtomicFileWriter::AtomicFileWriter(AtomicFileWriter&& other) noexcept
    : path_(std::move(other.path_)), tmp_(std::move(other.tmp_)), fd_(other.fd_), crc_(other.crc_) {
  other.fd_ = -1;
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) {
    ::close(fd_);
    std::error_code ignored;
    std::filesystem::remove(tmp_, ignored);
  }
}

Status AtomicFileWriter::Append(const void* data, std::size_t size) {
  crc_ = Crc32(crc_, data, size);
  const auto* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd_, bytes, std::min<std::size_t>(size, 1u << 30));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IOError(tmp_.string() + ": write failed: " + ErrnoText());
    }
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

Status AtomicFileWriter::Commit() {
  Status status;
  if (::fsync(fd_) != 0) status = Status::IOError(tmp_.string() + ": fsync failed: " + ErrnoText());
  if (::close(fd_) != 0 && status.ok()) {
    status = Status::IOError(tmp_.string() + ": close failed: " + ErrnoText());
  }
  fd_ = -1;
  if (status.ok() && ::rename(tmp_.c_str(), path_.c_str()) != 0) {
    status = Status::IOError(path_.string() + ": cannot rename " + tmp_.string() + " over it: " +
                             ErrnoText());
  }
  if (!status.ok()) {
    std::error_code ignored;
    std::filesystem::remove(tmp_, ignored);
  }
  return status;
}

}  // namespace partnergraph::embed_internal
