// Parses the request target of a metrics API call and validates its query parameters
// (time range, paging, filters) into store queries. Pure: no I/O, testable on strings.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "storage/rollup/time_buckets.hpp"
#include "storage/store.hpp"

namespace lmp::api {

// A parameter the client got wrong, for a 400 answer that names it.
struct ParamError {
  std::string param;  // the query parameter's name, empty when the target itself is malformed
  std::string message;
};

// A value, or the parameter that made it impossible.
template <class T>
using Parsed = std::variant<T, ParamError>;

struct QueryParam {
  std::string name;
  // Decoded the way HTML forms and the reference implementation (Starlette) decode: '+' is a
  // space. Clients that follow that convention keep working unchanged.
  std::string value;
  // Decoded per RFC 3986 only, '+' kept: the fallback for timestamps whose zone offset a
  // client sent unencoded ("...T10:00:00+02:00").
  std::string value_plus_kept;
};

// The request target split into its decoded path and parameters.
class Target {
 public:
  // Accepts an origin-form target ("/metrics?start=..."); a ParamError with an empty param
  // when it is malformed (a bad percent escape, for instance).
  static Parsed<Target> parse(std::string_view target);

  const std::string& path() const { return path_; }
  // The first parameter with that name; later duplicates are ignored.
  const QueryParam* find(std::string_view name) const;
  // The original target with `name` set to `value` (other parameters kept as sent), for the
  // Link header of the next page.
  std::string with_param(std::string_view name, std::string_view value) const;

 private:
  std::string target_;
  std::string path_;
  std::vector<QueryParam> params_;
};

// `start` and `end`: ISO 8601 with or without a zone (none means UTC), date-only allowed.
// Empty values count as absent. start > end is an error named after `start`.
Parsed<storage::TimeRange> parse_time_range(const Target& target);

struct PagingLimits {
  std::size_t default_limit = 1000;
  std::size_t max_limit = 10000;
};

// What GET /completion_requests asked for.
struct RequestListParams {
  storage::RequestQuery query;
  bool envelope = false;  // `envelope=1`: {"data": [...], "next_cursor": ...} instead of an array
};

// Time range, `limit`, `cursor`, `envelope` and the filters `model`, `is_streaming`,
// `success`, `error_type`, `origin`. Unknown parameters are ignored.
Parsed<RequestListParams> parse_request_list(const Target& target, const PagingLimits& limits);

// What GET /timeseries asked for, before the open ends are resolved.
struct TimeseriesParams {
  storage::TimeRange range;
  std::optional<storage::rollup::BucketSize> bucket;  // absent: chosen from the range
  bool by_model = false;                              // `by=model`
};

// `start`, `end`, `bucket` (1m, 5m, 15m, 1h, 6h, 1d, 1w) and `by` (model).
Parsed<TimeseriesParams> parse_timeseries(const Target& target);

// The most buckets one /timeseries answer may hold.
inline constexpr std::int64_t kMaxTimeseriesBuckets = 5000;

struct ResolvedTimeseries {
  storage::TimeseriesQuery query;
  storage::rollup::BucketSize bucket = storage::rollup::BucketSize::minute;
};

// Fills the open ends (start: the first record, or end when there is none; end: now), picks
// the bucket when none was given, and refuses more than kMaxTimeseriesBuckets buckets.
Parsed<ResolvedTimeseries> resolve_timeseries(const TimeseriesParams& params, std::int64_t now_ms,
                                              std::optional<std::int64_t> first_record_ms);

}  // namespace lmp::api
