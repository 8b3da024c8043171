#include "partnergraph/engine/model_config.hpp"

#include <fmt/format.h>

#include <fstream>
#include <optional>
#include <sstream>

#include "partnergraph/common/options_reader.hpp"
#include "partnergraph/engine/model_manifest.hpp"

namespace partnergraph {
namespace {

Status ReadModelOptions(OptionsReader& section, ModelOptions* out) {
  PG_RETURN_IF_ERROR(
      section.ReadChoice("partner_embedding", {"svd", "walk"}, &out->partner_embedding));
  PG_RETURN_IF_ERROR(section.Read("train_walk_embedding", &out->train_walk_embedding));
  PG_RETURN_IF_ERROR(section.Read("train_sku_embedding", &out->train_sku_embedding));
  PG_RETURN_IF_ERROR(section.Read("precompute", &out->precompute));
  PG_RETURN_IF_ERROR(section.Read("precompute_k", &out->precompute_k, OptionRange{1, 100}));
  PG_RETURN_IF_ERROR(section.RejectUnknownKeys());
  if (out->partner_embedding == "walk" && !out->train_walk_embedding) {
    return section.Error("partner_embedding", "\"walk\" needs train_walk_embedding = true");
  }
  return Status::Ok();
}

}  // namespace

Result<ModelConfig> ParseModelConfig(std::string_view json_text, std::string_view source_name) {
  PG_ASSIGN_OR_RETURN(OptionsReader doc, OptionsReader::Parse(json_text, source_name));
  doc.Allow({"embed", "index", "recommend", "model"});
  PG_RETURN_IF_ERROR(doc.RejectUnknownKeys());
  ModelConfig config;
  PG_ASSIGN_OR_RETURN(config.embed, ParseEmbedOptions(json_text, source_name));
  PG_ASSIGN_OR_RETURN(config.index, ParseIndexOptions(json_text, source_name));
  PG_ASSIGN_OR_RETURN(config.recommend, ParseRecommendOptions(json_text, source_name));
  PG_ASSIGN_OR_RETURN(std::optional<OptionsReader> model, doc.Section("model"));
  if (model) PG_RETURN_IF_ERROR(ReadModelOptions(*model, &config.model));
  config.digest = ConfigDigest(json_text);
  return config;
}

Result<ModelConfig> LoadModelConfig(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return Status::IOError(fmt::format("cannot read model configuration {}", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return ParseModelConfig(text.str(), path.string());
}

}  // namespace partnergraph
