#include "index_file_io.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

namespace partnergraph::index_internal {
namespace {
std::string ErrnoText() { return std::strerror(errno); }
}  // namespace

std::uint32_t Crc32(std::uint32_t crc, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const Bytef*>(data);
  while (size > 0) {
    const std::size_t piece = std::min<std::size_t>(size, 1u << 30);
    crc = static_cast<std::uint32_t>(::crc32(crc, bytes, static_cast<uInt>(piece)));
    bytes += piece;
    size -= piece;
  }
  return crc;
}

Result<FileDigest> DigestFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(path.string() + ": cannot open");
  FileDigest digest;
  std::vector<char> buffer(1u << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    digest.crc = Crc32(digest.crc, buffer.data(), got);
    digest.size += got;
  }
  if (in.bad()) return Status::IOError(path.string() + ": read error");
  return digest;
}

Status SyncFile(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError(path.string() + ": cannot open: " + ErrnoText());
  const int rc = ::fsync(fd);
  const std::string error = rc != 0 ? ErrnoText() : std::string();
  ::close(fd);
  if (rc != 0) return Status::IOError(path.string() + ": fsync failed: " + error);
  return Status::Ok();
}

Status WriteFileAtomically(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError(tmp.string() + ": cannot create: " + ErrnoText());
  Status status;
  const char* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0 && status.ok()) {
    const ssize_t n = ::write(fd, p, std::min<std::size_t>(left, 1u << 30));
    if (n < 0) {
      if (errno == EINTR) continue;
      status = Status::IOError(tmp.string() + ": write failed: " + ErrnoText());
      break;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (status.ok() && ::fsync(fd) != 0) {
    status = Status::IOError(tmp.string() + ": fsync failed: " + ErrnoText());
  }
  if (::close(fd) != 0 && status.ok()) {
    status = Status::IOError(tmp.string() + ": close failed: " + ErrnoText());
  }
  if (status.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    status = Status::IOError(path.string() + ": cannot rename " + tmp.string() + " over it: " +
                             ErrnoText());
  }
  if (!status.ok()) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
  }
  return status;
}

Result<std::string> ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(path.string() + ": cannot open");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::IOError(path.string() + ": read error");
  return bytes;
}

}  // namespace partnergraph::index_internal
