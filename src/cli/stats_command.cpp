// `partnergraph stats MODEL_DIR`: loads MODEL_DIR/graph.pgg (or a .pgg file
// given directly) and prints nodes and edges by type, the degree distribution
// of merchants, the top merchants and the memory by structure.
// Exit 0 ok, 1 usage error, 2 when the graph cannot be loaded (the reason on stderr).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "partnergraph/common/json_text.hpp"
#include "partnergraph/graph/graph_io.hpp"

namespace partnergraph::cli {
namespace {

struct StatsArgs {
  std::string model;
  bool json = false;
  std::size_t top = 10;
};

struct Distribution {
  std::uint64_t min = 0, median = 0, p90 = 0, p99 = 0, max = 0;
};

// Nearest-rank percentiles of `values` (sorted in place).
Distribution Summarize(std::vector<std::uint64_t> values) {
  Distribution d;
  if (values.empty()) return d;
  std::sort(values.begin(), values.end());
  auto rank = [&values](double p) {
    auto i = static_cast<std::size_t>(std::ceil(p * static_cast<double>(values.size())));
    return values[std::clamp<std::size_t>(i, 1, values.size()) - 1];
  };
  d.min = values.front();
  d.median = rank(0.5);
  d.p90 = rank(0.9);
  d.p99 = rank(0.99);
  d.max = values.back();
  return d;
}

nlohmann::json ToJson(const Distribution& d) {
  return {{"min", d.min}, {"median", d.median}, {"p90", d.p90}, {"p99", d.p99}, {"max", d.max}};
}

std::string FormatBytes(std::size_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024.0 && unit < 4) {
    value /= 1024.0;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f} {}", value, units[unit])
                   : fmt::format("{:.2f} {}", value, units[unit]);
}

std::string Hex(std::uint64_t v) { return fmt::format("{:016x}", v); }

int RunStats(const StatsArgs& args) {
  std::filesystem::path path = args.model;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) path /= kGraphFileName;
  auto loaded = LoadGraph(path);
  if (!loaded.ok()) {
    std::fprintf(stderr, "partnergraph stats: %s\n", loaded.status().ToString().c_str());
    return kExitBadInput;
  }
  const EcosystemGraph& g = **loaded;

  std::vector<std::uint64_t> customers, skus;
  std::vector<MerchantId> merchants;
  for (std::uint32_t i = 0; i < g.merchant_count(); ++i) {
    customers.push_back(g.MerchantStatsOf(MerchantId(i)).customers);
    skus.push_back(g.SkusOf(MerchantId(i)).size());
    merchants.push_back(MerchantId(i));
  }
  const Distribution customer_dist = Summarize(customers);
  const Distribution sku_dist = Summarize(skus);
  auto top_by = [&](auto key) {
    std::vector<MerchantId> top = merchants;
    std::size_t n = std::min(args.top, top.size());
    std::partial_sort(top.begin(), top.begin() + static_cast<std::ptrdiff_t>(n), top.end(),
                      [&](MerchantId a, MerchantId b) {
                        auto ka = key(a), kb = key(b);
                        return ka != kb ? ka > kb : a < b;
                      });
    top.resize(n);
    return top;
  };
  auto top_customers = top_by([&g](MerchantId m) { return double(g.MerchantStatsOf(m).customers); });
  auto top_revenue = top_by([&g](MerchantId m) { return g.MerchantStatsOf(m).revenue; });

