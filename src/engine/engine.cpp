// The Engine over a model folder: string ids in, views out (engine.hpp).
#include "partnergraph/engine/engine.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>

#include "partnergraph/embed/embeddings.hpp"
#include "partnergraph/engine/live_state.hpp"
#include "partnergraph/engine/model_builder.hpp"
#include "partnergraph/engine/model_manifest.hpp"
#include "partnergraph/engine/precomputed_answers.hpp"
#include "partnergraph/graph/graph_io.hpp"
#include "partnergraph/index/faiss_threads.hpp"
#include "partnergraph/index/vector_index.hpp"
#include "partnergraph/recommend/partner_recommender.hpp"

namespace partnergraph {
namespace {

std::optional<std::int64_t> Count(const std::optional<std::uint32_t>& v) {
  if (!v) return std::nullopt;
  return static_cast<std::int64_t>(*v);
}

class EngineImpl final : public Engine {
 public:
  EngineImpl(std::filesystem::path dir, std::shared_ptr<const Recommender> recommender,
             std::optional<PrecomputedAnswers> precomputed, std::string built_at,
             int search_threads, std::uint64_t event_sequence)
      : search_threads_(search_threads),
        dir_(std::move(dir)),
        rec_(std::move(recommender)),
        g_(*rec_->model().graph),
        live_overlay_(*rec_->live()),
        live_(std::make_shared<LiveState>(rec_->model().graph, rec_->live(), event_sequence)),
        precomputed_(std::move(precomputed)),
        built_at_(std::move(built_at)) {}

  std::shared_ptr<LiveState> live() const override { return live_; }

  EngineStats Stats() const override {
    EngineStats s;
    s.merchants = g_.merchant_count();
    s.skus = g_.sku_count();
    s.customers = g_.customer_count();
    s.segments = g_.segment_count();
    s.categories = g_.category_count();
    for (std::uint32_t m = 0; m < g_.merchant_count(); ++m) {
      s.order_lines += g_.MerchantStatsOf(MerchantId(m)).order_lines;
    }
    for (int k = 0; k < kEdgeKindCount; ++k) {
      auto kind = static_cast<EdgeKind>(k);
      s.edges[std::string(ToString(kind))] = static_cast<std::int64_t>(g_.EdgeCount(kind));
    }
    s.model_dir = dir_.string();
    s.built_at = built_at_;
    if (const auto& table = rec_->model().sku_neighbors) s.sku_neighbor_lists = table->covered();
    if (const auto& table = rec_->model().merchant_neighbors) {
      s.merchant_neighbor_lists = table->covered();
    }
    return s;
  }

  RequestLimits Limits() const override {
    RequestLimits limits;
    limits.max_k = static_cast<int>(rec_->options().max_k);
    limits.max_candidates = static_cast<int>(rec_->options().max_candidates);
    return limits;
  }

 protected:
  Result<MerchantView> AnswerGetMerchant(const std::string& merchant_id) const override {
    PG_ASSIGN_OR_RETURN(MerchantId m, g_.FindMerchant(merchant_id));
    return View(m);
  }

  Result<MerchantPage> AnswerListMerchants(const std::optional<std::string>& page_token,
                                           int page_size, const std::string& category,
                                           const std::string& region) const override {
    const std::uint64_t binding = ListingBinding(category, region);
    std::uint32_t start = 0;
    if (page_token) {
      PG_ASSIGN_OR_RETURN(start, engine_internal::DecodePageToken(*page_token, binding));
      if (start > g_.merchant_count()) {
        return Status::InvalidArgument("page_token: not a token of this listing");
      }
    }
    std::optional<CategoryId> want_category;
    std::optional<RegionId> want_region;
    if (!category.empty()) {
      auto c = g_.FindCategory(category);
      if (!c.ok()) return MerchantPage{};  // no merchant has an unknown category
      want_category = *c;
    }
    if (!region.empty()) {
      auto r = g_.FindRegion(region);
      if (!r.ok()) return MerchantPage{};
      want_region = *r;
    }
    auto matches = [&](MerchantId m) {
      MerchantInfo info = g_.Merchant(m);
      return (!want_category || info.category == *want_category) &&
             (!want_region || info.region == *want_region);
    };
    MerchantPage page;
    std::uint32_t i = start;
    for (; i < g_.merchant_count() && page.merchants.size() < static_cast<std::size_t>(page_size);
         ++i) {
      if (matches(MerchantId(i))) page.merchants.push_back(View(MerchantId(i)));
    }
    for (std::uint32_t j = 0; j < g_.merchant_count(); ++j) {
      if (!want_category && !want_region) {
        page.total = g_.merchant_count();
        break;
      }
      if (matches(MerchantId(j))) ++page.total;
    }
    if (i < g_.merchant_count()) page.next_page_token = engine_internal::EncodePageToken(i, binding);
    return page;
  }

