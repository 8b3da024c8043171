// Integration tests of the operator's attribution jobs (SubmitAttributionJob, JobStatus,
// JobResult): the server binary on a free loopback port, real journey files in a temp folder,
// results compared with RunAttribution run in this process on the same input.
#include <signal.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "partnergraph/attribution/attribution.hpp"
#include "partnergraph/attribution/native_journeys.hpp"
#include "partnergraph/attribution/path_file_reader.hpp"
#include "partnergraph/ingest/loader.hpp"
#include "server_harness.hpp"
#include "test_paths.hpp"

using namespace partnergraph;
using namespace partnergraph::testing;

namespace {

// A small path file: repeated paths, nulls, a one-channel path, a long path.
const char* kPaths =
    "path;total_conversions;total_conversion_value;total_null\n"
    "email > search;2;30.5;1\n"
    "social;0;0;4\n"
    "search;1;12;2\n"
    "email > social > search > display;1;80;0\n"
    "display > email;0;0;3\n"
    "email > search;1;10;0\n"
    "social > display > display;1;7.25;5\n";

std::filesystem::path WritePaths(const std::string& dir_name, const std::string& text) {
  auto dir = FreshTempDir(dir_name);
  auto file = dir / "journeys.csv";
  std::ofstream(file, std::ios::binary) << text;
  return file;
}

// Polls JobStatus until the job has finished (REQUIREs that it does within 60 s).
client::AttributionJobStatusInfo WaitForJob(client::RpcClient& c, const std::string& id) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    auto s = c.JobStatus(id);
    REQUIRE(s.ok());
    CHECK(s->job_id == id);
    CHECK(s->progress >= 0.0);
    CHECK(s->progress <= 1.0);
    if (s->state == "succeeded" || s->state == "failed") return *s;
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Every SKU credit of a job, following the pages.
std::vector<client::SkuAttributionCreditInfo> AllSkuCredits(client::RpcClient& c,
                                                             const std::string& id, int page_size) {
  std::vector<client::SkuAttributionCreditInfo> out;
  std::optional<std::int64_t> offset;
  for (int pages = 0;; ++pages) {
    REQUIRE(pages < 10000);
    auto page = c.JobResult(id, offset, page_size);
    REQUIRE(page.ok());
    CHECK(page->sku_credits.size() <= static_cast<std::size_t>(page_size));
    out.insert(out.end(), page->sku_credits.begin(), page->sku_credits.end());
    if (!page->next_offset) break;
    offset = page->next_offset;
  }
  return out;
}

// The wire credits equal the in-process ones exactly (same code, same input, doubles sent as
// IEEE-754 bits).
void CheckCredits(const std::vector<client::AttributionCreditInfo>& wire,
                  const AttributionResult& expected) {
  REQUIRE(wire.size() == expected.keys.size());
  for (std::size_t k = 0; k < wire.size(); ++k) {
    INFO("key " << expected.keys[k]);
    CHECK(wire[k].key == expected.keys[k]);
    CHECK(wire[k].conversions == expected.totals[k].conversions);
    CHECK(wire[k].value == expected.totals[k].value);
    if (expected.markov) {
      REQUIRE(wire[k].removal_effect.has_value());
      CHECK(*wire[k].removal_effect == expected.totals[k].removal_effect);
      REQUIRE(wire[k].value_removal_effect.has_value());
      CHECK(*wire[k].value_removal_effect == expected.totals[k].value_removal_effect);
    } else {
      CHECK_FALSE(wire[k].removal_effect.has_value());
    }
  }
}

void CheckSkuCredits(const std::vector<client::SkuAttributionCreditInfo>& wire, std::size_t from,
                     const std::string& dimension, const AttributionResult& expected) {
  REQUIRE(wire.size() >= from + expected.sku_credits.size());
  for (std::size_t i = 0; i < expected.sku_credits.size(); ++i) {
    const auto& w = wire[from + i];
    const auto& e = expected.sku_credits[i];
    CHECK(w.dimension == dimension);
    CHECK(w.sku_id == expected.skus[e.sku]);
    CHECK(w.key == expected.keys[e.key]);
    CHECK(w.conversions == e.conversions);
    CHECK(w.value == e.value);
  }
}

// The wire transition matrix equals the in-process one: same rows, names, counts and
// probabilities (exact), in the same order; empty for the other models.
void CheckTransitions(const std::vector<client::MarkovTransitionInfo>& wire,
                      const AttributionResult& expected) {
  if (!expected.markov) {
    CHECK(wire.empty());
    return;
  }
  const MarkovDetails& m = *expected.markov;
  auto name = [&](std::uint32_t s) -> std::string {
    if (s < m.state_names.size()) return m.state_names[s];
    return s == m.state_names.size() ? "(conversion)" : "(null)";
  };
  REQUIRE(wire.size() == m.transitions.size());
  REQUIRE_FALSE(wire.empty());
  for (std::size_t i = 0; i < wire.size(); ++i) {
    INFO("transition " << i);
    CHECK(wire[i].from == name(m.transitions[i].from));
    CHECK(wire[i].to == name(m.transitions[i].to));
    CHECK(wire[i].count == m.transitions[i].count);
    CHECK(wire[i].probability == m.transitions[i].probability);
  }
}

// The transition from -> to of the job-result JSON ("markov.transitions"), or null.
nlohmann::json FindTransition(const nlohmann::json& j, const std::string& from,
                              const std::string& to) {
  for (const auto& t : j.at("markov").at("transitions")) {
    if (t.at("from") == from && t.at("to") == to) return t;
  }
  return nullptr;
}

AttributionResult InProcess(const std::filesystem::path& file, const AttributionOptions& o) {
  auto table = ReadPathFile(file, o);
  REQUIRE(table.ok());
  auto r = RunAttribution(*table, o);
  REQUIRE(r.ok());
  return std::move(r).value();
}

}  // namespace

