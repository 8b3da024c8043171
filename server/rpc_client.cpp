#include "rpc_client.hpp"

#include <fmt/format.h>
#include <thrift/TApplicationException.h>
#include <thrift/TConfiguration.h>
#include <thrift/TOutput.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/protocol/TCompactProtocol.h>
#include <thrift/protocol/TProtocolException.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/TSocket.h>
#include <thrift/transport/TTransportException.h>

#include <algorithm>
#include <limits>
#include <mutex>
#include <utility>
#include <variant>

#include "PartnerGraph.h"
#include "partnergraph/common/time.hpp"

namespace partnergraph::client {

namespace at = apache::thrift;

// Reads take what has arrived, up to this much; frames are written through (TFramedTransport
// hands over each whole frame in one write, which a small write buffer passes on directly).
constexpr std::uint32_t kReadBufferBytes = 64 << 10;
constexpr std::uint32_t kWriteBufferBytes = 512;

struct RpcClient::Impl {
  RpcClientOptions options;
  std::shared_ptr<at::transport::TTransport> transport;
  std::unique_ptr<rpc::PartnerGraphClient> client;
  bool broken = false;

  std::string Where() const { return fmt::format("{}:{}", options.host, options.port); }

  // Runs one call, turning every Thrift exception into the Status documented in the header.
  template <typename Call>
  Status Invoke(Call&& call) {
    if (broken) return Status::IOError("connection to " + Where() + " was closed by an earlier error");
    try {
      call(*client);
      return Status::Ok();
    } catch (const rpc::NotFound& e) {
      return Status::NotFound(e.message);
    } catch (const rpc::InvalidArgument& e) {
      return Status::InvalidArgument(e.message);
    } catch (const rpc::PermissionDenied& e) {
      return Status::PermissionDenied(e.message);
    } catch (const rpc::Unavailable& e) {
      return Status::Unavailable(e.message);
    } catch (const at::transport::TTransportException& e) {
      Break();
      return Status::IOError("connection to " + Where() + " failed: " + e.what());
    } catch (const at::protocol::TProtocolException& e) {
      Break();
      return Status::Internal("reply from " + Where() + " does not parse: " + e.what());
    } catch (const at::TApplicationException& e) {
      return Status::Internal("server " + Where() + " reported an application error: " + e.what());
    } catch (const at::TException& e) {
      Break();
      return Status::Internal("call to " + Where() + " failed: " + e.what());
    }
  }

