// Over 600 lines: the index's build, its two own search kernels (SearchHnswFlat, SearchFlat,
// measured faster than FAISS's on the serving path) and Save/Load. The kernels would read best
// in a file of their own (src/index/CMakeLists.txt lists the sources: not changed here).
#include "partnergraph/index/vector_index.hpp"

#include <faiss/Index.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVF.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/HNSW.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/impl/io.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>
#include <faiss/utils/Heap.h>
#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <new>
#include <optional>
#include <string>

#include "partnergraph/common/atomic_file_writer.hpp"
#include "partnergraph/common/binary_container.hpp"
#include "partnergraph/common/file_checksum.hpp"
#include "partnergraph/common/inner_product.hpp"
#include "partnergraph/index/faiss_threads.hpp"

namespace partnergraph {
namespace {

using FaissId = faiss::Index::idx_t;

// The sidecar's container (layout: vector_index.hpp, docs/formats.md).
constexpr char kMagic[8] = {'P', 'G', 'I', 'D', 'X', 'M', 'T', '\0'};
const ContainerFormat kSidecarFormat{std::string_view(kMagic, sizeof kMagic), "index sidecar", 2};
// Flat searches of fewer queries than this run our SIMD scan (SearchFlat); larger batches go
// to FAISS, which uses BLAS from 20 queries on.
constexpr std::size_t kFlatOwnSearchBelow = 20;

enum class Kind { kFlat, kHnsw, kIvf, kOther };

Kind KindOf(const faiss::Index* index) {
  if (dynamic_cast<const faiss::IndexHNSW*>(index) != nullptr) return Kind::kHnsw;
  if (dynamic_cast<const faiss::IndexIVF*>(index) != nullptr) return Kind::kIvf;
  if (dynamic_cast<const faiss::IndexFlat*>(index) != nullptr) return Kind::kFlat;
  return Kind::kOther;
}

// faiss::IOWriter over an AtomicFileWriter: FAISS's write_index streams into it. FAISS writes
// field by field, so small pieces are gathered into 1 MiB appends (one write(2) each). A
// failed append is kept (FAISS then throws "write error"; Save reports the kept IOError,
// which names the file and the system's reason).
class FaissFileWriter final : public faiss::IOWriter {
 public:
  explicit FaissFileWriter(AtomicFileWriter* file) : file_(file) { name = file->path().string(); }
  size_t operator()(const void* ptr, size_t size, size_t nitems) override {
    if (!error_.ok()) return 0;
    const std::size_t bytes = size * nitems;
    if (buffer_.size() + bytes > kBufferBytes) Flush();
    if (error_.ok() && bytes >= kBufferBytes) {
      error_ = file_->Append(ptr, bytes);
    } else if (error_.ok()) {
      buffer_.append(static_cast<const char*>(ptr), bytes);
    }
    return error_.ok() ? nitems : 0;
  }
  // Appends what is gathered; then error() says whether every byte reached the file.
  void Flush() {
    if (error_.ok() && !buffer_.empty()) error_ = file_->Append(buffer_.data(), buffer_.size());
    buffer_.clear();
  }
  const Status& error() const { return error_; }

 private:
  static constexpr std::size_t kBufferBytes = 1u << 20;
  AtomicFileWriter* file_;
  std::string buffer_;
  Status error_;
};

// FAISS messages read "Error in <signature> at <file>.cpp:<line>: [Error: '<check>' failed: ]
// <reason>"; keep the reason.
std::string FaissReason(const std::exception& e) {
  std::string what = e.what();
  const std::size_t at = what.find(".cpp:");
  if (at != std::string::npos) {
    const std::size_t colon = what.find(": ", at);
    if (colon != std::string::npos) what = what.substr(colon + 2);
  }
  if (what.rfind("Error: '", 0) == 0) {
    const std::size_t failed = what.find("' failed: ");
    if (failed != std::string::npos) what = what.substr(failed + 10);
  }
  return what;
}

std::string Hex(std::uint64_t v) { return fmt::format("{:#018x}", v); }

// Maps FAISS positions to engine ids for the caller's filter.
class EngineIdSelector final : public faiss::IDSelector {
 public:
  EngineIdSelector(const std::vector<std::uint32_t>& ids, const IdFilter& filter)
      : ids_(ids), filter_(filter) {}
  bool is_member(idx_t position) const override {
    return position >= 0 && static_cast<std::size_t>(position) < ids_.size() &&
           filter_.Allows(ids_[static_cast<std::size_t>(position)]);
  }

