// The generator's customer files (customer_files.hpp): BlockGenerator draws
// one block of customers with their orders, consent records and journeys.
#include "generator/customer_files.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "partnergraph/common/csv_writer.hpp"
#include "partnergraph/common/progress.hpp"

namespace partnergraph::generator_internal {

namespace {

// ---------------------------------------------------------------------------
// Customer blocks: customers.csv, orders.csv, consent.csv, touchpoints.csv.

struct CustomerBlock {
  std::string customers;
  std::string orders;
  std::string consent;
  std::string touchpoints;
  std::uint64_t n_customers = 0;
  std::uint64_t n_orders = 0;
  std::uint64_t n_lines = 0;
  std::uint64_t n_consent = 0;
  std::uint64_t n_touchpoints = 0;
  std::uint64_t n_journeys = 0;
};

struct CustomerProfile {
  std::uint32_t region;
  int band;
  std::uint32_t primary;
  std::uint32_t secondary;
  std::uint64_t taste;
  std::size_t channel;
  std::size_t device;
  double activity;
};

CustomerProfile ProfileOf(const World& w, Rng& rng) {
  CustomerProfile p{};
  p.region = static_cast<std::uint32_t>(rng.Pick(w.region_cum));
  double u = rng.Uniform();
  p.band = u < kBandShares[0] ? 0 : (u < kBandShares[0] + kBandShares[1] ? 1 : 2);
  p.primary = static_cast<std::uint32_t>(rng.Pick(w.category_pop_cum));
  p.secondary = static_cast<std::uint32_t>(rng.Pick(w.category_pop_cum));
  p.taste = rng.Below(kTasteTokens);
  p.channel = PickFixed(rng, kOrderChannelWeights);
  p.device = PickFixed(rng, kDeviceWeights);
  p.activity = std::exp(0.8 * rng.Normal());
  return p;
}

std::string_view CampaignSeason(std::int64_t ts) {
  // Month from the day of the year is close enough for a campaign name.
  std::int64_t day_of_year = ((ts / 86400) % 365 + 365) % 365;
  return kSeasons[static_cast<std::size_t>((day_of_year / 30 + 1) % 12 / 3)];
}

class BlockGenerator {
 public:
  BlockGenerator(const World& w, std::uint64_t block) : w_(w), o_(w.opt), block_(block) {}

  CustomerBlock Run() {
    const std::uint64_t per = o_.customers_per_block;
    const std::uint64_t first = block_ * per;
    const std::uint64_t last = std::min(w_.n_customers, first + per);
    // This block's share of the order lines: proportional to its customers.
    // floor(n_lines * c / n_customers) without overflow.
    const std::uint64_t q = w_.n_lines / w_.n_customers;
    const std::uint64_t r = w_.n_lines % w_.n_customers;
    auto lines_before = [this, q, r](std::uint64_t c) { return q * c + r * c / w_.n_customers; };
    const std::uint64_t block_lines = lines_before(last) - lines_before(first);

    std::vector<CustomerProfile> profiles;
    std::vector<Rng> rngs;
    profiles.reserve(last - first);
    rngs.reserve(last - first);
    double total_activity = 0;
    for (std::uint64_t c = first; c < last; ++c) {
      rngs.emplace_back(Hash(o_.seed, kStreamCustomer, c));
      profiles.push_back(ProfileOf(w_, rngs.back()));
      total_activity += profiles.back().activity;
    }
    // Systematic apportionment of block_lines by activity (exact total).
    Rng block_rng(Hash(o_.seed, kStreamBlock, block_));
    const double offset = block_rng.Uniform();
    double running = 0;
    std::uint64_t assigned = 0;
    for (std::uint64_t i = 0; i < profiles.size(); ++i) {
      running += profiles[i].activity;
      std::uint64_t upto =
          i + 1 == profiles.size()
              ? block_lines
              : std::min<std::uint64_t>(
                    block_lines,
                    static_cast<std::uint64_t>(std::floor(
                        static_cast<double>(block_lines) * running / total_activity + offset)));
      upto = std::max(upto, assigned);
      GenerateCustomer(first + i, profiles[i], rngs[i], upto - assigned);
      assigned = upto;
    }
    out_.customers = std::move(customers_.mutable_text());
    out_.orders = std::move(orders_.mutable_text());
    out_.consent = std::move(consent_.mutable_text());
    out_.touchpoints = std::move(touch_.mutable_text());
    return std::move(out_);
  }

 private:
  struct Order {
    std::int64_t ts;
    std::uint32_t merchant;
    std::uint32_t lines;
  };

