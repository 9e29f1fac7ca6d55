#include "app/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lmp::app {
namespace {

using namespace std::chrono_literals;

// Every environment variable load_config reads (README "Configuration").
const char* const kEnvVars[] = {"DASHBOARD_PORT",
                                "METRICS_API_URL",
                                "REACT_APP_METRICS_API_URL",
                                "BACKEND_URL",
                                "BACKEND_HOST",
                                "BACKEND_PORT",
                                "LISTEN_ADDRESS",
                                "PROXY_PORT",
                                "METRICS_PORT",
                                "DB_PATH",
                                "LOG_LEVEL",
                                "BACKEND_CA_FILE",
                                "BACKEND_TLS_VERIFY",
                                "THREADS",
                                "MAX_BODY_BYTES",
                                "MAX_HEADER_BYTES",
                                "CONNECT_TIMEOUT_MS",
                                "BACKEND_TIMEOUT_MS",
                                "STREAM_IDLE_TIMEOUT_MS",
                                "CLIENT_TIMEOUT_MS",
                                "IDLE_TIMEOUT_MS",
                                "SHUTDOWN_GRACE_MS",
                                "RECORD_QUEUE_CAPACITY",
                                "METRICS_API_TOKEN",
                                "CORS_ALLOW_ORIGIN"};

// Clears the configuration's environment for each test and restores it afterwards.
class LoadConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : kEnvVars) {
      if (const char* v = std::getenv(name)) saved_[name] = v;
      ::unsetenv(name);
    }
  }
  void TearDown() override {
    for (const char* name : kEnvVars) {
      if (auto it = saved_.find(name); it != saved_.end())
        ::setenv(name, it->second.c_str(), 1);
      else
        ::unsetenv(name);
    }
  }
  static void set_env(const char* name, const char* value) { ::setenv(name, value, 1); }

  static Config load(const std::vector<std::string>& args = {}) {
    std::optional<ConfigExit> exit;
    Config c = load_config(args, exit);
    EXPECT_FALSE(exit.has_value()) << exit->text;
    return c;
  }

  // The message of the ConfigError that loading throws ("" when none is thrown).
  static std::string error_of(const std::vector<std::string>& args) {
    std::optional<ConfigExit> exit;
    try {
      load_config(args, exit);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  }

  static void expect_error_naming(const std::vector<std::string>& args,
                                  std::vector<std::string> parts) {
    const std::string message = error_of(args);
    ASSERT_FALSE(message.empty()) << "no ConfigError for " << ::testing::PrintToString(args);
    for (const auto& part : parts)
      EXPECT_NE(message.find(part), std::string::npos)
          << "'" << message << "' does not name '" << part << "'";
    EXPECT_EQ(message.find('\n'), std::string::npos) << "one line: " << message;
  }

 private:
  std::map<std::string, std::string> saved_;
};

TEST_F(LoadConfig, Defaults) {
  const Config c = load();
  EXPECT_EQ(c.backend_url, "http://localhost:11434");
  EXPECT_EQ(c.listen_address, "0.0.0.0");
  EXPECT_EQ(c.proxy_port, 8001);
  EXPECT_EQ(c.metrics_port, 8002);
  EXPECT_EQ(c.db_path, "./data/metrics.db");
  EXPECT_EQ(c.log_level, log::Level::info);
  EXPECT_EQ(c.ca_file, "");
  EXPECT_TRUE(c.tls_verify);
  EXPECT_EQ(c.threads, 0u);
  EXPECT_EQ(c.max_body_bytes, 32u << 20);
  EXPECT_EQ(c.max_header_bytes, 16u << 10);
  EXPECT_EQ(c.connect_timeout, 5000ms);
  EXPECT_EQ(c.backend_timeout, 300000ms);
  EXPECT_EQ(c.stream_idle_timeout, 300000ms);
  EXPECT_EQ(c.client_timeout, 30000ms);
  EXPECT_EQ(c.idle_timeout, 75000ms);
  EXPECT_EQ(c.shutdown_grace, 10000ms);
  EXPECT_EQ(c.queue_capacity, 65536u);
  EXPECT_EQ(c.metrics_token, "");
  EXPECT_EQ(c.cors_origin, "*");
}

