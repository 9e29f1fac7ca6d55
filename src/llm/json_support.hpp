// Internal to llm/: the simdjson plumbing the parsers share (padding, a parser reused per
// thread, lenient readers that treat a wrong type as absent, the reading of response bodies).
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "llm/completion_record.hpp"
#include "llm/usage.hpp"

namespace lmp::llm::detail {

namespace dom = simdjson::dom;

// A DOM parser and a padding buffer. The DOM API is used rather than On-Demand because
// On-Demand picks its kernel at compile time (the scalar fallback without -march flags),
// while the DOM parser dispatches at run time to the best kernel of the CPU.
// One scratch per thread is reused for ordinary inputs so that parsing does not allocate;
// inputs larger than kReuseLimit get a one-off scratch so that a single huge body does not pin
// megabytes to a thread forever.
struct JsonScratch {
  static constexpr std::size_t kReuseLimit = 256 * 1024;

  dom::parser parser;
  std::string buffer;

  // Parses `text`. simdjson reads up to SIMDJSON_PADDING bytes past the end; when the caller
  // knows that many bytes are readable after `text` (it is a slice of a larger buffer), the
  // text is parsed in place, otherwise it is copied into `buffer` first. Views read from the
  // result stay valid until the next parse with this scratch.
  simdjson::simdjson_result<dom::element> parse(std::string_view text,
                                                std::size_t readable_after = 0);

  static JsonScratch& for_this_thread();
};

// Scalar readers: nullopt when the value is null, of another type, or out of range.
std::optional<std::string_view> read_string(dom::element value);
std::optional<bool> read_bool(dom::element value);
std::optional<double> read_double(dom::element value);
// Integers, and doubles that hold an integral value within range (some servers write 12.0).
std::optional<std::int64_t> read_int(dom::element value);
// Token counts: as read_int, but a negative count is nonsense and is treated as absent.
std::optional<std::int64_t> read_count(dom::element value);

// What a completion response or one stream chunk says. The views point into the parser's
// string buffer: copy them before the scratch parses again.
struct BodyFacts {
  bool has_output = false;                        // see read_body
  std::optional<std::string_view> finish_reason;  // last non-null one among the choices
  std::optional<std::string_view> model;
  std::optional<std::string_view> error_message;  // of an `error` member
  std::optional<std::string_view> object_type;    // vLLM errors: {"object":"error",
  std::optional<std::string_view> top_message;    //               "message": "..."}
  std::optional<Usage> usage;  // OpenAI `usage`, when it carries at least one count
  Usage native;                // Ollama eval_count/prompt_eval_count, llama.cpp timings

  // OpenAI usage when present, else the native counts, else nothing.
  std::optional<Usage> best_usage() const;
  // The error's text, if the body is an error.
  std::optional<std::string_view> best_error() const;
};

// Reads a response or a chunk. Output is a choice whose message/delta has non-empty content,
// reasoning_content or reasoning, non-empty tool_calls or a function_call object, or (for
// /v1/completions) non-empty text; for embeddings a non-empty `data` array. Returns false when
// the document is not a JSON object.
bool read_body(dom::element root, Endpoint endpoint, BodyFacts& facts);

// At most `max_bytes` of `text`, cut before a UTF-8 sequence that would not fit whole.
std::string truncate_utf8(std::string_view text, std::size_t max_bytes);

inline constexpr std::size_t kMaxErrorMessageBytes = 200;

}  // namespace lmp::llm::detail
