// Start-up configuration: defaults, then environment variables, then command-line flags (flags
// win). A bad value stops start-up with one line naming the setting, the value and what is
// allowed.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/log.hpp"

namespace lmp::app {

struct Config {
  std::string backend_url;  // resolved from BACKEND_URL, or BACKEND_HOST + BACKEND_PORT
  std::string listen_address = "0.0.0.0";
  unsigned short proxy_port = 8001;
  unsigned short metrics_port = 8002;
  std::string db_path = "./data/metrics.db";
  log::Level log_level = log::Level::info;
  std::string ca_file;
  bool tls_verify = true;
  unsigned threads = 0;  // 0: one per hardware thread
  std::size_t max_body_bytes = 32 << 20;
  std::size_t max_header_bytes = 16 << 10;
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds backend_timeout{300'000};
  std::chrono::milliseconds stream_idle_timeout{300'000};
  std::chrono::milliseconds client_timeout{30'000};
  std::chrono::milliseconds idle_timeout{75'000};
  std::chrono::milliseconds shutdown_grace{10'000};
  std::size_t queue_capacity = 65'536;
  std::string metrics_token;
  std::string cors_origin = "*";
  // The dashboard's own port; nullopt with --dashboard-port off. (0 picks a free port, as for
  // the other listeners.) It is always served under /dashboard/ on the metrics port too.
  std::optional<unsigned short> dashboard_port = 3000;
  // The metrics API's URL as the browser should call it; empty: the page's own origin under
  // the metrics port, http://<page host>:<metrics port> on the dashboard port.
  std::string dashboard_api_url;
};

// Thrown for a bad setting; what() is the one line to print.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Returned instead of a Config when --help or --version was asked for.
struct ConfigExit {
  std::string text;
};

// Reads the environment through getenv and the given arguments (without the program name).
// Throws ConfigError; sets `exit` when the caller should print exit->text and stop.
Config load_config(const std::vector<std::string>& args, std::optional<ConfigExit>& exit);

std::string help_text();

}  // namespace lmp::app
