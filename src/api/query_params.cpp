#include "api/query_params.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <charconv>

#include "llm/error_type.hpp"
#include "support/time.hpp"

namespace lmp::api {
namespace {

namespace urls = boost::urls;

// Echoing a client's value helps them find their mistake; a megabyte of it does not.
std::string shown(std::string_view value) {
  constexpr std::size_t kMaxShown = 80;
  if (value.size() <= kMaxShown) return std::string(value);
  return std::string(value.substr(0, kMaxShown)) + "...";
}

// The value of a parameter, or nullptr when absent or empty: dashboards send "start=" for
// "no bound", and treating that as absent keeps them working.
const QueryParam* non_empty(const Target& target, std::string_view name) {
  const QueryParam* p = target.find(name);
  return p != nullptr && !p->value.empty() ? p : nullptr;
}

Parsed<std::optional<std::int64_t>> parse_time(const Target& target, std::string_view name) {
  const QueryParam* p = non_empty(target, name);
  if (p == nullptr) return std::optional<std::int64_t>{};
  if (auto ms = time::parse_iso8601(p->value)) return std::optional<std::int64_t>{*ms};
  // '+' decoded as a space breaks a zone offset sent unencoded; try it as a literal '+'.
  if (auto ms = time::parse_iso8601(p->value_plus_kept)) return std::optional<std::int64_t>{*ms};
  return ParamError{std::string(name),
                    fmt::format("invalid '{}': expected ISO 8601 like 2026-11-29T10:00:00Z, "
                                "got '{}'",
                                name, shown(p->value))};
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

Parsed<std::optional<bool>> parse_bool(const Target& target, std::string_view name) {
  const QueryParam* p = non_empty(target, name);
  if (p == nullptr) return std::optional<bool>{};
  if (equals_ignore_case(p->value, "true") || p->value == "1") return std::optional<bool>{true};
  if (equals_ignore_case(p->value, "false") || p->value == "0") return std::optional<bool>{false};
  return ParamError{std::string(name), fmt::format("invalid '{}': expected true or false, got '{}'",
                                                   name, shown(p->value))};
}

std::string error_type_names() {
  std::string names;
  for (int i = static_cast<int>(llm::ErrorType::invalid_request);
       i <= static_cast<int>(llm::ErrorType::invalid_response); ++i) {
    if (!names.empty()) names += ", ";
    names += llm::to_string(static_cast<llm::ErrorType>(i));
  }
  return names;
}

}  // namespace

Parsed<Target> Target::parse(std::string_view target) {
  auto parsed = urls::parse_origin_form(target);
  if (!parsed) {
    return ParamError{"", fmt::format("malformed request target '{}': {}", shown(target),
                                      parsed.error().message())};
  }
  const urls::url_view& url = *parsed;
  Target out;
  out.target_ = std::string(target);
  out.path_ = url.path();
  const auto as_form = url.params(urls::encoding_opts(true));
  const auto as_rfc = url.params(urls::encoding_opts(false));
  for (auto a = as_form.begin(), b = as_rfc.begin(); a != as_form.end(); ++a, ++b) {
    const auto form = *a;
    const auto rfc = *b;
    out.params_.push_back({form.key, form.value, rfc.value});
  }
  return out;
}

const QueryParam* Target::find(std::string_view name) const {
  for (const auto& p : params_)
    if (p.name == name) return &p;
  return nullptr;
}

std::string Target::with_param(std::string_view name, std::string_view value) const {
  urls::url url(target_);  // parsed once already in parse(), so it cannot fail here
  url.params().set(name, value);
  return std::string(url.buffer());
}

Parsed<storage::TimeRange> parse_time_range(const Target& target) {
  storage::TimeRange range;
  auto start = parse_time(target, "start");
  if (auto* e = std::get_if<ParamError>(&start)) return std::move(*e);
  auto end = parse_time(target, "end");
  if (auto* e = std::get_if<ParamError>(&end)) return std::move(*e);
  range.start_ms = std::get<0>(start);
  range.end_ms = std::get<0>(end);
  if (range.start_ms && range.end_ms && *range.start_ms > *range.end_ms) {
    return ParamError{"start", fmt::format("'start' ({}) is after 'end' ({})",
                                           time::format_iso8601_utc(*range.start_ms),
                                           time::format_iso8601_utc(*range.end_ms))};
  }
  return range;
}

Parsed<RequestListParams> parse_request_list(const Target& target, const PagingLimits& limits) {
  RequestListParams out;
  auto& q = out.query;

  auto range = parse_time_range(target);
  if (auto* e = std::get_if<ParamError>(&range)) return std::move(*e);
  q.range = std::get<0>(range);

  q.limit = limits.default_limit;
  if (const QueryParam* p = non_empty(target, "limit")) {
    std::size_t n = 0;
    const auto& v = p->value;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc{} || end != v.data() + v.size() || n == 0 || n > limits.max_limit) {
      return ParamError{"limit",
                        fmt::format("invalid 'limit': expected a whole number from 1 to {}, got "
                                    "'{}'",
                                    limits.max_limit, shown(v))};
    }
    q.limit = n;
  }

