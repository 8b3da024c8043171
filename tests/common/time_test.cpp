#include <catch2/catch.hpp>

#include <string>

#include "partnergraph/common/time.hpp"

using namespace partnergraph;

namespace {
// 2026-01-05T09:00:00Z, computed by hand: 20458 days after 1970-01-01.
constexpr Timestamp kJan5Nine = 20458LL * 86400 + 9 * 3600;
}  // namespace

TEST_CASE("ParseTimestamp reads UTC date-times", "[common][time]") {
  CHECK(ParseTimestamp("1970-01-01T00:00:00Z") == 0);
  CHECK(ParseTimestamp("2026-01-05T09:00:00Z") == kJan5Nine);
  CHECK(ParseTimestamp("2026-01-05t09:00:00z") == kJan5Nine);
  CHECK(ParseTimestamp("2026-01-05 09:00:00Z") == kJan5Nine);
  CHECK(ParseTimestamp("2026-01-05T09:00:00") == kJan5Nine);
  CHECK(ParseTimestamp("2026-01-05T09:00") == kJan5Nine);
  CHECK(ParseTimestamp("2026-01-05T09:00Z") == kJan5Nine);
  CHECK(ParseTimestamp("2000-03-01T00:00:00Z") == 951868800);
  CHECK(ParseTimestamp("1969-12-31T23:59:59Z") == -1);
}

TEST_CASE("ParseTimestamp accepts a date alone as midnight UTC", "[common][time]") {
  CHECK(ParseTimestamp("2026-01-05") == 20458LL * 86400);
  CHECK(ParseTimestamp("2024-02-29") == ParseTimestamp("2024-02-29T00:00:00Z"));
}

TEST_CASE("ParseTimestamp converts offsets to UTC", "[common][time]") {
  CHECK(ParseTimestamp("2026-01-05T10:00:00+01:00") == kJan5Nine);
  CHECK(ParseTimestamp("2026-01-05T10:00:00+0100") == kJan5Nine);
  CHECK(ParseTimestamp("2026-01-05T10:00:00+01") == kJan5Nine);
  CHECK(ParseTimestamp("2026-01-05T03:30:00-0530") == kJan5Nine);
  CHECK(ParseTimestamp("2026-01-05T03:30:00-05:30") == kJan5Nine);
  // An offset can move the instant across midnight and year boundaries.
  CHECK(ParseTimestamp("2026-01-01T00:30:00+01:00") == ParseTimestamp("2025-12-31T23:30:00Z"));
}

TEST_CASE("ParseTimestamp drops fractional seconds", "[common][time]") {
  CHECK(ParseTimestamp("2026-01-05T09:00:00.999Z") == kJan5Nine);
  CHECK(ParseTimestamp("2026-01-05T09:00:00.5") == kJan5Nine);
  CHECK(ParseTimestamp("2026-01-05T09:00:00,25+00:00") == kJan5Nine);
  CHECK(ParseTimestamp("1969-12-31T23:59:59.5Z") == -1);
}

TEST_CASE("ParseTimestamp rejects impossible dates and times", "[common][time]") {
  const char* bad[] = {
      "2026-02-30",            // no such day
      "2025-02-29",            // not a leap year
      "1900-02-29",            // century, not a leap year
      "2026-13-01",            // month 13
      "2026-00-10",            // month 0
      "2026-01-00",            // day 0
      "2026-01-32",            // day 32
      "2026-01-05T25:00:00Z",  // hour 25
      "2026-01-05T24:00:00Z",  // hour 24
      "2026-01-05T09:60:00Z",  // minute 60
      "2026-01-05T09:00:60Z",  // second 60
      "2026-01-05T09:00:00+24:00",
      "2026-01-05T09:00:00+01:60",
  };
  for (const char* text : bad) {
    INFO(text);
    CHECK_FALSE(ParseTimestamp(text).has_value());
  }
}

TEST_CASE("ParseTimestamp rejects malformed text", "[common][time]") {
  const char* bad[] = {
      "",
      "2026",
      "2026-1-5",
      "26-01-05",
      "2026/01/05",
      " 2026-01-05",
      "2026-01-05 ",
      "2026-01-05T",
      "2026-01-05T9:00:00Z",
      "2026-01-05T09",
      "2026-01-05T09:00:00.Z",
      "2026-01-05T09:00:00ZZ",
      "2026-01-05T09:00:00+1",
      "2026-01-05T09:00:00+01:",
      "2026-01-05T09:00:00+01:00x",
      "2026-01-05X09:00:00Z",
      "2026-01-05T09:00:00 UTC",
      "12,5x",
  };
  for (const char* text : bad) {
    INFO('"' << text << '"');
    CHECK_FALSE(ParseTimestamp(text).has_value());
  }
}

TEST_CASE("FormatTimestamp writes ISO-8601 UTC and round-trips", "[common][time]") {
  CHECK(FormatTimestamp(0) == "1970-01-01T00:00:00Z");
  CHECK(FormatTimestamp(kJan5Nine) == "2026-01-05T09:00:00Z");
  CHECK(FormatTimestamp(-1) == "1969-12-31T23:59:59Z");
  CHECK(FormatTimestamp(951782400) == "2000-02-29T00:00:00Z");
  // Every day over 1600..2400 (leap rules of 4, 100 and 400 years) round-trips.
  const Timestamp first = *ParseTimestamp("1600-01-01");
  const Timestamp last = *ParseTimestamp("2400-12-31");
  for (Timestamp t = first; t <= last; t += 86400 + 3661) {
    const std::string text = FormatTimestamp(t);
    REQUIRE(ParseTimestamp(text) == t);
  }
}

TEST_CASE("Civil date conversions agree with each other", "[common][time]") {
  CHECK(DaysFromCivil({1970, 1, 1}) == 0);
  CHECK(DaysFromCivil({2026, 1, 5}) == 20458);
  CHECK(DaysFromCivil({1969, 12, 31}) == -1);
  CHECK(CivilFromDays(20458) == CivilDate{2026, 1, 5});
  CHECK(CivilFromDays(-719468) == CivilDate{0, 3, 1});
  CHECK(IsValidCivilDate({2000, 2, 29}));
  CHECK_FALSE(IsValidCivilDate({2100, 2, 29}));
  for (std::int64_t d = -800000; d <= 800000; d += 37) {
    REQUIRE(DaysFromCivil(CivilFromDays(d)) == d);
  }
}
