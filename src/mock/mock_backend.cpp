#include "mock/mock_backend.hpp"

#include "support/text.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <ctime>
#include <iterator>
#include <utility>
#include <vector>

#include "mock/gzip.hpp"
#include "mock/mock_request.hpp"
#include "mock/mock_responses.hpp"
#include "net/listener.hpp"
#include "support/json_writer.hpp"
#include "support/log.hpp"

namespace lmp::mock {

using namespace net;  // asio, beast, http, tcp, awaitable, use_nothrow
using Clock = std::chrono::steady_clock;

struct MockBackend::State {
  MockOptions options;
  std::atomic<std::uint64_t> next_id{1};
  std::atomic<std::uint64_t> received{0};
  std::atomic<bool> stopping{false};
};

namespace {

enum class Framing { length, chunked, until_close };

constexpr std::string_view kLastChunk = "0\r\n\r\n";

// Everything a response needs besides its body.
struct Exchange {
  beast::tcp_stream& stream;
  const Request& request;
  const Overrides& overrides;
  std::string extra_headers;  // complete "Name: value\r\n" lines
  bool keep_alive;
};

Clock::duration ms_to_duration(double ms) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(ms));
}

void append_head(std::string& out, const Exchange& x, unsigned status,
                 std::string_view content_type, Framing framing, std::size_t content_length,
                 bool keep_alive) {
  const bool http10 = x.request.version() == 10;
  fmt::format_to(std::back_inserter(out), "{} {} {}\r\nContent-Type: {}\r\n",
                 http10 ? "HTTP/1.0" : "HTTP/1.1", status,
                 http::obsolete_reason(http::int_to_status(status)), content_type);
  if (framing == Framing::length)
    fmt::format_to(std::back_inserter(out), "Content-Length: {}\r\n", content_length);
  else if (framing == Framing::chunked)
    out += "Transfer-Encoding: chunked\r\n";
  if (!keep_alive)
    out += "Connection: close\r\n";
  else if (http10)
    out += "Connection: keep-alive\r\n";
  out += x.extra_headers;
  out += "\r\n";
}

void append_chunk(std::string& out, std::string_view data) {
  fmt::format_to(std::back_inserter(out), "{:x}\r\n", data.size());
  out += data;
  out += "\r\n";
}

// X-Mock-Received-Headers: the request's headers as one JSON object; a repeated header's
// values are joined with ", " as HTTP allows.
void append_received_headers(std::string& out, const Request& request) {
  std::vector<std::pair<std::string_view, std::string>> headers;
  for (const auto& field : request) {
    const auto name = field.name_string();
    auto it = std::find_if(headers.begin(), headers.end(),
                           [&](const auto& h) { return text::iequals(h.first, name); });
    if (it == headers.end()) {
      headers.emplace_back(name, std::string(field.value()));
    } else {
      it->second += ", ";
      it->second += field.value();
    }
  }
  std::string body;
  json::Writer w(body);
  w.begin_object();
  for (const auto& [name, value] : headers) w.key(name).value(value);
  w.end_object();
  out += "X-Mock-Received-Headers: ";
  out += body;
  out += "\r\n";
}

awaitable<bool> write_all(beast::tcp_stream& stream, std::string& out) {
  if (out.empty()) co_return true;
  auto [ec, n] = co_await asio::async_write(stream, asio::buffer(out), use_nothrow);
  (void)n;
  out.clear();
  co_return !ec;
}

