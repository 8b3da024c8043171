// DenseCounter: the per-thread pair counter of the shared-customers and
// category-pair stages.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace partnergraph::graph_internal {

// A dense counter over [0, n): Add() in any order, then Drain() hands out
// (key, count) in ascending key order and resets. O(n) memory, O(touched) time
// per use. Not thread-safe: one per thread (tbb::enumerable_thread_specific).
class DenseCounter {
 public:
  explicit DenseCounter(std::uint32_t n) : counts_(n, 0) {}
  void Add(std::uint32_t key) {
    if (counts_[key]++ == 0) touched_.push_back(key);
  }
  template <typename Fn>
  void Drain(Fn&& fn) {
    std::sort(touched_.begin(), touched_.end());
    for (std::uint32_t key : touched_) {
      fn(key, counts_[key]);
      counts_[key] = 0;
    }
    touched_.clear();
  }

 private:
  std::vector<std::uint32_t> counts_;
  std::vector<std::uint32_t> touched_;
};

}  // namespace partnergraph::graph_internal