TEST_F(LoadConfig, EnvironmentVariables) {
  set_env("BACKEND_HOST", "gpu-box");
  set_env("BACKEND_PORT", "8000");
  set_env("PROXY_PORT", "9001");
  set_env("METRICS_PORT", "9002");
  set_env("DB_PATH", "/var/lib/lmp/m.db");
  set_env("LOG_LEVEL", "debug");
  const Config c = load();
  EXPECT_EQ(c.backend_url, "http://gpu-box:8000");
  EXPECT_EQ(c.proxy_port, 9001);
  EXPECT_EQ(c.metrics_port, 9002);
  EXPECT_EQ(c.db_path, "/var/lib/lmp/m.db");
  EXPECT_EQ(c.log_level, log::Level::debug);
}

TEST_F(LoadConfig, BackendHostAloneKeepsTheDefaultPort) {
  set_env("BACKEND_HOST", "ollama");
  EXPECT_EQ(load().backend_url, "http://ollama:11434");
}

TEST_F(LoadConfig, BackendPortAloneKeepsTheDefaultHost) {
  set_env("BACKEND_PORT", "8080");
  EXPECT_EQ(load().backend_url, "http://localhost:8080");
}

// An IPv6 literal is a valid backend host; the URL built from it needs brackets.
TEST_F(LoadConfig, BackendHostIpv6) {
  set_env("BACKEND_HOST", "::1");
  set_env("BACKEND_PORT", "8000");
  std::optional<ConfigExit> exit;
  Config c;
  ASSERT_NO_THROW(c = load_config({}, exit)) << error_of({});
  EXPECT_EQ(c.backend_url, "http://[::1]:8000");
}

TEST_F(LoadConfig, BackendUrlFromEnvironment) {
  set_env("BACKEND_URL", "https://api.example.com");
  EXPECT_EQ(load().backend_url, "https://api.example.com");
}

TEST_F(LoadConfig, BackendUrlWithBasePathIsAccepted) {
  set_env("BACKEND_URL", "http://host:8000/api");
  EXPECT_EQ(load().backend_url, "http://host:8000/api");
  ::unsetenv("BACKEND_URL");
  EXPECT_EQ(load({"--backend-url", "https://api.example.com/v1/"}).backend_url,
            "https://api.example.com/v1/");
}

TEST_F(LoadConfig, BackendUrlBeatsHostAndPortFromTheEnvironment) {
  set_env("BACKEND_URL", "http://url-host:1234");
  set_env("BACKEND_HOST", "other");
  set_env("BACKEND_PORT", "9999");
  EXPECT_EQ(load().backend_url, "http://url-host:1234");
}

TEST_F(LoadConfig, EmptyEnvironmentVariablesAreIgnored) {
  set_env("PROXY_PORT", "");
  set_env("LOG_LEVEL", "");
  set_env("BACKEND_URL", "");
  const Config c = load();
  EXPECT_EQ(c.proxy_port, 8001);
  EXPECT_EQ(c.log_level, log::Level::info);
  EXPECT_EQ(c.backend_url, "http://localhost:11434");
}

TEST_F(LoadConfig, FlagsWinOverEnvironment) {
  set_env("PROXY_PORT", "9001");
  set_env("METRICS_PORT", "9002");
  set_env("DB_PATH", "/env.db");
  set_env("LOG_LEVEL", "ERROR");
  set_env("BACKEND_URL", "http://env-host:1");
  const Config c = load({"--proxy-port", "7001", "--metrics-port=7002", "--db-path", "/flag.db",
                         "--log-level=warning", "--backend-url", "https://flag-host"});
  EXPECT_EQ(c.proxy_port, 7001);
  EXPECT_EQ(c.metrics_port, 7002);
  EXPECT_EQ(c.db_path, "/flag.db");
  EXPECT_EQ(c.log_level, log::Level::warning);
  EXPECT_EQ(c.backend_url, "https://flag-host");
}

TEST_F(LoadConfig, BackendHostFlagBeatsEnvironmentUrl) {
  set_env("BACKEND_URL", "http://env-host:1");
  EXPECT_EQ(load({"--backend-host", "flag-host"}).backend_url, "http://flag-host:11434");
}

TEST_F(LoadConfig, BackendPortFlagCombinesWithEnvironmentHost) {
  set_env("BACKEND_HOST", "env-host");
  EXPECT_EQ(load({"--backend-port=5000"}).backend_url, "http://env-host:5000");
}

TEST_F(LoadConfig, BackendUrlFlagBeatsHostAndPortFlags) {
  EXPECT_EQ(load({"--backend-host", "h", "--backend-port", "1", "--backend-url", "http://u:2"})
                .backend_url,
            "http://u:2");
}

