// GraphBuilder: turns a Dataset into an immutable EcosystemGraph.
//
//   GraphBuilder builder(options);
//   PG_RETURN_IF_ERROR(builder.Build(dataset));
//   PG_ASSIGN_OR_RETURN(std::shared_ptr<const EcosystemGraph> graph, builder.Freeze());
//
// Build() validates the dataset (every id in range, SKU and order merchants
// agreeing), aggregates the order lines per (customer, SKU), derives segments,
// segment reach, co-purchase edges, shared customers, category-pair lift,
// derived competitors and consent, and assembles the CSR topology. The
// derived structures are computed in parallel with oneTBB inside an arena of
// GraphOptions::threads; the result does not depend on the thread count
// (per-source work lands in fixed slots, sums run in a fixed order).
//
// Memory: O(order lines) for the transient per-customer sort (4 bytes per
// line) plus the graph itself; per-source neighbour lists are built in blocks,
// never as one global pair list.
//
// Thread safety: a GraphBuilder is used by one thread at a time; Build() uses
// its own worker threads. It does not keep a reference to the Dataset.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "partnergraph/common/status.hpp"
#include "partnergraph/graph/ecosystem_graph.hpp"
#include "partnergraph/graph/graph_options.hpp"
#include "partnergraph/ingest/dataset.hpp"

namespace partnergraph {

// What Build() did: wall seconds per stage and what the guards capped.
struct BuildReport {
  struct Stage {
    std::string name;  // "validate", "co-purchase", ...
    double seconds = 0.0;
    std::uint64_t rss_bytes = 0;       // resident set size when the stage ended
    std::uint64_t peak_rss_bytes = 0;  // the process's peak RSS by then
  };
  std::vector<Stage> stages;  // in execution order
  // Customers whose order lines exceeded max_purchases_per_customer (only the
  // most recent lines were paired for co-purchase).
  std::uint64_t customers_capped_copurchase = 0;
  // Customers with more merchants / categories than the cap.
  std::uint64_t customers_capped_merchant_pairs = 0;
  std::uint64_t customers_capped_category_pairs = 0;
  // Co-purchase pairs (one direction each) dropped by max_copurchase_neighbors.
  std::uint64_t copurchase_edges_capped = 0;
  // Merchants whose competitor candidate walk stopped at competitor_max_candidates.
  std::uint64_t merchants_capped_competitor_candidates = 0;
  // Segment keys merged into "other" segments by max_segments.
  std::uint64_t segment_keys_merged = 0;
};

class GraphBuilder {
 public:
  explicit GraphBuilder(GraphOptions options = {});
  ~GraphBuilder();
  GraphBuilder(const GraphBuilder&) = delete;
  GraphBuilder& operator=(const GraphBuilder&) = delete;

  // Builds the graph of `dataset`, replacing any earlier unfrozen result.
  // Errors: InvalidArgument for invalid options (names the field) or an
  // inconsistent dataset (names the table, row index and what is wrong, e.g.
  // "dataset: orders[17]: sku 99 is out of range (9 SKUs)"), or for a graph
  // over 2^32 - 1 edges. On error nothing is kept.
  Status Build(const Dataset& dataset);
  // The same result, consuming `dataset` to lower the peak memory: each table is
  // freed as soon as the stages that read it are done (the SKU and customer id
  // dictionaries once copied into the graph; the order lines and order ids
  // after the co-purchase stage, before the largest derived structures are
  // built). At 100M order lines this saves about a third of the peak.
  Status Build(Dataset&& dataset);

  // Hands over the built graph; the builder is then empty.
  // Errors: InvalidArgument when no successful Build() preceded it.
  Result<std::shared_ptr<const EcosystemGraph>> Freeze();

  // The report of the last successful Build().
  const BuildReport& report() const { return report_; }
  const GraphOptions& options() const { return options_; }

 private:
  // Both Build()s; `owned` is `dataset` when the caller gave it up, else null.
  Status Run(const Dataset& dataset, Dataset* owned);

  GraphOptions options_;
  BuildReport report_;
  std::unique_ptr<EcosystemGraph::Impl> built_;
};

}  // namespace partnergraph
