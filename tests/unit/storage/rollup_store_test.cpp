// SqliteStore's rollups against brute force over the raw records: summarize() and
// timeseries() over many random ranges (with partial edge minutes, open ends, whole days)
// must give exactly the counts and sums of the raw rows, averages within 1e-9 (relative) and
// percentiles within the histogram's bound of the exact ones. Also: migration 6 builds the
// rollups of a version-4 database and converts those of a version-5 one; every piece query
// uses its index.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "llm/error_type.hpp"
#include "storage/rollup/log_histogram.hpp"
#include "storage/rollup/time_buckets.hpp"
#include "storage/sqlite/sqlite_schema.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "storage_test_support.hpp"
#include "support/time.hpp"

namespace lmp::storage::sqlite {
namespace {

using rollup::kDayMs;
using rollup::kHourMs;
using rollup::kMinuteMs;
using rollup::LogHistogram;
using testing::open_raw;
using testing::query_int;
using testing::TempDir;

const std::int64_t kStart = *time::parse_iso8601("2026-03-01T20:17:12.345Z");
const std::int64_t kSpan = 3 * kDayMs;

std::unique_ptr<SqliteStore> open_store(const std::string& path) {
  SqliteOptions o;
  o.path = path;
  return SqliteStore::open(o);
}

std::vector<llm::CompletionRecord> random_records(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const std::vector<std::string> models{"llama3", "qwen", "mistral", ""};
  const std::vector<std::string> origins{"http://a", "http://b", ""};
  std::uniform_int_distribution<std::int64_t> when(0, kSpan);
  std::lognormal_distribution<double> latency(6.5, 1.2);
  std::bernoulli_distribution half(0.5), often(0.85), rare(0.05);
  std::vector<llm::CompletionRecord> out;
  for (std::size_t i = 0; i < n; ++i) {
    llm::CompletionRecord r;
    // Clusters on a few instants too, so several requests share a millisecond and a minute.
    r.timestamp_ms = kStart + (rare(rng) ? (when(rng) / kMinuteMs) * kMinuteMs : when(rng));
    r.model = models[rng() % models.size()];
    r.origin = origins[rng() % origins.size()];
    r.endpoint = half(rng) ? llm::Endpoint::chat_completions : llm::Endpoint::completions;
    r.is_streaming = half(rng);
    r.success = often(rng);
    if (!r.success)
      r.error_type = rare(rng) ? llm::ErrorType::none : static_cast<llm::ErrorType>(1 + rng() % 10);
    if (often(rng)) {
      r.prompt_tokens = static_cast<std::int64_t>(rng() % 500);
      r.completion_tokens = static_cast<std::int64_t>(rng() % 800);
      r.total_tokens = *r.prompt_tokens + *r.completion_tokens;
    } else if (half(rng)) {
      r.completion_tokens = 5;  // known without a total: not "reported"
    }
    if (often(rng)) r.response_time_ms = rare(rng) ? 0.0 : latency(rng);
    if (often(rng) && r.response_time_ms) {
      r.time_to_first_token_ms = *r.response_time_ms * (r.is_streaming ? 0.1 : 1.0);
      r.time_to_last_token_ms = *r.response_time_ms * (r.is_streaming ? 0.97 : 1.0);
    }
    if (often(rng)) r.tokens_per_second = latency(rng) / 20;
    out.push_back(r);
  }
  return out;
}

// Inserts in random batches, out of time order, so that upserts merge into existing rows.
void insert_shuffled(SqliteStore& store, std::vector<llm::CompletionRecord> records,
                     std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::shuffle(records.begin(), records.end(), rng);
  for (std::size_t i = 0; i < records.size();) {
    const std::size_t n = std::min<std::size_t>(1 + rng() % 400, records.size() - i);
    store.insert(std::span(records).subspan(i, n));
    i += n;
  }
}

bool in_range(const llm::CompletionRecord& r, const TimeRange& range) {
  return (!range.start_ms || r.timestamp_ms >= *range.start_ms) &&
         (!range.end_ms || r.timestamp_ms <= *range.end_ms);
}

std::optional<double> mean(const std::vector<double>& v) {
  if (v.empty()) return std::nullopt;
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

std::optional<double> exact(std::vector<double> v, double q) {
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  return v[rollup::percentile_rank(q, v.size()) - 1];
}

void expect_mean(const std::optional<double>& got, const std::optional<double>& want,
                 const char* what) {
  ASSERT_EQ(got.has_value(), want.has_value()) << what;
  if (want) {
    EXPECT_LE(std::fabs(*got - *want), 1e-9 * std::max(1.0, std::fabs(*want))) << what;
  }
}

void expect_percentile(const std::optional<double>& got, const std::vector<double>& values,
                       double q, const char* what) {
  const auto want = exact(values, q);
  ASSERT_EQ(got.has_value(), want.has_value()) << what << " q=" << q;
  if (!want) return;
  if (*want <= LogHistogram::kMinValue) {
    EXPECT_EQ(*got, 0.0) << what;
  } else {
    EXPECT_LE(std::fabs(*got - *want), LogHistogram::kRelativeError * (1 + 1e-9) * *want)
        << what << " q=" << q << " got " << *got << " exact " << *want;
  }
}

struct Values {
  std::int64_t total = 0, successful = 0, reported = 0, tokens = 0, prompt = 0, completion = 0;
  std::vector<double> tps, rt, ttft, ttlt, cd, tpot;
  void add(const llm::CompletionRecord& r) {
    ++total;
    if (r.success) ++successful;
    if (r.total_tokens) {
      ++reported;
      tokens += *r.total_tokens;
      prompt += r.prompt_tokens.value_or(0);
      completion += r.completion_tokens.value_or(0);
    }
    if (r.tokens_per_second) tps.push_back(*r.tokens_per_second);
    if (r.response_time_ms) rt.push_back(*r.response_time_ms);
    if (r.time_to_first_token_ms) ttft.push_back(*r.time_to_first_token_ms);
    if (r.time_to_last_token_ms) ttlt.push_back(*r.time_to_last_token_ms);
    if (r.time_to_first_token_ms && r.time_to_last_token_ms)
      cd.push_back(*r.time_to_last_token_ms - *r.time_to_first_token_ms);
    if (r.is_streaming && r.completion_tokens && *r.completion_tokens > 1 &&
        r.time_to_first_token_ms && r.time_to_last_token_ms)
      tpot.push_back((*r.time_to_last_token_ms - *r.time_to_first_token_ms) /
                     static_cast<double>(*r.completion_tokens - 1));
  }
};

void expect_percentiles(const Percentiles& got, const std::vector<double>& v, const char* what) {
  expect_percentile(got.p50, v, 0.50, what);
  expect_percentile(got.p90, v, 0.90, what);
  expect_percentile(got.p95, v, 0.95, what);
  expect_percentile(got.p99, v, 0.99, what);
}

std::vector<NamedCount> sorted(std::map<std::string, std::int64_t> m) {
  std::vector<NamedCount> out;
  for (auto& [k, n] : m) out.push_back({k, n});
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.count > b.count; });
  return out;
}

void expect_summary_matches(const MetricsSummary& s,
                            const std::vector<llm::CompletionRecord>& records,
                            const TimeRange& range) {
  Values all, groups[2];
  std::map<std::string, Values> models;
  std::map<std::string, std::int64_t> errors[2], model_counts, origin_counts;
  for (const auto& r : records) {
    if (!in_range(r, range)) continue;
    all.add(r);
    groups[r.is_streaming].add(r);
    if (!r.success && r.error_type != llm::ErrorType::none)
      ++errors[r.is_streaming][std::string(llm::to_string(r.error_type))];
    if (!r.model.empty()) {
      models[r.model].add(r);
      ++model_counts[r.model];
    }
    if (!r.origin.empty()) ++origin_counts[r.origin];
  }
  EXPECT_EQ(s.total, all.total);
  EXPECT_EQ(s.successful, all.successful);
  EXPECT_EQ(s.failed, all.total - all.successful);
  expect_mean(s.avg_response_time_ms, mean(all.rt), "avg rt");
  for (int g = 0; g < 2; ++g) {
    SCOPED_TRACE(g ? "streamed" : "non-streamed");
    const GroupSummary& got = g ? s.streamed : s.non_streamed;
    const Values& v = groups[g];
    EXPECT_EQ(got.total, v.total);
    EXPECT_EQ(got.successful, v.successful);
    EXPECT_EQ(got.failed, v.total - v.successful);
    EXPECT_EQ(got.tokens_reported_count, v.reported);
    EXPECT_EQ(got.tokens_total, v.tokens);
    EXPECT_EQ(got.prompt_tokens_total, v.prompt);
    EXPECT_EQ(got.completion_tokens_total, v.completion);
    expect_mean(got.avg_tokens_per_second, mean(v.tps), "tps");
    expect_mean(got.avg_response_time_ms, mean(v.rt), "rt");
    expect_mean(got.avg_time_to_first_token_ms, mean(v.ttft), "ttft");
    expect_mean(got.avg_time_to_last_token_ms, mean(v.ttlt), "ttlt");
    expect_mean(got.avg_completion_duration_ms, mean(v.cd), "cd");
    EXPECT_EQ(got.error_types, sorted(errors[g]));
    const LatencyPercentiles& p = g ? s.percentiles_streamed : s.percentiles_non_streamed;
    expect_percentiles(p.response_time_ms, v.rt, "rt");
    expect_percentiles(p.time_to_first_token_ms, v.ttft, "ttft");
    expect_percentiles(p.time_per_output_token_ms, v.tpot, "tpot");
  }
  expect_percentiles(s.percentiles_all.response_time_ms, all.rt, "all rt");
  expect_percentiles(s.percentiles_all.time_to_first_token_ms, all.ttft, "all ttft");
  expect_percentiles(s.percentiles_all.time_per_output_token_ms, all.tpot, "all tpot");
  EXPECT_EQ(s.model_distribution, sorted(model_counts));
  EXPECT_EQ(s.origin_distribution, sorted(origin_counts));

  ASSERT_EQ(s.models.size(), models.size());
  for (const auto& m : s.models) {
    SCOPED_TRACE(m.model);
    const Values& v = models.at(m.model);
    EXPECT_EQ(m.total, v.total);
    EXPECT_EQ(m.successful, v.successful);
    EXPECT_EQ(m.failed, v.total - v.successful);
    EXPECT_EQ(m.tokens_total, v.tokens);
    EXPECT_EQ(m.prompt_tokens_total, v.prompt);
    EXPECT_EQ(m.completion_tokens_total, v.completion);
    expect_mean(m.avg_response_time_ms, mean(v.rt), "model rt");
    expect_mean(m.avg_time_to_first_token_ms, mean(v.ttft), "model ttft");
    expect_mean(m.avg_tokens_per_second, mean(v.tps), "model tps");
    expect_percentile(m.p50_response_time_ms, v.rt, 0.5, "model p50");
    expect_percentile(m.p95_response_time_ms, v.rt, 0.95, "model p95");
    expect_percentile(m.p95_time_to_first_token_ms, v.ttft, 0.95, "model ttft p95");
  }
  for (std::size_t i = 1; i < s.models.size(); ++i)
    EXPECT_GE(s.models[i - 1].total, s.models[i].total);
}

class RollupStore : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    records_ = new std::vector<llm::CompletionRecord>(random_records(4000, 1));
    store_ = open_store(dir_->file("metrics.db")).release();
    insert_shuffled(*store_, *records_, 2);
  }
  static void TearDownTestSuite() {
    delete store_;
    delete records_;
    delete dir_;
  }
  static TempDir* dir_;
  static std::vector<llm::CompletionRecord>* records_;
  static SqliteStore* store_;
};
TempDir* RollupStore::dir_ = nullptr;
std::vector<llm::CompletionRecord>* RollupStore::records_ = nullptr;
SqliteStore* RollupStore::store_ = nullptr;

