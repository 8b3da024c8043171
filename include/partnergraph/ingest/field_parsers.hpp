// The native format's field types (docs/formats.md "Types"): parsers and the reasons a row
// error gives, shared by the loader and every other reader of native rows (the event files of
// `partnergraph events append`).
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace partnergraph {

// `value` in double quotes, with quotes and control characters escaped and long
// values cut, for messages: "\"12,5x\"".
std::string Quote(std::string_view value);

// Field parsers: the value, or nullopt when `text` is not one.
std::optional<double> ParseNumber(std::string_view text);           // finite decimal
std::optional<std::uint32_t> ParseUnsigned(std::string_view text);  // digits only, < 2^32
std::optional<bool> ParseBool(std::string_view text);               // true/false/1/0/yes/no

// Reasons shared by the tables (the value is quoted in the message).
inline constexpr std::string_view kEmptyReason = "required value is empty";
std::string NotANumber(std::string_view text);
std::string NotATimestamp(std::string_view text);
std::string NotABool(std::string_view text);
std::string Negative(std::string_view text);

}  // namespace partnergraph
