#include "llm/chunk_prescan.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "llm/json_support.hpp"
#include "llm/sse_scanner.hpp"

namespace lmp::llm {
namespace {

using std::chrono::milliseconds;
using namespace std::string_literals;

// Events as backends send them, and the odd, wrong and hostile variants that a fast path could
// get wrong. Every test below compares the fast reading with the full parse on each of them.
// One event per line, however long:
// clang-format off
const std::vector<std::string> kCorpus = {
    // OpenAI chat: role, content, finish, usage (stream_options.include_usage).
    R"({"id":"chatcmpl-9xQ","object":"chat.completion.chunk","created":1718000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null})",
    R"({"id":"chatcmpl-9xQ","object":"chat.completion.chunk","created":1718000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"content":"Bonjour"},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"kQ3f"})",
    R"({"id":"chatcmpl-9xQ","object":"chat.completion.chunk","created":1718000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"content":" là-bas €"},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"Zp"})",
    R"({"id":"chatcmpl-9xQ","object":"chat.completion.chunk","created":1718000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"content":" 😀\n"},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":""})",
    R"({"id":"chatcmpl-9xQ","object":"chat.completion.chunk","created":1718000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"content":""},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"a9XbT1"})",
    R"({"id":"chatcmpl-9xQ","object":"chat.completion.chunk","created":1718000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null})",
    R"({"id":"chatcmpl-9xQ","object":"chat.completion.chunk","created":1718000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}})",
    R"({"id":"chatcmpl-9xQ","object":"chat.completion.chunk","created":1718000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[],"usage":{}})",
    R"({"id":"chatcmpl-9xQ","object":"chat.completion.chunk","created":1718000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"content":"x"},"logprobs":null,"finish_reason":null}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}})",
    // Escapes in content, and content that looks like the keys that matter.
    R"({"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00"},"finish_reason":null}]})",
    R"({"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"\"usage\":{\"prompt_tokens\":5},\"finish_reason\":\"stop\""},"finish_reason":null}]})",
    R"({"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"{\"error\":{\"message\":\"boom\"}} eval_count timings \"done\":true"},"finish_reason":null}]})",
    R"({"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"\u0000"},"finish_reason":null}]})",
    R"({"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"\\"},"finish_reason":null}]})",
    R"({"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"model\":\"other"},"finish_reason":null}]})",
    // Odd whitespace, key order, several choices.
    " \n\t{ \"choices\" : [ { \"delta\" : { \"content\" : \"x\" } , \"finish_reason\" : "
    "null } ] ,"
    " \"model\" : \"m\" }\n ",
    R"({"choices":[{"finish_reason":null,"index":0,"delta":{"content":"Hi"}}],"created":1718000000,"id":"chatcmpl-x","model":"qwen2.5","object":"chat.completion.chunk"})",
    R"({"choices":[{"index":0,"delta":{"content":""}},{"index":1,"delta":{"content":"y"}}]})",
    R"({"choices":[{"index":0,"delta":{"content":""}},{"index":1,"finish_reason":"length"}]})",
    R"({"choices":[]})",
    R"({})",
    // Tool calls and functions.
    R"({"id":"chatcmpl-t","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_abc","type":"function","function":{"name":"get_weather","arguments":""}}],"refusal":null},"logprobs":null,"finish_reason":null}],"usage":null})",
    R"({"id":"chatcmpl-t","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":\"Par"}}]},"logprobs":null,"finish_reason":null}],"usage":null})",
    R"({"choices":[{"index":0,"delta":{"tool_calls":[]}}]})",
    R"({"choices":[{"index":0,"delta":{"tool_calls":[ ]}}]})",
    R"({"choices":[{"index":0,"delta":{"tool_calls":null}}]})",
    R"({"choices":[{"index":0,"delta":{"function_call":{"name":"f","arguments":""}}}]})",
    R"({"choices":[{"index":0,"delta":{"function_call":null}}]})",
    R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0}]},"finish_reason":"tool_calls"}]})",
    // Reasoning (DeepSeek, vLLM, Ollama).
    R"({"model":"deepseek-r1","choices":[{"index":0,"delta":{"role":"assistant","content":null,"reasoning_content":"Let me think"},"finish_reason":null}]})",
    R"({"model":"qwq","choices":[{"index":0,"delta":{"reasoning":"Hmm"},"finish_reason":null}]})",
    R"({"model":"qwq","choices":[{"index":0,"delta":{"reasoning":"","content":""},"finish_reason":null}]})",
    // Non-streamed-style message in a choice.
    R"({"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hello"}}]})",
    // Completions.
    R"({"id":"cmpl-1","object":"text_completion","created":1,"choices":[{"text":" world","index":0,"logprobs":null,"finish_reason":null}],"model":"gpt-3.5-turbo-instruct"})",
    R"({"id":"cmpl-1","object":"text_completion","created":1,"choices":[{"text":"","index":0,"logprobs":null,"finish_reason":null}],"model":"gpt-3.5-turbo-instruct"})",
    R"({"id":"cmpl-1","object":"text_completion","created":1,"choices":[{"text":"!","index":0,"logprobs":null,"finish_reason":"length"}],"model":"gpt-3.5-turbo-instruct"})",
    R"({"choices":[{"text":null,"index":0}]})",
    R"({"choices":[{"text":"a","logprobs":{"tokens":["a"],"token_logprobs":[-0.0001],"top_logprobs":[{"a":-1.5e-05}],"text_offset":[0]}}]})",
    // Ollama (OpenAI-compatible and native).
    R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"llama3.2","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]})",
    R"({"model":"llama3","created_at":"2024-07-01T00:00:00.000Z","message":{"role":"assistant","content":"Hi"},"done":false})",
    R"({"model":"llama3","created_at":"2024-07-01T00:00:00.000Z","message":{"role":"assistant","content":""},"done_reason":"stop","done":true,"total_duration":5589157167,"load_duration":3013701500,"prompt_eval_count":26,"prompt_eval_duration":130079000,"eval_count":298,"eval_duration":4799921000})",
    R"({"model":"llama3","response":"Hi","done":false,"eval_count":null})",
    // llama.cpp.
    R"({"choices":[{"finish_reason":"stop","index":0,"delta":{}}],"created":1718000000,"id":"chatcmpl-x","model":"qwen2.5","object":"chat.completion.chunk","timings":{"prompt_n":9,"prompt_ms":20.1,"predicted_n":2,"predicted_ms":31.5}})",
    R"({"choices":[{"finish_reason":null,"index":0,"delta":{"content":"x"}}],"timings":null})",
    // Errors (OpenAI, Ollama, vLLM).
    R"({"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}})",
    R"({"error":"model 'x' not found"})",
    R"({"error":null,"choices":[{"delta":{"content":"x"}}]})",
    R"({"object":"error","message":"vLLM says no","type":"BadRequestError","param":null,"code":400})",
    R"({"object":"chat.completion.chunk","message":{"content":"x"}})",
    R"({"object":"error","message":null})",
    // Models: change, escapes, empty, not a string, twice.
    R"({"model":"gpt-4o-2024-08-06","choices":[{"delta":{"content":"x"}}]})",
    R"({"model":"gpt\u002d4o","choices":[{"delta":{"content":"x"}}]})",
    R"({"model":"","choices":[{"delta":{"content":"x"}}]})",
    R"({"model":5,"choices":[{"delta":{"content":"x"}}]})",
    R"({"model":"a","model":"b","choices":[{"delta":{"content":"x"}}]})",
    R"({"model":"é-model","choices":[{"delta":{"content":"x"}}]})",
    // Escaped or duplicate keys.
    R"({"choices":[{"delta":{"cont\u0065nt":"x"}}]})",
    R"({"\u0075sage":{"prompt_tokens":3},"choices":[]})",
    R"({"choices":[{"delta":{"content":"x"},"finish_\u0072eason":"stop"}]})",
    R"({"choices":[{"delta":{"content":""}}],"choices":[{"delta":{"content":"x"}}]})",
    R"({"choices":[{"delta":{"content":"x"},"finish_reason":"stop","finish_reason":null}]})",
    R"({"choices":[{"delta":{"content":"x"}}],"extra":{"k\u0065y":[1,2,{"a":"b"}]}})",
    R"({"usage":null,"usage":null,"choices":[{"delta":{"content":"x","content":""}}]})",
    // Unusual but valid shapes.
    R"({"choices":null})",
    R"({"choices":{"delta":{"content":"x"}}})",
    R"({"choices":[null,{"delta":{"content":"x"}}]})",
    R"({"choices":[{"delta":null},{"delta":"x"},{"delta":{"content":5}},{"delta":{"content":["x"]}}]})",
    R"({"choices":[{"delta":{"content":"x"},"finish_reason":""}]})",
    R"({"choices":[{"delta":{"content":"x"},"finish_reason":7}]})",
    R"({"usage":0,"choices":[]})",
    R"({"data":[{"embedding":[0.1,-2E+3,0]}],"model":"e","object":"list"})",
    R"({"data":[],"model":"e"})",
    R"({"choices":[{"delta":{"content":"x"}}],"n":[-0,0.5,1e5,1E-05,123456789012345678,-123456789012345678]})",
    R"({"choices":[{"delta":{"content":"x"}}],"n":1234567890123456789})",
    R"({"choices":[{"delta":{"content":"x"}}],"n":9007199254740993.0000001})",
    R"({"choices":[{"delta":{"content":"x"}}],"n":1e308})",
    R"({"choices":[{"delta":{"content":"x"}}],"t":true,"f":false,"z":null,"s":"\u0041"})",
    // Invalid JSON: every one must degrade, exactly as the full parse says. Most are this
    // first chunk with one thing wrong, so that they also meet its shape.
    R"({"choices":[{"delta":{"content":"x"}}]})",
    R"({"choices":[{"delta":{"content":"x"}}])",
    R"({"choices":[{"delta":{"content":"x"}}]}})",
    R"({"choices":[{"delta":{"content":"x"}}],})",
    R"({"choices":[{"delta":{"content":"x",}}]})",
    R"({'choices':[]})",
    "{\"choices\":[{\"delta\":{\"content\":\"tab\there\"}}]}",
    "{\"choices\":[{\"delta\":{\"content\":\"nul\0x\"}}]}"s,
    R"({"choices":[{"delta":{"content":"\x41"}}]})",
    R"({"choices":[{"delta":{"content":"\u00G1"}}]})",
    R"({"choices":[{"delta":{"content":"\ud800"}}]})",
    R"({"choices":[{"delta":{"content":"\ud800x"}}]})",
    R"({"choices":[{"delta":{"content":"\udc00"}}]})",
    R"({"choices":[{"delta":{"content":"\ud800\u0041"}}]})",
    "{\"choices\":[{\"delta\":{\"content\":\"\xC3\x28\"}}]}",
    "{\"choices\":[{\"delta\":{\"content\":\"\xC0\xAF\"}}]}",
    "{\"choices\":[{\"delta\":{\"content\":\"\xED\xA0\x80\"}}]}",
    "{\"choices\":[{\"delta\":{\"content\":\"\xF0\x9F\x98\"}}]}",
    "{\"choices\":[{\"delta\":{\"content\":\"x\"}}],\"\xFF\":1}",
    R"({"choices":[{"delta":{"content":"x"}}],"n":01})",
    R"({"choices":[{"delta":{"content":"x"}}],"n":1.})",
    R"({"choices":[{"delta":{"content":"x"}}],"n":.5})",
    R"({"choices":[{"delta":{"content":"x"}}],"n":1e})",
    R"({"choices":[{"delta":{"content":"x"}}],"n":-})",
    R"({"choices":[{"delta":{"content":"x"}}],"n":+1})",
    R"({"choices":[{"delta":{"content":"x"}}],"n":1e999})",
    R"({"choices":[{"delta":{"content":"x"}}],"n":123456789012345678901234567890})",
    R"({"choices":[{"delta":{"content":"x"}}],"n":NaN})",
    R"({"choices":[{"delta":{"content":"x"}}],"t":tru})",
    R"({"choices":[{"delta":{"content":"x"}}],"t":nulll})",
    R"({"choices":[{"delta":{"content":"x"}}],"t":True})",
    R"({"choices":[{"delta":{"content":"x}}]})",
    R"({"choices":[{"delta":{"content":"x"}}]}{})",
    R"({"choices":[{"delta":{"content":"x"}}]} x)",
    R"([{"choices":[{"delta":{"content":"x"}}]}])",
    R"("just a string")",
    "\xEF\xBB\xBF{\"choices\":[{\"delta\":{\"content\":\"x\"}}]}",
    "{\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\f",
    "{\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\x0B",
    R"({"choices" [{"delta":{"content":"x"}}]})",
    R"({"choices":[{"delta":{"content":"x"}} {"delta":{}}]})",
    R"({"choices":[{"delta":{"content":"x"}}],"a":[1 2]})",
    R"({choices:[]})",
    R"({"a":1,})",
    R"({"a"})",
    R"({"a":})",
    R"({)",
    R"(})",
    "{\"model\":\"m\",\"choices\":[{\"delta\":\n{\"content\":\"two data lines\"}}]}",
};
// clang-format on

