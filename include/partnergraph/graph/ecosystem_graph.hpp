// EcosystemGraph: the immutable, in-memory partner-ecosystem graph (SPEC.md
// "Data model"), built by GraphBuilder (graph_builder.hpp), saved and loaded by
// graph_io.hpp.
//
// ==== Node layout ====
// One vertex space of GraphVertex (uint32) values, in five consecutive blocks:
//   [ merchants | SKUs | customers | segments | categories ]
// and inside each block in strong-id order, so VertexOf(MerchantId{3}) == 3 and
// VertexOf(SkuId{0}) == merchant_count(). IdOf<Id>(vertex) converts back.
// Node attributes are struct-of-arrays indexed by the strong id (no per-node
// heap object); external string ids live in sorted string tables.
//
// ==== Edge layout ====
// The topology is one Boost.Graph compressed_sparse_row_graph<directedS> over
// that vertex space, with uint32 vertex and edge indices (at most 2^32 - 1
// edges). Directed, not bidirectionalS: every reverse direction a query needs
// is stored as its own edge kind (merchant→customer next to customer→sku), so
// in-edges would only double the memory. Out-edges of a vertex are grouped by
// EdgeKind in enum order, and inside a kind sorted by target vertex (consent:
// by target, then channel), so pair lookups are binary searches.
// Edge attributes are struct-of-arrays per kind; the attribute index of the
// i-th edge of kind K leaving vertex v is kind_offset(K, v) + i.
//
//  kind                  source → target        attributes (per edge)
//  kSells                merchant → sku         -
//  kHasCustomer          merchant → customer    lines, revenue (float) of that customer there
//  kReachedBy            merchant → segment     customers of the segment who bought there
//  kPartner              merchant → merchant    - (declared; stored both ways)
//  kCompetitorDeclared   merchant → merchant    - (declared; both ways)
//  kCompetitorDerived    merchant → merchant    overlap (assortment Jaccard; both ways)
//  kBlocked              merchant → merchant    - (declared; both ways)
//  kSharesCustomers      merchant → merchant    distinct shared customers (both ways)
//  kInCategory           merchant → category    -
//  kCoPurchased          sku → sku              support, confidence(src→dst), lift
//  kBought               customer → sku         lines, quantity, revenue, first/last ts
//  kConsent              customer → merchant    channel, status, ts, sales block (one edge per
//                                               channel)
//  kReaches              segment → merchant     customers (same count as kReachedBy)
//  kCategoryMember       category → merchant    -
//  kCategoryPair         category → category    customers in both, expected, lift
//
// ==== What the derived numbers mean ====
// - bought: one edge per (customer, SKU): lines = order lines, quantity and
//   revenue (quantity × unit price) summed, first/last line timestamps. The
//   lines' channel, device and region are dropped: no graph consumer reads
//   them per pair, they stay in the Dataset for attribution, and keeping
//   "the most recent" would cost 12 bytes per edge (1.2 GB at 100M pairs).
// - co-purchase (SKUs A, B of different merchants): support = customers with
//   an order line of A and one of B at most copurchase_window_seconds apart;
//   confidence(A→B) = support / buyers(A); lift = support × N / (buyers(A) ×
//   buyers(B)), N = customers with at least one order line (lift 1 =
//   independent). Pairs below min_copurchase_support get no edge.
// - shared customers: distinct customers who bought at both merchants.
// - category-pair lift: both = customers with order lines in both categories
//   (SKU categories), expected = customers(A) × customers(B) / N, lift =
//   both / expected. Edges for every pair with both >= 1, both ways.
// - derived competitors: merchants a != b with the same merchant category whose
//   assortment cells — the set of (SKU category, price band) of their SKUs,
//   band = floor(log(price) / log(competitor_price_band_ratio)), price 0 in a
//   band of its own — have Jaccard |A∩B| / |A∪B| >= competitor_min_jaccard.
//   Bounded by competitor_max_candidates and max_derived_competitors.
// - segments: every customer with an order line gets region × dominant
//   category × price band. Region: customers.csv, else the region of its most
//   recent order line that has one, else "unknown". Dominant category: the
//   SKU category with the most revenue (ties: more lines, then smaller id).
//   Price band: its mean unit price (revenue / quantity) ranked among the
//   customers of the same dominant category, band = floor(rank × bands / n),
//   equal prices share a band. When there are more than max_segments keys,
//   the largest (customers desc, key asc) are kept and the others merged into
//   "<region> / other". Segment ids: kept keys in (region, category, band)
//   order, then the "other" segments by region. A segment is an aggregate:
//   accessors give counts, never member lists. Customers without order lines
//   have no segment.
// - consent: per (customer, merchant, channel) the records are folded in ts
//   order with NextConsentState (consent/contact_policy.hpp): the latest
//   record wins, except that a `blocked` from source "sales" holds over any
//   later record until a later "sales" record that is not `blocked` lifts it.
//   At equal ts the more restrictive status is folded last and wins
//   (unsubscribed, blocked, unclear, pending, confirmed_opt_in,
//   double_opt_in), so an unsubscription is never lost to a same-second
//   opt-in.
//
// ==== Ownership and thread safety ====
// An EcosystemGraph owns all its data; it is immutable after GraphBuilder::
// Freeze() or LoadGraph(), and every const member may be called from any
// number of threads at once without synchronisation. Views (EdgeView) and
// string_views returned by it point into the graph: valid while the graph
// lives; hold the shared_ptr<const EcosystemGraph> for as long as you use them.
//
// Ids passed to accessors must be in range (id.value < the matching count);
// that is asserted, not checked in release builds: ids from outside come from
// Find*() or from a Contains() check.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "partnergraph/common/ids.hpp"
#include "partnergraph/common/status.hpp"
#include "partnergraph/graph/graph_options.hpp"
#include "partnergraph/ingest/dataset.hpp"