  std::uint32_t ChooseCategory(const CustomerProfile& p, Rng& rng) {
    double u = rng.Uniform();
    if (u < o_.primary_share) return p.primary;
    if (u < o_.primary_share + o_.complement_share) {
      const auto& comps = w_.complements[p.primary];
      if (!comps.empty()) {
        double x = rng.Uniform() * w_.complement_total[p.primary];
        for (const Complement& c : comps) {
          if (x < c.strength) return c.category;
          x -= c.strength;
        }
        return comps.back().category;
      }
      return p.primary;
    }
    return rng.Bernoulli(0.5) ? p.secondary
                              : static_cast<std::uint32_t>(rng.Pick(w_.category_pop_cum));
  }

  std::uint32_t ChooseMerchant(std::uint64_t customer, const CustomerProfile& p, Rng& rng) {
    std::uint32_t category = ChooseCategory(p, rng);
    std::uint32_t region = p.region;
    if (!rng.Bernoulli(o_.home_region_share) && w_.n_regions > 1) {
      region = static_cast<std::uint32_t>(rng.Below(w_.n_regions - 1));
      if (region >= p.region) ++region;
    }
    std::uint32_t cell = w_.cell_fallback[w_.Cell(category, region)];
    double u = rng.Bernoulli(o_.loyalty) ? ToUnit(Hash(o_.seed, kStreamLoyalty, customer, cell))
                                         : rng.Uniform();
    return w_.SampleMerchant(cell, p.band, u);
  }

  // A partner merchant for a touch leading to an order at `m`: a merchant of a
  // complementary category in m's region, by size.
  std::optional<std::uint32_t> TouchPartner(std::uint32_t m, int band, Rng& rng) {
    const MerchantInfo& mi = w_.merchants[m];
    const auto& comps = w_.complements[mi.category];
    if (comps.empty()) return std::nullopt;
    std::uint32_t cell = w_.Cell(comps[rng.Below(comps.size())].category, mi.region);
    if (w_.CellEmpty(cell)) return std::nullopt;
    return w_.SampleMerchant(cell, band, rng.Uniform());
  }

  void WriteJourney(std::string_view journey_id, std::string_view customer_id, std::uint32_t m,
                    const CustomerProfile& p, std::int64_t end_ts, std::uint32_t touches,
                    Rng& rng) {
    std::vector<std::int64_t> times(touches);
    for (auto& t : times) {
      t = end_ts - 1 - static_cast<std::int64_t>(rng.Below(14 * 86400));
    }
    std::sort(times.begin(), times.end());
    for (std::int64_t t : times) {
      std::size_t ch = PickFixed(rng, kTouchChannelWeights);
      touch_.Add(journey_id).Add(customer_id).AddTimestamp(t);
      std::optional<std::uint32_t> partner;
      if (rng.Bernoulli(kTouchPartnerShare[ch])) partner = TouchPartner(m, p.band, rng);
      if (partner) {
        id_.clear();
        AppendId(id_, 'm', *partner, w_.merchant_digits);
        touch_.Add(id_);
      } else {
        touch_.AddEmpty();
      }
      touch_.Add(kTouchChannels[ch]);
      if (ch == 1 || ch == 6) {  // search and direct run no campaign
        touch_.AddEmpty();
      } else {
        campaign_.clear();
        campaign_ += CampaignSeason(t);
        campaign_ += '_';
        campaign_ += kTouchChannels[ch];
        touch_.Add(campaign_);
      }
      touch_.Add(kDevices[rng.Bernoulli(0.8) ? p.device : PickFixed(rng, kDeviceWeights)]);
      touch_.EndRow();
      ++out_.n_touchpoints;
    }
    ++out_.n_journeys;
  }

