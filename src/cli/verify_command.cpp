// `partnergraph verify MODEL_DIR [--json]`: checks a model folder against its manifest.json,
// as SQLite's `PRAGMA integrity_check` checks a database (model_manifest.hpp): every listed
// file is present, has its listed size and CRC-32 (every byte is read), each file derived
// from the graph records the model's graph, graph.pgg loads and is that graph, config.json
// has the manifest's config digest and the files computed with it record that digest.
// Engine::Open runs the cheap part of this on every start; this reads everything.
// Prints one line per problem, "FILE: what is wrong" ("ok" when there is none); --json prints
// {"model", "ok", "problems": [{"file", "code", "message"}]}. Exit 0 clean, 1 usage error
// (no such folder), 2 on any problem.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "commands.hpp"
#include "partnergraph/common/json_text.hpp"
#include "partnergraph/engine/model_manifest.hpp"
#include "partnergraph/graph/graph_io.hpp"

namespace partnergraph::cli {
namespace {

struct VerifyArgs {
  std::string model;
  bool json = false;
};

// Every problem of the folder, in the order: manifest, files, graph, config.
std::vector<ModelProblem> VerifyModel(const std::filesystem::path& dir) {
  Result<ModelManifest> manifest = ModelManifest::Read(dir);
  if (!manifest.ok()) return {{kManifestFileName, manifest.status()}};
  ModelCheckOptions full;
  full.full = true;
  std::vector<ModelProblem> problems = CheckModelFiles(dir, *manifest, full);
  bool graph_reported = false;
  for (const ModelProblem& p : problems) graph_reported |= p.file == kGraphFileName;
  if (!graph_reported) {
    // The graph's own fingerprint, computed from its content: what every derived file and
    // the manifest must agree with.
    auto graph = LoadGraph(dir / kGraphFileName);
    if (!graph.ok()) {
      problems.push_back({kGraphFileName, graph.status()});
    } else if (auto problem = CheckGraphFingerprint(*manifest, (*graph)->Fingerprint())) {
      problems.push_back(*problem);
    }
  }
  // A file already reported damaged is not reported again for the config digest its damaged
  // header cannot give (the container checks the header's checksum before any field is read).
  std::set<std::string> reported;
  for (const ModelProblem& p : problems) reported.insert(p.file);
  for (ModelProblem& p : CheckModelConfig(dir, *manifest)) {
    if (!reported.contains(p.file)) problems.push_back(std::move(p));
  }
  return problems;
}

// "FILE: what is wrong": the message with the folder's path taken off the file it names.
std::string ProblemLine(const std::filesystem::path& dir, const ModelProblem& p) {
  const std::string& message = p.status.message();
  const std::string full = (dir / p.file).string();
  if (message.rfind(full, 0) == 0) return p.file + message.substr(full.size());
  if (message.rfind(p.file, 0) == 0) return message;
  return p.file + ": " + message;
}

int RunVerify(const VerifyArgs& args) {
  const std::filesystem::path dir = args.model;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    std::fprintf(stderr, "partnergraph verify: %s: no such model folder\n", args.model.c_str());
    return kExitUsage;
  }
  const std::vector<ModelProblem> problems = VerifyModel(dir);
  if (args.json) {
    nlohmann::json out = {
        {"model", dir.string()}, {"ok", problems.empty()}, {"problems", nlohmann::json::array()}};
    for (const ModelProblem& p : problems) {
      out["problems"].push_back({{"file", p.file},
                                 {"code", std::string(Status::CodeName(p.status.code()))},
                                 {"message", p.status.message()}});
    }
    std::cout << JsonText(out, 2) << '\n';
  } else if (problems.empty()) {
    std::printf("ok\n");
  } else {
    for (const ModelProblem& p : problems) std::printf("%s\n", ProblemLine(dir, p).c_str());
  }
  return problems.empty() ? kExitOk : kExitBadInput;
}

}  // namespace

void AddVerifyCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<VerifyArgs>();
  auto* cmd = app.add_subcommand(
      "verify",
      "Check every file of MODEL_DIR against its manifest.json (presence, size, checksum), "
      "config.json against the config digest, and that each file derived from the graph "
      "matches it; one line per problem. Exit 0 clean, 1 usage, 2 on any problem");
  cmd->add_option("MODEL_DIR", args->model, "Model folder written by `partnergraph build`")
      ->required();
  cmd->add_flag("--json", args->json, "Print the problems as JSON on stdout");
  cmd->callback([args, &exit_code] { exit_code = RunVerify(*args); });
}

}  // namespace partnergraph::cli
