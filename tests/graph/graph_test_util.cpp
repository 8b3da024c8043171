#include "graph_test_util.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <random>

#include "partnergraph/common/time.hpp"
#include "partnergraph/graph/graph_builder.hpp"

namespace partnergraph::testing {
namespace {

Timestamp Ts(const char* text) {
  auto ts = ParseTimestamp(text);
  REQUIRE(ts.has_value());
  return *ts;
}

std::string F(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}
std::string F(float v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.9g", static_cast<double>(v));
  return buf;
}
template <typename Id>
std::string I(Id id) {
  return id.valid() ? std::to_string(id.value) : std::string("-");
}

}  // namespace

Dataset TinyDatasetByHand() {
  Dataset d;
  struct MerchantRow {
    const char *id, *name, *category, *region;
  };
  for (const auto& m : {MerchantRow{"m_bakery", "Sunrise Bakery", "bakery", "north"},
                        MerchantRow{"m_bakery2", "Corner Bakery", "bakery", "north"},
                        MerchantRow{"m_florist", "Petal Florist", "florist", "north"},
                        MerchantRow{"m_wine", "Vine Wine Shop", "wine", "north"},
                        MerchantRow{"m_hardware", "Bolt Hardware", "hardware", "south"},
                        MerchantRow{"m_cheese", "Curd & Rind, Cheesemonger", "cheese", "south"}}) {
    d.merchant_ids.Add(m.id);
    d.merchants.push_back(
        {m.name, CategoryId(d.categories.Add(m.category)), RegionId(d.regions.Add(m.region))});
  }
  struct SkuRow {
    const char *id, *merchant, *category;
    double price;
  };
  for (const auto& s : {SkuRow{"s_bread", "m_bakery", "bakery", 4.50},
                        SkuRow{"s_cake", "m_bakery", "bakery", 20.00},
                        SkuRow{"s_bread2", "m_bakery2", "bakery", 4.00},
                        SkuRow{"s_roses", "m_florist", "florist", 30.00},
                        SkuRow{"s_tulips", "m_florist", "florist", 15.00},
                        SkuRow{"s_red", "m_wine", "wine", 18.00},
                        SkuRow{"s_white", "m_wine", "wine", 16.00},
                        SkuRow{"s_hammer", "m_hardware", "hardware", 25.00},
                        SkuRow{"s_brie", "m_cheese", "cheese", 9.00}}) {
    d.sku_ids.Add(s.id);
    d.skus.push_back({MerchantId(d.merchant_ids.Find(s.merchant)),
                      CategoryId(d.categories.Add(s.category)), s.price});
  }
  for (int i = 1; i <= 12; ++i) {
    char id[8];
    std::snprintf(id, sizeof(id), "c%02d", i);
    d.customer_ids.Add(id);
    d.customers.push_back({RegionId(d.regions.Add(i <= 10 ? "north" : "south"))});
  }
  struct OrderRow {
    const char *order, *customer, *merchant, *sku, *ts;
    std::uint32_t quantity;
    double price;
    const char *channel, *device, *region;
  };
  const OrderRow orders[] = {
      {"o001", "c01", "m_bakery", "s_bread", "2026-01-05T09:00:00Z", 2, 4.50, "web", "mobile", "north"},
      {"o002", "c01", "m_florist", "s_roses", "2026-01-06T10:00:00Z", 1, 30.00, "web", "mobile", "north"},
      {"o003", "c02", "m_bakery", "s_bread", "2026-01-07T08:30:00Z", 1, 4.50, "store", "", "north"},
      {"o003", "c02", "m_bakery", "s_cake", "2026-01-07T08:30:00Z", 1, 20.00, "store", "", "north"},
      {"o004", "c02", "m_florist", "s_tulips", "2026-01-08T12:00:00Z", 3, 15.00, "web", "desktop", "north"},
      {"o005", "c02", "m_wine", "s_red", "2026-01-09T18:00:00Z", 2, 18.00, "web", "desktop", "north"},
      {"o006", "c03", "m_bakery", "s_bread", "2026-01-10T09:15:00Z", 1, 4.50, "store", "", "north"},
      {"o007", "c03", "m_florist", "s_roses", "2026-01-11T11:00:00Z", 1, 30.00, "web", "mobile", "north"},
      {"o008", "c03", "m_wine", "s_white", "2026-01-12T19:00:00Z", 1, 16.00, "web", "mobile", "north"},
      {"o009", "c04", "m_bakery", "s_cake", "2026-01-13T10:00:00Z", 1, 20.00, "web", "desktop", "north"},
      {"o010", "c04", "m_florist", "s_tulips", "2026-01-14T10:30:00Z", 2, 15.00, "web", "desktop", "north"},
      {"o011", "c04", "m_wine", "s_red", "2026-01-15T17:45:00Z", 1, 18.00, "web", "desktop", "north"},
      {"o012", "c05", "m_bakery", "s_bread", "2026-02-02T08:00:00Z", 4, 4.50, "store", "", "north"},
      {"o013", "c05", "m_florist", "s_roses", "2026-02-03T09:00:00Z", 1, 30.00, "store", "", "north"},
      {"o014", "c05", "m_wine", "s_red", "2026-02-04T20:00:00Z", 3, 18.00, "web", "mobile", "north"},
      {"o015", "c06", "m_bakery", "s_cake", "2026-02-05T14:00:00Z", 1, 20.00, "web", "mobile", "north"},
      {"o016", "c06", "m_florist", "s_tulips", "2026-02-06T15:00:00Z", 1, 15.00, "web", "mobile", "north"},
      {"o017", "c06", "m_wine", "s_white", "2026-02-07T19:30:00Z", 2, 16.00, "web", "mobile", "north"},
      {"o018", "c07", "m_bakery", "s_bread", "2026-02-08T07:50:00+01:00", 1, 4.50, "store", "", "north"},
      {"o019", "c07", "m_wine", "s_red", "2026-02-09T18:10:00+01:00", 1, 18.00, "web", "desktop", "north"},
      {"o020", "c08", "m_bakery", "s_bread", "2026-02-10T08:05:00Z", 2, 4.50, "store", "", "north"},
      {"o021", "c09", "m_bakery", "s_bread", "2026-02-11T08:00:00Z", 1, 4.50, "store", "", "north"},
      {"o022", "c09", "m_bakery2", "s_bread2", "2026-02-12T08:00:00Z", 1, 4.00, "store", "", "north"},
      {"o023", "c10", "m_bakery", "s_bread", "2026-02-13T08:00:00Z", 1, 4.50, "store", "", "north"},
      {"o024", "c10", "m_bakery2", "s_bread2", "2026-02-14T08:00:00Z", 2, 4.00, "store", "", "north"},
      {"o025", "c11", "m_hardware", "s_hammer", "2026-03-01T10:00:00Z", 1, 25.00, "web", "desktop", "south"},
      {"o026", "c12", "m_hardware", "s_hammer", "2026-03-02T10:00:00Z", 1, 25.00, "store", "", "south"},
      {"o027", "c12", "m_bakery", "s_bread", "2026-03-03T09:00:00Z", 1, 4.50, "store", "", "south"},
      {"o028", "c01", "m_cheese", "s_brie", "2026-03-04T12:00:00Z", 1, 9.00, "web", "mobile", "north"},
      {"o029", "c03", "m_cheese", "s_brie", "2026-03-05T12:00:00Z", 2, 9.00, "web", "mobile", "north"},
  };
  for (const auto& o : orders) {
    OrderLine line;
    line.order = OrderId(d.order_ids.Add(o.order));
    line.customer = CustomerId(d.customer_ids.Find(o.customer));
    line.merchant = MerchantId(d.merchant_ids.Find(o.merchant));
    line.sku = SkuId(d.sku_ids.Find(o.sku));
    line.ts = Ts(o.ts);
    line.quantity = o.quantity;
    line.unit_price = o.price;
    line.channel = d.order_channels.Add(o.channel);
    line.device = *o.device ? d.devices.Add(o.device) : kNoDictValue;
    line.region = RegionId(d.regions.Add(o.region));
    d.orders.push_back(line);
  }
  auto merchant = [&d](const char* id) { return MerchantId(d.merchant_ids.Find(id)); };
  d.partnerships.push_back({merchant("m_bakery"), merchant("m_bakery2"),
                            PartnershipKind::kCompetitor, Ts("2025-01-01")});
  d.partnerships.push_back({merchant("m_florist"), merchant("m_hardware"),
                            PartnershipKind::kPartner, Ts("2025-06-01")});
  d.partnerships.push_back(
      {merchant("m_bakery"), merchant("m_hardware"), PartnershipKind::kBlocked, std::nullopt});
  struct ConsentRow {
    const char *customer, *merchant;
    ContactChannel channel;
    ConsentStatus status;
    const char *ts, *source;
  };
  using CC = ContactChannel;
  using CS = ConsentStatus;
  for (const auto& r : {
           ConsentRow{"c01", "m_bakery", CC::kEmail, CS::kDoubleOptIn, "2025-12-01T10:00:00Z", "web_form"},
           ConsentRow{"c02", "m_bakery", CC::kEmail, CS::kConfirmedOptIn, "2025-12-02T10:00:00Z", "web_form"},
           ConsentRow{"c03", "m_bakery", CC::kEmail, CS::kPending, "2025-12-03T10:00:00Z", "web_form"},
           ConsentRow{"c04", "m_bakery", CC::kEmail, CS::kUnclear, "2025-12-04T10:00:00Z", "import"},
           ConsentRow{"c05", "m_bakery", CC::kEmail, CS::kUnsubscribed, "2026-01-20T10:00:00Z", "unsubscribe_link"},
           ConsentRow{"c06", "m_bakery", CC::kCallCentre, CS::kBlocked, "2025-12-06T10:00:00Z", "sales"},
           ConsentRow{"c01", "m_florist", CC::kNewsletter, CS::kDoubleOptIn, "2025-12-01T11:00:00Z", "web_form"},
           ConsentRow{"c02", "m_florist", CC::kEvents, CS::kUnclear, "2025-12-02T11:00:00Z", "trade_fair"},
           ConsentRow{"c05", "m_bakery", CC::kEmail, CS::kDoubleOptIn, "2025-11-01T10:00:00Z", "web_form"},
       }) {
    d.consent.push_back({CustomerId(d.customer_ids.Find(r.customer)), merchant(r.merchant),
                         r.channel, r.status, Ts(r.ts), d.consent_sources.Add(r.source)});
  }
  d.policies.assign(d.merchants.size(), MerchantPolicy{});
  auto policy = [&](const char* id, PermissionModel model, std::uint32_t k_min, bool share,
                    bool discoverable, bool coupons) {
    d.policies[merchant(id).value] = {model, k_min, share, discoverable, coupons};
  };
  policy("m_bakery", PermissionModel::kBuilding, 3, true, true, true);
  policy("m_florist", PermissionModel::kFull, 2, true, true, true);
  policy("m_wine", PermissionModel::kOptOutOnly, 5, false, true, true);
  policy("m_cheese", PermissionModel::kWeakened, 2, true, false, false);
  // engagement.csv and touchpoints.csv are not read by the graph.
  return d;
}

Dataset RandomDataset(std::uint64_t seed, std::uint32_t merchants, std::uint32_t customers,
                      std::uint32_t lines, std::uint32_t categories) {
  std::mt19937_64 rng(seed);
  auto below = [&rng](std::uint64_t n) { return static_cast<std::uint32_t>(rng() % n); };
  auto unit = [&rng] { return static_cast<double>(rng() >> 11) * 0x1.0p-53; };
  Dataset d;
  for (int r = 0; r < 3; ++r) d.regions.Add("r" + std::to_string(r));
  for (std::uint32_t k = 0; k < categories; ++k) d.categories.Add("cat" + std::to_string(k));
  for (std::uint32_t m = 0; m < merchants; ++m) {
    d.merchant_ids.Add("m" + std::to_string(m));
    d.merchants.push_back({"Merchant " + std::to_string(m), CategoryId(m % categories),
                           RegionId(below(3))});
    std::uint32_t skus = 1 + below(6);
    for (std::uint32_t s = 0; s < skus; ++s) {
      d.sku_ids.Add("m" + std::to_string(m) + "-s" + std::to_string(s));
      CategoryId category(below(5) == 0 ? below(categories) : m % categories);
      double price = std::round(std::exp(unit() * 5.0) * 100.0) / 100.0;
      d.skus.push_back({MerchantId(m), category, price});
    }
  }
  for (std::uint32_t c = 0; c < customers; ++c) {
    d.customer_ids.Add("c" + std::to_string(c));
    d.customers.push_back({below(10) == 0 ? RegionId() : RegionId(below(3))});
  }
  const Timestamp base = 1767225600;  // 2026-01-01
  const auto S = static_cast<std::uint32_t>(d.skus.size());
  for (std::uint32_t i = 0; i < lines; ++i) {
    OrderLine line;
    double u = unit();
    line.customer = CustomerId(static_cast<std::uint32_t>(u * u * customers));
    // Customers prefer SKUs near their own id, so pairs repeat.
    std::uint32_t s = below(3) == 0 ? below(S) : (line.customer.value * 7 + below(12)) % S;
    line.sku = SkuId(s);
    line.merchant = d.skus[s].merchant;
    line.ts = base + below(120 * 86400);
    line.quantity = 1 + below(3);
    line.unit_price = d.skus[s].price;
    line.order = OrderId(d.order_ids.Add("o" + std::to_string(i / 2)));
    line.region = below(4) == 0 ? RegionId(below(3)) : RegionId();
    d.orders.push_back(line);
  }
  for (std::uint32_t i = 0; i < merchants / 4; ++i) {
    std::uint32_t a = below(merchants), b = below(merchants);
    if (a == b) continue;
    d.partnerships.push_back({MerchantId(a), MerchantId(b), static_cast<PartnershipKind>(below(3)),
                              std::nullopt});
  }
  for (std::uint32_t i = 0; i < customers; ++i) {
    ConsentRecord r;
    r.customer = CustomerId(below(customers));
    r.merchant = MerchantId(below(merchants));
    r.channel = static_cast<ContactChannel>(below(2));
    r.status = static_cast<ConsentStatus>(below(6));
    r.ts = base + below(4) * 86400;  // few distinct days: equal timestamps happen
    d.consent.push_back(r);
  }
  return d;
}

std::vector<std::string> DumpGraph(const EcosystemGraph& g) {
  std::vector<std::string> out;
  auto line = [&out](std::string s) { out.push_back(std::move(s)); };
  line("counts " + std::to_string(g.merchant_count()) + " " + std::to_string(g.sku_count()) + " " +
       std::to_string(g.customer_count()) + " " + std::to_string(g.segment_count()) + " " +
       std::to_string(g.category_count()) + " " + std::to_string(g.region_count()) + " " +
       std::to_string(g.active_customer_count()) + " " + std::to_string(g.edge_count()) +
       " fingerprint " + std::to_string(g.Fingerprint()));
  const GraphOptions& o = g.options();
  line("options " + std::to_string(o.copurchase_window_seconds) + " " +
       std::to_string(o.min_copurchase_support) + " " + std::to_string(o.max_copurchase_neighbors) +
       " " + std::to_string(o.max_purchases_per_customer) + " " +
       std::to_string(o.min_shared_customers) + " " + std::to_string(o.price_bands) + " " +
       std::to_string(o.max_segments) + " " + std::to_string(o.derive_competitors) + " " +
       F(o.competitor_price_band_ratio) + " " + F(o.competitor_min_jaccard) + " " +
       std::to_string(o.competitor_max_candidates) + " " +
       std::to_string(o.max_derived_competitors) + " " + std::to_string(o.threads));
  for (int k = 0; k < kEdgeKindCount; ++k) {
    auto kind = static_cast<EdgeKind>(k);
    line("kind " + std::string(ToString(kind)) + " " + std::to_string(g.EdgeCount(kind)));
  }
  for (std::uint32_t i = 0; i < g.merchant_count(); ++i) {
    MerchantId m(i);
    auto info = g.Merchant(m);
    auto st = g.MerchantStatsOf(m);
    std::string s = "merchant " + std::to_string(i) + " " + std::string(info.external_id) + "|" +
                    std::string(info.name) + "|" + I(info.category) + "|" +
                    std::string(info.category_name) + "|" + I(info.region) + "|" +
                    std::string(info.region_name) + "|" +
                    std::to_string(static_cast<int>(info.policy.permission_model)) + "," +
                    std::to_string(info.policy.k_min) + "," +
                    std::to_string(info.policy.share_overlaps) +
                    std::to_string(info.policy.discoverable) +
                    std::to_string(info.policy.allow_coupons) + " stats " + F(st.revenue) + "," +
                    std::to_string(st.quantity) + "," + std::to_string(st.orders) + "," +
                    std::to_string(st.order_lines) + "," + std::to_string(st.active_skus) + "," +
                    std::to_string(st.customers) + "," + std::to_string(st.first_order_ts) + "," +
                    std::to_string(st.last_order_ts);
    line(s);
    s = " skus";
    for (SkuId sku : g.SkusOf(m)) s += " " + I(sku);
    s += " customers";
    for (const auto& c : g.CustomersOf(m)) s += " " + I(c.customer) + ":" + std::to_string(c.lines) + ":" + F(c.revenue);
    s += " reach";
    for (const auto& r : g.SegmentReachOf(m)) s += " " + I(r.segment) + ":" + std::to_string(r.customers);
    s += " shared";
    for (const auto& r : g.SharedCustomersOf(m)) s += " " + I(r.merchant) + ":" + std::to_string(r.customers);
    s += " partners";
    for (MerchantId p : g.Partners(m)) s += " " + I(p);
    s += " declared";
    for (MerchantId p : g.DeclaredCompetitors(m)) s += " " + I(p);
    s += " derived";
    for (const auto& p : g.DerivedCompetitors(m)) s += " " + I(p.merchant) + ":" + F(p.overlap);
    s += " blocked";
    for (MerchantId p : g.Blocked(m)) s += " " + I(p);
    line(s);
  }
  for (std::uint32_t i = 0; i < g.sku_count(); ++i) {
    SkuId sku(i);
    auto info = g.Sku(sku);
    auto st = g.SkuStatsOf(sku);
    std::string s = "sku " + std::to_string(i) + " " + std::string(info.external_id) + "|" +
                    I(info.merchant) + "|" + I(info.category) + "|" + F(info.price) + " stats " +
                    std::to_string(st.buyers) + "," + std::to_string(st.order_lines) + "," +
                    std::to_string(st.quantity) + "," + F(st.revenue) + " co";
    for (const auto& c : g.CoPurchaseNeighbors(sku)) {
      s += " " + I(c.sku) + ":" + std::to_string(c.support) + ":" + F(c.confidence) + ":" + F(c.lift);
    }
    line(s);
  }
  for (std::uint32_t i = 0; i < g.customer_count(); ++i) {
    CustomerId c(i);
    auto info = g.Customer(c);
    std::string s = "customer " + std::to_string(i) + " " + std::string(info.external_id) + "|" +
                    I(info.region) + "|" + I(info.segment) + " bought";
    for (const auto& p : g.PurchasesOf(c)) {
      s += " " + I(p.sku) + ":" + std::to_string(p.lines) + ":" + std::to_string(p.quantity) + ":" +
           F(p.revenue) + ":" + std::to_string(p.first_ts) + ":" + std::to_string(p.last_ts);
    }
    s += " consent";
    for (const auto& e : g.ConsentsOf(c)) {
      s += " " + I(e.merchant) + ":" + std::string(ToString(e.channel)) + ":" +
           std::string(ToString(e.status)) + ":" + std::to_string(e.ts) +
           (e.sales_block ? ":sales_block" : "");
    }
    line(s);
  }
  for (std::uint32_t i = 0; i < g.segment_count(); ++i) {
    SegmentId sg(i);
    auto info = g.Segment(sg);
    std::string s = "segment " + std::to_string(i) + " " + std::string(info.name) + "|" +
                    std::string(info.description) + "|" + I(info.region) + "|" +
                    I(info.category) + "|" + std::to_string(info.price_band) + "|" +
                    std::to_string(info.customers) + " reaches";
    for (const auto& r : g.MerchantsReachedBy(sg)) s += " " + I(r.merchant) + ":" + std::to_string(r.customers);
    line(s);
  }
  for (std::uint32_t i = 0; i < g.category_count(); ++i) {
    CategoryId k(i);
    std::string s = "category " + std::to_string(i) + " " + std::string(g.CategoryName(k)) + " " +
                    std::to_string(g.CategoryCustomers(k)) + " members";
    for (MerchantId m : g.MerchantsInCategory(k)) s += " " + I(m);
    s += " lifts";
    for (const auto& l : g.CategoryLifts(k)) {
      s += " " + I(l.category) + ":" + std::to_string(l.customers_both) + ":" + F(l.expected) + ":" + F(l.lift);
    }
    line(s);
  }
  for (std::uint32_t r = 0; r < g.region_count(); ++r) {
    line("region " + std::to_string(r) + " " + std::string(g.RegionName(RegionId(r))));
  }
  for (GraphVertex v = 0; v < g.vertex_count(); ++v) {
    std::string s = "vertex " + std::to_string(v) + " " + std::string(ToString(g.TypeOf(v)));
    for (GraphVertex w : g.OutNeighbors(v)) s += " " + std::to_string(w);
    line(s);
  }
  return out;
}

std::string FirstDifference(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (a[i] != b[i]) return "line " + std::to_string(i) + ":\n  " + a[i] + "\n  " + b[i];
  }
  if (a.size() != b.size()) {
    return "lengths differ: " + std::to_string(a.size()) + " vs " + std::to_string(b.size());
  }
  return "";
}

std::shared_ptr<const EcosystemGraph> BuildGraph(const Dataset& dataset,
                                                 const GraphOptions& options) {
  GraphBuilder builder(options);
  Status status = builder.Build(dataset);
  INFO(status.ToString());
  REQUIRE(status.ok());
  auto graph = builder.Freeze();
  REQUIRE(graph.ok());
  return std::move(graph).value();
}

}  // namespace partnergraph::testing
