// Tests of bench_support.hpp: the split of Google Benchmark's flags from a bench's own, the
// percentiles the benches report, and TimeQueries inside a real benchmark::State loop.
#include "bench_support.hpp"

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using partnergraph::bench::Latency;

std::vector<std::string> Strings(const std::vector<char*>& args) {
  return {args.begin(), args.end()};
}

// Keeps the runs instead of printing them.
class CapturingReporter : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& runs) override {
    this->runs.insert(this->runs.end(), runs.begin(), runs.end());
  }
  std::vector<Run> runs;
};

}  // namespace

TEST_CASE("SplitBenchmarkFlags separates Google Benchmark's flags from the bench's", "[bench]") {
  std::string a0 = "bench", a1 = "--n", a2 = "10", a3 = "--benchmark_filter=search", a4 = "--v=2",
              a5 = "--benchmark_out=x.json", a6 = "--k", a7 = "--benchmark";
  std::vector<char*> argv = {a0.data(), a1.data(), a2.data(), a3.data(),
                             a4.data(), a5.data(), a6.data(), a7.data()};
  const auto split =
      partnergraph::bench::SplitBenchmarkFlags(static_cast<int>(argv.size()), argv.data());
  CHECK(Strings(split.benchmark) == std::vector<std::string>{"bench", "--benchmark_filter=search",
                                                             "--v=2", "--benchmark_out=x.json"});
  // "--benchmark" alone is no Google Benchmark flag: the bench's parser names it as unknown.
  CHECK(Strings(split.bench) ==
        std::vector<std::string>{"bench", "--n", "10", "--k", "--benchmark"});
}

TEST_CASE("SplitBenchmarkFlags of an empty argv is empty", "[bench]") {
  const auto split = partnergraph::bench::SplitBenchmarkFlags(0, nullptr);
  CHECK(split.benchmark.empty());
  CHECK(split.bench.empty());
}

TEST_CASE("Summarize: p50 is sorted[n/2], p99 sorted[min(n-1, 99n/100)], and the mean", "[bench]") {
  std::vector<double> sample;
  for (int i = 200; i >= 1; --i) sample.push_back(i);  // 1..200, reversed
  const auto p = partnergraph::bench::Summarize(sample);
  CHECK(p.p50 == 101);
  CHECK(p.p99 == 199);
  CHECK(p.mean == Approx(100.5).epsilon(1e-12));
  const auto one = partnergraph::bench::Summarize({7});
  CHECK(one.p50 == 7);
  CHECK(one.p99 == 7);
  const auto none = partnergraph::bench::Summarize({});
  CHECK(none.p50 == 0);
  CHECK(none.mean == 0);
}

TEST_CASE("TimeQueries runs each query once per iteration and reports its counters", "[bench]") {
  std::vector<std::size_t> seen;
  Latency latency;
  bool ok = false;
  benchmark::ClearRegisteredBenchmarks();
  benchmark::RegisterBenchmark("queries",
                               [&](benchmark::State& state) {
                                 ok = partnergraph::bench::TimeQueries(
                                     state, 5,
                                     [&](std::size_t i) {
                                       seen.push_back(i);
                                       return static_cast<long>(i);
                                     },
                                     &latency);
                               })
      ->Iterations(5)
      ->UseManualTime();
  CapturingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::ClearRegisteredBenchmarks();
  CHECK(ok);
  CHECK(seen == std::vector<std::size_t>{0, 1, 2, 3, 4});
  CHECK(latency.mean_results == 2.0);  // (0 + 1 + 2 + 3 + 4) / 5
  CHECK(latency.p50_us >= 0);
  CHECK(latency.p99_us >= latency.p50_us);
  REQUIRE(reporter.runs.size() == 1);
  CHECK(reporter.runs[0].iterations == 5);
  CHECK(reporter.runs[0].counters.count("p50_us") == 1);
  CHECK(reporter.runs[0].counters.count("cpu_p99_us") == 1);
  CHECK(reporter.runs[0].counters.at("results").value == 2.0);
}

TEST_CASE("TimeQueries stops with an error at a failed query", "[bench]") {
  int calls = 0;
  Latency latency;
  bool ok = true;
  benchmark::ClearRegisteredBenchmarks();
  benchmark::RegisterBenchmark("failing",
                               [&](benchmark::State& state) {
                                 ok = partnergraph::bench::TimeQueries(
                                     state, 4,
                                     [&](std::size_t i) {
                                       ++calls;
                                       return i == 1 ? -1L : 1L;
                                     },
                                     &latency);
                               })
      ->Iterations(4)
      ->UseManualTime();
  CapturingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::ClearRegisteredBenchmarks();
  CHECK_FALSE(ok);
  CHECK(calls == 2);
  REQUIRE(reporter.runs.size() == 1);
  CHECK(reporter.runs[0].error_occurred);
}

TEST_CASE("kPositive accepts numbers above zero and names what it refuses", "[bench]") {
  std::string ok = "12";
  CHECK(partnergraph::bench::kPositive(ok).empty());
  std::string fraction = "0.5";
  CHECK(partnergraph::bench::kPositive(fraction).empty());
  std::string zero = "0";
  CHECK(partnergraph::bench::kPositive(zero) == "\"0\" is not a positive number");
  std::string word = "x";
  CHECK(partnergraph::bench::kPositive(word) == "\"x\" is not a positive number");
  std::string tail = "5k";
  CHECK(partnergraph::bench::kPositive(tail) == "\"5k\" is not a positive number");
}

namespace {

// RunBenchmarkMain on a copy of `args` (argv[0] first), with one --k flag; `setup` and `finish`
// count their calls.
int RunMain(std::vector<std::string> args, int* setup_calls, int* finish_calls, int* k,
            bool throw_in_setup = false) {
  std::vector<char*> argv;
  argv.reserve(args.size());
  for (auto& a : args) argv.push_back(a.data());
  benchmark::ClearRegisteredBenchmarks();
  return partnergraph::bench::RunBenchmarkMain(
      static_cast<int>(argv.size()), argv.data(), "test bench",
      [&](CLI::App& app) { app.add_option("--k", *k, "k")->check(partnergraph::bench::kPositive); },
      [&] {
        ++*setup_calls;
        if (throw_in_setup) throw std::runtime_error("setup broke");
        return 0;
      },
      [&] {
        ++*finish_calls;
        return 7;
      });
}

}  // namespace

TEST_CASE("RunBenchmarkMain parses the bench's flags, then runs setup and finish", "[bench]") {
  int setup = 0, finish = 0, k = 0;
  CHECK(RunMain({"bench", "--k", "3", "--benchmark_filter=none"}, &setup, &finish, &k) == 7);
  CHECK(k == 3);
  CHECK(setup == 1);
  CHECK(finish == 1);
}

TEST_CASE("RunBenchmarkMain stops with 2 at a bad or unknown flag, 1 at an exception", "[bench]") {
  int setup = 0, finish = 0, k = 0;
  CHECK(RunMain({"bench", "--k", "0"}, &setup, &finish, &k) == 2);
  CHECK(RunMain({"bench", "--nope", "1"}, &setup, &finish, &k) == 2);
  CHECK(RunMain({"bench", "--benchmark_nope=1"}, &setup, &finish, &k) == 2);
  CHECK(setup == 0);
  CHECK(RunMain({"bench"}, &setup, &finish, &k, /*throw_in_setup=*/true) == 1);
  CHECK(setup == 1);
  CHECK(finish == 0);
}