TEST_F(LoadConfig, BothFlagForms) {
  const Config a = load({"--proxy-port", "1234", "--cors-origin", "https://x"});
  const Config b = load({"--proxy-port=1234", "--cors-origin=https://x"});
  EXPECT_EQ(a.proxy_port, 1234);
  EXPECT_EQ(b.proxy_port, 1234);
  EXPECT_EQ(a.cors_origin, "https://x");
  EXPECT_EQ(b.cors_origin, "https://x");
}

TEST_F(LoadConfig, ValueWithAnEqualsSignInTheEqualsForm) {
  EXPECT_EQ(load({"--metrics-token=abc=def"}).metrics_token, "abc=def");
  EXPECT_EQ(load({"--metrics-token", "abc=def"}).metrics_token, "abc=def");
}

TEST_F(LoadConfig, LastFlagWins) {
  EXPECT_EQ(load({"--proxy-port", "1", "--proxy-port=2"}).proxy_port, 2);
}

TEST_F(LoadConfig, PortZeroPicksAFreeOne) {
  EXPECT_EQ(load({"--proxy-port", "0"}).proxy_port, 0);
  EXPECT_EQ(load({"--metrics-port", "65535"}).metrics_port, 65535);
}

TEST_F(LoadConfig, EverySetting) {
  const Config c = load({"--listen-address",
                         "127.0.0.1",
                         "--ca-file",
                         "/etc/ca.pem",
                         "--tls-verify",
                         "false",
                         "--threads",
                         "4",
                         "--max-body-bytes",
                         "1024",
                         "--max-header-bytes",
                         "2048",
                         "--connect-timeout-ms",
                         "100",
                         "--backend-timeout-ms",
                         "200",
                         "--stream-idle-timeout-ms",
                         "300",
                         "--client-timeout-ms",
                         "400",
                         "--idle-timeout-ms",
                         "500",
                         "--shutdown-grace-ms",
                         "600",
                         "--queue-capacity",
                         "7",
                         "--metrics-token",
                         "tok",
                         "--cors-origin",
                         "https://dash"});
  EXPECT_EQ(c.listen_address, "127.0.0.1");
  EXPECT_EQ(c.ca_file, "/etc/ca.pem");
  EXPECT_FALSE(c.tls_verify);
  EXPECT_EQ(c.threads, 4u);
  EXPECT_EQ(c.max_body_bytes, 1024u);
  EXPECT_EQ(c.max_header_bytes, 2048u);
  EXPECT_EQ(c.connect_timeout, 100ms);
  EXPECT_EQ(c.backend_timeout, 200ms);
  EXPECT_EQ(c.stream_idle_timeout, 300ms);
  EXPECT_EQ(c.client_timeout, 400ms);
  EXPECT_EQ(c.idle_timeout, 500ms);
  EXPECT_EQ(c.shutdown_grace, 600ms);
  EXPECT_EQ(c.queue_capacity, 7u);
  EXPECT_EQ(c.metrics_token, "tok");
  EXPECT_EQ(c.cors_origin, "https://dash");
}

TEST_F(LoadConfig, EverySettingFromTheEnvironment) {
  set_env("LISTEN_ADDRESS", "::1");
  set_env("BACKEND_CA_FILE", "/ca.pem");
  set_env("BACKEND_TLS_VERIFY", "no");
  set_env("THREADS", "2");
  set_env("MAX_BODY_BYTES", "4096");
  set_env("MAX_HEADER_BYTES", "8192");
  set_env("CONNECT_TIMEOUT_MS", "11");
  set_env("BACKEND_TIMEOUT_MS", "12");
  set_env("STREAM_IDLE_TIMEOUT_MS", "13");
  set_env("CLIENT_TIMEOUT_MS", "14");
  set_env("IDLE_TIMEOUT_MS", "15");
  set_env("SHUTDOWN_GRACE_MS", "16");
  set_env("RECORD_QUEUE_CAPACITY", "17");
  set_env("METRICS_API_TOKEN", "secret");
  set_env("CORS_ALLOW_ORIGIN", "https://o");
  const Config c = load();
  EXPECT_EQ(c.listen_address, "::1");
  EXPECT_EQ(c.ca_file, "/ca.pem");
  EXPECT_FALSE(c.tls_verify);
  EXPECT_EQ(c.threads, 2u);
  EXPECT_EQ(c.max_body_bytes, 4096u);
  EXPECT_EQ(c.max_header_bytes, 8192u);
  EXPECT_EQ(c.connect_timeout, 11ms);
  EXPECT_EQ(c.backend_timeout, 12ms);
  EXPECT_EQ(c.stream_idle_timeout, 13ms);
  EXPECT_EQ(c.client_timeout, 14ms);
  EXPECT_EQ(c.idle_timeout, 15ms);
  EXPECT_EQ(c.shutdown_grace, 16ms);
  EXPECT_EQ(c.queue_capacity, 17u);
  EXPECT_EQ(c.metrics_token, "secret");
  EXPECT_EQ(c.cors_origin, "https://o");
}

