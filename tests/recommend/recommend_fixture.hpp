// The recommender's parts (src/recommend/) over datasets/tiny: six merchants whose relations
// are known (README.md there), with small hand-written embeddings and exact (Flat) indexes,
// as one RecommenderContext the parts can be built on.
#pragma once

#include <memory>
#include <string_view>

#include "partnergraph/recommend/recommend_options.hpp"
#include "partnergraph/recommend/recommend_types.hpp"
#include "recommender_context.hpp"

namespace partnergraph::testing {

// datasets/tiny built into a graph, once per process.
std::shared_ptr<const EcosystemGraph> TinyGraph();

// The tiny graph with 4-dim merchant and SKU embeddings (every row non-zero except the SKU
// s_brie's) and a Flat index over each; without `indexes`, the graph alone.
RecommendModel TinyModel(bool indexes);

// A context over `model` with its profiles computed under `options`.
recommend_internal::RecommenderContext TinyContext(RecommendModel model,
                                                   const RecommendOptions& options = {});

MerchantId MerchantNamed(const EcosystemGraph& g, std::string_view external_id);
SkuId SkuNamed(const EcosystemGraph& g, std::string_view external_id);

}  // namespace partnergraph::testing