  void GenerateCustomer(std::uint64_t c, const CustomerProfile& p, Rng& rng,
                        std::uint64_t n_lines) {
    cid_.clear();
    AppendId(cid_, 'c', c, w_.customer_digits);
    customers_.Add(cid_).Add(w_.region_names[p.region]);
    customers_.EndRow();
    ++out_.n_customers;
    if (n_lines == 0) return;

    // The orders' merchants and sizes first (an order has at most one line per
    // SKU, so at most sku_count lines), then their times, sorted.
    orders_list_.clear();
    for (std::uint64_t left = n_lines; left > 0;) {
      std::uint32_t m = ChooseMerchant(c, p, rng);
      std::uint64_t k = std::min<std::uint64_t>(left, 1 + rng.Geometric(0.6));
      k = std::min<std::uint64_t>(k, w_.merchants[m].sku_count);
      orders_list_.push_back({0, m, static_cast<std::uint32_t>(k)});
      left -= k;
    }
    const auto span = static_cast<std::uint64_t>(o_.end_ts - o_.start_ts);
    times_.clear();
    for (std::size_t k = 0; k < orders_list_.size(); ++k) {
      std::int64_t day_start =
          o_.start_ts + static_cast<std::int64_t>(rng.Below(span)) / 86400 * 86400;
      std::int64_t t = day_start + 7 * 3600 + static_cast<std::int64_t>(rng.Below(15 * 3600));
      times_.push_back(std::min(t, o_.end_ts - 1));
    }
    std::sort(times_.begin(), times_.end());
    for (std::size_t k = 0; k < orders_list_.size(); ++k) orders_list_[k].ts = times_[k];

    visited_.clear();
    for (std::size_t k = 0; k < orders_list_.size(); ++k) {
      const Order& ord = orders_list_[k];
      const std::uint32_t m = ord.merchant;
      const MerchantInfo& mi = w_.merchants[m];
      if (std::find_if(visited_.begin(), visited_.end(),
                       [m](const auto& v) { return v.first == m; }) == visited_.end()) {
        visited_.emplace_back(m, ord.ts);
      }
      suffix_.clear();
      AppendId(suffix_, 'o', c, w_.customer_digits);
      suffix_ += '-';
      suffix_ += std::to_string(k + 1);
      mid_.clear();
      AppendId(mid_, 'm', m, w_.merchant_digits);
      std::size_t channel = rng.Bernoulli(0.7) ? p.channel : PickFixed(rng, kOrderChannelWeights);
      std::size_t device = channel == 2 ? 0 : p.device;
      used_skus_.clear();
      for (std::uint32_t line = 0; line < ord.lines; ++line) {
        std::uint64_t j;
        if (rng.Bernoulli(kTasteSkuShare)) {
          j = Hash(o_.seed, kStreamTaste, m, p.taste) % mi.sku_count;
        } else {
          double u = rng.Uniform();
          j = std::min<std::uint64_t>(mi.sku_count - 1,
                                      static_cast<std::uint64_t>(mi.sku_count * u * u));
        }
        // One line per SKU in an order: the next unused SKU (lines <= sku_count).
        while (std::find(used_skus_.begin(), used_skus_.end(), j) != used_skus_.end()) {
          j = (j + 1) % mi.sku_count;
        }
        used_skus_.push_back(j);
        SkuInfo sku = SkuOf(w_, m, mi.sku_offset + j);
        double unit_price = sku.price;
        if (rng.Bernoulli(0.1)) unit_price = RoundCents(unit_price * (0.7 + 0.25 * rng.Uniform()));
        double q = rng.Uniform();
        std::uint64_t quantity = q < 0.75 ? 1 : q < 0.92 ? 2 : q < 0.97 ? 3 : 4 + rng.Below(3);
        id_.clear();
        AppendId(id_, 's', mi.sku_offset + j, w_.sku_digits);
        orders_.Add(suffix_)
            .Add(cid_)
            .Add(mid_)
            .Add(id_)
            .AddTimestamp(ord.ts)
            .Add(quantity)
            .AddFixed(unit_price, 2)
            .Add(kOrderChannels[channel]);
        if (channel == 1) {
          orders_.AddEmpty();  // no device in a store
        } else {
          orders_.Add(kDevices[device]);
        }
        orders_.Add(w_.region_names[mi.region]);
        orders_.EndRow();
        ++out_.n_lines;
      }
      ++out_.n_orders;

      if (rng.Bernoulli(o_.journey_share)) {
        suffix_[0] = 'j';
        WriteJourney(suffix_, cid_, m, p, ord.ts,
                     static_cast<std::uint32_t>(1 + std::min<std::uint64_t>(7, rng.Geometric(1.5))),
                     rng);
      }
      double nc = o_.journey_share * o_.non_converting_journeys;
      std::uint64_t extra = static_cast<std::uint64_t>(nc);
      if (rng.Bernoulli(nc - static_cast<double>(extra))) ++extra;
      for (std::uint64_t e = 0; e < extra; ++e) {
        // A journey that ends without an order: ids "jn…".
        std::uint32_t target = ChooseMerchant(c, p, rng);
        journey_.clear();
        journey_ = "jn";
        journey_.append(suffix_, 1);
        journey_ += '-';
        journey_ += std::to_string(e + 1);
        std::int64_t end = o_.start_ts + 1 + static_cast<std::int64_t>(rng.Below(span));
        WriteJourney(journey_, cid_, target, p, end,
                     static_cast<std::uint32_t>(1 + std::min<std::uint64_t>(3, rng.Geometric(0.8))),
                     rng);
      }
    }
    GenerateConsent(rng);
  }

