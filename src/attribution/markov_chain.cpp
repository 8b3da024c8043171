#include "partnergraph/attribution/markov_chain.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <unordered_map>
#include <utility>

namespace partnergraph {
namespace {

struct TupleHash {
  std::size_t operator()(const std::array<std::uint32_t, MarkovChain::kMaxOrder>& t) const {
    std::uint64_t h = 0x9E3779B97F4A7C15ull;
    for (std::uint32_t v : t) {
      h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
      h *= 0xBF58476D1CE4E5B9ull;
    }
    return static_cast<std::size_t>(h ^ (h >> 31));
  }
};

std::uint64_t EdgeKey(std::uint32_t from, std::uint32_t to) {
  return (static_cast<std::uint64_t>(from) << 32) | to;
}

// Solves A x = b in place (A row-major m × m, b size m) by Gaussian
// elimination with partial pivoting. A is nonsingular here (I - Q^T of a
// transient block).
void DenseSolve(std::vector<double>& a, std::vector<double>& b, std::size_t m) {
  for (std::size_t col = 0; col < m; ++col) {
    std::size_t pivot = col;
    double best = std::fabs(a[col * m + col]);
    for (std::size_t r = col + 1; r < m; ++r) {
      double v = std::fabs(a[r * m + col]);
      if (v > best) {
        best = v;
        pivot = r;
      }
    }
    if (pivot != col) {
      for (std::size_t c = col; c < m; ++c) std::swap(a[col * m + c], a[pivot * m + c]);
      std::swap(b[col], b[pivot]);
    }
    const double diag = a[col * m + col];
    for (std::size_t r = col + 1; r < m; ++r) {
      double f = a[r * m + col] / diag;
      if (f == 0.0) continue;
      a[r * m + col] = 0.0;
      for (std::size_t c = col + 1; c < m; ++c) a[r * m + c] -= f * a[col * m + c];
      b[r] -= f * b[col];
    }
  }
  for (std::size_t i = m; i-- > 0;) {
    double s = b[i];
    for (std::size_t c = i + 1; c < m; ++c) s -= a[i * m + c] * b[c];
    b[i] = s / a[i * m + i];
  }
}

}  // namespace

void MarkovSolveStats::Combine(const MarkovSolveStats& o) {
  blocks += o.blocks;
  dense_blocks += o.dense_blocks;
  iterative_blocks += o.iterative_blocks;
  largest_block = std::max(largest_block, o.largest_block);
  sweeps += o.sweeps;
  max_relative_residual = std::max(max_relative_residual, o.max_relative_residual);
}

Result<MarkovChain> MarkovChain::Build(const JourneyTable& table, int order) {
  if (order < 1 || order > kMaxOrder) {
    return Status::InvalidArgument(fmt::format("Markov order {}: must be 1..4", order));
  }
  PG_RETURN_IF_ERROR(table.Validate());
  MarkovChain chain;
  chain.order_ = order;
  std::unordered_map<StateTuple, std::uint32_t, TupleHash> index;
  StateTuple start;
  start.fill(kNoKey);
  index.emplace(start, 0);
  chain.tuples_.push_back(start);
  chain.sizes_.push_back(0);
  chain.out_total_.push_back(0);
  chain.conversions_.push_back(0);
  chain.value_.push_back(0);
  chain.nulls_.push_back(0);
  std::unordered_map<std::uint64_t, double> edges;
  std::unordered_map<std::uint64_t, std::pair<double, double>> sku_rewards;
  std::vector<std::uint64_t> edge_order;  // first-seen order of edges, for a stable build
  std::vector<std::uint64_t> reward_order;

  for (std::size_t i = 0; i < table.path_count(); ++i) {
    const double journeys = table.conversions[i] + table.nulls[i];
    if (journeys <= 0) continue;
    std::uint32_t prev = 0;
    StateTuple window = start;
    std::size_t filled = 0;
    for (std::uint32_t key : table.path(i)) {
      if (filled < static_cast<std::size_t>(order)) {
        window[filled++] = key;
      } else {
        for (int j = 0; j + 1 < order; ++j) window[j] = window[j + 1];
        window[order - 1] = key;
      }
      auto [it, inserted] = index.try_emplace(window, static_cast<std::uint32_t>(chain.tuples_.size()));
      if (inserted) {
        chain.tuples_.push_back(window);
        chain.sizes_.push_back(static_cast<std::uint8_t>(filled));
        chain.out_total_.push_back(0);
        chain.conversions_.push_back(0);
        chain.value_.push_back(0);
        chain.nulls_.push_back(0);
      }
      const std::uint32_t state = it->second;
      auto [eit, enew] = edges.try_emplace(EdgeKey(prev, state), 0.0);
      if (enew) edge_order.push_back(eit->first);
      eit->second += journeys;
      chain.out_total_[prev] += journeys;
      prev = state;
    }
    chain.out_total_[prev] += journeys;
    chain.conversions_[prev] += table.conversions[i];
    chain.value_[prev] += table.value[i];
    chain.nulls_[prev] += table.nulls[i];
    for (const SkuShare& share : table.path_skus(i)) {
      auto [rit, rnew] = sku_rewards.try_emplace(EdgeKey(prev, share.sku), 0.0, 0.0);
      if (rnew) reward_order.push_back(rit->first);
      rit->second.first += share.conversions;
      rit->second.second += share.value;
    }
  }

  std::sort(edge_order.begin(), edge_order.end());
  const std::size_t n = chain.tuples_.size();
  chain.edge_offsets_.assign(n + 1, 0);
  for (std::uint64_t key : edge_order) ++chain.edge_offsets_[(key >> 32) + 1];
  for (std::size_t s = 0; s < n; ++s) chain.edge_offsets_[s + 1] += chain.edge_offsets_[s];
  chain.edge_to_.reserve(edge_order.size());
  chain.edge_count_.reserve(edge_order.size());
  for (std::uint64_t key : edge_order) {  // sorted by (from, to): rows come out in CSR order
    chain.edge_to_.push_back(static_cast<std::uint32_t>(key & 0xFFFFFFFFu));
    chain.edge_count_.push_back(edges.at(key));
  }
  std::sort(reward_order.begin(), reward_order.end());
  for (std::uint64_t key : reward_order) {
    const auto& [c, v] = sku_rewards.at(key);
    chain.sku_rewards_.push_back({static_cast<std::uint32_t>(key >> 32),
                                  static_cast<std::uint32_t>(key & 0xFFFFFFFFu), c, v});
  }
  return chain;
}

MarkovChain MarkovChain::FromOrder1Counts(std::size_t key_count, std::span<const double> counts,
                                          std::span<const double> values) {
  const std::size_t n = key_count;
  const std::size_t cols = n + 2;
  assert(counts.size() == (n + 1) * cols && values.size() == n);
  MarkovChain chain;
  chain.order_ = 1;
  std::vector<std::uint32_t> state_of(n, kNoKey);
  StateTuple start;
  start.fill(kNoKey);
  chain.tuples_.push_back(start);
  chain.sizes_.push_back(0);
  for (std::size_t c = 0; c < n; ++c) {
    double in = 0;
    for (std::size_t r = 0; r <= n; ++r) in += counts[r * cols + c];
    if (in <= 0) continue;
    state_of[c] = static_cast<std::uint32_t>(chain.tuples_.size());
    StateTuple t = start;
    t[0] = static_cast<std::uint32_t>(c);
    chain.tuples_.push_back(t);
    chain.sizes_.push_back(1);
  }
  const std::size_t states = chain.tuples_.size();
  chain.out_total_.assign(states, 0);
  chain.conversions_.assign(states, 0);
  chain.value_.assign(states, 0);
  chain.nulls_.assign(states, 0);
  chain.edge_offsets_.assign(states + 1, 0);
  for (std::size_t r = 0; r <= n; ++r) {
    const std::uint32_t from = r == 0 ? 0 : state_of[r - 1];
    if (from == kNoKey) continue;
    double total = 0;
    for (std::size_t c = 0; c < n; ++c) {
      const double cnt = counts[r * cols + c];
      assert(std::isfinite(cnt) && cnt >= 0);
      if (cnt <= 0) continue;
      chain.edge_to_.push_back(state_of[c]);
      chain.edge_count_.push_back(cnt);
      total += cnt;
    }
    chain.edge_offsets_[from + 1] = chain.edge_to_.size();
    chain.conversions_[from] = counts[r * cols + n];
    chain.nulls_[from] = counts[r * cols + n + 1];
    chain.value_[from] = r == 0 ? 0.0 : values[r - 1];
    chain.out_total_[from] = total + chain.conversions_[from] + chain.nulls_[from];
  }
  return chain;
}

std::span<const std::uint32_t> MarkovChain::state_keys(std::size_t s) const {
  return {tuples_[s].data(), sizes_[s]};
}

std::string MarkovChain::StateName(std::uint32_t state,
                                   const std::vector<std::string>& key_names) const {
  if (state == kConversionState) return "(conversion)";
  if (state == kNullState) return "(null)";
  if (state == 0) return "(start)";
  std::string name;
  for (std::uint32_t k : state_keys(state)) {
    if (!name.empty()) name += " > ";
    name += k < key_names.size() ? key_names[k] : fmt::format("#{}", k);
  }
  return name;
}

double MarkovChain::total_conversions() const {
  double s = 0;
  for (double v : conversions_) s += v;
  return s;
}

double MarkovChain::total_value() const {
  double s = 0;
  for (double v : value_) s += v;
  return s;
}

std::vector<MarkovChain::Transition> MarkovChain::Transitions() const {
  std::vector<Transition> out;
  for (std::uint32_t s = 0; s < state_count(); ++s) {
    for (std::uint64_t e = edge_offsets_[s]; e < edge_offsets_[s + 1]; ++e) {
      out.push_back({s, edge_to_[e], edge_count_[e]});
    }
    if (conversions_[s] > 0) out.push_back({s, kConversionState, conversions_[s]});
    if (nulls_[s] > 0) out.push_back({s, kNullState, nulls_[s]});
  }
  return out;
}

bool MarkovChain::StateContains(std::size_t s, std::uint32_t key) const {
  for (std::uint8_t i = 0; i < sizes_[s]; ++i) {
    if (tuples_[s][i] == key) return true;
  }
  return false;
}

double MarkovChain::ConversionProbability(std::span<const double> visits) const {
  double p = 0;
  for (std::size_t s = 0; s < state_count(); ++s) {
    if (visits[s] != 0 && conversions_[s] != 0) p += visits[s] * conversions_[s] / out_total_[s];
  }
  return p;
}

double MarkovChain::ExpectedValue(std::span<const double> visits) const {
  double p = 0;
  for (std::size_t s = 0; s < state_count(); ++s) {
    if (visits[s] != 0 && value_[s] != 0) p += visits[s] * value_[s] / out_total_[s];
  }
  return p;
}

Result<std::vector<double>> MarkovChain::ExpectedVisits(std::uint32_t removed,
                                                        const AttributionOptions& options,
                                                        MarkovSolveStats* stats_out) const {
  const std::size_t n = state_count();
  std::vector<double> u(n, 0.0);
  MarkovSolveStats stats;
  if (n == 0 || out_total_[0] <= 0) {
    if (stats_out) *stats_out = stats;
    return u;
  }
  std::vector<char> gone(n, 0);
  if (removed != kNoKey) {
    for (std::size_t s = 1; s < n; ++s) gone[s] = StateContains(s, removed) ? 1 : 0;
  }
  auto prob = [&](std::uint64_t e, std::size_t from) { return edge_count_[e] / out_total_[from]; };

  // Tarjan's strongly connected components, iteratively, from (start).
  constexpr std::uint32_t kUnvisited = kNoKey;
  std::vector<std::uint32_t> order_index(n, kUnvisited), low(n, 0);
  std::vector<char> on_stack(n, 0);
  std::vector<std::uint32_t> stack;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> call;  // (state, next edge)
  std::vector<std::vector<std::uint32_t>> components;        // sinks first
  std::uint32_t counter = 0;
  auto visit = [&](std::uint32_t v) {
    order_index[v] = low[v] = counter++;
    stack.push_back(v);
    on_stack[v] = 1;
    call.emplace_back(v, edge_offsets_[v]);
  };
  visit(0);
  while (!call.empty()) {
    auto& [v, e] = call.back();
    if (e < edge_offsets_[v + 1]) {
      const std::uint32_t w = edge_to_[e++];
      if (gone[w]) continue;
      if (order_index[w] == kUnvisited) {
        visit(w);
      } else if (on_stack[w]) {
        low[v] = std::min(low[v], order_index[w]);
      }
      continue;
    }
    const std::uint32_t done = v;
    call.pop_back();
    if (!call.empty()) low[call.back().first] = std::min(low[call.back().first], low[done]);
    if (low[done] == order_index[done]) {
      std::vector<std::uint32_t> comp;
      std::uint32_t w;
      do {
        w = stack.back();
        stack.pop_back();
        on_stack[w] = 0;
        comp.push_back(w);
      } while (w != done);
      std::sort(comp.begin(), comp.end(),
                [&](std::uint32_t a, std::uint32_t b) { return order_index[a] < order_index[b]; });
      components.push_back(std::move(comp));
    }
  }

  std::vector<double> inflow(n, 0.0);
  inflow[0] = 1.0;
  std::vector<std::uint32_t> comp_of(n, kNoKey);
  std::vector<std::uint32_t> local(n, 0);
  std::vector<double> self(n, 0.0);
  for (std::size_t ci = components.size(); ci-- > 0;) {
    const auto& comp = components[ci];
    const std::size_t m = comp.size();
    for (std::size_t j = 0; j < m; ++j) {
      comp_of[comp[j]] = static_cast<std::uint32_t>(ci);
      local[comp[j]] = static_cast<std::uint32_t>(j);
    }
    ++stats.blocks;
    stats.largest_block = std::max<std::uint64_t>(stats.largest_block, m);
    if (m == 1) {
      const std::uint32_t y = comp[0];
      double loop = 0;
      for (std::uint64_t e = edge_offsets_[y]; e < edge_offsets_[y + 1]; ++e) {
        if (edge_to_[e] == y) loop += prob(e, y);
      }
      u[y] = inflow[y] / (1.0 - loop);
    } else if (m <= options.markov_dense_block_limit) {
      ++stats.dense_blocks;
      // (I - Q_KK^T) u_K = inflow_K
      std::vector<double> a(m * m, 0.0), b(m);
      for (std::size_t j = 0; j < m; ++j) {
        a[j * m + j] = 1.0;
        b[j] = inflow[comp[j]];
      }
      for (std::size_t j = 0; j < m; ++j) {
        const std::uint32_t x = comp[j];
        for (std::uint64_t e = edge_offsets_[x]; e < edge_offsets_[x + 1]; ++e) {
          const std::uint32_t y = edge_to_[e];
          if (gone[y] || comp_of[y] != ci) continue;
          a[local[y] * m + j] -= prob(e, x);
        }
      }
      DenseSolve(a, b, m);
      for (std::size_t j = 0; j < m; ++j) u[comp[j]] = b[j];
    } else {
      ++stats.iterative_blocks;
      // In-edges within the block, self-loops apart.
      std::vector<std::uint64_t> in_off(m + 1, 0);
      for (std::uint32_t x : comp) {
        self[x] = 0;
        for (std::uint64_t e = edge_offsets_[x]; e < edge_offsets_[x + 1]; ++e) {
          const std::uint32_t y = edge_to_[e];
          if (gone[y] || comp_of[y] != ci) continue;
          if (y == x) {
            self[x] += prob(e, x);
          } else {
            ++in_off[local[y] + 1];
          }
        }
      }
      for (std::size_t j = 0; j < m; ++j) in_off[j + 1] += in_off[j];
      std::vector<std::uint32_t> in_from(in_off[m]);
      std::vector<double> in_q(in_off[m]);
      std::vector<std::uint64_t> fill(in_off.begin(), in_off.end() - 1);
      for (std::uint32_t x : comp) {
        for (std::uint64_t e = edge_offsets_[x]; e < edge_offsets_[x + 1]; ++e) {
          const std::uint32_t y = edge_to_[e];
          if (gone[y] || comp_of[y] != ci || y == x) continue;
          const std::uint64_t slot = fill[local[y]]++;
          in_from[slot] = x;
          in_q[slot] = prob(e, x);
        }
      }
      std::uint64_t sweeps = 0;
      while (true) {
        if (sweeps >= options.markov_max_sweeps) {
          return Status::Internal(
              fmt::format("Markov solve: a block of {} states did not converge in {} Gauss-Seidel "
                          "sweeps (raise markov_dense_block_limit or markov_max_sweeps)",
                          m, sweeps));
        }
        ++sweeps;
        double max_change = 0, max_u = 0;
        for (std::size_t j = 0; j < m; ++j) {
          const std::uint32_t y = comp[j];
          double s = inflow[y];
          for (std::uint64_t k = in_off[j]; k < in_off[j + 1]; ++k) s += u[in_from[k]] * in_q[k];
          s /= 1.0 - self[y];
          max_change = std::max(max_change, std::fabs(s - u[y]));
          max_u = std::max(max_u, s);
          u[y] = s;
        }
        if (max_change <= options.markov_tolerance * max_u) break;
      }
      stats.sweeps += sweeps;
    }
    // Push the block's flow to the blocks after it.
    for (std::uint32_t x : comp) {
      for (std::uint64_t e = edge_offsets_[x]; e < edge_offsets_[x + 1]; ++e) {
        const std::uint32_t y = edge_to_[e];
        if (gone[y] || comp_of[y] == ci) continue;
        inflow[y] += u[x] * prob(e, x);
      }
    }
  }

  // Residual of u = e_start + Q^T u over the solved states.
  std::vector<double> rhs(n, 0.0);
  rhs[0] = 1.0;
  double max_u = 0;
  for (std::size_t x = 0; x < n; ++x) {
    if (u[x] == 0) continue;
    max_u = std::max(max_u, u[x]);
    for (std::uint64_t e = edge_offsets_[x]; e < edge_offsets_[x + 1]; ++e) {
      const std::uint32_t y = edge_to_[e];
      if (!gone[y]) rhs[y] += u[x] * prob(e, x);
    }
  }
  double max_res = 0;
  for (std::size_t y = 0; y < n; ++y) {
    if (gone[y] || comp_of[y] == kNoKey) continue;
    max_res = std::max(max_res, std::fabs(u[y] - rhs[y]));
  }
  stats.max_relative_residual = max_u > 0 ? max_res / max_u : 0.0;
  if (stats_out) *stats_out = stats;
  return u;
}

}  // namespace partnergraph
