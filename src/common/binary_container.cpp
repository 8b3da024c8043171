#include "partnergraph/common/binary_container.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "partnergraph/common/atomic_file_writer.hpp"
#include "partnergraph/common/errno_text.hpp"
#include "partnergraph/common/mapped_file.hpp"

namespace partnergraph {
namespace {

std::uint64_t AlignUp(std::uint64_t v) {
  return (v + kContainerAlignment - 1) / kContainerAlignment * kContainerAlignment;
}

template <typename T>
T Load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// A NUL-padded name field as a string; empty when it is not NUL-padded text.
std::string_view PaddedName(const char* field, std::size_t width) {
  const std::size_t length = std::find(field, field + width, '\0') - field;
  for (std::size_t i = length; i < width; ++i) {
    if (field[i] != '\0') return {};
  }
  return {field, length};
}

void PutPaddedName(std::string& out, std::string_view name, std::size_t width) {
  out.append(name);
  out.append(width - name.size(), '\0');
}

std::uint32_t CrcCombine(std::uint32_t first, std::uint32_t second, std::uint64_t second_bytes) {
  return static_cast<std::uint32_t>(
      crc32_combine(first, second, static_cast<z_off_t>(second_bytes)));
}

// The first 12 bytes of every container, as the message for a file that is not `format`.
Status CheckMagicAndVersion(const std::string& file, const ContainerFormat& format,
                            const char* data, std::uint64_t size) {
  if (size >= format.magic.size() &&
      std::memcmp(data, format.magic.data(), format.magic.size()) != 0) {
    return Status::InvalidArgument(fmt::format("{}: not a {} file (bad magic)", file, format.name));
  }
  if (size < 12) {
    return Status::Corruption(
        fmt::format("{}: file is {} bytes, too short for a {} header", file, size, format.name));
  }
  if (const auto version = Load<std::uint32_t>(data + 8); version != format.version) {
    return Status::InvalidArgument(fmt::format("{}: {} format version {}, this build reads {}: {}",
                                               file, format.name, version, format.version,
                                               format.fix));
  }
  return Status::Ok();
}

}  // namespace

// ---- ByteReader -------------------------------------------------------------------------------

Status ByteReader::Error(std::string_view what) const {
  return Status::Corruption(fmt::format("{} (offset {}): {}", where_, file_offset_ + pos_, what));
}

std::string ByteReader::Shortfall(std::size_t need) const {
  return fmt::format(" needs {} bytes, {} are left", need, remaining());
}

// ---- BinaryContainerWriter --------------------------------------------------------------------

void BinaryContainerWriter::AddBorrowed(std::string_view name, std::uint32_t element_size,
                                        const void* data, std::uint64_t bytes) {
  sections_.push_back({std::string(name), element_size, data, bytes});
}

void BinaryContainerWriter::AddBytes(std::string_view name, std::string bytes) {
  owned_.push_back(std::make_unique<std::string>(std::move(bytes)));
  AddBorrowed(name, 1, owned_.back()->data(), owned_.back()->size());
}

Result<std::uint32_t> BinaryContainerWriter::Write(const std::filesystem::path& path) const {
  const std::string file = path.string();
  if (format_.magic.size() != 8 || format_.name.size() > kContainerFormatNameBytes ||
      sections_.size() > kMaxContainerSections) {
    return Status::Internal(fmt::format("{}: bad container format \"{}\" or {} sections", file,
                                        format_.name, sections_.size()));
  }
  std::set<std::string_view> names;
  for (const Section& s : sections_) {
    if (s.name.empty() || s.name.size() > kContainerNameBytes || s.element_size == 0 ||
        s.bytes % s.element_size != 0 || !names.insert(s.name).second) {
      return Status::Internal(fmt::format("{}: bad container section \"{}\"", file, s.name));
    }
  }
  const std::uint64_t table_end = kContainerFixedBytes + kContainerEntryBytes * sections_.size();
  std::vector<std::uint64_t> offsets;
  std::uint64_t end = table_end + 4;
  for (const Section& s : sections_) {
    offsets.push_back(AlignUp(end));
    end = offsets.back() + s.bytes;
  }
  const std::uint64_t file_size = end + 4;

  std::string header(format_.magic);
  auto put = [&header](auto v) { header.append(reinterpret_cast<const char*>(&v), sizeof v); };
  put(format_.version);
  put(static_cast<std::uint32_t>(sections_.size()));
  put(file_size);
  PutPaddedName(header, format_.name, kContainerFormatNameBytes);
  for (std::size_t i = 0; i < sections_.size(); ++i) {
    const Section& s = sections_[i];
    PutPaddedName(header, s.name, kContainerNameBytes);
    put(s.element_size);
    put(s.bytes == 0 ? std::uint32_t{0} : Crc32(0, s.data, s.bytes));
    put(offsets[i]);
    put(s.bytes);
  }
  put(Crc32(0, header.data(), header.size()));

  static constexpr char kZeros[kContainerAlignment] = {};
  PG_ASSIGN_OR_RETURN(AtomicFileWriter out, AtomicFileWriter::Open(path));
  PG_RETURN_IF_ERROR(out.Append(header.data(), header.size()));
  for (std::size_t i = 0; i < sections_.size(); ++i) {
    PG_RETURN_IF_ERROR(out.Append(kZeros, offsets[i] - out.size()));
    if (sections_[i].bytes > 0) {
      PG_RETURN_IF_ERROR(out.Append(sections_[i].data, sections_[i].bytes));
    }
  }
  const std::uint32_t crc = out.crc();
  PG_RETURN_IF_ERROR(out.Append(&crc, sizeof crc));
  PG_RETURN_IF_ERROR(out.Commit());
  return crc;
}

// ---- BinaryContainerReader --------------------------------------------------------------------

// The file's bytes: its mapping, or, when it cannot be mapped, a copy.
class BinaryContainerReader::Storage {
 public:
  std::unique_ptr<MappedFile> map;
  std::string copy;
};

BinaryContainerReader::BinaryContainerReader(BinaryContainerReader&&) noexcept = default;
BinaryContainerReader& BinaryContainerReader::operator=(BinaryContainerReader&&) noexcept = default;
BinaryContainerReader::~BinaryContainerReader() = default;

Status BinaryContainerReader::Damaged(const std::string& what) const {
  return Status::Corruption(fmt::format("{}: {}", file_, what));
}

Result<BinaryContainerReader> BinaryContainerReader::Open(const std::filesystem::path& path,
                                                          const ContainerFormat& format,
                                                          ContainerCheck check,
                                                          std::string_view name) {
  BinaryContainerReader r;
  r.file_ = name.empty() ? path.string() : std::string(name);
  r.check_ = check;
  r.storage_ = std::make_unique<Storage>();
  {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return Status::IOError(fmt::format("{}: cannot open: {}", r.file_, ErrnoText(errno)));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return Status::IOError(fmt::format("{}: not a regular file", r.file_));
    }
    r.size_ = static_cast<std::uint64_t>(st.st_size);
    r.storage_->map = MappedFile::Map(fd, r.size_);
    if (!r.storage_->map && r.size_ > 0) {
      std::string& copy = r.storage_->copy;
      copy.resize(r.size_);
      std::uint64_t done = 0;
      while (done < r.size_) {
        const ssize_t n = ::pread(fd, copy.data() + done, r.size_ - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          ::close(fd);
          return Status::IOError(fmt::format("{}: read failed at offset {}", r.file_, done));
        }
        done += static_cast<std::uint64_t>(n);
      }
    }
    ::close(fd);
  }
  r.data_ = r.storage_->map ? r.storage_->map->data() : r.storage_->copy.data();
#ifdef MADV_POPULATE_READ
  // A whole check reads every byte: its pages come in with one call, not a fault per page
  // (faults are expensive in a virtual machine: huge_pages.hpp). A hint; failure only means
  // faults later.
  if (check == ContainerCheck::kWhole && r.storage_->map) {
    ::madvise(const_cast<char*>(r.data_), r.size_, MADV_POPULATE_READ);
  }
#endif
  const std::uint64_t size = r.size_;
  if (size == 0) return r.Damaged("file is empty");
  PG_RETURN_IF_ERROR(CheckMagicAndVersion(r.file_, format, r.data_, size));
  if (size < kContainerFixedBytes + 8) {
    return r.Damaged(fmt::format("file is {} bytes, too short for a {} header", size, format.name));
  }
  if (const auto declared = Load<std::uint64_t>(r.data_ + 16); declared != size) {
    return r.Damaged(fmt::format("file is {} bytes but its header says {} (truncated or damaged)",
                                 size, declared));
  }
  if (PaddedName(r.data_ + 24, kContainerFormatNameBytes) != format.name) {
    return r.Damaged(fmt::format("the header does not name the {} format", format.name));
  }
  const std::uint32_t n = Load<std::uint32_t>(r.data_ + 12);
  if (n > kMaxContainerSections) {
    return r.Damaged(fmt::format("implausible section count {}", n));
  }
  const std::uint64_t table_end = kContainerFixedBytes + kContainerEntryBytes * n;
  if (table_end + 8 > size) {
    return r.Damaged(
        fmt::format("file is {} bytes, too short for its {} section entries", size, n));
  }
  const std::uint32_t header_crc = Crc32(0, r.data_, table_end);
  if (header_crc != Load<std::uint32_t>(r.data_ + table_end)) {
    return r.Damaged("header checksum mismatch (the file is damaged)");
  }
  // The sections follow the table in order, each at the next aligned offset, and the last
  // ends where the trailing checksum starts.
  const std::uint64_t body_end = size - 4;
  std::uint64_t end = table_end + 4;
  std::uint32_t file_crc = Crc32(0, r.data_, end);
  for (std::uint32_t i = 0; i < n; ++i) {
    const char* e = r.data_ + kContainerFixedBytes + kContainerEntryBytes * i;
    Entry entry;
    entry.name = std::string(PaddedName(e, kContainerNameBytes));
    entry.element_size = Load<std::uint32_t>(e + 32);
    entry.crc = Load<std::uint32_t>(e + 36);
    entry.offset = Load<std::uint64_t>(e + 40);
    entry.bytes = Load<std::uint64_t>(e + 48);
    const std::string where = fmt::format("section {} (\"{}\", table offset {})", i, entry.name,
                                          kContainerFixedBytes + kContainerEntryBytes * i);
    if (entry.name.empty()) return r.Damaged(where + ": bad name");
    for (const Entry& before : r.entries_) {
      if (before.name == entry.name) return r.Damaged(where + ": the name repeats");
    }
    if (entry.element_size == 0 || entry.offset != AlignUp(end) || entry.offset > body_end ||
        entry.bytes > body_end - entry.offset || entry.bytes % entry.element_size != 0) {
      return r.Damaged(
          fmt::format("{}: offset {} and length {} (element size {}) do not fit the "
                      "{}-byte file",
                      where, entry.offset, entry.bytes, entry.element_size, size));
    }
    if (check == ContainerCheck::kWhole) {
      file_crc = Crc32(file_crc, r.data_ + end, entry.offset - end);
      const std::uint32_t crc = Crc32(0, r.data_ + entry.offset, entry.bytes);
      if (crc != entry.crc) {
        return r.Damaged(
            fmt::format("section {} (offset {}) checksum mismatch", entry.name, entry.offset));
      }
      file_crc = CrcCombine(file_crc, crc, entry.bytes);
    }
    end = entry.offset + entry.bytes;
    r.entries_.push_back(std::move(entry));
  }
  if (end != body_end) {
    return r.Damaged(
        fmt::format("the sections end at offset {}, the checksum is at {}", end, body_end));
  }
  r.file_crc_ = Load<std::uint32_t>(r.data_ + body_end);
  if (check == ContainerCheck::kWhole && file_crc != r.file_crc_) {
    return r.Damaged("whole-file checksum mismatch (the file is damaged)");
  }
  PG_RETURN_IF_ERROR(r.CheckUnchanged());
  return r;
}

