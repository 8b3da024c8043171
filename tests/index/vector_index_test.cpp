#include "partnergraph/index/vector_index.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>
#include <vector>

#include "common/container_bytes.hpp"
#include "partnergraph/index/faiss_threads.hpp"
#include "test_paths.hpp"

using namespace partnergraph;

namespace {

std::vector<float> RandomVectors(std::size_t n, std::uint32_t dim, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> v(n * dim);
  for (float& x : v) x = normal(rng);
  return v;
}

// Engine ids that are not positions: 1000 + 7 i.
std::vector<std::uint32_t> SpreadIds(std::size_t n) {
  std::vector<std::uint32_t> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = static_cast<std::uint32_t>(1000 + 7 * i);
  return ids;
}

// Exact top-k by cosine, ties by id, over the ids the filter allows.
std::vector<Neighbor> BruteForce(const std::vector<float>& base, const std::vector<std::uint32_t>& ids,
                                 std::uint32_t dim, const float* query, std::size_t k,
                                 const IdFilter* filter = nullptr) {
  auto norm = [dim](const float* x) {
    double s = 0;
    for (std::uint32_t i = 0; i < dim; ++i) s += double(x[i]) * x[i];
    return std::sqrt(s);
  };
  std::vector<Neighbor> all;
  const double qn = norm(query);
  for (std::size_t r = 0; r < ids.size(); ++r) {
    if (filter != nullptr && !filter->Allows(ids[r])) continue;
    const float* x = base.data() + r * dim;
    double dot = 0;
    for (std::uint32_t i = 0; i < dim; ++i) dot += double(x[i]) * query[i];
    all.push_back({ids[r], static_cast<float>(dot / (norm(x) * qn))});
  }
  std::sort(all.begin(), all.end(), [](const Neighbor& a, const Neighbor& b) {
    return a.score != b.score ? a.score > b.score : a.id < b.id;
  });
  all.resize(std::min(k, all.size()));
  return all;
}

void CheckSame(std::span<const Neighbor> got, const std::vector<Neighbor>& expected) {
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].id == expected[i].id);
    CHECK(got[i].score == Approx(expected[i].score).margin(1e-5));
  }
}

VectorIndexOptions Factory(const std::string& factory) {
  VectorIndexOptions options;
  options.factory = factory;
  return options;
}

class OddIds final : public IdFilter {
 public:
  bool Allows(std::uint32_t id) const override { return id % 2 == 1; }
};

}  // namespace

TEST_CASE("Exact index search equals brute force, with engine ids", "[index]") {
  const std::uint32_t dim = 16;
  const auto base = RandomVectors(500, dim, 1);
  const auto ids = SpreadIds(500);
  auto index = VectorIndex::Build(base, dim, ids, {});
  REQUIRE(index.ok());
  CHECK(index->factory() == "Flat");  // "auto" below 50,000 vectors
  CHECK(index->size() == 500);
  CHECK(index->dim() == dim);
  // 30 queries: FAISS takes its BLAS path (>= 20 queries); 1 query: its direct path.
  const auto queries = RandomVectors(30, dim, 2);
  for (std::size_t batch : {std::size_t{30}, std::size_t{1}}) {
    auto results = index->Search(std::span<const float>(queries.data(), batch * dim), 10);
    REQUIRE(results.ok());
    REQUIRE(results->num_queries() == batch);
    for (std::size_t q = 0; q < batch; ++q) {
      CheckSame(results->Query(q), BruteForce(base, ids, dim, queries.data() + q * dim, 10));
    }
  }
  // A stored vector finds itself first, with cosine 1.
  auto self = index->Search(std::span<const float>(base.data() + 42 * dim, dim), 1).value();
  REQUIRE(self.Query(0).size() == 1);
  CHECK(self.Query(0)[0].id == ids[42]);
  CHECK(self.Query(0)[0].score == Approx(1.0f));
}

