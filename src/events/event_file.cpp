#include "partnergraph/events/event_file.hpp"

#include <fmt/format.h>

#include <array>
#include <vector>

#include "partnergraph/ingest/field_parsers.hpp"

namespace partnergraph {
namespace {

struct KindFile {
  EventKind kind;
  std::string_view stem;  // the native file's name without ".csv"
  std::vector<std::string_view> required;
};

const std::array<KindFile, kEventKindCount>& KindFiles() {
  static const std::array<KindFile, kEventKindCount> files = {{
      {EventKind::kOrderLine,
       "orders",
       {"order_id", "customer_id", "merchant_id", "sku_id", "ts", "quantity", "price"}},
      {EventKind::kConsentChange,
       "consent",
       {"customer_id", "merchant_id", "channel", "status", "ts"}},
      {EventKind::kEngagementActivity, "engagement", {"merchant_id", "ts", "event"}},
      {EventKind::kPolicyChange, "merchant_policy", {"merchant_id"}},
      {EventKind::kPartnershipChange, "partnerships", {"merchant_a", "merchant_b", "kind"}},
      {EventKind::kNewMerchant, "merchants", {"merchant_id", "name", "category", "region"}},
      {EventKind::kNewSku, "skus", {"sku_id", "merchant_id", "category", "price"}},
  }};
  return files;
}

// A row's fields by column name; an absent column reads as empty.
class Row {
 public:
  Row(const CsvReader& reader, const CsvRecord& record) : reader_(reader), record_(record) {}
  std::string_view operator[](std::string_view column) const {
    const auto index = reader_.Column(column);
    return index && *index < record_.fields.size() ? record_.fields[*index] : std::string_view();
  }
  bool has(std::string_view column) const { return reader_.Column(column).has_value(); }

 private:
  const CsvReader& reader_;
  const CsvRecord& record_;
};

// The first bad field of a row, as "column <name>: <reason>".
class RowChecker {
 public:
  explicit RowChecker(const Row& row) : row_(row) {}

  std::string Text(std::string_view column, bool required) {
    const std::string_view v = row_[column];
    if (required && v.empty()) Fail(column, std::string(kEmptyReason));
    return std::string(v);
  }
  Timestamp Time(std::string_view column, Timestamp fallback) {
    const std::string_view v = row_[column];
    if (v.empty()) return fallback;
    const auto ts = ParseTimestamp(v);
    if (!ts) Fail(column, NotATimestamp(v));
    return ts.value_or(0);
  }
  Timestamp RequiredTime(std::string_view column) {
    if (row_[column].empty()) Fail(column, std::string(kEmptyReason));
    return Time(column, 0);
  }
  double NonNegative(std::string_view column) {
    const std::string_view v = row_[column];
    if (v.empty()) return Fail(column, std::string(kEmptyReason)), 0.0;
    const auto n = ParseNumber(v);
    if (!n) return Fail(column, NotANumber(v)), 0.0;
    if (*n < 0) Fail(column, Negative(v));
    return *n;
  }
  std::optional<double> OptionalNonNegative(std::string_view column) {
    if (row_[column].empty()) return std::nullopt;
    return NonNegative(column);
  }
  std::optional<std::uint32_t> Positive(std::string_view column, bool required) {
    const std::string_view v = row_[column];
    if (v.empty()) {
      if (required) Fail(column, std::string(kEmptyReason));
      return std::nullopt;
    }
    const auto n = ParseUnsigned(v);
    if (!n || *n == 0) Fail(column, Quote(v) + " is not a positive integer");
    return n;
  }
  std::optional<bool> Bool(std::string_view column) {
    const std::string_view v = row_[column];
    if (v.empty()) return std::nullopt;
    const auto b = ParseBool(v);
    if (!b) Fail(column, NotABool(v));
    return b;
  }
  template <typename E>
  std::optional<E> Enum(std::string_view column, std::optional<E> (*parse)(std::string_view),
                        bool required) {
    const std::string_view v = row_[column];
    if (v.empty()) {
      if (required) Fail(column, std::string(kEmptyReason));
      return std::nullopt;
    }
    const auto e = parse(v);
    if (!e) Fail(column, Quote(v) + " is not one of its values (docs/formats.md)");
    return e;
  }
  void Fail(std::string_view column, std::string reason) {
    if (error_.empty()) error_ = fmt::format("column {}: {}", column, reason);
  }
  const std::string& error() const { return error_; }

