// PLACEHOLDER: replaced by the module that owns the `import` command.
#include "commands.hpp"

namespace partnergraph::cli {

void AddImportCommand(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("import", "(not built yet)");
  cmd->callback([&exit_code] { exit_code = kExitUsage; });
}

}  // namespace partnergraph::cli