TEST_CASE("attribution job: submit, poll, and the result equals RunAttribution in process",
          "[server][attribution]") {
  const auto file = WritePaths("attribution_jobs_paths", kPaths);
  auto server = ServerProcess::Start();
  auto c = server->Connect();

  struct Case {
    const char* model;
    AttributionModel enum_model;
    int order;
  };
  for (const Case& m : {Case{"linear", AttributionModel::kLinear, 1},
                        Case{"markov", AttributionModel::kMarkov, 2},
                        Case{"shapley", AttributionModel::kShapley, 1},
                        Case{"time-decay", AttributionModel::kTimeDecay, 1}}) {
    INFO("model " << m.model);
    client::AttributionJobQuery q;
    q.journeys_path = file.string();
    q.model = m.model;
    q.order = m.order;
    AttributionOptions o;
    o.model = m.enum_model;
    o.markov_order = m.order;
    if (m.enum_model == AttributionModel::kTimeDecay) {
      q.half_life_touches = 2.5;
      o.half_life_touches = 2.5;
      o.decay_by_touches = true;
    }
    auto id = c->SubmitAttributionJob(q);
    REQUIRE(id.ok());
    const auto status = WaitForJob(*c, *id);
    REQUIRE(status.state == "succeeded");
    CHECK(status.progress == 1.0);
    CHECK(status.error.empty());

    auto page = c->JobResult(*id);
    REQUIRE(page.ok());
    const AttributionResult expected = InProcess(file, o);
    CHECK(page->job_id == *id);
    CHECK(page->model == m.model);
    CHECK(page->order == expected.order);
    CHECK(page->journeys == expected.journeys);
    CHECK(page->conversions == expected.conversions);
    CHECK(page->value == expected.value);
    CHECK(page->nulls == expected.nulls);
    CHECK(page->conversions == 6.0);
    CheckCredits(page->channels, expected);
    CheckTransitions(page->markov_transitions, expected);
    CHECK(page->partners.empty());
    CHECK(page->sku_credits.empty());  // path files have no SKUs
    CHECK(page->sku_credits_total == 0);
    CHECK_FALSE(page->next_offset.has_value());
    CHECK(page->shapley_exact.has_value() == (m.enum_model == AttributionModel::kShapley));
  }
  CHECK(server->Stop(SIGTERM) == 0);
}

