#include "proxy/proxy_session.hpp"

#include "support/text.hpp"

#include <array>
#include <charconv>

#include "net/chunked_decoder.hpp"
#include "net/http_read.hpp"
#include "net/http_server.hpp"
#include "proxy/forwarding_headers.hpp"
#include "proxy/routes.hpp"
#include "support/log.hpp"

namespace lmp::proxy {

using net::error_code;
using net::use_nothrow;
namespace http = net::http;
namespace beast = net::beast;

namespace {

// Timeouts. Beast's tcp_stream starts and cancels a timer around every read and write (about
// 6% of the proxy's CPU per request, measured). A session instead keeps one deadline, moved
// by storing a time, and one timer that wakes when the earliest deadline may have passed: if
// the deadline has moved on by then, it sleeps again until it; if not, it closes the socket
// waited on, and the failed operation reads as a timeout. The timer is moved earlier only when
// a shorter wait would otherwise be more than a quarter late (in practice: when a short
// timeout is configured), so a timeout fires between its length and 1.25 times it.
void start_watchdog(const std::shared_ptr<SessionControl>& control);

void on_watchdog(const std::shared_ptr<SessionControl>& control) {
  auto& c = *control;
  c.watchdog_pending = false;
  if (c.waiting == SessionControl::Waiting::nothing) return;
  if (std::chrono::steady_clock::now() < c.deadline) {
    c.watchdog_expiry = c.deadline;
    start_watchdog(control);
    return;
  }
  c.timed_out = true;
  if (c.waiting == SessionControl::Waiting::client && c.client) {
    error_code ignored;
    c.client->close(ignored);
  } else if (c.waiting == SessionControl::Waiting::backend && c.upstream) {
    c.upstream->close();
  }
  c.waiting = SessionControl::Waiting::nothing;
}

void start_watchdog(const std::shared_ptr<SessionControl>& control) {
  control->watchdog_pending = true;
  control->watchdog->expires_at(control->watchdog_expiry);
  control->watchdog->async_wait(
      [weak = std::weak_ptr<SessionControl>(control)](const error_code& ec) {
        if (ec == asio::error::operation_aborted) return;  // moved, or the session ended
        if (auto control = weak.lock()) on_watchdog(control);
      });
}

}  // namespace

ProxySession::ProxySession(ProxyServer& server, net::LoopSocket socket)
    : server_(server),
      client_(std::move(socket)),
      watch_(server.client_watch(client_.get_executor())),
      control_(std::make_shared<SessionControl>(client_.get_executor())) {
  error_code ec;
  const auto remote = client_.remote_endpoint(ec);
  if (!ec) client_address_ = remote.address().to_string();
  control_->client = &client_;
  control_->watchdog = std::make_unique<asio::steady_timer>(control_->executor);
}

void ProxySession::arm(SessionControl::Waiting what, std::chrono::milliseconds timeout,
                       time::MonoTime now) {
  auto& c = *control_;
  c.waiting = what;
  c.timed_out = false;
  c.deadline = now + timeout;
  if (!c.watchdog_pending || c.deadline + timeout / 4 < c.watchdog_expiry) {
    c.watchdog_expiry = c.deadline;
    start_watchdog(control_);
  }
}

bool ProxySession::timed_out(const error_code& ec) const {
  return control_->timed_out || ec == beast::error::timeout;
}

net::awaitable<void> ProxySession::run() {
  server_.track(control_);
  const auto& options = server_.options();
  for (bool first = true; !server_.stopping(); first = false) {
    control_->idle = true;
    // A buffer grown for a large body is not kept by an idle connection (thousands of them).
    if (buffer_.size() == 0 && buffer_.capacity() > kKeptBufferBytes) buffer_.shrink_to_fit();
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    parser.body_limit(options.max_body_bytes);
    arm(SessionControl::Waiting::client,
        first ? options.client_read_timeout : options.client_idle_timeout);
    auto ec = co_await net::read_http(client_, buffer_, parser, false);
    if (ec) {
      co_await answer_read_error(ec);
      break;
    }
    control_->idle = false;
    auto& header = parser.get();
    if (!parser.is_done()) {
      // curl and others wait for this before sending a body over 1 KiB.
      if (auto it = header.find(http::field::expect);
          it != header.end() && text::iequals(it->value(), "100-continue")) {
        http::response<http::empty_body> cont{http::status::continue_, 11};
        auto [cec, cn] = co_await http::async_write(client_, cont, use_nothrow);
        (void)cn;
        if (cec) break;
      }
      // Room for the whole body: Beast then reads it in a few large reads instead of ~490-byte
      // ones (67 recvmsg for a 32 KB body before this).
      if (const auto length = parser.content_length(); length && *length <= options.max_body_bytes)
        buffer_.reserve(buffer_.size() + static_cast<std::size_t>(*length));
      arm(SessionControl::Waiting::client, options.client_read_timeout);
      ec = co_await net::read_http(client_, buffer_, parser, true);
      if (ec) {
        co_await answer_read_error(ec);
        break;
      }
    }
    disarm();
    const auto t0 = time::MonoClock::now();
    ClientRequest request = parser.release();
    bool keep_alive = false;
    try {
      keep_alive = co_await handle(request, t0);
    } catch (const std::exception& e) {
      // A fault in our code must not take the process down; this connection ends.
      log::error("proxy session failed: {}", e.what());
      keep_alive = false;
    }
    if (!keep_alive) break;
  }
  stop_watching_client();
  control_->client = nullptr;
  disarm();
  control_->watchdog->cancel();
  server_.untrack(control_);
  error_code ignored;
  client_.shutdown(net::tcp::socket::shutdown_send, ignored);
  client_.close(ignored);
}

net::awaitable<void> ProxySession::answer_read_error(const error_code& ec) {
  // A client that went away or idled out gets no answer; a malformed one gets a clear error.
  if (ec == http::error::end_of_stream || timed_out(ec) || ec == asio::error::connection_reset ||
      ec == asio::error::operation_aborted || ec == asio::error::eof ||
      (ec == http::error::partial_message && buffer_.size() == 0))
    co_return;
  http::status status = http::status::bad_request;
  std::string message = "malformed HTTP request: " + ec.message();
  if (ec == http::error::body_limit) {
    status = http::status::payload_too_large;
    message = "request body larger than the proxy's limit of " +
              std::to_string(server_.options().max_body_bytes) + " bytes";
  } else if (ec == http::error::header_limit) {
    status = http::status::request_header_fields_too_large;
    message = "request header fields larger than the proxy's limit of " +
              std::to_string(server_.options().max_header_bytes) + " bytes";
  }
  ExchangeOutcome ignored;
  co_await answer_error(11, false, status, message, "invalid_request_error", "proxy_limit",
                        ignored);
}

net::awaitable<bool> ProxySession::answer_error(unsigned version, bool keep_alive,
                                                http::status status, std::string_view message,
                                                std::string_view type, std::string_view code,
                                                ExchangeOutcome& outcome) {
  http::response<http::string_body> res{status, version};
  res.set(http::field::content_type, "application/json");
  res.keep_alive(keep_alive && !server_.stopping());
  res.body() = net::openai_error_body(message, type, code);
  res.prepare_payload();
  arm(SessionControl::Waiting::client, server_.options().client_write_timeout);
  auto [ec, n] = co_await http::async_write(client_, res, use_nothrow);
  (void)n;
  disarm();
  outcome.status_sent = static_cast<int>(status);
  co_return !ec && res.keep_alive();
}

net::awaitable<bool> ProxySession::write_to_client(std::string_view head, std::string_view body,
                                                   time::MonoTime now) {
  arm(SessionControl::Waiting::client, server_.options().client_write_timeout, now);
  const std::array<asio::const_buffer, 2> bytes{asio::buffer(head), asio::buffer(body)};
  auto [ec, n] = co_await asio::async_write(client_, bytes, use_nothrow);
  (void)n;
  if (ec) {
    control_->client_gone = true;
    co_return false;
  }
  co_return true;
}

void ProxySession::start_watching_client() {
  control_->watching = false;  // until the exchange has lasted a tick (proxy/client_watch.hpp)
  control_->client_gone = false;
  watch_.begin(control_);
}

void ProxySession::stop_watching_client() {
  watch_.end(*control_);
  if (!control_->watching) return;
  control_->watching = false;
  error_code ignored;
  client_.cancel(ignored);
}

net::awaitable<bool> ProxySession::handle(ClientRequest& request, time::MonoTime t0) {
  const auto endpoint = recorded_endpoint(request.method_string(), request.target());
  if (!endpoint) {
    ExchangeOutcome outcome;
    co_return co_await exchange(request, nullptr, outcome);
  }

  std::optional<ExchangeMeter> meter;
  try {
    meter.emplace(*endpoint, request.body(), t0, time::now_unix_ms());
    auto& r = meter->record();
    r.backend = server_.pool().target().display;
    r.client_address = client_address_;
    if (auto it = request.find(http::field::origin); it != request.end()) r.origin = it->value();
    r.api_key_fingerprint = api_key_fingerprint(api_key_of(request));
  } catch (const std::exception& e) {
    // Measuring must never fail the request: forward it unmeasured.
    log::error("could not measure a request: {}", e.what());
    meter.reset();
  }

  ExchangeOutcome outcome;
  start_watching_client();
  const bool keep_alive = co_await exchange(request, meter ? &*meter : nullptr, outcome);
  stop_watching_client();
  const auto end = time::MonoClock::now();

  if (meter) {
    // A client that closes after it received the whole response has not disconnected early.
    if (control_->client_gone && !outcome.body_complete) {
      outcome.error = llm::ErrorType::client_disconnected;
      outcome.error_message = "the client closed the connection before the response ended";
    }
    try {
      server_.recorder().submit(meter->finish(end, outcome));
    } catch (const std::exception& e) {
      log::error("could not record a request: {}", e.what());
    }
  }
  co_return keep_alive && !control_->client_gone;
}

net::awaitable<bool> ProxySession::exchange(ClientRequest& request, ExchangeMeter* meter,
                                            ExchangeOutcome& outcome) {
  const unsigned version = request.version();
  const bool client_keep_alive = request.keep_alive();

  write_upstream_request_head(request, server_.pool().target(), client_address_,
                              request.body().size(), upstream_head_);

  for (int attempt = 0;; ++attempt) {
    error_code ec;
    // A retry (after a pooled connection turned out dead) always uses a fresh connection.
    std::unique_ptr<net::UpstreamConnection> connection;
    if (attempt == 0) connection = server_.pool().take_idle(control_->executor);
    if (!connection) connection = co_await server_.pool().connect(control_->executor, ec);
    if (control_->client_gone) {
      if (connection) connection->close();
      co_return false;
    }
    if (!connection) {
      outcome.error =
          timed_out(ec) ? llm::ErrorType::backend_timeout : llm::ErrorType::backend_unreachable;
      outcome.error_message = "cannot connect to the backend: " + ec.message();
      log::warning("cannot connect to the backend {}: {}", server_.pool().target().display,
                   ec.message());
      // Named, not a temporary: GCC 12 destroys temporaries in a co_await expression twice.
      const std::string message =
          "the proxy could not connect to the backend (" + ec.message() + ")";
      co_return co_await answer_error(
          version, client_keep_alive,
          timed_out(ec) ? http::status::gateway_timeout : http::status::bad_gateway, message,
          "proxy_error", timed_out(ec) ? "backend_timeout" : "backend_unreachable", outcome);
    }
    control_->upstream = connection.get();
    bool upstream_reusable = false;
    bool retry = false;
    bool keep_alive = false;
    // Written once for both stream types.
    // The awaitable is made first: GCC 12 mishandles temporaries inside a co_await expression.
    auto send_and_relay_op = std::visit(
        [&](auto& stream) {
          return send_and_relay(stream, *connection, request, meter, outcome, attempt, retry,
                                upstream_reusable);
        },
        connection->stream);
    keep_alive = co_await std::move(send_and_relay_op);
    control_->upstream = nullptr;
    if (retry) {
      connection->close();
      continue;
    }
    if (upstream_reusable && !control_->client_gone)
      server_.pool().release(std::move(connection));
    else
      connection->close();
    co_return keep_alive;
  }
}

template <class Stream>
net::awaitable<bool> ProxySession::send_and_relay(Stream& stream, net::UpstreamConnection& conn,
                                                  const ClientRequest& request,
                                                  ExchangeMeter* meter, ExchangeOutcome& outcome,
                                                  int attempt, bool& retry,
                                                  bool& upstream_reusable) {
  const auto& options = server_.options();
  const unsigned version = request.version();
  const bool client_keep_alive = request.keep_alive();
  auto* connection = &conn;

  arm(SessionControl::Waiting::backend, options.backend_timeout);
  // Head and body in one write (one syscall for a small request).
  const std::array<asio::const_buffer, 2> request_bytes{asio::buffer(upstream_head_),
                                                        asio::buffer(request.body())};
  auto [wec, wn] = co_await asio::async_write(stream, request_bytes, use_nothrow);
  (void)wn;
  if (wec) {
    if (connection->reused && attempt == 0 && !control_->client_gone) {
      retry = true;
      co_return false;
    }
    outcome.error =
        timed_out(wec) ? llm::ErrorType::backend_timeout : llm::ErrorType::backend_unreachable;
    outcome.error_message = "could not send the request to the backend: " + wec.message();
    const std::string message =
        "the proxy could not send the request to the backend (" + wec.message() + ")";
    co_return co_await answer_error(
        version, client_keep_alive,
        timed_out(wec) ? http::status::gateway_timeout : http::status::bad_gateway, message,
        "proxy_error", timed_out(wec) ? "backend_timeout" : "backend_unreachable", outcome);
  }
  // Wait for the first byte of the answer, which is also time to first byte.
  if (connection->buffer.size() == 0) {
    auto [rec, rn] = co_await stream.async_read_some(connection->prepare_read(), use_nothrow);
    connection->buffer.commit(rn);
    connection->note_read(rn);
    if (rec && rn == 0) {
      if (connection->reused && attempt == 0 && !timed_out(rec) && !control_->client_gone) {
        retry = true;
        co_return false;
      }
      if (control_->client_gone) co_return false;
      outcome.error =
          timed_out(rec) ? llm::ErrorType::backend_timeout : llm::ErrorType::backend_unreachable;
      outcome.error_message = timed_out(rec)
                                  ? "the backend did not answer within the timeout"
                                  : "the backend closed the connection without answering";
      co_return co_await answer_error(
          version, client_keep_alive,
          timed_out(rec) ? http::status::gateway_timeout : http::status::bad_gateway,
          timed_out(rec) ? "the backend did not answer in time"
                         : "the backend closed the connection without answering",
          "proxy_error", timed_out(rec) ? "backend_timeout" : "backend_unreachable", outcome);
    }
  }
  if (meter) meter->on_first_byte(time::MonoClock::now());
  co_return co_await relay(stream, *connection, request, meter, outcome, upstream_reusable);
}

template <class Stream>
net::awaitable<bool> ProxySession::relay(Stream& stream, net::UpstreamConnection& connection,
                                         const ClientRequest& request, ExchangeMeter* meter,
                                         ExchangeOutcome& outcome, bool& upstream_reusable) {
  const auto& options = server_.options();
  const unsigned version = request.version();
  const bool head_request = request.method() == http::verb::head;

  // Beast parses the response head only; the body is relayed as raw bytes below. A fresh
  // parser per head lets an interim response (103 Early Hints) be skipped.
  std::optional<http::response_parser<http::empty_body>> parser;
  error_code ec;
  for (;;) {
    parser.emplace();
    parser->header_limit(64 << 10);
    if (head_request) parser->skip(true);
    arm(SessionControl::Waiting::backend, options.backend_timeout);
    ec = co_await net::read_http(stream, connection.buffer, *parser, false);
    const unsigned status = parser->get().result_int();
    if (ec || status < 100 || status >= 200 || status == 101) break;
  }
  if (ec) {
    if (control_->client_gone) co_return false;
    const bool timeout = timed_out(ec);
    outcome.error = timeout ? llm::ErrorType::backend_timeout : llm::ErrorType::invalid_response;
    outcome.error_message = timeout ? "the backend did not send a response header in time"
                                    : "the backend sent an invalid HTTP response: " + ec.message();
    co_return co_await answer_error(
        version, request.keep_alive(),
        timeout ? http::status::gateway_timeout : http::status::bad_gateway,
        timeout ? "the backend did not answer in time"
                : "the backend's response was not valid HTTP",
        "proxy_error", timeout ? "backend_timeout" : "invalid_response", outcome);
  }

  const auto& upstream = parser->get();
  const unsigned status = upstream.result_int();
  enum class Framing { none, length, chunked, until_close };
  Framing framing = Framing::until_close;
  std::uint64_t remaining = 0;
  if (head_request || status == 204 || status == 304 || parser->is_done()) {
    framing = Framing::none;
  } else if (parser->chunked()) {
    framing = Framing::chunked;
  } else if (parser->content_length()) {
    remaining = *parser->content_length();
    framing = remaining == 0 ? Framing::none : Framing::length;
  }

  // The client gets the backend's framing where it can: the same length, or the same chunks
  // byte for byte. Only an HTTP/1.0 client of a chunked backend, or a backend that ends its
  // body by closing, gets a body that ends when the connection closes.
  bool keep_client = request.keep_alive() && !server_.stopping();
  bool forward_chunks_raw = false;
  std::array<char, 24> length_digits;
  std::string_view content_length;
  const auto set_length = [&](std::uint64_t n) {
    const auto end = std::to_chars(length_digits.data(), length_digits.data() + 24, n).ptr;
    content_length = std::string_view(length_digits.data(), end - length_digits.data());
  };
  switch (framing) {
    case Framing::none:
      if (head_request) {
        if (auto it = upstream.find(http::field::content_length); it != upstream.end())
          content_length = it->value();
      } else if (status != 204 && status != 304) {
        set_length(0);
      }
      break;
    case Framing::length:
      set_length(remaining);
      break;
    case Framing::chunked:
      if (version >= 11)
        forward_chunks_raw = true;
      else
        keep_client = false;
      break;
    case Framing::until_close:
      keep_client = false;
      break;
  }
  write_response_head(status, upstream.reason(), version, upstream, content_length,
                      forward_chunks_raw, keep_client, response_head_);
  if (meter) {
    const auto ct = upstream.find(http::field::content_type);
    const auto ce = upstream.find(http::field::content_encoding);
    meter->on_response_header(
        status, ct == upstream.end() ? std::string_view{} : std::string_view(ct->value()),
        ce == upstream.end() ? std::string_view{} : std::string_view(ce->value()));
  }
  outcome.status_sent = static_cast<int>(status);
  // The head goes out with the first body bytes when they arrived with it (one write instead
  // of two), and alone, at once, before waiting for anything more from the backend.
  bool head_pending = true;

  // The body: each read from the backend is written to the client at once, never held back
  // for more, and the meter sees the payload of the same bytes.
  net::ChunkedDecoder chunks;
  auto& buffer = connection.buffer;
  bool complete = framing == Framing::none;
  while (!complete) {
    if (buffer.size() == 0) {
      if (head_pending) {
        head_pending = false;
        if (!co_await write_to_client(response_head_, {})) co_return false;
      }
      // A fresh time: the write to the client just before may have waited on a slow client.
      arm(SessionControl::Waiting::backend, options.stream_idle_timeout);
      auto [rec, rn] = co_await stream.async_read_some(connection.prepare_read(), use_nothrow);
      buffer.commit(rn);
      connection.note_read(rn);
      if (rn == 0 && rec) {
        if (framing == Framing::until_close &&
            (rec == asio::error::eof || rec == asio::ssl::error::stream_truncated)) {
          complete = true;
          break;
        }
        if (control_->client_gone || control_->aborted) co_return false;
        outcome.error =
            timed_out(rec) ? llm::ErrorType::backend_timeout : llm::ErrorType::stream_interrupted;
        outcome.error_message = timed_out(rec)
                                    ? "the backend stalled longer than the stream idle timeout"
                                    : "the backend closed the connection before the response ended";
        // The client must see the break too: the connection ends without a proper end.
        co_return false;
      }
    }
    const auto now = time::MonoClock::now();
    const std::string_view data(static_cast<const char*>(buffer.data().data()), buffer.size());
    std::string_view to_client;
    std::size_t consumed = 0;
    if (framing == Framing::chunked) {
      decoded_.clear();
      consumed = chunks.feed(data, [&](std::string_view payload) {
        if (meter) meter->on_body(payload, now);
        if (!forward_chunks_raw) decoded_.append(payload);
      });
      if (chunks.failed()) {
        outcome.error = llm::ErrorType::invalid_response;
        outcome.error_message = "the backend sent an invalid chunked body";
        co_return false;
      }
      complete = chunks.done();
      to_client = forward_chunks_raw ? data.substr(0, consumed) : std::string_view(decoded_);
    } else {
      consumed = framing == Framing::length
                     ? static_cast<std::size_t>(std::min<std::uint64_t>(remaining, data.size()))
                     : data.size();
      to_client = data.substr(0, consumed);
      if (meter) meter->on_body(to_client, now);
      if (framing == Framing::length) {
        remaining -= consumed;
        complete = remaining == 0;
      }
    }
    if (!to_client.empty() || head_pending) {
      const std::string_view head = head_pending ? response_head_ : std::string_view{};
      head_pending = false;
      if (!co_await write_to_client(head, to_client, now)) co_return false;
    }
    buffer.consume(consumed);
  }
  if (head_pending && !co_await write_to_client(response_head_, {})) co_return false;
  disarm();
  outcome.body_complete = true;
  upstream_reusable =
      upstream.keep_alive() && framing != Framing::until_close && buffer.size() == 0;
  co_return keep_client;
}

}  // namespace lmp::proxy