 private:
  const std::vector<std::uint32_t>& ids_;
  const IdFilter& filter_;
};

// Writes `n` rows of `dim` floats, L2-normalised, to `out` (zero rows stay zero).
void NormalizeRows(const float* in, std::size_t n, std::uint32_t dim, float* out) {
  for (std::size_t r = 0; r < n; ++r) {
    const float* x = in + r * dim;
    float* y = out + r * dim;
    double sum = 0;
    for (std::uint32_t k = 0; k < dim; ++k) sum += static_cast<double>(x[k]) * x[k];
    const float scale = sum > 0 ? static_cast<float>(1.0 / std::sqrt(sum)) : 0.0f;
    for (std::uint32_t k = 0; k < dim; ++k) y[k] = x[k] * scale;
  }
}

// The calling thread's visited-node table for HNSW searches, at least `n` entries, reused
// across searches (FAISS allocates and zeroes a table of the index's size on every search
// call: a page-faulting megabyte per call at millions of vectors).
faiss::VisitedTable& ThreadVisitedTable(std::size_t n) {
  thread_local std::unique_ptr<faiss::VisitedTable> table;
  if (!table || table->visited.size() < n) {
    table = std::make_unique<faiss::VisitedTable>(static_cast<int>(n));
  }
  // The analyzer takes the temporary's destructor in the move-assignment above for the one of
  // the table it now holds: a false positive.
  return *table;  // NOLINT(clang-analyzer-cplusplus.NewDelete)
}

// One HNSW query over a flat inner-product storage: the search of FAISS 1.7.3
// (HNSW::search with upper_beam 1 and a bounded queue: greedy descent on the upper levels,
// then a best-first search of level 0 that stops when `ef` visited candidates are closer
// than the next one), with two differences: the candidate queue holds max(ef, k) entries
// for the requested ef (FAISS 1.7.3 sizes it by the index's own efSearch whatever the
// search parameters say, so a larger per-search efSearch had no effect), and distances are
// InnerProduct above. Distances are negated similarities (smaller is better), as FAISS
// uses them. Writes up to k hits to D/I as a max-heap (unfilled slots: label -1).
void SearchHnswFlat(const faiss::HNSW& hnsw, const float* xb, std::size_t dim, const float* q,
                    int k, int ef, const faiss::IDSelector* sel, faiss::VisitedTable& vt,
                    float* D, FaissId* I) {
  using StorageId = faiss::HNSW::storage_idx_t;
  faiss::maxheap_heapify(static_cast<std::size_t>(k), D, I);
  if (hnsw.entry_point < 0) return;
  auto distance = [&](StorageId v) {
    return -InnerProduct(q, xb + static_cast<std::size_t>(v) * dim, dim);
  };
  auto neighbors = [&](StorageId v, int level) {
    const std::size_t o = hnsw.offsets[static_cast<std::size_t>(v)];
    return std::pair<std::size_t, std::size_t>(
        o + static_cast<std::size_t>(hnsw.cum_nneighbor_per_level[static_cast<std::size_t>(level)]),
        o + static_cast<std::size_t>(hnsw.cum_nneighbor_per_level[static_cast<std::size_t>(level) + 1]));
  };
  StorageId nearest = hnsw.entry_point;
  float d_nearest = distance(nearest);
  for (int level = hnsw.max_level; level >= 1; --level) {
    for (;;) {
      const StorageId previous = nearest;
      const auto [begin, end] = neighbors(nearest, level);
      for (std::size_t j = begin; j < end; ++j) {
        const StorageId v = hnsw.neighbors[j];
        if (v < 0) break;
        const float d = distance(v);
        if (d < d_nearest) {
          nearest = v;
          d_nearest = d;
        }
      }
      if (nearest == previous) break;
    }
  }

  int results = 0;
  auto offer = [&](StorageId v, float d) {
    if (sel != nullptr && !sel->is_member(v)) return;
    if (results < k) {
      faiss::maxheap_push(static_cast<std::size_t>(++results), D, I, d, static_cast<FaissId>(v));
    } else if (d < D[0]) {
      faiss::maxheap_replace_top(static_cast<std::size_t>(results), D, I, d,
                                 static_cast<FaissId>(v));
    }
  };
  thread_local std::vector<StorageId> fresh;
  faiss::HNSW::MinimaxHeap candidates(std::max(ef, k));
  candidates.push(nearest, d_nearest);
  offer(nearest, d_nearest);
  vt.set(nearest);
  int steps = 0;
  while (candidates.size() > 0) {
    float d0 = 0;
    const StorageId v0 = candidates.pop_min(&d0);
    if (hnsw.check_relative_distance && candidates.count_below(d0) >= ef) break;
    // The unvisited neighbours first, their rows prefetched, then their distances in the
    // same order (the rows are scattered over the whole table: cache misses dominate).
    const auto [begin, end] = neighbors(v0, 0);
    fresh.clear();
    for (std::size_t j = begin; j < end; ++j) {
      const StorageId v = hnsw.neighbors[j];
      if (v < 0) break;
      if (vt.get(v)) continue;
      vt.set(v);
      fresh.push_back(v);
      const char* row = reinterpret_cast<const char*>(xb + static_cast<std::size_t>(v) * dim);
      for (std::size_t line = 0; line < dim * sizeof(float); line += 64) {
        __builtin_prefetch(row + line);
      }
    }
    for (const StorageId v : fresh) {
      const float d = distance(v);
      offer(v, d);
      candidates.push(v, d);
    }
    ++steps;
    if (!hnsw.check_relative_distance && steps > ef) break;
  }
  vt.advance();
}

// Exact search of one query over `n` flat rows: the k best (smallest negated inner
// product) as a max-heap in D/I, like SearchHnswFlat.
void SearchFlat(const float* xb, std::size_t n, std::size_t dim, const float* q, int k,
                const faiss::IDSelector* sel, float* D, FaissId* I) {
  faiss::maxheap_heapify(static_cast<std::size_t>(k), D, I);
  int results = 0;
  for (std::size_t v = 0; v < n; ++v) {
    if (sel != nullptr && !sel->is_member(static_cast<FaissId>(v))) continue;
    const float d = -InnerProduct(q, xb + v * dim, dim);
    if (results < k) {
      faiss::maxheap_push(static_cast<std::size_t>(++results), D, I, d, static_cast<FaissId>(v));
    } else if (d < D[0]) {
      faiss::maxheap_replace_top(static_cast<std::size_t>(results), D, I, d,
                                 static_cast<FaissId>(v));
    }
  }
}

// The sidecar's header section.
struct SidecarHeader {
  std::uint32_t dim = 0;
  std::uint64_t fingerprint = 0;
  std::uint32_t ef_search = 0;
  std::uint32_t nprobe = 0;
  std::uint32_t normalize = 0;
  std::uint64_t index_file_size = 0;
  std::uint32_t index_file_crc = 0;
};
Result<SidecarHeader> ReadSidecarHeader(const BinaryContainerReader& file) {
  PG_ASSIGN_OR_RETURN(ByteReader r, file.Records("header"));
  SidecarHeader h;
  PG_RETURN_IF_ERROR(r.Read(&h.dim, "the dimension"));
  PG_RETURN_IF_ERROR(r.Read(&h.fingerprint, "the fingerprint"));
  PG_RETURN_IF_ERROR(r.Read(&h.ef_search, "efSearch"));
  PG_RETURN_IF_ERROR(r.Read(&h.nprobe, "nprobe"));
  PG_RETURN_IF_ERROR(r.Read(&h.normalize, "the normalize flag"));
  PG_RETURN_IF_ERROR(r.Read(&h.index_file_size, "the index file's size"));
  PG_RETURN_IF_ERROR(r.Read(&h.index_file_crc, "the index file's checksum"));
  return h;
}

std::filesystem::path SidecarPath(const std::filesystem::path& path) {
  std::filesystem::path meta = path;
  meta += ".meta";
  return meta;
}

}  // namespace

struct VectorIndex::Impl {
  std::unique_ptr<faiss::Index> index;
  Kind kind = Kind::kOther;
  std::uint32_t dim = 0;
  std::string factory;
  std::vector<std::uint32_t> ids;
  std::uint32_t ef_search = 64;
  std::uint32_t nprobe = 16;
  bool normalize = true;
  std::uint64_t fingerprint = 0;
  std::uint32_t file_checksum = 0;  // CRC-32 of the sidecar (file_checksum())