  Status AnswerPartners(const std::string& merchant_id, int k, const PartnerFiltersView& f,
                        BorrowedPartnerAnswer* out) const override {
    if (f.is_default() && BorrowPrecomputedPartners(merchant_id, k, f.audience, out)) {
      return Status::Ok();
    }
    PG_ASSIGN_OR_RETURN(MerchantId m, g_.FindMerchant(merchant_id));
    PG_ASSIGN_OR_RETURN(auto results, LivePartners(m, k, f));
    Lend(results, results.size(), out);
    out->precomputed = false;
    return Status::Ok();
  }

  // The recommender's live answer for m under the request's filters (resolved against the
  // graph: InvalidArgument naming an unknown region, category or tier).
  Result<std::vector<PartnerResult>> LivePartners(MerchantId m, int k,
                                                  const PartnerFiltersView& f) const {
    PartnerFilters filters;
    filters.include_existing_partners = f.include_existing_partners;
    for (const auto& r : f.regions) {
      auto id = g_.FindRegion(r);
      if (!id.ok()) {
        return Status::InvalidArgument(fmt::format("filters.regions: unknown region \"{}\"", r));
      }
      filters.regions.push_back(*id);
    }
    PG_ASSIGN_OR_RETURN(filters.categories, FindCategories("categories", f.categories));
    PG_ASSIGN_OR_RETURN(filters.exclude_categories,
                        FindCategories("exclude_categories", f.exclude_categories));
    for (const auto& t : f.tiers) {
      auto tier = ParseMerchantTier(t);
      if (!tier) {
        return Status::InvalidArgument(
            fmt::format("filters.tiers: unknown tier \"{}\" (gold, silver, bronze)", t));
      }
      filters.tiers.push_back(*tier);
    }
    filters.long_tail_boost = f.long_tail_boost;
    filters.audience = f.audience;
    if (f.candidates) filters.candidates = static_cast<std::uint32_t>(*f.candidates);
    ScopedFaissThreads threads(search_threads_);
    return rec_->RecommendPartners(m, static_cast<std::uint32_t>(k), filters);
  }

  // Points *out at the first n of `results`: strings into the graph, counts copied.
  void Lend(std::span<const PartnerResult> results, std::size_t n,
            BorrowedPartnerAnswer* out) const {
    out->partners.resize(n);
    out->segments.clear();
    for (std::size_t i = 0; i < n; ++i) {
      for (const auto& s : results[i].shared_segments) {
        const SegmentInfo info = g_.Segment(s.segment);
        out->segments.push_back({info.name, info.description, Count(s.count)});
      }
    }
    std::size_t next_segment = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const PartnerResult& r = results[i];
      const MerchantInfo info = g_.Merchant(r.merchant);
      PartnerRef& p = out->partners[i];
      p.merchant_id = info.external_id;
      p.name = info.name;
      p.category = info.category_name;
      p.region = info.region_name;
      p.score = r.score.total;
      p.components = Components(r.score);
      p.shared_segments = std::span<const SharedSegmentRef>(out->segments)
                              .subspan(next_segment, r.shared_segments.size());
      next_segment += r.shared_segments.size();
      p.shared_customers = Count(r.shared_customers);
    }
  }

  // When RecommendPartners(merchant_id, k, {}) would answer from the precomputed results:
  // lends that answer into *out and returns true. Otherwise false, *out unspecified (no
  // precomputed results, k above theirs, an unknown merchant). k is in range.
  bool BorrowPrecomputedPartners(std::string_view merchant_id, int k, Audience audience,
                                 BorrowedPartnerAnswer* out) const {
    if (!PrecomputedCurrent() || static_cast<std::uint32_t>(k) > precomputed_->k()) return false;
    auto m = g_.FindMerchant(merchant_id);
    if (!m.ok()) return false;
    const auto& stored = precomputed_->Partners(*m, audience);
    Lend(stored, std::min(stored.size(), static_cast<std::size_t>(k)), out);
    out->precomputed = true;
    return true;
  }

