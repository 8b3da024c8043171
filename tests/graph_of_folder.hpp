// The ecosystem graph of a dataset folder, for the tests of every module that need one built
// from files (datasets/tiny, a generated ecosystem, a folder a test wrote).
#pragma once

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>

#include "partnergraph/graph/graph_builder.hpp"
#include "partnergraph/ingest/loader.hpp"

namespace partnergraph::testing {

// LoadDataset of `dir`, then GraphBuilder with `options`; REQUIREs every step (the loader's
// message shown on failure).
inline std::shared_ptr<const EcosystemGraph> GraphOfFolder(const std::filesystem::path& dir,
                                                           const GraphOptions& options = {}) {
  LoadReport report;
  auto dataset = LoadDataset(dir, LoadOptions{}, &report);
  INFO(dataset.status().ToString());
  REQUIRE(dataset.ok());
  GraphBuilder builder(options);
  REQUIRE(builder.Build(*dataset).ok());
  auto frozen = builder.Freeze();
  REQUIRE(frozen.ok());
  return std::shared_ptr<const EcosystemGraph>(std::move(*frozen));
}

}  // namespace partnergraph::testing
