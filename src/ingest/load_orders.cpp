// orders.csv: the big table, parsed in parallel.
//
// A oneTBB pipeline runs over the CsvReader chunks:
//   1. parse (parallel): split and check each line against read-only lookups
//      (merchants, SKUs, customers.csv); strings that will need new ids
//      (customers created from orders, channels, devices, regions) are
//      numbered locally per chunk in first-seen order. The lookups of 64
//      lines are made together (Dictionary::FindBatch) before the lines are
//      checked one by one: at 1M merchants the tables are far larger than the
//      cache and the lookups' memory misses were most of the load's time;
//   2. intern order ids (serial, in file order) into Dataset::order_ids,
//      prefetching the slots of the ids a few lines ahead;
//   3. merge (serial, in file order): the checks that span chunks (an order id
//      used with two customers, the same SKU twice in an order), local numbers
//      to global ids, rows appended to Dataset::orders.
// Stages 2 and 3 of different chunks run at the same time; each stage writes
// only what the other stages running beside it do not read. The result is the
// same as a single-threaded pass, whatever the thread count or chunk size:
// every id is given in the order the lines are accepted (a line that starts a
// new order is never rejected by stage 3, so stage 2 interns no id for
// nothing).
#include <fmt/format.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <deque>
#include <memory>

#include "load_context.hpp"
#include "partnergraph/common/huge_pages.hpp"

namespace partnergraph::ingest_internal {
namespace {

constexpr std::uint32_t kNone = 0xFFFFFFFFu;

// Dense local numbers for the distinct strings of one chunk, in first-seen
// order. Few distinct values (channels, devices) are found by a linear scan,
// which beats hashing; past kLinearLimit values a hash index takes over.
class LocalIds {
 public:
  std::uint32_t Add(std::string_view s) {
    if (index_.empty()) {
      for (std::size_t i = 0; i < names_.size(); ++i) {
        if (names_[i] == s) return static_cast<std::uint32_t>(i);
      }
      if (names_.size() < kLinearLimit) {
        names_.push_back(s);
        return static_cast<std::uint32_t>(names_.size() - 1);
      }
      for (std::size_t i = 0; i < names_.size(); ++i) {
        index_.emplace(names_[i], static_cast<std::uint32_t>(i));
      }
    }
    auto [it, inserted] = index_.try_emplace(s, static_cast<std::uint32_t>(names_.size()));
    if (inserted) names_.push_back(s);
    return it->second;
  }
  std::size_t size() const { return names_.size(); }
  std::string_view Name(std::uint32_t id) const { return names_[id]; }

 private:
  static constexpr std::size_t kLinearLimit = 16;
  std::unordered_map<std::string_view, std::uint32_t> index_;
  std::vector<std::string_view> names_;
};

struct ParsedLine {
  std::string_view raw;
  std::string_view order_id;       // interned by the merge
  std::size_t line = 0;
  Timestamp ts = 0;
  double unit_price = 0.0;
  std::uint32_t customer = kNone;  // global with customers.csv, else local
  std::uint32_t sku = kNone;       // global
  std::uint32_t merchant = kNone;  // global: the SKU's merchant
  std::uint32_t quantity = 0;
  std::uint32_t channel = kNone;   // local
  std::uint32_t device = kNone;    // local
  std::uint32_t region = kNone;    // local
  std::uint32_t order = kNone;     // global, set by stage 2
  bool new_order = false;          // set by stage 2: first line of its order in the file
};

struct ChunkOutput {
  std::size_t chunk = 0;  // index in the reader
  std::vector<ParsedLine> lines;
  std::vector<LoadError> errors;
  std::size_t rows_read = 0;
  LocalIds customers;
  LocalIds channels;
  LocalIds devices;
  LocalIds regions;
  // Copies of values that live in the reader's per-callback scratch memory.
  std::deque<std::string> owned;

