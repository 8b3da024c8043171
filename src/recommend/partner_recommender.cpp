// Recommender: the public entry of the recommendation stage (partner_recommender.hpp). It
// checks a model when it is created (and precomputes the profiles), checks each request, and
// runs it through the parts that live next to this file:
//   precomputed_profiles  what Create computes once per model (shared by WithNeighbors);
//   candidate_search      the ANN stage: stored or searched embedding neighbours;
//   partner_scoring       graph candidates, filters, scores and evidence of partner answers;
//   coupon_scoring        trigger SKUs, candidates, filters and scores of coupon answers.
// recommender_context.hpp has the one context they all read.
#include "partnergraph/recommend/partner_recommender.hpp"

#include <fmt/format.h>

#include <cassert>
#include <cmath>
#include <utility>

#include "candidate_search.hpp"
#include "coupon_scoring.hpp"
#include "partner_scoring.hpp"
#include "precomputed_profiles.hpp"
#include "recommender_context.hpp"

namespace partnergraph {

using recommend_internal::CandidateSearch;
using recommend_internal::CouponScoring;
using recommend_internal::PartnerScoring;
using recommend_internal::PrecomputedProfiles;
using recommend_internal::RecommenderContext;

// The context and the parts that read it, built together (the parts keep a reference to
// `context`, hence neither copyable nor movable).
struct Recommender::Impl {
  explicit Impl(RecommenderContext c)
      : context(std::move(c)), search(context), partners(context), coupons(context) {}
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  RecommenderContext context;
  CandidateSearch search;
  PartnerScoring partners;
  CouponScoring coupons;
};

namespace {

// The preconditions of the public request methods (partner_recommender.hpp), checked in debug
// builds only: the Engine refuses a request that breaks them (engine_requests.cpp, the one
// place a request's values are checked, with the messages the caller sees), and the other
// callers pass the graph's own ids and validated options.
void AssertPartnerRequest([[maybe_unused]] const RecommenderContext& context,
                          [[maybe_unused]] MerchantId m, [[maybe_unused]] std::uint32_t k,
                          [[maybe_unused]] const PartnerFilters& filters) {
  assert(context.model.graph->Contains(m) && "RecommendPartners: m is not a merchant of the graph");
  assert(k >= 1 && "RecommendPartners: k is 0");
  assert((!filters.candidates || *filters.candidates >= 1) && "RecommendPartners: candidates is 0");
  assert((!filters.long_tail_boost ||
          (std::isfinite(*filters.long_tail_boost) && *filters.long_tail_boost >= 0)) &&
         "RecommendPartners: long_tail_boost is not a finite non-negative number");
}

void AssertCouponRequest([[maybe_unused]] std::uint32_t k,
                         [[maybe_unused]] const CouponFilters& filters) {
  assert(k >= 1 && "RecommendCouponPairs: k is 0");
  assert((!filters.min_price || !filters.max_price || *filters.min_price <= *filters.max_price) &&
         "RecommendCouponPairs: min_price is above max_price");
}

}  // namespace

Recommender::Recommender(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

Result<std::shared_ptr<const Recommender>> Recommender::Create(RecommendModel model,
                                                               RecommendOptions options) {
  PG_RETURN_IF_ERROR(Validate(options));
  if (options.partner_candidates > options.max_candidates) {
    return Status::InvalidArgument(
        fmt::format("recommend.partner_candidates: {} is above recommend.max_candidates ({}): a "
                    "request without candidates would ask for more than any request may",
                    options.partner_candidates, options.max_candidates));
  }
  if (!model.graph) return Status::InvalidArgument("recommender: no graph");
  const EcosystemGraph& g = *model.graph;
  if (model.merchant_vectors && model.merchant_vectors->rows() != g.merchant_count()) {
    return Status::InvalidArgument(
        fmt::format("merchant embeddings have {} rows but the graph has {} merchants",
                    model.merchant_vectors->rows(), g.merchant_count()));
  }
  if (model.sku_vectors && model.sku_vectors->rows() != g.sku_count()) {
    return Status::InvalidArgument(
        fmt::format("SKU embeddings have {} rows but the graph has {} SKUs",
                    model.sku_vectors->rows(), g.sku_count()));
  }
  if (model.merchant_index && !model.merchant_vectors) {
    return Status::InvalidArgument("a merchant index needs the merchant embeddings");
  }
  if (model.sku_index && !model.sku_vectors) {
    return Status::InvalidArgument("a SKU index needs the SKU embeddings");
  }
  PG_RETURN_IF_ERROR(CandidateSearch::CheckNeighborTables(model, options));
  RecommenderContext context{std::move(model), options, nullptr, nullptr};
  context.profiles = PrecomputedProfiles::Compute(g, options);
  context.live = NewLiveOverlay(context.model.graph, *context.profiles);
  return std::shared_ptr<const Recommender>(
      new Recommender(std::make_shared<const Impl>(std::move(context))));
}

Result<std::shared_ptr<const Recommender>> Recommender::WithModel(RecommendModel model) const {
  PG_RETURN_IF_ERROR(CandidateSearch::CheckNeighborTables(model, impl_->context.options));
  RecommenderContext context{std::move(model), impl_->context.options, impl_->context.profiles,
                             impl_->context.live};
  return std::shared_ptr<const Recommender>(
      new Recommender(std::make_shared<const Impl>(std::move(context))));
}

Result<std::shared_ptr<const Recommender>> Recommender::WithNeighbors(
    std::shared_ptr<const SkuNeighborTable> table) const {
  RecommendModel model = impl_->context.model;
  model.sku_neighbors = std::move(table);
  return WithModel(std::move(model));
}

Result<std::shared_ptr<const Recommender>> Recommender::WithNeighbors(
    std::shared_ptr<const MerchantNeighborTable> table) const {
  RecommendModel model = impl_->context.model;
  model.merchant_neighbors = std::move(table);
  return WithModel(std::move(model));
}

Result<SkuNeighborTable> Recommender::ComputeSkuNeighbors() const {
  return impl_->search.ComputeSkuNeighbors();
}

Result<MerchantNeighborTable> Recommender::ComputeMerchantNeighbors() const {
  return impl_->search.ComputeMerchantNeighbors();
}

Result<std::vector<PartnerResult>> Recommender::RecommendPartners(
    MerchantId m, std::uint32_t k, const PartnerFilters& filters) const {
  const Impl& r = *impl_;
  AssertPartnerRequest(r.context, m, k, filters);
  // 1. Candidates: ANN neighbours (then, in PartnersFromHits, shared-customer neighbours).
  if (auto stored = r.search.StoredPartnerCandidates(m, filters)) {
    return r.partners.PartnersFromHits(m, k, filters, *stored);
  }
  if (r.search.HasMerchantVector(m)) {
    PG_ASSIGN_OR_RETURN(SearchResults hits, r.search.SearchPartnerCandidates(m, filters));
    return r.partners.PartnersFromHits(m, k, filters, hits.Query(0));
  }
  return r.partners.PartnersFromHits(m, k, filters, {});
}

Result<std::vector<std::vector<PartnerResult>>> Recommender::RecommendPartnersBatch(
    std::span<const MerchantId> merchants, std::uint32_t k, const PartnerFilters& filters) const {
  const Impl& r = *impl_;
  std::vector<std::vector<PartnerResult>> out(merchants.size());
  for (MerchantId m : merchants) AssertPartnerRequest(r.context, m, k, filters);
  // A filtered search excludes the query merchant itself: one search per merchant.
  if (recommend_internal::HasInIndexFilter(filters)) {
    for (std::size_t i = 0; i < merchants.size(); ++i) {
      PG_ASSIGN_OR_RETURN(out[i], RecommendPartners(merchants[i], k, filters));
    }
    return out;
  }
  PG_ASSIGN_OR_RETURN(auto hits, r.search.PartnerCandidatesBatch(merchants, filters));
  for (std::size_t i = 0; i < merchants.size(); ++i) {
    out[i] = r.partners.PartnersFromHits(merchants[i], k, filters, hits.Hits(i));
  }
  return out;
}

PairExplanation Recommender::ExplainPair(MerchantId m, MerchantId other, Audience audience) const {
  return impl_->partners.ExplainPair(m, other, audience);
}

bool Recommender::Visible(MerchantId m, MerchantId other, Audience audience) const {
  return impl_->partners.Visible(m, other, audience);
}

Result<OverlapDetail> Recommender::OverlapReport(MerchantId m, MerchantId other,
                                                 Audience audience) const {
  return impl_->partners.OverlapReport(m, other, audience);
}

Result<std::vector<CouponResult>> Recommender::RecommendCouponPairs(
    SkuId s, std::uint32_t k, const CouponFilters& filters) const {
  const Impl& r = *impl_;
  assert(r.context.model.graph->Contains(s) && "RecommendCouponPairs: s is not a SKU of the graph");
  AssertCouponRequest(k, filters);
  PG_ASSIGN_OR_RETURN(auto neighbors, r.search.SkuNeighbors(std::span<const SkuId>(&s, 1)));
  std::vector<CouponResult> out;
  r.coupons.CouponCandidatesFor(s, filters, neighbors[0], &out);
  return CouponScoring::TopCoupons(std::move(out), k);
}

Result<std::vector<CouponResult>> Recommender::RecommendCouponPairs(
    MerchantId m, std::uint32_t k, const CouponFilters& filters) const {
  const Impl& r = *impl_;
  assert(r.context.model.graph->Contains(m) &&
         "RecommendCouponPairs: m is not a merchant of the graph");
  AssertCouponRequest(k, filters);
  const std::vector<SkuId> triggers = r.coupons.TriggerSkus(m);
  PG_ASSIGN_OR_RETURN(auto neighbors, r.search.SkuNeighbors(triggers));
  std::vector<CouponResult> all;
  for (std::size_t i = 0; i < triggers.size(); ++i) {
    r.coupons.CouponCandidatesFor(triggers[i], filters, neighbors[i], &all);
  }
  return CouponScoring::BestCoupons(std::move(all), k);
}

Result<std::vector<std::vector<CouponResult>>> Recommender::RecommendCouponPairsBatch(
    std::span<const MerchantId> merchants, std::uint32_t k, const CouponFilters& filters) const {
  const Impl& r = *impl_;
  AssertCouponRequest(k, filters);
  std::vector<SkuId> triggers;
  std::vector<std::size_t> first(merchants.size() + 1, 0);
  for (std::size_t i = 0; i < merchants.size(); ++i) {
    assert(r.context.model.graph->Contains(merchants[i]) &&
           "RecommendCouponPairsBatch: a merchant is not one of the graph's");
    for (SkuId s : r.coupons.TriggerSkus(merchants[i])) triggers.push_back(s);
    first[i + 1] = triggers.size();
  }
  PG_ASSIGN_OR_RETURN(auto neighbors, r.search.SkuNeighbors(triggers));
  std::vector<std::vector<CouponResult>> out(merchants.size());
  for (std::size_t i = 0; i < merchants.size(); ++i) {
    std::vector<CouponResult> all;
    for (std::size_t t = first[i]; t < first[i + 1]; ++t) {
      r.coupons.CouponCandidatesFor(triggers[t], filters, neighbors[t], &all);
    }
    out[i] = CouponScoring::BestCoupons(std::move(all), k);
  }
  return out;
}

const MerchantProfile& Recommender::Profile(MerchantId m) const {
  return impl_->context.profiles->Profile(m);
}

const RecommendModel& Recommender::model() const { return impl_->context.model; }

const RecommendOptions& Recommender::options() const { return impl_->context.options; }

const std::shared_ptr<LiveOverlay>& Recommender::live() const { return impl_->context.live; }

std::uint32_t Recommender::PairKMin(MerchantId a, MerchantId b) const {
  return impl_->context.live->PairKMin(a, b);
}

}  // namespace partnergraph
