// ModelConfig: the model configuration (models/default.json, documented in models/README.md
// "Configuration"): the embed, index and recommend modules' options and the "model" section
// (which parts to train and serve). `partnergraph build` writes the text it read into the
// model folder as config.json; Engine::Open and `partnergraph evaluate` read it back.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "partnergraph/common/status.hpp"
#include "partnergraph/embed/embed_options.hpp"
#include "partnergraph/index/index_options.hpp"
#include "partnergraph/recommend/recommend_options.hpp"

namespace partnergraph {

// The "model" section of the configuration: which parts to train and serve.
struct ModelOptions {
  // The merchant embedding behind partner candidates and similarity: "svd" or "walk".
  std::string partner_embedding = "svd";
  // Train the random-walk merchant embedding too (needed when partner_embedding is
  // "walk"; otherwise only for evaluation).
  bool train_walk_embedding = true;
  // Train the item2vec SKU embedding (coupon candidates beyond co-purchase edges).
  bool train_sku_embedding = true;
  // Precompute every merchant's default answers (partners and coupon pairs) at build.
  bool precompute = true;
  // k of the precomputed answers, in [1, 100]; requests with k up to this are served from
  // them.
  std::uint32_t precompute_k = 10;
};

struct ModelConfig {
  EmbedOptions embed;
  IndexOptions index;
  RecommendOptions recommend;
  ModelOptions model;
  // The config digest (ConfigDigest, model_manifest.hpp: CRC-32) of the text ParseModelConfig
  // read this from; the precomputed files computed with it record it. 0 when not parsed.
  std::uint32_t digest = 0;
};

// Parses a configuration document (models/default.json's layout: keys "embed",
// "index", "recommend", "model"; absent keys keep defaults) and records its digest.
// Errors: InvalidArgument naming `source_name` and the key path (common/options_reader.hpp:
// malformed JSON, an unknown key, a value of the wrong type or out of range, and
// "model.partner_embedding: \"walk\" needs train_walk_embedding = true").
Result<ModelConfig> ParseModelConfig(std::string_view json_text, std::string_view source_name);
// ParseModelConfig of the file at `path`; IOError when it cannot be read.
Result<ModelConfig> LoadModelConfig(const std::filesystem::path& path);

}  // namespace partnergraph
