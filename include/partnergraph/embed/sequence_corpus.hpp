// SequenceCorpus: sequences of u32 tokens (random walks, customers' purchase
// histories), the input of the skip-gram trainer.
//
// Layout: sequence i is tokens()[offsets()[i] .. offsets()[i + 1]); offsets()
// has size() + 1 entries and starts at 0. Tokens are dense ids of the
// caller's vocabulary (graph node ids, SkuId::value, ...).
//
// Ownership: owns its arrays. Thread safety: const members may be called
// concurrently; Add needs exclusive access.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace partnergraph {

class SequenceCorpus {
 public:
  SequenceCorpus() = default;
  // Takes ready-made arrays; the caller guarantees the layout above (asserted in debug).
  SequenceCorpus(std::vector<std::uint64_t> offsets, std::vector<std::uint32_t> tokens);

  // Appends one sequence (it may be empty).
  void Add(std::span<const std::uint32_t> sequence);
  void Reserve(std::size_t sequences, std::size_t tokens);

  // Number of sequences.
  std::size_t size() const { return offsets_.size() - 1; }
  bool empty() const { return size() == 0; }
  std::uint64_t token_count() const { return tokens_.size(); }
  // Sequence i (i < size(); asserted).
  std::span<const std::uint32_t> Sequence(std::size_t i) const;
  const std::vector<std::uint64_t>& offsets() const { return offsets_; }
  const std::vector<std::uint32_t>& tokens() const { return tokens_; }

 private:
  std::vector<std::uint64_t> offsets_{0};
  std::vector<std::uint32_t> tokens_;
};

}  // namespace partnergraph
