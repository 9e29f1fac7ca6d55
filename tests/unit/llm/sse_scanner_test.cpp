#include "llm/sse_scanner.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "llm_fixtures.hpp"

namespace lmp::llm {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

const time::MonoTime kT0 = time::MonoTime{} + std::chrono::hours(1);

// Everything but the timestamps, so that differently split feeds can be compared.
void expect_same_facts(const StreamObservation& a, const StreamObservation& b) {
  EXPECT_EQ(a.first_token.has_value(), b.first_token.has_value());
  EXPECT_EQ(a.last_token.has_value(), b.last_token.has_value());
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.output_events, b.output_events);
  EXPECT_EQ(a.done_seen, b.done_seen);
  EXPECT_EQ(a.usage, b.usage);
  EXPECT_EQ(a.finish_reason, b.finish_reason);
  EXPECT_EQ(a.model, b.model);
  EXPECT_EQ(a.error_message, b.error_message);
  EXPECT_EQ(a.degraded, b.degraded);
}

bool same_facts(const StreamObservation& a, const StreamObservation& b) {
  return a.first_token.has_value() == b.first_token.has_value() &&
         a.last_token.has_value() == b.last_token.has_value() && a.events == b.events &&
         a.output_events == b.output_events && a.done_seen == b.done_seen && a.usage == b.usage &&
         a.finish_reason == b.finish_reason && a.model == b.model &&
         a.error_message == b.error_message && a.degraded == b.degraded;
}

StreamObservation scan(std::string_view bytes, Endpoint endpoint = Endpoint::chat_completions,
                       std::size_t max_event_bytes = 1 << 20) {
  SseScanner scanner(endpoint, max_event_bytes);
  scanner.feed(bytes, kT0);
  scanner.finish();
  return scanner.observation();
}

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t hit = text.find(from, pos);
    out.append(text.substr(pos, hit - pos));
    if (hit == std::string_view::npos) break;
    out.append(to);
    pos = hit + from.size();
  }
  return out;
}

std::string event(std::string_view json) {
  return "data: " + std::string(json) + "\n\n";
}

std::string content_chunk(std::string_view text) {
  return event(R"({"choices":[{"index":0,"delta":{"content":")" + std::string(text) +
               R"("},"finish_reason":null}]})");
}

TEST(SseScanner, RealisticOpenAiStream) {
  const auto obs = scan(fixtures::kOpenAiStream);
  EXPECT_EQ(obs.events, 6);
  EXPECT_EQ(obs.output_events, 3);
  EXPECT_TRUE(obs.done_seen);
  ASSERT_TRUE(obs.usage);
  EXPECT_EQ(obs.usage->prompt_tokens, 12);
  EXPECT_EQ(obs.usage->completion_tokens, 5);
  EXPECT_EQ(obs.usage->total_tokens, 17);
  EXPECT_EQ(obs.finish_reason, "stop");
  EXPECT_EQ(obs.model, "gpt-4o-mini-2024-07-18");
  EXPECT_EQ(obs.error_message, "");
  EXPECT_FALSE(obs.degraded);
  EXPECT_EQ(obs.first_token, kT0);
  EXPECT_EQ(obs.last_token, kT0);
  EXPECT_EQ(obs.max_inter_token_gap_ms, 0);
}

TEST(SseScanner, SplitAtEveryPositionGivesTheSameObservation) {
  const auto whole = scan(fixtures::kOpenAiStream);
  const std::string_view s = fixtures::kOpenAiStream;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    SseScanner scanner(Endpoint::chat_completions);
    scanner.feed(s.substr(0, i), kT0);
    scanner.feed(s.substr(i), kT0);
    scanner.finish();
    ASSERT_TRUE(same_facts(scanner.observation(), whole)) << "split at " << i;
  }
}

