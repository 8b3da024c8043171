#include "gzip_text.hpp"

#include <fmt/format.h>
#include <sys/mman.h>
#include <zlib.h>

#include <algorithm>
#include <memory>

#include "partnergraph/common/huge_pages.hpp"

namespace partnergraph::csv_internal {

TextBuffer::~TextBuffer() {
  if (data_ != nullptr) munmap(data_, capacity_);
}

bool TextBuffer::Reserve(std::size_t capacity) {
  if (capacity <= capacity_) return true;
  capacity = std::max(capacity, std::size_t{1});
  void* p = data_ == nullptr ? mmap(nullptr, capacity, PROT_READ | PROT_WRITE,
                                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                             : mremap(data_, capacity_, capacity, MREMAP_MAYMOVE);
  if (p == MAP_FAILED) return false;
  data_ = static_cast<char*>(p);
  capacity_ = capacity;
  AdviseHugePagesMapping(data_, capacity_);
  return true;
}

bool IsGzip(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

// Inflates one or more concatenated gzip members. Trailing zero padding is allowed.
Status Gunzip(std::string_view in, const std::string& name, TextBuffer& out) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
    return Status::IOError(name + ": cannot initialise zlib");
  }
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, inflateEnd);
  constexpr std::size_t kMaxPiece = 1u << 30;  // z_stream counts in 32-bit uInt
  const auto no_memory = [&name] {
    return Status::IOError(name + ": out of memory while decompressing");
  };
  if (!out.Reserve(std::max<std::size_t>(in.size() * 4, 1u << 16))) return no_memory();
  std::size_t consumed = 0;
  out.size = 0;
  while (true) {
    if (out.size == out.capacity() && !out.Reserve(out.capacity() * 2)) return no_memory();
    const std::size_t in_piece = std::min(in.size() - consumed, kMaxPiece);
    const std::size_t out_piece = std::min(out.capacity() - out.size, kMaxPiece);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + consumed));
    zs.avail_in = static_cast<uInt>(in_piece);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + out.size);
    zs.avail_out = static_cast<uInt>(out_piece);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    consumed += in_piece - zs.avail_in;
    out.size += out_piece - zs.avail_out;
    if (rc == Z_STREAM_END) {
      const std::string_view rest = in.substr(consumed);
      if (IsGzip(rest)) {
        inflateReset(&zs);
        continue;
      }
      if (std::all_of(rest.begin(), rest.end(), [](char c) { return c == '\0'; })) break;
      return Status::IOError(name + ": unexpected bytes after the end of the gzip data");
    }
    if (rc == Z_BUF_ERROR || rc == Z_OK) {
      const bool no_progress = in_piece == zs.avail_in && out_piece == zs.avail_out;
      if (consumed == in.size() && (no_progress || zs.avail_out != 0)) {
        return Status::IOError(name + ": truncated gzip data");
      }
      continue;
    }
    return Status::IOError(
        fmt::format("{}: corrupt gzip data ({})", name,
                    zs.msg != nullptr ? std::string(zs.msg) : fmt::format("zlib error {}", rc)));
  }
  return Status::Ok();
}

}  // namespace partnergraph::csv_internal