  void Break() {
    broken = true;
    try {
      transport->close();
    } catch (const at::TException&) {
      // Already unusable; nothing more to report than the error being returned.
    }
  }
};

namespace {

ScoreComponentsView FromWire(const rpc::ScoreComponents& c) {
  ScoreComponentsView out;
  out.audience_similarity = c.audience_similarity;
  out.category_complementarity = c.category_complementarity;
  out.shared_reach = c.shared_reach;
  out.competition_penalty = c.competition_penalty;
  out.long_tail_boost = c.long_tail_boost;
  return out;
}

// Takes the strings out of `segments` (the reply is not used afterwards).
std::vector<SharedSegmentView> FromWire(std::vector<rpc::SharedSegment>&& segments) {
  std::vector<SharedSegmentView> out;
  out.reserve(segments.size());
  for (auto& s : segments) {
    SharedSegmentView v;
    v.segment_id = std::move(s.segment_id);
    v.description = std::move(s.description);
    if (s.__isset.count && !s.suppressed) v.count = s.count;
    out.push_back(std::move(v));
  }
  return out;
}

MerchantView FromWire(const rpc::Merchant& m) {
  MerchantView out;
  out.merchant_id = m.merchant_id;
  out.name = m.name;
  out.category = m.category;
  out.region = m.region;
  out.sku_count = m.sku_count;
  out.discoverable = m.discoverable;
  out.allow_coupons = m.allow_coupons;
  out.customers = m.__isset.customers ? m.customers : 0;
  out.revenue = m.__isset.revenue ? m.revenue : 0.0;
  out.contactable = m.__isset.contactable ? m.contactable : 0;
  if (m.__isset.contactable_by_channel) out.contactable_by_channel = m.contactable_by_channel;
  return out;
}

std::optional<std::int64_t> OptionalOf(bool isset, std::int64_t value) {
  return isset ? std::optional<std::int64_t>(value) : std::nullopt;
}

}  // namespace

RpcClient::RpcClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RpcClient::~RpcClient() {
  if (impl_ && !impl_->broken) {
    try {
      impl_->transport->close();
    } catch (const at::TException&) {
      // Closing a connection whose peer is gone: nothing to do.
    }
  }
}

Result<std::unique_ptr<RpcClient>> RpcClient::Connect(const RpcClientOptions& options) {
  static std::once_flag quiet;
  std::call_once(quiet, [] {
    apache::thrift::GlobalOutput.setOutputFunction([](const char*) {});
  });
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  const int max_message = at::TConfiguration::DEFAULT_MAX_MESSAGE_SIZE;
  auto config = std::make_shared<at::TConfiguration>(std::max(options.max_frame_bytes, max_message),
                                                     options.max_frame_bytes);
  auto socket = std::make_shared<at::transport::TSocket>(options.host, options.port, config);
  socket->setConnTimeout(options.connect_timeout_ms);
  socket->setRecvTimeout(options.call_timeout_ms);
  socket->setSendTimeout(options.call_timeout_ms);
  // The buffer under the frames reads a reply's length prefix and body with one recv (a bare
  // TFramedTransport asks the socket for the prefix, then for the body).
  auto buffered = std::make_shared<at::transport::TBufferedTransport>(
      socket, kReadBufferBytes, kWriteBufferBytes, config);
  impl->transport = std::make_shared<at::transport::TFramedTransport>(buffered, config);
  std::shared_ptr<at::protocol::TProtocol> protocol;
  if (options.protocol == RpcProtocol::kBinary) {
    protocol = std::make_shared<at::protocol::TBinaryProtocol>(impl->transport);
  } else {
    protocol = std::make_shared<at::protocol::TCompactProtocol>(impl->transport);
  }
  impl->client = std::make_unique<rpc::PartnerGraphClient>(protocol);
  try {
    impl->transport->open();
  } catch (const at::TException& e) {
    return Status::IOError("cannot connect to " + impl->Where() + ": " + e.what());
  }
  return std::unique_ptr<RpcClient>(new RpcClient(std::move(impl)));
}

void RpcClient::set_api_key(std::string api_key) { impl_->options.api_key = std::move(api_key); }

const RpcClientOptions& RpcClient::options() const { return impl_->options; }

Result<HealthInfo> RpcClient::Health() {
  rpc::HealthResponse r;
  PG_RETURN_IF_ERROR(impl_->Invoke([&](rpc::PartnerGraphClient& c) {
    c.Health(r, impl_->options.api_key);
  }));
  HealthInfo out;
  out.status = r.status;
  out.version = r.version;
  out.uptime_seconds = r.uptime_seconds;
  out.model = r.model;
  out.caller_role = r.caller_role;
  if (r.__isset.event_sequence) out.event_sequence = r.event_sequence;
  if (r.__isset.event_log_sequence) out.event_log_sequence = r.event_log_sequence;
  if (r.__isset.model_event_sequence) out.model_event_sequence = r.model_event_sequence;
  return out;
}

Result<ReloadInfo> RpcClient::ReloadModel() {
  rpc::ReloadModelResponse r;
  PG_RETURN_IF_ERROR(impl_->Invoke([&](rpc::PartnerGraphClient& c) {
    c.ReloadModel(r, impl_->options.api_key);
  }));
  return ReloadInfo{.model = r.model,
                    .model_event_sequence = r.model_event_sequence,
                    .events_replayed = r.events_replayed,
                    .open_seconds = r.open_seconds,
                    .swap_seconds = r.swap_seconds};
}

Result<ServerStats> RpcClient::Stats() {
  rpc::StatsResponse r;
  PG_RETURN_IF_ERROR(impl_->Invoke([&](rpc::PartnerGraphClient& c) {
    c.Stats(r, impl_->options.api_key);
  }));
  ServerStats out;
  out.engine.merchants = r.merchants;
  out.engine.skus = r.skus;
  out.engine.customers = r.customers;
  out.engine.segments = r.segments;
  out.engine.categories = r.categories;
  out.engine.order_lines = r.order_lines;
  out.engine.edges = std::map<std::string, std::int64_t>(r.edges.begin(), r.edges.end());
  out.requests_served = r.requests_served;
  out.requests_failed = r.requests_failed;
  return out;
}

Result<MerchantView> RpcClient::GetMerchant(const std::string& merchant_id) {
  rpc::Merchant r;
  PG_RETURN_IF_ERROR(impl_->Invoke([&](rpc::PartnerGraphClient& c) {
    c.GetMerchant(r, impl_->options.api_key, merchant_id);
  }));
  return FromWire(r);
}

Result<MerchantPage> RpcClient::ListMerchants(const ListMerchantsQuery& query) {
  rpc::ListMerchantsRequest request;
  if (query.page_token) request.__set_page_token(*query.page_token);
  if (query.page_size) request.__set_page_size(*query.page_size);
  if (query.category) request.__set_category(*query.category);
  if (query.region) request.__set_region(*query.region);
  rpc::ListMerchantsResponse r;
  PG_RETURN_IF_ERROR(impl_->Invoke([&](rpc::PartnerGraphClient& c) {
    c.ListMerchants(r, impl_->options.api_key, request);
  }));
  MerchantPage out;
  out.merchants.reserve(r.merchants.size());
  for (const auto& m : r.merchants) out.merchants.push_back(FromWire(m));
  if (r.__isset.next_page_token) out.next_page_token = r.next_page_token;
  out.total = r.total;
  return out;
}

Result<PartnerAnswer> RpcClient::RecommendPartners(const std::string& merchant_id,
                                                   std::optional<int> k,
                                                   const PartnerFiltersView& filters) {
  rpc::RecommendPartnersRequest request;
  request.merchant_id = merchant_id;
  if (k) request.__set_k(*k);
  if (!filters.is_default()) {
    rpc::PartnerFilters f;
    if (filters.include_existing_partners) f.__set_include_existing_partners(true);
    if (!filters.regions.empty()) f.__set_regions(filters.regions);
    if (!filters.categories.empty()) f.__set_categories(filters.categories);
    if (!filters.exclude_categories.empty()) f.__set_exclude_categories(filters.exclude_categories);
    if (!filters.tiers.empty()) f.__set_tiers(filters.tiers);
    if (filters.long_tail_boost) f.__set_long_tail_boost(*filters.long_tail_boost);
    if (filters.candidates) f.__set_candidates(*filters.candidates);
    request.__set_filters(f);
  }
  rpc::RecommendPartnersResponse r;
  PG_RETURN_IF_ERROR(impl_->Invoke([&](rpc::PartnerGraphClient& c) {
    c.RecommendPartners(r, impl_->options.api_key, request);
  }));
  PartnerAnswer out;
  out.precomputed = r.precomputed;
  out.partners.reserve(r.partners.size());
  for (auto& p : r.partners) {
    PartnerView v;
    v.merchant_id = std::move(p.merchant_id);
    v.name = std::move(p.name);
    v.category = std::move(p.category);
    v.region = std::move(p.region);
    v.score = p.score;
    v.components = FromWire(p.components);
    v.shared_segments = FromWire(std::move(p.shared_segments));
    v.shared_customers = OptionalOf(p.__isset.shared_customers, p.shared_customers);
    out.partners.push_back(std::move(v));
  }
  return out;
}

Result<CouponAnswer> RpcClient::RecommendCouponPairs(const std::optional<std::string>& sku_id,
                                                     const std::optional<std::string>& merchant_id,
                                                     std::optional<int> k,
                                                     const CouponFiltersView& filters) {
  rpc::RecommendCouponPairsRequest request;
  if (sku_id) request.__set_sku_id(*sku_id);
  if (merchant_id) request.__set_merchant_id(*merchant_id);
  if (k) request.__set_k(*k);
  if (!filters.is_default()) {
    rpc::CouponFilters f;
    if (filters.min_price) f.__set_min_price(*filters.min_price);
    if (filters.max_price) f.__set_max_price(*filters.max_price);
    if (!filters.categories.empty()) f.__set_categories(filters.categories);
    request.__set_filters(f);
  }
  rpc::RecommendCouponPairsResponse r;
  PG_RETURN_IF_ERROR(impl_->Invoke([&](rpc::PartnerGraphClient& c) {
    c.RecommendCouponPairs(r, impl_->options.api_key, request);
  }));
  CouponAnswer out;
  out.precomputed = r.precomputed;
  out.pairs.reserve(r.pairs.size());
  for (const auto& p : r.pairs) {
    CouponPairView v;
    v.trigger_sku_id = p.trigger_sku_id;
    v.sku_id = p.sku_id;
    v.merchant_id = p.merchant_id;
    v.score = p.score;
    v.support = OptionalOf(p.__isset.support, p.support);
    v.lift = p.lift;
    v.reach = OptionalOf(p.__isset.reach, p.reach);
    v.price = p.price;
    out.pairs.push_back(std::move(v));
  }
  return out;
}

Result<PairExplanationView> RpcClient::ExplainPair(const std::string& merchant_id,
                                                   const std::string& other_merchant_id) {
  rpc::ExplainPairRequest request;
  request.merchant_id = merchant_id;
  request.other_merchant_id = other_merchant_id;
  rpc::ExplainPairResponse r;
  PG_RETURN_IF_ERROR(impl_->Invoke([&](rpc::PartnerGraphClient& c) {
    c.ExplainPair(r, impl_->options.api_key, request);
  }));
  PairExplanationView out;
  out.score = r.score;
  out.components = FromWire(r.components);
  out.shared_segments = FromWire(std::move(r.shared_segments));
  out.shared_customers = OptionalOf(r.__isset.shared_customers, r.shared_customers);
  out.excluded_because = r.excluded_because;
  return out;
}

Result<OverlapReportView> RpcClient::OverlapReport(const std::string& merchant_id,
                                                   const std::string& other_merchant_id) {
  rpc::OverlapReportRequest request;
  request.merchant_id = merchant_id;
  request.other_merchant_id = other_merchant_id;
  rpc::OverlapReportResponse r;
  PG_RETURN_IF_ERROR(impl_->Invoke([&](rpc::PartnerGraphClient& c) {
    c.OverlapReport(r, impl_->options.api_key, request);
  }));
  OverlapReportView out;
  out.segments = FromWire(std::move(r.segments));
  out.shared_customers = OptionalOf(r.__isset.shared_customers, r.shared_customers);
  out.k_min = r.k_min;
  return out;
}

namespace {

std::optional<double> OptionalDouble(bool isset, double value) {
  return isset ? std::optional<double>(value) : std::nullopt;
}

AttributionCreditInfo FromWire(const rpc::AttributionCredit& c) {
  AttributionCreditInfo out;
  out.key = c.key;
  out.conversions = c.conversions;
  out.value = c.value;
  out.removal_effect = OptionalDouble(c.__isset.removal_effect, c.removal_effect);
  out.value_removal_effect = OptionalDouble(c.__isset.value_removal_effect, c.value_removal_effect);
  out.conversions_error_bound =
      OptionalDouble(c.__isset.conversions_error_bound, c.conversions_error_bound);
  out.value_error_bound = OptionalDouble(c.__isset.value_error_bound, c.value_error_bound);
  return out;
}

std::string StateName(rpc::AttributionJobState::type state) {
  switch (state) {
    case rpc::AttributionJobState::QUEUED: return "queued";
    case rpc::AttributionJobState::RUNNING: return "running";
    case rpc::AttributionJobState::SUCCEEDED: return "succeeded";
    case rpc::AttributionJobState::FAILED: return "failed";
  }
  return fmt::format("unknown ({})", static_cast<int>(state));
}

}  // namespace

Result<std::string> RpcClient::SubmitAttributionJob(const AttributionJobQuery& q) {
  rpc::AttributionJobRequest request;
  if (q.journeys_path) request.__set_journeys_path(*q.journeys_path);
  if (q.data_dir) request.__set_data_dir(*q.data_dir);
  request.model = q.model;
  if (q.order) request.__set_order(*q.order);
  if (q.half_life_seconds) request.__set_half_life_seconds(*q.half_life_seconds);
  if (q.half_life_touches) request.__set_half_life_touches(*q.half_life_touches);
  if (q.position_first_share) request.__set_position_first_share(*q.position_first_share);
  if (q.position_last_share) request.__set_position_last_share(*q.position_last_share);
  if (q.shapley_max_exact_channels) {
    request.__set_shapley_max_exact_channels(*q.shapley_max_exact_channels);
  }
  if (q.shapley_samples) request.__set_shapley_samples(*q.shapley_samples);
  if (q.shapley_seed) request.__set_shapley_seed(*q.shapley_seed);
  if (q.lookback_seconds) request.__set_lookback_seconds(*q.lookback_seconds);
  if (!q.known_channels.empty()) request.__set_known_channels(q.known_channels);
  rpc::SubmitAttributionJobResponse r;
  PG_RETURN_IF_ERROR(impl_->Invoke([&](rpc::PartnerGraphClient& c) {
    c.SubmitAttributionJob(r, impl_->options.api_key, request);
  }));
  return r.job_id;
}

Result<AttributionJobStatusInfo> RpcClient::JobStatus(const std::string& job_id) {
  rpc::AttributionJobStatusResponse r;
  PG_RETURN_IF_ERROR(impl_->Invoke([&](rpc::PartnerGraphClient& c) {
    c.JobStatus(r, impl_->options.api_key, job_id);
  }));
  AttributionJobStatusInfo out;
  out.job_id = r.job_id;
  out.state = StateName(r.state);
  out.progress = r.progress;
  if (r.__isset.error) out.error = r.error;
  if (r.__isset.queue_position) out.queue_position = r.queue_position;
  return out;
}

Result<AttributionJobResultPage> RpcClient::JobResult(const std::string& job_id,
                                                      std::optional<std::int64_t> offset,
                                                      std::optional<int> page_size) {
  rpc::AttributionJobResultRequest request;
  request.job_id = job_id;
  if (offset) request.__set_offset(*offset);
  if (page_size) request.__set_page_size(*page_size);
  rpc::AttributionJobResultResponse r;
  PG_RETURN_IF_ERROR(impl_->Invoke([&](rpc::PartnerGraphClient& c) {
    c.JobResult(r, impl_->options.api_key, request);
  }));
  AttributionJobResultPage out;
  out.job_id = r.job_id;
  out.model = r.model;
  out.order = r.order;
  out.journeys = r.journeys;
  out.conversions = r.conversions;
  out.value = r.value;
  out.nulls = r.nulls;
  for (const auto& c : r.channels) out.channels.push_back(FromWire(c));
  for (const auto& c : r.partners) out.partners.push_back(FromWire(c));
  out.sku_credits.reserve(r.sku_credits.size());
  for (const auto& c : r.sku_credits) {
    SkuAttributionCreditInfo v;
    v.sku_id = c.sku_id;
    v.dimension = c.dimension;
    v.key = c.key;
    v.conversions = c.conversions;
    v.value = c.value;
    v.removal_effect = OptionalDouble(c.__isset.removal_effect, c.removal_effect);
    out.sku_credits.push_back(std::move(v));
  }
  out.sku_credits_total = r.sku_credits_total;
  if (r.__isset.next_offset) out.next_offset = r.next_offset;
  if (r.__isset.shapley_exact) out.shapley_exact = r.shapley_exact;
  out.markov_transitions.reserve(r.markov_transitions.size());
  for (const auto& t : r.markov_transitions) {
    out.markov_transitions.push_back({t.from_state, t.to_state, t.count, t.probability});
  }
  return out;
}

namespace {

// The reverse of server/event_wire.cpp: one event's body as the wire's struct. Optional wire
// fields are set only when the event has them (an empty text is "none").
class WireEvent {
 public:
  explicit WireEvent(std::size_t index) : index_(index) {}

