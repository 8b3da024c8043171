#include "fixture_engine.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>
#include <utility>

namespace partnergraph::testing {
namespace {

struct FixtureMerchant {
  MerchantView view;
  int k_min = 20;
  bool share_overlaps = false;
};

struct FixtureSku {
  std::string sku_id;
  std::string merchant_id;
  std::string category;
  double price = 0;
};

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

class FixtureEngine final : public Engine {
 public:
  FixtureEngine(std::filesystem::path dir, FixtureEngineOptions options)
      : dir_(std::move(dir)), options_(options) {
    auto add = [&](std::string id, std::string name, std::string category, std::string region,
                   int skus, bool discoverable, std::int64_t customers, double revenue, int k_min,
                   bool share) {
      FixtureMerchant m;
      m.view = MerchantView{id,
                            std::move(name),
                            std::move(category),
                            std::move(region),
                            skus,
                            discoverable,
                            discoverable,
                            customers,
                            revenue,
                            customers,
                            {}};
      m.k_min = k_min;
      m.share_overlaps = share;
      merchants_.emplace(std::move(id), std::move(m));
    };
    add("m_bakery", "Sunrise Bakery", "bakery", "north", 2, true, 9, 101.5, 3, true);
    add("m_bakery2", "Corner Bakery", "bakery", "north", 1, true, 3, 16.0, 20, false);
    add("m_florist", "Petal Florist", "florist", "north", 2, true, 7, 180.0, 2, true);
    add("m_wine", "Vine Wine Shop", "wine", "north", 2, true, 7, 120.0, 5, false);
    add("m_hardware", "Bolt Hardware", "hardware", "south", 1, true, 2, 50.0, 20, false);
    add("m_cheese", "Curd & Rind, Cheesemonger", "cheese", "south", 1, false, 3, 27.0, 2, true);
    skus_ = {{"s_bread", "m_bakery", "bakery", 4.5},    {"s_cake", "m_bakery", "bakery", 20.0},
             {"s_bread2", "m_bakery2", "bakery", 4.0},  {"s_roses", "m_florist", "florist", 30.0},
             {"s_tulips", "m_florist", "florist", 15.0}, {"s_red", "m_wine", "wine", 18.0},
             {"s_white", "m_wine", "wine", 16.0},       {"s_hammer", "m_hardware", "hardware", 25.0},
             {"s_brie", "m_cheese", "cheese", 9.0}};
    shared_ = {{{"m_bakery", "m_florist"}, 6},
               {{"m_bakery", "m_wine"}, 6},
               {{"m_bakery", "m_bakery2"}, 2},
               {{"m_bakery", "m_cheese"}, 2},
               {{"m_florist", "m_wine"}, 5}};
  }

  EngineStats Stats() const override {
    EngineStats s;
    s.merchants = 6;
    s.skus = 9;
    s.customers = 12;
    s.segments = 2;
    s.categories = 6;
    s.order_lines = 30;
    s.edges = {{"sells", 9}, {"bought", 30}, {"partners", 1}, {"competes", 1}};
    s.model_dir = dir_.string();
    s.built_at = "fixture";
    return s;
  }

  RequestLimits Limits() const override { return {}; }

 protected:
  Result<MerchantView> AnswerGetMerchant(const std::string& merchant_id) const override {
    if (merchant_id == "fault:internal") {
      return Status::Corruption("fixture.bin:12: checksum mismatch (a fault the server must hide)");
    }
    PG_ASSIGN_OR_RETURN(const FixtureMerchant* m, Find(merchant_id));
    return m->view;
  }

  Result<MerchantPage> AnswerListMerchants(const std::optional<std::string>& page_token,
                                           int page_size, const std::string& category,
                                           const std::string& region) const override {
    std::size_t offset = 0;
    if (page_token) {
      if (*page_token == "stale") return Status::NotFound("page token \"stale\" has expired");
      if (page_token->size() < 2 || (*page_token)[0] != 'p') {
        return Status::InvalidArgument("page_token \"" + *page_token + "\" is not a token of ours");
      }
      offset = std::stoul(page_token->substr(1));
    }
    std::vector<MerchantView> all;
    for (const auto& [id, m] : merchants_) {
      if (!category.empty() && m.view.category != category) continue;
      if (!region.empty() && m.view.region != region) continue;
      all.push_back(m.view);
    }
    MerchantPage page;
    page.total = static_cast<std::int64_t>(all.size());
    for (std::size_t i = offset; i < all.size() && page.merchants.size() < std::size_t(page_size); ++i) {
      page.merchants.push_back(all[i]);
    }
    std::size_t next = offset + page.merchants.size();
    if (next < all.size()) page.next_page_token = "p" + std::to_string(next);
    return page;
  }