TEST_CASE("attribution job on a native dataset: channels, partners and SKU credits page by page",
          "[server][attribution]") {
  auto server = ServerProcess::Start();
  auto c = server->Connect();
  client::AttributionJobQuery q;
  q.data_dir = TinyDataset().string();
  q.model = "position-based";
  auto id = c->SubmitAttributionJob(q);
  REQUIRE(id.ok());
  REQUIRE(WaitForJob(*c, *id).state == "succeeded");

  LoadReport report;
  auto dataset = LoadDataset(TinyDataset(), LoadOptions{}, &report);
  REQUIRE(dataset.ok());
  AttributionOptions o;
  o.model = AttributionModel::kPositionBased;
  auto journeys = BuildNativeJourneys(*dataset, o);
  REQUIRE(journeys.ok());
  auto by_channel = RunAttribution(journeys->by_channel, o);
  auto by_partner = RunAttribution(journeys->by_partner, o);
  REQUIRE(by_channel.ok());
  REQUIRE(by_partner.ok());

  auto first = c->JobResult(*id, std::nullopt, 3);
  REQUIRE(first.ok());
  CheckCredits(first->channels, *by_channel);
  CheckCredits(first->partners, *by_partner);
  const std::size_t total = by_channel->sku_credits.size() + by_partner->sku_credits.size();
  REQUIRE(total > 3);  // datasets/tiny has enough SKU credits for several pages
  CHECK(first->sku_credits_total == static_cast<std::int64_t>(total));
  CHECK(first->sku_credits.size() == 3);
  REQUIRE(first->next_offset.has_value());
  CHECK(*first->next_offset == 3);

  const auto all = AllSkuCredits(*c, *id, 3);
  REQUIRE(all.size() == total);
  CheckSkuCredits(all, 0, "channel", *by_channel);
  CheckSkuCredits(all, by_channel->sku_credits.size(), "partner", *by_partner);

  SECTION("an offset past the end is refused, naming the field") {
    auto r = c->JobResult(*id, static_cast<std::int64_t>(total) + 1, 10);
    REQUIRE(r.status().IsInvalidArgument());
    CHECK(r.status().message().find("AttributionJobResultRequest.offset") != std::string::npos);
  }
  SECTION("a page size above 10000 is refused, naming the field") {
    auto r = c->JobResult(*id, std::nullopt, 10001);
    REQUIRE(r.status().IsInvalidArgument());
    CHECK(r.status().message().find("AttributionJobResultRequest.page_size") != std::string::npos);
  }
  CHECK(server->Stop(SIGTERM) == 0);
}

TEST_CASE("attribution jobs are operator-only: a merchant key is refused on every call",
          "[server][attribution]") {
  const auto file = WritePaths("attribution_jobs_tenancy", kPaths);
  TestKeys keys = MakeTestKeys("attribution_jobs_tenancy_keys", {"m_bakery"});
  ServerStart start;
  start.args = {"--keys", keys.file.string()};
  auto server = ServerProcess::Start(start);
  auto op = server->Connect(keys.operator_key);
  auto merchant = server->Connect(keys.MerchantKey("m_bakery"));
  auto stranger = server->Connect("pg_not_a_key");

  client::AttributionJobQuery q;
  q.journeys_path = file.string();
  q.model = "last-touch";
  auto refused = merchant->SubmitAttributionJob(q);
  CHECK(refused.status().IsPermissionDenied());
  CHECK(stranger->SubmitAttributionJob(q).status().IsPermissionDenied());

  auto id = op->SubmitAttributionJob(q);
  REQUIRE(id.ok());
  REQUIRE(WaitForJob(*op, *id).state == "succeeded");
  CHECK(merchant->JobStatus(*id).status().IsPermissionDenied());
  CHECK(merchant->JobResult(*id).status().IsPermissionDenied());
  // The refusal does not depend on whether the job exists.
  CHECK(merchant->JobStatus("attr-999").status().message() ==
        merchant->JobStatus(*id).status().message());
  CHECK(op->JobResult(*id).ok());
  CHECK(server->Stop(SIGTERM) == 0);
}