TEST_F(LoadConfig, BooleanSpellings) {
  for (const char* t : {"1", "true", "yes", "on"})
    EXPECT_TRUE(load({"--tls-verify", t}).tls_verify) << t;
  for (const char* f : {"0", "false", "no", "off"})
    EXPECT_FALSE(load({"--tls-verify", f}).tls_verify) << f;
  expect_error_naming({"--tls-verify", "maybe"}, {"--tls-verify", "maybe"});
}

TEST_F(LoadConfig, LogLevels) {
  EXPECT_EQ(load({"--log-level", "DEBUG"}).log_level, log::Level::debug);
  EXPECT_EQ(load({"--log-level", "info"}).log_level, log::Level::info);
  EXPECT_EQ(load({"--log-level", "WARN"}).log_level, log::Level::warning);
  EXPECT_EQ(load({"--log-level", "Error"}).log_level, log::Level::error);
}

TEST_F(LoadConfig, HelpListsEveryFlag) {
  for (const char* flag : {"--help", "-h"}) {
    std::optional<ConfigExit> exit;
    load_config({"--proxy-port", "1", flag}, exit);
    ASSERT_TRUE(exit.has_value()) << flag;
    const std::string& text = exit->text;
    for (const char* name : {"--backend-url",
                             "--backend-host",
                             "--backend-port",
                             "--listen-address",
                             "--proxy-port",
                             "--metrics-port",
                             "--db-path",
                             "--log-level",
                             "--ca-file",
                             "--tls-verify",
                             "--threads",
                             "--max-body-bytes",
                             "--max-header-bytes",
                             "--connect-timeout-ms",
                             "--backend-timeout-ms",
                             "--stream-idle-timeout-ms",
                             "--client-timeout-ms",
                             "--idle-timeout-ms",
                             "--shutdown-grace-ms",
                             "--queue-capacity",
                             "--metrics-token",
                             "--cors-origin",
                             "--help",
                             "--version"})
      EXPECT_NE(text.find(name), std::string::npos) << flag << " text lacks " << name;
    for (const char* env : {"BACKEND_URL", "PROXY_PORT", "METRICS_PORT", "DB_PATH", "LOG_LEVEL",
                            "RECORD_QUEUE_CAPACITY", "METRICS_API_TOKEN"})
      EXPECT_NE(text.find(env), std::string::npos) << flag << " text lacks " << env;
    EXPECT_EQ(text, help_text());
  }
}

TEST_F(LoadConfig, HelpWinsOverABadValueAfterIt) {
  std::optional<ConfigExit> exit;
  EXPECT_NO_THROW(load_config({"--help", "--proxy-port", "70000"}, exit));
  EXPECT_TRUE(exit.has_value());
}

TEST_F(LoadConfig, Version) {
  std::optional<ConfigExit> exit;
  load_config({"--version"}, exit);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->text.rfind("llm-metrics-proxy ", 0), 0u) << exit->text;
  // The tests link the library without jemalloc; the executable's own check is in
  // tests/CMakeLists.txt.
  EXPECT_NE(exit->text.find("memory allocator: glibc"), std::string::npos) << exit->text;
}

TEST_F(LoadConfig, PortOutOfRange) {
  expect_error_naming({"--proxy-port", "70000"}, {"--proxy-port", "70000"});
  expect_error_naming({"--metrics-port=65536"}, {"--metrics-port", "65536"});
  expect_error_naming({"--proxy-port", "-1"}, {"--proxy-port", "-1"});
  expect_error_naming({"--proxy-port", "80x"}, {"--proxy-port", "80x"});
  expect_error_naming({"--proxy-port", " 80"}, {"--proxy-port"});
  expect_error_naming({"--proxy-port="}, {"--proxy-port"});
  expect_error_naming({"--backend-port", "0"}, {"--backend-port", "0"});
  expect_error_naming({"--backend-port", "99999"}, {"--backend-port", "99999"});
}

