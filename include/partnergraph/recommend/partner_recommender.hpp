// PartnerRecommender and CouponRecommender: the recommendation stage over one
// model (graph + embeddings + vector indexes). See docs/recommendations.md for
// the scores, with every formula.
//
// Partner query for merchant m:
//   1. candidates: the top C merchants by audience-embedding similarity (ANN
//      index; read from the model's merchant neighbour table when the request has
//      no region, category or tier filter and the default C: neighbor_table.hpp),
//      plus m's largest shared-customer neighbours in the graph;
//   2. filters: m itself; existing partners (unless asked); declared and
//      derived competitors; blocked pairs; merchants that opted out of
//      discovery; the request's region, category and tier filters;
//   3. score = w_sim·similarity + w_comp·complementarity + w_reach·reach
//              − w_pen·competition + long-tail boost; ties broken by merchant id.
// Coupon query for SKU s (or each of a merchant's best sellers): candidates are
// s's co-purchase neighbours plus its SKU-embedding neighbours at other
// merchants (read from the model's SKU neighbour table when it covers s, else
// searched: neighbor_table.hpp); filtered (own merchant, competitor or blocked merchant, either side
// not allowing coupons, price band, categories); scored by lift, support,
// reach and embedding similarity; ties broken by SKU id.
//
// Privacy: results carry counts about the other merchant's customers only as
// aggregates, and only when >= k_min of the pair (the larger k_min); per-segment
// counts additionally need both merchants to share overlaps. Otherwise the
// count is nullopt (suppressed, never rounded). For Audience::kMerchant (filters'
// `audience`) the scores, their components and the ranking are computed from the
// disclosed evidence only (Recommender::ScorePair, docs/privacy.md), so that no
// suppressed count and no other merchant's customer count can be derived from them.
//
// Thread safety: immutable after construction; every const method may be
// called from many threads at once. Ownership: a recommender keeps shared
// pointers to the model parts it reads.
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "partnergraph/common/audience.hpp"
#include "partnergraph/common/ids.hpp"
#include "partnergraph/common/status.hpp"
#include "partnergraph/embed/embeddings.hpp"
#include "partnergraph/graph/ecosystem_graph.hpp"
#include "partnergraph/index/vector_index.hpp"
#include "partnergraph/recommend/recommend_options.hpp"
#include "partnergraph/recommend/neighbor_table.hpp"

