// How `partnergraph query` prints the server's answers: as readable text on
// stdout, or as JSON documents (--json). The calls themselves are in query_command.cpp.
#include "query_output.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <string>

#include "partnergraph/common/json_text.hpp"

namespace partnergraph::cli::query_output {

using nlohmann::json;

nlohmann::json CountJson(const std::optional<std::int64_t>& count) {
  return count ? json(*count) : json(nullptr);
}

std::string CountText(const std::optional<std::int64_t>& count) {
  return count ? std::to_string(*count) : "suppressed";
}

nlohmann::json ToJson(const ScoreComponentsView& c) {
  return {{"audience_similarity", c.audience_similarity},
          {"category_complementarity", c.category_complementarity},
          {"shared_reach", c.shared_reach},
          {"competition_penalty", c.competition_penalty},
          {"long_tail_boost", c.long_tail_boost}};
}

nlohmann::json ToJson(const std::vector<SharedSegmentView>& segments) {
  json out = json::array();
  for (const auto& s : segments) {
    out.push_back({{"segment_id", s.segment_id},
                   {"description", s.description},
                   {"count", CountJson(s.count)},
                   {"suppressed", !s.count.has_value()}});
  }
  return out;
}

nlohmann::json ToJson(const MerchantView& m) {
  return {{"merchant_id", m.merchant_id},
          {"name", m.name},
          {"category", m.category},
          {"region", m.region},
          {"sku_count", m.sku_count},
          {"discoverable", m.discoverable},
          {"allow_coupons", m.allow_coupons},
          {"customers", m.customers},
          {"revenue", m.revenue},
          {"contactable", m.contactable},
          {"contactable_by_channel", m.contactable_by_channel}};
}

std::string ComponentsText(const ScoreComponentsView& c) {
  char buf[256];
  std::snprintf(
      buf, sizeof buf,
      "audience %.3f, complementarity %.3f, reach %.3f, competition -%.3f, long tail %.3f",
      c.audience_similarity, c.category_complementarity, c.shared_reach, c.competition_penalty,
      c.long_tail_boost);
  return buf;
}

void PrintSegments(const std::vector<SharedSegmentView>& segments, const char* indent) {
  for (const auto& s : segments) {
    std::printf("%ssegment %s (%s): %s shared customers\n", indent, s.segment_id.c_str(),
                s.description.c_str(), CountText(s.count).c_str());
  }
}

void PrintMerchant(const MerchantView& m) {
  std::printf("%-16s %-32s %-12s %-8s skus %-4lld customers %-6lld revenue %.2f%s%s\n",
              m.merchant_id.c_str(), m.name.c_str(), m.category.c_str(), m.region.c_str(),
              static_cast<long long>(m.sku_count), static_cast<long long>(m.customers), m.revenue,
              m.discoverable ? "" : "  [not discoverable]",
              m.allow_coupons ? "" : "  [no coupons]");
}

void PrintReach(const MerchantView& m) {
  std::string channels;
  for (const auto& [channel, count] : m.contactable_by_channel) {
    channels += fmt::format("{}{} {}", channels.empty() ? "" : ", ", channel, count);
  }
  std::printf("  reach: %lld of %lld customers contactable (%s)\n",
              static_cast<long long>(m.contactable), static_cast<long long>(m.customers),
              channels.c_str());
}

void PrintJson(const json& j) { std::printf("%s\n", JsonText(j, 2).c_str()); }

nlohmann::json ToJson(const client::AttributionJobStatusInfo& s) {
  json j = {{"job_id", s.job_id}, {"state", s.state}, {"progress", s.progress}};
  if (s.state == "failed") j["error"] = s.error;
  if (s.state == "queued") j["queue_position"] = s.queue_position;
  return j;
}

void PrintJobStatus(const client::AttributionJobStatusInfo& s) {
  std::printf("%s: %s, progress %.1f%%", s.job_id.c_str(), s.state.c_str(), 100 * s.progress);
  if (s.state == "queued")
    std::printf(", %lld job(s) ahead", static_cast<long long>(s.queue_position));
  if (s.state == "failed") std::printf("\n  error: %s", s.error.c_str());
  std::printf("\n");
}

nlohmann::json ToJson(const std::vector<client::AttributionCreditInfo>& credits) {
  json out = json::object();
  for (const auto& c : credits) {
    json j = {{"conversions", c.conversions}, {"value", c.value}};
    if (c.removal_effect) j["removal_effect"] = *c.removal_effect;
    if (c.value_removal_effect) j["value_removal_effect"] = *c.value_removal_effect;
    if (c.conversions_error_bound) j["conversions_error_bound"] = *c.conversions_error_bound;
    if (c.value_error_bound) j["value_error_bound"] = *c.value_error_bound;
    out[c.key] = j;
  }
  return out;
}

void PrintCredits(const char* dimension,
                  const std::vector<client::AttributionCreditInfo>& credits) {
  for (const auto& c : credits) {
    std::printf("%-8s %-24s conversions %14.4f  value %16.2f", dimension, c.key.c_str(),
                c.conversions, c.value);
    if (c.removal_effect) std::printf("  removal effect %.6f", *c.removal_effect);
    if (c.conversions_error_bound) std::printf("  +- %.4f", *c.conversions_error_bound);
    std::printf("\n");
  }
}

}  // namespace partnergraph::cli::query_output
