// `partnergraph recommend-partners` and `partnergraph coupon-pairs`: in-process
// queries of a model folder through the Engine (the same code the server
// runs). Readable tables by default, JSON with --json. Exit 0 ok, 1 usage,
// 2 bad input (unknown id, bad filter, damaged model).
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "partnergraph/common/json_text.hpp"
#include "partnergraph/engine/engine.hpp"

namespace partnergraph::cli {
namespace {

struct PartnerArgs {
  std::string model;
  std::string merchant;
  int k = 10;
  bool include_partners = false;
  std::vector<std::string> regions, categories, exclude_categories, tiers;
  std::optional<double> long_tail_boost;
  std::optional<int> candidates;
  bool json = false;
};

struct CouponArgs {
  std::string model;
  std::string sku;
  std::string merchant;
  int k = 10;
  std::optional<double> min_price, max_price;
  std::vector<std::string> categories;
  bool json = false;
};

nlohmann::json OptCount(const std::optional<std::int64_t>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

std::string CountText(const std::optional<std::int64_t>& v) {
  return v ? std::to_string(*v) : std::string("<k_min");
}

int Fail(const Status& status) {
  std::cerr << "partnergraph: " << status.ToString() << '\n';
  return kExitBadInput;
}

Result<std::shared_ptr<const Engine>> OpenModel(const std::string& dir) {
  return Engine::Open(dir);
}

int RunPartners(const PartnerArgs& a) {
  auto engine = OpenModel(a.model);
  if (!engine.ok()) return Fail(engine.status());
  PartnerFiltersView f;
  // Whoever reads the model folder holds every merchant's data: the operator's view.
  f.audience = Audience::kOperator;
  f.include_existing_partners = a.include_partners;
  f.regions = a.regions;
  f.categories = a.categories;
  f.exclude_categories = a.exclude_categories;
  f.tiers = a.tiers;
  f.long_tail_boost = a.long_tail_boost;
  f.candidates = a.candidates;
  auto answer = (*engine)->RecommendPartners(a.merchant, a.k, f);
  if (!answer.ok()) return Fail(answer.status());
  if (a.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& p : answer->partners) {
      nlohmann::json segments = nlohmann::json::array();
      for (const auto& s : p.shared_segments) {
        segments.push_back({{"segment_id", s.segment_id},
                            {"description", s.description},
                            {"count", OptCount(s.count)},
                            {"suppressed", !s.count.has_value()}});
      }
      out.push_back({{"merchant_id", p.merchant_id},
                     {"name", p.name},
                     {"category", p.category},
                     {"region", p.region},
                     {"score", p.score},
                     {"components",
                      {{"audience_similarity", p.components.audience_similarity},
                       {"category_complementarity", p.components.category_complementarity},
                       {"shared_reach", p.components.shared_reach},
                       {"competition_penalty", p.components.competition_penalty},
                       {"long_tail_boost", p.components.long_tail_boost}}},
                     {"shared_customers", OptCount(p.shared_customers)},
                     {"shared_segments", segments}});
    }
    std::cout << JsonText(out, 2) << '\n';
    return kExitOk;
  }
  std::printf("partners for %s (%s)\n", a.merchant.c_str(),
              answer->precomputed ? "precomputed" : "live");
  std::printf("%-4s %-20s %-16s %-10s %7s %6s %6s %6s %6s %8s  %s\n", "rank", "merchant",
              "category", "region", "score", "sim", "compl", "reach", "comp", "shared",
              "top shared segment");
  int rank = 0;
  for (const auto& p : answer->partners) {
    std::string segment = p.shared_segments.empty()
                              ? "-"
                              : p.shared_segments[0].segment_id + " (" +
                                    CountText(p.shared_segments[0].count) + ")";
    std::printf("%-4d %-20s %-16s %-10s %7.3f %6.3f %6.3f %6.3f %6.1f %8s  %s\n", ++rank,
                p.merchant_id.c_str(), p.category.c_str(), p.region.c_str(), p.score,
                p.components.audience_similarity, p.components.category_complementarity,
                p.components.shared_reach, p.components.competition_penalty,
                CountText(p.shared_customers).c_str(), segment.c_str());
  }
  if (answer->partners.empty()) std::printf("(no merchant passes the filters)\n");
  return kExitOk;
}

int RunCoupons(const CouponArgs& a) {
  if (a.sku.empty() == a.merchant.empty()) {
    std::cerr << "partnergraph coupon-pairs: give exactly one of --sku and --merchant\n";
    return kExitUsage;
  }
  auto engine = OpenModel(a.model);
  if (!engine.ok()) return Fail(engine.status());
  CouponFiltersView f;
  f.audience = Audience::kOperator;  // as RunPartners
  f.min_price = a.min_price;
  f.max_price = a.max_price;
  f.categories = a.categories;
  auto answer = (*engine)->RecommendCouponPairs(a.sku, a.merchant, a.k, f);
  if (!answer.ok()) return Fail(answer.status());
  if (a.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& p : answer->pairs) {
      out.push_back({{"trigger_sku_id", p.trigger_sku_id},
                     {"sku_id", p.sku_id},
                     {"merchant_id", p.merchant_id},
                     {"score", p.score},
                     {"support", OptCount(p.support)},
                     {"lift", p.lift},
                     {"reach", OptCount(p.reach)},
                     {"price", p.price}});
    }
    std::cout << JsonText(out, 2) << '\n';
    return kExitOk;
  }
  std::printf("coupon pairs for %s (%s)\n", (a.sku.empty() ? a.merchant : a.sku).c_str(),
              answer->precomputed ? "precomputed" : "live");
  std::printf("%-4s %-16s %-16s %-16s %7s %8s %7s %8s %9s\n", "rank", "buy", "get coupon for",
              "at merchant", "score", "support", "lift", "reach", "price");
  int rank = 0;
  for (const auto& p : answer->pairs) {
    std::printf("%-4d %-16s %-16s %-16s %7.3f %8s %7.2f %8s %9.2f\n", ++rank,
                p.trigger_sku_id.c_str(), p.sku_id.c_str(), p.merchant_id.c_str(), p.score,
                CountText(p.support).c_str(), p.lift, CountText(p.reach).c_str(), p.price);
  }
  if (answer->pairs.empty()) std::printf("(no pairing passes the filters)\n");
  return kExitOk;
}

}  // namespace

