// `partnergraph query [--host H] [--port P] [--key KEY] [--protocol binary|compact] [--json]
//                    CALL [ARGS]`: one call to a running partnergraph-server, through RpcClient
// (server/rpc_client.hpp; this file sees no Thrift type). CALL is one of health, stats,
// get-merchant, list-merchants, recommend-partners, coupon-pairs, explain-pair, overlap-report.
//
// Output: readable text, or with --json one JSON document. Exit codes: 0 answered; 1 usage;
// 2 the server answered with an error (its type and message on stderr); 3 the server could not
// be reached or the connection broke.
#include <cstdio>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "rpc_client.hpp"

namespace partnergraph::cli {
namespace {

constexpr int kExitUnreachable = 3;

using nlohmann::json;

struct QueryArgs {
  std::string host = "127.0.0.1";
  int port = 9090;
  std::string key;
  std::string protocol = "binary";
  bool json = false;
  int timeout_ms = 30000;
};

json CountJson(const std::optional<std::int64_t>& count) {
  return count ? json(*count) : json(nullptr);
}

std::string CountText(const std::optional<std::int64_t>& count) {
  return count ? std::to_string(*count) : "suppressed";
}

json ToJson(const ScoreComponentsView& c) {
  return {{"audience_similarity", c.audience_similarity},
          {"category_complementarity", c.category_complementarity},
          {"shared_reach", c.shared_reach},
          {"competition_penalty", c.competition_penalty},
          {"long_tail_boost", c.long_tail_boost}};
}

json ToJson(const std::vector<SharedSegmentView>& segments) {
  json out = json::array();
  for (const auto& s : segments) {
    out.push_back({{"segment_id", s.segment_id},
                   {"description", s.description},
                   {"count", CountJson(s.count)},
                   {"suppressed", !s.count.has_value()}});
  }
  return out;
}

json ToJson(const MerchantView& m) {
  return {{"merchant_id", m.merchant_id}, {"name", m.name},
          {"category", m.category},       {"region", m.region},
          {"sku_count", m.sku_count},     {"discoverable", m.discoverable},
          {"allow_coupons", m.allow_coupons}, {"customers", m.customers},
          {"revenue", m.revenue}};
}

std::string ComponentsText(const ScoreComponentsView& c) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "audience %.3f, complementarity %.3f, reach %.3f, competition -%.3f, long tail %.3f",
                c.audience_similarity, c.category_complementarity, c.shared_reach,
                c.competition_penalty, c.long_tail_boost);
  return buf;
}

void PrintSegments(const std::vector<SharedSegmentView>& segments, const char* indent) {
  for (const auto& s : segments) {
    std::printf("%ssegment %s (%s): %s shared customers\n", indent, s.segment_id.c_str(),
                s.description.c_str(), CountText(s.count).c_str());
  }
}

void PrintMerchant(const MerchantView& m) {
  std::printf("%-16s %-32s %-12s %-8s skus %-4lld customers %-6lld revenue %.2f%s%s\n",
              m.merchant_id.c_str(), m.name.c_str(), m.category.c_str(), m.region.c_str(),
              static_cast<long long>(m.sku_count), static_cast<long long>(m.customers), m.revenue,
              m.discoverable ? "" : "  [not discoverable]", m.allow_coupons ? "" : "  [no coupons]");
}

// Connects, runs `call`, prints its result or error; returns the exit code.
int RunCall(const QueryArgs& args, const std::function<Status(client::RpcClient&)>& call) {
  client::RpcClientOptions options;
  options.host = args.host;
  options.port = args.port;
  options.api_key = args.key;
  options.call_timeout_ms = args.timeout_ms;
  options.protocol =
      args.protocol == "compact" ? client::RpcProtocol::kCompact : client::RpcProtocol::kBinary;
  auto connected = client::RpcClient::Connect(options);
  if (!connected.ok()) {
    std::fprintf(stderr, "partnergraph query: %s (is partnergraph-server running there?)\n",
                 connected.status().message().c_str());
    return kExitUnreachable;
  }
  Status status = call(**connected);
  if (status.ok()) return kExitOk;
  std::fprintf(stderr, "partnergraph query: %s\n", status.ToString().c_str());
  return status.IsIOError() ? kExitUnreachable : kExitBadInput;
}

void PrintJson(const json& j) { std::printf("%s\n", j.dump(2).c_str()); }

}  // namespace

void AddQueryCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<QueryArgs>();
  auto* query = app.add_subcommand("query", "Call a running partnergraph-server");
  query->require_subcommand(1);
  query->fallthrough();
  query->add_option("--host", args->host, "Server address")->capture_default_str();
  query->add_option("--port", args->port, "Server port")->capture_default_str();
  query->add_option("--key", args->key, "API key (or the environment variable PARTNERGRAPH_API_KEY)")
      ->envname("PARTNERGRAPH_API_KEY");
  query->add_option("--protocol", args->protocol, "The server's protocol")
      ->check(CLI::IsMember({"binary", "compact"}))
      ->capture_default_str();
  query->add_option("--timeout-ms", args->timeout_ms, "Time allowed for the reply")
      ->capture_default_str();
  query->add_flag("--json", args->json, "Print one JSON document instead of text");

  auto run = [args, &exit_code](std::function<Status(client::RpcClient&)> call) {
    exit_code = RunCall(*args, call);
  };

  query->add_subcommand("health", "Server status, version, model and the caller's role")
      ->callback([args, run] {
        run([args](client::RpcClient& c) -> Status {
          PG_ASSIGN_OR_RETURN(client::HealthInfo h, c.Health());
          if (args->json) {
            PrintJson({{"status", h.status},
                       {"version", h.version},
                       {"uptime_seconds", h.uptime_seconds},
                       {"model", h.model},
                       {"caller_role", h.caller_role}});
          } else {
            std::printf("%s: partnergraph %s, up %llds, model %s, you are %s\n", h.status.c_str(),
                        h.version.c_str(), static_cast<long long>(h.uptime_seconds),
                        h.model.c_str(), h.caller_role.c_str());
          }
          return Status::Ok();
        });
      });

  query->add_subcommand("stats", "Model and request counts (operator)")->callback([args, run] {
    run([args](client::RpcClient& c) -> Status {
      PG_ASSIGN_OR_RETURN(client::ServerStats s, c.Stats());
      json edges(s.engine.edges);
      json j = {{"merchants", s.engine.merchants},   {"skus", s.engine.skus},
                {"customers", s.engine.customers},   {"segments", s.engine.segments},
                {"categories", s.engine.categories}, {"order_lines", s.engine.order_lines},
                {"edges", edges},                    {"requests_served", s.requests_served},
                {"requests_failed", s.requests_failed}};
      if (args->json) {
        PrintJson(j);
      } else {
        for (const auto& [name, value] : j.items()) {
          if (name == "edges") continue;
          std::printf("%-16s %s\n", name.c_str(), value.dump().c_str());
        }
        for (const auto& [type, count] : s.engine.edges) {
          std::printf("edges %-10s %lld\n", type.c_str(), static_cast<long long>(count));
        }
      }
      return Status::Ok();
    });
  });

  auto merchant = std::make_shared<std::string>();
  auto* get = query->add_subcommand("get-merchant", "One merchant's record");
  get->add_option("merchant,--merchant", *merchant, "Merchant id")->required();
  get->callback([args, run, merchant] {
    run([args, merchant](client::RpcClient& c) -> Status {
      PG_ASSIGN_OR_RETURN(MerchantView m, c.GetMerchant(*merchant));
      if (args->json) {
        PrintJson(ToJson(m));
      } else {
        PrintMerchant(m);
      }
      return Status::Ok();
    });
  });

  struct ListArgs {
    int page_size = 0;
    std::string page_token;
    std::string category;
    std::string region;
    bool all = false;
  };
  auto list = std::make_shared<ListArgs>();
  auto* lm = query->add_subcommand("list-merchants", "Merchants, a page at a time (operator)");
  auto* page_size_opt = lm->add_option("--page-size", list->page_size, "1..1000 (server default 100)");
  lm->add_option("--page-token", list->page_token, "The token printed with the previous page");
  lm->add_option("--category", list->category, "Only this category");
  lm->add_option("--region", list->region, "Only this region");
  lm->add_flag("--all", list->all, "Follow the pages to the end");
  lm->callback([args, run, list, page_size_opt] {
    run([args, list, page_size_opt](client::RpcClient& c) -> Status {
      client::ListMerchantsQuery q;
      if (page_size_opt->count() > 0) q.page_size = list->page_size;
      if (!list->page_token.empty()) q.page_token = list->page_token;
      if (!list->category.empty()) q.category = list->category;
      if (!list->region.empty()) q.region = list->region;
      json merchants = json::array();
      std::optional<std::string> next;
      std::int64_t total = 0;
      for (;;) {
        PG_ASSIGN_OR_RETURN(MerchantPage page, c.ListMerchants(q));
        total = page.total;
        for (const auto& m : page.merchants) {
          if (args->json) {
            merchants.push_back(ToJson(m));
          } else {
            PrintMerchant(m);
          }
        }
        next = page.next_page_token;
        if (!list->all || !next) break;
        q.page_token = next;
      }
      if (args->json) {
        PrintJson({{"merchants", merchants},
                   {"total", total},
                   {"next_page_token", next ? json(*next) : json(nullptr)}});
      } else {
        std::printf("%lld merchants in all%s%s\n", static_cast<long long>(total),
                    next ? "; next page: --page-token " : "", next ? next->c_str() : "");
      }
      return Status::Ok();
    });
  });

  struct PartnerArgs {
    std::string merchant;
    int k = 10;
    PartnerFiltersView filters;
    double long_tail_boost = 0;
    int candidates = 0;
  };
  auto partners = std::make_shared<PartnerArgs>();
  auto* rp = query->add_subcommand("recommend-partners", "Suggested partners of a merchant");
  rp->add_option("--merchant", partners->merchant, "Merchant id")->required();
  rp->add_option("-k", partners->k, "How many, 1..100")->capture_default_str();
  rp->add_flag("--include-existing-partners", partners->filters.include_existing_partners,
               "Also list current partners");
  rp->add_option("--region", partners->filters.regions, "Only these regions (repeatable)");
  rp->add_option("--category", partners->filters.categories, "Only these categories (repeatable)");
  rp->add_option("--exclude-category", partners->filters.exclude_categories,
                 "Not these categories (repeatable)");
  rp->add_option("--tier", partners->filters.tiers, "Only these scorecard tiers (repeatable)");
  auto* boost = rp->add_option("--long-tail-boost", partners->long_tail_boost,
                               "Weight of the long-tail boost");
  auto* candidates = rp->add_option("--candidates", partners->candidates,
                                    "ANN candidates before filtering, 1..10000");
  rp->callback([args, run, partners, boost, candidates] {
    if (boost->count() > 0) partners->filters.long_tail_boost = partners->long_tail_boost;
    if (candidates->count() > 0) partners->filters.candidates = partners->candidates;
    run([args, partners](client::RpcClient& c) -> Status {
      PG_ASSIGN_OR_RETURN(PartnerAnswer a,
                          c.RecommendPartners(partners->merchant, partners->k, partners->filters));
      if (args->json) {
        json list = json::array();
        for (const auto& p : a.partners) {
          list.push_back({{"merchant_id", p.merchant_id},
                          {"name", p.name},
                          {"category", p.category},
                          {"region", p.region},
                          {"score", p.score},
                          {"components", ToJson(p.components)},
                          {"shared_segments", ToJson(p.shared_segments)},
                          {"shared_customers", CountJson(p.shared_customers)}});
        }
        PrintJson({{"merchant_id", partners->merchant},
                   {"partners", list},
                   {"precomputed", a.precomputed}});
        return Status::Ok();
      }
      std::printf("partners for %s (%s):\n", partners->merchant.c_str(),
                  a.precomputed ? "precomputed" : "computed live");
      int rank = 0;
      for (const auto& p : a.partners) {
        std::printf("%3d. %-16s %-32s %s/%s  score %.4f  shared customers %s\n", ++rank,
                    p.merchant_id.c_str(), p.name.c_str(), p.category.c_str(), p.region.c_str(),
                    p.score, CountText(p.shared_customers).c_str());
        std::printf("     %s\n", ComponentsText(p.components).c_str());
        PrintSegments(p.shared_segments, "     ");
      }
      if (a.partners.empty()) std::printf("  (none)\n");
      return Status::Ok();
    });
  });

  struct CouponArgs {
    std::string sku;
    std::string merchant;
    int k = 10;
    double min_price = 0;
    double max_price = 0;
    std::vector<std::string> categories;
  };
  auto coupons = std::make_shared<CouponArgs>();
  auto* cp = query->add_subcommand("coupon-pairs", "Cross-merchant coupon pairings");
  auto* sku_opt = cp->add_option("--sku", coupons->sku, "Trigger SKU id");
  auto* merchant_opt = cp->add_option("--merchant", coupons->merchant, "Every SKU of this merchant");
  sku_opt->excludes(merchant_opt);
  cp->add_option("-k", coupons->k, "How many, 1..100")->capture_default_str();
  auto* min_opt = cp->add_option("--min-price", coupons->min_price, "Coupon SKU price at least");
  auto* max_opt = cp->add_option("--max-price", coupons->max_price, "Coupon SKU price at most");
  cp->add_option("--category", coupons->categories, "Only coupon SKUs of these categories");
  cp->callback([args, run, coupons, sku_opt, merchant_opt, min_opt, max_opt, &exit_code] {
    if (sku_opt->count() + merchant_opt->count() != 1) {
      std::fprintf(stderr, "partnergraph query coupon-pairs: give --sku or --merchant\n");
      exit_code = kExitUsage;
      return;
    }
    CouponFiltersView filters;
    if (min_opt->count() > 0) filters.min_price = coupons->min_price;
    if (max_opt->count() > 0) filters.max_price = coupons->max_price;
    filters.categories = coupons->categories;
    run([args, coupons, filters, sku_opt](client::RpcClient& c) -> Status {
      std::optional<std::string> sku;
      std::optional<std::string> merchant;
      if (sku_opt->count() > 0) {
        sku = coupons->sku;
      } else {
        merchant = coupons->merchant;
      }
      PG_ASSIGN_OR_RETURN(CouponAnswer a, c.RecommendCouponPairs(sku, merchant, coupons->k, filters));
      if (args->json) {
        json list = json::array();
        for (const auto& p : a.pairs) {
          list.push_back({{"trigger_sku_id", p.trigger_sku_id},
                          {"sku_id", p.sku_id},
                          {"merchant_id", p.merchant_id},
                          {"score", p.score},
                          {"support", CountJson(p.support)},
                          {"lift", p.lift},
                          {"reach", CountJson(p.reach)},
                          {"price", p.price}});
        }
        PrintJson({{"pairs", list}, {"precomputed", a.precomputed}});
        return Status::Ok();
      }
      std::printf("coupon pairs for %s %s (%s):\n", sku ? "SKU" : "merchant",
                  sku ? sku->c_str() : merchant->c_str(),
                  a.precomputed ? "precomputed" : "computed live");
      int rank = 0;
      for (const auto& p : a.pairs) {
        std::printf("%3d. buy %-12s -> coupon %-12s at %-16s score %.4f  lift %.3f  support %s  "
                    "reach %s  price %.2f\n",
                    ++rank, p.trigger_sku_id.c_str(), p.sku_id.c_str(), p.merchant_id.c_str(),
                    p.score, p.lift, CountText(p.support).c_str(), CountText(p.reach).c_str(),
                    p.price);
      }
      if (a.pairs.empty()) std::printf("  (none)\n");
      return Status::Ok();
    });
  });

  struct PairArgs {
    std::string merchant;
    std::string other;
  };
  auto pair = std::make_shared<PairArgs>();
  auto* ep = query->add_subcommand("explain-pair", "Score components of a merchant pair");
  auto* orp = query->add_subcommand("overlap-report",
                                    "Shared customers per segment (both must share overlaps)");
  for (auto* sub : {ep, orp}) {
    sub->add_option("--merchant", pair->merchant, "Your merchant id")->required();
    sub->add_option("--other", pair->other, "The other merchant id")->required();
  }
  ep->callback([args, run, pair] {
    run([args, pair](client::RpcClient& c) -> Status {
      PG_ASSIGN_OR_RETURN(PairExplanationView e, c.ExplainPair(pair->merchant, pair->other));
      if (args->json) {
        PrintJson({{"score", e.score},
                   {"components", ToJson(e.components)},
                   {"shared_segments", ToJson(e.shared_segments)},
                   {"shared_customers", CountJson(e.shared_customers)},
                   {"excluded_because", e.excluded_because}});
        return Status::Ok();
      }
      std::printf("%s and %s: score %.4f (%s), shared customers %s\n", pair->merchant.c_str(),
                  pair->other.c_str(), e.score, ComponentsText(e.components).c_str(),
                  CountText(e.shared_customers).c_str());
      PrintSegments(e.shared_segments, "  ");
      for (const auto& reason : e.excluded_because) {
        std::printf("  not recommended: %s\n", reason.c_str());
      }
      return Status::Ok();
    });
  });
  orp->callback([args, run, pair] {
    run([args, pair](client::RpcClient& c) -> Status {
      PG_ASSIGN_OR_RETURN(OverlapReportView r, c.OverlapReport(pair->merchant, pair->other));
      if (args->json) {
        PrintJson({{"segments", ToJson(r.segments)},
                   {"shared_customers", CountJson(r.shared_customers)},
                   {"k_min", r.k_min}});
        return Status::Ok();
      }
      std::printf("%s and %s: %s shared customers (counts below %d are suppressed)\n",
                  pair->merchant.c_str(), pair->other.c_str(),
                  CountText(r.shared_customers).c_str(), r.k_min);
      PrintSegments(r.segments, "  ");
      return Status::Ok();
    });
  });
}

}  // namespace partnergraph::cli
