// Synthetic ecosystem generator; the model is described in
// datasets/generator/README.md. The code is split by concern under
// generator/: rng.hpp (random numbers), world.hpp/.cpp (the resolved world:
// categories, regions, merchants and their (category, region) cells, all
// O(merchants)), outputs.hpp (the files of one run, the ordered block loop),
// merchant_files.cpp and customer_files.cpp (the per-file writers). This file
// validates the options and runs the steps in order.
#include "partnergraph/datagen/generator.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <system_error>
#include <utility>

#include "generator/customer_files.hpp"
#include "generator/merchant_files.hpp"
#include "generator/outputs.hpp"
#include "generator/world.hpp"

namespace partnergraph {
namespace {

Status ValidateOptions(const GeneratorOptions& o) {
  auto bad = [](const std::string& what) { return Status::InvalidArgument("generator: " + what); };
  if (o.merchants < 1) return bad("merchants must be >= 1");
  if (o.merchants > 50'000'000) return bad("merchants must be <= 50,000,000");
  if (o.order_lines_per_merchant > 100'000)
    return bad("order_lines_per_merchant must be <= 100000");
  if (o.customers > 500'000'000) return bad("customers must be <= 500,000,000");
  if (o.categories == 1 || o.categories > 60000)
    return bad("categories must be 0 (auto) or in [2, 60000]");
  if (o.categories_per_group < 1) return bad("categories_per_group must be >= 1");
  if (o.regions > 250) return bad("regions must be 0 (auto) or in [1, 250]");
  if (!(o.skus_per_merchant >= 1.0 && o.skus_per_merchant <= 10000.0)) {
    return bad("skus_per_merchant must be in [1, 10000]");
  }
  if (!(o.merchant_zipf_exponent >= 0 && o.merchant_zipf_exponent <= 4)) {
    return bad("merchant_zipf_exponent must be in [0, 4]");
  }
  if (!(o.category_zipf_exponent >= 0 && o.category_zipf_exponent <= 4)) {
    return bad("category_zipf_exponent must be in [0, 4]");
  }
  if (o.start_ts >= o.end_ts) return bad("start_ts must be before end_ts");
  if (o.customers_per_block < 1) return bad("customers_per_block must be >= 1");
  const std::pair<const char*, double> probabilities[] = {
      {"home_region_share", o.home_region_share},
      {"primary_share", o.primary_share},
      {"complement_share", o.complement_share},
      {"loyalty", o.loyalty},
      {"consent_share", o.consent_share},
      {"later_unsubscribe_share", o.later_unsubscribe_share},
      {"pending_confirmed_share", o.pending_confirmed_share},
      {"journey_share", o.journey_share},
      {"declared_competitor_share", o.declared_competitor_share},
      {"declared_partner_share", o.declared_partner_share},
      {"blocked_share", o.blocked_share},
      {"policy_share", o.policy_share},
      {"not_discoverable_share", o.not_discoverable_share},
      {"no_coupons_share", o.no_coupons_share},
  };
  for (const auto& [name, p] : probabilities) {
    if (!(p >= 0.0 && p <= 1.0)) return bad(std::string(name) + " must be in [0, 1]");
  }
  if (o.primary_share + o.complement_share > 1.0 + 1e-12) {
    return bad("primary_share + complement_share must be <= 1");
  }
  const double shares[] = {o.share_unclear,          o.share_blocked,       o.share_unsubscribed,
                           o.share_confirmed_opt_in, o.share_double_opt_in, o.share_pending};
  double total = 0;
  for (double s : shares) {
    if (!(s >= 0.0)) return bad("consent status shares must be >= 0");
    total += s;
  }
  if (!(total > 0.0)) return bad("consent status shares must not all be 0");
  if (!(o.non_converting_journeys >= 0 && o.non_converting_journeys <= 100)) {
    return bad("non_converting_journeys must be in [0, 100]");
  }
  if (!(o.engagement_per_merchant >= 0 && o.engagement_per_merchant <= 10000)) {
    return bad("engagement_per_merchant must be in [0, 10000]");
  }
  return Status::Ok();
}

}  // namespace

Status GenerateEcosystem(const GeneratorOptions& options, const std::filesystem::path& out_dir,
                         GeneratorStats* stats) {
  using namespace generator_internal;
  const auto start = std::chrono::steady_clock::now();
  PG_RETURN_IF_ERROR(ValidateOptions(options));
  World w;
  w.opt = options;
  const GeneratorOptions& o = w.opt;
  w.n_categories =
      o.categories != 0
          ? o.categories
          : static_cast<std::uint32_t>(std::clamp<std::uint64_t>(o.merchants / 50, 12, 120));
  w.n_regions =
      o.regions != 0
          ? o.regions
          : static_cast<std::uint32_t>(std::clamp<std::uint64_t>(o.merchants / 500, 2, 8));
  w.n_customers =
      o.customers != 0 ? o.customers : std::clamp<std::uint64_t>(o.merchants * 20, 100, 10'000'000);
  w.n_lines = o.merchants * o.order_lines_per_merchant;

  BuildCategories(w);
  BuildRegions(w);
  BuildMerchants(w);
  BuildCells(w);
  w.merchant_digits = DigitsFor(o.merchants - 1, 6);
  w.sku_digits = DigitsFor(w.n_skus == 0 ? 0 : w.n_skus - 1, 8);
  w.customer_digits = DigitsFor(w.n_customers - 1, 7);

  std::error_code ec;
  std::filesystem::create_directories(out_dir / "ground_truth", ec);
  if (ec) {
    return Status::IOError((out_dir / "ground_truth").string() +
                           ": cannot create: " + ec.message());
  }
  GeneratorStats st;
  st.categories = w.n_categories;
  st.regions = w.n_regions;
  Outputs outs(out_dir);
  PG_RETURN_IF_ERROR(WriteMerchants(w, outs, st));
  PG_RETURN_IF_ERROR(WriteSkus(w, outs, st));
  PG_RETURN_IF_ERROR(WritePartnerships(w, outs, st));
  PG_RETURN_IF_ERROR(WritePolicies(w, outs, st));
  PG_RETURN_IF_ERROR(WriteEngagement(w, outs, st));
  PG_RETURN_IF_ERROR(WriteGroundTruth(w, outs, st));
  PG_RETURN_IF_ERROR(WriteCustomerFiles(w, outs, st));
  PG_RETURN_IF_ERROR(outs.CommitAll(&st.bytes_written));
  st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (stats != nullptr) *stats = st;
  return Status::Ok();
}

}  // namespace partnergraph
