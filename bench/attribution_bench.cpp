// attribution_bench: journeys per second of every attribution model on
// generated journeys, read from the path format (CSV) and from the binary
// journey file, with the peak RSS of each run (docs/attribution.md "Benchmark").
//
// Journeys: `--sizes` (default 1M and 10M) individual journeys over 12
// channels, from a seeded generator (a skewed first-order process: popular
// channels start journeys, each channel has three favourite successors, a
// journey continues with probability 0.62; conversion probability grows with
// some channels and the length). Each journey is one row of the path file
// ("alpha > iota;1;42.17;0" or "beta;0;0;1") and one record of the binary file.
// Files are written once to --dir and reused.
//
// Each (size, source, model) is one Google Benchmark, <model>/<source>/journeys:<n>, of R
// iterations (--repeat); each iteration is a forked child that runs the attribution job
// (RunAttributionJob: read the file, run the model) with --threads workers; the parent times
// it (manual time) and reads the child's peak RSS (wait4). The baseline of each source,
// scan/<source>/journeys:<n>, is a plain scan of the same file (read + count records),
// reported as a ratio. Counters: journeys/s (over all iterations), and of the fastest
// iteration best_s, cpu_s, rss_mb and x_scan. The table after Google Benchmark's shows the
// fastest iteration of each row, as before.
//
// Usage: attribution_bench [--dir DIR] [--sizes 1000000,10000000] [--threads 2]
//                          [--models first-touch,...,markov1,markov2,shapley]
//                          [--repeat R]   (R runs per row; the fastest is shown)
//                          [--benchmark_filter=REGEX] [--benchmark_format=json] ...
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "partnergraph/attribution/attribution_job.hpp"
#include "partnergraph/attribution/journey_binary.hpp"
#include "partnergraph/common/splitmix64.hpp"

using namespace partnergraph;

namespace {

const std::vector<std::string> kChannels = {"alpha", "beta",   "delta", "epsilon",
                                            "eta",   "gamma",  "iota",  "kappa",
                                            "lambda", "mi",    "theta", "zeta"};

struct Rng {
  std::uint64_t s;
  std::uint64_t Next() { return SplitMix64Next(s); }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  std::uint32_t Below(std::uint32_t n) { return static_cast<std::uint32_t>(Uniform() * n); }
};

struct Journey {
  std::vector<std::uint8_t> path;
  bool converted = false;
  double value = 0;
};

class JourneyGenerator {
 public:
  explicit JourneyGenerator(std::uint64_t seed) : rng_{seed} {
    double total = 0;
    for (std::size_t c = 0; c < kChannels.size(); ++c) {
      total += 1.0 / std::pow(static_cast<double>(c + 1), 0.8);
      cumulative_.push_back(total);
    }
    for (double& x : cumulative_) x /= total;
  }

  void Next(Journey& j) {
    j.path.clear();
    std::uint8_t c = Popular();
    j.path.push_back(c);
    while (j.path.size() < 20 && rng_.Uniform() < 0.62) {
      if (rng_.Uniform() < 0.6) {
        const std::uint8_t fav[3] = {static_cast<std::uint8_t>((c * 5 + 1) % 12),
                                     static_cast<std::uint8_t>((c * 7 + 3) % 12), c};
        c = fav[rng_.Below(3)];
      } else {
        c = Popular();
      }
      j.path.push_back(c);
    }
    double p = 0.04 + 0.01 * static_cast<double>(j.path.size());
    for (std::uint8_t t : j.path) {
      if (t == 6) p += 0.03;  // iota
      if (t == 0) p += 0.02;  // alpha
    }
    j.converted = rng_.Uniform() < std::min(p, 0.6);
    j.value = j.converted ? std::round(std::exp(3 + 2 * rng_.Uniform()) * 100) / 100 : 0;
  }

