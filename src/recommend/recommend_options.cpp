#include "partnergraph/recommend/recommend_options.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "partnergraph/common/options_reader.hpp"

namespace partnergraph {
namespace {

using Json = nlohmann::json;

Status Range(std::string_view name, double v, double lo, double hi) {
  const OptionRange range{lo, hi};
  if (!range.Contains(v)) {
    return Status::InvalidArgument(
        fmt::format("{}: {} is out of range {}", name, FormatOptionNumber(v), range.ToString()));
  }
  return Status::Ok();
}

Status ReadPartnerWeights(OptionsReader& recommend, PartnerScoreWeights* w) {
  PG_ASSIGN_OR_RETURN(std::optional<OptionsReader> section, recommend.Section("partner_weights"));
  if (!section) return Status::Ok();
  PG_RETURN_IF_ERROR(section->Read("audience_similarity", &w->audience_similarity));
  PG_RETURN_IF_ERROR(section->Read("category_complementarity", &w->category_complementarity));
  PG_RETURN_IF_ERROR(section->Read("shared_reach", &w->shared_reach));
  PG_RETURN_IF_ERROR(section->Read("competition_penalty", &w->competition_penalty));
  PG_RETURN_IF_ERROR(section->Read("long_tail_boost", &w->long_tail_boost));
  return section->RejectUnknownKeys();
}

Status ReadCouponWeights(OptionsReader& recommend, CouponScoreWeights* w) {
  PG_ASSIGN_OR_RETURN(std::optional<OptionsReader> section, recommend.Section("coupon_weights"));
  if (!section) return Status::Ok();
  PG_RETURN_IF_ERROR(section->Read("lift", &w->lift));
  PG_RETURN_IF_ERROR(section->Read("support", &w->support));
  PG_RETURN_IF_ERROR(section->Read("reach", &w->reach));
  PG_RETURN_IF_ERROR(section->Read("embedding_similarity", &w->embedding_similarity));
  PG_RETURN_IF_ERROR(section->Read("popularity", &w->popularity));
  return section->RejectUnknownKeys();
}

}  // namespace

Status Validate(const RecommendOptions& o) {
  PG_RETURN_IF_ERROR(Range("recommend.partner_candidates", o.partner_candidates, 1, 100000));
  PG_RETURN_IF_ERROR(
      Range("recommend.partner_graph_candidates", o.partner_graph_candidates, 0, 100000));
  PG_RETURN_IF_ERROR(Range("recommend.complementarity_lift_cap", o.complementarity_lift_cap,
                           1.0001, 1e9));
  PG_RETURN_IF_ERROR(Range("recommend.long_tail_share", o.long_tail_share, 0, 1));
  PG_RETURN_IF_ERROR(Range("recommend.coupon_candidates", o.coupon_candidates, 0, 100000));
  PG_RETURN_IF_ERROR(
      Range("recommend.coupon_popular_candidates", o.coupon_popular_candidates, 0, 100000));
  PG_RETURN_IF_ERROR(Range("recommend.coupon_trigger_skus", o.coupon_trigger_skus, 1, 10000));
  PG_RETURN_IF_ERROR(Range("recommend.coupon_ef_search", o.coupon_ef_search, 0, 65536));
  PG_RETURN_IF_ERROR(Range("recommend.coupon_lift_cap", o.coupon_lift_cap, 1.0001, 1e9));
  PG_RETURN_IF_ERROR(Range("recommend.coupon_support_cap", o.coupon_support_cap, 1, 1e12));
  PG_RETURN_IF_ERROR(Range("recommend.max_k", o.max_k, 1, 10000));
  PG_RETURN_IF_ERROR(Range("recommend.max_candidates", o.max_candidates, 1, 1000000));
  const auto& w = o.partner_weights;
  for (auto [name, v] : {std::pair{"audience_similarity", w.audience_similarity},
                         {"category_complementarity", w.category_complementarity},
                         {"shared_reach", w.shared_reach},
                         {"competition_penalty", w.competition_penalty},
                         {"long_tail_boost", w.long_tail_boost}}) {
    PG_RETURN_IF_ERROR(Range(fmt::format("recommend.partner_weights.{}", name), v, 0, 100));
  }
  const auto& c = o.coupon_weights;
  for (auto [name, v] : {std::pair{"lift", c.lift},
                         {"support", c.support},
                         {"reach", c.reach},
                         {"embedding_similarity", c.embedding_similarity},
                         {"popularity", c.popularity}}) {
    PG_RETURN_IF_ERROR(Range(fmt::format("recommend.coupon_weights.{}", name), v, 0, 100));
  }
  return Status::Ok();
}

Result<RecommendOptions> ParseRecommendOptions(std::string_view json_text,
                                               std::string_view source_name) {
  PG_ASSIGN_OR_RETURN(OptionsReader doc, OptionsReader::Parse(json_text, source_name));
  RecommendOptions o;
  PG_ASSIGN_OR_RETURN(std::optional<OptionsReader> r, doc.Section("recommend"));
  if (!r) return o;
  PG_RETURN_IF_ERROR(r->Read("partner_candidates", &o.partner_candidates));
  PG_RETURN_IF_ERROR(r->Read("partner_graph_candidates", &o.partner_graph_candidates));
  PG_RETURN_IF_ERROR(ReadPartnerWeights(*r, &o.partner_weights));
  PG_RETURN_IF_ERROR(r->Read("complementarity_lift_cap", &o.complementarity_lift_cap));
  PG_RETURN_IF_ERROR(r->Read("long_tail_share", &o.long_tail_share));
  PG_RETURN_IF_ERROR(r->Read("coupon_candidates", &o.coupon_candidates));
  PG_RETURN_IF_ERROR(r->Read("coupon_popular_candidates", &o.coupon_popular_candidates));
  PG_RETURN_IF_ERROR(r->Read("coupon_trigger_skus", &o.coupon_trigger_skus));
  PG_RETURN_IF_ERROR(r->Read("coupon_ef_search", &o.coupon_ef_search));
  PG_RETURN_IF_ERROR(ReadCouponWeights(*r, &o.coupon_weights));
  PG_RETURN_IF_ERROR(r->Read("coupon_lift_cap", &o.coupon_lift_cap));
  PG_RETURN_IF_ERROR(r->Read("coupon_support_cap", &o.coupon_support_cap));
  PG_RETURN_IF_ERROR(r->Read("max_k", &o.max_k));
  PG_RETURN_IF_ERROR(r->Read("max_candidates", &o.max_candidates));
  PG_RETURN_IF_ERROR(r->RejectUnknownKeys());
  Status valid = Validate(o);
  if (!valid.ok()) return valid.WithContext(source_name);
  return o;
}

std::string ToJson(const RecommendOptions& o) {
  Json j;
  j["partner_candidates"] = o.partner_candidates;
  j["partner_graph_candidates"] = o.partner_graph_candidates;
  j["partner_weights"] = {{"audience_similarity", o.partner_weights.audience_similarity},
                          {"category_complementarity", o.partner_weights.category_complementarity},
                          {"shared_reach", o.partner_weights.shared_reach},
                          {"competition_penalty", o.partner_weights.competition_penalty},
                          {"long_tail_boost", o.partner_weights.long_tail_boost}};
  j["complementarity_lift_cap"] = o.complementarity_lift_cap;
  j["long_tail_share"] = o.long_tail_share;
  j["coupon_candidates"] = o.coupon_candidates;
  j["coupon_popular_candidates"] = o.coupon_popular_candidates;
  j["coupon_trigger_skus"] = o.coupon_trigger_skus;
  j["coupon_ef_search"] = o.coupon_ef_search;
  j["coupon_weights"] = {{"lift", o.coupon_weights.lift},
                         {"support", o.coupon_weights.support},
                         {"reach", o.coupon_weights.reach},
                         {"embedding_similarity", o.coupon_weights.embedding_similarity},
                         {"popularity", o.coupon_weights.popularity}};
  j["coupon_lift_cap"] = o.coupon_lift_cap;
  j["coupon_support_cap"] = o.coupon_support_cap;
  j["max_k"] = o.max_k;
  j["max_candidates"] = o.max_candidates;
  return j.dump();
}

}  // namespace partnergraph