TEST(SseScanner, SplitAtEveryPairOfPositionsGivesTheSameObservation) {
  const auto whole = scan(fixtures::kShortStream);
  EXPECT_EQ(whole.events, 4);
  EXPECT_EQ(whole.output_events, 2);
  EXPECT_EQ(whole.finish_reason, "length");
  EXPECT_EQ(whole.usage, (Usage{3, 2, 5}));
  const std::string_view s = fixtures::kShortStream;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    for (std::size_t j = i; j <= s.size(); ++j) {
      SseScanner scanner(Endpoint::chat_completions);
      scanner.feed(s.substr(0, i), kT0);
      scanner.feed(s.substr(i, j - i), kT0);
      scanner.feed(s.substr(j), kT0);
      scanner.finish();
      ASSERT_TRUE(same_facts(scanner.observation(), whole)) << "split at " << i << ", " << j;
    }
  }
}

TEST(SseScanner, OneByteAtATime) {
  const auto whole = scan(fixtures::kOpenAiStream);
  SseScanner scanner(Endpoint::chat_completions);
  for (char c : fixtures::kOpenAiStream) scanner.feed(std::string_view(&c, 1), kT0);
  scanner.finish();
  expect_same_facts(scanner.observation(), whole);
}

// Byte i arrives at kT0 + i µs: an event is timed when its blank line arrives.
TEST(SseScanner, EventsAreTimedWhenTheirBlankLineArrives) {
  const std::string_view s = fixtures::kOpenAiStream;
  std::vector<std::size_t> event_ends;  // index of the LF that ends each event's blank line
  for (std::size_t pos = s.find("\n\n"); pos != std::string_view::npos;
       pos = s.find("\n\n", pos + 2))
    event_ends.push_back(pos + 1);
  ASSERT_EQ(event_ends.size(), 7u);
  SseScanner scanner(Endpoint::chat_completions);
  double expected_gap = 0;
  for (std::size_t i = 0; i < s.size(); ++i) scanner.feed(s.substr(i, 1), kT0 + microseconds(i));
  scanner.finish();
  const auto& obs = scanner.observation();
  // Events 1..3 (0-based) carry content; the role chunk (0) does not.
  EXPECT_EQ(obs.first_token, kT0 + microseconds(event_ends[1]));
  EXPECT_EQ(obs.last_token, kT0 + microseconds(event_ends[3]));
  expected_gap = std::max(event_ends[2] - event_ends[1], event_ends[3] - event_ends[2]) / 1000.0;
  EXPECT_DOUBLE_EQ(obs.max_inter_token_gap_ms, expected_gap);
}

TEST(SseScanner, SeveralEventsInOneReadKeepFinishReasonAndDistinctTokenTimes) {
  SseScanner scanner(Endpoint::chat_completions);
  scanner.feed(event(R"({"choices":[{"delta":{"role":"assistant"}}]})"), kT0 + milliseconds(5));
  scanner.feed(content_chunk("a") + content_chunk("b"), kT0 + milliseconds(100));
  scanner.feed(content_chunk("c") + event(R"({"choices":[{"delta":{},"finish_reason":"stop"}]})") +
                   event(R"({"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":3,)"
                         R"("total_tokens":4}})") +
                   "data: [DONE]\n\n",
               kT0 + milliseconds(400));
  scanner.finish();
  const auto& obs = scanner.observation();
  EXPECT_EQ(obs.first_token, kT0 + milliseconds(100));
  EXPECT_EQ(obs.last_token, kT0 + milliseconds(400));
  EXPECT_DOUBLE_EQ(obs.max_inter_token_gap_ms, 300.0);
  EXPECT_EQ(obs.output_events, 3);
  EXPECT_EQ(obs.events, 6);
  EXPECT_EQ(obs.finish_reason, "stop");
  EXPECT_EQ(obs.usage, (Usage{1, 3, 4}));
  EXPECT_TRUE(obs.done_seen);
}

TEST(SseScanner, DoneInItsOwnRead) {
  SseScanner scanner(Endpoint::chat_completions);
  scanner.feed(content_chunk("x"), kT0);
  EXPECT_FALSE(scanner.observation().done_seen);
  scanner.feed("data: [DONE]\n\n", kT0);
  EXPECT_TRUE(scanner.observation().done_seen);
  EXPECT_EQ(scanner.observation().events, 1);
}

