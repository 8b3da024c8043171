// Neighbour tables (neighbor_table.hpp) on a small generated ecosystem with real
// FAISS indexes, exact and HNSW: coupon answers by merchant, by SKU and batched are
// identical with and without the table (the table computed on the built index, the live
// answers on the index loaded back, as a served model has it); the recommender reads the
// table (altered lists change the answers, uncovered SKUs are searched); a table of another
// k, efSearch, SKU count or index is refused; the file round-trips, and a truncated,
// damaged or foreign file is refused naming the file and the field. The same for the
// merchant lists and partner answers (filtered requests and other candidate counts search).
#include "partnergraph/recommend/neighbor_table.hpp"

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>

#include "common/container_bytes.hpp"
#include "partnergraph/datagen/generator.hpp"
#include "partnergraph/embed/graph_embeddings.hpp"
#include "partnergraph/graph/graph_builder.hpp"
#include "partnergraph/index/faiss_threads.hpp"
#include "partnergraph/ingest/loader.hpp"
#include "partnergraph/recommend/embedding_index.hpp"
#include "partnergraph/recommend/partner_recommender.hpp"
#include "graph_of_folder.hpp"
#include "test_paths.hpp"

using namespace partnergraph;

namespace {

// Per process: ctest runs each case as its own process, possibly several at once.
std::filesystem::path TempDir(const std::string& name) {
  return testing::FreshTempDir(name + "_" + std::to_string(::getpid()));
}

// A generated ecosystem of 300 merchants (about 6,000 SKUs), built once per process.
std::shared_ptr<const EcosystemGraph> SmallGraph() {
  static std::shared_ptr<const EcosystemGraph> graph = [] {
    auto dir = TempDir("sku_neighbors_data");
    GeneratorOptions options;
    options.merchants = 300;
    options.order_lines_per_merchant = 40;
    options.seed = 5;
    GeneratorStats stats;
    Status generated = GenerateEcosystem(options, dir, &stats);
    INFO(generated.ToString());
    REQUIRE(generated.ok());
    return testing::GraphOfFolder(dir);
  }();
  return graph;
}

RecommendOptions Options() {
  RecommendOptions o;
  o.partner_candidates = 20;
  o.coupon_candidates = 15;  // fewer than the SKUs: the ANN stage matters
  return o;
}

struct Models {
  RecommendModel built;   // the SKU index as Build made it, saved (so it has an identity)
  RecommendModel loaded;  // the same index read back from its files
};

// Embeddings and indexes of SmallGraph with `factory` for both indexes.
Models SmallModels(const std::string& factory) {
  auto g = SmallGraph();
  EmbedOptions embed;
  embed.merchant_svd.svd.dim = 16;
  embed.sku_item2vec.sgns.dim = 16;
  embed.sku_item2vec.sgns.epochs = 2;
  Models out;
  RecommendModel& model = out.built;
  model.graph = g;
  auto m = TrainMerchantSvdEmbeddings(*g, embed.merchant_svd);
  REQUIRE(m.ok());
  model.merchant_vectors = std::make_shared<const Embeddings>(std::move(m).value());
  auto s = TrainSkuItem2vecEmbeddings(*g, embed.sku_item2vec);
  REQUIRE(s.ok());
  model.sku_vectors = std::make_shared<const Embeddings>(std::move(s).value());
  VectorIndexOptions io;
  io.factory = factory;
  io.build_threads = 1;
  auto mi = IndexNonZeroRows(*model.merchant_vectors, io);
  REQUIRE(mi.ok());
  const auto dir = TempDir("sku_neighbors_index_" + factory);
  REQUIRE(mi->Save(dir / "merchants.faiss", g->Fingerprint()).ok());
  model.merchant_index = std::make_shared<const VectorIndex>(std::move(mi).value());
  auto si = IndexNonZeroRows(*model.sku_vectors, io);
  REQUIRE(si.ok());
  REQUIRE(si->Save(dir / "skus.faiss", g->Fingerprint()).ok());
  CHECK(si->file_checksum() != 0);
  model.sku_index = std::make_shared<const VectorIndex>(std::move(si).value());
  out.loaded = model;
  auto loaded = VectorIndex::Load(dir / "skus.faiss", g->Fingerprint());
  REQUIRE(loaded.ok());
  CHECK(loaded->file_checksum() == model.sku_index->file_checksum());
  out.loaded.sku_index = std::make_shared<const VectorIndex>(std::move(loaded).value());
  auto loaded_merchants = VectorIndex::Load(dir / "merchants.faiss", g->Fingerprint());
  REQUIRE(loaded_merchants.ok());
  out.loaded.merchant_index =
      std::make_shared<const VectorIndex>(std::move(loaded_merchants).value());
  return out;
}

bool SamePartners(const std::vector<PartnerResult>& a, const std::vector<PartnerResult>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].merchant != b[i].merchant || a[i].score.total != b[i].score.total ||
        a[i].shared_customers != b[i].shared_customers ||
        a[i].shared_segments.size() != b[i].shared_segments.size()) {
      return false;
    }
  }
  return true;
}

