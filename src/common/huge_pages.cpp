#include "partnergraph/common/huge_pages.hpp"

#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace partnergraph {

void AdviseHugePages(const void* data, std::size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t kHugePage = std::uintptr_t{2} << 20;
  if (data == nullptr || bytes < 2 * kHugePage) return;
  const auto begin = reinterpret_cast<std::uintptr_t>(data);
  const std::uintptr_t first = (begin + kHugePage - 1) & ~(kHugePage - 1);
  const std::uintptr_t last = (begin + bytes) & ~(kHugePage - 1);
  if (last <= first) return;
  // A hint: failure (e.g. memory that is not an anonymous mapping) changes nothing.
  // The aligned address as `data` plus an offset (no integer-to-pointer cast): madvise changes
  // no byte, the cast away from const only satisfies its signature.
  void* aligned = const_cast<char*>(static_cast<const char*>(data)) + (first - begin);
  (void)madvise(aligned, last - first, MADV_HUGEPAGE);
#else
  (void)data;
  (void)bytes;
#endif
}

void AdviseHugePagesMapping(void* mapping, std::size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (mapping == nullptr || bytes == 0) return;
  (void)madvise(mapping, bytes, MADV_HUGEPAGE);  // a hint, as above
#else
  (void)mapping;
  (void)bytes;
#endif
}

}  // namespace partnergraph
