// The `partnergraph` command line as a user runs it: exit codes (0 ok, 1 usage,
// 2 bad input), --help on every command, --json output a program can read,
// errors that name the file and line, and generated data that depends only on
// the seed.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_paths.hpp"

namespace fs = std::filesystem;

namespace partnergraph {
namespace {

struct Run {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs `partnergraph ARGS` with stdin from /dev/null; stdout and stderr are
// captured through files in `scratch`.
Run Cli(const std::vector<std::string>& args, const fs::path& scratch) {
  std::string command = ShellQuote(PG_CLI_BINARY);
  for (const auto& a : args) command += " " + ShellQuote(a);
  const fs::path out = scratch / "stdout.txt", err = scratch / "stderr.txt";
  command += " </dev/null >" + ShellQuote(out.string()) + " 2>" + ShellQuote(err.string());
  const int status = std::system(command.c_str());
  Run run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.out = ReadFile(out);
  run.err = ReadFile(err);
  return run;
}

fs::path CopyTiny(const fs::path& dir) {
  fs::create_directories(dir);
  for (const auto& entry : fs::directory_iterator(testing::TinyDataset())) {
    if (entry.path().extension() == ".csv") fs::copy_file(entry.path(), dir / entry.path().filename());
  }
  return dir;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("cli: every command has --help and exits 0", "[cli]") {
  const fs::path scratch = testing::FreshTempDir("cli_help");
  Run top = Cli({"--help"}, scratch);
  CHECK(top.exit_code == 0);
  for (const char* command : {"generate", "import", "validate", "build", "precompute", "verify",
                              "stats",
                              "attribute", "keys", "query", "recommend-partners",
                              "coupon-pairs", "evaluate"}) {
    INFO(command);
    CHECK(Contains(top.out, command));
    Run help = Cli({command, "--help"}, scratch);
    CHECK(help.exit_code == 0);
    CHECK(Contains(help.out, "Usage:"));
  }
}

TEST_CASE("cli: usage errors exit 1 and say what is wrong", "[cli]") {
  const fs::path scratch = testing::FreshTempDir("cli_usage");
  Run none = Cli({}, scratch);
  CHECK(none.exit_code == 1);
  CHECK(Contains(none.err, "A subcommand is required"));
  Run unknown = Cli({"frobnicate"}, scratch);
  CHECK(unknown.exit_code == 1);
  Run missing = Cli({"build"}, scratch);
  CHECK(missing.exit_code == 1);
  CHECK(Contains(missing.err, "--data is required"));
  Run no_folder = Cli({"build", "--data", (scratch / "nope").string(), "--out",
                       (scratch / "m").string()},
                      scratch);
  CHECK(no_folder.exit_code == 1);
  CHECK(Contains(no_folder.err, "no such folder"));
  CHECK_FALSE(fs::exists(scratch / "m" / "graph.pgg"));
  Run bad_number = Cli({"generate", "--merchants", "zero", "--out", (scratch / "g").string()},
                       scratch);
  CHECK(bad_number.exit_code == 1);
  CHECK(Contains(bad_number.err, "--merchants"));
}

TEST_CASE("cli: validate reports the tiny fixture as JSON", "[cli]") {
  const fs::path scratch = testing::FreshTempDir("cli_validate");
  Run run = Cli({"validate", testing::TinyDataset().string(), "--json"}, scratch);
  REQUIRE(run.exit_code == 0);
  const auto report = nlohmann::json::parse(run.out);
  CHECK(report["counts"]["merchants"] == 6);
  CHECK(report["counts"]["order_lines"] == 30);
  CHECK(report["counts"]["touchpoints"] == 6);
  CHECK(report["errors"].empty());
}

TEST_CASE("cli: bad input exits 2 and names file, line and column", "[cli]") {
  const fs::path scratch = testing::FreshTempDir("cli_bad_input");
  const fs::path data = CopyTiny(scratch / "data");
  // Line 3 of orders.csv gets a negative price (column 7 of the fixture's header).
  std::istringstream in(ReadFile(data / "orders.csv"));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  REQUIRE(lines.size() > 3);
  REQUIRE(lines[0].rfind("order_id,customer_id,merchant_id,sku_id,ts,quantity,price", 0) == 0);
  std::vector<std::string> fields;
  std::istringstream row(lines[2]);
  for (std::string f; std::getline(row, f, ',');) fields.push_back(f);
  fields[6] = "-1";
  lines[2].clear();
  for (std::size_t i = 0; i < fields.size(); ++i) lines[2] += (i ? "," : "") + fields[i];
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  WriteFile(data / "orders.csv", text);

  Run validate = Cli({"validate", data.string()}, scratch);
  CHECK(validate.exit_code == 2);
  CHECK(Contains(validate.out + validate.err, "orders.csv:3: column price:"));
  Run build = Cli({"build", "--data", data.string(), "--out", (scratch / "model").string(),
                   "--graph-only"},
                  scratch);
  CHECK(build.exit_code == 2);
  CHECK(Contains(build.err, "orders.csv:3: column price:"));
  CHECK_FALSE(fs::exists(scratch / "model" / "graph.pgg"));

  // With --skip-bad-rows the rest loads and the rejected row goes to a report.
  Run skipped = Cli({"build", "--data", data.string(), "--out", (scratch / "model").string(),
                     "--graph-only", "--skip-bad-rows"},
                    scratch);
  CHECK(skipped.exit_code == 0);
  CHECK(fs::exists(scratch / "model" / "graph.pgg"));
  CHECK(Contains(ReadFile(data / "rejected_rows.csv"), "orders.csv,3,price,"));
}

TEST_CASE("cli: build then stats, and a damaged graph is refused with exit 2", "[cli]") {
  const fs::path scratch = testing::FreshTempDir("cli_build_stats");
  const fs::path model = scratch / "model";
  Run build = Cli({"build", "--data", testing::TinyDataset().string(), "--out", model.string(),
                   "--graph-only", "--json"},
                  scratch);
  REQUIRE(build.exit_code == 0);
  const auto manifest = nlohmann::json::parse(build.out);
  CHECK(manifest["nodes"]["merchant"] == 6);
  for (const auto& stage : manifest["stages"]) {
    CHECK(stage["seconds"].get<double>() >= 0);
    CHECK(stage["rss_bytes"].get<std::uint64_t>() > 0);
    CHECK(stage["peak_rss_bytes"].get<std::uint64_t>() >= stage["rss_bytes"].get<std::uint64_t>());
  }
  Run stats = Cli({"stats", model.string(), "--json"}, scratch);
  REQUIRE(stats.exit_code == 0);
  const auto s = nlohmann::json::parse(stats.out);
  CHECK(s["edges"]["sells"] == 9);
  CHECK(s["edges"]["bought"] == 30);

  const std::string bytes = ReadFile(model / "graph.pgg");
  WriteFile(model / "graph.pgg", bytes.substr(0, bytes.size() / 2));
  Run truncated = Cli({"stats", model.string()}, scratch);
  CHECK(truncated.exit_code == 2);
  CHECK(Contains(truncated.err, "graph.pgg"));
  Run missing = Cli({"stats", (scratch / "nope").string()}, scratch);
  CHECK(missing.exit_code != 0);
}

TEST_CASE("cli: generate writes the same bytes for the same seed", "[cli]") {
  const fs::path scratch = testing::FreshTempDir("cli_generate");
  auto generate = [&](const std::string& name, const std::string& seed) {
    Run run = Cli({"generate", "--merchants", "60", "--seed", seed, "--out",
                   (scratch / name).string(), "--json"},
                  scratch);
    REQUIRE(run.exit_code == 0);
    return ReadFile(scratch / name / "orders.csv");
  };
  const std::string a = generate("a", "5"), b = generate("b", "5"), c = generate("c", "6");
  CHECK(!a.empty());
  CHECK(a == b);
  CHECK(a != c);
  // The generated folder is valid input.
  Run validate = Cli({"validate", (scratch / "a").string()}, scratch);
  CHECK(validate.exit_code == 0);
}

}  // namespace
TEST_CASE("cli: precompute rewrites the precomputed files of an existing model", "[cli]") {
  const fs::path scratch = testing::FreshTempDir("cli_precompute");
  const fs::path model = scratch / "model";
  // default.json with every tiny SKU kept by item2vec (min_count 1): they all get a vector,
  // hence a stored list.
  auto tiny_config = nlohmann::json::parse(ReadFile(testing::SourceDir() / "models" / "default.json"));
  tiny_config["embed"]["sku_item2vec"]["sequences"]["min_count"] = 1;
  WriteFile(scratch / "tiny.json", tiny_config.dump(2));
  Run build = Cli({"build", "--data", testing::TinyDataset().string(), "--out", model.string(),
                   "--config", (scratch / "tiny.json").string(), "--json"},
                  scratch);
  INFO(build.err);
  REQUIRE(build.exit_code == 0);
  CHECK(nlohmann::json::parse(build.out)["model"]["sku_neighbors"].get<int>() > 0);
  CHECK(nlohmann::json::parse(build.out)["model"]["merchant_neighbors"].get<int>() == 6);
  const std::string merchant_lists = ReadFile(model / "merchant_neighbors.bin");
  auto coupons = [&] {
    return Cli({"coupon-pairs", "--model", model.string(), "--merchant", "m_bakery", "--json"},
               scratch);
  };
  const Run before = coupons();
  REQUIRE(before.exit_code == 0);

  // The precomputed files lost: the model is refused, naming the first missing, until precompute
  // writes them again.
  const std::string neighbors = ReadFile(model / "sku_neighbors.bin");
  fs::remove(model / "sku_neighbors.bin");
  fs::remove(model / "precomputed.bin");
  Run old = coupons();
  CHECK(old.exit_code == 2);
  CHECK(Contains(old.err, "precomputed.bin: missing"));

  Run run = Cli({"precompute", "--model", model.string(), "--json"}, scratch);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const auto record = nlohmann::json::parse(run.out);
  CHECK(record["sku_neighbors"].get<int>() > 0);
  CHECK(record["merchant_neighbors"].get<int>() == 6);
  CHECK(record["precomputed"] == true);
  CHECK(ReadFile(model / "sku_neighbors.bin") == neighbors);  // same index, same lists
  CHECK(ReadFile(model / "merchant_neighbors.bin") == merchant_lists);
  CHECK(fs::exists(model / "precomputed.bin"));
  CHECK_FALSE(fs::exists(model / "sku_neighbors.bin.tmp"));
  const auto manifest = nlohmann::json::parse(ReadFile(model / "manifest.json"));
  CHECK(manifest["model"]["sku_neighbors"] == record["sku_neighbors"]);
  CHECK(manifest["precompute"]["date"].is_string());
  CHECK(manifest["nodes"]["merchant"] == 6);  // the rest of the manifest is kept
  CHECK(coupons().out == before.out);

  // The recommend options change: the engine refuses the stale lists, naming the file and
  // the option, until precompute rewrites them.
  auto config = nlohmann::json::parse(ReadFile(model / "config.json"));
  config["recommend"]["coupon_candidates"] = 5;
  WriteFile(model / "config.json", config.dump(2));
  Run stale = coupons();
  CHECK(stale.exit_code == 2);
  CHECK(Contains(stale.err, "sku_neighbors.bin"));
  CHECK(Contains(stale.err, "coupon_candidates 5"));
  CHECK(Contains(stale.err, "partnergraph precompute"));
  Run again = Cli({"precompute", "--model", model.string()}, scratch);
  CHECK(again.exit_code == 0);
  CHECK(Contains(again.out, "sku_neighbors.bin"));
  CHECK(coupons().exit_code == 0);

  // The same for the merchant lists: another partner_candidates makes them stale.
  config["recommend"]["partner_candidates"] = 50;
  WriteFile(model / "config.json", config.dump(2));
  auto partners = [&] {
    return Cli({"recommend-partners", "--model", model.string(), "--merchant", "m_bakery"},
               scratch);
  };
  Run stale_partners = partners();
  CHECK(stale_partners.exit_code == 2);
  CHECK(Contains(stale_partners.err, "merchant_neighbors.bin"));
  CHECK(Contains(stale_partners.err, "partner_candidates 50"));
  CHECK(Cli({"precompute", "--model", model.string()}, scratch).exit_code == 0);
  CHECK(partners().exit_code == 0);

  Run missing = Cli({"precompute", "--model", (scratch / "nope").string()}, scratch);
  CHECK(missing.exit_code == 1);
  CHECK(Contains(missing.err, "nope"));
  fs::create_directories(scratch / "empty");
  Run empty = Cli({"precompute", "--model", (scratch / "empty").string()}, scratch);
  CHECK(empty.exit_code == 2);
  CHECK(Contains(empty.err, "graph.pgg"));
}


TEST_CASE("cli: verify names each damaged file of a model, one line per problem", "[cli]") {
  // Issue 19 item 3: `partnergraph verify MODEL_DIR`, SQLite's `PRAGMA integrity_check` for a
  // model folder.
  const fs::path scratch = testing::FreshTempDir("cli_verify");
  const fs::path model = scratch / "model";
  Run build = Cli({"build", "--data", testing::TinyDataset().string(), "--out", model.string()},
                  scratch);
  INFO(build.err);
  REQUIRE(build.exit_code == 0);
  Run clean = Cli({"verify", model.string()}, scratch);
  INFO(clean.out << clean.err);
  CHECK(clean.exit_code == 0);
  CHECK(clean.out == "ok\n");
  Run clean_json = Cli({"verify", model.string(), "--json"}, scratch);
  CHECK(clean_json.exit_code == 0);
  const auto clean_report = nlohmann::json::parse(clean_json.out);
  CHECK(clean_report["ok"] == true);
  CHECK(clean_report["problems"].empty());

  // A flipped byte in any file of the model, manifest.json and config.json included.
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(model)) {
    names.push_back(entry.path().filename().string());
  }
  REQUIRE(names.size() >= 12);
  const fs::path copy = scratch / "flipped";
  for (const std::string& name : names) {
    INFO(name);
    fs::remove_all(copy);
    fs::copy(model, copy);
    std::string bytes = ReadFile(copy / name);
    bytes[bytes.size() / 2] ^= 0x01;
    WriteFile(copy / name, bytes);
    Run json = Cli({"verify", copy.string(), "--json"}, scratch);
    INFO(json.out << json.err);
    CHECK(json.exit_code == 2);
    const auto report = nlohmann::json::parse(json.out);
    CHECK(report["ok"] == false);
    REQUIRE(report["problems"].size() == 1);
    CHECK(report["problems"][0]["file"] == name);
    CHECK(Contains(report["problems"][0]["message"].get<std::string>(), name));
    Run text = Cli({"verify", copy.string()}, scratch);
    CHECK(text.exit_code == 2);
    CHECK(text.out.rfind(name + ": ", 0) == 0);
    CHECK(std::count(text.out.begin(), text.out.end(), '\n') == 1);
  }