TEST_CASE("attribution jobs: unknown ids, bad arguments and failed jobs", "[server][attribution]") {
  const auto file = WritePaths("attribution_jobs_bad", kPaths);
  const auto dir = file.parent_path();
  std::ofstream(dir / "malformed.csv", std::ios::binary)
      << "path;total_conversions;total_conversion_value;total_null\n"
      << "email;1;5;0\n"
      << "search;x;5;0\n";
  auto outside = FreshTempDir("attribution_jobs_outside");
  std::ofstream(outside / "journeys.csv", std::ios::binary) << kPaths;
  ServerStart start;
  start.args = {"--attribution-root", dir.string()};
  auto server = ServerProcess::Start(start);
  auto c = server->Connect();

  auto invalid = [&](const client::AttributionJobQuery& q, const std::string& field) {
    auto r = c->SubmitAttributionJob(q);
    INFO("expected a refusal naming " << field << "; got " << r.status().ToString());
    REQUIRE(r.status().IsInvalidArgument());
    CHECK(r.status().message().find(field) != std::string::npos);
  };
  client::AttributionJobQuery good;
  good.journeys_path = file.string();
  good.model = "markov";

  SECTION("unknown job ids") {
    CHECK(c->JobStatus("attr-424242").status().IsNotFound());
    CHECK(c->JobResult("attr-424242").status().IsNotFound());
    CHECK(c->JobStatus("no such job").status().IsNotFound());
    CHECK(c->JobStatus("").status().IsInvalidArgument());
  }
  SECTION("bad model name") {
    auto q = good;
    q.model = "last-click";
    invalid(q, "AttributionJobRequest.model");
  }
  SECTION("bad Markov order") {
    auto q = good;
    q.order = 5;
    invalid(q, "AttributionJobRequest.order");
    q.order = 0;
    invalid(q, "AttributionJobRequest.order");
  }
  SECTION("bad option values") {
    auto q = good;
    q.model = "position-based";
    q.position_first_share = 0.8;
    q.position_last_share = 0.5;
    invalid(q, "position_");
    q = good;
    q.shapley_samples = 0;
    invalid(q, "AttributionJobRequest.shapley_samples");
  }
  SECTION("neither or both inputs") {
    auto q = good;
    q.journeys_path.reset();
    invalid(q, "journeys_path / data_dir");
    q = good;
    q.data_dir = TinyDataset().string();
    invalid(q, "journeys_path / data_dir");
  }
  SECTION("a missing file, a folder for a file, a file outside --attribution-root") {
    auto q = good;
    q.journeys_path = (dir / "absent.csv").string();
    invalid(q, "AttributionJobRequest.journeys_path");
    q.journeys_path = dir.string();
    invalid(q, "is not a regular file");
    q.journeys_path = (outside / "journeys.csv").string();
    invalid(q, "outside the server's attribution input folder");
    q.journeys_path = (dir / ".." / "attribution_jobs_outside" / "journeys.csv").string();
    invalid(q, "outside the server's attribution input folder");
  }
  SECTION("a malformed row fails the job, naming the file and line") {
    auto q = good;
    q.journeys_path = (dir / "malformed.csv").string();
    auto id = c->SubmitAttributionJob(q);
    REQUIRE(id.ok());
    const auto status = WaitForJob(*c, *id);
    REQUIRE(status.state == "failed");
    CHECK(status.progress == 1.0);
    CHECK(status.error.find("malformed.csv:3") != std::string::npos);
    CHECK(status.error.find("total_conversions") != std::string::npos);
    auto r = c->JobResult(*id);
    REQUIRE(r.status().IsInvalidArgument());
    CHECK(r.status().message().find("failed") != std::string::npos);
    CHECK(r.status().message().find("malformed.csv:3") != std::string::npos);
    // The server keeps serving jobs after a failed one.
    auto next = c->SubmitAttributionJob(good);
    REQUIRE(next.ok());
    CHECK(WaitForJob(*c, *next).state == "succeeded");
  }
  CHECK(server->Stop(SIGTERM) == 0);
}

