// Dataset: the whole native input (SPEC.md "Native input format"), loaded into
// memory as typed, validated tables with dense ids.
//
// Layout: one std::vector per table, rows in file order (for orders: file
// order of the lines that passed validation). Every string key is interned in
// a Dictionary; a row refers to other tables by strong id (MerchantId,
// SkuId, ...), which is the index of the referenced row in its table:
// merchants[m.value], skus[s.value], customers[c.value].
// Timestamps are seconds since 1970-01-01T00:00:00Z (int64); an ISO-8601
// input with an offset is converted to UTC, one without is taken as UTC.
// Money is in the dataset's one currency, as double.
//
// A Dataset is a plain value: build it with the loader (loader.hpp), the
// generator or by hand in tests; it is not synchronised.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "partnergraph/common/dictionary.hpp"
#include "partnergraph/common/ids.hpp"

namespace partnergraph {

// Seconds since the Unix epoch, UTC.
using Timestamp = std::int64_t;

inline constexpr std::uint32_t kNoDictValue = Dictionary::kNotFound;

// ---- Enumerations of the native format (their CSV spelling in comments) ----

// partnerships.csv: kind
enum class PartnershipKind : std::uint8_t {
  kPartner = 0,     // "partner"
  kCompetitor = 1,  // "competitor"
  kBlocked = 2,     // "blocked": never recommend this pair
};

// consent.csv: status (SPEC.md "Consent")
enum class ConsentStatus : std::uint8_t {
  kUnclear = 0,         // "unclear"
  kBlocked = 1,         // "blocked" (by sales)
  kUnsubscribed = 2,    // "unsubscribed"
  kConfirmedOptIn = 3,  // "confirmed_opt_in"
  kDoubleOptIn = 4,     // "double_opt_in"
  kPending = 5,         // "pending" (double opt-in requested, not confirmed)
};

// consent.csv: channel. "phone", the spelling before calls were split into
// call centre and account manager, is read as "call_centre".
enum class ContactChannel : std::uint8_t {
  kEmail = 0,           // "email"
  kNewsletter = 1,      // "newsletter"
  kCallCentre = 2,      // "call_centre": calls from a call centre (input alias "phone")
  kSms = 3,             // "sms"
  kPost = 4,            // "post"
  kEvents = 5,          // "events": event invitations
  kAccountManager = 6,  // "account_manager": calls by the merchant's own account manager
};
inline constexpr int kContactChannelCount = 7;

// merchant_policy.csv: permission_model (SPEC.md "Consent")
enum class PermissionModel : std::uint8_t {
  kIgnore = 0,      // "ignore"
  kOptOutOnly = 1,  // "opt_out_only"
  kBuilding = 2,    // "building"
  kWeakened = 3,    // "weakened"
  kFull = 4,        // "full"
};

// Parse the CSV spelling; std::nullopt for an unknown value.
std::optional<PartnershipKind> ParsePartnershipKind(std::string_view s);
std::optional<ConsentStatus> ParseConsentStatus(std::string_view s);
std::optional<ContactChannel> ParseContactChannel(std::string_view s);
std::optional<PermissionModel> ParsePermissionModel(std::string_view s);
// The CSV spelling of each value.
std::string_view ToString(PartnershipKind v);
std::string_view ToString(ConsentStatus v);
std::string_view ToString(ContactChannel v);
std::string_view ToString(PermissionModel v);

// ---- Rows ----

// merchants.csv: merchant_id, name, category, region
struct Merchant {
  std::string name;
  CategoryId category;  // into Dataset::categories
  RegionId region;      // into Dataset::regions
};

// skus.csv: sku_id, merchant_id, category, price
struct Sku {
  MerchantId merchant;
  CategoryId category;  // into Dataset::categories (same taxonomy as merchants)
  double price = 0.0;   // list price, >= 0
};

// customers.csv: customer_id, region, ... (extra columns ignored).
// Customers first seen in orders.csv get an entry with an invalid region.
struct Customer {
  RegionId region;  // invalid when unknown
};

// orders.csv: order_id, customer_id, merchant_id, sku_id, ts, quantity, price
//             [, channel, device, region]. One row per order line.
struct OrderLine {
  // Fields ordered so that the struct has no padding: 48 bytes, the size that
  // bounds a 100M-line dataset in memory (docs/architecture.md "Memory").
  OrderId order;         // into Dataset::order_ids
  CustomerId customer;
  MerchantId merchant;   // equals skus[sku].merchant (validated)
  SkuId sku;
  Timestamp ts = 0;
  double unit_price = 0.0;       // >= 0; line revenue = quantity * unit_price
  std::uint32_t quantity = 0;    // > 0
  std::uint32_t channel = kNoDictValue;  // into Dataset::order_channels, or kNoDictValue
  std::uint32_t device = kNoDictValue;   // into Dataset::devices, or kNoDictValue
  RegionId region;                       // invalid when absent
  double revenue() const { return quantity * unit_price; }
};
static_assert(sizeof(OrderLine) == 48, "OrderLine grew: check the memory budget");

// partnerships.csv: merchant_a, merchant_b, kind, since
struct Partnership {
  MerchantId a;
  MerchantId b;
  PartnershipKind kind = PartnershipKind::kPartner;
  std::optional<Timestamp> since;
};

// consent.csv: customer_id, merchant_id, channel, status, ts, source
struct ConsentRecord {
  CustomerId customer;
  MerchantId merchant;
  ContactChannel channel = ContactChannel::kEmail;
  ConsentStatus status = ConsentStatus::kUnclear;
  Timestamp ts = 0;
  std::uint32_t source = kNoDictValue;  // into Dataset::consent_sources
};

// engagement.csv: merchant_id, ts, event, points?
struct EngagementEvent {
  MerchantId merchant;
  Timestamp ts = 0;
  std::uint32_t event = kNoDictValue;  // into Dataset::engagement_events
  std::optional<double> points;        // absent: the scorecard's default for the event
};

// touchpoints.csv: journey_id or customer_id (at least one), ts, partner_id,
//                  channel, campaign, device
struct Touchpoint {
  std::uint32_t journey = kNoDictValue;  // into Dataset::journey_ids, or kNoDictValue
  CustomerId customer;                   // invalid when the file has no customer_id
  Timestamp ts = 0;
  MerchantId partner;                    // invalid when empty
  std::uint32_t channel = kNoDictValue;  // into Dataset::touch_channels
  std::uint32_t campaign = kNoDictValue; // into Dataset::campaigns, or kNoDictValue
  std::uint32_t device = kNoDictValue;   // into Dataset::devices, or kNoDictValue
};

// merchant_policy.csv: merchant_id, permission_model, k_min, share_overlaps
//                      [, discoverable, allow_coupons]
// Merchants without a row get the defaults below.
struct MerchantPolicy {
  PermissionModel permission_model = PermissionModel::kBuilding;
  std::uint32_t k_min = 20;      // minimum count shown to others (SPEC.md "Privacy")
  bool share_overlaps = false;   // opted in to per-segment overlap detail
  bool discoverable = true;      // false: never suggested as a partner
  bool allow_coupons = true;     // false: never part of a coupon pairing
};

struct Dataset {
  // Interned string ids; the index in each equals the row index of its table.
  Dictionary merchant_ids;   // merchants.csv merchant_id
  Dictionary sku_ids;        // skus.csv sku_id
  Dictionary customer_ids;   // customers.csv customer_id, then new ones from orders/consent/touchpoints
  Dictionary order_ids;      // orders.csv order_id

  // Value dictionaries.
  Dictionary categories;     // merchant and SKU categories (one taxonomy)
  Dictionary regions;
  Dictionary order_channels;
  Dictionary devices;
  Dictionary consent_sources;
  Dictionary engagement_events;
  Dictionary journey_ids;
  Dictionary touch_channels;
  Dictionary campaigns;

  std::vector<Merchant> merchants;
  std::vector<Sku> skus;
  std::vector<Customer> customers;
  std::vector<OrderLine> orders;
  std::vector<Partnership> partnerships;
  std::vector<ConsentRecord> consent;
  std::vector<EngagementEvent> engagement;
  std::vector<Touchpoint> touchpoints;
  std::vector<MerchantPolicy> policies;  // one per merchant (defaults where no row)

  std::size_t merchant_count() const { return merchants.size(); }
  std::size_t sku_count() const { return skus.size(); }
  std::size_t customer_count() const { return customers.size(); }
  // Approximate heap bytes used by all tables and dictionaries.
  std::size_t MemoryBytes() const;
};

}  // namespace partnergraph