void AddRecommendCommands(CLI::App& app, int& exit_code) {
  auto pa = std::make_shared<PartnerArgs>();
  auto* partners = app.add_subcommand(
      "recommend-partners",
      "Suggest co-marketing partners for a merchant from a model folder (in-process). "
      "Exit 0 ok, 1 usage, 2 bad input");
  partners->add_option("--model", pa->model, "Model folder written by `build`")
      ->required()
      ->check(CLI::ExistingDirectory);
  partners->add_option("--merchant", pa->merchant, "Merchant id")->required();
  partners->add_option("-k", pa->k, "Number of partners (1..100)")->capture_default_str();
  partners->add_flag("--include-partners", pa->include_partners,
                     "Also suggest merchants that already partner with it");
  partners->add_option("--region", pa->regions, "Only these regions (repeatable)");
  partners->add_option("--category", pa->categories, "Only these categories (repeatable)");
  partners->add_option("--exclude-category", pa->exclude_categories,
                       "Never these categories (repeatable)");
  partners->add_option("--tier", pa->tiers, "Only these tiers: gold, silver, bronze");
  partners->add_option("--long-tail-boost", pa->long_tail_boost, "Weight of the long-tail boost");
  partners->add_option("--candidates", pa->candidates, "ANN candidates before filtering");
  partners->add_flag("--json", pa->json, "Print a JSON array");
  partners->callback([pa, &exit_code] { exit_code = RunPartners(*pa); });

  auto ca = std::make_shared<CouponArgs>();
  auto* coupons = app.add_subcommand(
      "coupon-pairs",
      "Suggest cross-merchant coupon pairings for a SKU or a merchant (in-process). "
      "Exit 0 ok, 1 usage, 2 bad input");
  coupons->add_option("--model", ca->model, "Model folder written by `build`")
      ->required()
      ->check(CLI::ExistingDirectory);
  coupons->add_option("--sku", ca->sku, "Trigger SKU id");
  coupons->add_option("--merchant", ca->merchant, "Merchant id (its best sellers are triggers)");
  coupons->add_option("-k", ca->k, "Number of pairings (1..100)")->capture_default_str();
  coupons->add_option("--min-price", ca->min_price, "Lowest coupon SKU price");
  coupons->add_option("--max-price", ca->max_price, "Highest coupon SKU price");
  coupons->add_option("--category", ca->categories, "Only coupon SKUs of these categories");
  coupons->add_flag("--json", ca->json, "Print a JSON array");
  coupons->callback([ca, &exit_code] { exit_code = RunCoupons(*ca); });
}

}  // namespace partnergraph::cli
