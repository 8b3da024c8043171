// CandidateSearch: stored or searched ANN hits for partner and coupon queries, and the
// precompute of the neighbour tables (candidate_search.hpp).
#include "candidate_search.hpp"

#include <fmt/format.h>
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <utility>

#include "partnergraph/index/faiss_threads.hpp"
#include "scoring_helpers.hpp"

namespace partnergraph::recommend_internal {

namespace {

bool NonZero(std::span<const float> row) {
  return std::any_of(row.begin(), row.end(), [](float x) { return x != 0.0f; });
}

// The lists of `items` (ascending), item i's found by search(items[i]) (a Result of its
// hits, at most key.k), in parallel: oneTBB tasks, FAISS one thread per task. Item i's hits
// go to slots [i * k, i * k + counts[i]) of one array, compacted afterwards. Errors: the
// first search error, naming the item.
template <typename Id, typename Search>
Result<NeighborTable<Id>> ComputeNeighborTable(const NeighborKey& key, std::vector<Id> items,
                                               const char* item_name, const Search& search) {
  const std::size_t k = key.k;
  std::vector<Neighbor> hits(items.size() * k);
  std::vector<std::uint32_t> counts(items.size(), 0);
  std::mutex error_mutex;
  Status first_error;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, items.size(), 256), [&](const auto& range) {
    ScopedFaissThreads one_thread(1);
    for (std::size_t i = range.begin(); i != range.end(); ++i) {
      auto found = search(items[i]);
      if (!found.ok()) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (first_error.ok()) {
          first_error = found.status().WithContext(fmt::format("{} {}", item_name, items[i].value));
        }
        return;
      }
      std::copy(found->begin(), found->end(), hits.begin() + static_cast<std::ptrdiff_t>(i * k));
      counts[i] = static_cast<std::uint32_t>(found->size());
    }
  });
  if (!first_error.ok()) return first_error;
  std::vector<std::uint64_t> offsets(items.size() + 1, 0);
  for (std::size_t i = 0; i < items.size(); ++i) {
    offsets[i + 1] = offsets[i] + counts[i];
    if (offsets[i] != i * k) {  // always to the left: the ranges may overlap that way
      std::copy_n(hits.begin() + static_cast<std::ptrdiff_t>(i * k), counts[i],
                  hits.begin() + static_cast<std::ptrdiff_t>(offsets[i]));
    }
  }
  hits.resize(offsets.back());
  return NeighborTable<Id>::FromLists(key, std::move(items), std::move(offsets), std::move(hits));
}

}  // namespace

bool HasInIndexFilter(const PartnerFilters& f) {
  return !f.regions.empty() || !f.categories.empty() || !f.exclude_categories.empty() ||
         !f.tiers.empty();
}

bool CandidateFilter::Allows(std::uint32_t id) const {
  MerchantId c(id);
  if (c == m_ || !context_.model.graph->Contains(c)) return false;
  const MerchantProfile& info = context_.profiles->Profile(c);
  if (!f_.regions.empty() && !Contains(f_.regions, info.region)) return false;
  if (!f_.categories.empty() && !Contains(f_.categories, info.category)) return false;
  if (Contains(f_.exclude_categories, info.category)) return false;
  if (!f_.tiers.empty() && !Contains(f_.tiers, info.tier)) return false;
  return true;
}

std::span<const Neighbor> PartnerHitsBatch::Hits(std::size_t i) const {
  if (stored_[i]) return *stored_[i];
  if (query_[i] != kNotSearched) return searched_.Query(query_[i]);
  return {};
}

