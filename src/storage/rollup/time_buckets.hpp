// Time buckets on natural UTC boundaries (1m ... 1w) and the split of a time range into the
// pieces each rollup tier can answer exactly: whole days, whole hours, whole minutes, and the
// raw rows of the partial minutes at the two edges. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace lmp::storage::rollup {

inline constexpr std::int64_t kMinuteMs = 60'000;
inline constexpr std::int64_t kFiveMinutesMs = 5 * kMinuteMs;
inline constexpr std::int64_t kHourMs = 60 * kMinuteMs;
inline constexpr std::int64_t kDayMs = 24 * kHourMs;
inline constexpr std::int64_t kWeekMs = 7 * kDayMs;
// 1970-01-01 was a Thursday: weeks start on Monday 00:00 UTC, four days later.
inline constexpr std::int64_t kWeekOffsetMs = 4 * kDayMs;

// Open ends of a range. Rows whose timestamp cannot be read are rolled up under
// kUnknownTimeMs, which lies between the two so that only a range open at both ends (which
// also reads them from the raw table) includes them.
inline constexpr std::int64_t kNegInfMs = INT64_MIN / 4;
inline constexpr std::int64_t kUnknownTimeMs = INT64_MIN / 8 / kDayMs * kDayMs;
inline constexpr std::int64_t kPosInfMs = INT64_MAX / 4;

enum class BucketSize { minute, five_minutes, fifteen_minutes, hour, six_hours, day, week };

// "1m", "5m", "15m", "1h", "6h", "1d", "1w".
std::string_view to_string(BucketSize size);
std::optional<BucketSize> bucket_size_from_string(std::string_view name);
std::int64_t bucket_ms(BucketSize size);
// The start of the bucket holding t: floor(t / size) * size, weeks shifted to Mondays.
std::int64_t bucket_floor(std::int64_t t_ms, BucketSize size);
// Buckets from the one holding start to the one holding end (inclusive), at least 1.
std::int64_t bucket_count(std::int64_t start_ms, std::int64_t end_ms, BucketSize size);
// The smallest size giving at most kMaxAutoBuckets buckets (week when none does). Each size is
// at most 7 times the previous, so the range gets between about 43 and 300 buckets unless it
// is shorter than 43 minutes.
inline constexpr std::int64_t kMaxAutoBuckets = 300;
BucketSize auto_bucket_size(std::int64_t start_ms, std::int64_t end_ms);

// Where a piece of a range is read from. Tier values are ordered from fine to coarse; each
// tier's unit divides the next one's. The five-minute tier exists for the model tables only.
enum class Tier { raw, minute, five_minutes, hour, day };
std::int64_t tier_ms(Tier tier);  // raw: 1

// Half-open [lo, hi) in Unix ms; lo == kNegInfMs / hi == kPosInfMs for an open end.
struct Piece {
  Tier tier;
  std::int64_t lo;
  std::int64_t hi;
  bool operator==(const Piece&) const = default;
};

// Splits [start, end] (both inclusive, either may be absent) into pieces that together cover
// it exactly once, using the coarsest tier (up to max_tier) that fits: raw rows only for the
// partial minutes at the edges, minutes up to the first whole hour (or five minutes, with
// five_minutes), and so on. The raw pieces do not depend on five_minutes.
std::vector<Piece> split_range(std::optional<std::int64_t> start_ms,
                               std::optional<std::int64_t> end_ms, Tier max_tier,
                               bool five_minutes = false);

// The coarsest tier whose units never straddle a bucket of this size.
Tier max_tier_for(BucketSize size);

}  // namespace lmp::storage::rollup
