// Skip-gram with negative sampling (SGNS; word2vec's skip-gram, Mikolov et
// al. 2013) over a SequenceCorpus: random walks (DeepWalk/node2vec) or
// purchase sequences (item2vec).
//
// Model: an input vector and an output vector per token. For each centre
// token and each context token within its window (drawn uniformly from
// [1, window]), the context's input vector is pulled towards the centre's
// output vector and pushed from the output vectors of `negatives` tokens drawn
// from the unigram distribution raised to negative_power (an alias table, so
// a draw is O(1) whatever the vocabulary size). The learning rate decays
// linearly with the tokens processed, over all epochs. The input vectors are
// the embeddings.
//
// Parallel training that is deterministic: synchronous rounds.
// The corpus is cut into blocks of whole sequences of about block_tokens
// tokens. Each epoch processes the blocks in rounds of S consecutive blocks
// (S = shards, see below). A round:
//   1. each block makes all its random draws up front (subsampling, window
//      reaches, negatives; a stream keyed by (seed, epoch, block)) and marks
//      the rows it will use;
//   2. the S blocks train concurrently (oneTBB), each with sequential SGD.
//      A row that only this block uses is updated in place in the shared
//      model, exactly as sequential SGD would; a row that several blocks use
//      is trained on the block's private copy, taken from the shared model as
//      it stood at the start of the round;
//   3. each block's changes to the shared rows (its copy minus the shared row)
//      are added to the shared model, block after block in block order.
// Initial vectors come from streams keyed by (seed, token).
// => The result depends on the corpus, the vocabulary size and the options
//    (seed, shards and block_tokens included) only: it is bit-identical for
//    any thread count and any scheduling. A round with one block (S = 1) is
//    plain sequential SGD.
// Trade-offs against Hogwild (the lock-free shared updates of word2vec and
// gensim), whose result depends on thread timing:
//   - Staleness: a shared row does not see the other blocks' updates of its
//     round, and moves by the sum of their changes. When every block updates
//     a row many times the sum of S nearly parallel steps overshoots; hence
//     small blocks, a small default S (2, the target machine's cores), and S
//     lowered to max(1, distinct tokens / block_tokens) for small
//     vocabularies, where every block would touch every row (config_json
//     records the S used). Measured: with S = 2 two-community walks separate
//     as well as with sequential SGD; with S = 8 a 20-token vocabulary no
//     longer does. Averaging the changes instead never overshoots but
//     under-trains frequent rows (1/S of their updates): it lost the
//     community structure of a 21,000-token bipartite graph.
//   - Cost: negatives are drawn from the whole vocabulary, so many output rows
//     are shared by the blocks of a round and pay a copy, a subtraction and an
//     addition. Measured on one core (21,000 tokens, dim 64, window 5, 5
//     negatives): 0.52 M tokens/s with S = 1, 0.31 M tokens/s of CPU with
//     S = 2, so two cores gain little over one; Hogwild would gain about 2x
//     at the price of reproducibility.
//
// Memory: 2 * D * dim floats for the model and D * 8 bytes of row marks, where D
// is the number of distinct tokens in the corpus (not the vocabulary: a walk
// corpus visits a fraction of the graph's nodes, an item2vec corpus without its
// rare SKUs a fraction of the SKUs); about 30 bytes per vocabulary token of
// counts and sampling tables; the result (its rows x dim floats); plus per
// concurrent block its draws (about block_tokens * 2 * window * negatives * 4
// bytes) and its shared rows' copies.
#pragma once

#include <cstdint>
#include <span>

#include "partnergraph/common/status.hpp"
#include "partnergraph/embed/embed_options.hpp"
#include "partnergraph/embed/embeddings.hpp"
#include "partnergraph/embed/sequence_corpus.hpp"

namespace partnergraph {

// Trains SGNS vectors for tokens 0 .. vocab_size - 1 on `corpus`, on a oneTBB arena of
// options.threads threads (0 = all cores). Returns the input vectors of `output_tokens`,
// row i = token output_tokens[i] (empty: vocab_size x options.dim, row t = token t); rows
// of tokens that never occur in the corpus are zero (and not stored, Embeddings::sparse(),
// whenever that takes less memory); rows are L2-normalised when
// options.normalize. A token's vector does not depend on which tokens are output.
// config_json records the method and options. Errors: InvalidArgument for options out of
// range or a token >= vocab_size (naming the sequence and position, or the output index).
// Thread safety: pure function; concurrent calls are independent.
Result<Embeddings> TrainSkipGram(const SequenceCorpus& corpus, std::uint32_t vocab_size,
                                 const SgnsOptions& options,
                                 std::span<const std::uint32_t> output_tokens = {});

}  // namespace partnergraph
