#include "partnergraph/recommend/recommend_options.hpp"

#include <nlohmann/json.hpp>

namespace partnergraph {
namespace {

using Json = nlohmann::json;

Status Range(std::string_view name, double v, double lo, double hi) {
  if (v < lo || v > hi) {
    return Status::InvalidArgument(std::string(name) + ": " + std::to_string(v) +
                                   " is out of range [" + std::to_string(lo) + ", " +
                                   std::to_string(hi) + "]");
  }
  return Status::Ok();
}

// Reads key `key` of `obj` into `out` when present; errors name `path`.
template <typename T>
Status ReadField(const Json& obj, const char* key, const std::string& path, T* out) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::Ok();
  if constexpr (std::is_same_v<T, std::uint32_t>) {
    if (!it->is_number_unsigned()) {
      return Status::InvalidArgument(path + key + ": expected a non-negative integer");
    }
    auto v = it->get<std::uint64_t>();
    if (v > 0xFFFFFFFFull) return Status::InvalidArgument(path + key + ": too large");
    *out = static_cast<std::uint32_t>(v);
  } else {
    if (!it->is_number()) return Status::InvalidArgument(path + key + ": expected a number");
    *out = it->get<double>();
  }
  return Status::Ok();
}

Status CheckKeys(const Json& obj, const std::string& path,
                 std::initializer_list<const char*> known) {
  if (!obj.is_object()) return Status::InvalidArgument(path + ": expected an object");
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool ok = false;
    for (const char* k : known) ok = ok || it.key() == k;
    if (!ok) return Status::InvalidArgument(path + it.key() + ": unknown key");
  }
  return Status::Ok();
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
    PG_RETURN_IF_ERROR(Range(std::string("recommend.partner_weights.") + name, v, 0, 100));
  }
  const auto& c = o.coupon_weights;
  for (auto [name, v] : {std::pair{"lift", c.lift},
                         {"support", c.support},
                         {"reach", c.reach},
                         {"embedding_similarity", c.embedding_similarity},
                         {"popularity", c.popularity}}) {
    PG_RETURN_IF_ERROR(Range(std::string("recommend.coupon_weights.") + name, v, 0, 100));
  }
  return Status::Ok();
}

Result<RecommendOptions> ParseRecommendOptions(std::string_view json_text,
                                               std::string_view source_name) {
  const std::string src(source_name);
  Json doc = Json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::InvalidArgument(src + ": not valid JSON");
  RecommendOptions o;
  if (!doc.is_object() || !doc.contains("recommend")) return o;
  const Json& r = doc["recommend"];
  const std::string p = src + ": recommend.";
  PG_RETURN_IF_ERROR(CheckKeys(
      r, p,
      {"partner_candidates", "partner_graph_candidates", "partner_weights",
       "complementarity_lift_cap", "long_tail_share", "coupon_candidates",
       "coupon_popular_candidates", "coupon_trigger_skus", "coupon_ef_search",
       "coupon_weights", "coupon_lift_cap", "coupon_support_cap", "max_k", "max_candidates"}));
  PG_RETURN_IF_ERROR(ReadField(r, "partner_candidates", p, &o.partner_candidates));
  PG_RETURN_IF_ERROR(ReadField(r, "partner_graph_candidates", p, &o.partner_graph_candidates));
  PG_RETURN_IF_ERROR(ReadField(r, "complementarity_lift_cap", p, &o.complementarity_lift_cap));
  PG_RETURN_IF_ERROR(ReadField(r, "long_tail_share", p, &o.long_tail_share));
  PG_RETURN_IF_ERROR(ReadField(r, "coupon_candidates", p, &o.coupon_candidates));
  PG_RETURN_IF_ERROR(
      ReadField(r, "coupon_popular_candidates", p, &o.coupon_popular_candidates));
  PG_RETURN_IF_ERROR(ReadField(r, "coupon_trigger_skus", p, &o.coupon_trigger_skus));
  PG_RETURN_IF_ERROR(ReadField(r, "coupon_ef_search", p, &o.coupon_ef_search));
  PG_RETURN_IF_ERROR(ReadField(r, "coupon_lift_cap", p, &o.coupon_lift_cap));
  PG_RETURN_IF_ERROR(ReadField(r, "coupon_support_cap", p, &o.coupon_support_cap));
  PG_RETURN_IF_ERROR(ReadField(r, "max_k", p, &o.max_k));
  PG_RETURN_IF_ERROR(ReadField(r, "max_candidates", p, &o.max_candidates));
  if (r.contains("partner_weights")) {
    const Json& w = r["partner_weights"];
    const std::string wp = p + "partner_weights.";
    PG_RETURN_IF_ERROR(CheckKeys(w, wp,
                                 {"audience_similarity", "category_complementarity",
                                  "shared_reach", "competition_penalty", "long_tail_boost"}));
    auto& pw = o.partner_weights;
    PG_RETURN_IF_ERROR(ReadField(w, "audience_similarity", wp, &pw.audience_similarity));
    PG_RETURN_IF_ERROR(
        ReadField(w, "category_complementarity", wp, &pw.category_complementarity));
    PG_RETURN_IF_ERROR(ReadField(w, "shared_reach", wp, &pw.shared_reach));
    PG_RETURN_IF_ERROR(ReadField(w, "competition_penalty", wp, &pw.competition_penalty));
    PG_RETURN_IF_ERROR(ReadField(w, "long_tail_boost", wp, &pw.long_tail_boost));
  }
  if (r.contains("coupon_weights")) {
    const Json& w = r["coupon_weights"];
    const std::string wp = p + "coupon_weights.";
    PG_RETURN_IF_ERROR(
        CheckKeys(w, wp, {"lift", "support", "reach", "embedding_similarity", "popularity"}));
    auto& cw = o.coupon_weights;
    PG_RETURN_IF_ERROR(ReadField(w, "lift", wp, &cw.lift));
    PG_RETURN_IF_ERROR(ReadField(w, "support", wp, &cw.support));
    PG_RETURN_IF_ERROR(ReadField(w, "reach", wp, &cw.reach));
    PG_RETURN_IF_ERROR(ReadField(w, "embedding_similarity", wp, &cw.embedding_similarity));
    PG_RETURN_IF_ERROR(ReadField(w, "popularity", wp, &cw.popularity));
  }
  Status valid = Validate(o);
  if (!valid.ok()) return valid.WithContext(src);
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
