#include "partnergraph/embed/embeddings.hpp"

#include <bit>
#include <cassert>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <new>

#include "partnergraph/common/atomic_file_writer.hpp"
#include "partnergraph/common/inner_product.hpp"

namespace partnergraph {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the embeddings file format is little-endian");

constexpr char kMagic[8] = {'P', 'G', 'E', 'M', 'B', 'E', 'D', '\0'};
// The header of versions 1 and 2; versions 3 and 4 add the u64 graph fingerprint.
constexpr std::size_t kBaseHeaderBytes = 32;
constexpr std::size_t kMaxHeaderBytes = kBaseHeaderBytes + 8;

template <typename T>
T ReadPod(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// The first fault of a sparse row list (strictly ascending ids below `rows`), or empty.
std::string StoredRowIdsFault(const std::vector<std::uint32_t>& ids, std::uint64_t rows) {
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] >= rows || (i > 0 && ids[i] <= ids[i - 1])) {
      return "stored row id " + std::to_string(ids[i]) + " at position " + std::to_string(i) +
             " is not ascending below " + std::to_string(rows) + " rows";
    }
  }
  return {};
}

}  // namespace

Embeddings::Embeddings(std::uint32_t rows, std::uint32_t dim)
    : rows_(rows), dim_(dim), values_(static_cast<std::size_t>(rows) * dim, 0.0f) {}

Result<Embeddings> Embeddings::FromValues(std::uint32_t rows, std::uint32_t dim,
                                          std::vector<float> values, std::string config_json) {
  if (values.size() != static_cast<std::size_t>(rows) * dim) {
    return Status::InvalidArgument("embeddings: " + std::to_string(values.size()) +
                                   " values for " + std::to_string(rows) + " rows x " +
                                   std::to_string(dim) + " dimensions");
  }
  Embeddings e;
  e.rows_ = rows;
  e.dim_ = dim;
  e.values_ = std::move(values);
  e.config_json_ = std::move(config_json);
  return e;
}

Result<Embeddings> Embeddings::FromStoredRows(std::uint32_t rows, std::uint32_t dim,
                                              std::vector<std::uint32_t> row_ids,
                                              std::vector<float> values,
                                              std::string config_json) {
  if (values.size() != row_ids.size() * dim) {
    return Status::InvalidArgument("embeddings: " + std::to_string(values.size()) +
                                   " values for " + std::to_string(row_ids.size()) +
                                   " stored rows x " + std::to_string(dim) + " dimensions");
  }
  if (std::string fault = StoredRowIdsFault(row_ids, rows); !fault.empty()) {
    return Status::InvalidArgument("embeddings: " + fault);
  }
  Embeddings e;
  e.rows_ = rows;
  e.dim_ = dim;
  e.sparse_ = true;
  e.values_ = std::move(values);
  e.stored_row_ids_ = std::move(row_ids);
  e.config_json_ = std::move(config_json);
  e.IndexStoredRows();
  return e;
}

void Embeddings::IndexStoredRows() {
  slot_of_.assign(rows_, kNotStored);
  for (std::size_t i = 0; i < stored_row_ids_.size(); ++i) {
    slot_of_[stored_row_ids_[i]] = static_cast<std::uint32_t>(i);
  }
  zeros_.assign(dim_, 0.0f);
}

// Out of line on purpose: GCC 12 at -O3 dropped the __builtin_prefetch calls of the partner
// scoring loop (Recommender::PartnersFromHits) once this was inlined there, which made a
// partner query 50 % slower (60 to 90 us at 100k merchants).
std::span<const float> Embeddings::Row(std::uint32_t r) const {
  assert(r < rows_);
  if (!sparse_) return {values_.data() + static_cast<std::size_t>(r) * dim_, dim_};
  const std::uint32_t slot = slot_of_[r];
  if (slot == kNotStored) return {zeros_.data(), dim_};
  return {values_.data() + static_cast<std::size_t>(slot) * dim_, dim_};
}

std::span<float> Embeddings::MutableRow(std::uint32_t r) {
  assert(r < rows_);
  std::size_t slot = r;
  if (sparse_) {
    slot = slot_of_[r];
    assert(slot != kNotStored);
  }
  return {values_.data() + slot * dim_, dim_};
}

void Embeddings::NormalizeRows() {
  const std::size_t stored = dim_ == 0 ? 0 : values_.size() / dim_;
  for (std::size_t i = 0; i < stored; ++i) {
    std::span<float> row(values_.data() + i * dim_, dim_);
    double sum = 0;
    for (float v : row) sum += static_cast<double>(v) * v;
    if (sum <= 0) continue;
    const auto scale = static_cast<float>(1.0 / std::sqrt(sum));
    for (float& v : row) v *= scale;
  }
}

