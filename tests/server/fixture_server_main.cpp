// partnergraph-fixture-server: the real server front end (server_cli.hpp) over FixtureEngine.
// PG_FIXTURE_ENGINE_DELAY_MS=N makes RecommendPartners wait N ms (shutdown tests).
#include <cstdlib>
#include <string>

#include "fixture_engine.hpp"
#include "server_cli.hpp"

int main(int argc, char** argv) {
  partnergraph::testing::FixtureEngineOptions options;
  if (const char* delay = std::getenv("PG_FIXTURE_ENGINE_DELAY_MS")) {
    options.delay_ms = std::atoi(delay);
  }
  return partnergraph::server::RunServerMain(
      argc, argv, [&](const std::filesystem::path& dir, const partnergraph::EngineOptions&) {
        return partnergraph::testing::OpenFixtureEngine(dir, options);
      });
}
