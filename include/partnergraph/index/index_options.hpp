// IndexOptions: the knobs of the nearest-neighbour indexes, one set per
// embedding that gets an index. The model configuration (models/default.json,
// documented in models/README.md "Configuration") holds them under "index".
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "partnergraph/common/status.hpp"

namespace partnergraph {

// How one VectorIndex is built and searched by default.
struct VectorIndexOptions {
  // A FAISS index_factory string ("Flat", "HNSW32", "IVF1024,Flat", "IVF4096,PQ16", ...),
  // or "auto": "Flat" (exact) below `exact_below` vectors, `auto_large_factory` from there.
  std::string factory = "auto";
  // With "auto": vector counts below this get an exact index. Exact search of one 64-dim
  // query took about 3 ms per 100,000 vectors on one core of the (busy) 2-core target
  // machine (bench/index_bench.cpp), so 50,000 stays near the 1 ms budget.
  std::uint64_t exact_below = 50000;
  // With "auto": the index above exact_below. HNSW needs no training; at 100,000 vectors
  // it answered one query in about 0.2 ms at recall@10 >= 0.99 with efSearch 64
  // (bench/index_bench.cpp).
  std::string auto_large_factory = "HNSW32";
  // HNSW construction beam width (FAISS's default is 40); higher builds slower and
  // searches more accurately. Range [1, 4096].
  std::uint32_t hnsw_ef_construction = 80;
  // HNSW search beam width used when a search does not set its own; clamped up to k.
  // Range [1, kMaxEfSearch].
  static constexpr std::uint32_t kMaxEfSearch = 65536;
  std::uint32_t hnsw_ef_search = 64;
  // IVF lists probed when a search does not set its own. Range [1, kMaxNprobe].
  static constexpr std::uint32_t kMaxNprobe = 1u << 20;
  std::uint32_t ivf_nprobe = 16;
  // Indexes that need training (IVF, PQ) train on at most this many vectors, taken at an
  // even stride. Range [1, inf).
  std::uint64_t max_training_vectors = 262144;
  // L2-normalise the vectors and the queries, so that inner product is cosine similarity.
  bool normalize = true;
  // OpenMP threads used to train and fill the index; 0 = all cores. With more than one
  // thread the HNSW graph depends on thread timing (search results may differ slightly
  // between builds); 1 makes builds reproducible.
  std::uint32_t build_threads = 0;
};

// The index module's options.
struct IndexOptions {
  // The merchant audience-embedding index (partner candidates).
  VectorIndexOptions merchants;
  // The SKU-embedding index (coupon-pairing candidates).
  VectorIndexOptions skus;
};

// Checks ranges (given above) and that factory strings are non-empty. Errors:
// InvalidArgument naming the field ("hnsw_ef_search: 0 is out of range [1, 65536]").
Status Validate(const VectorIndexOptions& options);

// Reads the "index" object of a model configuration document (JSON text): {"merchants":
// {...}, "skus": {...}}. Absent keys keep their defaults; a document without "index"
// yields all defaults. Errors: InvalidArgument naming `source_name` and the key path for
// malformed JSON, unknown keys, wrong types and values out of range.
Result<IndexOptions> ParseIndexOptions(std::string_view json_text, std::string_view source_name);
// Reads the file and parses it as above. Errors: IOError when unreadable, or as above.
Result<IndexOptions> LoadIndexOptions(const std::filesystem::path& path);

}  // namespace partnergraph
