#include "app/main.hpp"

#include <cstdio>
#include <iostream>
#include <thread>
#include <vector>

#include "api/dashboard_server.hpp"
#include "api/metrics_api.hpp"
#include "app/config.hpp"
#include "mock/mock_main.hpp"
#include "net/http_server.hpp"
#include "net/listener.hpp"
#include "net/upstream_pool.hpp"
#include "proxy/proxy_server.hpp"
#include "recording/recorder.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "support/log.hpp"

namespace lmp::app {
namespace {

namespace asio = boost::asio;

std::string url_of(const net::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return "http://" + host + ":" + std::to_string(endpoint.port());
}

int run_proxy(const Config& config) {
  log::set_level(config.log_level);
  const auto backend = net::parse_backend_url(config.backend_url);  // validated by load_config

  const unsigned threads =
      config.threads ? config.threads : std::max(1u, std::thread::hardware_concurrency());
  asio::io_context io(static_cast<int>(threads));
  // Store queries block; they run here so that no I/O thread ever waits on the database.
  asio::thread_pool query_pool(2);

  net::UpstreamOptions upstream_options;
  upstream_options.connect_timeout = config.connect_timeout;
  upstream_options.ca_file = config.ca_file;
  upstream_options.verify_tls = config.tls_verify;

  // Settings that can still be wrong (the CA file) are checked before the database is touched.
  std::shared_ptr<net::UpstreamPool> pool;
  try {
    pool = std::make_shared<net::UpstreamPool>(io.get_executor(), *backend, upstream_options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "llm-metrics-proxy: %s\n", e.what());
    return 1;
  }

  std::shared_ptr<storage::sqlite::SqliteStore> store;
  try {
    store = storage::sqlite::SqliteStore::open(storage::sqlite::SqliteOptions{config.db_path});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "llm-metrics-proxy: cannot use the database: %s\n", e.what());
    return 1;
  }
  recording::RecorderOptions recorder_options;
  recorder_options.queue_capacity = config.queue_capacity;
  recording::Recorder recorder(store, recorder_options);

  std::unique_ptr<proxy::ProxyServer> proxy_server;
  std::unique_ptr<api::MetricsApi> metrics_api;
  std::unique_ptr<api::DashboardServer> dashboard_on_metrics_port, dashboard_server;
  std::unique_ptr<net::Listener> proxy_listener, metrics_listener, dashboard_listener;
  try {
    proxy::ProxyOptions proxy_options;
    proxy_options.max_body_bytes = config.max_body_bytes;
    proxy_options.max_header_bytes = config.max_header_bytes;
    proxy_options.client_read_timeout = config.client_timeout;
    proxy_options.client_idle_timeout = config.idle_timeout;
    proxy_options.backend_timeout = config.backend_timeout;
    proxy_options.stream_idle_timeout = config.stream_idle_timeout;
    proxy_server = std::make_unique<proxy::ProxyServer>(pool, recorder, proxy_options);

    api::MetricsApiOptions api_options;
    api_options.auth_token = config.metrics_token;
    api_options.cors_allow_origin = config.cors_origin;
    metrics_api = std::make_unique<api::MetricsApi>(
        store, [&recorder] { return recorder.stats(); }, query_pool.get_executor(), api_options);

    // The dashboard under /dashboard/ on the metrics port calls the API on its own origin; on
    // its own port it is told the metrics port, so the browser reaches the API on the same host.
    api::DashboardOptions mounted_options;
    mounted_options.api_base_url = config.dashboard_api_url;
    mounted_options.mount_path = "/dashboard";
    dashboard_on_metrics_port = std::make_unique<api::DashboardServer>(dashboard::embedded_assets(),
                                                                       std::move(mounted_options));

    proxy_listener = std::make_unique<net::Listener>(
        io.get_executor(), config.listen_address, config.proxy_port,
        [&](net::tcp::socket socket) { return proxy_server->serve(std::move(socket)); });
    metrics_listener = std::make_unique<net::Listener>(
        io.get_executor(), config.listen_address, config.metrics_port,
        [&](net::tcp::socket socket) {
          return net::serve_http(
              std::move(socket),
              [&](net::beast::tcp_stream& stream, net::Request& request) {
                if (dashboard_on_metrics_port->claims(request.target()))
                  return dashboard_on_metrics_port->handle(stream, request);
                return metrics_api->handle(stream, request);
              },
              net::ServerLimits{});
        });
    if (config.dashboard_port) {
      api::DashboardOptions options;
      options.api_base_url = config.dashboard_api_url;
      options.metrics_port = metrics_listener->local_endpoint().port();
      dashboard_server =
          std::make_unique<api::DashboardServer>(dashboard::embedded_assets(), std::move(options));
      dashboard_listener = std::make_unique<net::Listener>(
          io.get_executor(), config.listen_address, *config.dashboard_port,
          [&](net::tcp::socket socket) {
            return net::serve_http(
                std::move(socket),
                [&](net::beast::tcp_stream& stream, net::Request& request) {
                  return dashboard_server->handle(stream, request);
                },
                net::ServerLimits{});
          });
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "llm-metrics-proxy: %s\n", e.what());
    return 1;
  }
  proxy_listener->start();
  metrics_listener->start();
  if (dashboard_listener) dashboard_listener->start();

