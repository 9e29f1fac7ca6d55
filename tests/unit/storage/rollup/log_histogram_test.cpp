// LogHistogram: percentiles within the documented relative error of exact ones, merging,
// the encoding, and damaged encodings.
#include "storage/rollup/log_histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace lmp::storage::rollup {
namespace {

constexpr double kBound = LogHistogram::kRelativeError * (1 + 1e-9);
constexpr std::array<double, 8> kQuantiles{0.0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 1.0};

double exact_percentile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  return values[percentile_rank(q, values.size()) - 1];
}

void expect_close(double got, double exact) {
  if (exact <= LogHistogram::kMinValue) {
    EXPECT_EQ(got, 0.0) << "exact " << exact;
  } else {
    EXPECT_LE(std::fabs(got - exact), kBound * exact) << "got " << got << " exact " << exact;
  }
}

void check_all_quantiles(const std::vector<double>& values) {
  LogHistogram h;
  for (double v : values) h.add(v);
  ASSERT_EQ(h.count(), values.size());
  for (double q : kQuantiles) {
    SCOPED_TRACE(q);
    expect_close(*h.percentile(q), exact_percentile(values, q));
  }
}

std::vector<double> draw(std::size_t n, auto&& dist, std::mt19937_64& rng) {
  std::vector<double> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

TEST(LogHistogram, GammaGivesTheDocumentedBound) {
  EXPECT_NEAR(LogHistogram::kGamma, 1.01 / 0.99, 1e-15);
  // A bucket's representative against its two ends.
  for (std::int32_t i : {-500, -1, 0, 1, 77, 900}) {
    const double rep = LogHistogram::representative(i);
    const double top = std::pow(LogHistogram::kGamma, i);
    const double bottom = top / LogHistogram::kGamma;
    EXPECT_LE((top - rep) / top, kBound);
    EXPECT_LE((rep - bottom) / bottom, kBound);
    EXPECT_EQ(LogHistogram::index_of(rep), i);
  }
}

TEST(LogHistogram, UniformLogNormalBimodalConstantAndZeros) {
  std::mt19937_64 rng(42);
  for (std::size_t n : {1u, 2u, 3u, 10u, 101u, 5000u}) {
    SCOPED_TRACE(n);
    check_all_quantiles(draw(n, std::uniform_real_distribution<double>(0.5, 30000.0), rng));
    check_all_quantiles(draw(n, std::lognormal_distribution<double>(6.0, 1.5), rng));
    std::bernoulli_distribution coin(0.3);
    std::normal_distribution<double> fast(40, 5), slow(9000, 900);
    check_all_quantiles(draw(
        n, [&](auto& r) { return coin(r) ? std::max(0.1, fast(r)) : slow(r); }, rng));
    check_all_quantiles(std::vector<double>(n, 1234.5678));
    std::bernoulli_distribution zero(0.4);
    std::exponential_distribution<double> expo(0.01);
    check_all_quantiles(draw(
        n, [&](auto& r) { return zero(r) ? 0.0 : expo(r); }, rng));
  }
}

TEST(LogHistogram, TinyNegativeHugeAndNaN) {
  LogHistogram h;
  h.add(0.0);
  h.add(-5.0);
  h.add(1e-9);
  h.add(std::nan(""));  // not counted
  h.add(1e300);         // counted at the top
  h.add(std::numeric_limits<double>::infinity());
  EXPECT_EQ(h.count(), 5u);
  EXPECT_EQ(*h.percentile(0.5), 0.0);
  expect_close(*h.percentile(1.0), LogHistogram::kMaxValue);
  EXPECT_FALSE(LogHistogram{}.percentile(0.5));
}

TEST(LogHistogram, MergeEqualsTheHistogramOfTheUnion) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> d(5, 2);
  for (int round = 0; round < 20; ++round) {
    LogHistogram a, b, u;
    const auto xs = draw(rng() % 300, d, rng);
    const auto ys = draw(rng() % 300, d, rng);
    for (double x : xs) a.add(x), u.add(x);
    for (double y : ys) b.add(y), u.add(y);
    if (round % 3 == 0) a.add(0.0), u.add(0.0);
    LogHistogram dense = a;
    dense.merge(b);
    EXPECT_EQ(dense.encode(), u.encode());
    LogHistogram from_bytes = a;
    ASSERT_TRUE(from_bytes.merge_encoded(b.encode()));
    EXPECT_EQ(from_bytes.encode(), u.encode());
    const auto sparse = merge_encoded(a.encode(), b.encode());
    ASSERT_TRUE(sparse);
    EXPECT_EQ(*sparse, u.encode());
  }
}

TEST(LogHistogram, EncodeDecodeRoundTripIsCompact) {
  std::mt19937_64 rng(3);
  std::lognormal_distribution<double> d(6, 1);
  LogHistogram h;
  for (int i = 0; i < 20; ++i) h.add(d(rng));
  h.add(0);
  const std::string bytes = h.encode();
  EXPECT_LT(bytes.size(), 70u);
  const auto back =
      LogHistogram::decode({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
  ASSERT_TRUE(back);
  EXPECT_EQ(back->encode(), bytes);
  EXPECT_EQ(back->count(), 21u);
  for (double q : kQuantiles) EXPECT_EQ(back->percentile(q), h.percentile(q));
  EXPECT_EQ(LogHistogram{}.encode(), "");
  EXPECT_TRUE(LogHistogram::decode({}));
}

TEST(LogHistogram, GarbageDecodesSafelyOrErrors) {
  LogHistogram h;
  for (double v : {1.0, 2.0, 300.0, 0.0}) h.add(v);
  const std::string good = h.encode();
  // Every truncation, every single-byte change, and random bytes: never a crash, and a
  // refused blob adds nothing.
  std::mt19937_64 rng(11);
  std::vector<std::string> inputs;
  for (std::size_t n = 1; n < good.size(); ++n) inputs.push_back(good.substr(0, n));
  for (std::size_t i = 0; i < good.size(); ++i)
    for (int b : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
      std::string s = good;
      s[i] = static_cast<char>(b);
      inputs.push_back(s);
    }
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 40, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    inputs.push_back(s);
  }
  inputs.push_back(good + "x");
  inputs.push_back(std::string("\x01\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 12));
  for (const auto& s : inputs) {
    LogHistogram target;
    target.add(5.0);
    if (!target.merge_encoded(s)) {
      EXPECT_EQ(target.count(), 1u);
      EXPECT_FALSE(merge_encoded(s, good));
    } else {
      EXPECT_GE(target.count(), 1u);
      (void)target.percentile(0.5);
    }
  }
  EXPECT_FALSE(LogHistogram::decode({reinterpret_cast<const std::uint8_t*>("\x02\x00\x00"), 3}));
}

TEST(LogHistogram, PercentileRankIsNearestRank) {
  EXPECT_EQ(percentile_rank(0.95, 100), 95u);
  EXPECT_EQ(percentile_rank(0.5, 3), 2u);
  EXPECT_EQ(percentile_rank(0.0, 10), 1u);
  EXPECT_EQ(percentile_rank(1.0, 10), 10u);
  EXPECT_EQ(percentile_rank(0.99, 1), 1u);
}

}  // namespace
}  // namespace lmp::storage::rollup
