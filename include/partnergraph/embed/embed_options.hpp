// EmbedOptions: every knob of the embed module, with its default.
//
// The model configuration (models/default.json, documented in models/README.md
// "Configuration") holds them under the "embed" key; ParseEmbedOptions reads
// that section. Each algorithm takes only its own part (PpmiOptions,
// SvdOptions, WalkOptions, SgnsOptions, SequenceOptions), and checks it with
// the matching Validate() before it starts.
//
// Determinism: every algorithm here is a pure function of its input, its
// options (seed included) and, where noted, the thread count; see each
// algorithm's header.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "partnergraph/common/status.hpp"

namespace partnergraph {

// Positive pointwise mutual information weighting (ppmi.hpp).
struct PpmiOptions {
  // Context distribution smoothing exponent alpha (Levy, Goldberg & Dagan 2015): context
  // probabilities are count^alpha / sum count^alpha, which lowers PMI of rare contexts.
  // 1 gives plain PMI. Range (0, 1].
  double context_smoothing = 0.75;
  // Shift k of shifted PPMI: max(PMI - log k, 0). 1 means no shift. Range [1, inf).
  double shift = 1.0;
};

// Truncated randomized SVD (randomized_svd.hpp), Halko, Martinsson & Tropp 2011.
struct SvdOptions {
  // Embedding dimension d: the number of singular vectors kept. When the matrix has fewer
  // rows or columns than d, the missing dimensions are zero. Range [1, 4096].
  std::uint32_t dim = 64;
  // Extra random test vectors beyond d; more makes the leading vectors more accurate.
  // Range [0, 1024].
  std::uint32_t oversampling = 10;
  // Power (subspace) iterations, each re-orthonormalised; 2 to 5 suffice when the
  // spectrum decays slowly (as PPMI spectra do). Range [0, 32].
  std::uint32_t power_iterations = 4;
  // Row i of the embedding is U[i] * S^power: 0 keeps the bare singular vectors, 1 the full
  // spectrum, 0.5 the symmetric split that usually works best for similarity. Range [0, 1].
  double singular_value_power = 0.5;
  // L2-normalise each row (rows without any entry stay zero).
  bool normalize = true;
  // Seed of the Gaussian test matrix.
  std::uint64_t seed = 42;
  // oneTBB threads for the sparse products; 0 = all cores. The result does not depend on it
  // except through OpenBLAS (see randomized_svd.hpp).
  std::uint32_t threads = 0;
};

// Random walks over a graph (random_walker.hpp): DeepWalk, or node2vec when p or q != 1.
struct WalkOptions {
  // Walks started from each start node. Range [0, 10000].
  std::uint32_t walks_per_node = 10;
  // Nodes per walk, the start node included; a walk that reaches a node without
  // out-edges ends there. Range [1, 100000].
  std::uint32_t walk_length = 40;
  // node2vec return parameter p: the weight of stepping back to the previous node is 1/p.
  // Range (0, inf).
  double return_p = 1.0;
  // node2vec in-out parameter q: the weight of stepping to a node not adjacent to the
  // previous node is 1/q (q > 1 keeps walks local, q < 1 pushes them outward).
  // Range (0, inf).
  double inout_q = 1.0;
  // Seed; walk w from node v draws from a stream keyed by (seed, v, w).
  std::uint64_t seed = 42;
  // oneTBB threads; 0 = all cores. The walks do not depend on it.
  std::uint32_t threads = 0;
  // Budget of walk tokens (start nodes x walks_per_node x walk_length), so that training
  // cost stays bounded on large graphs; 0 = no budget. Over budget, walks_per_node is
  // lowered (to at least 1), then walk_length (to at least 8): see BudgetWalks in
  // random_walker.hpp. Range [0, 1e12].
  std::uint64_t max_total_tokens = 0;
};

// Skip-gram with negative sampling (skip_gram.hpp), Mikolov et al. 2013.
struct SgnsOptions {
  // Embedding dimension. Range [1, 4096].
  std::uint32_t dim = 64;
  // Maximum distance between a centre token and a context token; each centre token draws
  // its effective window uniformly from [1, window] as word2vec does. Range [1, 1000].
  std::uint32_t window = 5;
  // Negative samples per positive pair. Range [0, 100].
  std::uint32_t negatives = 5;
  // Passes over the corpus. Range [1, 1000].
  std::uint32_t epochs = 5;
  // Initial learning rate, decayed linearly over all epochs. Range (0, 1].
  double learning_rate = 0.025;
  // The decayed rate never goes below learning_rate * this. Range [0, 1].
  double min_learning_rate_ratio = 1e-4;
  // Negatives are drawn from the unigram distribution raised to this power. Range [0, 1].
  double negative_power = 0.75;
  // Frequent-token subsampling threshold t (word2vec's "sample"): a token of corpus
  // frequency f is kept with probability (sqrt(f/t) + 1) * t / f. 0 disables it. Keep 0 on
  // small corpora, where every token looks frequent; 1e-4 to 1e-5 suits large catalogues.
  // Range [0, 1).
  double subsample = 0.0;
  // Blocks of the corpus trained concurrently in one synchronous round (skip_gram.hpp):
  // the most threads that help, and the staleness of the updates. The result depends on
  // it; the thread count does not. Lowered automatically for small vocabularies. 2 suits
  // a 2-core machine; more shards scale further but drift from sequential SGD on skewed
  // data. Range [1, 1024].
  std::uint32_t shards = 2;
  // Tokens per block (a block never splits a sequence, so it may hold more): the
  // granularity of the synchronous rounds. Range [64, 1 << 24].
  std::uint32_t block_tokens = 1024;
  // L2-normalise the output vectors (tokens absent from the corpus stay zero).
  bool normalize = true;
  // Seed of the initial vectors, the window draws, the negatives and the subsampling.
  std::uint64_t seed = 42;
  // oneTBB threads; 0 = all cores.
  std::uint32_t threads = 0;
  // Budget of token passes (corpus tokens x epochs) so that training cost stays bounded
  // on large corpora; 0 = no budget. Over budget, the epochs are lowered to
  // max(min_epochs, budget / corpus tokens) (the embedding's config_json records
  // "effective_epochs"). Range [0, 1e12].
  std::uint64_t max_token_passes = 0;
  // The fewest epochs max_token_passes may leave (at most `epochs`), so that the budget
  // grows with the corpus beyond max_token_passes / min_epochs tokens instead of leaving
  // each token fewer passes: every occurrence of a token is trained at least min_epochs
  // times. Range [1, 1000].
  std::uint32_t min_epochs = 1;
};

// Item2vec-style training sequences from purchases (purchase_sequences.hpp).
struct SequenceOptions {
  // Sequences shorter than this (after collapsing repeats) are dropped: they carry no
  // co-occurrence. Range [1, inf).
  std::uint32_t min_length = 2;
  // Longer sequences are cut into consecutive pieces of at most this many tokens
  // (0 = no limit), so one heavy buyer does not dominate a block.
  std::uint32_t max_length = 1000;
  // Collapse consecutive purchases of the same SKU into one token.
  bool collapse_repeats = true;
  // SKUs that occur fewer than this many times in the customers' sequences (after
  // collapsing repeats, before min_length and max_length) are removed from them, as
  // word2vec's min_count removes rare words: they get no vector (a zero row, so no entry in
  // the SKU index), and their neighbours in a sequence become adjacent. 1 keeps every SKU.
  // Range [1, inf).
  std::uint32_t min_count = 1;
};

// Matrix-factorisation embeddings: PPMI weighting, then truncated SVD.
struct MatrixEmbeddingOptions {
  PpmiOptions ppmi;
  SvdOptions svd;
};

// Random-walk embeddings: walks over the graph, then skip-gram.
struct WalkEmbeddingOptions {
  WalkOptions walks;
  SgnsOptions sgns;
};

// Sequence embeddings: customers' time-ordered purchases, then skip-gram.
struct SequenceEmbeddingOptions {
  SequenceOptions sequences;
  SgnsOptions sgns;
};

// The embed module's options, one entry per embedding the engine trains.
struct EmbedOptions {
  // Merchant audience embedding (a): PPMI-SVD of the merchant x customer (or segment) matrix.
  MatrixEmbeddingOptions merchant_svd;
  // Merchant audience embedding (b): skip-gram over merchant-customer-SKU graph walks.
  WalkEmbeddingOptions merchant_walk;
  // SKU embedding for pairing: item2vec over customers' time-ordered purchases.
  SequenceEmbeddingOptions sku_item2vec;
  // SKU embedding for pairing: PPMI-SVD of the SKU x SKU co-purchase matrix.
  MatrixEmbeddingOptions sku_svd;
};

// Check ranges (given above). Return InvalidArgument naming the field, e.g.
// "sgns.window: 0 is out of range [1, 1000]".
Status Validate(const PpmiOptions& options);
Status Validate(const SvdOptions& options);
Status Validate(const WalkOptions& options);
Status Validate(const SgnsOptions& options);
Status Validate(const SequenceOptions& options);

// Reads the "embed" object of a model configuration document (JSON text). Keys that are
// absent keep their defaults; a document without "embed" yields all defaults.
// Errors: InvalidArgument naming `source_name` and the key path for malformed JSON, an
// unknown key, a value of the wrong type or out of range
// ("models/default.json: embed.merchant_walk.sgns.window: 0 is out of range [1, 1000]").
Result<EmbedOptions> ParseEmbedOptions(std::string_view json_text, std::string_view source_name);
// Reads the file and parses it as above. Errors: IOError when unreadable, or as above.
Result<EmbedOptions> LoadEmbedOptions(const std::filesystem::path& path);

// Compact JSON objects of the options, for the configuration stored with embeddings.
std::string ToJson(const PpmiOptions& options);
std::string ToJson(const SvdOptions& options);
std::string ToJson(const WalkOptions& options);
std::string ToJson(const SgnsOptions& options);
std::string ToJson(const SequenceOptions& options);

}  // namespace partnergraph
