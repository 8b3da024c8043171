// Synthetic ecosystem generator: writes a complete dataset in the native input
// format (SPEC.md "Native input format") with a planted, known structure, plus
// the ground truth a recommender should recover. The generative model is
// described in datasets/generator/README.md.
//
// Output folder layout (every file has a header row; columns as documented in
// partnergraph/ingest/dataset.hpp; timestamps "YYYY-MM-DDTHH:MM:SSZ"):
//   merchants.csv, skus.csv, customers.csv, orders.csv (price = unit price),
//   partnerships.csv, consent.csv, engagement.csv, touchpoints.csv,
//   merchant_policy.csv,
//   ground_truth/complementary_categories.csv (category_a, category_b, strength),
//   ground_truth/best_partners.csv (merchant_id, partner_id, rank, score).
//
// Determinism: the bytes of every file depend only on the options (the seed
// included), never on the number of threads or the machine: all randomness
// comes from counter-based generators seeded from (seed, stream, index), and
// blocks generated in parallel are written in block order.
//
// Memory: O(merchants + categories × regions), never O(order lines): order
// lines, consent records and touchpoints are generated per block of customers
// and streamed to the files.
#pragma once

#include <cstdint>
#include <filesystem>

#include "partnergraph/common/status.hpp"

namespace partnergraph {

struct GeneratorOptions {
  // Number of merchants (>= 1).
  std::uint64_t merchants = 1000;
  // Seed of every random choice; the same options give byte-identical files.
  std::uint64_t seed = 42;
  // Mean number of order lines per merchant: orders.csv has exactly
  // merchants × order_lines_per_merchant lines, spread over merchants by the
  // Zipf-like sizes (so the median merchant gets far fewer).
  std::uint64_t order_lines_per_merchant = 100;
  // Number of customers; 0 = merchants × 20, at least 100 and at most 10,000,000.
  std::uint64_t customers = 0;
  // Number of categories; 0 = merchants / 50 clamped to [12, 120].
  std::uint32_t categories = 0;
  // Categories per category group ("industry"); complementary pairs always
  // join categories of different groups.
  std::uint32_t categories_per_group = 4;
  // Planted complementary partners drawn per category (pairs are symmetric, so
  // a category ends up with about twice this many complements).
  std::uint32_t complements_per_category = 2;
  // Number of regions; 0 = merchants / 500 clamped to [2, 8].
  std::uint32_t regions = 0;
  // Mean number of SKUs per merchant (>= 1); counts are 1 + geometric.
  double skus_per_merchant = 20.0;
  // Exponent s of the merchant size law: the merchant of size rank r gets
  // weight (r + 1)^-s. Larger means a longer tail of small merchants.
  double merchant_zipf_exponent = 0.9;
  // Exponent of the category popularity law (same form, over categories).
  double category_zipf_exponent = 0.5;
  // Orders are timestamped in [start_ts, end_ts) (Unix seconds, UTC); the
  // default is the year 2025.
  std::int64_t start_ts = 1735689600;  // 2025-01-01T00:00:00Z
  std::int64_t end_ts = 1767225600;    // 2026-01-01T00:00:00Z
  // Probability that an order is placed in the customer's home region.
  double home_region_share = 0.85;
  // Category choice of an order: the customer's primary category with this
  // probability, a planted complement of it with complement_share, otherwise
  // (the rest) the customer's personal secondary interest or a random category.
  double primary_share = 0.45;
  double complement_share = 0.35;
  // Probability that a customer returns to its usual merchant for a
  // (category, region) rather than picking one afresh.
  double loyalty = 0.6;
  // Probability that a (customer, merchant) pair the customer bought from has
  // a consent record.
  double consent_share = 0.6;
  // Shares of the first consent status of such a pair (normalised to sum 1).
  double share_unclear = 0.20;
  double share_blocked = 0.05;
  double share_unsubscribed = 0.05;
  double share_confirmed_opt_in = 0.30;
  double share_double_opt_in = 0.25;
  double share_pending = 0.15;
  // Probability that an opt-in (confirmed or double) is later followed by an
  // "unsubscribed" record for the same customer, merchant and channel.
  double later_unsubscribe_share = 0.15;
  // Probability that a pending double opt-in is later confirmed
  // ("double_opt_in" record).
  double pending_confirmed_share = 0.5;
  // Share of orders preceded by a touchpoint journey.
  double journey_share = 0.25;
  // Non-converting journeys generated per converting journey.
  double non_converting_journeys = 0.5;
  // Mean engagement events per merchant (scaled up for larger merchants).
  double engagement_per_merchant = 8.0;
  // Merchant declarations in partnerships.csv (per merchant probabilities):
  // a competitor in its (category, region) cell, a partner, a blocked pair.
  double declared_competitor_share = 0.3;
  double declared_partner_share = 0.1;
  double blocked_share = 0.02;
  // Share of merchants with a merchant_policy.csv row (others use defaults),
  // and among them the shares with discoverable=false / allow_coupons=false.
  double policy_share = 0.8;
  double not_discoverable_share = 0.05;
  double no_coupons_share = 0.1;
  // Planted best partners written per merchant in ground_truth/best_partners.csv.
  std::uint32_t ground_truth_partners = 10;
  // Customers per generation block (the unit of parallel work). Changing it
  // changes the output; it is an option only for tests and tuning.
  std::uint32_t customers_per_block = 4096;
  // Report progress on stderr (Progress: drawn only on a terminal).
  bool show_progress = false;
};

// What GenerateEcosystem wrote: rows per file (header excluded) and totals.
struct GeneratorStats {
  std::uint64_t merchants = 0;
  std::uint64_t skus = 0;
  std::uint64_t customers = 0;
  std::uint64_t orders = 0;        // distinct order_id values
  std::uint64_t order_lines = 0;   // rows of orders.csv
  std::uint64_t partnerships = 0;
  std::uint64_t consent_records = 0;
  std::uint64_t engagement_events = 0;
  std::uint64_t touchpoints = 0;
  std::uint64_t journeys = 0;
  std::uint64_t policies = 0;
  std::uint32_t categories = 0;
  std::uint32_t regions = 0;
  std::uint64_t complementary_pairs = 0;
  std::uint64_t best_partner_rows = 0;
  std::uint64_t bytes_written = 0;  // all files together
  double seconds = 0.0;             // wall time
};

// Writes the ecosystem described by `options` into `out_dir` (created if
// missing; existing files of the same names are replaced). Each file is
// written to "<name>.tmp" and renamed when complete, so that an interrupted
// run never leaves a partial file under a real name.
// `stats` may be null. Uses oneTBB for the per-block work (any thread count
// gives the same bytes).
// Errors: InvalidArgument for inconsistent options (the message names the
// option), IOError naming the file that could not be written.
// Thread safety: reentrant; concurrent calls must use distinct out_dirs.
Status GenerateEcosystem(const GeneratorOptions& options, const std::filesystem::path& out_dir,
                         GeneratorStats* stats);

}  // namespace partnergraph
