#include "partnergraph/evaluate/evaluator.hpp"

#include <fmt/format.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <tuple>
#include <utility>

#include "evaluation_sides.hpp"
#include "partnergraph/common/csv_reader.hpp"
#include "partnergraph/common/time.hpp"
#include "partnergraph/graph/graph_builder.hpp"

namespace partnergraph {

namespace evaluation {

std::vector<std::uint32_t> TopK(std::vector<Scored>& items, std::size_t k) {
  const std::size_t top = std::min(k, items.size());
  if (top < items.size()) {
    std::nth_element(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(top), items.end(),
                     Better);
  }
  std::sort(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(top), Better);
  std::vector<std::uint32_t> ids(top);
  for (std::size_t i = 0; i < top; ++i) ids[i] = items[i].id;
  return ids;
}

std::vector<bool> LongTailBySize(const std::vector<std::uint32_t>& size, double head_share) {
  const auto n = static_cast<std::uint32_t>(size.size());
  std::vector<std::uint32_t> order(n);
  for (std::uint32_t i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return size[a] != size[b] ? size[a] > size[b] : a < b;
  });
  const auto head = static_cast<std::uint32_t>(std::ceil(head_share * n));
  std::vector<bool> tail(n, true);
  for (std::uint32_t r = 0; r < std::min(head, n); ++r) tail[order[r]] = false;
  return tail;
}

std::string QueryContext(std::uint32_t query) { return fmt::format("query {}", query); }

}  // namespace evaluation

namespace {

using evaluation::EvaluationModel;

Status ValidateOptions(const EvaluationOptions& o) {
  PG_RETURN_IF_ERROR(Validate(o.model.recommend));
  if (o.list_length < 10 || o.list_length > o.model.recommend.max_k) {
    return Status::InvalidArgument(fmt::format("k: {} is out of range [10, {}] (recommend.max_k)",
                                               o.list_length, o.model.recommend.max_k));
  }
  GraphOptions g = o.graph;
  g.threads = o.threads;
  return g.Validate();
}

// Builds the graph of the training data and trains on it what the model build trains
// (TrainModel) and the Recommender; each stage timed into report->stages.
Result<EvaluationModel> Train(const Dataset& train, const EvaluationOptions& o,
                              EvaluationReport* report) {
  std::shared_ptr<const EcosystemGraph> graph;
  {
    StageTimer timer(&report->stages, "train graph");
    GraphOptions go = o.graph;
    go.threads = o.threads;
    go.show_progress = false;
    GraphBuilder builder(go);
    Status built = builder.Build(train);
    if (!built.ok()) return built.WithContext("train graph");
    auto frozen = builder.Freeze();
    if (!frozen.ok()) return frozen.status().WithContext("train graph");
    graph = std::move(frozen).value();
  }
  // The random_walk method scores with the walk embedding whatever the configuration
  // trains; the SKU embedding is trained for the coupon side only.
  ModelConfig config = o.model;
  config.model.train_walk_embedding = true;
  config.model.train_sku_embedding = o.evaluate_coupons;
  EvaluationModel model;
  PG_ASSIGN_OR_RETURN(model.parts, TrainModel(std::move(graph), config, &report->stages));
  StageTimer timer(&report->stages, "recommender");
  auto r = Recommender::Create(model.parts.recommend_model(), o.model.recommend);
  if (!r.ok()) return r.status().WithContext("recommender");
  model.recommender = std::move(r).value();
  return model;
}

}  // namespace