bool SameCoupons(const std::vector<CouponResult>& a, const std::vector<CouponResult>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].sku != b[i].sku || a[i].trigger != b[i].trigger || a[i].score != b[i].score ||
        a[i].support != b[i].support || a[i].lift != b[i].lift || a[i].reach != b[i].reach) {
      return false;
    }
  }
  return true;
}

std::shared_ptr<const Recommender> Create(const RecommendModel& model) {
  auto rec = Recommender::Create(model, Options());
  INFO(rec.status().ToString());
  REQUIRE(rec.ok());
  return *rec;
}

std::shared_ptr<const SkuNeighborTable> Compute(const Recommender& rec) {
  ScopedFaissThreads one(1);
  auto table = rec.ComputeSkuNeighbors();
  INFO(table.status().ToString());
  REQUIRE(table.ok());
  return std::make_shared<const SkuNeighborTable>(std::move(table).value());
}

std::shared_ptr<const MerchantNeighborTable> ComputeMerchants(const Recommender& rec) {
  ScopedFaissThreads one(1);
  auto table = rec.ComputeMerchantNeighbors();
  INFO(table.status().ToString());
  REQUIRE(table.ok());
  return std::make_shared<const MerchantNeighborTable>(std::move(table).value());
}

// The table's lists as FromLists takes them, each list passed through `edit`.
template <typename Id, typename Edit>
Result<NeighborTable<Id>> Rebuilt(const NeighborTable<Id>& t, NeighborKey key, Edit edit) {
  std::vector<Id> items;
  std::vector<std::uint64_t> offsets{0};
  std::vector<Neighbor> hits;
  for (std::uint32_t s = 0; s < t.key().item_count; ++s) {
    auto list = t.Find(Id(s));
    if (!list) continue;
    std::vector<Neighbor> kept(list->begin(), list->end());
    if (!edit(Id(s), &kept)) continue;
    items.push_back(Id(s));
    hits.insert(hits.end(), kept.begin(), kept.end());
    offsets.push_back(hits.size());
  }
  return NeighborTable<Id>::FromLists(key, std::move(items), std::move(offsets), std::move(hits));
}

}  // namespace

