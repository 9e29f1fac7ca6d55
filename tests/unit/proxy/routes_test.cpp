#include "proxy/routes.hpp"

#include <gtest/gtest.h>

namespace lmp::proxy {
namespace {

using llm::Endpoint;

TEST(RecordedEndpoint, TheThreePostPaths) {
  EXPECT_EQ(recorded_endpoint("POST", "/v1/chat/completions"), Endpoint::chat_completions);
  EXPECT_EQ(recorded_endpoint("POST", "/v1/completions"), Endpoint::completions);
  EXPECT_EQ(recorded_endpoint("POST", "/v1/embeddings"), Endpoint::embeddings);
}

TEST(RecordedEndpoint, QueryStringIsAllowed) {
  EXPECT_EQ(recorded_endpoint("POST", "/v1/chat/completions?api-version=2024-02-01"),
            Endpoint::chat_completions);
  EXPECT_EQ(recorded_endpoint("POST", "/v1/completions?"), Endpoint::completions);
  EXPECT_EQ(recorded_endpoint("POST", "/v1/embeddings?a=1&b=2"), Endpoint::embeddings);
}

TEST(RecordedEndpoint, TrailingSlashIsAllowed) {
  EXPECT_EQ(recorded_endpoint("POST", "/v1/chat/completions/"), Endpoint::chat_completions);
  EXPECT_EQ(recorded_endpoint("POST", "/v1/completions/"), Endpoint::completions);
  EXPECT_EQ(recorded_endpoint("POST", "/v1/embeddings/?x=1"), Endpoint::embeddings);
}

TEST(RecordedEndpoint, OtherMethodsAreNotRecorded) {
  EXPECT_EQ(recorded_endpoint("GET", "/v1/chat/completions"), std::nullopt);
  EXPECT_EQ(recorded_endpoint("PUT", "/v1/completions"), std::nullopt);
  EXPECT_EQ(recorded_endpoint("OPTIONS", "/v1/embeddings"), std::nullopt);
  EXPECT_EQ(recorded_endpoint("HEAD", "/v1/chat/completions"), std::nullopt);
  EXPECT_EQ(recorded_endpoint("post", "/v1/chat/completions"), std::nullopt);  // case-sensitive
  EXPECT_EQ(recorded_endpoint("", "/v1/chat/completions"), std::nullopt);
}

TEST(RecordedEndpoint, OtherPathsAreNotRecorded) {
  for (std::string_view target :
       {"/v1/models", "/", "", "/v1", "/v1/", "/v1/chat", "/v1/chat/completion",
        "/v1/chat/completionsX", "/v2/chat/completions", "/chat/completions",
        "/api/v1/chat/completions", "/v1/chat/completions/extra", "/V1/CHAT/COMPLETIONS",
        "/v1/embeddings//", "?/v1/completions", "/v1/responses", "/api/generate"}) {
    EXPECT_EQ(recorded_endpoint("POST", target), std::nullopt) << target;
  }
}

}  // namespace
}  // namespace lmp::proxy
