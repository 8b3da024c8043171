// PLACEHOLDER: replaced by the module that owns the `stats` command.
#include "commands.hpp"

namespace partnergraph::cli {

void AddStatsCommand(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("stats", "(not built yet)");
  cmd->callback([&exit_code] { exit_code = kExitUsage; });
}

}  // namespace partnergraph::cli
