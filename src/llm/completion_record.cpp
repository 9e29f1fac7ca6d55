#include "llm/completion_record.hpp"

namespace lmp::llm {

std::string_view to_string(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::chat_completions:
      return "chat/completions";
    case Endpoint::completions:
      return "completions";
    case Endpoint::embeddings:
      return "embeddings";
  }
  return "chat/completions";
}

std::optional<Endpoint> endpoint_from_string(std::string_view name) {
  if (name == "chat/completions") return Endpoint::chat_completions;
  if (name == "completions") return Endpoint::completions;
  if (name == "embeddings") return Endpoint::embeddings;
  return std::nullopt;
}

}  // namespace lmp::llm