 private:
  std::uint8_t Popular() {
    const double u = rng_.Uniform();
    for (std::size_t c = 0; c < cumulative_.size(); ++c) {
      if (u < cumulative_[c]) return static_cast<std::uint8_t>(c);
    }
    return static_cast<std::uint8_t>(cumulative_.size() - 1);
  }
  Rng rng_;
  std::vector<double> cumulative_;
};

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void Die(const Status& s) {
  std::fprintf(stderr, "attribution_bench: %s\n", s.ToString().c_str());
  std::exit(1);  // NOLINT(concurrency-mt-unsafe): the bench and its children run one thread here
}

// Writes `n` journeys to `csv` and `bin` (same journeys in both).
void Generate(std::uint64_t n, const std::filesystem::path& csv, const std::filesystem::path& bin) {
  JourneyGenerator gen(20240601);
  auto writer = JourneyBinaryWriter::Create(bin.string() + ".part", kChannels);
  if (!writer.ok()) Die(writer.status());
  std::FILE* f = std::fopen((csv.string() + ".part").c_str(), "wb");
  if (!f) Die(Status::IOError(fmt::format("{}: cannot create", csv.string())));
  std::string buf = "path;total_conversions;total_conversion_value;total_null\n";
  Journey j;
  for (std::uint64_t i = 0; i < n; ++i) {
    gen.Next(j);
    for (std::size_t t = 0; t < j.path.size(); ++t) {
      if (t) buf += " > ";
      buf += kChannels[j.path[t]];
    }
    char tail[64];
    if (j.converted) {
      std::snprintf(tail, sizeof tail, ";1;%.2f;0\n", j.value);
    } else {
      std::snprintf(tail, sizeof tail, ";0;0;1\n");
    }
    buf += tail;
    if (buf.size() > (8u << 20)) {
      std::fwrite(buf.data(), 1, buf.size(), f);
      buf.clear();
    }
    if (Status s = writer->Add(j.path, j.converted, j.value); !s.ok()) Die(s);
  }
  std::fwrite(buf.data(), 1, buf.size(), f);
  std::fclose(f);
  if (Status s = writer->Close(); !s.ok()) Die(s);
  std::filesystem::rename(csv.string() + ".part", csv);
  std::filesystem::rename(bin.string() + ".part", bin);
}

struct Model {
  std::string name;
  AttributionModel model;
  int order;
  double csv_target;  // journeys/s (0: none)
  double bin_target;
};

// Runs one job in this (child) process (RunAttributionJob, as `partnergraph attribute` and the
// server do); returns a checksum of the credits.
double RunJob(const std::filesystem::path& file, const Model& m, int threads) {
  AttributionJobSpec spec;
  spec.journeys_path = file.string();
  spec.options.model = m.model;
  spec.options.markov_order = m.order;
  spec.options.threads = threads;
  auto r = RunAttributionJob(spec);
  if (!r.ok()) Die(r.status());
  const AttributionResult& credits = r->by_channel;
  if (m.model == AttributionModel::kShapley && !credits.shapley->exact) {
    Die(Status::Internal("Shapley was not exact"));
  }
  return credits.totals[0].conversions + 1e-9 * static_cast<double>(credits.paths);
}

// The baseline: read the file and count its records.
double Scan(const std::filesystem::path& file) {
  std::FILE* f = std::fopen(file.c_str(), "rb");
  std::vector<char> buf(8u << 20);
  std::uint64_t lines = 0;
  std::size_t got;
  while ((got = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
    for (const char* p = buf.data(); (p = static_cast<const char*>(
                                          std::memchr(p, '\n', buf.data() + got - p)));
         ++p) {
      ++lines;
    }
  }
  std::fclose(f);
  return static_cast<double>(lines);
}

struct Measure {
  double seconds = 0;
  double cpu_seconds = 0;  // user + system of the child
  double rss_mb = 0;
  double checksum = 0;
};

template <typename Fn>
Measure InChild(Fn&& fn) {
  int fds[2];
  if (pipe(fds) != 0) Die(Status::Internal("pipe failed"));
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    const double t0 = Now();
    const double checksum = fn();
    const double out[2] = {Now() - t0, checksum};
    if (write(fds[1], out, sizeof out) != sizeof out) _exit(3);
    _exit(0);
  }
  close(fds[1]);
  double in[2] = {0, 0};
  const bool got = read(fds[0], in, sizeof in) == sizeof in;
  close(fds[0]);
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  if (!got || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    Die(Status::Internal("a benchmark child failed"));
  }
  const double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                     1e-6 * static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
  return {in[0], cpu, static_cast<double>(usage.ru_maxrss) / 1024.0, in[1]};
}

// A row of the table: the fastest of the iterations of one benchmark.
struct Row {
  Measure fastest;
  bool ran = false;
};

// The journeys files, the benchmarks (a scan and the models, per size and source) and the rows
// of those that ran, for the table.
class AttributionBench {
 public:
  struct Args {
    std::filesystem::path dir = std::filesystem::temp_directory_path() / "pg_attribution_bench";
    std::vector<std::uint64_t> sizes = {1'000'000, 10'000'000};
    int threads = 2;
    int repeat = 1;
    std::vector<std::string> models;  // empty: all
  };