Result<const BinaryContainerReader::Entry*> BinaryContainerReader::Find(
    std::string_view name) const {
  for (const Entry& e : entries_) {
    if (e.name == name) return &e;
  }
  return Damaged(fmt::format("no section \"{}\"", name));
}

Status BinaryContainerReader::CheckElements(const Entry& e, std::size_t element_size) const {
  if (e.element_size != element_size) {
    return Damaged(fmt::format("section {} (offset {}) has {}-byte elements, expected {}", e.name,
                               e.offset, e.element_size, element_size));
  }
  return Status::Ok();
}

Result<std::string_view> BinaryContainerReader::Section(std::string_view name) const {
  PG_ASSIGN_OR_RETURN(const Entry* e, Find(name));
  const std::string_view bytes(data_ + e->offset, e->bytes);
  if (check_ == ContainerCheck::kHeader && Crc32(0, bytes.data(), bytes.size()) != e->crc) {
    return Damaged(fmt::format("section {} (offset {}) checksum mismatch", e->name, e->offset));
  }
  return bytes;
}

Result<ByteReader> BinaryContainerReader::Records(std::string_view name) const {
  PG_ASSIGN_OR_RETURN(const Entry* e, Find(name));
  PG_ASSIGN_OR_RETURN(std::string_view bytes, Section(name));
  return ByteReader(bytes, fmt::format("{}: section {}", file_, e->name), e->offset);
}

