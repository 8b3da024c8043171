// The generator's merchant-level files (merchant_files.hpp).
#include "generator/merchant_files.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "partnergraph/common/csv_writer.hpp"

namespace partnergraph::generator_internal {

// ---------------------------------------------------------------------------
// Merchant-level files.

void AppendMerchantName(std::string& out, const World& w, std::uint32_t m) {
  Rng rng(Hash(w.opt.seed, kStreamMerchant, m, 1));
  out += kSurnames[rng.Below(kSurnames.size())];
  out += ' ';
  std::uint32_t g = w.category_group[w.merchants[m].category];
  std::string group = g < kGroupNames.size() ? std::string(kGroupNames[g]) : "General";
  group[0] = static_cast<char>(group[0] - 'a' + 'A');
  out += group;
  out += ' ';
  out += kNameSuffixes[rng.Below(kNameSuffixes.size())];
  // A few names that need RFC 4180 quoting.
  double u = rng.Uniform();
  if (u < 0.02) {
    out += ", Ltd.";
  } else if (u < 0.03) {
    out += " \"Express\"";
  }
}

Status WriteMerchants(const World& w, Outputs& outs, GeneratorStats& st) {
  PG_ASSIGN_OR_RETURN(CsvWriter * f,
                      outs.Open("merchants.csv", {"merchant_id", "name", "category", "region"}));
  std::string id;
  std::string name;
  for (std::uint32_t m = 0; m < w.merchants.size(); ++m) {
    id.clear();
    AppendId(id, 'm', m, w.merchant_digits);
    name.clear();
    AppendMerchantName(name, w, m);
    const MerchantInfo& mi = w.merchants[m];
    f->row().Add(id).Add(name).Add(w.category_names[mi.category]).Add(w.region_names[mi.region]);
    PG_RETURN_IF_ERROR(f->EndRow());
  }
  st.merchants = w.merchants.size();
  return Status::Ok();
}

Status WriteSkus(const World& w, Outputs& outs, GeneratorStats& st) {
  PG_ASSIGN_OR_RETURN(CsvWriter * f,
                      outs.Open("skus.csv", {"sku_id", "merchant_id", "category", "price"}));
  const std::uint64_t n = w.merchants.size();
  return RunOrdered<TextBlock>(
      (n + kMerchantsPerBlock - 1) / kMerchantsPerBlock,
      [&w, n](std::uint64_t block) {
        CsvFormatter fmt;
        TextBlock out;
        std::string id;
        std::string mid;
        for (std::uint64_t m = block * kMerchantsPerBlock;
             m < std::min(n, (block + 1) * kMerchantsPerBlock); ++m) {
          const MerchantInfo& mi = w.merchants[m];
          mid.clear();
          AppendId(mid, 'm', m, w.merchant_digits);
          for (std::uint32_t j = 0; j < mi.sku_count; ++j) {
            SkuInfo s = SkuOf(w, static_cast<std::uint32_t>(m), mi.sku_offset + j);
            id.clear();
            AppendId(id, 's', mi.sku_offset + j, w.sku_digits);
            fmt.Add(id).Add(mid).Add(w.category_names[s.category]).AddFixed(s.price, 2);
            fmt.EndRow();
            ++out.rows;
          }
        }
        out.text = std::move(fmt.mutable_text());
        return out;
      },
      [f, &st](const TextBlock& b) {
        st.skus += b.rows;
        return f->AppendFormatted(b.text);
      });
}

// partnerships.csv, and World::blocked_pairs for the ground truth.
Status WritePartnerships(World& w, Outputs& outs, GeneratorStats& st) {
  PG_ASSIGN_OR_RETURN(CsvWriter * f,
                      outs.Open("partnerships.csv", {"merchant_a", "merchant_b", "kind", "since"}));
  const GeneratorOptions& o = w.opt;
  std::unordered_set<std::uint64_t> declared;
  std::string a_id;
  std::string b_id;
  auto declare = [&](std::uint32_t a, std::uint32_t b, std::string_view kind,
                     std::optional<std::int64_t> since) -> Status {
    if (a == b || !declared.insert(PairKey(a, b)).second) return Status::Ok();
    a_id.clear();
    b_id.clear();
    AppendId(a_id, 'm', a, w.merchant_digits);
    AppendId(b_id, 'm', b, w.merchant_digits);
    f->row().Add(a_id).Add(b_id).Add(kind);
    if (since) {
      f->row().AddTimestamp(*since);
    } else {
      f->row().AddEmpty();
    }
    ++st.partnerships;
    if (kind == "blocked") w.blocked_pairs.push_back(PairKey(a, b));
    return f->EndRow();
  };
  auto no_exclusion = [](std::uint32_t) { return false; };
  const std::int64_t three_years = std::int64_t{3} * 365 * 86400;
  for (std::uint32_t m = 0; m < w.merchants.size(); ++m) {
    Rng rng(Hash(o.seed, kStreamPartnership, m));
    const MerchantInfo& mi = w.merchants[m];
    auto since = [&]() -> std::int64_t {
      return o.start_ts - 86400 - static_cast<std::int64_t>(rng.Below(three_years)) / 86400 * 86400;
    };
    if (rng.Bernoulli(o.declared_competitor_share)) {
      std::uint32_t cell = w.Cell(mi.category, mi.region);
      std::uint64_t size = w.cell_start[cell + 1] - w.cell_start[cell];
      if (size > 1) {
        std::uint32_t n = w.cell_members[w.cell_start[cell] + rng.Below(size)];
        PG_RETURN_IF_ERROR(declare(m, n, "competitor", since()));
      }
    }
    if (rng.Bernoulli(o.declared_partner_share)) {
      std::optional<std::uint32_t> partner;
      if (rng.Bernoulli(0.5)) {
        std::vector<Ranked> best = BestPartners(w, m, 5, no_exclusion);
        if (!best.empty()) partner = best[rng.Below(best.size())].merchant;
      } else if (!w.complements[mi.category].empty()) {
        const auto& comps = w.complements[mi.category];
        std::uint32_t bcat = comps[rng.Below(comps.size())].category;
        std::uint32_t cell =
            w.cell_fallback[w.Cell(bcat, static_cast<std::uint32_t>(rng.Below(w.n_regions)))];
        if (!w.CellEmpty(cell)) {
          std::uint64_t size = w.cell_start[cell + 1] - w.cell_start[cell];
          partner = w.cell_members[w.cell_start[cell] + rng.Below(size)];
        }
      }
      if (partner) PG_RETURN_IF_ERROR(declare(m, *partner, "partner", since()));
    }
    if (rng.Bernoulli(o.blocked_share)) {
      // Blocked pairs are taken among the planted best partners so that a
      // recommender that ignores partnerships.csv gets them wrong.
      std::vector<Ranked> best = BestPartners(w, m, 3, no_exclusion);
      if (!best.empty()) {
        std::uint32_t n = best[rng.Below(best.size())].merchant;
        std::optional<std::int64_t> s;
        if (rng.Bernoulli(0.5)) s = since();
        PG_RETURN_IF_ERROR(declare(m, n, "blocked", s));
      }
    }
  }
  std::sort(w.blocked_pairs.begin(), w.blocked_pairs.end());
  return Status::Ok();
}

Status WritePolicies(const World& w, Outputs& outs, GeneratorStats& st) {
  PG_ASSIGN_OR_RETURN(
      CsvWriter * f,
      outs.Open("merchant_policy.csv", {"merchant_id", "permission_model", "k_min",
                                        "share_overlaps", "discoverable", "allow_coupons"}));
  std::string id;
  for (std::uint32_t m = 0; m < w.merchants.size(); ++m) {
    Policy p = MerchantPolicyOf(w, m);
    if (!p.has_row) continue;
    id.clear();
    AppendId(id, 'm', m, w.merchant_digits);
    f->row()
        .Add(id)
        .Add(kPermissionModels[p.model])
        .Add(p.k_min)
        .Add(p.share_overlaps ? "true" : "false")
        .Add(p.discoverable ? "true" : "false")
        .Add(p.allow_coupons ? "true" : "false");
    PG_RETURN_IF_ERROR(f->EndRow());
    ++st.policies;
  }
  return Status::Ok();
}

Status WriteEngagement(const World& w, Outputs& outs, GeneratorStats& st) {
  PG_ASSIGN_OR_RETURN(CsvWriter * f,
                      outs.Open("engagement.csv", {"merchant_id", "ts", "event", "points"}));
  const std::uint64_t n = w.merchants.size();
  double mean_weight = 0;
  for (const MerchantInfo& mi : w.merchants) mean_weight += mi.weight;
  mean_weight /= static_cast<double>(n);
  return RunOrdered<TextBlock>(
      (n + kMerchantsPerBlock - 1) / kMerchantsPerBlock,
      [&w, n, mean_weight](std::uint64_t block) {
        CsvFormatter fmt;
        TextBlock out;
        std::string mid;
        std::vector<std::int64_t> times;
        const GeneratorOptions& o = w.opt;
        for (std::uint64_t m = block * kMerchantsPerBlock;
             m < std::min(n, (block + 1) * kMerchantsPerBlock); ++m) {
          Rng rng(Hash(o.seed, kStreamEngagement, m));
          double scale = std::clamp(std::sqrt(w.merchants[m].weight / mean_weight), 0.2, 5.0);
          std::uint64_t count = rng.Poisson(o.engagement_per_merchant * scale);
          times.clear();
          for (std::uint64_t i = 0; i < count; ++i) {
            times.push_back(o.start_ts + static_cast<std::int64_t>(rng.Below(
                                             static_cast<std::uint64_t>(o.end_ts - o.start_ts))));
          }
          std::sort(times.begin(), times.end());
          mid.clear();
          AppendId(mid, 'm', m, w.merchant_digits);
          for (std::int64_t ts : times) {
            std::size_t ev = PickFixed(rng, kEngagementWeights);
            fmt.Add(mid).AddTimestamp(ts).Add(kEngagementEvents[ev]);
            // Mostly the scorecard's default points; a few explicit values.
            if (rng.Bernoulli(0.05)) {
              fmt.Add(static_cast<std::uint64_t>(1 + rng.Below(20)));
            } else {
              fmt.AddEmpty();
            }
            fmt.EndRow();
            ++out.rows;
          }
        }
        out.text = std::move(fmt.mutable_text());
        return out;
      },
      [f, &st](const TextBlock& b) {
        st.engagement_events += b.rows;
        return f->AppendFormatted(b.text);
      });
}

Status WriteGroundTruth(const World& w, Outputs& outs, GeneratorStats& st) {
  PG_ASSIGN_OR_RETURN(CsvWriter * cf, outs.Open("ground_truth/complementary_categories.csv",
                                                {"category_a", "category_b", "strength"}));
  for (std::size_t i = 0; i < w.complement_pairs.size(); ++i) {
    const auto& [a, b] = w.complement_pairs[i];
    cf->row()
        .Add(w.category_names[a])
        .Add(w.category_names[b])
        .AddFixed(w.complement_pair_strength[i], 3);
    PG_RETURN_IF_ERROR(cf->EndRow());
    ++st.complementary_pairs;
  }
  PG_ASSIGN_OR_RETURN(CsvWriter * bf, outs.Open("ground_truth/best_partners.csv",
                                                {"merchant_id", "partner_id", "rank", "score"}));
  // Discoverability of every merchant, computed once.
  std::vector<bool> discoverable(w.merchants.size());
  for (std::uint32_t m = 0; m < w.merchants.size(); ++m) {
    discoverable[m] = MerchantPolicyOf(w, m).discoverable;
  }
  const std::uint64_t n = w.merchants.size();
  return RunOrdered<TextBlock>(
      (n + kMerchantsPerBlock - 1) / kMerchantsPerBlock,
      [&w, &discoverable, n](std::uint64_t block) {
        CsvFormatter fmt;
        TextBlock out;
        std::string mid;
        std::string pid;
        for (std::uint64_t mm = block * kMerchantsPerBlock;
             mm < std::min(n, (block + 1) * kMerchantsPerBlock); ++mm) {
          auto m = static_cast<std::uint32_t>(mm);
          auto exclude = [&](std::uint32_t cand) {
            return !discoverable[cand] ||
                   std::binary_search(w.blocked_pairs.begin(), w.blocked_pairs.end(),
                                      PairKey(m, cand));
          };
          std::vector<Ranked> best = BestPartners(w, m, w.opt.ground_truth_partners, exclude);
          mid.clear();
          AppendId(mid, 'm', m, w.merchant_digits);
          for (std::size_t r = 0; r < best.size(); ++r) {
            pid.clear();
            AppendId(pid, 'm', best[r].merchant, w.merchant_digits);
            char score[32];
            int len = std::snprintf(score, sizeof score, "%.6g", best[r].score * 1e6);
            fmt.Add(mid)
                .Add(pid)
                .Add(static_cast<std::uint64_t>(r + 1))
                .Add(std::string_view(score, static_cast<std::size_t>(len)));
            fmt.EndRow();
            ++out.rows;
          }
        }
        out.text = std::move(fmt.mutable_text());
        return out;
      },
      [bf, &st](const TextBlock& b) {
        st.best_partner_rows += b.rows;
        return bf->AppendFormatted(b.text);
      });
}

}  // namespace partnergraph::generator_internal
