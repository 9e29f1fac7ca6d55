#include "api/metrics_json.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "support/time.hpp"

namespace lmp::api {
namespace {

namespace bj = boost::json;

std::vector<std::string> keys_of(const bj::object& o) {
  std::vector<std::string> keys;
  for (const auto& kv : o) keys.emplace_back(kv.key());
  return keys;
}

constexpr std::int64_t kNow = 1'795'000'000'123;  // 2026-11-18T...

TEST(HealthJson, HealthyWithRecorderAndNoWarnings) {
  recording::RecorderStats stats{.submitted = 10,
                                 .written = 9,
                                 .dropped = 0,
                                 .write_errors = 0,
                                 .queue_depth = 1,
                                 .queue_capacity = 100};
  const bj::object o = bj::parse(health_json(kNow, stats)).as_object();
  EXPECT_EQ(keys_of(o), (std::vector<std::string>{"status", "timestamp", "version", "recorder"}));
  EXPECT_EQ(o.at("status"), "healthy");
  EXPECT_EQ(o.at("timestamp").as_string(), time::format_iso8601_utc(kNow));
  EXPECT_EQ(o.at("recorder"), bj::parse(R"({"submitted":10,"written":9,"dropped":0,
      "write_errors":0,"queue_depth":1,"queue_capacity":100})"));
}

TEST(HealthJson, WarnsAboutLostRecordsButStaysHealthy) {
  recording::RecorderStats stats{.submitted = 10,
                                 .written = 5,
                                 .dropped = 3,
                                 .write_errors = 2,
                                 .queue_depth = 95,
                                 .queue_capacity = 100};
  const bj::object o = bj::parse(health_json(kNow, stats)).as_object();
  EXPECT_EQ(o.at("status"), "healthy");
  const bj::array& warnings = o.at("warnings").as_array();
  ASSERT_EQ(warnings.size(), 3u);
  EXPECT_NE(warnings[0].as_string().find("3 records dropped"), bj::string::npos);
  EXPECT_NE(warnings[1].as_string().find("2 records lost"), bj::string::npos);
  EXPECT_NE(warnings[2].as_string().find("95% full"), bj::string::npos);
}

TEST(HealthJson, WithoutRecorder) {
  const bj::object o = bj::parse(health_json(kNow, std::nullopt)).as_object();
  EXPECT_FALSE(o.contains("recorder"));
  EXPECT_FALSE(o.contains("warnings"));
}

storage::MetricsSummary sample_summary() {
  storage::MetricsSummary s;
  s.total = 10;
  s.successful = 8;
  s.failed = 2;
  s.avg_response_time_ms = 1234.5678;
  s.streamed = {.total = 6,
                .successful = 5,
                .failed = 1,
                .tokens_reported_count = 4,
                .tokens_total = 400,
                .prompt_tokens_total = 100,
                .completion_tokens_total = 300,
                .avg_tokens_per_second = 63.7049,
                .avg_response_time_ms = 2000.0,
                .avg_time_to_first_token_ms = 150.125,
                .avg_time_to_last_token_ms = 1999.994,
                .avg_completion_duration_ms = 1849.87,
                .error_types = {{"stream_interrupted", 1}}};
  s.non_streamed.total = 4;
  s.non_streamed.successful = 3;
  s.non_streamed.failed = 1;
  s.non_streamed.error_types = {{"rate_limit", 1}};
  s.model_distribution = {{"zeta", 7}, {"alpha", 3}};
  s.origin_distribution = {{"http://localhost:3000", 9}, {"https://b.example", 1}};
  return s;
}

TEST(MetricsJson, MatchesTheCompatShapeFieldForField) {
  const bj::value v = bj::parse(metrics_json(kNow, sample_summary()));
  const bj::value expected = bj::parse(R"({
    "timestamp": ")" + time::format_iso8601_utc(kNow) +
                                       R"(",
    "requests": {
      "total": {"total": 10, "successful": 8, "failed": 2, "avg_response_time_ms": 1234.57},
      "streamed": {"total": 6, "successful": 5, "failed": 1,
        "tokens": {"reported_count": 4, "total": 400, "prompt_total": 100,
                   "completion_total": 300, "avg_tokens_per_second": 63.7},
        "error_types": {"stream_interrupted": 1},
        "avg_response_time_ms": 2000.0, "avg_time_to_first_token_ms": 150.13,
        "avg_time_to_last_token_ms": 1999.99, "avg_completion_duration_ms": 1849.87},
      "non_streamed": {"total": 4, "successful": 3, "failed": 1,
        "tokens": {"reported_count": 0, "total": 0, "prompt_total": 0,
                   "completion_total": 0, "avg_tokens_per_second": null},
        "error_types": {"rate_limit": 1},
        "avg_time_to_first_token_ms": null, "avg_time_to_last_token_ms": null,
        "avg_completion_duration_ms": null}
    },
    "model_distribution": {"zeta": 7, "alpha": 3},
    "origin_distribution": {"http://localhost:3000": 9, "https://b.example": 1}
  })");
  // The compat keys exactly; ours ("percentiles", "models") follow them.
  bj::value compat = v;
  compat.as_object().erase("percentiles");
  compat.as_object().erase("models");
  EXPECT_EQ(compat, expected) << bj::serialize(v);