TEST_CASE("Search with an id filter returns only allowed ids", "[index]") {
  const std::uint32_t dim = 8;
  const auto base = RandomVectors(300, dim, 3);
  std::vector<std::uint32_t> ids(300);
  for (std::uint32_t i = 0; i < 300; ++i) ids[i] = i * 3;  // both parities
  const auto queries = RandomVectors(5, dim, 4);
  const OddIds odd;
  const std::vector<std::uint32_t> few = {3, 30, 300, 600};
  const IdBitmapFilter listed = IdBitmapFilter::FromIds(few);
  for (const char* factory : {"Flat", "HNSW32", "IVF4,Flat"}) {
    INFO(factory);
    auto index = VectorIndex::Build(base, dim, ids, Factory(factory));
    REQUIRE(index.ok());
    SearchOptions options;
    options.filter = &odd;
    options.ef_search = 300;
    options.nprobe = 4;  // all lists: exact
    auto results = index->Search(queries, 10, options);
    REQUIRE(results.ok());
    for (std::size_t q = 0; q < 5; ++q) {
      CheckSame(results->Query(q), BruteForce(base, ids, dim, queries.data() + q * dim, 10, &odd));
    }
    options.filter = &listed;
    auto listed_results = index->Search(queries, 10, options);
    REQUIRE(listed_results.ok());
    if (std::string(factory) != "HNSW32") {  // HNSW may miss some of a sparse allow-list
      for (std::size_t q = 0; q < 5; ++q) CHECK(listed_results->Query(q).size() == 4);
    }
    for (std::size_t q = 0; q < 5; ++q) {
      for (const Neighbor& n : listed_results->Query(q)) CHECK(listed.Allows(n.id));
    }
  }
}

TEST_CASE("HNSW and IVF indexes find most of the exact neighbours", "[index]") {
  const std::uint32_t dim = 16;
  const auto base = RandomVectors(2000, dim, 5);
  const auto ids = SpreadIds(2000);
  const auto queries = RandomVectors(50, dim, 6);
  VectorIndexOptions hnsw;
  hnsw.factory = "auto";
  hnsw.exact_below = 1000;  // 2,000 vectors: "auto" picks HNSW32
  hnsw.build_threads = 1;
  auto index = VectorIndex::Build(base, dim, ids, hnsw);
  REQUIRE(index.ok());
  CHECK(index->factory() == "HNSW32");
  auto results = index->Search(queries, 10).value();
  std::size_t hits = 0;
  for (std::size_t q = 0; q < 50; ++q) {
    const auto exact = BruteForce(base, ids, dim, queries.data() + q * dim, 10);
    for (const Neighbor& n : results.Query(q)) {
      hits += std::any_of(exact.begin(), exact.end(), [&](const Neighbor& e) { return e.id == n.id; });
    }
  }
  CHECK(hits / 500.0 >= 0.9);

  auto ivf = VectorIndex::Build(base, dim, ids, Factory("IVF16,Flat"));
  REQUIRE(ivf.ok());
  SearchOptions all_lists;
  all_lists.nprobe = 16;
  auto ivf_results = ivf->Search(queries, 10, all_lists).value();
  for (std::size_t q = 0; q < 50; ++q) {
    CheckSame(ivf_results.Query(q), BruteForce(base, ids, dim, queries.data() + q * dim, 10));
  }
}

TEST_CASE("A per-search efSearch widens the HNSW beam beyond the index's default", "[index]") {
  // FAISS 1.7.3 sized the candidate queue by the index's own efSearch whatever the search
  // asked for; a beam as wide as the index must now visit every reachable vector.
  const std::uint32_t dim = 16;
  const std::size_t n = 2000;
  const auto base = RandomVectors(n, dim, 21);
  const auto ids = SpreadIds(n);
  const auto queries = RandomVectors(40, dim, 22);
  VectorIndexOptions narrow = Factory("HNSW8");
  narrow.hnsw_ef_search = 10;
  narrow.build_threads = 1;
  auto index = VectorIndex::Build(base, dim, ids, narrow);
  REQUIRE(index.ok());
  SearchOptions wide;
  wide.ef_search = static_cast<std::uint32_t>(n);
  auto by_default = index->Search(queries, 10).value();
  auto widened = index->Search(queries, 10, wide).value();
  std::size_t default_hits = 0, wide_hits = 0;
  for (std::size_t q = 0; q < 40; ++q) {
    const auto exact = BruteForce(base, ids, dim, queries.data() + q * dim, 10);
    auto count = [&](std::span<const Neighbor> got) {
      std::size_t hits = 0;
      for (const Neighbor& g : got) {
        hits += std::any_of(exact.begin(), exact.end(), [&](const Neighbor& e) { return e.id == g.id; });
      }
      return hits;
    };
    default_hits += count(by_default.Query(q));
    wide_hits += count(widened.Query(q));
  }
  CHECK(wide_hits == 400);
  CHECK(default_hits < wide_hits);
}

