// Reads what a client asked for from a request body (model, streaming, sampling parameters),
// without ever failing the request: anything unreadable is simply absent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "llm/completion_record.hpp"

namespace lmp::llm {

struct RequestInfo {
  std::string model;
  std::string user;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  // chat: messages.size(); completions: number of prompts (1 for a string or one token array,
  // n for an array of strings or of token arrays); embeddings: number of inputs, likewise.
  std::optional<std::int64_t> message_count;
  // max_tokens, or max_completion_tokens when max_tokens is absent (or not an integer).
  std::optional<std::int64_t> max_tokens;
  std::optional<double> temperature;
  std::optional<double> top_p;
  // False when the body is not a well-formed JSON object (nothing is read from it then); the
  // record is then flagged degraded.
  bool parsed = true;
};

// Never throws; any bytes are accepted. A field of the wrong type ("stream":"yes") is treated
// as absent.
RequestInfo inspect_request(Endpoint endpoint, std::string_view body);

}  // namespace lmp::llm
