// PLACEHOLDER: replaced by the module that owns the `generate` command.
#include "commands.hpp"

namespace partnergraph::cli {

void AddGenerateCommand(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("generate", "(not built yet)");
  cmd->callback([&exit_code] { exit_code = kExitUsage; });
}

}  // namespace partnergraph::cli
