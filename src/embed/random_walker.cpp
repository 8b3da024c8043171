#include "partnergraph/embed/random_walker.hpp"

#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <string>

#include "arena_threads.hpp"
#include "rng.hpp"

namespace partnergraph {
namespace {

using embed_internal::Rng;

// Stream ids of the start-order shuffles live above every node id.
constexpr std::uint64_t kOrderStream = 1ull << 32;

}  // namespace

Result<RandomWalker> RandomWalker::Create(CsrAdjacency adjacency, const WalkOptions& options) {
  PG_RETURN_IF_ERROR(Validate(options));
  const auto& offsets = adjacency.offsets;
  const auto& targets = adjacency.targets;
  if (offsets.empty()) {
    if (!targets.empty() || !adjacency.weights.empty()) {
      return Status::InvalidArgument("walks: adjacency has edges but no offsets");
    }
  } else {
    if (offsets.size() - 1 >= std::numeric_limits<std::uint32_t>::max()) {
      return Status::InvalidArgument("walks: too many nodes for 32-bit node ids");
    }
    if (offsets.front() != 0 || offsets.back() != targets.size()) {
      return Status::InvalidArgument(fmt::format(
          "walks: offsets must start at 0 and end at the edge count {}", targets.size()));
    }
  }
  if (!adjacency.weights.empty() && adjacency.weights.size() != targets.size()) {
    return Status::InvalidArgument(
        fmt::format("walks: {} weights for {} edges", adjacency.weights.size(), targets.size()));
  }
  const std::uint32_t n = adjacency.num_nodes();
  bool sorted = true;
  for (std::uint32_t v = 0; v < n; ++v) {
    if (offsets[v + 1] < offsets[v]) {
      return Status::InvalidArgument(fmt::format("walks: node {}: offsets decrease", v));
    }
    for (std::uint64_t e = offsets[v]; e < offsets[v + 1]; ++e) {
      if (targets[e] >= n) {
        return Status::InvalidArgument(
            fmt::format("walks: node {}: target {} at edge {} is out of range ({} nodes)", v,
                        targets[e], e, n));
      }
      if (!adjacency.weights.empty() &&
          !(std::isfinite(adjacency.weights[e]) && adjacency.weights[e] > 0)) {
        return Status::InvalidArgument(
            fmt::format("walks: node {}: weight of edge {} is not a finite positive number", v, e));
      }
      if (e > offsets[v] && targets[e] < targets[e - 1]) sorted = false;
    }
  }

  RandomWalker walker;
  walker.adjacency_ = adjacency;
  walker.options_ = options;
  walker.second_order_ = options.return_p != 1.0 || options.inout_q != 1.0;
  if (!adjacency.weights.empty()) {
    walker.cumulative_weights_.resize(targets.size());
    for (std::uint32_t v = 0; v < n; ++v) {
      double sum = 0;
      for (std::uint64_t e = offsets[v]; e < offsets[v + 1]; ++e) {
        sum += adjacency.weights[e];
        walker.cumulative_weights_[e] = sum;
      }
    }
  }
  if (walker.second_order_ && !sorted) {
    walker.sorted_targets_.assign(targets.begin(), targets.end());
    for (std::uint32_t v = 0; v < n; ++v) {
      std::sort(walker.sorted_targets_.begin() + static_cast<std::ptrdiff_t>(offsets[v]),
                walker.sorted_targets_.begin() + static_cast<std::ptrdiff_t>(offsets[v + 1]));
    }
  }
  return walker;
}

template <typename RngT>
std::uint32_t RandomWalker::SampleNeighbor(std::uint32_t node, RngT& rng) const {
  const std::uint64_t begin = adjacency_.offsets[node];
  const std::uint64_t end = adjacency_.offsets[node + 1];
  if (cumulative_weights_.empty()) {
    const auto degree = static_cast<std::uint32_t>(end - begin);
    return adjacency_.targets[begin + rng.Below(degree)];
  }
  const double total = cumulative_weights_[end - 1];
  const double r = rng.Uniform() * total;
  const auto first = cumulative_weights_.begin() + static_cast<std::ptrdiff_t>(begin);
  const auto last = cumulative_weights_.begin() + static_cast<std::ptrdiff_t>(end);
  auto it = std::upper_bound(first, last, r);
  if (it == last) --it;  // r rounded up to the total
  return adjacency_.targets[static_cast<std::size_t>(it - cumulative_weights_.begin())];
}

bool RandomWalker::HasEdge(std::uint32_t from, std::uint32_t to) const {
  const std::uint32_t* base =
      sorted_targets_.empty() ? adjacency_.targets.data() : sorted_targets_.data();
  return std::binary_search(base + adjacency_.offsets[from], base + adjacency_.offsets[from + 1],
                            to);
}

template <typename RngT>
std::uint32_t RandomWalker::WalkFrom(std::uint32_t start, RngT& rng, std::uint32_t* out) const {
  const double inv_p = 1.0 / options_.return_p;
  const double inv_q = 1.0 / options_.inout_q;
  const double max_bias = std::max({inv_p, 1.0, inv_q});
  std::uint32_t length = 1;
  out[0] = start;
  std::uint32_t current = start;
  while (length < options_.walk_length &&
         adjacency_.offsets[current + 1] > adjacency_.offsets[current]) {
    std::uint32_t next = SampleNeighbor(current, rng);
    if (second_order_ && length >= 2) {
      const std::uint32_t previous = out[length - 2];
      for (;;) {
        const double bias = next == previous          ? inv_p
                            : HasEdge(previous, next) ? 1.0
                                                      : inv_q;
        if (rng.Uniform() * max_bias < bias) break;
        next = SampleNeighbor(current, rng);
      }
    }
    out[length++] = next;
    current = next;
  }
  return length;
}

Result<SequenceCorpus> RandomWalker::Walk(std::span<const std::uint32_t> start_nodes) const {
  const std::uint32_t n = num_nodes();
  std::vector<std::uint32_t> starts;
  if (start_nodes.empty()) {
    starts.resize(n);
    std::iota(starts.begin(), starts.end(), 0u);
  } else {
    for (std::size_t i = 0; i < start_nodes.size(); ++i) {
      if (start_nodes[i] >= n) {
        return Status::InvalidArgument(fmt::format(
            "walks: start node {} (entry {}) is out of range ({} nodes)", start_nodes[i], i, n));
      }
    }
    starts.assign(start_nodes.begin(), start_nodes.end());
  }
  const std::size_t per_pass = starts.size();
  const std::size_t walks = per_pass * options_.walks_per_node;
  const std::size_t length = options_.walk_length;

  std::vector<std::uint32_t> tokens(walks * length);
  std::vector<std::uint64_t> offsets(walks + 1, 0);
  const int threads = embed_internal::ArenaThreads(options_.threads);
  tbb::task_arena arena(threads);
  arena.execute([&] {
    for (std::uint32_t pass = 0; pass < options_.walks_per_node; ++pass) {
      std::vector<std::uint32_t> order = starts;
      Rng shuffle(options_.seed, kOrderStream + pass);
      for (std::size_t i = order.size(); i > 1; --i) {
        std::swap(order[i - 1], order[shuffle.Below(static_cast<std::uint32_t>(i))]);
      }
      const std::size_t base = static_cast<std::size_t>(pass) * per_pass;
      tbb::parallel_for(tbb::blocked_range<std::size_t>(0, per_pass, 64),
                        [&](const tbb::blocked_range<std::size_t>& range) {
                          for (std::size_t j = range.begin(); j != range.end(); ++j) {
                            const std::uint32_t start = order[j];
                            Rng rng(options_.seed, start, pass);
                            offsets[base + j + 1] =
                                WalkFrom(start, rng, tokens.data() + (base + j) * length);
                          }
                        });
    }
  });
  // Lengths to offsets, then close the gaps left by walks that ended early.
  for (std::size_t i = 0; i < walks; ++i) offsets[i + 1] += offsets[i];
  for (std::size_t i = 0; i < walks; ++i) {
    const std::size_t from = i * length;
    if (from != offsets[i]) {
      std::memmove(tokens.data() + offsets[i], tokens.data() + from,
                   (offsets[i + 1] - offsets[i]) * sizeof(std::uint32_t));
    }
  }
  tokens.resize(offsets.back());
  tokens.shrink_to_fit();
  return SequenceCorpus(std::move(offsets), std::move(tokens));
}

WalkOptions BudgetWalks(const WalkOptions& options, std::uint64_t start_nodes) {
  WalkOptions out = options;
  const std::uint64_t budget = options.max_total_tokens;
  if (budget == 0 || start_nodes == 0 || options.walks_per_node == 0) return out;
  const std::uint64_t per_walk = options.walk_length;
  if (start_nodes * options.walks_per_node * per_walk <= budget) return out;
  out.walks_per_node = static_cast<std::uint32_t>(
      std::clamp<std::uint64_t>(budget / (start_nodes * per_walk), 1, options.walks_per_node));
  if (start_nodes * per_walk > budget) {
    out.walk_length = static_cast<std::uint32_t>(std::clamp<std::uint64_t>(
        budget / start_nodes, std::min<std::uint64_t>(8, options.walk_length),
        options.walk_length));
  }
  return out;
}

}  // namespace partnergraph