TEST(SseScanner, LineEndingVariantsAreEquivalent) {
  const auto lf = scan(fixtures::kOpenAiStream);
  const std::string crlf = replace_all(fixtures::kOpenAiStream, "\n", "\r\n");
  const std::string cr = replace_all(fixtures::kOpenAiStream, "\n", "\r");
  for (const std::string& variant : {crlf, cr}) {
    expect_same_facts(scan(variant), lf);
    for (std::size_t i = 0; i <= variant.size(); ++i) {
      SseScanner scanner(Endpoint::chat_completions);
      scanner.feed(std::string_view(variant).substr(0, i), kT0);
      scanner.feed(std::string_view(variant).substr(i), kT0);
      scanner.finish();
      ASSERT_TRUE(same_facts(scanner.observation(), lf)) << "split at " << i;
    }
  }
}

TEST(SseScanner, CrAtTheEndOfOneFeedAndLfAtTheStartOfTheNextAreOneLineEnd) {
  SseScanner scanner(Endpoint::chat_completions);
  // If CR and LF were counted as two line ends the first "data" line would be dispatched
  // alone, and the second would become a separate event.
  scanner.feed("data: {\"choices\":[{\"delta\":\r", kT0);
  scanner.feed("\ndata: {\"content\":\"x\"}}]}\r\n\r\n", kT0);
  scanner.finish();
  // Joined with '\n' the two lines form one valid JSON document.
  EXPECT_EQ(scanner.observation().events, 1);
  EXPECT_EQ(scanner.observation().output_events, 1);
  EXPECT_FALSE(scanner.observation().degraded);
}

TEST(SseScanner, TwoCrsAreTwoLineEnds) {
  SseScanner scanner(Endpoint::chat_completions);
  scanner.feed("data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\r", kT0);
  scanner.feed("\r", kT0 + milliseconds(7));  // a blank line: dispatches now
  EXPECT_EQ(scanner.observation().first_token, kT0 + milliseconds(7));
}

TEST(SseScanner, MultiLineDataIsJoinedWithNewline) {
  const auto obs = scan(
      "data: {\"choices\":\ndata: [{\"delta\":{\"content\":\"x\"}}],\ndata:\"model\":\"m\"}\n\n");
  EXPECT_EQ(obs.events, 1);
  EXPECT_EQ(obs.output_events, 1);
  EXPECT_EQ(obs.model, "m");
  EXPECT_FALSE(obs.degraded);
}

TEST(SseScanner, CommentsAndOtherFieldsAreIgnored) {
  const auto obs = scan(
      ": ping\n\n"
      ":\n"
      "event: message\nid: 7\nretry: 1000\ndata: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}"
      "\n: a comment inside an event\n\n"
      "dataX: {\"choices\":[{\"delta\":{\"content\":\"y\"}}]}\n\n"
      "id: only\n\n");
  EXPECT_EQ(obs.events, 1);
  EXPECT_EQ(obs.output_events, 1);
  EXPECT_FALSE(obs.degraded);
}

TEST(SseScanner, DataWithoutSpaceAndWithTwoSpaces) {
  EXPECT_EQ(scan("data:{\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n").output_events, 1);
  // Only one space is removed; JSON tolerates the second.
  EXPECT_EQ(scan("data:  {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n").output_events, 1);
  EXPECT_TRUE(scan("data:  [DONE]\n\n").done_seen);
}

TEST(SseScanner, EmptyDataEventIsNotAnEvent) {
  const auto obs = scan("data:\n\ndata\n\n\n\n");
  EXPECT_EQ(obs.events, 0);
  EXPECT_FALSE(obs.degraded);
}