TEST_CASE("k larger than the index, k = 0 and an empty index", "[index]") {
  const std::uint32_t dim = 4;
  const auto base = RandomVectors(3, dim, 7);
  const auto ids = SpreadIds(3);
  const auto queries = RandomVectors(2, dim, 8);
  for (const char* factory : {"Flat", "HNSW16"}) {
    INFO(factory);
    auto index = VectorIndex::Build(base, dim, ids, Factory(factory)).value();
    auto results = index.Search(queries, 50).value();
    REQUIRE(results.num_queries() == 2);
    CHECK(results.Query(0).size() == 3);
    CHECK(results.Query(1).size() == 3);
    auto none = index.Search(queries, 0).value();
    CHECK(none.num_queries() == 2);
    CHECK(none.Query(0).empty());
  }
  for (const char* factory : {"Flat", "HNSW32", "IVF8,Flat"}) {
    INFO(factory);
    auto empty = VectorIndex::Build({}, dim, {}, Factory(factory));
    REQUIRE(empty.ok());
    CHECK(empty->size() == 0);
    auto results = empty->Search(queries, 10).value();
    REQUIRE(results.num_queries() == 2);
    CHECK(results.Query(0).empty());
    CHECK(empty->Search({}, 10).value().num_queries() == 0);
  }
}

TEST_CASE("Zero vectors and unnormalised input", "[index]") {
  const std::uint32_t dim = 2;
  const std::vector<float> base = {3, 0, 0, 0, 0, -5};
  const std::vector<std::uint32_t> ids = {10, 11, 12};
  auto index = VectorIndex::Build(base, dim, ids, {}).value();
  const std::vector<float> query = {2, 0};
  auto results = index.Search(query, 3).value();
  REQUIRE(results.Query(0).size() == 3);
  CHECK(results.Query(0)[0] == Neighbor{10, 1.0f});
  // The zero vector and the orthogonal one both score 0: ties broken by id.
  CHECK(results.Query(0)[1] == Neighbor{11, 0.0f});
  CHECK(results.Query(0)[2] == Neighbor{12, 0.0f});
}

TEST_CASE("VectorIndex::Build refuses bad input with InvalidArgument", "[index]") {
  const std::uint32_t dim = 4;
  const auto base = RandomVectors(10, dim, 9);
  const auto ids = SpreadIds(10);
  auto bad_factory = VectorIndex::Build(base, dim, ids, Factory("HNSW32,Bogus"));
  REQUIRE_FALSE(bad_factory.ok());
  CHECK(bad_factory.status().IsInvalidArgument());
  CHECK(bad_factory.status().message() ==
        "vector index \"HNSW32,Bogus\" over 10 vectors of dimension 4: could not parse HNSW "
        "code description Bogus in HNSW32,Bogus");

  auto too_few = VectorIndex::Build(base, dim, ids, Factory("IVF64,Flat"));
  REQUIRE_FALSE(too_few.ok());
  CHECK(too_few.status().IsInvalidArgument());
  CHECK(too_few.status().message().find("Number of training points (10) should be at least as "
                                        "large as number of clusters (64)") != std::string::npos);

  auto idmap = VectorIndex::Build(base, dim, ids, Factory("IDMap,Flat"));
  CHECK(idmap.status().IsInvalidArgument());

  CHECK(VectorIndex::Build(base, 0, ids, {}).status().IsInvalidArgument());
  CHECK(VectorIndex::Build(std::span<const float>(base.data(), 39), dim, ids, {})
            .status()
            .IsInvalidArgument());
  std::vector<std::uint32_t> dup = ids;
  dup[7] = dup[2];
  auto duplicated = VectorIndex::Build(base, dim, dup, {});
  REQUIRE_FALSE(duplicated.ok());
  CHECK(duplicated.status().message().find("id 1014 appears more than once") != std::string::npos);
  std::vector<float> nan = base;
  nan[13] = std::nanf("");
  auto with_nan = VectorIndex::Build(nan, dim, ids, {});
  REQUIRE_FALSE(with_nan.ok());
  CHECK(with_nan.status().message().find("row 3 (id 1021)") != std::string::npos);
  VectorIndexOptions zero_ef;
  zero_ef.hnsw_ef_search = 0;
  CHECK(VectorIndex::Build(base, dim, ids, zero_ef).status().IsInvalidArgument());

  auto index = VectorIndex::Build(base, dim, ids, {}).value();
  CHECK(index.Search(std::span<const float>(base.data(), 6), 3).status().IsInvalidArgument());
  std::vector<float> bad_query(dim, std::numeric_limits<float>::infinity());
  CHECK(index.Search(bad_query, 3).status().IsInvalidArgument());
}

