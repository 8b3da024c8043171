// Stage "declared relations": the partner, competitor and blocked pairs of
// partnerships.csv as merchant → merchant edges, stored both ways.
#pragma once

#include <cstdint>
#include <vector>

#include "partnergraph/common/status.hpp"
#include "partnergraph/ingest/dataset.hpp"
#include "per_source.hpp"

namespace partnergraph::graph_internal {

struct DeclaredRelationsInput {
  const std::vector<Partnership>& partnerships;
  std::uint32_t merchants = 0;  // NodeTables
};

// Each merchant → merchants, ascending, deduplicated, symmetric.
struct DeclaredRelationEdges {
  EdgeLists partner;
  EdgeLists competitor_declared;
  EdgeLists blocked;
};

// InvalidArgument when an edge list outgrows 32-bit offsets. Sequential.
Result<DeclaredRelationEdges> CollectDeclaredRelations(const DeclaredRelationsInput& in);

}  // namespace partnergraph::graph_internal
