// replay_apply_bench: how fast a served model catches up with its event log at start (issue 14,
// docs/events.md): the log's replay alone against the same replay applying every event to an
// Engine's LiveState, in the same run.
//
// It writes --events valid consent changes over the model's real customer–merchant pairs
// (random channel, status, source and time, seeded) into a fresh log in --dir, then, --repeats
// times: replays the log alone (read, decode, visit); applies the same events from memory to the
// LiveState of a freshly opened Engine (application alone); replays the log applying every event
// to the LiveState of another fresh Engine (what partnergraph-server does at start; the opens
// are not timed). Reported per run: events/s of the three, the ratio replay + apply / replay
// alone, the LiveState's counts and a digest of every merchant's contactable counts after the
// replay (equal digests for the same events: the same resulting state, e.g. before and after a
// change of the overlay; the run fails when the two applications' digests differ).
//
// Usage: replay_apply_bench --model MODEL_DIR [--events 200000] [--repeats 3] [--seed 7]
//        [--dir DIR]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "partnergraph/engine/engine.hpp"
#include "partnergraph/engine/live_state.hpp"
#include "partnergraph/events/event_log.hpp"
#include "partnergraph/graph/graph_io.hpp"

namespace pg = partnergraph;
using Clock = std::chrono::steady_clock;

namespace {

double Seconds(Clock::time_point begin) {
  return std::chrono::duration<double>(Clock::now() - begin).count();
}

// This thread's CPU time (s): what a phase costs whatever else the machine runs.
double ThreadCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// `count` consent changes over the real (customer, merchant) pairs of the model in `model_dir`
// (every merchant's customers), seeded: channel uniform over the 7, status one of unsubscribed,
// confirmed_opt_in, double_opt_in, blocked; source "sales" for 1 in 8 (sales blocks and their
// lifts), else web_form or checkout; times spread over 30 days (so that some records arrive
// older than the one they would replace).
pg::Result<std::vector<pg::Event>> MakeConsentEvents(const std::filesystem::path& model_dir,
                                                     std::size_t count, std::uint64_t seed) {
  PG_ASSIGN_OR_RETURN(auto graph, pg::LoadGraph(model_dir / pg::kGraphFileName));
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs;  // (customer, merchant)
  for (std::uint32_t m = 0; m < graph->merchant_count(); ++m) {
    for (const pg::CustomerLink& link : graph->CustomersOf(pg::MerchantId(m))) {
      pairs.emplace_back(link.customer.value, m);
    }
  }
  if (pairs.empty()) return pg::Status::InvalidArgument("the model has no customer of a merchant");
  constexpr pg::ConsentStatus kStatuses[] = {
      pg::ConsentStatus::kUnsubscribed, pg::ConsentStatus::kConfirmedOptIn,
      pg::ConsentStatus::kDoubleOptIn, pg::ConsentStatus::kBlocked};
  std::mt19937_64 rng(seed);
  std::vector<pg::Event> events(count);
  for (std::size_t i = 0; i < count; ++i) {
    const auto& [c, m] = pairs[rng() % pairs.size()];
    pg::ConsentChangeEvent e;
    e.customer_id = std::string(graph->Customer(pg::CustomerId(c)).external_id);
    e.merchant_id = std::string(graph->Merchant(pg::MerchantId(m)).external_id);
    e.channel = static_cast<pg::ContactChannel>(rng() % pg::kContactChannelCount);
    e.status = kStatuses[rng() % 4];
    e.ts = 1'780'000'000 + static_cast<pg::Timestamp>(rng() % (30 * 86'400));
    const std::uint64_t source = rng() % 8;
    e.source = source == 0 ? "sales" : source % 2 == 0 ? "web_form" : "checkout";
    events[i].event_id = "replay-" + std::to_string(i);
    events[i].body = std::move(e);
  }
  return events;
}

// Every merchant's contactable counts (any channel, then per channel) folded into one number.
std::uint64_t ContactableDigest(const pg::Engine& engine, const pg::EcosystemGraph& graph) {
  std::uint64_t digest = 14695981039346656037ull;
  auto mix = [&](std::int64_t v) {
    digest = (digest ^ static_cast<std::uint64_t>(v)) * 1099511628211ull;
  };
  for (std::uint32_t m = 0; m < graph.merchant_count(); ++m) {
    auto view = engine.GetMerchant(std::string(graph.Merchant(pg::MerchantId(m)).external_id));
    if (!view.ok()) continue;
    mix(view->contactable);
    for (const auto& [channel, n] : view->contactable_by_channel) mix(n);
  }
  return digest;
}