  // A view of `value` that outlives the callback.
  std::string_view Keep(std::string_view value, std::string_view raw) {
    if (value.data() >= raw.data() && value.data() + value.size() <= raw.data() + raw.size()) {
      return value;
    }
    return owned.emplace_back(value);
  }
};

struct OrderColumns {
  std::size_t order = 0;
  std::size_t customer = 0;
  std::size_t merchant = 0;
  std::size_t sku = 0;
  std::size_t ts = 0;
  std::size_t quantity = 0;
  std::size_t price = 0;
  std::optional<std::size_t> channel;
  std::optional<std::size_t> device;
  std::optional<std::size_t> region;
};

// The ids a line's checks look up, found in batches (kNotFound when absent).
struct LineLookups {
  std::uint32_t customer = Dictionary::kNotFound;  // only with customers.csv
  std::uint32_t merchant = Dictionary::kNotFound;
  std::uint32_t sku = Dictionary::kNotFound;
};

void ParseOrderLine(const CsvReader& reader, const CsvRecord& record, const OrderColumns& c,
                    const LoadContext& ctx, const LineLookups& found, ChunkOutput& out) {
  ++out.rows_read;
  auto reject = [&](std::string_view column, std::string reason) {
    out.errors.push_back(RowError(reader, record, column, std::move(reason)));
  };
  if (!record.error.empty()) return reject("", std::string(record.error));
  const Dataset& ds = ctx.dataset;
  const auto& f = record.fields;
  ParsedLine line;
  line.raw = record.raw;
  line.line = record.line;

  const std::string_view order_id = f[c.order];
  if (order_id.empty()) return reject("order_id", std::string(kEmptyReason));
  const std::string_view customer_id = f[c.customer];
  if (customer_id.empty()) return reject("customer_id", std::string(kEmptyReason));
  if (ctx.has_customer_file) {
    line.customer = found.customer;
    if (line.customer == Dictionary::kNotFound) {
      return reject("customer_id", UnresolvedReason("customer", customer_id, ctx.customers));
    }
  }
  const std::string_view merchant_id = f[c.merchant];
  const std::string_view sku_id = f[c.sku];
  // Fast path: the SKU exists and belongs to the merchant named, so both exist.
  line.sku = sku_id.empty() ? kNone : found.sku;
  if (line.sku == kNone || found.merchant == Dictionary::kNotFound ||
      ds.skus[line.sku].merchant.value != found.merchant) {
    if (merchant_id.empty()) return reject("merchant_id", std::string(kEmptyReason));
    const std::uint32_t merchant = ds.merchant_ids.Find(merchant_id);
    if (merchant == Dictionary::kNotFound) {
      return reject("merchant_id", UnresolvedReason("merchant", merchant_id, ctx.merchants));
    }
    if (sku_id.empty()) return reject("sku_id", std::string(kEmptyReason));
    if (line.sku == kNone) return reject("sku_id", UnresolvedReason("sku", sku_id, ctx.skus));
    const MerchantId owner = ds.skus[line.sku].merchant;
    return reject("merchant_id", "sku " + Quote(sku_id) + " belongs to merchant " +
                                     Quote(ds.merchant_ids.Name(owner.value)) + ", not " +
                                     Quote(merchant_id));
  }
  const std::string_view ts_text = f[c.ts];
  if (ts_text.empty()) return reject("ts", std::string(kEmptyReason));
  const std::optional<Timestamp> ts = ParseTimestamp(ts_text);
  if (!ts) return reject("ts", NotATimestamp(ts_text));
  line.ts = *ts;
  const std::string_view quantity_text = f[c.quantity];
  if (quantity_text.empty()) return reject("quantity", std::string(kEmptyReason));
  const std::optional<std::uint32_t> quantity = ParseUnsigned(quantity_text);
  if (!quantity || *quantity == 0) {
    return reject("quantity", Quote(quantity_text) + " is not a positive integer");
  }
  line.quantity = *quantity;
  const std::string_view price_text = f[c.price];
  if (price_text.empty()) return reject("price", std::string(kEmptyReason));
  const std::optional<double> price = ParseNumber(price_text);
  if (!price) return reject("price", NotANumber(price_text));
  if (*price < 0) return reject("price", Negative(price_text));
  line.unit_price = *price;
  line.merchant = found.merchant;

  line.order_id = out.Keep(order_id, record.raw);
  if (!ctx.has_customer_file) line.customer = out.customers.Add(out.Keep(customer_id, record.raw));
  auto optional_value = [&](const std::optional<std::size_t>& column, LocalIds& ids) {
    if (!column || f[*column].empty()) return kNone;
    return ids.Add(out.Keep(f[*column], record.raw));
  };
  line.channel = optional_value(c.channel, out.channels);
  line.device = optional_value(c.device, out.devices);
  line.region = optional_value(c.region, out.regions);
  out.lines.push_back(line);
}

// Holds up to kSize records of a chunk so that their lookups can be batched.
// The held fields stay valid after the reader's callback: a field that lies
// in the record's raw text points into the chunk, any other is copied.
class HeldRecords {
 public:
  static constexpr std::size_t kSize = 64;

