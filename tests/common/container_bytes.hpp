// Test helpers for the bytes of a binary container file (common/binary_container.hpp): where a
// section lies, and re-sealing the checksums after a deliberate edit so that the edit reaches
// the loader's own checks. Header-only; any byte container (std::string, std::vector<char>,
// std::vector<unsigned char>).
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "partnergraph/common/atomic_file_writer.hpp"
#include "partnergraph/common/binary_container.hpp"

namespace partnergraph::testing {

template <typename Bytes>
std::uint64_t ContainerLoad(const Bytes& b, std::size_t at, std::size_t width) {
  std::uint64_t v = 0;
  std::memcpy(&v, b.data() + at, width);
  return v;
}

template <typename Bytes>
void ContainerStore(Bytes& b, std::size_t at, std::uint64_t v, std::size_t width) {
  std::memcpy(b.data() + at, &v, width);
}

// The file offset of section i's table entry.
inline std::size_t ContainerEntry(std::size_t i) {
  return kContainerFixedBytes + kContainerEntryBytes * i;
}

template <typename Bytes>
std::uint32_t ContainerSectionCount(const Bytes& b) {
  return static_cast<std::uint32_t>(ContainerLoad(b, 12, 4));
}

// (offset, length) of section i.
template <typename Bytes>
std::pair<std::size_t, std::size_t> ContainerSection(const Bytes& b, std::size_t i) {
  const std::size_t e = ContainerEntry(i);
  return {ContainerLoad(b, e + 40, 8), ContainerLoad(b, e + 48, 8)};
}

// The index of section `name`; throws when there is none (a test's mistake).
template <typename Bytes>
std::size_t ContainerSectionIndex(const Bytes& b, std::string_view name) {
  for (std::size_t i = 0; i < ContainerSectionCount(b); ++i) {
    const char* field = reinterpret_cast<const char*>(b.data()) + ContainerEntry(i);
    if (std::string_view(field, strnlen(field, kContainerNameBytes)) == name) return i;
  }
  throw std::logic_error("no section " + std::string(name));
}

// (offset, length) of section `name`.
template <typename Bytes>
std::pair<std::size_t, std::size_t> ContainerSection(const Bytes& b, std::string_view name) {
  return ContainerSection(b, ContainerSectionIndex(b, name));
}

// Rewrites every section's CRC-32 whose range lies inside the file, the header's and the whole
// file's. Leaves what is too short for them alone.
template <typename Bytes>
void ResealContainer(Bytes& b) {
  if (b.size() < kContainerFixedBytes + 8) return;
  const std::size_t n = ContainerSectionCount(b);
  const std::size_t table_end = ContainerEntry(n);
  if (n > kMaxContainerSections || table_end + 8 > b.size()) return;
  const std::size_t body_end = b.size() - 4;
  for (std::size_t i = 0; i < n; ++i) {
    const auto [offset, length] = ContainerSection(b, i);
    if (offset <= body_end && length <= body_end - offset) {
      ContainerStore(b, ContainerEntry(i) + 36, Crc32(0, b.data() + offset, length), 4);
    }
  }
  ContainerStore(b, table_end, Crc32(0, b.data(), table_end), 4);
  ContainerStore(b, body_end, Crc32(0, b.data(), body_end), 4);
}

}  // namespace partnergraph::testing