Status BinaryContainerReader::CheckUnchanged() const {
  if (storage_ && storage_->map && storage_->map->shrank()) {
    return Status::IOError(fmt::format(
        "{}: the file shrank while it was being read; nothing read from it is used", file_));
  }
  return Status::Ok();
}

// ---- BinaryStreamReader -----------------------------------------------------------------------

namespace {
std::uint64_t PageSize() {
  static const auto kPage = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  return kPage;
}
}  // namespace

void BinaryStreamReader::Closer::operator()(std::FILE* f) const { std::fclose(f); }

BinaryStreamReader::BinaryStreamReader(BinaryStreamReader&&) noexcept = default;
BinaryStreamReader& BinaryStreamReader::operator=(BinaryStreamReader&&) noexcept = default;
BinaryStreamReader::~BinaryStreamReader() = default;

Result<BinaryStreamReader> BinaryStreamReader::Open(const std::filesystem::path& path) {
  BinaryStreamReader r;
  r.name_ = path.string();
  r.file_.reset(std::fopen(path.c_str(), "rb"));
  if (!r.file_) {
    return Status::IOError(fmt::format("{}: cannot open: {}", r.name_, ErrnoText(errno)));
  }
  struct stat st {};
  if (::fstat(fileno(r.file_.get()), &st) == 0 && S_ISREG(st.st_mode)) {
    r.map_ = MappedFile::Map(fileno(r.file_.get()), static_cast<std::size_t>(st.st_size));
  }
  return r;
}