  // A weight edited in config.json: verify names it, the engine refuses the model (precomputed
  // and live answers would disagree), precompute recomputes the answers with it.
  auto config = nlohmann::json::parse(ReadFile(model / "config.json"));
  config["recommend"]["partner_weights"]["audience_similarity"] = 3.0;
  WriteFile(model / "config.json", config.dump(2));
  Run edited = Cli({"verify", model.string()}, scratch);
  CHECK(edited.exit_code == 2);
  CHECK(edited.out.rfind("config.json: ", 0) == 0);
  auto partners = [&] {
    return Cli({"recommend-partners", "--model", model.string(), "--merchant", "m_bakery"},
               scratch);
  };
  Run refused = partners();
  CHECK(refused.exit_code == 2);
  CHECK(Contains(refused.err, "config.json"));
  CHECK(Contains(refused.err, "partnergraph precompute"));
  REQUIRE(Cli({"precompute", "--model", model.string()}, scratch).exit_code == 0);
  CHECK(Cli({"verify", model.string()}, scratch).exit_code == 0);
  CHECK(partners().exit_code == 0);

  // A model of the previous manifest format.
  auto manifest = nlohmann::json::parse(ReadFile(model / "manifest.json"));
  for (const char* key : {"manifest_format", "config_digest", "files", "manifest_crc32"}) {
    manifest.erase(key);
  }
  WriteFile(model / "manifest.json", manifest.dump(2));
  Run old = Cli({"verify", model.string()}, scratch);
  CHECK(old.exit_code == 2);
  CHECK(old.out.rfind("manifest.json: ", 0) == 0);
  CHECK(Contains(old.out, "manifest format 1"));
  CHECK(Contains(old.out, "rebuild the model"));
  CHECK(Contains(partners().err, "manifest format 1"));

