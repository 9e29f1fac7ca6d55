// A small HTTP/1.1 server loop for our own endpoints (metrics API, mock backend): reads
// requests with limits and timeouts, hands each to a handler, keeps the connection alive.
// The proxy has its own session (proxy/), since it must relay bodies without buffering them.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "net/asio.hpp"

namespace lmp::net {

struct ServerLimits {
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_header_bytes = 16 << 10;
  std::chrono::milliseconds read_timeout{30'000};  // for one whole request
  std::chrono::milliseconds idle_timeout{60'000};  // between requests on a kept-alive connection
};

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// The handler answers on the stream itself (a whole response, or a streamed one) and returns
// whether the connection may serve another request.
using RequestHandler = std::function<awaitable<bool>(beast::tcp_stream& stream, Request& request)>;

awaitable<void> serve_http(tcp::socket socket, RequestHandler handler, ServerLimits limits);

// A JSON response with the request's version and keep-alive.
Response json_response(const Request& request, http::status status, std::string body);

// An OpenAI-style error body: {"error": {"message", "type", "code"}}.
std::string openai_error_body(std::string_view message, std::string_view type,
                              std::string_view code);

// Writes a whole response; returns false if the connection is no longer usable.
awaitable<bool> write_response(beast::tcp_stream& stream, Response response);

}  // namespace lmp::net
