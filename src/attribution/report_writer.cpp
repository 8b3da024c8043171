#include "partnergraph/attribution/report_writer.hpp"

#include <nlohmann/json.hpp>

#include <charconv>

#include "partnergraph/common/csv_writer.hpp"
#include "partnergraph/common/json_text.hpp"

namespace partnergraph {
namespace {

using Json = nlohmann::ordered_json;

void AppendNumber(std::string& out, double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc() ? end : buf);
}

bool IsMarkov(const AttributionResult& r) { return r.model == AttributionModel::kMarkov; }
bool IsSampled(const AttributionResult& r) { return r.shapley && !r.shapley->exact; }

struct CsvRow {
  std::string_view sku;
  std::string_view dimension;
  std::string_view key;
  double conversions, value, removal_effect, value_removal_effect, conv_bound, value_bound;
};

void AppendRow(std::string& out, const AttributionResult& r, const CsvRow& row) {
  AppendCsvField(out, ToString(r.model));
  out.push_back(',');
  if (IsMarkov(r)) out += std::to_string(r.order);
  out.push_back(',');
  AppendCsvField(out, row.sku);
  out.push_back(',');
  AppendCsvField(out, row.dimension);
  out.push_back(',');
  AppendCsvField(out, row.key);
  out.push_back(',');
  AppendNumber(out, row.conversions);
  out.push_back(',');
  AppendNumber(out, row.value);
  out.push_back(',');
  if (IsMarkov(r)) AppendNumber(out, row.removal_effect);
  out.push_back(',');
  if (IsMarkov(r)) AppendNumber(out, row.value_removal_effect);
  out.push_back(',');
  if (IsSampled(r)) AppendNumber(out, row.conv_bound);
  out.push_back(',');
  if (IsSampled(r)) AppendNumber(out, row.value_bound);
  out.push_back('\n');
}

void AppendTotals(std::string& out, const AttributionResult& r, std::string_view dimension) {
  for (std::size_t k = 0; k < r.keys.size(); ++k) {
    const KeyCredit& c = r.totals[k];
    AppendRow(out, r,
              {"(all)", dimension, r.keys[k], c.conversions, c.value, c.removal_effect,
               c.value_removal_effect, c.conversions_error_bound, c.value_error_bound});
  }
}

Json KeyJson(const AttributionResult& r, double conversions, double value, double re, double rev,
             double cb, double vb) {
  Json j;
  j["conversions"] = conversions;
  j["value"] = value;
  if (IsMarkov(r)) {
    j["removal_effect"] = re;
    j["value_removal_effect"] = rev;
  }
  if (IsSampled(r)) {
    j["conversions_error_bound"] = cb;
    j["value_error_bound"] = vb;
  }
  return j;
}

Json TotalsJson(const AttributionResult& r) {
  Json j = Json::object();
  for (std::size_t k = 0; k < r.keys.size(); ++k) {
    const KeyCredit& c = r.totals[k];
    j[r.keys[k]] = KeyJson(r, c.conversions, c.value, c.removal_effect, c.value_removal_effect,
                           c.conversions_error_bound, c.value_error_bound);
  }
  return j;
}

void AddSkuJson(Json& skus, const AttributionResult& r, const char* dimension) {
  for (const SkuKeyCredit& c : r.sku_credits) {
    skus[r.skus[c.sku]][dimension][r.keys[c.key]] =
        KeyJson(r, c.conversions, c.value, c.removal_effect, c.value_removal_effect, 0, 0);
  }
}

}  // namespace

