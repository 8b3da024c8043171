// Model folders built from datasets/tiny for the engine tests, the way `partnergraph build`
// writes them (graph.pgg, then BuildModel: the model files and manifest.json, in a ModelFolder's
// staging folder, then published).
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "partnergraph/graph/graph_options.hpp"

namespace partnergraph::testing {

// Builds a model folder named `name` (plus the process id: ctest runs cases as separate
// processes, possibly at once) from datasets/tiny with `graph_options` and models/default.json
// changed by `edit_config` (when given), and returns its path. REQUIREs every step.
std::filesystem::path BuildTinyModel(
    const std::string& name, const GraphOptions& graph_options = {},
    const std::function<void(nlohmann::json&)>& edit_config = nullptr);

// Copies every file of `model` into a fresh folder named `name` (plus the process id).
std::filesystem::path CopyModel(const std::filesystem::path& model, const std::string& name);

}  // namespace partnergraph::testing