  explicit AttributionBench(const Args& args) : args_(args) {}

  // Writes the journeys files that are missing and registers the benchmarks.
  int Setup() {
    std::error_code error;
    std::filesystem::create_directories(args_.dir, error);
    if (error) {
      std::fprintf(
          stderr, "attribution_bench: %s\n",
          fmt::format("{}: cannot create the folder: {}", args_.dir.string(), error.message())
              .c_str());
      return 1;
    }
    for (const std::string& name : args_.models) {
      if (std::none_of(kModels.begin(), kModels.end(),
                       [&](const Model& m) { return m.name == name; })) {
        std::fprintf(stderr, "attribution_bench: --models: unknown model \"%s\"\n", name.c_str());
        return 2;
      }
    }
    for (std::uint64_t n : args_.sizes) {
      const auto csv = File(n, false);
      const auto bin = File(n, true);
      if (!std::filesystem::exists(csv) || !std::filesystem::exists(bin)) {
        const double t0 = Now();
        Generate(n, csv, bin);
        std::printf("generated %llu journeys in %.1f s: %s (%.0f MB), %s (%.0f MB)\n",
                    static_cast<unsigned long long>(n), Now() - t0, csv.filename().c_str(),
                    static_cast<double>(std::filesystem::file_size(csv)) / 1e6,
                    bin.filename().c_str(),
                    static_cast<double>(std::filesystem::file_size(bin)) / 1e6);
      }
      for (const bool binary : {false, true}) {
        Register(n, binary, nullptr);
        for (const Model& m : kModels) {
          if (args_.models.empty() ||
              std::find(args_.models.begin(), args_.models.end(), m.name) != args_.models.end()) {
            Register(n, binary, &m);
          }
        }
      }
    }
    std::fflush(stdout);
    return 0;
  }

  int PrintTable() const {
    std::printf("\nthreads %d, fastest of %d run(s), files in %s\n", args_.threads, args_.repeat,
                args_.dir.c_str());
    std::printf("%-6s %-11s %-15s %8s %12s %8s %14s %7s %8s %s\n", "source", "journeys", "model",
                "wall s", "journeys/s", "cpu s", "j/s per core", "x scan", "RSS MB",
                "target (wall)");
    for (std::uint64_t n : args_.sizes) {
      for (const bool binary : {false, true}) {
        const char* source = binary ? "binary" : "csv";
        const auto scan = rows_.find(Name(n, binary, nullptr));
        if (scan != rows_.end())
          PrintRow(source, n, "(scan)", scan->second.fastest, "1.00", "baseline");
        for (const Model& m : kModels) {
          const auto it = rows_.find(Name(n, binary, &m));
          if (it == rows_.end()) continue;
          const Measure& r = it->second.fastest;
          const std::string ratio =
              scan == rows_.end() ? "-"
                                  : fmt::format("{:.2f}", r.seconds / scan->second.fastest.seconds);
          PrintRow(source, n, m.name.c_str(), r, ratio, Verdict(n, binary, m, r));
        }
      }
    }
    return 0;
  }

 private:
  static inline const std::vector<Model> kModels = {
      {"first-touch", AttributionModel::kFirstTouch, 1, 2e6, 0},
      {"last-touch", AttributionModel::kLastTouch, 1, 2e6, 0},
      {"linear", AttributionModel::kLinear, 1, 2e6, 0},
      {"time-decay", AttributionModel::kTimeDecay, 1, 2e6, 0},
      {"position-based", AttributionModel::kPositionBased, 1, 2e6, 0},
      {"markov1", AttributionModel::kMarkov, 1, 2e6, 50e6},
      {"markov2", AttributionModel::kMarkov, 2, 2e6, 0},
      {"markov3", AttributionModel::kMarkov, 3, 0, 0},
      {"markov4", AttributionModel::kMarkov, 4, 0, 0},
      {"shapley", AttributionModel::kShapley, 1, 0, 0},
  };

  std::filesystem::path File(std::uint64_t n, bool binary) const {
    return args_.dir / fmt::format("journeys_{}.{}", n, binary ? "pgj" : "csv");
  }

