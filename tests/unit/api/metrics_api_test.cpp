// Runs MetricsApi behind the real server loop on an ephemeral port and talks to it over TCP.
#include "api/metrics_api.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <boost/json.hpp>
#include <thread>

#include "net/listener.hpp"
#include "support/time.hpp"
#include "unit/api/fake_store.hpp"

namespace lmp::api {
namespace {

namespace bj = boost::json;
namespace asio = net::asio;
namespace http = net::http;
using net::tcp;
using testing::FakeStore;

struct Reply {
  net::Response response;
  bj::value json;  // null when the body is empty or not JSON

  http::status status() const { return response.result(); }
  std::string header(http::field f) const { return std::string(response[f]); }
  std::string header(std::string_view name) const { return std::string(response[name]); }
  // The "error" object of an error answer.
  const bj::object& error() const { return json.at("error").as_object(); }
};

// How the app wires it: serve_http with the API's handle() as the request handler. Not a
// coroutine: GCC 12 destroys a capturing lambda built inside a co_await expression twice.
net::awaitable<void> serve(std::shared_ptr<MetricsApi> api, tcp::socket socket) {
  return net::serve_http(
      std::move(socket),
      [api = std::move(api)](net::beast::tcp_stream& stream, net::Request& request) {
        return api->handle(stream, request);
      },
      net::ServerLimits{});
}

class MetricsApiTest : public ::testing::Test {
 protected:
  void TearDown() override { stop(); }

  void start(MetricsApiOptions options = {}) {
    api_ = std::make_shared<MetricsApi>(
        store_,
        [this] {
          std::lock_guard lock(stats_mutex_);
          return stats_;
        },
        pool_.get_executor(), std::move(options));
    listener_ = std::make_unique<net::Listener>(
        io_.get_executor(), "127.0.0.1", 0,
        [api = api_](tcp::socket socket) { return serve(api, std::move(socket)); });
    port_ = listener_->local_endpoint().port();
    listener_->start();
    io_thread_ = std::thread([this] { io_.run(); });
  }

  void stop() {
    if (!io_thread_.joinable()) return;
    asio::post(io_, [this] { listener_->stop(); });
    io_.stop();
    io_thread_.join();
    pool_.join();
  }

  void set_stats(recording::RecorderStats stats) {
    std::lock_guard lock(stats_mutex_);
    stats_ = stats;
  }

  Reply request(http::verb verb, std::string target,
                std::vector<std::pair<std::string, std::string>> headers = {}) {
    asio::io_context client;
    net::beast::tcp_stream stream(client);
    stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    net::Request req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) req.set(name, value);
    http::write(stream, req);
    net::beast::flat_buffer buffer;
    Reply reply;
    http::response_parser<http::string_body> parser;
    // The answer to HEAD has headers only.
    parser.skip(verb == http::verb::head);
    http::read(stream, buffer, parser);
    reply.response = parser.release();
    if (!reply.response.body().empty()) {
      boost::system::error_code ec;
      reply.json = bj::parse(reply.response.body(), ec);
    }
    return reply;
  }

  Reply get(std::string target, std::vector<std::pair<std::string, std::string>> headers = {}) {
    return request(http::verb::get, std::move(target), std::move(headers));
  }

  void expect_bad_parameter(const std::string& target, std::string_view param) {
    SCOPED_TRACE(target);
    const Reply r = get(target);
    EXPECT_EQ(r.status(), http::status::bad_request);
    EXPECT_EQ(r.header(http::field::content_type), "application/json");
    EXPECT_EQ(r.error().at("type"), "invalid_request_error");
    EXPECT_EQ(r.error().at("code"), "invalid_parameter");
    EXPECT_EQ(r.error().at("param").as_string(), param);
    EXPECT_NE(r.error().at("message").as_string().find(param), bj::string::npos);
  }

