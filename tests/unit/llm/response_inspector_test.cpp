#include "llm/response_inspector.hpp"

#include <gtest/gtest.h>

#include <string>

#include "llm_fixtures.hpp"

namespace lmp::llm {
namespace {

ResponseObservation chat(std::string_view body) {
  return inspect_response(Endpoint::chat_completions, body);
}

TEST(ResponseInspector, ChatCompletion) {
  const auto obs = chat(fixtures::kChatResponse);
  EXPECT_TRUE(obs.parsed);
  EXPECT_EQ(obs.usage, (Usage{9, 3, 12}));
  EXPECT_EQ(obs.finish_reason, "stop");
  EXPECT_EQ(obs.model, "gpt-4o-mini");
  EXPECT_EQ(obs.error_message, "");
  EXPECT_TRUE(obs.has_output);
}

TEST(ResponseInspector, OutputKinds) {
  EXPECT_FALSE(chat(R"({"choices":[{"message":{"role":"assistant","content":""}}]})").has_output);
  EXPECT_FALSE(chat(R"({"choices":[{"message":{"content":null}}]})").has_output);
  EXPECT_FALSE(chat(R"({"choices":[]})").has_output);
  EXPECT_TRUE(
      chat(R"({"choices":[{"message":{"content":null,"tool_calls":[{"id":"c"}]}}]})").has_output);
  EXPECT_TRUE(chat(R"({"choices":[{"message":{"reasoning_content":"r"}}]})").has_output);
  EXPECT_TRUE(chat(R"({"choices":[{"message":{"function_call":{"name":"f"}}}]})").has_output);
  EXPECT_TRUE(inspect_response(Endpoint::completions,
                               R"({"choices":[{"text":"Once","finish_reason":"length"}]})")
                  .has_output);
  EXPECT_FALSE(chat(R"({"choices":[{"text":"Once"}]})").has_output);
}

TEST(ResponseInspector, Embeddings) {
  const auto obs = inspect_response(
      Endpoint::embeddings,
      R"({"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,-0.2]}],)"
      R"("model":"nomic-embed-text","usage":{"prompt_tokens":8,"total_tokens":8}})");
  EXPECT_TRUE(obs.has_output);
  EXPECT_EQ(obs.usage, (Usage{8, std::nullopt, 8}));
  EXPECT_EQ(obs.model, "nomic-embed-text");
  EXPECT_FALSE(inspect_response(Endpoint::embeddings, R"({"data":[]})").has_output);
}

TEST(ResponseInspector, UsageWithoutTotalIsSummed) {
  EXPECT_EQ(chat(R"({"usage":{"prompt_tokens":4,"completion_tokens":6}})").usage,
            (Usage{4, 6, 10}));
  EXPECT_EQ(chat(R"({"usage":{"completion_tokens":6}})").usage,
            (Usage{std::nullopt, 6, std::nullopt}));
  EXPECT_FALSE(chat(R"({"usage":null})").usage);
  EXPECT_FALSE(chat(R"({"usage":{}})").usage);
  EXPECT_FALSE(chat(R"({"usage":{"prompt_tokens":"4"}})").usage);
  EXPECT_EQ(chat(R"({"usage":{"prompt_tokens":-4,"completion_tokens":6}})").usage,
            (Usage{std::nullopt, 6, std::nullopt}));
  // A sum that would overflow is left out rather than wrapped.
  EXPECT_EQ(chat(R"({"usage":{"prompt_tokens":9223372036854775807,"completion_tokens":1}})")
                .usage->total_tokens,
            std::nullopt);
}

TEST(ResponseInspector, OllamaNativeFallback) {
  const auto obs =
      chat(R"({"model":"llama3","created_at":"2024-06-01T00:00:00Z","message":{"role":"assistant",)"
           R"("content":"Hi"},"done":true,"total_duration":5000000,"prompt_eval_count":26,)"
           R"("eval_count":290})");
  EXPECT_EQ(obs.usage, (Usage{26, 290, 316}));
  EXPECT_EQ(obs.model, "llama3");
}

TEST(ResponseInspector, LlamaCppNativeFallbackAndOpenAiPrecedence) {
  EXPECT_EQ(chat(R"({"timings":{"prompt_n":10,"predicted_n":20,"predicted_ms":100.5}})").usage,
            (Usage{10, 20, 30}));
  EXPECT_EQ(chat(R"({"timings":{"prompt_n":10,"predicted_n":20},)"
                 R"("usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}})")
                .usage,
            (Usage{1, 2, 3}));
}

TEST(ResponseInspector, ErrorBodies) {
  EXPECT_EQ(chat(R"({"error":{"message":"Invalid API key","type":"invalid_request_error",)"
                 R"("code":"invalid_api_key"}})")
                .error_message,
            "Invalid API key");
  EXPECT_EQ(chat(R"({"error":"model 'x' not found, try pulling it first"})").error_message,
            "model 'x' not found, try pulling it first");
  EXPECT_EQ(chat(R"({"object":"error","message":"The model `x` does not exist.",)"
                 R"("type":"NotFoundError","param":null,"code":404})")
                .error_message,
            "The model `x` does not exist.");
  EXPECT_EQ(chat(R"({"message":"not an error object"})").error_message, "");
  EXPECT_EQ(chat(R"({"error":null,"choices":[]})").error_message, "");
  const auto long_error = chat(R"({"error":{"message":")" + std::string(1000, 'e') + "\"}}");
  EXPECT_EQ(long_error.error_message, std::string(200, 'e'));
}

TEST(ResponseInspector, FinishReasonIsTheLastNonNull) {
  EXPECT_EQ(chat(R"({"choices":[{"finish_reason":"stop"},{"finish_reason":null}]})").finish_reason,
            "stop");
  EXPECT_EQ(
      chat(R"({"choices":[{"finish_reason":"stop"},{"finish_reason":"length"}]})").finish_reason,
      "length");
}

TEST(ResponseInspector, MalformedBodies) {
  for (std::string_view body :
       {std::string_view(""), std::string_view("null"), std::string_view("[1]"),
        std::string_view("<html>502 Bad Gateway</html>"), std::string_view("{\"usage\":"),
        std::string_view("{\"model\":\"\xC3\"}")}) {
    const auto obs = chat(body);
    EXPECT_FALSE(obs.parsed) << body;
    EXPECT_FALSE(obs.usage) << body;
  }
  const std::string_view body = fixtures::kChatResponse;
  for (std::size_t n = 0; n < body.size(); ++n) EXPECT_FALSE(chat(body.substr(0, n)).parsed) << n;
}

TEST(ResponseInspector, WrongTypesAreIgnored) {
  const auto obs = chat(R"({"choices":"x","usage":[1],"model":null,"eval_count":"7",)"
                        R"("timings":"fast","error":42})");
  EXPECT_TRUE(obs.parsed);
  EXPECT_FALSE(obs.usage);
  EXPECT_FALSE(obs.has_output);
  EXPECT_EQ(obs.model, "");
  EXPECT_EQ(obs.error_message, "");
}

}  // namespace
}  // namespace lmp::llm
