// One client connection: reads requests, forwards each to the backend, relays the response
// as it arrives and, for recorded endpoints, measures it and submits the record.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "net/asio.hpp"
#include "net/http_head.hpp"
#include "net/upstream_pool.hpp"
#include "proxy/client_watch.hpp"
#include "proxy/exchange_meter.hpp"
#include "proxy/proxy_server.hpp"

namespace lmp::proxy {
namespace asio = net::asio;

// What other coroutines and the server may see of a session; touched only on its loop.
struct SessionControl {
  explicit SessionControl(net::LoopExecutor loop) : executor(loop) {}
  net::LoopExecutor executor;  // the connection's loop
  net::LoopSocket* client = nullptr;
  net::UpstreamConnection* upstream = nullptr;  // the backend connection in use, if any
  bool idle = true;                             // waiting for the next request
  bool watching = false;                        // a client-disconnect watcher is armed
  // Waiting in the loop's ClientWatch for the exchange to last long enough to be watched.
  static constexpr std::size_t kNotWaiting = static_cast<std::size_t>(-1);
  std::size_t watch_slot = kNotWaiting;  // index in ClientWatch's list
  std::uint64_t watch_since = 0;         // the ClientWatch tick the exchange began in
  bool client_gone = false;              // the client closed or reset the connection
  char peeked = 0;                       // where the watcher peeks (watch_client)
  bool aborted = false;                  // the server aborted the exchange (shutdown)

  // Timeouts (ProxySession::arm): what the session waits for, until when, and the one timer
  // that checks it.
  enum class Waiting { nothing, client, backend };
  Waiting waiting = Waiting::nothing;
  std::chrono::steady_clock::time_point deadline{};
  bool timed_out = false;  // the deadline passed: the socket waited on was closed
  std::unique_ptr<asio::steady_timer> watchdog;
  std::chrono::steady_clock::time_point watchdog_expiry{};  // when the pending wait fires
  bool watchdog_pending = false;
};

class ProxySession {
 public:
  ProxySession(ProxyServer& server, net::LoopSocket socket);
  net::loop_awaitable<void> run();

 private:
  // The request being served: its head, whose views point into request_head_bytes_, and its
  // body, a view into buffer_ (consumed after the exchange) or into chunked_body_.
  struct ClientRequest {
    net::RequestHead head;
    std::string_view body;
  };

  // Reads the next request into request_ (and 100 Continue when asked for).
  net::loop_awaitable<net::error_code> read_request();
  // Measures (when the endpoint is recorded) and forwards request_, read whole at t0_.
  net::loop_awaitable<bool> handle(const ClientRequest& request);
  // Forwards and relays one exchange; fills outcome. Returns whether the client connection
  // may serve another request.
  net::loop_awaitable<bool> exchange(const ClientRequest& request, ExchangeMeter* meter,
                                     ExchangeOutcome& outcome);
  template <class Stream>
  net::loop_awaitable<bool> send_and_relay(Stream& stream, net::UpstreamConnection& connection,
                                           const ClientRequest& request, ExchangeMeter* meter,
                                           ExchangeOutcome& outcome, int attempt, bool& retry,
                                           bool& upstream_reusable);
  template <class Stream>
  net::loop_awaitable<bool> relay(Stream& stream, net::UpstreamConnection& connection,
                                  const ClientRequest& request, ExchangeMeter* meter,
                                  ExchangeOutcome& outcome, bool& upstream_reusable);
  // An error answered by the proxy itself (502, 504, 413 ...), OpenAI-style.
  net::loop_awaitable<bool> answer_error(unsigned version, bool keep_alive,
                                         net::http::status status, std::string_view message,
                                         std::string_view type, std::string_view code,
                                         ExchangeOutcome& outcome);
  net::loop_awaitable<void> answer_read_error(const net::error_code& ec);
  // Sets the session's deadline for what it now waits for: a stored time, not a timer
  // operation (see proxy_session.cpp). disarm(): waiting for nothing.
  void arm(SessionControl::Waiting what, std::chrono::milliseconds timeout,
           time::MonoTime now = time::MonoClock::now());
  void disarm() { control_->waiting = SessionControl::Waiting::nothing; }
  // The operation failed because its deadline passed.
  bool timed_out(const net::error_code& ec) const;
  // Writes head then body (either may be empty) in one gather write: the operation, to be
  // awaited by the caller (an operation, not a coroutine: no frame of its own per write), then
  // wrote_to_client(its error), false if the client is gone.
  using ClientWrite = decltype(asio::async_write(std::declval<net::LoopSocket&>(),
                                                 std::declval<std::array<asio::const_buffer, 2>>(),
                                                 net::use_nothrow));
  ClientWrite write_to_client(std::string_view head, std::string_view body,
                              time::MonoTime now = time::MonoClock::now());
  bool wrote_to_client(const net::error_code& ec);
  void start_watching_client();
  void stop_watching_client();

  ProxyServer& server_;
  net::LoopSocket client_;
  ClientWatch& watch_;  // this loop's
  net::beast::flat_buffer buffer_;
  ClientRequest request_;
  std::string request_head_bytes_;      // the head of request_; reused
  std::string chunked_body_;            // the de-chunked body of request_, when it came chunked
  std::size_t body_in_buffer_ = 0;      // bytes of buffer_ that request_.body views
  net::ResponseHead response_;          // the backend's response head; views into its buffer
  std::optional<ExchangeMeter> meter_;  // the measurement of the exchange in flight, if any
  // Instants read once and used again where a reading microseconds later would mean the same
  // thing (a small request read the monotonic clock 9 times, now 3: t0, first byte, end).
  // Members, not locals or parameters, so that the coroutine frames do not grow.
  time::MonoTime t0_{};  // the request in flight was read whole (time::MonoClock)
  // The latest read from the backend in the exchange in flight: its first byte's, then its body's.
  time::MonoTime backend_read_at_{};
  std::optional<time::MonoTime> exchange_end_;  // the last exchange ended (for the keep-alive wait)
  std::string client_address_;
  std::shared_ptr<SessionControl> control_;
  std::string decoded_;        // de-chunked payload for an HTTP/1.0 client; reused
  std::string upstream_head_;  // the backend request's head, serialised; reused
  std::string response_head_;  // the client response's head, serialised; reused
  static constexpr std::size_t kKeptBufferBytes = 16384;
  static constexpr std::size_t kMaxResponseHeadBytes = 64 << 10;
};

}  // namespace lmp::proxy
