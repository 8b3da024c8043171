#include "partnergraph/attribution/native_journeys.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "partnergraph/common/time.hpp"

namespace partnergraph {
namespace {

struct Order {
  OrderId id;
  CustomerId customer;
  Timestamp ts = 0;
  std::vector<std::uint32_t> lines;  // indices into Dataset::orders
};

// A journey before the keys are renumbered: raw channel ids (touch_channels,
// then the direct key) and raw partner ids (merchants, then none, then direct).
struct RawJourneys {
  std::vector<std::uint64_t> offsets{0};
  std::vector<std::uint32_t> channels;
  std::vector<std::uint32_t> partners;
  std::vector<double> ages;
  std::vector<double> conversions, value, nulls;
  std::vector<std::uint64_t> sku_offsets{0};
  std::vector<SkuShare> shares;
};

std::string TouchName(const Dataset& d, std::size_t i) {
  const Touchpoint& t = d.touchpoints[i];
  std::string s = fmt::format("touchpoints[{}] (", i);
  if (t.customer.valid() && t.customer.value < d.customer_ids.size()) {
    s += "customer " + std::string(d.customer_ids.Name(t.customer.value)) + ", ";
  } else if (t.journey != kNoDictValue && t.journey < d.journey_ids.size()) {
    s += "journey " + std::string(d.journey_ids.Name(t.journey)) + ", ";
  }
  return s + FormatTimestamp(t.ts) + ")";
}

std::string LineName(const Dataset& d, std::size_t i) {
  const OrderLine& l = d.orders[i];
  std::string s = fmt::format("orders[{}]", i);
  if (l.order.valid() && l.order.value < d.order_ids.size()) {
    s += " (order " + std::string(d.order_ids.Name(l.order.value)) + ")";
  }
  return s;
}

// Renumbers the keys that occur, in raw id order, and names them.
std::vector<std::uint32_t> Renumber(std::vector<std::uint32_t>& ids,
                                    const std::vector<std::string>& raw_names,
                                    std::vector<std::string>& names) {
  std::vector<std::uint32_t> map(raw_names.size(), kNoDictValue);
  for (std::uint32_t id : ids) map[id] = 0;
  for (std::uint32_t r = 0; r < raw_names.size(); ++r) {
    if (map[r] == 0) {
      map[r] = static_cast<std::uint32_t>(names.size());
      names.push_back(raw_names[r]);
    }
  }
  for (std::uint32_t& id : ids) id = map[id];
  return map;
}

JourneyTable MakeTable(const RawJourneys& raw, std::vector<std::uint32_t> keys,
                       std::vector<std::string> key_names, const Dataset& d) {
  JourneyTable t;
  t.keys = std::move(key_names);
  t.skus = d.sku_ids.Names();
  t.offsets = raw.offsets;
  t.touches = std::move(keys);
  t.ages = raw.ages;
  t.conversions = raw.conversions;
  t.value = raw.value;
  t.nulls = raw.nulls;
  t.sku_offsets = raw.sku_offsets;
  t.sku_shares = raw.shares;
  t.input_rows = raw.conversions.size();
  return t;
}

}  // namespace

Result<NativeJourneys> BuildNativeJourneys(const Dataset& d, const AttributionOptions& options) {
  PG_RETURN_IF_ERROR(ValidateAttributionOptions(options));
  const auto channel_count = d.touch_channels.size();
  const auto merchant_count = d.merchant_ids.size();

  // ---- Orders ----
  std::vector<std::uint32_t> line_order(d.orders.size());
  std::iota(line_order.begin(), line_order.end(), 0u);
  for (std::size_t i = 0; i < d.orders.size(); ++i) {
    const OrderLine& l = d.orders[i];
    if (!l.order.valid() || l.order.value >= d.order_ids.size()) {
      return Status::InvalidArgument(LineName(d, i) + ": order id out of range");
    }
    if (!l.customer.valid() || l.customer.value >= d.customer_ids.size()) {
      return Status::InvalidArgument(LineName(d, i) + ": customer id out of range");
    }
    if (!l.sku.valid() || l.sku.value >= d.sku_ids.size()) {
      return Status::InvalidArgument(LineName(d, i) + ": SKU id out of range");
    }
    if (!(l.revenue() >= 0)) {
      return Status::InvalidArgument(LineName(d, i) + ": revenue is negative or not a number");
    }
  }
  std::stable_sort(line_order.begin(), line_order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return d.orders[a].order.value < d.orders[b].order.value;
  });
  std::vector<Order> orders;
  for (std::uint32_t i : line_order) {
    const OrderLine& l = d.orders[i];
    if (orders.empty() || orders.back().id != l.order) {
      orders.push_back({l.order, l.customer, l.ts, {}});
    } else if (orders.back().customer != l.customer) {
      return Status::InvalidArgument(LineName(d, i) + ": customer " +
                                     std::string(d.customer_ids.Name(l.customer.value)) +
                                     " differs from the order's other lines");
    }
    orders.back().ts = std::min(orders.back().ts, l.ts);
    orders.back().lines.push_back(i);
  }
  std::sort(orders.begin(), orders.end(), [](const Order& a, const Order& b) {
    if (a.customer != b.customer) return a.customer < b.customer;
    if (a.ts != b.ts) return a.ts < b.ts;
    return a.id < b.id;
  });