// Nesting: within the prescan's depth, beyond it (still valid JSON), and beyond simdjson's.
std::string nested(int depth) {
  return R"({"choices":[{"delta":{"content":"x"}}],"deep":)" + std::string(depth, '[') +
         std::string(depth, ']') + "}";
}

std::vector<std::string> corpus() {
  std::vector<std::string> all = kCorpus;
  for (int depth : {10, 61, 62, 63, 64, 100, 1100}) all.push_back(nested(depth));
  return all;
}

constexpr Endpoint kEndpoints[] = {Endpoint::chat_completions, Endpoint::completions,
                                   Endpoint::embeddings};

std::string printable(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c < 0x20 || c >= 0x7F)
      out += "\\x" + std::string(1, "0123456789ABCDEF"[c >> 4]) + "0123456789ABCDEF"[c & 15];
    else
      out += static_cast<char>(c);
  }
  return out;
}

// The fast reading's claim about `text` holds against simdjson + read_body.
void expect_full_parse_agrees(std::string_view text, Endpoint endpoint,
                              const detail::PlainChunk& plain) {
  SCOPED_TRACE(printable(text));
  detail::JsonScratch scratch;
  detail::dom::element root;
  detail::BodyFacts facts;
  ASSERT_FALSE(scratch.parse(text).get(root)) << "the fast path accepted invalid JSON";
  ASSERT_TRUE(detail::read_body(root, endpoint, facts));
  EXPECT_EQ(plain.has_output, facts.has_output);
  EXPECT_EQ(plain.model, facts.model);
  EXPECT_FALSE(facts.finish_reason);
  EXPECT_FALSE(facts.usage);
  EXPECT_TRUE(facts.native.empty());
  EXPECT_FALSE(facts.best_error());
}

