// MappedFile: a read-only private mapping of a whole regular file, unmapped
// when destroyed. Readers of big inputs (CsvReader, the binary journey reader)
// map plain files instead of copying them, so that their pages come in as they
// are read and can leave the resident set (madvise) once used.
//
// A file truncated while it is mapped does not crash the process: reading past
// its new end would raise SIGBUS, and a process-wide handler (installed with the
// first mapping; it passes every other SIGBUS on to the previous action) turns the
// rest of the mapping into zeros and marks it: shrank() then says the bytes read
// are not the file's, and the owner must report it (CsvReader::CheckUnchanged).
#pragma once

#include <cstddef>
#include <memory>

namespace partnergraph {

class MappedFile {
 public:
  // Maps the first `size` bytes of the file open on `fd` (a regular file of that
  // size, from fstat; `fd` may be closed afterwards). nullptr when `size` is 0, the
  // mapping fails or 256 guarded mappings are open already: the caller then reads
  // the file instead.
  static std::unique_ptr<MappedFile> Map(int fd, std::size_t size);

  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const char* data() const { return static_cast<const char*>(data_); }
  const unsigned char* bytes() const { return static_cast<const unsigned char*>(data_); }
  std::size_t size() const { return size_; }
  // Whether the file shrank under the mapping and a read got zeros instead of its bytes.
  // Thread-safe.
  bool shrank() const;

 private:
  MappedFile(void* data, std::size_t size, void* slot) : data_(data), size_(size), slot_(slot) {}

  void* data_;
  std::size_t size_;
  void* slot_;  // the SIGBUS guard's registration
};

}  // namespace partnergraph