  std::shared_ptr<FakeStore> store_ = std::make_shared<FakeStore>();
  asio::io_context io_;
  asio::thread_pool pool_{2};
  std::shared_ptr<MetricsApi> api_;
  std::unique_ptr<net::Listener> listener_;
  std::thread io_thread_;
  unsigned short port_ = 0;
  std::mutex stats_mutex_;
  recording::RecorderStats stats_{.submitted = 5,
                                  .written = 5,
                                  .dropped = 0,
                                  .write_errors = 0,
                                  .queue_depth = 0,
                                  .queue_capacity = 64};
};

storage::StoredRecord record(std::int64_t id, std::int64_t timestamp_ms) {
  storage::StoredRecord row;
  row.id = id;
  row.record.timestamp_ms = timestamp_ms;
  row.record.model = "m";
  row.record.success = true;
  row.record.status_code = 200;
  return row;
}

TEST_F(MetricsApiTest, HealthShape) {
  start();
  const auto before = time::now_unix_ms();
  const Reply r = get("/health");
  EXPECT_EQ(r.status(), http::status::ok);
  EXPECT_EQ(r.header(http::field::content_type), "application/json");
  EXPECT_EQ(r.json.at("status"), "healthy");
  const auto ts = time::parse_iso8601(r.json.at("timestamp").as_string());
  ASSERT_TRUE(ts);
  EXPECT_GE(*ts, before - 1);
  EXPECT_TRUE(r.json.at("timestamp").as_string().ends_with("Z"));
  EXPECT_EQ(r.json.at("recorder"), bj::parse(R"({"submitted":5,"written":5,"dropped":0,
      "write_errors":0,"queue_depth":0,"queue_capacity":64})"));
  EXPECT_FALSE(r.json.as_object().contains("warnings"));
  EXPECT_TRUE(store_->threads().empty()) << "/health does not query the store";
}

TEST_F(MetricsApiTest, HealthWarnsAndStaysHealthy) {
  start();
  set_stats({.submitted = 9,
             .written = 4,
             .dropped = 2,
             .write_errors = 3,
             .queue_depth = 0,
             .queue_capacity = 64});
  const Reply r = get("/health");
  EXPECT_EQ(r.json.at("status"), "healthy");
  EXPECT_EQ(r.json.at("warnings").as_array().size(), 2u);
}

TEST_F(MetricsApiTest, HealthWithoutRecorder) {
  api_ = nullptr;
  auto api =
      std::make_shared<MetricsApi>(store_, nullptr, pool_.get_executor(), MetricsApiOptions{});
  listener_ = std::make_unique<net::Listener>(
      io_.get_executor(), "127.0.0.1", 0,
      [api](tcp::socket socket) { return serve(api, std::move(socket)); });
  port_ = listener_->local_endpoint().port();
  listener_->start();
  io_thread_ = std::thread([this] { io_.run(); });
  const Reply r = get("/health");
  EXPECT_EQ(r.status(), http::status::ok);
  EXPECT_FALSE(r.json.as_object().contains("recorder"));
}

TEST_F(MetricsApiTest, MetricsFieldForField) {
  storage::MetricsSummary s;
  s.total = 3;
  s.successful = 2;
  s.failed = 1;
  s.avg_response_time_ms = 333.3333;
  s.streamed.total = 2;
  s.streamed.successful = 2;
  s.streamed.tokens_reported_count = 1;
  s.streamed.tokens_total = 30;
  s.streamed.prompt_tokens_total = 10;
  s.streamed.completion_tokens_total = 20;
  s.streamed.avg_tokens_per_second = 63.666;
  s.streamed.avg_response_time_ms = 400.0;
  s.streamed.avg_time_to_first_token_ms = 10.005;
  s.streamed.avg_time_to_last_token_ms = 390.0;
  s.streamed.avg_completion_duration_ms = 380.0;
  s.non_streamed.total = 1;
  s.non_streamed.failed = 1;
  s.non_streamed.avg_response_time_ms = 200.0;  // not part of the non_streamed shape
  s.non_streamed.error_types = {{"backend_error", 1}};
  s.model_distribution = {{"b-model", 2}, {"a-model", 1}};
  s.origin_distribution = {{"http://x", 3}};
  store_->set_summary(s);
  start();

  const Reply r = get("/metrics?start=2026-11-01T00:00:00Z&end=2026-11-30");
  ASSERT_EQ(r.status(), http::status::ok) << r.response.body();
  bj::value got = r.json;
  EXPECT_TRUE(time::parse_iso8601(got.at("timestamp").as_string()));
  // Our additions come after the reference's keys (MetricsPercentilesAndModels tests them).
  const auto& keys = r.json.as_object();
  EXPECT_EQ(std::next(keys.begin(), 4)->key(), "percentiles");
  EXPECT_EQ(std::next(keys.begin(), 5)->key(), "models");
  got.as_object().erase("timestamp");
  got.as_object().erase("percentiles");
  got.as_object().erase("models");
  EXPECT_EQ(got, bj::parse(R"({
    "requests": {
      "total": {"total": 3, "successful": 2, "failed": 1, "avg_response_time_ms": 333.33},
      "streamed": {"total": 2, "successful": 2, "failed": 0,
        "tokens": {"reported_count": 1, "total": 30, "prompt_total": 10,
                   "completion_total": 20, "avg_tokens_per_second": 63.67},
        "error_types": {},
        "avg_response_time_ms": 400.0, "avg_time_to_first_token_ms": 10.01,
        "avg_time_to_last_token_ms": 390.0, "avg_completion_duration_ms": 380.0},
      "non_streamed": {"total": 1, "successful": 0, "failed": 1,
        "tokens": {"reported_count": 0, "total": 0, "prompt_total": 0,
                   "completion_total": 0, "avg_tokens_per_second": null},
        "error_types": {"backend_error": 1},
        "avg_time_to_first_token_ms": null, "avg_time_to_last_token_ms": null,
        "avg_completion_duration_ms": null}
    },
    "model_distribution": {"b-model": 2, "a-model": 1},
    "origin_distribution": {"http://x": 3}
  })"))
      << r.response.body();
  EXPECT_EQ(r.json.at("model_distribution").as_object().begin()->key(), "b-model");

  const auto calls = store_->summarize_calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].start_ms, time::parse_iso8601("2026-11-01T00:00:00Z"));
  EXPECT_EQ(calls[0].end_ms, time::parse_iso8601("2026-11-30T00:00:00Z"));
}

