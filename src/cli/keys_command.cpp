// `partnergraph keys add --file FILE --role ROLE [--name NAME]`: creates an API key for
// partnergraph-server (api_keys.hpp), appends its SHA-256, role and name to FILE and prints the
// key once on stdout. Exit 0; 1 for a malformed role or name; 2 when FILE cannot be written.
#include <cstdio>
#include <string>

#include "commands.hpp"
#include "partnergraph/engine/api_keys.hpp"

namespace partnergraph::cli {

void AddKeysCommand(CLI::App& app, int& exit_code) {
  auto* keys = app.add_subcommand("keys", "Manage the API keys of partnergraph-server");
  keys->require_subcommand(1);
  auto* add = keys->add_subcommand(
      "add", "Create a key, append its hash to the keys file, print the key once");
  struct Args {
    std::string file;
    std::string role;
    std::string name;
  };
  auto args = std::make_shared<Args>();
  add->add_option("--file", args->file, "Keys file (created with mode 0600 if missing)")
      ->required();
  add->add_option("--role", args->role, "operator or merchant:<merchant_id>")->required();
  add->add_option("--name", args->name, "A name for logs (default: the role)");
  add->callback([args, &exit_code] {
    std::string name = args->name.empty() ? args->role : args->name;
    Result<std::string> key = ApiKeys::AddKey(args->file, args->role, name);
    if (!key.ok()) {
      std::fprintf(stderr, "partnergraph keys add: %s\n", key.status().ToString().c_str());
      exit_code = key.status().IsInvalidArgument() ? kExitUsage : kExitBadInput;
      return;
    }
    std::printf("%s\n", key->c_str());
    std::fflush(stdout);
    std::fprintf(stderr,
                 "partnergraph keys add: key '%s' (%s) added to %s. It is shown only now: the "
                 "file keeps its SHA-256, not the key.\n",
                 name.c_str(), args->role.c_str(), args->file.c_str());
    exit_code = kExitOk;
  });
}

}  // namespace partnergraph::cli
