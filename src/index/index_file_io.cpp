#include "index_file_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "partnergraph/common/atomic_file_writer.hpp"

namespace partnergraph::index_internal {
namespace {
std::string ErrnoText() { return std::strerror(errno); }
}  // namespace

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
  PG_ASSIGN_OR_RETURN(AtomicFileWriter writer, AtomicFileWriter::Open(path));
  PG_RETURN_IF_ERROR(writer.Append(bytes.data(), bytes.size()));
  return writer.Commit();
}

Result<std::string> ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(path.string() + ": cannot open");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::IOError(path.string() + ": read error");
  return bytes;
}

}  // namespace partnergraph::index_internal