 private:
  const Row& row_;
  std::string error_;
};

}  // namespace

std::optional<EventKind> EventKindOfFileName(const std::filesystem::path& path) {
  std::string name = path.filename().string();
  for (std::string_view suffix : {".gz", ".csv"}) {
    if (name.size() > suffix.size() && name.ends_with(suffix))
      name.resize(name.size() - suffix.size());
  }
  for (const KindFile& f : KindFiles()) {
    if (name == f.stem) return f.kind;
  }
  return std::nullopt;
}

std::optional<EventKind> ParseEventKind(std::string_view name) {
  for (std::size_t i = 0; i < kEventKindCount; ++i) {
    if (ToString(static_cast<EventKind>(i)) == name) return static_cast<EventKind>(i);
  }
  return std::nullopt;
}

EventFile::EventFile(CsvReader reader, EventFileOptions options, EventKind kind)
    : reader_(std::move(reader)), options_(std::move(options)), kind_(kind) {}

Result<EventFile> EventFile::Open(const std::filesystem::path& path, EventFileOptions options) {
  std::optional<EventKind> kind = options.kind ? options.kind : EventKindOfFileName(path);
  if (!kind) {
    return Status::InvalidArgument(fmt::format(
        "{}: cannot tell the kind of events from the file name: name it like the native file "
        "(orders.csv, consent.csv, engagement.csv, merchant_policy.csv, partnerships.csv, "
        "merchants.csv, skus.csv) or give the kind",
        path.filename().string()));
  }
  PG_ASSIGN_OR_RETURN(CsvReader reader, CsvReader::Open(path));
  std::string missing;
  for (std::string_view column : KindFiles()[static_cast<std::size_t>(*kind)].required) {
    if (!reader.Column(column)) missing += fmt::format("{}{}", missing.empty() ? "" : ", ", column);
  }
  if (!missing.empty()) {
    return Status::InvalidArgument(fmt::format("{}: missing required column(s) {} for {} events",
                                               reader.display_name(), missing, ToString(*kind)));
  }
  return EventFile(std::move(reader), std::move(options), *kind);
}

Result<Event> EventFile::Parse(const CsvRecord& record) const {
  if (!record.error.empty()) return Status::InvalidArgument(std::string(record.error));
  const Row row(reader_, record);
  RowChecker c(row);
  Event event;
  event.event_id = row.has("event_id")
                       ? c.Text("event_id", true)
                       : fmt::format("{}{}:{}", options_.id_prefix, display_name(), record.line);
  const Timestamp fallback = options_.default_ts;
  switch (kind_) {
    case EventKind::kOrderLine: {
      OrderLineEvent e;
      e.order_id = c.Text("order_id", true);
      e.customer_id = c.Text("customer_id", true);
      e.merchant_id = c.Text("merchant_id", true);
      e.sku_id = c.Text("sku_id", true);
      e.ts = c.RequiredTime("ts");
      e.quantity = c.Positive("quantity", true).value_or(0);
      e.unit_price = c.NonNegative("price");
      e.channel = c.Text("channel", false);
      e.device = c.Text("device", false);
      e.region = c.Text("region", false);
      event.body = std::move(e);
      break;
    }
    case EventKind::kConsentChange: {
      ConsentChangeEvent e;
      e.customer_id = c.Text("customer_id", true);
      e.merchant_id = c.Text("merchant_id", true);
      e.channel = c.Enum("channel", &ParseContactChannel, true).value_or(ContactChannel::kEmail);
      e.status = c.Enum("status", &ParseConsentStatus, true).value_or(ConsentStatus::kUnclear);
      e.ts = c.RequiredTime("ts");
      e.source = c.Text("source", false);
      event.body = std::move(e);
      break;
    }
    case EventKind::kEngagementActivity: {
      EngagementActivityEvent e;
      e.merchant_id = c.Text("merchant_id", true);
      e.ts = c.RequiredTime("ts");
      e.activity = c.Text("event", true);
      e.points = c.OptionalNonNegative("points");
      event.body = std::move(e);
      break;
    }
    case EventKind::kPolicyChange: {
      PolicyChangeEvent e;
      e.merchant_id = c.Text("merchant_id", true);
      e.ts = c.Time("ts", fallback);
      e.permission_model = c.Enum("permission_model", &ParsePermissionModel, false);
      e.k_min = c.Positive("k_min", false);
      e.share_overlaps = c.Bool("share_overlaps");
      e.discoverable = c.Bool("discoverable");
      e.allow_coupons = c.Bool("allow_coupons");
      event.body = std::move(e);
      break;
    }
    case EventKind::kPartnershipChange: {
      PartnershipChangeEvent e;
      e.merchant_a = c.Text("merchant_a", true);
      e.merchant_b = c.Text("merchant_b", true);
      e.kind = c.Enum("kind", &ParsePartnershipKind, true).value_or(PartnershipKind::kPartner);
      e.removed = c.Bool("removed").value_or(false);
      e.ts = row.has("since") ? c.Time("since", fallback) : c.Time("ts", fallback);
      event.body = std::move(e);
      break;
    }
    case EventKind::kNewMerchant: {
      NewMerchantEvent e;
      e.merchant_id = c.Text("merchant_id", true);
      e.name = c.Text("name", true);
      e.category = c.Text("category", true);
      e.region = c.Text("region", true);
      e.ts = c.Time("ts", fallback);
      event.body = std::move(e);
      break;
    }
    case EventKind::kNewSku: {
      NewSkuEvent e;
      e.sku_id = c.Text("sku_id", true);
      e.merchant_id = c.Text("merchant_id", true);
      e.category = c.Text("category", true);
      e.price = c.NonNegative("price");
      e.ts = c.Time("ts", fallback);
      event.body = std::move(e);
      break;
    }
  }
  if (!c.error().empty()) return Status::InvalidArgument(c.error());
  return event;
}

std::size_t EventFile::CountRows() const {
  std::size_t rows = 0;
  reader_.ForEach([&](const CsvRecord&) { ++rows; });
  return rows;
}

Status EventFile::ForEachBatch(
    std::size_t batch_size,
    const std::function<Status(std::span<const Event>, std::size_t)>& fn) const {
  if (batch_size == 0) return Status::InvalidArgument("batch size: must be at least 1");
  // Pass 1: every row, so that a file with a bad row sends nothing.
  std::size_t bad = 0;
  std::string listed;
  reader_.ForEach([&](const CsvRecord& record) {
    Result<Event> event = Parse(record);
    if (event.ok()) return;
    if (bad++ < options_.max_listed_errors) {
      listed += fmt::format("\n  {}:{}: {}", display_name(), record.line, event.status().message());
    }
  });
  if (bad > 0) {
    return Status::InvalidArgument(
        fmt::format("{}: {} bad row(s), nothing was sent:{}{}", display_name(), bad, listed,
                    bad > options_.max_listed_errors
                        ? fmt::format("\n  ... and {} more", bad - options_.max_listed_errors)
                        : std::string()));
  }
  PG_RETURN_IF_ERROR(reader_.CheckUnchanged());
  // Pass 2: the batches.
  std::vector<Event> batch;
  batch.reserve(batch_size);
  std::size_t first_row = 0;
  Status status = Status::Ok();
  reader_.ForEach([&](const CsvRecord& record) {
    if (!status.ok()) return;
    Result<Event> event = Parse(record);
    if (!event.ok()) {  // the file changed under the reader between the two passes
      status = Status::InvalidArgument(
          fmt::format("{}:{}: {}", display_name(), record.line, event.status().message()));
      return;
    }
    batch.push_back(std::move(event).value());
    if (batch.size() == batch_size) {
      status = fn(batch, first_row);
      first_row += batch.size();
      batch.clear();
    }
  });
  if (status.ok() && !batch.empty()) status = fn(batch, first_row);
  PG_RETURN_IF_ERROR(status);
  return reader_.CheckUnchanged();
}

}  // namespace partnergraph
