// The merchant tiers' names (recommend_types.hpp).
#include "partnergraph/recommend/recommend_types.hpp"

namespace partnergraph {

std::string_view ToString(MerchantTier tier) {
  switch (tier) {
    case MerchantTier::kGold:
      return "gold";
    case MerchantTier::kSilver:
      return "silver";
    case MerchantTier::kBronze:
      return "bronze";
  }
  return "?";
}

std::optional<MerchantTier> ParseMerchantTier(std::string_view s) {
  if (s == "gold") return MerchantTier::kGold;
  if (s == "silver") return MerchantTier::kSilver;
  if (s == "bronze") return MerchantTier::kBronze;
  return std::nullopt;
}

}  // namespace partnergraph
