// Natural bucket boundaries, automatic bucket sizes and the split of a range into tiers.
#include "storage/rollup/time_buckets.hpp"

#include <gtest/gtest.h>

#include <random>

#include "support/time.hpp"

namespace lmp::storage::rollup {
namespace {

std::int64_t at(const char* iso) {
  return *time::parse_iso8601(iso);
}

TEST(TimeBuckets, NamesRoundTrip) {
  for (const char* name : {"1m", "5m", "15m", "1h", "6h", "1d", "1w"})
    EXPECT_EQ(to_string(*bucket_size_from_string(name)), name);
  EXPECT_FALSE(bucket_size_from_string("2m"));
  EXPECT_FALSE(bucket_size_from_string(""));
}

TEST(TimeBuckets, FloorsOnNaturalUtcBoundaries) {
  const auto t = at("2026-11-26T13:47:31.250Z");  // a Thursday
  EXPECT_EQ(bucket_floor(t, BucketSize::minute), at("2026-11-26T13:47:00Z"));
  EXPECT_EQ(bucket_floor(t, BucketSize::five_minutes), at("2026-11-26T13:45:00Z"));
  EXPECT_EQ(bucket_floor(t, BucketSize::fifteen_minutes), at("2026-11-26T13:45:00Z"));
  EXPECT_EQ(bucket_floor(t, BucketSize::hour), at("2026-11-26T13:00:00Z"));
  EXPECT_EQ(bucket_floor(t, BucketSize::six_hours), at("2026-11-26T12:00:00Z"));
  EXPECT_EQ(bucket_floor(t, BucketSize::day), at("2026-11-26T00:00:00Z"));
  EXPECT_EQ(bucket_floor(t, BucketSize::week), at("2026-11-23T00:00:00Z"));  // Monday
  EXPECT_EQ(bucket_floor(at("2026-11-23T00:00:00Z"), BucketSize::week), at("2026-11-23"));
  EXPECT_EQ(bucket_floor(at("2026-11-22T23:59:59.999Z"), BucketSize::week), at("2026-11-16"));
  EXPECT_EQ(bucket_floor(at("1969-12-31T23:59:59Z"), BucketSize::day), at("1969-12-31"));
}

TEST(TimeBuckets, AutoSizeGivesAtMost300Buckets) {
  const auto start = at("2026-01-01T00:00:00Z");
  EXPECT_EQ(auto_bucket_size(start, start + kHourMs), BucketSize::minute);
  EXPECT_EQ(auto_bucket_size(start, start + 6 * kHourMs), BucketSize::five_minutes);
  EXPECT_EQ(auto_bucket_size(start, start + kDayMs), BucketSize::five_minutes);
  EXPECT_EQ(auto_bucket_size(start, start + kWeekMs), BucketSize::hour);
  EXPECT_EQ(auto_bucket_size(start, start + 30 * kDayMs), BucketSize::six_hours);
  EXPECT_EQ(auto_bucket_size(start, start + 200 * kDayMs), BucketSize::day);
  EXPECT_EQ(auto_bucket_size(start, start + 365 * kDayMs), BucketSize::week);
  for (std::int64_t len = kMinuteMs; len < 2000 * kDayMs; len = len * 13 / 10) {
    const auto n = bucket_count(start, start + len, auto_bucket_size(start, start + len));
    EXPECT_LE(n, 300);
    if (len > 45 * kMinuteMs) {
      EXPECT_GE(n, 30) << len;
    }
  }
}

// Every millisecond of [start, end] is covered by exactly one piece; tier pieces are aligned.
void check_cover(std::int64_t start, std::int64_t end, Tier max_tier) {
  const auto pieces = split_range(start, end, max_tier);
  std::int64_t covered = 0;
  for (const auto& p : pieces) {
    EXPECT_LT(p.lo, p.hi);
    EXPECT_LE(p.tier, max_tier);
    EXPECT_GE(p.lo, start);
    EXPECT_LE(p.hi, end + 1);
    EXPECT_EQ(p.lo % tier_ms(p.tier), 0);
    EXPECT_EQ(p.hi % tier_ms(p.tier), 0);
    covered += p.hi - p.lo;
  }
  EXPECT_EQ(covered, end - start + 1);
  for (std::size_t i = 0; i < pieces.size(); ++i)
    for (std::size_t j = i + 1; j < pieces.size(); ++j)
      EXPECT_TRUE(pieces[i].hi <= pieces[j].lo || pieces[j].hi <= pieces[i].lo);
}

TEST(TimeBuckets, SplitCoversTheRangeExactlyOnce) {
  std::mt19937_64 rng(5);
  const auto base = at("2026-03-01T00:00:00Z");
  for (int i = 0; i < 500; ++i) {
    const std::int64_t a = base + static_cast<std::int64_t>(rng() % (10 * kDayMs));
    const std::int64_t b = a + static_cast<std::int64_t>(rng() % (3 * kDayMs));
    for (Tier t : {Tier::raw, Tier::minute, Tier::hour, Tier::day}) check_cover(a, b, t);
  }
  check_cover(base, base + kDayMs - 1, Tier::day);
  EXPECT_EQ(split_range(base, base + kDayMs - 1, Tier::day),
            (std::vector<Piece>{{Tier::day, base, base + kDayMs}}));
}

TEST(TimeBuckets, SplitUsesRawRowsOnlyAtPartialEdgeMinutes) {
  const auto s = at("2026-03-01T10:00:30Z");
  const auto e = at("2026-03-03T05:10:15Z");
  const auto pieces = split_range(s, e, Tier::day);
  std::vector<Piece> expected{
      {Tier::raw, s, at("2026-03-01T10:01:00Z")},
      {Tier::raw, at("2026-03-03T05:10:00Z"), e + 1},
      {Tier::minute, at("2026-03-01T10:01:00Z"), at("2026-03-01T11:00:00Z")},
      {Tier::minute, at("2026-03-03T05:00:00Z"), at("2026-03-03T05:10:00Z")},
      {Tier::hour, at("2026-03-01T11:00:00Z"), at("2026-03-02T00:00:00Z")},
      {Tier::hour, at("2026-03-03T00:00:00Z"), at("2026-03-03T05:00:00Z")},
      {Tier::day, at("2026-03-02T00:00:00Z"), at("2026-03-03T00:00:00Z")},
  };
  EXPECT_EQ(pieces, expected);
  // Open ends go to the coarsest tier.
  EXPECT_EQ(split_range(std::nullopt, std::nullopt, Tier::day),
            (std::vector<Piece>{{Tier::day, kNegInfMs, kPosInfMs}}));
  const auto open_start = split_range(std::nullopt, e, Tier::hour);
  EXPECT_EQ(open_start.back(), (Piece{Tier::hour, kNegInfMs, at("2026-03-03T05:00:00Z")}));
}

}  // namespace
}  // namespace lmp::storage::rollup
