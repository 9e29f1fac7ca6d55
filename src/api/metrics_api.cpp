#include "api/metrics_api.hpp"

#include <fmt/format.h>
#include <type_traits>

#include "api/bearer_auth.hpp"
#include "api/metrics_json.hpp"
#include "support/log.hpp"
#include "support/time.hpp"

namespace lmp::api {
namespace {

namespace asio = net::asio;
namespace http = net::http;

constexpr std::string_view kHealthPath = "/health";
constexpr std::string_view kMetricsPath = "/metrics";
constexpr std::string_view kRequestsPath = "/completion_requests";
constexpr std::string_view kTimeseriesPath = "/timeseries";
constexpr std::string_view kAllowedMethods = "GET, OPTIONS";

// Runs a blocking store call on the query pool and resumes the caller on its own executor:
// co_spawn's use_awaitable completion is dispatched back to the awaiting coroutine's
// executor, and an exception (StoreError) thrown on the pool is rethrown there.
// GCC 12 destroys a capturing lambda created in the same expression as a co_await twice
// (ASan caught it here), so this is not a coroutine, takes `call` by reference, and callers
// std::move a named lambda in.
template <class F>
net::awaitable<std::invoke_result_t<F&>> run_on(const asio::any_io_executor& pool, F&& call) {
  using R = std::invoke_result_t<F&>;
  static_assert(!std::is_lvalue_reference_v<F>, "pass the call with std::move");
  return asio::co_spawn(
      pool, [call = std::move(call)]() mutable -> net::awaitable<R> { co_return call(); },
      asio::use_awaitable);
}

net::Response error_response(const net::Request& request, http::status status,
                             std::string_view message, std::string_view type, std::string_view code,
                             std::string_view param = {}) {
  return net::json_response(request, status, error_json(message, type, code, param));
}

net::Response bad_parameter(const net::Request& request, const ParamError& error) {
  return error_response(request, http::status::bad_request, error.message, "invalid_request_error",
                        error.param.empty() ? "invalid_request_target" : "invalid_parameter",
                        error.param);
}

// "/metrics/" answers like "/metrics", as the reference's framework redirects it there.
std::string_view route_path(std::string_view path) {
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}

std::string shown_path(std::string_view path) {
  constexpr std::size_t kMaxShown = 200;
  return path.size() <= kMaxShown ? std::string(path)
                                  : std::string(path.substr(0, kMaxShown)) + "...";
}

}  // namespace

MetricsApi::MetricsApi(std::shared_ptr<storage::Store> store,
                       std::function<recording::RecorderStats()> recorder_stats,
                       asio::any_io_executor query_executor, MetricsApiOptions options)
    : store_(std::move(store)),
      recorder_stats_(std::move(recorder_stats)),
      query_executor_(std::move(query_executor)),
      options_(std::move(options)) {}

net::awaitable<bool> MetricsApi::handle(net::beast::tcp_stream& stream, net::Request& request) {
  net::Response response = co_await answer(request);
  add_common_headers(response);
  // HEAD is refused, but its answer must still have no body or the connection desyncs.
  if (request.method() == http::verb::head) response.body().clear();
  co_return co_await net::write_response(stream, std::move(response));
}

void MetricsApi::add_common_headers(net::Response& response) const {
  // Every answer describes a moment; a cached one would show stale numbers.
  response.set(http::field::cache_control, "no-store");
  if (options_.cors_allow_origin.empty()) return;
  response.set(http::field::access_control_allow_origin, options_.cors_allow_origin);
  // Without this a dashboard in the browser cannot read the paging headers.
  response.set(http::field::access_control_expose_headers, "X-Next-Cursor, Link");
}

net::awaitable<net::Response> MetricsApi::answer(const net::Request& request) {
  if (request.method() == http::verb::options) {
    // A CORS preflight carries no credentials, so it is answered before the auth check.
    net::Response res{http::status::no_content, request.version()};
    res.keep_alive(request.keep_alive());
    res.set(http::field::allow, kAllowedMethods);
    if (!options_.cors_allow_origin.empty()) {
      res.set(http::field::access_control_allow_methods, kAllowedMethods);
      res.set(http::field::access_control_allow_headers, "Authorization, Content-Type");
      res.set(http::field::access_control_max_age, "600");
    }
    co_return res;
  }

  auto parsed = Target::parse(request.target());
  if (auto* e = std::get_if<ParamError>(&parsed)) co_return bad_parameter(request, *e);
  const Target& target = std::get<Target>(parsed);
  const std::string_view path = route_path(target.path());

  if (path != kHealthPath && !options_.auth_token.empty()) {
    const auto header = request[http::field::authorization];
    if (!bearer_token_matches(header, options_.auth_token)) {
      auto res = error_response(
          request, http::status::unauthorized,
          header.empty() ? "this endpoint requires an API token: send 'Authorization: Bearer "
                           "<token>' with the metrics API token"
                         : "the API token in the Authorization header is not valid",
          "authentication_error", "invalid_api_key");
      res.set(http::field::www_authenticate, "Bearer realm=\"metrics\"");
      co_return res;
    }
  }

  if (path != kHealthPath && path != kMetricsPath && path != kRequestsPath &&
      path != kTimeseriesPath) {
    co_return error_response(request, http::status::not_found,
                             "no such endpoint: " + shown_path(target.path()), "not_found",
                             "not_found");
  }
  if (request.method() != http::verb::get) {
    auto res = error_response(request, http::status::method_not_allowed,
                              fmt::format("method {} is not allowed on {}: use GET",
                                          std::string_view(request.method_string()), path),
                              "invalid_request_error", "method_not_allowed");
    res.set(http::field::allow, kAllowedMethods);
    co_return res;
  }

  if (path == kHealthPath) co_return get_health(request);

  // No co_await in a handler, so the store's errors are turned into a response here and
  // sent after the try block.
  std::optional<net::Response> failure;
  try {
    if (path == kMetricsPath) co_return co_await get_metrics(request, target);
    if (path == kTimeseriesPath) co_return co_await get_timeseries(request, target);
    co_return co_await get_requests(request, target);
  } catch (const storage::StoreError& e) {
    log::warning("metrics API: store query failed: {}", e.what());
    failure = error_response(request, http::status::service_unavailable,
                             fmt::format("the metrics store is unavailable: {}", e.what()),
                             "server_error", "store_unavailable");
    failure->set(http::field::retry_after, "5");
  } catch (const std::exception& e) {
    log::error("metrics API: {} failed: {}", path, e.what());
    failure = error_response(request, http::status::internal_server_error,
                             "internal error while answering; see the server log", "server_error",
                             "internal_error");
  }
  co_return std::move(*failure);
}

net::Response MetricsApi::get_health(const net::Request& request) const {
  std::optional<recording::RecorderStats> stats;
  if (recorder_stats_) stats = recorder_stats_();
  return net::json_response(request, http::status::ok, health_json(time::now_unix_ms(), stats));
}

net::awaitable<net::Response> MetricsApi::get_metrics(const net::Request& request,
                                                      const Target& target) {
  auto range = parse_time_range(target);
  if (auto* e = std::get_if<ParamError>(&range)) co_return bad_parameter(request, *e);
  auto summarize = [store = store_, r = std::get<storage::TimeRange>(range)] {
    return store->summarize(r);
  };
  auto summary = co_await run_on(query_executor_, std::move(summarize));
  co_return net::json_response(request, http::status::ok,
                               metrics_json(time::now_unix_ms(), summary));
}

net::awaitable<net::Response> MetricsApi::get_requests(const net::Request& request,
                                                       const Target& target) {
  auto parsed = parse_request_list(target, PagingLimits{.default_limit = options_.default_limit,
                                                        .max_limit = options_.max_limit});
  if (auto* e = std::get_if<ParamError>(&parsed)) co_return bad_parameter(request, *e);
  const RequestListParams& params = std::get<RequestListParams>(parsed);
  auto list = [store = store_, q = params.query] { return store->list_requests(q); };
  auto page = co_await run_on(query_executor_, std::move(list));
  auto res =
      net::json_response(request, http::status::ok, request_list_json(page, params.envelope));
  if (page.next) {
    const std::string cursor = storage::encode_cursor(*page.next);
    res.set("X-Next-Cursor", cursor);
    res.set(http::field::link,
            fmt::format("<{}>; rel=\"next\"", target.with_param("cursor", cursor)));
  }
  co_return res;
}

net::awaitable<net::Response> MetricsApi::get_timeseries(const net::Request& request,
                                                         const Target& target) {
  auto parsed = parse_timeseries(target);
  if (auto* e = std::get_if<ParamError>(&parsed)) co_return bad_parameter(request, *e);
  const TimeseriesParams params = std::get<TimeseriesParams>(parsed);
  std::optional<std::int64_t> first;
  if (!params.range.start_ms) {
    auto find_first = [store = store_] { return store->first_record_time(); };
    first = co_await run_on(query_executor_, std::move(find_first));
  }
  auto resolved = resolve_timeseries(params, time::now_unix_ms(), first);
  if (auto* e = std::get_if<ParamError>(&resolved)) co_return bad_parameter(request, *e);
  const ResolvedTimeseries r = std::get<ResolvedTimeseries>(resolved);
  auto read = [store = store_, q = r.query] { return store->timeseries(q); };
  auto series = co_await run_on(query_executor_, std::move(read));
  co_return net::json_response(
      request, http::status::ok,
      timeseries_json(r.query.start_ms, r.query.end_ms, storage::rollup::to_string(r.bucket),
                      r.query.bucket_ms, series));
}

}  // namespace lmp::api