TEST_F(MetricsApiTest, MetricsPercentilesAndModels) {
  storage::MetricsSummary s;
  s.percentiles_all.response_time_ms = {100.004, 200.0, 300.0, 400.0};
  s.percentiles_all.time_to_first_token_ms = {10.0, 20.0, 30.0, 40.0};
  s.percentiles_streamed.time_per_output_token_ms = {1.0, 2.0, 3.0, 4.0};
  storage::ModelSummary m;
  m.model = "llama3";
  m.total = 5;
  m.successful = 4;
  m.failed = 1;
  m.avg_response_time_ms = 123.456;
  m.p50_response_time_ms = 100.0;
  m.p95_response_time_ms = 250.0;
  m.avg_time_to_first_token_ms = 12.0;
  m.p95_time_to_first_token_ms = 20.0;
  m.prompt_tokens_total = 10;
  m.completion_tokens_total = 20;
  m.tokens_total = 30;
  m.avg_tokens_per_second = 42.0;
  s.models = {m};
  store_->set_summary(s);
  start();
  const Reply r = get("/metrics");
  ASSERT_EQ(r.status(), http::status::ok) << r.response.body();
  const auto null_p = R"({"p50": null, "p90": null, "p95": null, "p99": null})";
  EXPECT_EQ(r.json.at("percentiles"), bj::parse(fmt::format(R"({{
    "all": {{"response_time_ms": {{"p50": 100.0, "p90": 200.0, "p95": 300.0, "p99": 400.0}},
            "time_to_first_token_ms": {{"p50": 10.0, "p90": 20.0, "p95": 30.0, "p99": 40.0}},
            "time_per_output_token_ms": {0}}},
    "streamed": {{"response_time_ms": {0}, "time_to_first_token_ms": {0},
                 "time_per_output_token_ms": {{"p50": 1.0, "p90": 2.0, "p95": 3.0, "p99": 4.0}}}},
    "non_streamed": {{"response_time_ms": {0}, "time_to_first_token_ms": {0},
                     "time_per_output_token_ms": {0}}}}})",
                                                            null_p)))
      << r.response.body();
  EXPECT_EQ(r.json.at("models"), bj::parse(R"([{"model": "llama3", "total": 5, "successful": 4,
    "failed": 1, "avg_response_time_ms": 123.46, "p50_response_time_ms": 100.0,
    "p95_response_time_ms": 250.0, "avg_time_to_first_token_ms": 12.0,
    "p95_time_to_first_token_ms": 20.0,
    "tokens": {"prompt_total": 10, "completion_total": 20, "total": 30},
    "avg_tokens_per_second": 42.0}])"));
}

