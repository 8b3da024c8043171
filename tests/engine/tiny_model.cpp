#include "tiny_model.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>

#include "partnergraph/engine/model_builder.hpp"
#include "partnergraph/engine/model_folder.hpp"
#include "partnergraph/graph/graph_builder.hpp"
#include "partnergraph/graph/graph_io.hpp"
#include "partnergraph/ingest/loader.hpp"
#include "test_paths.hpp"

namespace partnergraph::testing {

std::filesystem::path BuildTinyModel(const std::string& name, const GraphOptions& graph_options,
                                     const std::function<void(nlohmann::json&)>& edit_config) {
  auto dir = FreshTempDir(name + "_" + std::to_string(::getpid()));
  LoadReport report;
  auto dataset = LoadDataset(TinyDataset(), LoadOptions{}, &report);
  REQUIRE(dataset.ok());
  GraphBuilder builder(graph_options);
  REQUIRE(builder.Build(*dataset).ok());
  auto graph = builder.Freeze();
  REQUIRE(graph.ok());
  auto folder = ModelFolder::BeginNew(dir);
  REQUIRE(folder.ok());
  REQUIRE(SaveGraph(**graph, folder->staging() / kGraphFileName).ok());
  std::ifstream in(SourceDir() / "models" / "default.json");
  std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (edit_config) {
    auto doc = nlohmann::json::parse(json);
    edit_config(doc);
    json = doc.dump(2);
  }
  auto config = ParseModelConfig(json, "models/default.json");
  REQUIRE(config.ok());
  ModelBuildReport build_report;
  Status built = BuildModel(*graph, *config, json, folder->staging(), &build_report);
  INFO(built.ToString());
  REQUIRE(built.ok());
  // Every stage reports its time and memory (build --json prints them).
  REQUIRE_FALSE(build_report.stages.empty());
  for (const ModelBuildStage& stage : build_report.stages) {
    INFO(stage.name);
    CHECK(stage.seconds >= 0);
    CHECK(stage.rss_bytes > 0);
    CHECK(stage.peak_rss_bytes >= stage.rss_bytes);
  }
  REQUIRE(folder->Publish().ok());
  return dir;
}

std::filesystem::path CopyModel(const std::filesystem::path& model, const std::string& name) {
  auto dir = FreshTempDir(name + "_" + std::to_string(::getpid()));
  for (const auto& entry : std::filesystem::directory_iterator(model)) {
    std::filesystem::copy(entry.path(), dir / entry.path().filename());
  }
  return dir;
}

}  // namespace partnergraph::testing
