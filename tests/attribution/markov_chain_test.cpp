#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "attribution_test_util.hpp"
#include "partnergraph/attribution/markov_chain.hpp"
#include "test_paths.hpp"

using namespace partnergraph;
using namespace partnergraph::testing;

namespace {

// A small acyclic example:
//   a > b  1 conversion (value 10), 1 null   -> 2 journeys
//   b      1 conversion (value 5),  2 nulls  -> 3 journeys
//   a      0 conversions,           1 null   -> 1 journey
constexpr std::string_view kSmall = "a > b;1;10;1\nb;1;5;2\na;0;0;1\n";

AttributionResult RunMarkov(const JourneyTable& t, int order, AttributionOptions o = {}) {
  o.model = AttributionModel::kMarkov;
  o.markov_order = order;
  return RunOrFail(t, o);
}

// ---------------------------------------------------------------------------
// The independent reference: a deliberately simple DENSE absorbing-chain
// solve, sharing no code with the module. It reads the path file with
// std::getline, names states by the vector of their last k channel names, fills
// a dense count matrix over (start), the states, (conversion) and (null),
// turns rows into probabilities, and for each removed channel solves the
// absorption probabilities x (x_i = P(reach conversion | in state i)):
//     x_i = P(i -> conversion) + sum_j P(i -> j) x_j   for kept states,
//     x_i = 0                                          for removed states,
// by Gaussian elimination with partial pivoting on the full dense system.
// The removal effect is 1 - x_start(removed) / x_start. (The module instead
// solves the forward visit counts u = e_start + Q^T u on strongly connected
// blocks; both give P(conversion), by different routes.)
// ---------------------------------------------------------------------------
struct DenseReference {
  std::vector<std::string> channels;
  std::map<std::string, double> removal_effect;
  double conversion_probability = 0;
  double conversions = 0;
  double journeys = 0;
};

std::vector<double> GaussSolve(std::vector<std::vector<double>> a, std::vector<double> b) {
  const std::size_t n = b.size();
  for (std::size_t c = 0; c < n; ++c) {
    std::size_t p = c;
    for (std::size_t r = c + 1; r < n; ++r) {
      if (std::fabs(a[r][c]) > std::fabs(a[p][c])) p = r;
    }
    std::swap(a[c], a[p]);
    std::swap(b[c], b[p]);
    for (std::size_t r = 0; r < n; ++r) {
      if (r == c || a[r][c] == 0) continue;
      const double f = a[r][c] / a[c][c];
      for (std::size_t k = c; k < n; ++k) a[r][k] -= f * a[c][k];
      b[r] -= f * b[c];
    }
  }
  for (std::size_t i = 0; i < n; ++i) b[i] /= a[i][i];
  return b;
}

DenseReference ReferenceSolve(const std::filesystem::path& file, int order) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);  // header
  std::map<std::vector<std::string>, int> state_id;
  state_id[{}] = 0;  // (start)
  struct Row {
    std::vector<std::string> path;
    double conv, nulls;
  };
  std::vector<Row> rows;
  std::set<std::string> channel_set;
  while (std::getline(in, line)) {
    std::vector<std::string> fields;
    std::stringstream ss(line);
    std::string f;
    while (std::getline(ss, f, ';')) fields.push_back(f);
    Row row;
    std::string::size_type pos = 0;
    const std::string& p = fields[0];
    while (true) {
      auto next = p.find(" > ", pos);
      row.path.push_back(p.substr(pos, next == std::string::npos ? std::string::npos : next - pos));
      if (next == std::string::npos) break;
      pos = next + 3;
    }
    row.conv = std::stod(fields[1]);
    row.nulls = std::stod(fields[3]);
    for (const auto& c : row.path) channel_set.insert(c);
    rows.push_back(row);
  }
  auto state_of = [&](const std::vector<std::string>& path, std::size_t i) {
    std::size_t from = i + 1 >= static_cast<std::size_t>(order) ? i + 1 - order : 0;
    std::vector<std::string> key(path.begin() + static_cast<long>(from),
                                 path.begin() + static_cast<long>(i) + 1);
    auto it = state_id.find(key);
    if (it == state_id.end()) it = state_id.emplace(key, static_cast<int>(state_id.size())).first;
    return it->second;
  };
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.path.size(); ++i) state_of(row.path, i);
  }
  const std::size_t s = state_id.size();
  const std::size_t conv = s, null = s + 1, total = s + 2;
  std::vector<std::vector<double>> count(total, std::vector<double>(total, 0.0));
  DenseReference ref;
  for (const auto& row : rows) {
    const double j = row.conv + row.nulls;
    int prev = 0;
    for (std::size_t i = 0; i < row.path.size(); ++i) {
      int st = state_of(row.path, i);
      count[prev][st] += j;
      prev = st;
    }
    count[prev][conv] += row.conv;
    count[prev][null] += row.nulls;
    ref.conversions += row.conv;
    ref.journeys += j;
  }
  std::vector<std::vector<std::string>> names(s);
  for (const auto& [k, id] : state_id) names[id] = k;

  auto absorb = [&](const std::string& removed) {
    std::vector<std::vector<double>> a(s, std::vector<double>(s, 0.0));
    std::vector<double> b(s, 0.0);
    for (std::size_t i = 0; i < s; ++i) {
      a[i][i] = 1.0;
      bool gone = false;
      for (const auto& c : names[i]) gone |= c == removed;
      double out = 0;
      for (std::size_t j = 0; j < total; ++j) out += count[i][j];
      if (gone || out == 0) continue;  // x_i = 0
      for (std::size_t j = 0; j < s; ++j) a[i][j] -= count[i][j] / out;
      b[i] = count[i][conv] / out;
    }
    return GaussSolve(a, b)[0];
  };
  ref.conversion_probability = absorb("");
  ref.channels.assign(channel_set.begin(), channel_set.end());
  for (const auto& c : ref.channels) {
    ref.removal_effect[c] = 1.0 - absorb(c) / ref.conversion_probability;
  }
  return ref;
}

}  // namespace

