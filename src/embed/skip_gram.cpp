// One file (~620 lines) on purpose: it is one algorithm, the sharded SGNS trainer. The row
// helpers above Trainer (LocalRows, RowOwners, BlockRows, the Vec4 kernels) exist only for its
// inner loop and are kept in this translation unit so that they inline into it; the corpus
// and vocabulary preparation already live in sequence_corpus.cpp and purchase_sequences.cpp.
#include "partnergraph/embed/skip_gram.hpp"

#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "arena_threads.hpp"
#include "rng.hpp"

namespace partnergraph {
namespace {

using embed_internal::Rng;

// Stream id of the initial vectors, above every epoch number.
constexpr std::uint64_t kInitStream = 1ull << 40;

// word2vec's sigmoid table: 1000 entries over [-6, 6].
class SigmoidTable {
 public:
  static constexpr int kSize = 1000;
  static constexpr float kMaxExp = 6.0f;
  SigmoidTable() {
    for (int i = 0; i < kSize; ++i) {
      const double x = (static_cast<double>(i) / kSize * 2.0 - 1.0) * kMaxExp;
      const double e = std::exp(x);
      table_[static_cast<std::size_t>(i)] = static_cast<float>(e / (e + 1.0));
    }
  }
  // The SGD coefficient (label - sigmoid(f)) * rate, saturating outside [-6, 6].
  float Gradient(float f, float label, float rate) const {
    if (f >= kMaxExp) return (label - 1.0f) * rate;
    if (f <= -kMaxExp) return label * rate;
    const auto i = static_cast<std::size_t>((f + kMaxExp) * (kSize / kMaxExp / 2.0f));
    return (label - table_[std::min<std::size_t>(i, kSize - 1)]) * rate;
  }

 private:
  std::array<float, kSize> table_{};
};

// Walker/Vose alias table over the tokens with a positive weight.
class AliasTable {
 public:
  explicit AliasTable(const std::vector<double>& weights) {
    for (std::uint32_t t = 0; t < weights.size(); ++t) {
      if (weights[t] > 0) tokens_.push_back(t);
    }
    const std::size_t n = tokens_.size();
    if (n == 0) return;
    double total = 0;
    for (std::uint32_t t : tokens_) total += weights[t];
    std::vector<double> scaled(n);
    for (std::size_t i = 0; i < n; ++i) scaled[i] = weights[tokens_[i]] * n / total;
    probability_.assign(n, 1.0f);
    alias_.resize(n);
    for (std::size_t i = 0; i < n; ++i) alias_[i] = static_cast<std::uint32_t>(i);
    std::vector<std::uint32_t> small;
    std::vector<std::uint32_t> large;
    for (std::size_t i = 0; i < n; ++i) {
      (scaled[i] < 1.0 ? small : large).push_back(static_cast<std::uint32_t>(i));
    }
    while (!small.empty() && !large.empty()) {
      const std::uint32_t s = small.back();
      small.pop_back();
      const std::uint32_t l = large.back();
      probability_[s] = static_cast<float>(scaled[s]);
      alias_[s] = l;
      scaled[l] -= 1.0 - scaled[s];
      if (scaled[l] < 1.0) {
        large.pop_back();
        small.push_back(l);
      }
    }
    // What remains in either list has probability 1 (up to rounding).
  }
  bool empty() const { return tokens_.empty(); }
  // One 64-bit draw: the high half picks the slot, the low 24 bits the coin.
  std::uint32_t Sample(Rng& rng) const {
    const std::uint64_t x = rng.Next();
    const auto i = static_cast<std::uint32_t>(((x >> 32) * tokens_.size()) >> 32);
    const float coin = static_cast<float>(x & 0xFFFFFFu) * 0x1.0p-24f;
    return tokens_[coin < probability_[i] ? i : alias_[i]];
  }