  HeldRecords(const OrderColumns& c, bool has_customer_file)
      : columns_(c), has_customer_file_(has_customer_file) {}

  bool full() const { return records_.size() == kSize; }

  void Hold(const CsvRecord& record, ChunkOutput& out) {
    Held held;
    held.line = record.line;
    held.raw = record.raw;
    if (!record.error.empty()) held.error = out.owned.emplace_back(record.error);
    held.first_field = fields_.size();
    held.field_count = record.fields.size();
    for (std::string_view field : record.fields) fields_.push_back(out.Keep(field, record.raw));
    records_.push_back(held);
  }

  // Looks up the held records' ids, checks each (ParseOrderLine) and empties.
  void Flush(const CsvReader& reader, const LoadContext& ctx, ChunkOutput& out) {
    const Dataset& ds = ctx.dataset;
    const std::size_t n = records_.size();
    customers_.clear();
    merchants_.clear();
    skus_.clear();
    for (const Held& held : records_) {
      customers_.push_back(Field(held, columns_.customer));
      merchants_.push_back(Field(held, columns_.merchant));
      skus_.push_back(Field(held, columns_.sku));
    }
    found_.assign(n, LineLookups{});
    ids_.resize(n);
    ds.sku_ids.FindBatch(skus_, ids_);
    for (std::size_t i = 0; i < n; ++i) {
      found_[i].sku = ids_[i];
      if (ids_[i] != Dictionary::kNotFound) __builtin_prefetch(&ds.skus[ids_[i]]);
    }
    ds.merchant_ids.FindBatch(merchants_, ids_);
    for (std::size_t i = 0; i < n; ++i) found_[i].merchant = ids_[i];
    if (has_customer_file_) {
      ds.customer_ids.FindBatch(customers_, ids_);
      for (std::size_t i = 0; i < n; ++i) found_[i].customer = ids_[i];
    }
    for (std::size_t i = 0; i < n; ++i) {
      const Held& held = records_[i];
      CsvRecord record;
      record.line = held.line;
      record.fields = std::span<const std::string_view>(fields_.data() + held.first_field,
                                                        held.field_count);
      record.error = held.error;
      record.raw = held.raw;
      ParseOrderLine(reader, record, columns_, ctx, found_[i], out);
    }
    records_.clear();
    fields_.clear();
  }

 private:
  struct Held {
    std::size_t line = 0;
    std::string_view raw;
    std::string_view error;
    std::size_t first_field = 0;
    std::size_t field_count = 0;
  };
  std::string_view Field(const Held& held, std::size_t column) const {
    return column < held.field_count ? fields_[held.first_field + column] : std::string_view();
  }

