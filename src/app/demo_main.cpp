#include "app/demo_main.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <thread>

#include "app/config.hpp"
#include "app/demo_client.hpp"
#include "app/demo_traffic.hpp"
#include "app/proxy_app.hpp"
#include "mock/mock_backend.hpp"
#include "support/log.hpp"

namespace lmp::app {
namespace {

namespace asio = boost::asio;

// The demo keeps its records apart from real ones; only an explicit --db-path changes that
// (DB_PATH in the environment is probably the real database's).
constexpr const char* kDemoDbPath = "./data/demo.db";
// Short enough that the injected timeouts show within a minute rather than after five, long
// enough for the longest answer the demo does not stream (TrafficMix::max_unstreamed_ms).
constexpr std::chrono::milliseconds kDemoBackendTimeout{20'000};
// The demo's requests are synthetic: at shutdown they need not keep the process for long.
constexpr std::chrono::milliseconds kDemoShutdownGrace{3'000};
// The longest a timed run waits for its last answers (streams last seconds, rarely more).
constexpr std::chrono::seconds kMaxDrain{30};
// Above this the injected timeouts would keep a connection busy too long to be worth it.
constexpr std::chrono::milliseconds kMaxTimeoutToInject{30'000};

struct DemoFlags {
  double rate = 3;
  std::uint64_t duration_s = 0;  // 0: until a signal
  std::optional<std::uint64_t> seed;
  bool help = false;
  std::vector<std::string> rest;  // for load_config
};

class DemoFlagError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <class T>
T parse_number(const std::string& flag, const std::string& text, T min, T max,
               std::string_view allowed) {
  T value{};
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end || !(value >= min && value <= max))
    throw DemoFlagError(fmt::format("invalid {} '{}': {}", flag, text, allowed));
  return value;
}

bool has_flag(const std::vector<std::string>& args, std::string_view flag) {
  for (const auto& a : args)
    if (a == flag || (a.starts_with(flag) && a.size() > flag.size() && a[flag.size()] == '='))
      return true;
  return false;
}

DemoFlags parse_demo_flags(const std::vector<std::string>& args) {
  DemoFlags flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      flags.help = true;
      continue;
    }
    std::string name = arg, value;
    bool inline_value = false;
    if (const auto eq = arg.find('='); eq != std::string::npos && arg.starts_with("--")) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      inline_value = true;
    }
    if (name == "--backend-url" || name == "--backend-host" || name == "--backend-port")
      throw DemoFlagError(name + " does not apply: the demo runs its own simulated backend");
    const bool ours = name == "--rate" || name == "--duration" || name == "--seed";
    if (!ours) {
      flags.rest.push_back(arg);
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= args.size()) throw DemoFlagError("option " + name + " needs a value");
      value = args[++i];
    }
    if (name == "--rate") {
      flags.rate = parse_number<double>(name, value, 0.01, 1000,
                                        "expected requests per second from 0.01 to 1000");
    } else if (name == "--duration") {
      flags.duration_s = parse_number<std::uint64_t>(name, value, 0, 31'536'000,
                                                     "expected seconds (0: until a signal)");
    } else {
      flags.seed = parse_number<std::uint64_t>(name, value, 0, UINT64_MAX, "expected a number");
    }
  }
  return flags;
}

// The demo's own defaults where the user said nothing.
bool given(const std::vector<std::string>& args, std::string_view flag, const char* env) {
  const char* value = std::getenv(env);
  return has_flag(args, flag) || (value != nullptr && *value != '\0');
}

void apply_demo_defaults(Config& config, const std::vector<std::string>& args) {
  if (!has_flag(args, "--db-path")) config.db_path = kDemoDbPath;
  if (!given(args, "--backend-timeout-ms", "BACKEND_TIMEOUT_MS"))
    config.backend_timeout = kDemoBackendTimeout;
  if (!given(args, "--shutdown-grace-ms", "SHUTDOWN_GRACE_MS"))
    config.shutdown_grace = kDemoShutdownGrace;
}

// --duration: the traffic stops, the requests in flight finish (so that a timed run leaves no
// records cut by the shutdown), then the program stops as on a signal. Cancelling the timer
// (a signal came first) ends it.
net::awaitable<void> stop_after(asio::steady_timer& timer, std::chrono::seconds duration,
                                demo::TrafficRunner& traffic, ProxyApp& app) {
  timer.expires_after(duration);
  auto [ec] = co_await timer.async_wait(net::use_nothrow);
  if (ec) co_return;
  traffic.stop();
  const auto deadline = std::chrono::steady_clock::now() + kMaxDrain;
  while (traffic.stats().in_flight > 0 && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(std::chrono::milliseconds(50));
    auto [wait_ec] = co_await timer.async_wait(net::use_nothrow);
    if (wait_ec) co_return;
  }
  app.request_stop();
}

}  // namespace

