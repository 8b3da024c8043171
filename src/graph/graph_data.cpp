#include "graph_data.hpp"

#include <fmt/format.h>

#include <iterator>
#include <string>
#include <utility>

namespace partnergraph {
namespace graph_internal {
namespace {

// Yields the (source, target) pairs of a row-ordered adjacency (rowstart,
// column) in order, for Boost's sorted-edges CSR constructor.
class RowEdgeIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = std::pair<std::uint32_t, std::uint32_t>;
  using difference_type = std::ptrdiff_t;
  using pointer = const value_type*;
  using reference = const value_type&;

  RowEdgeIterator(const std::vector<std::uint32_t>& rowstart,
                  const std::vector<std::uint32_t>& column, std::uint32_t edge)
      : rowstart_(&rowstart), column_(&column), edge_(edge) {
    Settle();
  }
  reference operator*() const { return current_; }
  pointer operator->() const { return &current_; }
  RowEdgeIterator& operator++() {
    ++edge_;
    Settle();
    return *this;
  }
  friend bool operator==(const RowEdgeIterator& a, const RowEdgeIterator& b) {
    return a.edge_ == b.edge_;
  }

 private:
  void Settle() {
    if (edge_ >= column_->size()) return;
    while ((*rowstart_)[vertex_ + 1] <= edge_) ++vertex_;
    current_ = {vertex_, (*column_)[edge_]};
  }
  const std::vector<std::uint32_t>* rowstart_;
  const std::vector<std::uint32_t>* column_;
  std::uint32_t edge_;
  std::uint32_t vertex_ = 0;
  value_type current_{0, 0};
};

}  // namespace

CsrGraph MakeCsr(const std::vector<std::uint32_t>& rowstart,
                 const std::vector<std::uint32_t>& column) {
  auto edges = static_cast<std::uint32_t>(column.size());
  auto vertices = static_cast<std::uint32_t>(rowstart.size() - 1);
  return CsrGraph(boost::edges_are_sorted, RowEdgeIterator(rowstart, column, 0),
                  RowEdgeIterator(rowstart, column, edges), vertices, edges);
}

}  // namespace graph_internal

namespace {

using graph_internal::kNone;

Status Fail(const std::string& why) { return Status::Corruption("inconsistent graph: " + why); }

template <typename T>
Status CheckSize(const std::vector<T>& v, std::string_view name, std::size_t expected) {
  if (v.size() != expected) {
    return Fail(fmt::format("{} has {} entries, expected {}", name, v.size(), expected));
  }
  return Status::Ok();
}

// Every value < limit (or == kNone when `none_ok`).
Status CheckIds(const std::vector<std::uint32_t>& v, std::string_view name, std::uint32_t limit,
                bool none_ok) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] < limit || (none_ok && v[i] == kNone)) continue;
    return Fail(fmt::format("{}[{}] = {} is out of range ({})", name, i, v[i], limit));
  }
  return Status::Ok();
}

Status CheckEnum(const std::vector<std::uint8_t>& v, std::string_view name, int limit) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] >= limit) {
      return Fail(fmt::format("{}[{}] = {} is not a valid value", name, i, v[i]));
    }
  }
  return Status::Ok();
}

}  // namespace

