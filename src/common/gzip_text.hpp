// Private to pg_common: the memory that holds a CSV file's text when it is read
// rather than mapped, and the gzip inflation into it (used by csv_reader.cpp).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "partnergraph/common/status.hpp"

namespace partnergraph::csv_internal {

// Growable anonymous memory for a file's text. The mapping is advised as huge
// pages as a whole (see huge_pages.hpp: a partly advised mapping is split in
// pieces that mremap cannot grow) and growing uses mremap, which moves no bytes.
// Not thread-safe; the bytes stay valid until the next Reserve or destruction.
class TextBuffer {
 public:
  TextBuffer() = default;
  TextBuffer(const TextBuffer&) = delete;
  TextBuffer& operator=(const TextBuffer&) = delete;
  ~TextBuffer();
  // Makes room for at least `capacity` bytes; false when out of memory.
  bool Reserve(std::size_t capacity);
  char* data() { return data_; }
  std::size_t capacity() const { return capacity_; }
  std::size_t size = 0;  // bytes in use

 private:
  char* data_ = nullptr;
  std::size_t capacity_ = 0;
};

// Whether `bytes` start with the gzip magic number.
bool IsGzip(std::string_view bytes);

// Inflates one or more concatenated gzip members of `in` into `out` (replacing its
// contents). Trailing zero padding is allowed. Fails with IOError, naming `name`, on
// corrupt or truncated data, bytes after the last member, or no memory.
Status Gunzip(std::string_view in, const std::string& name, TextBuffer& out);

}  // namespace partnergraph::csv_internal
