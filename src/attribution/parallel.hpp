// Internal helpers of the attribution module: running work in a oneTBB arena
// of the requested size, and reductions whose result does not depend on the
// number of threads.
#pragma once

#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <cstddef>
#include <vector>

namespace partnergraph::attribution_internal {

// Runs `fn` inside an arena of `threads` workers (0: oneTBB's default).
template <typename Fn>
void RunInArena(int threads, Fn&& fn) {
  tbb::task_arena arena(threads > 0 ? threads : tbb::task_arena::automatic);
  arena.execute(fn);
}

// Splits [0, n) into fixed blocks of `block` items (the split depends only on
// n and block, never on the thread count), runs `body(acc, begin, end)` on each
// block in parallel with its own accumulator made by `make()`, then folds the
// accumulators into `merge(acc)` one by one in block order. Floating-point sums
// are therefore grouped the same way whatever the number of threads.
template <typename Acc, typename MakeFn, typename BodyFn, typename MergeFn>
void OrderedBlockReduce(std::size_t n, std::size_t block, MakeFn make, BodyFn body,
                        MergeFn merge) {
  if (n == 0) return;
  block = std::max<std::size_t>(block, 1);
  const std::size_t blocks = (n + block - 1) / block;
  std::vector<Acc> accs;
  accs.reserve(blocks);
  for (std::size_t b = 0; b < blocks; ++b) accs.push_back(make());
  tbb::parallel_for(std::size_t{0}, blocks, [&](std::size_t b) {
    body(accs[b], b * block, std::min(n, (b + 1) * block));
  });
  for (auto& acc : accs) merge(acc);
}

}  // namespace partnergraph::attribution_internal
