// EcosystemGraph::Impl: the graph's storage (private to src/graph; the only
// place besides the .cpp files of src/graph that includes Boost.Graph).
// The layout is described once, in include/partnergraph/graph/ecosystem_graph.hpp.
#pragma once

#include <boost/graph/compressed_sparse_row_graph.hpp>

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "partnergraph/graph/ecosystem_graph.hpp"
#include "partnergraph/graph/graph_options.hpp"
#include "string_table.hpp"

namespace partnergraph {

namespace graph_internal {

using CsrGraph = boost::compressed_sparse_row_graph<boost::directedS, boost::no_property,
                                                    boost::no_property, boost::no_property,
                                                    std::uint32_t, std::uint32_t>;

inline constexpr std::uint32_t kNone = 0xFFFFFFFFu;

// MerchantPolicy flags packed in one byte.
inline constexpr std::uint8_t kPolicyShareOverlaps = 1;
inline constexpr std::uint8_t kPolicyDiscoverable = 2;
inline constexpr std::uint8_t kPolicyAllowCoupons = 4;

// The kinds leaving each node type, as [first, last] in enum order.
struct KindSpan {
  int first;
  int last;
};
inline constexpr std::array<KindSpan, kNodeTypeCount> kKindsOfType = {{
    {static_cast<int>(EdgeKind::kSells), static_cast<int>(EdgeKind::kInCategory)},
    {static_cast<int>(EdgeKind::kCoPurchased), static_cast<int>(EdgeKind::kCoPurchased)},
    {static_cast<int>(EdgeKind::kBought), static_cast<int>(EdgeKind::kConsent)},
    {static_cast<int>(EdgeKind::kReaches), static_cast<int>(EdgeKind::kReaches)},
    {static_cast<int>(EdgeKind::kCategoryMember), static_cast<int>(EdgeKind::kCategoryPair)},
}};

// The edges of one kind leaving one vertex.
struct KindRange {
  std::span<const GraphVertex> targets;
  std::uint32_t attr_begin = 0;
};

// Calls f(const std::string& name, const char* group, std::vector<T>&) for
// every plain array of the graph except the
// CSR topology and the per-kind offsets (handled by graph_io directly), in a
// fixed order that is also the order of their file sections.
template <typename ImplT, typename F>
void VisitArrays(ImplT& g, F&& f);

}  // namespace graph_internal

struct EcosystemGraph::Impl {
  using StringTable = graph_internal::StringTable;

  GraphOptions options;
  // Node counts by NodeType, and the first vertex of each block (+ the total).
  std::array<std::uint32_t, kNodeTypeCount> counts{};
  std::array<std::uint32_t, kNodeTypeCount + 1> bases{};
  std::uint32_t region_count = 0;
  std::uint32_t active_customers = 0;
  std::uint64_t fingerprint = 0;

  // ---- Strings ----
  StringTable merchant_ids;   // indexed
  StringTable merchant_names;
  StringTable sku_ids;        // indexed
  StringTable customer_ids;   // indexed
  StringTable category_names; // indexed
  StringTable region_names;   // indexed
  StringTable segment_names;
  StringTable segment_descriptions;

  // ---- Merchants (index: MerchantId) ----
  std::vector<std::uint32_t> merchant_category;
  std::vector<std::uint32_t> merchant_region;  // kNone when unknown
  std::vector<std::uint8_t> policy_model;      // PermissionModel
  std::vector<std::uint8_t> policy_flags;      // kPolicy* bits
  std::vector<std::uint32_t> policy_k_min;
  std::vector<double> merchant_revenue;
  std::vector<std::uint64_t> merchant_quantity;
  std::vector<std::uint32_t> merchant_orders;
  std::vector<std::uint32_t> merchant_lines;
  std::vector<std::uint32_t> merchant_active_skus;
  std::vector<std::uint32_t> merchant_customers;
  std::vector<std::int64_t> merchant_first_ts;
  std::vector<std::int64_t> merchant_last_ts;

  // ---- SKUs (index: SkuId) ----
  std::vector<std::uint32_t> sku_merchant;
  std::vector<std::uint32_t> sku_category;
  std::vector<double> sku_price;
  std::vector<std::uint32_t> sku_buyers;
  std::vector<std::uint32_t> sku_lines;
  std::vector<std::uint64_t> sku_quantity;
  std::vector<double> sku_revenue;