  if (const QueryParam* p = non_empty(target, "cursor")) {
    q.after = storage::decode_cursor(p->value);
    if (!q.after) {
      return ParamError{"cursor",
                        fmt::format("invalid 'cursor': pass the X-Next-Cursor header (or "
                                    "next_cursor) of the previous page unchanged, got '{}'",
                                    shown(p->value))};
    }
  }

  if (const QueryParam* p = non_empty(target, "model")) q.model = p->value;

  auto streaming = parse_bool(target, "is_streaming");
  if (auto* e = std::get_if<ParamError>(&streaming)) return std::move(*e);
  q.is_streaming = std::get<0>(streaming);

  auto success = parse_bool(target, "success");
  if (auto* e = std::get_if<ParamError>(&success)) return std::move(*e);
  q.success = std::get<0>(success);

  if (const QueryParam* p = non_empty(target, "error_type")) {
    if (!llm::error_type_from_string(p->value)) {
      return ParamError{"error_type",
                        fmt::format("invalid 'error_type': expected one of {}, got '{}'",
                                    error_type_names(), shown(p->value))};
    }
    q.error_type = p->value;
  }

  if (const QueryParam* p = non_empty(target, "origin")) q.origin = p->value;

  auto envelope = parse_bool(target, "envelope");
  if (auto* e = std::get_if<ParamError>(&envelope)) return std::move(*e);
  out.envelope = std::get<0>(envelope).value_or(false);
  return out;
}

Parsed<TimeseriesParams> parse_timeseries(const Target& target) {
  namespace rollup = storage::rollup;
  TimeseriesParams out;
  auto range = parse_time_range(target);
  if (auto* e = std::get_if<ParamError>(&range)) return std::move(*e);
  out.range = std::get<0>(range);
  if (const QueryParam* p = non_empty(target, "bucket")) {
    out.bucket = rollup::bucket_size_from_string(p->value);
    if (!out.bucket) {
      return ParamError{"bucket",
                        fmt::format("invalid 'bucket': expected one of 1m, 5m, 15m, 1h, 6h, 1d, "
                                    "1w (or leave it out to have one chosen), got '{}'",
                                    shown(p->value))};
    }
  }
  if (const QueryParam* p = non_empty(target, "by")) {
    if (p->value != "model") {
      return ParamError{"by", fmt::format("invalid 'by': expected 'model' (one series per "
                                          "model) or nothing, got '{}'",
                                          shown(p->value))};
    }
    out.by_model = true;
  }
  return out;
}

Parsed<ResolvedTimeseries> resolve_timeseries(const TimeseriesParams& params, std::int64_t now_ms,
                                              std::optional<std::int64_t> first_record_ms) {
  namespace rollup = storage::rollup;
  const std::int64_t end = params.range.end_ms.value_or(now_ms);
  std::int64_t start =
      params.range.start_ms ? *params.range.start_ms : std::min(first_record_ms.value_or(end), end);
  if (start > end) {
    return ParamError{"start",
                      fmt::format("'start' ({}) is after 'end' ({}; now when absent)",
                                  time::format_iso8601_utc(start), time::format_iso8601_utc(end))};
  }
  ResolvedTimeseries out;
  out.bucket = params.bucket.value_or(rollup::auto_bucket_size(start, end));
  const std::int64_t n = rollup::bucket_count(start, end, out.bucket);
  if (n > kMaxTimeseriesBuckets) {
    return ParamError{
        "bucket", fmt::format("invalid 'bucket': {} buckets of {} from {} to {} is more than {}; "
                              "choose a larger bucket or a shorter range",
                              n, rollup::to_string(out.bucket), time::format_iso8601_utc(start),
                              time::format_iso8601_utc(end), kMaxTimeseriesBuckets)};
  }
  out.query.start_ms = start;
  out.query.end_ms = end;
  out.query.bucket_ms = rollup::bucket_ms(out.bucket);
  out.query.bucket_offset_ms = out.bucket == rollup::BucketSize::week ? rollup::kWeekOffsetMs : 0;
  out.query.by_model = params.by_model;
  return out;
}

}  // namespace lmp::api