  // Our own search path (SearchHnswFlat / SearchFlat) when the index is an inner-product
  // HNSW over flat storage searched like FAISS 1.7.3's default (upper_beam 1, bounded
  // queue), or a flat inner-product index; null: FAISS's own search.
  const faiss::HNSW* hnsw = nullptr;
  const faiss::IndexFlat* flat = nullptr;

  // Sets the defaults on the FAISS index too, for callers of the raw index, and picks the
  // search path.
  void ApplyDefaults() {
    hnsw = nullptr;
    flat = nullptr;
    if (auto* h = dynamic_cast<faiss::IndexHNSW*>(index.get())) {
      h->hnsw.efSearch = static_cast<int>(ef_search);
      auto* storage = dynamic_cast<const faiss::IndexFlat*>(h->storage);
      if (storage != nullptr && h->metric_type == faiss::METRIC_INNER_PRODUCT &&
          storage->metric_type == faiss::METRIC_INNER_PRODUCT && h->hnsw.upper_beam == 1 &&
          h->hnsw.search_bounded_queue) {
        hnsw = &h->hnsw;
        flat = storage;
      }
    }
    if (auto* ivf = dynamic_cast<faiss::IndexIVF*>(index.get())) ivf->nprobe = nprobe;
    if (auto* f = dynamic_cast<const faiss::IndexFlat*>(index.get())) {
      if (f->metric_type == faiss::METRIC_INNER_PRODUCT) flat = f;
    }
  }
};

std::span<const Neighbor> SearchResults::Query(std::size_t i) const {
  assert(i < num_queries());
  return {neighbors_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]};
}

