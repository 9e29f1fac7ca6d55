// Which requests are measured and recorded; everything else is forwarded untouched.
#pragma once

#include <optional>
#include <string_view>

#include "llm/completion_record.hpp"

namespace lmp::proxy {

// POST /v1/chat/completions, /v1/completions and /v1/embeddings (a query string and a trailing
// slash are allowed) are recorded.
inline std::optional<llm::Endpoint> recorded_endpoint(std::string_view method,
                                                      std::string_view target) {
  if (method != "POST") return std::nullopt;
  target = target.substr(0, target.find('?'));
  if (target.size() > 1 && target.back() == '/') target.remove_suffix(1);
  if (target == "/v1/chat/completions") return llm::Endpoint::chat_completions;
  if (target == "/v1/completions") return llm::Endpoint::completions;
  if (target == "/v1/embeddings") return llm::Endpoint::embeddings;
  return std::nullopt;
}

}  // namespace lmp::proxy