storage::Timeseries two_point_series(std::int64_t first_ms, std::optional<std::string> model) {
  storage::Timeseries ts;
  storage::TimeseriesSeries s;
  s.model = std::move(model);
  storage::TimeseriesPoint p;
  p.t_ms = first_ms;
  p.successful = 10;
  p.failed = 1;
  p.prompt_tokens = 100;
  p.completion_tokens = 200;
  p.total_tokens = 300;
  p.response_time_ms = {1.5, 1.2, 3.0, 4.123};
  p.time_to_first_token_ms = {0.5, 0.4, 0.9, 1.0};
  p.avg_tokens_per_second = 33.333;
  s.points.push_back(p);
  storage::TimeseriesPoint empty;
  empty.t_ms = first_ms + 300'000;
  s.points.push_back(empty);
  ts.series.push_back(s);
  return ts;
}

TEST_F(MetricsApiTest, TimeseriesShape) {
  const auto t0 = time::parse_iso8601("2026-11-29T10:00:00Z").value();
  store_->set_timeseries(two_point_series(t0, std::nullopt));
  start();
  const Reply r = get("/timeseries?start=2026-11-29T10:00:00Z&end=2026-11-29T10:09:59Z&bucket=5m");
  ASSERT_EQ(r.status(), http::status::ok) << r.response.body();
  EXPECT_EQ(r.json, bj::parse(R"({"start": "2026-11-29T10:00:00.000Z",
    "end": "2026-11-29T10:09:59.000Z", "bucket": "5m", "bucket_seconds": 300,
    "series": [{"model": null, "points": [
      {"t": "2026-11-29T10:00:00.000Z", "successful": 10, "failed": 1, "prompt_tokens": 100,
       "completion_tokens": 200, "total_tokens": 300,
       "response_time_ms": {"avg": 1.5, "p50": 1.2, "p95": 3.0, "p99": 4.12},
       "time_to_first_token_ms": {"avg": 0.5, "p50": 0.4, "p95": 0.9, "p99": 1.0},
       "tokens_per_second": {"avg": 33.33}},
      {"t": "2026-11-29T10:05:00.000Z", "successful": 0, "failed": 0, "prompt_tokens": 0,
       "completion_tokens": 0, "total_tokens": 0,
       "response_time_ms": {"avg": null, "p50": null, "p95": null, "p99": null},
       "time_to_first_token_ms": {"avg": null, "p50": null, "p95": null, "p99": null},
       "tokens_per_second": {"avg": null}}]}]})"))
      << r.response.body();
  const auto calls = store_->timeseries_calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].start_ms, t0);
  EXPECT_EQ(calls[0].end_ms, t0 + 599'000);
  EXPECT_EQ(calls[0].bucket_ms, 300'000);
  EXPECT_FALSE(calls[0].by_model);
  EXPECT_EQ(store_->first_record_calls(), 0);
}

TEST_F(MetricsApiTest, TimeseriesByModelAndAutomaticBucket) {
  const auto t0 = time::parse_iso8601("2026-11-29T00:00:00Z").value();
  store_->set_timeseries(two_point_series(t0, "llama3"));
  start();
  // One day: 5-minute buckets give 288, the smallest size within 300.
  const Reply r = get("/timeseries?start=2026-11-29&end=2026-11-29T23:59:59.999Z&by=model");
  ASSERT_EQ(r.status(), http::status::ok) << r.response.body();
  EXPECT_EQ(r.json.at("bucket"), "5m");
  EXPECT_EQ(r.json.at("series").at(0).at("model"), "llama3");
  const auto calls = store_->timeseries_calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_TRUE(calls[0].by_model);
  EXPECT_EQ(calls[0].bucket_ms, 300'000);

  // Weeks start on Monday.
  ASSERT_EQ(get("/timeseries?start=2026-01-01&end=2026-11-29&bucket=1w").status(),
            http::status::ok);
  EXPECT_EQ(store_->timeseries_calls().back().bucket_offset_ms, 4 * 86'400'000);
}

TEST_F(MetricsApiTest, TimeseriesOpenEndsUseTheFirstRecordAndNow) {
  const auto first = time::now_unix_ms() - 3 * 3'600'000;
  store_->set_first_record(first);
  start();
  const auto before = time::now_unix_ms();
  const Reply r = get("/timeseries");
  ASSERT_EQ(r.status(), http::status::ok) << r.response.body();
  EXPECT_EQ(store_->first_record_calls(), 1);
  const auto call = store_->timeseries_calls().at(0);
  EXPECT_EQ(call.start_ms, first);
  EXPECT_GE(call.end_ms, before);
  EXPECT_EQ(r.json.at("bucket"), "1m");  // 3 hours: 181 minutes
  EXPECT_EQ(r.json.at("start").as_string(), time::format_iso8601_utc(first));

  // An empty store: a range of one instant, now.
  store_->set_first_record(std::nullopt);
  const Reply empty = get("/timeseries");
  ASSERT_EQ(empty.status(), http::status::ok);
  EXPECT_EQ(store_->timeseries_calls().back().start_ms, store_->timeseries_calls().back().end_ms);
}

TEST_F(MetricsApiTest, TimeseriesBadParametersAre400NamingThem) {
  start();
  expect_bad_parameter("/timeseries?bucket=2m", "bucket");
  expect_bad_parameter("/timeseries?bucket=1M", "bucket");
  expect_bad_parameter("/timeseries?by=origin", "by");
  expect_bad_parameter("/timeseries?start=nope", "start");
  expect_bad_parameter("/timeseries?end=2026-13-01", "end");
  expect_bad_parameter("/timeseries?start=2026-11-02&end=2026-11-01", "start");
  // 10 days of minutes: 14,400 buckets, more than 5000.
  expect_bad_parameter("/timeseries?start=2026-11-01&end=2026-11-11&bucket=1m", "bucket");
  expect_bad_parameter("/timeseries?start=2999-01-01", "start");  // after now
  EXPECT_TRUE(store_->timeseries_calls().empty());
  EXPECT_EQ(get("/timeseries?start=2026-11-01&end=2026-11-04&bucket=1m").status(),
            http::status::ok);  // 4321 buckets: allowed
}

TEST_F(MetricsApiTest, StoreRunsOnTheQueryPoolNotTheIoThread) {
  start();
  ASSERT_EQ(get("/metrics").status(), http::status::ok);
  ASSERT_EQ(get("/completion_requests").status(), http::status::ok);
  const auto threads = store_->threads();
  ASSERT_EQ(threads.size(), 2u);
  for (const auto& id : threads) {
    EXPECT_NE(id, io_thread_.get_id());
    EXPECT_NE(id, std::this_thread::get_id());
  }
}

TEST_F(MetricsApiTest, RequestsDefaultIsAPlainArrayWithTheDefaultLimit) {
  storage::RequestPage page;
  page.rows = {record(2, 2000), record(1, 1000)};
  store_->set_page(page);
  MetricsApiOptions options;
  options.default_limit = 3;
  start(options);
  const Reply r = get("/completion_requests");
  ASSERT_EQ(r.status(), http::status::ok) << r.response.body();
  ASSERT_TRUE(r.json.is_array());
  ASSERT_EQ(r.json.as_array().size(), 2u);
  EXPECT_EQ(r.json.as_array()[0].at("id"), 2);
  EXPECT_EQ(r.json.as_array()[0].at("timestamp").as_string(), time::format_iso8601_utc(2000));
  EXPECT_EQ(r.header("X-Next-Cursor"), "");
  EXPECT_EQ(r.header(http::field::link), "");
  const auto calls = store_->list_calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].limit, 3u);
  EXPECT_FALSE(calls[0].after);
  EXPECT_FALSE(calls[0].model);
  EXPECT_FALSE(calls[0].range.start_ms);
}