TEST_F(RollupStore, SummarizeEqualsBruteForceOverRandomRanges) {
  std::mt19937_64 rng(9);
  std::vector<TimeRange> ranges{{}, {kStart, std::nullopt}, {std::nullopt, kStart + kDayMs}};
  const auto minute = (kStart / kMinuteMs + 5) * kMinuteMs;
  ranges.push_back({minute, minute + kMinuteMs - 1});                   // exactly one whole minute
  ranges.push_back({minute - 1, minute + 2 * kHourMs});                 // ms-precision edges
  ranges.push_back({minute / kDayMs * kDayMs + kDayMs, std::nullopt});  // from a midnight
  for (int i = 0; i < 150; ++i) {
    const std::int64_t a =
        kStart - kHourMs + static_cast<std::int64_t>(rng() % (kSpan + 2 * kHourMs));
    const std::int64_t len = static_cast<std::int64_t>(
        rng() % std::vector<std::int64_t>{kMinuteMs, kHourMs, kDayMs, kSpan}[i % 4]);
    ranges.push_back({a, a + len});
    if (i % 10 == 0) ranges.push_back({std::nullopt, a});
    if (i % 10 == 5) ranges.push_back({a, std::nullopt});
  }
  // Some ranges start or end on a record's own millisecond.
  for (int i = 0; i < 20; ++i) {
    const auto& r = (*records_)[rng() % records_->size()];
    ranges.push_back({r.timestamp_ms, r.timestamp_ms + static_cast<std::int64_t>(rng() % kDayMs)});
  }
  for (const auto& range : ranges) {
    SCOPED_TRACE(fmt::format("{} .. {}", range.start_ms ? *range.start_ms : -1,
                             range.end_ms ? *range.end_ms : -1));
    expect_summary_matches(store_->summarize(range), *records_, range);
    if (HasFatalFailure()) return;
  }
}

