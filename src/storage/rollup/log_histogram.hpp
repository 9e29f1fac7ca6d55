// A log-scale histogram of non-negative durations whose percentiles are within 1% of the exact
// ones, with a compact sparse binary encoding that rollup rows store and merge. Pure.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lmp::storage::rollup {

// Bucket i > kZeroIndex holds the values v with gamma^(i-1) < v <= gamma^i, i.e.
// i = ceil(log(v) / log(gamma)); it reports 2 gamma^i / (gamma + 1), which differs from every
// value of the bucket by at most kRelativeError of that value. So a percentile read from the
// histogram is within kRelativeError (relative) of the exact percentile of the same data:
// both pick the value of the same rank, and the histogram returns its bucket's representative.
// Values <= kMinValue (zero, negatives from clock oddities, sub-nanosecond durations) go to a
// zero bucket that reports 0: an absolute error below kMinValue. NaN is not counted.
class LogHistogram {
 public:
  static constexpr double kRelativeError = 0.01;
  static constexpr double kGamma = (1 + kRelativeError) / (1 - kRelativeError);
  static constexpr double kMinValue = 1e-6;  // milliseconds: one nanosecond
  static constexpr double kMaxValue = 1e15;  // larger values count as this (about 31,000 years)
  static const std::int32_t kMinIndex;       // the bucket of values just above kMinValue
  static const std::int32_t kMaxIndex;       // the bucket of kMaxValue

  // The bucket of a value (> kMinValue) and the value a bucket reports.
  static std::int32_t index_of(double value);
  static double representative(std::int32_t index);

  void add(double value, std::uint64_t count = 1);
  void merge(const LogHistogram& other);
  // Adds an encoded histogram (see encode()); false, and nothing added, when `bytes` is not a
  // valid encoding. Empty bytes are an empty histogram.
  bool merge_encoded(std::span<const std::uint8_t> bytes);
  bool merge_encoded(std::string_view bytes);

  // The compact form: empty for an empty histogram, else a version byte, the zero bucket's
  // count, the number of other buckets, and per bucket its index (the first zigzag-coded, the
  // next ones as the step from the previous) and its count, all as LEB128 varints. A minute's
  // rollup row of 20 requests takes about 50 bytes.
  std::string encode() const;
  // The same into a caller's buffer (its capacity reused).
  void encode_into(std::string& out) const;
  static std::optional<LogHistogram> decode(std::span<const std::uint8_t> bytes);

  std::uint64_t count() const { return total_; }
  bool empty() const { return total_ == 0; }
  // The value of rank percentile_rank(q, count()): nullopt when empty. q in [0, 1].
  std::optional<double> percentile(double q) const;
  void clear();

 private:
  void add_index(std::int32_t index, std::uint64_t count);  // grows the dense range as needed

  std::uint64_t zero_ = 0;
  std::uint64_t total_ = 0;
  std::int32_t offset_ = 0;            // the index of counts_[0]
  std::vector<std::uint64_t> counts_;  // dense over the indices seen, grown on demand
};

// The 1-based rank of the q-quantile among n sorted values (the nearest-rank definition):
// ceil(q * n), at least 1 and at most n. Exact percentiles in tests use the same rank.
std::uint64_t percentile_rank(double q, std::uint64_t n);

// Merges two encodings into one without building dense histograms: the rollup upsert's
// lmp_hist_merge(). nullopt when either is not a valid encoding.
std::optional<std::string> merge_encoded(std::string_view a, std::string_view b);
// The same into a caller's buffer (reused across calls): false, `out` unspecified, when either
// is not a valid encoding.
bool merge_encoded_into(std::string_view a, std::string_view b, std::string& out);

}  // namespace lmp::storage::rollup