  void Set(rpc::Event& w, const OrderLineEvent& e) {
    rpc::OrderLineEvent b;
    b.order_id = e.order_id;
    b.customer_id = e.customer_id;
    b.merchant_id = e.merchant_id;
    b.sku_id = e.sku_id;
    b.ts = FormatTimestamp(e.ts);
    b.quantity = Count("order_line.quantity", e.quantity);
    b.unit_price = e.unit_price;
    if (!e.channel.empty()) b.__set_channel(e.channel);
    if (!e.device.empty()) b.__set_device(e.device);
    if (!e.region.empty()) b.__set_region(e.region);
    w.__set_order_line(b);  // Thrift's setters copy
  }
  void Set(rpc::Event& w, const ConsentChangeEvent& e) {
    rpc::ConsentChangeEvent b;
    b.customer_id = e.customer_id;
    b.merchant_id = e.merchant_id;
    b.channel = std::string(ToString(e.channel));
    b.status = std::string(ToString(e.status));
    b.ts = FormatTimestamp(e.ts);
    if (!e.source.empty()) b.__set_source(e.source);
    w.__set_consent_change(b);
  }
  void Set(rpc::Event& w, const EngagementActivityEvent& e) {
    rpc::EngagementActivityEvent b;
    b.merchant_id = e.merchant_id;
    b.ts = FormatTimestamp(e.ts);
    b.activity = e.activity;
    if (e.points) b.__set_points(*e.points);
    w.__set_engagement_activity(b);
  }
  void Set(rpc::Event& w, const PolicyChangeEvent& e) {
    rpc::PolicyChangeEvent b;
    b.merchant_id = e.merchant_id;
    b.ts = FormatTimestamp(e.ts);
    if (e.permission_model) b.__set_permission_model(std::string(ToString(*e.permission_model)));
    if (e.k_min) b.__set_k_min(Count("policy_change.k_min", *e.k_min));
    if (e.share_overlaps) b.__set_share_overlaps(*e.share_overlaps);
    if (e.discoverable) b.__set_discoverable(*e.discoverable);
    if (e.allow_coupons) b.__set_allow_coupons(*e.allow_coupons);
    w.__set_policy_change(b);
  }
  void Set(rpc::Event& w, const PartnershipChangeEvent& e) {
    rpc::PartnershipChangeEvent b;
    b.merchant_a = e.merchant_a;
    b.merchant_b = e.merchant_b;
    b.kind = std::string(ToString(e.kind));
    b.removed = e.removed;
    b.ts = FormatTimestamp(e.ts);
    w.__set_partnership_change(b);
  }
  void Set(rpc::Event& w, const NewMerchantEvent& e) {
    rpc::NewMerchantEvent b;
    b.merchant_id = e.merchant_id;
    b.name = e.name;
    b.category = e.category;
    b.region = e.region;
    b.ts = FormatTimestamp(e.ts);
    w.__set_new_merchant(b);
  }
  void Set(rpc::Event& w, const NewSkuEvent& e) {
    rpc::NewSkuEvent b;
    b.sku_id = e.sku_id;
    b.merchant_id = e.merchant_id;
    b.category = e.category;
    b.price = e.price;
    b.ts = FormatTimestamp(e.ts);
    w.__set_new_sku(b);
  }

