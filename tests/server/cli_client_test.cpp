// The CLI's client side: `partnergraph keys add` and `partnergraph query` against the server of
// the integration tests (server_harness.hpp), run as processes.
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "server_harness.hpp"
#include "test_paths.hpp"

using namespace partnergraph;
using namespace partnergraph::testing;

namespace {

ProcessResult Query(int port, std::vector<std::string> args, const std::string& key = "") {
  std::vector<std::string> full = {"query", "--port", std::to_string(port)};
  if (!key.empty()) full.insert(full.end(), {"--key", key});
  full.insert(full.end(), args.begin(), args.end());
  return RunProcess(CliBinary(), full);
}

nlohmann::json ParseJson(const ProcessResult& r) {
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  return nlohmann::json::parse(r.out);
}

}  // namespace

TEST_CASE("keys add prints the key once and stores only its hash", "[server]") {
  auto dir = FreshTempDir("cli_keys_add");
  auto file = dir / "keys.tsv";
  auto r = RunProcess(CliBinary(), {"keys", "add", "--file", file.string(), "--role",
                                    "merchant:m_bakery", "--name", "bakery app"});
  REQUIRE(r.exit_code == 0);
  std::string key = r.out.substr(0, r.out.find('\n'));
  CHECK(key.rfind("pg_", 0) == 0);
  CHECK(r.out == key + "\n");  // the key and nothing else on stdout
  CHECK(r.err.find("shown only now") != std::string::npos);

  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() == Sha256Hex(key) + "\tmerchant:m_bakery\tbakery app\n");
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  auto keys = ApiKeys::Load(file);
  REQUIRE(keys.ok());
  auto who = keys->Authenticate(key);
  REQUIRE(who.ok());
  CHECK(who->merchant_id == "m_bakery");

  SECTION("a malformed role is a usage error") {
    auto bad = RunProcess(CliBinary(), {"keys", "add", "--file", file.string(), "--role", "admin"});
    CHECK(bad.exit_code == 1);
    CHECK(bad.err.find("\"admin\"") != std::string::npos);
    CHECK(bad.out.empty());
  }
  SECTION("an unwritable file is bad input") {
    auto bad = RunProcess(CliBinary(), {"keys", "add", "--file", "/nonexistent/dir/keys.tsv",
                                        "--role", "operator"});
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("/nonexistent/dir/keys.tsv") != std::string::npos);
  }
  SECTION("missing flags") {
    CHECK(RunProcess(CliBinary(), {"keys", "add", "--role", "operator"}).exit_code == 1);
    CHECK(RunProcess(CliBinary(), {"keys"}).exit_code == 1);
  }
}

