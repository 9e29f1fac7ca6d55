#include "support/text.hpp"

#include <gtest/gtest.h>

#include <random>
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

// What iequals must equal: byte by byte, only A-Z folded.
bool reference_iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  const auto lower = [](unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; };
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(static_cast<unsigned char>(a[i])) != lower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// The constant-evaluated path (a byte loop) is the one compile-time callers get.
static_assert(iequals("Content-Length", "content-LENGTH"));
static_assert(!iequals("content-length", "content_length"));
static_assert(!iequals("@", "`") && !iequals("[", "{"));

// Every pair of bytes, alone and at each position of strings of every length up to 20 (so
// that each of the word-at-a-time paths sees it): the non-letters and bytes from 0x80 that
// differ from their neighbours only in the case bit (such as @ and `, [ and {, 0xC1 and
// 0xE1) must not match.
TEST(Iequals, MatchesTheReferenceForEveryPairOfBytes) {
  for (int x = 0; x < 256; ++x) {
    for (int y = 0; y < 256; ++y) {
      const char cx = static_cast<char>(x);
      const char cy = static_cast<char>(y);
      const std::string_view a(&cx, 1), b(&cy, 1);
      ASSERT_EQ(iequals(a, b), reference_iequals(a, b)) << x << " " << y;
    }
  }
  for (std::size_t size = 1; size <= 20; ++size) {
    for (std::size_t at = 0; at < size; ++at) {
      std::string a(size, 'k'), b(size, 'K');
      for (int x = 0; x < 256; ++x) {
        for (int y = 0; y < 256; ++y) {
          a[at] = static_cast<char>(x);
          b[at] = static_cast<char>(y);
          ASSERT_EQ(iequals(a, b), reference_iequals(a, b))
              << size << " " << at << " " << x << " " << y;
        }
      }
    }
  }
}

// Random strings of every length from 0 to 40 against a copy with random case flips, and then
// one random byte changed, each compared both ways round.
TEST(Iequals, MatchesTheReferenceOnRandomStrings) {
  std::mt19937 random(20240607);
  const auto byte = [&] { return static_cast<char>(random() & 0xFF); };
  // Mostly letters, so that case flips are common, but every byte value occurs.
  const auto some_byte = [&] {
    const auto r = random() % 4;
    return r == 0 ? byte() : static_cast<char>((r == 1 ? 'A' : 'a') + random() % 26);
  };
  for (int round = 0; round < 2000; ++round) {
    for (std::size_t size = 0; size <= 40; ++size) {
      std::string a(size, ' ');
      for (auto& c : a) c = some_byte();
      std::string b = a;
      for (auto& c : b)
        if (random() % 2) c = static_cast<char>(c ^ 0x20);
      ASSERT_EQ(iequals(a, b), reference_iequals(a, b)) << a << " " << b;
      ASSERT_EQ(iequals(b, a), reference_iequals(b, a)) << a << " " << b;
      if (size == 0) continue;
      b[random() % size] = byte();
      ASSERT_EQ(iequals(a, b), reference_iequals(a, b)) << a << " " << b;
      ASSERT_EQ(iequals(b, a), reference_iequals(b, a)) << a << " " << b;
    }
  }
}

TEST(Iequals, DifferentSizesNeverMatch) {
  EXPECT_FALSE(iequals("", "a"));
  EXPECT_FALSE(iequals("keep-alive", "keep-alive "));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_TRUE(iequals(std::string_view{}, ""));
}

}  // namespace
}  // namespace lmp::text