TEST(ChunkPrescan, WhatItAcceptsTheFullParseReadsTheSame) {
  int accepted = 0;
  for (const auto& text : corpus()) {
    for (Endpoint endpoint : kEndpoints) {
      detail::PlainChunk plain;
      if (!detail::read_plain_chunk(text, endpoint, plain)) continue;
      ++accepted;
      expect_full_parse_agrees(text, endpoint, plain);
    }
  }
  EXPECT_GT(accepted, 100);  // the fast path is really taken
}

// A reader primed with one chunk's shape, then given another: every pair of the corpus.
TEST(ChunkPrescan, ShapeMatchesAgreeWithTheFullParse) {
  const auto all = corpus();
  int matched = 0;
  for (Endpoint endpoint : kEndpoints) {
    for (const auto& first : all) {
      detail::ChunkShape shape;
      detail::PlainChunk plain;
      if (!detail::read_plain_chunk(first, endpoint, plain, &shape)) {
        EXPECT_FALSE(shape.valid);
        continue;
      }
      for (const auto& second : all) {
        if (!detail::match_shape(shape, second, plain)) continue;
        ++matched;
        expect_full_parse_agrees(second, endpoint, plain);
      }
    }
  }
  EXPECT_GT(matched, 200);
}

// The first corpus event that contains `needle`.
const std::string& event_with(std::string_view needle) {
  for (const auto& text : kCorpus)
    if (text.find(needle) != std::string::npos) return text;
  throw std::logic_error("no such event");
}

