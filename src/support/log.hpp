// Leveled logging to stderr, one line per message, safe to call from any thread.
// Never pass API keys, prompts or completions to it.
#pragma once

#include <fmt/format.h>
#include <string_view>

namespace lmp::log {

enum class Level { debug = 0, info = 1, warning = 2, error = 3 };

void set_level(Level level);
Level level();
bool enabled(Level level);
void write(Level level, std::string_view message);

// Parses DEBUG, INFO, WARNING (or WARN), ERROR, case-insensitively.
bool parse_level(std::string_view text, Level& out);

template <class... Args>
void debug(fmt::format_string<Args...> fmt, Args&&... args) {
  if (enabled(Level::debug)) write(Level::debug, fmt::format(fmt, std::forward<Args>(args)...));
}
template <class... Args>
void info(fmt::format_string<Args...> fmt, Args&&... args) {
  if (enabled(Level::info)) write(Level::info, fmt::format(fmt, std::forward<Args>(args)...));
}
template <class... Args>
void warning(fmt::format_string<Args...> fmt, Args&&... args) {
  if (enabled(Level::warning)) write(Level::warning, fmt::format(fmt, std::forward<Args>(args)...));
}
template <class... Args>
void error(fmt::format_string<Args...> fmt, Args&&... args) {
  if (enabled(Level::error)) write(Level::error, fmt::format(fmt, std::forward<Args>(args)...));
}

}  // namespace lmp::log