TEST_CASE("Coupon answers are identical with and without the SKU neighbour lists",
          "[recommend]") {
  ScopedFaissThreads one(1);
  for (const std::string factory : {"Flat", "HNSW16"}) {
    DYNAMIC_SECTION(factory) {
      const Models models = SmallModels(factory);
      // The table from the index as built; the live answers from the index loaded back.
      auto table = Compute(*Create(models.built));
      auto live = Create(models.loaded);
      RecommendModel with_table = models.loaded;
      with_table.sku_neighbors = table;
      auto stored = Create(with_table);
      const EcosystemGraph& g = *SmallGraph();
      CHECK(table->key().k == Options().coupon_candidates + 1);
      CHECK(table->covered() > g.sku_count() / 10);

      // Every stored list is the index's answer to that SKU alone.
      std::uint32_t checked = 0;
      for (std::uint32_t s = 0; s < g.sku_count(); ++s) {
        auto list = table->Find(SkuId(s));
        if (!list) continue;
        auto row = models.loaded.sku_vectors->Row(s);
        const bool has_vector = std::any_of(row.begin(), row.end(), [](float x) { return x != 0; });
        if (!has_vector) {
          CHECK(list->empty());
          continue;
        }
        auto hits = models.loaded.sku_index->Search(row, table->key().k);
        REQUIRE(hits.ok());
        INFO("SKU " << s);
        CHECK(std::equal(list->begin(), list->end(), hits->Query(0).begin(), hits->Query(0).end()));
        ++checked;
      }
      CHECK(checked > 0);

      CouponFilters band;
      band.min_price = 5;
      band.max_price = 80;
      std::vector<MerchantId> merchants;
      for (std::uint32_t m = 0; m < g.merchant_count(); ++m) {
        merchants.push_back(MerchantId(m));
        for (const CouponFilters& f : {CouponFilters{}, band}) {
          auto a = live->RecommendCouponPairs(MerchantId(m), 10, f);
          auto b = stored->RecommendCouponPairs(MerchantId(m), 10, f);
          REQUIRE(a.ok());
          REQUIRE(b.ok());
          INFO("merchant " << m);
          CHECK(SameCoupons(*a, *b));
        }
      }
      for (std::uint32_t s = 0; s < g.sku_count(); s += 7) {
        auto a = live->RecommendCouponPairs(SkuId(s), 10, CouponFilters{});
        auto b = stored->RecommendCouponPairs(SkuId(s), 10, CouponFilters{});
        REQUIRE(a.ok());
        REQUIRE(b.ok());
        INFO("SKU " << s);
        CHECK(SameCoupons(*a, *b));
      }
      // The batched form (one search of every trigger when live; the lists when stored).
      // An exact index answers a big batch through BLAS: equal up to float rounding at
      // the k-th hit (neighbor_table.hpp), which this model does not reach.
      auto a = live->RecommendCouponPairsBatch(merchants, 10, CouponFilters{});
      auto b = stored->RecommendCouponPairsBatch(merchants, 10, CouponFilters{});
      REQUIRE(a.ok());
      REQUIRE(b.ok());
      for (std::size_t i = 0; i < merchants.size(); ++i) {
        INFO("batched merchant " << i);
        CHECK(SameCoupons((*a)[i], (*b)[i]));
      }
    }
  }
}

TEST_CASE("The recommender reads the stored lists and searches the SKUs they miss",
          "[recommend]") {
  ScopedFaissThreads one(1);
  const Models models = SmallModels("HNSW16");
  auto live = Create(models.loaded);
  auto table = Compute(*live);
  const EcosystemGraph& g = *SmallGraph();
  // The even covered SKUs keep a list, emptied; the odd ones are left out (searched).
  auto altered = Rebuilt(*table, table->key(), [](SkuId s, std::vector<Neighbor>* list) {
    list->clear();
    return s.value % 2 == 0;
  });
  REQUIRE(altered.ok());
  auto rec = live->WithNeighbors(std::make_shared<const SkuNeighborTable>(*altered));
  REQUIRE(rec.ok());
  std::uint32_t changed = 0, searched = 0;
  for (std::uint32_t s = 0; s < g.sku_count(); ++s) {
    if (!table->Find(SkuId(s)) || table->Find(SkuId(s))->empty()) continue;
    auto a = live->RecommendCouponPairs(SkuId(s), 10, CouponFilters{});
    auto b = (*rec)->RecommendCouponPairs(SkuId(s), 10, CouponFilters{});
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    if (s % 2 == 1) {
      INFO("SKU " << s << " has no stored list: searched");
      CHECK(SameCoupons(*a, *b));
      ++searched;
    } else if (!SameCoupons(*a, *b)) {
      ++changed;  // its embedding candidates were read from the (emptied) list
    }
  }
  CHECK(searched > 0);
  CHECK(changed > 0);
}

