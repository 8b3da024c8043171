// The batched recommender paths used by the model build (precomputed answers) and the
// coupon candidate sources, on a small generated ecosystem (real files, real FAISS
// indexes): batched answers equal single ones, exact and HNSW; the popular-SKU source and
// its weight; the training budgets keep the build bounded and are recorded.
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "partnergraph/datagen/generator.hpp"
#include "partnergraph/embed/graph_embeddings.hpp"
#include "partnergraph/engine/model_builder.hpp"
#include "partnergraph/engine/precomputed_answers.hpp"
#include "partnergraph/graph/graph_builder.hpp"
#include "partnergraph/index/faiss_threads.hpp"
#include "partnergraph/ingest/loader.hpp"
#include "partnergraph/recommend/embedding_index.hpp"
#include "graph_of_folder.hpp"
#include "test_paths.hpp"

using namespace partnergraph;

namespace {

// A generated ecosystem of 300 merchants (about 6,000 SKUs), built once.
std::shared_ptr<const EcosystemGraph> SmallGraph() {
  static std::shared_ptr<const EcosystemGraph> graph = [] {
    // Per process: ctest may run several cases of this file at once.
    auto dir = testing::FreshTempDir("recommender_batch_data_" + std::to_string(::getpid()));
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

ModelConfig DefaultConfig() {
  std::ifstream in(testing::SourceDir() / "models" / "default.json");
  std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto config = ParseModelConfig(json, "models/default.json");
  REQUIRE(config.ok());
  return *config;
}

// The model parts with the given index factory for both indexes.
RecommendModel SmallModel(const std::string& factory) {
  auto g = SmallGraph();
  ModelConfig config = DefaultConfig();
  config.embed.merchant_svd.svd.dim = 16;
  config.embed.sku_item2vec.sgns.dim = 16;
  config.embed.sku_item2vec.sgns.epochs = 2;
  RecommendModel model;
  model.graph = g;
  auto m = TrainMerchantSvdEmbeddings(*g, config.embed.merchant_svd);
  REQUIRE(m.ok());
  model.merchant_vectors = std::make_shared<const Embeddings>(std::move(m).value());
  auto s = TrainSkuItem2vecEmbeddings(*g, config.embed.sku_item2vec);
  REQUIRE(s.ok());
  model.sku_vectors = std::make_shared<const Embeddings>(std::move(s).value());
  VectorIndexOptions io;
  io.factory = factory;
  io.build_threads = 1;  // reproducible HNSW graph
  auto mi = IndexNonZeroRows(*model.merchant_vectors, io);
  INFO(mi.status().ToString());
  REQUIRE(mi.ok());
  model.merchant_index = std::make_shared<const VectorIndex>(std::move(mi).value());
  auto si = IndexNonZeroRows(*model.sku_vectors, io);
  REQUIRE(si.ok());
  model.sku_index = std::make_shared<const VectorIndex>(std::move(si).value());
  return model;
}

bool SamePartners(const std::vector<PartnerResult>& a, const std::vector<PartnerResult>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].merchant != b[i].merchant || a[i].score.total != b[i].score.total) return false;
  }
  return true;
}

bool SameCoupons(const std::vector<CouponResult>& a, const std::vector<CouponResult>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].sku != b[i].sku || a[i].trigger != b[i].trigger || a[i].score != b[i].score) {
      return false;
    }
  }
  return true;
}

}  // namespace

