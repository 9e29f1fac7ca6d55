#include "support/log.hpp"

#include <gtest/gtest.h>

namespace lmp::log {
namespace {

struct LevelCase {
  const char* text;
  Level level;
};

class ParseLevelAccepts : public ::testing::TestWithParam<LevelCase> {};

TEST_P(ParseLevelAccepts, Parses) {
  Level out = GetParam().level == Level::error ? Level::debug : Level::error;
  ASSERT_TRUE(parse_level(GetParam().text, out)) << GetParam().text;
  EXPECT_EQ(out, GetParam().level) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    Names, ParseLevelAccepts,
    ::testing::Values(LevelCase{"DEBUG", Level::debug}, LevelCase{"debug", Level::debug},
                      LevelCase{"Debug", Level::debug}, LevelCase{"INFO", Level::info},
                      LevelCase{"info", Level::info}, LevelCase{"iNfO", Level::info},
                      LevelCase{"WARNING", Level::warning}, LevelCase{"warning", Level::warning},
                      LevelCase{"WARN", Level::warning}, LevelCase{"warn", Level::warning},
                      LevelCase{"ERROR", Level::error}, LevelCase{"error", Level::error},
                      LevelCase{"Error", Level::error}));

class ParseLevelRejects : public ::testing::TestWithParam<const char*> {};

TEST_P(ParseLevelRejects, LeavesOutputAlone) {
  Level out = Level::warning;
  EXPECT_FALSE(parse_level(GetParam(), out)) << GetParam();
  EXPECT_EQ(out, Level::warning);
}

INSTANTIATE_TEST_SUITE_P(Names, ParseLevelRejects,
                         ::testing::Values("", "LOUD", "INFOO", "INF", " INFO", "INFO ", "ERR",
                                           "TRACE", "CRITICAL", "0", "1", "WARNINGS", "DEBUG\n"));

TEST(LogLevel, SetLevelControlsEnabled) {
  const Level saved = level();
  set_level(Level::warning);
  EXPECT_EQ(level(), Level::warning);
  EXPECT_FALSE(enabled(Level::debug));
  EXPECT_FALSE(enabled(Level::info));
  EXPECT_TRUE(enabled(Level::warning));
  EXPECT_TRUE(enabled(Level::error));
  set_level(Level::debug);
  EXPECT_TRUE(enabled(Level::debug));
  set_level(saved);
}

TEST(LogWrite, OneLineWithStampLevelAndMessage) {
  const Level saved = level();
  set_level(Level::info);
  ::testing::internal::CaptureStderr();
  info("hello {}", 42);
  debug("not shown {}", 1);
  const std::string err = ::testing::internal::GetCapturedStderr();
  set_level(saved);
  ASSERT_FALSE(err.empty());
  EXPECT_EQ(err.back(), '\n');
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1);
  EXPECT_NE(err.find("INFO"), std::string::npos) << err;
  EXPECT_NE(err.find("hello 42"), std::string::npos) << err;
  EXPECT_EQ(err.find("not shown"), std::string::npos) << err;
  // Starts with an ISO 8601 UTC stamp.
  ASSERT_GE(err.size(), 24u);
  EXPECT_EQ(err[4], '-');
  EXPECT_EQ(err[10], 'T');
  EXPECT_EQ(err[23], 'Z');
}

}  // namespace
}  // namespace lmp::log