float Embeddings::Dot(std::uint32_t a, std::uint32_t b) const {
  return InnerProduct(Row(a).data(), Row(b).data(), dim_);
}

Status Embeddings::Save(const std::filesystem::path& path) const {
  PG_ASSIGN_OR_RETURN(auto writer, AtomicFileWriter::Open(path));
  char header[kMaxHeaderBytes];
  std::memcpy(header, kMagic, 8);
  const std::uint32_t version = sparse_ ? kSparseFormatVersion : kDenseFormatVersion;
  const std::uint64_t rows = rows_;
  const std::uint64_t config_bytes = config_json_.size();
  std::memcpy(header + 8, &version, 4);
  std::memcpy(header + 12, &dim_, 4);
  std::memcpy(header + 16, &rows, 8);
  std::memcpy(header + 24, &config_bytes, 8);
  std::memcpy(header + 32, &graph_fingerprint_, 8);
  PG_RETURN_IF_ERROR(writer.Append(header, sizeof header));
  PG_RETURN_IF_ERROR(writer.Append(config_json_.data(), config_json_.size()));
  if (sparse_) {
    const std::uint64_t stored = stored_row_ids_.size();
    PG_RETURN_IF_ERROR(writer.Append(&stored, sizeof stored));
    PG_RETURN_IF_ERROR(
        writer.Append(stored_row_ids_.data(), stored_row_ids_.size() * sizeof(std::uint32_t)));
  }
  PG_RETURN_IF_ERROR(writer.Append(values_.data(), values_.size() * sizeof(float)));
  const std::uint32_t crc = writer.crc();
  PG_RETURN_IF_ERROR(writer.Append(&crc, sizeof crc));
  return writer.Commit();
}

Result<std::uint64_t> Embeddings::ReadGraphFingerprint(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(name + ": cannot open embeddings");
  char header[kMaxHeaderBytes];
  if (!in.read(header, kBaseHeaderBytes) || std::memcmp(header, kMagic, 8) != 0) {
    return Status::Corruption(name + ": not an embeddings file (bad magic or truncated)");
  }
  const auto version = ReadPod<std::uint32_t>(header + 8);
  if (version < kOldestFormatVersion || version > kSparseFormatVersion) {
    return Status::Corruption(name + ": embeddings format version " + std::to_string(version) +
                              " is not supported");
  }
  if (version < kDenseFormatVersion) return std::uint64_t{0};
  if (!in.read(header + kBaseHeaderBytes, 8)) {
    return Status::Corruption(name + ": truncated embeddings file (shorter than the header)");
  }
  return ReadPod<std::uint64_t>(header + kBaseHeaderBytes);
}

