// The metrics HTTP API (port 8002): /health, /metrics, /completion_requests and /timeseries, read
// from the store on a separate thread pool so that slow queries never stall the I/O threads.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "api/query_params.hpp"
#include "net/asio.hpp"
#include "net/http_server.hpp"
#include "recording/recorder.hpp"
#include "storage/store.hpp"

namespace lmp::api {

struct MetricsApiOptions {
  // When non-empty, every endpoint except /health (and CORS preflights, which browsers send
  // without credentials) requires "Authorization: Bearer <token>".
  std::string auth_token;
  // Access-Control-Allow-Origin on every answer; empty sends no CORS headers at all.
  std::string cors_allow_origin = "*";
  std::size_t default_limit = 1000;  // /completion_requests page size when no limit is given
  std::size_t max_limit = 10000;
};

class MetricsApi {
 public:
  // `recorder_stats` may be empty (no recorder: /health then has no "recorder" object).
  // `query_executor` runs the store's blocking calls, typically an asio::thread_pool's.
  MetricsApi(std::shared_ptr<storage::Store> store,
             std::function<recording::RecorderStats()> recorder_stats,
             net::asio::any_io_executor query_executor, MetricsApiOptions options);

  // A net::RequestHandler: answers one request on the stream and returns whether the
  // connection may serve another. The MetricsApi must outlive every connection using it.
  net::awaitable<bool> handle(net::beast::tcp_stream& stream, net::Request& request);

 private:
  net::awaitable<net::Response> answer(const net::Request& request);
  net::awaitable<net::Response> get_metrics(const net::Request& request, const Target& target);
  net::awaitable<net::Response> get_requests(const net::Request& request, const Target& target);
  net::awaitable<net::Response> get_timeseries(const net::Request& request, const Target& target);
  net::Response get_health(const net::Request& request) const;
  void add_common_headers(net::Response& response) const;

  std::shared_ptr<storage::Store> store_;
  std::function<recording::RecorderStats()> recorder_stats_;
  net::asio::any_io_executor query_executor_;
  MetricsApiOptions options_;
};

}  // namespace lmp::api