  void GenerateConsent(Rng& rng) {
    const std::array<double, 6> shares = {o_.share_unclear,       o_.share_blocked,
                                          o_.share_unsubscribed,  o_.share_confirmed_opt_in,
                                          o_.share_double_opt_in, o_.share_pending};
    for (const auto& [m, first_ts] : visited_) {
      if (!rng.Bernoulli(o_.consent_share)) continue;
      mid_.clear();
      AppendId(mid_, 'm', m, w_.merchant_digits);
      std::string_view channel = kConsentChannels[PickFixed(rng, kConsentChannelWeights)];
      std::size_t status = PickFixed(rng, shares);
      std::int64_t ts = first_ts - static_cast<std::int64_t>(rng.Below(30 * 86400));
      WriteConsent(channel, status, ts);
      if ((status == 3 || status == 4) && rng.Bernoulli(o_.later_unsubscribe_share)) {
        WriteConsent(channel, 2, ts + 86400 + static_cast<std::int64_t>(rng.Below(180 * 86400)));
      } else if (status == 5 && rng.Bernoulli(o_.pending_confirmed_share)) {
        WriteConsent(channel, 4, ts + 60 + static_cast<std::int64_t>(rng.Below(7 * 86400)));
      }
    }
  }

  void WriteConsent(std::string_view channel, std::size_t status, std::int64_t ts) {
    consent_.Add(cid_)
        .Add(mid_)
        .Add(channel)
        .Add(kConsentStatuses[status])
        .AddTimestamp(ts)
        .Add(kConsentSources[status]);
    consent_.EndRow();
    ++out_.n_consent;
  }

  const World& w_;
  const GeneratorOptions& o_;
  std::uint64_t block_;
  CustomerBlock out_;
  CsvFormatter customers_;
  CsvFormatter orders_;
  CsvFormatter consent_;
  CsvFormatter touch_;
  std::vector<Order> orders_list_;
  std::vector<std::int64_t> times_;
  std::vector<std::uint64_t> used_skus_;
  std::vector<std::pair<std::uint32_t, std::int64_t>> visited_;  // merchant, first order ts
  std::string cid_;
  std::string mid_;
  std::string id_;
  std::string suffix_;
  std::string journey_;
  std::string campaign_;
};

}  // namespace

Status WriteCustomerFiles(const World& w, Outputs& outs, GeneratorStats& st) {
  PG_ASSIGN_OR_RETURN(CsvWriter * cust, outs.Open("customers.csv", {"customer_id", "region"}));
  PG_ASSIGN_OR_RETURN(
      CsvWriter * ord,
      outs.Open("orders.csv", {"order_id", "customer_id", "merchant_id", "sku_id", "ts", "quantity",
                               "price", "channel", "device", "region"}));
  PG_ASSIGN_OR_RETURN(CsvWriter * cons,
                      outs.Open("consent.csv", {"customer_id", "merchant_id", "channel", "status",
                                                "ts", "source"}));
  PG_ASSIGN_OR_RETURN(CsvWriter * touch,
                      outs.Open("touchpoints.csv", {"journey_id", "customer_id", "ts", "partner_id",
                                                    "channel", "campaign", "device"}));
  const std::uint64_t per = w.opt.customers_per_block;
  const std::uint64_t n_blocks = (w.n_customers + per - 1) / per;
  Progress progress("generate: order lines", w.n_lines);
  const bool show = w.opt.show_progress;
  Status s = RunOrdered<CustomerBlock>(
      n_blocks, [&w](std::uint64_t block) { return BlockGenerator(w, block).Run(); },
      [&](const CustomerBlock& b) -> Status {
        PG_RETURN_IF_ERROR(cust->AppendFormatted(b.customers));
        PG_RETURN_IF_ERROR(ord->AppendFormatted(b.orders));
        PG_RETURN_IF_ERROR(cons->AppendFormatted(b.consent));
        PG_RETURN_IF_ERROR(touch->AppendFormatted(b.touchpoints));
        st.customers += b.n_customers;
        st.orders += b.n_orders;
        st.order_lines += b.n_lines;
        st.consent_records += b.n_consent;
        st.touchpoints += b.n_touchpoints;
        st.journeys += b.n_journeys;
        if (show) progress.Advance(b.n_lines);
        return Status::Ok();
      });
  if (show) progress.Finish();
  return s;
}

}  // namespace partnergraph::generator_internal
