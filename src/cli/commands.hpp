// The subcommands of the `partnergraph` CLI. Each Add*Command registers one
// subcommand on `app`; when it runs, its callback stores the process exit code
// in `exit_code`: 0 ok, 1 usage error, 2 bad input (ExitCode below). main() exits
// kExitFailed when an exception escapes a command (out of memory).
#pragma once

#include <CLI/CLI.hpp>

namespace partnergraph::cli {

enum ExitCode : int { kExitOk = 0, kExitUsage = 1, kExitBadInput = 2, kExitFailed = 4 };

void AddGenerateCommand(CLI::App& app, int& exit_code);   // generate_command.cpp
void AddImportCommand(CLI::App& app, int& exit_code);     // import_command.cpp
void AddValidateCommand(CLI::App& app, int& exit_code);   // validate_command.cpp
void AddBuildCommand(CLI::App& app, int& exit_code);      // build_command.cpp
// precompute also exits 3 when a file cannot be written.
void AddPrecomputeCommand(CLI::App& app, int& exit_code); // precompute_command.cpp
// verify exits 2 when the model has any problem.
void AddVerifyCommand(CLI::App& app, int& exit_code);     // verify_command.cpp
void AddStatsCommand(CLI::App& app, int& exit_code);      // stats_command.cpp
void AddAttributeCommand(CLI::App& app, int& exit_code);  // attribute_command.cpp
void AddKeysCommand(CLI::App& app, int& exit_code);       // keys_command.cpp
// `query` also exits 3 when the server cannot be reached (2: the server answered an error).
void AddQueryCommand(CLI::App& app, int& exit_code);      // query_command.cpp
// `events append` and `events tail`: exit codes as `query` (3 unreachable, 2 bad input or a
// refused batch).
void AddEventsCommand(CLI::App& app, int& exit_code);  // events_command.cpp
// recommend-partners and coupon-pairs
void AddRecommendCommands(CLI::App& app, int& exit_code);  // recommend_command.cpp
void AddEvaluateCommand(CLI::App& app, int& exit_code);    // evaluate_command.cpp

}  // namespace partnergraph::cli