namespace partnergraph {

// Scorecard-free merchant tiers used by the tier filter: by revenue rank,
// "gold" = top 5 %, "silver" = next 15 %, "bronze" = the rest.
enum class MerchantTier : std::uint8_t { kGold = 0, kSilver = 1, kBronze = 2 };
std::string_view ToString(MerchantTier tier);
std::optional<MerchantTier> ParseMerchantTier(std::string_view s);

// What the recommenders precompute per merchant when they are built.
struct MerchantProfile {
  // Copies of the graph's fields that every candidate of a partner query reads, kept together
  // so that scoring a candidate touches one record instead of the graph's separate arrays.
  CategoryId category;
  RegionId region;
  bool discoverable = true;
  MerchantTier tier = MerchantTier::kBronze;
  bool long_tail = true;            // outside the top RecommendOptions::long_tail_share
  std::uint32_t customers = 0;      // distinct customers
  double log1p_customers = 0;       // log1p(customers), which every score of the merchant divides by
  std::uint32_t contactable = 0;    // customers it may contact on at least one channel
  std::uint32_t k_min = 20;         // its policy's k_min (merchant_policy.csv)
  // contactable / customers, and the same rounded to tenths: the only form in which a
  // merchant's consent figures enter a score another merchant sees (docs/privacy.md).
  double contactable_share() const {
    return customers == 0 ? 0.0 : static_cast<double>(contactable) / customers;
  }
  double disclosed_contactable_share() const {
    return std::round(contactable_share() * 10.0) / 10.0;
  }
};

struct PartnerFilters {
  bool include_existing_partners = false;
  std::vector<RegionId> regions;             // empty: any
  std::vector<CategoryId> categories;        // empty: any
  std::vector<CategoryId> exclude_categories;
  std::vector<MerchantTier> tiers;           // empty: any
  std::optional<double> long_tail_boost;     // unset: options' weight
  std::optional<std::uint32_t> candidates;   // unset: options' C
  // Who the answer is for (not a filter: is_default ignores it). The default discloses least.
  Audience audience = Audience::kMerchant;
  bool is_default() const {
    return !include_existing_partners && regions.empty() && categories.empty() &&
           exclude_categories.empty() && tiers.empty() && !long_tail_boost && !candidates;
  }
};

struct PartnerScore {
  double audience_similarity = 0;
  double category_complementarity = 0;
  double shared_reach = 0;
  double competition_penalty = 0;
  double long_tail_boost = 0;
  double total = 0;
};

struct SegmentCount {
  SegmentId segment;
  std::optional<std::uint32_t> count;  // nullopt: suppressed
};

struct PartnerResult {
  MerchantId merchant;
  PartnerScore score;
  std::vector<SegmentCount> shared_segments;     // up to 3, largest first
  std::optional<std::uint32_t> shared_customers; // nullopt: suppressed
};

struct PairExplanation {
  PartnerScore score;
  std::vector<SegmentCount> shared_segments;
  std::optional<std::uint32_t> shared_customers;
  std::vector<std::string> excluded_because;  // empty: the pair passes every filter
};

struct OverlapDetail {
  std::vector<SegmentCount> segments;  // every shared segment, largest first
  std::optional<std::uint32_t> shared_customers;
  std::uint32_t k_min = 0;
};

struct CouponFilters {
  std::optional<double> min_price;
  std::optional<double> max_price;
  std::vector<CategoryId> categories;  // empty: any
  // Who the answer is for (not a filter: is_default ignores it). Coupon pairs of a merchant
  // are answered to that merchant (the trigger side) or an operator.
  Audience audience = Audience::kMerchant;
  bool is_default() const { return !min_price && !max_price && categories.empty(); }
};

struct CouponResult {
  SkuId trigger;
  SkuId sku;
  double score = 0;
  std::optional<std::uint32_t> support;  // nullopt: suppressed
  double lift = 0;                       // kMerchant: 0 when the support is suppressed
  // The trigger merchant's own contactable buyers of the trigger SKU: its own figure, never
  // suppressed (a coupon answer goes to the trigger merchant or an operator only).
  std::optional<std::uint32_t> reach;
  double embedding_similarity = 0;
};

// The parts of a model a recommender reads. Embeddings have one row per
// merchant (merchant_vectors) and per SKU (sku_vectors); an index may be null
// (then only the graph supplies candidates). sku_neighbors and merchant_neighbors,
// optional, hold precomputed hits of sku_index and merchant_index: items they cover are
// not searched.
struct RecommendModel {
  std::shared_ptr<const EcosystemGraph> graph;
  std::shared_ptr<const Embeddings> merchant_vectors;
  std::shared_ptr<const VectorIndex> merchant_index;
  std::shared_ptr<const Embeddings> sku_vectors;
  std::shared_ptr<const VectorIndex> sku_index;
  std::shared_ptr<const SkuNeighborTable> sku_neighbors;
  std::shared_ptr<const MerchantNeighborTable> merchant_neighbors;
};

class Recommender {
 public:
  // The long-tail boost factor kMerchant answers give every long-tail merchant, in place of
  // the exact 1 - log1p(customers) / log1p(max customers), which would tell its size. A fixed
  // number: a mean over the long tail would move with any one merchant's count.
  static constexpr double kDisclosedLongTailFactor = 0.5;

  // Checks that the parts match (embedding rows equal node counts; the neighbour tables'
  // keys equal ExpectedSkuNeighborKey / ExpectedMerchantNeighborKey of the indexes and
  // options) and
  // precomputes the merchant profiles (parallel). InvalidArgument on mismatch.
  static Result<std::shared_ptr<const Recommender>> Create(RecommendModel model,
                                                           RecommendOptions options);
  // The same recommender reading `table` (checked as in Create) instead of searching the
  // SKUs (merchants) it covers; the merchant profiles are shared, not recomputed.
  Result<std::shared_ptr<const Recommender>> WithNeighbors(
      std::shared_ptr<const SkuNeighborTable> table) const;
  Result<std::shared_ptr<const Recommender>> WithNeighbors(
      std::shared_ptr<const MerchantNeighborTable> table) const;

  // The SKU-embedding hits of every SKU with a vector, each searched alone exactly as the
  // live coupon query searches it (SearchSkuNeighbors; a table this recommender already
  // reads is not consulted); parallel (oneTBB tasks, FAISS one thread per task).
  // InvalidArgument when the model has no SKU index or coupon_candidates is 0 (nothing is
  // searched), or the SKU index was not saved or loaded (no identity for the key); the
  // index's errors otherwise.
  Result<SkuNeighborTable> ComputeSkuNeighbors() const;
  // The same for the partner query: every merchant with a vector, searched as
  // RecommendPartners searches without a filter (k = partner_candidates + 1, the index's
  // own efSearch). InvalidArgument when the model has no merchant index or it has no
  // identity.
  Result<MerchantNeighborTable> ComputeMerchantNeighbors() const;

