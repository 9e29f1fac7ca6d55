#include "mock/mock_request.hpp"

#include "support/text.hpp"

#include <fmt/format.h>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <charconv>

namespace lmp::mock {
namespace bj = boost::json;

namespace {

constexpr std::int64_t kMaxCompletionTokens = 1'000'000;
constexpr double kMaxDelayMs = 600'000;  // ten minutes: longer is a typo, not a test
constexpr int kMaxDimensions = 4096;

std::string_view sv(bj::string_view s) {
  return {s.data(), s.size()};
}

std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 14695981039346656037ull) {
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

// Text and token counts gathered from prompt-like fields.
struct PromptSize {
  std::size_t bytes = 0;
  std::size_t pretokenized = 0;
};

bool is_token_array(const bj::array& a) {
  if (a.empty()) return false;
  for (const auto& e : a)
    if (!e.is_number()) return false;
  return true;
}

std::uint64_t token_array_seed(const bj::array& a) {
  std::uint64_t h = fnv1a("tokens");
  for (const auto& e : a) {
    const auto n = e.is_int64() ? e.get_int64()
                                : static_cast<std::int64_t>(e.is_uint64() ? e.get_uint64() : 0);
    h = fnv1a(std::string_view(reinterpret_cast<const char*>(&n), sizeof n), h);
  }
  return h;
}

// prompt (completions) or input (embeddings): a string, an array of strings, an array of
// integers (one pre-tokenized input) or an array of such arrays.
void add_prompt_value(const bj::value& v, PromptSize& size, std::vector<std::uint64_t>* seeds) {
  if (const auto* s = v.if_string()) {
    size.bytes += s->size();
    if (seeds) seeds->push_back(fnv1a(sv(*s)));
  } else if (const auto* a = v.if_array()) {
    if (is_token_array(*a)) {
      size.pretokenized += a->size();
      if (seeds) seeds->push_back(token_array_seed(*a));
      return;
    }
    for (const auto& e : *a) {
      if (const auto* es = e.if_string()) {
        size.bytes += es->size();
        if (seeds) seeds->push_back(fnv1a(sv(*es)));
      } else if (const auto* ea = e.if_array(); ea && is_token_array(*ea)) {
        size.pretokenized += ea->size();
        if (seeds) seeds->push_back(token_array_seed(*ea));
      }
    }
  }
}

void add_message_content(const bj::value& content, PromptSize& size) {
  if (const auto* s = content.if_string()) {
    size.bytes += s->size();
  } else if (const auto* parts = content.if_array()) {
    for (const auto& part : *parts) {
      const auto* o = part.if_object();
      if (!o) continue;
      if (const auto* t = o->if_contains("text"); t && t->is_string())
        size.bytes += t->get_string().size();
    }
  }
}

std::optional<std::int64_t> as_int(const bj::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64())
    return static_cast<std::int64_t>(std::min<std::uint64_t>(v.get_uint64(), INT64_MAX));
  if (v.is_double()) return static_cast<std::int64_t>(v.get_double());
  return std::nullopt;
}

template <class T>
std::optional<T> parse_number(std::string_view text, T min, T max) {
  text = text::trim(text);
  T out{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end != text.data() + text.size() || out < min || out > max)
    return std::nullopt;
  return out;
}

std::optional<bool> parse_flag(std::string_view text) {
  text = text::trim(text);
  if (text == "1" || text::iequals(text, "true") || text::iequals(text, "yes") ||
      text::iequals(text, "on"))
    return true;
  if (text == "0" || text::iequals(text, "false") || text::iequals(text, "no") ||
      text::iequals(text, "off"))
    return false;
  return std::nullopt;
}

}  // namespace

std::int64_t prompt_tokens_for(std::size_t text_bytes, std::size_t pretokenized) {
  const auto tokens = static_cast<std::int64_t>((text_bytes + 3) / 4 + pretokenized);
  return tokens < 1 ? 1 : tokens;
}