  if (args.json) {
    nlohmann::json nodes = nlohmann::json::object(), edges = nlohmann::json::object();
    for (int t = 0; t < kNodeTypeCount; ++t) {
      nodes[std::string(ToString(static_cast<NodeType>(t)))] = g.NodeCount(static_cast<NodeType>(t));
    }
    for (int k = 0; k < kEdgeKindCount; ++k) {
      edges[std::string(ToString(static_cast<EdgeKind>(k)))] = g.EdgeCount(static_cast<EdgeKind>(k));
    }
    auto top_json = [&g](const std::vector<MerchantId>& top) {
      nlohmann::json out = nlohmann::json::array();
      for (MerchantId m : top) {
        auto info = g.Merchant(m);
        auto st = g.MerchantStatsOf(m);
        out.push_back({{"merchant_id", info.external_id},
                       {"name", info.name},
                       {"category", info.category_name},
                       {"customers", st.customers},
                       {"revenue", st.revenue},
                       {"orders", st.orders}});
      }
      return out;
    };
    nlohmann::json memory = nlohmann::json::array();
    for (const auto& item : g.MemoryBreakdown()) {
      memory.push_back({{"structure", item.structure}, {"bytes", item.bytes}});
    }
    nlohmann::json out = {
        {"graph", path.string()},
        {"fingerprint", Hex(g.Fingerprint())},
        {"nodes", nodes},
        {"edges", edges},
        {"edges_total", g.edge_count()},
        {"regions", g.region_count()},
        {"active_customers", g.active_customer_count()},
        {"merchant_customers", ToJson(customer_dist)},
        {"merchant_skus", ToJson(sku_dist)},
        {"top_by_customers", top_json(top_customers)},
        {"top_by_revenue", top_json(top_revenue)},
        {"memory", memory},
        {"memory_bytes", g.MemoryBytes()},
    };
    std::cout << JsonText(out, 2) << '\n';
    return kExitOk;
  }

  std::printf("graph %s (fingerprint %s)\n", path.c_str(), Hex(g.Fingerprint()).c_str());
  std::printf("\nnodes\n");
  for (int t = 0; t < kNodeTypeCount; ++t) {
    auto type = static_cast<NodeType>(t);
    std::printf("  %-22s %14u\n", std::string(ToString(type)).c_str(), g.NodeCount(type));
  }
  std::printf("  %-22s %14u\n", "(regions)", g.region_count());
  std::printf("  %-22s %14u\n", "(active customers)", g.active_customer_count());
  std::printf("\nedges\n");
  for (int k = 0; k < kEdgeKindCount; ++k) {
    auto kind = static_cast<EdgeKind>(k);
    std::printf("  %-22s %14llu   %s -> %s\n", std::string(ToString(kind)).c_str(),
                static_cast<unsigned long long>(g.EdgeCount(kind)),
                std::string(ToString(SourceType(kind))).c_str(),
                std::string(ToString(TargetType(kind))).c_str());
  }
  std::printf("  %-22s %14llu\n", "total", static_cast<unsigned long long>(g.edge_count()));
  std::printf("\nper merchant             min     median        p90        p99        max\n");
  auto dist_row = [](const char* what, const Distribution& d) {
    std::printf("  %-18s %8llu %10llu %10llu %10llu %10llu\n", what,
                static_cast<unsigned long long>(d.min), static_cast<unsigned long long>(d.median),
                static_cast<unsigned long long>(d.p90), static_cast<unsigned long long>(d.p99),
                static_cast<unsigned long long>(d.max));
  };
  dist_row("customers", customer_dist);
  dist_row("SKUs", sku_dist);
  auto top_rows = [&g](const char* title, const std::vector<MerchantId>& top) {
    std::printf("\n%s\n", title);
    for (MerchantId m : top) {
      auto info = g.Merchant(m);
      auto st = g.MerchantStatsOf(m);
      std::printf("  %-16s %-28s %10u customers %14.2f revenue\n",
                  std::string(info.external_id).c_str(), std::string(info.name).c_str(),
                  st.customers, st.revenue);
    }
  };
  top_rows("top merchants by customers", top_customers);
  top_rows("top merchants by revenue", top_revenue);
  std::printf("\nmemory by structure\n");
  for (const auto& item : g.MemoryBreakdown()) {
    std::printf("  %-30s %14s\n", item.structure.c_str(), FormatBytes(item.bytes).c_str());
  }
  std::printf("  %-30s %14s\n", "total", FormatBytes(g.MemoryBytes()).c_str());
  return kExitOk;
}

}  // namespace

void AddStatsCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<StatsArgs>();
  auto* cmd = app.add_subcommand(
      "stats",
      "Print the graph of MODEL_DIR: nodes and edges by type, merchant degree distribution, "
      "top merchants, memory by structure. Exit 2 if the graph cannot be loaded");
  cmd->add_option("MODEL_DIR", args->model, "Model folder (or its graph.pgg file)")->required();
  cmd->add_option("--top", args->top, "How many top merchants to list")->capture_default_str();
  cmd->add_flag("--json", args->json, "Print as JSON on stdout");
  cmd->callback([args, &exit_code] { exit_code = RunStats(*args); });
}

}  // namespace partnergraph::cli
