// The FAISS index the recommenders search over an embedding table: one vector
// per non-zero row (a zero row is an entity without data, e.g. a merchant with
// no customers), with the row number as the vector's id. Used by the model
// build (engine), the offline evaluator and their tests, so that all index the
// same rows.
//
// Thread safety: a free function; concurrent calls on different tables are safe.
#pragma once

#include "partnergraph/common/status.hpp"
#include "partnergraph/embed/embeddings.hpp"
#include "partnergraph/index/index_options.hpp"
#include "partnergraph/index/vector_index.hpp"

namespace partnergraph {

// Errors: those of VectorIndex::Build.
Result<VectorIndex> IndexNonZeroRows(const Embeddings& e, const VectorIndexOptions& options);

}  // namespace partnergraph
