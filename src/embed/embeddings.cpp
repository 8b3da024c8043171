#include "partnergraph/embed/embeddings.hpp"

#include <fmt/format.h>

#include <cassert>
#include <cmath>
#include <new>

#include "partnergraph/common/binary_container.hpp"
#include "partnergraph/common/inner_product.hpp"

namespace partnergraph {
namespace {

constexpr char kMagic[8] = {'P', 'G', 'E', 'M', 'B', 'E', 'D', '\0'};
const ContainerFormat kFormat{std::string_view(kMagic, sizeof kMagic), "embeddings",
                              Embeddings::kFormatVersion};

// The first fault of a sparse row list (strictly ascending ids below `rows`), or empty.
std::string StoredRowIdsFault(const std::vector<std::uint32_t>& ids, std::uint64_t rows) {
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] >= rows || (i > 0 && ids[i] <= ids[i - 1])) {
      return fmt::format("stored row id {} at position {} is not ascending below {} rows", ids[i],
                         i, rows);
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
    return Status::InvalidArgument(
        fmt::format("embeddings: {} values for {} rows x {} dimensions", values.size(), rows, dim));
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
    return Status::InvalidArgument(
        fmt::format("embeddings: {} values for {} stored rows x {} dimensions", values.size(),
                    row_ids.size(), dim));
  }
  if (std::string fault = StoredRowIdsFault(row_ids, rows); !fault.empty()) {
    return Status::InvalidArgument(fmt::format("embeddings: {}", fault));
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
  ByteWriter header;
  header.Put(dim_);
  header.Put(rows_);
  header.Put(std::uint32_t{sparse_ ? 1u : 0u});
  header.Put(graph_fingerprint_);
  BinaryContainerWriter file(kFormat);
  file.AddBytes("header", header.data());
  file.AddBorrowed("config", 1, config_json_.data(), config_json_.size());
  if (sparse_) file.AddArray<std::uint32_t>("row_ids", stored_row_ids_);
  file.AddArray<float>("values", values_);
  return file.Write(path).status();
}

namespace {

// The header section of an opened file.
struct Header {
  std::uint32_t dim = 0;
  std::uint32_t rows = 0;
  std::uint32_t sparse = 0;
  std::uint64_t graph_fingerprint = 0;
};
Result<Header> ReadHeader(const BinaryContainerReader& file) {
  PG_ASSIGN_OR_RETURN(ByteReader r, file.Records("header"));
  Header h;
  PG_RETURN_IF_ERROR(r.Read(&h.dim, "the dimension"));
  PG_RETURN_IF_ERROR(r.Read(&h.rows, "the row count"));
  PG_RETURN_IF_ERROR(r.Read(&h.sparse, "the storage"));
  PG_RETURN_IF_ERROR(r.Read(&h.graph_fingerprint, "the graph fingerprint"));
  if (h.sparse > 1)
    return r.Error(fmt::format("storage {} is neither dense (0) nor sparse (1)", h.sparse));
  return h;
}

}  // namespace

Result<std::uint64_t> Embeddings::ReadGraphFingerprint(const std::filesystem::path& path) {
  PG_ASSIGN_OR_RETURN(auto file,
                      BinaryContainerReader::Open(path, kFormat, ContainerCheck::kHeader));
  PG_ASSIGN_OR_RETURN(Header header, ReadHeader(file));
  return header.graph_fingerprint;
}

Result<Embeddings> Embeddings::Load(const std::filesystem::path& path,
                                    std::optional<std::uint32_t> expected_rows) {
  const std::string name = path.string();
  PG_ASSIGN_OR_RETURN(auto file, BinaryContainerReader::Open(path, kFormat));
  PG_ASSIGN_OR_RETURN(Header h, ReadHeader(file));
  // Every size is checked before it is trusted with an allocation: the dimension against
  // kMaxDim and the rows against the graph's (a sparse file's all-zero row and the per-row
  // slot table are sized by dim and rows, not by the bytes that follow), the arrays against
  // the header.
  if (h.dim > kMaxDim) {
    return Status::Corruption(fmt::format(
        "{}: embeddings dimension {} is above the largest supported, {}", name, h.dim, kMaxDim));
  }
  if (expected_rows.has_value() && h.rows != *expected_rows) {
    return Status::InvalidArgument(fmt::format(
        "{}: holds {} rows but the model's graph has {} (another model's file, or damaged): "
        "rebuild the model",
        name, h.rows, *expected_rows));
  }
  PG_ASSIGN_OR_RETURN(std::string_view config, file.Section("config"));
  PG_ASSIGN_OR_RETURN(std::span<const float> values, file.Array<float>("values"));
  std::span<const std::uint32_t> ids;
  if (h.sparse) {
    PG_ASSIGN_OR_RETURN(ids, file.Array<std::uint32_t>("row_ids"));
  }
  const std::uint64_t stored = h.sparse ? ids.size() : h.rows;
  if (values.size() != stored * h.dim) {
    return Status::Corruption(
        fmt::format("{}: section values holds {} floats but the header ({} x {}{}) needs {}", name,
                    values.size(), h.rows, h.dim,
                    h.sparse ? fmt::format(", {} stored rows", stored) : "", stored * h.dim));
  }
  Embeddings e;
  e.rows_ = h.rows;
  e.dim_ = h.dim;
  e.sparse_ = h.sparse != 0;
  e.graph_fingerprint_ = h.graph_fingerprint;
  e.config_json_.assign(config);
  e.values_.assign(values.begin(), values.end());
  e.stored_row_ids_.assign(ids.begin(), ids.end());
  PG_RETURN_IF_ERROR(file.CheckUnchanged());
  if (e.sparse_) {
    if (std::string fault = StoredRowIdsFault(e.stored_row_ids_, h.rows); !fault.empty()) {
      return Status::Corruption(fmt::format("{}: {}", name, fault));
    }
    // The slot table costs 4 bytes per row whatever the file holds: a header claiming
    // billions of rows with a valid checksum can ask for up to 16 GB.
    try {
      e.IndexStoredRows();
    } catch (const std::bad_alloc&) {
      return Status::Unavailable(
          fmt::format("{}: out of memory for the row table of {} rows", name, h.rows));
    }
  }
  return e;
}

}  // namespace partnergraph