void expect_point(const TimeseriesPoint& p, const Values& v) {
  EXPECT_EQ(p.successful, v.successful);
  EXPECT_EQ(p.failed, v.total - v.successful);
  EXPECT_EQ(p.prompt_tokens, v.prompt);
  EXPECT_EQ(p.completion_tokens, v.completion);
  EXPECT_EQ(p.total_tokens, v.tokens);
  expect_mean(p.response_time_ms.avg, mean(v.rt), "rt");
  expect_percentile(p.response_time_ms.p50, v.rt, 0.5, "rt p50");
  expect_percentile(p.response_time_ms.p95, v.rt, 0.95, "rt p95");
  expect_percentile(p.response_time_ms.p99, v.rt, 0.99, "rt p99");
  expect_mean(p.time_to_first_token_ms.avg, mean(v.ttft), "ttft");
  expect_percentile(p.time_to_first_token_ms.p50, v.ttft, 0.5, "ttft p50");
  expect_percentile(p.time_to_first_token_ms.p95, v.ttft, 0.95, "ttft p95");
  expect_percentile(p.time_to_first_token_ms.p99, v.ttft, 0.99, "ttft p99");
  expect_mean(p.avg_tokens_per_second, mean(v.tps), "tps");
}

TEST_F(RollupStore, TimeseriesEqualsBruteForceForEveryBucketSize) {
  using rollup::BucketSize;
  std::mt19937_64 rng(21);
  for (BucketSize size :
       {BucketSize::minute, BucketSize::five_minutes, BucketSize::fifteen_minutes, BucketSize::hour,
        BucketSize::six_hours, BucketSize::day, BucketSize::week}) {
    for (int i = 0; i < 4; ++i) {
      const std::int64_t a = kStart - kHourMs + static_cast<std::int64_t>(rng() % kSpan);
      const std::int64_t len = static_cast<std::int64_t>(
          rng() % std::min<std::int64_t>(kSpan, 200 * rollup::bucket_ms(size)));
      for (bool by_model : {false, true}) {
        SCOPED_TRACE(
            fmt::format("{} {} +{} by_model={}", rollup::to_string(size), a, len, by_model));
        TimeseriesQuery q{a, a + len, rollup::bucket_ms(size),
                          size == BucketSize::week ? rollup::kWeekOffsetMs : 0, by_model};
        const Timeseries ts = store_->timeseries(q);
        const std::int64_t first = rollup::bucket_floor(a, size);
        const std::int64_t n = rollup::bucket_count(a, a + len, size);
        std::map<std::optional<std::string>, std::vector<Values>> want;
        std::map<std::optional<std::string>, std::int64_t> totals;
        for (const auto& r : *records_) {
          if (r.timestamp_ms < a || r.timestamp_ms > a + len) continue;
          if (by_model && r.model.empty()) continue;
          std::optional<std::string> key;
          if (by_model) key = r.model;
          auto& vec = want[key];
          vec.resize(static_cast<std::size_t>(n));
          vec[static_cast<std::size_t>((rollup::bucket_floor(r.timestamp_ms, size) - first) /
                                       rollup::bucket_ms(size))]
              .add(r);
          ++totals[key];
        }
        if (!by_model) want[std::nullopt].resize(static_cast<std::size_t>(n));
        ASSERT_EQ(ts.series.size(), want.size());
        for (std::size_t s = 0; s < ts.series.size(); ++s) {
          const auto& series = ts.series[s];
          if (s > 0) {
            EXPECT_GE(totals[ts.series[s - 1].model], totals[series.model]);
          }
          ASSERT_EQ(series.points.size(), static_cast<std::size_t>(n));
          for (std::size_t p = 0; p < series.points.size(); ++p) {
            EXPECT_EQ(series.points[p].t_ms,
                      first + static_cast<std::int64_t>(p) * rollup::bucket_ms(size));
            expect_point(series.points[p], want.at(series.model)[p]);
            if (HasFatalFailure()) return;
          }
        }
      }
    }
  }
}

