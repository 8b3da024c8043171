#include "partnergraph/events/event_codec.hpp"

#include <fmt/format.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace partnergraph {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the record format is little-endian; a big-endian build needs byte swaps here");

class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}
  void U8(std::uint8_t v) { out_->push_back(static_cast<char>(v)); }
  void Varint(std::uint64_t v) {
    while (v >= 0x80) {
      U8(static_cast<std::uint8_t>(v | 0x80));
      v >>= 7;
    }
    U8(static_cast<std::uint8_t>(v));
  }
  void Signed(std::int64_t v) {
    Varint((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
  }
  void Double(double v) {
    char bytes[sizeof v];
    std::memcpy(bytes, &v, sizeof v);
    out_->append(bytes, sizeof bytes);
  }
  void Text(const std::string& s) {
    Varint(s.size());
    out_->append(s);
  }
  void Bool(bool v) { U8(v ? 1 : 0); }
  template <typename E>
  void Enum(E v) {
    U8(static_cast<std::uint8_t>(v));
  }
  template <typename T, typename F>
  void Optional(const std::optional<T>& v, F put) {
    Bool(v.has_value());
    if (v) put(*v);
  }

 private:
  std::string* out_;
};

// Reads a record; the first failure sticks and every later read returns a zero value.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  std::uint8_t U8(std::string_view what) {
    if (!Need(1, what)) return 0;
    return static_cast<std::uint8_t>(in_[pos_++]);
  }
  std::uint64_t Varint(std::string_view what) {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!Need(1, what)) return 0;
      const auto byte = static_cast<std::uint8_t>(in_[pos_++]);
      v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return v;
    }
    Fail(fmt::format("{}: varint longer than 10 bytes", what));
    return 0;
  }
  std::int64_t Signed(std::string_view what) {
    const std::uint64_t z = Varint(what);
    return static_cast<std::int64_t>((z >> 1) ^ (~(z & 1) + 1));
  }
  std::uint32_t U32(std::string_view what) {
    const std::uint64_t v = Varint(what);
    if (v > UINT32_MAX) Fail(fmt::format("{}: {} does not fit 32 bits", what, v));
    return static_cast<std::uint32_t>(v);
  }
  double Double(std::string_view what) {
    if (!Need(sizeof(double), what)) return 0;
    double v;
    std::memcpy(&v, in_.data() + pos_, sizeof v);
    pos_ += sizeof v;
    return v;
  }
  std::string Text(std::string_view what) {
    const std::uint64_t n = Varint(what);
    if (!Need(n, what)) return {};
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  bool Bool(std::string_view what) {
    const std::uint8_t b = U8(what);
    if (b > 1) Fail(fmt::format("{}: flag byte {} is not 0 or 1", what, b));
    return b == 1;
  }
  template <typename E>
  E Enum(std::string_view what, int count) {
    const std::uint8_t b = U8(what);
    if (b >= count) Fail(fmt::format("{}: value {} is out of range [0, {})", what, b, count));
    return static_cast<E>(b);
  }
  template <typename F>
  auto Optional(std::string_view what, F get) -> std::optional<decltype(get())> {
    if (!Bool(what)) return std::nullopt;
    return get();
  }
  Status Finish() {
    if (status_.ok() && pos_ != in_.size()) {
      Fail(fmt::format("{} bytes left over after the event", in_.size() - pos_));
    }
    return status_;
  }

 private:
  bool Need(std::uint64_t n, std::string_view what) {
    if (!status_.ok()) return false;
    if (n > in_.size() - pos_) {
      Fail(fmt::format("{}: needs {} bytes at offset {}, the record has {}", what, n, pos_,
                       in_.size()));
      return false;
    }
    return true;
  }
  void Fail(std::string message) {
    if (status_.ok()) status_ = Status::Corruption("event record: " + std::move(message));
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  Status status_ = Status::Ok();
};

// Each kind's fields, in declaration order, once for writing and once for reading.
void Put(Writer& w, const OrderLineEvent& e) {
  w.Text(e.order_id);
  w.Text(e.customer_id);
  w.Text(e.merchant_id);
  w.Text(e.sku_id);
  w.Signed(e.ts);
  w.Varint(e.quantity);
  w.Double(e.unit_price);
  w.Text(e.channel);
  w.Text(e.device);
  w.Text(e.region);
}
void Get(Reader& r, OrderLineEvent& e) {
  e.order_id = r.Text("order_id");
  e.customer_id = r.Text("customer_id");
  e.merchant_id = r.Text("merchant_id");
  e.sku_id = r.Text("sku_id");
  e.ts = r.Signed("ts");
  e.quantity = r.U32("quantity");
  e.unit_price = r.Double("unit_price");
  e.channel = r.Text("channel");
  e.device = r.Text("device");
  e.region = r.Text("region");
}

void Put(Writer& w, const ConsentChangeEvent& e) {
  w.Text(e.customer_id);
  w.Text(e.merchant_id);
  w.Enum(e.channel);
  w.Enum(e.status);
  w.Signed(e.ts);
  w.Text(e.source);
}
void Get(Reader& r, ConsentChangeEvent& e) {
  e.customer_id = r.Text("customer_id");
  e.merchant_id = r.Text("merchant_id");
  e.channel = r.Enum<ContactChannel>("channel", kContactChannelCount);
  e.status = r.Enum<ConsentStatus>("status", 6);
  e.ts = r.Signed("ts");
  e.source = r.Text("source");
}

void Put(Writer& w, const EngagementActivityEvent& e) {
  w.Text(e.merchant_id);
  w.Signed(e.ts);
  w.Text(e.activity);
  w.Optional(e.points, [&](double v) { w.Double(v); });
}
void Get(Reader& r, EngagementActivityEvent& e) {
  e.merchant_id = r.Text("merchant_id");
  e.ts = r.Signed("ts");
  e.activity = r.Text("activity");
  e.points = r.Optional("points", [&] { return r.Double("points"); });
}

void Put(Writer& w, const PolicyChangeEvent& e) {
  w.Text(e.merchant_id);
  w.Signed(e.ts);
  w.Optional(e.permission_model, [&](PermissionModel v) { w.Enum(v); });
  w.Optional(e.k_min, [&](std::uint32_t v) { w.Varint(v); });
  w.Optional(e.share_overlaps, [&](bool v) { w.Bool(v); });
  w.Optional(e.discoverable, [&](bool v) { w.Bool(v); });
  w.Optional(e.allow_coupons, [&](bool v) { w.Bool(v); });
}
void Get(Reader& r, PolicyChangeEvent& e) {
  e.merchant_id = r.Text("merchant_id");
  e.ts = r.Signed("ts");
  e.permission_model = r.Optional("permission_model",
                                  [&] { return r.Enum<PermissionModel>("permission_model", 5); });
  e.k_min = r.Optional("k_min", [&] { return r.U32("k_min"); });
  e.share_overlaps = r.Optional("share_overlaps", [&] { return r.Bool("share_overlaps"); });
  e.discoverable = r.Optional("discoverable", [&] { return r.Bool("discoverable"); });
  e.allow_coupons = r.Optional("allow_coupons", [&] { return r.Bool("allow_coupons"); });
}

void Put(Writer& w, const PartnershipChangeEvent& e) {
  w.Text(e.merchant_a);
  w.Text(e.merchant_b);
  w.Enum(e.kind);
  w.Bool(e.removed);
  w.Signed(e.ts);
}
void Get(Reader& r, PartnershipChangeEvent& e) {
  e.merchant_a = r.Text("merchant_a");
  e.merchant_b = r.Text("merchant_b");
  e.kind = r.Enum<PartnershipKind>("kind", 3);
  e.removed = r.Bool("removed");
  e.ts = r.Signed("ts");
}

void Put(Writer& w, const NewMerchantEvent& e) {
  w.Text(e.merchant_id);
  w.Text(e.name);
  w.Text(e.category);
  w.Text(e.region);
  w.Signed(e.ts);
}
void Get(Reader& r, NewMerchantEvent& e) {
  e.merchant_id = r.Text("merchant_id");
  e.name = r.Text("name");
  e.category = r.Text("category");
  e.region = r.Text("region");
  e.ts = r.Signed("ts");
}

void Put(Writer& w, const NewSkuEvent& e) {
  w.Text(e.sku_id);
  w.Text(e.merchant_id);
  w.Text(e.category);
  w.Double(e.price);
  w.Signed(e.ts);
}
void Get(Reader& r, NewSkuEvent& e) {
  e.sku_id = r.Text("sku_id");
  e.merchant_id = r.Text("merchant_id");
  e.category = r.Text("category");
  e.price = r.Double("price");
  e.ts = r.Signed("ts");
}

// The body of kind `index` default-constructed (variant alternatives by runtime index).
template <std::size_t I = 0>
Event::Body BodyOfKind(std::size_t index) {
  if constexpr (I + 1 < std::variant_size_v<Event::Body>) {
    if (index != I) return BodyOfKind<I + 1>(index);
  }
  return Event::Body(std::in_place_index<I>);
}

}  // namespace

void EncodeEvent(const Event& event, std::string* out) {
  Writer w(out);
  w.U8(kEventRecordVersion);
  w.U8(static_cast<std::uint8_t>(event.body.index()));
  w.Text(event.event_id);
  std::visit([&](const auto& body) { Put(w, body); }, event.body);
}

Result<Event> DecodeEvent(std::string_view record) {
  if (record.size() < 2) {
    return Status::Corruption(
        fmt::format("event record: {} bytes, shorter than its 2-byte header", record.size()));
  }
  Reader r(record);
  const std::uint8_t version = r.U8("version");
  if (version != kEventRecordVersion) {
    return Status::Corruption(fmt::format("event record: version {}, this build reads version {}",
                                          version, kEventRecordVersion));
  }
  const std::uint8_t kind = r.U8("kind");
  if (kind >= kEventKindCount) {
    return Status::Corruption(
        fmt::format("event record: kind {} is out of range [0, {})", kind, kEventKindCount));
  }
  Event event;
  event.event_id = r.Text("event_id");
  event.body = BodyOfKind(kind);
  std::visit([&](auto& body) { Get(r, body); }, event.body);
  PG_RETURN_IF_ERROR(r.Finish());
  return event;
}

}  // namespace partnergraph