  std::printf("llm-metrics-proxy %s\n", LMP_VERSION);
  std::printf("proxy listening on %s (backend: %s)\n",
              url_of(proxy_listener->local_endpoint()).c_str(), backend->display.c_str());
  std::printf("metrics API listening on %s\n", url_of(metrics_listener->local_endpoint()).c_str());
  if (dashboard_listener) {
    std::printf("dashboard listening on %s\n",
                url_of(dashboard_listener->local_endpoint()).c_str());
  }
  std::printf("dashboard also at %s/dashboard/%s\n",
              url_of(metrics_listener->local_endpoint()).c_str(),
              dashboard::embedded_assets_are_placeholder()
                  ? " (not built: cd dashboard && npm ci && npm run build, then rebuild)"
                  : "");
  std::printf("recording to %s\n", config.db_path.c_str());
  std::fflush(stdout);

  // Graceful shutdown: stop accepting, let in-flight requests finish within the grace period,
  // abort the rest (they are recorded too), then flush the recorder.
  asio::signal_set signals(io, SIGINT, SIGTERM);
  asio::steady_timer shutdown_timer(io);
  const auto grace_deadline = std::make_shared<std::chrono::steady_clock::time_point>();
  std::function<void()> poll_drained;
  bool aborted = false;
  poll_drained = [&] {
    if (proxy_server->active_sessions() == 0) {
      io.stop();
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (!aborted && now >= *grace_deadline) {
      log::warning("{} connection(s) still busy after the grace period; aborting them",
                   proxy_server->active_sessions());
      proxy_server->abort_all();
      aborted = true;
      *grace_deadline = now + std::chrono::seconds(2);
    } else if (aborted && now >= *grace_deadline) {
      io.stop();
      return;
    }
    shutdown_timer.expires_after(std::chrono::milliseconds(10));
    shutdown_timer.async_wait([&](const boost::system::error_code&) { poll_drained(); });
  };
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    log::info("received signal {}: finishing in-flight requests (grace {} ms)", signal,
              config.shutdown_grace.count());
    proxy_listener->stop();
    metrics_listener->stop();
    if (dashboard_listener) dashboard_listener->stop();
    proxy_server->begin_shutdown();
    *grace_deadline = std::chrono::steady_clock::now() + config.shutdown_grace;
    poll_drained();
  });

  std::vector<std::thread> workers;
  for (unsigned i = 1; i < threads; ++i) workers.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : workers) t.join();
  query_pool.join();

  recorder.stop();
  const auto stats = recorder.stats();
  log::info("stopped: {} record(s) written, {} dropped, {} lost to write errors", stats.written,
            stats.dropped, stats.write_errors);
  return 0;
}

}  // namespace

int run_main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "mock-backend")
    return mock::run_mock_backend(argc - 1, argv + 1);
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    std::optional<ConfigExit> exit;
    const Config config = load_config(args, exit);
    if (exit) {
      std::fputs(exit->text.c_str(), stdout);
      return 0;
    }
    return run_proxy(config);
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "llm-metrics-proxy: %s\n", e.what());
    return 2;
  }
}

}  // namespace lmp::app
