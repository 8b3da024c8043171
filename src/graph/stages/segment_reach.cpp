#include "stages/segment_reach.hpp"

#include <tbb/enumerable_thread_specific.h>

#include <algorithm>
#include <utility>

#include "graph_data.hpp"

namespace partnergraph::graph_internal {

Result<SegmentReachEdges> DeriveSegmentReach(const SegmentReachInput& in) {
  const std::uint32_t M = in.has_customer.sources();
  tbb::enumerable_thread_specific<std::vector<std::uint32_t>> scratch;
  using Entry = std::pair<std::uint32_t, std::uint32_t>;  // segment, customers
  PG_ASSIGN_OR_RETURN(
      auto reach, BuildPerSource<Entry>(
                      M, "segment reach", nullptr, [&](std::uint32_t m, std::vector<Entry>& out) {
                        auto& segs = scratch.local();
                        segs.clear();
                        for (std::uint32_t c : in.has_customer.Of(m)) {
                          if (in.customer_segment[c] != kNone)
                            segs.push_back(in.customer_segment[c]);
                        }
                        std::sort(segs.begin(), segs.end());
                        for (std::size_t i = 0; i < segs.size();) {
                          std::size_t j = i;
                          while (j < segs.size() && segs[j] == segs[i]) ++j;
                          out.push_back({segs[i], static_cast<std::uint32_t>(j - i)});
                          i = j;
                        }
                      }));
  auto reaches = Transpose<Entry>(
      reach, in.segments, [](const Entry& e) { return e.first; },
      [](std::uint32_t m, const Entry& e, std::uint32_t) {
        return Entry{m, e.second};
      });
  SegmentReachEdges r;
  r.reached_by.offsets = std::move(reach.offsets);
  r.reached_by.entries.resize(reach.entries.size());
  r.reached_by_customers.resize(reach.entries.size());
  for (std::size_t i = 0; i < reach.entries.size(); ++i) {
    r.reached_by.entries[i] = reach.entries[i].first;
    r.reached_by_customers[i] = reach.entries[i].second;
  }
  r.reaches.offsets = std::move(reaches.offsets);
  r.reaches.entries.resize(reaches.entries.size());
  r.reaches_customers.resize(reaches.entries.size());
  for (std::size_t i = 0; i < reaches.entries.size(); ++i) {
    r.reaches.entries[i] = reaches.entries[i].first;
    r.reaches_customers[i] = reaches.entries[i].second;
  }
  return r;
}

}  // namespace partnergraph::graph_internal
