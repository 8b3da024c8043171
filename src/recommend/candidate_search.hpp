// CandidateSearch: the ANN stage of both recommenders — the embedding neighbours a partner
// query (merchant index) and a coupon query (SKU index, per trigger SKU) start from, read
// from the model's neighbour tables when they hold the list the query would search
// (neighbor_table.hpp), else searched; and the precompute of those tables
// (ComputeSkuNeighbors / ComputeMerchantNeighbors). What it returns goes to PartnerScoring
// (partner_scoring.hpp) and CouponScoring (coupon_scoring.hpp), which add the graph's
// candidates, filter and score.
//
// Thread safety: const methods only, callable from many threads at once; a search runs on the
// calling thread with the caller's FAISS OpenMP setting, except the Compute* precomputes
// (oneTBB tasks, FAISS one thread per task).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "partnergraph/common/ids.hpp"
#include "partnergraph/common/status.hpp"
#include "partnergraph/index/vector_index.hpp"
#include "partnergraph/recommend/neighbor_table.hpp"
#include "partnergraph/recommend/recommend_types.hpp"
#include "recommender_context.hpp"

namespace partnergraph::recommend_internal {

// Whether `filters` has a filter that runs inside the merchant search (regions, categories,
// excluded categories, tiers): such a search is the query merchant's own, never stored.
bool HasInIndexFilter(const PartnerFilters& filters);

// The per-merchant filters of a partner request that do not depend on the pair, for use
// inside the ANN search (a FAISS IDSelector): refuses m itself, ids that are not merchants
// of the graph, and candidates outside the request's regions, categories and tiers or in an
// excluded category. Thread-safe (const lookups only); keeps references to its arguments.
class CandidateFilter final : public IdFilter {
 public:
  CandidateFilter(const RecommenderContext& context, MerchantId m, const PartnerFilters& filters)
      : context_(context), m_(m), f_(filters) {}
  bool active() const { return HasInIndexFilter(f_); }
  bool Allows(std::uint32_t id) const override;

 private:
  const RecommenderContext& context_;
  MerchantId m_;
  const PartnerFilters& f_;
};

// The ANN hits of a batch of partner queries (CandidateSearch::PartnerCandidatesBatch).
class PartnerHitsBatch {
 public:
  // The hits of the batch's i-th merchant: its stored list, or its share of the batched
  // search, or empty (it has no vector, or the model no merchant index).
  std::span<const Neighbor> Hits(std::size_t i) const;

 private:
  friend class CandidateSearch;
  static constexpr std::size_t kNotSearched = static_cast<std::size_t>(-1);
  std::vector<std::optional<std::span<const Neighbor>>> stored_;
  std::vector<std::size_t> query_;  // per merchant: its query in searched_, or kNotSearched
  SearchResults searched_;
};

class CandidateSearch {
 public:
  // Keeps a reference to `context`, which must outlive it.
  explicit CandidateSearch(const RecommenderContext& context) : context_(context) {}

  // Validates the model's neighbour tables against its indexes and the options: OK, or
  // InvalidArgument naming the mismatch (a table without its index, another key).
  static Status CheckNeighborTables(const RecommendModel& model, const RecommendOptions& options);

  // Whether m (s) has a non-zero embedding row to search with; false without an index.
  bool HasMerchantVector(MerchantId m) const;
  bool HasSkuVector(SkuId s) const;

  // m's stored merchant list, when the table covers m and `filters` ask the search the list
  // holds (no in-index filter, the default candidate count); nullopt: search.
  std::optional<std::span<const Neighbor>> StoredPartnerCandidates(
      MerchantId m, const PartnerFilters& filters) const;
  // The ANN hits a partner query takes for m (which must have a vector): C + 1 of them (C =
  // filters.candidates or partner_candidates), the request's in-index filters applied inside
  // the search. Errors: the index's.
  Result<SearchResults> SearchPartnerCandidates(MerchantId m, const PartnerFilters& filters) const;
  // The hits of every merchant's partner query under `filters`, which must have no in-index
  // filter: stored lists where StoredPartnerCandidates has them, the other merchants with a
  // vector in one batched search (k = C + 1, the index's own efSearch). Errors: the index's.
  Result<PartnerHitsBatch> PartnerCandidatesBatch(std::span<const MerchantId> merchants,
                                                  const PartnerFilters& filters) const;

  // The embedding hits of each SKU: the SKU neighbour table's list when it covers the SKU,
  // else one batched search of the others (an empty list for SKUs without a vector, and for
  // every SKU without an index or with coupon_candidates 0). Errors: the index's.
  Result<std::vector<std::vector<Neighbor>>> SkuNeighbors(std::span<const SkuId> skus) const;
  // The same without the table: one batched search of the SKUs with a vector
  // (k = coupon_candidates + 1, efSearch coupon_ef_search).
  Result<std::vector<std::vector<Neighbor>>> SearchSkuNeighbors(std::span<const SkuId> skus) const;

  // The tables (Recommender::ComputeSkuNeighbors / ComputeMerchantNeighbors have the
  // contract): every SKU (merchant) with a vector, each searched alone as a live query
  // searches it, the model's own table not consulted.
  Result<SkuNeighborTable> ComputeSkuNeighbors() const;
  Result<MerchantNeighborTable> ComputeMerchantNeighbors() const;

 private:
  const RecommenderContext& context_;
};

}  // namespace partnergraph::recommend_internal
