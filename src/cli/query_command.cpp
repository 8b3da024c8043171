// `partnergraph query [--host H] [--port P] [--key KEY] [--protocol binary|compact] [--json]
//                    CALL [ARGS]`: one call to a running partnergraph-server, through RpcClient
// (server/rpc_client.hpp; this file sees no Thrift type). CALL is one of health, stats,
// get-merchant, list-merchants, recommend-partners, coupon-pairs, explain-pair, overlap-report,
// and the operator's attribution jobs: submit-attribution, job-status, job-result.
//
// Output: readable text, or with --json one JSON document. Exit codes: 0 answered; 1 usage;
// 2 the server answered with an error (its type and message on stderr); 3 the server could not
// be reached or the connection broke. How answers are printed is in query_output.cpp.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "commands.hpp"
#include "partnergraph/common/json_text.hpp"
#include "query_output.hpp"
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

using namespace query_output;  // NOLINT(google-build-using-namespace): its printers

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

  auto run = [args, &exit_code](const std::function<Status(client::RpcClient&)>& call) {
    exit_code = RunCall(*args, call);
  };

  query->add_subcommand("health", "Server status, version, model and the caller's role")
      ->callback([args, run] {
        run([args](client::RpcClient& c) -> Status {
          PG_ASSIGN_OR_RETURN(client::HealthInfo h, c.Health());
          if (args->json) {
            json j = {{"status", h.status},
                      {"version", h.version},
                      {"uptime_seconds", h.uptime_seconds},
                      {"model", h.model},
                      {"caller_role", h.caller_role}};
            if (h.event_sequence) j["event_sequence"] = *h.event_sequence;
            if (h.event_log_sequence) j["event_log_sequence"] = *h.event_log_sequence;
            if (h.model_event_sequence) j["model_event_sequence"] = *h.model_event_sequence;
            PrintJson(j);
          } else {
            std::printf("%s: partnergraph %s, up %llds, model %s, you are %s\n", h.status.c_str(),
                        h.version.c_str(), static_cast<long long>(h.uptime_seconds),
                        h.model.c_str(), h.caller_role.c_str());
            if (h.event_sequence && h.event_log_sequence) {
              std::printf("events: applied up to %lld of the log's %lld; the model includes up "
                          "to %lld\n",
                          static_cast<long long>(*h.event_sequence),
                          static_cast<long long>(*h.event_log_sequence),
                          static_cast<long long>(h.model_event_sequence.value_or(0)));
            }
          }
          return Status::Ok();
        });
      });

  query
      ->add_subcommand("reload-model",
                       "Swap to the model published again at the server's --model folder, "
                       "replaying the events past it (operator; docs/events.md)")
      ->callback([args, run] {
        run([args](client::RpcClient& c) -> Status {
          PG_ASSIGN_OR_RETURN(client::ReloadInfo r, c.ReloadModel());
          if (args->json) {
            PrintJson({{"model", r.model},
                       {"model_event_sequence", r.model_event_sequence},
                       {"events_replayed", r.events_replayed},
                       {"open_seconds", r.open_seconds},
                       {"swap_seconds", r.swap_seconds}});
          } else {
            std::printf("now serving %s: includes events up to %lld, %lld replayed; opened in "
                        "%.3f s, swapped in %.3f s\n",
                        r.model.c_str(), static_cast<long long>(r.model_event_sequence),
                        static_cast<long long>(r.events_replayed), r.open_seconds,
                        r.swap_seconds);
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
          std::printf("%-16s %s\n", name.c_str(), JsonText(value).c_str());
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
        PrintReach(m);
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
  // ---- Attribution jobs (operator) ----
  struct SubmitArgs {
    client::AttributionJobQuery query;
    std::string journeys;
    std::string data;
    int order = 1;
    double half_life_seconds = 0, half_life_touches = 0, first_share = 0, last_share = 0;
    int max_exact = 0;
    std::int64_t samples = 0, seed = 0, lookback_seconds = 0;
    bool wait = false;
  };
  auto submit = std::make_shared<SubmitArgs>();
  auto* sa = query->add_subcommand(
      "submit-attribution",
      "Queue a batch attribution job on the server (operator); prints its id (docs/serving.md)");
  auto* sa_journeys = sa->add_option("--journeys", submit->journeys,
                                     "Path file or binary journey file ON THE SERVER");
  auto* sa_data = sa->add_option("--data", submit->data, "Native dataset folder ON THE SERVER");
  sa_journeys->excludes(sa_data);
  sa->add_option("--model", submit->query.model,
                 "first-touch, last-touch, linear, time-decay, position-based, markov, shapley")
      ->required();
  auto* sa_order = sa->add_option("--order", submit->order, "Markov order 1..4 (default 1)");
  auto* sa_hls = sa->add_option("--half-life-seconds", submit->half_life_seconds,
                                "Time-decay half-life in seconds (native data)");
  auto* sa_hlt = sa->add_option("--half-life-touches", submit->half_life_touches,
                                "Time-decay half-life in touches");
  auto* sa_first = sa->add_option("--first-share", submit->first_share,
                                  "Position-based: share of the first touch");
  auto* sa_last = sa->add_option("--last-share", submit->last_share,
                                 "Position-based: share of the last touch");
  auto* sa_exact = sa->add_option("--max-exact-channels", submit->max_exact,
                                  "Shapley: exact up to this many channels");
  auto* sa_samples = sa->add_option("--shapley-samples", submit->samples,
                                    "Sampled Shapley: orderings");
  auto* sa_seed = sa->add_option("--seed", submit->seed, "Sampled Shapley: seed");
  auto* sa_lookback = sa->add_option("--lookback-seconds", submit->lookback_seconds,
                                     "Native data: touchpoint window before an order");
  sa->add_option("--channel", submit->query.known_channels,
                 "Accept only these channels (repeatable)");
  sa->add_flag("--wait", submit->wait, "Poll until the job has finished; print its status");
  sa->callback([args, run, submit, sa_journeys, sa_data, sa_order, sa_hls, sa_hlt, sa_first,
                sa_last, sa_exact, sa_samples, sa_seed, sa_lookback, &exit_code] {
    if (sa_journeys->count() + sa_data->count() != 1) {
      std::fprintf(stderr, "partnergraph query submit-attribution: give --journeys or --data\n");
      exit_code = kExitUsage;
      return;
    }
    client::AttributionJobQuery& q = submit->query;
    if (sa_journeys->count() > 0) q.journeys_path = submit->journeys;
    if (sa_data->count() > 0) q.data_dir = submit->data;
    if (sa_order->count() > 0) q.order = submit->order;
    if (sa_hls->count() > 0) q.half_life_seconds = submit->half_life_seconds;
    if (sa_hlt->count() > 0) q.half_life_touches = submit->half_life_touches;
    if (sa_first->count() > 0) q.position_first_share = submit->first_share;
    if (sa_last->count() > 0) q.position_last_share = submit->last_share;
    if (sa_exact->count() > 0) q.shapley_max_exact_channels = submit->max_exact;
    if (sa_samples->count() > 0) q.shapley_samples = submit->samples;
    if (sa_seed->count() > 0) q.shapley_seed = submit->seed;
    if (sa_lookback->count() > 0) q.lookback_seconds = submit->lookback_seconds;
    run([args, submit](client::RpcClient& c) -> Status {
      PG_ASSIGN_OR_RETURN(std::string id, c.SubmitAttributionJob(submit->query));
      if (!submit->wait) {
        if (args->json) {
          PrintJson({{"job_id", id}});
        } else {
          std::printf("%s\n", id.c_str());
        }
        return Status::Ok();
      }
      for (;;) {
        PG_ASSIGN_OR_RETURN(client::AttributionJobStatusInfo s, c.JobStatus(id));
        if (s.state == "succeeded" || s.state == "failed") {
          if (args->json) {
            PrintJson(ToJson(s));
          } else {
            PrintJobStatus(s);
          }
          return s.state == "failed" ? Status::InvalidArgument("job " + id + " failed")
                                     : Status::Ok();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    });
  });

  auto job_id = std::make_shared<std::string>();
  auto* js = query->add_subcommand("job-status", "State and progress of an attribution job (operator)");
  js->add_option("job,--job", *job_id, "Job id (from submit-attribution)")->required();
  js->callback([args, run, job_id] {
    run([args, job_id](client::RpcClient& c) -> Status {
      PG_ASSIGN_OR_RETURN(client::AttributionJobStatusInfo s, c.JobStatus(*job_id));
      if (args->json) {
        PrintJson(ToJson(s));
      } else {
        PrintJobStatus(s);
      }
      return Status::Ok();
    });
  });

  struct ResultArgs {
    std::string job;
    std::int64_t offset = 0;
    int page_size = 1000;
    bool all = false;
  };
  auto result = std::make_shared<ResultArgs>();
  auto* jr = query->add_subcommand(
      "job-result", "Credits of a succeeded attribution job, SKU credits a page at a time (operator)");
  jr->add_option("job,--job", result->job, "Job id (from submit-attribution)")->required();
  auto* jr_offset = jr->add_option("--offset", result->offset, "First SKU credit (next_offset of the previous page)");
  auto* jr_size = jr->add_option("--page-size", result->page_size, "SKU credits per page, 0..10000 (server default 1000)");
  jr->add_flag("--all", result->all, "Follow the pages to the end");
  jr->callback([args, run, result, jr_offset, jr_size] {
    run([args, result, jr_offset, jr_size](client::RpcClient& c) -> Status {
      std::optional<std::int64_t> offset;
      if (jr_offset->count() > 0) offset = result->offset;
      std::optional<int> size;
      if (jr_size->count() > 0) size = result->page_size;
      json sku_credits = json::array();
      client::AttributionJobResultPage first;
      bool have_first = false;
      std::optional<std::int64_t> next;
      for (;;) {
        PG_ASSIGN_OR_RETURN(client::AttributionJobResultPage page, c.JobResult(result->job, offset, size));
        if (!have_first) {
          first = page;
          have_first = true;
          if (!args->json) {
            std::printf("%s: %s%s, %.0f journeys, %.4f conversions, value %.2f, %.0f nulls\n",
                        page.job_id.c_str(), page.model.c_str(),
                        page.model == "markov" ? fmt::format(" order {}", page.order).c_str() : "",
                        page.journeys, page.conversions, page.value, page.nulls);
            PrintCredits("channel", page.channels);
            PrintCredits("partner", page.partners);
            for (const auto& t : page.markov_transitions) {
              std::printf("transition %-24s -> %-24s count %14.4f  probability %.6f\n",
                          t.from.c_str(), t.to.c_str(), t.count, t.probability);
            }
          }
        }
        for (const auto& s : page.sku_credits) {
          if (args->json) {
            json j = {{"sku_id", s.sku_id}, {"dimension", s.dimension}, {"key", s.key},
                      {"conversions", s.conversions}, {"value", s.value}};
            if (s.removal_effect) j["removal_effect"] = *s.removal_effect;
            sku_credits.push_back(j);
          } else {
            std::printf("sku %-16s %-8s %-24s conversions %12.4f  value %14.2f\n",
                        s.sku_id.c_str(), s.dimension.c_str(), s.key.c_str(), s.conversions,
                        s.value);
          }
        }
        next = page.next_offset;
        // (--page-size 0 reads no credit: following it would not advance.)
        if (!result->all || !next || page.sku_credits.empty()) break;
        offset = next;
      }
      if (args->json) {
        json out = {{"job_id", first.job_id},
                    {"model", first.model},
                    {"order", first.model == "markov" ? json(first.order) : json(nullptr)},
                    {"input", {{"journeys", first.journeys},
                               {"conversions", first.conversions},
                               {"value", first.value},
                               {"nulls", first.nulls}}},
                    {"channels", ToJson(first.channels)},
                    {"partners", ToJson(first.partners)},
                    {"sku_credits", sku_credits},
                    {"sku_credits_total", first.sku_credits_total},
                    {"next_offset", next ? json(*next) : json(nullptr)}};
        if (first.model == "markov") {
          // The shape of `partnergraph attribute --json`'s "markov.transitions".
          json transitions = json::array();
          for (const auto& t : first.markov_transitions) {
            transitions.push_back({{"from", t.from},
                                   {"to", t.to},
                                   {"count", t.count},
                                   {"probability", t.probability}});
          }
          out["markov"] = {{"transitions", std::move(transitions)}};
        }
        PrintJson(out);
      } else {
        std::printf(
            "%lld SKU credits in all%s%s\n", static_cast<long long>(first.sku_credits_total),
            next ? "; next page: --offset " : "", next ? fmt::format("{}", *next).c_str() : "");
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