TEST_CASE("Markov order 1: hand-computed removal effects", "[attribution]") {
  auto r = RunMarkov(ParseOrFail(kSmall), 1);
  // Transitions: start->a 3, start->b 3; a->b 2, a->null 1; b->conv 2, b->null 3.
  // P(conv) = 1/2 × 2/3 × 2/5 + 1/2 × 2/5 = 2/15 + 3/15 = 1/3 (= 2 conversions / 6 journeys)
  // Without a: only start->b->conv: 1/2 × 2/5 = 1/5 -> RE_a = 1 - (1/5)/(1/3) = 2/5
  // Without b: nothing converts -> RE_b = 1
  // Conversions 2 split 2/5 : 1 -> a = 2 × (2/5)/(7/5) = 4/7, b = 10/7.
  // Value: all 15 ends at b; E = u_b × 15/5 = 5/6 × 3 = 2.5; without a, u_b = 1/2 -> 1.5:
  // value RE_a = 1 - 1.5/2.5 = 0.4, RE_b = 1 -> a = 15 × 0.4/1.4 = 30/7, b = 75/7.
  REQUIRE(r.markov.has_value());
  CHECK(r.order == 1);
  CHECK(r.markov->conversion_probability == Approx(1.0 / 3).epsilon(0).margin(1e-15));
  CHECK(r.markov->value_per_journey == Approx(2.5).epsilon(0).margin(1e-15));
  CHECK(Credit(r, "a").removal_effect == Approx(0.4).epsilon(0).margin(1e-15));
  CHECK(Credit(r, "b").removal_effect == Approx(1.0).epsilon(0).margin(1e-15));
  CHECK(Credit(r, "a").conversions == Approx(4.0 / 7).epsilon(0).margin(1e-14));
  CHECK(Credit(r, "b").conversions == Approx(10.0 / 7).epsilon(0).margin(1e-14));
  CHECK(Credit(r, "a").value_removal_effect == Approx(0.4).epsilon(0).margin(1e-15));
  CHECK(Credit(r, "a").value == Approx(30.0 / 7).epsilon(0).margin(1e-13));
  CHECK(Credit(r, "b").value == Approx(75.0 / 7).epsilon(0).margin(1e-13));
  // The transition matrix: (start), a, b, then (conversion), (null).
  const auto& m = *r.markov;
  REQUIRE(m.state_names == std::vector<std::string>{"(start)", "a", "b"});
  REQUIRE(m.transitions.size() == 6);
  CHECK(m.transitions[0].from == 0);
  CHECK(m.transitions[0].to == 1);
  CHECK(m.transitions[0].count == 3);
  CHECK(m.transitions[0].probability == 0.5);
  CHECK(m.transitions[3].from == 1);
  CHECK(m.transitions[3].to == 4);  // a -> (null)
  CHECK(m.transitions[3].probability == Approx(1.0 / 3).epsilon(1e-12));
  CHECK(m.transitions[4].to == 3);  // b -> (conversion)
  CHECK(m.transitions[4].probability == Approx(0.4).epsilon(1e-12));
}