TEST_CASE("Batched partner and coupon answers equal the single-query answers", "[engine]") {
  ScopedFaissThreads one(1);
  for (const std::string factory : {"Flat", "HNSW16"}) {
    DYNAMIC_SECTION(factory) {
      RecommendOptions options = DefaultConfig().recommend;
      options.partner_candidates = 20;  // fewer than the merchants: the ANN stage matters
      options.coupon_candidates = 15;
      auto rec = Recommender::Create(SmallModel(factory), options);
      REQUIRE(rec.ok());
      std::vector<MerchantId> ms;
      for (std::uint32_t m = 0; m < SmallGraph()->merchant_count(); m += 3) ms.push_back(MerchantId(m));
      auto partners = (*rec)->RecommendPartnersBatch(ms, 10, PartnerFilters{});
      auto coupons = (*rec)->RecommendCouponPairsBatch(ms, 10, CouponFilters{});
      REQUIRE(partners.ok());
      REQUIRE(coupons.ok());
      REQUIRE(partners->size() == ms.size());
      std::size_t mismatched = 0, nonempty = 0;
      for (std::size_t i = 0; i < ms.size(); ++i) {
        auto p = (*rec)->RecommendPartners(ms[i], 10, PartnerFilters{});
        auto c = (*rec)->RecommendCouponPairs(ms[i], 10, CouponFilters{});
        REQUIRE(p.ok());
        REQUIRE(c.ok());
        mismatched += !SamePartners(*p, (*partners)[i]) || !SameCoupons(*c, (*coupons)[i]);
        nonempty += !c->empty() && !p->empty();
      }
      CHECK(mismatched == 0);
      CHECK(nonempty > ms.size() / 2);  // the comparison compared something
      // An answer holds its results, not the candidates' spare capacity: the precompute keeps
      // one answer per merchant, and at 100k merchants that capacity was gigabytes.
      for (std::size_t i = 0; i < ms.size(); ++i) {
        CHECK((*partners)[i].capacity() == (*partners)[i].size());
        CHECK((*coupons)[i].capacity() == (*coupons)[i].size());
      }
      auto single = (*rec)->RecommendCouponPairs(ms[0], 2, CouponFilters{});
      REQUIRE(single.ok());
      CHECK(single->capacity() == single->size());

      // A filtered batch (one search per merchant, the filter inside) equals the singles too.
      PartnerFilters f;
      f.exclude_categories = {SmallGraph()->Merchant(MerchantId(0)).category};
      auto filtered = (*rec)->RecommendPartnersBatch(ms, 10, f);
      REQUIRE(filtered.ok());
      for (std::size_t i = 0; i < ms.size(); ++i) {
        auto p = (*rec)->RecommendPartners(ms[i], 10, f);
        REQUIRE(p.ok());
        CHECK(SamePartners(*p, (*filtered)[i]));
      }
    }
  }
}

TEST_CASE("The popular-SKU coupon source adds the most-bought SKUs, filtered", "[engine]") {
  RecommendModel model = SmallModel("Flat");
  const EcosystemGraph& g = *model.graph;
  // The most-bought SKU overall.
  SkuId top(0);
  for (std::uint32_t s = 0; s < g.sku_count(); ++s) {
    if (g.SkuStatsOf(SkuId(s)).buyers > g.SkuStatsOf(top).buyers) top = SkuId(s);
  }
  // A trigger at another merchant, allowed to pair with top's merchant, that neither
  // co-purchases with top nor has it among its embedding neighbours: only the new
  // source can propose it.
  RecommendOptions without;
  without.coupon_candidates = 0;
  without.coupon_popular_candidates = 0;
  RecommendOptions with = without;
  with.coupon_popular_candidates = 5;
  with.coupon_weights.lift = 0;
  with.coupon_weights.support = 0;
  with.coupon_weights.reach = 0;
  with.coupon_weights.embedding_similarity = 0;
  with.coupon_weights.popularity = 1.0;
  auto r0 = Recommender::Create(model, without);
  auto r1 = Recommender::Create(model, with);
  REQUIRE(r0.ok());
  REQUIRE(r1.ok());
  std::size_t checked = 0;
  for (std::uint32_t s = 0; s < g.sku_count() && checked < 20; ++s) {
    const SkuId trigger(s);
    const MerchantId x = g.Sku(trigger).merchant, y = g.Sku(top).merchant;
    if (x == y || g.IsCompetitor(x, y) || g.IsBlocked(x, y) ||
        !g.Merchant(x).policy.allow_coupons || !g.Merchant(y).policy.allow_coupons) {
      continue;
    }
    auto base = (*r0)->RecommendCouponPairs(trigger, 100, CouponFilters{});
    auto more = (*r1)->RecommendCouponPairs(trigger, 100, CouponFilters{});
    REQUIRE(base.ok());
    REQUIRE(more.ok());
    const bool in_base = std::any_of(base->begin(), base->end(),
                                     [&](const CouponResult& c) { return c.sku == top; });
    if (in_base) continue;  // already a co-purchase neighbour
    ++checked;
    REQUIRE_FALSE(more->empty());
    // With the popularity weight alone, the most-bought SKU ranks first.
    CHECK(more->front().sku == top);
    CHECK(more->front().score == Approx(1.0));
    // A price band that excludes it removes it.
    CouponFilters band;
    band.max_price = g.Sku(top).price / 2;
    auto filtered = (*r1)->RecommendCouponPairs(trigger, 100, band);
    REQUIRE(filtered.ok());
    CHECK(std::none_of(filtered->begin(), filtered->end(),
                       [&](const CouponResult& c) { return c.sku == top; }));
  }
  CHECK(checked > 0);
  // Never a SKU of the trigger's own merchant.
  auto own = (*r1)->RecommendCouponPairs(top, 100, CouponFilters{});
  REQUIRE(own.ok());
  for (const CouponResult& c : *own) CHECK(g.Sku(c.sku).merchant != g.Sku(top).merchant);
}

