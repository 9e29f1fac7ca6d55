#include "storage/rollup/time_buckets.hpp"

#include <algorithm>
#include <array>

namespace lmp::storage::rollup {
namespace {

struct SizeInfo {
  BucketSize size;
  std::string_view name;
  std::int64_t ms;
};

constexpr std::array<SizeInfo, 7> kSizes{{
    {BucketSize::minute, "1m", kMinuteMs},
    {BucketSize::five_minutes, "5m", 5 * kMinuteMs},
    {BucketSize::fifteen_minutes, "15m", 15 * kMinuteMs},
    {BucketSize::hour, "1h", kHourMs},
    {BucketSize::six_hours, "6h", 6 * kHourMs},
    {BucketSize::day, "1d", kDayMs},
    {BucketSize::week, "1w", kWeekMs},
}};

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

std::int64_t floor_to(std::int64_t t, std::int64_t unit) {
  if (t <= kNegInfMs || t >= kPosInfMs) return t;  // open ends stay open
  return floor_div(t, unit) * unit;
}

std::int64_t ceil_to(std::int64_t t, std::int64_t unit) {
  if (t <= kNegInfMs || t >= kPosInfMs) return t;
  return -floor_div(-t, unit) * unit;
}

void split(std::int64_t lo, std::int64_t hi, Tier tier, Tier max_tier, bool five_minutes,
           std::vector<Piece>& out) {
  if (lo >= hi) return;
  if (tier == max_tier) {
    out.push_back({tier, lo, hi});
    return;
  }
  Tier next = static_cast<Tier>(static_cast<int>(tier) + 1);
  if (next == Tier::five_minutes && !five_minutes && max_tier != Tier::five_minutes)
    next = Tier::hour;
  const std::int64_t unit = tier_ms(next);
  const std::int64_t a = ceil_to(lo, unit);
  const std::int64_t b = floor_to(hi, unit);
  if (a >= b) {  // no whole unit of the next tier inside
    out.push_back({tier, lo, hi});
    return;
  }
  if (lo < a) out.push_back({tier, lo, a});
  if (b < hi) out.push_back({tier, b, hi});
  split(a, b, next, max_tier, five_minutes, out);
}

}  // namespace

std::string_view to_string(BucketSize size) {
  return kSizes[static_cast<std::size_t>(size)].name;
}

std::optional<BucketSize> bucket_size_from_string(std::string_view name) {
  for (const auto& s : kSizes)
    if (s.name == name) return s.size;
  return std::nullopt;
}

std::int64_t bucket_ms(BucketSize size) {
  return kSizes[static_cast<std::size_t>(size)].ms;
}

std::int64_t bucket_floor(std::int64_t t_ms, BucketSize size) {
  const std::int64_t offset = size == BucketSize::week ? kWeekOffsetMs : 0;
  return floor_div(t_ms - offset, bucket_ms(size)) * bucket_ms(size) + offset;
}

std::int64_t bucket_count(std::int64_t start_ms, std::int64_t end_ms, BucketSize size) {
  if (end_ms < start_ms) return 1;
  return (bucket_floor(end_ms, size) - bucket_floor(start_ms, size)) / bucket_ms(size) + 1;
}

BucketSize auto_bucket_size(std::int64_t start_ms, std::int64_t end_ms) {
  for (const auto& s : kSizes)
    if (bucket_count(start_ms, end_ms, s.size) <= kMaxAutoBuckets) return s.size;
  return BucketSize::week;
}

std::int64_t tier_ms(Tier tier) {
  switch (tier) {
    case Tier::raw:
      return 1;
    case Tier::minute:
      return kMinuteMs;
    case Tier::five_minutes:
      return kFiveMinutesMs;
    case Tier::hour:
      return kHourMs;
    case Tier::day:
      return kDayMs;
  }
  return 1;
}

std::vector<Piece> split_range(std::optional<std::int64_t> start_ms,
                               std::optional<std::int64_t> end_ms, Tier max_tier,
                               bool five_minutes) {
  std::vector<Piece> out;
  const std::int64_t lo =
      start_ms ? std::clamp(*start_ms, kNegInfMs + 1, kPosInfMs - 1) : kNegInfMs;
  const std::int64_t hi =
      end_ms ? std::clamp(*end_ms, kNegInfMs + 1, kPosInfMs - 2) + 1 : kPosInfMs;
  split(lo, hi, Tier::raw, max_tier, five_minutes, out);
  return out;
}

Tier max_tier_for(BucketSize size) {
  switch (size) {
    case BucketSize::minute:
      return Tier::minute;
    case BucketSize::five_minutes:
    case BucketSize::fifteen_minutes:
      return Tier::five_minutes;
    case BucketSize::hour:
    case BucketSize::six_hours:
      return Tier::hour;
    case BucketSize::day:
    case BucketSize::week:
      return Tier::day;
  }
  return Tier::minute;
}

}  // namespace lmp::storage::rollup
