#include "partnergraph/graph/ecosystem_graph.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <string>

#include "graph_data.hpp"

namespace partnergraph {

using graph_internal::kNone;

namespace {

using Impl = EcosystemGraph::Impl;

constexpr std::array<std::string_view, kNodeTypeCount> kNodeTypeNames = {
    "merchant", "sku", "customer", "segment", "category"};

struct KindTraits {
  std::string_view name;
  NodeType source;
  NodeType target;
};
constexpr std::array<KindTraits, kEdgeKindCount> kKindTraits = {{
    {"sells", NodeType::kMerchant, NodeType::kSku},
    {"has_customer", NodeType::kMerchant, NodeType::kCustomer},
    {"reached_by", NodeType::kMerchant, NodeType::kSegment},
    {"partner", NodeType::kMerchant, NodeType::kMerchant},
    {"competitor_declared", NodeType::kMerchant, NodeType::kMerchant},
    {"competitor_derived", NodeType::kMerchant, NodeType::kMerchant},
    {"blocked", NodeType::kMerchant, NodeType::kMerchant},
    {"shares_customers", NodeType::kMerchant, NodeType::kMerchant},
    {"in_category", NodeType::kMerchant, NodeType::kCategory},
    {"co_purchased", NodeType::kSku, NodeType::kSku},
    {"bought", NodeType::kCustomer, NodeType::kSku},
    {"consent", NodeType::kCustomer, NodeType::kMerchant},
    {"reaches", NodeType::kSegment, NodeType::kMerchant},
    {"category_member", NodeType::kCategory, NodeType::kMerchant},
    {"category_pair", NodeType::kCategory, NodeType::kCategory},
}};

constexpr std::array<EdgeKind, kEdgeKindCount> kAllKinds = {
    EdgeKind::kSells,           EdgeKind::kHasCustomer,     EdgeKind::kReachedBy,
    EdgeKind::kPartner,         EdgeKind::kCompetitorDeclared, EdgeKind::kCompetitorDerived,
    EdgeKind::kBlocked,         EdgeKind::kSharesCustomers, EdgeKind::kInCategory,
    EdgeKind::kCoPurchased,     EdgeKind::kBought,          EdgeKind::kConsent,
    EdgeKind::kReaches,         EdgeKind::kCategoryMember,  EdgeKind::kCategoryPair,
};

std::uint32_t Local(const Impl& g, GraphVertex v, NodeType type) {
  return v - g.bases[static_cast<int>(type)];
}

// ---- Element makers of the EdgeViews ----

template <typename Id>
Id TargetId(const EcosystemGraph& graph, GraphVertex target) {
  return Id(target - graph.VertexBase(NodeTypeOfId<Id>::value));
}

MerchantId MakeMerchantId(const EcosystemGraph& graph, std::uint32_t, GraphVertex t) {
  return TargetId<MerchantId>(graph, t);
}
SkuId MakeSkuId(const EcosystemGraph& graph, std::uint32_t, GraphVertex t) {
  return TargetId<SkuId>(graph, t);
}
CustomerLink MakeCustomerLink(const EcosystemGraph& graph, std::uint32_t a, GraphVertex t) {
  const Impl& g = GraphAccess::Of(graph);
  return {TargetId<CustomerId>(graph, t), g.has_customer_lines[a], g.has_customer_revenue[a]};
}
SegmentReach MakeSegmentReach(const EcosystemGraph& graph, std::uint32_t a, GraphVertex t) {
  return {TargetId<SegmentId>(graph, t), GraphAccess::Of(graph).reached_by_customers[a]};
}
MerchantReach MakeMerchantReach(const EcosystemGraph& graph, std::uint32_t a, GraphVertex t) {
  return {TargetId<MerchantId>(graph, t), GraphAccess::Of(graph).reaches_customers[a]};
}
SharedCustomers MakeShared(const EcosystemGraph& graph, std::uint32_t a, GraphVertex t) {
  return {TargetId<MerchantId>(graph, t), GraphAccess::Of(graph).shares_customers[a]};
}
DerivedCompetitor MakeDerived(const EcosystemGraph& graph, std::uint32_t a, GraphVertex t) {
  return {TargetId<MerchantId>(graph, t), GraphAccess::Of(graph).derived_overlap[a]};
}
CoPurchase MakeCoPurchase(const EcosystemGraph& graph, std::uint32_t a, GraphVertex t) {
  const Impl& g = GraphAccess::Of(graph);
  return {TargetId<SkuId>(graph, t), g.copurchase_support[a], g.copurchase_confidence[a],
          g.copurchase_lift[a]};
}
Purchase MakePurchase(const EcosystemGraph& graph, std::uint32_t a, GraphVertex t) {
  const Impl& g = GraphAccess::Of(graph);
  return {TargetId<SkuId>(graph, t), g.bought_lines[a],     g.bought_quantity[a],
          g.bought_revenue[a],       g.bought_first_ts[a],  g.bought_last_ts[a]};
}
ConsentEntry MakeConsent(const EcosystemGraph& graph, std::uint32_t a, GraphVertex t) {
  const Impl& g = GraphAccess::Of(graph);
  return {TargetId<MerchantId>(graph, t), static_cast<ContactChannel>(g.consent_channel[a]),
          static_cast<ConsentStatus>(g.consent_status[a]), g.consent_ts[a],
          g.consent_sales_block[a] != 0};
}
CategoryPairLift MakeCategoryPair(const EcosystemGraph& graph, std::uint32_t a, GraphVertex t) {
  const Impl& g = GraphAccess::Of(graph);
  return {TargetId<CategoryId>(graph, t), g.category_pair_both[a], g.category_pair_expected[a],
          g.category_pair_lift[a]};
}

template <typename T>
EdgeView<T> View(const EcosystemGraph& graph, EdgeKind kind, std::uint32_t local,
                 typename EdgeView<T>::MakeFn make) {
  auto range = GraphAccess::Of(graph).Range(kind, local);
  return EdgeView<T>(&graph, range.targets, range.attr_begin, make);
}

// Position of `target` among the kind-k edges of `local`, or -1.
std::ptrdiff_t FindTarget(const Impl& g, EdgeKind kind, std::uint32_t local, GraphVertex target) {
  auto targets = g.Range(kind, local).targets;
  auto it = std::lower_bound(targets.begin(), targets.end(), target);
  if (it == targets.end() || *it != target) return -1;
  return it - targets.begin();
}

}  // namespace

std::string_view ToString(NodeType type) { return kNodeTypeNames[static_cast<int>(type)]; }
std::string_view ToString(EdgeKind kind) { return kKindTraits[static_cast<int>(kind)].name; }
NodeType SourceType(EdgeKind kind) { return kKindTraits[static_cast<int>(kind)].source; }
NodeType TargetType(EdgeKind kind) { return kKindTraits[static_cast<int>(kind)].target; }

EcosystemGraph::EcosystemGraph(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EcosystemGraph::~EcosystemGraph() = default;

std::uint32_t EcosystemGraph::merchant_count() const { return impl_->counts[0]; }
std::uint32_t EcosystemGraph::sku_count() const { return impl_->counts[1]; }
std::uint32_t EcosystemGraph::customer_count() const { return impl_->counts[2]; }
std::uint32_t EcosystemGraph::segment_count() const { return impl_->counts[3]; }
std::uint32_t EcosystemGraph::category_count() const { return impl_->counts[4]; }
std::uint32_t EcosystemGraph::region_count() const { return impl_->region_count; }
std::uint32_t EcosystemGraph::active_customer_count() const { return impl_->active_customers; }
std::uint32_t EcosystemGraph::NodeCount(NodeType type) const {
  return impl_->counts[static_cast<int>(type)];
}
std::uint64_t EcosystemGraph::edge_count() const { return boost::num_edges(impl_->csr); }
std::uint64_t EcosystemGraph::EdgeCount(EdgeKind kind) const {
  return impl_->KindEdgeCount(kind);
}

std::uint32_t EcosystemGraph::vertex_count() const { return impl_->vertex_count(); }
NodeType EcosystemGraph::TypeOf(GraphVertex v) const {
  assert(v < vertex_count());
  return impl_->TypeOf(v);
}
GraphVertex EcosystemGraph::VertexBase(NodeType type) const {
  return impl_->bases[static_cast<int>(type)];
}
GraphVertex EcosystemGraph::VertexOf(MerchantId id) const {
  assert(Contains(id));
  return impl_->bases[0] + id.value;
}
GraphVertex EcosystemGraph::VertexOf(SkuId id) const {
  assert(Contains(id));
  return impl_->bases[1] + id.value;
}
GraphVertex EcosystemGraph::VertexOf(CustomerId id) const {
  assert(Contains(id));
  return impl_->bases[2] + id.value;
}
GraphVertex EcosystemGraph::VertexOf(SegmentId id) const {
  assert(Contains(id));
  return impl_->bases[3] + id.value;
}
GraphVertex EcosystemGraph::VertexOf(CategoryId id) const {
  assert(Contains(id));
  return impl_->bases[4] + id.value;
}

std::span<const GraphVertex> EcosystemGraph::OutNeighbors(GraphVertex v) const {
  assert(v < vertex_count());
  return impl_->Row(v);
}

std::span<const GraphVertex> EcosystemGraph::OutNeighbors(GraphVertex v, EdgeKind kind) const {
  assert(v < vertex_count());
  NodeType type = impl_->TypeOf(v);
  if (SourceType(kind) != type) return {};
  return impl_->Range(kind, Local(*impl_, v, type)).targets;
}

float EcosystemGraph::OutEdgeWeight(GraphVertex v, EdgeKind kind, std::size_t i) const {
  NodeType type = impl_->TypeOf(v);
  assert(SourceType(kind) == type);
  const Impl& g = *impl_;
  auto range = g.Range(kind, Local(g, v, type));
  assert(i < range.targets.size());
  std::uint32_t a = range.attr_begin + static_cast<std::uint32_t>(i);
  switch (kind) {
    case EdgeKind::kBought: return static_cast<float>(g.bought_lines[a]);
    case EdgeKind::kHasCustomer: return static_cast<float>(g.has_customer_lines[a]);
    case EdgeKind::kReachedBy: return static_cast<float>(g.reached_by_customers[a]);
    case EdgeKind::kReaches: return static_cast<float>(g.reaches_customers[a]);
    case EdgeKind::kSharesCustomers: return static_cast<float>(g.shares_customers[a]);
    case EdgeKind::kCategoryPair: return static_cast<float>(g.category_pair_both[a]);
    case EdgeKind::kCoPurchased: return static_cast<float>(g.copurchase_support[a]);
    case EdgeKind::kCompetitorDerived: return g.derived_overlap[a];
    default: return 1.0f;
  }
}

std::span<const EdgeKind> EcosystemGraph::OutKinds(NodeType type) {
  auto span = graph_internal::kKindsOfType[static_cast<int>(type)];
  return std::span<const EdgeKind>(kAllKinds).subspan(
      static_cast<std::size_t>(span.first), static_cast<std::size_t>(span.last - span.first + 1));
}

// ---- Lookup ----

Result<MerchantId> EcosystemGraph::FindMerchant(std::string_view external_id) const {
  auto i = impl_->merchant_ids.Find(external_id);
  if (!i) return Status::NotFound("unknown merchant \"" + std::string(external_id) + "\"");
  return MerchantId(*i);
}
Result<SkuId> EcosystemGraph::FindSku(std::string_view external_id) const {
  auto i = impl_->sku_ids.Find(external_id);
  if (!i) return Status::NotFound("unknown SKU \"" + std::string(external_id) + "\"");
  return SkuId(*i);
}
Result<CustomerId> EcosystemGraph::FindCustomer(std::string_view external_id) const {
  auto i = impl_->customer_ids.Find(external_id);
  if (!i) return Status::NotFound("unknown customer \"" + std::string(external_id) + "\"");
  return CustomerId(*i);
}
Result<CategoryId> EcosystemGraph::FindCategory(std::string_view name) const {
  auto i = impl_->category_names.Find(name);
  if (!i) return Status::NotFound("unknown category \"" + std::string(name) + "\"");
  return CategoryId(*i);
}
Result<RegionId> EcosystemGraph::FindRegion(std::string_view name) const {
  auto i = impl_->region_names.Find(name);
  if (!i) return Status::NotFound("unknown region \"" + std::string(name) + "\"");
  return RegionId(*i);
}

// ---- Merchants ----

MerchantInfo EcosystemGraph::Merchant(MerchantId m) const {
  assert(Contains(m));
  const Impl& g = *impl_;
  std::uint32_t i = m.value;
  MerchantInfo info;
  info.external_id = g.merchant_ids.Get(i);
  info.name = g.merchant_names.Get(i);
  info.category = CategoryId(g.merchant_category[i]);
  info.category_name = g.category_names.Get(g.merchant_category[i]);
  if (g.merchant_region[i] != kNone) {
    info.region = RegionId(g.merchant_region[i]);
    info.region_name = g.region_names.Get(g.merchant_region[i]);
  }
  info.policy.permission_model = static_cast<PermissionModel>(g.policy_model[i]);
  info.policy.k_min = g.policy_k_min[i];
  info.policy.share_overlaps = (g.policy_flags[i] & graph_internal::kPolicyShareOverlaps) != 0;
  info.policy.discoverable = (g.policy_flags[i] & graph_internal::kPolicyDiscoverable) != 0;
  info.policy.allow_coupons = (g.policy_flags[i] & graph_internal::kPolicyAllowCoupons) != 0;
  return info;
}

MerchantStats EcosystemGraph::MerchantStatsOf(MerchantId m) const {
  assert(Contains(m));
  const Impl& g = *impl_;
  std::uint32_t i = m.value;
  return {g.merchant_revenue[i],     g.merchant_quantity[i],  g.merchant_orders[i],
          g.merchant_lines[i],       g.merchant_active_skus[i], g.merchant_customers[i],
          g.merchant_first_ts[i],    g.merchant_last_ts[i]};
}

EdgeView<SkuId> EcosystemGraph::SkusOf(MerchantId m) const {
  assert(Contains(m));
  return View<SkuId>(*this, EdgeKind::kSells, m.value, &MakeSkuId);
}
EdgeView<CustomerLink> EcosystemGraph::CustomersOf(MerchantId m) const {
  assert(Contains(m));
  return View<CustomerLink>(*this, EdgeKind::kHasCustomer, m.value, &MakeCustomerLink);
}
EdgeView<SegmentReach> EcosystemGraph::SegmentReachOf(MerchantId m) const {
  assert(Contains(m));
  return View<SegmentReach>(*this, EdgeKind::kReachedBy, m.value, &MakeSegmentReach);
}
EdgeView<SharedCustomers> EcosystemGraph::SharedCustomersOf(MerchantId m) const {
  assert(Contains(m));
  return View<SharedCustomers>(*this, EdgeKind::kSharesCustomers, m.value, &MakeShared);
}
std::uint32_t EcosystemGraph::SharedCustomerCount(MerchantId a, MerchantId b) const {
  assert(Contains(a) && Contains(b));
  auto pos = FindTarget(*impl_, EdgeKind::kSharesCustomers, a.value, VertexOf(b));
  if (pos < 0) return 0;
  auto range = impl_->Range(EdgeKind::kSharesCustomers, a.value);
  return impl_->shares_customers[range.attr_begin + static_cast<std::uint32_t>(pos)];
}
EdgeView<MerchantId> EcosystemGraph::Partners(MerchantId m) const {
  assert(Contains(m));
  return View<MerchantId>(*this, EdgeKind::kPartner, m.value, &MakeMerchantId);
}
EdgeView<MerchantId> EcosystemGraph::DeclaredCompetitors(MerchantId m) const {
  assert(Contains(m));
  return View<MerchantId>(*this, EdgeKind::kCompetitorDeclared, m.value, &MakeMerchantId);
}
EdgeView<DerivedCompetitor> EcosystemGraph::DerivedCompetitors(MerchantId m) const {
  assert(Contains(m));
  return View<DerivedCompetitor>(*this, EdgeKind::kCompetitorDerived, m.value, &MakeDerived);
}
EdgeView<MerchantId> EcosystemGraph::Blocked(MerchantId m) const {
  assert(Contains(m));
  return View<MerchantId>(*this, EdgeKind::kBlocked, m.value, &MakeMerchantId);
}
bool EcosystemGraph::IsPartner(MerchantId a, MerchantId b) const {
  assert(Contains(a) && Contains(b));
  return FindTarget(*impl_, EdgeKind::kPartner, a.value, VertexOf(b)) >= 0;
}
bool EcosystemGraph::IsDeclaredCompetitor(MerchantId a, MerchantId b) const {
  assert(Contains(a) && Contains(b));
  return FindTarget(*impl_, EdgeKind::kCompetitorDeclared, a.value, VertexOf(b)) >= 0;
}
bool EcosystemGraph::IsDerivedCompetitor(MerchantId a, MerchantId b) const {
  assert(Contains(a) && Contains(b));
  return FindTarget(*impl_, EdgeKind::kCompetitorDerived, a.value, VertexOf(b)) >= 0;
}
bool EcosystemGraph::IsCompetitor(MerchantId a, MerchantId b) const {
  return IsDeclaredCompetitor(a, b) || IsDerivedCompetitor(a, b);
}
bool EcosystemGraph::IsBlocked(MerchantId a, MerchantId b) const {
  assert(Contains(a) && Contains(b));
  return FindTarget(*impl_, EdgeKind::kBlocked, a.value, VertexOf(b)) >= 0;
}

// ---- SKUs ----

SkuInfo EcosystemGraph::Sku(SkuId s) const {
  assert(Contains(s));
  const Impl& g = *impl_;
  return {g.sku_ids.Get(s.value), MerchantId(g.sku_merchant[s.value]),
          CategoryId(g.sku_category[s.value]), g.sku_price[s.value]};
}
SkuStats EcosystemGraph::SkuStatsOf(SkuId s) const {
  assert(Contains(s));
  const Impl& g = *impl_;
  return {g.sku_buyers[s.value], g.sku_lines[s.value], g.sku_quantity[s.value],
          g.sku_revenue[s.value]};
}
EdgeView<CoPurchase> EcosystemGraph::CoPurchaseNeighbors(SkuId s) const {
  assert(Contains(s));
  return View<CoPurchase>(*this, EdgeKind::kCoPurchased, s.value, &MakeCoPurchase);
}

// ---- Customers ----

CustomerInfo EcosystemGraph::Customer(CustomerId c) const {
  assert(Contains(c));
  const Impl& g = *impl_;
  CustomerInfo info;
  info.external_id = g.customer_ids.Get(c.value);
  if (g.customer_region[c.value] != kNone) info.region = RegionId(g.customer_region[c.value]);
  if (g.customer_segment[c.value] != kNone) info.segment = SegmentId(g.customer_segment[c.value]);
  return info;
}
EdgeView<Purchase> EcosystemGraph::PurchasesOf(CustomerId c) const {
  assert(Contains(c));
  return View<Purchase>(*this, EdgeKind::kBought, c.value, &MakePurchase);
}
EdgeView<ConsentEntry> EcosystemGraph::ConsentsOf(CustomerId c) const {
  assert(Contains(c));
  return View<ConsentEntry>(*this, EdgeKind::kConsent, c.value, &MakeConsent);
}
std::optional<ConsentEntry> EcosystemGraph::ConsentStatusOf(CustomerId c, MerchantId m,
                                                           ContactChannel channel) const {
  assert(Contains(c) && Contains(m));
  const Impl& g = *impl_;
  auto range = g.Range(EdgeKind::kConsent, c.value);
  GraphVertex target = VertexOf(m);
  auto it = std::lower_bound(range.targets.begin(), range.targets.end(), target);
  for (; it != range.targets.end() && *it == target; ++it) {
    auto a = range.attr_begin + static_cast<std::uint32_t>(it - range.targets.begin());
    if (g.consent_channel[a] == static_cast<std::uint8_t>(channel)) {
      return MakeConsent(*this, a, target);
    }
  }
  return std::nullopt;
}

// ---- Segments ----

SegmentInfo EcosystemGraph::Segment(SegmentId s) const {
  assert(Contains(s));
  const Impl& g = *impl_;
  SegmentInfo info;
  info.name = g.segment_names.Get(s.value);
  info.description = g.segment_descriptions.Get(s.value);
  if (g.segment_region[s.value] != kNone) info.region = RegionId(g.segment_region[s.value]);
  if (g.segment_category[s.value] != kNone) {
    info.category = CategoryId(g.segment_category[s.value]);
  }
  info.price_band = g.segment_band[s.value];
  info.customers = g.segment_customers[s.value];
  return info;
}
EdgeView<MerchantReach> EcosystemGraph::MerchantsReachedBy(SegmentId s) const {
  assert(Contains(s));
  return View<MerchantReach>(*this, EdgeKind::kReaches, s.value, &MakeMerchantReach);
}

// ---- Categories and regions ----

std::string_view EcosystemGraph::CategoryName(CategoryId k) const {
  assert(Contains(k));
  return impl_->category_names.Get(k.value);
}
std::string_view EcosystemGraph::RegionName(RegionId r) const {
  if (!r.valid() || r.value >= impl_->region_count) return {};
  return impl_->region_names.Get(r.value);
}
std::uint32_t EcosystemGraph::CategoryCustomers(CategoryId k) const {
  assert(Contains(k));
  return impl_->category_customers[k.value];
}
EdgeView<MerchantId> EcosystemGraph::MerchantsInCategory(CategoryId k) const {
  assert(Contains(k));
  return View<MerchantId>(*this, EdgeKind::kCategoryMember, k.value, &MakeMerchantId);
}
EdgeView<CategoryPairLift> EcosystemGraph::CategoryLifts(CategoryId k) const {
  assert(Contains(k));
  return View<CategoryPairLift>(*this, EdgeKind::kCategoryPair, k.value, &MakeCategoryPair);
}
std::optional<CategoryPairLift> EcosystemGraph::CategoryLift(CategoryId a, CategoryId b) const {
  assert(Contains(a) && Contains(b));
  auto pos = FindTarget(*impl_, EdgeKind::kCategoryPair, a.value, VertexOf(b));
  if (pos < 0) return std::nullopt;
  return CategoryLifts(a)[static_cast<std::size_t>(pos)];
}

// ---- Whole graph ----

const GraphOptions& EcosystemGraph::options() const { return impl_->options; }
std::uint64_t EcosystemGraph::Fingerprint() const { return impl_->fingerprint; }

std::vector<MemoryItem> EcosystemGraph::MemoryBreakdown() const {
  const Impl& g = *impl_;
  std::vector<MemoryItem> items;
  auto add = [&items](const std::string& structure, std::size_t bytes) {
    for (auto& item : items) {
      if (item.structure == structure) {
        item.bytes += bytes;
        return;
      }
    }
    items.push_back({structure, bytes});
  };
  std::size_t topology = (boost::num_vertices(g.csr) + 1) * sizeof(std::uint32_t) +
                         boost::num_edges(g.csr) * sizeof(GraphVertex);
  for (const auto& off : g.kind_offsets) topology += off.capacity() * sizeof(std::uint32_t);
  add("topology (CSR + kind offsets)", topology);
  graph_internal::VisitArrays(g, [&add](const std::string&, const char* group, const auto& vec) {
    add(group, vec.capacity() * sizeof(vec[0]));
  });
  return items;
}

std::size_t EcosystemGraph::MemoryBytes() const {
  std::size_t total = 0;
  for (const auto& item : MemoryBreakdown()) total += item.bytes;
  return total;
}

// ---- Impl ----

std::uint64_t EcosystemGraph::Impl::ComputeFingerprint() const {
  std::uint64_t h = 0xcbf29ce484222325ull;
  auto mix_bytes = [&h](const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < n; ++i) {
      h ^= p[i];
      h *= 0x100000001b3ull;
    }
  };
  auto mix_u64 = [&mix_bytes](std::uint64_t v) {
    unsigned char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));
    mix_bytes(b, 8);
  };
  for (auto c : counts) mix_u64(c);
  mix_u64(boost::num_edges(csr));
  for (const auto& off : kind_offsets) mix_u64(off.empty() ? 0 : off.back());
  for (std::uint32_t m = 0; m < counts[0]; ++m) {
    auto id = merchant_ids.Get(m);
    mix_bytes(id.data(), id.size());
    mix_bytes("", 1);
  }
  return h;
}

}  // namespace partnergraph