TEST_F(RollupStore, TimeseriesEmptyBucketsHaveZerosAndNulls) {
  const std::int64_t far = (kStart - 30 * kDayMs) / kMinuteMs * kMinuteMs;
  const auto ts = store_->timeseries({far, far + 10 * kMinuteMs - 1, kMinuteMs, 0, false});
  ASSERT_EQ(ts.series.size(), 1u);
  EXPECT_FALSE(ts.series[0].model);
  ASSERT_EQ(ts.series[0].points.size(), 10u);
  for (const auto& p : ts.series[0].points) {
    EXPECT_EQ(p.successful + p.failed + p.total_tokens, 0);
    EXPECT_FALSE(p.response_time_ms.avg);
    EXPECT_FALSE(p.response_time_ms.p99);
    EXPECT_FALSE(p.avg_tokens_per_second);
  }
  EXPECT_TRUE(store_->timeseries({far, far + kMinuteMs, kMinuteMs, 0, true}).series.empty());
}

TEST_F(RollupStore, FirstRecordTime) {
  std::int64_t first = INT64_MAX;
  for (const auto& r : *records_) first = std::min(first, r.timestamp_ms);
  EXPECT_EQ(store_->first_record_time(), first);
}

TEST(RollupStoreReads, EveryPieceQueryUsesItsPrimaryKeyRange) {
  // Every shape of piece query (each table, bounded, open at one end) searches the primary key
  // (or, for raw pieces, the timestamp index) instead of scanning.
  TempDir dir;
  auto store = open_store(dir.file("metrics.db"));
  auto raw = open_raw(dir.file("metrics.db"));
  using rollup::Piece;
  using rollup::Tier;
  const std::vector<std::pair<Piece, Source>> shapes{
      {{Tier::raw, kStart, kStart + 10}, Source::raw},
      {{Tier::minute, kStart, kStart + kHourMs}, Source::model},
      {{Tier::five_minutes, kStart, kStart + kHourMs}, Source::model},
      {{Tier::hour, kStart, kStart + kDayMs}, Source::model},
      {{Tier::day, kStart, kStart + 30 * kDayMs}, Source::model},
      {{Tier::day, rollup::kNegInfMs, kStart}, Source::model},
      {{Tier::day, kStart, rollup::kPosInfMs}, Source::model},
      {{Tier::minute, kStart, kStart + kHourMs}, Source::errors},
      {{Tier::hour, kStart, kStart + kDayMs}, Source::errors},
      {{Tier::day, kStart, kStart + 30 * kDayMs}, Source::errors},
      {{Tier::day, rollup::kNegInfMs, kStart}, Source::errors},
      {{Tier::minute, kStart, kStart + kHourMs}, Source::origins},
      {{Tier::hour, kStart, kStart + kDayMs}, Source::origins},
      {{Tier::day, kStart, kStart + 30 * kDayMs}, Source::origins},
      {{Tier::day, rollup::kNegInfMs, kStart}, Source::origins},
  };
  for (const auto& [piece, source] : shapes) {
    const PieceQuery q = piece_query(piece, source);
    auto st = raw.prepare("EXPLAIN QUERY PLAN " + q.sql);
    std::string plan;
    while (st.step()) plan += st.column_text(3) + "\n";
    const char* want =
        piece.tier == Tier::raw ? "idx_completion_requests_timestamp" : "PRIMARY KEY (bucket";
    EXPECT_NE(plan.find(want), std::string::npos) << q.sql << "\n" << plan;
    EXPECT_EQ(plan.find("SCAN"), std::string::npos) << q.sql << "\n" << plan;
  }
}

