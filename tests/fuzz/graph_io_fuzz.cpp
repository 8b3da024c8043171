// Fuzz target: LoadGraph (graph/graph_io.hpp), the loader of graph.pgg.
//
// Input: the file's bytes; every section CRC-32 whose range lies in the file, the header's and
// the whole file's are rewritten to match (fuzz_support.hpp, FixContainerChecksums), so that the
// section table, the meta section and the consistency checks are reached. A graph that loads
// is walked: every vertex's neighbours and the fingerprint.
// Seeds: graph.pgg of a `partnergraph build --data datasets/tiny` model.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "partnergraph/graph/graph_io.hpp"

using namespace partnergraph;
using namespace partnergraph::fuzz;

namespace {

// Reads every element of an edge view (the views index attribute arrays by edge position).
template <typename View>
std::size_t Drain(const View& view) {
  std::size_t n = 0;
  for (auto element : view) {
    (void)element;
    ++n;
  }
  return n;
}

// Calls every accessor of EcosystemGraph on every node: LoadGraph promises that a graph it
// returns has every id, offset and string table checked, so none of these may read out of
// bounds or trip an assert.
void Walk(const EcosystemGraph& g) {
  std::size_t sink = g.edge_count() + g.MemoryBytes() + g.Fingerprint();
  for (GraphVertex v = 0; v < g.vertex_count(); ++v) {
    sink += g.OutNeighbors(v).size();
    for (EdgeKind kind : EcosystemGraph::OutKinds(g.TypeOf(v))) {
      const std::size_t n = g.OutNeighbors(v, kind).size();
      for (std::size_t i = 0; i < n; ++i) sink += g.OutEdgeWeight(v, kind, i) > 0;
    }
  }
  for (std::uint32_t i = 0; i < g.merchant_count(); ++i) {
    const MerchantId m(i);
    const MerchantInfo info = g.Merchant(m);
    sink += g.FindMerchant(info.external_id).ok() + info.name.size() + info.region_name.size();
    sink += static_cast<std::size_t>(g.MerchantStatsOf(m).revenue > 0);
    sink += Drain(g.SkusOf(m)) + Drain(g.CustomersOf(m)) + Drain(g.SegmentReachOf(m)) +
            Drain(g.SharedCustomersOf(m)) + Drain(g.Partners(m)) + Drain(g.DeclaredCompetitors(m)) +
            Drain(g.DerivedCompetitors(m)) + Drain(g.Blocked(m));
    sink += g.SharedCustomerCount(m, MerchantId(0)) + g.IsCompetitor(m, MerchantId(0)) +
            g.IsBlocked(m, MerchantId(0)) + g.IsPartner(m, MerchantId(0));
  }
  for (std::uint32_t i = 0; i < g.sku_count(); ++i) {
    const SkuInfo info = g.Sku(SkuId(i));
    sink += g.FindSku(info.external_id).ok() + g.SkuStatsOf(SkuId(i)).buyers +
            Drain(g.CoPurchaseNeighbors(SkuId(i)));
  }
  for (std::uint32_t i = 0; i < g.customer_count(); ++i) {
    const CustomerInfo info = g.Customer(CustomerId(i));
    sink += g.FindCustomer(info.external_id).ok() + Drain(g.PurchasesOf(CustomerId(i))) +
            Drain(g.ConsentsOf(CustomerId(i)));
  }
  for (std::uint32_t i = 0; i < g.segment_count(); ++i) {
    const SegmentInfo info = g.Segment(SegmentId(i));
    sink += info.name.size() + info.description.size() + Drain(g.MerchantsReachedBy(SegmentId(i)));
  }
  for (std::uint32_t i = 0; i < g.category_count(); ++i) {
    const CategoryId k(i);
    sink += g.FindCategory(g.CategoryName(k)).ok() + g.CategoryCustomers(k) +
            Drain(g.MerchantsInCategory(k)) + Drain(g.CategoryLifts(k)) +
            g.CategoryLift(k, CategoryId(0)).has_value();
  }
  for (std::uint32_t i = 0; i < g.region_count(); ++i) {
    sink += g.FindRegion(g.RegionName(RegionId(i))).ok();
  }
  volatile std::size_t keep = sink;
  (void)keep;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes = AsString(data, size);
  FixContainerChecksums(bytes);
  const auto path = WriteScratchFile("graph.pgg", bytes);
  Result<std::shared_ptr<const EcosystemGraph>> graph = LoadGraph(path);
  if (!graph.ok()) return 0;
  Walk(**graph);
  return 0;
}
