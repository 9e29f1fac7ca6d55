#include "mock/mock_responses.hpp"

#include <fmt/format.h>
#include <array>
#include <cmath>
#include <cstring>
#include <iterator>
#include <vector>

#include "support/json_writer.hpp"

namespace lmp::mock {
namespace {

constexpr std::array<std::string_view, 24> kWords = {
    "The",  " quick", " brown", " fox",  " jumps",   " over",   " the",   " lazy",
    " dog", " while", " the",   " mock", " backend", " counts", " every", " token",
    " it",  " sends", " to",    " the",  " proxy",   " for",    " its",   " metrics."};

void append_int(std::string& out, std::int64_t n) {
  fmt::format_to(std::back_inserter(out), "{}", n);
}

void append_usage_object(std::string& out, const Usage& u) {
  fmt::format_to(std::back_inserter(out),
                 R"({{"prompt_tokens":{},"completion_tokens":{},"total_tokens":{}}})",
                 u.prompt_tokens, u.completion_tokens, u.prompt_tokens + u.completion_tokens);
}

void append_head(std::string& out, std::string_view id, std::string_view object,
                 std::int64_t created, std::string_view model) {
  out += R"({"id":)";
  json::append_quoted(out, id);
  out += R"(,"object":")";
  out += object;
  out += R"(","created":)";
  append_int(out, created);
  out += R"(,"model":)";
  json::append_quoted(out, model);
}

// splitmix64: a well-mixed, seedable sequence for the fake embedding values.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

void append_base64(std::string& out, const unsigned char* data, std::size_t size) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; i < size; i += 3) {
    const std::uint32_t b0 = data[i];
    const std::uint32_t b1 = i + 1 < size ? data[i + 1] : 0;
    const std::uint32_t b2 = i + 2 < size ? data[i + 2] : 0;
    const std::uint32_t n = (b0 << 16) | (b1 << 8) | b2;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < size ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < size ? kAlphabet[n & 63] : '=';
  }
}

// Component d of the vector for `seed`: uniform in [-1, 1] and rounded to six decimals, so
// the float and base64 forms of one input agree to float32 precision.
double embedding_value(std::uint64_t seed, int d) {
  const auto bits = mix(seed + static_cast<std::uint64_t>(d)) >> 11;
  const double unit = static_cast<double>(bits) / static_cast<double>(1ull << 53);
  return std::round((unit * 2.0 - 1.0) * 1e6) / 1e6;
}

}  // namespace

std::string_view token_text(std::size_t index) {
  const auto word = kWords[index % kWords.size()];
  // After the first sentence every word keeps its leading space, so the text stays readable.
  return index == 0 ? word : (index % kWords.size() == 0 ? std::string_view(" The") : word);
}

void append_completion_text(std::string& out, std::int64_t count) {
  for (std::int64_t i = 0; i < count; ++i) out += token_text(static_cast<std::size_t>(i));
}

void append_chat_completion(std::string& out, std::string_view id, std::int64_t created,
                            std::string_view model, std::int64_t tokens,
                            std::string_view finish_reason, const std::optional<Usage>& usage) {
  append_head(out, id, "chat.completion", created, model);
  out += R"(,"choices":[{"index":0,"message":{"role":"assistant","content":")";
  append_completion_text(out, tokens);
  out += R"("},"logprobs":null,"finish_reason":")";
  out += finish_reason;
  out += "\"}]";
  if (usage) {
    out += R"(,"usage":)";
    append_usage_object(out, *usage);
  }
  out += '}';
}

void append_text_completion(std::string& out, std::string_view id, std::int64_t created,
                            std::string_view model, std::int64_t tokens,
                            std::string_view finish_reason, const std::optional<Usage>& usage) {
  append_head(out, id, "text_completion", created, model);
  out += R"(,"choices":[{"text":")";
  append_completion_text(out, tokens);
  out += R"(","index":0,"logprobs":null,"finish_reason":")";
  out += finish_reason;
  out += "\"}]";
  if (usage) {
    out += R"(,"usage":)";
    append_usage_object(out, *usage);
  }
  out += '}';
}