  // ---- Customers (index: CustomerId) ----
  std::vector<std::uint32_t> customer_region;   // kNone when unknown
  std::vector<std::uint32_t> customer_segment;  // kNone without order lines

  // ---- Segments (index: SegmentId) ----
  std::vector<std::uint32_t> segment_region;    // kNone: unknown / global other
  std::vector<std::uint32_t> segment_category;  // kNone for "other"
  std::vector<std::uint32_t> segment_band;      // SegmentInfo::kOtherBand for "other"
  std::vector<std::uint32_t> segment_customers;

  // ---- Categories (index: CategoryId) ----
  std::vector<std::uint32_t> category_customers;

  // ---- Topology ----
  graph_internal::CsrGraph csr;
  // kind_offsets[k][i]: attribute index of the first kind-k edge of the i-th
  // node of SourceType(k); count(SourceType(k)) + 1 entries.
  std::array<std::vector<std::uint32_t>, kEdgeKindCount> kind_offsets;

  // ---- Edge attributes (index: attribute index of the edge's kind) ----
  std::vector<std::uint32_t> has_customer_lines;
  std::vector<float> has_customer_revenue;
  std::vector<std::uint32_t> reached_by_customers;
  std::vector<float> derived_overlap;
  std::vector<std::uint32_t> shares_customers;
  std::vector<std::uint32_t> copurchase_support;
  std::vector<float> copurchase_confidence;
  std::vector<float> copurchase_lift;
  std::vector<std::uint32_t> bought_lines;
  std::vector<std::uint32_t> bought_quantity;
  std::vector<double> bought_revenue;
  std::vector<std::int64_t> bought_first_ts;
  std::vector<std::int64_t> bought_last_ts;
  std::vector<std::uint8_t> consent_channel;  // ContactChannel
  std::vector<std::uint8_t> consent_status;   // ConsentStatus
  std::vector<std::uint8_t> consent_sales_block;  // 1 while a sales block holds, else 0
  std::vector<std::int64_t> consent_ts;
  std::vector<std::uint32_t> reaches_customers;
  std::vector<std::uint32_t> category_pair_both;
  std::vector<float> category_pair_expected;
  std::vector<float> category_pair_lift;

