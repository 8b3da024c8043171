// How `partnergraph query` prints the server's answers (private to src/cli/):
// ToJson builds the --json document of one answer, the Print functions write
// the readable text on stdout. None of them fails or keeps what it is given.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "rpc_client.hpp"

namespace partnergraph::cli::query_output {

// A count as JSON: the number, or null when the server suppressed it.
nlohmann::json CountJson(const std::optional<std::int64_t>& count);
// A count as text: the number, or "suppressed".
std::string CountText(const std::optional<std::int64_t>& count);

nlohmann::json ToJson(const ScoreComponentsView& c);
nlohmann::json ToJson(const std::vector<SharedSegmentView>& segments);
nlohmann::json ToJson(const MerchantView& m);
nlohmann::json ToJson(const client::AttributionJobStatusInfo& s);
// Credits keyed by their key ("partner", "channel"... value).
nlohmann::json ToJson(const std::vector<client::AttributionCreditInfo>& credits);

// "audience 0.123, complementarity ..., long tail 0.000" (3 decimals).
std::string ComponentsText(const ScoreComponentsView& c);
// One line per segment, each starting with `indent`.
void PrintSegments(const std::vector<SharedSegmentView>& segments, const char* indent);
// One line: id, name, category, region, counts, revenue and the merchant's flags.
void PrintMerchant(const MerchantView& m);
// The merchant's reach: contactable customers, on any channel and per channel (GetMerchant).
void PrintReach(const MerchantView& m);
// `j` indented by 2, then a newline.
void PrintJson(const nlohmann::json& j);
// "<job>: <state>, progress p%" with the queue position or the error when they apply.
void PrintJobStatus(const client::AttributionJobStatusInfo& s);
// One line per credit, led by `dimension`.
void PrintCredits(const char* dimension, const std::vector<client::AttributionCreditInfo>& credits);

}  // namespace partnergraph::cli::query_output
