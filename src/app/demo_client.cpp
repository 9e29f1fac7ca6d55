#include "app/demo_client.hpp"

#include <string>
#include <vector>

#include "support/log.hpp"

namespace lmp::app::demo {

using namespace net;  // asio, beast, http, tcp, awaitable, use_nothrow

namespace {

// A kept-alive connection to the proxy and the bytes read past the last response (normally
// none: the client never pipelines).
struct Connection {
  explicit Connection(const asio::any_io_executor& executor) : stream(executor) {}
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
};

enum class Result { ok, http_error, cut, disconnected, transport_error };

std::string_view to_string(Result result) {
  switch (result) {
    case Result::ok:
      return "a 2xx answer";
    case Result::http_error:
      return "an error status";
    case Result::cut:
      return "a cut response";
    case Result::disconnected:
      return "a client disconnect";
    case Result::transport_error:
      return "a connection error";
  }
  return "?";
}

Result expected_result(Fault fault) {
  switch (fault) {
    case Fault::none:
      return Result::ok;
    case Fault::rate_limit:
    case Fault::server_error:
    case Fault::unavailable:
    case Fault::timeout:
      return Result::http_error;
    case Fault::stream_cut:
      return Result::cut;
    case Fault::client_disconnect:
      return Result::disconnected;
  }
  return Result::ok;
}

constexpr std::size_t kMaxIdle = 16;
constexpr std::size_t kMaxResponseBytes = 64 << 20;

}  // namespace

struct TrafficRunner::State {
  State(asio::any_io_executor ex, tcp::endpoint endpoint, TrafficMix mix, TrafficOptions o)
      : executor(asio::make_strand(ex)),
        proxy(endpoint),
        planner(std::move(mix), o.seed),
        options(o),
        timer(executor) {}

  // Everything below is touched only on this strand, except the atomic counters.
  asio::any_io_executor executor;
  tcp::endpoint proxy;
  std::string host;
  TrafficPlanner planner;
  TrafficOptions options;
  asio::steady_timer timer;
  std::vector<std::unique_ptr<Connection>> idle;
  bool stopping = false;
  std::atomic<std::size_t> in_flight{0};  // written on the strand, read from anywhere
  std::atomic<std::uint64_t> sent{0}, succeeded{0}, failed_as_planned{0}, failed_otherwise{0},
      cut_by_shutdown{0}, skipped{0};
};

namespace {

using State = TrafficRunner::State;

// One exchange; never throws. The helpers take references: the caller's frame outlives the
// awaited call, and no by-value temporary sits inside a co_await (GCC 12 destroys those twice).
awaitable<Result> perform(State& s, const PlannedRequest& plan) {
  http::request<http::string_body> request{http::verb::post, plan.target, 11};
  request.set(http::field::host, s.host);
  request.set(http::field::user_agent, "llm-metrics-proxy-demo/" LMP_VERSION);
  for (const auto& [name, value] : plan.headers) request.set(name, value);
  request.body() = plan.body;
  request.keep_alive(true);
  request.prepare_payload();

  // A kept-alive connection the proxy has closed meanwhile fails before any answer byte; that
  // one request is then sent again on a new connection.
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<Connection> conn;
    const bool reused = !s.idle.empty();
    if (reused) {
      conn = std::move(s.idle.back());
      s.idle.pop_back();
    } else {
      conn = std::make_unique<Connection>(s.executor);
      conn->stream.expires_after(std::chrono::seconds(5));
      auto [ec] = co_await conn->stream.async_connect(s.proxy, use_nothrow);
      if (ec) co_return Result::transport_error;
    }
    conn->stream.expires_after(s.options.request_timeout);
    auto [write_ec, written] = co_await http::async_write(conn->stream, request, use_nothrow);
    (void)written;
    if (write_ec) {
      if (reused) continue;
      co_return Result::transport_error;
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxResponseBytes);
    auto [header_ec, header_bytes] =
        co_await http::async_read_header(conn->stream, conn->buffer, parser, use_nothrow);
    if (header_ec) {
      if (reused && header_bytes == 0) continue;
      co_return Result::transport_error;
    }

    if (plan.disconnect_after_events > 0) {
      // Read event by event and leave in the middle, as a user closing a browser tab does.
      std::size_t scanned = 0;
      std::int64_t events = 0;
      while (!parser.is_done()) {
        auto [ec, n] =
            co_await http::async_read_some(conn->stream, conn->buffer, parser, use_nothrow);
        (void)n;
        if (ec)
          co_return ec == http::error::partial_message ? Result::cut : Result::transport_error;
        const std::string& body = parser.get().body();
        for (; scanned + 1 < body.size(); ++scanned)
          if (body[scanned] == '\n' && body[scanned + 1] == '\n') ++events;
        if (events >= plan.disconnect_after_events) {
          error_code ignored;
          conn->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
          conn->stream.socket().close(ignored);
          co_return Result::disconnected;
        }
      }
    } else {
      auto [ec, n] = co_await http::async_read(conn->stream, conn->buffer, parser, use_nothrow);
      (void)n;
      if (ec) co_return ec == http::error::partial_message ? Result::cut : Result::transport_error;
    }

    const unsigned status = parser.get().result_int();
    if (parser.get().keep_alive() && !s.stopping && s.idle.size() < kMaxIdle) {
      conn->stream.expires_never();
      s.idle.push_back(std::move(conn));
    }
    co_return status >= 200 && status < 300 ? Result::ok : Result::http_error;
  }
  co_return Result::transport_error;
}

awaitable<void> exchange(std::shared_ptr<State> s, PlannedRequest plan) {
  auto attempt = perform(*s, plan);
  const Result result = co_await std::move(attempt);
  --s->in_flight;
  const Result expected = expected_result(plan.fault);
  if (result == expected && plan.fault == Fault::none) {
    s->succeeded.fetch_add(1, std::memory_order_relaxed);
  } else if (result == expected) {
    s->failed_as_planned.fetch_add(1, std::memory_order_relaxed);
  } else if (s->stopping) {
    // At shutdown the proxy cuts what is left: expected then, not worth a line.
    s->cut_by_shutdown.fetch_add(1, std::memory_order_relaxed);
  } else {
    s->failed_otherwise.fetch_add(1, std::memory_order_relaxed);
    log::warning("demo: {} request for {} ({}) planned as {} ended in {}", plan.target, plan.model,
                 plan.stream ? "streamed" : "not streamed", to_string(plan.fault),
                 to_string(result));
  }
}

awaitable<void> run_loop(std::shared_ptr<State> s) {
  // The first request leaves at once, so that the dashboard has something to show immediately.
  bool first = true;
  while (!s->stopping) {
    if (!first) {
      const double gap = s->planner.next_gap_seconds(s->options.rate);
      s->timer.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(gap)));
      auto [ec] = co_await s->timer.async_wait(use_nothrow);
      (void)ec;
      if (s->stopping) break;
    }
    first = false;
    if (s->in_flight >= s->options.max_in_flight) {
      s->skipped.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    PlannedRequest plan = s->planner.next();
    log::debug("demo: {} for {} ({}), planned outcome {}", plan.target, plan.model,
               plan.stream ? "streamed" : "not streamed", to_string(plan.fault));
    ++s->in_flight;
    s->sent.fetch_add(1, std::memory_order_relaxed);
    asio::co_spawn(s->executor, exchange(s, std::move(plan)), asio::detached);
  }
}

}  // namespace

