// ParseModelConfig (engine/model_config.hpp) and the recommend section it reads
// (ParseRecommendOptions): every section goes through common's OptionsReader, so each error
// names the file and the key path. (Here beside the evaluator, which reads the same
// configuration, while tests/engine's and tests/recommend's CMake files are being changed by
// other work; they belong in tests/engine.)
#include "partnergraph/engine/model_config.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "partnergraph/engine/model_manifest.hpp"
#include "partnergraph/recommend/recommend_options.hpp"
#include "test_paths.hpp"

using namespace partnergraph;

namespace {

std::string Message(const char* json) {
  auto config = ParseModelConfig(json, "m.json");
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().IsInvalidArgument());
  return config.status().message();
}

}  // namespace

TEST_CASE("models/default.json parses into the model configuration", "[engine]") {
  auto config = LoadModelConfig(testing::SourceDir() / "models" / "default.json");
  REQUIRE(config.ok());
  CHECK(config->model.partner_embedding == "svd");
  CHECK(config->model.precompute_k == 10);
  CHECK(config->recommend.coupon_weights.popularity == 1.0);
  CHECK(config->embed.merchant_svd.svd.seed == 1101);
  CHECK(config->digest != 0);
  CHECK(LoadModelConfig("/nonexistent/default.json").status().IsIOError());
}

TEST_CASE("Model configuration: values read, absent keys keep defaults", "[engine]") {
  const char* json = R"({"model": {"partner_embedding": "walk", "precompute": false,
                                   "precompute_k": 20},
                         "recommend": {"max_k": 50, "partner_weights": {"shared_reach": 0.5}}})";
  auto config = ParseModelConfig(json, "m.json");
  REQUIRE(config.ok());
  CHECK(config->model.partner_embedding == "walk");
  CHECK(config->model.train_walk_embedding);
  CHECK_FALSE(config->model.precompute);
  CHECK(config->model.precompute_k == 20);
  CHECK(config->recommend.max_k == 50);
  CHECK(config->recommend.partner_weights.shared_reach == 0.5);
  CHECK(config->recommend.partner_weights.audience_similarity ==
        PartnerScoreWeights{}.audience_similarity);
  CHECK(config->digest == ConfigDigest(json));
  CHECK(ParseModelConfig("{}", "m.json").ok());
}

TEST_CASE("Model configuration: errors name the file and the key path", "[engine]") {
  CHECK(Message("[1]") == "m.json: expected a JSON object at the top level");
  CHECK(Message(R"({"model": )").find("m.json: malformed JSON: ") == 0);
  CHECK(Message(R"({"vendors": {}})") ==
        "m.json: vendors: unknown key (known: embed, index, recommend, model)");
  CHECK(Message(R"({"model": []})") == "m.json: model: expected an object, got []");
  CHECK(Message(R"({"model": {"partner_embedding": "pca"}})") ==
        "m.json: model.partner_embedding: expected \"svd\" or \"walk\", got \"pca\"");
  CHECK(Message(R"({"model": {"precompute": 1}})") ==
        "m.json: model.precompute: expected true or false, got 1");
  CHECK(Message(R"({"model": {"precompute_k": 0}})") ==
        "m.json: model.precompute_k: 0 is out of range [1, 100]");
  CHECK(Message(R"({"model": {"precompute_k": 101}})") ==
        "m.json: model.precompute_k: 101 is out of range [1, 100]");
  CHECK(Message(R"({"model": {"precompute_K": 10}})")
            .find("m.json: model.precompute_K: unknown key (known: partner_embedding, ") == 0);
  CHECK(Message(R"({"model": {"partner_embedding": "walk", "train_walk_embedding": false}})") ==
        "m.json: model.partner_embedding: \"walk\" needs train_walk_embedding = true");
  // The sections of the other modules, read through the same reader.
  CHECK(Message(R"({"embed": {"merchant_walk": {"sgns": {"window": 0}}}})") ==
        "m.json: embed.merchant_walk.sgns.window: 0 is out of range [1, 1000]");
  CHECK(Message(R"({"index": {"skus": {"factory": 5}}})") ==
        "m.json: index.skus.factory: expected a string, got 5");
}

TEST_CASE("Recommend options: errors name the file and the key path", "[recommend]") {
  auto message = [](const char* json) {
    auto options = ParseRecommendOptions(json, "r.json");
    REQUIRE_FALSE(options.ok());
    CHECK(options.status().IsInvalidArgument());
    return options.status().message();
  };
  CHECK(message(R"({"recommend": {"max_k": "5"}})") ==
        "r.json: recommend.max_k: expected a non-negative integer below 4294967295, got \"5\"");
  CHECK(message(R"({"recommend": {"max_k": -1}})") ==
        "r.json: recommend.max_k: expected a non-negative integer below 4294967295, got -1");
  CHECK(message(R"({"recommend": {"long_tail_share": "high"}})") ==
        "r.json: recommend.long_tail_share: expected a number, got \"high\"");
  CHECK(message(R"({"recommend": {"max_k": 0}})") ==
        "r.json: recommend.max_k: 0 is out of range [1, 10000]");
  CHECK(message(R"({"recommend": {"long_tail_share": 1.5}})") ==
        "r.json: recommend.long_tail_share: 1.5 is out of range [0, 1]");
  CHECK(message(R"({"recommend": {"partner_weights": {"shared_reach": 101}}})") ==
        "r.json: recommend.partner_weights.shared_reach: 101 is out of range [0, 100]");
  CHECK(message(R"({"recommend": {"partner_weights": {"reach": 1}}})")
            .find("r.json: recommend.partner_weights.reach: unknown key (known: "
                  "audience_similarity, ") == 0);
  CHECK(message(R"({"recommend": {"coupon_weights": [1]}})") ==
        "r.json: recommend.coupon_weights: expected an object, got [1]");
  CHECK(message(R"({"recommend": {"max_kk": 5}})")
            .find("r.json: recommend.max_kk: unknown key (known: partner_candidates, ") == 0);
  CHECK(message(R"({"recommend": 3})") == "r.json: recommend: expected an object, got 3");
  auto options = ParseRecommendOptions(R"({"recommend": {"coupon_weights": {"lift": 2}}})", "r");
  REQUIRE(options.ok());
  CHECK(options->coupon_weights.lift == 2.0);
  CHECK(options->coupon_weights.support == CouponScoreWeights{}.support);
}