  Result<CouponAnswer> AnswerCouponPairs(const std::string& sku_id, const std::string& merchant_id,
                                         int k, const CouponFiltersView& f) const override {
    CouponFilters filters;
    filters.audience = f.audience;
    filters.min_price = f.min_price;
    filters.max_price = f.max_price;
    PG_ASSIGN_OR_RETURN(filters.categories, FindCategories("categories", f.categories));
    CouponAnswer answer;
    std::vector<CouponResult> results;
    ScopedFaissThreads threads(search_threads_);
    if (!sku_id.empty()) {
      PG_ASSIGN_OR_RETURN(SkuId s, g_.FindSku(sku_id));
      PG_ASSIGN_OR_RETURN(results,
                          rec_->RecommendCouponPairs(s, static_cast<std::uint32_t>(k), filters));
    } else {
      PG_ASSIGN_OR_RETURN(MerchantId m, g_.FindMerchant(merchant_id));
      if (f.is_default() && PrecomputedCurrent() &&
          static_cast<std::uint32_t>(k) <= precomputed_->k()) {
        const auto& stored = precomputed_->Coupons(m, f.audience);
        results.assign(stored.begin(),
                       stored.begin() + static_cast<std::ptrdiff_t>(
                                            std::min<std::size_t>(stored.size(), k)));
        answer.precomputed = true;
      } else {
        PG_ASSIGN_OR_RETURN(
            results, rec_->RecommendCouponPairs(m, static_cast<std::uint32_t>(k), filters));
      }
    }
    for (const auto& r : results) {
      CouponPairView v;
      v.trigger_sku_id = std::string(g_.Sku(r.trigger).external_id);
      const SkuInfo info = g_.Sku(r.sku);
      v.sku_id = std::string(info.external_id);
      v.merchant_id = std::string(g_.Merchant(info.merchant).external_id);
      v.score = r.score;
      v.support = Count(r.support);
      v.lift = r.lift;
      v.reach = Count(r.reach);
      v.price = info.price;
      answer.pairs.push_back(std::move(v));
    }
    return answer;
  }

  Result<PairExplanationView> AnswerExplainPair(const std::string& merchant_id,
                                                const std::string& other_merchant_id,
                                                Audience audience) const override {
    PG_ASSIGN_OR_RETURN(MerchantId a, g_.FindMerchant(merchant_id));
    PG_ASSIGN_OR_RETURN(MerchantId b, FindOther(a, other_merchant_id, audience));
    PairExplanation e = rec_->ExplainPair(a, b, audience);
    PairExplanationView v;
    v.score = e.score.total;
    v.components = Components(e.score);
    v.shared_segments = Segments(e.shared_segments);
    v.shared_customers = Count(e.shared_customers);
    v.excluded_because = e.excluded_because;
    return v;
  }

  Result<OverlapReportView> AnswerOverlapReport(const std::string& merchant_id,
                                                const std::string& other_merchant_id,
                                                Audience audience) const override {
    PG_ASSIGN_OR_RETURN(MerchantId a, g_.FindMerchant(merchant_id));
    if (!live_overlay_.Policy(a).share_overlaps) {
      // The caller's own setting: telling it is no news to the merchant.
      return Status::PermissionDenied(
          fmt::format("overlap detail needs {} to opt in to sharing overlaps (merchant_policy.csv "
                      "share_overlaps)",
                      merchant_id));
    }
    PG_ASSIGN_OR_RETURN(MerchantId b, FindOther(a, other_merchant_id, audience));
    if (audience == Audience::kMerchant && !live_overlay_.Policy(b).share_overlaps) {
      return OtherMerchantUnavailable(other_merchant_id);
    }
    PG_ASSIGN_OR_RETURN(OverlapDetail d, rec_->OverlapReport(a, b, audience));
    OverlapReportView v;
    v.segments = Segments(d.segments);
    v.shared_customers = Count(d.shared_customers);
    v.k_min = static_cast<int>(d.k_min);
    return v;
  }

 private:
  // Whether the precomputed answers still equal the live ones: they were computed from the
  // model's policies, contactable counts and relations, so only while no event changed any.
  bool PrecomputedCurrent() const { return precomputed_ && live_overlay_.touched_merchants() == 0; }

