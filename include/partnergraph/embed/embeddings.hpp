// Embeddings: one dense vector per entity, as trained by the embed module and
// stored in the model folder.
//
// Layout: embeddings are row-major rows() x dim() float32; row i (the vector
// of entity i, in the caller's dense id space, e.g. MerchantId::value) is
// values()[i * dim() .. (i + 1) * dim()). A zero row means "no data for this
// entity" (it never occurred in the training input).
//
// File format (Save/Load), little-endian:
//   offset 0   8 bytes  magic "PGEMBED\0"
//   offset 8   u32      format version (1)
//   offset 12  u32      dim
//   offset 16  u64      rows
//   offset 24  u64      config length L in bytes
//   offset 32  L bytes  configuration (JSON text: method and options used)
//   then       rows * dim float32 values
//   then       u32      CRC-32 (zlib) of every preceding byte
//
// Ownership: an Embeddings owns its values. Thread safety: const members may be
// called concurrently; mutating members need exclusive access.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "partnergraph/common/status.hpp"

namespace partnergraph {

class Embeddings {
 public:
  static constexpr std::uint32_t kFormatVersion = 1;

  // 0 x 0.
  Embeddings() = default;
  // rows x dim zeros.
  Embeddings(std::uint32_t rows, std::uint32_t dim);
  // Takes ownership of row-major values. Errors: InvalidArgument when
  // values.size() != rows * dim.
  static Result<Embeddings> FromValues(std::uint32_t rows, std::uint32_t dim,
                                       std::vector<float> values, std::string config_json = {});

  std::uint32_t rows() const { return rows_; }
  std::uint32_t dim() const { return dim_; }
  // Row r (r < rows(); asserted).
  std::span<const float> Row(std::uint32_t r) const;
  std::span<float> MutableRow(std::uint32_t r);
  const std::vector<float>& values() const { return values_; }
  std::vector<float>& mutable_values() { return values_; }

  // The configuration the vectors were trained with (JSON text, possibly empty).
  const std::string& config_json() const { return config_json_; }
  void set_config_json(std::string config_json) { config_json_ = std::move(config_json); }

  // Scales every non-zero row to unit L2 norm (the norm is summed in double); zero rows
  // stay zero.
  void NormalizeRows();
  // Inner product of rows a and b (both < rows(); asserted), summed as InnerProduct
  // (common/inner_product.hpp): the same float the vector index computes for the pair.
  float Dot(std::uint32_t a, std::uint32_t b) const;

  // Writes the file format above to `path`: first to `path` + ".tmp", flushed to disk,
  // then renamed over `path`, so a crash leaves either the old file or the new one.
  // Errors: IOError naming the path.
  Status Save(const std::filesystem::path& path) const;
  // Reads a file written by Save. Errors: IOError when it cannot be read; Corruption
  // naming the file when the magic, the version, the sizes (a truncated file or trailing
  // bytes) or the checksum do not match.
  static Result<Embeddings> Load(const std::filesystem::path& path);

 private:
  std::uint32_t rows_ = 0;
  std::uint32_t dim_ = 0;
  std::vector<float> values_;
  std::string config_json_;
};

}  // namespace partnergraph
