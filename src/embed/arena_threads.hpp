// The oneTBB arena size for an options.threads value: 0 means all cores, and
// requests above the core count are capped (oneTBB would warn and ignore them).
#pragma once

#include <tbb/info.h>

#include <algorithm>
#include <cstdint>

namespace partnergraph::embed_internal {

inline int ArenaThreads(std::uint32_t requested) {
  const int cores = tbb::info::default_concurrency();
  if (requested == 0) return cores;
  return std::min(cores, static_cast<int>(requested));
}

}  // namespace partnergraph::embed_internal