  // Order as the compat document lists it, and distributions by count, not by name.
  const bj::object& o = v.as_object();
  EXPECT_EQ(keys_of(o), (std::vector<std::string>{"timestamp", "requests", "model_distribution",
                                                  "origin_distribution", "percentiles", "models"}));
  EXPECT_EQ(keys_of(o.at("model_distribution").as_object()),
            (std::vector<std::string>{"zeta", "alpha"}));
  EXPECT_EQ(keys_of(o.at("requests").at("streamed").as_object()),
            (std::vector<std::string>{"total", "successful", "failed", "tokens", "error_types",
                                      "avg_response_time_ms", "avg_time_to_first_token_ms",
                                      "avg_time_to_last_token_ms", "avg_completion_duration_ms"}));
  EXPECT_FALSE(o.at("requests").at("non_streamed").as_object().contains("avg_response_time_ms"));
}

TEST(MetricsJson, EmptyStoreGivesZerosAndNulls) {
  const bj::value v = bj::parse(metrics_json(kNow, {}));
  EXPECT_EQ(v.at("requests").at("total"),
            bj::parse(R"({"total":0,"successful":0,"failed":0,"avg_response_time_ms":null})"));
  EXPECT_TRUE(v.at("requests").at("streamed").at("avg_response_time_ms").is_null());
  EXPECT_TRUE(v.at("model_distribution").as_object().empty());
  EXPECT_TRUE(v.at("origin_distribution").as_object().empty());
}

TEST(MetricsJson, RoundsToTwoDecimalsAsText) {
  storage::MetricsSummary s;
  s.avg_response_time_ms = 0.005;
  s.streamed.avg_tokens_per_second = 12.0;
  s.streamed.avg_time_to_first_token_ms = 99.999;
  const std::string text = metrics_json(kNow, s);
  EXPECT_NE(text.find(R"("avg_response_time_ms":0.01)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("avg_tokens_per_second":12.0)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("avg_time_to_first_token_ms":100.0)"), std::string::npos) << text;
}

storage::StoredRecord full_record() {
  storage::StoredRecord row;
  row.id = 42;
  auto& r = row.record;
  r.timestamp_ms = kNow;
  r.endpoint = llm::Endpoint::chat_completions;
  r.client_address = "10.0.0.7";
  r.origin = "http://localhost:3000";
  r.api_key_fingerprint = "sha256:ab12";
  r.model = "llama3:8b";
  r.user = "alice";
  r.is_streaming = true;
  r.message_count = 3;
  r.request_bytes = 512;
  r.response_bytes = 4096;
  r.success = false;
  r.status_code = 200;
  r.error_type = llm::ErrorType::stream_interrupted;
  r.error_message = "backend closed the stream early";
  r.finish_reason = "length";
  r.response_time_ms = 2500.456;
  r.time_to_first_byte_ms = 80.1;
  r.time_to_first_token_ms = 120.333;
  r.time_to_last_token_ms = 2499.999;
  r.max_inter_token_gap_ms = 300.0;
  r.prompt_tokens = 20;
  r.completion_tokens = 150;
  r.total_tokens = 170;
  r.tokens_per_second = 60.0004;
  r.degraded = true;
  return row;
}

TEST(RequestJson, CompatFieldsFirstThenOurs) {
  storage::RequestPage page;
  page.rows.push_back(full_record());
  const bj::value v = bj::parse(request_list_json(page, false));
  ASSERT_TRUE(v.is_array());
  const bj::value expected = bj::parse(R"({
    "timestamp": ")" + time::format_iso8601_utc(kNow) +
                                       R"(",
    "is_streaming": true, "success": false, "error_type": "stream_interrupted",
    "message_count": 3,
    "timing": {"time_to_first_token_ms": 120.33, "time_to_last_token_ms": 2500.0,
               "response_time_ms": 2500.46, "time_to_first_byte_ms": 80.1,
               "max_inter_token_gap_ms": 300.0},
    "tokens": {"total": 170, "prompt": 20, "completion": 150},
    "model": "llama3:8b", "origin": "http://localhost:3000",
    "id": 42, "endpoint": "chat/completions", "status_code": 200, "finish_reason": "length",
    "tokens_per_second": 60.0, "user": "alice", "client_address": "10.0.0.7",
    "api_key_fingerprint": "sha256:ab12", "request_bytes": 512, "response_bytes": 4096,
    "degraded": true, "error_message": "backend closed the stream early"
  })");
  ASSERT_EQ(v.as_array().size(), 1u);
  EXPECT_EQ(v.as_array()[0], expected) << bj::serialize(v);
  const bj::object& o = v.as_array()[0].as_object();
  const auto keys = keys_of(o);
  const std::vector<std::string> compat_keys{"timestamp",  "is_streaming",  "success",
                                             "error_type", "message_count", "timing",
                                             "tokens",     "model",         "origin"};
  EXPECT_EQ(std::vector<std::string>(keys.begin(), keys.begin() + 9), compat_keys);
  const auto timing_keys = keys_of(o.at("timing").as_object());
  EXPECT_EQ(std::vector<std::string>(timing_keys.begin(), timing_keys.begin() + 3),
            (std::vector<std::string>{"time_to_first_token_ms", "time_to_last_token_ms",
                                      "response_time_ms"}));
}

