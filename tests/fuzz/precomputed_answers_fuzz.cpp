// Fuzz target: PrecomputedAnswers::Load and ReadFileInfo (engine/precomputed_answers.hpp), the
// loader of precomputed.bin.
//
// Input: the file's bytes; the container's checksums are rewritten to match (fuzz_support.hpp).
// Load is given the fingerprint and merchant count the file's own header records, as if the
// model's graph matched, so that every list is parsed. The merchant count comes from the graph
// in a real model (the engine allocates a list per merchant before reading the file), so a
// header claiming more than kMaxMerchants is given a graph of 6 merchants instead (datasets/tiny:
// Load must refuse the file). A file that loads is read back through every list, both audiences.
// Seeds: precomputed.bin of a `partnergraph build --data datasets/tiny` model.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz_support.hpp"
#include "partnergraph/engine/precomputed_answers.hpp"

using namespace partnergraph;
using namespace partnergraph::fuzz;

namespace {
constexpr std::uint32_t kMaxMerchants = 1u << 12;
constexpr std::uint32_t kTinyMerchants = 6;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes = AsString(data, size);
  FixContainerChecksums(bytes);
  const auto path = WriteScratchFile("precomputed.bin", bytes);
  Result<PrecomputedFileInfo> info = PrecomputedAnswers::ReadFileInfo(path);
  if (!info.ok()) {
    (void)PrecomputedAnswers::Load(path, 0, kTinyMerchants);
    return 0;
  }
  const std::uint32_t merchants =
      info->merchant_count <= kMaxMerchants ? info->merchant_count : kTinyMerchants;
  Result<PrecomputedAnswers> answers = PrecomputedAnswers::Load(path, info->fingerprint, merchants);
  if (!answers.ok()) return 0;
  if (answers->merchant_count() != merchants) std::abort();
  std::size_t sink = answers->k() + answers->config_digest();
  for (std::uint32_t m = 0; m < answers->merchant_count(); ++m) {
    for (Audience audience : {Audience::kOperator, Audience::kMerchant}) {
      for (const PartnerResult& p : answers->Partners(MerchantId(m), audience)) {
        sink += p.merchant.value + p.shared_segments.size() + p.shared_customers.value_or(0);
      }
      for (const CouponResult& c : answers->Coupons(MerchantId(m), audience)) {
        sink += c.trigger.value + c.sku.value + c.support.value_or(0);
      }
    }
  }
  volatile std::size_t keep = sink;
  (void)keep;
  return 0;
}