TEST(RollupMigration, Version4DatabaseGetsItsRollupsBuilt) {
  TempDir dir;
  const std::string path = dir.file("metrics.db");
  const auto records = random_records(1500, 77);
  {
    auto store = open_store(path);
    store->insert(records);
  }
  // Turn it back into a version-4 database: no rollup tables, no version 5 or 6.
  {
    auto raw = open_raw(path);
    for (const char* t :
         {"rollup_model_1m", "rollup_model_5m", "rollup_model_1h", "rollup_model_1d",
          "rollup_error_1m", "rollup_error_1h", "rollup_error_1d", "rollup_origin_1m",
          "rollup_origin_1h", "rollup_origin_1d"})
      raw.exec(fmt::format("DROP TABLE {}", t).c_str());
    raw.exec("DELETE FROM schema_version WHERE version >= 5;");
    // A reference row whose time cannot be read counts only in an unbounded summary.
    raw.exec(
        "INSERT INTO completion_requests (timestamp, success, model, is_streaming) "
        "VALUES (NULL, 1, 'ghost', 0)");
  }
  auto store = open_store(path);
  EXPECT_EQ(store->schema_version(), 6);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "backups"));
  auto raw = open_raw(path);
  const std::int64_t with_origin =
      query_int(raw, "SELECT COUNT(*) FROM completion_requests WHERE COALESCE(origin, '') <> ''");
  const std::int64_t failed_typed =
      query_int(raw,
                "SELECT COUNT(*) FROM completion_requests WHERE NOT success AND "
                "COALESCE(error_type, '') <> ''");
  EXPECT_GT(with_origin, 0);
  EXPECT_GT(failed_typed, 0);
  EXPECT_EQ(query_int(raw, "SELECT SUM(requests) FROM rollup_origin_1m"), with_origin);
  EXPECT_EQ(query_int(raw, "SELECT SUM(requests) FROM rollup_origin_1d"), with_origin);
  EXPECT_EQ(query_int(raw, "SELECT SUM(requests) FROM rollup_error_1m"), failed_typed);
  EXPECT_EQ(query_int(raw, "SELECT SUM(requests) FROM rollup_error_1h"), failed_typed);
  EXPECT_EQ(query_int(raw, "SELECT SUM(requests) FROM rollup_model_5m"), 1501);
  EXPECT_EQ(query_int(raw, "SELECT SUM(requests) FROM rollup_model_1d"), 1501);
  EXPECT_EQ(query_int(raw, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'rollup_minute'"), 0);

  const auto all = store->summarize({});
  EXPECT_EQ(all.total, 1501);
  for (const TimeRange& range :
       {TimeRange{kStart + 3 * kHourMs + 7, kStart + kDayMs},
        TimeRange{std::nullopt, kStart + kDayMs}, TimeRange{kStart, std::nullopt}}) {
    expect_summary_matches(store->summarize(range), records, range);  // no ghost
  }
  EXPECT_TRUE(std::any_of(all.model_distribution.begin(), all.model_distribution.end(),
                          [](const auto& c) { return c.name == "ghost"; }));
  // New inserts add to the built rollups.
  store->insert(std::span(records).subspan(0, 100));
  EXPECT_EQ(store->summarize({}).total, 1601);
}

// Fills migration 5's minute table as a version-5 build did: one row per full key and minute,
// with sums and histograms (an unbounded batch, so plain INSERTs).
void write_legacy_minutes(Database& db) {
  rollup::Batch batch(kMinuteMs);
  auto st = db.prepare(fmt::format("SELECT {} FROM completion_requests", kSampleColumns));
  while (st.step()) batch.add(sample_from_row(st));
  auto ins = db.prepare(
      "INSERT INTO rollup_minute VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
      "?, ?, ?, ?, ?, ?, ?)");
  const auto text = [&ins](int i, const std::string& v) {  // '' for empty: the key is NOT NULL
    sqlite3_bind_text(ins.get(), i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  };
  for (const auto& [k, a] : batch.entries()) {
    int i = 0;
    ins.bind_int(++i, k.bucket_ms);
    text(++i, k.model);
    ins.bind_int(++i, k.is_streaming);
    ins.bind_int(++i, k.success);
    text(++i, k.error_type);
    text(++i, k.origin);
    text(++i, k.endpoint);
    for (std::int64_t v :
         {a.requests, a.tokens_reported, a.tokens_total, a.prompt_tokens, a.completion_tokens})
      ins.bind_int(++i, v);
    for (const rollup::Sum* s : {&a.tokens_per_second, &a.response_time, &a.time_to_first_token,
                                 &a.time_to_last_token, &a.completion_duration}) {
      ins.bind_double(++i, s->sum);
      ins.bind_int(++i, s->count);
    }
    for (const auto* h :
         {&a.response_time_hist, &a.time_to_first_token_hist, &a.time_per_output_token_hist}) {
      const std::string e = h->encode();
      sqlite3_bind_blob64(ins.get(), ++i, e.data(), e.size(), SQLITE_TRANSIENT);
    }
    ins.step();
    ins.reset();
  }
}

TEST(RollupMigration, Version5RollupsAreConvertedExactly) {
  TempDir dir;
  const std::string path = dir.file("metrics.db");
  const auto records = random_records(2000, 91);
  {
    auto store = open_store(path);
    store->insert(records);
  }
  std::vector<MetricsSummary> before;
  std::vector<Timeseries> before_ts;
  const std::vector<TimeRange> ranges{TimeRange{},
                                      TimeRange{kStart + 3 * kHourMs + 7, kStart + kDayMs},
                                      TimeRange{kStart + 17, kStart + 2 * kDayMs + 5 * kHourMs}};
  {
    auto store = open_store(path);
    for (const auto& r : ranges) before.push_back(store->summarize(r));
    before_ts.push_back(store->timeseries({kStart, kStart + kSpan, 5 * kMinuteMs, 0, true}));
  }
  // Make it a version-5 database written by a version-5 build: legacy tables filled from the
  // raw rows, the new tables gone.
  {
    auto raw = open_raw(path);
    for (const char* t :
         {"rollup_model_1m", "rollup_model_5m", "rollup_model_1h", "rollup_model_1d",
          "rollup_error_1m", "rollup_error_1h", "rollup_error_1d", "rollup_origin_1m",
          "rollup_origin_1h", "rollup_origin_1d"})
      raw.exec(fmt::format("DROP TABLE {}", t).c_str());
    raw.exec("DELETE FROM schema_version WHERE version >= 6;");
    create_legacy_rollup_tables(raw);
    write_legacy_minutes(raw);
    // Remove the raw rows' say: a conversion must come from the legacy rows. (Restored below.)
    raw.exec(
        "CREATE TABLE saved AS SELECT * FROM completion_requests; "
        "DELETE FROM completion_requests;");
  }
  {
    auto store = open_store(path);
    EXPECT_EQ(store->schema_version(), 6);
  }
  {
    auto raw = open_raw(path);
    EXPECT_EQ(query_int(raw, "SELECT SUM(requests) FROM rollup_model_1h"), 2000);
    EXPECT_EQ(query_int(raw, "SELECT SUM(requests) FROM rollup_model_1d"), 2000);
    EXPECT_EQ(query_int(raw, "SELECT SUM(requests) FROM rollup_origin_1d"),
              query_int(raw, "SELECT COUNT(*) FROM saved WHERE COALESCE(origin, '') <> ''"));
    EXPECT_EQ(query_int(raw, "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'rollup_minute'"),
              0);
    raw.exec("INSERT INTO completion_requests SELECT * FROM saved; DROP TABLE saved;");
  }
  auto store = open_store(path);
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    const auto after = store->summarize(ranges[i]);
    EXPECT_EQ(after.total, before[i].total);
    EXPECT_EQ(after.streamed.error_types, before[i].streamed.error_types);
    EXPECT_EQ(after.origin_distribution, before[i].origin_distribution);
    EXPECT_EQ(after.model_distribution, before[i].model_distribution);
    EXPECT_EQ(after.percentiles_all, before[i].percentiles_all);
    EXPECT_EQ(after.streamed.tokens_total, before[i].streamed.tokens_total);
    expect_summary_matches(after, records, ranges[i]);
  }
  const auto ts = store->timeseries({kStart, kStart + kSpan, 5 * kMinuteMs, 0, true});
  ASSERT_EQ(ts.series.size(), before_ts[0].series.size());
  for (std::size_t s = 0; s < ts.series.size(); ++s) {
    ASSERT_EQ(ts.series[s].points.size(), before_ts[0].series[s].points.size());
    for (std::size_t p = 0; p < ts.series[s].points.size(); ++p) {
      EXPECT_EQ(ts.series[s].points[p].successful, before_ts[0].series[s].points[p].successful);
      EXPECT_EQ(ts.series[s].points[p].response_time_ms.p95,
                before_ts[0].series[s].points[p].response_time_ms.p95);
    }
  }
}

TEST(RollupWrites, DamagedStoredHistogramIsReplacedNotFatal) {
  TempDir dir;
  const std::string path = dir.file("metrics.db");
  auto store = open_store(path);
  auto records = random_records(50, 3);
  for (auto& r : records) r.timestamp_ms = kStart, r.response_time_ms = 100;
  store->insert(records);
  {
    auto raw = open_raw(path);
    raw.exec("UPDATE rollup_model_1m SET rt_hist = x'ffffffff'");
  }
  store->insert(records);                             // must not throw
  const auto s = store->summarize({kStart, kStart});  // raw edge rows: exact
  EXPECT_EQ(s.total, 100);
  const auto whole = store->summarize(
      {kStart / kMinuteMs * kMinuteMs, kStart / kMinuteMs * kMinuteMs + kMinuteMs - 1});
  EXPECT_EQ(whole.total, 100);
  EXPECT_TRUE(whole.percentiles_all.response_time_ms.p50);
}

}  // namespace
}  // namespace lmp::storage::sqlite