namespace partnergraph {

// A vertex of the whole graph (see "Node layout").
using GraphVertex = std::uint32_t;

enum class NodeType : std::uint8_t {
  kMerchant = 0,
  kSku = 1,
  kCustomer = 2,
  kSegment = 3,
  kCategory = 4,
};
inline constexpr int kNodeTypeCount = 5;

// Edge kinds in storage order; the kinds of one source type are contiguous.
enum class EdgeKind : std::uint8_t {
  kSells = 0,
  kHasCustomer = 1,
  kReachedBy = 2,
  kPartner = 3,
  kCompetitorDeclared = 4,
  kCompetitorDerived = 5,
  kBlocked = 6,
  kSharesCustomers = 7,
  kInCategory = 8,
  kCoPurchased = 9,
  kBought = 10,
  kConsent = 11,
  kReaches = 12,
  kCategoryMember = 13,
  kCategoryPair = 14,
};
inline constexpr int kEdgeKindCount = 15;

// Names ("merchant", "co_purchased"), for messages and `stats`.
std::string_view ToString(NodeType type);
std::string_view ToString(EdgeKind kind);
NodeType SourceType(EdgeKind kind);
NodeType TargetType(EdgeKind kind);

// The node type a strong id type names (MerchantId → kMerchant).
template <typename Id>
struct NodeTypeOfId;
template <>
struct NodeTypeOfId<MerchantId> { static constexpr NodeType value = NodeType::kMerchant; };
template <>
struct NodeTypeOfId<SkuId> { static constexpr NodeType value = NodeType::kSku; };
template <>
struct NodeTypeOfId<CustomerId> { static constexpr NodeType value = NodeType::kCustomer; };
template <>
struct NodeTypeOfId<SegmentId> { static constexpr NodeType value = NodeType::kSegment; };
template <>
struct NodeTypeOfId<CategoryId> { static constexpr NodeType value = NodeType::kCategory; };

// ---- Node records (returned by value; string_views point into the graph) ----

struct MerchantInfo {
  std::string_view external_id;  // merchants.csv merchant_id
  std::string_view name;
  CategoryId category;
  std::string_view category_name;
  RegionId region;               // invalid when unknown
  std::string_view region_name;  // "" when unknown
  MerchantPolicy policy;         // merchant_policy.csv row, or its defaults
};

// Order-level aggregates of one merchant over all its order lines.
struct MerchantStats {
  double revenue = 0.0;          // Σ quantity × unit price
  std::uint64_t quantity = 0;    // Σ quantity
  std::uint32_t orders = 0;      // distinct order ids
  std::uint32_t order_lines = 0;
  std::uint32_t active_skus = 0; // distinct SKUs with at least one line
  std::uint32_t customers = 0;   // distinct customers
  Timestamp first_order_ts = 0;  // 0 when it has no order line
  Timestamp last_order_ts = 0;
};

struct SkuInfo {
  std::string_view external_id;  // skus.csv sku_id
  MerchantId merchant;
  CategoryId category;
  double price = 0.0;  // list price
};

struct SkuStats {
  std::uint32_t buyers = 0;  // distinct customers
  std::uint32_t order_lines = 0;
  std::uint64_t quantity = 0;
  double revenue = 0.0;
};

struct CustomerInfo {
  std::string_view external_id;
  RegionId region;    // effective region (see segments above); invalid when unknown
  SegmentId segment;  // invalid when the customer has no order line
};

struct SegmentInfo {
  static constexpr std::uint32_t kOtherBand = 0xFFFFFFFFu;
  std::string_view name;         // "north / bakery / price 2 of 3", "north / other"
  std::string_view description;  // one sentence saying who is in it
  RegionId region;               // invalid: unknown region, or the global "other"
  CategoryId category;           // dominant category; invalid for "other"
  std::uint32_t price_band = 0;  // 0-based; kOtherBand for "other"
  std::uint32_t customers = 0;   // members (a count, never a list)
};

// ---- Edge records ----

struct Purchase {  // kBought
  SkuId sku;
  std::uint32_t lines = 0;
  std::uint32_t quantity = 0;
  double revenue = 0.0;
  Timestamp first_ts = 0;
  Timestamp last_ts = 0;
};

struct CustomerLink {  // kHasCustomer; internal use (embeddings), never shown to merchants
  CustomerId customer;
  std::uint32_t lines = 0;
  float revenue = 0.0f;
};

struct SegmentReach {  // kReachedBy
  SegmentId segment;
  std::uint32_t customers = 0;
};

struct MerchantReach {  // kReaches
  MerchantId merchant;
  std::uint32_t customers = 0;
};

struct SharedCustomers {  // kSharesCustomers
  MerchantId merchant;
  std::uint32_t customers = 0;
};

struct DerivedCompetitor {  // kCompetitorDerived
  MerchantId merchant;
  float overlap = 0.0f;  // assortment Jaccard
};

struct CoPurchase {  // kCoPurchased
  SkuId sku;
  std::uint32_t support = 0;
  float confidence = 0.0f;  // P(neighbour | this SKU's buyer)
  float lift = 0.0f;
};

struct CategoryPairLift {  // kCategoryPair
  CategoryId category;  // the other category
  std::uint32_t customers_both = 0;
  float expected = 0.0f;
  float lift = 0.0f;
};

struct ConsentEntry {  // kConsent
  MerchantId merchant;
  ContactChannel channel = ContactChannel::kEmail;
  ConsentStatus status = ConsentStatus::kUnclear;  // the status that decides (MayContact)
  Timestamp ts = 0;                                // of the latest record
  // A sales block holds: status is kBlocked until a later record from sales
  // lifts it (consent/contact_policy.hpp, NextConsentState).
  bool sales_block = false;
};

// One line of the memory breakdown (`stats`).
struct MemoryItem {
  std::string structure;  // "merchants", "topology (CSR)", "bought edges", ...
  std::size_t bytes = 0;
};

class EcosystemGraph;

// A read-only, random-access range over the edges of one kind leaving one
// vertex, yielding T by value. Cheap to copy; valid while the graph lives.
template <typename T>
class EdgeView {
 public:
  // Builds element i from its attribute index and target vertex.
  using MakeFn = T (*)(const EcosystemGraph& graph, std::uint32_t attr, GraphVertex target);

