#include "app/proxy_app.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "api/dashboard_server.hpp"
#include "api/metrics_api.hpp"
#include "net/http_server.hpp"
#include "net/listener.hpp"
#include "net/upstream_pool.hpp"
#include "proxy/proxy_server.hpp"
#include "recording/recorder.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "support/log.hpp"
#include "support/memory.hpp"

namespace lmp::app {

namespace asio = boost::asio;

std::string url_of(const net::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return "http://" + host + ":" + std::to_string(endpoint.port());
}

namespace {

unsigned thread_count(const Config& config) {
  return config.threads ? config.threads : std::max(1u, std::thread::hardware_concurrency());
}

net::BackendTarget backend_of(const Config& config) {
  auto backend = net::parse_backend_url(config.backend_url);
  if (!backend) throw StartupError(fmt::format("invalid backend URL: {}", backend.error()));
  return *backend;
}

}  // namespace

ProxyApp::ProxyApp(const Config& config)
    : config_(config),
      backend_(backend_of(config)),
      threads_(thread_count(config)),
      loops_(threads_),
      control_executor_(loops_.loop(0).get_executor()) {
  log::set_level(config_.log_level);
  net::UpstreamOptions upstream_options;
  upstream_options.connect_timeout = config_.connect_timeout;
  upstream_options.ca_file = config_.ca_file;
  upstream_options.verify_tls = config_.tls_verify;

  // Settings that can still be wrong (the CA file) are checked before the database is touched.
  try {
    pool_ = std::make_shared<net::UpstreamPool>(backend_, upstream_options);
  } catch (const std::exception& e) {
    throw StartupError(e.what());
  }
  try {
    store_ = storage::sqlite::SqliteStore::open(storage::sqlite::SqliteOptions{config_.db_path});
  } catch (const std::exception& e) {
    throw StartupError(fmt::format("cannot use the database: {}", e.what()));
  }
  recording::RecorderOptions recorder_options;
  recorder_options.queue_capacity = config_.queue_capacity;
  recorder_options.background_priority = true;
  recorder_ = std::make_unique<recording::Recorder>(store_, recorder_options);

  try {
    proxy::ProxyOptions proxy_options;
    proxy_options.max_body_bytes = config_.max_body_bytes;
    proxy_options.max_header_bytes = config_.max_header_bytes;
    proxy_options.client_read_timeout = config_.client_timeout;
    proxy_options.client_idle_timeout = config_.idle_timeout;
    proxy_options.backend_timeout = config_.backend_timeout;
    proxy_options.stream_idle_timeout = config_.stream_idle_timeout;
    proxy_server_ = std::make_unique<proxy::ProxyServer>(pool_, *recorder_, proxy_options);

    api::MetricsApiOptions api_options;
    api_options.auth_token = config_.metrics_token;
    api_options.cors_allow_origin = config_.cors_origin;
    metrics_api_ = std::make_unique<api::MetricsApi>(
        store_, [recorder = recorder_.get()] { return recorder->stats(); },
        query_pool_.get_executor(), api_options);

    // The dashboard under /dashboard/ on the metrics port calls the API on its own origin; on
    // its own port it is told the metrics port, so the browser reaches the API on the same host.
    api::DashboardOptions mounted_options;
    mounted_options.api_base_url = config_.dashboard_api_url;
    mounted_options.mount_path = "/dashboard";
    dashboard_on_metrics_port_ = std::make_unique<api::DashboardServer>(
        dashboard::embedded_assets(), std::move(mounted_options));

    // Connections are spread over the loops; each stays on its loop until it closes.
    proxy_listener_ = std::make_unique<net::Listener>(
        control_executor_, config_.listen_address, config_.proxy_port,
        [this](net::LoopSocket socket) { return proxy_server_->serve(std::move(socket)); },
        [this] { return loops_.next_executor(); });
    metrics_listener_ = std::make_unique<net::Listener>(
        control_executor_, config_.listen_address, config_.metrics_port,
        [this](net::tcp::socket socket) {
          return net::serve_http(
              std::move(socket),
              [this](net::beast::tcp_stream& stream, net::Request& request) {
                if (dashboard_on_metrics_port_->claims(request.target()))
                  return dashboard_on_metrics_port_->handle(stream, request);
                return metrics_api_->handle(stream, request);
              },
              net::ServerLimits{});
        });
    if (config_.dashboard_port) {
      api::DashboardOptions options;
      options.api_base_url = config_.dashboard_api_url;
      options.metrics_port = metrics_listener_->local_endpoint().port();
      dashboard_server_ =
          std::make_unique<api::DashboardServer>(dashboard::embedded_assets(), std::move(options));
      dashboard_listener_ = std::make_unique<net::Listener>(
          control_executor_, config_.listen_address, *config_.dashboard_port,
          [this](net::tcp::socket socket) {
            return net::serve_http(
                std::move(socket),
                [this](net::beast::tcp_stream& stream, net::Request& request) {
                  return dashboard_server_->handle(stream, request);
                },
                net::ServerLimits{});
          });
    }
  } catch (const std::exception& e) {
    throw StartupError(e.what());
  }
  proxy_listener_->start();
  memory_timer_ = std::make_unique<asio::steady_timer>(control_executor_);
  schedule_memory_release();
  for (std::size_t i = 0; i < loops_.size(); ++i) {
    pool_sweep_timers_.push_back(std::make_unique<asio::steady_timer>(loops_.loop(i)));
    schedule_pool_sweep(i);
  }
  metrics_listener_->start();
  if (dashboard_listener_) dashboard_listener_->start();
}

ProxyApp::~ProxyApp() {
  // A ProxyApp that never ran still owns a writer thread and queued records.
  if (recorder_) recorder_->stop();
}

std::string ProxyApp::banner() const {
  std::string out = fmt::format("llm-metrics-proxy {}\n", LMP_VERSION);
  out += fmt::format("proxy listening on {} (backend: {})\n", url_of(proxy_endpoint()),
                     backend_.display);
  out += fmt::format("metrics API listening on {}\n", url_of(metrics_endpoint()));
  if (dashboard_listener_)
    out += fmt::format("dashboard listening on {}\n", url_of(*dashboard_endpoint()));
  out += fmt::format("dashboard also at {}/dashboard/{}\n", url_of(metrics_endpoint()),
                     dashboard::embedded_assets_are_placeholder()
                         ? " (not built: cd dashboard && npm ci && npm run build, then rebuild)"
                         : "");
  out += fmt::format("recording to {}\n", config_.db_path);
  out += fmt::format("memory allocator: {}\n", memory::allocator_name());
  return out;
}

net::tcp::endpoint ProxyApp::proxy_endpoint() const {
  return proxy_listener_->local_endpoint();
}

net::tcp::endpoint ProxyApp::metrics_endpoint() const {
  return metrics_listener_->local_endpoint();
}

std::optional<net::tcp::endpoint> ProxyApp::dashboard_endpoint() const {
  if (!dashboard_listener_) return std::nullopt;
  return dashboard_listener_->local_endpoint();
}

void ProxyApp::request_stop() {
  stop_for("stop requested");
}

void ProxyApp::stop_for(std::string reason) {
  asio::post(control_executor_, [this, reason = std::move(reason)] { begin_shutdown(reason); });
}

// Graceful shutdown: stop accepting, let in-flight requests finish within the grace period,
// abort the rest (they are recorded too), then let run() flush the recorder.
void ProxyApp::begin_shutdown(const std::string& reason) {
  if (shutting_down_) return;
  shutting_down_ = true;
  memory_timer_->cancel();
  for (std::size_t i = 0; i < pool_sweep_timers_.size(); ++i)
    asio::post(loops_.loop(i), [timer = pool_sweep_timers_[i].get()] { timer->cancel(); });
  log::info("{}: finishing in-flight requests (grace {} ms)", reason,
            config_.shutdown_grace.count());
  if (on_shutdown_) on_shutdown_();
  proxy_listener_->stop();
  metrics_listener_->stop();
  if (dashboard_listener_) dashboard_listener_->stop();
  proxy_server_->begin_shutdown();
  grace_deadline_ = std::chrono::steady_clock::now() + config_.shutdown_grace;
  shutdown_timer_ = std::make_unique<asio::steady_timer>(control_executor_);
  poll_drained();
}

void ProxyApp::poll_drained() {
  if (proxy_server_->active_sessions() == 0) {
    loops_.stop();
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (!aborted_ && now >= grace_deadline_) {
    log::warning("{} connection(s) still busy after the grace period; aborting them",
                 proxy_server_->active_sessions());
    proxy_server_->abort_all();
    aborted_ = true;
    grace_deadline_ = now + std::chrono::seconds(2);
  } else if (aborted_ && now >= grace_deadline_) {
    loops_.stop();
    return;
  }
  shutdown_timer_->expires_after(std::chrono::milliseconds(10));
  shutdown_timer_->async_wait([this](const boost::system::error_code&) { poll_drained(); });
}

// An allocator keeps what a burst of connections used (their coroutine frames and buffers)
// after they close: glibc's malloc keeps most of it pinned by the few small objects that outlive
// the burst, and jemalloc (which the release build links) returns it only as its one-second
// decay passes. The free memory goes back to the system at once when most of a burst's
// connections are gone, and once whenever the proxy has fallen idle (no new record and all
// written since the last check). Releasing takes a few milliseconds; it runs at most every 5 s.
void ProxyApp::schedule_memory_release() {
  memory_timer_->expires_after(std::chrono::seconds(5));
  memory_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec || shutting_down_) return;
    constexpr std::size_t kBurst = 256;
    const auto peak = proxy_server_->peak_sessions();
    const auto active = proxy_server_->active_sessions();
    const auto recorded = recorder_->stats();
    const bool idle = recorded.submitted == last_submitted_ &&
                      recorded.written + recorded.write_errors == recorded.submitted;
    last_submitted_ = recorded.submitted;
    if ((peak >= kBurst && active <= peak / 4) || (idle && !trimmed_while_idle_)) {
      memory::release_free();
      proxy_server_->reset_peak_sessions();
      trimmed_while_idle_ = idle;
    } else if (!idle) {
      trimmed_while_idle_ = false;
    }
    schedule_memory_release();
  });
}

// Every 5 s each loop closes its pooled backend connections that have expired or that the
// backend has closed (keep-alive timeouts of 5 s are common, e.g. uvicorn's, in front of vLLM):
// without it an idle proxy keeps up to max_idle dead sockets, and the first request after a
// quiet spell pays a peek and a close for each of them.
void ProxyApp::schedule_pool_sweep(std::size_t loop) {
  auto& timer = *pool_sweep_timers_[loop];
  timer.expires_after(std::chrono::seconds(5));
  timer.async_wait([this, loop](const boost::system::error_code& ec) {
    if (ec || proxy_server_->stopping()) return;
    pool_->close_stale(loops_.loop(loop).get_executor());
    schedule_pool_sweep(loop);
  });
}

int ProxyApp::run() {
  asio::signal_set signals(loops_.loop(0), SIGINT, SIGTERM);
  signals.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    stop_for(fmt::format("received signal {}", signal));
  });

  loops_.run();
  query_pool_.join();

  recorder_->stop();
  const auto stats = recorder_->stats();
  log::info("stopped: {} record(s) written, {} dropped, {} lost to write errors", stats.written,
            stats.dropped, stats.write_errors);
  return 0;
}

}  // namespace lmp::app