  static std::string Name(std::uint64_t n, bool binary, const Model* m) {
    return fmt::format("{}/{}/journeys:{}", m ? m->name : "scan", binary ? "binary" : "csv", n);
  }

  // The benchmark of model `m` (nullptr: the scan) on the file of n journeys.
  void Register(std::uint64_t n, bool binary, const Model* m) {
    const std::string name = Name(n, binary, m);
    benchmark::RegisterBenchmark(
        name.c_str(),
        [this, n, binary, m, name](benchmark::State& s) { Run(s, n, binary, m, name); })
        ->Iterations(args_.repeat)
        ->UseManualTime()
        ->Unit(benchmark::kSecond);
  }

  void Run(benchmark::State& state, std::uint64_t n, bool binary, const Model* m,
           const std::string& name) {
    const auto file = File(n, binary);
    const int threads = args_.threads;
    Row row;
    for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores): the benchmark loop
      const Measure r = m ? InChild([&] { return RunJob(file, *m, threads); })
                          : InChild([&] { return Scan(file); });
      state.SetIterationTime(r.seconds);
      if (!row.ran || r.seconds < row.fastest.seconds) row.fastest = r;
      row.ran = true;
    }
    const double journeys = static_cast<double>(n);
    state.counters["journeys/s"] = benchmark::Counter(
        journeys * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    state.counters["best_s"] = row.fastest.seconds;
    state.counters["cpu_s"] = row.fastest.cpu_seconds;
    state.counters["rss_mb"] = row.fastest.rss_mb;
    if (const auto scan = rows_.find(Name(n, binary, nullptr)); m && scan != rows_.end()) {
      state.counters["x_scan"] = row.fastest.seconds / scan->second.fastest.seconds;
    }
    rows_[name] = row;
  }

  // The row's target check ("PASS >= 2M/s"), empty when the model has no target there.
  static std::string Verdict(std::uint64_t n, bool binary, const Model& m, const Measure& r) {
    const double rate = static_cast<double>(n) / r.seconds;
    const double target = binary ? m.bin_target : m.csv_target;
    std::string verdict;
    if (target > 0) {
      verdict = fmt::format("{} {:.0f}M/s", rate >= target ? "PASS >=" : "FAIL <", target / 1e6);
    }
    if (m.model == AttributionModel::kShapley && n >= 10'000'000) {
      verdict = (r.seconds < 5 ? "PASS < 5 s" : "FAIL >= 5 s") + std::string(" (exact, 12 ch)");
    }
    return verdict;
  }

  static void PrintRow(const char* source, std::uint64_t n, const char* model, const Measure& r,
                       const std::string& ratio, const std::string& verdict) {
    std::printf("%-6s %-11llu %-15s %8.3f %12.0f %8.3f %14.0f %7s %8.1f %s\n", source,
                static_cast<unsigned long long>(n), model, r.seconds,
                static_cast<double>(n) / r.seconds, r.cpu_seconds,
                static_cast<double>(n) / r.cpu_seconds, ratio.c_str(), r.rss_mb, verdict.c_str());
  }

  const Args& args_;
  std::map<std::string, Row> rows_;  // by benchmark name
};

}  // namespace

int main(int argc, char** argv) {
  AttributionBench::Args args;
  std::unique_ptr<AttributionBench> runner;
  return bench::RunBenchmarkMain(
      argc, argv, "attribution_bench: journeys/s of every attribution model, CSV and binary input",
      [&](CLI::App& app) {
        app.add_option("--dir", args.dir,
                       "Folder of the journeys files (written once, then reused)")
            ->capture_default_str();
        app.add_option("--sizes", args.sizes, "Journey counts, comma-separated")
            ->delimiter(',')
            ->check(bench::kPositive)
            ->capture_default_str();
        app.add_option("--threads", args.threads, "Workers of each attribution job")
            ->check(bench::kPositive)
            ->capture_default_str();
        app.add_option("--repeat", args.repeat, "Runs per row (the fastest is shown)")
            ->check(bench::kPositive)
            ->capture_default_str();
        app.add_option("--models", args.models, "Models to run, comma-separated (default: all)")
            ->delimiter(',');
      },
      [&] {
        runner = std::make_unique<AttributionBench>(args);
        return runner->Setup();
      },
      [&] { return runner->PrintTable(); });
}