std::optional<detail::PlainChunk> plain_chunk(std::string_view text, Endpoint endpoint) {
  detail::PlainChunk plain;
  if (!detail::read_plain_chunk(text, endpoint, plain)) return std::nullopt;
  return plain;
}

TEST(ChunkPrescan, TheCommonChunksTakeTheFastPath) {
  const auto chat = Endpoint::chat_completions;
  const auto role = plain_chunk(event_with(R"("role":"assistant","content":"","refusal")"), chat);
  ASSERT_TRUE(role);
  EXPECT_FALSE(role->has_output);
  const auto content = plain_chunk(event_with("Bonjour"), chat);
  ASSERT_TRUE(content);
  EXPECT_TRUE(content->has_output);
  EXPECT_EQ(content->model, "gpt-4o-mini-2024-07-18");
  for (std::string_view needle :
       {"là-bas", "😀", R"("content":""},)", R"(\u00e9\ud83d\ude00)", R"(\"usage\")",
        R"({\"error\")", "call_abc", R"(\"city\")", "Let me think", R"("reasoning":"Hmm")",
        "fp_ollama", R"("done":false)", "é-model"}) {
    EXPECT_TRUE(plain_chunk(event_with(needle), chat)) << needle;
  }
  const auto text = event_with(R"("text":" world")");
  EXPECT_TRUE(plain_chunk(text, Endpoint::completions)->has_output);
  EXPECT_FALSE(plain_chunk(text, chat)->has_output);  // "text" is output for completions only
  // Finish, usage, native counts, errors: the full parse (any "timings" member, even null).
  for (std::string_view needle :
       {R"("finish_reason":"stop")", R"("prompt_tokens":12)", R"("usage":{})",
        R"("eval_count":298)", R"("prompt_n":9)", R"("timings":null)", "The server had an error",
        "not found", "vLLM says no", R"("cont\u0065nt")", R"("gpt\u002d4o")",
        R"("model":"a","model":"b")"}) {
    EXPECT_FALSE(plain_chunk(event_with(needle), chat)) << needle;
  }
}