  // The other merchant of a pair request. kMerchant: one answer for an id that does not
  // exist and for a merchant the caller may not learn about (Recommender::Visible).
  Result<MerchantId> FindOther(MerchantId m, const std::string& other_id,
                               Audience audience) const {
    auto other = g_.FindMerchant(other_id);
    if (audience == Audience::kOperator) return other;
    if (!other.ok() || !rec_->Visible(m, *other, audience)) {
      return OtherMerchantUnavailable(other_id);
    }
    return *other;
  }

  // The ids of a filter's category names; InvalidArgument "filters.<field>: unknown category"
  // for a name the model does not know.
  Result<std::vector<CategoryId>> FindCategories(std::string_view field,
                                                 const std::vector<std::string>& names) const {
    std::vector<CategoryId> ids;
    ids.reserve(names.size());
    for (const auto& name : names) {
      auto id = g_.FindCategory(name);
      if (!id.ok()) {
        return Status::InvalidArgument(
            fmt::format("filters.{}: unknown category \"{}\"", field, name));
      }
      ids.push_back(*id);
    }
    return ids;
  }

  // What a page token of ListMerchants(category, region) is bound to.
  std::uint64_t ListingBinding(const std::string& category, const std::string& region) const {
    const std::string key = category + '\0' + region;
    const auto crc = crc32(0, reinterpret_cast<const Bytef*>(key.data()),
                           static_cast<uInt>(key.size()));
    return g_.Fingerprint() ^ (std::uint64_t{crc} << 32 | crc);
  }

  MerchantView View(MerchantId m) const {
    const MerchantInfo info = g_.Merchant(m);
    const MerchantStats stats = g_.MerchantStatsOf(m);
    MerchantView v;
    v.merchant_id = std::string(info.external_id);
    v.name = std::string(info.name);
    v.category = std::string(info.category_name);
    v.region = std::string(info.region_name);
    v.sku_count = static_cast<std::int64_t>(g_.SkusOf(m).size());
    const MerchantPolicy policy = live_overlay_.Policy(m);
    v.discoverable = policy.discoverable;
    v.allow_coupons = policy.allow_coupons;
    v.customers = stats.customers;
    v.revenue = stats.revenue;
    v.contactable = live_overlay_.Contactable(m);
    for (int i = 0; i < kContactChannelCount; ++i) {
      const auto channel = static_cast<ContactChannel>(i);
      v.contactable_by_channel[std::string(ToString(channel))] =
          live_overlay_.ContactableOn(m, channel);
    }
    return v;
  }

  static ScoreComponentsView Components(const PartnerScore& s) {
    ScoreComponentsView c;
    c.audience_similarity = s.audience_similarity;
    c.category_complementarity = s.category_complementarity;
    c.shared_reach = s.shared_reach;
    c.competition_penalty = s.competition_penalty;
    c.long_tail_boost = s.long_tail_boost;
    return c;
  }

  std::vector<SharedSegmentView> Segments(const std::vector<SegmentCount>& in) const {
    std::vector<SharedSegmentView> out;
    out.reserve(in.size());
    for (const auto& s : in) {
      const SegmentInfo info = g_.Segment(s.segment);
      SharedSegmentView v;
      v.segment_id = std::string(info.name);
      v.description = std::string(info.description);
      v.count = Count(s.count);
      out.push_back(std::move(v));
    }
    return out;
  }

  int search_threads_;
  std::filesystem::path dir_;
  std::shared_ptr<const Recommender> rec_;
  const EcosystemGraph& g_;
  const LiveOverlay& live_overlay_;
  std::shared_ptr<LiveState> live_;
  std::optional<PrecomputedAnswers> precomputed_;
  std::string built_at_;
};

}  // namespace

Status OtherMerchantUnavailable(const std::string& other_merchant_id) {
  return Status::NotFound(
      fmt::format("other_merchant_id \"{}\": no merchant with this id is available to this caller",
                  other_merchant_id));
}