  Run missing = Cli({"verify", (scratch / "nope").string()}, scratch);
  CHECK(missing.exit_code == 1);
  CHECK(Contains(missing.err, "nope"));
}

TEST_CASE("cli: a byte that is not UTF-8 is a row error, and every --json stays valid",
          "[cli]") {
  // Issue 19 item 1: the loader took "s\xff" and `validate --json` then aborted (exit 134) on
  // nlohmann's type_error.316.
  const fs::path scratch = testing::FreshTempDir("cli_utf8");
  const fs::path data = CopyTiny(scratch / "data");
  WriteFile(data / "skus.csv", ReadFile(data / "skus.csv") + "s\xff,m_bakery,bread,1\n");
  Run validate = Cli({"validate", data.string(), "--json"}, scratch);
  CHECK(validate.exit_code == 2);
  INFO(validate.out << validate.err);
  CHECK(Contains(validate.out + validate.err, "column sku_id: invalid UTF-8 at byte 1"));
  auto report = nlohmann::json::parse(validate.out, nullptr, false);
  CHECK_FALSE(report.is_discarded());
  // With --skip-bad-rows the rest builds, and the JSON of every later command parses.
  Run build = Cli({"build", "--data", data.string(), "--out", (scratch / "model").string(),
                   "--skip-bad-rows", "--json"},
                  scratch);
  CHECK(build.exit_code == 0);
  CHECK_FALSE(nlohmann::json::parse(build.out, nullptr, false).is_discarded());
  Run partners = Cli({"recommend-partners", "--model", (scratch / "model").string(),
                      "--merchant", "m_bakery", "--json"},
                     scratch);
  CHECK(partners.exit_code == 0);
  CHECK_FALSE(nlohmann::json::parse(partners.out, nullptr, false).is_discarded());
  // A dataset path holding such a byte is written into manifest.json as U+FFFD, not a crash.
  const fs::path odd = scratch / "d\xff";
  fs::rename(data, odd);
  Run odd_build = Cli({"build", "--data", odd.string(), "--out", (scratch / "model2").string(),
                       "--skip-bad-rows"},
                      scratch);
  CHECK(odd_build.exit_code == 0);
  CHECK_FALSE(
      nlohmann::json::parse(ReadFile(scratch / "model2" / "manifest.json"), nullptr, false)
          .is_discarded());
}

TEST_CASE("cli: a reject report that cannot be written is said, in text and JSON", "[cli]") {
  // Issue 19 item 5: with --report naming a folder, validate exited 2 and said nothing of it.
  const fs::path scratch = testing::FreshTempDir("cli_report_folder");
  const fs::path data = CopyTiny(scratch / "data");
  WriteFile(data / "skus.csv", ReadFile(data / "skus.csv") + "s_bad,m_nope,bread,1\n");
  const fs::path folder = scratch / "a_folder";
  fs::create_directories(folder);
  Run text = Cli({"validate", data.string(), "--report", folder.string()}, scratch);
  CHECK(text.exit_code == 2);
  INFO(text.out << text.err);
  CHECK(Contains(text.err, "cannot write the reject report"));
  CHECK(Contains(text.err, folder.string()));
  Run json = Cli({"validate", data.string(), "--report", folder.string(), "--json"}, scratch);
  CHECK(json.exit_code == 2);
  const auto doc = nlohmann::json::parse(json.out, nullptr, false);
  REQUIRE_FALSE(doc.is_discarded());
  REQUIRE(doc["reject_report_error"].is_string());
  CHECK(Contains(doc["reject_report_error"].get<std::string>(), folder.string()));
  CHECK(Contains(json.err, "cannot write the reject report"));
}

}  // namespace partnergraph
