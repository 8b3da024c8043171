// merchants.csv, skus.csv, customers.csv: the tables other rows refer to.
#include "load_context.hpp"

namespace partnergraph::ingest_internal {
namespace {

std::string_view FieldOrEmpty(const CsvRecord& record, std::size_t column) {
  return column < record.fields.size() ? record.fields[column] : std::string_view();
}

}  // namespace

Status LoadMerchants(const CsvReader& reader, LoadContext& ctx, TableCounts& counts) {
  ColumnMap columns(reader);
  const std::size_t c_id = columns.Required("merchant_id");
  const std::size_t c_name = columns.Required("name");
  const std::size_t c_category = columns.Required("category");
  const std::size_t c_region = columns.Required("region");
  PG_RETURN_IF_ERROR(CheckColumns(columns, reader, ctx));
  Dataset& ds = ctx.dataset;
  ctx.merchants.file = reader.display_name();
  reader.ForEach([&](const CsvRecord& record) {
    ++counts.read;
    const std::string_view id = FieldOrEmpty(record, c_id);
    auto reject = [&](std::string_view column, std::string reason) {
      ctx.errors.Add(RowError(reader, record, column, std::move(reason)));
      RememberRejected(ctx.merchants, ds.merchant_ids, id, record.line);
    };
    if (!record.error.empty()) return reject("", std::string(record.error));
    if (id.empty()) return reject("merchant_id", std::string(kEmptyReason));
    if (std::size_t first = FirstLineOf(ctx.merchants, ds.merchant_ids, id)) {
      // A duplicate does not make the id rejected: the first row stands.
      ctx.errors.Add(RowError(reader, record, "merchant_id", DuplicateReason("merchant_id", id, first)));
      return;
    }
    const std::string_view name = record.fields[c_name];
    const std::string_view category = record.fields[c_category];
    const std::string_view region = record.fields[c_region];
    if (name.empty()) return reject("name", std::string(kEmptyReason));
    if (category.empty()) return reject("category", std::string(kEmptyReason));
    if (region.empty()) return reject("region", std::string(kEmptyReason));
    ds.merchant_ids.Add(id);
    ds.merchants.push_back({std::string(name), CategoryId(ds.categories.Add(category)),
                            RegionId(ds.regions.Add(region))});
    ctx.merchants.lines.push_back(record.line);
    ++counts.loaded;
  });
  return Status::Ok();
}

Status LoadSkus(const CsvReader& reader, LoadContext& ctx, TableCounts& counts) {
  ColumnMap columns(reader);
  const std::size_t c_id = columns.Required("sku_id");
  const std::size_t c_merchant = columns.Required("merchant_id");
  const std::size_t c_category = columns.Required("category");
  const std::size_t c_price = columns.Required("price");
  PG_RETURN_IF_ERROR(CheckColumns(columns, reader, ctx));
  Dataset& ds = ctx.dataset;
  ctx.skus.file = reader.display_name();
  reader.ForEach([&](const CsvRecord& record) {
    ++counts.read;
    const std::string_view id = FieldOrEmpty(record, c_id);
    auto reject = [&](std::string_view column, std::string reason) {
      ctx.errors.Add(RowError(reader, record, column, std::move(reason)));
      RememberRejected(ctx.skus, ds.sku_ids, id, record.line);
    };
    if (!record.error.empty()) return reject("", std::string(record.error));
    if (id.empty()) return reject("sku_id", std::string(kEmptyReason));
    if (std::size_t first = FirstLineOf(ctx.skus, ds.sku_ids, id)) {
      ctx.errors.Add(RowError(reader, record, "sku_id", DuplicateReason("sku_id", id, first)));
      return;
    }
    const std::string_view merchant = record.fields[c_merchant];
    if (merchant.empty()) return reject("merchant_id", std::string(kEmptyReason));
    const std::uint32_t m = ds.merchant_ids.Find(merchant);
    if (m == Dictionary::kNotFound) {
      return reject("merchant_id", UnresolvedReason("merchant", merchant, ctx.merchants));
    }
    const std::string_view category = record.fields[c_category];
    if (category.empty()) return reject("category", std::string(kEmptyReason));
    const std::string_view price_text = record.fields[c_price];
    if (price_text.empty()) return reject("price", std::string(kEmptyReason));
    const std::optional<double> price = ParseNumber(price_text);
    if (!price) return reject("price", NotANumber(price_text));
    if (*price < 0) return reject("price", Negative(price_text));
    ds.sku_ids.Add(id);
    ds.skus.push_back({MerchantId(m), CategoryId(ds.categories.Add(category)), *price});
    ctx.skus.lines.push_back(record.line);
    ++counts.loaded;
  });
  return Status::Ok();
}

Status LoadCustomers(const CsvReader& reader, LoadContext& ctx, TableCounts& counts) {
  ColumnMap columns(reader);
  const std::size_t c_id = columns.Required("customer_id");
  const std::optional<std::size_t> c_region = columns.Optional("region");
  PG_RETURN_IF_ERROR(CheckColumns(columns, reader, ctx));
  Dataset& ds = ctx.dataset;
  ctx.customers.file = reader.display_name();
  reader.ForEach([&](const CsvRecord& record) {
    ++counts.read;
    const std::string_view id = FieldOrEmpty(record, c_id);
    auto reject = [&](std::string_view column, std::string reason) {
      ctx.errors.Add(RowError(reader, record, column, std::move(reason)));
      RememberRejected(ctx.customers, ds.customer_ids, id, record.line);
    };
    if (!record.error.empty()) return reject("", std::string(record.error));
    if (id.empty()) return reject("customer_id", std::string(kEmptyReason));
    if (std::size_t first = FirstLineOf(ctx.customers, ds.customer_ids, id)) {
      ctx.errors.Add(
          RowError(reader, record, "customer_id", DuplicateReason("customer_id", id, first)));
      return;
    }
    Customer customer;
    if (c_region && !record.fields[*c_region].empty()) {
      customer.region = RegionId(ds.regions.Add(record.fields[*c_region]));
    }
    ds.customer_ids.Add(id);
    ds.customers.push_back(customer);
    ctx.customers.lines.push_back(record.line);
    ++counts.loaded;
  });
  return Status::Ok();
}

}  // namespace partnergraph::ingest_internal
