// bench_support: what the micro benchmarks (index_bench, embed_bench, attribution_bench,
// recommend_bench) share.
//
// Command line: each bench takes Google Benchmark's own flags (--benchmark_filter,
// --benchmark_format, --benchmark_out, ...; see --help) and its own flags, parsed with CLI11.
// RunBenchmarkMain splits the two, parses the bench's flags (a bad or unknown flag is named in
// the error, exit code 2), registers the benchmarks and runs them.
//
// Latency: a query benchmark runs one query per benchmark::State iteration, timed alone
// (manual time: the reported time is the mean wall time of one query) and records every
// query's wall and thread-CPU time, from which it reports p50 and p99 as counters
// (p50_us, p99_us, cpu_p50_us, cpu_p99_us), as the benches always have: sorted[n / 2] and
// sorted[min(n - 1, n * 99 / 100)].
//
// Not thread-safe: benchmarks registered here run on the main thread, one after another.
#pragma once

#include <benchmark/benchmark.h>
#include <time.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace partnergraph::bench {

// argv split in two, each starting with argv[0]: Google Benchmark's flags (--benchmark_* and
// its verbosity flag --v=N) and the bench's own. The pointers point into argv.
struct SplitArgs {
  std::vector<char*> benchmark;
  std::vector<char*> bench;
};

inline SplitArgs SplitBenchmarkFlags(int argc, char** argv) {
  SplitArgs out;
  if (argc > 0) {
    out.benchmark.push_back(argv[0]);
    out.bench.push_back(argv[0]);
  }
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool is_benchmark = arg.rfind("--benchmark_", 0) == 0 || arg.rfind("--v=", 0) == 0;
    (is_benchmark ? out.benchmark : out.bench).push_back(argv[i]);
  }
  return out;
}

// A CLI11 check that a value is a number greater than zero: "--n: 0 is not a positive number".
inline const CLI::Validator kPositive(
    [](std::string& value) -> std::string {
      try {
        std::size_t used = 0;
        if (std::stod(value, &used) > 0 && used == value.size()) return {};
      } catch (const std::exception&) {
      }
      return "\"" + value + "\" is not a positive number";
    },
    "POSITIVE");

// p50, p99 and mean of a sample, in the sample's unit; all zero when it is empty.
struct Percentiles {
  double p50 = 0;
  double p99 = 0;
  double mean = 0;
};

inline Percentiles Summarize(std::vector<double> sample) {
  Percentiles p;
  const std::size_t n = sample.size();
  if (n == 0) return p;
  for (double x : sample) p.mean += x / static_cast<double>(n);
  std::sort(sample.begin(), sample.end());
  p.p50 = sample[n / 2];
  p.p99 = sample[std::min(n - 1, n * 99 / 100)];
  return p;
}

// The latency figures of one query benchmark, in microseconds.
struct Latency {
  double p50_us = 0;
  double p99_us = 0;
  double mean_us = 0;
  // The same over the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID): what the query
  // costs without the time it waited for a core on a loaded machine.
  double cpu_p50_us = 0;
  double cpu_p99_us = 0;
  double mean_results = 0;
};

inline double ThreadCpuMicros() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) * 1e-3;
}

// Runs query(i % n) for each iteration i of `state`, each timed alone, and sets the state's
// manual iteration time, items/s and the latency counters. `query` returns its number of
// results, or a negative number on error (the benchmark then stops with that error and
// TimeQueries returns false). Register the benchmark with Iterations(n) and UseManualTime().
// On success `*latency` holds the figures.
inline bool TimeQueries(benchmark::State& state, std::size_t n,
                        const std::function<long(std::size_t)>& query, Latency* latency) {
  using Clock = std::chrono::steady_clock;
  std::vector<double> wall_us;
  std::vector<double> cpu_us;
  wall_us.reserve(static_cast<std::size_t>(state.max_iterations));
  cpu_us.reserve(static_cast<std::size_t>(state.max_iterations));
  double results = 0;
  std::size_t i = 0;
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores): the benchmark loop
    const double cpu_start = ThreadCpuMicros();
    const auto start = Clock::now();
    const long got = query(n == 0 ? 0 : i % n);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    cpu_us.push_back(ThreadCpuMicros() - cpu_start);
    state.SetIterationTime(seconds);
    if (got < 0) {
      state.SkipWithError("a query failed (see the message above)");
      return false;
    }
    wall_us.push_back(seconds * 1e6);
    results += static_cast<double>(got);
    ++i;
  }
  const Percentiles wall = Summarize(wall_us);
  const Percentiles cpu = Summarize(cpu_us);
  latency->p50_us = wall.p50;
  latency->p99_us = wall.p99;
  latency->mean_us = wall.mean;
  latency->cpu_p50_us = cpu.p50;
  latency->cpu_p99_us = cpu.p99;
  latency->mean_results = i == 0 ? 0 : results / static_cast<double>(i);
  state.SetItemsProcessed(static_cast<std::int64_t>(i));
  state.counters["p50_us"] = latency->p50_us;
  state.counters["p99_us"] = latency->p99_us;
  state.counters["cpu_p50_us"] = latency->cpu_p50_us;
  state.counters["cpu_p99_us"] = latency->cpu_p99_us;
  state.counters["results"] = latency->mean_results;
  return true;
}

// The main of a micro benchmark: builds a CLI11 app with `description` and the bench's flags
// (`add_flags`), parses them (on a parse error, or --help, prints CLI11's message and returns
// 0 for --help, 2 for an error naming the argument), then calls `setup()` (which registers
// the benchmarks; non-zero stops with that exit code), runs them with Google Benchmark's
// flags (an unknown --benchmark_ flag: 2), and returns `finish()`'s exit code (0 without
// one). Google Benchmark's table goes to stdout (its context to stderr); `finish` prints the
// bench's own summary after it. An exception that escapes is printed as "<argv[0]>: <what>"
// and returns 1.
inline int RunBenchmarkMain(int argc, char** argv, const std::string& description,
                            const std::function<void(CLI::App&)>& add_flags,
                            const std::function<int()>& setup,
                            const std::function<int()>& finish = {}) {
  const char* name = argc > 0 ? argv[0] : "bench";
  try {
    CLI::App app{description};
    add_flags(app);
    app.footer(
        "Google Benchmark's flags are accepted too: --benchmark_filter=REGEX, "
        "--benchmark_format=console|json|csv, --benchmark_out=FILE, "
        "--benchmark_out_format=json|console|csv, --benchmark_counters_tabular=true, "
        "--benchmark_list_tests=true.");
    SplitArgs args = SplitBenchmarkFlags(argc, argv);
    try {
      app.parse(static_cast<int>(args.bench.size()), args.bench.data());
    } catch (const CLI::ParseError& e) {
      const int code = app.exit(e);
      return code == 0 ? 0 : 2;
    }
    int benchmark_argc = static_cast<int>(args.benchmark.size());
    benchmark::Initialize(&benchmark_argc, args.benchmark.data());
    if (benchmark::ReportUnrecognizedArguments(benchmark_argc, args.benchmark.data())) return 2;
    if (const int code = setup(); code != 0) return code;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    std::fflush(stdout);
    return finish ? finish() : 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", name, e.what());
  } catch (...) {
    std::fprintf(stderr, "%s: an unknown exception\n", name);
  }
  return 1;
}

}  // namespace partnergraph::bench