TEST(SseScanner, ByteOrderMarkIsSkipped) {
  const auto obs = scan(
      "\xEF\xBB\xBF"
      "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n");
  EXPECT_EQ(obs.output_events, 1);
  SseScanner split(Endpoint::chat_completions);
  split.feed("\xEF\xBB", kT0);
  split.feed(
      "\xBF"
      "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n",
      kT0);
  EXPECT_EQ(split.observation().output_events, 1);
}

TEST(SseScanner, RoleOnlyAndUsageOnlyChunksAreNotTokens) {
  const auto obs =
      scan(event(R"({"choices":[{"delta":{"role":"assistant","content":""}}]})") +
           event(R"({"choices":[{"delta":{"content":null}}]})") +
           event(R"({"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":0}})"));
  EXPECT_EQ(obs.events, 3);
  EXPECT_EQ(obs.output_events, 0);
  EXPECT_FALSE(obs.first_token);
  EXPECT_FALSE(obs.last_token);
  EXPECT_EQ(obs.usage, (Usage{5, 0, 5}));
}

TEST(SseScanner, ReasoningAndToolCallDeltasAreTokens) {
  for (const char* delta : {R"({"reasoning_content":"Let me think"})", R"({"reasoning":"hmm"})",
                            R"({"tool_calls":[{"index":0,"function":{"arguments":"{\"a\""}}]})",
                            R"({"function_call":{"arguments":"{"}})"}) {
    const auto obs = scan(event(R"({"choices":[{"index":0,"delta":)" + std::string(delta) + "}]}"));
    EXPECT_EQ(obs.output_events, 1) << delta;
  }
  for (const char* delta : {R"({"tool_calls":[]})", R"({"reasoning_content":""})",
                            R"({"function_call":null})", R"({"tool_calls":null})"}) {
    const auto obs = scan(event(R"({"choices":[{"index":0,"delta":)" + std::string(delta) + "}]}"));
    EXPECT_EQ(obs.output_events, 0) << delta;
  }
}

TEST(SseScanner, CompletionsTextIsATokenOnlyForCompletions) {
  const std::string chunk = event(R"({"choices":[{"text":"Once","index":0}]})");
  EXPECT_EQ(scan(chunk, Endpoint::completions).output_events, 1);
  EXPECT_EQ(scan(chunk, Endpoint::chat_completions).output_events, 0);
  EXPECT_EQ(
      scan(event(R"({"choices":[{"text":"","index":0}]})"), Endpoint::completions).output_events,
      0);
}

TEST(SseScanner, UsageIsTheLastOneNeverASum) {
  const auto obs =
      scan(event(R"({"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":1}})") +
           event(R"({"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2}})") +
           event(R"({"choices":[],"usage":null})") + event(R"({"choices":[],"usage":{}})"));
  EXPECT_EQ(obs.usage, (Usage{5, 2, 7}));
}

TEST(SseScanner, UsageKeepsAReportedTotal) {
  const auto obs =
      scan(event(R"({"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":9}})"));
  EXPECT_EQ(obs.usage, (Usage{5, 2, 9}));
}

TEST(SseScanner, LlamaCppTimingsAreTheFallbackUsage) {
  const auto obs = scan(fixtures::kLlamaCppStream);
  EXPECT_EQ(obs.usage, (Usage{9, 2, 11}));
  EXPECT_EQ(obs.finish_reason, "stop");
  EXPECT_EQ(obs.model, "qwen2.5");
}

TEST(SseScanner, OllamaNativeCountsAreTheFallbackUsage) {
  const auto obs =
      scan(event(R"({"model":"llama3","choices":[{"delta":{"content":"x"}}]})") +
           event(R"({"choices":[],"done":true,"eval_count":42,"prompt_eval_count":7})"));
  EXPECT_EQ(obs.usage, (Usage{7, 42, 49}));
}

TEST(SseScanner, OpenAiUsageWinsOverNativeCountsWhateverTheOrder) {
  EXPECT_EQ(scan(event(R"({"usage":{"prompt_tokens":1,"completion_tokens":2}})") +
                 event(R"({"eval_count":42,"prompt_eval_count":7})"))
                .usage,
            (Usage{1, 2, 3}));
  EXPECT_EQ(scan(event(R"({"eval_count":42,"prompt_eval_count":7})") +
                 event(R"({"usage":{"prompt_tokens":1,"completion_tokens":2}})"))
                .usage,
            (Usage{1, 2, 3}));
}

