// The evaluation report as markdown tables and as JSON (evaluator.hpp: ToMarkdown, ToJson).
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "partnergraph/common/json_text.hpp"
#include "partnergraph/common/time.hpp"
#include "partnergraph/evaluate/evaluator.hpp"

namespace partnergraph {
namespace {

using Json = nlohmann::json;

Json MetricsJson(const RankingMetrics& m, const std::optional<RankingMetrics>& planted) {
  Json j = {{"recall@10", m.recall_at_10},
            {"recall@50", m.recall_at_50},
            {"ndcg@10", m.ndcg_at_10},
            {"mrr", m.mrr},
            {"precision@10", m.precision_at_10},
            {"coverage", m.coverage},
            {"long_tail_share", m.long_tail_share}};
  if (planted) {
    j["planted_precision@10"] = planted->precision_at_10;
    j["planted_recall@10"] = planted->recall_at_10;
    j["planted_ndcg@10"] = planted->ndcg_at_10;
  }
  return j;
}

void AppendMarkdownTable(const std::vector<MethodEvaluation>& methods, bool planted,
                         std::string* out) {
  *out +=
      "| method | recall@10 | recall@50 | ndcg@10 | mrr | precision@10 | coverage | "
      "long_tail_share |";
  if (planted) *out += " planted P@10 | planted R@10 | planted NDCG@10 |";
  *out += "\n|---|---|---|---|---|---|---|---|";
  if (planted) *out += "---|---|---|";
  *out += "\n";
  auto cell = [&](double v) { *out += fmt::format(" {:.4f} |", v); };
  for (const MethodEvaluation& e : methods) {
    *out += fmt::format("| {} |", e.name);
    const RankingMetrics& m = e.metrics;
    for (double v : {m.recall_at_10, m.recall_at_50, m.ndcg_at_10, m.mrr, m.precision_at_10,
                     m.coverage, m.long_tail_share}) {
      cell(v);
    }
    if (planted && e.planted) {
      cell(e.planted->precision_at_10);
      cell(e.planted->recall_at_10);
      cell(e.planted->ndcg_at_10);
    }
    *out += "\n";
  }
}

}  // namespace

std::string ToMarkdown(const EvaluationReport& r) {
  std::string out = fmt::format(
      "Temporal split at {}: train {} orders ({} lines), test {} orders ({} lines); {} "
      "merchants; lists of {}; partnergraph ranked for the {} view.\n\n",
      FormatTimestamp(r.split_ts), r.train_orders, r.train_order_lines, r.test_orders,
      r.test_order_lines, r.merchants, r.list_length, ToString(r.audience));
  out += fmt::format(
      "Partners: {} queries (merchants gaining cross-category shared customers after the "
      "split), {:.2f} relevant partners per query",
      r.queries, r.mean_relevant);
  if (r.has_planted) {
    out += fmt::format("; {} queries with planted best partners", r.planted_queries);
  }
  out += ".\n\n";
  AppendMarkdownTable(r.methods, r.has_planted, &out);
  if (r.has_coupons) {
    out += fmt::format(
        "\nCoupon pairs: {} queries (of {} SKUs with cross-merchant test pairs), {:.2f} "
        "relevant SKUs per query.\n\n",
        r.coupon_queries, r.coupon_candidate_queries, r.coupon_mean_relevant);
    if (!r.coupon_methods.empty()) AppendMarkdownTable(r.coupon_methods, false, &out);
  }
  return out;
}

std::string ToJson(const EvaluationReport& r) {
  Json j;
  j["split_date"] = FormatTimestamp(r.split_ts);
  j["train_orders"] = r.train_orders;
  j["test_orders"] = r.test_orders;
  j["train_order_lines"] = r.train_order_lines;
  j["test_order_lines"] = r.test_order_lines;
  j["merchants"] = r.merchants;
  j["k"] = r.list_length;
  j["audience"] = std::string(ToString(r.audience));
  j["queries"] = r.queries;
  j["mean_relevant"] = r.mean_relevant;
  if (r.has_planted) j["planted_queries"] = r.planted_queries;
  Json methods = Json::object();
  for (const MethodEvaluation& e : r.methods) methods[e.name] = MetricsJson(e.metrics, e.planted);
  j["methods"] = std::move(methods);
  if (r.has_coupons) {
    Json coupon_methods = Json::object();
    for (const MethodEvaluation& e : r.coupon_methods) {
      coupon_methods[e.name] = MetricsJson(e.metrics, std::nullopt);
    }
    j["coupon_pairs"] = {{"queries", r.coupon_queries},
                         {"candidate_queries", r.coupon_candidate_queries},
                         {"mean_relevant", r.coupon_mean_relevant},
                         {"methods", std::move(coupon_methods)}};
  }
  Json stages = Json::array();
  for (const EvaluationStage& s : r.stages)
    stages.push_back({{"name", s.name}, {"seconds", s.seconds}});
  j["stages"] = std::move(stages);
  return JsonText(j, 2);
}

}  // namespace partnergraph
