#include "partnergraph/common/file_checksum.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "partnergraph/common/atomic_file_writer.hpp"
#include "partnergraph/common/errno_text.hpp"

namespace partnergraph {
namespace {

static_assert(std::endian::native == std::endian::little,
              "model files store their trailing CRC-32 little-endian");

// An fd closed on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Status ReadError(const std::filesystem::path& path, const char* what) {
  const int error = errno;
  return Status::IOError(path.string() + ": " + what + ": " + ErrnoText(error));
}

}  // namespace

Result<FileDigest> DigestFile(const std::filesystem::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ReadError(path, "cannot open");
  FileDigest digest;
  std::vector<char> buffer(1u << 20);
  while (true) {
    const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ReadError(path, "read failed");
    }
    if (n == 0) break;
    digest.crc = Crc32(digest.crc, buffer.data(), static_cast<std::size_t>(n));
    digest.size += static_cast<std::uint64_t>(n);
  }
  return digest;
}

Result<FileDigest> ReadTrailingCrc32(const std::filesystem::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ReadError(path, "cannot open");
  const off_t end = ::lseek(fd.get(), 0, SEEK_END);
  if (end < 0) return ReadError(path, "cannot read its size");
  if (end < 4) {
    return Status::Corruption(path.string() + ": " + std::to_string(end) +
                              " bytes, too short to end with a checksum");
  }
  unsigned char trailer[4];
  if (::pread(fd.get(), trailer, sizeof trailer, end - 4) != static_cast<ssize_t>(sizeof trailer)) {
    return ReadError(path, "cannot read its last four bytes");
  }
  FileDigest digest;
  digest.size = static_cast<std::uint64_t>(end);
  std::memcpy(&digest.crc, trailer, sizeof digest.crc);
  return digest;
}

}  // namespace partnergraph