Result<Embeddings> Embeddings::Load(const std::filesystem::path& path,
                                    std::optional<std::uint32_t> expected_rows) {
  const std::string name = path.string();
  std::error_code ec;
  const std::uintmax_t file_size = std::filesystem::file_size(path, ec);
  if (ec) return Status::IOError(name + ": cannot read embeddings: " + ec.message());
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(name + ": cannot open embeddings");

  char header[kMaxHeaderBytes];
  if (file_size < kBaseHeaderBytes + 4 || !in.read(header, kBaseHeaderBytes)) {
    return Status::Corruption(name + ": truncated embeddings file (" + std::to_string(file_size) +
                              " bytes, shorter than the header)");
  }
  if (std::memcmp(header, kMagic, 8) != 0) {
    return Status::Corruption(name + ": not an embeddings file (bad magic)");
  }
  const auto version = ReadPod<std::uint32_t>(header + 8);
  if (version < kOldestFormatVersion || version > kSparseFormatVersion) {
    return Status::Corruption(name + ": embeddings format version " + std::to_string(version) +
                              " is not supported (expected " +
                              std::to_string(kOldestFormatVersion) + " to " +
                              std::to_string(kSparseFormatVersion) + ")");
  }
  const bool sparse = version == kSparseFormatVersion || version == 2;
  const std::size_t header_bytes =
      version >= kDenseFormatVersion ? kMaxHeaderBytes : kBaseHeaderBytes;
  if (header_bytes > kBaseHeaderBytes) {
    if (file_size < header_bytes + 4 || !in.read(header + kBaseHeaderBytes, 8)) {
      return Status::Corruption(name + ": truncated embeddings file (" +
                                std::to_string(file_size) + " bytes, shorter than the header)");
    }
  }
  const auto dim = ReadPod<std::uint32_t>(header + 12);
  const auto rows = ReadPod<std::uint64_t>(header + 16);
  const auto config_bytes = ReadPod<std::uint64_t>(header + 24);
  Embeddings e;
  if (header_bytes > kBaseHeaderBytes) e.graph_fingerprint_ = ReadPod<std::uint64_t>(header + 32);
  std::uint32_t crc = Crc32(0, header, header_bytes);
  // Every size is checked before it is trusted with an allocation: against the file size, and
  // the dimension against kMaxDim (a sparse file's all-zero row and the per-row slot table are
  // sized by dim and rows, not by the bytes that follow).
  auto size_error = [&](const std::string& what, std::uint64_t expected) {
    std::string needs = expected == 0 ? std::string("more or fewer bytes")
                                      : std::to_string(expected) + " bytes";
    return Status::Corruption(name + ": embeddings file is " + std::to_string(file_size) +
                              " bytes but its header (" + std::to_string(rows) + " x " +
                              std::to_string(dim) + ", " + std::to_string(config_bytes) +
                              " config bytes" + what + ") needs " + needs +
                              (expected > file_size ? " (truncated)" : ""));
  };
  if (dim > kMaxDim) {
    return Status::Corruption(name + ": embeddings dimension " + std::to_string(dim) +
                              " is above the largest supported, " + std::to_string(kMaxDim));
  }
  if (expected_rows.has_value() && rows != *expected_rows) {
    return Status::InvalidArgument(
        name + ": holds " + std::to_string(rows) + " rows but the model's graph has " +
        std::to_string(*expected_rows) + " (another model's file, or damaged): rebuild the model");
  }
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  if (rows > std::numeric_limits<std::uint32_t>::max() ||
      config_bytes > file_size - header_bytes - 4 ||
      (sparse && config_bytes + 8 > file_size - header_bytes - 4)) {
    return size_error("", 0);
  }
  const std::uint64_t room = file_size - header_bytes - 4 - config_bytes - (sparse ? 8 : 0);
  e.config_json_.resize(config_bytes);
  if (!in.read(e.config_json_.data(), static_cast<std::streamsize>(config_bytes))) {
    return Status::IOError(name + ": read error");
  }
  crc = Crc32(crc, e.config_json_.data(), e.config_json_.size());
  std::uint64_t stored = rows;
  if (sparse) {
    char count[8];
    if (!in.read(count, sizeof count)) return Status::IOError(name + ": read error");
    crc = Crc32(crc, count, sizeof count);
    stored = ReadPod<std::uint64_t>(count);
    if (stored > rows) {
      return Status::Corruption(name + ": embeddings file stores " + std::to_string(stored) +
                                " rows of " + std::to_string(rows));
    }
  }
  const std::uint64_t per_row = std::uint64_t{dim} * 4 + (sparse ? 4 : 0);
  if ((per_row != 0 && stored > kMax / per_row) || stored * per_row != room) {
    const bool fits = per_row == 0 || stored <= (kMax - file_size) / per_row;
    return size_error(sparse ? ", " + std::to_string(stored) + " stored rows" : "",
                      fits ? file_size - room + stored * per_row : 0);
  }
  e.rows_ = static_cast<std::uint32_t>(rows);
  e.dim_ = dim;
  e.sparse_ = sparse;
  if (sparse) {
    e.stored_row_ids_.resize(stored);
    if (!in.read(reinterpret_cast<char*>(e.stored_row_ids_.data()),
                 static_cast<std::streamsize>(stored * 4))) {
      return Status::IOError(name + ": read error");
    }
    crc = Crc32(crc, e.stored_row_ids_.data(), stored * 4);
  }
  const std::uint64_t value_bytes = stored * dim * 4;
  e.values_.resize(stored * dim);
  std::uint32_t stored_crc = 0;
  if (!in.read(reinterpret_cast<char*>(e.values_.data()), static_cast<std::streamsize>(value_bytes)) ||
      !in.read(reinterpret_cast<char*>(&stored_crc), sizeof stored_crc)) {
    return Status::IOError(name + ": read error");
  }
  crc = Crc32(crc, e.values_.data(), value_bytes);
  if (crc != stored_crc) {
    return Status::Corruption(name + ": embeddings checksum mismatch (stored " +
                              std::to_string(stored_crc) + ", computed " + std::to_string(crc) +
                              ")");
  }
  if (sparse) {
    if (std::string fault = StoredRowIdsFault(e.stored_row_ids_, rows); !fault.empty()) {
      return Status::Corruption(name + ": " + fault);
    }
    // The slot table costs 4 bytes per row whatever the file holds: a header claiming
    // billions of rows with a valid checksum can ask for up to 16 GB.
    try {
      e.IndexStoredRows();
    } catch (const std::bad_alloc&) {
      return Status::Unavailable(name + ": out of memory for the row table of " +
                                 std::to_string(rows) + " rows");
    }
  }
  return e;
}

}  // namespace partnergraph