TEST_F(MetricsApiTest, RequestsPagingHeadersKeepTheOtherParameters) {
  storage::RequestPage page;
  page.rows = {record(9, 5000)};
  page.next = storage::Cursor{.timestamp_ms = 5000, .id = 9};
  store_->set_page(page);
  start();
  const Reply r = get("/completion_requests?limit=1&model=llama%203&cursor=6000.10");
  ASSERT_EQ(r.status(), http::status::ok) << r.response.body();
  ASSERT_TRUE(r.json.is_array());
  EXPECT_EQ(r.header("X-Next-Cursor"), "5000.9");
  EXPECT_EQ(r.header(http::field::link),
            "</completion_requests?limit=1&model=llama%203&cursor=5000.9>; rel=\"next\"");
  const auto calls = store_->list_calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].limit, 1u);
  ASSERT_TRUE(calls[0].after);
  EXPECT_EQ(calls[0].after->timestamp_ms, 6000);
  EXPECT_EQ(calls[0].after->id, 10);
  EXPECT_EQ(calls[0].model, "llama 3");
}

TEST_F(MetricsApiTest, RequestsEnvelope) {
  storage::RequestPage page;
  page.rows = {record(9, 5000)};
  page.next = storage::Cursor{.timestamp_ms = 5000, .id = 9};
  store_->set_page(page);
  start();
  Reply r = get("/completion_requests?envelope=1");
  ASSERT_EQ(r.status(), http::status::ok);
  EXPECT_EQ(r.json.at("data").as_array().size(), 1u);
  EXPECT_EQ(r.json.at("next_cursor"), "5000.9");
  EXPECT_EQ(r.header("X-Next-Cursor"), "5000.9");

  store_->set_page({});
  r = get("/completion_requests?envelope=true");
  EXPECT_EQ(r.json, bj::parse(R"({"data":[],"next_cursor":null})"));
}