IdBitmapFilter IdBitmapFilter::FromIds(std::span<const std::uint32_t> ids) {
  std::vector<bool> bits;
  for (std::uint32_t id : ids) {
    if (id >= bits.size()) bits.resize(static_cast<std::size_t>(id) + 1, false);
    bits[id] = true;
  }
  return IdBitmapFilter(std::move(bits));
}

std::string ResolveFactory(const VectorIndexOptions& options, std::uint64_t count) {
  if (options.factory != "auto") return options.factory;
  return count < options.exact_below ? "Flat" : options.auto_large_factory;
}

VectorIndex::VectorIndex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VectorIndex::VectorIndex(VectorIndex&&) noexcept = default;
VectorIndex& VectorIndex::operator=(VectorIndex&&) noexcept = default;
VectorIndex::~VectorIndex() = default;

std::uint32_t VectorIndex::size() const { return static_cast<std::uint32_t>(impl_->ids.size()); }
std::uint32_t VectorIndex::dim() const { return impl_->dim; }
const std::string& VectorIndex::factory() const { return impl_->factory; }
const std::vector<std::uint32_t>& VectorIndex::ids() const { return impl_->ids; }
std::uint64_t VectorIndex::fingerprint() const { return impl_->fingerprint; }
std::uint32_t VectorIndex::file_checksum() const { return impl_->file_checksum; }

