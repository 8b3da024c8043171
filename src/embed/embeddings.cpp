#include "partnergraph/embed/embeddings.hpp"

#include <bit>
#include <cassert>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

#include "partnergraph/common/atomic_file_writer.hpp"
#include "partnergraph/common/inner_product.hpp"

namespace partnergraph {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the embeddings file format is little-endian");

constexpr char kMagic[8] = {'P', 'G', 'E', 'M', 'B', 'E', 'D', '\0'};
constexpr std::size_t kHeaderBytes = 32;

template <typename T>
T ReadPod(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
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

std::span<const float> Embeddings::Row(std::uint32_t r) const {
  assert(r < rows_);
  return {values_.data() + static_cast<std::size_t>(r) * dim_, dim_};
}

std::span<float> Embeddings::MutableRow(std::uint32_t r) {
  assert(r < rows_);
  return {values_.data() + static_cast<std::size_t>(r) * dim_, dim_};
}

void Embeddings::NormalizeRows() {
  for (std::uint32_t r = 0; r < rows_; ++r) {
    std::span<float> row = MutableRow(r);
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
  char header[kHeaderBytes];
  std::memcpy(header, kMagic, 8);
  const std::uint32_t version = kFormatVersion;
  const std::uint64_t rows = rows_;
  const std::uint64_t config_bytes = config_json_.size();
  std::memcpy(header + 8, &version, 4);
  std::memcpy(header + 12, &dim_, 4);
  std::memcpy(header + 16, &rows, 8);
  std::memcpy(header + 24, &config_bytes, 8);
  PG_RETURN_IF_ERROR(writer.Append(header, sizeof header));
  PG_RETURN_IF_ERROR(writer.Append(config_json_.data(), config_json_.size()));
  PG_RETURN_IF_ERROR(writer.Append(values_.data(), values_.size() * sizeof(float)));
  const std::uint32_t crc = writer.crc();
  PG_RETURN_IF_ERROR(writer.Append(&crc, sizeof crc));
  return writer.Commit();
}

Result<Embeddings> Embeddings::Load(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::error_code ec;
  const std::uintmax_t file_size = std::filesystem::file_size(path, ec);
  if (ec) return Status::IOError(name + ": cannot read embeddings: " + ec.message());
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(name + ": cannot open embeddings");

  char header[kHeaderBytes];
  if (file_size < kHeaderBytes + 4 || !in.read(header, kHeaderBytes)) {
    return Status::Corruption(name + ": truncated embeddings file (" + std::to_string(file_size) +
                              " bytes, shorter than the header)");
  }
  if (std::memcmp(header, kMagic, 8) != 0) {
    return Status::Corruption(name + ": not an embeddings file (bad magic)");
  }
  const auto version = ReadPod<std::uint32_t>(header + 8);
  if (version != kFormatVersion) {
    return Status::Corruption(name + ": embeddings format version " + std::to_string(version) +
                              " is not supported (expected " + std::to_string(kFormatVersion) +
                              ")");
  }
  const auto dim = ReadPod<std::uint32_t>(header + 12);
  const auto rows = ReadPod<std::uint64_t>(header + 16);
  const auto config_bytes = ReadPod<std::uint64_t>(header + 24);
  // Check the sizes before trusting them with an allocation.
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  const bool sizes_fit = rows <= std::numeric_limits<std::uint32_t>::max() &&
                         (dim == 0 || rows <= kMax / 4 / dim) && config_bytes <= file_size;
  const std::uint64_t value_bytes = sizes_fit ? rows * dim * 4 : 0;
  const std::uint64_t expected = kHeaderBytes + config_bytes + value_bytes + 4;
  if (!sizes_fit || expected != file_size) {
    return Status::Corruption(name + ": embeddings file is " + std::to_string(file_size) +
                              " bytes but its header (" + std::to_string(rows) + " x " +
                              std::to_string(dim) + ", " + std::to_string(config_bytes) +
                              " config bytes) needs " +
                              (sizes_fit ? std::to_string(expected) : std::string("more")) +
                              (sizes_fit && expected > file_size ? " (truncated)" : ""));
  }
  Embeddings e;
  e.rows_ = static_cast<std::uint32_t>(rows);
  e.dim_ = dim;
  e.config_json_.resize(config_bytes);
  e.values_.resize(rows * dim);
  std::uint32_t stored_crc = 0;
  if (!in.read(e.config_json_.data(), static_cast<std::streamsize>(config_bytes)) ||
      !in.read(reinterpret_cast<char*>(e.values_.data()), static_cast<std::streamsize>(value_bytes)) ||
      !in.read(reinterpret_cast<char*>(&stored_crc), sizeof stored_crc)) {
    return Status::IOError(name + ": read error");
  }
  std::uint32_t crc = Crc32(0, header, sizeof header);
  crc = Crc32(crc, e.config_json_.data(), e.config_json_.size());
  crc = Crc32(crc, e.values_.data(), value_bytes);
  if (crc != stored_crc) {
    return Status::Corruption(name + ": embeddings checksum mismatch (stored " +
                              std::to_string(stored_crc) + ", computed " + std::to_string(crc) +
                              ")");
  }
  return e;
}

}  // namespace partnergraph
