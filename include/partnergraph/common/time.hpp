// Timestamps: ISO-8601 parsing and formatting on plain civil-date arithmetic
// (proleptic Gregorian calendar, no time zone database, no locale).
//
// A Timestamp is a count of seconds since 1970-01-01T00:00:00Z (UTC); the same
// alias is used by dataset.hpp. All functions here are pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace partnergraph {

// Seconds since the Unix epoch, UTC.
using Timestamp = std::int64_t;

// A calendar date: year 0..9999 in what ParseTimestamp accepts, month 1..12, day 1..31.
struct CivilDate {
  int year = 1970;
  int month = 1;
  int day = 1;
  friend bool operator==(const CivilDate&, const CivilDate&) = default;
};

// True when `date` exists in the proleptic Gregorian calendar (2026-02-30 does not).
bool IsValidCivilDate(const CivilDate& date);
// Days since 1970-01-01 of `date` (negative before it). `date` must be valid.
std::int64_t DaysFromCivil(const CivilDate& date);
// The date that lies `days` days after 1970-01-01 (inverse of DaysFromCivil).
CivilDate CivilFromDays(std::int64_t days);

// Parses an ISO-8601 date or date-time into UTC seconds. Accepted forms:
//   2026-01-05                       (midnight UTC)
//   2026-01-05T09:00 | T09:00:00     ('t' or one space may replace 'T')
//   ...:00.123456                    (fractional seconds, dropped: floor to the second)
//   ...Z | ...+01:00 | ...-0530 | ...+01   (offset; no zone means UTC; 'z' accepted)
// Fields must have exactly their ISO widths (4-digit year, 2-digit others).
// Returns std::nullopt for anything else, including impossible values: month 13,
// 2026-02-30, hour 24 or more, minute or second 60 or more, offset hour over 23,
// surrounding whitespace, trailing text.
std::optional<Timestamp> ParseTimestamp(std::string_view text);

// Formats `ts` as "YYYY-MM-DDTHH:MM:SSZ" (UTC). Years outside 0..9999 (which
// ParseTimestamp never produces) are printed as printf's "%04d" does.
std::string FormatTimestamp(Timestamp ts);

}  // namespace partnergraph
