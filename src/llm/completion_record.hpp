// One measured request: what the proxy hands to the recorder and the store keeps.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "llm/error_type.hpp"

namespace lmp::llm {

enum class Endpoint { chat_completions, completions, embeddings };

// "chat/completions", "completions", "embeddings": the path after /v1/.
std::string_view to_string(Endpoint endpoint);
std::optional<Endpoint> endpoint_from_string(std::string_view name);

struct CompletionRecord {
  // When, where from, where to. Empty strings are stored as NULL.
  std::int64_t timestamp_ms = 0;  // wall clock (UTC, Unix ms) at t0: the full request was read
  Endpoint endpoint = Endpoint::chat_completions;
  std::string backend;  // the backend's base URL, without credentials
  std::string client_address;
  std::string origin;               // the request's Origin header
  std::string api_key_fingerprint;  // non-reversible; never the key itself

  // What was asked.
  std::string model;
  std::string user;  // the request body's "user" field
  bool is_streaming = false;
  std::optional<std::int64_t> max_tokens;
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<std::int64_t> message_count;
  std::int64_t request_bytes = 0;   // request body as received
  std::int64_t response_bytes = 0;  // response body as relayed (possibly compressed)

  // Outcome.
  bool success = false;
  int status_code = 0;  // the status the client got; 0 if none was sent
  ErrorType error_type = ErrorType::none;
  std::string error_message;  // short, never contains secrets or content
  std::string finish_reason;

  // Timings in milliseconds from t0, monotonic clock, sub-millisecond precision.
  std::optional<double> response_time_ms;
  std::optional<double> time_to_first_byte_ms;
  std::optional<double> time_to_first_token_ms;
  std::optional<double> time_to_last_token_ms;
  std::optional<double> max_inter_token_gap_ms;

  // Usage: the last usage object seen (or the backend's native counts).
  std::optional<std::int64_t> prompt_tokens;
  std::optional<std::int64_t> completion_tokens;
  std::optional<std::int64_t> total_tokens;
  std::optional<double> tokens_per_second;  // see llm/timings.hpp for the definition

  // Something in the measurement could not be read (unparseable JSON, an oversized event...);
  // the request itself was relayed untouched.
  bool degraded = false;
};

}  // namespace lmp::llm