// A whole JSON response, gzip-compressed and/or chunked when the request asked for it.
awaitable<bool> send_json(Exchange& x, unsigned status, std::string_view body) {
  std::string compressed;
  if (x.overrides.gzip) {
    compressed = gzip_compress(body);
    body = compressed;
    x.extra_headers += "Content-Encoding: gzip\r\n";
  }
  std::string out;
  // HTTP/1.0 has no chunked encoding; such a client gets Content-Length instead.
  if (x.overrides.chunked && x.request.version() != 10) {
    out.reserve(256 + x.extra_headers.size() + body.size() + 64);
    append_head(out, x, status, "application/json", Framing::chunked, 0, x.keep_alive);
    // Three chunks rather than one, so that a client must really reassemble the body.
    const std::size_t piece = std::max<std::size_t>(1, (body.size() + 2) / 3);
    for (std::size_t at = 0; at < body.size(); at += piece)
      append_chunk(out, body.substr(at, piece));
    out += kLastChunk;
    const bool ok = co_await write_all(x.stream, out);
    co_return ok&& x.keep_alive;
  }
  out.reserve(256 + x.extra_headers.size());
  append_head(out, x, status, "application/json", Framing::length, body.size(), x.keep_alive);
  // Head and body leave in one gathered write, without copying the body.
  const std::array<asio::const_buffer, 2> buffers{asio::buffer(out), asio::buffer(body)};
  auto [ec, n] = co_await asio::async_write(x.stream, buffers, use_nothrow);
  (void)n;
  co_return !ec && x.keep_alive;
}

struct ErrorKind {
  std::string_view type;
  std::string_view code;
};

ErrorKind error_kind(unsigned status) {
  switch (status) {
    case 400:
      return {"invalid_request_error", "invalid_request"};
    case 401:
      return {"authentication_error", "invalid_api_key"};
    case 403:
      return {"permission_error", "permission_denied"};
    case 404:
      return {"invalid_request_error", "model_not_found"};
    case 408:
      return {"timeout_error", "request_timeout"};
    case 413:
      return {"invalid_request_error", "payload_too_large"};
    case 429:
      return {"rate_limit_error", "rate_limit_exceeded"};
    case 502:
      return {"server_error", "bad_gateway"};
    case 503:
      return {"server_error", "service_unavailable"};
    case 504:
      return {"server_error", "gateway_timeout"};
    default:
      return status >= 500 ? ErrorKind{"server_error", "internal_error"}
                           : ErrorKind{"invalid_request_error", "mock_error"};
  }
}

awaitable<bool> send_error(Exchange& x, unsigned status, std::string_view message,
                           std::string_view type, std::string_view code) {
  if (status == 429) x.extra_headers += "Retry-After: 1\r\n";
  co_return co_await send_json(x, status, openai_error_body(message, type, code));
}

// The effective timing and size of one generated answer.
struct Plan {
  std::int64_t tokens;
  std::string_view finish_reason;
  Clock::duration ttft;
  Clock::duration interval;
};

Plan make_plan(const MockOptions& options, const Overrides& o, const ParsedRequest& request) {
  Plan plan;
  plan.tokens = o.completion_tokens.value_or(options.completion_tokens);
  plan.finish_reason = "stop";
  if (request.max_tokens && *request.max_tokens < plan.tokens) {
    plan.tokens = *request.max_tokens;
    plan.finish_reason = "length";
  }
  plan.ttft = ms_to_duration(o.ttft_ms.value_or(options.ttft_ms));
  const double default_interval =
      options.tokens_per_second > 0 ? 1000.0 / options.tokens_per_second : 0.0;
  plan.interval = ms_to_duration(o.token_interval_ms.value_or(default_interval));
  return plan;
}

awaitable<void> wait_until(asio::steady_timer& timer, Clock::time_point when) {
  if (when <= Clock::now()) co_return;
  timer.expires_at(when);
  co_await timer.async_wait(use_nothrow);
}