int ReplayWithApply(const std::filesystem::path& model_dir, std::size_t count, int repeats,
                    std::uint64_t seed, const std::filesystem::path& dir) {
  auto events = MakeConsentEvents(model_dir, count, seed);
  if (!events.ok()) {
    std::fprintf(stderr, "replay_apply_bench: %s\n", events.status().message().c_str());
    return 1;
  }
  auto graph = pg::LoadGraph(model_dir / pg::kGraphFileName);
  if (!graph.ok()) {
    std::fprintf(stderr, "replay_apply_bench: %s\n", graph.status().message().c_str());
    return 1;
  }
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  pg::EventLogOptions options;
  options.sync = false;  // the log's write rate is not measured here
  auto log = pg::EventLog::Open(dir / "log", options);
  if (!log.ok()) {
    std::fprintf(stderr, "replay_apply_bench: %s\n", log.status().message().c_str());
    return 1;
  }
  constexpr std::size_t kBatch = 1000;
  for (std::size_t i = 0; i < events->size(); i += kBatch) {
    const std::size_t n = std::min(kBatch, events->size() - i);
    if (auto r = (*log)->Append(std::span<const pg::Event>(events->data() + i, n)); !r.ok()) {
      std::fprintf(stderr, "replay_apply_bench: append: %s\n", r.status().message().c_str());
      return 1;
    }
  }
  std::printf("replay with application: %zu consent changes over %s's customer-merchant pairs\n\n",
              events->size(), model_dir.c_str());
  std::printf("Rates in events/s of wall time, and in brackets of this thread's CPU time.\n\n");
  std::printf(
      "| run | replay alone | replay + apply | ratio | apply alone | applied | changed | pending "
      "| skipped | digest |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
  using Opened = std::pair<std::shared_ptr<const pg::Engine>, std::shared_ptr<pg::LiveState>>;
  auto open_live = [&]() -> Opened {
    auto engine = pg::Engine::Open(model_dir);
    if (!engine.ok()) {
      std::fprintf(stderr, "replay_apply_bench: %s\n", engine.status().message().c_str());
      std::exit(1);
    }
    std::shared_ptr<pg::LiveState> live = (*engine)->live();
    if (!live) {
      std::fprintf(stderr, "replay_apply_bench: %s takes no live events\n", model_dir.c_str());
      std::exit(1);
    }
    return {*engine, live};
  };
  for (int run = 1; run <= repeats; ++run) {
    // The log's replay alone: read, decode, visit.
    std::uint64_t visited = 0;
    auto begin = Clock::now();
    double cpu_begin = ThreadCpuSeconds();
    pg::Status s = (*log)->Replay(0, [&](pg::EventSequence, const pg::Event&) {
      ++visited;
      return pg::Status::Ok();
    });
    const double alone = Seconds(begin);
    const double alone_cpu = ThreadCpuSeconds() - cpu_begin;
    if (!s.ok()) {
      std::fprintf(stderr, "replay_apply_bench: replay: %s\n", s.message().c_str());
      return 1;
    }
    // Application alone: the same events from memory into a fresh LiveState.
    std::uint64_t apply_digest = 0;
    double apply_alone = 0;
    double apply_alone_cpu = 0;
    {
      auto [engine, live] = open_live();
      const std::uint64_t from = live->model_sequence();
      begin = Clock::now();
      cpu_begin = ThreadCpuSeconds();
      for (std::size_t i = 0; i < events->size(); ++i) live->Apply(from + 1 + i, (*events)[i]);
      apply_alone = Seconds(begin);
      apply_alone_cpu = ThreadCpuSeconds() - cpu_begin;
      apply_digest = ContactableDigest(*engine, **graph);
    }
    // What a server does at start: replay, applying every event to a fresh LiveState.
    auto [engine, live] = open_live();
    const std::uint64_t from = live->model_sequence();
    begin = Clock::now();
    cpu_begin = ThreadCpuSeconds();
    s = (*log)->Replay(from, [&](pg::EventSequence sequence, const pg::Event& event) {
      live->Apply(sequence, event);
      return pg::Status::Ok();
    });
    const double applied = Seconds(begin);
    const double applied_cpu = ThreadCpuSeconds() - cpu_begin;
    if (!s.ok()) {
      std::fprintf(stderr, "replay_apply_bench: replay: %s\n", s.message().c_str());
      return 1;
    }
    const pg::LiveStats stats = live->stats();
    const std::uint64_t digest = ContactableDigest(*engine, **graph);
    if (digest != apply_digest) {
      std::fprintf(stderr, "replay_apply_bench: the replayed state differs from the applied one\n");
      return 1;
    }
    const auto n = static_cast<double>(events->size());
    std::printf(
        "| %d | %.0f (%.0f) | %.0f (%.0f) | %.2f (%.2f) | %.0f (%.0f) | %llu | %llu | %llu | "
        "%llu | %016llx |\n",
        run, visited / alone, visited / alone_cpu, stats.applied / applied,
        stats.applied / applied_cpu, alone / applied, alone_cpu / applied_cpu, n / apply_alone,
        n / apply_alone_cpu, static_cast<unsigned long long>(stats.applied),
                static_cast<unsigned long long>(stats.changed),
                static_cast<unsigned long long>(stats.pending),
                static_cast<unsigned long long>(stats.skipped),
                static_cast<unsigned long long>(digest));
    std::fflush(stdout);
  }
  log->reset();
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("replay_apply_bench: event log replay alone and applied to an Engine's LiveState");
  std::string model;
  std::size_t events = 200000;
  int repeats = 3;
  std::uint64_t seed = 7;
  std::string dir = (std::filesystem::temp_directory_path() / "pg-replay-apply-bench").string();
  app.add_option("--model", model, "Model folder (partnergraph build)")->required();
  app.add_option("--events", events, "Consent changes in the replayed log")
      ->check(CLI::Range(1, 100000000));
  app.add_option("--repeats", repeats, "Runs (each with a freshly opened Engine)")
      ->check(CLI::Range(1, 100));
  app.add_option("--seed", seed, "Seed of the events");
  app.add_option("--dir", dir, "Scratch folder for the log (emptied, then removed)");
  CLI11_PARSE(app, argc, argv);
  return ReplayWithApply(model, events, repeats, seed, dir);
}
