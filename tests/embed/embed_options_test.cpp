#include <catch2/catch.hpp>

#include "partnergraph/embed/embed_options.hpp"
#include "test_paths.hpp"

using namespace partnergraph;

TEST_CASE("models/default.json parses into the embed options", "[embed]") {
  auto options = LoadEmbedOptions(testing::SourceDir() / "models" / "default.json");
  REQUIRE(options.ok());
  CHECK(options->merchant_svd.svd.dim >= 1);
  CHECK(options->merchant_walk.sgns.window >= 1);
  CHECK(options->sku_item2vec.sequences.min_length >= 1);
}

TEST_CASE("Embed options: absent keys keep defaults, present keys are read", "[embed]") {
  auto options = ParseEmbedOptions(
      R"({"embed": {"merchant_walk": {"walks": {"p": 0.5, "walk_length": 12},
                                      "sgns": {"dim": 32, "seed": 7, "normalize": false}}},
          "index": {"anything": 1}})",
      "test.json");
  REQUIRE(options.ok());
  CHECK(options->merchant_walk.walks.return_p == 0.5);
  CHECK(options->merchant_walk.walks.walk_length == 12);
  CHECK(options->merchant_walk.walks.walks_per_node == WalkOptions{}.walks_per_node);
  CHECK(options->merchant_walk.sgns.dim == 32);
  CHECK(options->merchant_walk.sgns.seed == 7);
  CHECK_FALSE(options->merchant_walk.sgns.normalize);
  CHECK(options->merchant_svd.svd.dim == SvdOptions{}.dim);
  CHECK(ParseEmbedOptions("{}", "empty.json").ok());
}

TEST_CASE("Embed options: errors name the file and the key", "[embed]") {
  auto message = [](const char* json) {
    return ParseEmbedOptions(json, "m.json").status().message();
  };
  CHECK(message(R"({"embed": {"merchant_walk": {"sgns": {"window": 0}}}})") ==
        "m.json: embed.merchant_walk.sgns.window: 0 is out of range [1, 1000]");
  CHECK(message(R"({"embed": {"merchant_walk": {"sgns": {"windw": 3}}}})")
            .find("m.json: embed.merchant_walk.sgns.windw: unknown key") == 0);
  CHECK(message(R"({"embed": {"sku_svd": {"svd": {"dim": "64"}}}})") ==
        "m.json: embed.sku_svd.svd.dim: expected a non-negative integer below 4294967295, got \"64\"");
  CHECK(message(R"({"embed": {"sku_svd": {"ppmi": {"context_smoothing": 0}}}})") ==
        "m.json: embed.sku_svd.ppmi.context_smoothing: 0 is out of range (0, 1]");
  CHECK(message(R"({"embed": {"sku_item2vec": {"sequences": {"collapse_repeats": 1}}}})") ==
        "m.json: embed.sku_item2vec.sequences.collapse_repeats: expected true or false, got 1");
  CHECK(message(R"({"embed": {"graph_walk": {}}})").find("embed.graph_walk: unknown key") !=
        std::string::npos);
  CHECK(message(R"({"embed": [1]})") == "m.json: embed: expected an object, got [1]");
  CHECK(message(R"({"embed": )").find("m.json: malformed JSON") == 0);
  CHECK(message(R"({"embed": {"sku_item2vec": {"sequences": {"min_length": 5, "max_length": 3}}}})") ==
        "m.json: embed.sku_item2vec: sequences.max_length: 3 is below min_length 5");
  CHECK(LoadEmbedOptions("/nonexistent/default.json").status().IsIOError());
}

TEST_CASE("Embed options: the training budgets are read and range-checked", "[embed]") {
  auto options = ParseEmbedOptions(
      R"({"embed": {"merchant_walk": {"walks": {"max_total_tokens": 1000},
                                      "sgns": {"max_token_passes": 5000}}}})",
      "b.json");
  REQUIRE(options.ok());
  CHECK(options->merchant_walk.walks.max_total_tokens == 1000);
  CHECK(options->merchant_walk.sgns.max_token_passes == 5000);
  CHECK(options->sku_item2vec.sgns.max_token_passes == 0);  // default: no budget
  CHECK(ParseEmbedOptions(R"({"embed": {"merchant_walk": {"walks": {"max_total_tokens": -1}}}})",
                          "b.json")
            .status()
            .message()
            .find("b.json: embed.merchant_walk.walks.max_total_tokens: expected a non-negative "
                  "integer") == 0);
  CHECK(ParseEmbedOptions(
            R"({"embed": {"sku_item2vec": {"sgns": {"max_token_passes": 2000000000000}}}})",
            "b.json")
            .status()
            .message()
            .find("b.json: embed.sku_item2vec.sgns.max_token_passes: 2000000000000 is out of "
                  "range") == 0);
}

TEST_CASE("Embed options: item2vec's min_count and the epochs floor are read and range-checked",
          "[embed]") {
  auto options = ParseEmbedOptions(
      R"({"embed": {"sku_item2vec": {"sequences": {"min_count": 3},
                                     "sgns": {"min_epochs": 5}}}})",
      "c.json");
  REQUIRE(options.ok());
  CHECK(options->sku_item2vec.sequences.min_count == 3);
  CHECK(options->sku_item2vec.sgns.min_epochs == 5);
  CHECK(options->merchant_walk.sgns.min_epochs == SgnsOptions{}.min_epochs);
  auto message = [](const char* json) {
    return ParseEmbedOptions(json, "c.json").status().message();
  };
  CHECK(message(R"({"embed": {"sku_item2vec": {"sequences": {"min_count": 0}}}})") ==
        "c.json: embed.sku_item2vec.sequences.min_count: 0 is out of range [1, inf)");
  CHECK(message(R"({"embed": {"sku_item2vec": {"sequences": {"min_count": 2.5}}}})")
            .find("c.json: embed.sku_item2vec.sequences.min_count: expected a non-negative "
                  "integer") == 0);
  CHECK(message(R"({"embed": {"merchant_walk": {"sgns": {"min_epochs": 1001}}}})") ==
        "c.json: embed.merchant_walk.sgns.min_epochs: 1001 is out of range [1, 1000]");
}