 private:
  std::vector<std::uint32_t> tokens_;
  std::vector<float> probability_;
  std::vector<std::uint32_t> alias_;
};

// Four-float SIMD vectors (GCC/Clang vector extension: SSE on x86-64, NEON on ARM).
// Sums are taken in a fixed order, so results are the same on every run.
typedef float Vec4 __attribute__((vector_size(16)));

[[gnu::always_inline]] inline Vec4 Load(const float* p) {
  Vec4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

[[gnu::always_inline]] inline void Store(float* p, Vec4 v) { std::memcpy(p, &v, sizeof v); }

[[gnu::always_inline]] inline float Dot(const float* a, const float* b, std::uint32_t n) {
  Vec4 acc0 = {0, 0, 0, 0};
  Vec4 acc1 = {0, 0, 0, 0};
  std::uint32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    acc0 += Load(a + i) * Load(b + i);
    acc1 += Load(a + i + 4) * Load(b + i + 4);
  }
  const Vec4 acc = acc0 + acc1;
  float sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

// y += alpha * x.
[[gnu::always_inline]] inline void Axpy(float* y, float alpha, const float* x, std::uint32_t n) {
  const Vec4 va = {alpha, alpha, alpha, alpha};
  std::uint32_t i = 0;
  for (; i + 4 <= n; i += 4) Store(y + i, Load(y + i) + va * Load(x + i));
  for (; i < n; ++i) y[i] += alpha * x[i];
}

// A block's private copies of the rows it shares with other blocks of its round (copied
// from the shared model on first touch), found through an open-addressing hash map.
class LocalRows {
 public:
  explicit LocalRows(std::uint32_t dim) : dim_(dim) { Rehash(1024); }

  // The private copy of `row`, copying it from `shared` (row-major, dim_ wide) if new.
  // The pointer is valid until the next Get().
  float* Get(std::uint32_t row, const float* shared) {
    std::size_t i = Hash(row);
    while (keys_[i] != kEmpty) {
      if (keys_[i] == row) return values_.data() + static_cast<std::size_t>(slots_[i]) * dim_;
      i = (i + 1) & mask_;
    }
    if ((rows_.size() + 1) * 2 > keys_.size()) {
      Rehash(keys_.size() * 2);
      return Get(row, shared);
    }
    const auto slot = static_cast<std::uint32_t>(rows_.size());
    keys_[i] = row;
    slots_[i] = slot;
    rows_.push_back(row);
    const float* source = shared + static_cast<std::size_t>(row) * dim_;
    values_.insert(values_.end(), source, source + dim_);
    return values_.data() + static_cast<std::size_t>(slot) * dim_;
  }
  // Turns each private row into its change: private - shared.
  void SubtractShared(const float* shared) {
    for (std::size_t s = 0; s < rows_.size(); ++s) {
      Axpy(values_.data() + s * dim_, -1.0f, shared + static_cast<std::size_t>(rows_[s]) * dim_,
           dim_);
    }
  }
  // Adds the changes to the shared model.
  void AddTo(float* shared) const {
    for (std::size_t s = 0; s < rows_.size(); ++s) {
      Axpy(shared + static_cast<std::size_t>(rows_[s]) * dim_, 1.0f, values_.data() + s * dim_,
           dim_);
    }
  }
  // Overwrites the shared rows with the private ones (the first block of a round, whose
  // rows still hold what it copied).
  void CopyTo(float* shared) const {
    for (std::size_t s = 0; s < rows_.size(); ++s) {
      std::memcpy(shared + static_cast<std::size_t>(rows_[s]) * dim_, values_.data() + s * dim_,
                  dim_ * sizeof(float));
    }
  }
  void Clear() {
    // Every key is removed, so emptying the slots one by one never breaks a probe chain
    // that is still needed.
    for (std::uint32_t row : rows_) {
      std::size_t i = Hash(row);
      while (keys_[i] != row) i = (i + 1) & mask_;
      keys_[i] = kEmpty;
    }
    rows_.clear();
    values_.clear();
  }

 private:
  static constexpr std::uint32_t kEmpty = 0xFFFFFFFFu;
  std::size_t Hash(std::uint32_t row) const {
    return static_cast<std::size_t>((row * 0x9E3779B97F4A7C15ull) >> 32) & mask_;
  }
  void Rehash(std::size_t capacity) {
    keys_.assign(capacity, kEmpty);
    slots_.assign(capacity, 0);
    mask_ = capacity - 1;
    for (std::size_t s = 0; s < rows_.size(); ++s) {
      std::size_t i = Hash(rows_[s]);
      while (keys_[i] != kEmpty) i = (i + 1) & mask_;
      keys_[i] = rows_[s];
      slots_[i] = static_cast<std::uint32_t>(s);
    }
  }

  std::uint32_t dim_;
  std::vector<std::uint32_t> keys_;
  std::vector<std::uint32_t> slots_;
  std::size_t mask_ = 0;
  std::vector<std::uint32_t> rows_;
  std::vector<float> values_;
};

// Which block of the current round uses each row: none, exactly one (its index), or
// several (kShared). Marked concurrently by the blocks of a round; the final state does
// not depend on the order of the marks.
class RowOwners {
 public:
  static constexpr std::uint32_t kNone = 0xFFFFFFFFu;
  static constexpr std::uint32_t kShared = 0xFFFFFFFEu;
  explicit RowOwners(std::uint32_t rows) : owner_(rows, kNone) {}

  void Mark(std::uint32_t row, std::uint32_t block) {
    std::atomic_ref<std::uint32_t> owner(owner_[row]);
    std::uint32_t current = owner.load(std::memory_order_relaxed);
    while (current != block && current != kShared) {
      const std::uint32_t wanted = current == kNone ? block : kShared;
      if (owner.compare_exchange_weak(current, wanted, std::memory_order_relaxed)) return;
    }
  }
  void Reset(std::uint32_t row) {
    std::atomic_ref<std::uint32_t>(owner_[row]).store(kNone, std::memory_order_relaxed);
  }
  // Read only while nobody marks (between the parallel phases).
  bool Shared(std::uint32_t row) const { return owner_[row] == kShared; }

 private:
  std::vector<std::uint32_t> owner_;
};

// Row access for one block: rows only this block uses are read and written in the shared
// model directly; rows shared with other blocks of the round go through private copies.
class BlockRows {
 public:
  BlockRows(float* shared, std::uint32_t dim, const RowOwners& owners, LocalRows& local)
      : shared_(shared), dim_(dim), owners_(owners), local_(local) {}
  float* Get(std::uint32_t row) {
    if (owners_.Shared(row)) return local_.Get(row, shared_);
    return shared_ + static_cast<std::size_t>(row) * dim_;
  }

 private:
  float* shared_;
  std::uint32_t dim_;
  const RowOwners& owners_;
  LocalRows& local_;
};

// Blocks trained concurrently: options.shards, fewer when the corpus has fewer distinct
// tokens than shards * block_tokens (see skip_gram.hpp).
// Epochs within the token-pass budget: options.epochs, lowered to
// max(min_epochs, max_token_passes / tokens) (min_epochs capped at epochs).
std::uint32_t EffectiveEpochs(const SgnsOptions& options, std::uint64_t tokens) {
  if (options.max_token_passes == 0 || tokens == 0) return options.epochs;
  const std::uint64_t fit = options.max_token_passes / tokens;
  const std::uint64_t floor = std::clamp<std::uint32_t>(options.min_epochs, 1, options.epochs);
  return static_cast<std::uint32_t>(std::clamp<std::uint64_t>(fit, floor, options.epochs));
}

std::size_t EffectiveShards(const SgnsOptions& options, std::uint64_t distinct_tokens) {
  const std::uint64_t by_vocabulary = distinct_tokens / options.block_tokens;
  return static_cast<std::size_t>(std::clamp<std::uint64_t>(by_vocabulary, 1, options.shards));
}

// A contiguous range of sequences trained as one unit.
struct Block {
  std::size_t first_sequence = 0;
  std::size_t end_sequence = 0;
};

// Every random draw of one block, made before training so that the rows the block will
// touch are known in advance.
struct BlockPlan {
  // Kept tokens (after subsampling) of the sequences that keep at least two.
  std::vector<std::uint32_t> tokens;
  // End offset in `tokens` and learning rate of each such sequence.
  std::vector<std::size_t> sequence_ends;
  std::vector<float> rates;
  // Per kept token: its window reach, in [1, window].
  std::vector<std::uint32_t> reach;
  // Per (centre, context) pair, in training order: `negatives` draws.
  std::vector<std::uint32_t> negatives;

  void Clear() {
    tokens.clear();
    sequence_ends.clear();
    rates.clear();
    reach.clear();
    negatives.clear();
  }
};

class Trainer {
 public:
  Trainer(const SequenceCorpus& corpus, std::uint32_t vocab_size, const SgnsOptions& options)
      : corpus_(corpus), vocab_size_(vocab_size), options_(options) {}

  // The number of blocks per round Run() used.
  std::size_t effective_shards() const { return effective_shards_; }
  // The epochs Run() trained (options.epochs, lowered by max_token_passes).
  std::uint32_t effective_epochs() const { return epochs_; }

  // Trains and returns the vectors of `output_tokens` in that order (empty: every token of
  // the vocabulary, row t = token t); tokens absent from the corpus get zero rows.
  Embeddings Run(std::span<const std::uint32_t> output_tokens) {
    const std::uint32_t dim = options_.dim;
    std::vector<double> counts(vocab_size_, 0.0);
    for (std::uint32_t t : corpus_.tokens()) counts[t] += 1.0;
    const double total_tokens = static_cast<double>(corpus_.token_count());

    keep_probability_.assign(vocab_size_, 1.0f);
    if (options_.subsample > 0) {
      for (std::uint32_t t = 0; t < vocab_size_; ++t) {
        if (counts[t] == 0) continue;
        const double f = counts[t] / total_tokens;
        const double keep = (std::sqrt(f / options_.subsample) + 1.0) * options_.subsample / f;
        keep_probability_[t] = static_cast<float>(std::min(1.0, keep));
      }
    }
    std::vector<double> weights(vocab_size_);
    std::uint64_t distinct = 0;
    for (std::uint32_t t = 0; t < vocab_size_; ++t) {
      weights[t] = counts[t] > 0 ? std::pow(counts[t], options_.negative_power) : 0.0;
      distinct += counts[t] > 0;
    }
    negatives_ = std::make_unique<AliasTable>(weights);
    weights = {};

    // Model rows only for the tokens that occur, in token order. Draws (the plans) are made
    // in token ids and translated to rows, and each row starts from its token's seed, so the
    // vectors are those of a model with a row per vocabulary token, bit for bit.
    row_of_.assign(vocab_size_, kNoRow);
    token_of_row_.clear();
    token_of_row_.reserve(distinct);
    for (std::uint32_t t = 0; t < vocab_size_; ++t) {
      if (counts[t] == 0) continue;
      row_of_[t] = static_cast<std::uint32_t>(token_of_row_.size());
      token_of_row_.push_back(t);
    }
    counts = {};
    const auto rows = static_cast<std::uint32_t>(token_of_row_.size());
    input_.assign(static_cast<std::size_t>(rows) * dim, 0.0f);
    output_.assign(static_cast<std::size_t>(rows) * dim, 0.0f);
    tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, rows, 1024),
                      [&](const tbb::blocked_range<std::uint32_t>& range) {
                        for (std::uint32_t r = range.begin(); r != range.end(); ++r) {
                          Rng rng(options_.seed, kInitStream, token_of_row_[r]);
                          float* row = input_.data() + static_cast<std::size_t>(r) * dim;
                          for (std::uint32_t k = 0; k < dim; ++k) {
                            row[k] = static_cast<float>((rng.Uniform() - 0.5) / dim);
                          }
                        }
                      });

    MakeBlocks();
    epochs_ = EffectiveEpochs(options_, corpus_.token_count());
    total_work_ = total_tokens * epochs_;
    const std::size_t shards = EffectiveShards(options_, distinct);
    effective_shards_ = shards;
    std::vector<BlockPlan> plans(shards);
    std::vector<LocalRows> local_input(shards, LocalRows(dim));
    std::vector<LocalRows> local_output(shards, LocalRows(dim));
    RowOwners input_owners(rows);
    RowOwners output_owners(rows);
    for (std::uint32_t epoch = 0; epoch < epochs_; ++epoch) {
      for (std::size_t round = 0; round < blocks_.size(); round += shards) {
        const std::size_t in_round = std::min<std::size_t>(shards, blocks_.size() - round);
        // 1. Draw, and mark the rows each block will use.
        tbb::parallel_for(std::size_t{0}, in_round, [&](std::size_t s) {
          Plan(epoch, round + s, plans[s]);
          for (std::uint32_t& t : plans[s].tokens) t = row_of_[t];
          for (std::uint32_t& t : plans[s].negatives) t = row_of_[t];
          const auto block = static_cast<std::uint32_t>(s);
          for (std::uint32_t t : plans[s].tokens) {
            input_owners.Mark(t, block);
            output_owners.Mark(t, block);
          }
          for (std::uint32_t t : plans[s].negatives) output_owners.Mark(t, block);
        });
        // 2. Train; shared rows on private copies, turned into changes afterwards (the
        //    first block's copies are simply written back).
        tbb::parallel_for(std::size_t{0}, in_round, [&](std::size_t s) {
          BlockRows input(input_.data(), dim, input_owners, local_input[s]);
          BlockRows output(output_.data(), dim, output_owners, local_output[s]);
          Train(plans[s], input, output);
          if (s > 0) {
            local_input[s].SubtractShared(input_.data());
            local_output[s].SubtractShared(output_.data());
          }
        });
        // 3. Merge the shared rows in block order, then forget the round.
        for (std::size_t s = 0; s < in_round; ++s) {
          if (s == 0) {
            local_input[s].CopyTo(input_.data());
            local_output[s].CopyTo(output_.data());
          } else {
            local_input[s].AddTo(input_.data());
            local_output[s].AddTo(output_.data());
          }
        }
        tbb::parallel_for(std::size_t{0}, in_round, [&](std::size_t s) {
          for (std::uint32_t t : plans[s].tokens) {
            input_owners.Reset(t);
            output_owners.Reset(t);
          }
          for (std::uint32_t t : plans[s].negatives) output_owners.Reset(t);
          local_input[s].Clear();
          local_output[s].Clear();
        });
      }
    }
    output_ = {};
    const std::size_t out_rows = output_tokens.empty() ? vocab_size_ : output_tokens.size();
    auto token_at = [&](std::size_t i) {
      return output_tokens.empty() ? static_cast<std::uint32_t>(i) : output_tokens[i];
    };
    // Rows of tokens that never occurred are zero. They are left out (sparse storage)
    // whenever that takes less memory: a dim-float row saved against a 4-byte slot per row
    // and a 4-byte id per stored row. The vectors are the same either way.
    std::vector<std::uint32_t> stored;
    for (std::size_t i = 0; i < out_rows; ++i) {
      if (row_of_[token_at(i)] != kNoRow) stored.push_back(static_cast<std::uint32_t>(i));
    }
    const bool sparse = (out_rows - stored.size()) * dim > out_rows + stored.size();
    const std::size_t value_rows = sparse ? stored.size() : out_rows;
    std::vector<float> values(value_rows * dim, 0.0f);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, value_rows, 4096),
                      [&](const tbb::blocked_range<std::size_t>& range) {
                        for (std::size_t i = range.begin(); i != range.end(); ++i) {
                          const std::uint32_t t = token_at(sparse ? stored[i] : i);
                          if (row_of_[t] == kNoRow) continue;
                          std::copy_n(input_.data() + static_cast<std::size_t>(row_of_[t]) * dim,
                                      dim, values.data() + i * dim);
                        }
                      });
    input_ = {};
    Embeddings result =
        (sparse ? Embeddings::FromStoredRows(static_cast<std::uint32_t>(out_rows), dim,
                                             std::move(stored), std::move(values))
                : Embeddings::FromValues(static_cast<std::uint32_t>(out_rows), dim,
                                         std::move(values)))
            .value();
    if (options_.normalize) result.NormalizeRows();
    return result;
  }

 private:
  void MakeBlocks() {
    Block block;
    std::uint64_t tokens = 0;
    for (std::size_t i = 0; i < corpus_.size(); ++i) {
      tokens += corpus_.Sequence(i).size();
      if (tokens >= options_.block_tokens) {
        block.end_sequence = i + 1;
        blocks_.push_back(block);
        block.first_sequence = i + 1;
        tokens = 0;
      }
    }
    if (block.first_sequence < corpus_.size()) {
      block.end_sequence = corpus_.size();
      blocks_.push_back(block);
    }
  }

  // Makes every random draw of block `block_index` in epoch `epoch`, in training order.
  void Plan(std::uint32_t epoch, std::size_t block_index, BlockPlan& plan) const {
    plan.Clear();
    const Block& block = blocks_[block_index];
    Rng rng(options_.seed, epoch, block_index);
    const double epoch_start =
        static_cast<double>(epoch) * static_cast<double>(corpus_.token_count());
    for (std::size_t q = block.first_sequence; q < block.end_sequence; ++q) {
      const std::size_t begin = plan.tokens.size();
      for (std::uint32_t t : corpus_.Sequence(q)) {
        if (options_.subsample > 0 && static_cast<float>(rng.Uniform()) >= keep_probability_[t]) {
          continue;
        }
        plan.tokens.push_back(t);
      }
      const std::size_t n = plan.tokens.size() - begin;
      if (n < 2) {
        plan.tokens.resize(begin);
        continue;
      }
      const double done = epoch_start + static_cast<double>(corpus_.offsets()[q]);
      plan.rates.push_back(static_cast<float>(
          options_.learning_rate *
          std::max(options_.min_learning_rate_ratio, 1.0 - done / (total_work_ + 1.0))));
      plan.sequence_ends.push_back(plan.tokens.size());
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t reach = 1 + rng.Below(options_.window);
        plan.reach.push_back(reach);
        const std::size_t lo = i >= reach ? i - reach : 0;
        const std::size_t hi = std::min<std::size_t>(n, i + reach + 1);
        const std::size_t pairs = hi - lo - 1;
        if (negatives_->empty()) continue;
        for (std::size_t p = 0; p < pairs * options_.negatives; ++p) {
          plan.negatives.push_back(negatives_->Sample(rng));
        }
      }
    }
  }

  // Sequential SGD over one block's plan.
  void Train(const BlockPlan& plan, BlockRows& input, BlockRows& output) const {
    const std::uint32_t dim = options_.dim;
    const std::uint32_t negatives = negatives_->empty() ? 0 : options_.negatives;
    std::vector<float> gradient(dim);
    std::size_t begin = 0;
    std::size_t next_negative = 0;
    for (std::size_t q = 0; q < plan.sequence_ends.size(); ++q) {
      const std::size_t end = plan.sequence_ends[q];
      const float rate = plan.rates[q];
      const std::size_t n = end - begin;
      const std::uint32_t* kept = plan.tokens.data() + begin;
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t centre = kept[i];
        const std::size_t reach = plan.reach[begin + i];
        const std::size_t lo = i >= reach ? i - reach : 0;
        const std::size_t hi = std::min(n, i + reach + 1);
        for (std::size_t j = lo; j < hi; ++j) {
          if (j == i) continue;
          float* context = input.Get(kept[j]);
          std::fill(gradient.begin(), gradient.end(), 0.0f);
          for (std::uint32_t d = 0; d <= negatives; ++d) {
            std::uint32_t target = centre;
            float label = 1.0f;
            if (d > 0) {
              target = plan.negatives[next_negative++];
              if (target == centre) continue;
              label = 0.0f;
            }
            float* out = output.Get(target);
            const float g = sigmoid_.Gradient(Dot(context, out, dim), label, rate);
            Axpy(gradient.data(), g, out, dim);
            Axpy(out, g, context, dim);
          }
          Axpy(context, 1.0f, gradient.data(), dim);
        }
      }
      begin = end;
    }
  }

  const SequenceCorpus& corpus_;
  std::uint32_t vocab_size_;
  SgnsOptions options_;
  SigmoidTable sigmoid_;
  std::unique_ptr<AliasTable> negatives_;
  std::vector<float> keep_probability_;
  std::vector<Block> blocks_;
  double total_work_ = 0;
  std::size_t effective_shards_ = 1;
  std::uint32_t epochs_ = 1;
  static constexpr std::uint32_t kNoRow = 0xFFFFFFFFu;
  std::vector<std::uint32_t> row_of_;        // per token: its model row, or kNoRow
  std::vector<std::uint32_t> token_of_row_;  // per model row: its token (ascending)
  std::vector<float> input_;                 // rows x dim
  std::vector<float> output_;                // rows x dim
};

}  // namespace