TEST(ChunkPrescan, AReaderFollowsAStreamOfOneShape) {
  detail::PlainChunkReader reader(Endpoint::chat_completions);
  detail::PlainChunk plain;
  ASSERT_TRUE(reader.read(event_with("Bonjour"), plain));  // records the shape
  ASSERT_TRUE(reader.read(event_with("là-bas"), plain));   // other content, other padding
  EXPECT_TRUE(plain.has_output);
  EXPECT_EQ(plain.model, "gpt-4o-mini-2024-07-18");
  ASSERT_TRUE(reader.read(event_with("a9XbT1"), plain));
  EXPECT_FALSE(plain.has_output);  // empty content
  EXPECT_FALSE(reader.read(event_with(R"("finish_reason":"stop")"), plain));
  EXPECT_FALSE(reader.read(event_with(R"("prompt_tokens":12)"), plain));  // skipped: back-off
  // An empty finish reason is a string slot of the shape; a real one there needs the parse.
  ASSERT_TRUE(reader.read(R"({"choices":[{"delta":{"content":"x"},"finish_reason":""}]})", plain));
  EXPECT_FALSE(
      reader.read(R"({"choices":[{"delta":{"content":"x"},"finish_reason":"stop"}]})", plain));
  // After a miss the next chunk goes to the parse without a prescan, even a plain one of
  // another shape (back-off for streams where no chunk is plain).
  EXPECT_FALSE(reader.read(R"({"model":"a","choices":[{"delta":{"content":"x"}}]})", plain));
  // A model with an escape in the shape's model slot needs the parse too.
  ASSERT_TRUE(reader.read(R"({"model":"a","choices":[{"delta":{"content":"x"}}]})", plain));
  EXPECT_FALSE(reader.read(R"({"model":"\u0061","choices":[{"delta":{"content":"x"}}]})", plain));
}

