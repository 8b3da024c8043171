#include <catch2/catch.hpp>

#include "partnergraph/index/index_options.hpp"
#include "partnergraph/index/vector_index.hpp"
#include "test_paths.hpp"

using namespace partnergraph;

TEST_CASE("models/default.json parses into the index options", "[index]") {
  auto options = LoadIndexOptions(testing::SourceDir() / "models" / "default.json");
  REQUIRE(options.ok());
  CHECK(options->merchants.factory == "auto");
  CHECK(ResolveFactory(options->merchants, 49999) == "Flat");
  CHECK(ResolveFactory(options->merchants, 50000) == options->merchants.auto_large_factory);
}

TEST_CASE("Index options: values read, errors name the file and key", "[index]") {
  auto options = ParseIndexOptions(
      R"({"index": {"skus": {"factory": "IVF256,Flat", "ivf_nprobe": 8, "normalize": false}}})",
      "m.json");
  REQUIRE(options.ok());
  CHECK(options->skus.factory == "IVF256,Flat");
  CHECK(options->skus.ivf_nprobe == 8);
  CHECK_FALSE(options->skus.normalize);
  CHECK(options->merchants.factory == "auto");
  CHECK(ResolveFactory(options->skus, 10) == "IVF256,Flat");

  auto message = [](const char* json) {
    return ParseIndexOptions(json, "m.json").status().message();
  };
  CHECK(message(R"({"index": {"merchants": {"hnsw_ef_search": 0}}})") ==
        "m.json: index.merchants: hnsw_ef_search: 0 is out of range [1, 65536]");
  CHECK(message(R"({"index": {"merchants": {"efSearch": 10}}})") ==
        "m.json: index.merchants.efSearch: unknown key (known: factory, exact_below, "
        "auto_large_factory, hnsw_ef_construction, hnsw_ef_search, ivf_nprobe, "
        "max_training_vectors, normalize, build_threads)");
  CHECK(message(R"({"index": {"skus": [1]}})") ==
        "m.json: index.skus: expected an object, got [1]");
  CHECK(message(R"({"index": {"vendors": {}}})") ==
        "m.json: index.vendors: unknown key (known: merchants, skus)");
  CHECK(message(R"({"index": {"skus": {"factory": 5}}})") ==
        "m.json: index.skus.factory: expected a string, got 5");
  CHECK(message(R"({"index": {"skus": {"factory": ""}}})") == "m.json: index.skus: factory: empty");
  CHECK(message(R"({"index": {"skus": {"ivf_nprobe": -1}}})").find("expected a non-negative integer") !=
        std::string::npos);
  CHECK(message("[").find("m.json: malformed JSON") == 0);
  CHECK(ParseIndexOptions("{}", "m.json").ok());
  CHECK(LoadIndexOptions("/nonexistent/default.json").status().IsIOError());
}
