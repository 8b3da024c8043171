// VectorIndex: k-nearest-neighbour search over embeddings with FAISS, the
// candidate stage of the recommenders.
//
// Similarity: inner product. With VectorIndexOptions::normalize (the default)
// the index stores L2-normalised copies of the vectors and normalises the
// queries, so scores are cosine similarities in [-1, 1] (a zero vector scores
// 0 against everything).
//
// Index type: a FAISS index_factory string ("Flat", "HNSW32", "IVF1024,Flat",
// ...) from the options, or "auto": an exact "Flat" index below
// options.exact_below vectors (50,000 by default), options.auto_large_factory
// ("HNSW32") from there (index_options.hpp gives the reasons). Indexes that
// need training (IVF, PQ) are trained on the vectors at Build.
//
// Ids: FAISS holds the vectors at positions 0 .. n - 1 in Build's order; the
// VectorIndex maps positions to the engine's u32 ids given at Build (e.g.
// MerchantId::value). The map is ours rather than a faiss::IndexIDMap because
// FAISS 1.7.3's IndexIDMap refuses per-search parameters, which the filters
// and per-search efSearch/nprobe need.
//
// Files (Save/Load): "<name>.faiss" is FAISS's own format (faiss::write_index),
// "<name>.faiss.meta" the sidecar: magic "PGIDXMT\0", version, dim,
// fingerprint, vector count, default efSearch/nprobe, normalize flag, factory
// string, the id map, the size and CRC-32 of the .faiss file, and a CRC-32 of
// the sidecar itself (layout in vector_index.cpp). The fingerprint is the
// caller's (the graph's fingerprint): Load refuses an index built for another
// graph.
//
// Thread safety: Search() is const and may be called from many threads at
// once. This relies on FAISS's guarantee that CPU indexes are safe for
// concurrent search() calls (its wiki, "Threads and asynchronous calls"):
// Flat, HNSW and IVF only read their data while searching, and each call
// passes its own faiss::SearchParameters (efSearch, nprobe, filter) instead of
// changing the index. Build, Save and Load touch one index each and may run
// concurrently on different indexes. Moving or destroying a VectorIndex while
// it is searched is a race. OpenMP threads: see faiss_threads.hpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "partnergraph/common/status.hpp"
#include "partnergraph/index/index_options.hpp"

namespace partnergraph {

// One search hit: the engine id and its similarity score.
struct Neighbor {
  std::uint32_t id = 0;
  float score = 0;
  friend bool operator==(const Neighbor&, const Neighbor&) = default;
};

// The hits of a batch of queries. Query i's hits are ordered by descending score, ties by
// ascending id; there are at most k of them, fewer when the index holds fewer vectors
// (or, with a filter, fewer allowed ones reachable by the search).
class SearchResults {
 public:
  std::size_t num_queries() const { return offsets_.size() - 1; }
  // Query i's hits (i < num_queries(); asserted).
  std::span<const Neighbor> Query(std::size_t i) const;

 private:
  friend class VectorIndex;
  std::vector<std::size_t> offsets_{0};
  std::vector<Neighbor> neighbors_;
};

// Decides which ids a search may return. Allows() is called from FAISS's search threads,
// possibly from several at once: implementations must be thread-safe (a const lookup).
class IdFilter {
 public:
  virtual ~IdFilter() = default;
  virtual bool Allows(std::uint32_t id) const = 0;
};

// Allows the ids whose bit is set (ids beyond the bitmap are refused). Owns its bitmap.
class IdBitmapFilter final : public IdFilter {
 public:
  explicit IdBitmapFilter(std::vector<bool> allowed) : allowed_(std::move(allowed)) {}
  // Allows exactly the listed ids.
  static IdBitmapFilter FromIds(std::span<const std::uint32_t> ids);
  bool Allows(std::uint32_t id) const override { return id < allowed_.size() && allowed_[id]; }