Result<VectorIndex> VectorIndex::Build(std::span<const float> vectors, std::uint32_t dim,
                                       std::span<const std::uint32_t> ids,
                                       const VectorIndexOptions& options) {
  PG_RETURN_IF_ERROR(Validate(options));
  if (dim == 0) return Status::InvalidArgument("vector index: dimension 0");
  const std::size_t n = ids.size();
  if (vectors.size() != n * dim) {
    return Status::InvalidArgument(
        fmt::format("vector index: {} values for {} ids x {} dimensions", vectors.size(), n, dim));
  }
  if (n >= std::numeric_limits<std::uint32_t>::max()) {
    return Status::InvalidArgument("vector index: too many vectors for 32-bit positions");
  }
  {
    std::vector<std::uint32_t> sorted(ids.begin(), ids.end());
    std::sort(sorted.begin(), sorted.end());
    const auto dup = std::adjacent_find(sorted.begin(), sorted.end());
    if (dup != sorted.end()) {
      return Status::InvalidArgument(
          fmt::format("vector index: id {} appears more than once", *dup));
    }
  }
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    if (!std::isfinite(vectors[i])) {
      return Status::InvalidArgument(fmt::format(
          "vector index: row {} (id {}) has a value that is not finite", i / dim, ids[i / dim]));
    }
  }

  auto impl = std::make_unique<Impl>();
  impl->dim = dim;
  impl->factory = ResolveFactory(options, n);
  impl->ids.assign(ids.begin(), ids.end());
  impl->ef_search = options.hnsw_ef_search;
  impl->nprobe = options.ivf_nprobe;
  impl->normalize = options.normalize;

  std::vector<float> normalized;
  const float* data = vectors.data();
  if (options.normalize) {
    normalized.resize(vectors.size());
    NormalizeRows(vectors.data(), n, dim, normalized.data());
    data = normalized.data();
  }
  const std::string what =
      fmt::format("vector index \"{}\" over {} vectors of dimension {}", impl->factory, n, dim);
  try {
    ScopedFaissThreads threads(static_cast<int>(options.build_threads));
    impl->index.reset(faiss::index_factory(static_cast<int>(dim), impl->factory.c_str(),
                                           faiss::METRIC_INNER_PRODUCT));
    impl->kind = KindOf(impl->index.get());
    if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(impl->index.get())) {
      hnsw->hnsw.efConstruction = static_cast<int>(options.hnsw_ef_construction);
    }
    impl->ApplyDefaults();
    if (!impl->index->is_trained && n > 0) {
      const std::size_t stride =
          (n + options.max_training_vectors - 1) / options.max_training_vectors;
      if (stride <= 1) {
        impl->index->train(static_cast<FaissId>(n), data);
      } else {
        std::vector<float> sample;
        sample.reserve((n / stride + 1) * dim);
        for (std::size_t r = 0; r < n; r += stride) {
          sample.insert(sample.end(), data + r * dim, data + (r + 1) * dim);
        }
        impl->index->train(static_cast<FaissId>(sample.size() / dim), sample.data());
      }
    }
    if (n > 0) impl->index->add(static_cast<FaissId>(n), data);
  } catch (const faiss::FaissException& e) {
    return Status::InvalidArgument(fmt::format("{}: {}", what, FaissReason(e)));
  } catch (const std::bad_alloc&) {
    return Status::Internal(fmt::format("{}: out of memory", what));
  } catch (const std::exception& e) {
    return Status::Internal(fmt::format("{}: {}", what, e.what()));
  }
  return VectorIndex(std::move(impl));
}

