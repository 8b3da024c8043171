#include "partnergraph/common/mapped_file.hpp"

#include <sys/mman.h>

namespace partnergraph {

std::unique_ptr<MappedFile> MappedFile::Map(int fd, std::size_t size) {
  if (size == 0) return nullptr;
  void* mapped = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (mapped == MAP_FAILED) return nullptr;
  return std::unique_ptr<MappedFile>(new MappedFile(mapped, size));
}

MappedFile::~MappedFile() { munmap(data_, size_); }

}  // namespace partnergraph
