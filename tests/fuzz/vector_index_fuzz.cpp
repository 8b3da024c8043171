// Fuzz target: VectorIndex::Load and ReadFileInfo (index/vector_index.hpp): the index sidecar
// "<name>.faiss.meta" and its checks of the FAISS file next to it.
//
// At start the target builds four small real indexes (Flat, HNSW32, IVF2,Flat over 12 vectors
// of dimension 4, and Flat over one vector of dimension 1) and saves them with VectorIndex::Save
// in its scratch folder. Input: one byte choosing the index, then the sidecar's bytes. The
// sidecar's record of the .faiss file (its size and CRC-32, in its header section) is set to
// the real file's and its checksums rewritten (fuzz_support.hpp), so that Load
// reaches the sidecar's header, id map and search settings and hands the genuine FAISS file to
// faiss::read_index. A loaded index is searched once (k = 5, the sidecar's own efSearch and
// nprobe), and every hit must be one of its ids.
//
// The FAISS file itself is not fuzzed: Load refuses any .faiss whose size and CRC-32 differ
// from the sidecar's record, and FAISS's reader is not written for hostile input
// (model_manifest.hpp: the threat is damage, not an adversary). docs/testing.md says so.
//
// Seeds: the sidecars the target saves at start (written to $PG_FUZZ_WRITE_SEEDS when set:
// tests/fuzz/make_seed_corpus.py) and those of a `partnergraph build --data datasets/tiny` model.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "partnergraph/index/vector_index.hpp"

using namespace partnergraph;
using namespace partnergraph::fuzz;

namespace {

constexpr std::uint64_t kFingerprint = 0x5047465a5a5f4958ull;

struct SavedIndex {
  std::filesystem::path faiss;  // the .faiss file; its sidecar is faiss + ".meta"
  std::uint64_t faiss_size = 0;
  std::uint32_t faiss_crc = 0;
  std::uint32_t dim = 0;
};

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

SavedIndex BuildAndSave(const std::string& name, const std::string& factory, std::uint32_t n,
                        std::uint32_t dim) {
  std::vector<float> vectors(std::size_t{n} * dim);
  std::vector<std::uint32_t> ids(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    ids[i] = 3 * i + 1;  // not positions: the id map matters
    for (std::uint32_t j = 0; j < dim; ++j) {
      vectors[std::size_t{i} * dim + j] = static_cast<float>((i * 7 + j * 3) % 11) - 5.0f;
    }
  }
  VectorIndexOptions options;
  options.factory = factory;
  options.build_threads = 1;
  Result<VectorIndex> index = VectorIndex::Build(vectors, dim, ids, options);
  SavedIndex saved;
  saved.faiss = ScratchDir() / (name + ".faiss");
  if (!index.ok() || !index->Save(saved.faiss, kFingerprint).ok()) {
    std::fprintf(stderr, "vector_index_fuzz: cannot build the %s index: %s\n", factory.c_str(),
                 index.ok() ? "Save failed" : index.status().ToString().c_str());
    std::abort();
  }
  const std::string bytes = ReadFile(saved.faiss);
  saved.faiss_size = bytes.size();
  saved.faiss_crc = Crc32(bytes);
  saved.dim = dim;
  return saved;
}

const std::vector<SavedIndex>& Indexes() {
  static const std::vector<SavedIndex> indexes = [] {
    std::vector<SavedIndex> v;
    v.push_back(BuildAndSave("flat", "Flat", 12, 4));
    v.push_back(BuildAndSave("hnsw", "HNSW32", 12, 4));
    v.push_back(BuildAndSave("ivf", "IVF2,Flat", 12, 4));
    v.push_back(BuildAndSave("one", "Flat", 1, 1));
    if (const char* out = std::getenv("PG_FUZZ_WRITE_SEEDS")) {
      for (std::size_t i = 0; i < v.size(); ++i) {
        std::filesystem::path meta = v[i].faiss;
        meta += ".meta";
        std::ofstream seed(std::filesystem::path(out) / ("saved_" + v[i].faiss.stem().string()),
                           std::ios::binary | std::ios::trunc);
        seed.put(static_cast<char>(i));
        seed << ReadFile(meta);
      }
    }
    return v;
  }();
  return indexes;
}

void PutLe(std::string& bytes, std::size_t at, std::uint64_t v, int width) {
  for (int i = 0; i < width; ++i) bytes[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)Indexes();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const SavedIndex& saved = Indexes()[data[0] % Indexes().size()];
  std::string meta = AsString(data + 1, size - 1);
  // The header section (vector_index.hpp): u32 dim, u64 fingerprint, u32 efSearch, u32 nprobe,
  // u32 normalize, then the .faiss file's u64 size at 24 and u32 CRC-32 at 32.
  if (const auto header = FindContainerSection(meta, "header"); header && header->second >= 36) {
    PutLe(meta, header->first + 24, saved.faiss_size, 8);
    PutLe(meta, header->first + 32, saved.faiss_crc, 4);
  }
  FixContainerChecksums(meta);
  std::filesystem::path meta_path = saved.faiss;
  meta_path += ".meta";
  WriteScratchFile(meta_path.filename().string(), meta);

  Result<VectorIndexFileInfo> info = VectorIndex::ReadFileInfo(saved.faiss);
  Result<VectorIndex> index = VectorIndex::Load(saved.faiss, info.ok() ? info->fingerprint : 0);
  if (!index.ok()) return 0;
  if (index->ids().size() != index->size() || index->dim() != saved.dim) std::abort();
  const std::vector<float> query(index->dim(), 0.5f);
  Result<SearchResults> hits = index->Search(query, 5);
  if (!hits.ok()) return 0;
  for (const Neighbor& n : hits->Query(0)) {
    bool known = false;
    for (std::uint32_t id : index->ids()) known = known || id == n.id;
    if (!known) std::abort();
  }
  return 0;
}