TEST_CASE("A SKU neighbour table of another k or efSearch or SKU count or index is refused",
          "[recommend]") {
  ScopedFaissThreads one(1);
  const Models models = SmallModels("Flat");
  auto live = Create(models.loaded);
  auto table = Compute(*live);
  auto keep = [](SkuId, std::vector<Neighbor>*) { return true; };
  struct Case {
    const char* name;
    void (*change)(NeighborKey*);
    const char* message;
  };
  const Case cases[] = {
      {"k", [](NeighborKey* k) { k->k += 5; }, "coupon_candidates 20"},
      {"efSearch", [](NeighborKey* k) { k->ef_search = 99; }, "coupon_ef_search 99"},
      {"SKU count", [](NeighborKey* k) { k->item_count += 1; }, "SKUs but the graph has"},
      {"index", [](NeighborKey* k) { k->index_checksum ^= 1; }, "another SKU index"},
      {"graph", [](NeighborKey* k) { k->index_fingerprint ^= 1; }, "another graph"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    NeighborKey key = table->key();
    c.change(&key);
    auto other = Rebuilt(*table, key, keep);
    REQUIRE(other.ok());
    auto shared = std::make_shared<const SkuNeighborTable>(*other);
    auto rec = live->WithNeighbors(shared);
    REQUIRE_FALSE(rec.ok());
    CHECK(rec.status().IsInvalidArgument());
    INFO(rec.status().message());
    CHECK(rec.status().message().find(c.message) != std::string::npos);
    RecommendModel model = models.loaded;
    model.sku_neighbors = shared;
    CHECK(Recommender::Create(model, Options()).status().IsInvalidArgument());
  }
  // Inconsistent lists are refused by FromLists.
  NeighborKey key = table->key();
  CHECK(SkuNeighborTable::FromLists(key, {SkuId(2), SkuId(1)}, {0, 0, 0}, {})
            .status().IsInvalidArgument());
  CHECK(SkuNeighborTable::FromLists(key, {SkuId(key.item_count)}, {0, 0}, {})
            .status().IsInvalidArgument());
  CHECK(SkuNeighborTable::FromLists(key, {SkuId(1)}, {0, 1}, {Neighbor{key.item_count, 0.5f}})
            .status().IsInvalidArgument());
  std::vector<Neighbor> too_many(key.k + 1, Neighbor{3, 0.1f});
  CHECK(SkuNeighborTable::FromLists(key, {SkuId(1)}, {0, key.k + 1}, too_many)
            .status().IsInvalidArgument());
  // A middle offset past the hits, the last one right (fuzzing found it: Find then read past
  // the hits; tests/fuzz/regressions/neighbor_table/).
  NeighborKey wide = key;
  wide.k = 1000;
  auto past = SkuNeighborTable::FromLists(wide, {SkuId(1), SkuId(2)}, {0, 500, 2},
                                          {Neighbor{3, 0.1f}, Neighbor{4, 0.1f}});
  INFO(past.status().ToString());
  CHECK(past.status().IsInvalidArgument());
  CHECK(past.status().message().find("offset 500 is past the 2 hits") != std::string::npos);
}

TEST_CASE("sku_neighbors.bin round-trips and a truncated or damaged or foreign file is refused",
          "[recommend]") {
  ScopedFaissThreads one(1);
  const Models models = SmallModels("Flat");
  auto live = Create(models.loaded);
  auto table = Compute(*live);
  const auto dir = TempDir("sku_neighbors_file");
  const auto path = dir / "sku_neighbors.bin";
  REQUIRE(table->Save(path, 0).ok());
  CHECK_FALSE(std::filesystem::exists(dir / "sku_neighbors.bin.tmp"));

  auto loaded = SkuNeighborTable::Load(path, table->key());
  INFO(loaded.status().ToString());
  REQUIRE(loaded.ok());
  CHECK(loaded->key() == table->key());
  REQUIRE(loaded->covered() == table->covered());
  for (std::uint32_t s = 0; s < table->key().item_count; ++s) {
    auto a = table->Find(SkuId(s));
    auto b = loaded->Find(SkuId(s));
    REQUIRE(a.has_value() == b.has_value());
    if (a) CHECK(std::equal(a->begin(), a->end(), b->begin(), b->end()));
  }

  // Another model's (or other options') file: InvalidArgument naming the file and field.
  NeighborKey other = table->key();
  other.k += 1;
  other.ef_search = 128;
  auto foreign = SkuNeighborTable::Load(path, other);
  REQUIRE(foreign.status().IsInvalidArgument());
  const std::string message = foreign.status().message();
  INFO(message);
  CHECK(message.find("sku_neighbors.bin") == 0);
  CHECK(message.find("coupon_candidates 15") != std::string::npos);
  CHECK(message.find("coupon_ef_search 0 but the model's is 128") != std::string::npos);
  CHECK(message.find("partnergraph precompute") != std::string::npos);

  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto write = [&](const std::string& content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
  };
  auto refused = [&](const std::string& what) {
    auto r = SkuNeighborTable::Load(path, table->key());
    INFO(what << ": " << r.status().ToString());
    CHECK(r.status().IsCorruption());
    CHECK(r.status().message().find("sku_neighbors.bin") == 0);
  };
  write(bytes.substr(0, bytes.size() / 2));
  refused("truncated in the lists");
  write(bytes.substr(0, bytes.size() - 1));
  refused("last byte missing");
  write(bytes.substr(0, 20));
  refused("truncated in the header");
  write("");
  refused("empty");
  std::string damaged = bytes;
  damaged[damaged.size() - 100] ^= 0x40;
  write(damaged);
  refused("a flipped bit in the hits");
  damaged = bytes;
  // The covered count (header section: k, efSearch, item count, fingerprint, checksum, covered
  // at 24), checksums resealed: the count no longer matches the items.
  damaged[testing::ContainerSection(damaged, "header").first + 24] ^= 0x7f;
  testing::ResealContainer(damaged);
  write(damaged);
  refused("a damaged count");
  damaged = bytes;
  damaged[0] = 'X';
  write(damaged);
  CHECK(SkuNeighborTable::Load(path, table->key()).status().message() ==
        "sku_neighbors.bin: not a SKU neighbour file (bad magic)");
  std::filesystem::remove(path);
  CHECK(SkuNeighborTable::Load(path, table->key()).status().IsIOError());
}

TEST_CASE("A neighbour file records the config digest; a version 1 file names the fix",
          "[recommend]") {
  ScopedFaissThreads one(1);
  const Models models = SmallModels("Flat");
  auto table = Compute(*Create(models.loaded));
  const auto dir = TempDir("neighbor_config_digest");
  const auto path = dir / "sku_neighbors.bin";
  REQUIRE(table->Save(path, 0x1234abcd).ok());
  auto loaded = SkuNeighborTable::Load(path, table->key());
  REQUIRE(loaded.ok());
  CHECK(loaded->config_digest() == 0x1234abcd);
  auto info = ReadNeighborFileInfo(path);
  REQUIRE(info.ok());
  CHECK(info->key == table->key());
  CHECK(info->covered == table->covered());
  CHECK(info->config_digest == 0x1234abcd);

  // Versions 1 (before the digest) and 2 (before the container): refused by their version,
  // before any size or checksum, naming the command that rewrites the file.
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  for (char version : {1, 2}) {
    bytes[8] = version;
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
    for (const Status& s : {SkuNeighborTable::Load(path, table->key()).status(),
                            ReadNeighborFileInfo(path).status()}) {
      INFO(s.ToString());
      CHECK(s.IsInvalidArgument());
      CHECK(s.message() == "sku_neighbors.bin: SKU neighbour format version " +
                               std::to_string(version) +
                               ", this build reads 3: `partnergraph "
                               "precompute --model " +
                               dir.string() + "` rewrites it, or rebuild the model");
    }
  }
}

TEST_CASE("Partner answers are identical with and without the merchant neighbour lists",
          "[recommend]") {
  ScopedFaissThreads one(1);
  for (const std::string factory : {"Flat", "HNSW16"}) {
    DYNAMIC_SECTION(factory) {
      const Models models = SmallModels(factory);
      auto table = ComputeMerchants(*Create(models.built));
      auto live = Create(models.loaded);
      RecommendModel with_table = models.loaded;
      with_table.merchant_neighbors = table;
      auto stored = Create(with_table);
      const EcosystemGraph& g = *SmallGraph();
      CHECK(table->key().kind == NeighborKind::kMerchants);
      CHECK(table->key().k == Options().partner_candidates + 1);
      CHECK(table->covered() > g.merchant_count() / 2);

      // Every stored list is the index's answer to that merchant alone; merchants without
      // a vector have none.
      for (std::uint32_t m = 0; m < g.merchant_count(); ++m) {
        auto row = models.loaded.merchant_vectors->Row(m);
        const bool has_vector = std::any_of(row.begin(), row.end(), [](float x) { return x != 0; });
        auto list = table->Find(MerchantId(m));
        INFO("merchant " << m);
        REQUIRE(list.has_value() == has_vector);
        if (!has_vector) continue;
        auto hits = models.loaded.merchant_index->Search(row, table->key().k);
        REQUIRE(hits.ok());
        CHECK(std::equal(list->begin(), list->end(), hits->Query(0).begin(), hits->Query(0).end()));
      }

      PartnerFilters existing;
      existing.include_existing_partners = true;
      PartnerFilters region;  // searched inside the index: the list does not apply
      region.regions.push_back(g.Merchant(MerchantId(0)).region);
      PartnerFilters fewer;  // another candidate count: searched
      fewer.candidates = 7;
      std::vector<MerchantId> merchants;
      for (std::uint32_t m = 0; m < g.merchant_count(); ++m) {
        merchants.push_back(MerchantId(m));
        for (const PartnerFilters& f : {PartnerFilters{}, existing, region, fewer}) {
          auto a = live->RecommendPartners(MerchantId(m), 10, f);
          auto b = stored->RecommendPartners(MerchantId(m), 10, f);
          REQUIRE(a.ok());
          REQUIRE(b.ok());
          INFO("merchant " << m);
          CHECK(SamePartners(*a, *b));
        }
      }
      for (const PartnerFilters& f : {PartnerFilters{}, existing}) {
        auto a = live->RecommendPartnersBatch(merchants, 10, f);
        auto b = stored->RecommendPartnersBatch(merchants, 10, f);
        REQUIRE(a.ok());
        REQUIRE(b.ok());
        for (std::size_t i = 0; i < merchants.size(); ++i) {
          INFO("batched merchant " << i);
          CHECK(SamePartners((*a)[i], (*b)[i]));
        }
      }
    }
  }
}

TEST_CASE("Partner queries read the stored merchant lists unless a filter or C asks a search",
          "[recommend]") {
  ScopedFaissThreads one(1);
  const Models models = SmallModels("HNSW16");
  auto live = Create(models.loaded);
  auto table = ComputeMerchants(*live);
  const EcosystemGraph& g = *SmallGraph();
  // The even merchants keep a list holding only their last hit; the odd ones are left out.
  auto altered = Rebuilt(*table, table->key(), [](MerchantId m, std::vector<Neighbor>* list) {
    if (!list->empty()) list->erase(list->begin(), list->end() - 1);
    return m.value % 2 == 0;
  });
  REQUIRE(altered.ok());
  auto rec = live->WithNeighbors(std::make_shared<const MerchantNeighborTable>(*altered));
  REQUIRE(rec.ok());
  PartnerFilters region;
  region.regions.push_back(g.Merchant(MerchantId(0)).region);
  PartnerFilters fewer;
  fewer.candidates = 7;
  std::uint32_t changed = 0, searched = 0;
  for (std::uint32_t m = 0; m < g.merchant_count(); ++m) {
    if (!table->Find(MerchantId(m))) continue;
    INFO("merchant " << m);
    auto a = live->RecommendPartners(MerchantId(m), 10, PartnerFilters{});
    auto b = (*rec)->RecommendPartners(MerchantId(m), 10, PartnerFilters{});
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    if (m % 2 == 1) {
      CHECK(SamePartners(*a, *b));  // no stored list: searched
      ++searched;
    } else if (!SamePartners(*a, *b)) {
      ++changed;  // its candidates were read from the (cut) list
    }
    for (const PartnerFilters& f : {region, fewer}) {
      auto c = live->RecommendPartners(MerchantId(m), 10, f);
      auto d = (*rec)->RecommendPartners(MerchantId(m), 10, f);
      REQUIRE(c.ok());
      REQUIRE(d.ok());
      CHECK(SamePartners(*c, *d));  // these search whatever the table holds
    }
  }
  CHECK(searched > 0);
  CHECK(changed > 0);
}

TEST_CASE("A merchant neighbour table of another C, merchant count, index or kind is refused",
          "[recommend]") {
  ScopedFaissThreads one(1);
  const Models models = SmallModels("Flat");
  auto live = Create(models.loaded);
  auto table = ComputeMerchants(*live);
  auto keep = [](MerchantId, std::vector<Neighbor>*) { return true; };
  struct Case {
    const char* name;
    void (*change)(NeighborKey*);
    const char* message;
  };
  const Case cases[] = {
      {"k", [](NeighborKey* k) { k->k += 5; }, "(partner_candidates 25) but the model asks 21"},
      {"efSearch", [](NeighborKey* k) { k->ef_search = 99; }, "merchant index's efSearch 99"},
      {"count", [](NeighborKey* k) { k->item_count += 1; }, "merchants but the graph has"},
      {"index", [](NeighborKey* k) { k->index_checksum ^= 1; }, "another merchant index"},
      {"graph", [](NeighborKey* k) { k->index_fingerprint ^= 1; }, "another graph"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    NeighborKey key = table->key();
    c.change(&key);
    auto other = Rebuilt(*table, key, keep);
    REQUIRE(other.ok());
    auto shared = std::make_shared<const MerchantNeighborTable>(*other);
    auto rec = live->WithNeighbors(shared);
    REQUIRE_FALSE(rec.ok());
    CHECK(rec.status().IsInvalidArgument());
    INFO(rec.status().message());
    CHECK(rec.status().message().find(c.message) != std::string::npos);
    RecommendModel model = models.loaded;
    model.merchant_neighbors = shared;
    CHECK(Recommender::Create(model, Options()).status().IsInvalidArgument());
  }
  // A key of SKU lists does not make a merchant table.
  NeighborKey sku_key = table->key();
  sku_key.kind = NeighborKind::kSkus;
  auto wrong_kind = MerchantNeighborTable::FromLists(sku_key, {}, {0}, {});
  CHECK(wrong_kind.status().IsInvalidArgument());
  CHECK(wrong_kind.status().message() == "merchant neighbour lists: a key of SKU lists");
  // A model without a merchant index takes no merchant lists.
  RecommendModel no_index = models.loaded;
  no_index.merchant_index = nullptr;
  no_index.merchant_neighbors = table;
  CHECK(Recommender::Create(no_index, Options()).status().message() ==
        "merchant neighbour lists given for a model without a merchant index");
}

TEST_CASE("merchant_neighbors.bin round-trips and is not read as SKU lists", "[recommend]") {
  ScopedFaissThreads one(1);
  const Models models = SmallModels("Flat");
  auto live = Create(models.loaded);
  auto table = ComputeMerchants(*live);
  const auto dir = TempDir("merchant_neighbors_file");
  const auto path = dir / "merchant_neighbors.bin";
  REQUIRE(table->Save(path, 0).ok());
  auto loaded = MerchantNeighborTable::Load(path, table->key());
  INFO(loaded.status().ToString());
  REQUIRE(loaded.ok());
  CHECK(loaded->key() == table->key());
  for (std::uint32_t m = 0; m < table->key().item_count; ++m) {
    auto a = table->Find(MerchantId(m));
    auto b = loaded->Find(MerchantId(m));
    REQUIRE(a.has_value() == b.has_value());
    if (a) CHECK(std::equal(a->begin(), a->end(), b->begin(), b->end()));
  }
  NeighborKey other = table->key();
  other.k -= 1;
  auto foreign = MerchantNeighborTable::Load(path, other);
  REQUIRE(foreign.status().IsInvalidArgument());
  CHECK(foreign.status().message().find("merchant_neighbors.bin does not match the model: "
                                        "computed for k 21 (partner_candidates 20)") == 0);
  // The SKU reader refuses the merchant file (and the reverse) by its magic.
  NeighborKey as_skus = table->key();
  as_skus.kind = NeighborKind::kSkus;
  auto mixed = SkuNeighborTable::Load(path, as_skus);
  CHECK(mixed.status().IsInvalidArgument());
  CHECK(mixed.status().message() == "merchant_neighbors.bin: not a SKU neighbour file (bad magic)");
  auto skus = Compute(*live);
  REQUIRE(skus->Save(dir / "sku_neighbors.bin", 0).ok());
  NeighborKey as_merchants = skus->key();
  as_merchants.kind = NeighborKind::kMerchants;
  CHECK(MerchantNeighborTable::Load(dir / "sku_neighbors.bin", as_merchants).status().message() ==
        "sku_neighbors.bin: not a merchant neighbour file (bad magic)");
  // Damaged: refused by its checksum.
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  bytes[bytes.size() - 50] ^= 0x10;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  CHECK(MerchantNeighborTable::Load(path, table->key()).status().IsCorruption());
}
