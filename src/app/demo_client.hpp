// The demo's traffic source: an HTTP/1.1 client on Beast coroutines that keeps connections to
// the proxy alive, and a runner that sends what the TrafficPlanner plans at a Poisson rate.
// Everything runs on one executor; stats() and stop() may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include "app/demo_traffic.hpp"
#include "net/asio.hpp"

namespace lmp::app::demo {

struct TrafficOptions {
  double rate = 3;  // requests per second, on average
  std::uint64_t seed = 1;
  // Beyond this many requests in flight a tick is skipped, so that a slow machine is not
  // buried under its own demo.
  std::size_t max_in_flight = 64;
  std::chrono::milliseconds request_timeout{120'000};
};

struct TrafficStats {
  std::uint64_t sent = 0;
  std::uint64_t succeeded = 0;
  std::uint64_t failed_as_planned = 0;  // an injected failure that failed
  std::uint64_t failed_otherwise = 0;   // a failure nobody planned (or a planned one that worked)
  std::uint64_t cut_by_shutdown = 0;    // in flight when the proxy stopped
  std::size_t in_flight = 0;
  std::uint64_t skipped = 0;  // ticks skipped at max_in_flight
};

class TrafficRunner {
 public:
  // `proxy` is where the proxy listens; an unspecified address (0.0.0.0, ::) means loopback.
  TrafficRunner(net::asio::any_io_executor executor, net::tcp::endpoint proxy, TrafficMix mix,
                TrafficOptions options);
  ~TrafficRunner();
  TrafficRunner(const TrafficRunner&) = delete;
  TrafficRunner& operator=(const TrafficRunner&) = delete;

  void start();
  // Sends nothing new; requests in flight finish (or are cut by the proxy's shutdown).
  void stop();
  TrafficStats stats() const;
  // Where the requests go (loopback when the proxy listens on every address).
  net::tcp::endpoint target() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace lmp::app::demo
