// The IMPORT.md of a Complete Journey import (private to src/datagen/): the
// text that documents the mapping and the counts of one import.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "partnergraph/datagen/completejourney.hpp"

namespace partnergraph {

// The region written for every merchant of the import (one retailer, no geography).
inline constexpr std::string_view kCompleteJourneyMerchantRegion = "national";

// The Markdown text of IMPORT.md for an import from `src` that read its order
// lines from `transactions_file`, found none of the optional source files in
// `absent_optional` (in that order) and counted `st`. Pure; never fails.
std::string ImportNotesText(const std::filesystem::path& src, const std::string& transactions_file,
                            const std::vector<std::string>& absent_optional, const ImportStats& st);

}  // namespace partnergraph
