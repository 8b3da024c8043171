#include "stages/assemble_csr.hpp"

#include <utility>
#include <vector>

namespace partnergraph::graph_internal {

Status AssembleCsr(std::array<EdgeLists, kEdgeKindCount> edges, EcosystemGraph::Impl& g) {
  for (int k = 0; k < kEdgeKindCount; ++k) g.kind_offsets[k] = std::move(edges[k].offsets);
  g.ComputeBases();
  const std::uint32_t V = g.vertex_count();
  std::vector<std::uint32_t> rowstart(static_cast<std::size_t>(V) + 1, 0);
  for (int t = 0; t < kNodeTypeCount; ++t) {
    auto span = kKindsOfType[t];
    for (std::uint32_t local = 0; local < g.counts[t]; ++local) {
      std::uint32_t degree = 0;
      for (int k = span.first; k <= span.last; ++k)
        degree += g.Degree(static_cast<EdgeKind>(k), local);
      rowstart[g.bases[t] + local + 1] = degree;
    }
  }
  PG_RETURN_IF_ERROR(PrefixSum(rowstart, "the graph"));
  std::vector<std::uint32_t> column(rowstart.back());
  tbb::parallel_for(
      tbb::blocked_range<std::uint32_t>(0, V), [&](const tbb::blocked_range<std::uint32_t>& r) {
        for (GraphVertex v = r.begin(); v != r.end(); ++v) {
          int t = static_cast<int>(g.TypeOf(v));
          std::uint32_t local = v - g.bases[t];
          std::uint32_t pos = rowstart[v];
          auto span = kKindsOfType[t];
          for (int k = span.first; k <= span.last; ++k) {
            const auto& off = g.kind_offsets[k];
            const auto& tg = edges[k].entries;
            GraphVertex base = g.bases[static_cast<int>(TargetType(static_cast<EdgeKind>(k)))];
            for (std::uint32_t i = off[local]; i < off[local + 1]; ++i) {
              column[pos++] = base + tg[i];
            }
          }
        }
      });
  for (auto& e : edges) std::vector<std::uint32_t>().swap(e.entries);
  g.csr = MakeCsr(rowstart, column);
  g.fingerprint = g.ComputeFingerprint();
  return Status::Ok();
}

}  // namespace partnergraph::graph_internal
