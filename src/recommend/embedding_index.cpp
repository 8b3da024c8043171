#include "partnergraph/recommend/embedding_index.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace partnergraph {

Result<VectorIndex> IndexNonZeroRows(const Embeddings& e, const VectorIndexOptions& options) {
  std::vector<std::uint32_t> ids;
  std::vector<float> values;
  for (std::uint32_t r = 0; r < e.rows(); ++r) {
    auto row = e.Row(r);
    if (std::all_of(row.begin(), row.end(), [](float x) { return x == 0.0f; })) continue;
    ids.push_back(r);
    values.insert(values.end(), row.begin(), row.end());
  }
  return VectorIndex::Build(values, e.dim(), ids, options);
}

}  // namespace partnergraph