  // ---- Touchpoints ----
  std::vector<std::uint32_t> by_customer, by_journey;
  for (std::size_t i = 0; i < d.touchpoints.size(); ++i) {
    const Touchpoint& t = d.touchpoints[i];
    if (t.channel == kNoDictValue || t.channel >= channel_count) {
      return Status::InvalidArgument(fmt::format(
          "{}: channel id {} is not in touch_channels (unknown channel)", TouchName(d, i),
          t.channel == kNoDictValue ? std::string("(none)") : fmt::format("{}", t.channel)));
    }
    if (t.partner.valid() && t.partner.value >= merchant_count) {
      return Status::InvalidArgument(
          fmt::format("{}: partner id {} is not a merchant", TouchName(d, i), t.partner.value));
    }
    if (t.customer.valid()) {
      if (t.customer.value >= d.customer_ids.size()) {
        return Status::InvalidArgument(TouchName(d, i) + ": customer id out of range");
      }
      by_customer.push_back(static_cast<std::uint32_t>(i));
    } else if (t.journey != kNoDictValue && t.journey < d.journey_ids.size()) {
      by_journey.push_back(static_cast<std::uint32_t>(i));
    } else {
      return Status::InvalidArgument(TouchName(d, i) +
                                     ": has neither a customer nor a known journey id");
    }
  }
  std::stable_sort(by_customer.begin(), by_customer.end(), [&](std::uint32_t a, std::uint32_t b) {
    const Touchpoint& x = d.touchpoints[a];
    const Touchpoint& y = d.touchpoints[b];
    if (x.customer != y.customer) return x.customer < y.customer;
    return x.ts < y.ts;
  });
  std::stable_sort(by_journey.begin(), by_journey.end(), [&](std::uint32_t a, std::uint32_t b) {
    const Touchpoint& x = d.touchpoints[a];
    const Touchpoint& y = d.touchpoints[b];
    if (x.journey != y.journey) return x.journey < y.journey;
    return x.ts < y.ts;
  });

