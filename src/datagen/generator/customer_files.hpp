// The generator's customer files, generated per block of customers in
// parallel and written in block order. Private to src/datagen.
#pragma once

#include "generator/outputs.hpp"
#include "generator/world.hpp"
#include "partnergraph/common/status.hpp"
#include "partnergraph/datagen/generator.hpp"

namespace partnergraph::generator_internal {

// customers.csv, orders.csv, consent.csv and touchpoints.csv: opens them in
// `outs`, writes every row and adds the counts to `st`; errors are IOError
// naming the file. Shows progress when w.opt.show_progress.
Status WriteCustomerFiles(const World& w, Outputs& outs, GeneratorStats& st);

}  // namespace partnergraph::generator_internal
