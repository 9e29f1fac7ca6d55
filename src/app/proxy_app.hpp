// The running program as one object: the io_context and its threads, the store, recorder,
// upstream pool, proxy, metrics API, dashboard and their listeners, wired from a Config, with
// the graceful shutdown. Used by the normal start-up and by the `demo` subcommand.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "app/config.hpp"
#include "net/asio.hpp"
#include "net/backend_target.hpp"
#include "net/event_loops.hpp"

namespace lmp::api {
class DashboardServer;
class MetricsApi;
}  // namespace lmp::api
namespace lmp::net {
class Listener;
class UpstreamPool;
}  // namespace lmp::net
namespace lmp::proxy {
class ProxyServer;
}
namespace lmp::recording {
class Recorder;
}
namespace lmp::storage::sqlite {
class SqliteStore;
}

namespace lmp::app {

// A start-up failure (a CA file, the database, a port in use); what() is the line to print.
class StartupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "http://127.0.0.1:8001", IPv6 addresses in brackets.
std::string url_of(const net::tcp::endpoint& endpoint);

class ProxyApp {
 public:
  // Opens the database and binds the listeners (they accept once run() runs). Throws
  // StartupError naming what could not be done.
  explicit ProxyApp(const Config& config);
  ~ProxyApp();
  ProxyApp(const ProxyApp&) = delete;
  ProxyApp& operator=(const ProxyApp&) = delete;

  // The lines that say where everything listens, each ending in '\n'.
  std::string banner() const;

  // Runs the I/O threads until SIGINT/SIGTERM or request_stop(), then shuts down gracefully:
  // listeners close, in-flight requests get the grace period, the recorder is flushed. Returns
  // the exit code (0). Call once.
  int run();

  // Begins the graceful shutdown as a signal would. Thread-safe; may be called before run().
  void request_stop();

  // Called once, on an I/O thread, when the shutdown begins (set it before run()).
  void on_shutdown(std::function<void()> callback) { on_shutdown_ = std::move(callback); }

  net::tcp::endpoint proxy_endpoint() const;
  net::tcp::endpoint metrics_endpoint() const;
  // The dashboard's own port; nullopt when it is off (--dashboard-port off).
  std::optional<net::tcp::endpoint> dashboard_endpoint() const;
  const net::BackendTarget& backend() const { return backend_; }
  const Config& config() const { return config_; }

 private:
  void stop_for(std::string reason);
  void begin_shutdown(const std::string& reason);
  void poll_drained();
  void schedule_memory_release();
  void schedule_pool_sweep(std::size_t loop);

  Config config_;
  net::BackendTarget backend_;
  unsigned threads_ = 1;
  // Declared first: destroyed last, after everything that holds their executors.
  net::EventLoops loops_;
  // Store queries block; they run here so that no I/O thread ever waits on the database.
  boost::asio::thread_pool query_pool_{2};
  std::shared_ptr<net::UpstreamPool> pool_;
  std::shared_ptr<storage::sqlite::SqliteStore> store_;
  std::unique_ptr<recording::Recorder> recorder_;
  std::unique_ptr<proxy::ProxyServer> proxy_server_;
  std::unique_ptr<api::MetricsApi> metrics_api_;
  std::unique_ptr<api::DashboardServer> dashboard_on_metrics_port_, dashboard_server_;
  std::unique_ptr<net::Listener> proxy_listener_, metrics_listener_, dashboard_listener_;

  std::function<void()> on_shutdown_;
  // Shutdown state, touched only on the first loop's thread.
  net::asio::io_context::executor_type control_executor_;
  std::unique_ptr<net::asio::steady_timer> shutdown_timer_;
  std::unique_ptr<net::asio::steady_timer> memory_timer_;
  // One per loop, each run on its loop: the upstream pool's stale connections are that loop's.
  std::vector<std::unique_ptr<net::asio::steady_timer>> pool_sweep_timers_;
  std::uint64_t last_submitted_ = 0;  // records submitted at the last memory check
  bool trimmed_while_idle_ = false;   // memory given back since the proxy last did anything
  bool shutting_down_ = false;
  bool aborted_ = false;
  std::chrono::steady_clock::time_point grace_deadline_;
};

}  // namespace lmp::app