TEST_F(MetricsApiTest, RequestsFiltersReachTheStore) {
  MetricsApiOptions options;
  options.max_limit = 500;
  start(options);
  ASSERT_EQ(get("/completion_requests?model=qwen%2Fqwen3&is_streaming=false&success=true&"
                "error_type=backend_timeout&limit=500&start=2026-01-01T00:00:00%2B01:00&"
                "end=2026-01-02&origin=http%3A%2F%2Flocalhost%3A3000&whatever=1")
                .status(),
            http::status::ok);
  const auto calls = store_->list_calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].model, "qwen/qwen3");
  EXPECT_EQ(calls[0].is_streaming, false);
  EXPECT_EQ(calls[0].success, true);
  EXPECT_EQ(calls[0].error_type, "backend_timeout");
  EXPECT_EQ(calls[0].origin, "http://localhost:3000");
  EXPECT_EQ(calls[0].limit, 500u);
  EXPECT_EQ(calls[0].range.start_ms, time::parse_iso8601("2025-12-31T23:00:00Z"));
  EXPECT_EQ(calls[0].range.end_ms, time::parse_iso8601("2026-01-02T00:00:00Z"));
}

TEST_F(MetricsApiTest, EveryBadParameterIs400NamingIt) {
  MetricsApiOptions options;
  options.max_limit = 100;
  start(options);
  expect_bad_parameter("/metrics?start=tomorrow", "start");
  expect_bad_parameter("/metrics?end=2026-02-30", "end");
  expect_bad_parameter("/metrics?start=2026-02-01&end=2026-01-01", "start");
  expect_bad_parameter("/completion_requests?start=x", "start");
  expect_bad_parameter("/completion_requests?limit=0", "limit");
  expect_bad_parameter("/completion_requests?limit=-5", "limit");
  expect_bad_parameter("/completion_requests?limit=abc", "limit");
  expect_bad_parameter("/completion_requests?limit=101", "limit");
  expect_bad_parameter("/completion_requests?cursor=garbage", "cursor");
  expect_bad_parameter("/completion_requests?is_streaming=maybe", "is_streaming");
  expect_bad_parameter("/completion_requests?success=2", "success");
  expect_bad_parameter("/completion_requests?error_type=oops", "error_type");
  expect_bad_parameter("/completion_requests?envelope=yes", "envelope");
  EXPECT_TRUE(store_->threads().empty()) << "no query for a bad request";

  const Reply r = get("/metrics?start=2026-11-29T10:00:00Q");
  EXPECT_EQ(r.error().at("message"),
            "invalid 'start': expected ISO 8601 like 2026-11-29T10:00:00Z, got "
            "'2026-11-29T10:00:00Q'");

  const Reply malformed = get("/metrics?start=%zz");
  EXPECT_EQ(malformed.status(), http::status::bad_request);
  EXPECT_EQ(malformed.error().at("code"), "invalid_request_target");
}

