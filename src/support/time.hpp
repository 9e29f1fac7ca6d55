// Wall-clock and monotonic time, and ISO 8601 formatting and parsing in UTC.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lmp::time {

using MonoClock = std::chrono::steady_clock;
using MonoTime = MonoClock::time_point;

// Milliseconds since the Unix epoch, UTC.
std::int64_t now_unix_ms();

// Milliseconds, with sub-millisecond precision, between two monotonic instants.
inline double elapsed_ms(MonoTime from, MonoTime to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

// "2026-11-29T02:40:56.123Z": the form every timestamp is stored and served in.
// Lexicographic order equals time order for years 0000-9999.
std::string format_iso8601_utc(std::int64_t unix_ms);

// Accepts "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fff...]]" with 'T' or ' ' between date and time,
// followed by nothing (UTC), "Z", or "+HH:MM" / "-HH:MM" / "+HHMM" / "+HH". Returns the instant
// in Unix milliseconds, or nullopt when the text is not such a date or names an impossible
// date (2026-02-30) or time (25:00).
std::optional<std::int64_t> parse_iso8601(std::string_view text);

}  // namespace lmp::time