// Streams SSE events: the head and everything due at once leave in one write; a write happens
// before each wait, so each token reaches the client at its own time.
awaitable<bool> send_stream(Exchange& x, Endpoint endpoint, const ParsedRequest& request,
                            const Plan& plan, std::string_view id, std::int64_t created,
                            bool with_usage) {
  const auto base = Clock::now();
  const bool chunked = x.request.version() != 10;
  const bool keep_alive = chunked && x.keep_alive;
  StreamEvents events(endpoint, id, created, request.model);
  asio::steady_timer timer(x.stream.get_executor());
  std::string out;
  out.reserve(4096);
  std::string event;
  event.reserve(512);
  x.extra_headers += "Cache-Control: no-cache\r\n";
  append_head(out, x, 200, "text/event-stream", chunked ? Framing::chunked : Framing::until_close,
              0, keep_alive);

  const auto limit = x.overrides.close_after_events;
  std::int64_t sent = 0;
  auto emit = [&](auto&& format) {
    event.clear();
    format(event);
    if (chunked)
      append_chunk(out, event);
    else
      out += event;
    ++sent;
  };
  auto cut = [&] { return limit && sent >= *limit; };
  // An abrupt end: what has been formatted goes out, then the connection closes with neither
  // the terminating chunk nor [DONE]. FIN, not RST, so the client still reads what was sent.
  auto abort = [&]() -> awaitable<bool> {
    co_await write_all(x.stream, out);
    error_code ignored;
    x.stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    x.stream.socket().close(ignored);
    co_return false;
  };

  if (cut()) co_return co_await abort();
  if (endpoint == Endpoint::chat) {
    emit([&](std::string& e) { events.role(e); });
    if (cut()) co_return co_await abort();
  }
  for (std::int64_t i = 0; i < plan.tokens; ++i) {
    const auto due = base + plan.ttft + i * plan.interval;
    if (due > Clock::now()) {
      if (!co_await write_all(x.stream, out)) co_return false;
      co_await wait_until(timer, due);
    }
    emit([&](std::string& e) { events.token(e, static_cast<std::size_t>(i)); });
    if (cut()) co_return co_await abort();
  }
  if (plan.tokens == 0) {
    // Nothing generated still takes the time to the first token.
    if (!co_await write_all(x.stream, out)) co_return false;
    co_await wait_until(timer, base + plan.ttft);
  }
  emit([&](std::string& e) { events.finish(e, plan.finish_reason); });
  if (cut()) co_return co_await abort();
  if (with_usage) {
    emit([&](std::string& e) { events.usage(e, Usage{request.prompt_tokens, plan.tokens}); });
    if (cut()) co_return co_await abort();
  }
  // A cut asked for past the last data event still leaves the stream unterminated.
  if (limit) co_return co_await abort();
  event.clear();
  StreamEvents::done(event);
  if (chunked) {
    append_chunk(out, event);
    out += kLastChunk;
  } else {
    out += event;
  }
  const bool ok = co_await write_all(x.stream, out);
  co_return ok&& keep_alive;
}

// A fixed-size id ("chatcmpl-mock-42") without a heap allocation.
struct Id {
  std::array<char, 48> text{};
  std::size_t size = 0;
  std::string_view view() const { return {text.data(), size}; }
};

Id make_id(std::string_view prefix, std::uint64_t n) {
  Id id;
  id.size = fmt::format_to_n(id.text.data(), id.text.size(), "{}-mock-{}", prefix, n).size;
  return id;
}

