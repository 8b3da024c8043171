// PLACEHOLDER: replaced by the module that owns the `attribute` command.
#include "commands.hpp"

namespace partnergraph::cli {

void AddAttributeCommand(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("attribute", "(not built yet)");
  cmd->callback([&exit_code] { exit_code = kExitUsage; });
}

}  // namespace partnergraph::cli
