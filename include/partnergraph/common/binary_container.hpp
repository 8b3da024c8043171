// The binary container every model file uses (graph.pgg, *.emb, *.faiss.meta,
// *_neighbors.bin, precomputed.bin): a header naming the format and its version, a table of
// named sections, the sections, and CRC-32 checksums (zlib's). docs/formats.md describes each
// file's sections.
//
// Layout (all integers little-endian):
//   0        8 bytes   magic, the format's own ("PGGRAPH\0", "PGEMBED\0", ...)
//   8        u32       format version (the format's; a build reads exactly one)
//   12       u32       section count n (at most kMaxContainerSections)
//   16       u64       file size in bytes
//   24       24 bytes  format name, NUL-padded ("graph", "embeddings", ...)
//   48       n entries of 56 bytes:
//              32 bytes name (NUL-padded, unique), u32 element size (1 for bytes),
//              u32 CRC-32 of the section's bytes, u64 offset, u64 length in bytes
//   48 + 56n u32       CRC-32 of bytes [0, 48 + 56n)                    (header checksum)
//   then the sections, in table order, each at an offset that is a multiple of 8 (the gaps
//   are zeros), so that an array read in place from a mapping is aligned
//   last 4   u32       CRC-32 of every preceding byte                  (whole-file checksum)
// Every model file written before the container kept its magic at 0 and its version at 8, so
// an old file is refused by its version with the fix ("rebuild the model with ...").
//
// Reading maps the file (common/mapped_file.hpp; read into memory when it cannot be mapped)
// and hands out sections as views into it: nothing is copied and no size the file claims is
// trusted before it is checked against the file's size. Errors name the file, and the section
// and offset where they apply: InvalidArgument for a file this build does not read (another
// magic or version), Corruption for a damaged one (sizes, table, checksums), IOError when it
// cannot be read.
//
// Thread safety: a reader is immutable after Open; its const members are safe from any
// thread. A writer, ByteWriter and ByteReader are not synchronised.
#pragma once

#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "partnergraph/common/status.hpp"

