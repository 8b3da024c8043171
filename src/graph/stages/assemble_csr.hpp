// Stage "assemble csr", the last: the per-kind edge lists of every earlier
// stage laid out as one compressed-sparse-row graph (Boost.Graph).
#pragma once

#include <array>

#include "graph_data.hpp"
#include "partnergraph/common/status.hpp"
#include "per_source.hpp"

namespace partnergraph::graph_internal {

// Needs every node count in g.counts; moves each kind's offsets into
// g.kind_offsets, frees the targets, and sets g.bases, g.csr and
// g.fingerprint (every other column of `g` must be final by then: the
// fingerprint covers them). A vertex's row holds its kinds in enum order
// (kKindsOfType), each kind's targets in list order.
// InvalidArgument when the graph has 2^32 - 1 edges or more. Parallel over
// vertices (oneTBB); the result does not depend on the thread count.
Status AssembleCsr(std::array<EdgeLists, kEdgeKindCount> edges, EcosystemGraph::Impl& g);

}  // namespace partnergraph::graph_internal
