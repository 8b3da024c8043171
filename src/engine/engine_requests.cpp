// The Engine's request contract (engine.hpp): each public method checks its request against
// Limits() here, the one place a request's values are checked, then asks the implementation
// (engine.cpp's, or a test double) to answer. Messages name the request field as
// server/partnergraph.thrift spells it.
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <string_view>

#include "partnergraph/engine/engine.hpp"

namespace partnergraph {
namespace {

Status CheckNonEmpty(std::string_view field, const std::string& value) {
  if (!value.empty()) return Status::Ok();
  return Status::InvalidArgument(fmt::format("{} is empty", field));
}

Status CheckRange(std::string_view field, std::int64_t value, std::int64_t lo, std::int64_t hi) {
  if (value >= lo && value <= hi) return Status::Ok();
  return Status::InvalidArgument(
      fmt::format("{} = {} is out of range {}..{}", field, value, lo, hi));
}

Status CheckPrice(std::string_view field, double value) {
  if (std::isfinite(value) && value >= 0) return Status::Ok();
  return Status::InvalidArgument(
      fmt::format("{} = {:f} is not a finite non-negative price", field, value));
}

Status CheckPartnerRequest(const RequestLimits& limits, const std::string& merchant_id, int k,
                           const PartnerFiltersView& filters) {
  PG_RETURN_IF_ERROR(CheckNonEmpty("RecommendPartnersRequest.merchant_id", merchant_id));
  PG_RETURN_IF_ERROR(CheckRange("RecommendPartnersRequest.k", k, 1, limits.max_k));
  if (filters.candidates) {
    PG_RETURN_IF_ERROR(
        CheckRange("PartnerFilters.candidates", *filters.candidates, 1, limits.max_candidates));
  }
  if (const std::optional<double>& boost = filters.long_tail_boost) {
    if (!std::isfinite(*boost)) {
      return Status::InvalidArgument("PartnerFilters.long_tail_boost is not a finite number");
    }
    if (*boost < 0 || *boost > limits.max_long_tail_boost) {
      return Status::InvalidArgument(
          fmt::format("PartnerFilters.long_tail_boost = {} is out of range 0..{}", *boost,
                      limits.max_long_tail_boost));
    }
  }
  return Status::Ok();
}

Status CheckCouponRequest(const RequestLimits& limits, const std::string& sku_id,
                          const std::string& merchant_id, int k, const CouponFiltersView& filters) {
  if (sku_id.empty() == merchant_id.empty()) {
    return Status::InvalidArgument(
        "RecommendCouponPairsRequest: set exactly one of sku_id and merchant_id (non-empty)");
  }
  PG_RETURN_IF_ERROR(CheckRange("RecommendCouponPairsRequest.k", k, 1, limits.max_k));
  if (filters.min_price)
    PG_RETURN_IF_ERROR(CheckPrice("CouponFilters.min_price", *filters.min_price));
  if (filters.max_price)
    PG_RETURN_IF_ERROR(CheckPrice("CouponFilters.max_price", *filters.max_price));
  if (filters.min_price && filters.max_price && *filters.min_price > *filters.max_price) {
    return Status::InvalidArgument("CouponFilters.min_price is above CouponFilters.max_price");
  }
  return Status::Ok();
}

// `call` is the IDL's method name ("ExplainPair"): its request struct names the fields.
Status CheckPairRequest(std::string_view call, const std::string& merchant_id,
                        const std::string& other_merchant_id) {
  PG_RETURN_IF_ERROR(CheckNonEmpty(fmt::format("{}Request.merchant_id", call), merchant_id));
  PG_RETURN_IF_ERROR(
      CheckNonEmpty(fmt::format("{}Request.other_merchant_id", call), other_merchant_id));
  if (merchant_id == other_merchant_id) {
    return Status::InvalidArgument(
        fmt::format("{}Request.other_merchant_id equals merchant_id (\"{}\")", call, merchant_id));
  }
  return Status::Ok();
}

}  // namespace

Result<MerchantView> Engine::GetMerchant(const std::string& merchant_id) const {
  PG_RETURN_IF_ERROR(CheckNonEmpty("merchant_id", merchant_id));
  return AnswerGetMerchant(merchant_id);
}

Result<MerchantPage> Engine::ListMerchants(const std::optional<std::string>& page_token,
                                           int page_size, const std::string& category,
                                           const std::string& region) const {
  PG_RETURN_IF_ERROR(
      CheckRange("ListMerchantsRequest.page_size", page_size, 1, Limits().max_page_size));
  return AnswerListMerchants(page_token, page_size, category, region);
}

Status Engine::BorrowPartners(const std::string& merchant_id, int k,
                              const PartnerFiltersView& filters, BorrowedPartnerAnswer* out) const {
  PG_RETURN_IF_ERROR(CheckPartnerRequest(Limits(), merchant_id, k, filters));
  return AnswerPartners(merchant_id, k, filters, out);
}

Result<PartnerAnswer> Engine::RecommendPartners(const std::string& merchant_id, int k,
                                                const PartnerFiltersView& filters) const {
  BorrowedPartnerAnswer borrowed;
  PG_RETURN_IF_ERROR(BorrowPartners(merchant_id, k, filters, &borrowed));
  PartnerAnswer answer;
  answer.precomputed = borrowed.precomputed;
  answer.partners.reserve(borrowed.partners.size());
  for (const PartnerRef& p : borrowed.partners) {
    PartnerView& v = answer.partners.emplace_back();
    v.merchant_id = p.merchant_id;
    v.name = p.name;
    v.category = p.category;
    v.region = p.region;
    v.score = p.score;
    v.components = p.components;
    v.shared_segments.reserve(p.shared_segments.size());
    for (const SharedSegmentRef& s : p.shared_segments) {
      v.shared_segments.push_back({std::string(s.segment_id), std::string(s.description), s.count});
    }
    v.shared_customers = p.shared_customers;
  }
  return answer;
}

Result<CouponAnswer> Engine::RecommendCouponPairs(const std::string& sku_id,
                                                  const std::string& merchant_id, int k,
                                                  const CouponFiltersView& filters) const {
  PG_RETURN_IF_ERROR(CheckCouponRequest(Limits(), sku_id, merchant_id, k, filters));
  return AnswerCouponPairs(sku_id, merchant_id, k, filters);
}

Result<PairExplanationView> Engine::ExplainPair(const std::string& merchant_id,
                                                const std::string& other_merchant_id,
                                                Audience audience) const {
  PG_RETURN_IF_ERROR(CheckPairRequest("ExplainPair", merchant_id, other_merchant_id));
  return AnswerExplainPair(merchant_id, other_merchant_id, audience);
}

Result<OverlapReportView> Engine::OverlapReport(const std::string& merchant_id,
                                                const std::string& other_merchant_id,
                                                Audience audience) const {
  PG_RETURN_IF_ERROR(CheckPairRequest("OverlapReport", merchant_id, other_merchant_id));
  return AnswerOverlapReport(merchant_id, other_merchant_id, audience);
}

}  // namespace partnergraph