TEST(RequestJson, UnknownValuesAreNull) {
  storage::StoredRecord row;
  row.id = 1;
  row.record.timestamp_ms = kNow;
  row.record.success = true;
  storage::RequestPage page;
  page.rows.push_back(row);
  const bj::object o = bj::parse(request_list_json(page, false)).as_array()[0].as_object();
  for (const char* key :
       {"error_type", "message_count", "model", "origin", "status_code", "finish_reason",
        "tokens_per_second", "user", "client_address", "api_key_fingerprint", "error_message"})
    EXPECT_TRUE(o.at(key).is_null()) << key;
  for (const auto& kv : o.at("timing").as_object()) EXPECT_TRUE(kv.value().is_null()) << kv.key();
  for (const auto& kv : o.at("tokens").as_object()) EXPECT_TRUE(kv.value().is_null()) << kv.key();
}

TEST(RequestJson, EnvelopeCarriesTheNextCursor) {
  storage::RequestPage page;
  EXPECT_EQ(bj::parse(request_list_json(page, true)),
            bj::parse(R"({"data":[],"next_cursor":null})"));
  page.rows.push_back(full_record());
  page.next = storage::Cursor{.timestamp_ms = kNow, .id = 42};
  const bj::value v = bj::parse(request_list_json(page, true));
  EXPECT_EQ(v.at("data").as_array().size(), 1u);
  EXPECT_EQ(v.at("next_cursor").as_string(), storage::encode_cursor(*page.next));
  EXPECT_EQ(request_list_json({}, false), "[]");
}

TEST(ErrorJson, OpenAiShapeWithOptionalParam) {
  EXPECT_EQ(bj::parse(error_json("bad", "invalid_request_error", "invalid_parameter", "start")),
            bj::parse(R"({"error":{"message":"bad","type":"invalid_request_error",
                "code":"invalid_parameter","param":"start"}})"));
  EXPECT_FALSE(bj::parse(error_json("x", "not_found", "not_found"))
                   .at("error")
                   .as_object()
                   .contains("param"));
}

}  // namespace
}  // namespace lmp::api