void append_embeddings(std::string& out, std::string_view model,
                       std::span<const std::uint64_t> seeds, int dimensions, bool base64,
                       std::int64_t prompt_tokens) {
  std::vector<unsigned char> bytes;
  if (base64) bytes.resize(static_cast<std::size_t>(dimensions) * 4);
  out += R"({"object":"list","data":[)";
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    if (i) out += ',';
    out += R"({"object":"embedding","index":)";
    append_int(out, static_cast<std::int64_t>(i));
    out += R"(,"embedding":)";
    if (base64) {
      for (int d = 0; d < dimensions; ++d) {
        const auto f = static_cast<float>(embedding_value(seeds[i], d));
        std::uint32_t u;
        std::memcpy(&u, &f, sizeof u);
        for (int b = 0; b < 4; ++b)
          bytes[static_cast<std::size_t>(d) * 4 + b] = static_cast<unsigned char>(u >> (8 * b));
      }
      out += '"';
      append_base64(out, bytes.data(), bytes.size());
      out += '"';
    } else {
      out += '[';
      for (int d = 0; d < dimensions; ++d) {
        if (d) out += ',';
        fmt::format_to(std::back_inserter(out), "{:.6f}", embedding_value(seeds[i], d));
      }
      out += ']';
    }
    out += '}';
  }
  out += R"(],"model":)";
  json::append_quoted(out, model);
  fmt::format_to(std::back_inserter(out), R"(,"usage":{{"prompt_tokens":{},"total_tokens":{}}}}})",
                 prompt_tokens, prompt_tokens);
}

const std::string& models_body() {
  static const std::string body = [] {
    std::string out = R"({"object":"list","data":[)";
    bool first = true;
    for (const char* id : {"mock-small", "mock-large", "mock-embed"}) {
      if (!first) out += ',';
      first = false;
      fmt::format_to(std::back_inserter(out),
                     R"({{"id":"{}","object":"model","created":1700000000,"owned_by":"mock"}})",
                     id);
    }
    out += "]}";
    return out;
  }();
  return body;
}

StreamEvents::StreamEvents(Endpoint endpoint, std::string_view id, std::int64_t created,
                           std::string_view model)
    : chat_(endpoint == Endpoint::chat) {
  prefix_.reserve(128 + model.size());
  prefix_ = "data: ";
  append_head(prefix_, id, chat_ ? "chat.completion.chunk" : "text_completion", created, model);
  prefix_ += R"(,"choices":[)";
}

void StreamEvents::role(std::string& out) const {
  out += prefix_;
  out +=
      R"({"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]})"
      "\n\n";
}

void StreamEvents::token(std::string& out, std::size_t index) const {
  out += prefix_;
  if (chat_) {
    out += R"({"index":0,"delta":{"content":")";
    out += token_text(index);
    out += R"("},"logprobs":null,"finish_reason":null}]})"
           "\n\n";
  } else {
    out += R"({"text":")";
    out += token_text(index);
    out += R"(","index":0,"logprobs":null,"finish_reason":null}]})"
           "\n\n";
  }
}

void StreamEvents::finish(std::string& out, std::string_view reason) const {
  out += prefix_;
  out += chat_ ? R"({"index":0,"delta":{},"logprobs":null,"finish_reason":")"
               : R"({"text":"","index":0,"logprobs":null,"finish_reason":")";
  out += reason;
  out += "\"}]}\n\n";
}

void StreamEvents::usage(std::string& out, const Usage& usage) const {
  out += prefix_;
  out += R"(],"usage":)";
  append_usage_object(out, usage);
  out += "}\n\n";
}

void StreamEvents::done(std::string& out) {
  out += "data: [DONE]\n\n";
}

}  // namespace lmp::mock
