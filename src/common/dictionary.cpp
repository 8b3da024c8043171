#include "partnergraph/common/dictionary.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstdlib>
#include <functional>

namespace partnergraph {
namespace {

constexpr std::uint64_t kEmpty = 0;
constexpr int kMinBits = 4;

// A slot is full above 70% occupancy.
bool TooFull(std::size_t names, int bits) {
  return bits == 0 || names * 10 >= (std::size_t{1} << bits) * 7;
}

}  // namespace

std::uint32_t Dictionary::Tag(std::string_view name) {
  // std::hash<std::string_view> is a 64-bit murmur hash in libstdc++; fold both
  // halves so that the slot (high bits of the tag) depends on every input byte.
  std::uint64_t h = std::hash<std::string_view>()(name);
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 32;
  return static_cast<std::uint32_t>(h);
}

std::size_t Dictionary::Home(std::uint32_t tag, int bits) {
  // The table never exceeds 2^32 slots (ids are 32-bit), so `bits` <= 32.
  return bits == 0 ? 0 : static_cast<std::size_t>(tag >> (32 - bits));
}

int Dictionary::Bits() const {
  return slots_.empty() ? 0 : std::countr_zero(slots_.size());
}

void Dictionary::Rehash(int bits) {
  std::vector<std::uint64_t> slots(std::size_t{1} << bits, kEmpty);
  const std::size_t mask = slots.size() - 1;
  for (std::uint64_t slot : slots_) {
    if (slot == kEmpty) continue;
    std::size_t i = Home(static_cast<std::uint32_t>(slot >> 32), bits);
    while (slots[i] != kEmpty) i = (i + 1) & mask;
    slots[i] = slot;
  }
  slots_ = std::move(slots);
}

std::uint32_t Dictionary::Find(std::string_view name) const {
  if (slots_.empty()) return kNotFound;
  const std::uint32_t tag = Tag(name);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = Home(tag, Bits());; i = (i + 1) & mask) {
    std::uint64_t slot = slots_[i];
    if (slot == kEmpty) return kNotFound;
    if (static_cast<std::uint32_t>(slot >> 32) == tag) {
      auto id = static_cast<std::uint32_t>(slot) - 1;
      if (Name(id) == name) return id;
    }
  }
}

void Dictionary::FindBatch(std::span<const std::string_view> names,
                           std::span<std::uint32_t> ids) const {
  assert(names.size() == ids.size());
  if (slots_.empty()) {
    std::fill(ids.begin(), ids.end(), kNotFound);
    return;
  }
  const int bits = Bits();
  const std::size_t mask = slots_.size() - 1;
  constexpr std::size_t kGroup = 16;
  std::uint32_t tags[kGroup];
  std::size_t home[kGroup];
  for (std::size_t base = 0; base < names.size(); base += kGroup) {
    const std::size_t count = std::min(kGroup, names.size() - base);
    const std::string_view* group = names.data() + base;
    std::uint32_t* found = ids.data() + base;
    for (std::size_t i = 0; i < count; ++i) {
      tags[i] = Tag(group[i]);
      home[i] = Home(tags[i], bits);
      __builtin_prefetch(&slots_[home[i]]);
    }
    // The first slot with the same tag is, but for a tag collision, the name.
    for (std::size_t i = 0; i < count; ++i) {
      found[i] = kNotFound;
      for (std::size_t s = home[i];; s = (s + 1) & mask) {
        const std::uint64_t slot = slots_[s];
        if (slot == kEmpty) break;
        if (static_cast<std::uint32_t>(slot >> 32) == tags[i]) {
          found[i] = static_cast<std::uint32_t>(slot) - 1;
          __builtin_prefetch(&starts_[found[i]]);
          break;
        }
      }
    }
    for (std::size_t i = 0; i < count; ++i) {
      if (found[i] != kNotFound) __builtin_prefetch(bytes_.data() + starts_[found[i]]);
    }
    for (std::size_t i = 0; i < count; ++i) {
      if (found[i] != kNotFound && Name(found[i]) != group[i]) found[i] = Find(group[i]);
    }
  }
}

void Dictionary::Prefetch(std::string_view name) const {
  if (!slots_.empty()) __builtin_prefetch(&slots_[Home(Tag(name), Bits())]);
}

std::uint32_t Dictionary::Add(std::string_view name) {
  if (TooFull(starts_.size() + 1, Bits())) Rehash(slots_.empty() ? kMinBits : Bits() + 1);
  const std::uint32_t tag = Tag(name);
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = Home(tag, Bits());
  for (;; i = (i + 1) & mask) {
    std::uint64_t slot = slots_[i];
    if (slot == kEmpty) break;
    if (static_cast<std::uint32_t>(slot >> 32) == tag) {
      auto id = static_cast<std::uint32_t>(slot) - 1;
      if (Name(id) == name) return id;
    }
  }
  if (starts_.size() >= kMaxSize) std::abort();  // documented: callers bound their input
  auto id = static_cast<std::uint32_t>(starts_.size());
  starts_.push_back(bytes_.size());
  bytes_.insert(bytes_.end(), name.begin(), name.end());
  slots_[i] = (static_cast<std::uint64_t>(tag) << 32) | (static_cast<std::uint64_t>(id) + 1);
  return id;
}

void Dictionary::Reserve(std::size_t names, std::size_t bytes) {
  starts_.reserve(names);
  if (bytes != 0) bytes_.reserve(bytes);
  int bits = slots_.empty() ? kMinBits : Bits();
  while (TooFull(names, bits)) ++bits;
  if (bits != Bits()) Rehash(bits);
}

std::vector<std::string> Dictionary::Names() const {
  std::vector<std::string> names;
  names.reserve(size());
  for (std::uint32_t id = 0; id < size(); ++id) names.emplace_back(Name(id));
  return names;
}

std::size_t Dictionary::MemoryBytes() const {
  return bytes_.capacity() + starts_.capacity() * sizeof(std::uint64_t) +
         slots_.capacity() * sizeof(std::uint64_t);
}

}  // namespace partnergraph