Result<Embeddings> TrainSkipGram(const SequenceCorpus& corpus, std::uint32_t vocab_size,
                                 const SgnsOptions& options,
                                 std::span<const std::uint32_t> output_tokens) {
  PG_RETURN_IF_ERROR(Validate(options));
  for (std::size_t i = 0; i < output_tokens.size(); ++i) {
    if (output_tokens[i] >= vocab_size) {
      return Status::InvalidArgument(
          fmt::format("skip-gram: output token {} ({}) is outside the vocabulary of {}", i,
                      output_tokens[i], vocab_size));
    }
  }
  for (std::size_t q = 0; q < corpus.size(); ++q) {
    const auto sequence = corpus.Sequence(q);
    for (std::size_t p = 0; p < sequence.size(); ++p) {
      if (sequence[p] >= vocab_size) {
        return Status::InvalidArgument(
            fmt::format("skip-gram: sequence {}, position {}: token {} is outside the vocabulary "
                        "of {}",
                        q, p, sequence[p], vocab_size));
      }
    }
  }
  const int threads = embed_internal::ArenaThreads(options.threads);
  tbb::task_arena arena(threads);
  Embeddings result;
  Trainer trainer(corpus, vocab_size, options);
  arena.execute([&] { result = trainer.Run(output_tokens); });
  nlohmann::ordered_json config;
  config["method"] = "sgns";
  config["sgns"] = nlohmann::ordered_json::parse(ToJson(options));
  config["effective_shards"] = trainer.effective_shards();
  config["effective_epochs"] = trainer.effective_epochs();
  config["sequences"] = corpus.size();
  config["tokens"] = corpus.token_count();
  result.set_config_json(config.dump());
  return result;
}

}  // namespace partnergraph