  // ---- Helpers ----
  std::uint32_t vertex_count() const { return bases[kNodeTypeCount]; }
  std::uint32_t KindEdgeCount(EdgeKind k) const {
    const auto& off = kind_offsets[static_cast<int>(k)];
    return off.empty() ? 0u : off.back();
  }
  std::uint32_t Degree(EdgeKind k, std::uint32_t local) const {
    const auto& off = kind_offsets[static_cast<int>(k)];
    return off[local + 1] - off[local];
  }
  std::span<const GraphVertex> Row(GraphVertex v) const {
    auto [first, last] = boost::adjacent_vertices(v, csr);
    if (first == last) return {};
    return std::span<const GraphVertex>(&*first, static_cast<std::size_t>(last - first));
  }
  // The kind-k edges leaving the `local`-th node of SourceType(k).
  graph_internal::KindRange Range(EdgeKind k, std::uint32_t local) const {
    NodeType type = SourceType(k);
    auto row = Row(bases[static_cast<int>(type)] + local);
    std::size_t skip = 0;
    for (int kk = graph_internal::kKindsOfType[static_cast<int>(type)].first;
         kk < static_cast<int>(k); ++kk) {
      skip += Degree(static_cast<EdgeKind>(kk), local);
    }
    return {row.subspan(skip, Degree(k, local)),
            kind_offsets[static_cast<int>(k)][local]};
  }
  NodeType TypeOf(GraphVertex v) const {
    int t = 0;
    while (t + 1 < kNodeTypeCount && v >= bases[t + 1]) ++t;
    return static_cast<NodeType>(t);
  }
  void ComputeBases() {
    bases[0] = 0;
    for (int t = 0; t < kNodeTypeCount; ++t) bases[t + 1] = bases[t] + counts[t];
  }
  std::uint64_t ComputeFingerprint() const;
  // Checks every size, offset, id and ordering (after a load). Corruption
  // saying what is wrong otherwise.
  Status ValidateConsistency() const;
};

// The one way into an EcosystemGraph's storage (for src/graph only).
struct GraphAccess {
  static const EcosystemGraph::Impl& Of(const EcosystemGraph& g) { return *g.impl_; }
  static std::shared_ptr<const EcosystemGraph> Wrap(std::unique_ptr<EcosystemGraph::Impl> impl) {
    return std::shared_ptr<const EcosystemGraph>(new EcosystemGraph(std::move(impl)));
  }
};

namespace graph_internal {

template <typename ImplT, typename F>
void VisitArrays(ImplT& g, F&& f) {
  auto strings = [&f](const char* name, auto& table) {
    std::string base(name);
    f(base + ".chars", "strings", table.chars);
    f(base + ".offsets", "strings", table.offsets);
    f(base + ".sorted", "strings", table.sorted);
  };
  strings("merchant_ids", g.merchant_ids);
  strings("merchant_names", g.merchant_names);
  strings("sku_ids", g.sku_ids);
  strings("customer_ids", g.customer_ids);
  strings("category_names", g.category_names);
  strings("region_names", g.region_names);
  strings("segment_names", g.segment_names);
  strings("segment_descriptions", g.segment_descriptions);

  f("merchant_category", "merchants", g.merchant_category);
  f("merchant_region", "merchants", g.merchant_region);
  f("policy_model", "merchants", g.policy_model);
  f("policy_flags", "merchants", g.policy_flags);
  f("policy_k_min", "merchants", g.policy_k_min);
  f("merchant_revenue", "merchants", g.merchant_revenue);
  f("merchant_quantity", "merchants", g.merchant_quantity);
  f("merchant_orders", "merchants", g.merchant_orders);
  f("merchant_lines", "merchants", g.merchant_lines);
  f("merchant_active_skus", "merchants", g.merchant_active_skus);
  f("merchant_customers", "merchants", g.merchant_customers);
  f("merchant_first_ts", "merchants", g.merchant_first_ts);
  f("merchant_last_ts", "merchants", g.merchant_last_ts);

  f("sku_merchant", "skus", g.sku_merchant);
  f("sku_category", "skus", g.sku_category);
  f("sku_price", "skus", g.sku_price);
  f("sku_buyers", "skus", g.sku_buyers);
  f("sku_lines", "skus", g.sku_lines);
  f("sku_quantity", "skus", g.sku_quantity);
  f("sku_revenue", "skus", g.sku_revenue);

  f("customer_region", "customers", g.customer_region);
  f("customer_segment", "customers", g.customer_segment);

  f("segment_region", "segments", g.segment_region);
  f("segment_category", "segments", g.segment_category);
  f("segment_band", "segments", g.segment_band);
  f("segment_customers", "segments", g.segment_customers);

  f("category_customers", "categories", g.category_customers);

  f("has_customer_lines", "merchant-customer edges", g.has_customer_lines);
  f("has_customer_revenue", "merchant-customer edges", g.has_customer_revenue);
  f("reached_by_customers", "segment reach edges", g.reached_by_customers);
  f("derived_overlap", "competitor edges", g.derived_overlap);
  f("shares_customers", "shared-customer edges", g.shares_customers);
  f("copurchase_support", "co-purchase edges", g.copurchase_support);
  f("copurchase_confidence", "co-purchase edges", g.copurchase_confidence);
  f("copurchase_lift", "co-purchase edges", g.copurchase_lift);
  f("bought_lines", "bought edges", g.bought_lines);
  f("bought_quantity", "bought edges", g.bought_quantity);
  f("bought_revenue", "bought edges", g.bought_revenue);
  f("bought_first_ts", "bought edges", g.bought_first_ts);
  f("bought_last_ts", "bought edges", g.bought_last_ts);
  f("consent_channel", "consent edges", g.consent_channel);
  f("consent_status", "consent edges", g.consent_status);
  f("consent_sales_block", "consent edges", g.consent_sales_block);
  f("consent_ts", "consent edges", g.consent_ts);
  f("reaches_customers", "segment reach edges", g.reaches_customers);
  f("category_pair_both", "category-pair edges", g.category_pair_both);
  f("category_pair_expected", "category-pair edges", g.category_pair_expected);
  f("category_pair_lift", "category-pair edges", g.category_pair_lift);
}

// Builds the CSR from per-vertex degrees and targets laid out in row order
// (rowstart has vertex_count + 1 entries; column the targets).
CsrGraph MakeCsr(const std::vector<std::uint32_t>& rowstart,
                 const std::vector<std::uint32_t>& column);

}  // namespace graph_internal
}  // namespace partnergraph