  // ---- Journeys ----
  NativeJourneys out;
  RawJourneys raw;
  // A pseudo key spelled like a real channel (merchant) is that key.
  auto pseudo = [](const Dictionary& dict, const std::string& name, std::size_t fallback) {
    const std::uint32_t id = dict.Find(name);
    return id != Dictionary::kNotFound ? id : static_cast<std::uint32_t>(fallback);
  };
  const std::uint32_t direct_channel = pseudo(d.touch_channels, options.direct_key, channel_count);
  const std::uint32_t no_partner = pseudo(d.merchant_ids, options.no_partner_key, merchant_count);
  const std::uint32_t direct_partner =
      pseudo(d.merchant_ids, options.direct_key, merchant_count + 1);
  auto add_touch = [&](std::uint32_t i, double age) {
    const Touchpoint& t = d.touchpoints[i];
    raw.channels.push_back(t.channel);
    raw.partners.push_back(t.partner.valid() ? t.partner.value : no_partner);
    raw.ages.push_back(age);
  };
  auto end_journey = [&](double c, double v, double n) {
    raw.offsets.push_back(raw.channels.size());
    raw.conversions.push_back(c);
    raw.value.push_back(v);
    raw.nulls.push_back(n);
    raw.sku_offsets.push_back(raw.shares.size());
  };
  auto add_null = [&](const std::vector<std::uint32_t>& touches) {
    if (touches.empty()) return;
    for (std::uint32_t i : touches) add_touch(i, 0.0);
    end_journey(0, 0, 1);
    ++out.null_journeys;
    out.touchpoints_in_nulls += touches.size();
  };
  auto add_order = [&](const Order& o, const std::vector<std::uint32_t>& touches) {
    if (touches.empty()) {
      raw.channels.push_back(direct_channel);
      raw.partners.push_back(direct_partner);
      raw.ages.push_back(0.0);
      ++out.direct_orders;
    }
    for (std::uint32_t i : touches) {
      add_touch(i, static_cast<double>(o.ts - d.touchpoints[i].ts));
    }
    out.touchpoints_in_orders += touches.size();
    const std::size_t first_share = raw.shares.size();
    double total = 0;
    for (std::uint32_t li : o.lines) {
      const OrderLine& l = d.orders[li];
      total += l.revenue();
      auto it = std::find_if(raw.shares.begin() + static_cast<std::ptrdiff_t>(first_share),
                             raw.shares.end(),
                             [&](const SkuShare& s) { return s.sku == l.sku.value; });
      if (it == raw.shares.end()) {
        raw.shares.push_back({l.sku.value, 0.0, l.revenue()});
      } else {
        it->value += l.revenue();
      }
    }
    // Conversion shares by revenue (by line count when the order is free).
    for (std::size_t s = first_share; s < raw.shares.size(); ++s) {
      if (total > 0) {
        raw.shares[s].conversions = raw.shares[s].value / total;
      } else {
        double lines = 0;
        for (std::uint32_t li : o.lines) lines += d.orders[li].sku.value == raw.shares[s].sku;
        raw.shares[s].conversions = lines / static_cast<double>(o.lines.size());
      }
    }
    end_journey(1, total, 0);
    ++out.orders;
  };

  std::size_t t = 0, oi = 0;
  std::vector<std::uint32_t> path, stale;
  while (t < by_customer.size() || oi < orders.size()) {
    const CustomerId c = oi < orders.size() &&
                                 (t >= by_customer.size() ||
                                  orders[oi].customer <= d.touchpoints[by_customer[t]].customer)
                             ? orders[oi].customer
                             : d.touchpoints[by_customer[t]].customer;
    for (; oi < orders.size() && orders[oi].customer == c; ++oi) {
      const Order& o = orders[oi];
      path.clear();
      stale.clear();
      for (; t < by_customer.size() && d.touchpoints[by_customer[t]].customer == c &&
             d.touchpoints[by_customer[t]].ts <= o.ts;
           ++t) {
        const std::uint32_t i = by_customer[t];
        if (d.touchpoints[i].ts >= o.ts - options.lookback_seconds) {
          path.push_back(i);
        } else {
          stale.push_back(i);
        }
      }
      add_null(stale);
      add_order(o, path);
    }
    stale.clear();
    for (; t < by_customer.size() && d.touchpoints[by_customer[t]].customer == c; ++t) {
      stale.push_back(by_customer[t]);
    }
    add_null(stale);
  }
  for (std::size_t j = 0; j < by_journey.size();) {
    stale.clear();
    const std::uint32_t jid = d.touchpoints[by_journey[j]].journey;
    for (; j < by_journey.size() && d.touchpoints[by_journey[j]].journey == jid; ++j) {
      stale.push_back(by_journey[j]);
    }
    add_null(stale);
  }

  std::vector<std::string> raw_channel_names = d.touch_channels.Names();
  raw_channel_names.push_back(options.direct_key);
  std::vector<std::string> raw_partner_names = d.merchant_ids.Names();
  raw_partner_names.push_back(options.no_partner_key);
  raw_partner_names.push_back(options.direct_key);
  std::vector<std::string> channel_names, partner_names;
  Renumber(raw.channels, raw_channel_names, channel_names);
  Renumber(raw.partners, raw_partner_names, partner_names);
  out.by_channel = MakeTable(raw, std::move(raw.channels), std::move(channel_names), d);
  out.by_partner = MakeTable(raw, std::move(raw.partners), std::move(partner_names), d);
  return out;
}

}  // namespace partnergraph