Result<SearchResults> VectorIndex::Search(std::span<const float> queries, std::uint32_t k,
                                          const SearchOptions& options) const {
  const Impl& impl = *impl_;
  if (queries.size() % impl.dim != 0) {
    return Status::InvalidArgument(
        fmt::format("vector index search: {} query values is not a multiple of the dimension {}",
                    queries.size(), impl.dim));
  }
  const std::size_t nq = queries.size() / impl.dim;
  for (std::size_t i = 0; i < queries.size(); ++i) {
    if (!std::isfinite(queries[i])) {
      return Status::InvalidArgument(fmt::format(
          "vector index search: query {} has a value that is not finite", i / impl.dim));
    }
  }
  SearchResults results;
  results.offsets_.assign(nq + 1, 0);
  const std::size_t ntotal = impl.ids.size();
  const std::size_t kk = std::min<std::size_t>(k, ntotal);
  if (nq == 0 || kk == 0) return results;

  std::vector<float> normalized;
  const float* q = queries.data();
  if (impl.normalize) {
    normalized.resize(queries.size());
    NormalizeRows(queries.data(), nq, impl.dim, normalized.data());
    q = normalized.data();
  }

  std::optional<EngineIdSelector> selector;
  if (options.filter != nullptr) selector.emplace(impl.ids, *options.filter);
  faiss::IDSelector* sel = selector ? &*selector : nullptr;
  faiss::SearchParametersHNSW hnsw_params;
  faiss::SearchParametersIVF ivf_params;
  faiss::SearchParameters plain_params;
  const faiss::SearchParameters* params = nullptr;
  switch (impl.kind) {
    case Kind::kHnsw:
      hnsw_params.efSearch = static_cast<int>(
          std::max<std::size_t>(options.ef_search != 0 ? options.ef_search : impl.ef_search, kk));
      hnsw_params.sel = sel;
      params = &hnsw_params;
      break;
    case Kind::kIvf:
      ivf_params.nprobe = options.nprobe != 0 ? options.nprobe : impl.nprobe;
      ivf_params.sel = sel;
      params = &ivf_params;
      break;
    case Kind::kFlat:
    case Kind::kOther:
      if (sel != nullptr) {
        plain_params.sel = sel;
        params = &plain_params;
      }
      break;
  }

  std::vector<float> distances(nq * kk);
  std::vector<FaissId> labels(nq * kk);
  try {
    std::optional<ScopedFaissThreads> threads;
    if (options.omp_threads > 0) threads.emplace(options.omp_threads);
    const int k_int = static_cast<int>(kk);
    const long nq_long = static_cast<long>(nq);
    if (impl.hnsw != nullptr) {
      const int ef = hnsw_params.efSearch;
      const float* xb = impl.flat->get_xb();
#pragma omp parallel for schedule(dynamic) if (nq > 1)
      for (long i = 0; i < nq_long; ++i) {
        const std::size_t qi = static_cast<std::size_t>(i);
        SearchHnswFlat(*impl.hnsw, xb, impl.dim, q + qi * impl.dim, k_int, ef, sel,
                       ThreadVisitedTable(ntotal), distances.data() + qi * kk,
                       labels.data() + qi * kk);
      }
      for (float& d : distances) d = -d;
    } else if (impl.flat != nullptr && impl.kind == Kind::kFlat && nq < kFlatOwnSearchBelow) {
      for (std::size_t qi = 0; qi < nq; ++qi) {
        SearchFlat(impl.flat->get_xb(), ntotal, impl.dim, q + qi * impl.dim, k_int, sel,
                   distances.data() + qi * kk, labels.data() + qi * kk);
      }
      for (float& d : distances) d = -d;
    } else {
      impl.index->search(static_cast<FaissId>(nq), q, static_cast<FaissId>(kk),
                         distances.data(), labels.data(), params);
    }
  } catch (const faiss::FaissException& e) {
    return Status::Internal(
        fmt::format("vector index \"{}\" search: {}", impl.factory, FaissReason(e)));
  } catch (const std::exception& e) {
    return Status::Internal(fmt::format("vector index \"{}\" search: {}", impl.factory, e.what()));
  }

  results.neighbors_.reserve(nq * kk);
  for (std::size_t i = 0; i < nq; ++i) {
    const std::size_t begin = results.neighbors_.size();
    for (std::size_t j = 0; j < kk; ++j) {
      const FaissId label = labels[i * kk + j];
      if (label < 0 || static_cast<std::size_t>(label) >= ntotal) continue;
      results.neighbors_.push_back(
          Neighbor{impl.ids[static_cast<std::size_t>(label)], distances[i * kk + j]});
    }
    std::sort(results.neighbors_.begin() + static_cast<std::ptrdiff_t>(begin),
              results.neighbors_.end(), [](const Neighbor& a, const Neighbor& b) {
                return a.score != b.score ? a.score > b.score : a.id < b.id;
              });
    results.offsets_[i + 1] = results.neighbors_.size();
  }
  return results;
}

Status VectorIndex::Save(const std::filesystem::path& path, std::uint64_t fingerprint) {
  Impl& impl = *impl_;
  // FAISS writes through FaissFileWriter into an AtomicFileWriter: the .faiss file is
  // streamed (never held in memory whole), checksummed as it goes, fsynced and renamed.
  PG_ASSIGN_OR_RETURN(AtomicFileWriter file, AtomicFileWriter::Open(path));
  FaissFileWriter writer(&file);
  try {
    faiss::write_index(impl.index.get(), &writer);
  } catch (const std::exception& e) {
    if (!writer.error().ok()) return writer.error();
    return Status::IOError(
        fmt::format("{}: cannot write the FAISS index: {}", path.string(), FaissReason(e)));
  }
  writer.Flush();
  if (!writer.error().ok()) return writer.error();
  const FileDigest digest{file.size(), file.crc()};
  PG_RETURN_IF_ERROR(file.Commit());

  ByteWriter header;
  header.Put(impl.dim);
  header.Put(fingerprint);
  header.Put(impl.ef_search);
  header.Put(impl.nprobe);
  header.Put(std::uint32_t{impl.normalize ? 1u : 0u});
  header.Put(digest.size);
  header.Put(digest.crc);
  BinaryContainerWriter meta(kSidecarFormat);
  meta.AddBytes("header", header.data());
  meta.AddBorrowed("factory", 1, impl.factory.data(), impl.factory.size());
  meta.AddArray<std::uint32_t>("ids", impl.ids);
  PG_ASSIGN_OR_RETURN(const std::uint32_t checksum, meta.Write(SidecarPath(path)));
  impl.fingerprint = fingerprint;
  impl.file_checksum = checksum;
  return Status::Ok();
}