  const OrderColumns& columns_;
  bool has_customer_file_;
  std::vector<Held> records_;
  std::vector<std::string_view> fields_;
  std::vector<std::string_view> customers_;
  std::vector<std::string_view> merchants_;
  std::vector<std::string_view> skus_;
  std::vector<std::uint32_t> ids_;
  std::vector<LineLookups> found_;
};

// Maps a chunk's local numbers to global Dictionary ids on first use.
class LocalToGlobal {
 public:
  LocalToGlobal(const LocalIds& local, Dictionary& global)
      : local_(local), global_(global), map_(local.size(), kNone) {}
  // The global id of local `id` (kNone stays kNone), adding the string if new.
  std::uint32_t Get(std::uint32_t id) {
    if (id == kNone) return kNone;
    std::uint32_t& g = map_[id];
    if (g == kNone) g = global_.Add(local_.Name(id));
    return g;
  }
  // The global id of local `id` if the string is already known, else kNone.
  std::uint32_t Peek(std::uint32_t id) {
    std::uint32_t& g = map_[id];
    if (g == kNone) g = global_.Find(local_.Name(id));
    return g;
  }

 private:
  const LocalIds& local_;
  Dictionary& global_;
  std::vector<std::uint32_t> map_;
};

// Cross-chunk state of the merge. The lines of an order form a chain (newest
// first) through `previous_of_order`; an order with more than kChainLimit lines
// also gets its (order, sku) pairs in `big_order_skus`, so that the duplicate
// check stays O(1) for huge orders.
struct OrderMerge {
  static constexpr std::uint32_t kChainLimit = 16;
  std::vector<std::uint32_t> first_line;         // per order: its first line in dataset.orders
  std::vector<std::uint32_t> last_line;          // per order: its last line in dataset.orders
  std::vector<std::uint32_t> line_count;         // per order
  std::vector<std::uint32_t> previous_of_order;  // per line: previous line of its order, or kNone
  std::vector<std::size_t> file_lines;           // per line: its line in the file
  std::unordered_map<std::uint64_t, std::size_t> big_order_skus;  // (order, sku) -> file line

  static std::uint64_t Key(std::uint32_t order, std::uint32_t sku) {
    return (std::uint64_t{order} << 32) | sku;
  }
  // The file line of an earlier line of `order` with `sku`, or 0.
  std::size_t FindSku(const Dataset& ds, std::uint32_t order, std::uint32_t sku) const {
    if (line_count[order] > kChainLimit) {
      auto it = big_order_skus.find(Key(order, sku));
      return it == big_order_skus.end() ? 0 : it->second;
    }
    for (std::uint32_t i = last_line[order]; i != kNone; i = previous_of_order[i]) {
      if (ds.orders[i].sku.value == sku) return file_lines[i];
    }
    return 0;
  }
  // Records line `index` (just appended to dataset.orders) of `order`.
  void AddLine(const Dataset& ds, std::uint32_t order, bool new_order, std::uint32_t index,
               std::size_t file_line) {
    file_lines.push_back(file_line);
    if (new_order) {
      first_line.push_back(index);
      last_line.push_back(index);
      line_count.push_back(1);
      previous_of_order.push_back(kNone);
      return;
    }
    previous_of_order.push_back(last_line[order]);
    last_line[order] = index;
    const std::uint32_t count = ++line_count[order];
    if (count == kChainLimit + 1) {
      for (std::uint32_t i = index; i != kNone; i = previous_of_order[i]) {
        big_order_skus.emplace(Key(order, ds.orders[i].sku.value), file_lines[i]);
      }
    } else if (count > kChainLimit + 1) {
      big_order_skus.emplace(Key(order, ds.orders[index].sku.value), file_line);
    }
  }
};

// Stage 2: gives every line its order id. Lines of one order usually follow each
// other, so the lookup is skipped when the id repeats.
void InternOrderIds(ChunkOutput& chunk, Dictionary& order_ids) {
  constexpr std::size_t kAhead = 8;
  std::string_view previous_id;
  std::uint32_t previous = kNone;
  std::vector<ParsedLine>& lines = chunk.lines;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i + kAhead < lines.size() &&
        lines[i + kAhead].order_id != lines[i + kAhead - 1].order_id) {
      order_ids.Prefetch(lines[i + kAhead].order_id);
    }
    ParsedLine& line = lines[i];
    if (previous != kNone && line.order_id == previous_id) {
      line.order = previous;
      continue;
    }
    const std::size_t before = order_ids.size();
    line.order = order_ids.Add(line.order_id);
    line.new_order = line.order == before;
    previous_id = line.order_id;
    previous = line.order;
  }
}

