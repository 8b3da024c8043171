// GraphBuilder runs the stages of src/graph/stages/ in order; each stage is a
// function from an explicit input struct to an output struct, so what it
// reads from earlier stages is written in its input's types. The order and
// what forces it:
//
//   stage (report name)          reads                                  from stage
//   validate                     the Dataset                            -
//   node tables                  the Dataset                            -
//   customer order lines         orders                                 -
//   purchases                    orders, lines by customer              customer order lines
//   customer features            customers, orders, lines, bought       purchases
//   merchant and sku aggregates  orders, has_customer, SKU buyers       purchases
//   segments                     region, top category, mean price       customer features
//   segment reach                has_customer, customer segment         purchases, segments
//   co-purchase                  orders, lines, SKU buyers and their    purchases, aggregates,
//                                counts, active customers               customer features
//   shared customers             customer → merchants, last visits      purchases
//   category-pair lift           bought, last purchase, active          purchases,
//                                customers                              customer features
//   derived competitors          sells, SKU price and category          node tables
//   declared relations           partnerships                           -
//   consent                      consent records                        -
//   assemble csr                 every edge list and count              all of the above
//
// Co-purchase is the last stage that reads order lines: when the caller gave
// up the Dataset (Build(Dataset&&)) the order lines are freed right after it,
// before shared customers and category pairs build the largest transient
// structures; that is why those run after co-purchase although they do not
// depend on it. The stages without inputs from others (derived competitors,
// declared relations, consent) keep their historical place: the report lists
// stages in this order. Assemble runs last because the fingerprint covers
// every column.
//
// The stages' outputs go into EcosystemGraph::Impl as soon as they exist
// (edge lists wait in edges_ until assembly); what the graph does not store
// (lines by customer, customer → merchants, SKU buyers, dominant category,
// mean price) lives here, in Run(), until its last reader is done.
#include "partnergraph/graph/graph_builder.hpp"

#include <tbb/info.h>
#include <tbb/task_arena.h>

#include <array>
#include <chrono>
#include <string>
#include <utility>

#include "graph_data.hpp"
#include "partnergraph/common/memory_usage.hpp"
#include "per_source.hpp"
#include "stages/aggregates.hpp"
#include "stages/assemble_csr.hpp"
#include "stages/category_pairs.hpp"
#include "stages/co_purchase.hpp"
#include "stages/consent.hpp"
#include "stages/customer_features.hpp"
#include "stages/customer_lines.hpp"
#include "stages/declared_relations.hpp"
#include "stages/derived_competitors.hpp"
#include "stages/node_tables.hpp"
#include "stages/purchases.hpp"
#include "stages/segment_reach.hpp"
#include "stages/segments.hpp"
#include "stages/shared_customers.hpp"
#include "stages/validate_dataset.hpp"

namespace partnergraph {
namespace {

using namespace graph_internal;  // the stages and their structs
using Impl = EcosystemGraph::Impl;

class BuildRun {
 public:
  // `owned`, when not null, is the same Dataset as `d`, given up by the caller:
  // its tables are freed once no later stage reads them.
  BuildRun(const Dataset& d, Dataset* owned, const GraphOptions& options, BuildReport& report)
      : d_(d), owned_(owned), options_(options), report_(report), impl_(std::make_unique<Impl>()) {}

  Result<std::unique_ptr<Impl>> Run();

 private:
  // Runs f() and records its wall time and memory as stage `name`.
  template <typename F>
  auto Stage(const char* name, F&& f) {
    auto start = std::chrono::steady_clock::now();
    auto result = f();
    std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start;
    report_.stages.push_back({name, seconds.count(), CurrentRssBytes(), PeakRssBytes()});
    return result;
  }
  void SetKind(EdgeKind kind, EdgeLists lists) {
    edges_[static_cast<int>(kind)] = std::move(lists);
  }
  const EdgeLists& Edges(EdgeKind kind) const { return edges_[static_cast<int>(kind)]; }

