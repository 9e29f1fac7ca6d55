#include "storage/rollup/log_histogram.hpp"

#include <algorithm>
#include <limits>
#include <utility>

namespace lmp::storage::rollup {
namespace {

constexpr std::uint8_t kVersion = 1;
const double kLogGamma = std::log(LogHistogram::kGamma);

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// Reads LEB128 varints from untrusted bytes: every read is bounds- and overflow-checked.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes)
      : p_(bytes.data()), end_(p_ + bytes.size()) {}
  bool varint(std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return false;
      const std::uint8_t b = *p_++;
      const std::uint64_t part = b & 0x7f;
      if (shift == 63 && part > 1) return false;  // would overflow 64 bits
      v |= part << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  bool byte(std::uint8_t& b) {
    if (p_ == end_) return false;
    b = *p_++;
    return true;
  }
  bool done() const { return p_ == end_; }
  std::size_t left() const { return static_cast<std::size_t>(end_ - p_); }

 private:
  const std::uint8_t* p_;
  const std::uint8_t* end_;
};

bool add_checked(std::uint64_t& total, std::uint64_t n) {
  if (total > std::numeric_limits<std::uint64_t>::max() - n) return false;
  total += n;
  return true;
}

// Walks an encoding, validating everything, and calls bucket(index, count) for each bucket in
// ascending index order. Allocates nothing. False for an invalid encoding (bucket() may have
// been called for a prefix: callers that must not see a damaged blob validate first).
template <typename OnBucket>
bool walk(std::span<const std::uint8_t> bytes, std::uint64_t& zero, std::uint64_t& n,
          OnBucket&& bucket) {
  Reader r(bytes);
  std::uint8_t version = 0;
  if (!r.byte(version) || version != kVersion || !r.varint(zero) || !r.varint(n)) return false;
  std::uint64_t total = zero;
  if (n > r.left() / 2) return false;  // each bucket takes at least two bytes
  std::int64_t index = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::uint64_t step = 0, count = 0;
    if (!r.varint(step) || !r.varint(count) || count == 0) return false;
    if (i == 0) {
      // zigzag: 0, -1, 1, -2 ... -> 0, 1, 2, 3 ...
      index = static_cast<std::int64_t>(step >> 1) ^ -static_cast<std::int64_t>(step & 1);
    } else {
      if (step == 0 ||
          step > static_cast<std::uint64_t>(LogHistogram::kMaxIndex - LogHistogram::kMinIndex))
        return false;
      index += static_cast<std::int64_t>(step);
    }
    if (index < LogHistogram::kMinIndex || index > LogHistogram::kMaxIndex) return false;
    if (!add_checked(total, count)) return false;
    bucket(static_cast<std::int32_t>(index), count);
  }
  return r.done();
}

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

const std::int32_t LogHistogram::kMinIndex =
    static_cast<std::int32_t>(std::ceil(std::log(kMinValue) / kLogGamma));
const std::int32_t LogHistogram::kMaxIndex =
    static_cast<std::int32_t>(std::ceil(std::log(kMaxValue) / kLogGamma));

std::int32_t LogHistogram::index_of(double value) {
  const double v = std::min(value, kMaxValue);
  const auto i = static_cast<std::int32_t>(std::ceil(std::log(v) / kLogGamma));
  return std::clamp(i, kMinIndex, kMaxIndex);
}

double LogHistogram::representative(std::int32_t index) {
  return 2.0 * std::pow(kGamma, index) / (kGamma + 1.0);
}

void LogHistogram::add(double value, std::uint64_t count) {
  if (std::isnan(value) || count == 0) return;
  if (value <= kMinValue) {
    zero_ += count;
    total_ += count;
    return;
  }
  add_index(index_of(value), count);
}

void LogHistogram::add_index(std::int32_t i, std::uint64_t count) {
  if (counts_.empty()) {
    offset_ = i;
    counts_.assign(1, 0);
  } else if (i < offset_) {
    counts_.insert(counts_.begin(), static_cast<std::size_t>(offset_ - i), 0);
    offset_ = i;
  } else if (static_cast<std::size_t>(i - offset_) >= counts_.size()) {
    counts_.resize(static_cast<std::size_t>(i - offset_) + 1, 0);
  }
  counts_[static_cast<std::size_t>(i - offset_)] += count;
  total_ += count;
}

void LogHistogram::merge(const LogHistogram& other) {
  if (other.empty()) return;
  if (empty() && counts_.empty()) {
    *this = other;
    return;
  }
  zero_ += other.zero_;
  total_ += other.zero_;
  if (other.counts_.empty()) return;
  // Grow once to the union of both ranges, then add bucket by bucket.
  add_index(other.offset_, 0);
  add_index(other.offset_ + static_cast<std::int32_t>(other.counts_.size()) - 1, 0);
  const auto shift = static_cast<std::size_t>(other.offset_ - offset_);
  for (std::size_t k = 0; k < other.counts_.size(); ++k) counts_[shift + k] += other.counts_[k];
  total_ += other.count() - other.zero_;
}

bool LogHistogram::merge_encoded(std::span<const std::uint8_t> bytes) {
  // Two passes over the bytes and no allocation besides growing the target: the first
  // validates and finds the index range, the second adds straight into the dense counts.
  if (bytes.empty()) return true;
  std::uint64_t zero = 0, n = 0;
  std::int32_t lo = 0, hi = 0;
  bool any = false;
  if (!walk(bytes, zero, n, [&](std::int32_t i, std::uint64_t) {
        if (!any) lo = i;
        hi = i;
        any = true;
      }))
    return false;
  zero_ += zero;
  total_ += zero;
  if (!any) return true;
  // Grow once to cover the new range, then add without further checks.
  if (counts_.empty()) {
    offset_ = lo;
    counts_.assign(static_cast<std::size_t>(hi - lo) + 1, 0);
  } else {
    if (lo < offset_) {
      counts_.insert(counts_.begin(), static_cast<std::size_t>(offset_ - lo), 0);
      offset_ = lo;
    }
    if (static_cast<std::size_t>(hi - offset_) >= counts_.size())
      counts_.resize(static_cast<std::size_t>(hi - offset_) + 1, 0);
  }
  std::uint64_t* counts = counts_.data();
  const std::int32_t offset = offset_;
  std::uint64_t added = 0;
  walk(bytes, zero, n, [&](std::int32_t i, std::uint64_t c) {
    counts[i - offset] += c;
    added += c;
  });
  total_ += added;
  return true;
}

bool LogHistogram::merge_encoded(std::string_view bytes) {
  return merge_encoded(as_bytes(bytes));
}

std::string LogHistogram::encode() const {
  std::string out;
  encode_into(out);
  return out;
}

void LogHistogram::encode_into(std::string& out) const {
  // Straight from the dense counts into a buffer sized for the worst case (10 bytes per
  // varint), trimmed at the end: no per-byte capacity checks, no allocation when `out` is
  // reused.
  out.clear();
  if (total_ == 0) return;
  std::uint64_t n = 0;
  for (auto c : counts_) n += c != 0;
  out.resize(1 + 10 * 2 + n * 20);
  auto* p = reinterpret_cast<std::uint8_t*>(out.data());
  const auto put = [&p](std::uint64_t v) {
    while (v >= 0x80) {
      *p++ = static_cast<std::uint8_t>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    *p++ = static_cast<std::uint8_t>(v);
  };
  *p++ = kVersion;
  put(zero_);
  put(n);
  bool first = true;
  std::int32_t prev = 0;
  for (std::size_t k = 0; k < counts_.size(); ++k) {
    if (!counts_[k]) continue;
    const std::int32_t index = offset_ + static_cast<std::int32_t>(k);
    if (first) {
      const auto wide = static_cast<std::int64_t>(index);
      put(static_cast<std::uint64_t>((wide << 1) ^ (wide >> 63)));
      first = false;
    } else {
      put(static_cast<std::uint64_t>(index - prev));
    }
    put(counts_[k]);
    prev = index;
  }
  out.resize(static_cast<std::size_t>(p - reinterpret_cast<std::uint8_t*>(out.data())));
}

std::optional<LogHistogram> LogHistogram::decode(std::span<const std::uint8_t> bytes) {
  LogHistogram h;
  if (!h.merge_encoded(bytes)) return std::nullopt;
  return h;
}

std::optional<double> LogHistogram::percentile(double q) const {
  if (total_ == 0) return std::nullopt;
  const std::uint64_t rank = percentile_rank(q, total_);
  if (rank <= zero_) return 0.0;
  std::uint64_t seen = zero_;
  for (std::size_t k = 0; k < counts_.size(); ++k) {
    seen += counts_[k];
    if (seen >= rank) return representative(offset_ + static_cast<std::int32_t>(k));
  }
  return representative(offset_ + static_cast<std::int32_t>(counts_.size()) - 1);
}

void LogHistogram::clear() {
  zero_ = total_ = 0;
  offset_ = 0;
  counts_.clear();
}

std::uint64_t percentile_rank(double q, std::uint64_t n) {
  if (n == 0) return 0;
  q = std::clamp(std::isnan(q) ? 0.0 : q, 0.0, 1.0);
  // The tiny downward nudge keeps 0.95 * 100 (= 95.00000000000001 in doubles) at rank 95.
  const double r = std::ceil(q * static_cast<double>(n) * (1 - 1e-12));
  return std::clamp<std::uint64_t>(static_cast<std::uint64_t>(r), 1, n);
}

std::optional<std::string> merge_encoded(std::string_view a, std::string_view b) {
  std::string out;
  if (!merge_encoded_into(a, b, out)) return std::nullopt;
  return out;
}

bool merge_encoded_into(std::string_view a, std::string_view b, std::string& out) {
  // Validates both without allocating, then merges the two sorted bucket streams straight
  // into `out` (the upsert's hot path: no intermediate vectors).
  out.clear();
  std::uint64_t za = 0, na = 0, zb = 0, nb = 0;
  const auto none = [](std::int32_t, std::uint64_t) {};
  if (!a.empty() && !walk(as_bytes(a), za, na, none)) return false;
  if (!b.empty() && !walk(as_bytes(b), zb, nb, none)) return false;
  if (b.empty()) {
    out.assign(a);
    return true;
  }
  if (a.empty()) {
    out.assign(b);
    return true;
  }
  std::uint64_t zero = za;
  if (!add_checked(zero, zb)) return false;
  // Both are valid: read them again without checks beyond what validation proved.
  struct Stream {
    Reader r;
    std::uint64_t left;
    std::int64_t index = 0;
    std::uint64_t count = 0;
    bool first = true;
    bool next() {
      if (left == 0) return false;
      --left;
      std::uint64_t step = 0;
      r.varint(step);
      r.varint(count);
      index = first ? static_cast<std::int64_t>(step >> 1) ^ -static_cast<std::int64_t>(step & 1)
                    : index + static_cast<std::int64_t>(step);
      first = false;
      return true;
    }
  };
  const auto open = [](std::string_view bytes) {
    Stream s{Reader(as_bytes(bytes)), 0};
    std::uint8_t version = 0;
    std::uint64_t z = 0;
    s.r.byte(version);
    s.r.varint(z);
    s.r.varint(s.left);
    return s;
  };
  Stream x = open(a), y = open(b);
  // The bucket count is not known before merging: write the buckets to the end of `out`
  // first, then put the header in front (one move of a few hundred bytes at most).
  std::uint64_t n = 0;
  std::int64_t prev = 0;
  const auto put = [&](std::int64_t index, std::uint64_t count) {
    if (n == 0)
      put_varint(out, static_cast<std::uint64_t>((index << 1) ^ (index >> 63)));
    else
      put_varint(out, static_cast<std::uint64_t>(index - prev));
    put_varint(out, count);
    prev = index;
    ++n;
  };
  out.reserve(a.size() + b.size() + 4);
  bool hx = x.next(), hy = y.next();
  while (hx || hy) {
    if (hx && (!hy || x.index < y.index)) {
      put(x.index, x.count);
      hx = x.next();
    } else if (hy && (!hx || y.index < x.index)) {
      put(y.index, y.count);
      hy = y.next();
    } else {
      std::uint64_t c = x.count;
      if (!add_checked(c, y.count)) return false;
      put(x.index, c);
      hx = x.next();
      hy = y.next();
    }
  }
  std::string head;
  head.push_back(static_cast<char>(kVersion));
  put_varint(head, zero);
  put_varint(head, n);
  out.insert(0, head);
  return true;
}

}  // namespace lmp::storage::rollup
