#include "partnergraph/attribution/shapley.hpp"

#include <fmt/format.h>
#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <string>
#include <unordered_map>

#include "parallel.hpp"
#include "partnergraph/common/splitmix64.hpp"

namespace partnergraph {
namespace {

// Uniform in [0, bound) without bias: rejects the few draws below 2^64 mod bound.
std::uint64_t Uniform(std::uint64_t& state, std::uint64_t bound) {
  const std::uint64_t threshold = (0 - bound) % bound;
  while (true) {
    const std::uint64_t x = SplitMix64Next(state);
    if (x >= threshold) return x % bound;
  }
}

constexpr std::uint32_t kNoPlayer = 0xFFFFFFFFu;

bool HasWeight(const CoalitionWeights& w, std::size_t i) {
  return w.conversions[i] > 0 || w.value[i] > 0;
}

}  // namespace

CoalitionWeights CollectCoalitions(const JourneyTable& table,
                                   std::vector<std::uint32_t>* set_of_path) {
  CoalitionWeights out;
  out.key_count = table.keys.size();
  std::unordered_map<std::u32string, std::uint32_t> index;
  std::vector<std::uint32_t> ids;
  std::u32string key;
  if (set_of_path) set_of_path->assign(table.path_count(), 0);
  for (std::size_t i = 0; i < table.path_count(); ++i) {
    auto path = table.path(i);
    ids.assign(path.begin(), path.end());
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    key.assign(ids.begin(), ids.end());
    auto [it, inserted] = index.try_emplace(key, static_cast<std::uint32_t>(out.set_count()));
    if (inserted) {
      out.members.insert(out.members.end(), ids.begin(), ids.end());
      out.offsets.push_back(out.members.size());
      out.conversions.push_back(0);
      out.value.push_back(0);
    }
    out.conversions[it->second] += table.conversions[i];
    out.value[it->second] += table.value[i];
    if (set_of_path) (*set_of_path)[i] = it->second;
  }
  return out;
}

Result<ShapleyValues> ComputeShapley(const CoalitionWeights& w, const AttributionOptions& options) {
  PG_RETURN_IF_ERROR(ValidateAttributionOptions(options));
  const std::size_t sets = w.set_count();
  if (w.offsets.size() != sets + 1 || w.value.size() != sets ||
      w.offsets.back() != w.members.size()) {
    return Status::InvalidArgument("Shapley: coalition weights are inconsistent");
  }
  for (std::size_t i = 0; i < sets; ++i) {
    auto s = w.set(i);
    if (s.empty()) return Status::InvalidArgument(fmt::format("Shapley: set {} is empty", i));
    for (std::size_t j = 0; j < s.size(); ++j) {
      if (s[j] >= w.key_count || (j > 0 && s[j] <= s[j - 1])) {
        return Status::InvalidArgument(
            fmt::format("Shapley: set {} is not ascending, distinct and within the keys", i));
      }
    }
  }

  ShapleyValues out;
  out.conversions.assign(w.key_count, 0.0);
  out.value.assign(w.key_count, 0.0);
  out.conversions_bound.assign(w.key_count, 0.0);
  out.value_bound.assign(w.key_count, 0.0);
  out.member_shares.assign(w.members.size(), 0.0);
  for (std::size_t i = 0; i < sets; ++i) {
    const double share = 1.0 / static_cast<double>(w.set(i).size());
    for (std::uint64_t k = w.offsets[i]; k < w.offsets[i + 1]; ++k) out.member_shares[k] = share;
  }

  // The players: keys in a set that carries weight, numbered 0..n-1.
  std::vector<std::uint32_t> player_of(w.key_count, kNoPlayer);
  std::vector<std::uint32_t> players;
  for (std::size_t i = 0; i < sets; ++i) {
    if (!HasWeight(w, i)) continue;
    for (std::uint32_t k : w.set(i)) {
      if (player_of[k] == kNoPlayer) {
        player_of[k] = static_cast<std::uint32_t>(players.size());
        players.push_back(k);
      }
    }
  }
  const std::size_t n = players.size();
  out.players = n;
  if (n == 0) return out;

  if (n <= static_cast<std::size_t>(options.shapley_max_exact_channels)) {
    out.exact = true;
    const std::size_t full = std::size_t{1} << n;
    std::vector<double> vc(full, 0.0), vv(full, 0.0);
    for (std::size_t i = 0; i < sets; ++i) {
      if (!HasWeight(w, i)) continue;
      std::size_t mask = 0;
      for (std::uint32_t k : w.set(i)) mask |= std::size_t{1} << player_of[k];
      vc[mask] += w.conversions[i];
      vv[mask] += w.value[i];
    }
    // Subset-sum (zeta) transform: v(S) = sum of f(T) over T subset of S.
    for (std::size_t b = 0; b < n; ++b) {
      const std::size_t bit = std::size_t{1} << b;
      for (std::size_t mask = 0; mask < full; ++mask) {
        if (mask & bit) {
          vc[mask] += vc[mask ^ bit];
          vv[mask] += vv[mask ^ bit];
        }
      }
    }
    // weight[s] = s! (n-s-1)! / n! = 1 / (n × C(n-1, s))
    std::vector<double> weight(n);
    double binom = 1.0;  // C(n-1, s)
    for (std::size_t s = 0; s < n; ++s) {
      weight[s] = 1.0 / (static_cast<double>(n) * binom);
      binom = binom * static_cast<double>(n - 1 - s) / static_cast<double>(s + 1);
    }
    std::vector<double> pc(n, 0.0), pv(n, 0.0);
    for (std::size_t mask = 0; mask + 1 < full; ++mask) {  // the full coalition has no c outside
      const double ws = weight[std::popcount(mask)];
      for (std::size_t c = 0; c < n; ++c) {
        const std::size_t bit = std::size_t{1} << c;
        if (mask & bit) continue;
        pc[c] += ws * (vc[mask | bit] - vc[mask]);
        pv[c] += ws * (vv[mask | bit] - vv[mask]);
      }
    }
    for (std::size_t c = 0; c < n; ++c) {
      out.conversions[players[c]] = pc[c];
      out.value[players[c]] = pv[c];
    }
    return out;
  }

  // Sampled: count, per set member, the orders in which it comes last.
  out.exact = false;
  out.samples = options.shapley_samples;
  std::vector<std::uint32_t> weighted_sets;
  for (std::size_t i = 0; i < sets; ++i) {
    if (HasWeight(w, i)) weighted_sets.push_back(static_cast<std::uint32_t>(i));
  }
  tbb::enumerable_thread_specific<std::vector<std::uint64_t>> last_counts(
      [&] { return std::vector<std::uint64_t>(w.members.size(), 0); });
  constexpr std::uint64_t kBlock = 16;
  const std::uint64_t blocks = (options.shapley_samples + kBlock - 1) / kBlock;
  attribution_internal::RunInArena(options.threads, [&] {
    tbb::parallel_for(std::uint64_t{0}, blocks, [&](std::uint64_t b) {
      auto& counts = last_counts.local();
      std::vector<std::uint32_t> perm(n), pos(n);
      const std::uint64_t end = std::min(options.shapley_samples, (b + 1) * kBlock);
      for (std::uint64_t sample = b * kBlock; sample < end; ++sample) {
        std::uint64_t state = options.shapley_seed ^ (sample * 0xD1B54A32D192ED03ull);
        SplitMix64Next(state);
        for (std::uint32_t i = 0; i < n; ++i) perm[i] = i;
        for (std::size_t i = n - 1; i > 0; --i) std::swap(perm[i], perm[Uniform(state, i + 1)]);
        for (std::uint32_t i = 0; i < n; ++i) pos[perm[i]] = i;
        for (std::uint32_t set : weighted_sets) {
          std::uint64_t best = w.offsets[set];
          std::uint32_t best_pos = pos[player_of[w.members[best]]];
          for (std::uint64_t k = best + 1; k < w.offsets[set + 1]; ++k) {
            const std::uint32_t p = pos[player_of[w.members[k]]];
            if (p > best_pos) {
              best_pos = p;
              best = k;
            }
          }
          ++counts[best];
        }
      }
    });
  });
  std::vector<std::uint64_t> total(w.members.size(), 0);
  for (const auto& counts : last_counts) {
    for (std::size_t k = 0; k < total.size(); ++k) total[k] += counts[k];
  }
  const double m = static_cast<double>(options.shapley_samples);
  std::vector<double> range_c(w.key_count, 0.0), range_v(w.key_count, 0.0);
  for (std::uint32_t set : weighted_sets) {
    for (std::uint64_t k = w.offsets[set]; k < w.offsets[set + 1]; ++k) {
      const std::uint32_t key = w.members[k];
      out.member_shares[k] = static_cast<double>(total[k]) / m;
      out.conversions[key] += w.conversions[set] * out.member_shares[k];
      out.value[key] += w.value[set] * out.member_shares[k];
      range_c[key] += w.conversions[set];
      range_v[key] += w.value[set];
    }
  }
  const double delta = 1.0 - options.shapley_confidence;
  const double half_width =
      std::sqrt(std::log(2.0 * static_cast<double>(n) / delta) / (2.0 * m));
  for (std::size_t k = 0; k < w.key_count; ++k) {
    out.conversions_bound[k] = range_c[k] * half_width;
    out.value_bound[k] = range_v[k] * half_width;
  }
  return out;
}

}  // namespace partnergraph
