#include "llm/request_inspector.hpp"

#include <memory>

#include "llm/json_support.hpp"

namespace lmp::llm {
namespace {

namespace dom = detail::dom;
using detail::read_bool;
using detail::read_double;
using detail::read_int;
using detail::read_string;

// Prompts and embedding inputs come as a string, an array of strings, one token array
// ([1,2,3]) or an array of token arrays: a flat array of numbers is one input.
std::optional<std::int64_t> count_inputs(dom::element value) {
  if (value.is_string()) return 1;
  dom::array array;
  if (value.get_array().get(array)) return std::nullopt;
  auto first = array.begin();
  if (first != array.end() && (*first).is_number()) return 1;
  return static_cast<std::int64_t>(array.size());
}

std::optional<std::int64_t> count_messages(dom::element value) {
  dom::array array;
  if (value.get_array().get(array)) return std::nullopt;
  return static_cast<std::int64_t>(array.size());
}

void read_request(dom::object object, Endpoint endpoint, RequestInfo& info) {
  std::optional<std::int64_t> max_completion_tokens;
  for (const dom::key_value_pair field : object) {
    const std::string_view key = field.key;
    const dom::element value = field.value;
    if (key == "model") {
      if (auto text = read_string(value)) info.model = *text;
    } else if (key == "user") {
      if (auto text = read_string(value)) info.user = *text;
    } else if (key == "stream") {
      if (auto flag = read_bool(value)) info.stream = *flag;
    } else if (key == "stream_options") {
      dom::object options;
      if (value.get_object().get(options)) continue;
      for (const dom::key_value_pair option : options) {
        if (option.key == "include_usage") {
          if (auto flag = read_bool(option.value)) info.include_usage = *flag;
        }
      }
    } else if (key == "messages") {
      if (endpoint == Endpoint::chat_completions) info.message_count = count_messages(value);
    } else if (key == "prompt") {
      if (endpoint == Endpoint::completions) info.message_count = count_inputs(value);
    } else if (key == "input") {
      if (endpoint == Endpoint::embeddings) info.message_count = count_inputs(value);
    } else if (key == "max_tokens") {
      info.max_tokens = read_int(value);
    } else if (key == "max_completion_tokens") {
      max_completion_tokens = read_int(value);
    } else if (key == "temperature") {
      info.temperature = read_double(value);
    } else if (key == "top_p") {
      info.top_p = read_double(value);
    }
  }
  if (!info.max_tokens) info.max_tokens = max_completion_tokens;
}

}  // namespace

RequestInfo inspect_request(Endpoint endpoint, std::string_view body) {
  RequestInfo info;
  std::unique_ptr<detail::JsonScratch> one_off;
  detail::JsonScratch* scratch = &detail::JsonScratch::for_this_thread();
  if (body.size() > detail::JsonScratch::kReuseLimit) {
    one_off = std::make_unique<detail::JsonScratch>();
    scratch = one_off.get();
  }
  dom::object object;
  if (scratch->parse(body).get_object().get(object)) {
    info.parsed = false;
    return info;
  }
  read_request(object, endpoint, info);
  return info;
}

}  // namespace lmp::llm
