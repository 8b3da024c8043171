// PLACEHOLDER: replaced by the module that owns the `build` command.
#include "commands.hpp"

namespace partnergraph::cli {

void AddBuildCommand(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("build", "(not built yet)");
  cmd->callback([&exit_code] { exit_code = kExitUsage; });
}

}  // namespace partnergraph::cli