Result<bool> BinaryStreamReader::AtEnd() {
  if (map_) return offset_ == map_->size();
  const int c = std::fgetc(file_.get());
  if (c == EOF) {
    if (std::ferror(file_.get())) return Truncated("");
    return true;
  }
  std::ungetc(c, file_.get());
  return false;
}

Result<const unsigned char*> BinaryStreamReader::Read(std::size_t n, std::string_view what,
                                                      std::vector<unsigned char>& buffer) {
  if (map_) {
    if (map_->size() - offset_ < n) return Truncated(what);
    const unsigned char* p = map_->bytes() + offset_;
    offset_ += n;
    return p;
  }
  if (buffer.size() < n) buffer.resize(n);
  if (std::fread(buffer.data(), 1, n, file_.get()) != n) return Truncated(what);
  offset_ += n;
  return buffer.data();
}

void BinaryStreamReader::Populate(std::uint64_t begin, std::uint64_t end) const {
#ifdef MADV_POPULATE_READ
  if (map_) Advise(begin, end, MADV_POPULATE_READ, true);
#else
  (void)begin;
  (void)end;
#endif
}

void BinaryStreamReader::Release(std::uint64_t end, std::uint64_t release_step) {
  if (!map_ || end - released_ < release_step) return;
  Advise(released_, end, MADV_DONTNEED, false);
  released_ = end / PageSize() * PageSize();
}

Status BinaryStreamReader::CheckUnchanged() const {
  if (map_ && map_->shrank()) {
    return Status::IOError(fmt::format(
        "{}: the file shrank while it was being read; nothing read from it is used", name_));
  }
  return Status::Ok();
}

Status BinaryStreamReader::Truncated(std::string_view what) const {
  if (!map_ && std::ferror(file_.get())) {
    return Status::IOError(fmt::format("{}: read error: {}", name_, ErrnoText(errno)));
  }
  return Status::Corruption(fmt::format("{}: file ends inside {}", name_, what));
}

void BinaryStreamReader::Advise(std::uint64_t begin, std::uint64_t end, int advice,
                                bool outer) const {
  const std::uint64_t page = PageSize();
  const std::uint64_t first = begin / page * page;
  const std::uint64_t last =
      outer ? std::min<std::uint64_t>((end + page - 1) / page * page, map_->size())
            : end / page * page;
  if (last > first) ::madvise(const_cast<char*>(map_->data()) + first, last - first, advice);
}

}  // namespace partnergraph
