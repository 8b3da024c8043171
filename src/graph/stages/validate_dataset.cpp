#include "stages/validate_dataset.hpp"

#include <fmt/format.h>

#include <cmath>
#include <string>

#include "graph_data.hpp"

namespace partnergraph::graph_internal {
namespace {

Status BadRow(const char* table, std::size_t row, const std::string& what) {
  return Status::InvalidArgument(fmt::format("dataset: {}[{}]: {}", table, row, what));
}

std::string OutOfRange(const char* field, std::uint32_t value, std::size_t limit,
                       const char* things) {
  return fmt::format("{} {} is out of range ({} {})", field, value, limit, things);
}

bool OptionalIdOk(std::uint32_t value, std::size_t limit) {
  return value == kNone || value < limit;
}

}  // namespace

Status ValidateDataset(const Dataset& d) {
  const std::size_t M = d.merchants.size(), S = d.skus.size(), C = d.customers.size();
  const std::size_t K = d.categories.size(), R = d.regions.size();
  auto count_mismatch = [](const char* dict, std::size_t names, const char* table,
                           std::size_t rows) {
    return Status::InvalidArgument(
        fmt::format("dataset: {} has {} names but {} has {} rows", dict, names, table, rows));
  };
  if (d.merchant_ids.size() != M)
    return count_mismatch("merchant_ids", d.merchant_ids.size(), "merchants", M);
  if (d.sku_ids.size() != S) return count_mismatch("sku_ids", d.sku_ids.size(), "skus", S);
  if (d.customer_ids.size() != C)
    return count_mismatch("customer_ids", d.customer_ids.size(), "customers", C);
  if (!d.policies.empty() && d.policies.size() != M) {
    return count_mismatch("policies", d.policies.size(), "merchants", M);
  }
  if (M + S + C + K >= 0xF0000000ull || d.orders.size() >= 0xFFFFFFFFull ||
      d.consent.size() >= 0xFFFFFFFFull) {
    return Status::InvalidArgument("dataset: too large for 32-bit graph ids");
  }
  for (std::size_t i = 0; i < M; ++i) {
    const auto& m = d.merchants[i];
    if (!m.category.valid() || m.category.value >= K) {
      return BadRow("merchants", i, OutOfRange("category", m.category.value, K, "categories"));
    }
    if (!OptionalIdOk(m.region.value, R)) {
      return BadRow("merchants", i, OutOfRange("region", m.region.value, R, "regions"));
    }
  }
  for (std::size_t i = 0; i < S; ++i) {
    const auto& s = d.skus[i];
    if (!s.merchant.valid() || s.merchant.value >= M) {
      return BadRow("skus", i, OutOfRange("merchant", s.merchant.value, M, "merchants"));
    }
    if (!s.category.valid() || s.category.value >= K) {
      return BadRow("skus", i, OutOfRange("category", s.category.value, K, "categories"));
    }
    if (!std::isfinite(s.price) || s.price < 0) {
      return BadRow("skus", i, fmt::format("price {:f} is not a number >= 0", s.price));
    }
  }
  for (std::size_t i = 0; i < C; ++i) {
    if (!OptionalIdOk(d.customers[i].region.value, R)) {
      return BadRow("customers", i,
                    OutOfRange("region", d.customers[i].region.value, R, "regions"));
    }
  }
  for (std::size_t i = 0; i < d.orders.size(); ++i) {
    const auto& o = d.orders[i];
    if (!o.order.valid() || o.order.value >= d.order_ids.size()) {
      return BadRow("orders", i,
                    OutOfRange("order", o.order.value, d.order_ids.size(), "order ids"));
    }
    if (!o.customer.valid() || o.customer.value >= C) {
      return BadRow("orders", i, OutOfRange("customer", o.customer.value, C, "customers"));
    }
    if (!o.merchant.valid() || o.merchant.value >= M) {
      return BadRow("orders", i, OutOfRange("merchant", o.merchant.value, M, "merchants"));
    }
    if (!o.sku.valid() || o.sku.value >= S) {
      return BadRow("orders", i, OutOfRange("sku", o.sku.value, S, "SKUs"));
    }
    if (d.skus[o.sku.value].merchant != o.merchant) {
      return BadRow("orders", i,
                    "sku " + std::string(d.sku_ids.Name(o.sku.value)) + " belongs to merchant " +
                        std::string(d.merchant_ids.Name(d.skus[o.sku.value].merchant.value)) +
                        ", not " + std::string(d.merchant_ids.Name(o.merchant.value)));
    }
    if (o.quantity == 0) return BadRow("orders", i, "quantity is 0");
    if (!std::isfinite(o.unit_price) || o.unit_price < 0) {
      return BadRow("orders", i, fmt::format("price {:f} is not a number >= 0", o.unit_price));
    }
    if (!OptionalIdOk(o.region.value, R)) {
      return BadRow("orders", i, OutOfRange("region", o.region.value, R, "regions"));
    }
  }
  for (std::size_t i = 0; i < d.partnerships.size(); ++i) {
    const auto& p = d.partnerships[i];
    if (!p.a.valid() || p.a.value >= M) {
      return BadRow("partnerships", i, OutOfRange("merchant_a", p.a.value, M, "merchants"));
    }
    if (!p.b.valid() || p.b.value >= M) {
      return BadRow("partnerships", i, OutOfRange("merchant_b", p.b.value, M, "merchants"));
    }
    if (p.a == p.b) return BadRow("partnerships", i, "a merchant cannot be paired with itself");
    if (static_cast<int>(p.kind) > 2) return BadRow("partnerships", i, "unknown kind");
  }
  for (std::size_t i = 0; i < d.consent.size(); ++i) {
    const auto& r = d.consent[i];
    if (!r.customer.valid() || r.customer.value >= C) {
      return BadRow("consent", i, OutOfRange("customer", r.customer.value, C, "customers"));
    }
    if (!r.merchant.valid() || r.merchant.value >= M) {
      return BadRow("consent", i, OutOfRange("merchant", r.merchant.value, M, "merchants"));
    }
    if (static_cast<int>(r.channel) >= kContactChannelCount) {
      return BadRow("consent", i, "unknown channel");
    }
    if (static_cast<int>(r.status) > 5) return BadRow("consent", i, "unknown status");
  }
  for (std::size_t i = 0; i < d.policies.size(); ++i) {
    if (static_cast<int>(d.policies[i].permission_model) > 4) {
      return BadRow("policies", i, "unknown permission model");
    }
  }
  return Status::Ok();
}

}  // namespace partnergraph::graph_internal
