// Reads what the mock backend needs from an OpenAI-style request body, and the X-Mock-*
// override headers. Pure: no I/O, so the rules are unit-testable on strings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/result.hpp"

namespace lmp::mock {

enum class Endpoint { chat, completions, embeddings };

struct ParsedRequest {
  std::string model;  // echoed back; "mock-small" when the request names none
  bool stream = false;
  bool include_usage = false;              // stream_options.include_usage
  std::optional<std::int64_t> max_tokens;  // max_tokens or max_completion_tokens, when >= 0
  std::int64_t prompt_tokens = 1;          // see prompt_tokens_for()
  // Embeddings: one seed per input, so equal inputs get equal vectors.
  std::vector<std::uint64_t> input_seeds;
  int dimensions = 8;
  // "encoding_format": "base64" (the OpenAI libraries' default): little-endian float32 vectors
  // in base64 strings instead of arrays of numbers.
  bool base64 = false;
};

// The documented prompt-token rule: ceil(bytes / 4), at least 1, where bytes counts the UTF-8
// bytes of every message's text content (chat: string contents and the "text" of content
// parts) or of every prompt/input string (completions, embeddings); a pre-tokenized input
// (array of integers) counts one token per integer instead.
std::int64_t prompt_tokens_for(std::size_t text_bytes, std::size_t pretokenized = 0);

// Fails with a message naming what is wrong when the body is not a JSON object, or when an
// embeddings request has no usable "input". Otherwise lenient: the mock is not a validator.
Result<ParsedRequest> parse_request(Endpoint endpoint, std::string_view body);

// Per-request behaviour chosen by X-Mock-* request headers (see mock_main.cpp --help).
struct Overrides {
  std::optional<unsigned> status;  // 400..599: answer with an OpenAI error body
  std::optional<double> ttft_ms;
  std::optional<double> token_interval_ms;
  std::optional<double> stall_ms;
  std::optional<std::int64_t> completion_tokens;
  std::optional<std::int64_t> close_after_events;
  bool gzip = false;
  bool chunked = false;
  bool no_usage = false;
  bool echo_headers = false;
};

// Applies one header if its name starts with "X-Mock-" (any case); returns an error message
// naming the header when its value is unusable. Unknown X-Mock-* headers are ignored.
std::optional<std::string> apply_override(Overrides& overrides, std::string_view name,
                                          std::string_view value);

}  // namespace lmp::mock
