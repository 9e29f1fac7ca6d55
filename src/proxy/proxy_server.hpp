// The OpenAI-compatible proxy: accepts client connections, forwards each request to the
// backend, relays the response as it arrives, and hands a record of each measured request to
// the recorder. Owns the upstream pool and knows its sessions, for a graceful shutdown.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <unordered_set>
#include <utility>
#include <vector>

#include "net/asio.hpp"
#include "net/upstream_pool.hpp"
#include "recording/recorder.hpp"

namespace lmp::proxy {

struct ProxyOptions {
  std::size_t max_body_bytes = 32 << 20;
  std::size_t max_header_bytes = 16 << 10;
  std::chrono::milliseconds client_read_timeout{30'000};   // to receive one whole request
  std::chrono::milliseconds client_idle_timeout{75'000};   // kept-alive, between requests
  std::chrono::milliseconds client_write_timeout{60'000};  // a client that stops reading
  std::chrono::milliseconds backend_timeout{300'000};      // request sent → response header
  std::chrono::milliseconds stream_idle_timeout{300'000};  // between two reads of the body
};

struct SessionControl;
class ClientWatch;

class ProxyServer {
 public:
  ProxyServer(std::shared_ptr<net::UpstreamPool> pool, recording::Recorder& recorder,
              ProxyOptions options);
  ~ProxyServer();

  // For net::Listener.
  net::loop_awaitable<void> serve(net::LoopSocket socket);

  // Stop taking new requests: idle kept-alive connections close, busy ones close after their
  // current response.
  void begin_shutdown();
  // Abort whatever is still in flight (after the grace period); each is still recorded.
  void abort_all();
  std::size_t active_sessions() const { return active_.load(); }
  // The most connections open at once since the last reset_peak_sessions().
  std::size_t peak_sessions() const { return peak_.load(std::memory_order_relaxed); }
  void reset_peak_sessions() { peak_.store(active_.load(), std::memory_order_relaxed); }
  bool stopping() const { return stopping_.load(std::memory_order_relaxed); }

  net::UpstreamPool& pool() { return *pool_; }
  recording::Recorder& recorder() { return recorder_; }
  const ProxyOptions& options() const { return options_; }

  // The loop's ClientWatch (made at its first connection).
  ClientWatch& client_watch(const net::LoopExecutor& loop);

  void track(const std::shared_ptr<SessionControl>& control);
  void untrack(const std::shared_ptr<SessionControl>& control);

 private:
  std::shared_ptr<net::UpstreamPool> pool_;
  recording::Recorder& recorder_;
  ProxyOptions options_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> active_{0};
  std::atomic<std::size_t> peak_{0};
  std::mutex sessions_mutex_;
  std::unordered_set<std::shared_ptr<SessionControl>> sessions_;
  std::mutex watches_mutex_;
  std::vector<std::pair<const net::asio::execution_context*, std::unique_ptr<ClientWatch>>>
      watches_;
};

}  // namespace lmp::proxy
