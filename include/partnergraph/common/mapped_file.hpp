// MappedFile: a read-only private mapping of a whole regular file, unmapped
// when destroyed. Readers of big inputs (CsvReader, the binary journey reader)
// map plain files instead of copying them, so that their pages come in as they
// are read and can leave the resident set (madvise) once used. A mapped file
// must not be truncated while it is mapped (as for any mmap, that would fault).
#pragma once

#include <cstddef>
#include <memory>

namespace partnergraph {

class MappedFile {
 public:
  // Maps the first `size` bytes of the file open on `fd` (a regular file of that
  // size, from fstat; `fd` may be closed afterwards). nullptr when `size` is 0 or
  // the mapping fails: the caller then reads the file instead.
  static std::unique_ptr<MappedFile> Map(int fd, std::size_t size);

  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const char* data() const { return static_cast<const char*>(data_); }
  const unsigned char* bytes() const { return static_cast<const unsigned char*>(data_); }
  std::size_t size() const { return size_; }

 private:
  MappedFile(void* data, std::size_t size) : data_(data), size_(size) {}

  void* data_;
  std::size_t size_;
};

}  // namespace partnergraph
