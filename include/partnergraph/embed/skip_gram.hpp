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
// tokens. Each epoch processes the blocks in rounds of `shards` consecutive
// blocks. Within a round all blocks are trained concurrently (oneTBB), each
// one sequentially with plain SGD on a private copy-on-first-touch view of
// the rows it uses, read from the shared model as it stood at the start of
// the round. At the end of the round each block's change to a row (its row
// minus the shared row) is added to the shared model divided by the number of
// blocks of the round that changed that row (per-row model averaging), block
// after block in block order. A block's random draws (windows, negatives,
// subsampling) come from a stream keyed by (seed, epoch, block); initial
// vectors from (seed, token).
// => The result depends on the corpus, the vocabulary size and the options
//    (seed, shards and block_tokens included) only: it is bit-identical for
//    any thread count and any scheduling.
// Trade-off against Hogwild (the lock-free shared updates of word2vec and
// gensim): Hogwild applies every update at once and costs nothing to merge,
// but its result depends on thread timing. Here a block does not see the
// other blocks' updates of its round, so a row that several blocks change in
// one round (a frequent token) moves by the average of their changes rather
// than their sum: frequent tokens learn a little less per token than under
// sequential SGD (they have the most data), rare tokens exactly as much.
// Simply summing the changes instead overshoots badly on small vocabularies
// (measured: two-community walks no longer separate). The merge costs
// O(rows touched * dim) per block, a fraction of the gradient work; the
// speed-up is bounded by `shards`.
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