TEST_CASE("query covers every call, as text and as JSON", "[server]") {
  auto server = ServerProcess::Start();
  int port = server->port();

  auto health = Query(port, {"health"});
  CHECK(health.exit_code == 0);
  CHECK(health.out.rfind("ok: partnergraph ", 0) == 0);
  CHECK(health.out.find("you are operator") != std::string::npos);
  CHECK(ParseJson(Query(port, {"--json", "health"}))["status"] == "ok");
  // Options of `query` may also follow the call's name.
  CHECK(ParseJson(Query(port, {"health", "--json"}))["caller_role"] == "operator");

  auto stats = ParseJson(Query(port, {"--json", "stats"}));
  CHECK(stats["merchants"] == 6);
  CHECK(Query(port, {"stats"}).out.find("merchants") != std::string::npos);

  auto merchant = ParseJson(Query(port, {"--json", "get-merchant", "m_bakery"}));
  CHECK(merchant["name"] == "Sunrise Bakery");
  CHECK(Query(port, {"get-merchant", "--merchant", "m_bakery"}).out.find("Sunrise Bakery") !=
        std::string::npos);

  auto all = ParseJson(Query(port, {"--json", "list-merchants", "--page-size", "4", "--all"}));
  CHECK(all["merchants"].size() == 6);
  CHECK(all["total"] == 6);
  CHECK(all["next_page_token"].is_null());
  auto page = ParseJson(Query(port, {"--json", "list-merchants", "--page-size", "4"}));
  CHECK(page["merchants"].size() == 4);
  CHECK(page["next_page_token"].is_string());
  CHECK(Query(port, {"list-merchants", "--category", "bakery"}).out.find("2 merchants in all") !=
        std::string::npos);

  auto partners = ParseJson(Query(port, {"--json", "recommend-partners", "--merchant", "m_bakery",
                                         "-k", "5"}));
  REQUIRE(partners["partners"].is_array());
  REQUIRE_FALSE(partners["partners"].empty());
  for (const auto& p : partners["partners"]) {
    CHECK(p["merchant_id"] != "m_bakery2");
    CHECK(p["components"].contains("audience_similarity"));
  }
  auto text = Query(port, {"recommend-partners", "--merchant", "m_bakery", "-k", "5"});
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("partners for m_bakery") != std::string::npos);
  auto filtered = ParseJson(Query(port, {"--json", "recommend-partners", "--merchant", "m_bakery",
                                         "--exclude-category", "florist", "--candidates", "50"}));
  CHECK(filtered["precomputed"] == false);
  for (const auto& p : filtered["partners"]) CHECK(p["category"] != "florist");

  auto by_merchant = ParseJson(Query(port, {"--json", "coupon-pairs", "--merchant", "m_bakery"}));
  CHECK(by_merchant["pairs"].is_array());
  auto by_sku = ParseJson(Query(port, {"--json", "coupon-pairs", "--sku", "s_bread", "-k", "2",
                                       "--max-price", "100"}));
  CHECK(by_sku["pairs"].size() <= 2);
  CHECK(Query(port, {"coupon-pairs", "--sku", "s_bread"}).out.find("coupon pairs for SKU s_bread") !=
        std::string::npos);

  auto explain = ParseJson(Query(port, {"--json", "explain-pair", "--merchant", "m_bakery",
                                        "--other", "m_bakery2"}));
  CHECK_FALSE(explain["excluded_because"].empty());
  CHECK(Query(port, {"explain-pair", "--merchant", "m_bakery", "--other", "m_bakery2"})
            .out.find("not recommended: ") != std::string::npos);

  auto overlap = ParseJson(Query(port, {"--json", "overlap-report", "--merchant", "m_bakery",
                                        "--other", "m_florist"}));
  CHECK(overlap["k_min"] == 3);
  CHECK(Query(port, {"overlap-report", "--merchant", "m_bakery", "--other", "m_florist"})
            .out.find("suppressed") != std::string::npos);
  CHECK(server->Stop(SIGTERM) == 0);
}

