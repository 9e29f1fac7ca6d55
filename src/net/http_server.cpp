#include "net/http_server.hpp"

#include "support/json_writer.hpp"
#include "support/log.hpp"

namespace lmp::net {

std::string openai_error_body(std::string_view message, std::string_view type,
                              std::string_view code) {
  std::string out;
  json::Writer w(out);
  w.begin_object().key("error").begin_object();
  w.key("message").value(message).key("type").value(type).key("code").value(code);
  w.end_object().end_object();
  return out;
}

Response json_response(const Request& request, http::status status, std::string body) {
  Response res{status, request.version()};
  res.set(http::field::content_type, "application/json");
  res.keep_alive(request.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

awaitable<bool> write_response(beast::tcp_stream& stream, Response response) {
  const bool keep_alive = response.keep_alive();
  auto [ec, n] = co_await http::async_write(stream, response, use_nothrow);
  (void)n;
  co_return !ec && keep_alive;
}

namespace {

awaitable<void> answer_read_error(beast::tcp_stream& stream, const error_code& ec) {
  http::status status = http::status::bad_request;
  std::string message = "malformed HTTP request: " + ec.message();
  if (ec == http::error::body_limit) {
    status = http::status::payload_too_large;
    message = "request body too large";
  } else if (ec == http::error::header_limit) {
    status = http::status::request_header_fields_too_large;
    message = "request header fields too large";
  }
  Response res{status, 11};
  res.set(http::field::content_type, "application/json");
  res.set(http::field::connection, "close");
  res.body() = openai_error_body(message, "invalid_request_error", "bad_request");
  res.prepare_payload();
  co_await http::async_write(stream, res, use_nothrow);
}

}  // namespace

awaitable<void> serve_http(tcp::socket socket, RequestHandler handler, ServerLimits limits) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (bool first = true;; first = false) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(limits.max_body_bytes);
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    // An idle kept-alive connection may wait longer than a request may take to arrive.
    stream.expires_after(first ? limits.read_timeout : limits.idle_timeout);
    auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, use_nothrow);
    if (!ec && !parser.is_done()) {
      stream.expires_after(limits.read_timeout);
      std::tie(ec, n) = co_await http::async_read(stream, buffer, parser, use_nothrow);
    }
    if (ec) {
      if (ec != http::error::end_of_stream && ec != beast::error::timeout &&
          ec != asio::error::connection_reset && ec != asio::error::operation_aborted &&
          !(ec == http::error::partial_message && buffer.size() == 0))
        co_await answer_read_error(stream, ec);
      break;
    }
    stream.expires_never();
    Request request = parser.release();
    bool keep_alive = false;
    try {
      keep_alive = co_await handler(stream, request);
    } catch (const std::exception& e) {
      log::error("request handler failed: {}", e.what());
      keep_alive = false;
    }
    if (!keep_alive) break;
  }
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.socket().close(ignored);
}

}  // namespace lmp::net
