#include "support/time.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

namespace lmp::time {
namespace {

// 2024-02-29T00:00:00Z, a leap day.
constexpr std::int64_t kLeapDay = 1'709'164'800'000;
// 2026-11-29T02:40:56.123Z.
constexpr std::int64_t kSample = 1'795'920'056'123;

TEST(FormatIso8601Utc, Epoch) {
  EXPECT_EQ(format_iso8601_utc(0), "1970-01-01T00:00:00.000Z");
}

TEST(FormatIso8601Utc, Sample) {
  EXPECT_EQ(format_iso8601_utc(kSample), "2026-11-29T02:40:56.123Z");
}

TEST(FormatIso8601Utc, MillisecondsArePaddedToThreeDigits) {
  EXPECT_EQ(format_iso8601_utc(1), "1970-01-01T00:00:00.001Z");
  EXPECT_EQ(format_iso8601_utc(10), "1970-01-01T00:00:00.010Z");
  EXPECT_EQ(format_iso8601_utc(999), "1970-01-01T00:00:00.999Z");
  EXPECT_EQ(format_iso8601_utc(1000), "1970-01-01T00:00:01.000Z");
}

TEST(FormatIso8601Utc, NegativeIsBeforeTheEpoch) {
  EXPECT_EQ(format_iso8601_utc(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_iso8601_utc(-1000), "1969-12-31T23:59:59.000Z");
  EXPECT_EQ(format_iso8601_utc(-86'400'000), "1969-12-31T00:00:00.000Z");
  EXPECT_EQ(format_iso8601_utc(-86'400'001), "1969-12-30T23:59:59.999Z");
}

TEST(FormatIso8601Utc, LeapDay) {
  EXPECT_EQ(format_iso8601_utc(kLeapDay), "2024-02-29T00:00:00.000Z");
  EXPECT_EQ(format_iso8601_utc(kLeapDay + 86'400'000), "2024-03-01T00:00:00.000Z");
  EXPECT_EQ(format_iso8601_utc(kLeapDay - 1), "2024-02-28T23:59:59.999Z");
  // 2000 is a leap year (divisible by 400).
  EXPECT_EQ(format_iso8601_utc(951'782'400'000), "2000-02-29T00:00:00.000Z");
}

TEST(FormatIso8601Utc, EndOfYear) {
  EXPECT_EQ(format_iso8601_utc(1'767'225'599'999), "2025-12-31T23:59:59.999Z");
  EXPECT_EQ(format_iso8601_utc(1'767'225'600'000), "2026-01-01T00:00:00.000Z");
}

TEST(FormatIso8601Utc, TextOrderIsTimeOrder) {
  const std::int64_t values[] = {-86'400'001, -1, 0, 1, 999, 1000, kLeapDay, kSample};
  for (std::size_t i = 1; i < std::size(values); ++i)
    EXPECT_LT(format_iso8601_utc(values[i - 1]), format_iso8601_utc(values[i])) << i;
}

TEST(NowUnixMs, IsCloseToTheSystemClock) {
  using namespace std::chrono;
  const auto before = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  const auto now = now_unix_ms();
  const auto after = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
}

TEST(ElapsedMs, KeepsSubMillisecondPrecision) {
  const MonoTime t0{};
  EXPECT_DOUBLE_EQ(elapsed_ms(t0, t0 + std::chrono::microseconds(1500)), 1.5);
  EXPECT_DOUBLE_EQ(elapsed_ms(t0 + std::chrono::milliseconds(2), t0), -2.0);
}

struct Accepted {
  const char* text;
  std::int64_t expected;
};

class ParseIso8601Accepts : public ::testing::TestWithParam<Accepted> {};

TEST_P(ParseIso8601Accepts, Parses) {
  const auto& p = GetParam();
  const std::optional<std::int64_t> got = parse_iso8601(p.text);
  ASSERT_TRUE(got.has_value()) << p.text;
  EXPECT_EQ(*got, p.expected) << p.text << " parsed as " << format_iso8601_utc(*got);
}

// 2026-11-29T02:40:00Z
constexpr std::int64_t kMinute = 1'795'920'000'000;
constexpr std::int64_t kDay = 1'795'910'400'000;  // 2026-11-29T00:00:00Z

INSTANTIATE_TEST_SUITE_P(
    Forms, ParseIso8601Accepts,
    ::testing::Values(
        Accepted{"2026-11-29", kDay}, Accepted{"1970-01-01", 0}, Accepted{"2024-02-29", kLeapDay},
        Accepted{"2000-02-29", 951'782'400'000}, Accepted{"1969-12-31", -86'400'000},
        Accepted{"2026-11-29T02:40", kMinute}, Accepted{"2026-11-29 02:40", kMinute},
        Accepted{"2026-11-29t02:40", kMinute}, Accepted{"2026-11-29T02:40:56", kMinute + 56'000},
        Accepted{"2026-11-29 02:40:56", kMinute + 56'000},
        Accepted{"2026-11-29T02:40:56.123", kSample}, Accepted{"2026-11-29T02:40:56,123", kSample},
        Accepted{"2026-11-29T02:40:56.1", kMinute + 56'100},
        Accepted{"2026-11-29T02:40:56.12", kMinute + 56'120},
        Accepted{"2026-11-29T02:40:56.123456", kSample},
        Accepted{"2026-11-29T02:40:56.123456789", kSample},
        Accepted{"2026-11-29T02:40:56.123Z", kSample},
        Accepted{"2026-11-29T02:40:56.123z", kSample}, Accepted{"2026-11-29T02:40Z", kMinute},
        Accepted{"2026-11-29T02:40:56Z", kMinute + 56'000},
        // An offset east of UTC means an earlier instant.
        Accepted{"2026-11-29T04:40:56.123+02:00", kSample},
        Accepted{"2026-11-29T04:40:56.123+0200", kSample},
        Accepted{"2026-11-29T04:40:56.123+02", kSample},
        Accepted{"2026-11-29T08:10:56.123+05:30", kSample},
        Accepted{"2026-11-29T08:10:56.123+0530", kSample},
        Accepted{"2026-11-28T21:40:56.123-05:00", kSample},
        Accepted{"2026-11-28T21:40:56.123-0500", kSample},
        Accepted{"2026-11-28T21:40:56.123-05", kSample},
        Accepted{"2026-11-28T22:10:56.123-04:30", kSample},
        Accepted{"2026-11-29T02:40+00:00", kMinute}, Accepted{"2026-11-29T02:40-00:00", kMinute},
        // The offset can move the instant across a day boundary.
        Accepted{"2026-11-29T00:30+01:00", kDay - 30 * 60'000},
        Accepted{"2026-11-29T23:59:59.999", kDay + 86'399'999}));

class ParseIso8601Rejects : public ::testing::TestWithParam<const char*> {};

TEST_P(ParseIso8601Rejects, ReturnsNullopt) {
  const auto got = parse_iso8601(GetParam());
  EXPECT_FALSE(got.has_value()) << '"' << GetParam() << "\" parsed as "
                                << format_iso8601_utc(got.value_or(0));
}

INSTANTIATE_TEST_SUITE_P(
    Bad, ParseIso8601Rejects,
    ::testing::Values(
        // Impossible dates and times.
        "2026-02-30", "2025-02-29", "1900-02-29", "2026-04-31", "2026-13-01", "2026-00-10",
        "2026-01-00", "2026-01-32", "2026-01-01T25:00", "2026-01-01T24:00", "2026-01-01T12:60",
        "2026-01-01T12:00:61", "2026-01-01T12:00+24:00", "2026-01-01T12:00+01:60",
        // Not dates.
        "", "garbage", "2026", "2026-01", "2026-1-01", "2026-01-1", "26-01-01", "2026/01/01",
        "20260101", "abcd-ef-gh", " 2026-01-01", "2026-01-01 ", "2026-01-01T", "2026-01-01T12",
        "2026-01-01T1:00", "2026-01-01T12:0", "2026-01-01T12:00:", "2026-01-01T12:00:5",
        "2026-01-01T12:00:00.", "2026-01-01T12:00:00.1234567890", "2026-01-01T12:00:00.x",
        "2026-01-01X12:00",
        // Trailing text.
        "2026-01-01T12:00:00Zjunk", "2026-01-01T12:00:00Z ", "2026-01-01T12:00:00ZZ",
        "2026-01-01junk", "2026-01-01T12:00:00+01:00x", "2026-01-01T12:00:00+01:0",
        "2026-01-01T12:00:00+1", "2026-01-01T12:00:00+",
        "2026-01-01T12:00:00+01:", "2026-01-01T12:00:00+01:00:00", "2026-01-01T12:00:00 +01:00"));

TEST(ParseIso8601, EmbeddedNulIsRejected) {
  using namespace std::string_view_literals;
  EXPECT_FALSE(parse_iso8601("2026-01-01\0"sv).has_value());
  EXPECT_FALSE(parse_iso8601("2026-01-01T12:00\0Z"sv).has_value());
}

TEST(ParseIso8601, RoundTripsFormattedTimestamps) {
  const std::int64_t values[] = {
      0,       1,           -1,
      999,     kLeapDay,    kLeapDay - 1,
      kSample, -86'400'001, 253'402'300'799'999 /* 9999-12-31T23:59:59.999Z */};
  for (const std::int64_t v : values) {
    const std::string text = format_iso8601_utc(v);
    const auto back = parse_iso8601(text);
    ASSERT_TRUE(back.has_value()) << text;
    EXPECT_EQ(*back, v) << text;
  }
}

TEST(ParseIso8601, RoundTripsEveryDayOfALeapYearAndItsNeighbours) {
  // 2023-01-01 .. 2025-12-31 at 12:34:56.789, one per day.
  const std::int64_t start = 1'672'576'496'789;
  for (int day = 0; day < 3 * 366; ++day) {
    const std::int64_t v = start + day * 86'400'000LL;
    const std::string text = format_iso8601_utc(v);
    const auto back = parse_iso8601(text);
    ASSERT_TRUE(back.has_value()) << text;
    ASSERT_EQ(*back, v) << text;
  }
}

}  // namespace
}  // namespace lmp::time
