#include "partnergraph/graph/graph_io.hpp"

#include <fmt/format.h>

#include <bit>
#include <string>
#include <vector>

#include "graph_data.hpp"
#include "partnergraph/common/binary_container.hpp"

namespace partnergraph {
namespace {

using Impl = EcosystemGraph::Impl;

constexpr std::size_t kMetaFields = 19;

std::vector<std::uint64_t> EncodeMeta(const Impl& g) {
  const GraphOptions& o = g.options;
  return {g.counts[0],
          g.counts[1],
          g.counts[2],
          g.counts[3],
          g.counts[4],
          g.region_count,
          g.active_customers,
          std::bit_cast<std::uint64_t>(o.copurchase_window_seconds),
          o.min_copurchase_support,
          o.max_copurchase_neighbors,
          o.max_purchases_per_customer,
          o.min_shared_customers,
          o.price_bands,
          o.max_segments,
          o.derive_competitors ? 1u : 0u,
          std::bit_cast<std::uint64_t>(o.competitor_price_band_ratio),
          std::bit_cast<std::uint64_t>(o.competitor_min_jaccard),
          o.competitor_max_candidates,
          o.max_derived_competitors};
}

Status DecodeMeta(const std::vector<std::uint64_t>& meta, Impl& g) {
  if (meta.size() != kMetaFields) {
    return Status::Corruption(
        fmt::format("meta section has {} fields, expected {}", meta.size(), kMetaFields));
  }
  for (std::size_t i : {0u, 1u, 2u, 3u, 4u, 5u, 6u, 8u, 9u, 10u, 11u, 12u, 13u, 14u, 17u, 18u}) {
    if (meta[i] > 0xFFFFFFFFull) {
      return Status::Corruption(fmt::format("meta field {} is out of range", i));
    }
  }
  for (int t = 0; t < kNodeTypeCount; ++t) g.counts[t] = static_cast<std::uint32_t>(meta[t]);
  g.region_count = static_cast<std::uint32_t>(meta[5]);
  g.active_customers = static_cast<std::uint32_t>(meta[6]);
  GraphOptions& o = g.options;
  o.copurchase_window_seconds = std::bit_cast<std::int64_t>(meta[7]);
  o.min_copurchase_support = static_cast<std::uint32_t>(meta[8]);
  o.max_copurchase_neighbors = static_cast<std::uint32_t>(meta[9]);
  o.max_purchases_per_customer = static_cast<std::uint32_t>(meta[10]);
  o.min_shared_customers = static_cast<std::uint32_t>(meta[11]);
  o.price_bands = static_cast<std::uint32_t>(meta[12]);
  o.max_segments = static_cast<std::uint32_t>(meta[13]);
  if (meta[14] > 1) return Status::Corruption("meta field derive_competitors is not 0 or 1");
  o.derive_competitors = meta[14] == 1;
  o.competitor_price_band_ratio = std::bit_cast<double>(meta[15]);
  o.competitor_min_jaccard = std::bit_cast<double>(meta[16]);
  o.competitor_max_candidates = static_cast<std::uint32_t>(meta[17]);
  o.max_derived_competitors = static_cast<std::uint32_t>(meta[18]);
  o.threads = 0;
  o.show_progress = false;
  Status valid = o.Validate();
  if (!valid.ok()) return Status::Corruption(fmt::format("stored options: {}", valid.message()));
  std::uint64_t total = 0;
  for (auto c : g.counts) total += c;
  if (total >= graph_internal::kNone) return Status::Corruption("more than 2^32 - 1 vertices");
  return Status::Ok();
}

template <typename T>
void AddArray(BinaryContainerWriter& file, const std::string& name, const std::vector<T>& v) {
  file.AddArray<T>(name, v);
}

// Copies section `name` of `file` into `v`.
template <typename T>
Status ReadArray(const BinaryContainerReader& file, const std::string& name, std::vector<T>& v) {
  PG_ASSIGN_OR_RETURN(std::span<const T> values, file.Array<T>(name));
  v.assign(values.begin(), values.end());
  return Status::Ok();
}

std::string KindSectionName(int k) {
  return fmt::format("kind_offsets.{}", ToString(static_cast<EdgeKind>(k)));
}

const ContainerFormat kFormat{std::string_view(kGraphMagic, sizeof kGraphMagic), "graph",
                              kGraphFormatVersion};

}  // namespace

Status SaveGraph(const EcosystemGraph& graph, const std::filesystem::path& path) {
  const Impl& g = GraphAccess::Of(graph);
  std::vector<std::uint64_t> meta = EncodeMeta(g);
  const std::uint32_t V = g.vertex_count();
  const std::uint64_t E = boost::num_edges(g.csr);
  std::vector<std::uint32_t> rowstart(static_cast<std::size_t>(V) + 1, 0);
  for (GraphVertex v = 0; v < V; ++v) rowstart[v + 1] = rowstart[v] + boost::out_degree(v, g.csr);
  const void* column = E > 0 ? static_cast<const void*>(&*boost::adjacent_vertices(GraphVertex{0}, g.csr).first)
                             : static_cast<const void*>(rowstart.data());

  BinaryContainerWriter file(kFormat);
  AddArray(file, "meta", meta);
  AddArray(file, "csr_rowstart", rowstart);
  file.AddBorrowed("csr_column", sizeof(GraphVertex), column, E * sizeof(GraphVertex));
  for (int k = 0; k < kEdgeKindCount; ++k) AddArray(file, KindSectionName(k), g.kind_offsets[k]);
  graph_internal::VisitArrays(
      g, [&file](const std::string& name, const char*, const auto& v) { AddArray(file, name, v); });
  return file.Write(path).status();
}

Result<std::shared_ptr<const EcosystemGraph>> LoadGraph(const std::filesystem::path& path) {
  const std::string where = path.string();
  auto corrupt = [&where](const std::string& why) {
    return Status::Corruption(fmt::format("{}: {}", where, why));
  };
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::status(path, ec))) {
    return Status::NotFound(fmt::format("{}: no such file", where));
  }
  PG_ASSIGN_OR_RETURN(auto file, BinaryContainerReader::Open(path, kFormat));
  auto impl = std::make_unique<Impl>();
  Impl& g = *impl;
  std::vector<std::uint64_t> meta;
  std::vector<std::uint32_t> rowstart, column;
  PG_RETURN_IF_ERROR(ReadArray(file, "meta", meta));
  PG_RETURN_IF_ERROR(ReadArray(file, "csr_rowstart", rowstart));
  PG_RETURN_IF_ERROR(ReadArray(file, "csr_column", column));
  for (int k = 0; k < kEdgeKindCount; ++k) {
    PG_RETURN_IF_ERROR(ReadArray(file, KindSectionName(k), g.kind_offsets[k]));
  }
  Status arrays;
  graph_internal::VisitArrays(g, [&](const std::string& name, const char*, auto& v) {
    if (arrays.ok()) arrays = ReadArray(file, name, v);
  });
  PG_RETURN_IF_ERROR(arrays);
  PG_RETURN_IF_ERROR(file.CheckUnchanged());

  Status meta_ok = DecodeMeta(meta, g);
  if (!meta_ok.ok()) return corrupt(meta_ok.message());
  g.ComputeBases();
  const std::uint32_t V = g.vertex_count();
  if (rowstart.size() != static_cast<std::size_t>(V) + 1 || rowstart[0] != 0 ||
      rowstart.back() != column.size()) {
    return corrupt("CSR row starts do not match the vertex and edge counts");
  }
  for (std::size_t v = 1; v < rowstart.size(); ++v) {
    if (rowstart[v] < rowstart[v - 1])
      return corrupt(fmt::format("CSR row starts decrease at {}", v));
  }
  g.csr = graph_internal::MakeCsr(rowstart, column);
  std::vector<std::uint32_t>().swap(rowstart);
  std::vector<std::uint32_t>().swap(column);
  Status consistent = g.ValidateConsistency();
  if (!consistent.ok()) return corrupt(consistent.message());
  g.fingerprint = g.ComputeFingerprint();
  return GraphAccess::Wrap(std::move(impl));
}

}  // namespace partnergraph
