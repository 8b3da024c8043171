// Deterministic parallel building blocks of the graph build (private to src/graph).
//
// Lists<T> is a CSR of per-source lists: the entries of source s are
// entries[offsets[s], offsets[s+1]). BuildPerSource fills one in parallel with
// oneTBB, in fixed blocks of sources whose results are concatenated in source
// order, so the output never depends on the thread count or the scheduling.
#pragma once

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "partnergraph/common/progress.hpp"
#include "partnergraph/common/status.hpp"

namespace partnergraph::graph_internal {

template <typename T>
struct Lists {
  std::vector<std::uint32_t> offsets;  // sources + 1 entries
  std::vector<T> entries;

  std::uint32_t sources() const {
    return offsets.empty() ? 0u : static_cast<std::uint32_t>(offsets.size() - 1);
  }
  std::span<const T> Of(std::uint32_t s) const {
    return std::span<const T>(entries.data() + offsets[s], offsets[s + 1] - offsets[s]);
  }
  std::uint32_t SizeOf(std::uint32_t s) const { return offsets[s + 1] - offsets[s]; }
};

// The edges of one kind before the CSR is assembled: the kind-k edges of the
// s-th node of SourceType(k) go to the local ids entries[offsets[s], offsets[s+1])
// of TargetType(k), in the order the graph stores them.
using EdgeLists = Lists<std::uint32_t>;

inline constexpr std::uint32_t kSourcesPerBlock = 256;

// A progress bar when `show` (GraphOptions::show_progress), else null.
inline std::unique_ptr<Progress> MakeProgress(bool show, const char* label, std::uint64_t total) {
  if (!show) return nullptr;
  return std::make_unique<Progress>(label, total);
}

// Turns per-source counts stored at offsets[s + 1] into prefix sums.
// InvalidArgument when the total exceeds 2^32 - 1 (`what` names the structure).
inline Status PrefixSum(std::vector<std::uint32_t>& offsets, std::string_view what) {
  std::uint64_t total = 0;
  if (offsets.empty()) return Status::Ok();
  offsets[0] = 0;
  for (std::size_t s = 1; s < offsets.size(); ++s) {
    total += offsets[s];
    if (total > 0xFFFFFFFEull) {
      return Status::InvalidArgument(std::string(what) + " has more than 2^32 - 2 entries");
    }
    offsets[s] = static_cast<std::uint32_t>(total);
  }
  return Status::Ok();
}

// Calls fn(s, out) for every source s in [0, n); fn appends the entries of s
// to `out` (a vector local to the block). fn runs concurrently for distinct
// sources. `progress` may be null.
template <typename T, typename Fn>
Result<Lists<T>> BuildPerSource(std::uint32_t n, std::string_view what, Progress* progress,
                                Fn&& fn) {
  Lists<T> lists;
  lists.offsets.assign(static_cast<std::size_t>(n) + 1, 0);
  const std::uint32_t blocks = (n + kSourcesPerBlock - 1) / kSourcesPerBlock;
  std::vector<std::vector<T>> parts(blocks);
  tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, blocks),
                    [&](const tbb::blocked_range<std::uint32_t>& r) {
                      for (std::uint32_t b = r.begin(); b != r.end(); ++b) {
                        std::vector<T>& part = parts[b];
                        std::uint32_t end = std::min<std::uint64_t>(
                            n, static_cast<std::uint64_t>(b + 1) * kSourcesPerBlock);
                        for (std::uint32_t s = b * kSourcesPerBlock; s < end; ++s) {
                          std::size_t before = part.size();
                          fn(s, part);
                          lists.offsets[s + 1] = static_cast<std::uint32_t>(part.size() - before);
                        }
                        if (progress != nullptr) progress->Advance(end - b * kSourcesPerBlock);
                      }
                    });
  for (const auto& part : parts) {
    if (part.size() > 0xFFFFFFFEull) {
      return Status::InvalidArgument(std::string(what) + " has more than 2^32 - 2 entries");
    }
  }
  PG_RETURN_IF_ERROR(PrefixSum(lists.offsets, what));
  lists.entries.resize(lists.offsets.back());
  tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, blocks),
                    [&](const tbb::blocked_range<std::uint32_t>& r) {
                      for (std::uint32_t b = r.begin(); b != r.end(); ++b) {
                        std::copy(parts[b].begin(), parts[b].end(),
                                  lists.entries.begin() + lists.offsets[b * kSourcesPerBlock]);
                        std::vector<T>().swap(parts[b]);
                      }
                    });
  return lists;
}

// The transpose of `in` over `targets` nodes: out.Of(t) lists, for every
// source s in ascending order and every entry e of in.Of(s) with
// target_of(e) == t, make(s, e, i) where i is e's index in in.entries.
// Sequential, O(entries).
template <typename Out, typename In, typename TargetOf, typename Make>
Lists<Out> Transpose(const Lists<In>& in, std::uint32_t targets, TargetOf&& target_of,
                     Make&& make) {
  Lists<Out> out;
  out.offsets.assign(static_cast<std::size_t>(targets) + 1, 0);
  for (const In& e : in.entries) ++out.offsets[target_of(e) + 1];
  for (std::size_t t = 1; t < out.offsets.size(); ++t) out.offsets[t] += out.offsets[t - 1];
  out.entries.resize(in.entries.size());
  std::vector<std::uint32_t> cursor(out.offsets.begin(), out.offsets.end() - 1);
  for (std::uint32_t s = 0; s < in.sources(); ++s) {
    for (std::uint32_t i = in.offsets[s]; i < in.offsets[s + 1]; ++i) {
      const In& e = in.entries[i];
      out.entries[cursor[target_of(e)]++] = make(s, e, i);
    }
  }
  return out;
}

}  // namespace partnergraph::graph_internal