TEST_F(MetricsApiTest, UnknownPathIs404) {
  start();
  const Reply r = get("/x");
  EXPECT_EQ(r.status(), http::status::not_found);
  EXPECT_EQ(r.json, bj::parse(R"({"error":{"message":"no such endpoint: /x",
      "type":"not_found","code":"not_found"}})"));
  EXPECT_EQ(get("/metricsx").status(), http::status::not_found);
  EXPECT_EQ(get("/metrics/").status(), http::status::ok);  // a trailing slash is forgiven
}

TEST_F(MetricsApiTest, OtherMethodsAre405) {
  start();
  for (auto verb : {http::verb::post, http::verb::put, http::verb::delete_, http::verb::head}) {
    for (const char* path : {"/health", "/metrics", "/completion_requests"}) {
      const Reply r = request(verb, path);
      SCOPED_TRACE(std::string(http::to_string(verb)) + " " + path);
      EXPECT_EQ(r.status(), http::status::method_not_allowed);
      EXPECT_EQ(r.header(http::field::allow), "GET, OPTIONS");
      if (verb != http::verb::head) {
        EXPECT_EQ(r.error().at("code"), "method_not_allowed");
      }
    }
  }
  EXPECT_TRUE(store_->threads().empty());
}

TEST_F(MetricsApiTest, CorsOnEveryAnswerAndPreflight) {
  MetricsApiOptions options;
  options.auth_token = "tok";
  options.cors_allow_origin = "https://dash.example";
  start(options);
  for (const char* path : {"/health", "/metrics", "/nope"}) {
    const Reply r = get(path);
    EXPECT_EQ(r.header(http::field::access_control_allow_origin), "https://dash.example") << path;
    EXPECT_NE(r.header(http::field::access_control_expose_headers).find("X-Next-Cursor"),
              std::string::npos);
  }
  // Preflights come without credentials, so they pass even with a token configured.
  const Reply pre = request(http::verb::options, "/completion_requests",
                            {{"Origin", "https://dash.example"},
                             {"Access-Control-Request-Method", "GET"},
                             {"Access-Control-Request-Headers", "authorization"}});
  EXPECT_EQ(pre.status(), http::status::no_content);
  EXPECT_EQ(pre.header(http::field::access_control_allow_origin), "https://dash.example");
  EXPECT_EQ(pre.header(http::field::access_control_allow_methods), "GET, OPTIONS");
  EXPECT_EQ(pre.header(http::field::access_control_allow_headers), "Authorization, Content-Type");
  EXPECT_TRUE(pre.response.body().empty());
}

