#include "app/config.hpp"

#include <charconv>
#include <cstdlib>
#include <functional>
#include <optional>

#include <fmt/format.h>

#include <boost/asio/ip/address.hpp>

#include "net/backend_target.hpp"
#include "support/memory.hpp"

namespace lmp::app {
namespace {

struct Setting {
  std::string flag;  // --proxy-port
  std::string env;   // PROXY_PORT, or empty
  std::string value_name;
  std::string help;
  std::string default_text;
  std::function<void(Config&, const std::string& name, const std::string& value)> apply;
};

[[noreturn]] void bad(const std::string& name, const std::string& value,
                      const std::string& allowed) {
  throw ConfigError(fmt::format("invalid {} '{}': {}", name, value, allowed));
}

std::uint64_t parse_unsigned(const std::string& name, const std::string& value, std::uint64_t min,
                             std::uint64_t max, const std::string& allowed) {
  std::uint64_t n = 0;
  const auto* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, n);
  if (value.empty() || ec != std::errc{} || ptr != end || n < min || n > max)
    bad(name, value, allowed);
  return n;
}

unsigned short parse_port(const std::string& name, const std::string& value) {
  return static_cast<unsigned short>(parse_unsigned(
      name, value, 0, 65535, "expected a port number from 0 to 65535 (0 picks a free one)"));
}

std::chrono::milliseconds parse_ms(const std::string& name, const std::string& value) {
  return std::chrono::milliseconds(
      parse_unsigned(name, value, 1, 86'400'000, "expected milliseconds from 1 to 86400000"));
}

bool parse_bool(const std::string& name, const std::string& value) {
  if (value == "1" || value == "true" || value == "yes" || value == "on") return true;
  if (value == "0" || value == "false" || value == "no" || value == "off") return false;
  bad(name, value, "expected true or false");
}

// An IPv6 address in a URL needs brackets: BACKEND_HOST=::1 means http://[::1]:PORT.
std::string bracket_ipv6(const std::string& host) {
  if (host.find(':') != std::string::npos && !host.starts_with("[")) return "[" + host + "]";
  return host;
}

// The dashboard's API URL: empty, or an absolute http(s) URL the browser can call.
std::string parse_api_url(const std::string& name, const std::string& value) {
  if (value.empty()) return value;
  if (!value.starts_with("http://") && !value.starts_with("https://"))
    bad(name, value, "expected an http:// or https:// URL such as http://metrics.example:8002");
  return value;
}

struct BackendParts {
  std::optional<std::string> url, host, port;
};

std::vector<Setting> settings(BackendParts& backend) {
  using C = Config;
  using S = const std::string&;
  return {
      {"--backend-url", "BACKEND_URL", "URL",
       "backend base URL, http:// or https://, with an optional base path",
       "http://localhost:11434", [&backend](C&, S, S v) { backend.url = v; }},
      {"--backend-host", "BACKEND_HOST", "HOST", "backend host (when no URL is given)", "localhost",
       [&backend](C&, S, S v) { backend.host = v; }},
      {"--backend-port", "BACKEND_PORT", "PORT", "backend port (when no URL is given)", "11434",
       [&backend](C&, S n, S v) {
         parse_unsigned(n, v, 1, 65535, "expected a port number from 1 to 65535");
         backend.port = v;
       }},
      {"--listen-address", "LISTEN_ADDRESS", "ADDR",
       "address the proxy, metrics API and dashboard listen on", "0.0.0.0",
       [](C& c, S n, S v) {
         boost::system::error_code ec;
         boost::asio::ip::make_address(v, ec);
         if (ec) bad(n, v, "expected an IPv4 or IPv6 address such as 0.0.0.0 or 127.0.0.1");
         c.listen_address = v;
       }},
      {"--proxy-port", "PROXY_PORT", "PORT", "port of the OpenAI-compatible proxy", "8001",
       [](C& c, S n, S v) { c.proxy_port = parse_port(n, v); }},
      {"--metrics-port", "METRICS_PORT", "PORT", "port of the metrics API", "8002",
       [](C& c, S n, S v) { c.metrics_port = parse_port(n, v); }},
      {"--db-path", "DB_PATH", "PATH", "SQLite database file (its folder is created)",
       "./data/metrics.db",
       [](C& c, S n, S v) {
         if (v.empty()) bad(n, v, "expected a file path");
         c.db_path = v;
       }},
      {"--log-level", "LOG_LEVEL", "LEVEL", "DEBUG, INFO, WARNING or ERROR", "INFO",
       [](C& c, S n, S v) {
         if (!log::parse_level(v, c.log_level)) bad(n, v, "expected DEBUG, INFO, WARNING or ERROR");
       }},
      {"--ca-file", "BACKEND_CA_FILE", "PATH",
       "extra PEM CA bundle to trust for an https:// backend (the system store is always used)", "",
       [](C& c, S, S v) { c.ca_file = v; }},
      {"--tls-verify", "BACKEND_TLS_VERIFY", "BOOL", "verify the https:// backend's certificate",
       "true", [](C& c, S n, S v) { c.tls_verify = parse_bool(n, v); }},
      {"--threads", "THREADS", "N", "I/O threads (0: one per core)", "0",
       [](C& c, S n, S v) {
         c.threads = static_cast<unsigned>(parse_unsigned(n, v, 0, 256, "expected 0 to 256"));
       }},
      {"--max-body-bytes", "MAX_BODY_BYTES", "N", "largest request body accepted (413 above)",
       "33554432",
       [](C& c, S n, S v) {
         c.max_body_bytes = parse_unsigned(n, v, 1, 1ull << 32, "expected 1 to 4294967296 bytes");
       }},
      {"--max-header-bytes", "MAX_HEADER_BYTES", "N", "largest request header accepted (431 above)",
       "16384",
       [](C& c, S n, S v) {
         c.max_header_bytes = parse_unsigned(n, v, 1024, 1 << 20, "expected 1024 to 1048576 bytes");
       }},
      {"--connect-timeout-ms", "CONNECT_TIMEOUT_MS", "MS", "connecting to the backend", "5000",
       [](C& c, S n, S v) { c.connect_timeout = parse_ms(n, v); }},
      {"--backend-timeout-ms", "BACKEND_TIMEOUT_MS", "MS",
       "request sent until the backend's response header (504 after)", "300000",
       [](C& c, S n, S v) { c.backend_timeout = parse_ms(n, v); }},
      {"--stream-idle-timeout-ms", "STREAM_IDLE_TIMEOUT_MS", "MS",
       "longest pause inside a response body before it counts as stalled", "300000",
       [](C& c, S n, S v) { c.stream_idle_timeout = parse_ms(n, v); }},
      {"--client-timeout-ms", "CLIENT_TIMEOUT_MS", "MS", "to receive a whole request from a client",
       "30000", [](C& c, S n, S v) { c.client_timeout = parse_ms(n, v); }},
      {"--idle-timeout-ms", "IDLE_TIMEOUT_MS", "MS", "a kept-alive client connection may idle",
       "75000", [](C& c, S n, S v) { c.idle_timeout = parse_ms(n, v); }},
      {"--shutdown-grace-ms", "SHUTDOWN_GRACE_MS", "MS",
       "on SIGTERM/SIGINT, how long in-flight requests may take to finish", "10000",
       [](C& c, S n, S v) { c.shutdown_grace = parse_ms(n, v); }},
      {"--queue-capacity", "RECORD_QUEUE_CAPACITY", "N",
       "records waiting for the writer before new ones are dropped (and counted)", "65536",
       [](C& c, S n, S v) {
         c.queue_capacity = parse_unsigned(n, v, 1, 100'000'000, "expected 1 to 100000000");
       }},
      {"--metrics-token", "METRICS_API_TOKEN", "TOKEN",
       "require 'Authorization: Bearer TOKEN' on the metrics API (except /health)", "",
       [](C& c, S, S v) { c.metrics_token = v; }},
      {"--cors-origin", "CORS_ALLOW_ORIGIN", "ORIGIN",
       "Access-Control-Allow-Origin of the metrics API", "*",
       [](C& c, S, S v) { c.cors_origin = v; }},
      {"--dashboard-port", "DASHBOARD_PORT", "PORT|off",
       "port of the web dashboard (also served at /dashboard/ on the metrics port); off: no "
       "dashboard port",
       "3000",
       [](C& c, S n, S v) {
         if (v == "off" || v == "OFF" || v == "none" || v == "false") {
           c.dashboard_port.reset();
           return;
         }
         c.dashboard_port = static_cast<unsigned short>(parse_unsigned(
             n, v, 0, 65535, "expected a port number from 0 to 65535 (0 picks a free one) or off"));
       }},
      // The reference's name is read first so that METRICS_API_URL wins when both are set.
      {"", "REACT_APP_METRICS_API_URL", "URL", "", "",
       [](C& c, S n, S v) { c.dashboard_api_url = parse_api_url(n, v); }},
      {"--dashboard-api-url", "METRICS_API_URL", "URL",
       "metrics API URL the dashboard calls from the browser (also REACT_APP_METRICS_API_URL); "
       "empty: same host, metrics port",
       "", [](C& c, S n, S v) { c.dashboard_api_url = parse_api_url(n, v); }},
  };
}

}  // namespace