Result<TemporalSplit> SplitAtTimestamp(const Dataset& full, Timestamp split_ts) {
  if (full.orders.empty()) {
    return Status::InvalidArgument("the dataset has no order line: nothing to split");
  }
  TemporalSplit split;
  split.first_order_ts = full.orders.front().ts;
  split.last_order_ts = full.orders.front().ts;
  std::vector<std::uint8_t> side(full.order_ids.size(), 0);  // bit 0 train, bit 1 test
  for (const OrderLine& line : full.orders) {
    split.first_order_ts = std::min(split.first_order_ts, line.ts);
    split.last_order_ts = std::max(split.last_order_ts, line.ts);
    const bool train = line.ts < split_ts;
    (train ? split.train_order_lines : split.test_order_lines) += 1;
    if (line.order.value < side.size()) side[line.order.value] |= train ? 1 : 2;
  }
  if (split.train_order_lines == 0) {
    return Status::InvalidArgument(fmt::format(
        "split date {} is at or before the first order ({}): no order is left to train on",
        FormatTimestamp(split_ts), FormatTimestamp(split.first_order_ts)));
  }
  if (split.test_order_lines == 0) {
    return Status::InvalidArgument(
        fmt::format("split date {} is after the last order ({}): no order is left to test on",
                    FormatTimestamp(split_ts), FormatTimestamp(split.last_order_ts)));
  }
  for (std::uint8_t s : side) {
    split.train_orders += (s & 1) != 0;
    split.test_orders += (s & 2) != 0;
  }
  split.train = full;
  std::erase_if(split.train.orders, [&](const OrderLine& l) { return l.ts >= split_ts; });
  std::erase_if(split.train.consent, [&](const ConsentRecord& r) { return r.ts >= split_ts; });
  std::erase_if(split.train.engagement,
                [&](const EngagementEvent& e) { return e.ts >= split_ts; });
  std::erase_if(split.train.touchpoints, [&](const Touchpoint& t) { return t.ts >= split_ts; });
  return split;
}

std::vector<std::vector<MerchantId>> GainedPartners(const Dataset& dataset, Timestamp split_ts) {
  // One entry per (customer, merchant): whether it has a training line.
  struct Visit {
    std::uint32_t customer;
    std::uint32_t merchant;
    bool train;
  };
  std::vector<Visit> visits;
  visits.reserve(dataset.orders.size());
  for (const OrderLine& l : dataset.orders) {
    visits.push_back({l.customer.value, l.merchant.value, l.ts < split_ts});
  }
  std::sort(visits.begin(), visits.end(), [](const Visit& a, const Visit& b) {
    if (a.customer != b.customer) return a.customer < b.customer;
    if (a.merchant != b.merchant) return a.merchant < b.merchant;
    return a.train > b.train;  // the training visit first, kept by unique
  });
  visits.erase(std::unique(visits.begin(), visits.end(),
                           [](const Visit& a, const Visit& b) {
                             return a.customer == b.customer && a.merchant == b.merchant;
                           }),
               visits.end());
  std::vector<std::vector<MerchantId>> gained(dataset.merchants.size());
  for (std::size_t i = 0; i < visits.size();) {
    std::size_t j = i;
    while (j < visits.size() && visits[j].customer == visits[i].customer) ++j;
    // A pair gains this customer unless both merchants were visited in training.
    for (std::size_t a = i; a < j; ++a) {
      if (visits[a].train) continue;
      for (std::size_t b = i; b < j; ++b) {
        if (b == a) continue;
        gained[visits[a].merchant].push_back(MerchantId(visits[b].merchant));
        gained[visits[b].merchant].push_back(MerchantId(visits[a].merchant));
      }
    }
    i = j;
  }
  for (auto& list : gained) {
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
  }
  return gained;
}

