#include "handler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <utility>

#include "event_wire.hpp"
#include "status_mapping.hpp"

#ifndef PG_VERSION
#define PG_VERSION "unknown"
#endif

namespace partnergraph::server {
namespace {

// A merchant key may ask coupon pairs by SKU only once the Engine can tell a SKU's merchant;
// until then only operators may (the error is the same whether or not the SKU exists).
Status CheckSkuAccess(const Principal& principal) {
  if (principal.is_operator()) return Status::Ok();
  return Status::PermissionDenied(
      fmt::format("key '{}' ({}) must ask coupon pairs by merchant_id; asking by sku_id needs an "
                  "operator key",
                  principal.name, principal.RoleString()));
}

rpc::ScoreComponents ToWire(const ScoreComponentsView& c) {
  rpc::ScoreComponents out;
  out.audience_similarity = c.audience_similarity;
  out.category_complementarity = c.category_complementarity;
  out.shared_reach = c.shared_reach;
  out.competition_penalty = c.competition_penalty;
  out.long_tail_boost = c.long_tail_boost;
  return out;
}

std::vector<rpc::SharedSegment> ToWire(const std::vector<SharedSegmentView>& segments) {
  std::vector<rpc::SharedSegment> out;
  out.reserve(segments.size());
  for (const auto& s : segments) {
    rpc::SharedSegment w;
    w.segment_id = s.segment_id;
    w.description = s.description;
    if (s.count) w.__set_count(*s.count);
    w.suppressed = !s.count.has_value();
    out.push_back(std::move(w));
  }
  return out;
}

rpc::Merchant ToWire(const MerchantView& m) {
  rpc::Merchant out;
  out.merchant_id = m.merchant_id;
  out.name = m.name;
  out.category = m.category;
  out.region = m.region;
  out.sku_count = m.sku_count;
  out.discoverable = m.discoverable;
  out.allow_coupons = m.allow_coupons;
  // Callers reach a merchant's record only with access to it (operator or the merchant itself),
  // so its own figures are always shown.
  out.__set_customers(m.customers);
  out.__set_revenue(m.revenue);
  out.__set_contactable(m.contactable);
  out.__set_contactable_by_channel(m.contactable_by_channel);
  return out;
}

PartnerFiltersView FromWire(const rpc::PartnerFilters& f) {
  PartnerFiltersView out;
  if (f.__isset.include_existing_partners) out.include_existing_partners = f.include_existing_partners;
  if (f.__isset.regions) out.regions = f.regions;
  if (f.__isset.categories) out.categories = f.categories;
  if (f.__isset.exclude_categories) out.exclude_categories = f.exclude_categories;
  if (f.__isset.tiers) out.tiers = f.tiers;
  if (f.__isset.long_tail_boost) out.long_tail_boost = f.long_tail_boost;
  if (f.__isset.candidates) out.candidates = f.candidates;
  return out;
}

CouponFiltersView FromWire(const rpc::CouponFilters& f) {
  CouponFiltersView out;
  if (f.__isset.min_price) out.min_price = f.min_price;
  if (f.__isset.max_price) out.max_price = f.max_price;
  if (f.__isset.categories) out.categories = f.categories;
  return out;
}

// A wire integer that must fit the option's type (an unsigned or narrower field) before the
// attribution module checks the options themselves (AttributionJobs::Submit).
Status CheckRange(std::string_view field, std::int64_t value, std::int64_t lo, std::int64_t hi) {
  if (value >= lo && value <= hi) return Status::Ok();
  return Status::InvalidArgument(
      fmt::format("{} = {} is out of range {}..{}", field, value, lo, hi));
}

// The job spec of an AttributionJobRequest; InvalidArgument naming the request field.
Result<AttributionJobSpec> FromWire(const rpc::AttributionJobRequest& r) {
  AttributionJobSpec spec;
  if (r.__isset.journeys_path) spec.journeys_path = r.journeys_path;
  if (r.__isset.data_dir) spec.data_dir = r.data_dir;
  auto model = ParseAttributionModel(r.model);
  if (!model) {
    return Status::InvalidArgument(
        fmt::format("AttributionJobRequest.model = \"{}\" is not one of first-touch, last-touch, "
                    "linear, time-decay, position-based, markov, shapley",
                    r.model));
  }
  AttributionOptions& o = spec.options;
  o.model = *model;
  PG_RETURN_IF_ERROR(CheckRange("AttributionJobRequest.order", r.order, 1, 4));
  o.markov_order = r.order;
  if (r.__isset.half_life_seconds) o.half_life_seconds = r.half_life_seconds;
  if (r.__isset.half_life_touches) {
    o.half_life_touches = r.half_life_touches;
    o.decay_by_touches = true;
  }
  if (r.__isset.position_first_share) o.position_first_share = r.position_first_share;
  if (r.__isset.position_last_share) o.position_last_share = r.position_last_share;
  if (r.__isset.shapley_max_exact_channels) {
    o.shapley_max_exact_channels = r.shapley_max_exact_channels;
  }
  if (r.__isset.shapley_samples) {
    PG_RETURN_IF_ERROR(CheckRange("AttributionJobRequest.shapley_samples", r.shapley_samples, 1,
                                  1'000'000'000));
    o.shapley_samples = static_cast<std::uint64_t>(r.shapley_samples);
  }
  if (r.__isset.shapley_seed) o.shapley_seed = static_cast<std::uint64_t>(r.shapley_seed);
  if (r.__isset.lookback_seconds) {
    PG_RETURN_IF_ERROR(CheckRange("AttributionJobRequest.lookback_seconds", r.lookback_seconds, 0,
                                  std::int64_t{100} * 365 * 86400));
    o.lookback_seconds = r.lookback_seconds;
  }
  if (r.__isset.known_channels) o.known_channels = r.known_channels;
  return spec;
}

rpc::AttributionCredit ToWire(const std::string& key, const KeyCredit& c, bool markov,
                              bool sampled) {
  rpc::AttributionCredit w;
  w.key = key;
  w.conversions = c.conversions;
  w.value = c.value;
  if (markov) {
    w.__set_removal_effect(c.removal_effect);
    w.__set_value_removal_effect(c.value_removal_effect);
  }
  if (sampled) {
    w.__set_conversions_error_bound(c.conversions_error_bound);
    w.__set_value_error_bound(c.value_error_bound);
  }
  return w;
}

// The chain's transitions with state names ("(conversion)" and "(null)" after the states).
std::vector<rpc::MarkovTransition> TransitionsToWire(const MarkovDetails& m) {
  auto name = [&](std::uint32_t s) -> std::string {
    if (s < m.state_names.size()) return m.state_names[s];
    return s == m.state_names.size() ? "(conversion)" : "(null)";
  };
  std::vector<rpc::MarkovTransition> out;
  out.reserve(m.transitions.size());
  for (const auto& t : m.transitions) {
    rpc::MarkovTransition w;
    w.from_state = name(t.from);
    w.to_state = name(t.to);
    w.count = t.count;
    w.probability = t.probability;
    out.push_back(std::move(w));
  }
  return out;
}

std::vector<rpc::AttributionCredit> CreditsToWire(const AttributionResult& r) {
  const bool markov = r.markov.has_value();
  const bool sampled = r.shapley && !r.shapley->exact;
  std::vector<rpc::AttributionCredit> out;
  out.reserve(r.keys.size());
  for (std::size_t k = 0; k < r.keys.size(); ++k) {
    out.push_back(ToWire(r.keys[k], r.totals[k], markov, sampled));
  }
  return out;
}

rpc::AttributionJobState::type ToWire(AttributionJobState state) {
  switch (state) {
    case AttributionJobState::kQueued: return rpc::AttributionJobState::QUEUED;
    case AttributionJobState::kRunning: return rpc::AttributionJobState::RUNNING;
    case AttributionJobState::kSucceeded: return rpc::AttributionJobState::SUCCEEDED;
    case AttributionJobState::kFailed: return rpc::AttributionJobState::FAILED;
  }
  return rpc::AttributionJobState::FAILED;
}

}  // namespace

PartnerGraphHandler::PartnerGraphHandler(std::shared_ptr<const Engine> engine,
                                         std::optional<ApiKeys> keys, AttributionJobsOptions jobs,
                                         std::shared_ptr<EventLog> events)
    : PartnerGraphHandler(std::make_shared<ServingModel>(std::move(engine), std::move(events)),
                          std::move(keys), std::move(jobs)) {}

PartnerGraphHandler::PartnerGraphHandler(std::shared_ptr<ServingModel> model,
                                         std::optional<ApiKeys> keys, AttributionJobsOptions jobs)
    : model_(std::move(model)),
      keys_(std::move(keys)),
      started_(std::chrono::steady_clock::now()),
      jobs_(std::make_unique<AttributionJobs>(std::move(jobs))) {
  loopback_.role = Principal::Role::kOperator;
  loopback_.name = "loopback caller (no keys file)";
}

Result<const Principal*> PartnerGraphHandler::Authenticate(const std::string& api_key) const {
  if (keys_) return keys_->Find(api_key);
  return &loopback_;
}

template <typename Body>
void PartnerGraphHandler::Answer(std::uint8_t declared, const std::string& api_key, Body&& body) {
  Status status;
  const Principal* caller = nullptr;
  try {
    Result<const Principal*> principal = Authenticate(api_key);
    if (principal.ok()) {
      caller = *principal;
      status = body(*caller);
    } else {
      status = principal.status();
    }
  } catch (const std::exception& e) {
    // The Engine reports errors as Status; an exception escaping it is a bug or resource
    // exhaustion, reported to the caller as Unavailable.
    status = Status::Internal(fmt::format("exception: {}", e.what()));
  }
  if (CallRecord* call = CallRecord::Current()) call->Answered(caller, status);
  if (!status.ok()) ThrowAsThrift(status, declared);
}

void PartnerGraphHandler::Health(rpc::HealthResponse& out, const std::string& api_key) {
  Answer(kDeclaresPermissionDenied | kDeclaresUnavailable, api_key,
         [&](const Principal& principal) {
           out.status = draining_.load(std::memory_order_relaxed) ? "draining" : "ok";
           out.version = PG_VERSION;
           out.uptime_seconds = std::chrono::duration_cast<std::chrono::seconds>(
                                    std::chrono::steady_clock::now() - started_)
                                    .count();
           const std::shared_ptr<const Engine> engine = model_->Current();
           const EngineStats stats = engine->Stats();
           out.model = fmt::format("{} (built {})", stats.model_dir, stats.built_at);
           out.caller_role = principal.RoleString();
           if (const std::shared_ptr<EventLog>& events = model_->events()) {
             const std::shared_ptr<LiveState> live = engine->live();
             out.__set_event_sequence(static_cast<std::int64_t>(live->applied_sequence()));
             out.__set_event_log_sequence(static_cast<std::int64_t>(events->last_sequence()));
             out.__set_model_event_sequence(static_cast<std::int64_t>(live->model_sequence()));
           }
           return Status::Ok();
         });
}

void PartnerGraphHandler::Stats(rpc::StatsResponse& out, const std::string& api_key) {
  Answer(kDeclaresPermissionDenied | kDeclaresUnavailable, api_key,
         [&](const Principal& principal) {
           PG_RETURN_IF_ERROR(principal.CheckOperator());
           EngineStats s = model_->Current()->Stats();
           out.merchants = s.merchants;
           out.skus = s.skus;
           out.customers = s.customers;
           out.segments = s.segments;
           out.categories = s.categories;
           out.order_lines = s.order_lines;
           out.edges = s.edges;
           // This call counts as served once it returns; the figure covers the calls before it.
           out.requests_served = requests_served();
           out.requests_failed = requests_failed();
           return Status::Ok();
         });
}

void PartnerGraphHandler::GetMerchant(rpc::Merchant& out, const std::string& api_key,
                                      const std::string& merchant_id) {
  Answer(kDeclaresAll, api_key, [&](const Principal& principal) {
    PG_RETURN_IF_ERROR(principal.CheckMerchantAccess(merchant_id));
    PG_ASSIGN_OR_RETURN(MerchantView merchant, model_->Current()->GetMerchant(merchant_id));
    out = ToWire(merchant);
    return Status::Ok();
  });
}

void PartnerGraphHandler::ListMerchants(rpc::ListMerchantsResponse& out,
                                        const std::string& api_key,
                                        const rpc::ListMerchantsRequest& request) {
  Answer(kDeclaresInvalidArgument | kDeclaresPermissionDenied | kDeclaresUnavailable, api_key,
         [&](const Principal& principal) {
           PG_RETURN_IF_ERROR(principal.CheckOperator());
           std::optional<std::string> token;
           if (request.__isset.page_token) token = request.page_token;
           PG_ASSIGN_OR_RETURN(
               MerchantPage page,
               model_->Current()->ListMerchants(token, request.page_size,
                                      request.__isset.category ? request.category : "",
                                      request.__isset.region ? request.region : ""));
           out.merchants.reserve(page.merchants.size());
           for (const auto& m : page.merchants) out.merchants.push_back(ToWire(m));
           if (page.next_page_token) out.__set_next_page_token(*page.next_page_token);
           out.total = page.total;
           return Status::Ok();
         });
}

void PartnerGraphHandler::RecommendPartners(rpc::RecommendPartnersResponse& /*out*/,
                                            const std::string& api_key,
                                            const rpc::RecommendPartnersRequest& /*request*/) {
  Answer(kDeclaresAll, api_key, [](const Principal&) {
    return Status::Internal(
        "PartnerGraphHandler::RecommendPartners called: RecommendPartners is ServingProcessor's "
        "(RecommendPartnersBorrowed)");
  });
}

void PartnerGraphHandler::RecommendPartnersBorrowed(const std::string& api_key,
                                                    const rpc::RecommendPartnersRequest& request,
                                                    BorrowedPartnerAnswer* out,
                                                    std::shared_ptr<const Engine>* engine) {
  Answer(kDeclaresAll, api_key, [&](const Principal& principal) {
    PG_RETURN_IF_ERROR(principal.CheckMerchantAccess(request.merchant_id));
    PartnerFiltersView filters;
    if (request.__isset.filters) filters = FromWire(request.filters);
    filters.audience = principal.audience();
    *engine = model_->Current();
    const std::optional<std::uint64_t> sequence = EventSequence(**engine);
    PG_RETURN_IF_ERROR((*engine)->BorrowPartners(request.merchant_id, request.k, filters, out));
    out->event_sequence = sequence;
    return Status::Ok();
  });
}

void PartnerGraphHandler::RecommendCouponPairs(rpc::RecommendCouponPairsResponse& out,
                                               const std::string& api_key,
                                               const rpc::RecommendCouponPairsRequest& request) {
  Answer(kDeclaresAll, api_key, [&](const Principal& principal) {
    const std::string sku_id = request.__isset.sku_id ? request.sku_id : "";
    const std::string merchant_id = request.__isset.merchant_id ? request.merchant_id : "";
    if (!merchant_id.empty()) {
      PG_RETURN_IF_ERROR(principal.CheckMerchantAccess(merchant_id));
    } else if (!sku_id.empty()) {
      PG_RETURN_IF_ERROR(CheckSkuAccess(principal));
    }
    CouponFiltersView filters;
    if (request.__isset.filters) filters = FromWire(request.filters);
    filters.audience = principal.audience();
    const std::shared_ptr<const Engine> engine = model_->Current();
    const std::optional<std::uint64_t> sequence = EventSequence(*engine);
    PG_ASSIGN_OR_RETURN(CouponAnswer answer,
                        engine->RecommendCouponPairs(sku_id, merchant_id, request.k, filters));
    if (sequence) out.__set_event_sequence(static_cast<std::int64_t>(*sequence));
    out.pairs.reserve(answer.pairs.size());
    for (const auto& p : answer.pairs) {
      rpc::CouponPair w;
      w.trigger_sku_id = p.trigger_sku_id;
      w.sku_id = p.sku_id;
      w.merchant_id = p.merchant_id;
      w.score = p.score;
      if (p.support) w.__set_support(*p.support);
      w.lift = p.lift;
      if (p.reach) w.__set_reach(*p.reach);
      w.price = p.price;
      out.pairs.push_back(std::move(w));
    }
    out.precomputed = answer.precomputed;
    return Status::Ok();
  });
}

void PartnerGraphHandler::ExplainPair(rpc::ExplainPairResponse& out, const std::string& api_key,
                                      const rpc::ExplainPairRequest& request) {
  Answer(kDeclaresAll, api_key, [&](const Principal& principal) {
    PG_RETURN_IF_ERROR(principal.CheckMerchantAccess(request.merchant_id));
    PG_ASSIGN_OR_RETURN(PairExplanationView view,
                        model_->Current()->ExplainPair(request.merchant_id, request.other_merchant_id,
                                             principal.audience()));
    out.score = view.score;
    out.components = ToWire(view.components);
    out.shared_segments = ToWire(view.shared_segments);
    if (view.shared_customers) out.__set_shared_customers(*view.shared_customers);
    out.excluded_because = std::move(view.excluded_because);
    return Status::Ok();
  });
}

void PartnerGraphHandler::OverlapReport(rpc::OverlapReportResponse& out,
                                        const std::string& api_key,
                                        const rpc::OverlapReportRequest& request) {
  Answer(kDeclaresAll, api_key, [&](const Principal& principal) {
    PG_RETURN_IF_ERROR(principal.CheckMerchantAccess(request.merchant_id));
    PG_ASSIGN_OR_RETURN(OverlapReportView view,
                        model_->Current()->OverlapReport(request.merchant_id, request.other_merchant_id,
                                               principal.audience()));
    out.segments = ToWire(view.segments);
    if (view.shared_customers) out.__set_shared_customers(*view.shared_customers);
    out.k_min = view.k_min;
    return Status::Ok();
  });
}

void PartnerGraphHandler::SubmitAttributionJob(rpc::SubmitAttributionJobResponse& out,
                                               const std::string& api_key,
                                               const rpc::AttributionJobRequest& request) {
  Answer(kDeclaresInvalidArgument | kDeclaresPermissionDenied | kDeclaresUnavailable, api_key,
         [&](const Principal& principal) {
           PG_RETURN_IF_ERROR(principal.CheckOperator());
           PG_ASSIGN_OR_RETURN(AttributionJobSpec spec, FromWire(request));
           PG_ASSIGN_OR_RETURN(out.job_id, jobs_->Submit(std::move(spec)));
           return Status::Ok();
         });
}

void PartnerGraphHandler::JobStatus(rpc::AttributionJobStatusResponse& out,
                                    const std::string& api_key, const std::string& job_id) {
  Answer(kDeclaresAll, api_key, [&](const Principal& principal) {
    PG_RETURN_IF_ERROR(principal.CheckOperator());
    PG_ASSIGN_OR_RETURN(AttributionJobStatusView v, jobs_->StatusOf(job_id));
    out.job_id = v.job_id;
    out.state = ToWire(v.state);
    out.progress = v.progress;
    if (v.state == AttributionJobState::kFailed) out.__set_error(v.error);
    if (v.state == AttributionJobState::kQueued) out.__set_queue_position(v.queue_position);
    return Status::Ok();
  });
}

void PartnerGraphHandler::JobResult(rpc::AttributionJobResultResponse& out,
                                    const std::string& api_key,
                                    const rpc::AttributionJobResultRequest& request) {
  Answer(kDeclaresAll, api_key, [&](const Principal& principal) {
    PG_RETURN_IF_ERROR(principal.CheckOperator());
    PG_ASSIGN_OR_RETURN(AttributionJobs::ResultPage page,
                        jobs_->PageOf(request.job_id, request.offset, request.page_size));
    const AttributionResult& ch = page.output->by_channel;
    const AttributionResult* pa = page.output->by_partner ? &*page.output->by_partner : nullptr;
    out.job_id = request.job_id;
    out.model = std::string(ToString(ch.model));
    out.order = ch.order;
    out.journeys = ch.journeys;
    out.conversions = ch.conversions;
    out.value = ch.value;
    out.nulls = ch.nulls;
    out.channels = CreditsToWire(ch);
    if (pa) out.partners = CreditsToWire(*pa);
    if (ch.shapley) out.__set_shapley_exact(ch.shapley->exact);
    if (ch.markov) out.__set_markov_transitions(TransitionsToWire(*ch.markov));
    out.sku_credits.reserve(static_cast<std::size_t>(page.end - page.begin));
    for (std::int64_t i = page.begin; i < page.end; ++i) {
      const bool partner = i >= page.channel_rows;
      if (partner && pa == nullptr) break;  // PageOf counts partner rows only with by_partner
      const AttributionResult& r = partner ? *pa : ch;
      const SkuKeyCredit& c =
          r.sku_credits[static_cast<std::size_t>(partner ? i - page.channel_rows : i)];
      rpc::SkuAttributionCredit w;
      w.sku_id = r.skus[c.sku];
      w.dimension = partner ? "partner" : "channel";
      w.key = r.keys[c.key];
      w.conversions = c.conversions;
      w.value = c.value;
      if (r.markov) w.__set_removal_effect(c.removal_effect);
      out.sku_credits.push_back(std::move(w));
    }
    out.sku_credits_total = page.total;
    if (page.end < page.total) out.__set_next_offset(page.end);
    return Status::Ok();
  });
}

std::optional<std::uint64_t> PartnerGraphHandler::EventSequence(const Engine& engine) const {
  if (!model_->events()) return std::nullopt;
  return engine.live()->applied_sequence();
}

void PartnerGraphHandler::RecordEvents(rpc::RecordEventsResponse& out, const std::string& api_key,
                                       const rpc::RecordEventsRequest& request) {
  Answer(kDeclaresInvalidArgument | kDeclaresPermissionDenied | kDeclaresUnavailable, api_key,
         [&](const Principal& principal) -> Status {
           const std::shared_ptr<EventLog>& events = model_->events();
           if (!events) {
             return Status::Unavailable(
                 "this server records no events: start it with --events DIR (docs/events.md)");
           }
           if (request.events.empty() || request.events.size() > kMaxRecordEventsBatch) {
             return Status::InvalidArgument(
                 fmt::format("RecordEventsRequest.events: {} events; a batch holds 1..{}",
                             request.events.size(), kMaxRecordEventsBatch));
           }
           PG_ASSIGN_OR_RETURN(std::vector<Event> batch, EventsFromWire(request.events));
           const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
           PG_RETURN_IF_ERROR(ValidateEventBatch(batch, now, EventCheckOptions{}));
           PG_RETURN_IF_ERROR(CheckEventRoles(principal, batch));
           PG_ASSIGN_OR_RETURN(AppendResult appended, events->Append(batch));
           out.sequences.assign(appended.sequences.begin(), appended.sequences.end());
           out.duplicate.assign(appended.duplicate.begin(), appended.duplicate.end());
           out.new_events = static_cast<std::int64_t>(appended.new_events);
           out.last_sequence = static_cast<std::int64_t>(appended.last_sequence);
           return Status::Ok();
         });
}

void PartnerGraphHandler::ReloadModel(rpc::ReloadModelResponse& out, const std::string& api_key) {
  Answer(kDeclaresInvalidArgument | kDeclaresPermissionDenied | kDeclaresUnavailable, api_key,
         [&](const Principal& principal) -> Status {
           PG_RETURN_IF_ERROR(principal.CheckOperator());
           PG_ASSIGN_OR_RETURN(ReloadReport report, model_->Reload());
           out.model = report.model;
           out.model_event_sequence = static_cast<std::int64_t>(report.model_event_sequence);
           out.events_replayed = static_cast<std::int64_t>(report.events_replayed);
           out.open_seconds = report.open_seconds;
           out.swap_seconds = report.swap_seconds;
           return Status::Ok();
         });
}

}  // namespace partnergraph::server
