// The storage interface: what the recorder writes and the metrics API reads. Implementations
// (storage/sqlite/, later storage/postgres/) know nothing of HTTP.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "llm/completion_record.hpp"

namespace lmp::storage {

// Raised for a database that cannot be opened, migrated, read or written. The message says
// what failed and what to do; it never contains request content.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Both ends inclusive, Unix milliseconds UTC; an absent end is open.
struct TimeRange {
  std::optional<std::int64_t> start_ms;
  std::optional<std::int64_t> end_ms;
};

struct NamedCount {
  std::string name;
  std::int64_t count = 0;
  bool operator==(const NamedCount&) const = default;
};

// Aggregates over the streamed or the non-streamed requests of a range. Averages are over
// the requests where the value is known (not null); nullopt when there is none.
struct GroupSummary {
  std::int64_t total = 0;
  std::int64_t successful = 0;
  std::int64_t failed = 0;
  std::int64_t tokens_reported_count = 0;  // requests whose total_tokens is known
  std::int64_t tokens_total = 0;           // sums over those requests
  std::int64_t prompt_tokens_total = 0;
  std::int64_t completion_tokens_total = 0;
  std::optional<double> avg_tokens_per_second;  // mean of the per-request values
  std::optional<double> avg_response_time_ms;
  std::optional<double> avg_time_to_first_token_ms;
  std::optional<double> avg_time_to_last_token_ms;
  std::optional<double> avg_completion_duration_ms;  // mean of (last - first token)
  std::vector<NamedCount> error_types;               // failed requests only, count descending
};

// Nearest-rank percentiles read from merged log-scale histograms: each is within 1% (relative)
// of the exact percentile of the same requests (docs/architecture.md). nullopt without data.
struct Percentiles {
  std::optional<double> p50;
  std::optional<double> p90;
  std::optional<double> p95;
  std::optional<double> p99;
  bool operator==(const Percentiles&) const = default;
};

struct LatencyPercentiles {
  Percentiles response_time_ms;
  Percentiles time_to_first_token_ms;
  Percentiles time_per_output_token_ms;  // streamed requests with more than one output token
  bool operator==(const LatencyPercentiles&) const = default;
};

// One model's share of a range. Token sums are over the requests whose usage is known.
struct ModelSummary {
  std::string model;
  std::int64_t total = 0;
  std::int64_t successful = 0;
  std::int64_t failed = 0;
  std::optional<double> avg_response_time_ms;
  std::optional<double> p50_response_time_ms;
  std::optional<double> p95_response_time_ms;
  std::optional<double> avg_time_to_first_token_ms;
  std::optional<double> p95_time_to_first_token_ms;
  std::int64_t prompt_tokens_total = 0;
  std::int64_t completion_tokens_total = 0;
  std::int64_t tokens_total = 0;
  std::optional<double> avg_tokens_per_second;
  bool operator==(const ModelSummary&) const = default;
};

struct MetricsSummary {
  std::int64_t total = 0;
  std::int64_t successful = 0;
  std::int64_t failed = 0;
  std::optional<double> avg_response_time_ms;
  GroupSummary streamed;
  GroupSummary non_streamed;
  std::vector<NamedCount> model_distribution;   // count descending, no empty names
  std::vector<NamedCount> origin_distribution;  // count descending, no empty names
  LatencyPercentiles percentiles_all;
  LatencyPercentiles percentiles_streamed;
  LatencyPercentiles percentiles_non_streamed;
  std::vector<ModelSummary> models;  // total descending, then name; no empty names
};

// Time buckets of a timeseries, on natural UTC boundaries (see storage/rollup/time_buckets.hpp).
struct TimeseriesQuery {
  std::int64_t start_ms = 0;  // both inclusive; buckets run from the one holding start
  std::int64_t end_ms = 0;    // to the one holding end, but count only requests in the range
  std::int64_t bucket_ms = 60'000;
  std::int64_t bucket_offset_ms = 0;  // weeks start on Monday: 4 days after the epoch
  bool by_model = false;
};

struct LatencyStats {
  std::optional<double> avg;
  std::optional<double> p50;
  std::optional<double> p95;
  std::optional<double> p99;
  bool operator==(const LatencyStats&) const = default;
};

struct TimeseriesPoint {
  std::int64_t t_ms = 0;  // the bucket's start
  std::int64_t successful = 0;
  std::int64_t failed = 0;
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t total_tokens = 0;
  LatencyStats response_time_ms;
  LatencyStats time_to_first_token_ms;
  std::optional<double> avg_tokens_per_second;
  bool operator==(const TimeseriesPoint&) const = default;
};

struct TimeseriesSeries {
  std::optional<std::string> model;     // nullopt: all models together
  std::vector<TimeseriesPoint> points;  // every bucket, empty ones with zeros and nullopts
};

struct Timeseries {
  // One series for all models, or with by_model one per (non-empty) model, most requests first.
  std::vector<TimeseriesSeries> series;
};

struct StoredRecord {
  std::int64_t id = 0;
  llm::CompletionRecord record;
};

// Position after the last row of a page, in (timestamp, id) descending order.
struct Cursor {
  std::int64_t timestamp_ms = 0;
  std::int64_t id = 0;
};
std::string encode_cursor(const Cursor& cursor);
std::optional<Cursor> decode_cursor(std::string_view text);

struct RequestQuery {
  TimeRange range;
  std::size_t limit = 100;
  std::optional<Cursor> after;  // rows strictly older than this position
  // Optional filters (all must match).
  std::optional<std::string> model;
  std::optional<bool> is_streaming;
  std::optional<bool> success;
  std::optional<std::string> error_type;
  std::optional<std::string> origin;
};

struct RequestPage {
  std::vector<StoredRecord> rows;  // newest first: timestamp descending, then id descending
  std::optional<Cursor> next;      // set when more rows may follow
};

// Thread safety: insert() is called by one thread at a time (the recorder's writer); the read
// functions may be called concurrently from any threads, also while insert() runs.
class Store {
 public:
  virtual ~Store() = default;

  // Writes all records in one transaction; throws StoreError and writes none on failure.
  virtual void insert(std::span<const llm::CompletionRecord> records) = 0;

  virtual MetricsSummary summarize(const TimeRange& range) = 0;
  virtual RequestPage list_requests(const RequestQuery& query) = 0;

  // Not pure, so that test doubles written before them keep compiling; the default throws
  // StoreError (the API answers 503).
  virtual Timeseries timeseries(const TimeseriesQuery& query);
  // The timestamp of the oldest record, nullopt when there is none.
  virtual std::optional<std::int64_t> first_record_time();

  // Called by the writer (like insert) when it has had nothing to write for a while: gives
  // back memory that caches hold and that a quiet store does not need. Default: nothing.
  virtual void release_memory() {}
};

}  // namespace lmp::storage