Result<PlantedPartners> LoadPlantedPartners(const std::filesystem::path& path,
                                            const Dataset& dataset) {
  PG_ASSIGN_OR_RETURN(CsvReader reader, CsvReader::Open(path));
  const std::string file = path.filename().string();
  auto merchant_col = reader.Column("merchant_id");
  auto partner_col = reader.Column("partner_id");
  auto rank_col = reader.Column("rank");
  for (auto [name, col] : {std::pair{"merchant_id", merchant_col},
                           {"partner_id", partner_col},
                           {"rank", rank_col}}) {
    if (!col) {
      return Status::InvalidArgument(fmt::format("{}: required column {} is missing", file, name));
    }
  }
  struct Row {
    std::uint32_t merchant, partner;
    std::uint64_t rank;
    std::size_t line;
  };
  std::vector<Row> rows;
  Status error;
  reader.ForEach([&](const CsvRecord& rec) {
    if (!error.ok()) return;
    const std::string where = fmt::format("{}:{}: ", file, rec.line);
    if (!rec.error.empty()) {
      error = Status::InvalidArgument(fmt::format("{}{}", where, rec.error));
      return;
    }
    Row row{0, 0, 0, rec.line};
    for (auto [col, name, out] :
         {std::tuple{*merchant_col, "merchant_id", &row.merchant},
          std::tuple{*partner_col, "partner_id", &row.partner}}) {
      std::string_view id = rec.fields[col];
      *out = dataset.merchant_ids.Find(id);
      if (*out == Dictionary::kNotFound) {
        error = Status::InvalidArgument(
            fmt::format("{}column {}: unknown merchant \"{}\"", where, name, id));
        return;
      }
    }
    std::string_view rank = rec.fields[*rank_col];
    std::uint64_t value = 0;
    bool digits = !rank.empty() && rank.size() <= 9;
    for (char ch : rank) {
      digits = digits && ch >= '0' && ch <= '9';
      if (digits) value = value * 10 + static_cast<std::uint64_t>(ch - '0');
    }
    if (!digits || value == 0) {
      error = Status::InvalidArgument(
          fmt::format("{}column rank: \"{}\" is not a positive integer", where, rank));
      return;
    }
    row.rank = value;
    rows.push_back(row);
  });
  PG_RETURN_IF_ERROR(error);
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.merchant != b.merchant ? a.merchant < b.merchant : a.rank < b.rank;
  });
  PlantedPartners planted;
  planted.partners.resize(dataset.merchants.size());
  for (const Row& r : rows) planted.partners[r.merchant].push_back(MerchantId(r.partner));
  return planted;
}

Result<EvaluationReport> Evaluate(const Dataset& dataset, const PlantedPartners* planted,
                                  const EvaluationOptions& options) {
  PG_RETURN_IF_ERROR(ValidateOptions(options));
  if (planted != nullptr && planted->partners.size() != dataset.merchants.size()) {
    return Status::InvalidArgument(
        fmt::format("planted ground truth has {} merchants but the dataset has {}",
                    planted->partners.size(), dataset.merchants.size()));
  }
  const int threads = options.threads == 0 ? tbb::this_task_arena::max_concurrency()
                                           : static_cast<int>(options.threads);
  tbb::task_arena arena(threads);
  Result<EvaluationReport> result = Status::Internal("evaluation did not run");
  arena.execute([&] {
    result = [&]() -> Result<EvaluationReport> {
      EvaluationReport report;
      report.split_ts = options.split_ts;
      report.list_length = options.list_length;
      report.audience = options.audience;
      report.merchants = static_cast<std::uint32_t>(dataset.merchants.size());
      EvaluationModel trained;
      {
        Result<TemporalSplit> split = Status::Internal("not split");
        {
          StageTimer timer(&report.stages, "split");
          split = SplitAtTimestamp(dataset, options.split_ts);
        }
        if (!split.ok()) return split.status();
        report.train_order_lines = split->train_order_lines;
        report.test_order_lines = split->test_order_lines;
        report.train_orders = split->train_orders;
        report.test_orders = split->test_orders;
        PG_ASSIGN_OR_RETURN(trained, Train(split->train, options, &report));
      }  // the training Dataset is released here
      PG_RETURN_IF_ERROR(
          evaluation::EvaluatePartnerSide(dataset, planted, trained, options, &report));
      if (options.evaluate_coupons) {
        PG_RETURN_IF_ERROR(evaluation::EvaluateCouponSide(dataset, trained, options, &report));
      }
      return report;
    }();
  });
  return result;
}

}  // namespace partnergraph