TEST(SseScanner, GarbageJsonDegradesAndScanningContinues) {
  const auto obs =
      scan(content_chunk("a") + "data: {\"choices\":[{\"delta\":{\"content\":\"b\"\n\n" +
           "data: not json\n\n" + "data: {\"a\":1} trailing\n\n" +
           "data: {\"choices\":[{\"delta\":{\"content\":\"\xFF\"}}]}\n\n" + content_chunk("c") +
           "data: [DONE]\n\n");
  EXPECT_TRUE(obs.degraded);
  EXPECT_EQ(obs.events, 6);
  EXPECT_EQ(obs.output_events, 2);
  EXPECT_TRUE(obs.done_seen);
}

TEST(SseScanner, NonObjectJsonIsDegraded) {
  EXPECT_TRUE(scan("data: [1,2]\n\n").degraded);
  EXPECT_TRUE(scan("data: 42\n\n").degraded);
  EXPECT_TRUE(scan("data: \"text\"\n\n").degraded);
}

TEST(SseScanner, WrongTypesAreIgnoredNotDegraded) {
  const auto obs = scan(event(R"({"choices":{"delta":1},"usage":"lots","model":7,)"
                              R"("error":null})") +
                        event(R"({"choices":[7,null,{"delta":"x","finish_reason":5}]})"));
  EXPECT_FALSE(obs.degraded);
  EXPECT_EQ(obs.events, 2);
  EXPECT_EQ(obs.output_events, 0);
  EXPECT_FALSE(obs.usage);
  EXPECT_EQ(obs.model, "");
  EXPECT_EQ(obs.finish_reason, "");
  EXPECT_EQ(obs.error_message, "");
}

TEST(SseScanner, OversizedEventIsDroppedWithBoundedMemoryAndScanningResumes) {
  const std::size_t limit = 1024;
  std::string huge =
      "data: {\"choices\":[{\"delta\":{\"content\":\"" + std::string(5000, 'x') + "\"}}]}\n\n";
  const std::string stream =
      content_chunk("a") + huge + content_chunk("b") +
      event(R"({"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":3}})");
  for (std::size_t step : {std::size_t{1}, std::size_t{7}, std::size_t{100}, stream.size()}) {
    SseScanner scanner(Endpoint::chat_completions, limit);
    for (std::size_t i = 0; i < stream.size(); i += step)
      scanner.feed(std::string_view(stream).substr(i, step), kT0);
    scanner.finish();
    const auto& obs = scanner.observation();
    EXPECT_TRUE(obs.degraded) << step;
    EXPECT_EQ(obs.events, 4) << step;
    EXPECT_EQ(obs.output_events, 2) << step;
    EXPECT_EQ(obs.usage, (Usage{1, 3, 4})) << step;
  }
}

TEST(SseScanner, OversizedAcrossManyDataLines) {
  std::string stream = "data: {\n";
  for (int i = 0; i < 200; ++i) stream += "data: " + std::string(20, ' ') + "\n";
  stream += "data: }\n\n" + content_chunk("z");
  const auto obs = scan(stream, Endpoint::chat_completions, 1024);
  EXPECT_TRUE(obs.degraded);
  EXPECT_EQ(obs.output_events, 1);
}

TEST(SseScanner, EventAtTheLimitIsKept) {
  const std::string json = R"({"choices":[{"delta":{"content":"x"}}]})";
  // The limit counts each data line's value plus its joining newline.
  EXPECT_FALSE(scan(event(json), Endpoint::chat_completions, json.size() + 1).degraded);
  EXPECT_TRUE(scan(event(json), Endpoint::chat_completions, json.size()).degraded);
}

