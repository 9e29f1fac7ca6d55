#include "app/main.hpp"

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/config.hpp"
#include "app/demo_main.hpp"
#include "app/proxy_app.hpp"
#include "mock/mock_main.hpp"

namespace lmp::app {
namespace {

int run_proxy(const Config& config) {
  std::optional<ProxyApp> app;
  try {
    app.emplace(config);
  } catch (const StartupError& e) {
    std::fprintf(stderr, "llm-metrics-proxy: %s\n", e.what());
    return 1;
  }
  std::fputs(app->banner().c_str(), stdout);
  std::fflush(stdout);
  return app->run();
}

}  // namespace

int run_main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "mock-backend")
    return mock::run_mock_backend(argc - 1, argv + 1);
  if (argc > 1 && std::string_view(argv[1]) == "demo")
    return run_demo(std::vector<std::string>(argv + 2, argv + argc));
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