TEST_CASE("Saved indexes load back and answer the same", "[index]") {
  const auto dir = testing::FreshTempDir("index_roundtrip");
  const std::uint32_t dim = 8;
  const auto base = RandomVectors(400, dim, 10);
  const auto ids = SpreadIds(400);
  const auto queries = RandomVectors(10, dim, 11);
  for (const char* factory : {"Flat", "HNSW32", "IVF8,Flat"}) {
    INFO(factory);
    VectorIndexOptions options = Factory(factory);
    options.hnsw_ef_search = 100;
    options.ivf_nprobe = 3;
    auto index = VectorIndex::Build(base, dim, ids, options).value();
    const auto path = dir / (std::string(factory).substr(0, 4) + ".faiss");
    REQUIRE(index.Save(path, 0xABCDEF).ok());
    CHECK_FALSE(std::filesystem::exists(path.string() + ".tmp"));
    auto loaded = VectorIndex::Load(path, 0xABCDEF);
    REQUIRE(loaded.ok());
    CHECK(loaded->factory() == factory);
    CHECK(loaded->ids() == ids);
    CHECK(loaded->fingerprint() == 0xABCDEF);
    auto before = index.Search(queries, 10).value();
    auto after = loaded->Search(queries, 10).value();
    for (std::size_t q = 0; q < 10; ++q) {
      CHECK(std::vector<Neighbor>(before.Query(q).begin(), before.Query(q).end()) ==
            std::vector<Neighbor>(after.Query(q).begin(), after.Query(q).end()));
    }
  }
  auto empty = VectorIndex::Build({}, dim, {}, {}).value();
  REQUIRE(empty.Save(dir / "empty.faiss", 1).ok());
  auto empty_loaded = VectorIndex::Load(dir / "empty.faiss", 1);
  REQUIRE(empty_loaded.ok());
  CHECK(empty_loaded->size() == 0);
}

namespace {
std::vector<char> ReadBytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void WriteBytes(const std::filesystem::path& p, const std::vector<char>& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}
}  // namespace

TEST_CASE("An index built for another graph is refused", "[index]") {
  const auto dir = testing::FreshTempDir("index_fingerprint");
  const auto base = RandomVectors(20, 4, 12);
  auto index = VectorIndex::Build(base, 4, SpreadIds(20), {}).value();
  const auto path = dir / "merchants.faiss";
  REQUIRE(index.Save(path, 0x1111).ok());
  auto refused = VectorIndex::Load(path, 0x2222);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().IsInvalidArgument());
  CHECK(refused.status().message() ==
        "index " + path.string() +
            " was built for a different graph (fingerprint 0x0000000000001111 != "
            "0x0000000000002222); rebuild the model");
}