  class Iterator {
   public:
    using iterator_concept = std::forward_iterator_tag;
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using reference = T;
    Iterator() = default;
    Iterator(const EdgeView* view, std::size_t i) : view_(view), i_(i) {}
    T operator*() const { return (*view_)[i_]; }
    Iterator& operator++() {
      ++i_;
      return *this;
    }
    Iterator operator++(int) {
      Iterator old = *this;
      ++i_;
      return old;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.i_ == b.i_; }

   private:
    const EdgeView* view_ = nullptr;
    std::size_t i_ = 0;
  };

  EdgeView() = default;
  EdgeView(const EcosystemGraph* graph, std::span<const GraphVertex> targets,
           std::uint32_t attr_begin, MakeFn make)
      : graph_(graph), targets_(targets), attr_begin_(attr_begin), make_(make) {}

  std::size_t size() const { return targets_.size(); }
  bool empty() const { return targets_.empty(); }
  T operator[](std::size_t i) const {
    return make_(*graph_, attr_begin_ + static_cast<std::uint32_t>(i), targets_[i]);
  }
  Iterator begin() const { return Iterator(this, 0); }
  Iterator end() const { return Iterator(this, size()); }
  // The target vertices, in storage order (sorted by target).
  std::span<const GraphVertex> targets() const { return targets_; }
  // Copies all elements.
  std::vector<T> ToVector() const { return std::vector<T>(begin(), end()); }