namespace engine_internal {
namespace {
// The check word of (offset, binding): a CRC-32 (zlib) of both, enough to tell a token of
// another listing or a typed-in one (1 in 2^32 passes by chance) without a second hash.
std::uint32_t PageTokenCheck(std::uint32_t offset, std::uint64_t binding) {
  unsigned char bytes[12];
  std::memcpy(bytes, &offset, 4);
  std::memcpy(bytes + 4, &binding, 8);
  return static_cast<std::uint32_t>(crc32(0x9E3779B9u, bytes, sizeof bytes));
}
}  // namespace

std::string EncodePageToken(std::uint32_t offset, std::uint64_t binding) {
  char text[17];
  std::snprintf(text, sizeof text, "%08x%08x", offset ^ static_cast<std::uint32_t>(binding),
                PageTokenCheck(offset, binding));
  return text;
}

Result<std::uint32_t> DecodePageToken(const std::string& token, std::uint64_t binding) {
  auto invalid = [&] {
    return Status::InvalidArgument(
        token.empty() ? std::string("page_token is empty: leave it unset for the first page")
                      : fmt::format("page_token \"{}\" is not a token of this listing (a token "
                                    "continues only the listing, category and region filters "
                                    "included, that issued it)",
                                    token));
  };
  if (token.size() != 16) return invalid();
  std::uint32_t masked = 0, check = 0;
  auto hex = [](std::string_view part, std::uint32_t* out) {
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), *out, 16);
    return ec == std::errc() && ptr == part.data() + part.size();
  };
  if (!hex(std::string_view(token).substr(0, 8), &masked) ||
      !hex(std::string_view(token).substr(8, 8), &check)) {
    return invalid();
  }
  const std::uint32_t offset = masked ^ static_cast<std::uint32_t>(binding);
  if (PageTokenCheck(offset, binding) != check) return invalid();
  return offset;
}
}  // namespace engine_internal

Result<std::shared_ptr<const Engine>> Engine::Open(const std::filesystem::path& dir,
                                                   const EngineOptions& options) {
  if (!std::filesystem::is_directory(dir)) {
    return Status::NotFound("model folder " + dir.string() + " does not exist");
  }
  // The quick checks first (model_manifest.hpp): a few bytes per file, so a missing,
  // truncated or swapped file is named before anything large is read.
  PG_ASSIGN_OR_RETURN(ModelManifest manifest, ModelManifest::Read(dir));
  if (!manifest.config_digest()) {
    return Status::InvalidArgument(dir.string() +
                                   ": holds only a graph (built with --graph-only), no model "
                                   "to serve; build it without --graph-only");
  }
  PG_RETURN_IF_ERROR(FirstProblem(CheckModelFiles(dir, manifest)));
  ModelConfig config;
  PG_ASSIGN_OR_RETURN(RecommendModel model,
                      LoadRecommendModel(dir, options.use_neighbor_lists, &config));
  for (const std::string& file : ModelFilesRead(config)) {
    if (!manifest.files().contains(file)) {
      return Status::Corruption((dir / file).string() +
                                ": read by the model but not listed in manifest.json");
    }
  }
  const std::shared_ptr<const EcosystemGraph> graph = model.graph;
  const std::uint64_t fingerprint = graph->Fingerprint();
  if (auto problem = CheckGraphFingerprint(manifest, fingerprint)) return problem->status;
  // After loading, so that a neighbour list's own message (naming the option that changed)
  // comes before the general "config.json changed".
  PG_RETURN_IF_ERROR(FirstProblem(CheckModelConfig(dir, manifest)));
  auto recommender = Recommender::Create(model, config.recommend);
  if (!recommender.ok()) return recommender.status().WithContext(dir.string());
  std::optional<PrecomputedAnswers> precomputed;
  if (options.use_precomputed && manifest.files().contains(kPrecomputedFileName)) {
    PG_ASSIGN_OR_RETURN(PrecomputedAnswers answers,
                        PrecomputedAnswers::Load(dir / kPrecomputedFileName, fingerprint,
                                                 graph->merchant_count()));
    precomputed = std::move(answers);
  }
  std::string built_at;
  std::uint64_t event_sequence = 0;
  if (const nlohmann::json& doc = manifest.document(); doc.is_object()) {
    if (doc.contains("build_date") && doc["build_date"].is_string()) {
      built_at = doc["build_date"].get<std::string>();
    }
    // The last event the model folded in (`build --events`); absent: none.
    if (doc.contains("event_sequence") && doc["event_sequence"].is_number_unsigned()) {
      event_sequence = doc["event_sequence"].get<std::uint64_t>();
    }
  }
  return std::shared_ptr<const Engine>(std::make_shared<EngineImpl>(
      dir, *recommender, std::move(precomputed), built_at, options.search_threads, event_sequence));
}

}  // namespace partnergraph