Result<ParsedRequest> parse_request(Endpoint endpoint, std::string_view body) {
  // Typical requests parse without touching the heap: the tree lives in this stack buffer.
  unsigned char buffer[8192];
  bj::monotonic_resource resource(buffer, sizeof buffer);
  boost::system::error_code ec;
  const bj::value root = bj::parse(bj::string_view(body.data(), body.size()), ec, &resource);
  if (ec) return Error{"request body is not valid JSON: " + ec.message()};
  const auto* obj = root.if_object();
  if (!obj) return Error{"request body must be a JSON object"};

  ParsedRequest out;
  if (const auto* m = obj->if_contains("model"); m && m->is_string() && !m->get_string().empty())
    out.model = sv(m->get_string());
  else
    out.model = "mock-small";
  if (const auto* s = obj->if_contains("stream"); s && s->is_bool()) out.stream = s->get_bool();
  if (const auto* so = obj->if_contains("stream_options"); so && so->is_object()) {
    if (const auto* iu = so->get_object().if_contains("include_usage"); iu && iu->is_bool())
      out.include_usage = iu->get_bool();
  }
  for (const char* key : {"max_completion_tokens", "max_tokens"}) {
    if (const auto* mt = obj->if_contains(key)) {
      if (auto n = as_int(*mt); n && *n >= 0) {
        out.max_tokens = n;
        break;
      }
    }
  }

  PromptSize size;
  switch (endpoint) {
    case Endpoint::chat:
      if (const auto* msgs = obj->if_contains("messages"); msgs && msgs->is_array()) {
        for (const auto& msg : msgs->get_array()) {
          const auto* mo = msg.if_object();
          if (!mo) continue;
          if (const auto* c = mo->if_contains("content")) add_message_content(*c, size);
        }
      }
      break;
    case Endpoint::completions:
      if (const auto* p = obj->if_contains("prompt")) add_prompt_value(*p, size, nullptr);
      break;
    case Endpoint::embeddings: {
      const auto* input = obj->if_contains("input");
      if (input) add_prompt_value(*input, size, &out.input_seeds);
      if (out.input_seeds.empty())
        return Error{
            "\"input\" must be a non-empty string, an array of strings, or an array of token "
            "arrays"};
      if (const auto* d = obj->if_contains("dimensions")) {
        if (auto n = as_int(*d); n && *n >= 1 && *n <= kMaxDimensions)
          out.dimensions = static_cast<int>(*n);
      }
      if (const auto* f = obj->if_contains("encoding_format"); f && f->is_string())
        out.base64 = f->get_string() == "base64";
      break;
    }
  }
  out.prompt_tokens = prompt_tokens_for(size.bytes, size.pretokenized);
  return out;
}

std::optional<std::string> apply_override(Overrides& o, std::string_view name,
                                          std::string_view value) {
  constexpr std::string_view kPrefix = "x-mock-";
  if (name.size() <= kPrefix.size() || !text::iequals(name.substr(0, kPrefix.size()), kPrefix))
    return std::nullopt;
  const auto suffix = name.substr(kPrefix.size());
  auto bad = [&](std::string_view expected) {
    return fmt::format("header {} must be {} (got '{}')", name, expected, value);
  };
  auto delay = [&](std::optional<double>& field) -> std::optional<std::string> {
    field = parse_number<double>(value, 0.0, kMaxDelayMs);
    if (!field) return bad("a number of milliseconds between 0 and 600000");
    return std::nullopt;
  };
  auto flag = [&](bool& field) -> std::optional<std::string> {
    const auto f = parse_flag(value);
    if (!f) return bad("1 or 0");
    field = *f;
    return std::nullopt;
  };
  if (text::iequals(suffix, "status")) {
    o.status = parse_number<unsigned>(value, 200, 599);
    if (!o.status) return bad("an HTTP status code between 200 and 599");
    if (*o.status < 300)
      o.status.reset();  // a 2xx asks for the normal answer
    else if (*o.status < 400)
      return bad("an HTTP status code between 200 and 599, not 3xx");
    return std::nullopt;
  }
  if (text::iequals(suffix, "ttft-ms")) return delay(o.ttft_ms);
  if (text::iequals(suffix, "token-interval-ms")) return delay(o.token_interval_ms);
  if (text::iequals(suffix, "stall-ms")) return delay(o.stall_ms);
  if (text::iequals(suffix, "completion-tokens")) {
    o.completion_tokens = parse_number<std::int64_t>(value, 0, kMaxCompletionTokens);
    if (!o.completion_tokens) return bad("an integer between 0 and 1000000");
    return std::nullopt;
  }
  if (text::iequals(suffix, "close-after-events")) {
    o.close_after_events = parse_number<std::int64_t>(value, 0, kMaxCompletionTokens + 10);
    if (!o.close_after_events) return bad("a non-negative integer");
    return std::nullopt;
  }
  if (text::iequals(suffix, "gzip")) return flag(o.gzip);
  if (text::iequals(suffix, "chunked")) return flag(o.chunked);
  if (text::iequals(suffix, "no-usage")) return flag(o.no_usage);
  if (text::iequals(suffix, "echo-headers")) return flag(o.echo_headers);
  return std::nullopt;
}

}  // namespace lmp::mock