  // The answer is built as views, then lent from out->owned (the fixture has no model whose
  // strings it could lend).
  Status AnswerPartners(const std::string& merchant_id, int k, const PartnerFiltersView& filters,
                        BorrowedPartnerAnswer* out) const override {
    if (options_.delay_ms > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(options_.delay_ms));
    }
    PG_ASSIGN_OR_RETURN(const FixtureMerchant* self, Find(merchant_id));
    PartnerAnswer& answer = out->owned;
    answer = {};
    answer.precomputed = filters.is_default();
    for (const auto& [id, m] : merchants_) {
      if (id == merchant_id || !m.view.discoverable || !Excluded(merchant_id, id).empty()) continue;
      if (!filters.include_existing_partners && Partners(merchant_id, id)) continue;
      if (!filters.regions.empty() && !Contains(filters.regions, m.view.region)) continue;
      if (!filters.categories.empty() && !Contains(filters.categories, m.view.category)) continue;
      if (Contains(filters.exclude_categories, m.view.category)) continue;
      PartnerView p;
      p.merchant_id = id;
      p.name = m.view.name;
      p.category = m.view.category;
      p.region = m.view.region;
      std::int64_t shared = Shared(merchant_id, id);
      p.components.audience_similarity = shared / 10.0;
      p.components.category_complementarity = 0.5;
      p.components.long_tail_boost = filters.long_tail_boost.value_or(0.0);
      p.score = p.components.audience_similarity + p.components.category_complementarity +
                p.components.long_tail_boost;
      p.shared_customers = Visible(*self, m, shared);
      p.shared_segments.push_back({"seg_" + m.view.region, "customers in the " + m.view.region,
                                   Visible(*self, m, shared)});
      answer.partners.push_back(std::move(p));
    }
    std::sort(answer.partners.begin(), answer.partners.end(), [](const auto& a, const auto& b) {
      return a.score != b.score ? a.score > b.score : a.merchant_id < b.merchant_id;
    });
    if (answer.partners.size() > std::size_t(k)) answer.partners.resize(std::size_t(k));
    LendOwned(out);
    return Status::Ok();
  }

  Result<CouponAnswer> AnswerCouponPairs(const std::string& sku_id, const std::string& merchant_id,
                                         int k, const CouponFiltersView& filters) const override {
    std::vector<const FixtureSku*> triggers;
    std::string trigger_merchant = merchant_id;
    if (!sku_id.empty()) {
      auto it = std::find_if(skus_.begin(), skus_.end(), [&](auto& s) { return s.sku_id == sku_id; });
      if (it == skus_.end()) return Status::NotFound("SKU \"" + sku_id + "\" is not in the model");
      triggers.push_back(&*it);
      trigger_merchant = it->merchant_id;
    }
    PG_ASSIGN_OR_RETURN(const FixtureMerchant* self, Find(trigger_merchant));
    if (triggers.empty()) {
      for (const auto& s : skus_) {
        if (s.merchant_id == merchant_id) triggers.push_back(&s);
      }
    }
    CouponAnswer answer;
    answer.precomputed = filters.is_default();
    if (!self->view.allow_coupons) return answer;
    for (const FixtureSku* t : triggers) {
      for (const auto& s : skus_) {
        const FixtureMerchant& other = merchants_.at(s.merchant_id);
        if (s.merchant_id == trigger_merchant || !other.view.allow_coupons ||
            !Excluded(trigger_merchant, s.merchant_id).empty()) {
          continue;
        }
        if (filters.min_price && s.price < *filters.min_price) continue;
        if (filters.max_price && s.price > *filters.max_price) continue;
        if (!filters.categories.empty() && !Contains(filters.categories, s.category)) continue;
        std::int64_t shared = Shared(trigger_merchant, s.merchant_id);
        if (shared == 0) continue;
        CouponPairView p;
        p.trigger_sku_id = t->sku_id;
        p.sku_id = s.sku_id;
        p.merchant_id = s.merchant_id;
        p.lift = 1.0 + shared / 10.0;
        p.score = p.lift / (1.0 + std::abs(s.price - t->price) / 100.0);
        p.support = Visible(*self, other, shared);
        p.reach = Visible(*self, other, shared);
        p.price = s.price;
        answer.pairs.push_back(std::move(p));
      }
    }
    std::sort(answer.pairs.begin(), answer.pairs.end(), [](const auto& a, const auto& b) {
      return a.score != b.score ? a.score > b.score : a.sku_id < b.sku_id;
    });
    if (answer.pairs.size() > std::size_t(k)) answer.pairs.resize(std::size_t(k));
    return answer;
  }

  Result<PairExplanationView> AnswerExplainPair(const std::string& merchant_id,
                                                const std::string& other_merchant_id,
                                                Audience audience) const override {
    PG_ASSIGN_OR_RETURN(const FixtureMerchant* a, Find(merchant_id));
    PG_ASSIGN_OR_RETURN(const FixtureMerchant* b, FindOther(other_merchant_id, audience));
    PairExplanationView view;
    std::int64_t shared = Shared(merchant_id, other_merchant_id);
    view.components.audience_similarity = shared / 10.0;
    view.components.category_complementarity = a->view.category == b->view.category ? 0.0 : 0.5;
    view.score = view.components.audience_similarity + view.components.category_complementarity;
    view.shared_customers = Visible(*a, *b, shared);
    view.shared_segments.push_back({"seg_north", "customers in the north", Visible(*a, *b, shared)});
    view.excluded_because = Excluded(merchant_id, other_merchant_id);
    if (!b->view.discoverable) view.excluded_because.push_back("opted out of discovery");
    return view;
  }