 private:
  const EcosystemGraph* graph_ = nullptr;
  std::span<const GraphVertex> targets_;
  std::uint32_t attr_begin_ = 0;
  MakeFn make_ = nullptr;
};

class EcosystemGraph {
 public:
  struct Impl;  // defined in src/graph/graph_data.hpp

  ~EcosystemGraph();
  EcosystemGraph(const EcosystemGraph&) = delete;
  EcosystemGraph& operator=(const EcosystemGraph&) = delete;

  // ---- Sizes ----
  std::uint32_t merchant_count() const;
  std::uint32_t sku_count() const;
  std::uint32_t customer_count() const;
  std::uint32_t segment_count() const;
  std::uint32_t category_count() const;
  std::uint32_t region_count() const;
  // Customers with at least one order line (N of the lift formulas).
  std::uint32_t active_customer_count() const;
  std::uint32_t NodeCount(NodeType type) const;
  std::uint64_t edge_count() const;
  std::uint64_t EdgeCount(EdgeKind kind) const;

  // ---- Vertex space (for graph walks) ----
  std::uint32_t vertex_count() const;
  NodeType TypeOf(GraphVertex v) const;  // v < vertex_count()
  GraphVertex VertexOf(MerchantId id) const;
  GraphVertex VertexOf(SkuId id) const;
  GraphVertex VertexOf(CustomerId id) const;
  GraphVertex VertexOf(SegmentId id) const;
  GraphVertex VertexOf(CategoryId id) const;
  // The typed id of `v`, or an invalid id when v is not a node of that type.
  template <typename Id>
  Id IdOf(GraphVertex v) const {
    NodeType type = NodeTypeOfId<Id>::value;
    if (v >= vertex_count() || TypeOf(v) != type) return Id::Invalid();
    return Id(v - VertexBase(type));
  }
  // First vertex of a type's block.
  GraphVertex VertexBase(NodeType type) const;
  // All out-neighbours of v (every kind, in storage order).
  std::span<const GraphVertex> OutNeighbors(GraphVertex v) const;
  // The out-neighbours of v along `kind` (empty when v's type has no such edges).
  std::span<const GraphVertex> OutNeighbors(GraphVertex v, EdgeKind kind) const;
  // A positive weight of the i-th edge of `kind` leaving v, for weighted walks:
  // lines (kBought, kHasCustomer), customers (kReachedBy, kReaches,
  // kSharesCustomers, kCategoryPair), support (kCoPurchased), overlap
  // (kCompetitorDerived), 1 for the others. i < OutNeighbors(v, kind).size().
  float OutEdgeWeight(GraphVertex v, EdgeKind kind, std::size_t i) const;
  // Edge kinds that leave a node of `type`, in storage order.
  static std::span<const EdgeKind> OutKinds(NodeType type);

  // ---- Lookup by external string id: NotFound naming the id when unknown ----
  Result<MerchantId> FindMerchant(std::string_view external_id) const;
  Result<SkuId> FindSku(std::string_view external_id) const;
  Result<CustomerId> FindCustomer(std::string_view external_id) const;
  Result<CategoryId> FindCategory(std::string_view name) const;
  Result<RegionId> FindRegion(std::string_view name) const;
  bool Contains(MerchantId id) const { return id.valid() && id.value < merchant_count(); }
  bool Contains(SkuId id) const { return id.valid() && id.value < sku_count(); }
  bool Contains(CustomerId id) const { return id.valid() && id.value < customer_count(); }
  bool Contains(SegmentId id) const { return id.valid() && id.value < segment_count(); }
  bool Contains(CategoryId id) const { return id.valid() && id.value < category_count(); }

