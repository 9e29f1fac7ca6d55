#include "llm/json_support.hpp"

#include <cmath>

namespace lmp::llm::detail {
namespace {

bool non_empty_string(dom::element value) {
  auto text = read_string(value);
  return text && !text->empty();
}

bool non_empty_array(dom::element value) {
  dom::array array;
  return !value.get_array().get(array) && array.begin() != array.end();
}

// OpenAI's `usage`; set only when it carries at least one count, so that a null or empty
// usage never hides an earlier one.
void read_usage(dom::element value, std::optional<Usage>& usage) {
  dom::object object;
  if (value.get_object().get(object)) return;
  Usage found;
  for (const dom::key_value_pair field : object) {
    if (field.key == "prompt_tokens") {
      found.prompt_tokens = read_count(field.value);
    } else if (field.key == "completion_tokens") {
      found.completion_tokens = read_count(field.value);
    } else if (field.key == "total_tokens") {
      found.total_tokens = read_count(field.value);
    }
  }
  if (!found.empty()) usage = normalized(found);
}

// llama.cpp's `timings`: predicted_n (completion) and prompt_n (prompt).
void read_llamacpp_timings(dom::element value, Usage& native) {
  dom::object object;
  if (value.get_object().get(object)) return;
  for (const dom::key_value_pair field : object) {
    if (field.key == "predicted_n") {
      if (auto count = read_count(field.value)) native.completion_tokens = count;
    } else if (field.key == "prompt_n") {
      if (auto count = read_count(field.value)) native.prompt_tokens = count;
    }
  }
}

// `error` as {"message": "..."} (OpenAI, vLLM) or a bare string (Ollama).
void read_error_message(dom::element value, std::optional<std::string_view>& message) {
  if (auto text = read_string(value)) {
    message = text;
    return;
  }
  dom::object object;
  if (value.get_object().get(object)) return;
  std::optional<std::string_view> found;
  for (const dom::key_value_pair field : object) {
    if (field.key == "message") found = read_string(field.value);
  }
  // An error object without a message still says that something failed.
  message = found ? *found : std::string_view("error (no message)");
}

// The `message` of a chat choice, or a stream chunk's `delta`.
void read_message(dom::element value, bool& has_output) {
  dom::object object;
  if (value.get_object().get(object)) return;
  for (const dom::key_value_pair field : object) {
    const std::string_view key = field.key;
    if (key == "content" || key == "reasoning_content" || key == "reasoning") {
      if (non_empty_string(field.value)) has_output = true;
    } else if (key == "tool_calls") {
      if (non_empty_array(field.value)) has_output = true;
    } else if (key == "function_call") {
      if (field.value.is_object()) has_output = true;
    }
  }
}

void read_choices(dom::element value, Endpoint endpoint, BodyFacts& out) {
  dom::array choices;
  if (value.get_array().get(choices)) return;
  for (const dom::element choice_value : choices) {
    dom::object choice;
    if (choice_value.get_object().get(choice)) continue;
    for (const dom::key_value_pair field : choice) {
      const std::string_view key = field.key;
      if (key == "delta" || key == "message") {
        read_message(field.value, out.has_output);
      } else if (key == "text") {
        if (endpoint == Endpoint::completions && non_empty_string(field.value))
          out.has_output = true;
      } else if (key == "finish_reason") {
        if (auto reason = read_string(field.value); reason && !reason->empty())
          out.finish_reason = reason;
      }
    }
  }
}

}  // namespace

simdjson::simdjson_result<dom::element> JsonScratch::parse(std::string_view text,
                                                           std::size_t readable_after) {
  if (readable_after >= simdjson::SIMDJSON_PADDING)
    return parser.parse(text.data(), text.size(), /*realloc_if_needed=*/false);
  buffer.assign(text);
  buffer.append(simdjson::SIMDJSON_PADDING, ' ');
  return parser.parse(buffer.data(), text.size(), /*realloc_if_needed=*/false);
}

JsonScratch& JsonScratch::for_this_thread() {
  thread_local JsonScratch scratch;
  return scratch;
}

std::optional<std::string_view> read_string(dom::element value) {
  std::string_view text;
  if (value.get_string().get(text)) return std::nullopt;
  return text;
}

std::optional<bool> read_bool(dom::element value) {
  bool flag = false;
  if (value.get_bool().get(flag)) return std::nullopt;
  return flag;
}

std::optional<double> read_double(dom::element value) {
  double number = 0;  // get_double also converts integers
  if (value.get_double().get(number) || !std::isfinite(number)) return std::nullopt;
  return number;
}

std::optional<std::int64_t> read_int(dom::element value) {
  std::int64_t integer = 0;
  if (!value.get_int64().get(integer)) return integer;
  // Not an int64 literal: accept 12.0 or 1e3, refuse 0.5 and anything beyond int64.
  double number = 0;
  if (value.get_double().get(number) || !std::isfinite(number)) return std::nullopt;
  if (number != std::trunc(number) || number < -9.2e18 || number > 9.2e18) return std::nullopt;
  return static_cast<std::int64_t>(number);
}

std::optional<std::int64_t> read_count(dom::element value) {
  auto count = read_int(value);
  if (count && *count < 0) return std::nullopt;
  return count;
}

bool read_body(dom::element root, Endpoint endpoint, BodyFacts& out) {
  dom::object object;
  if (root.get_object().get(object)) return false;
  for (const dom::key_value_pair field : object) {
    const std::string_view key = field.key;
    const dom::element value = field.value;
    if (key == "choices") {
      read_choices(value, endpoint, out);
    } else if (key == "data") {
      if (endpoint == Endpoint::embeddings && non_empty_array(value)) out.has_output = true;
    } else if (key == "usage") {
      read_usage(value, out.usage);
    } else if (key == "model") {
      out.model = read_string(value);
    } else if (key == "error") {
      read_error_message(value, out.error_message);
    } else if (key == "object") {
      out.object_type = read_string(value);
    } else if (key == "message") {
      out.top_message = read_string(value);
    } else if (key == "eval_count") {
      if (auto count = read_count(value)) out.native.completion_tokens = count;
    } else if (key == "prompt_eval_count") {
      if (auto count = read_count(value)) out.native.prompt_tokens = count;
    } else if (key == "timings") {
      read_llamacpp_timings(value, out.native);
    }
  }
  return true;
}

std::optional<Usage> BodyFacts::best_usage() const {
  if (usage) return usage;
  if (!native.empty()) return normalized(native);
  return std::nullopt;
}

std::optional<std::string_view> BodyFacts::best_error() const {
  if (error_message) return error_message;
  if (object_type == "error" && top_message) return top_message;
  return std::nullopt;
}

std::string truncate_utf8(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  std::size_t cut = max_bytes;
  // Back up over continuation bytes (10xxxxxx) so the cut lands on a sequence start.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut));
}

}  // namespace lmp::llm::detail
