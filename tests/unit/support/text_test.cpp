#include "support/text.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lmp::text {
namespace {

std::vector<std::string> elements(std::string_view list) {
  std::vector<std::string> out;
  for_each_list_element(list, [&](std::string_view e) { out.emplace_back(e); });
  return out;
}

TEST(ForEachListElement, TrimsAndSkipsEmptyElements) {
  EXPECT_EQ(elements("close, X-Hop ,\tkeep-alive"),
            (std::vector<std::string>{"close", "X-Hop", "keep-alive"}));
  EXPECT_EQ(elements(" , ,a,, b ,"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(elements("").empty());
  EXPECT_TRUE(elements(" \t, ").empty());
}

TEST(Iequals, ComparesAsciiCaseInsensitively) {
  EXPECT_TRUE(iequals("Content-Length", "content-length"));
  EXPECT_FALSE(iequals("content-length", "content-lengths"));
  EXPECT_TRUE(istarts_with("Text/Event-Stream; charset=utf-8", "text/event-stream"));
}

}  // namespace
}  // namespace lmp::text