  // Top k partners for m. InvalidArgument for k outside 1..max_k or candidates
  // outside 1..max_candidates. The ANN search (when m's list is not stored) runs on the
  // calling thread.
  Result<std::vector<PartnerResult>> RecommendPartners(MerchantId m, std::uint32_t k,
                                                       const PartnerFilters& filters) const;
  // Score components and shared segments of (m, other), and every filter that
  // would exclude `other` from m's recommendations. For kMerchant the score is the disclosed
  // one and the reasons leave out the other merchant's own settings (opted out of
  // discovery) and blocked pairs: the Engine answers such pairs as an unknown merchant.
  PairExplanation ExplainPair(MerchantId m, MerchantId other, Audience audience) const;
  // Whether m may learn anything about `other` (kMerchant): `other` takes part in discovery
  // and the pair is not blocked. Always true for kOperator.
  bool Visible(MerchantId m, MerchantId other, Audience audience) const;
  // Per-segment shared counts (SharedSegments: kMerchant lists only disclosed segments);
  // PermissionDenied unless both share overlaps.
  Result<OverlapDetail> OverlapReport(MerchantId m, MerchantId other, Audience audience) const;

  // Top k coupon SKUs for trigger SKU s.
  Result<std::vector<CouponResult>> RecommendCouponPairs(SkuId s, std::uint32_t k,
                                                         const CouponFilters& filters) const;
  // Top k over the merchant's best-selling trigger SKUs. The triggers' embedding
  // searches run as one batched FAISS search.
  Result<std::vector<CouponResult>> RecommendCouponPairs(MerchantId m, std::uint32_t k,
                                                         const CouponFilters& filters) const;

  // Batched forms for bulk work (precomputed answers): entry i is the answer for
  // merchants[i], computed like the single-merchant call except that the ANN stage of all
  // the merchants (their partner queries; their trigger SKUs' queries) runs as one FAISS
  // search with many queries (BLAS for a Flat index), on the calling thread's OpenMP
  // setting. The answers equal the single calls' up to float rounding of the ANN scores at
  // the C-th candidate (a batched Flat search sums in another order); the final scores are
  // recomputed from the embeddings either way. Errors: the first error of any merchant.
  Result<std::vector<std::vector<PartnerResult>>> RecommendPartnersBatch(
      std::span<const MerchantId> merchants, std::uint32_t k,
      const PartnerFilters& filters) const;
  Result<std::vector<std::vector<CouponResult>>> RecommendCouponPairsBatch(
      std::span<const MerchantId> merchants, std::uint32_t k,
      const CouponFilters& filters) const;

  const MerchantProfile& Profile(MerchantId m) const { return profiles_[m.value]; }
  const RecommendModel& model() const { return model_; }
  const RecommendOptions& options() const { return options_; }
  // The stricter (larger) k_min of a pair.
  std::uint32_t PairKMin(MerchantId a, MerchantId b) const;