Status CandidateSearch::CheckNeighborTables(const RecommendModel& model,
                                            const RecommendOptions& options) {
  if (model.sku_neighbors) {
    if (!model.sku_index) {
      return Status::InvalidArgument("SKU neighbour lists given for a model without a SKU index");
    }
    const NeighborKey expected =
        ExpectedSkuNeighborKey(*model.sku_index, model.graph->sku_count(), options);
    if (model.sku_neighbors->key() != expected) {
      return Status::InvalidArgument(
          fmt::format("the SKU neighbour lists do not match the model: {}",
                      DescribeKeyMismatch(expected, model.sku_neighbors->key())));
    }
  }
  if (model.merchant_neighbors) {
    if (!model.merchant_index) {
      return Status::InvalidArgument(
          "merchant neighbour lists given for a model without a merchant index");
    }
    const NeighborKey expected =
        ExpectedMerchantNeighborKey(*model.merchant_index, model.graph->merchant_count(), options);
    if (model.merchant_neighbors->key() != expected) {
      return Status::InvalidArgument(
          fmt::format("the merchant neighbour lists do not match the model: {}",
                      DescribeKeyMismatch(expected, model.merchant_neighbors->key())));
    }
  }
  return Status::Ok();
}

bool CandidateSearch::HasMerchantVector(MerchantId m) const {
  if (!context_.model.merchant_index) return false;
  return NonZero(context_.model.merchant_vectors->Row(m.value));
}

bool CandidateSearch::HasSkuVector(SkuId s) const {
  if (!context_.model.sku_index) return false;
  return NonZero(context_.model.sku_vectors->Row(s.value));
}

std::optional<std::span<const Neighbor>> CandidateSearch::StoredPartnerCandidates(
    MerchantId m, const PartnerFilters& filters) const {
  const RecommendModel& model = context_.model;
  if (!model.merchant_neighbors) return std::nullopt;
  if (filters.candidates && *filters.candidates != context_.options.partner_candidates) {
    return std::nullopt;
  }
  if (HasInIndexFilter(filters)) return std::nullopt;
  return model.merchant_neighbors->Find(m);
}

Result<SearchResults> CandidateSearch::SearchPartnerCandidates(
    MerchantId m, const PartnerFilters& filters) const {
  const std::uint32_t c = filters.candidates.value_or(context_.options.partner_candidates);
  // The request's static filters run inside the search (a FAISS IDSelector), so a narrow
  // region or category still gets C candidates of its own.
  CandidateFilter filter(context_, m, filters);
  SearchOptions search;
  if (filter.active()) search.filter = &filter;
  return context_.model.merchant_index->Search(context_.model.merchant_vectors->Row(m.value), c + 1,
                                               search);
}

Result<PartnerHitsBatch> CandidateSearch::PartnerCandidatesBatch(
    std::span<const MerchantId> merchants, const PartnerFilters& filters) const {
  const std::uint32_t c = filters.candidates.value_or(context_.options.partner_candidates);
  PartnerHitsBatch out;
  out.stored_.resize(merchants.size());
  out.query_.assign(merchants.size(), PartnerHitsBatch::kNotSearched);
  std::size_t searched = 0;
  std::vector<float> queries;
  for (std::size_t i = 0; i < merchants.size(); ++i) {
    out.stored_[i] = StoredPartnerCandidates(merchants[i], filters);
    if (out.stored_[i] || !HasMerchantVector(merchants[i])) continue;
    auto row = context_.model.merchant_vectors->Row(merchants[i].value);
    queries.insert(queries.end(), row.begin(), row.end());
    out.query_[i] = searched++;
  }
  if (searched > 0) {
    PG_ASSIGN_OR_RETURN(out.searched_, context_.model.merchant_index->Search(queries, c + 1));
  }
  return out;
}

Result<std::vector<std::vector<Neighbor>>> CandidateSearch::SkuNeighbors(
    std::span<const SkuId> skus) const {
  const RecommendModel& model = context_.model;
  if (!model.sku_neighbors) return SearchSkuNeighbors(skus);
  std::vector<std::vector<Neighbor>> out(skus.size());
  if (!model.sku_index || context_.options.coupon_candidates == 0) return out;
  std::vector<SkuId> unstored;
  std::vector<std::size_t> where;  // unstored[j] is skus[where[j]]
  for (std::size_t i = 0; i < skus.size(); ++i) {
    if (auto stored = model.sku_neighbors->Find(skus[i])) {
      out[i].assign(stored->begin(), stored->end());
    } else {
      unstored.push_back(skus[i]);
      where.push_back(i);
    }
  }
  if (unstored.empty()) return out;
  PG_ASSIGN_OR_RETURN(auto searched, SearchSkuNeighbors(unstored));
  for (std::size_t j = 0; j < unstored.size(); ++j) out[where[j]] = std::move(searched[j]);
  return out;
}