  // The real Engine's rule (engine.hpp): a merchant gets one answer for an unknown merchant
  // and one that opted out of discovery.
  Result<const FixtureMerchant*> FindOther(const std::string& id, Audience audience) const {
    auto other = Find(id);
    if (audience == Audience::kOperator) return other;
    if (!other.ok() || !(*other)->view.discoverable) return OtherMerchantUnavailable(id);
    return other;
  }

  Result<OverlapReportView> AnswerOverlapReport(const std::string& merchant_id,
                                                const std::string& other_merchant_id,
                                                Audience audience) const override {
    PG_ASSIGN_OR_RETURN(const FixtureMerchant* a, Find(merchant_id));
    PG_ASSIGN_OR_RETURN(const FixtureMerchant* b, FindOther(other_merchant_id, audience));
    if (audience == Audience::kMerchant && a->share_overlaps && !b->share_overlaps) {
      return OtherMerchantUnavailable(other_merchant_id);
    }
    for (const FixtureMerchant* m : {a, b}) {
      if (!m->share_overlaps) {
        return Status::PermissionDenied("merchant " + m->view.merchant_id +
                                        " has not opted in to share overlaps");
      }
    }
    OverlapReportView view;
    view.k_min = std::max(a->k_min, b->k_min);
    std::int64_t shared = Shared(merchant_id, other_merchant_id);
    view.shared_customers = Visible(*a, *b, shared);
    view.segments.push_back({"seg_north", "customers in the north", Visible(*a, *b, shared)});
    view.segments.push_back({"seg_south", "customers in the south", Visible(*a, *b, 1)});
    return view;
  }

 private:
  // Points out->partners and out->segments at out->owned.
  static void LendOwned(BorrowedPartnerAnswer* out) {
    out->precomputed = out->owned.precomputed;
    out->segments.clear();
    for (const PartnerView& p : out->owned.partners) {
      for (const SharedSegmentView& s : p.shared_segments) {
        out->segments.push_back({s.segment_id, s.description, s.count});
      }
    }
    out->partners.clear();
    std::size_t next_segment = 0;
    for (const PartnerView& p : out->owned.partners) {
      out->partners.push_back({p.merchant_id, p.name, p.category, p.region, p.score, p.components,
                               std::span<const SharedSegmentRef>(out->segments)
                                   .subspan(next_segment, p.shared_segments.size()),
                               p.shared_customers});
      next_segment += p.shared_segments.size();
    }
  }

  Result<const FixtureMerchant*> Find(const std::string& id) const {
    auto it = merchants_.find(id);
    if (it == merchants_.end()) return Status::NotFound("merchant \"" + id + "\" is not in the model");
    return &it->second;
  }

  std::int64_t Shared(const std::string& a, const std::string& b) const {
    auto it = shared_.find({std::min(a, b), std::max(a, b)});
    if (it == shared_.end()) it = shared_.find({a, b});
    return it == shared_.end() ? 0 : it->second;
  }

  static std::optional<std::int64_t> Visible(const FixtureMerchant& a, const FixtureMerchant& b,
                                             std::int64_t count) {
    if (count < std::max(a.k_min, b.k_min)) return std::nullopt;
    return count;
  }

  static bool Partners(const std::string& a, const std::string& b) {
    return (a == "m_florist" && b == "m_hardware") || (a == "m_hardware" && b == "m_florist");
  }

  static std::vector<std::string> Excluded(const std::string& a, const std::string& b) {
    std::set<std::string> pair{a, b};
    if (pair == std::set<std::string>{"m_bakery", "m_bakery2"}) return {"competitor"};
    if (pair == std::set<std::string>{"m_bakery", "m_hardware"}) return {"blocked"};
    return {};
  }

  std::filesystem::path dir_;
  FixtureEngineOptions options_;
  std::map<std::string, FixtureMerchant> merchants_;
  std::vector<FixtureSku> skus_;
  std::map<std::pair<std::string, std::string>, std::int64_t> shared_;
};

}  // namespace

Result<std::shared_ptr<const Engine>> OpenFixtureEngine(const std::filesystem::path& model_dir,
                                                        const FixtureEngineOptions& options) {
  std::error_code ec;
  if (!std::filesystem::is_directory(model_dir, ec)) {
    return Status::IOError("model folder " + model_dir.string() + " does not exist");
  }
  return std::shared_ptr<const Engine>(std::make_shared<FixtureEngine>(model_dir, options));
}

}  // namespace partnergraph::testing
