#include "llm/request_inspector.hpp"

#include <gtest/gtest.h>

#include <string>

#include "llm_fixtures.hpp"

namespace lmp::llm {
namespace {

RequestInfo chat(std::string_view body) {
  return inspect_request(Endpoint::chat_completions, body);
}

TEST(RequestInspector, ReadsEveryField) {
  const auto info = chat(fixtures::kChatRequest);
  EXPECT_TRUE(info.parsed);
  EXPECT_EQ(info.model, "llama3.1:8b");
  EXPECT_EQ(info.user, "u-42");
  EXPECT_TRUE(info.stream);
  EXPECT_TRUE(info.include_usage);
  EXPECT_EQ(info.message_count, 2);
  EXPECT_EQ(info.max_tokens, 256);
  EXPECT_EQ(info.temperature, 0.7);
  EXPECT_EQ(info.top_p, 0.9);
}

TEST(RequestInspector, DefaultsWhenAbsent) {
  const auto info = chat("{}");
  EXPECT_TRUE(info.parsed);
  EXPECT_EQ(info.model, "");
  EXPECT_EQ(info.user, "");
  EXPECT_FALSE(info.stream);
  EXPECT_FALSE(info.include_usage);
  EXPECT_FALSE(info.message_count);
  EXPECT_FALSE(info.max_tokens);
  EXPECT_FALSE(info.temperature);
  EXPECT_FALSE(info.top_p);
}

TEST(RequestInspector, MaxCompletionTokensIsTheFallback) {
  EXPECT_EQ(chat(R"({"max_completion_tokens":77})").max_tokens, 77);
  EXPECT_EQ(chat(R"({"max_completion_tokens":77,"max_tokens":5})").max_tokens, 5);
  EXPECT_EQ(chat(R"({"max_tokens":5,"max_completion_tokens":77})").max_tokens, 5);
  EXPECT_EQ(chat(R"({"max_tokens":null,"max_completion_tokens":77})").max_tokens, 77);
  EXPECT_EQ(chat(R"({"max_tokens":"many","max_completion_tokens":77})").max_tokens, 77);
}

TEST(RequestInspector, WrongTypesAreAbsent) {
  const auto info =
      chat(R"({"model":42,"user":{"id":1},"stream":"yes","stream_options":true,"messages":"hi",)"
           R"("max_tokens":"256","temperature":"hot","top_p":[0.9]})");
  EXPECT_TRUE(info.parsed);
  EXPECT_EQ(info.model, "");
  EXPECT_EQ(info.user, "");
  EXPECT_FALSE(info.stream);
  EXPECT_FALSE(info.include_usage);
  EXPECT_FALSE(info.message_count);
  EXPECT_FALSE(info.max_tokens);
  EXPECT_FALSE(info.temperature);
  EXPECT_FALSE(info.top_p);
  EXPECT_FALSE(chat(R"({"stream":1})").stream);
  EXPECT_FALSE(chat(R"({"stream_options":{"include_usage":"true"}})").include_usage);
  EXPECT_FALSE(chat(R"({"stream":null})").stream);
}

TEST(RequestInspector, NumbersOfEveryShape) {
  EXPECT_EQ(chat(R"({"max_tokens":12.0})").max_tokens, 12);
  EXPECT_EQ(chat(R"({"max_tokens":1e3})").max_tokens, 1000);
  EXPECT_FALSE(chat(R"({"max_tokens":12.5})").max_tokens);
  EXPECT_EQ(chat(R"({"max_tokens":-1})").max_tokens, -1);  // stored as sent; the backend judges
  EXPECT_EQ(chat(R"({"temperature":1})").temperature, 1.0);
  EXPECT_EQ(chat(R"({"temperature":0})").temperature, 0.0);
  EXPECT_EQ(chat(R"({"top_p":1e-3})").top_p, 1e-3);
}

TEST(RequestInspector, HugeNumbersAreAbsentNotFatal) {
  // simdjson refuses integers beyond uint64 and numbers beyond double range as malformed
  // JSON: the whole body is then unread (and the backend will refuse it as well).
  EXPECT_FALSE(chat(R"({"max_tokens":99999999999999999999999,"model":"m"})").parsed);
  EXPECT_FALSE(chat(R"({"model":"m","temperature":1e400})").parsed);
  auto info = chat(R"({"max_tokens":9223372036854775807,"model":"m"})");
  EXPECT_EQ(info.max_tokens, 9223372036854775807);
  info = chat(R"({"max_tokens":18446744073709551615,"model":"m"})");  // uint64 max
  EXPECT_TRUE(info.parsed);
  EXPECT_FALSE(info.max_tokens);
  EXPECT_EQ(info.model, "m");
  info = chat(R"({"max_tokens":1e300,"model":"m"})");
  EXPECT_FALSE(info.max_tokens);
  EXPECT_EQ(info.model, "m");
}

TEST(RequestInspector, MessageCountPerEndpoint) {
  EXPECT_EQ(chat(R"({"messages":[]})").message_count, 0);
  EXPECT_EQ(chat(R"({"messages":[{},{},{}]})").message_count, 3);
  // The other endpoints' fields do not count for chat, and vice versa.
  EXPECT_FALSE(chat(R"({"prompt":"x","input":"y"})").message_count);
  EXPECT_FALSE(inspect_request(Endpoint::completions, R"({"messages":[{}]})").message_count);

  auto completions = [](std::string_view body) {
    return inspect_request(Endpoint::completions, body).message_count;
  };
  EXPECT_EQ(completions(R"({"prompt":"Once upon"})"), 1);
  EXPECT_EQ(completions(R"({"prompt":["a","b","c"]})"), 3);
  EXPECT_EQ(completions(R"({"prompt":[1,2,3,4]})"), 1);  // one tokenized prompt
  EXPECT_EQ(completions(R"({"prompt":[[1,2],[3]]})"), 2);
  EXPECT_EQ(completions(R"({"prompt":[]})"), 0);
  EXPECT_FALSE(completions(R"({"prompt":7})"));

  auto embeddings = [](std::string_view body) {
    return inspect_request(Endpoint::embeddings, body).message_count;
  };
  EXPECT_EQ(embeddings(R"({"input":"text","model":"e"})"), 1);
  EXPECT_EQ(embeddings(R"({"input":["a","b"]})"), 2);
  EXPECT_EQ(embeddings(R"({"input":[5,6,7]})"), 1);
  EXPECT_FALSE(embeddings(R"({"input":null})"));
}

TEST(RequestInspector, MalformedBodiesAreNotParsed) {
  for (std::string_view body :
       {std::string_view(""), std::string_view("   "), std::string_view("null"),
        std::string_view("[]"), std::string_view("\"x\""), std::string_view("42"),
        std::string_view("{"), std::string_view(R"({"model":"m")"),
        std::string_view(R"({"model":"m"} extra)"), std::string_view(R"({"model":"m",})"),
        std::string_view("{\"model\":\"\xFF\xFE\"}"), std::string_view("model=m&stream=true"),
        std::string_view("\0\0\0", 3)}) {
    const auto info = chat(body);
    EXPECT_FALSE(info.parsed) << body;
    EXPECT_EQ(info.model, "") << body;
    EXPECT_FALSE(info.stream) << body;
  }
}

TEST(RequestInspector, TruncatedAtEveryLengthNeverCrashes) {
  const std::string_view body = fixtures::kChatRequest;
  for (std::size_t n = 0; n < body.size(); ++n) {
    const auto info = chat(body.substr(0, n));
    EXPECT_FALSE(info.parsed) << n;
  }
  EXPECT_TRUE(chat(body).parsed);
}

TEST(RequestInspector, UnicodeAndEscapes) {
  const auto info = chat(R"({"model":"mod\u00e8le\/v1","user":"\ud83d\ude00"})");
  EXPECT_EQ(info.model, "mod\xC3\xA8le/v1");
  EXPECT_EQ(info.user, "\xF0\x9F\x98\x80");
}

TEST(RequestInspector, DuplicateKeysTakeTheLast) {
  EXPECT_EQ(chat(R"({"model":"a","model":"b"})").model, "b");
}

TEST(RequestInspector, HugeBody) {
  std::string body = R"({"model":"big","stream":true,"messages":[)";
  for (int i = 0; i < 2000; ++i) {
    if (i) body += ',';
    body += R"({"role":"user","content":")" + std::string(500, 'x') + "\"}";
  }
  body += "]}";
  ASSERT_GT(body.size(), 1000000u);
  const auto info = chat(body);
  EXPECT_TRUE(info.parsed);
  EXPECT_EQ(info.model, "big");
  EXPECT_TRUE(info.stream);
  EXPECT_EQ(info.message_count, 2000);
  // The thread's reusable parser still works after a one-off huge body.
  EXPECT_EQ(chat(fixtures::kChatRequest).model, "llama3.1:8b");
}

TEST(RequestInspector, DeepNestingIsRefusedNotACrash) {
  std::string body = R"({"model":"m","x":)" + std::string(5000, '[') + std::string(5000, ']') + "}";
  const auto info = chat(body);
  EXPECT_FALSE(info.parsed);
}

}  // namespace
}  // namespace lmp::llm