// Each event timed 7 ms after the previous: the same observation, timestamps included, with
// and without the fast path.
void expect_same_observation(const std::vector<std::string>& events, Endpoint endpoint) {
  const time::MonoTime t0 = time::MonoTime{} + std::chrono::hours(1);
  SseScanner fast(endpoint, 1 << 20, EventReading::prescan);
  SseScanner full(endpoint, 1 << 20, EventReading::full_parse);
  auto now = t0;
  for (const auto& json : events) {
    now += milliseconds(7);
    std::string event = "data: ";
    for (char c : json) {
      event += c;
      if (c == '\n') event += "data: ";  // a multi-line value is sent as several data lines
    }
    event += "\n\n";
    fast.feed(event, now);
    full.feed(event, now);
  }
  fast.finish();
  full.finish();
  const auto& a = fast.observation();
  const auto& b = full.observation();
  EXPECT_EQ(a.first_token, b.first_token);
  EXPECT_EQ(a.last_token, b.last_token);
  EXPECT_EQ(a.max_inter_token_gap_ms, b.max_inter_token_gap_ms);
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.output_events, b.output_events);
  EXPECT_EQ(a.done_seen, b.done_seen);
  EXPECT_EQ(a.usage, b.usage);
  EXPECT_EQ(a.finish_reason, b.finish_reason);
  EXPECT_EQ(a.model, b.model);
  EXPECT_EQ(a.error_message, b.error_message);
  EXPECT_EQ(a.degraded, b.degraded);
}

TEST(SseScannerFastPath, EachEventAloneGivesTheSameObservation) {
  for (const auto& text : corpus()) {
    SCOPED_TRACE(printable(text));
    for (Endpoint endpoint : kEndpoints) expect_same_observation({text}, endpoint);
  }
}

TEST(SseScannerFastPath, EveryPairOfEventsGivesTheSameObservation) {
  const auto all = corpus();
  for (Endpoint endpoint : kEndpoints) {
    for (const auto& first : all) {
      for (const auto& second : all) {
        SCOPED_TRACE(printable(first) + " then " + printable(second));
        expect_same_observation({first, second, second}, endpoint);
        if (testing::Test::HasFailure()) return;
      }
    }
  }
}

// vLLM with continuous usage stats: usage in every chunk, so the reader backs off; a plain
// chunk now and then must still be read right, whether or not it is prescanned.
std::vector<std::string> usage_in_every_chunk() {
  std::vector<std::string> events;
  for (int i = 0; i < 200; ++i) {
    const std::string content = i % 3 ? "tok" + std::to_string(i) : "";
    events.push_back(
        R"({"id":"cmpl-v","object":"chat.completion.chunk","created":1,"model":"Qwen/Qwen2.5-7B","choices":[{"index":0,"delta":{"content":")" +
        content + R"("},"logprobs":null,"finish_reason":null}])" +
        (i % 17 == 0 ? std::string("}")
                     : R"(,"usage":{"prompt_tokens":9,"total_tokens":)" + std::to_string(10 + i) +
                           R"(,"completion_tokens":)" + std::to_string(1 + i) + "}}"));
  }
  return events;
}

TEST(SseScannerFastPath, AStreamWithUsageInEveryChunkGivesTheSameObservation) {
  expect_same_observation(usage_in_every_chunk(), Endpoint::chat_completions);
}

TEST(SseScannerFastPath, TheWholeCorpusAsOneStreamGivesTheSameObservation) {
  const auto all = corpus();
  for (Endpoint endpoint : kEndpoints) {
    expect_same_observation(all, endpoint);
    expect_same_observation({all.rbegin(), all.rend()}, endpoint);
  }
}

}  // namespace
}  // namespace lmp::llm
