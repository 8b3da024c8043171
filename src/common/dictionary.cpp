#include "partnergraph/common/dictionary.hpp"

namespace partnergraph {

std::uint32_t Dictionary::Add(std::string_view name) {
  auto it = index_.find(name);
  if (it != index_.end()) return it->second;
  auto id = static_cast<std::uint32_t>(names_.size());
  names_.emplace_back(name);
  index_.emplace(std::string(name), id);
  return id;
}

std::uint32_t Dictionary::Find(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? kNotFound : it->second;
}

void Dictionary::Reserve(std::size_t n) {
  names_.reserve(n);
  index_.reserve(n);
}

std::size_t Dictionary::MemoryBytes() const {
  std::size_t bytes = names_.capacity() * sizeof(std::string);
  for (const auto& s : names_) bytes += s.capacity() > 15 ? s.capacity() + 1 : 0;
  // Each map node holds a second copy of the string, the id and a next pointer.
  bytes += index_.size() * (sizeof(std::string) + sizeof(std::uint32_t) + sizeof(void*));
  for (const auto& s : names_) bytes += s.capacity() > 15 ? s.capacity() + 1 : 0;
  bytes += index_.bucket_count() * sizeof(void*);
  return bytes;
}

}  // namespace partnergraph