  // ---- Merchants ----
  MerchantInfo Merchant(MerchantId m) const;
  MerchantStats MerchantStatsOf(MerchantId m) const;
  EdgeView<SkuId> SkusOf(MerchantId m) const;
  // Internal use only (embeddings, reach counting): never expose to merchants.
  EdgeView<CustomerLink> CustomersOf(MerchantId m) const;
  // Segments whose customers bought at m, sorted by segment id.
  EdgeView<SegmentReach> SegmentReachOf(MerchantId m) const;
  // Merchants sharing at least min_shared_customers customers with m, by id.
  EdgeView<SharedCustomers> SharedCustomersOf(MerchantId m) const;
  // Distinct customers of both a and b (0 when below min_shared_customers or a == b).
  std::uint32_t SharedCustomerCount(MerchantId a, MerchantId b) const;
  EdgeView<MerchantId> Partners(MerchantId m) const;             // declared
  EdgeView<MerchantId> DeclaredCompetitors(MerchantId m) const;  // declared
  EdgeView<DerivedCompetitor> DerivedCompetitors(MerchantId m) const;
  EdgeView<MerchantId> Blocked(MerchantId m) const;  // declared "blocked" pairs
  bool IsPartner(MerchantId a, MerchantId b) const;
  // Declared or derived.
  bool IsCompetitor(MerchantId a, MerchantId b) const;
  bool IsDeclaredCompetitor(MerchantId a, MerchantId b) const;
  bool IsDerivedCompetitor(MerchantId a, MerchantId b) const;
  bool IsBlocked(MerchantId a, MerchantId b) const;

  // ---- SKUs ----
  SkuInfo Sku(SkuId s) const;
  SkuStats SkuStatsOf(SkuId s) const;
  // Co-purchase neighbours at other merchants, sorted by SKU id.
  EdgeView<CoPurchase> CoPurchaseNeighbors(SkuId s) const;

  // ---- Customers (internal use: never shown to other merchants) ----
  CustomerInfo Customer(CustomerId c) const;
  EdgeView<Purchase> PurchasesOf(CustomerId c) const;  // sorted by SKU id
  // The consent state per (merchant, channel), sorted by (merchant, channel).
  EdgeView<ConsentEntry> ConsentsOf(CustomerId c) const;
  // The consent state of (c, m, channel), or nullopt when it has no record.
  std::optional<ConsentEntry> ConsentStatusOf(CustomerId c, MerchantId m,
                                              ContactChannel channel) const;

  // ---- Segments ----
  SegmentInfo Segment(SegmentId g) const;
  // Merchants reached by g (customers of g who bought there), sorted by id.
  EdgeView<MerchantReach> MerchantsReachedBy(SegmentId g) const;

  // ---- Categories and regions ----
  std::string_view CategoryName(CategoryId k) const;
  std::string_view RegionName(RegionId r) const;  // "" for an invalid id
  // Customers with at least one order line in category k.
  std::uint32_t CategoryCustomers(CategoryId k) const;
  EdgeView<MerchantId> MerchantsInCategory(CategoryId k) const;
  // Other categories bought by the same customers, sorted by id.
  EdgeView<CategoryPairLift> CategoryLifts(CategoryId k) const;
  // The lift of (a, b), or nullopt when no customer bought in both (or a == b).
  std::optional<CategoryPairLift> CategoryLift(CategoryId a, CategoryId b) const;

  // ---- Whole graph ----
  // The options it was built with; threads and show_progress are not stored
  // (they do not change the graph) and read 0 and false.
  const GraphOptions& options() const;
  // A 64-bit FNV-1a hash of the node and edge counts and of every merchant's
  // external id in id order; indexes built from this graph store it to check
  // that they still match.
  std::uint64_t Fingerprint() const;
  // Heap bytes by structure, and their sum.
  std::vector<MemoryItem> MemoryBreakdown() const;
  std::size_t MemoryBytes() const;

 private:
  friend struct GraphAccess;  // GraphBuilder and graph_io construct graphs
  explicit EcosystemGraph(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace partnergraph
