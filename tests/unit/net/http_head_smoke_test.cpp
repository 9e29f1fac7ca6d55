// Runs net/http_head's fuzz properties (tests/fuzz/http_head_check.hpp) over deterministic
// pseudo-random mutations of realistic heads, so that the normal test run (and CI) exercises
// what tests/fuzz/http_head_fuzz.cpp explores with libFuzzer.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/http_head_check.hpp"

namespace lmp::net {
namespace {

// splitmix64: tiny, deterministic on every platform.
std::uint64_t next(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

constexpr std::array<std::string_view, 17> kTokens = {"\r\n",
                                                      "\n",
                                                      "\r",
                                                      " ",
                                                      "\t",
                                                      ":",
                                                      ",",
                                                      "\r\n\r\n",
                                                      "Content-Length: 5\r\n",
                                                      "Transfer-Encoding: chunked\r\n",
                                                      "Transfer-Encoding: gzip\r\n",
                                                      "Connection: close\r\n",
                                                      "Connection: keep-alive\r\n",
                                                      "Expect: 100-continue\r\n",
                                                      "HTTP/1.0",
                                                      "\x7f",
                                                      "0"};

constexpr std::array<std::string_view, 4> kSeeds = {
    "POST /v1/chat/completions HTTP/1.1\r\nHost: proxy:8001\r\nContent-Type: application/json\r\n"
    "Authorization: Bearer sk-1\r\nContent-Length: 120\r\n\r\n",
    "POST /v1/embeddings HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n"
    "Expect: 100-continue\r\n\r\n",
    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 377\r\n"
    "date: Sun, 29 Nov 2026 10:00:00 GMT\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n"
    "Connection: keep-alive\r\n\r\n"};

std::string mutate(std::string_view seed, std::uint64_t& rng) {
  std::string s(seed);
  const std::size_t rounds = 1 + next(rng) % 4;
  for (std::size_t r = 0; r < rounds; ++r) {
    const std::size_t pos = next(rng) % (s.size() + 1);
    switch (next(rng) % 5) {
      case 0:
        if (!s.empty()) s[next(rng) % s.size()] = static_cast<char>(next(rng));
        break;
      case 1:
        s.insert(pos, 1, static_cast<char>(next(rng)));
        break;
      case 2:
        s.erase(pos, next(rng) % 16);
        break;
      case 3:
        s.insert(pos, kTokens[next(rng) % kTokens.size()]);
        break;
      default:
        s.resize(pos);
        break;
    }
  }
  return s;
}

TEST(HttpHeadSmoke, PropertiesHoldOnMutatedHeads) {
  std::uint64_t rng = 7;
  const auto start = std::chrono::steady_clock::now();
  int runs = 0;
  for (; runs < 200000; ++runs) {
    if (runs % 1024 == 0 && std::chrono::steady_clock::now() - start > std::chrono::seconds(1))
      break;
    const std::string input = mutate(kSeeds[runs % kSeeds.size()], rng);
    const std::string failure = check::check_http_head(input);
    ASSERT_TRUE(failure.empty()) << failure << " for " << testing::PrintToString(input);
  }
  EXPECT_GT(runs, 1000);
}

TEST(HttpHeadSmoke, SeedsAreReadAsHeads) {
  for (const auto seed : kSeeds) EXPECT_EQ(find_head_end(seed), seed.size());
  EXPECT_TRUE(check::check_http_head(kSeeds[0]).empty());
}

}  // namespace
}  // namespace lmp::net