TEST_F(MetricsApiTest, DefaultCorsIsStar) {
  start();
  EXPECT_EQ(get("/health").header(http::field::access_control_allow_origin), "*");
}

TEST_F(MetricsApiTest, NoCorsHeadersWhenDisabled) {
  MetricsApiOptions options;
  options.cors_allow_origin = "";
  start(options);
  EXPECT_EQ(get("/health").header(http::field::access_control_allow_origin), "");
  EXPECT_EQ(request(http::verb::options, "/metrics").status(), http::status::no_content);
}

TEST_F(MetricsApiTest, AuthTokenRequiredAcceptedRejected) {
  MetricsApiOptions options;
  options.auth_token = "s3cret";
  start(options);
  for (const char* path : {"/metrics", "/completion_requests", "/nope"}) {
    SCOPED_TRACE(path);
    const Reply missing = get(path);
    EXPECT_EQ(missing.status(), http::status::unauthorized);
    EXPECT_EQ(missing.error().at("type"), "authentication_error");
    EXPECT_NE(missing.header(http::field::www_authenticate).find("Bearer"), std::string::npos);
    EXPECT_EQ(missing.header(http::field::access_control_allow_origin), "*");
    const Reply wrong = get(path, {{"Authorization", "Bearer s3cre"}});
    EXPECT_EQ(wrong.status(), http::status::unauthorized);
    EXPECT_EQ(wrong.response.body().find("s3cre"), std::string::npos) << "never echo tokens";
  }
  EXPECT_TRUE(store_->threads().empty());
  EXPECT_EQ(get("/metrics", {{"Authorization", "Bearer s3cret"}}).status(), http::status::ok);
  EXPECT_EQ(get("/completion_requests", {{"Authorization", "bearer s3cret"}}).status(),
            http::status::ok);
  EXPECT_EQ(get("/health").status(), http::status::ok);  // open for liveness probes
}

TEST_F(MetricsApiTest, StoreErrorIs503) {
  store_->fail_with("cannot read ./data/metrics.db: database is locked");
  start();
  for (const char* path :
       {"/metrics", "/completion_requests", "/timeseries", "/timeseries?start=2026-11-01"}) {
    const Reply r = get(path);
    SCOPED_TRACE(path);
    EXPECT_EQ(r.status(), http::status::service_unavailable);
    EXPECT_EQ(r.error().at("code"), "store_unavailable");
    EXPECT_EQ(r.error().at("type"), "server_error");
    EXPECT_NE(r.error().at("message").as_string().find("database is locked"), bj::string::npos);
    EXPECT_EQ(r.header(http::field::access_control_allow_origin), "*");
  }
  EXPECT_EQ(get("/health").status(), http::status::ok);
}

TEST_F(MetricsApiTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  asio::io_context client;
  net::beast::tcp_stream stream(client);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  net::beast::flat_buffer buffer;
  for (const char* path : {"/health", "/nope", "/metrics?start=bad", "/metrics"}) {
    net::Request req{http::verb::get, path, 11};
    req.set(http::field::host, "127.0.0.1");
    http::write(stream, req);
    net::Response res;
    http::read(stream, buffer, res);
    EXPECT_TRUE(res.keep_alive()) << path;
  }
}

}  // namespace
}  // namespace lmp::api