// Stage 3. Does not read Dataset::order_ids (stage 2 may be adding to it).
void MergeChunk(const CsvReader& reader, ChunkOutput& chunk, LoadContext& ctx, OrderMerge& merge,
                TableCounts& counts) {
  Dataset& ds = ctx.dataset;
  LocalToGlobal customers(chunk.customers, ds.customer_ids);
  LocalToGlobal channels(chunk.channels, ds.order_channels);
  LocalToGlobal devices(chunk.devices, ds.devices);
  LocalToGlobal regions(chunk.regions, ds.regions);
  std::vector<LoadError> errors;
  auto reject = [&](const ParsedLine& line, std::string_view column, std::string reason) {
    errors.push_back({reader.display_name(), line.line, std::string(column), std::move(reason),
                      std::string(line.raw)});
  };
  for (const ParsedLine& line : chunk.lines) {
    const std::uint32_t order = line.order;
    const bool new_order = line.new_order;
    if (!new_order) {
      const std::uint32_t first_index = merge.first_line[order];
      const CustomerId order_customer = ds.orders[first_index].customer;
      const std::uint32_t customer =
          ctx.has_customer_file ? line.customer : customers.Peek(line.customer);
      if (customer != order_customer.value) {
        const std::string_view name = ctx.has_customer_file ? ds.customer_ids.Name(line.customer)
                                                            : chunk.customers.Name(line.customer);
        reject(line, "customer_id",
               fmt::format("order {} belongs to customer {} (line {}), not {}",
                           Quote(line.order_id), Quote(ds.customer_ids.Name(order_customer.value)),
                           merge.file_lines[first_index], Quote(name)));
        continue;
      }
      if (const std::size_t earlier = merge.FindSku(ds, order, line.sku)) {
        reject(line, "sku_id",
               fmt::format("order {} already has a line for sku {} (line {})", Quote(line.order_id),
                           Quote(ds.sku_ids.Name(line.sku)), earlier));
        continue;
      }
    }
    OrderLine out;
    out.order = OrderId(order);
    if (ctx.has_customer_file) {
      out.customer = CustomerId(line.customer);
    } else {
      const std::size_t customers_before = ds.customer_ids.size();
      out.customer = CustomerId(customers.Get(line.customer));
      if (out.customer.value == customers_before) ds.customers.push_back(Customer{});
    }
    out.sku = SkuId(line.sku);
    out.merchant = MerchantId(line.merchant);
    out.ts = line.ts;
    out.quantity = line.quantity;
    out.unit_price = line.unit_price;
    out.channel = channels.Get(line.channel);
    out.device = devices.Get(line.device);
    const std::uint32_t region = regions.Get(line.region);
    if (region != kNone) out.region = RegionId(region);
    const auto index = static_cast<std::uint32_t>(ds.orders.size());
    ds.orders.push_back(out);
    merge.AddLine(ds, order, new_order, index, line.line);
    ++counts.loaded;
  }
  counts.read += chunk.rows_read;
  // Parse errors and merge errors of the chunk, in line order.
  errors.insert(errors.end(), std::make_move_iterator(chunk.errors.begin()),
                std::make_move_iterator(chunk.errors.end()));
  std::stable_sort(errors.begin(), errors.end(),
                   [](const LoadError& a, const LoadError& b) { return a.line < b.line; });
  for (LoadError& e : errors) ctx.errors.Add(std::move(e));
}

}  // namespace