std::string FormatAttributionCsv(const AttributionResult& by_channel,
                                 const AttributionResult* by_partner) {
  std::string out =
      "model,order,sku,dimension,key,conversions,value,removal_effect,value_removal_effect,"
      "conversions_error_bound,value_error_bound\n";
  AppendTotals(out, by_channel, "channel");
  if (by_partner) AppendTotals(out, *by_partner, "partner");
  // Per SKU: the channel rows then the partner rows of each SKU, SKUs in id order.
  std::size_t a = 0, b = 0;
  const auto& ca = by_channel.sku_credits;
  static const std::vector<SkuKeyCredit> kNone;
  const auto& cb = by_partner ? by_partner->sku_credits : kNone;
  while (a < ca.size() || b < cb.size()) {
    const std::uint32_t sku = a < ca.size() && (b >= cb.size() || ca[a].sku <= cb[b].sku)
                                  ? ca[a].sku
                                  : cb[b].sku;
    for (; a < ca.size() && ca[a].sku == sku; ++a) {
      const auto& c = ca[a];
      AppendRow(out, by_channel,
                {by_channel.skus[sku], "channel", by_channel.keys[c.key], c.conversions, c.value,
                 c.removal_effect, c.value_removal_effect, 0, 0});
    }
    // cb is empty without by_partner (the null check tells the static analyzer so).
    for (; by_partner != nullptr && b < cb.size() && cb[b].sku == sku; ++b) {
      const auto& c = cb[b];
      AppendRow(out, *by_partner,
                {by_partner->skus[sku], "partner", by_partner->keys[c.key], c.conversions,
                 c.value, c.removal_effect, c.value_removal_effect, 0, 0});
    }
  }
  return out;
}

std::string FormatAttributionJson(const AttributionResult& by_channel,
                                  const AttributionResult* by_partner, int indent) {
  const AttributionResult& r = by_channel;
  Json j;
  j["model"] = std::string(ToString(r.model));
  j["order"] = IsMarkov(r) ? Json(r.order) : Json(nullptr);
  j["input"] = {{"journeys", r.journeys}, {"conversions", r.conversions}, {"value", r.value},
                {"nulls", r.nulls},       {"paths", r.paths},             {"rows", r.input_rows}};
  j["channels"] = TotalsJson(r);
  if (by_partner) j["partners"] = TotalsJson(*by_partner);
  if (!r.skus.empty() || (by_partner && !by_partner->skus.empty())) {
    Json skus = Json::object();
    AddSkuJson(skus, r, "channels");
    if (by_partner) AddSkuJson(skus, *by_partner, "partners");
    j["skus"] = std::move(skus);
  }
  if (r.markov) {
    const MarkovDetails& m = *r.markov;
    Json states = Json::array();
    for (const auto& s : m.state_names) states.push_back(s);
    states.push_back("(conversion)");
    states.push_back("(null)");
    Json transitions = Json::array();
    for (const auto& t : m.transitions) {
      transitions.push_back({{"from", states[t.from]},
                             {"to", states[t.to]},
                             {"count", t.count},
                             {"probability", t.probability}});
    }
    j["markov"] = {{"conversion_probability", m.conversion_probability},
                   {"value_per_journey", m.value_per_journey},
                   {"states", std::move(states)},
                   {"transitions", std::move(transitions)},
                   {"solver",
                    {{"blocks", m.solve.blocks},
                     {"dense_blocks", m.solve.dense_blocks},
                     {"iterative_blocks", m.solve.iterative_blocks},
                     {"largest_block", m.solve.largest_block},
                     {"sweeps", m.solve.sweeps},
                     {"max_relative_residual", m.solve.max_relative_residual}}}};
  }
  if (r.shapley) {
    const ShapleyDetails& s = *r.shapley;
    j["shapley"] = {{"exact", s.exact},
                    {"players", s.players},
                    {"samples", s.samples},
                    {"seed", s.seed},
                    {"confidence", s.confidence}};
  }
  return JsonText(j, indent) + "\n";
}

std::string FormatTransitionsCsv(const AttributionResult& r) {
  std::string out = "from,to,count,probability\n";
  if (!r.markov) return out;
  const MarkovDetails& m = *r.markov;
  auto name = [&](std::uint32_t s) -> std::string_view {
    if (s < m.state_names.size()) return m.state_names[s];
    return s == m.state_names.size() ? "(conversion)" : "(null)";
  };
  for (const auto& t : m.transitions) {
    AppendCsvField(out, name(t.from));
    out.push_back(',');
    AppendCsvField(out, name(t.to));
    out.push_back(',');
    AppendNumber(out, t.count);
    out.push_back(',');
    AppendNumber(out, t.probability);
    out.push_back('\n');
  }
  return out;
}

}  // namespace partnergraph