  const Dataset& d_;
  Dataset* owned_;
  const GraphOptions& options_;
  BuildReport& report_;
  std::unique_ptr<Impl> impl_;
  // Every kind's lists, from the stage that derives it until AssembleCsr.
  std::array<EdgeLists, kEdgeKindCount> edges_;
};

Result<std::unique_ptr<Impl>> BuildRun::Run() {
  Impl& g = *impl_;
  PG_RETURN_IF_ERROR(Stage("validate", [&] { return ValidateDataset(d_); }));

  PG_ASSIGN_OR_RETURN(NodeTables nodes,
                      Stage("node tables", [&] { return BuildNodeTables({.dataset = d_}); }));
  const std::uint32_t M = nodes.merchants, S = nodes.skus, C = nodes.customers;
  g.options = options_;
  g.options.threads = 0;
  g.options.show_progress = false;
  g.counts = {M, S, C, 0, nodes.categories};
  g.region_count = nodes.regions;
  g.merchant_ids = std::move(nodes.merchant_ids);
  g.merchant_names = std::move(nodes.merchant_names);
  g.sku_ids = std::move(nodes.sku_ids);
  g.customer_ids = std::move(nodes.customer_ids);
  g.category_names = std::move(nodes.category_names);
  g.region_names = std::move(nodes.region_names);
  g.merchant_category = std::move(nodes.merchant_category);
  g.merchant_region = std::move(nodes.merchant_region);
  g.policy_model = std::move(nodes.policy_model);
  g.policy_flags = std::move(nodes.policy_flags);
  g.policy_k_min = std::move(nodes.policy_k_min);
  g.sku_merchant = std::move(nodes.sku_merchant);
  g.sku_category = std::move(nodes.sku_category);
  g.sku_price = std::move(nodes.sku_price);
  SetKind(EdgeKind::kSells, std::move(nodes.sells));
  SetKind(EdgeKind::kInCategory, std::move(nodes.in_category));
  SetKind(EdgeKind::kCategoryMember, std::move(nodes.category_member));
  if (owned_ != nullptr) {
    // Copied into the graph's string tables; merchant_ids stays for messages.
    owned_->sku_ids = Dictionary();
    owned_->customer_ids = Dictionary();
  }

  PG_ASSIGN_OR_RETURN(CustomerLines lines, Stage("customer order lines", [&] {
                        return GroupLinesByCustomer({.orders = d_.orders, .customers = C});
                      }));

  PG_ASSIGN_OR_RETURN(Purchases purchases, Stage("purchases", [&] {
                        return AggregatePurchases({.orders = d_.orders,
                                                   .lines_by_customer = lines,
                                                   .merchants = M,
                                                   .skus = S,
                                                   .options = options_});
                      }));
  g.bought_lines = std::move(purchases.bought_lines);
  g.bought_quantity = std::move(purchases.bought_quantity);
  g.bought_revenue = std::move(purchases.bought_revenue);
  g.bought_first_ts = std::move(purchases.bought_first_ts);
  g.bought_last_ts = std::move(purchases.bought_last_ts);
  g.has_customer_lines = std::move(purchases.has_customer_lines);
  g.has_customer_revenue = std::move(purchases.has_customer_revenue);
  SetKind(EdgeKind::kBought, std::move(purchases.bought));
  SetKind(EdgeKind::kHasCustomer, std::move(purchases.has_customer));

  CustomerFeatures features = Stage("customer features", [&] {
    return DeriveCustomerFeatures({.customers = d_.customers,
                                   .orders = d_.orders,
                                   .lines_by_customer = lines,
                                   .bought = Edges(EdgeKind::kBought),
                                   .bought_revenue = g.bought_revenue,
                                   .bought_lines = g.bought_lines,
                                   .bought_quantity = g.bought_quantity,
                                   .sku_category = g.sku_category});
  });
  g.active_customers = features.active_customers;

  PG_ASSIGN_OR_RETURN(
      Aggregates aggregates, Stage("merchant and sku aggregates", [&] {
        return AggregateMerchantsAndSkus({.orders = d_.orders,
                                          .merchants = M,
                                          .skus = S,
                                          .has_customer = Edges(EdgeKind::kHasCustomer),
                                          .sku_buyers = purchases.sku_buyers});
      }));
  g.merchant_revenue = std::move(aggregates.merchant_revenue);
  g.merchant_quantity = std::move(aggregates.merchant_quantity);
  g.merchant_orders = std::move(aggregates.merchant_orders);
  g.merchant_lines = std::move(aggregates.merchant_lines);
  g.merchant_active_skus = std::move(aggregates.merchant_active_skus);
  g.merchant_customers = std::move(aggregates.merchant_customers);
  g.merchant_first_ts = std::move(aggregates.merchant_first_ts);
  g.merchant_last_ts = std::move(aggregates.merchant_last_ts);
  g.sku_buyers = std::move(aggregates.sku_buyers);
  g.sku_lines = std::move(aggregates.sku_lines);
  g.sku_quantity = std::move(aggregates.sku_quantity);
  g.sku_revenue = std::move(aggregates.sku_revenue);

  PG_ASSIGN_OR_RETURN(Segments segments, Stage("segments", [&] {
                        return DeriveSegments({.features = features,
                                               .regions = d_.regions,
                                               .categories = d_.categories,
                                               .options = options_});
                      }));
  g.customer_region = std::move(features.customer_region);
  features = {};  // dominant category and mean price: segments was the last reader
  g.counts[static_cast<int>(NodeType::kSegment)] = segments.count;
  g.segment_region = std::move(segments.segment_region);
  g.segment_category = std::move(segments.segment_category);
  g.segment_band = std::move(segments.segment_band);
  g.segment_customers = std::move(segments.segment_customers);
  g.segment_names = std::move(segments.segment_names);
  g.segment_descriptions = std::move(segments.segment_descriptions);
  g.customer_segment = std::move(segments.customer_segment);
  report_.segment_keys_merged = segments.keys_merged;

  PG_ASSIGN_OR_RETURN(SegmentReachEdges reach, Stage("segment reach", [&] {
                        return DeriveSegmentReach({.has_customer = Edges(EdgeKind::kHasCustomer),
                                                   .customer_segment = g.customer_segment,
                                                   .segments = segments.count});
                      }));
  g.reached_by_customers = std::move(reach.reached_by_customers);
  g.reaches_customers = std::move(reach.reaches_customers);
  SetKind(EdgeKind::kReachedBy, std::move(reach.reached_by));
  SetKind(EdgeKind::kReaches, std::move(reach.reaches));

  PG_ASSIGN_OR_RETURN(CoPurchaseEdges co, Stage("co-purchase", [&] {
                        return DeriveCoPurchase({.orders = d_.orders,
                                                 .lines_by_customer = lines,
                                                 .sku_buyers = purchases.sku_buyers,
                                                 .sku_buyer_count = g.sku_buyers,
                                                 .sku_merchant = g.sku_merchant,
                                                 .active_customers = g.active_customers,
                                                 .options = options_});
                      }));
  report_.customers_capped_copurchase = co.customers_capped;
  report_.copurchase_edges_capped = co.edges_capped;
  g.copurchase_support = std::move(co.support);
  g.copurchase_confidence = std::move(co.confidence);
  g.copurchase_lift = std::move(co.lift);
  SetKind(EdgeKind::kCoPurchased, std::move(co.co_purchased));
  // No later stage reads order lines.
  lines = {};
  purchases.sku_buyers = {};
  if (owned_ != nullptr) {
    std::vector<OrderLine>().swap(owned_->orders);
    owned_->order_ids = Dictionary();
  }

  PG_ASSIGN_OR_RETURN(SharedCustomerEdges shared, Stage("shared customers", [&] {
                        return DeriveSharedCustomers(
                            {.customer_merchants = purchases.customer_merchants,
                             .customer_merchant_last_ts = purchases.customer_merchant_last_ts,
                             .merchants = M,
                             .options = options_});
                      }));
  report_.customers_capped_merchant_pairs = shared.customers_capped;
  g.shares_customers = std::move(shared.customers);
  SetKind(EdgeKind::kSharesCustomers, std::move(shared.shares_customers));
  purchases = {};  // customer → merchants: shared customers was the last reader

  PG_ASSIGN_OR_RETURN(CategoryPairEdges pairs, Stage("category-pair lift", [&] {
                        return DeriveCategoryPairs({.bought = Edges(EdgeKind::kBought),
                                                    .bought_last_ts = g.bought_last_ts,
                                                    .sku_category = g.sku_category,
                                                    .categories = nodes.categories,
                                                    .active_customers = g.active_customers,
                                                    .options = options_});
                      }));
  report_.customers_capped_category_pairs = pairs.customers_capped;
  g.category_customers = std::move(pairs.category_customers);
  g.category_pair_both = std::move(pairs.both);
  g.category_pair_expected = std::move(pairs.expected);
  g.category_pair_lift = std::move(pairs.lift);
  SetKind(EdgeKind::kCategoryPair, std::move(pairs.category_pair));

  PG_ASSIGN_OR_RETURN(DerivedCompetitorEdges competitors, Stage("derived competitors", [&] {
                        return DeriveCompetitors({.sells = Edges(EdgeKind::kSells),
                                                  .sku_price = g.sku_price,
                                                  .sku_category = g.sku_category,
                                                  .merchant_category = g.merchant_category,
                                                  .options = options_});
                      }));
  report_.merchants_capped_competitor_candidates = competitors.merchants_capped;
  g.derived_overlap = std::move(competitors.overlap);
  SetKind(EdgeKind::kCompetitorDerived, std::move(competitors.competitor_derived));

  PG_ASSIGN_OR_RETURN(
      DeclaredRelationEdges declared, Stage("declared relations", [&] {
        return CollectDeclaredRelations({.partnerships = d_.partnerships, .merchants = M});
      }));
  SetKind(EdgeKind::kPartner, std::move(declared.partner));
  SetKind(EdgeKind::kCompetitorDeclared, std::move(declared.competitor_declared));
  SetKind(EdgeKind::kBlocked, std::move(declared.blocked));

  PG_ASSIGN_OR_RETURN(ConsentEdges consent, Stage("consent", [&] {
                        return ResolveConsent(
                            {.records = d_.consent, .sources = d_.consent_sources, .customers = C});
                      }));
  g.consent_channel = std::move(consent.channel);
  g.consent_status = std::move(consent.status);
  g.consent_sales_block = std::move(consent.sales_block);
  g.consent_ts = std::move(consent.ts);
  SetKind(EdgeKind::kConsent, std::move(consent.consent));

  PG_RETURN_IF_ERROR(Stage("assemble csr", [&] { return AssembleCsr(std::move(edges_), g); }));
  return std::move(impl_);
}

}  // namespace

GraphBuilder::GraphBuilder(GraphOptions options) : options_(options) {}
GraphBuilder::~GraphBuilder() = default;

Status GraphBuilder::Build(const Dataset& dataset) { return Run(dataset, nullptr); }

Status GraphBuilder::Build(Dataset&& dataset) { return Run(dataset, &dataset); }

Status GraphBuilder::Run(const Dataset& dataset, Dataset* owned) {
  built_.reset();
  report_ = {};
  PG_RETURN_IF_ERROR(options_.Validate());
  int threads =
      options_.threads == 0 ? tbb::info::default_concurrency() : static_cast<int>(options_.threads);
  tbb::task_arena arena(threads);
  BuildReport report;
  Result<std::unique_ptr<EcosystemGraph::Impl>> result = Status::Internal("build did not run");
  arena.execute([&] { result = BuildRun(dataset, owned, options_, report).Run(); });
  if (!result.ok()) return result.status();
  built_ = std::move(result).value();
  report_ = std::move(report);
  return Status::Ok();
}

Result<std::shared_ptr<const EcosystemGraph>> GraphBuilder::Freeze() {
  if (!built_)
    return Status::InvalidArgument("GraphBuilder::Freeze() without a successful Build()");
  return GraphAccess::Wrap(std::move(built_));
}

}  // namespace partnergraph
