#include "stages/declared_relations.hpp"

#include <algorithm>
#include <utility>

namespace partnergraph::graph_internal {
namespace {

Result<EdgeLists> PairsOfKind(const DeclaredRelationsInput& in, PartnershipKind kind) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs;
  for (const auto& p : in.partnerships) {
    if (p.kind != kind) continue;
    pairs.push_back({p.a.value, p.b.value});
    pairs.push_back({p.b.value, p.a.value});
  }
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  EdgeLists lists;
  lists.offsets.assign(static_cast<std::size_t>(in.merchants) + 1, 0);
  lists.entries.resize(pairs.size());
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    ++lists.offsets[pairs[i].first + 1];
    lists.entries[i] = pairs[i].second;
  }
  PG_RETURN_IF_ERROR(PrefixSum(lists.offsets, "declared relations"));
  return lists;
}

}  // namespace

Result<DeclaredRelationEdges> CollectDeclaredRelations(const DeclaredRelationsInput& in) {
  DeclaredRelationEdges result;
  PG_ASSIGN_OR_RETURN(result.partner, PairsOfKind(in, PartnershipKind::kPartner));
  PG_ASSIGN_OR_RETURN(result.competitor_declared, PairsOfKind(in, PartnershipKind::kCompetitor));
  PG_ASSIGN_OR_RETURN(result.blocked, PairsOfKind(in, PartnershipKind::kBlocked));
  return result;
}

}  // namespace partnergraph::graph_internal
