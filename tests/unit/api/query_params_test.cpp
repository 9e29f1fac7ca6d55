#include "api/query_params.hpp"

#include <gtest/gtest.h>

#include "support/time.hpp"

namespace lmp::api {
namespace {

Target target(std::string_view text) {
  auto parsed = Target::parse(text);
  if (auto* e = std::get_if<ParamError>(&parsed)) ADD_FAILURE() << e->message;
  return std::get<Target>(std::move(parsed));
}

std::int64_t ms(std::string_view iso) {
  return time::parse_iso8601(iso).value();
}

template <class T>
ParamError error_of(Parsed<T> parsed) {
  auto* e = std::get_if<ParamError>(&parsed);
  if (e == nullptr) {
    ADD_FAILURE() << "expected a ParamError";
    return {};
  }
  return *e;
}

RequestListParams list_of(std::string_view text, PagingLimits limits = {}) {
  auto parsed = parse_request_list(target(text), limits);
  if (auto* e = std::get_if<ParamError>(&parsed)) ADD_FAILURE() << e->message;
  return std::get<RequestListParams>(std::move(parsed));
}

TEST(Target, SplitsPathAndDecodesParameters) {
  const Target t = target("/completion_requests?model=llama%203%3A8b&x=1&model=second&flag");
  EXPECT_EQ(t.path(), "/completion_requests");
  ASSERT_NE(t.find("model"), nullptr);
  EXPECT_EQ(t.find("model")->value, "llama 3:8b");  // the first occurrence counts
  ASSERT_NE(t.find("flag"), nullptr);
  EXPECT_EQ(t.find("flag")->value, "");
  EXPECT_EQ(t.find("absent"), nullptr);
}

TEST(Target, DecodesPlusAsSpaceAndKeepsTheLiteralForm) {
  const Target t = target("/metrics?a=b+c");
  EXPECT_EQ(t.find("a")->value, "b c");
  EXPECT_EQ(t.find("a")->value_plus_kept, "b+c");
}

TEST(Target, RejectsAMalformedTarget) {
  const ParamError e = error_of(Target::parse("/metrics?start=%zz"));
  EXPECT_EQ(e.param, "");
  EXPECT_NE(e.message.find("malformed request target"), std::string::npos) << e.message;
  EXPECT_TRUE(std::holds_alternative<ParamError>(Target::parse("metrics")));
}

TEST(Target, WithParamReplacesOrAddsAndKeepsTheRest) {
  EXPECT_EQ(target("/completion_requests?model=a%20b&limit=5").with_param("cursor", "12.3"),
            "/completion_requests?model=a%20b&limit=5&cursor=12.3");
  EXPECT_EQ(target("/completion_requests?cursor=1.1&limit=5").with_param("cursor", "12.3"),
            "/completion_requests?cursor=12.3&limit=5");
  EXPECT_EQ(target("/completion_requests").with_param("cursor", "12.3"),
            "/completion_requests?cursor=12.3");
}

TEST(TimeRange, AbsentOrEmptyMeansOpen) {
  auto r = std::get<storage::TimeRange>(parse_time_range(target("/metrics")));
  EXPECT_FALSE(r.start_ms);
  EXPECT_FALSE(r.end_ms);
  r = std::get<storage::TimeRange>(parse_time_range(target("/metrics?start=&end=")));
  EXPECT_FALSE(r.start_ms);
  EXPECT_FALSE(r.end_ms);
}

TEST(TimeRange, AcceptsEveryIsoForm) {
  struct Case {
    std::string_view query;
    std::string_view expected;
  };
  const Case cases[] = {
      {"2026-11-29T10:00:00Z", "2026-11-29T10:00:00Z"},
      {"2026-11-29T10:00:00", "2026-11-29T10:00:00Z"},  // no zone: UTC
      {"2026-11-29", "2026-11-29T00:00:00Z"},
      {"2026-11-29T10:00:00.250Z", "2026-11-29T10:00:00.250Z"},
      {"2026-11-29T10:00:00%2B02:00", "2026-11-29T08:00:00Z"},
      {"2026-11-29T10:00:00+02:00", "2026-11-29T08:00:00Z"},  // '+' sent unencoded
      {"2026-11-29+10:00", "2026-11-29T10:00:00Z"},  // form-encoded space (URLSearchParams)
      {"2026-11-29%2010:00", "2026-11-29T10:00:00Z"},
      {"2026-11-29T10:00:00-05:00", "2026-11-29T15:00:00Z"},
  };
  for (const auto& c : cases) {
    const std::string text = "/metrics?start=" + std::string(c.query);
    auto parsed = parse_time_range(target(text));
    ASSERT_TRUE(std::holds_alternative<storage::TimeRange>(parsed)) << text;
    EXPECT_EQ(std::get<storage::TimeRange>(parsed).start_ms, ms(c.expected)) << text;
  }
  auto r = std::get<storage::TimeRange>(parse_time_range(target("/metrics?end=2026-01-02")));
  EXPECT_FALSE(r.start_ms);
  EXPECT_EQ(r.end_ms, ms("2026-01-02T00:00:00Z"));
}

TEST(TimeRange, NamesTheBadParameter) {
  ParamError e = error_of(parse_time_range(target("/metrics?start=yesterday")));
  EXPECT_EQ(e.param, "start");
  EXPECT_EQ(e.message,
            "invalid 'start': expected ISO 8601 like 2026-11-29T10:00:00Z, got 'yesterday'");
  e = error_of(parse_time_range(target("/metrics?start=2026-01-01&end=2026-02-30")));
  EXPECT_EQ(e.param, "end");
  e = error_of(parse_time_range(target("/metrics?start=2026-01-02&end=2026-01-01")));
  EXPECT_EQ(e.param, "start");
  EXPECT_NE(e.message.find("is after 'end'"), std::string::npos) << e.message;
  // start == end is a valid, one-instant range.
  EXPECT_TRUE(std::holds_alternative<storage::TimeRange>(
      parse_time_range(target("/metrics?start=2026-01-01&end=2026-01-01"))));
}

TEST(TimeRange, ShortensLongEchoedValues) {
  const ParamError e =
      error_of(parse_time_range(target("/metrics?start=" + std::string(1000, 'x'))));
  EXPECT_LT(e.message.size(), 200u);
}

TEST(RequestList, Defaults) {
  const RequestListParams p =
      list_of("/completion_requests", {.default_limit = 7, .max_limit = 10});
  EXPECT_EQ(p.query.limit, 7u);
  EXPECT_FALSE(p.query.after);
  EXPECT_FALSE(p.query.model);
  EXPECT_FALSE(p.query.is_streaming);
  EXPECT_FALSE(p.query.success);
  EXPECT_FALSE(p.query.error_type);
  EXPECT_FALSE(p.query.range.start_ms);
  EXPECT_FALSE(p.envelope);
}

TEST(RequestList, ReadsEveryParameter) {
  const RequestListParams p = list_of(
      "/completion_requests?limit=25&cursor=1700000000000.42&model=qwen%2Fqwen3&"
      "is_streaming=true&success=false&error_type=rate_limit&envelope=1&"
      "start=2026-01-01&end=2026-01-02&unknown=whatever");
  EXPECT_EQ(p.query.limit, 25u);
  ASSERT_TRUE(p.query.after);
  EXPECT_EQ(p.query.after->timestamp_ms, 1700000000000);
  EXPECT_EQ(p.query.after->id, 42);
  EXPECT_EQ(p.query.model, "qwen/qwen3");
  EXPECT_EQ(p.query.is_streaming, true);
  EXPECT_EQ(p.query.success, false);
  EXPECT_EQ(p.query.error_type, "rate_limit");
  EXPECT_TRUE(p.envelope);
  EXPECT_EQ(p.query.range.start_ms, ms("2026-01-01"));
  EXPECT_EQ(p.query.range.end_ms, ms("2026-01-02"));
}

TEST(RequestList, BooleansAcceptTrueFalseOneZeroInAnyCase) {
  EXPECT_EQ(list_of("/c?success=TRUE").query.success, true);
  EXPECT_EQ(list_of("/c?success=1").query.success, true);
  EXPECT_EQ(list_of("/c?success=False").query.success, false);
  EXPECT_EQ(list_of("/c?success=0").query.success, false);
  EXPECT_FALSE(list_of("/c?envelope=0").envelope);
}

TEST(RequestList, LimitAtTheMaximumIsAccepted) {
  EXPECT_EQ(list_of("/c?limit=50", {.default_limit = 10, .max_limit = 50}).query.limit, 50u);
}

TEST(RequestList, EveryBadParameterIsNamed) {
  const PagingLimits limits{.default_limit = 10, .max_limit = 50};
  struct Case {
    std::string_view query;
    std::string_view param;
  };
  const Case cases[] = {
      {"limit=0", "limit"},
      {"limit=-1", "limit"},
      {"limit=51", "limit"},
      {"limit=ten", "limit"},
      {"limit=10x", "limit"},
      {"limit=1e3", "limit"},
      {"limit=99999999999999999999999", "limit"},
      {"cursor=abc", "cursor"},
      {"cursor=12.", "cursor"},
      {"is_streaming=yes", "is_streaming"},
      {"success=maybe", "success"},
      {"error_type=timeout", "error_type"},
      {"error_type=none", "error_type"},
      {"envelope=page", "envelope"},
      {"start=now", "start"},
      {"end=2026-13-01", "end"},
      {"start=2026-02-01&end=2026-01-01", "start"},
  };
  for (const auto& c : cases) {
    const std::string text = "/completion_requests?" + std::string(c.query);
    const ParamError e = error_of(parse_request_list(target(text), limits));
    EXPECT_EQ(e.param, c.param) << text;
    EXPECT_NE(e.message.find(std::string(c.param)), std::string::npos) << e.message;
  }
  const ParamError e = error_of(parse_request_list(target("/c?error_type=timeout"), limits));
  EXPECT_NE(e.message.find("rate_limit"), std::string::npos) << "lists the valid values";
  const ParamError l = error_of(parse_request_list(target("/c?limit=0"), limits));
  EXPECT_EQ(l.message, "invalid 'limit': expected a whole number from 1 to 50, got '0'");
}

TEST(RequestList, OriginFilter) {
  EXPECT_EQ(list_of("/completion_requests?origin=http%3A%2F%2Fa").query.origin, "http://a");
  EXPECT_FALSE(list_of("/completion_requests?origin=").query.origin);
}

TimeseriesParams timeseries_of(std::string_view text) {
  auto parsed = parse_timeseries(target(text));
  if (auto* e = std::get_if<ParamError>(&parsed)) ADD_FAILURE() << e->message;
  return std::get<TimeseriesParams>(std::move(parsed));
}

TEST(Timeseries, ParsesBucketAndBy) {
  using storage::rollup::BucketSize;
  const auto p = timeseries_of("/timeseries?start=2026-11-01&bucket=15m&by=model");
  EXPECT_EQ(p.range.start_ms, ms("2026-11-01T00:00:00Z"));
  EXPECT_EQ(p.bucket, BucketSize::fifteen_minutes);
  EXPECT_TRUE(p.by_model);
  const auto d = timeseries_of("/timeseries?bucket=&by=");
  EXPECT_FALSE(d.bucket);
  EXPECT_FALSE(d.by_model);
  EXPECT_EQ(error_of(parse_timeseries(target("/timeseries?bucket=1y"))).param, "bucket");
  EXPECT_EQ(error_of(parse_timeseries(target("/timeseries?by=models"))).param, "by");
  EXPECT_EQ(error_of(parse_timeseries(target("/timeseries?start=x"))).param, "start");
}

TEST(Timeseries, ResolvesOpenEndsAndTheBucket) {
  using storage::rollup::BucketSize;
  const auto now = ms("2026-11-29T12:00:00Z");
  TimeseriesParams p;
  auto r = std::get<ResolvedTimeseries>(resolve_timeseries(p, now, ms("2026-11-29T00:00:00Z")));
  EXPECT_EQ(r.query.start_ms, ms("2026-11-29T00:00:00Z"));
  EXPECT_EQ(r.query.end_ms, now);
  EXPECT_EQ(r.bucket, BucketSize::five_minutes);  // 12 hours: 145 buckets
  r = std::get<ResolvedTimeseries>(resolve_timeseries(p, now, std::nullopt));
  EXPECT_EQ(r.query.start_ms, now);
  EXPECT_EQ(r.bucket, BucketSize::minute);
  // A first record after an explicit end: the range is that one instant.
  p.range.end_ms = ms("2026-01-01T00:00:00Z");
  r = std::get<ResolvedTimeseries>(resolve_timeseries(p, now, ms("2026-06-01T00:00:00Z")));
  EXPECT_EQ(r.query.start_ms, r.query.end_ms);
  p = {};
  p.range.start_ms = ms("2020-01-01T00:00:00Z");
  p.bucket = BucketSize::hour;
  EXPECT_EQ(error_of(resolve_timeseries(p, now, std::nullopt)).param, "bucket");
  p.bucket = BucketSize::week;
  r = std::get<ResolvedTimeseries>(resolve_timeseries(p, now, std::nullopt));
  EXPECT_EQ(r.query.bucket_offset_ms, 4 * 86'400'000);
  EXPECT_EQ(r.query.bucket_ms, 7 * 86'400'000);
}

}  // namespace
}  // namespace lmp::api
