#include "partnergraph/attribution/attribution.hpp"

#include <fmt/format.h>
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <span>
#include <unordered_map>
#include <utility>

#include "parallel.hpp"
#include "partnergraph/attribution/shapley.hpp"

namespace partnergraph {
namespace {

constexpr std::size_t kPathBlock = 4096;

std::uint64_t PairKey(std::uint32_t sku, std::uint32_t key) {
  return (static_cast<std::uint64_t>(sku) << 32) | key;
}

// Credits per (sku, key), summed in the order pairs are added.
struct PairCredits {
  std::unordered_map<std::uint64_t, std::pair<double, double>> sums;
  void Add(std::uint64_t pair, double conversions, double value) {
    auto& s = sums[pair];
    s.first += conversions;
    s.second += value;
  }
  std::vector<SkuKeyCredit> Sorted() const {
    std::vector<SkuKeyCredit> out;
    out.reserve(sums.size());
    for (const auto& [pair, s] : sums) {
      out.push_back({static_cast<std::uint32_t>(pair >> 32),
                     static_cast<std::uint32_t>(pair & 0xFFFFFFFFu), s.first, s.second, 0.0, 0.0});
    }
    std::sort(out.begin(), out.end(), [](const SkuKeyCredit& a, const SkuKeyCredit& b) {
      return a.sku != b.sku ? a.sku < b.sku : a.key < b.key;
    });
    return out;
  }
};

// The touch weights of one path under a heuristic model (they sum to 1).
void HeuristicWeights(const AttributionOptions& o, std::size_t n, std::span<const double> ages,
                      std::vector<double>& w) {
  w.assign(n, 0.0);
  switch (o.model) {
    case AttributionModel::kFirstTouch:
      w[0] = 1.0;
      return;
    case AttributionModel::kLastTouch:
      w[n - 1] = 1.0;
      return;
    case AttributionModel::kLinear:
      std::fill(w.begin(), w.end(), 1.0 / static_cast<double>(n));
      return;
    case AttributionModel::kTimeDecay: {
      double total = 0;
      if (!ages.empty() && !o.decay_by_touches) {
        // Relative to the youngest touch, so that old journeys do not underflow.
        const double youngest = *std::min_element(ages.begin(), ages.end());
        for (std::size_t i = 0; i < n; ++i) {
          w[i] = std::exp2(-(ages[i] - youngest) / o.half_life_seconds);
          total += w[i];
        }
      } else {
        for (std::size_t i = 0; i < n; ++i) {
          w[i] = std::exp2(-static_cast<double>(n - 1 - i) / o.half_life_touches);
          total += w[i];
        }
      }
      for (double& x : w) x /= total;
      return;
    }
    case AttributionModel::kPositionBased: {
      const double first = o.position_first_share;
      const double last = o.position_last_share;
      if (n == 1) {
        w[0] = 1.0;
      } else if (n == 2) {
        const double ends = first + last;
        w[0] = ends > 0 ? first / ends : 0.5;
        w[1] = ends > 0 ? last / ends : 0.5;
      } else {
        w[0] = first;
        w[n - 1] = last;
        const double middle = (1.0 - first - last) / static_cast<double>(n - 2);
        for (std::size_t i = 1; i + 1 < n; ++i) w[i] = middle;
      }
      return;
    }
    case AttributionModel::kMarkov:
    case AttributionModel::kShapley:
      break;
  }
}

void FillInputTotals(const JourneyTable& table, AttributionResult& r) {
  r.keys = table.keys;
  r.skus = table.skus;
  r.totals.assign(table.keys.size(), KeyCredit{});
  r.conversions = table.total_conversions();
  r.value = table.total_value();
  r.nulls = table.total_nulls();
  r.journeys = r.conversions + r.nulls;
  r.paths = table.path_count();
  r.input_rows = table.input_rows;
}

AttributionResult RunHeuristic(const JourneyTable& table, const AttributionOptions& o,
                               Progress* progress) {
  AttributionResult r;
  r.model = o.model;
  FillInputTotals(table, r);
  const std::size_t keys = table.keys.size();
  struct Acc {
    std::vector<double> conversions, value;
    PairCredits pairs;
    std::vector<std::uint64_t> pair_order;  // first-seen order within the block
  };
  PairCredits all_pairs;
  attribution_internal::RunInArena(o.threads, [&] {
    attribution_internal::OrderedBlockReduce<Acc>(
        table.path_count(), kPathBlock,
        [&] { return Acc{std::vector<double>(keys, 0.0), std::vector<double>(keys, 0.0), {}, {}}; },
        [&](Acc& acc, std::size_t begin, std::size_t end) {
          if (Cancelled(o)) return;
          std::vector<double> w;
          for (std::size_t i = begin; i < end; ++i) {
            const double c = table.conversions[i];
            const double v = table.value[i];
            auto path = table.path(i);
            auto shares = table.path_skus(i);
            if (c == 0 && v == 0 && shares.empty()) continue;
            HeuristicWeights(o, path.size(), table.path_ages(i), w);
            for (std::size_t t = 0; t < path.size(); ++t) {
              if (w[t] == 0) continue;
              acc.conversions[path[t]] += w[t] * c;
              acc.value[path[t]] += w[t] * v;
              for (const SkuShare& s : shares) {
                const std::uint64_t pair = PairKey(s.sku, path[t]);
                if (!acc.pairs.sums.contains(pair)) acc.pair_order.push_back(pair);
                acc.pairs.Add(pair, w[t] * s.conversions, w[t] * s.value);
              }
            }
          }
          if (progress) progress->Advance(end - begin);
        },
        [&](Acc& acc) {
          for (std::size_t k = 0; k < keys; ++k) {
            r.totals[k].conversions += acc.conversions[k];
            r.totals[k].value += acc.value[k];
          }
          for (std::uint64_t pair : acc.pair_order) {
            const auto& s = acc.pairs.sums.at(pair);
            all_pairs.Add(pair, s.first, s.second);
          }
        });
  });
  r.sku_credits = all_pairs.Sorted();
  return r;
}

Result<AttributionResult> RunShapley(const JourneyTable& table, const AttributionOptions& o,
                                     Progress* progress) {
  AttributionResult r;
  r.model = o.model;
  FillInputTotals(table, r);
  std::vector<std::uint32_t> set_of_path;
  CoalitionWeights cw = CollectCoalitions(table, &set_of_path);
  PG_ASSIGN_OR_RETURN(ShapleyValues sv, ComputeShapley(cw, o));
  for (std::size_t k = 0; k < table.keys.size(); ++k) {
    r.totals[k].conversions = sv.conversions[k];
    r.totals[k].value = sv.value[k];
    r.totals[k].conversions_error_bound = sv.conversions_bound[k];
    r.totals[k].value_error_bound = sv.value_bound[k];
  }
  ShapleyDetails d;
  d.exact = sv.exact;
  d.samples = sv.samples;
  d.seed = o.shapley_seed;
  d.confidence = sv.exact ? 1.0 : o.shapley_confidence;
  d.players = sv.players;
  r.shapley = d;
  if (table.has_skus()) {
    PairCredits pairs;
    for (std::size_t i = 0; i < table.path_count(); ++i) {
      const std::uint32_t set = set_of_path[i];
      for (const SkuShare& s : table.path_skus(i)) {
        for (std::uint64_t k = cw.offsets[set]; k < cw.offsets[set + 1]; ++k) {
          const double share = sv.member_shares[k];
          pairs.Add(PairKey(s.sku, cw.members[k]), share * s.conversions, share * s.value);
        }
      }
    }
    r.sku_credits = pairs.Sorted();
  }
  if (progress) progress->Advance(table.path_count());
  return r;
}

}  // namespace

Result<AttributionResult> RunMarkovAttribution(const MarkovChain& chain,
                                               std::vector<std::string> keys,
                                               std::vector<std::string> skus,
                                               const AttributionOptions& o) {
  PG_RETURN_IF_ERROR(ValidateAttributionOptions(o));
  AttributionResult r;
  r.model = AttributionModel::kMarkov;
  r.order = chain.order();
  const std::size_t key_count = keys.size();
  const std::size_t sku_count = skus.size();
  r.keys = std::move(keys);
  r.skus = std::move(skus);
  r.totals.assign(key_count, KeyCredit{});
  r.conversions = chain.total_conversions();
  r.value = chain.total_value();
  r.journeys = chain.journeys();
  r.nulls = 0;
  for (std::size_t s = 0; s < chain.state_count(); ++s) r.nulls += chain.nulls_at(s);

  // Which keys occur in some state (only those can have an effect).
  std::vector<char> present(key_count, 0);
  for (std::size_t s = 1; s < chain.state_count(); ++s) {
    for (std::uint32_t k : chain.state_keys(s)) {
      if (k >= key_count) {
        return Status::InvalidArgument(fmt::format("Markov: state key {} has no name", k));
      }
      present[k] = 1;
    }
  }
  for (const auto& rw : chain.sku_rewards()) {
    if (rw.sku >= sku_count) {
      return Status::InvalidArgument(fmt::format("Markov: SKU {} has no name", rw.sku));
    }
  }

  // SKU rewards: the SKU's conversions (value) ending at a state per journey leaving it.
  auto sku_expectations = [&](std::span<const double> u, std::vector<double>& conv,
                              std::vector<double>& val) {
    conv.assign(sku_count, 0.0);
    val.assign(sku_count, 0.0);
    for (const auto& rw : chain.sku_rewards()) {
      if (u[rw.state] == 0) continue;
      const double per = u[rw.state] / chain.out_count(rw.state);
      conv[rw.sku] += per * rw.conversions;
      val[rw.sku] += per * rw.value;
    }
  };

  MarkovSolveStats stats;
  PG_ASSIGN_OR_RETURN(std::vector<double> base, chain.ExpectedVisits(MarkovChain::kNoKey, o, &stats));
  const double p = chain.ConversionProbability(base);
  const double e = chain.ExpectedValue(base);
  std::vector<double> base_sku_c, base_sku_v;
  sku_expectations(base, base_sku_c, base_sku_v);

  struct Removal {
    Status status;
    MarkovSolveStats stats;
    double p = 0, e = 0;
    std::vector<double> sku_c, sku_v;
  };
  std::vector<Removal> removals(key_count);
  attribution_internal::RunInArena(o.threads, [&] {
    tbb::parallel_for(std::size_t{0}, key_count, [&](std::size_t k) {
      if (!present[k]) return;
      Removal& rm = removals[k];
      auto u = chain.ExpectedVisits(static_cast<std::uint32_t>(k), o, &rm.stats);
      if (!u.ok()) {
        rm.status = u.status();
        return;
      }
      rm.p = chain.ConversionProbability(*u);
      rm.e = chain.ExpectedValue(*u);
      sku_expectations(*u, rm.sku_c, rm.sku_v);
    });
  });
  for (std::size_t k = 0; k < key_count; ++k) {
    if (!removals[k].status.ok()) return removals[k].status;
    stats.Combine(removals[k].stats);
  }

  // A removal effect 1 - P(removed)/P, clamped at 0 against rounding.
  auto effect = [](double removed, double full) {
    return full > 0 ? std::max(0.0, 1.0 - removed / full) : 0.0;
  };
  double sum_re = 0, sum_rev = 0;
  for (std::size_t k = 0; k < key_count; ++k) {
    if (!present[k]) continue;
    r.totals[k].removal_effect = effect(removals[k].p, p);
    r.totals[k].value_removal_effect = effect(removals[k].e, e);
    sum_re += r.totals[k].removal_effect;
    sum_rev += r.totals[k].value_removal_effect;
  }
  for (std::size_t k = 0; k < key_count; ++k) {
    if (sum_re > 0) r.totals[k].conversions = r.conversions * r.totals[k].removal_effect / sum_re;
    if (sum_rev > 0) r.totals[k].value = r.value * r.totals[k].value_removal_effect / sum_rev;
  }

  // Per SKU, the same with the SKU's own rewards.
  if (sku_count > 0) {
    std::vector<double> sku_conv(sku_count, 0.0), sku_val(sku_count, 0.0);
    for (const auto& rw : chain.sku_rewards()) {
      sku_conv[rw.sku] += rw.conversions;
      sku_val[rw.sku] += rw.value;
    }
    std::vector<double> re(key_count), rev(key_count);
    for (std::uint32_t s = 0; s < sku_count; ++s) {
      if (sku_conv[s] == 0 && sku_val[s] == 0) continue;
      double sre = 0, srev = 0;
      for (std::size_t k = 0; k < key_count; ++k) {
        re[k] = present[k] ? effect(removals[k].sku_c[s], base_sku_c[s]) : 0.0;
        rev[k] = present[k] ? effect(removals[k].sku_v[s], base_sku_v[s]) : 0.0;
        sre += re[k];
        srev += rev[k];
      }
      for (std::uint32_t k = 0; k < key_count; ++k) {
        if (re[k] == 0 && rev[k] == 0) continue;
        SkuKeyCredit c;
        c.sku = s;
        c.key = k;
        c.conversions = sre > 0 ? sku_conv[s] * re[k] / sre : 0.0;
        c.value = srev > 0 ? sku_val[s] * rev[k] / srev : 0.0;
        c.removal_effect = re[k];
        c.value_removal_effect = rev[k];
        r.sku_credits.push_back(c);
      }
    }
  }

  MarkovDetails d;
  d.conversion_probability = p;
  d.value_per_journey = e;
  d.state_names.reserve(chain.state_count());
  for (std::uint32_t s = 0; s < chain.state_count(); ++s) {
    d.state_names.push_back(chain.StateName(s, r.keys));
  }
  const auto n = static_cast<std::uint32_t>(chain.state_count());
  for (const auto& t : chain.Transitions()) {
    MarkovDetails::Transition out;
    out.from = t.from;
    out.to = t.to == MarkovChain::kConversionState ? n
             : t.to == MarkovChain::kNullState     ? n + 1
                                                   : t.to;
    out.count = t.count;
    out.probability = t.count / chain.out_count(t.from);
    d.transitions.push_back(out);
  }
  d.solve = stats;
  r.markov = std::move(d);
  return r;
}

Result<AttributionResult> RunAttribution(const JourneyTable& table,
                                         const AttributionOptions& options, Progress* progress) {
  PG_RETURN_IF_ERROR(ValidateAttributionOptions(options));
  PG_RETURN_IF_ERROR(table.Validate());
  switch (options.model) {
    case AttributionModel::kMarkov: {
      PG_ASSIGN_OR_RETURN(MarkovChain chain, MarkovChain::Build(table, options.markov_order));
      PG_ASSIGN_OR_RETURN(AttributionResult r,
                          RunMarkovAttribution(chain, table.keys, table.skus, options));
      r.paths = table.path_count();
      r.input_rows = table.input_rows;
      // Inputs as given (paths with no journey are not in the chain).
      r.conversions = table.total_conversions();
      r.value = table.total_value();
      r.nulls = table.total_nulls();
      r.journeys = r.conversions + r.nulls;
      if (progress) progress->Advance(table.path_count());
      return r;
    }
    case AttributionModel::kShapley:
      return RunShapley(table, options, progress);
    default: {
      AttributionResult r = RunHeuristic(table, options, progress);
      if (Cancelled(options)) return Status::Unavailable("attribution cancelled");
      return r;
    }
  }
}

}  // namespace partnergraph
