// Graph embeddings: the embed module's algorithms applied to the ecosystem
// graph. These are the embeddings `partnergraph build` trains and saves:
//  - merchant audience, PPMI-SVD: rows = merchants, columns = customers,
//    value = order lines of that customer at that merchant;
//  - merchant audience, random walks: DeepWalk/node2vec walks that start at
//    merchants and cycle merchant → customer (who bought there) → SKU (that
//    customer bought) → merchant (who sells it) → ..., then skip-gram over the
//    vertex ids; the merchant rows are kept;
//  - SKU, item2vec: skip-gram over each customer's purchases ordered by first
//    purchase time (across merchants).
// Row i of a merchant embedding is MerchantId(i); of a SKU embedding, SkuId(i).
//
// Thread safety: pure functions over an immutable graph; they run oneTBB
// internally (see each option's `threads`).
#pragma once

#include "partnergraph/common/status.hpp"
#include "partnergraph/embed/embed_options.hpp"
#include "partnergraph/embed/embeddings.hpp"
#include "partnergraph/embed/sparse_matrix.hpp"
#include "partnergraph/graph/ecosystem_graph.hpp"

namespace partnergraph {

// merchant_count x customer_count counts (order lines).
Result<SparseMatrix> MerchantCustomerMatrix(const EcosystemGraph& graph);

// merchant_count x dim; errors of the underlying algorithms. Each Train* function records
// graph.Fingerprint() in the vectors (Embeddings::graph_fingerprint).
Result<Embeddings> TrainMerchantSvdEmbeddings(const EcosystemGraph& graph,
                                              const MatrixEmbeddingOptions& options);
Result<Embeddings> TrainMerchantWalkEmbeddings(const EcosystemGraph& graph,
                                               const WalkEmbeddingOptions& options);
// sku_count x dim.
Result<Embeddings> TrainSkuItem2vecEmbeddings(const EcosystemGraph& graph,
                                              const SequenceEmbeddingOptions& options);

}  // namespace partnergraph