std::string help_text() {
  BackendParts ignored;
  std::string out =
      "llm-metrics-proxy " LMP_VERSION
      "\nA measuring reverse proxy for OpenAI-compatible inference servers.\n\n"
      "Usage:\n  llm-metrics-proxy [options]\n  llm-metrics-proxy mock-backend [options]  "
      "(a simulated backend; see mock-backend --help)\n"
      "  llm-metrics-proxy demo [options]          "
      "(mock backend, proxy, API and dashboard with live traffic; see demo --help)\n\n"
      "Options (flag, environment variable, default). Flags win over the environment.\n";
  for (const auto& s : settings(ignored)) {
    if (s.flag.empty()) continue;  // an alias environment variable, named in its twin's help
    out += fmt::format("  {} {}\n      {}{}\n      env {}, default: {}\n", s.flag, s.value_name,
                       s.help, "", s.env.empty() ? "-" : s.env,
                       s.default_text.empty() ? "(none)" : s.default_text);
  }
  out += "  -h, --help\n      show this text\n  --version\n      print the version\n";
  return out;
}

Config load_config(const std::vector<std::string>& args, std::optional<ConfigExit>& exit) {
  Config config;
  BackendParts backend;
  const auto all = settings(backend);

  // Flags are read first so that an environment variable a flag overrides is never judged.
  struct FlagValue {
    const Setting* setting;
    std::string name, value;
  };
  std::vector<FlagValue> flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      exit = ConfigExit{help_text()};
      return config;
    }
    if (arg == "--version") {
      exit = ConfigExit{fmt::format("llm-metrics-proxy {}\nmemory allocator: {}\n", LMP_VERSION,
                                    memory::allocator_name())};
      return config;
    }
    std::string name = arg, value;
    bool has_value = false;
    if (const auto eq = arg.find('='); eq != std::string::npos && arg.starts_with("--")) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    const Setting* setting = nullptr;
    for (const auto& s : all)
      if (!s.flag.empty() && s.flag == name) setting = &s;
    if (!setting)
      throw ConfigError("unknown option '" + arg + "' (run with --help to see the options)");
    if (!has_value) {
      if (i + 1 >= args.size()) throw ConfigError("option " + name + " needs a value");
      value = args[++i];
    }
    flags.push_back({setting, name, value});
  }
  auto given_as_flag = [&](const Setting& s) {
    for (const auto& f : flags)
      if (f.setting == &s) return true;
    return false;
  };

  for (const auto& s : all) {
    if (s.env.empty() || given_as_flag(s)) continue;
    if (const char* v = std::getenv(s.env.c_str()); v != nullptr && *v != '\0')
      s.apply(config, s.env, v);
  }
  BackendParts from_env = backend;
  backend = {};
  for (const auto& f : flags) f.setting->apply(config, f.name, f.value);
  // A URL set by flag beats host/port from anywhere; host/port set by flag beat an env URL.
  std::optional<std::string> url;
  if (backend.url) {
    url = backend.url;
  } else if (backend.host || backend.port) {
    url = "http://" + bracket_ipv6(backend.host.value_or(from_env.host.value_or("localhost"))) +
          ":" + backend.port.value_or(from_env.port.value_or("11434"));
  } else if (from_env.url) {
    url = from_env.url;
  } else {
    url = "http://" + bracket_ipv6(from_env.host.value_or("localhost")) + ":" +
          from_env.port.value_or("11434");
  }
  if (auto parsed = net::parse_backend_url(*url); !parsed) bad("backend URL", *url, parsed.error());
  config.backend_url = *url;
  return config;
}

}  // namespace lmp::app