Result<std::vector<std::vector<Neighbor>>> CandidateSearch::SearchSkuNeighbors(
    std::span<const SkuId> skus) const {
  const RecommendModel& model = context_.model;
  const RecommendOptions& options = context_.options;
  std::vector<std::vector<Neighbor>> out(skus.size());
  if (!model.sku_index || options.coupon_candidates == 0) return out;
  std::vector<std::size_t> searched;
  std::vector<float> queries;
  for (std::size_t i = 0; i < skus.size(); ++i) {
    if (!HasSkuVector(skus[i])) continue;
    auto row = model.sku_vectors->Row(skus[i].value);
    queries.insert(queries.end(), row.begin(), row.end());
    searched.push_back(i);
  }
  if (searched.empty()) return out;
  SearchOptions search;
  search.ef_search = options.coupon_ef_search;
  PG_ASSIGN_OR_RETURN(SearchResults hits,
                      model.sku_index->Search(queries, options.coupon_candidates + 1, search));
  for (std::size_t q = 0; q < searched.size(); ++q) {
    auto h = hits.Query(q);
    out[searched[q]].assign(h.begin(), h.end());
  }
  return out;
}

Result<SkuNeighborTable> CandidateSearch::ComputeSkuNeighbors() const {
  const RecommendModel& model = context_.model;
  if (!model.sku_index || context_.options.coupon_candidates == 0) {
    return Status::InvalidArgument(
        "SKU neighbour lists: nothing to precompute (no SKU index, or coupon_candidates is 0)");
  }
  if (model.sku_index->file_checksum() == 0) {
    return Status::InvalidArgument(
        "SKU neighbour lists: the SKU index has no identity (save or load it first)");
  }
  const EcosystemGraph& g = *model.graph;
  std::vector<SkuId> skus;
  for (std::uint32_t s = 0; s < g.sku_count(); ++s) {
    if (HasSkuVector(SkuId(s))) skus.push_back(SkuId(s));
  }
  // One search per SKU, as RecommendCouponPairs(SkuId) makes it (a batch would change how
  // an exact Flat index sums: see neighbor_table.hpp).
  return ComputeNeighborTable(
      ExpectedSkuNeighborKey(*model.sku_index, g.sku_count(), context_.options), std::move(skus),
      "SKU neighbours of SKU", [&](SkuId s) -> Result<std::vector<Neighbor>> {
        PG_ASSIGN_OR_RETURN(auto found, SearchSkuNeighbors(std::span<const SkuId>(&s, 1)));
        return std::move(found[0]);
      });
}

Result<MerchantNeighborTable> CandidateSearch::ComputeMerchantNeighbors() const {
  const RecommendModel& model = context_.model;
  if (!model.merchant_index) {
    return Status::InvalidArgument(
        "merchant neighbour lists: nothing to precompute (no merchant index)");
  }
  if (model.merchant_index->file_checksum() == 0) {
    return Status::InvalidArgument(
        "merchant neighbour lists: the merchant index has no identity (save or load it first)");
  }
  const EcosystemGraph& g = *model.graph;
  std::vector<MerchantId> merchants;
  for (std::uint32_t m = 0; m < g.merchant_count(); ++m) {
    if (HasMerchantVector(MerchantId(m))) merchants.push_back(MerchantId(m));
  }
  // One search per merchant, RecommendPartners' own without a filter.
  return ComputeNeighborTable(
      ExpectedMerchantNeighborKey(*model.merchant_index, g.merchant_count(), context_.options),
      std::move(merchants), "partner candidates of merchant",
      [&](MerchantId m) -> Result<std::vector<Neighbor>> {
        PG_ASSIGN_OR_RETURN(SearchResults hits, SearchPartnerCandidates(m, PartnerFilters{}));
        auto h = hits.Query(0);
        return std::vector<Neighbor>(h.begin(), h.end());
      });
}

}  // namespace partnergraph::recommend_internal
