// The generator's merchant-level files. Each Write* opens its file(s) in
// `outs`, writes every row and adds its counts to `st`; errors are IOError
// naming the file. Private to src/datagen.
#pragma once

#include "generator/outputs.hpp"
#include "generator/world.hpp"
#include "partnergraph/common/status.hpp"
#include "partnergraph/datagen/generator.hpp"

namespace partnergraph::generator_internal {

// merchants.csv.
Status WriteMerchants(const World& w, Outputs& outs, GeneratorStats& st);
// skus.csv.
Status WriteSkus(const World& w, Outputs& outs, GeneratorStats& st);
// partnerships.csv; also fills w.blocked_pairs, which WriteGroundTruth reads.
Status WritePartnerships(World& w, Outputs& outs, GeneratorStats& st);
// merchant_policy.csv.
Status WritePolicies(const World& w, Outputs& outs, GeneratorStats& st);
// engagement.csv.
Status WriteEngagement(const World& w, Outputs& outs, GeneratorStats& st);
// ground_truth/complementary_categories.csv and ground_truth/best_partners.csv
// (after WritePartnerships).
Status WriteGroundTruth(const World& w, Outputs& outs, GeneratorStats& st);

}  // namespace partnergraph::generator_internal