TEST(SseScanner, UnterminatedFinalEventIsExaminedAtFinish) {
  SseScanner scanner(Endpoint::chat_completions);
  scanner.feed(content_chunk("a"), kT0);
  scanner.feed(R"(data: {"choices":[],"usage":{"prompt_tokens":4,"completion_tokens":1}})",
               kT0 + milliseconds(3));
  EXPECT_FALSE(scanner.observation().usage);
  scanner.finish();
  EXPECT_EQ(scanner.observation().usage, (Usage{4, 1, 5}));
  // With a single line end but no blank line too.
  SseScanner second(Endpoint::chat_completions);
  second.feed("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n", kT0 + milliseconds(9));
  second.finish();
  EXPECT_EQ(second.observation().first_token, kT0 + milliseconds(9));
  second.feed(content_chunk("late"), kT0);  // ignored after finish
  EXPECT_EQ(second.observation().output_events, 1);
}

TEST(SseScanner, InStreamErrorEvent) {
  const auto obs = scan(content_chunk("a") +
                        event(R"({"error":{"message":"CUDA out of memory","type":"server_error",)"
                              R"("code":500}})"));
  EXPECT_EQ(obs.error_message, "CUDA out of memory");
  EXPECT_EQ(obs.output_events, 1);
  EXPECT_EQ(scan(event(R"({"error":"model crashed"})")).error_message, "model crashed");
  EXPECT_EQ(scan(event(R"({"error":{"code":500}})")).error_message, "error (no message)");
}

TEST(SseScanner, ErrorMessageIsTruncatedOnACharacterBoundary) {
  std::string message;
  for (int i = 0; i < 150; ++i) message += "\xC3\xA9";  // 300 bytes of 'é'
  const auto obs = scan(event(R"({"error":{"message":")" + message + "\"}}"));
  EXPECT_EQ(obs.error_message.size(), 200u);
  EXPECT_EQ(obs.error_message, message.substr(0, 200));
  std::string odd = "x" + message;  // the 200-byte cut would land inside an 'é'
  EXPECT_EQ(scan(event(R"({"error":{"message":")" + odd + "\"}}")).error_message.size(), 199u);
}

TEST(SseScanner, EscapedStringsAreUnescaped) {
  const auto obs = scan(event(R"({"model":"a\"b\u00e9","choices":[{"delta":{"content":"\n"},)"
                              R"("finish_reason":"tool_calls"}]})"));
  EXPECT_EQ(obs.model, "a\"b\xC3\xA9");
  EXPECT_EQ(obs.output_events, 1);  // "\n" is output: a newline token
  EXPECT_EQ(obs.finish_reason, "tool_calls");
}

TEST(SseScanner, FinishReasonIsTheLastNonNullOne) {
  const auto obs = scan(event(R"({"choices":[{"delta":{},"finish_reason":"length"}]})") +
                        event(R"({"choices":[{"delta":{},"finish_reason":null}]})"));
  EXPECT_EQ(obs.finish_reason, "length");
}

TEST(SseScanner, MidUtf8SplitsInsideOneEvent) {
  const std::string chunk = content_chunk("\xF0\x9F\x98\x80\xE2\x82\xAC");
  const std::size_t start = chunk.find('\xF0');
  for (std::size_t i = start; i <= start + 7; ++i) {
    SseScanner scanner(Endpoint::chat_completions);
    scanner.feed(std::string_view(chunk).substr(0, i), kT0);
    scanner.feed(std::string_view(chunk).substr(i), kT0);
    EXPECT_EQ(scanner.observation().output_events, 1) << i;
    EXPECT_FALSE(scanner.observation().degraded) << i;
  }
}

TEST(SseScanner, EmptyAndNoFeeds) {
  SseScanner scanner(Endpoint::chat_completions);
  scanner.feed("", kT0);
  scanner.finish();
  scanner.finish();
  EXPECT_EQ(scanner.observation().events, 0);
  EXPECT_FALSE(scanner.observation().degraded);
}

}  // namespace
}  // namespace lmp::llm
