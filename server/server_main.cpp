// partnergraph-server: serves a model folder over Thrift. The command line is server_cli.hpp.
#include "partnergraph/engine/engine.hpp"
#include "server_cli.hpp"

int main(int argc, char** argv) {
  return partnergraph::server::RunServerMain(
      argc, argv, [](const std::filesystem::path& dir, const partnergraph::EngineOptions& options) {
        return partnergraph::Engine::Open(dir, options);
      });
}