Result<VectorIndexFileInfo> VectorIndex::ReadFileInfo(const std::filesystem::path& path) {
  PG_ASSIGN_OR_RETURN(auto meta, BinaryContainerReader::Open(SidecarPath(path), kSidecarFormat,
                                                             ContainerCheck::kHeader));
  PG_ASSIGN_OR_RETURN(SidecarHeader h, ReadSidecarHeader(meta));
  return VectorIndexFileInfo{h.fingerprint, h.index_file_size, h.index_file_crc};
}

Result<VectorIndex> VectorIndex::Load(const std::filesystem::path& path,
                                      std::uint64_t expected_fingerprint) {
  const std::string name = path.string();
  PG_ASSIGN_OR_RETURN(auto meta, BinaryContainerReader::Open(SidecarPath(path), kSidecarFormat));
  PG_ASSIGN_OR_RETURN(SidecarHeader h, ReadSidecarHeader(meta));
  PG_ASSIGN_OR_RETURN(std::string_view factory, meta.Section("factory"));
  PG_ASSIGN_OR_RETURN(std::span<const std::uint32_t> ids, meta.Array<std::uint32_t>("ids"));
  auto impl = std::make_unique<Impl>();
  impl->file_checksum = meta.file_crc();
  impl->dim = h.dim;
  impl->fingerprint = h.fingerprint;
  impl->ef_search = h.ef_search;
  impl->nprobe = h.nprobe;
  impl->normalize = h.normalize != 0;
  if (h.dim == 0 || h.normalize > 1) {
    return Status::Corruption(
        fmt::format("{}: index sidecar's dimension {} or normalize flag {} "
                    "is invalid",
                    meta.file(), h.dim, h.normalize));
  }
  // The defaults a search falls back to, in the ranges the options allow: an HNSW search
  // allocates per unit of efSearch, so a damaged sidecar must not choose it.
  if (h.ef_search == 0 || h.ef_search > VectorIndexOptions::kMaxEfSearch || h.nprobe == 0 ||
      h.nprobe > VectorIndexOptions::kMaxNprobe) {
    return Status::Corruption(fmt::format(
        "{}: index sidecar's default efSearch {} or nprobe {} is out of range [1, {}] / [1, {}]",
        meta.file(), h.ef_search, h.nprobe, VectorIndexOptions::kMaxEfSearch,
        VectorIndexOptions::kMaxNprobe));
  }
  if (h.fingerprint != expected_fingerprint) {
    return Status::InvalidArgument(fmt::format(
        "index {} was built for a different graph (fingerprint {} != {}); rebuild the model", name,
        Hex(h.fingerprint), Hex(expected_fingerprint)));
  }
  impl->factory.assign(factory);
  impl->ids.assign(ids.begin(), ids.end());
  PG_RETURN_IF_ERROR(meta.CheckUnchanged());
  const std::uint64_t count = impl->ids.size();
  PG_ASSIGN_OR_RETURN(FileDigest digest, DigestFile(path));
  if (digest.size != h.index_file_size) {
    return Status::Corruption(fmt::format("{}: index file is {} bytes, its sidecar says {}{}", name,
                                          digest.size, h.index_file_size,
                                          digest.size < h.index_file_size ? " (truncated)" : ""));
  }
  if (digest.crc != h.index_file_crc) {
    return Status::Corruption(
        fmt::format("{}: index file checksum mismatch with its sidecar", name));
  }
  try {
    impl->index.reset(faiss::read_index(path.c_str()));
  } catch (const std::exception& e) {
    return Status::Corruption(
        fmt::format("{}: FAISS cannot read the index: {}", name, FaissReason(e)));
  }
  if (impl->index->d != static_cast<faiss::Index::idx_t>(impl->dim) ||
      impl->index->ntotal != static_cast<faiss::Index::idx_t>(count) ||
      impl->index->metric_type != faiss::METRIC_INNER_PRODUCT) {
    return Status::Corruption(fmt::format(
        "{}: the FAISS index ({} vectors of dimension {}) does not match its sidecar ({} x {}, "
        "inner product)",
        name, impl->index->ntotal, impl->index->d, count, impl->dim));
  }
  impl->kind = KindOf(impl->index.get());
  impl->ApplyDefaults();
  return VectorIndex(std::move(impl));
}

}  // namespace partnergraph
