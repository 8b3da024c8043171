#include "partnergraph/common/memory_usage.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace partnergraph {

std::uint64_t CurrentRssBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long long size_pages = 0, resident_pages = 0;
  int read = std::fscanf(f, "%llu %llu", &size_pages, &resident_pages);
  std::fclose(f);
  if (read != 2) return 0;
  long page = sysconf(_SC_PAGESIZE);
  return page > 0 ? resident_pages * static_cast<std::uint64_t>(page) : 0;
}

std::uint64_t PeakRssBytes() {
  rusage usage{};
  const std::uint64_t peak =
      getrusage(RUSAGE_SELF, &usage) == 0 ? static_cast<std::uint64_t>(usage.ru_maxrss) * 1024 : 0;
  // The kernel updates its high-water mark lazily (when memory is unmapped), so
  // the current size can be above it: the peak is at least the current size.
  return std::max(peak, CurrentRssBytes());
}

}  // namespace partnergraph
