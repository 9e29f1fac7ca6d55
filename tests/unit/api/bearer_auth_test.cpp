#include "api/bearer_auth.hpp"

#include <gtest/gtest.h>

namespace lmp::api {
namespace {

TEST(ConstantTimeEqual, ComparesWholeStrings) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("secret", "secret"));
  EXPECT_FALSE(constant_time_equal("secret", "secreT"));
  EXPECT_FALSE(constant_time_equal("secret", "secret2"));
  EXPECT_FALSE(constant_time_equal("secret", "secre"));
  EXPECT_FALSE(constant_time_equal("", "x"));
  // A string and itself followed by NUL bytes differ: the length counts.
  EXPECT_FALSE(constant_time_equal(std::string_view("ab"), std::string_view("ab\0", 3)));
}

TEST(BearerTokenMatches, AcceptsTheTokenWithAnyCaseOfScheme) {
  EXPECT_TRUE(bearer_token_matches("Bearer s3cret", "s3cret"));
  EXPECT_TRUE(bearer_token_matches("bearer s3cret", "s3cret"));
  EXPECT_TRUE(bearer_token_matches("BEARER   s3cret ", "s3cret"));
}

TEST(BearerTokenMatches, RejectsEverythingElse) {
  EXPECT_FALSE(bearer_token_matches("", "s3cret"));
  EXPECT_FALSE(bearer_token_matches("s3cret", "s3cret"));
  EXPECT_FALSE(bearer_token_matches("Basic s3cret", "s3cret"));
  EXPECT_FALSE(bearer_token_matches("Bearer", "s3cret"));
  EXPECT_FALSE(bearer_token_matches("Bearer ", "s3cret"));
  EXPECT_FALSE(bearer_token_matches("Bearer S3cret", "s3cret"));
  EXPECT_FALSE(bearer_token_matches("Bearer s3cret2", "s3cret"));
  EXPECT_FALSE(bearer_token_matches("Bearers3cret", "s3cret"));
  // No token configured never matches, not even an empty one.
  EXPECT_FALSE(bearer_token_matches("Bearer ", ""));
}

}  // namespace
}  // namespace lmp::api