 private:
  std::vector<bool> allowed_;
};

// Per-search settings; the defaults use the index's own.
struct SearchOptions {
  // HNSW beam width; 0 = VectorIndexOptions::hnsw_ef_search. Raised to k when smaller.
  std::uint32_t ef_search = 0;
  // IVF lists probed; 0 = VectorIndexOptions::ivf_nprobe.
  std::uint32_t nprobe = 0;
  // Only ids it allows are returned; nullptr = all. Not owned; must outlive the call.
  // With HNSW, a filter that refuses most ids lowers recall (the beam fills with refused
  // nodes); raise ef_search or use a Flat index for such searches.
  const IdFilter* filter = nullptr;
  // OpenMP threads for this call (restored afterwards); 0 = the calling thread's current
  // setting (faiss_threads.hpp).
  int omp_threads = 0;
};

// What a saved index's sidecar records, read without loading the index (ReadFileInfo).
struct VectorIndexFileInfo {
  std::uint64_t fingerprint = 0;      // the fingerprint given to Save (the graph's)
  std::uint64_t index_file_size = 0;  // size of the .faiss file as saved
  std::uint32_t index_file_crc = 0;   // CRC-32 of the .faiss file as saved
};

class VectorIndex {
 public:
  // Builds an index over `ids.size()` vectors: `vectors` is row-major
  // ids.size() x dim float32, row i belonging to engine id ids[i]. Uses
  // options.build_threads OpenMP threads.
  // Errors: InvalidArgument when dim is 0, vectors.size() != ids.size() * dim, an id
  // repeats, a value is NaN or infinite (naming the row), the options are out of range,
  // or FAISS rejects the factory string or the data (e.g. fewer training vectors than
  // IVF lists), with FAISS's reason; Internal for other FAISS failures.
  static Result<VectorIndex> Build(std::span<const float> vectors, std::uint32_t dim,
                                   std::span<const std::uint32_t> ids,
                                   const VectorIndexOptions& options);

  VectorIndex(VectorIndex&&) noexcept;
  VectorIndex& operator=(VectorIndex&&) noexcept;
  ~VectorIndex();

  // Searches the queries (row-major nq x dim(), nq = queries.size() / dim()) for their k
  // best hits each, in one batched FAISS call. k = 0 or an empty index gives empty hit
  // lists; k above size() is clamped. Errors: InvalidArgument when queries.size() is not
  // a multiple of dim() or a query value is not finite; Internal for FAISS failures.
  Result<SearchResults> Search(std::span<const float> queries, std::uint32_t k,
                               const SearchOptions& options = {}) const;

  // Writes `path` (FAISS format) and `path` + ".meta" (the sidecar, recording
  // `fingerprint`), each to a temporary file renamed into place, the sidecar last: after
  // a crash in between, Load refuses the pair (checksum mismatch) rather than mixing
  // them. On success the index takes the saved file's fingerprint() and file_checksum().
  // Errors: IOError naming the file.
  Status Save(const std::filesystem::path& path, std::uint64_t fingerprint);

  // Reads an index written by Save. Errors: IOError when a file cannot be read;
  // InvalidArgument when the sidecar's fingerprint differs from `expected_fingerprint`
  // ("index merchants.faiss was built for a different graph (fingerprint 0x... !=
  // 0x...)"); Corruption naming the file when either file is truncated, its checksum or
  // size does not match, or FAISS cannot read it or it disagrees with the sidecar.
  static Result<VectorIndex> Load(const std::filesystem::path& path,
                                  std::uint64_t expected_fingerprint);

  // What the sidecar of the index saved at `path` ("<path>.meta") records, from its header
  // and its last bytes only (the sidecar's own checksum is checked by Load, not here).
  // Errors: IOError when it cannot be read; Corruption naming the sidecar when it is too
  // short, not a sidecar or of another version.
  static Result<VectorIndexFileInfo> ReadFileInfo(const std::filesystem::path& path);

  // Number of vectors.
  std::uint32_t size() const;
  std::uint32_t dim() const;
  // The FAISS factory string used ("auto" resolved).
  const std::string& factory() const;
  // The engine ids in FAISS position order.
  const std::vector<std::uint32_t>& ids() const;
  // The fingerprint read by Load or written by the last Save; 0 for an index made by Build
  // and not saved.
  std::uint64_t fingerprint() const;
  // The CRC-32 of the sidecar read by Load or written by the last Save: it covers the
  // .faiss file's size and CRC-32, the id map and the default search settings, so it
  // identifies the saved index (two builds of the same data may differ: see
  // VectorIndexOptions::build_threads). Files derived from the index's answers
  // (sku_neighbors.bin) record it. 0 for an index made by Build and not saved.
  std::uint32_t file_checksum() const;

 private:
  struct Impl;
  explicit VectorIndex(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The factory string "auto" resolves to for `count` vectors (other strings unchanged).
std::string ResolveFactory(const VectorIndexOptions& options, std::uint64_t count);

}  // namespace partnergraph
