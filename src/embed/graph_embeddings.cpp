#include "partnergraph/embed/graph_embeddings.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "partnergraph/embed/purchase_sequences.hpp"
#include "partnergraph/embed/random_walker.hpp"
#include "partnergraph/embed/randomized_svd.hpp"
#include "partnergraph/embed/skip_gram.hpp"

namespace partnergraph {

Result<SparseMatrix> MerchantCustomerMatrix(const EcosystemGraph& g) {
  const std::uint32_t rows = g.merchant_count();
  std::vector<std::uint64_t> offsets(rows + 1, 0);
  std::vector<std::uint32_t> cols;
  std::vector<float> values;
  for (std::uint32_t m = 0; m < rows; ++m) {
    for (const CustomerLink& link : g.CustomersOf(MerchantId(m))) {
      if (link.lines == 0) continue;
      cols.push_back(link.customer.value);
      values.push_back(static_cast<float>(link.lines));
    }
    offsets[m + 1] = cols.size();
  }
  return SparseMatrix::FromCsr(rows, g.customer_count(), std::move(offsets), std::move(cols),
                               std::move(values));
}

Result<Embeddings> TrainMerchantSvdEmbeddings(const EcosystemGraph& g,
                                              const MatrixEmbeddingOptions& options) {
  PG_ASSIGN_OR_RETURN(SparseMatrix counts, MerchantCustomerMatrix(g));
  PG_ASSIGN_OR_RETURN(Embeddings e, TrainSvdEmbeddings(counts, options.ppmi, options.svd));
  e.set_graph_fingerprint(g.Fingerprint());
  return e;
}

Result<Embeddings> TrainMerchantWalkEmbeddings(const EcosystemGraph& g,
                                               const WalkEmbeddingOptions& options) {
  // A CSR over the graph's own vertex ids, with only the merchant → customer,
  // customer → SKU and SKU → merchant edges (weights: order lines; 1 for SKU → merchant).
  const std::uint32_t n = g.vertex_count();
  std::vector<std::uint64_t> offsets(n + 1, 0);
  std::vector<std::uint32_t> targets;
  std::vector<float> weights;
  for (GraphVertex v = 0; v < n; ++v) {
    switch (g.TypeOf(v)) {
      case NodeType::kMerchant: {
        auto nbrs = g.OutNeighbors(v, EdgeKind::kHasCustomer);
        for (std::size_t i = 0; i < nbrs.size(); ++i) {
          targets.push_back(nbrs[i]);
          weights.push_back(g.OutEdgeWeight(v, EdgeKind::kHasCustomer, i));
        }
        break;
      }
      case NodeType::kCustomer: {
        auto nbrs = g.OutNeighbors(v, EdgeKind::kBought);
        for (std::size_t i = 0; i < nbrs.size(); ++i) {
          targets.push_back(nbrs[i]);
          weights.push_back(g.OutEdgeWeight(v, EdgeKind::kBought, i));
        }
        break;
      }
      case NodeType::kSku:
        targets.push_back(g.VertexOf(g.Sku(g.IdOf<SkuId>(v)).merchant));
        weights.push_back(1.0f);
        break;
      default:
        break;
    }
    offsets[v + 1] = targets.size();
  }
  CsrAdjacency adjacency{offsets, targets, weights};
  const WalkOptions walk_options = BudgetWalks(options.walks, g.merchant_count());
  PG_ASSIGN_OR_RETURN(RandomWalker walker, RandomWalker::Create(adjacency, walk_options));
  std::vector<std::uint32_t> starts(g.merchant_count());
  for (std::uint32_t m = 0; m < g.merchant_count(); ++m) starts[m] = g.VertexOf(MerchantId(m));
  PG_ASSIGN_OR_RETURN(SequenceCorpus walks, walker.Walk(starts));
  // Only the merchant rows are kept: the walks' starts, row m = merchant m.
  PG_ASSIGN_OR_RETURN(Embeddings merchants, TrainSkipGram(walks, n, options.sgns, starts));
  // Record the walks actually taken (the token budget may have lowered them).
  nlohmann::ordered_json config = nlohmann::ordered_json::parse(merchants.config_json());
  config["walks"] = {{"walks_per_node", walk_options.walks_per_node},
                     {"walk_length", walk_options.walk_length},
                     {"max_total_tokens", walk_options.max_total_tokens}};
  merchants.set_config_json(config.dump());
  merchants.set_graph_fingerprint(g.Fingerprint());
  return merchants;
}

Result<Embeddings> TrainSkuItem2vecEmbeddings(const EcosystemGraph& g,
                                              const SequenceEmbeddingOptions& options) {
  std::vector<PurchaseEvent> events;
  for (std::uint32_t c = 0; c < g.customer_count(); ++c) {
    for (const Purchase& p : g.PurchasesOf(CustomerId(c))) {
      events.push_back(PurchaseEvent{c, p.first_ts, p.sku.value});
    }
  }
  PG_ASSIGN_OR_RETURN(SequenceCorpus corpus, BuildPurchaseSequences(events, options.sequences));
  events = {};
  std::vector<bool> seen(g.sku_count(), false);
  for (std::uint32_t t : corpus.tokens()) seen[t] = true;
  const auto skus_trained = static_cast<std::uint64_t>(std::count(seen.begin(), seen.end(), true));
  PG_ASSIGN_OR_RETURN(Embeddings e, TrainSkipGram(corpus, g.sku_count(), options.sgns));
  // Record the sequence options and how many SKUs the sequences hold: the rows that get a
  // vector (min_count and min_length drop the others).
  nlohmann::ordered_json config = nlohmann::ordered_json::parse(e.config_json());
  config["sequence_options"] = nlohmann::ordered_json::parse(ToJson(options.sequences));
  config["skus_in_corpus"] = skus_trained;
  e.set_config_json(config.dump());
  e.set_graph_fingerprint(g.Fingerprint());
  return e;
}

}  // namespace partnergraph