awaitable<bool> answer_generation(MockBackend::State& state, Exchange& x, Endpoint endpoint) {
  auto parsed = parse_request(endpoint, x.request.body());
  if (!parsed)
    co_return co_await send_error(x, 400, parsed.error(), "invalid_request_error",
                                  "invalid_request");
  const ParsedRequest& request = *parsed;
  const auto created = static_cast<std::int64_t>(std::time(nullptr));

  if (endpoint == Endpoint::embeddings) {
    std::string body;
    body.reserve(128 + request.input_seeds.size() * (64 + 10 * request.dimensions));
    append_embeddings(body, request.model, request.input_seeds, request.dimensions, request.base64,
                      request.prompt_tokens);
    co_return co_await send_json(x, 200, body);
  }

  const Plan plan = make_plan(state.options, x.overrides, request);
  const Id id = make_id(endpoint == Endpoint::chat ? "chatcmpl" : "cmpl",
                        state.next_id.fetch_add(1, std::memory_order_relaxed));
  if (request.stream)
    co_return co_await send_stream(x, endpoint, request, plan, id.view(), created,
                                   request.include_usage && !x.overrides.no_usage);

  // Not streamed: the answer is complete when its last token would have been generated.
  asio::steady_timer timer(x.stream.get_executor());
  co_await wait_until(
      timer, Clock::now() + plan.ttft + std::max<std::int64_t>(0, plan.tokens - 1) * plan.interval);
  std::optional<Usage> usage;
  if (!x.overrides.no_usage) usage = Usage{request.prompt_tokens, plan.tokens};
  std::string body;
  body.reserve(384 + static_cast<std::size_t>(plan.tokens) * 8);
  if (endpoint == Endpoint::chat)
    append_chat_completion(body, id.view(), created, request.model, plan.tokens, plan.finish_reason,
                           usage);
  else
    append_text_completion(body, id.view(), created, request.model, plan.tokens, plan.finish_reason,
                           usage);
  co_return co_await send_json(x, 200, body);
}

awaitable<bool> handle(MockBackend::State& state, beast::tcp_stream& stream, Request& request) {
  state.received.fetch_add(1, std::memory_order_relaxed);
  if (state.stopping.load(std::memory_order_relaxed)) co_return false;

  Overrides overrides;
  std::optional<std::string> header_error;
  for (const auto& field : request) {
    auto problem = apply_override(overrides, field.name_string(), field.value());
    if (problem && !header_error) header_error = std::move(problem);
  }
  Exchange x{stream, request, overrides, {}, request.keep_alive()};
  if (overrides.echo_headers) append_received_headers(x.extra_headers, request);
  if (header_error)
    co_return co_await send_error(x, 400, *header_error, "invalid_request_error",
                                  "invalid_mock_header");

  if (overrides.stall_ms) {
    asio::steady_timer timer(stream.get_executor(), ms_to_duration(*overrides.stall_ms));
    co_await timer.async_wait(use_nothrow);
  }
  if (overrides.status) {
    const auto kind = error_kind(*overrides.status);
    const auto message = fmt::format(
        "mock backend error {}: the request asked for it with X-Mock-Status", *overrides.status);
    co_return co_await send_error(x, *overrides.status, message, kind.type, kind.code);
  }

  auto path = request.target();
  if (const auto q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  const auto method = request.method();
  if (method == http::verb::post) {
    if (path == "/v1/chat/completions")
      co_return co_await answer_generation(state, x, Endpoint::chat);
    if (path == "/v1/completions")
      co_return co_await answer_generation(state, x, Endpoint::completions);
    if (path == "/v1/embeddings")
      co_return co_await answer_generation(state, x, Endpoint::embeddings);
  } else if (method == http::verb::get && path == "/v1/models") {
    co_return co_await send_json(x, 200, models_body());
  }
  const auto message = fmt::format("Invalid URL ({} {})", request.method_string(), path);
  co_return co_await send_error(x, 404, message, "invalid_request_error", "unknown_url");
}

}  // namespace

MockBackend::MockBackend(asio::any_io_executor executor, MockOptions options)
    : state_(std::make_shared<State>()) {
  state_->options = std::move(options);
  const auto& o = state_->options;
  listener_ = std::make_unique<Listener>(
      executor, o.listen_address, o.port, [state = state_](tcp::socket socket) {
        return serve_http(
            std::move(socket),
            [state](beast::tcp_stream& stream, Request& request) {
              return handle(*state, stream, request);
            },
            state->options.limits);
      });
}

MockBackend::~MockBackend() = default;

void MockBackend::start() {
  state_->stopping = false;
  listener_->start();
}

tcp::endpoint MockBackend::endpoint() const {
  return listener_->local_endpoint();
}

void MockBackend::stop() {
  state_->stopping = true;
  listener_->stop();
}

std::uint64_t MockBackend::requests_received() const {
  return state_->received.load();
}

}  // namespace lmp::mock