namespace partnergraph {

class MappedFile;

static_assert(std::endian::native == std::endian::little,
              "model files are little-endian and read in place; a big-endian port must swap");

inline constexpr std::uint32_t kMaxContainerSections = 256;
inline constexpr std::size_t kContainerFixedBytes = 48;
inline constexpr std::size_t kContainerEntryBytes = 56;
inline constexpr std::size_t kContainerNameBytes = 32;
inline constexpr std::size_t kContainerFormatNameBytes = 24;
inline constexpr std::size_t kContainerAlignment = 8;

// What a file is: its magic, its name and the one version this build writes and reads.
struct ContainerFormat {
  std::string_view magic;  // exactly 8 bytes
  std::string_view name;   // at most kContainerFormatNameBytes; also used in messages
  std::uint32_t version = 0;
  // Appended to the message that refuses another version, e.g. "rebuild the model with
  // `partnergraph build`".
  std::string fix = "rebuild the model with `partnergraph build`";
};

// The little-endian T stored at `p`, at any alignment.
template <typename T>
T LoadLittleEndian(const void* p) {
  static_assert(std::is_trivially_copyable_v<T>);
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Little-endian encoder of small records (headers, variable-length lists).
class ByteWriter {
 public:
  template <typename T>
  void Put(T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    buf_.append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  void PutBytes(std::string_view bytes) { buf_.append(bytes); }
  const std::string& data() const { return buf_; }

 private:
  std::string buf_;
};

// Checked little-endian decoder over bytes of a section: no read goes past the end. The bool
// forms leave the reader unchanged on failure, for loops that report a failure in their own
// words; Read and Error give Corruption naming the file, the section and the file offset.
class ByteReader {
 public:
  // `where` is "<file>: section <name>"; `file_offset` the offset of bytes[0] in the file.
  ByteReader(std::string_view bytes, std::string where = {}, std::uint64_t file_offset = 0)
      : data_(bytes), where_(std::move(where)), file_offset_(file_offset) {}

  // False (and no change) when fewer than sizeof(T) bytes remain.
  template <typename T>
  [[nodiscard]] bool Get(T* out) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (data_.size() - pos_ < sizeof(T)) return false;
    std::memcpy(out, data_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  [[nodiscard]] bool GetBytes(std::size_t n, std::string_view* out) {
    if (data_.size() - pos_ < n) return false;
    *out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  // Get, or Corruption "<where> (offset N): <what> needs 8 bytes, 3 are left".
  template <typename T>
  Status Read(T* out, std::string_view what) {
    if (Get(out)) return Status::Ok();
    return Error(std::string(what) + Shortfall(sizeof(T)));
  }
  // Corruption "<where> (offset <current file offset>): <what>".
  Status Error(std::string_view what) const;

  std::size_t remaining() const { return data_.size() - pos_; }
  std::size_t position() const { return pos_; }

 private:
  std::string Shortfall(std::size_t need) const;
  std::string_view data_;
  std::size_t pos_ = 0;
  std::string where_;
  std::uint64_t file_offset_ = 0;
};

// Builds a container file from sections and writes it atomically.
class BinaryContainerWriter {
 public:
  explicit BinaryContainerWriter(ContainerFormat format) : format_(std::move(format)) {}

  // Adds a section of `bytes` bytes at `data`, borrowed: it must stay valid until Write
  // returns. `element_size` is what a reader expects (Array checks it).
  void AddBorrowed(std::string_view name, std::uint32_t element_size, const void* data,
                   std::uint64_t bytes);
  // Adds an array section, borrowed.
  template <typename T>
  void AddArray(std::string_view name, std::span<const T> values) {
    static_assert(std::is_trivially_copyable_v<T>);
    AddBorrowed(name, sizeof(T), values.data(), values.size_bytes());
  }
  // Adds a section of bytes the writer keeps (a ByteWriter's record).
  void AddBytes(std::string_view name, std::string bytes);

  // Writes the file through an AtomicFileWriter (temporary, fsync, rename) and returns its
  // whole-file CRC-32 (its last four bytes). Errors: IOError naming the file; Internal for a
  // name that is too long or repeats, or too many sections (a writer's bug).
  Result<std::uint32_t> Write(const std::filesystem::path& path) const;

 private:
  struct Section {
    std::string name;
    std::uint32_t element_size;
    const void* data;
    std::uint64_t bytes;
  };
  ContainerFormat format_;
  std::vector<Section> sections_;
  std::vector<std::unique_ptr<std::string>> owned_;
};

// What a reader checks at Open.
enum class ContainerCheck {
  kWhole,   // every section's CRC-32 and the whole file's (a loader)
  kHeader,  // the header's CRC-32 and the table only; each Section() then checks its own
            // CRC-32 when asked (reading a small header section without reading the file)
};

// A container file opened for reading: a mapping of it and its checked section table.
class BinaryContainerReader {
 public:
  // Opens `path` as `format`. Checks, in order: the magic and the version (before any size:
  // another version lays the file out otherwise), the file size, the table (names, element
  // sizes, offsets in order, aligned, inside the file), the header CRC-32 and, with kWhole,
  // every section's and the whole file's. Errors: IOError when it cannot be read;
  // InvalidArgument for another magic ("<file>: not a <name> file (bad magic)") or version
  // ("<file>: <name> format version 3, this build reads 4: <fix>"); Corruption naming the file
  // (and the section) for the rest. Messages name the file `name`, the path when empty.
  static Result<BinaryContainerReader> Open(const std::filesystem::path& path,
                                            const ContainerFormat& format,
                                            ContainerCheck check = ContainerCheck::kWhole,
                                            std::string_view name = {});

  BinaryContainerReader(BinaryContainerReader&&) noexcept;
  BinaryContainerReader& operator=(BinaryContainerReader&&) noexcept;
  ~BinaryContainerReader();

  // The file's name as messages give it.
  const std::string& file() const { return file_; }
  // The trailing whole-file CRC-32 as recorded (checked with kWhole).
  std::uint32_t file_crc() const { return file_crc_; }
  std::uint64_t file_size() const { return size_; }

  // The bytes of section `name`, a view into the file valid while the reader lives.
  // Corruption naming the file when there is no such section, or (kHeader) its CRC-32 does
  // not match.
  Result<std::string_view> Section(std::string_view name) const;
  // A ByteReader over section `name`, naming the file and section in its errors.
  Result<ByteReader> Records(std::string_view name) const;
  // Section `name` as an array of T, in place (aligned, a whole number of elements, the
  // element size the writer recorded). Corruption naming the file and section otherwise.
  template <typename T>
  Result<std::span<const T>> Array(std::string_view name) const {
    static_assert(std::is_trivially_copyable_v<T> && alignof(T) <= kContainerAlignment);
    PG_ASSIGN_OR_RETURN(const Entry* e, Find(name));
    PG_RETURN_IF_ERROR(CheckElements(*e, sizeof(T)));
    PG_ASSIGN_OR_RETURN(std::string_view bytes, Section(name));
    return std::span<const T>(reinterpret_cast<const T*>(bytes.data()), bytes.size() / sizeof(T));
  }
  // IOError when the file shrank while it was mapped and a read got zeros instead of its
  // bytes (mapped_file.hpp): a loader calls it after copying what it keeps.
  Status CheckUnchanged() const;

 private:
  struct Entry {
    std::string name;
    std::uint32_t element_size;
    std::uint32_t crc;
    std::uint64_t offset;
    std::uint64_t bytes;
  };
  class Storage;
  BinaryContainerReader() = default;
  Result<const Entry*> Find(std::string_view name) const;
  Status CheckElements(const Entry& e, std::size_t element_size) const;
  Status Damaged(const std::string& what) const;

  std::string file_;
  std::unique_ptr<Storage> storage_;
  const char* data_ = nullptr;
  std::uint64_t size_ = 0;
  std::uint32_t file_crc_ = 0;
  ContainerCheck check_ = ContainerCheck::kWhole;
  std::vector<Entry> entries_;
};

// A binary file read front to back in pieces, for streamed formats that a table of sections
// cannot serve (the binary journey file: blocks appended until the end, possibly read from a
// pipe). A regular file is mapped, not copied: a piece is a view into the mapping, its pages
// brought in by Populate in one call and dropped from the resident set by Release once used.
// Other files (pipes) are read: a piece is copied into the caller's buffer. A mapped file must
// not shrink while it is read (CheckUnchanged says when it did). Not synchronised.
class BinaryStreamReader {
 public:
  // Opens `path`. IOError naming it when it cannot be opened.
  static Result<BinaryStreamReader> Open(const std::filesystem::path& path);
  BinaryStreamReader(BinaryStreamReader&&) noexcept;
  BinaryStreamReader& operator=(BinaryStreamReader&&) noexcept;
  ~BinaryStreamReader();

  const std::string& name() const { return name_; }
  // Bytes read so far: the file offset of the next piece.
  std::uint64_t offset() const { return offset_; }
  // Whether no byte is left. IOError on a read error.
  Result<bool> AtEnd();
  // The next `n` bytes: a view into the mapping, or `buffer` (grown to at least n) holding a
  // copy. Corruption "<file>: file ends inside <what>" when fewer are left; IOError on a read
  // error.
  Result<const unsigned char*> Read(std::size_t n, std::string_view what,
                                    std::vector<unsigned char>& buffer);
  // Maps the pages of file bytes [begin, end) in one call (instead of a fault per page;
  // faults are expensive in a virtual machine: common/huge_pages.hpp). A hint: a failure only
  // means faults later. No effect on a file that is read.
  void Populate(std::uint64_t begin, std::uint64_t end) const;
  // Called in file order once the bytes before `end` are used: drops their pages from the
  // resident set (they stay in the page cache), `release_step` bytes at a time (each drop is
  // a TLB shootdown on every thread of the process, too dear to pay per piece).
  void Release(std::uint64_t end, std::uint64_t release_step = 16u << 20);
  // IOError when the file shrank under the mapping while it was read (its bytes past the new
  // end were read as zeros: mapped_file.hpp); OK otherwise.
  Status CheckUnchanged() const;

 private:
  struct Closer {
    void operator()(std::FILE* f) const;
  };
  BinaryStreamReader() = default;
  Status Truncated(std::string_view what) const;
  // madvise over the whole pages of [begin, end); `outer` rounds out (every page touched),
  // otherwise in (pages wholly before `end`).
  void Advise(std::uint64_t begin, std::uint64_t end, int advice, bool outer) const;

  std::string name_;
  std::unique_ptr<std::FILE, Closer> file_;
  std::unique_ptr<MappedFile> map_;  // null: read with file_
  std::uint64_t offset_ = 0;
  std::uint64_t released_ = 0;  // file bytes before this are out of the resident set
};

}  // namespace partnergraph