TEST_CASE("Precomputed answers are computed in batches and match the live answers",
          "[engine]") {
  RecommendOptions options = DefaultConfig().recommend;
  auto rec = Recommender::Create(SmallModel("Flat"), options);
  REQUIRE(rec.ok());
  auto answers = PrecomputedAnswers::Compute(**rec, 10);
  REQUIRE(answers.ok());
  const std::uint32_t n = SmallGraph()->merchant_count();
  REQUIRE(n > PrecomputedAnswers::kBatchMerchants);  // more than one block
  REQUIRE(answers->merchant_count() == n);
  ScopedFaissThreads one(1);
  std::size_t mismatched = 0;
  std::size_t views_differ = 0;
  for (std::uint32_t m = 0; m < n; ++m) {
    for (Audience audience : {Audience::kOperator, Audience::kMerchant}) {
      PartnerFilters pf;
      pf.audience = audience;
      CouponFilters cf;
      cf.audience = audience;
      auto p = (*rec)->RecommendPartners(MerchantId(m), 10, pf);
      auto c = (*rec)->RecommendCouponPairs(MerchantId(m), 10, cf);
      REQUIRE(p.ok());
      REQUIRE(c.ok());
      mismatched += !SamePartners(*p, answers->Partners(MerchantId(m), audience)) ||
                    !SameCoupons(*c, answers->Coupons(MerchantId(m), audience));
    }
    views_differ += !SamePartners(answers->Partners(MerchantId(m), Audience::kOperator),
                                  answers->Partners(MerchantId(m), Audience::kMerchant));
  }
  CHECK(mismatched == 0);
  // The two views are different rankings (else one of them would not be stored).
  CHECK(views_differ > 0);
}

TEST_CASE("The training budgets lower walks and epochs, and the model records them",
          "[engine]") {
  auto g = SmallGraph();
  WalkEmbeddingOptions walk;
  walk.walks.walks_per_node = 10;
  walk.walks.walk_length = 40;
  walk.walks.max_total_tokens = 300 * 40 * 2;  // room for 2 walks per merchant
  walk.sgns.dim = 8;
  walk.sgns.epochs = 5;
  walk.sgns.max_token_passes = 1;  // below one pass: one epoch
  auto e = TrainMerchantWalkEmbeddings(*g, walk);
  REQUIRE(e.ok());
  auto config = nlohmann::json::parse(e->config_json());
  CHECK(config["walks"]["walks_per_node"] == 2);
  CHECK(config["walks"]["walk_length"] == 40);
  CHECK(config["effective_epochs"] == 1);
  CHECK(config["tokens"].get<std::uint64_t>() <= 300u * 40 * 2);

  // The same walks and one explicit epoch give bit-identical vectors.
  WalkEmbeddingOptions explicit_options = walk;
  explicit_options.walks.walks_per_node = 2;
  explicit_options.walks.max_total_tokens = 0;
  explicit_options.sgns.epochs = 1;
  explicit_options.sgns.max_token_passes = 0;
  auto same = TrainMerchantWalkEmbeddings(*g, explicit_options);
  REQUIRE(same.ok());
  CHECK(std::equal(e->values().begin(), e->values().end(), same->values().begin(),
                   same->values().end()));
}
