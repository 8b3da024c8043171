// partnergraph: the command-line front end. Each subcommand lives in its own
// *_command.cpp; this file only wires them together and maps errors to exit
// codes (0 ok, 1 usage, 2 bad input; 4 out of memory or an unexpected exception, said
// on stderr in one line: what escapes a command ends here, after its stack has unwound,
// so that its temporary files and staging folders are removed).
#include <cstdio>
#include <exception>
#include <new>

#include <CLI/CLI.hpp>

#include "commands.hpp"

namespace {

// Builds the command line and runs the chosen subcommand; returns its exit code. A parse
// error, --help and --version are answered here; any other exception goes to main.
int Run(int argc, char** argv) {
  CLI::App app{"partnergraph: partner-ecosystem graph and recommendation engine"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "partnergraph 0.1.0");
  int exit_code = partnergraph::cli::kExitOk;
  partnergraph::cli::AddGenerateCommand(app, exit_code);
  partnergraph::cli::AddImportCommand(app, exit_code);
  partnergraph::cli::AddValidateCommand(app, exit_code);
  partnergraph::cli::AddBuildCommand(app, exit_code);
  partnergraph::cli::AddPrecomputeCommand(app, exit_code);
  partnergraph::cli::AddVerifyCommand(app, exit_code);
  partnergraph::cli::AddStatsCommand(app, exit_code);
  partnergraph::cli::AddAttributeCommand(app, exit_code);
  partnergraph::cli::AddKeysCommand(app, exit_code);
  partnergraph::cli::AddQueryCommand(app, exit_code);
  partnergraph::cli::AddEventsCommand(app, exit_code);
  partnergraph::cli::AddRecommendCommands(app, exit_code);
  partnergraph::cli::AddEvaluateCommand(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    // --help and --version exit 0; every other parse error is a usage error.
    return code == 0 ? 0 : partnergraph::cli::kExitUsage;
  }
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  // The subcommand's name for a message that must not allocate.
  const char* command = argc > 1 && argv[1][0] != '-' ? argv[1] : "";
  const char* space = command[0] != '\0' ? " " : "";
  try {
    return Run(argc, argv);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "partnergraph%s%s: out of memory (an allocation failed); stopped\n",
                 space, command);
    return partnergraph::cli::kExitFailed;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "partnergraph%s%s: internal error: %s\n", space, command, e.what());
    return partnergraph::cli::kExitFailed;
  }
}
