// Helpers shared by the graph tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "partnergraph/graph/ecosystem_graph.hpp"
#include "partnergraph/ingest/dataset.hpp"

namespace partnergraph::testing {

// datasets/tiny, built by hand row by row (same ids, same order as the files).
Dataset TinyDatasetByHand();

// A random but reproducible dataset: `merchants` merchants in `categories`
// categories and 3 regions, ~4 SKUs each, `customers` customers, `lines`
// order lines over 120 days, some partnerships and consent records.
Dataset RandomDataset(std::uint64_t seed, std::uint32_t merchants, std::uint32_t customers,
                      std::uint32_t lines, std::uint32_t categories = 8);

// Every accessor's answer for every node, one line each, in a canonical text
// form (floats printed exactly). Two graphs answer alike iff their dumps match.
std::vector<std::string> DumpGraph(const EcosystemGraph& graph);

// "" when equal, else the first differing line of each (for a readable failure).
std::string FirstDifference(const std::vector<std::string>& a, const std::vector<std::string>& b);

// Builds the graph of `dataset` with `options`; REQUIREs success.
std::shared_ptr<const EcosystemGraph> BuildGraph(const Dataset& dataset,
                                                 const GraphOptions& options = {});

}  // namespace partnergraph::testing