std::string demo_help_text() {
  return "Usage: llm-metrics-proxy demo [options]\n\n"
         "Starts a simulated OpenAI-compatible backend, the proxy in front of it, the metrics\n"
         "API and the dashboard in one process, and sends a steady, varied mix of requests\n"
         "through the proxy, so that the dashboard comes alive within seconds:\n"
         "several chat models of different speeds and an embedding model, streamed and not,\n"
         "chat, completions and embeddings, from several origins and users, with about 4%\n"
         "failures (rate limits, 500/503 errors, streams cut by the backend, clients leaving\n"
         "mid-stream, backend timeouts). Runs until SIGINT/SIGTERM.\n\n"
         "Demo options:\n"
         "  --rate R           requests per second on average (default 3)\n"
         "  --duration S       stop sending after S seconds, let the answers in flight\n"
         "                     finish, then exit (default 0: until a signal)\n"
         "  --seed N           make the traffic repeatable (default: random)\n\n"
         "Every option of the proxy applies (llm-metrics-proxy --help), except the backend's,\n"
         "with these demo defaults:\n"
         "  --db-path          ./data/demo.db (DB_PATH is ignored, so real data stays apart)\n"
         "  --backend-timeout-ms 20000 (so that the injected timeouts show within a minute)\n"
         "  --shutdown-grace-ms 3000\n";
}

int run_demo(const std::vector<std::string>& args) {
  DemoFlags flags;
  Config config;
  try {
    flags = parse_demo_flags(args);
    if (flags.help) {
      std::fputs(demo_help_text().c_str(), stdout);
      return 0;
    }
    std::optional<ConfigExit> exit;
    config = load_config(flags.rest, exit);
    if (exit) {
      std::fputs(exit->text.c_str(), stdout);
      return 0;
    }
  } catch (const std::exception& e) {  // DemoFlagError, ConfigError
    std::fprintf(stderr, "llm-metrics-proxy demo: %s\n", e.what());
    return 2;
  }
  apply_demo_defaults(config, flags.rest);

  demo::TrafficMix mix = demo::default_mix();
  if (config.backend_timeout <= kMaxTimeoutToInject) {
    // The backend stalls a little longer than the proxy waits, so the proxy answers 504.
    mix.timeout_stall_ms = static_cast<double>(config.backend_timeout.count()) + 1'500;
  } else {
    mix.timeout_share = 0;
  }

  // The mock and the traffic run on their own io_context and thread, so that the proxy's
  // threads and its shutdown are exactly those of the normal program.
  asio::io_context demo_io(1);
  std::optional<mock::MockBackend> backend;
  try {
    mock::MockOptions mock_options;
    mock_options.listen_address = "127.0.0.1";
    mock_options.port = 0;
    backend.emplace(demo_io.get_executor(), mock_options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "llm-metrics-proxy demo: cannot start the simulated backend: %s\n",
                 e.what());
    return 1;
  }
  config.backend_url = url_of(backend->endpoint());

  std::optional<ProxyApp> app;
  try {
    app.emplace(config);
  } catch (const StartupError& e) {
    std::fprintf(stderr, "llm-metrics-proxy: %s\n", e.what());
    return 1;
  }

  demo::TrafficOptions traffic_options;
  traffic_options.rate = flags.rate;
  // Answers take a few seconds: ten seconds' worth of requests in flight is plenty.
  traffic_options.max_in_flight = std::max<std::size_t>(16, std::lround(flags.rate * 10));
  traffic_options.seed = flags.seed ? *flags.seed : std::random_device{}();
  demo::TrafficRunner traffic(demo_io.get_executor(), app->proxy_endpoint(), std::move(mix),
                              traffic_options);
  asio::steady_timer duration_timer(demo_io);
  app->on_shutdown([&] {
    traffic.stop();
    asio::post(demo_io, [&] { duration_timer.cancel(); });
  });

  std::string banner = app->banner();
  banner += fmt::format(
      "demo: sending traffic to {} at {} requests/s{}\n", url_of(traffic.target()), flags.rate,
      flags.duration_s ? fmt::format(" for {} s", flags.duration_s) : std::string(" until Ctrl-C"));
  std::fputs(banner.c_str(), stdout);
  std::fflush(stdout);

  backend->start();
  traffic.start();
  if (flags.duration_s) {
    asio::co_spawn(
        demo_io, stop_after(duration_timer, std::chrono::seconds(flags.duration_s), traffic, *app),
        asio::detached);
  }
  std::thread demo_thread([&demo_io] { demo_io.run(); });

  const int rc = app->run();

  // The proxy has drained; what the mock still sends has nowhere to go.
  traffic.stop();
  asio::post(demo_io, [&] {
    backend->stop();
    demo_io.stop();
  });
  demo_thread.join();
  const auto stats = traffic.stats();
  log::info(
      "demo: sent {} request(s): {} succeeded, {} failed as planned, {} failed otherwise, {} cut "
      "short by the shutdown; {} skipped (too many in flight)",
      stats.sent, stats.succeeded, stats.failed_as_planned, stats.failed_otherwise,
      stats.cut_by_shutdown, stats.skipped);
  return rc;
}

}  // namespace lmp::app
