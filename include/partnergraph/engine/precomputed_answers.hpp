// PrecomputedAnswers: every merchant's default answers (partners and coupon
// pairs with default filters, top k), computed at build time so that the
// common requests are a lookup. They equal the live recommender's answers for
// the same model (tested), because the live ranking is a strict total order
// (score desc, id asc) and the stored list is its prefix; the one caveat is the
// batched ANN stage (Recommender::RecommendPartnersBatch): a candidate tied to
// float rounding with the C-th ANN hit may enter one candidate set and not the
// other.
//
// There is one set of answers per Audience (common/audience.hpp): the operator's, ranked by the
// exact evidence, and the merchant's own, ranked by the disclosed evidence (docs/privacy.md).
//
// File precomputed.bin: a binary container (common/binary_container.hpp, docs/formats.md),
// magic "PGPRECMP", format "precomputed answers", version 4, two sections:
//   header   u64 graph fingerprint, u32 config digest (CRC-32 of the config.json the answers
//            were computed with: model_manifest.hpp), u32 merchant count, u32 k
//   answers  per merchant its operator partner list, operator coupon list, merchant partner
//            list and merchant coupon list. A list is a u32 length and its entries; optional
//            counts are stored as i64 with -1 for "suppressed".
// Older versions (1: one set, before the merchant view; 2: before the config digest; 3: before
// the container) are refused with a message that says to run `partnergraph precompute`.
//
// Thread safety: immutable after Compute/Load; const members are safe from
// any thread.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <vector>

#include "partnergraph/common/status.hpp"
#include "partnergraph/recommend/partner_recommender.hpp"

namespace partnergraph {

// What precomputed.bin's header records (PrecomputedAnswers::ReadFileInfo).
struct PrecomputedFileInfo {
  std::uint64_t fingerprint = 0;    // the graph's
  std::uint32_t config_digest = 0;  // CRC-32 of the config.json the answers were computed with
  std::uint32_t merchant_count = 0;
  std::uint32_t k = 0;
};

class PrecomputedAnswers {
 public:
  static constexpr std::uint32_t kFormatVersion = 4;
  // Merchants whose ANN searches are batched into one FAISS call.
  static constexpr std::uint32_t kBatchMerchants = 256;

  // Runs RecommendPartnersBatch and RecommendCouponPairsBatch with default filters for
  // every merchant and both audiences, in blocks of kBatchMerchants (one batched FAISS search per block and
  // kind), blocks in parallel (oneTBB; FAISS single-threaded per task).
  static Result<PrecomputedAnswers> Compute(const Recommender& recommender, std::uint32_t k);

  // Writes to `path` (WriteFileAtomically), recording the graph's `fingerprint` and
  // `config_digest` (the CRC-32 of the config.json the answers were computed with). IOError
  // naming the file.
  Status Save(const std::filesystem::path& path, std::uint64_t fingerprint,
              std::uint32_t config_digest) const;
  // Reads `path`. InvalidArgument naming the file when it is of another version (the message
  // says to run `partnergraph precompute`) or built for another graph (fingerprint or merchant
  // count differ); Corruption naming the file (and the section and offset) when truncated or
  // damaged. The config digest is not checked here: config_digest() gives it.
  static Result<PrecomputedAnswers> Load(const std::filesystem::path& path,
                                         std::uint64_t expected_fingerprint,
                                         std::uint32_t merchant_count);

  // The header of the file at `path` only. Errors as Load's for the header.
  static Result<PrecomputedFileInfo> ReadFileInfo(const std::filesystem::path& path);

  std::uint32_t k() const { return k_; }
  // The config digest read by Load (0 for answers made by Compute).
  std::uint32_t config_digest() const { return config_digest_; }
  std::uint32_t merchant_count() const { return static_cast<std::uint32_t>(partners_[0].size()); }
  const std::vector<PartnerResult>& Partners(MerchantId m, Audience audience) const {
    return partners_[Slot(audience)][m.value];
  }
  const std::vector<CouponResult>& Coupons(MerchantId m, Audience audience) const {
    return coupons_[Slot(audience)][m.value];
  }

 private:
  static constexpr std::size_t kAudiences = 2;
  static std::size_t Slot(Audience a) { return a == Audience::kOperator ? 0 : 1; }
  std::uint32_t k_ = 0;
  std::uint32_t config_digest_ = 0;
  std::array<std::vector<std::vector<PartnerResult>>, kAudiences> partners_;
  std::array<std::vector<std::vector<CouponResult>>, kAudiences> coupons_;
};

}  // namespace partnergraph
