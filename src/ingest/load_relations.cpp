// partnerships.csv, consent.csv, engagement.csv, touchpoints.csv,
// merchant_policy.csv: the optional tables that refer to merchants and customers.
#include <fmt/format.h>

#include <unordered_map>

#include "load_context.hpp"

namespace partnergraph::ingest_internal {
namespace {

// "\"friend\" is not a partnership kind (partner, competitor, blocked)".
template <typename Enum>
std::string NotAnEnum(std::string_view text, std::string_view what, int count) {
  std::string out = Quote(text) + " is not a " + std::string(what) + " (";
  for (int i = 0; i < count; ++i) {
    if (i > 0) out += ", ";
    out += ToString(static_cast<Enum>(i));
  }
  return out + ")";
}

// Resolves a merchant reference; on failure returns false and sets `reason`.
bool ResolveMerchant(const LoadContext& ctx, std::string_view id, MerchantId& out,
                     std::string& reason) {
  if (id.empty()) {
    reason = kEmptyReason;
    return false;
  }
  const std::uint32_t m = ctx.dataset.merchant_ids.Find(id);
  if (m == Dictionary::kNotFound) {
    reason = UnresolvedReason("merchant", id, ctx.merchants);
    return false;
  }
  out = MerchantId(m);
  return true;
}

// A customer reference: with customers.csv it must exist; without, an unknown id
// is created by CommitCustomer() once the row is accepted.
struct CustomerRef {
  std::string_view id;
  std::uint32_t index = Dictionary::kNotFound;
};

bool ResolveCustomer(const LoadContext& ctx, std::string_view id, CustomerRef& out,
                     std::string& reason) {
  if (id.empty()) {
    reason = kEmptyReason;
    return false;
  }
  out.id = id;
  out.index = ctx.dataset.customer_ids.Find(id);
  if (out.index == Dictionary::kNotFound && ctx.has_customer_file) {
    reason = UnresolvedReason("customer", id, ctx.customers);
    return false;
  }
  return true;
}

CustomerId CommitCustomer(Dataset& ds, const CustomerRef& ref) {
  if (ref.index != Dictionary::kNotFound) return CustomerId(ref.index);
  const std::uint32_t index = ds.customer_ids.Add(ref.id);
  ds.customers.push_back(Customer{});
  return CustomerId(index);
}

std::uint32_t AddIfPresent(Dictionary& dict, std::string_view value) {
  return value.empty() ? kNoDictValue : dict.Add(value);
}

}  // namespace

Status LoadPartnerships(const CsvReader& reader, LoadContext& ctx, TableCounts& counts) {
  ColumnMap columns(reader);
  const std::size_t c_a = columns.Required("merchant_a");
  const std::size_t c_b = columns.Required("merchant_b");
  const std::size_t c_kind = columns.Required("kind");
  const std::optional<std::size_t> c_since = columns.Optional("since");
  PG_RETURN_IF_ERROR(CheckColumns(columns, reader, ctx));
  Dataset& ds = ctx.dataset;
  std::unordered_map<std::uint64_t, std::size_t> pair_lines;  // (min, max) -> first line
  reader.ForEach([&](const CsvRecord& record) {
    ++counts.read;
    auto reject = [&](std::string_view column, std::string reason) {
      ctx.errors.Add(RowError(reader, record, column, std::move(reason)));
    };
    if (!record.error.empty()) return reject("", std::string(record.error));
    Partnership p;
    std::string reason;
    if (!ResolveMerchant(ctx, record.fields[c_a], p.a, reason)) return reject("merchant_a", reason);
    if (!ResolveMerchant(ctx, record.fields[c_b], p.b, reason)) return reject("merchant_b", reason);
    if (p.a == p.b) {
      return reject("merchant_b", "a merchant cannot partner with itself (" +
                                      Quote(record.fields[c_a]) + ")");
    }
    // A repeated pair (in either order) is a duplicate even when the first row was rejected.
    const std::uint64_t key = (std::uint64_t{std::min(p.a, p.b).value} << 32) |
                              std::max(p.a, p.b).value;
    auto [it, inserted] = pair_lines.emplace(key, record.line);
    if (!inserted) {
      return reject("merchant_b",
                    fmt::format("duplicate partnership of {} and {} (first at line {})",
                                Quote(record.fields[c_a]), Quote(record.fields[c_b]), it->second));
    }
    const std::string_view kind = record.fields[c_kind];
    if (kind.empty()) return reject("kind", std::string(kEmptyReason));
    const auto parsed_kind = ParsePartnershipKind(kind);
    if (!parsed_kind) return reject("kind", NotAnEnum<PartnershipKind>(kind, "partnership kind", 3));
    p.kind = *parsed_kind;
    if (c_since && !record.fields[*c_since].empty()) {
      const std::string_view since = record.fields[*c_since];
      p.since = ParseTimestamp(since);
      if (!p.since) return reject("since", NotATimestamp(since));
    }
    ds.partnerships.push_back(p);
    ++counts.loaded;
  });
  return Status::Ok();
}

Status LoadConsent(const CsvReader& reader, LoadContext& ctx, TableCounts& counts) {
  ColumnMap columns(reader);
  const std::size_t c_customer = columns.Required("customer_id");
  const std::size_t c_merchant = columns.Required("merchant_id");
  const std::size_t c_channel = columns.Required("channel");
  const std::size_t c_status = columns.Required("status");
  const std::size_t c_ts = columns.Required("ts");
  const std::optional<std::size_t> c_source = columns.Optional("source");
  PG_RETURN_IF_ERROR(CheckColumns(columns, reader, ctx));
  Dataset& ds = ctx.dataset;
  reader.ForEach([&](const CsvRecord& record) {
    ++counts.read;
    auto reject = [&](std::string_view column, std::string reason) {
      ctx.errors.Add(RowError(reader, record, column, std::move(reason)));
    };
    if (!record.error.empty()) return reject("", std::string(record.error));
    ConsentRecord row;
    CustomerRef customer;
    std::string reason;
    if (!ResolveCustomer(ctx, record.fields[c_customer], customer, reason)) {
      return reject("customer_id", reason);
    }
    if (!ResolveMerchant(ctx, record.fields[c_merchant], row.merchant, reason)) {
      return reject("merchant_id", reason);
    }
    const std::string_view channel = record.fields[c_channel];
    if (channel.empty()) return reject("channel", std::string(kEmptyReason));
    const auto parsed_channel = ParseContactChannel(channel);
    if (!parsed_channel) {
      return reject("channel",
                    NotAnEnum<ContactChannel>(channel, "consent channel", kContactChannelCount));
    }
    row.channel = *parsed_channel;
    const std::string_view status = record.fields[c_status];
    if (status.empty()) return reject("status", std::string(kEmptyReason));
    const auto parsed_status = ParseConsentStatus(status);
    if (!parsed_status) return reject("status", NotAnEnum<ConsentStatus>(status, "consent status", 6));
    row.status = *parsed_status;
    const std::string_view ts_text = record.fields[c_ts];
    if (ts_text.empty()) return reject("ts", std::string(kEmptyReason));
    const auto ts = ParseTimestamp(ts_text);
    if (!ts) return reject("ts", NotATimestamp(ts_text));
    row.ts = *ts;
    if (c_source) row.source = AddIfPresent(ds.consent_sources, record.fields[*c_source]);
    row.customer = CommitCustomer(ds, customer);
    ds.consent.push_back(row);
    ++counts.loaded;
  });
  return Status::Ok();
}

Status LoadEngagement(const CsvReader& reader, LoadContext& ctx, TableCounts& counts) {
  ColumnMap columns(reader);
  const std::size_t c_merchant = columns.Required("merchant_id");
  const std::size_t c_ts = columns.Required("ts");
  const std::size_t c_event = columns.Required("event");
  const std::optional<std::size_t> c_points = columns.Optional("points");
  PG_RETURN_IF_ERROR(CheckColumns(columns, reader, ctx));
  Dataset& ds = ctx.dataset;
  reader.ForEach([&](const CsvRecord& record) {
    ++counts.read;
    auto reject = [&](std::string_view column, std::string reason) {
      ctx.errors.Add(RowError(reader, record, column, std::move(reason)));
    };
    if (!record.error.empty()) return reject("", std::string(record.error));
    EngagementEvent row;
    std::string reason;
    if (!ResolveMerchant(ctx, record.fields[c_merchant], row.merchant, reason)) {
      return reject("merchant_id", reason);
    }
    const std::string_view ts_text = record.fields[c_ts];
    if (ts_text.empty()) return reject("ts", std::string(kEmptyReason));
    const auto ts = ParseTimestamp(ts_text);
    if (!ts) return reject("ts", NotATimestamp(ts_text));
    row.ts = *ts;
    const std::string_view event = record.fields[c_event];
    if (event.empty()) return reject("event", std::string(kEmptyReason));
    if (c_points && !record.fields[*c_points].empty()) {
      const std::string_view points_text = record.fields[*c_points];
      row.points = ParseNumber(points_text);
      if (!row.points) return reject("points", NotANumber(points_text));
      if (*row.points < 0) return reject("points", Negative(points_text));
    }
    row.event = ds.engagement_events.Add(event);
    ds.engagement.push_back(row);
    ++counts.loaded;
  });
  return Status::Ok();
}

Status LoadTouchpoints(const CsvReader& reader, LoadContext& ctx, TableCounts& counts) {
  ColumnMap columns(reader);
  const std::optional<std::size_t> c_journey = columns.Optional("journey_id");
  const std::optional<std::size_t> c_customer = columns.Optional("customer_id");
  const std::size_t c_ts = columns.Required("ts");
  const std::size_t c_partner = columns.Required("partner_id");
  const std::size_t c_channel = columns.Required("channel");
  const std::optional<std::size_t> c_campaign = columns.Optional("campaign");
  const std::optional<std::size_t> c_device = columns.Optional("device");
  if (!c_journey && !c_customer) {
    ctx.errors.Add({reader.display_name(), 1, "journey_id",
                    "required column is missing (a journey_id or a customer_id column is needed)",
                    ""});
  }
  Status columns_status = CheckColumns(columns, reader, ctx);
  if (!c_journey && !c_customer) {
    return Status::InvalidArgument(reader.display_name() +
                                   ": missing required column journey_id or customer_id");
  }
  PG_RETURN_IF_ERROR(columns_status);
  Dataset& ds = ctx.dataset;
  reader.ForEach([&](const CsvRecord& record) {
    ++counts.read;
    auto reject = [&](std::string_view column, std::string reason) {
      ctx.errors.Add(RowError(reader, record, column, std::move(reason)));
    };
    if (!record.error.empty()) return reject("", std::string(record.error));
    Touchpoint row;
    std::string reason;
    const std::string_view journey = c_journey ? record.fields[*c_journey] : std::string_view();
    CustomerRef customer;
    if (c_customer) {
      if (!ResolveCustomer(ctx, record.fields[*c_customer], customer, reason)) {
        return reject("customer_id", reason);
      }
    } else if (journey.empty()) {
      return reject("journey_id", std::string(kEmptyReason));
    }
    const std::string_view ts_text = record.fields[c_ts];
    if (ts_text.empty()) return reject("ts", std::string(kEmptyReason));
    const auto ts = ParseTimestamp(ts_text);
    if (!ts) return reject("ts", NotATimestamp(ts_text));
    row.ts = *ts;
    const std::string_view partner = record.fields[c_partner];
    if (!partner.empty() && !ResolveMerchant(ctx, partner, row.partner, reason)) {
      return reject("partner_id", reason);
    }
    const std::string_view channel = record.fields[c_channel];
    if (channel.empty()) return reject("channel", std::string(kEmptyReason));
    row.journey = AddIfPresent(ds.journey_ids, journey);
    if (c_customer) row.customer = CommitCustomer(ds, customer);
    row.channel = ds.touch_channels.Add(channel);
    if (c_campaign) row.campaign = AddIfPresent(ds.campaigns, record.fields[*c_campaign]);
    if (c_device) row.device = AddIfPresent(ds.devices, record.fields[*c_device]);
    ds.touchpoints.push_back(row);
    ++counts.loaded;
  });
  return Status::Ok();
}

Status LoadMerchantPolicies(const CsvReader& reader, LoadContext& ctx, TableCounts& counts) {
  ColumnMap columns(reader);
  const std::size_t c_merchant = columns.Required("merchant_id");
  const std::size_t c_model = columns.Required("permission_model");
  const std::size_t c_k_min = columns.Required("k_min");
  const std::size_t c_share = columns.Required("share_overlaps");
  const std::optional<std::size_t> c_discoverable = columns.Optional("discoverable");
  const std::optional<std::size_t> c_coupons = columns.Optional("allow_coupons");
  PG_RETURN_IF_ERROR(CheckColumns(columns, reader, ctx));
  Dataset& ds = ctx.dataset;
  std::vector<std::size_t> policy_lines(ds.merchants.size(), 0);
  reader.ForEach([&](const CsvRecord& record) {
    ++counts.read;
    auto reject = [&](std::string_view column, std::string reason) {
      ctx.errors.Add(RowError(reader, record, column, std::move(reason)));
    };
    if (!record.error.empty()) return reject("", std::string(record.error));
    MerchantId merchant;
    std::string reason;
    if (!ResolveMerchant(ctx, record.fields[c_merchant], merchant, reason)) {
      return reject("merchant_id", reason);
    }
    if (policy_lines[merchant.value] != 0) {
      return reject("merchant_id",
                    fmt::format("merchant {} already has a policy (line {})",
                                Quote(record.fields[c_merchant]), policy_lines[merchant.value]));
    }
    policy_lines[merchant.value] = record.line;
    MerchantPolicy policy;
    if (const std::string_view model = record.fields[c_model]; !model.empty()) {
      const auto parsed = ParsePermissionModel(model);
      if (!parsed) return reject("permission_model", NotAnEnum<PermissionModel>(model, "permission model", 5));
      policy.permission_model = *parsed;
    }
    if (const std::string_view k_min = record.fields[c_k_min]; !k_min.empty()) {
      const auto parsed = ParseUnsigned(k_min);
      if (!parsed || *parsed < 1) return reject("k_min", Quote(k_min) + " is not an integer >= 1");
      policy.k_min = *parsed;
    }
    auto read_bool = [&](std::optional<std::size_t> column, bool& out) {
      if (!column || record.fields[*column].empty()) return true;
      const auto parsed = ParseBool(record.fields[*column]);
      if (!parsed) return false;
      out = *parsed;
      return true;
    };
    if (!read_bool(c_share, policy.share_overlaps)) {
      return reject("share_overlaps", NotABool(record.fields[c_share]));
    }
    if (!read_bool(c_discoverable, policy.discoverable)) {
      return reject("discoverable", NotABool(record.fields[*c_discoverable]));
    }
    if (!read_bool(c_coupons, policy.allow_coupons)) {
      return reject("allow_coupons", NotABool(record.fields[*c_coupons]));
    }
    ds.policies[merchant.value] = policy;
    ++counts.loaded;
  });
  return Status::Ok();
}

}  // namespace partnergraph::ingest_internal
