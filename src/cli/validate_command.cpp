// PLACEHOLDER: replaced by the module that owns the `validate` command.
#include "commands.hpp"

namespace partnergraph::cli {

void AddValidateCommand(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("validate", "(not built yet)");
  cmd->callback([&exit_code] { exit_code = kExitUsage; });
}

}  // namespace partnergraph::cli