  // OK, or the first count that the wire's i32 cannot carry.
  const Status& status() const { return status_; }

 private:
  std::int32_t Count(std::string_view field, std::uint32_t value) {
    if (value > static_cast<std::uint32_t>(std::numeric_limits<std::int32_t>::max())) {
      if (status_.ok()) {
        status_ = Status::InvalidArgument(
            fmt::format("events[{}].{}: {} is more than the wire carries (at most {})", index_,
                        field, value, std::numeric_limits<std::int32_t>::max()));
      }
      return 0;
    }
    return static_cast<std::int32_t>(value);
  }

  std::size_t index_;
  Status status_;
};

}  // namespace

Result<RecordEventsResult> RpcClient::RecordEvents(std::span<const Event> batch) {
  rpc::RecordEventsRequest request;
  request.events.resize(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    rpc::Event& w = request.events[i];
    w.event_id = batch[i].event_id;
    WireEvent wire(i);
    std::visit([&](const auto& body) { wire.Set(w, body); }, batch[i].body);
    PG_RETURN_IF_ERROR(wire.status());
  }
  rpc::RecordEventsResponse r;
  PG_RETURN_IF_ERROR(impl_->Invoke(
      [&](rpc::PartnerGraphClient& c) { c.RecordEvents(r, impl_->options.api_key, request); }));
  if (r.sequences.size() != batch.size() || r.duplicate.size() != batch.size()) {
    return Status::Internal(fmt::format(
        "reply from {} to RecordEvents: {} sequences and {} duplicate flags for {} events",
        impl_->Where(), r.sequences.size(), r.duplicate.size(), batch.size()));
  }
  RecordEventsResult out;
  out.sequences = std::move(r.sequences);
  out.duplicate = std::move(r.duplicate);
  out.new_events = r.new_events;
  out.last_sequence = r.last_sequence;
  return out;
}

}  // namespace partnergraph::client