 private:
  class CandidateFilter;
  Recommender(RecommendModel model, RecommendOptions options);
  // The score of candidate c for m; `competitor`: whether c is m's declared or derived
  // competitor, `shared_customers`: the pair's shared customers (the caller knows them or
  // looks them up).
  // `audience` kMerchant: from the disclosed evidence only (docs/privacy.md).
  PartnerScore ScorePair(MerchantId m, MerchantId c, double similarity, double long_tail_weight,
                         bool competitor, std::uint32_t shared_customers,
                         Audience audience) const;
  double Similarity(MerchantId a, MerchantId b) const;
  // The shared segments of (a, b), largest first, at most `limit`. kMerchant: only segments
  // whose count is disclosed (both share overlaps, count >= k_min), so that neither the
  // presence nor the order of a segment tells anything about a suppressed count; and when
  // the pair's total minus the listed segments would be a count below k_min, also the
  // smallest listed ones (complementary suppression), in every answer alike.
  std::vector<SegmentCount> SharedSegments(MerchantId a, MerchantId b, std::size_t limit,
                                           Audience audience) const;
  // Reasons `c` is excluded for `m` under `filters` (empty: kept).
  void ExclusionReasons(MerchantId m, MerchantId c, const PartnerFilters& filters,
                        std::vector<std::string>* reasons) const;
  // Whether c is excluded for m by the filters that read c's profile (m itself, opted out of
  // discovery, the request's regions, categories and tiers).
  bool ExcludedByProfile(MerchantId m, MerchantId c, const PartnerFilters& filters) const;
  // The merchants m's relations exclude, sorted: its partners (unless the filters include
  // them), declared and derived competitors, and blocked pairs.
  void ExcludedByRelation(MerchantId m, const PartnerFilters& filters,
                          std::vector<MerchantId>* out) const;
  Status CheckPartnerRequest(MerchantId m, std::uint32_t k, const PartnerFilters& filters) const;
  Status CheckCouponRequest(std::uint32_t k, const CouponFilters& filters) const;
  // Steps 1-3 of a partner query given the ANN hits of m's vector (empty: no ANN stage).
  std::vector<PartnerResult> PartnersFromHits(MerchantId m, std::uint32_t k,
                                              const PartnerFilters& filters,
                                              std::span<const Neighbor> hits) const;
  // Whether m has a non-zero embedding row to search with.
  bool HasMerchantVector(MerchantId m) const;
  bool HasSkuVector(SkuId s) const;
  // The merchant's trigger SKUs (best sellers with buyers, best first).
  std::vector<SkuId> TriggerSkus(MerchantId m) const;
  // Candidates of trigger s: co-purchase neighbours, the given embedding hits, the
  // popular SKUs; filtered and scored, appended to `out`.
  void CouponCandidatesFor(SkuId s, const CouponFilters& filters,
                           std::span<const Neighbor> hits, std::vector<CouponResult>* out) const;
  // The embedding hits of each SKU: the SKU neighbour table's list when it covers the SKU,
  // else one batched search of the others (an empty list for SKUs without a vector or
  // without an index).
  Result<std::vector<std::vector<Neighbor>>> SkuNeighbors(std::span<const SkuId> skus) const;
  // The same without the table: one batched search of the SKUs with a vector.
  Result<std::vector<std::vector<Neighbor>>> SearchSkuNeighbors(std::span<const SkuId> skus) const;
  // Validates the model's neighbour tables against its indexes and the options
  // (InvalidArgument naming the mismatch).
  static Status CheckNeighborTables(const RecommendModel& model, const RecommendOptions& options);
  // This recommender over `model` (checked by CheckNeighborTables), sharing the profiles.
  Result<std::shared_ptr<const Recommender>> WithModel(RecommendModel model) const;
  // The ANN hits RecommendPartners takes for m (which has a vector): C + 1 of them (C =
  // filters.candidates or partner_candidates), the request's region, category and tier
  // filters applied inside the search.
  Result<SearchResults> SearchPartnerCandidates(MerchantId m, const PartnerFilters& filters) const;
  // m's stored merchant list, when the table covers m and `filters` ask the search the list
  // holds (no in-index filter, the default candidate count); nullopt: search.
  std::optional<std::span<const Neighbor>> StoredPartnerCandidates(
      MerchantId m, const PartnerFilters& filters) const;
  // Top k of a merchant's trigger candidates (one pair per coupon SKU, its best trigger).
  static std::vector<CouponResult> BestCoupons(std::vector<CouponResult> all, std::uint32_t k);

  RecommendModel model_;
  RecommendOptions options_;
  std::vector<MerchantProfile> profiles_;
  // Per merchant m: its partner_graph_candidates largest shared-customer neighbours,
  // ids[offsets[m] .. offsets[m + 1]). Shared by the copies WithNeighbors makes (up to
  // 100 ids per merchant: 400 MB at 1M merchants).
  struct GraphCandidateLists {
    std::vector<std::uint64_t> offsets;
    std::vector<MerchantId> ids;
  };
  std::shared_ptr<const GraphCandidateLists> graph_candidates_;
  std::uint32_t max_customers_ = 0;
  double log1p_max_customers_ = 0;  // log1p(max_customers_)
  // Merchants per category (the category-pair lift between two one-merchant categories is
  // the pair's own overlap: ScorePair).
  std::vector<std::uint32_t> category_merchants_;
  // The coupon_popular_candidates most-bought SKUs (buyers desc, id asc).
  std::vector<SkuId> popular_skus_;
  std::uint32_t max_sku_buyers_ = 0;
};

}  // namespace partnergraph