Status EcosystemGraph::Impl::ValidateConsistency() const {
  std::uint64_t total = 0;
  for (auto c : counts) total += c;
  if (total >= kNone) return Fail("more than 2^32 - 1 vertices");
  const std::uint32_t M = counts[0], S = counts[1], C = counts[2], G = counts[3], K = counts[4];
  const std::uint32_t R = region_count;
  if (active_customers > C) return Fail("more active customers than customers");

  PG_RETURN_IF_ERROR(merchant_ids.Validate("merchant_ids", M, true));
  PG_RETURN_IF_ERROR(merchant_names.Validate("merchant_names", M, false));
  PG_RETURN_IF_ERROR(sku_ids.Validate("sku_ids", S, true));
  PG_RETURN_IF_ERROR(customer_ids.Validate("customer_ids", C, true));
  PG_RETURN_IF_ERROR(category_names.Validate("category_names", K, true));
  PG_RETURN_IF_ERROR(region_names.Validate("region_names", R, true));
  PG_RETURN_IF_ERROR(segment_names.Validate("segment_names", G, false));
  PG_RETURN_IF_ERROR(segment_descriptions.Validate("segment_descriptions", G, false));

  for (auto* v : {&merchant_category, &merchant_region, &policy_k_min, &merchant_orders,
                  &merchant_lines, &merchant_active_skus, &merchant_customers}) {
    PG_RETURN_IF_ERROR(CheckSize(*v, "a merchant array", M));
  }
  PG_RETURN_IF_ERROR(CheckSize(policy_model, "policy_model", M));
  PG_RETURN_IF_ERROR(CheckSize(policy_flags, "policy_flags", M));
  PG_RETURN_IF_ERROR(CheckSize(merchant_revenue, "merchant_revenue", M));
  PG_RETURN_IF_ERROR(CheckSize(merchant_quantity, "merchant_quantity", M));
  PG_RETURN_IF_ERROR(CheckSize(merchant_first_ts, "merchant_first_ts", M));
  PG_RETURN_IF_ERROR(CheckSize(merchant_last_ts, "merchant_last_ts", M));
  PG_RETURN_IF_ERROR(CheckIds(merchant_category, "merchant_category", K, false));
  PG_RETURN_IF_ERROR(CheckIds(merchant_region, "merchant_region", R, true));
  PG_RETURN_IF_ERROR(CheckEnum(policy_model, "policy_model", 5));

  for (auto* v : {&sku_merchant, &sku_category, &sku_buyers, &sku_lines}) {
    PG_RETURN_IF_ERROR(CheckSize(*v, "a SKU array", S));
  }
  PG_RETURN_IF_ERROR(CheckSize(sku_price, "sku_price", S));
  PG_RETURN_IF_ERROR(CheckSize(sku_quantity, "sku_quantity", S));
  PG_RETURN_IF_ERROR(CheckSize(sku_revenue, "sku_revenue", S));
  PG_RETURN_IF_ERROR(CheckIds(sku_merchant, "sku_merchant", M, false));
  PG_RETURN_IF_ERROR(CheckIds(sku_category, "sku_category", K, false));

  PG_RETURN_IF_ERROR(CheckSize(customer_region, "customer_region", C));
  PG_RETURN_IF_ERROR(CheckSize(customer_segment, "customer_segment", C));
  PG_RETURN_IF_ERROR(CheckIds(customer_region, "customer_region", R, true));
  PG_RETURN_IF_ERROR(CheckIds(customer_segment, "customer_segment", G, true));

  for (auto* v : {&segment_region, &segment_category, &segment_band, &segment_customers}) {
    PG_RETURN_IF_ERROR(CheckSize(*v, "a segment array", G));
  }
  PG_RETURN_IF_ERROR(CheckIds(segment_region, "segment_region", R, true));
  PG_RETURN_IF_ERROR(CheckIds(segment_category, "segment_category", K, true));
  PG_RETURN_IF_ERROR(CheckSize(category_customers, "category_customers", K));

  // Per-kind offsets and attribute arrays.
  for (int k = 0; k < kEdgeKindCount; ++k) {
    auto kind = static_cast<EdgeKind>(k);
    const auto& off = kind_offsets[k];
    std::string name = "kind_offsets[" + std::string(ToString(kind)) + "]";
    PG_RETURN_IF_ERROR(CheckSize(off, name, counts[static_cast<int>(SourceType(kind))] + 1ull));
    if (off[0] != 0) return Fail(name + " does not start at 0");
    for (std::size_t i = 1; i < off.size(); ++i) {
      if (off[i] < off[i - 1]) return Fail(fmt::format("{} decreases at {}", name, i));
    }
  }
  auto attr = [this](EdgeKind kind, const auto& v, std::string_view name) {
    return CheckSize(v, name, KindEdgeCount(kind));
  };
  PG_RETURN_IF_ERROR(attr(EdgeKind::kHasCustomer, has_customer_lines, "has_customer_lines"));
  PG_RETURN_IF_ERROR(attr(EdgeKind::kHasCustomer, has_customer_revenue, "has_customer_revenue"));
  PG_RETURN_IF_ERROR(attr(EdgeKind::kReachedBy, reached_by_customers, "reached_by_customers"));
  PG_RETURN_IF_ERROR(attr(EdgeKind::kCompetitorDerived, derived_overlap, "derived_overlap"));
  PG_RETURN_IF_ERROR(attr(EdgeKind::kSharesCustomers, shares_customers, "shares_customers"));
  PG_RETURN_IF_ERROR(attr(EdgeKind::kCoPurchased, copurchase_support, "copurchase_support"));
  PG_RETURN_IF_ERROR(
      attr(EdgeKind::kCoPurchased, copurchase_confidence, "copurchase_confidence"));
  PG_RETURN_IF_ERROR(attr(EdgeKind::kCoPurchased, copurchase_lift, "copurchase_lift"));
  PG_RETURN_IF_ERROR(attr(EdgeKind::kBought, bought_lines, "bought_lines"));
  PG_RETURN_IF_ERROR(attr(EdgeKind::kBought, bought_quantity, "bought_quantity"));
  PG_RETURN_IF_ERROR(attr(EdgeKind::kBought, bought_revenue, "bought_revenue"));
  PG_RETURN_IF_ERROR(attr(EdgeKind::kBought, bought_first_ts, "bought_first_ts"));
  PG_RETURN_IF_ERROR(attr(EdgeKind::kBought, bought_last_ts, "bought_last_ts"));
  PG_RETURN_IF_ERROR(attr(EdgeKind::kConsent, consent_channel, "consent_channel"));
  PG_RETURN_IF_ERROR(attr(EdgeKind::kConsent, consent_status, "consent_status"));
  PG_RETURN_IF_ERROR(attr(EdgeKind::kConsent, consent_sales_block, "consent_sales_block"));
  PG_RETURN_IF_ERROR(attr(EdgeKind::kConsent, consent_ts, "consent_ts"));
  PG_RETURN_IF_ERROR(attr(EdgeKind::kReaches, reaches_customers, "reaches_customers"));
  PG_RETURN_IF_ERROR(attr(EdgeKind::kCategoryPair, category_pair_both, "category_pair_both"));
  PG_RETURN_IF_ERROR(
      attr(EdgeKind::kCategoryPair, category_pair_expected, "category_pair_expected"));
  PG_RETURN_IF_ERROR(attr(EdgeKind::kCategoryPair, category_pair_lift, "category_pair_lift"));
  PG_RETURN_IF_ERROR(CheckEnum(consent_channel, "consent_channel", kContactChannelCount));
  PG_RETURN_IF_ERROR(CheckEnum(consent_status, "consent_status", 6));
  PG_RETURN_IF_ERROR(CheckEnum(consent_sales_block, "consent_sales_block", 2));
  for (std::size_t i = 0; i < consent_sales_block.size(); ++i) {
    if (consent_sales_block[i] != 0 &&
        consent_status[i] != static_cast<std::uint8_t>(ConsentStatus::kBlocked)) {
      return Fail(fmt::format("consent edge {}: a sales block with status {}", i,
                              ToString(static_cast<ConsentStatus>(consent_status[i]))));
    }
  }

  // Topology: every row is the concatenation of its kinds, each sorted by target
  // and pointing into the kind's target block.
  if (boost::num_vertices(csr) != vertex_count()) return Fail("CSR vertex count");
  std::uint64_t kind_total = 0;
  for (int k = 0; k < kEdgeKindCount; ++k) kind_total += KindEdgeCount(static_cast<EdgeKind>(k));
  if (boost::num_edges(csr) != kind_total) return Fail("CSR edge count differs from the kinds'");
  for (int t = 0; t < kNodeTypeCount; ++t) {
    auto span = graph_internal::kKindsOfType[t];
    for (std::uint32_t local = 0; local < counts[t]; ++local) {
      GraphVertex v = bases[t] + local;
      std::uint64_t degree = 0;
      for (int k = span.first; k <= span.last; ++k) degree += Degree(static_cast<EdgeKind>(k), local);
      if (degree != boost::out_degree(v, csr)) {
        return Fail(fmt::format("vertex {}: row length differs from its kinds'", v));
      }
      for (int k = span.first; k <= span.last; ++k) {
        auto kind = static_cast<EdgeKind>(k);
        auto range = Range(kind, local);
        auto target_type = static_cast<int>(TargetType(kind));
        for (std::size_t i = 0; i < range.targets.size(); ++i) {
          GraphVertex w = range.targets[i];
          if (w < bases[target_type] || w >= bases[target_type + 1]) {
            return Fail(
                fmt::format("vertex {}: {} edge to a vertex of the wrong type", v, ToString(kind)));
          }
          if (i == 0) continue;
          GraphVertex prev = range.targets[i - 1];
          bool ordered = prev < w;
          if (kind == EdgeKind::kConsent && prev == w) {
            ordered = consent_channel[range.attr_begin + i - 1] <
                      consent_channel[range.attr_begin + i];
          }
          if (!ordered) {
            return Fail(fmt::format("vertex {}: {} edges are not sorted", v, ToString(kind)));
          }
        }
      }
    }
  }
  return Status::Ok();
}

}  // namespace partnergraph
