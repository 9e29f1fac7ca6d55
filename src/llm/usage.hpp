// Token usage as a backend reports it: OpenAI's `usage` block or a backend-native equivalent.
#pragma once

#include <cstdint>
#include <optional>

namespace lmp::llm {

struct Usage {
  std::optional<std::int64_t> prompt_tokens;
  std::optional<std::int64_t> completion_tokens;
  std::optional<std::int64_t> total_tokens;

  bool empty() const { return !prompt_tokens && !completion_tokens && !total_tokens; }
  friend bool operator==(const Usage&, const Usage&) = default;
};

// Backends that omit total_tokens still mean prompt + completion; fill it so every consumer
// sees the same total.
inline Usage normalized(Usage usage) {
  std::int64_t sum = 0;
  if (!usage.total_tokens && usage.prompt_tokens && usage.completion_tokens &&
      !__builtin_add_overflow(*usage.prompt_tokens, *usage.completion_tokens, &sum))
    usage.total_tokens = sum;
  return usage;
}

}  // namespace lmp::llm
