// The Engine's answers and query options as plain structs ("views"), in external string ids: what
// Engine (engine.hpp) returns and what RpcClient (server/rpc_client.hpp) decodes a reply into.
// This header depends on nothing of the engine (no graph, index or FAISS type), so that a client
// of the server uses these types without linking the engine (CMake target pg_engine_views).
//
// Privacy: a count about another merchant's customers is std::optional; nullopt means it was
// suppressed (below the pair's k_min, docs/privacy.md).
//
// Thread safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "partnergraph/common/audience.hpp"

namespace partnergraph {

struct EngineStats {
  std::int64_t merchants = 0;
  std::int64_t skus = 0;
  std::int64_t customers = 0;
  std::int64_t segments = 0;
  std::int64_t categories = 0;
  std::int64_t order_lines = 0;
  std::map<std::string, std::int64_t> edges;  // by edge type name
  std::string model_dir;
  std::string built_at;  // ISO-8601
  // SKUs whose SKU-index hits coupon queries read from sku_neighbors.bin (0: the file is
  // absent or not used, every coupon query searches).
  std::int64_t sku_neighbor_lists = 0;
  // Merchants whose partner candidates come from merchant_neighbors.bin (0: absent or unused).
  std::int64_t merchant_neighbor_lists = 0;
};

struct MerchantView {
  std::string merchant_id;
  std::string name;
  std::string category;
  std::string region;
  std::int64_t sku_count = 0;
  bool discoverable = true;
  bool allow_coupons = true;
  std::int64_t customers = 0;  // the merchant's own figures (operator or own view only)
  double revenue = 0.0;
  // Of `customers`, those it may contact on at least one channel, and per channel (by the
  // channel's name), under its permission model and its customers' consent as events left them.
  std::int64_t contactable = 0;
  std::map<std::string, std::int64_t> contactable_by_channel;
};

struct MerchantPage {
  std::vector<MerchantView> merchants;
  std::optional<std::string> next_page_token;
  std::int64_t total = 0;
};

struct PartnerFiltersView {
  bool include_existing_partners = false;
  std::vector<std::string> regions;             // empty: any
  std::vector<std::string> categories;          // empty: any
  std::vector<std::string> exclude_categories;
  std::vector<std::string> tiers;               // empty: any
  std::optional<double> long_tail_boost;        // unset: the model config's
  std::optional<int> candidates;                // unset: the model config's
  // Who the answer is for (not a filter: is_default ignores it; a client does not send it,
  // the server sets it from the caller's key). The default discloses least.
  Audience audience = Audience::kMerchant;
  bool is_default() const {
    return !include_existing_partners && regions.empty() && categories.empty() &&
           exclude_categories.empty() && tiers.empty() && !long_tail_boost && !candidates;
  }
};

struct ScoreComponentsView {
  double audience_similarity = 0;
  double category_complementarity = 0;
  double shared_reach = 0;
  double competition_penalty = 0;
  double long_tail_boost = 0;
};

struct SharedSegmentView {
  std::string segment_id;
  std::string description;
  std::optional<std::int64_t> count;  // nullopt: suppressed (below k_min)
};

struct PartnerView {
  std::string merchant_id;
  std::string name;
  std::string category;
  std::string region;
  double score = 0;
  ScoreComponentsView components;
  std::vector<SharedSegmentView> shared_segments;  // at most 3
  std::optional<std::int64_t> shared_customers;    // nullopt: suppressed
};

struct PartnerAnswer {
  std::vector<PartnerView> partners;
  bool precomputed = false;
};

struct CouponFiltersView {
  std::optional<double> min_price;
  std::optional<double> max_price;
  std::vector<std::string> categories;
  // Who the answer is for, as in PartnerFiltersView.
  Audience audience = Audience::kMerchant;
  bool is_default() const { return !min_price && !max_price && categories.empty(); }
};

struct CouponPairView {
  std::string trigger_sku_id;
  std::string sku_id;
  std::string merchant_id;
  double score = 0;
  std::optional<std::int64_t> support;  // nullopt: suppressed
  double lift = 0;                      // merchant view: 0 when the support is suppressed
  // The trigger merchant's own contactable buyers of the trigger SKU: always set (a coupon
  // answer goes only to the trigger merchant or an operator).
  std::optional<std::int64_t> reach;
  double price = 0;
};

struct CouponAnswer {
  std::vector<CouponPairView> pairs;
  bool precomputed = false;
};

struct PairExplanationView {
  double score = 0;
  ScoreComponentsView components;
  std::vector<SharedSegmentView> shared_segments;
  std::optional<std::int64_t> shared_customers;
  std::vector<std::string> excluded_because;  // empty: the pair would be recommended
};

struct OverlapReportView {
  std::vector<SharedSegmentView> segments;
  std::optional<std::int64_t> shared_customers;
  int k_min = 0;
};

}  // namespace partnergraph
