#include "handler.hpp"

#include <spdlog/spdlog.h>

#include <cmath>
#include <exception>
#include <utility>

#include "status_mapping.hpp"

#ifndef PG_VERSION
#define PG_VERSION "unknown"
#endif

namespace partnergraph::server {
namespace {

// Request limits documented in the IDL.
constexpr int kMaxK = 100;
constexpr int kMaxPageSize = 1000;
constexpr int kMaxCandidates = 10000;

Status CheckRange(std::string_view field, std::int64_t value, std::int64_t lo, std::int64_t hi) {
  if (value >= lo && value <= hi) return Status::Ok();
  return Status::InvalidArgument(std::string(field) + " = " + std::to_string(value) +
                                 " is out of range " + std::to_string(lo) + ".." +
                                 std::to_string(hi));
}

Status CheckNonEmpty(std::string_view field, const std::string& value) {
  if (!value.empty()) return Status::Ok();
  return Status::InvalidArgument(std::string(field) + " is empty");
}

Status CheckPrice(std::string_view field, double value) {
  if (std::isfinite(value) && value >= 0) return Status::Ok();
  return Status::InvalidArgument(std::string(field) + " = " + std::to_string(value) +
                                 " is not a finite non-negative price");
}

// A merchant key may ask coupon pairs by SKU only once the Engine can tell a SKU's merchant;
// until then only operators may (the error is the same whether or not the SKU exists).
Status CheckSkuAccess(const Principal& principal) {
  if (principal.is_operator()) return Status::Ok();
  return Status::PermissionDenied("key '" + principal.name + "' (" + principal.RoleString() +
                                  ") must ask coupon pairs by merchant_id; asking by sku_id needs "
                                  "an operator key");
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

Status CheckPairRequest(std::string_view call, const std::string& merchant_id,
                        const std::string& other_merchant_id) {
  const std::string prefix = std::string(call) + "Request.";
  PG_RETURN_IF_ERROR(CheckNonEmpty(prefix + "merchant_id", merchant_id));
  PG_RETURN_IF_ERROR(CheckNonEmpty(prefix + "other_merchant_id", other_merchant_id));
  if (merchant_id == other_merchant_id) {
    return Status::InvalidArgument(prefix + "other_merchant_id equals merchant_id (\"" +
                                   merchant_id + "\")");
  }
  return Status::Ok();
}

}  // namespace

PartnerGraphHandler::PartnerGraphHandler(std::shared_ptr<const Engine> engine,
                                         std::optional<ApiKeys> keys)
    : engine_(std::move(engine)), keys_(std::move(keys)), started_(std::chrono::steady_clock::now()) {
  EngineStats stats = engine_->Stats();
  model_description_ = stats.model_dir + " (built " + stats.built_at + ")";
}

Result<Principal> PartnerGraphHandler::Authenticate(const std::string& api_key) const {
  if (keys_) return keys_->Authenticate(api_key);
  Principal loopback;
  loopback.role = Principal::Role::kOperator;
  loopback.name = "loopback caller (no keys file)";
  return loopback;
}

template <typename Body>
void PartnerGraphHandler::Serve(std::string_view call, std::uint8_t declared,
                                const std::string& api_key, Body&& body) {
  Status status;
  std::string who = "unauthenticated caller";
  try {
    Result<Principal> principal = Authenticate(api_key);
    if (principal.ok()) {
      who = "'" + principal->name + "' (" + principal->RoleString() + ")";
      status = body(*principal);
    } else {
      status = principal.status();
    }
  } catch (const std::exception& e) {
    // The Engine reports errors as Status; an exception escaping it is a bug or resource
    // exhaustion, reported to the caller as Unavailable.
    status = Status::Internal(std::string("exception: ") + e.what());
  }
  if (status.ok()) {
    served_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  failed_.fetch_add(1, std::memory_order_relaxed);
  if (IsInternalFault(status.code())) {
    spdlog::error("{} by {} failed inside the server: {}", call, who, status.ToString());
  } else {
    spdlog::debug("{} by {}: {}", call, who, status.ToString());
  }
  ThrowAsThrift(status, declared);
}

void PartnerGraphHandler::Health(rpc::HealthResponse& out, const std::string& api_key) {
  Serve("Health", kDeclaresPermissionDenied | kDeclaresUnavailable, api_key,
        [&](const Principal& principal) {
          out.status = draining_.load(std::memory_order_relaxed) ? "draining" : "ok";
          out.version = PG_VERSION;
          out.uptime_seconds = std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::steady_clock::now() - started_)
                                   .count();
          out.model = model_description_;
          out.caller_role = principal.RoleString();
          return Status::Ok();
        });
}

void PartnerGraphHandler::Stats(rpc::StatsResponse& out, const std::string& api_key) {
  Serve("Stats", kDeclaresPermissionDenied | kDeclaresUnavailable, api_key,
        [&](const Principal& principal) {
          PG_RETURN_IF_ERROR(principal.CheckOperator());
          EngineStats s = engine_->Stats();
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
  Serve("GetMerchant", kDeclaresAll, api_key, [&](const Principal& principal) {
    PG_RETURN_IF_ERROR(CheckNonEmpty("merchant_id", merchant_id));
    PG_RETURN_IF_ERROR(principal.CheckMerchantAccess(merchant_id));
    PG_ASSIGN_OR_RETURN(MerchantView merchant, engine_->GetMerchant(merchant_id));
    out = ToWire(merchant);
    return Status::Ok();
  });
}

void PartnerGraphHandler::ListMerchants(rpc::ListMerchantsResponse& out,
                                        const std::string& api_key,
                                        const rpc::ListMerchantsRequest& request) {
  Serve("ListMerchants", kDeclaresInvalidArgument | kDeclaresPermissionDenied | kDeclaresUnavailable,
        api_key, [&](const Principal& principal) {
          PG_RETURN_IF_ERROR(principal.CheckOperator());
          PG_RETURN_IF_ERROR(
              CheckRange("ListMerchantsRequest.page_size", request.page_size, 1, kMaxPageSize));
          std::optional<std::string> token;
          if (request.__isset.page_token) token = request.page_token;
          PG_ASSIGN_OR_RETURN(
              MerchantPage page,
              engine_->ListMerchants(token, request.page_size,
                                     request.__isset.category ? request.category : "",
                                     request.__isset.region ? request.region : ""));
          out.merchants.reserve(page.merchants.size());
          for (const auto& m : page.merchants) out.merchants.push_back(ToWire(m));
          if (page.next_page_token) out.__set_next_page_token(*page.next_page_token);
          out.total = page.total;
          return Status::Ok();
        });
}

void PartnerGraphHandler::RecommendPartners(rpc::RecommendPartnersResponse& out,
                                            const std::string& api_key,
                                            const rpc::RecommendPartnersRequest& request) {
  Serve("RecommendPartners", kDeclaresAll, api_key, [&](const Principal& principal) {
    PG_RETURN_IF_ERROR(CheckNonEmpty("RecommendPartnersRequest.merchant_id", request.merchant_id));
    PG_RETURN_IF_ERROR(CheckRange("RecommendPartnersRequest.k", request.k, 1, kMaxK));
    PartnerFiltersView filters;
    if (request.__isset.filters) {
      filters = FromWire(request.filters);
      if (filters.candidates) {
        PG_RETURN_IF_ERROR(CheckRange("PartnerFilters.candidates", *filters.candidates, 1,
                                      kMaxCandidates));
      }
      if (filters.long_tail_boost && !std::isfinite(*filters.long_tail_boost)) {
        return Status::InvalidArgument("PartnerFilters.long_tail_boost is not a finite number");
      }
    }
    PG_RETURN_IF_ERROR(principal.CheckMerchantAccess(request.merchant_id));
    PG_ASSIGN_OR_RETURN(PartnerAnswer answer,
                        engine_->RecommendPartners(request.merchant_id, request.k, filters));
    out.partners.reserve(answer.partners.size());
    for (const auto& p : answer.partners) {
      rpc::PartnerRecommendation w;
      w.merchant_id = p.merchant_id;
      w.name = p.name;
      w.category = p.category;
      w.region = p.region;
      w.score = p.score;
      w.components = ToWire(p.components);
      w.shared_segments = ToWire(p.shared_segments);
      if (p.shared_customers) w.__set_shared_customers(*p.shared_customers);
      out.partners.push_back(std::move(w));
    }
    out.precomputed = answer.precomputed;
    return Status::Ok();
  });
}

void PartnerGraphHandler::RecommendCouponPairs(rpc::RecommendCouponPairsResponse& out,
                                               const std::string& api_key,
                                               const rpc::RecommendCouponPairsRequest& request) {
  Serve("RecommendCouponPairs", kDeclaresAll, api_key, [&](const Principal& principal) {
    const std::string sku_id = request.__isset.sku_id ? request.sku_id : "";
    const std::string merchant_id = request.__isset.merchant_id ? request.merchant_id : "";
    if (sku_id.empty() == merchant_id.empty()) {
      return Status::InvalidArgument(
          "RecommendCouponPairsRequest: set exactly one of sku_id and merchant_id (non-empty)");
    }
    PG_RETURN_IF_ERROR(CheckRange("RecommendCouponPairsRequest.k", request.k, 1, kMaxK));
    CouponFiltersView filters;
    if (request.__isset.filters) {
      filters = FromWire(request.filters);
      if (filters.min_price) PG_RETURN_IF_ERROR(CheckPrice("CouponFilters.min_price", *filters.min_price));
      if (filters.max_price) PG_RETURN_IF_ERROR(CheckPrice("CouponFilters.max_price", *filters.max_price));
      if (filters.min_price && filters.max_price && *filters.min_price > *filters.max_price) {
        return Status::InvalidArgument("CouponFilters.min_price is above CouponFilters.max_price");
      }
    }
    if (!merchant_id.empty()) {
      PG_RETURN_IF_ERROR(principal.CheckMerchantAccess(merchant_id));
    } else {
      PG_RETURN_IF_ERROR(CheckSkuAccess(principal));
    }
    PG_ASSIGN_OR_RETURN(CouponAnswer answer,
                        engine_->RecommendCouponPairs(sku_id, merchant_id, request.k, filters));
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
  Serve("ExplainPair", kDeclaresAll, api_key, [&](const Principal& principal) {
    PG_RETURN_IF_ERROR(
        CheckPairRequest("ExplainPair", request.merchant_id, request.other_merchant_id));
    PG_RETURN_IF_ERROR(principal.CheckMerchantAccess(request.merchant_id));
    PG_ASSIGN_OR_RETURN(PairExplanationView view,
                        engine_->ExplainPair(request.merchant_id, request.other_merchant_id));
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
  Serve("OverlapReport", kDeclaresAll, api_key, [&](const Principal& principal) {
    PG_RETURN_IF_ERROR(
        CheckPairRequest("OverlapReport", request.merchant_id, request.other_merchant_id));
    PG_RETURN_IF_ERROR(principal.CheckMerchantAccess(request.merchant_id));
    PG_ASSIGN_OR_RETURN(OverlapReportView view,
                        engine_->OverlapReport(request.merchant_id, request.other_merchant_id));
    out.segments = ToWire(view.segments);
    if (view.shared_customers) out.__set_shared_customers(*view.shared_customers);
    out.k_min = view.k_min;
    return Status::Ok();
  });
}

}  // namespace partnergraph::server