Status LoadOrders(const CsvReader& reader, LoadContext& ctx, TableCounts& counts) {
  ColumnMap columns(reader);
  OrderColumns c;
  c.order = columns.Required("order_id");
  c.customer = columns.Required("customer_id");
  c.merchant = columns.Required("merchant_id");
  c.sku = columns.Required("sku_id");
  c.ts = columns.Required("ts");
  c.quantity = columns.Required("quantity");
  c.price = columns.Required("price");
  c.channel = columns.Optional("channel");
  c.device = columns.Optional("device");
  c.region = columns.Optional("region");
  PG_RETURN_IF_ERROR(CheckColumns(columns, reader, ctx));

  const std::size_t chunk_count = reader.chunk_count();
  std::size_t max_lines = 0;
  for (std::size_t i = 0; i < chunk_count; ++i) max_lines += reader.chunk_max_records(i);
  Dataset& ds = ctx.dataset;
  ds.order_ids.Reserve(max_lines);
  OrderMerge merge;
  auto reserve = [](auto& vec, std::size_t n) {
    vec.reserve(n);
    AdviseHugePages(vec.data(), vec.capacity() * sizeof(vec[0]));
  };
  reserve(ds.orders, ds.orders.size() + max_lines);
  reserve(merge.previous_of_order, max_lines);
  reserve(merge.file_lines, max_lines);
  reserve(merge.first_line, max_lines);
  reserve(merge.last_line, max_lines);
  reserve(merge.line_count, max_lines);

  std::size_t next_chunk = 0;
  // Chunks in flight: enough to keep every thread busy beside the serial stages.
  const std::size_t tokens =
      2 * static_cast<std::size_t>(tbb::this_task_arena::max_concurrency()) + 1;
  tbb::parallel_pipeline(
      tokens,
      tbb::make_filter<void, std::size_t>(
          tbb::filter_mode::serial_in_order,
          [&](tbb::flow_control& flow) -> std::size_t {
            if (next_chunk == chunk_count) {
              flow.stop();
              return 0;
            }
            return next_chunk++;
          }) &
          tbb::make_filter<std::size_t, std::shared_ptr<ChunkOutput>>(
              tbb::filter_mode::parallel,
              [&](std::size_t chunk) {
                auto out = std::make_shared<ChunkOutput>();
                out->chunk = chunk;
                out->lines.reserve(reader.chunk_max_records(chunk));
                AdviseHugePages(out->lines.data(), out->lines.capacity() * sizeof(ParsedLine));
                HeldRecords held(c, ctx.has_customer_file);
                reader.ForEachInChunk(chunk, [&](const CsvRecord& record) {
                  held.Hold(record, *out);
                  if (held.full()) held.Flush(reader, ctx, *out);
                });
                held.Flush(reader, ctx, *out);
                return out;
              }) &
          tbb::make_filter<std::shared_ptr<ChunkOutput>, std::shared_ptr<ChunkOutput>>(
              tbb::filter_mode::serial_in_order,
              [&](std::shared_ptr<ChunkOutput> out) {
                InternOrderIds(*out, ds.order_ids);
                return out;
              }) &
          tbb::make_filter<std::shared_ptr<ChunkOutput>, void>(
              tbb::filter_mode::serial_in_order,
              [&](const std::shared_ptr<ChunkOutput>& out) {
                MergeChunk(reader, *out, ctx, merge, counts);
                // Its text is copied where needed (ids interned, errors
                // quoted): its pages may leave memory.
                reader.ReleaseChunk(out->chunk);
              }));
  return Status::Ok();
}

}  // namespace partnergraph::ingest_internal
