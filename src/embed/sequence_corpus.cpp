#include "partnergraph/embed/sequence_corpus.hpp"

#include <cassert>

namespace partnergraph {

SequenceCorpus::SequenceCorpus(std::vector<std::uint64_t> offsets,
                               std::vector<std::uint32_t> tokens)
    : offsets_(std::move(offsets)), tokens_(std::move(tokens)) {
  assert(!offsets_.empty() && offsets_.front() == 0 && offsets_.back() == tokens_.size());
}

void SequenceCorpus::Add(std::span<const std::uint32_t> sequence) {
  tokens_.insert(tokens_.end(), sequence.begin(), sequence.end());
  offsets_.push_back(tokens_.size());
}

void SequenceCorpus::Reserve(std::size_t sequences, std::size_t tokens) {
  offsets_.reserve(sequences + 1);
  tokens_.reserve(tokens);
}

std::span<const std::uint32_t> SequenceCorpus::Sequence(std::size_t i) const {
  assert(i < size());
  return {tokens_.data() + offsets_[i], static_cast<std::size_t>(offsets_[i + 1] - offsets_[i])};
}

}  // namespace partnergraph
