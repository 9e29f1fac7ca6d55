#include "support/log.hpp"

#include "support/text.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>

#include "support/time.hpp"

namespace lmp::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::info)};
std::mutex g_write_mutex;

std::string_view level_name(Level level) {
  switch (level) {
    case Level::debug:
      return "DEBUG";
    case Level::info:
      return "INFO";
    case Level::warning:
      return "WARNING";
    case Level::error:
      return "ERROR";
  }
  return "INFO";
}

}  // namespace

void set_level(Level level) {
  g_level.store(static_cast<int>(level), std::memory_order_relaxed);
}
Level level() {
  return static_cast<Level>(g_level.load(std::memory_order_relaxed));
}
bool enabled(Level l) {
  return static_cast<int>(l) >= g_level.load(std::memory_order_relaxed);
}

void write(Level l, std::string_view message) {
  const std::string stamp = time::format_iso8601_utc(time::now_unix_ms());
  std::lock_guard lock(g_write_mutex);
  std::fprintf(stderr, "%s %-7.*s %.*s\n", stamp.c_str(), static_cast<int>(level_name(l).size()),
               level_name(l).data(), static_cast<int>(message.size()), message.data());
}

bool parse_level(std::string_view name, Level& out) {
  if (text::iequals(name, "DEBUG"))
    out = Level::debug;
  else if (text::iequals(name, "INFO"))
    out = Level::info;
  else if (text::iequals(name, "WARNING") || text::iequals(name, "WARN"))
    out = Level::warning;
  else if (text::iequals(name, "ERROR"))
    out = Level::error;
  else
    return false;
  return true;
}

}  // namespace lmp::log
