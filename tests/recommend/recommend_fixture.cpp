#include "recommend_fixture.hpp"

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <utility>
#include <vector>

#include "partnergraph/graph/graph_builder.hpp"
#include "partnergraph/ingest/loader.hpp"
#include "partnergraph/recommend/embedding_index.hpp"
#include "precomputed_profiles.hpp"
#include "graph_of_folder.hpp"
#include "test_paths.hpp"

namespace partnergraph::testing {
namespace {

std::shared_ptr<const Embeddings> Vectors(std::uint32_t rows, std::vector<float> values) {
  auto e = Embeddings::FromValues(rows, 4, std::move(values));
  REQUIRE(e.ok());
  e->NormalizeRows();
  return std::make_shared<const Embeddings>(std::move(e).value());
}

std::shared_ptr<const VectorIndex> FlatIndex(const Embeddings& e) {
  VectorIndexOptions options;
  options.factory = "Flat";
  options.build_threads = 1;
  auto index = IndexNonZeroRows(e, options);
  INFO(index.status().ToString());
  REQUIRE(index.ok());
  return std::make_shared<const VectorIndex>(std::move(index).value());
}

}  // namespace

std::shared_ptr<const EcosystemGraph> TinyGraph() {
  static std::shared_ptr<const EcosystemGraph> graph = [] {
    return GraphOfFolder(TinyDataset());
  }();
  return graph;
}

RecommendModel TinyModel(bool indexes) {
  RecommendModel model;
  model.graph = TinyGraph();
  if (!indexes) return model;
  const EcosystemGraph& g = *model.graph;
  REQUIRE(g.merchant_count() == 6);
  REQUIRE(g.sku_count() == 9);
  // The bakery is nearest to bakery2, then the florist, then the wine shop.
  const std::pair<std::string_view, std::array<float, 4>> rows[] = {
      {"m_bakery", {1, 0, 0, 0}},           {"m_bakery2", {0.9f, 0.1f, 0, 0}},
      {"m_florist", {0.7f, 0.3f, 0.1f, 0}}, {"m_wine", {0.5f, 0.5f, 0.2f, 0}},
      {"m_hardware", {0, 0, 1, 0}},         {"m_cheese", {0.2f, 0, 0, 1}}};
  std::vector<float> merchants(6 * 4, 0.0f);
  for (const auto& [name, row] : rows) {
    std::copy(row.begin(), row.end(), merchants.begin() + MerchantNamed(g, name).value * 4);
  }
  model.merchant_vectors = Vectors(6, std::move(merchants));
  model.merchant_index = FlatIndex(*model.merchant_vectors);
  std::vector<float> skus(9 * 4, 0.0f);
  for (std::uint32_t s = 0; s < 9; ++s) {
    if (s == SkuNamed(g, "s_brie").value) continue;  // a SKU without a vector
    skus[s * 4 + s % 4] = 1.0f;
    skus[s * 4 + (s + 1) % 4] = 0.1f * static_cast<float>(s + 1);
  }
  model.sku_vectors = Vectors(9, std::move(skus));
  model.sku_index = FlatIndex(*model.sku_vectors);
  return model;
}

recommend_internal::RecommenderContext TinyContext(RecommendModel model,
                                                   const RecommendOptions& options) {
  recommend_internal::RecommenderContext context{std::move(model), options, nullptr, nullptr};
  context.profiles =
      recommend_internal::PrecomputedProfiles::Compute(*context.model.graph, options);
  context.live = recommend_internal::NewLiveOverlay(context.model.graph, *context.profiles);
  return context;
}

MerchantId MerchantNamed(const EcosystemGraph& g, std::string_view external_id) {
  auto m = g.FindMerchant(external_id);
  REQUIRE(m.ok());
  return *m;
}

SkuId SkuNamed(const EcosystemGraph& g, std::string_view external_id) {
  auto s = g.FindSku(external_id);
  REQUIRE(s.ok());
  return *s;
}

}  // namespace partnergraph::testing
