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
// Parallel training that is deterministic: synchronous rounds of local SGD.
// The corpus is cut into blocks of whole sequences of about block_tokens
// tokens. Each epoch processes the blocks in rounds of S consecutive blocks
// (S = shards, see below). Within a round the S blocks are trained
// concurrently (oneTBB), each one sequentially with plain SGD on a private
// copy-on-first-touch view of the rows it uses, read from the shared model as
// it stood at the start of the round. At the end of the round each block's
// changes (its row minus the shared row) are added to the shared model, block
// after block in block order. A block's random draws (windows, negatives,
// subsampling) come from a stream keyed by (seed, epoch, block); initial
// vectors from (seed, token).
// => The result depends on the corpus, the vocabulary size and the options
//    (seed, shards and block_tokens included) only: it is bit-identical for
//    any thread count and any scheduling.
// Trade-off against Hogwild (the lock-free shared updates of word2vec and
// gensim): both add up concurrent updates, but Hogwild's are at most a few
// microseconds stale and its result depends on thread timing; here a block
// does not see the other blocks' updates of its round (staleness of up to
// (S - 1) * block_tokens tokens). A row that every block of a round updates
// many times then moves by the sum of S nearly parallel steps and overshoots.
// Hence small blocks, a small default S (2, the target machine's cores: with
// S = 2 two-community walks separate as well as with sequential SGD; with
// S = 8 a 20-token vocabulary no longer does), and S is lowered to
// max(1, distinct tokens / block_tokens) when the vocabulary is small, where
// every block would touch every row (config_json records the S used).
// Averaging the blocks' changes instead of summing them never overshoots but
// was measured to under-train frequent rows (1/S of their updates) badly
// enough to lose community structure on a 21,000-token bipartite graph. The
// merge costs O(rows touched * dim) per block, a fraction of the gradient
// work; the speed-up is bounded by S.
//
// Memory: 2 * vocab_size * dim floats for the model, plus per concurrent
// block its touched rows (at most block_tokens * (window * (negatives + 1)))
// times dim floats.
#pragma once

#include <cstdint>

#include "partnergraph/common/status.hpp"
#include "partnergraph/embed/embed_options.hpp"
#include "partnergraph/embed/embeddings.hpp"
#include "partnergraph/embed/sequence_corpus.hpp"

namespace partnergraph {

// Trains SGNS vectors for tokens 0 .. vocab_size - 1 on `corpus`, on a oneTBB arena of
// options.threads threads (0 = all cores). Returns vocab_size x options.dim embeddings
// (the input vectors); rows of tokens that never occur in the corpus are zero; rows are
// L2-normalised when options.normalize. config_json records the method and options.
// Errors: InvalidArgument for options out of range or a token >= vocab_size (naming the
// sequence and position).
// Thread safety: pure function; concurrent calls are independent.
Result<Embeddings> TrainSkipGram(const SequenceCorpus& corpus, std::uint32_t vocab_size,
                                 const SgnsOptions& options);

}  // namespace partnergraph