TEST_CASE("Truncated, corrupted or missing index files are refused", "[index]") {
  const auto dir = testing::FreshTempDir("index_corrupt");
  const auto base = RandomVectors(50, 4, 13);
  auto index = VectorIndex::Build(base, 4, SpreadIds(50), Factory("HNSW16")).value();
  const auto path = dir / "skus.faiss";
  const std::filesystem::path meta = path.string() + ".meta";
  REQUIRE(index.Save(path, 7).ok());
  const auto good_index = ReadBytes(path);
  const auto good_meta = ReadBytes(meta);

  SECTION("truncated index file") {
    WriteBytes(path, std::vector<char>(good_index.begin(), good_index.end() - 10));
    auto r = VectorIndex::Load(path, 7);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().IsCorruption());
    CHECK(r.status().message().find("(truncated)") != std::string::npos);
  }
  SECTION("a flipped bit in the index file") {
    auto bad = good_index;
    bad[bad.size() / 2] ^= 0x10;
    WriteBytes(path, bad);
    auto r = VectorIndex::Load(path, 7);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().IsCorruption());
    CHECK(r.status().message().find("checksum mismatch") != std::string::npos);
  }
  SECTION("a truncated or corrupted sidecar") {
    for (std::size_t cut : {std::size_t{0}, std::size_t{20}, good_meta.size() - 1}) {
      WriteBytes(meta, std::vector<char>(good_meta.begin(), good_meta.begin() + static_cast<std::ptrdiff_t>(cut)));
      auto r = VectorIndex::Load(path, 7);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().IsCorruption());
    }
    auto bad = good_meta;
    bad[testing::ContainerSection(good_meta, "ids").first + 5] ^= 0x01;  // inside the id map
    WriteBytes(meta, bad);
    CHECK(VectorIndex::Load(path, 7).status().IsCorruption());
    CHECK(VectorIndex::Load(path, 7).status().message() ==
          meta.string() + ": section ids (offset " +
              std::to_string(testing::ContainerSection(good_meta, "ids").first) +
              ") checksum mismatch");
  }
  SECTION("a sidecar of version 1 (before the shared container) names the fix") {
    auto old = good_meta;
    old[8] = 1;
    WriteBytes(meta, old);
    for (const Status& s :
         {VectorIndex::Load(path, 7).status(), VectorIndex::ReadFileInfo(path).status()}) {
      CHECK(s.IsInvalidArgument());
      CHECK(s.message() == meta.string() +
                               ": index sidecar format version 1, this build reads 2: rebuild the "
                               "model with `partnergraph build`");
    }
  }
  SECTION("a sidecar whose default efSearch or nprobe is out of range, checksum intact") {
    // Fuzzing found it: an HNSW search allocated 12 bytes per unit of a damaged efSearch
    // (tests/fuzz/regressions/vector_index/).
    // The header section: u32 dim, u64 fingerprint, u32 efSearch at 12, u32 nprobe at 16.
    const std::size_t header = testing::ContainerSection(good_meta, "header").first;
    for (const std::size_t at : {header + 12, header + 16}) {
      for (const std::uint32_t value : {0u, 1u << 30}) {
        auto bad = good_meta;
        std::memcpy(bad.data() + at, &value, 4);
        testing::ResealContainer(bad);
        WriteBytes(meta, bad);
        auto r = VectorIndex::Load(path, 7);
        INFO(r.status().ToString());
        CHECK(r.status().IsCorruption());
        CHECK(r.status().message().find("out of range") != std::string::npos);
      }
    }
  }
  SECTION("another file's sidecar") {
    auto other = VectorIndex::Build(base, 4, SpreadIds(50), Factory("Flat")).value();
    REQUIRE(other.Save(dir / "other.faiss", 7).ok());
    std::filesystem::copy_file(dir / "other.faiss.meta", meta,
                               std::filesystem::copy_options::overwrite_existing);
    CHECK(VectorIndex::Load(path, 7).status().IsCorruption());
  }
  SECTION("missing files") {
    std::filesystem::remove(meta);
    CHECK(VectorIndex::Load(path, 7).status().IsIOError());
    CHECK(VectorIndex::Load(dir / "absent.faiss", 7).status().IsIOError());
  }
}

TEST_CASE("Concurrent single-threaded searches give the serial answers", "[index]") {
  const std::uint32_t dim = 16;
  const auto base = RandomVectors(3000, dim, 14);
  const auto ids = SpreadIds(3000);
  const auto queries = RandomVectors(64, dim, 15);
  for (const char* factory : {"Flat", "HNSW32"}) {
    INFO(factory);
    auto index = VectorIndex::Build(base, dim, ids, Factory(factory)).value();
    const auto serial = index.Search(queries, 10).value();
    std::vector<std::vector<Neighbor>> got(64);
    std::vector<std::thread> workers;
    for (int t = 0; t < 4; ++t) {
      workers.emplace_back([&, t] {
        SetFaissThreads(1);
        for (std::size_t q = static_cast<std::size_t>(t); q < 64; q += 4) {
          auto r = index.Search(std::span<const float>(queries.data() + q * dim, dim), 10).value();
          got[q].assign(r.Query(0).begin(), r.Query(0).end());
        }
      });
    }
    for (auto& w : workers) w.join();
    for (std::size_t q = 0; q < 64; ++q) {
      const auto s = serial.Query(q);
      REQUIRE(got[q].size() == s.size());
      for (std::size_t i = 0; i < s.size(); ++i) {
        CHECK(got[q][i].id == s[i].id);
        CHECK(got[q][i].score == Approx(s[i].score).margin(1e-5));
      }
    }
  }
}

TEST_CASE("FAISS thread settings are per calling thread and scoped", "[index]") {
  SetFaissThreads(1);
  CHECK(FaissThreads() == 1);
  {
    ScopedFaissThreads all(0);
    CHECK(FaissThreads() == FaissMaxThreads());
  }
  CHECK(FaissThreads() == 1);
  int other_thread = 0;
  std::thread([&] {
    SetFaissThreads(3);
    other_thread = FaissThreads();
  }).join();
  CHECK(other_thread == 3);
  CHECK(FaissThreads() == 1);
  SetFaissThreads(0);
}
