#include "partnergraph/common/time.hpp"

#include <cstdio>

namespace partnergraph {
namespace {

constexpr std::int64_t kSecondsPerDay = 86400;
constexpr std::int64_t kSecondsPerHour = 3600;
constexpr std::int64_t kSecondsPerMinute = 60;

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

// Floor division for a positive divisor.
std::int64_t FloorDiv(std::int64_t a, std::int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// Reads exactly `width` decimal digits at text[pos]; advances pos on success.
bool ReadDigits(std::string_view text, std::size_t& pos, int width, int& out) {
  if (pos + static_cast<std::size_t>(width) > text.size()) return false;
  int value = 0;
  for (int i = 0; i < width; ++i) {
    char c = text[pos + static_cast<std::size_t>(i)];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  pos += static_cast<std::size_t>(width);
  out = value;
  return true;
}

bool Consume(std::string_view text, std::size_t& pos, char c) {
  if (pos < text.size() && text[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

}  // namespace

bool IsValidCivilDate(const CivilDate& date) {
  return date.month >= 1 && date.month <= 12 && date.day >= 1 &&
         date.day <= DaysInMonth(date.year, date.month);
}

// Counts days in 400-year cycles of the calendar shifted to start on March 1st,
// so that the leap day is the last day of the shifted year.
std::int64_t DaysFromCivil(const CivilDate& date) {
  const std::int64_t shifted_year = date.year - (date.month <= 2 ? 1 : 0);
  const std::int64_t cycle = FloorDiv(shifted_year, 400);
  const std::int64_t year_of_cycle = shifted_year - cycle * 400;                  // 0..399
  const std::int64_t shifted_month = date.month > 2 ? date.month - 3 : date.month + 9;  // Mar = 0
  const std::int64_t day_of_year = (153 * shifted_month + 2) / 5 + date.day - 1;  // 0..365
  const std::int64_t day_of_cycle =
      year_of_cycle * 365 + year_of_cycle / 4 - year_of_cycle / 100 + day_of_year;
  // 719468 = days from 0000-03-01 to 1970-01-01.
  return cycle * 146097 + day_of_cycle - 719468;
}

CivilDate CivilFromDays(std::int64_t days) {
  const std::int64_t from_origin = days + 719468;
  const std::int64_t cycle = FloorDiv(from_origin, 146097);
  const std::int64_t day_of_cycle = from_origin - cycle * 146097;  // 0..146096
  const std::int64_t year_of_cycle =
      (day_of_cycle - day_of_cycle / 1460 + day_of_cycle / 36524 - day_of_cycle / 146096) / 365;
  const std::int64_t day_of_year =
      day_of_cycle - (365 * year_of_cycle + year_of_cycle / 4 - year_of_cycle / 100);
  const std::int64_t shifted_month = (5 * day_of_year + 2) / 153;  // Mar = 0
  CivilDate out;
  out.day = static_cast<int>(day_of_year - (153 * shifted_month + 2) / 5 + 1);
  out.month = static_cast<int>(shifted_month < 10 ? shifted_month + 3 : shifted_month - 9);
  out.year = static_cast<int>(year_of_cycle + cycle * 400 + (out.month <= 2 ? 1 : 0));
  return out;
}

std::optional<Timestamp> ParseTimestamp(std::string_view text) {
  std::size_t pos = 0;
  CivilDate date;
  if (!ReadDigits(text, pos, 4, date.year) || !Consume(text, pos, '-') ||
      !ReadDigits(text, pos, 2, date.month) || !Consume(text, pos, '-') ||
      !ReadDigits(text, pos, 2, date.day) || !IsValidCivilDate(date)) {
    return std::nullopt;
  }
  const std::int64_t day_seconds = DaysFromCivil(date) * kSecondsPerDay;
  if (pos == text.size()) return day_seconds;

  const char sep = text[pos++];
  if (sep != 'T' && sep != 't' && sep != ' ') return std::nullopt;
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!ReadDigits(text, pos, 2, hour) || !Consume(text, pos, ':') ||
      !ReadDigits(text, pos, 2, minute) || hour > 23 || minute > 59) {
    return std::nullopt;
  }
  if (Consume(text, pos, ':')) {
    if (!ReadDigits(text, pos, 2, second) || second > 59) return std::nullopt;
    if (Consume(text, pos, '.') || Consume(text, pos, ',')) {
      const std::size_t digits_begin = pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
      if (pos == digits_begin) return std::nullopt;
    }
  }
  std::int64_t offset_seconds = 0;
  if (pos < text.size()) {
    const char zone = text[pos++];
    if (zone == 'Z' || zone == 'z') {
      if (pos != text.size()) return std::nullopt;
    } else if (zone == '+' || zone == '-') {
      int offset_hour = 0;
      int offset_minute = 0;
      if (!ReadDigits(text, pos, 2, offset_hour) || offset_hour > 23) return std::nullopt;
      if (pos < text.size()) {
        Consume(text, pos, ':');
        if (!ReadDigits(text, pos, 2, offset_minute) || offset_minute > 59) return std::nullopt;
      }
      if (pos != text.size()) return std::nullopt;
      offset_seconds = (offset_hour * kSecondsPerHour + offset_minute * kSecondsPerMinute) *
                       (zone == '+' ? 1 : -1);
    } else {
      return std::nullopt;
    }
  }
  // Local time minus its offset is UTC: 09:00+01:00 is 08:00Z.
  return day_seconds + hour * kSecondsPerHour + minute * kSecondsPerMinute + second -
         offset_seconds;
}

std::string FormatTimestamp(Timestamp ts) {
  const std::int64_t days = FloorDiv(ts, kSecondsPerDay);
  const std::int64_t seconds_of_day = ts - days * kSecondsPerDay;
  const CivilDate date = CivilFromDays(days);
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02dZ", date.year, date.month,
                date.day, static_cast<int>(seconds_of_day / 3600),
                static_cast<int>(seconds_of_day / 60 % 60), static_cast<int>(seconds_of_day % 60));
  return buffer;
}

}  // namespace partnergraph
