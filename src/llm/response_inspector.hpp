// Reads usage, finish reason and errors from a non-streamed JSON response body.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "llm/completion_record.hpp"
#include "llm/usage.hpp"

namespace lmp::llm {

struct ResponseObservation {
  // OpenAI `usage`, else Ollama's eval_count/prompt_eval_count, else llama.cpp's timings.
  // Embeddings report prompt_tokens and total_tokens only.
  std::optional<Usage> usage;
  std::string finish_reason;  // last non-null finish_reason among the choices
  std::string model;
  // {"error":{"message":...}}, {"error":"text"} or vLLM's {"object":"error","message":...};
  // at most 200 bytes, cut on a UTF-8 boundary.
  std::string error_message;
  // A choice with non-empty content, reasoning, tool calls or text; for embeddings, a
  // non-empty `data` array.
  bool has_output = false;
  bool parsed = true;  // false when the body is not a well-formed JSON object (nothing read)
};

// Never throws; any bytes are accepted.
ResponseObservation inspect_response(Endpoint endpoint, std::string_view body);

}  // namespace lmp::llm