TEST_F(LoadConfig, BadEnvironmentValueNamesTheVariable) {
  set_env("PROXY_PORT", "70000");
  expect_error_naming({}, {"PROXY_PORT", "70000"});
  ::unsetenv("PROXY_PORT");
  set_env("LOG_LEVEL", "LOUD");
  expect_error_naming({}, {"LOG_LEVEL", "LOUD"});
  ::unsetenv("LOG_LEVEL");
  set_env("BACKEND_PORT", "http");
  expect_error_naming({}, {"BACKEND_PORT", "http"});
}

TEST_F(LoadConfig, BadLogLevel) {
  expect_error_naming({"--log-level", "LOUD"}, {"--log-level", "LOUD", "DEBUG"});
}

TEST_F(LoadConfig, BadBackendUrl) {
  expect_error_naming({"--backend-url", "ftp://x"}, {"ftp://x", "backend"});
  expect_error_naming({"--backend-url=http://user:pw@h"}, {"backend"});
  set_env("BACKEND_URL", "not a url");
  expect_error_naming({}, {"not a url"});
}

TEST_F(LoadConfig, BadOtherValues) {
  expect_error_naming({"--listen-address", "localhost"}, {"--listen-address", "localhost"});
  expect_error_naming({"--threads", "1000"}, {"--threads", "1000"});
  expect_error_naming({"--connect-timeout-ms", "0"}, {"--connect-timeout-ms", "0"});
  expect_error_naming({"--max-header-bytes", "10"}, {"--max-header-bytes", "10"});
  expect_error_naming({"--queue-capacity", "0"}, {"--queue-capacity", "0"});
  expect_error_naming({"--db-path="}, {"--db-path"});
}

TEST_F(LoadConfig, UnknownOption) {
  expect_error_naming({"--proxy-prot", "1"}, {"--proxy-prot"});
  expect_error_naming({"--nope=1"}, {"--nope"});
  expect_error_naming({"stray"}, {"stray"});
  expect_error_naming({"-p", "1"}, {"-p"});
}

TEST_F(LoadConfig, MissingValue) {
  expect_error_naming({"--proxy-port"}, {"--proxy-port"});
  expect_error_naming({"--log-level=debug", "--backend-url"}, {"--backend-url"});
}

TEST_F(LoadConfig, DashboardPortDefaultsTo3000AndCanBeTurnedOff) {
  EXPECT_EQ(load().dashboard_port, std::optional<unsigned short>(3000));
  EXPECT_EQ(load({"--dashboard-port", "0"}).dashboard_port, std::optional<unsigned short>(0));
  EXPECT_FALSE(load({"--dashboard-port", "off"}).dashboard_port.has_value());
  set_env("DASHBOARD_PORT", "off");
  EXPECT_FALSE(load().dashboard_port.has_value());
  EXPECT_EQ(load({"--dashboard-port=4000"}).dashboard_port, std::optional<unsigned short>(4000));
  expect_error_naming({"--dashboard-port", "70000"}, {"--dashboard-port", "70000", "off"});
}

TEST_F(LoadConfig, DashboardApiUrlFromFlagOrEitherEnvironmentName) {
  EXPECT_EQ(load().dashboard_api_url, "");
  set_env("REACT_APP_METRICS_API_URL", "http://old.example:8002");
  EXPECT_EQ(load().dashboard_api_url, "http://old.example:8002");
  set_env("METRICS_API_URL", "https://metrics.example");
  EXPECT_EQ(load().dashboard_api_url, "https://metrics.example");
  EXPECT_EQ(load({"--dashboard-api-url", "http://flag.example"}).dashboard_api_url,
            "http://flag.example");
  expect_error_naming({"--dashboard-api-url", "metrics.example"},
                      {"--dashboard-api-url", "metrics.example", "http://"});
  // The alias has no flag of its own: an empty argument is not mistaken for it.
  EXPECT_NE(error_of({""}), "");
  EXPECT_EQ(help_text().find("REACT_APP_METRICS_API_URL\n"), std::string::npos);
  EXPECT_NE(help_text().find("--dashboard-port"), std::string::npos);
}

}  // namespace
}  // namespace lmp::app