TEST_CASE("Markov order 2: states are the last two channels", "[attribution]") {
  auto r = RunMarkov(ParseOrFail(kSmall), 2);
  // States (a), (a,b), (b). start->(a) 3, start->(b) 3; (a)->(a,b) 2, (a)->null 1;
  // (a,b)->conv 1, ->null 1; (b)->conv 1, ->null 2.
  // P = 1/2 × 2/3 × 1/2 + 1/2 × 1/3 = 1/3.
  // Without a: (a) and (a,b) go to null: P = 1/6 -> RE_a = 1/2.  Without b: P = 0 -> RE_b = 1.
  // Conversions 2 split 1/2 : 1 -> a = 2/3, b = 4/3.
  CHECK(r.order == 2);
  CHECK(r.markov->state_names == std::vector<std::string>{"(start)", "a", "a > b", "b"});
  CHECK(Credit(r, "a").removal_effect == Approx(0.5).epsilon(0).margin(1e-15));
  CHECK(Credit(r, "b").removal_effect == Approx(1.0).epsilon(0).margin(1e-15));
  CHECK(Credit(r, "a").conversions == Approx(2.0 / 3).epsilon(0).margin(1e-14));
  CHECK(Credit(r, "b").conversions == Approx(4.0 / 3).epsilon(0).margin(1e-14));
  // Orders 3 and 4 have the same states here (no path is longer than 2).
  for (int k : {3, 4}) {
    auto rk = RunMarkov(ParseOrFail(kSmall), k);
    CHECK(Credit(rk, "a").removal_effect == Approx(0.5).epsilon(0).margin(1e-15));
  }
}

TEST_CASE("Markov: cycles and self-loops are solved exactly", "[attribution]") {
  // a loops on itself (a > a) and a, b form a cycle (b > a > b > a). Checked
  // against two facts rather than by hand: P(conv) equals conversions / journeys
  // = 3/5 (flow conservation), and the dense and the Gauss-Seidel solvers agree.
  auto t = ParseOrFail("a > a > b;1;1;0\nb > a;1;2;1\nb > a > b > a;0;0;1\na;1;1;0\n");
  auto dense = RunMarkov(t, 1);
  CHECK(dense.markov->conversion_probability == Approx(3.0 / 5).epsilon(0).margin(1e-15));
  AttributionOptions gs;
  gs.markov_dense_block_limit = 1;  // every block of 2+ states by Gauss-Seidel
  auto iter = RunMarkov(t, 1, gs);
  CHECK(iter.markov->solve.iterative_blocks > 0);
  CHECK(dense.markov->solve.dense_blocks > 0);
  for (const auto& key : {"a", "b"}) {
    CHECK(Credit(iter, key).removal_effect ==
          Approx(Credit(dense, key).removal_effect).epsilon(0).margin(1e-13));
  }
  CHECK(iter.markov->solve.max_relative_residual < 1e-13);
}

TEST_CASE("Markov: a channel in every path has removal effect 1", "[attribution]") {
  // hub is in every path, x only ever comes before it and y only after it, and
  // w only starts a null path: no route of the chain, at any order, reaches a
  // conversion without hub.
  auto t = ParseOrFail(
      "x > hub > y;3;30;2\nhub;1;1;4\nx > hub;2;2;2\nx > x > hub > y > y;1;5;1\nw;0;0;3\n");
  for (int k = 1; k <= 4; ++k) {
    auto r = RunMarkov(t, k);
    INFO("order " << k);
    CHECK(Credit(r, "hub").removal_effect == 1.0);
    CHECK(Credit(r, "hub").value_removal_effect == 1.0);
    CHECK(Credit(r, "w").removal_effect == 0.0);
    CHECK(SumConversions(r) == Approx(7).epsilon(0).margin(1e-12));
    CHECK(SumValue(r) == Approx(38).epsilon(0).margin(1e-12));
  }
}

TEST_CASE("Markov: low orders recombine path fragments, orders >= path length do not",
          "[attribution]") {
  // hub is in every path, but at order 1 the chain can go start -> y -> conversion
  // (y starts "y > hub" and converts after "x > hub > y"), so removing hub leaves
  // some conversion probability. From order 3 on (the longest path) a state is
  // the whole prefix, the chain is the tree of the paths, and RE_hub = 1.
  auto t = ParseOrFail("x > hub > y;3;30;2\nhub;1;1;4\ny > hub;2;2;2\nz > hub > z;0;0;3\n");
  CHECK(Credit(RunMarkov(t, 1), "hub").removal_effect < 0.8);
  CHECK(Credit(RunMarkov(t, 3), "hub").removal_effect == 1.0);
  CHECK(Credit(RunMarkov(t, 4), "hub").removal_effect == 1.0);
  CHECK(Credit(RunMarkov(t, 4), "z").removal_effect == 0.0);
}

