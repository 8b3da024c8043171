// Embeddings: one vector per entity, as trained by the embed module and stored in
// the model folder.
//
// Row i is the vector of entity i, in the caller's dense id space (e.g.
// MerchantId::value). A zero row means "no data for this entity" (it never occurred
// in the training input). Two storages, the same rows either way:
//   dense:   every row is stored; values() is row-major rows() x dim() float32;
//   sparse:  only the rows listed in stored_row_ids() (ascending) are stored, in that
//            order, in values(); every other row is zero. Made by FromStoredRows, for
//            vectors where most entities have no data (SKU vectors: at 1M merchants
//            85 % of the 20M SKUs never occur often enough, and dense storage would
//            spend 4.3 GB on zeros).
//
// File format (Save/Load): a binary container (common/binary_container.hpp,
// docs/formats.md), magic "PGEMBED\0", format "embeddings", version 5 (versions 1 to 4, before
// the container, are refused with a message that says to rebuild the model). Sections:
//   header   u32 dim, u32 rows, u32 storage (0 dense, 1 sparse), u64 graph fingerprint
//            (EcosystemGraph::Fingerprint of the graph the vectors were trained on; 0: not
//            recorded)
//   config   the configuration (JSON text: method and options used)
//   row_ids  sparse only: S u32 stored row ids, strictly ascending, < rows
//   values   dense: rows * dim float32; sparse: S * dim float32
//
// Ownership: an Embeddings owns its values. Thread safety: const members may be
// called concurrently; mutating members need exclusive access.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "partnergraph/common/status.hpp"

namespace partnergraph {

class Embeddings {
 public:
  // The version Save writes and Load reads (both storages).
  static constexpr std::uint32_t kFormatVersion = 5;
  // The largest dimension Load accepts (the embed options allow up to this).
  static constexpr std::uint32_t kMaxDim = 4096;

  // 0 x 0.
  Embeddings() = default;
  // rows x dim zeros.
  Embeddings(std::uint32_t rows, std::uint32_t dim);
  // Takes ownership of row-major values. Errors: InvalidArgument when
  // values.size() != rows * dim.
  static Result<Embeddings> FromValues(std::uint32_t rows, std::uint32_t dim,
                                       std::vector<float> values, std::string config_json = {});
  // Sparse: row row_ids[i] is values[i * dim .. (i + 1) * dim); all other rows are zero.
  // Errors: InvalidArgument when row_ids are not strictly ascending below rows, or
  // values.size() != row_ids.size() * dim.
  static Result<Embeddings> FromStoredRows(std::uint32_t rows, std::uint32_t dim,
                                           std::vector<std::uint32_t> row_ids,
                                           std::vector<float> values,
                                           std::string config_json = {});

  std::uint32_t rows() const { return rows_; }
  std::uint32_t dim() const { return dim_; }
  bool sparse() const { return sparse_; }
  // Row r (r < rows(); asserted); a row that is not stored reads as zeros.
  std::span<const float> Row(std::uint32_t r) const;
  // A stored row, to write (r < rows(), and stored when sparse; asserted).
  std::span<float> MutableRow(std::uint32_t r);
  // The stored values: every row when dense, the stored rows in order when sparse.
  const std::vector<float>& values() const { return values_; }
  // The stored rows when sparse (ascending); empty when dense.
  const std::vector<std::uint32_t>& stored_row_ids() const { return stored_row_ids_; }

  // The fingerprint of the graph the vectors were trained on (EcosystemGraph::Fingerprint;
  // set by the Train*Embeddings functions of graph_embeddings.hpp), 0 when not recorded.
  // Save writes it; a model refuses vectors of another graph (model_manifest.hpp).
  std::uint64_t graph_fingerprint() const { return graph_fingerprint_; }
  void set_graph_fingerprint(std::uint64_t fingerprint) { graph_fingerprint_ = fingerprint; }

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
  // Reads a file written by Save (either storage). Errors: IOError when it cannot be read;
  // InvalidArgument naming the file when the magic or the version is not this build's;
  // Corruption naming the file when the sizes (a truncated file, trailing bytes, a dimension
  // above kMaxDim), a checksum or the stored row ids do not match; Unavailable when a sparse
  // file's row table (4 bytes per row) cannot be allocated.
  // With `expected_rows` (a model's loader passes its graph's count), a header claiming
  // another row count is InvalidArgument before anything is allocated: a damaged sparse
  // header could otherwise ask for a 16 GB row table that its few bytes never fill.
  static Result<Embeddings> Load(const std::filesystem::path& path,
                                 std::optional<std::uint32_t> expected_rows = std::nullopt);
  // The graph fingerprint recorded in the file at `path`, from its header section only (0:
  // none recorded). Errors: IOError when it cannot be read; InvalidArgument naming it when it
  // is not an embeddings file of this version; Corruption when its header is damaged.
  static Result<std::uint64_t> ReadGraphFingerprint(const std::filesystem::path& path);

 private:
  std::uint32_t rows_ = 0;
  std::uint32_t dim_ = 0;
  static constexpr std::uint32_t kNotStored = 0xFFFFFFFFu;
  // Fills slot_of_ and zeros_ from stored_row_ids_.
  void IndexStoredRows();

  bool sparse_ = false;
  std::vector<float> values_;
  // Sparse only: the stored rows, and for each row its position among them or kNotStored.
  std::vector<std::uint32_t> stored_row_ids_;
  std::vector<std::uint32_t> slot_of_;
  std::vector<float> zeros_;
  std::string config_json_;
  std::uint64_t graph_fingerprint_ = 0;
};

}  // namespace partnergraph
