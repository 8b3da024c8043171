// The process's memory use as the kernel reports it, for build reports and
// benchmarks (Linux: /proc/self/statm and getrusage).
//
// Thread safety: both functions may be called from any thread.
#pragma once

#include <cstdint>

namespace partnergraph {

// Resident set size now, in bytes; 0 when it cannot be read.
std::uint64_t CurrentRssBytes();

// The largest resident set size of the process so far (the high-water mark),
// in bytes; 0 when it cannot be read.
std::uint64_t PeakRssBytes();

}  // namespace partnergraph