TEST_CASE("Markov: one-channel paths", "[attribution]") {
  auto r = RunMarkov(ParseOrFail("solo;3;9;1\nsolo;1;1;5\n"), 1);
  CHECK(Credit(r, "solo").removal_effect == 1.0);
  CHECK(Credit(r, "solo").conversions == 4);
  CHECK(Credit(r, "solo").value == 10);
  CHECK(r.markov->conversion_probability == Approx(0.4).epsilon(1e-12));
}

TEST_CASE("Markov: without conversions every effect is 0", "[attribution]") {
  auto r = RunMarkov(ParseOrFail("a > b;0;0;3\n"), 2);
  CHECK(r.markov->conversion_probability == 0);
  CHECK(Credit(r, "a").removal_effect == 0);
  CHECK(Credit(r, "b").conversions == 0);
}

TEST_CASE("Markov: no-journey paths add no state", "[attribution]") {
  auto chain = MarkovChain::Build(ParseOrFail("a;0;0;0\nb;1;1;0\n"), 1);
  REQUIRE(chain.ok());
  CHECK(chain->state_count() == 2);  // (start), b
  CHECK(chain->journeys() == 1);
  CHECK_FALSE(MarkovChain::Build(ParseOrFail("a;1;1;0\n"), 0).ok());
}

TEST_CASE("Markov: Gauss-Seidel reports non-convergence as an error", "[attribution]") {
  auto t = ParseOrFail("a > b > a > b > a > b;1;1;0\nb > a;0;0;1\n");
  AttributionOptions o;
  o.model = AttributionModel::kMarkov;
  o.markov_dense_block_limit = 1;
  o.markov_max_sweeps = 1;
  auto r = RunAttribution(t, o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kInternal);
  CHECK_THAT(r.status().message(), Catch::Contains("did not converge"));
}

TEST_CASE("Markov removal effects on the ChannelAttribution sample match a dense solve",
          "[attribution]") {
  const auto file = SharedDatasets() / "attribution" / "channelattribution_Data.csv";
  PG_REQUIRE_SHARED_DATASET(file);
  auto table = ReadPathFile(file, {});
  REQUIRE(table.ok());
  for (int order : {1, 2}) {
    INFO("order " << order);
    const DenseReference ref = ReferenceSolve(file, order);
    REQUIRE(ref.channels.size() == 12);
    for (std::size_t dense_limit : {std::size_t{512}, std::size_t{1}}) {
      INFO("dense block limit " << dense_limit);
      AttributionOptions o;
      o.markov_dense_block_limit = dense_limit;  // 1: Gauss-Seidel on every cycle
      auto r = RunMarkov(*table, order, o);
      CHECK(r.markov->conversion_probability ==
            Approx(ref.conversion_probability).epsilon(0).margin(1e-12));
      CHECK(ref.conversion_probability == Approx(ref.conversions / ref.journeys).epsilon(0).margin(1e-12));
      for (const auto& c : ref.channels) {
        INFO("channel " << c);
        CHECK(std::fabs(Credit(r, c).removal_effect - ref.removal_effect.at(c)) <= 1e-9);
        CHECK(Credit(r, c).removal_effect > 0);
      }
      CHECK(SumConversions(r) == Approx(19785).epsilon(0).margin(1e-7));
      CHECK(SumValue(r) == Approx(74802.97158721084).epsilon(0).margin(1e-7));
    }
  }
}

TEST_CASE("Markov orders 3 and 4 run on the ChannelAttribution sample", "[attribution]") {
  const auto file = SharedDatasets() / "attribution" / "channelattribution_Data.csv";
  PG_REQUIRE_SHARED_DATASET(file);
  auto table = ReadPathFile(file, {});
  REQUIRE(table.ok());
  for (int order : {3, 4}) {
    auto r = RunMarkov(*table, order);
    INFO("order " << order << " states " << r.markov->state_names.size());
    CHECK(r.markov->conversion_probability == Approx(19785.0 / (19785 + 68602)).epsilon(0).margin(1e-12));
    CHECK(r.markov->solve.max_relative_residual < 1e-12);
    CHECK(SumConversions(r) == Approx(19785).epsilon(0).margin(1e-7));
  }
}