TrafficRunner::TrafficRunner(asio::any_io_executor executor, tcp::endpoint proxy, TrafficMix mix,
                             TrafficOptions options) {
  if (proxy.address().is_unspecified()) {
    proxy.address(proxy.address().is_v6() ? asio::ip::address(asio::ip::address_v6::loopback())
                                          : asio::ip::address(asio::ip::address_v4::loopback()));
  }
  state_ = std::make_shared<State>(std::move(executor), proxy, std::move(mix), options);
  const auto address = proxy.address();
  state_->host = (address.is_v6() ? "[" + address.to_string() + "]" : address.to_string()) + ":" +
                 std::to_string(proxy.port());
}

TrafficRunner::~TrafficRunner() = default;

tcp::endpoint TrafficRunner::target() const {
  return state_->proxy;
}

void TrafficRunner::start() {
  asio::co_spawn(state_->executor, run_loop(state_), asio::detached);
}

void TrafficRunner::stop() {
  asio::post(state_->executor, [s = state_] {
    s->stopping = true;
    s->timer.cancel();
    s->idle.clear();  // closes the idle connections
  });
}

TrafficStats TrafficRunner::stats() const {
  TrafficStats out;
  out.sent = state_->sent.load(std::memory_order_relaxed);
  out.succeeded = state_->succeeded.load(std::memory_order_relaxed);
  out.failed_as_planned = state_->failed_as_planned.load(std::memory_order_relaxed);
  out.failed_otherwise = state_->failed_otherwise.load(std::memory_order_relaxed);
  out.cut_by_shutdown = state_->cut_by_shutdown.load(std::memory_order_relaxed);
  out.in_flight = state_->in_flight.load();
  out.skipped = state_->skipped.load(std::memory_order_relaxed);
  return out;
}

}  // namespace lmp::app::demo