TEST_CASE("attribution jobs: a full queue refuses with Unavailable, the server stays up",
          "[server][attribution]") {
  // A file that takes one job thread a while to read (about 30 MB, 1.5M rows), so that the
  // first job is still running while the next two are submitted.
  auto dir = FreshTempDir("attribution_jobs_queue");
  {
    std::ofstream f(dir / "big.csv", std::ios::binary);
    std::string block;
    for (int i = 0; i < 1000; ++i) {
      block += i % 3 == 0 ? "email > search > display;1;12.5;0\n" : "social > email;0;0;1\n";
    }
    for (int i = 0; i < 1500; ++i) f << block;
  }
  ServerStart start;
  start.args = {"--attribution-workers", "1", "--attribution-queue", "1",
                "--attribution-threads", "1"};
  auto server = ServerProcess::Start(start);
  auto c = server->Connect();
  client::AttributionJobQuery q;
  q.journeys_path = (dir / "big.csv").string();
  q.model = "linear";

  auto running = c->SubmitAttributionJob(q);
  REQUIRE(running.ok());
  // Wait until the worker has taken the first job off the queue.
  for (int i = 0;; ++i) {
    auto s = c->JobStatus(*running);
    REQUIRE(s.ok());
    if (s->state != "queued") {
      REQUIRE(s->state == "running");
      break;
    }
    REQUIRE(i < 5000);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  auto queued = c->SubmitAttributionJob(q);
  REQUIRE(queued.ok());
  auto refused = c->SubmitAttributionJob(q);
  REQUIRE(refused.status().code() == Status::Code::kUnavailable);
  CHECK(refused.status().message().find("queue is full") != std::string::npos);

  auto s = c->JobStatus(*queued);
  REQUIRE(s.ok());
  if (s->state == "queued") {  // (the first job could only have finished on a very fast machine)
    CHECK(s->queue_position == 0);
    CHECK(s->progress == 0.0);
    auto early = c->JobResult(*queued);
    CHECK(early.status().code() == Status::Code::kUnavailable);
  }
  // Other calls are answered while the job runs (jobs do not use the Thrift workers).
  CHECK(c->Health().ok());

  CHECK(WaitForJob(*c, *running).state == "succeeded");
  CHECK(WaitForJob(*c, *queued).state == "succeeded");
  auto page = c->JobResult(*queued);
  REQUIRE(page.ok());
  CHECK(page->conversions == 501000.0);  // 334 of every 1000 rows convert
  CHECK(page->nulls == 999000.0);
  // With room in the queue again, a job is accepted.
  auto again = c->SubmitAttributionJob(q);
  CHECK(again.ok());
  CHECK(server->Stop(SIGTERM) == 0);
}

TEST_CASE("partnergraph query submit-attribution / job-status / job-result", "[server][attribution]") {
  const auto file = WritePaths("attribution_jobs_cli", kPaths);
  auto server = ServerProcess::Start();
  const std::string port = std::to_string(server->port());
  auto query = [&](std::vector<std::string> args) {
    std::vector<std::string> full = {"query", "--port", port, "--json"};
    full.insert(full.end(), args.begin(), args.end());
    return RunProcess(CliBinary(), full);
  };

  auto submitted = query({"submit-attribution", "--journeys", file.string(), "--model", "markov",
                          "--order", "2", "--wait"});
  INFO(submitted.err);
  REQUIRE(submitted.exit_code == 0);
  const auto status = nlohmann::json::parse(submitted.out);
  CHECK(status.at("state") == "succeeded");
  CHECK(status.at("progress") == 1.0);
  const std::string id = status.at("job_id");

  auto shown = query({"job-status", id});
  REQUIRE(shown.exit_code == 0);
  CHECK(nlohmann::json::parse(shown.out).at("state") == "succeeded");

  auto result = query({"job-result", id});
  REQUIRE(result.exit_code == 0);
  const auto j = nlohmann::json::parse(result.out);
  AttributionOptions o;
  o.model = AttributionModel::kMarkov;
  o.markov_order = 2;
  const AttributionResult expected = InProcess(file, o);
  CHECK(j.at("model") == "markov");
  CHECK(j.at("order") == 2);
  for (std::size_t k = 0; k < expected.keys.size(); ++k) {
    const auto& c = j.at("channels").at(expected.keys[k]);
    CHECK(c.at("conversions").get<double>() == expected.totals[k].conversions);
    CHECK(c.at("removal_effect").get<double>() == expected.totals[k].removal_effect);
  }
  // The order-2 transition matrix, by hand from kPaths (21 journeys): 5 start with email
  // (rows 1, 4, 6: 3 + 1 + 1); "email > search" is left by 4 journeys (rows 1 and 6), 3 of
  // them converting; "display > display" ends row 7's 6 journeys, 5 of them in (null).
  REQUIRE(j.at("markov").at("transitions").size() == expected.markov->transitions.size());
  const auto start_email = FindTransition(j, "(start)", "email");
  REQUIRE_FALSE(start_email.is_null());
  CHECK(start_email.at("count").get<double>() == 5.0);
  CHECK(start_email.at("probability").get<double>() == Approx(5.0 / 21.0).epsilon(1e-15));
  const auto converted = FindTransition(j, "email > search", "(conversion)");
  REQUIRE_FALSE(converted.is_null());
  CHECK(converted.at("count").get<double>() == 3.0);
  CHECK(converted.at("probability").get<double>() == 0.75);
  const auto lost = FindTransition(j, "display > display", "(null)");
  REQUIRE_FALSE(lost.is_null());
  CHECK(lost.at("count").get<double>() == 5.0);
  CHECK(lost.at("probability").get<double>() == Approx(5.0 / 6.0).epsilon(1e-15));
  CHECK(FindTransition(j, "(start)", "display > email").is_null());  // order 2 starts with one channel
  auto text = RunProcess(CliBinary(), {"query", "--port", port, "job-result", id});
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.find("transition (start)") != std::string::npos);

  auto unknown = query({"job-status", "attr-777"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("NotFound") != std::string::npos);
  auto bad_model = query({"submit-attribution", "--journeys", file.string(), "--model", "nope"});
  CHECK(bad_model.exit_code == 2);
  CHECK(bad_model.err.find("AttributionJobRequest.model") != std::string::npos);
  auto no_input = query({"submit-attribution", "--model", "linear"});
  CHECK(no_input.exit_code == 1);
  CHECK(server->Stop(SIGTERM) == 0);
}

TEST_CASE("attribution jobs: a shutdown cancels the running job", "[server][attribution]") {
  auto dir = FreshTempDir("attribution_jobs_cancel");
  {
    std::ofstream f(dir / "big.csv", std::ios::binary);
    std::string block;
    for (int i = 0; i < 1000; ++i) block += "email > search > display;1;12.5;0\nsocial;0;0;1\n";
    for (int i = 0; i < 2000; ++i) f << block;
  }
  ServerStart start;
  start.args = {"--attribution-threads", "1"};
  auto server = ServerProcess::Start(start);
  auto c = server->Connect();
  client::AttributionJobQuery q;
  q.journeys_path = (dir / "big.csv").string();
  q.model = "first-touch";
  auto id = c->SubmitAttributionJob(q);
  REQUIRE(id.ok());
  for (int i = 0;; ++i) {
    auto s = c->JobStatus(*id);
    REQUIRE(s.ok());
    if (s->state == "running") break;
    REQUIRE(s->state == "queued");
    REQUIRE(i < 5000);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  c.reset();
  CHECK(server->Stop(SIGTERM) == 0);
  CHECK(server->Log().find("reading cancelled") != std::string::npos);
}