TEST_CASE("query exit codes: 2 for the server's errors, 3 when unreachable, 1 for usage",
          "[server]") {
  TestKeys keys = MakeTestKeys("cli_query", {"m_bakery"});
  ServerStart start;
  start.args = {"--keys", keys.file.string()};
  auto server = ServerProcess::Start(start);
  int port = server->port();

  auto not_found = Query(port, {"get-merchant", "m_nope"}, keys.operator_key);
  CHECK(not_found.exit_code == 2);
  CHECK(not_found.err.find("NotFound: ") != std::string::npos);
  CHECK(not_found.err.find("m_nope") != std::string::npos);

  auto denied = Query(port, {"get-merchant", "m_florist"}, keys.MerchantKey("m_bakery"));
  CHECK(denied.exit_code == 2);
  CHECK(denied.err.find("PermissionDenied: ") != std::string::npos);

  auto no_key = Query(port, {"health"});
  CHECK(no_key.exit_code == 2);
  CHECK(no_key.err.find("missing API key") != std::string::npos);

  auto invalid = Query(port, {"recommend-partners", "--merchant", "m_bakery", "-k", "0"},
                       keys.operator_key);
  CHECK(invalid.exit_code == 2);
  CHECK(invalid.err.find("InvalidArgument: ") != std::string::npos);

  auto from_env = RunProcess(CliBinary(), {"query", "--port", std::to_string(port), "health"},
                             std::chrono::seconds(30),
                             {{"PARTNERGRAPH_API_KEY", keys.MerchantKey("m_bakery")}});
  CHECK(from_env.exit_code == 0);
  CHECK(from_env.out.find("you are merchant:m_bakery") != std::string::npos);

  CHECK(Query(port, {}).exit_code == 1);
  CHECK(Query(port, {"no-such-call"}).exit_code == 1);
  CHECK(Query(port, {"coupon-pairs"}).exit_code == 1);
  CHECK(Query(port, {"coupon-pairs", "--sku", "s_bread", "--merchant", "m_bakery"}).exit_code == 1);
  CHECK(Query(port, {"recommend-partners"}).exit_code == 1);
  CHECK(Query(port, {"--protocol", "json", "health"}).exit_code == 1);

  CHECK(server->Stop(SIGTERM) == 0);
  auto unreachable = Query(port, {"health"});
  CHECK(unreachable.exit_code == 3);
  CHECK(unreachable.err.find("cannot connect to 127.0.0.1:" + std::to_string(port)) !=
        std::string::npos);
}

TEST_CASE("query --json with a merchant key: the merchant view, one answer for hidden merchants",
          "[server][privacy]") {
  if (!UsesRealEngine()) {
    WARN("SKIPPED: the integration tests serve the fixture engine (PG_SERVER_TESTS_ENGINE)");
    return;
  }
  TestKeys keys = MakeTestKeys("cli_query_privacy", {"m_bakery"});
  ServerStart start;
  start.args = {"--keys", keys.file.string()};
  auto server = ServerProcess::Start(start);
  const int port = server->port();
  const std::string bakery = keys.MerchantKey("m_bakery");
  auto masked = [](std::string text, const std::string& id) {
    for (auto at = text.find(id); at != std::string::npos; at = text.find(id)) {
      text.replace(at, id.size(), "<id>");
    }
    return text;
  };
  // m_cheese opted out of discovery, m_wine does not share overlaps, m_nope does not exist.
  auto unknown = Query(port, {"--json", "explain-pair", "--merchant", "m_bakery", "--other",
                              "m_nope"}, bakery);
  REQUIRE(unknown.exit_code == 2);
  CHECK(unknown.err.find("NotFound") != std::string::npos);
  for (const char* other : {"m_cheese"}) {
    auto r = Query(port, {"--json", "explain-pair", "--merchant", "m_bakery", "--other", other},
                   bakery);
    CHECK(r.exit_code == 2);
    CHECK(masked(r.err, other) == masked(unknown.err, "m_nope"));
  }
  for (const char* other : {"m_nope", "m_cheese", "m_wine"}) {
    auto r = Query(port, {"--json", "overlap-report", "--merchant", "m_bakery", "--other",
                          other}, bakery);
    CHECK(r.exit_code == 2);
    CHECK(masked(r.err, other) == masked(unknown.err, "m_nope"));
  }
  // The merchant's JSON carries the merchant view's components: one long-tail factor, no reach
  // from a suppressed overlap; the operator's carries the exact ones.
  auto mine = ParseJson(Query(port, {"--json", "recommend-partners", "--merchant", "m_bakery",
                                     "-k", "10", "--long-tail-boost", "1"}, bakery));
  REQUIRE(mine["partners"].is_array());
  REQUIRE_FALSE(mine["partners"].empty());
  for (const auto& p : mine["partners"]) {
    INFO(p.dump());
    const double boost = p["components"]["long_tail_boost"].get<double>();
    CHECK((boost == 0.0 || boost == 0.5));
    if (p["shared_customers"].is_null()) CHECK(p["components"]["shared_reach"] == 0.0);
  }
  CHECK(server->Stop(SIGTERM) == 0);
}
