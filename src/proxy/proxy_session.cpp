#include "proxy/proxy_session.hpp"

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

net::loop_awaitable<void> ProxySession::run() {
  server_.track(control_);
  const auto& options = server_.options();
  for (bool first = true; !server_.stopping(); first = false) {
    control_->idle = true;
    // A buffer grown for a large body is not kept by an idle connection (thousands of them).
    if (buffer_.size() == 0 && buffer_.capacity() > kKeptBufferBytes) buffer_.shrink_to_fit();
    // After a recorded exchange, the wait for the next request is timed from the instant the
    // exchange ended (handle), read before its record was finished and submitted: a deadline
    // that much early (microseconds; more only for a large body parsed then) is harmless.
    const auto wait_from = exchange_end_ ? *exchange_end_ : time::MonoClock::now();
    exchange_end_.reset();
    arm(SessionControl::Waiting::client,
        first ? options.client_read_timeout : options.client_idle_timeout, wait_from);
    auto ec = co_await read_request();
    if (ec) {
      co_await answer_read_error(ec);
      break;
    }
    disarm();
    t0_ = time::MonoClock::now();
    bool keep_alive = false;
    try {
      keep_alive = co_await handle(request_);
    } catch (const std::exception& e) {
      // A fault in our code must not take the process down; this connection ends.
      log::error("proxy session failed: {}", e.what());
      keep_alive = false;
    }
    // A body read in place is consumed only now: it was a view into the buffer.
    buffer_.consume(body_in_buffer_);
    body_in_buffer_ = 0;
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

net::loop_awaitable<error_code> ProxySession::read_request() {
  const auto& options = server_.options();
  std::size_t head_size = 0;
  auto ec = co_await net::read_head(client_, buffer_, options.max_header_bytes, true, head_size);
  if (ec) co_return ec;
  control_->idle = false;
  // The head is copied out of the buffer, whose bytes move when it grows for the body; its
  // views then stay valid for the whole exchange.
  request_head_bytes_.assign(net::readable(buffer_).substr(0, head_size));
  buffer_.consume(head_size);
  auto& head = request_.head;
  ec = net::parse_request_head(request_head_bytes_, head);
  if (ec) co_return ec;
  request_.body = {};
  const auto length = head.content_length.value_or(0);
  if (length > options.max_body_bytes) co_return http::error::body_limit;
  if (!head.chunked && length == 0) co_return error_code{};

  // A body that has not arrived whole yet. curl and others wait for 100 Continue before sending
  // one over 1 KiB.
  if (head.expect_continue && (head.chunked || buffer_.size() < length)) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    auto [cec, cn] = co_await asio::async_write(client_, asio::buffer(kContinue), use_nothrow);
    (void)cn;
    if (cec) co_return cec;
  }
  if (head.chunked) {
    arm(SessionControl::Waiting::client, options.client_read_timeout);
    if (chunked_body_.capacity() > kKeptBufferBytes) chunked_body_ = std::string();
    chunked_body_.clear();
    ec = co_await net::read_chunked_body(client_, buffer_, options.max_body_bytes, chunked_body_);
    request_.body = chunked_body_;
    co_return ec;
  }
  // Read whole into the buffer (room made for all of it: a few large reads instead of
  // ~490-byte ones) and used in place; consumed after the exchange. A small body usually came
  // with the head: then nothing is waited for, and no deadline (no clock read) is needed.
  if (buffer_.size() < length) {
    arm(SessionControl::Waiting::client, options.client_read_timeout);
    ec = co_await net::read_at_least(client_, buffer_, static_cast<std::size_t>(length));
    if (ec) co_return ec;
  }
  body_in_buffer_ = static_cast<std::size_t>(length);
  request_.body = net::readable(buffer_).substr(0, body_in_buffer_);
  co_return error_code{};
}

net::loop_awaitable<void> ProxySession::answer_read_error(const error_code& ec) {
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

net::loop_awaitable<bool> ProxySession::answer_error(unsigned version, bool keep_alive,
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

ProxySession::ClientWrite ProxySession::write_to_client(std::string_view head,
                                                        std::string_view body, time::MonoTime now) {
  arm(SessionControl::Waiting::client, server_.options().client_write_timeout, now);
  return asio::async_write(
      client_, std::array<asio::const_buffer, 2>{asio::buffer(head), asio::buffer(body)},
      use_nothrow);
}

bool ProxySession::wrote_to_client(const error_code& ec) {
  if (ec) control_->client_gone = true;
  return !ec;
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

net::loop_awaitable<bool> ProxySession::handle(const ClientRequest& request) {
  const auto endpoint = recorded_endpoint(request.head.method, request.head.target);
  if (!endpoint) {
    ExchangeOutcome outcome;
    co_return co_await exchange(request, nullptr, outcome);
  }

  // A member, not a local: the coroutine frame then stays small enough for Asio to recycle
  // (frames above ~1 KB are allocated for every request).
  auto& meter = meter_;
  meter.reset();
  try {
    meter.emplace(*endpoint, request.body, t0_, time::now_unix_ms());
    auto& r = meter->record();
    r.backend = server_.pool().target().display;
    r.client_address = client_address_;
    if (auto origin = request.head.find("origin")) r.origin = *origin;
    r.api_key_fingerprint = api_key_fingerprint(api_key_of(request.head));
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
  exchange_end_ = end;  // also starts the wait for the next request (run)

  if (meter) {
    // A client that closes after it received the whole response has not disconnected early.
    if (control_->client_gone && !outcome.body_complete) {
      outcome.error = llm::ErrorType::client_disconnected;
      outcome.error_message = "the client closed the connection before the response ended";
    }
    try {
      server_.recorder().submit(meter->finish(end, outcome));
      meter.reset();
    } catch (const std::exception& e) {
      log::error("could not record a request: {}", e.what());
    }
  }
  co_return keep_alive && !control_->client_gone;
}

net::loop_awaitable<bool> ProxySession::exchange(const ClientRequest& request, ExchangeMeter* meter,
                                                 ExchangeOutcome& outcome) {
  const unsigned version = request.head.version;
  const bool client_keep_alive = request.head.keep_alive;

  write_upstream_request_head(request.head, server_.pool().target(), client_address_,
                              request.body.size(), upstream_head_);

  for (int attempt = 0;; ++attempt) {
    error_code ec;
    // A retry (after a pooled connection turned out dead) always uses a fresh connection.
    std::unique_ptr<net::UpstreamConnection> connection;
    // t0 was read moments ago, with no wait since: it serves as the pool's "now" (a connection
    // then looks idle for microseconds less, or milliseconds after parsing a large body).
    if (attempt == 0) connection = server_.pool().take_idle(control_->executor, t0_);
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
    // Idle since the response's last bytes were read (the backend since it sent them): a little
    // earlier than now, so an idle connection looks, if anything, older than it is.
    if (upstream_reusable && !control_->client_gone)
      server_.pool().release(std::move(connection), backend_read_at_);
    else
      connection->close();
    co_return keep_alive;
  }
}

template <class Stream>
net::loop_awaitable<bool> ProxySession::send_and_relay(Stream& stream,
                                                       net::UpstreamConnection& conn,
                                                       const ClientRequest& request,
                                                       ExchangeMeter* meter,
                                                       ExchangeOutcome& outcome, int attempt,
                                                       bool& retry, bool& upstream_reusable) {
  const auto& options = server_.options();
  const unsigned version = request.head.version;
  const bool client_keep_alive = request.head.keep_alive;
  auto* connection = &conn;

  // A pooled connection comes straight from t0, with nothing waited for since (exchange): the
  // deadline may start at t0, microseconds early (milliseconds after a large body was parsed),
  // which is harmless against a backend timeout. A new connection was waited for: a fresh time.
  arm(SessionControl::Waiting::backend, options.backend_timeout,
      connection->reused ? t0_ : time::MonoClock::now());
  // Head and body in one write (one syscall for a small request).
  const std::array<asio::const_buffer, 2> request_bytes{asio::buffer(upstream_head_),
                                                        asio::buffer(request.body)};
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
  // Time to first byte; also the arrival time of the body bytes that came in the same read
  // (relay), and the instant the connection falls idle if the response ends with them.
  backend_read_at_ = time::MonoClock::now();
  if (meter) meter->on_first_byte(backend_read_at_);
  co_return co_await relay(stream, *connection, request, meter, outcome, upstream_reusable);
}

template <class Stream>
net::loop_awaitable<bool> ProxySession::relay(Stream& stream, net::UpstreamConnection& connection,
                                              const ClientRequest& request, ExchangeMeter* meter,
                                              ExchangeOutcome& outcome, bool& upstream_reusable) {
  const auto& options = server_.options();
  const unsigned version = request.head.version;
  const bool head_request = request.head.method == "HEAD";

  // The response head, read and parsed in place: its views into the connection's buffer are
  // used before the next read into it. An interim response (103 Early Hints) is skipped.
  auto& upstream = response_;
  auto& buffer = connection.buffer;
  std::size_t head_size = 0;
  error_code ec;
  // The buffer holds only bytes of the read timed at backend_read_at_ (send_and_relay).
  bool read_at_known = true;
  for (;;) {
    // Usually the head came with the first read (send_and_relay): no coroutine to wait in.
    ec = net::buffered_head(buffer, kMaxResponseHeadBytes, false, head_size);
    if (!ec && head_size == 0) {
      arm(SessionControl::Waiting::backend, options.backend_timeout);
      ec = co_await net::read_head(stream, buffer, kMaxResponseHeadBytes, false, head_size);
      read_at_known = false;
    }
    if (!ec) ec = net::parse_response_head(net::readable(buffer).substr(0, head_size), upstream);
    if (ec || upstream.status >= 200 || upstream.status == 101) break;
    buffer.consume(head_size);
  }
  if (ec) {
    if (control_->client_gone) co_return false;
    const bool timeout = timed_out(ec);
    outcome.error = timeout ? llm::ErrorType::backend_timeout : llm::ErrorType::invalid_response;
    outcome.error_message = timeout ? "the backend did not send a response header in time"
                                    : "the backend sent an invalid HTTP response: " + ec.message();
    co_return co_await answer_error(
        version, request.head.keep_alive,
        timeout ? http::status::gateway_timeout : http::status::bad_gateway,
        timeout ? "the backend did not answer in time"
                : "the backend's response was not valid HTTP",
        "proxy_error", timeout ? "backend_timeout" : "invalid_response", outcome);
  }

  const unsigned status = upstream.status;
  enum class Framing { none, length, chunked, until_close };
  Framing framing = Framing::until_close;
  std::uint64_t remaining = 0;
  if (head_request || status < 200 || status == 204 || status == 304) {
    framing = Framing::none;
  } else if (upstream.chunked) {
    framing = Framing::chunked;
  } else if (upstream.other_coding) {
    framing = Framing::until_close;  // RFC 9112 6.3: a coding we cannot delimit ends at close
  } else if (upstream.content_length) {
    remaining = *upstream.content_length;
    framing = remaining == 0 ? Framing::none : Framing::length;
  }

  // The client gets the backend's framing where it can: the same length, or the same chunks
  // byte for byte. Only an HTTP/1.0 client of a chunked backend, or a backend that ends its
  // body by closing, gets a body that ends when the connection closes.
  bool keep_client = request.head.keep_alive && !server_.stopping();
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
        if (auto length = upstream.find("content-length")) content_length = *length;
      } else if (status >= 200 && status != 204 && status != 304) {
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
  write_response_head(status, upstream.reason, version, upstream.fields, content_length,
                      forward_chunks_raw, keep_client, response_head_);
  if (meter) {
    meter->on_response_header(status, upstream.find("content-type").value_or(std::string_view{}),
                              upstream.find("content-encoding").value_or(std::string_view{}));
  }
  const bool upstream_keep_alive = upstream.keep_alive;
  buffer.consume(head_size);  // the head's views are not used past this point
  outcome.status_sent = static_cast<int>(status);
  // The head goes out with the first body bytes when they arrived with it (one write instead
  // of two), and alone, at once, before waiting for anything more from the backend.
  bool head_pending = true;

  // The body: each read from the backend is written to the client at once, never held back
  // for more, and the meter sees the payload of the same bytes.
  net::ChunkedDecoder chunks;
  bool complete = framing == Framing::none;
  while (!complete) {
    if (buffer.size() == 0) {
      if (head_pending) {
        head_pending = false;
        auto write = write_to_client(response_head_, {});
        auto [wec, wn] = co_await std::move(write);
        (void)wn;
        if (!wrote_to_client(wec)) co_return false;
      }
      // A fresh time: the write to the client just before may have waited on a slow client.
      arm(SessionControl::Waiting::backend, options.stream_idle_timeout);
      auto [rec, rn] = co_await stream.async_read_some(connection.prepare_read(), use_nothrow);
      buffer.commit(rn);
      connection.note_read(rn);
      read_at_known = false;
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
    // Body bytes that came in the same read as the response's first byte arrived then (the
    // common non-streamed case: head and body in one read); others when they are handled.
    const auto now = read_at_known ? backend_read_at_ : time::MonoClock::now();
    read_at_known = false;
    backend_read_at_ = now;
    const std::string_view data = net::readable(buffer);
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
      if (framing == Framing::length) {
        remaining -= consumed;
        complete = remaining == 0;
      }
      if (meter) meter->on_body(to_client, now, complete);
    }
    if (!to_client.empty() || head_pending) {
      const std::string_view head = head_pending ? response_head_ : std::string_view{};
      head_pending = false;
      auto write = write_to_client(head, to_client, now);
      auto [wec, wn] = co_await std::move(write);
      (void)wn;
      if (!wrote_to_client(wec)) co_return false;
    }
    buffer.consume(consumed);
  }
  if (head_pending) {
    auto write = write_to_client(response_head_, {});
    auto [wec, wn] = co_await std::move(write);
    (void)wn;
    if (!wrote_to_client(wec)) co_return false;
  }
  disarm();
  outcome.body_complete = true;
  upstream_reusable = upstream_keep_alive && framing != Framing::until_close && buffer.size() == 0;
  co_return keep_client;
}

}  // namespace lmp::proxy
