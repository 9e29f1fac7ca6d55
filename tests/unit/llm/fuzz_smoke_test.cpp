// Runs every parser over deterministic pseudo-random mutations of realistic inputs, so that the
// normal test run (and CI) exercises what tests/fuzz/ explores with libFuzzer. Besides "never
// crashes", the scanner must give the same observation however the bytes are split.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "llm/request_inspector.hpp"
#include "llm/response_inspector.hpp"
#include "llm/sse_scanner.hpp"
#include "llm_fixtures.hpp"

namespace lmp::llm {
namespace {

// splitmix64: tiny, deterministic on every platform.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }

 private:
  std::uint64_t state_;
};

constexpr std::array<std::string_view, 22> kTokens = {"\n",
                                                      "\r",
                                                      "\r\n",
                                                      "\n\n",
                                                      "data: ",
                                                      "data:",
                                                      ":",
                                                      "[DONE]",
                                                      "{",
                                                      "}",
                                                      "[",
                                                      "]",
                                                      "\"",
                                                      "\\",
                                                      "\\u00e9",
                                                      "null",
                                                      "\xF0\x9F\x98\x80",
                                                      "\xEF\xBB\xBF",
                                                      "\"content\":\"x\"",
                                                      "\"usage\":{\"prompt_tokens\":1}",
                                                      "1e999",
                                                      "-0"};

std::string mutate(std::string_view seed, Rng& rng) {
  std::string s(seed);
  const std::size_t rounds = 1 + rng.below(4);
  for (std::size_t r = 0; r < rounds; ++r) {
    const std::size_t pos = rng.below(s.size() + 1);
    switch (rng.below(6)) {
      case 0:  // flip a byte
        if (!s.empty()) s[rng.below(s.size())] = static_cast<char>(rng.next());
        break;
      case 1:  // insert a random byte
        s.insert(pos, 1, static_cast<char>(rng.next()));
        break;
      case 2:  // delete a range
        s.erase(pos, rng.below(16));
        break;
      case 3:  // duplicate a range
        s.insert(pos, s.substr(rng.below(s.size() + 1), rng.below(64)));
        break;
      case 4:  // insert a token that matters to the parsers
        s.insert(pos, kTokens[rng.below(kTokens.size())]);
        break;
      default:  // truncate
        s.resize(pos);
        break;
    }
  }
  return s;
}

bool same_facts(const StreamObservation& a, const StreamObservation& b) {
  return a.first_token.has_value() == b.first_token.has_value() &&
         a.last_token.has_value() == b.last_token.has_value() && a.events == b.events &&
         a.output_events == b.output_events && a.done_seen == b.done_seen && a.usage == b.usage &&
         a.finish_reason == b.finish_reason && a.model == b.model &&
         a.error_message == b.error_message && a.degraded == b.degraded;
}

std::string describe(const StreamObservation& o) {
  std::string out =
      "events=" + std::to_string(o.events) + " output=" + std::to_string(o.output_events) +
      " done=" + std::to_string(o.done_seen) + " degraded=" + std::to_string(o.degraded) +
      " finish=" + o.finish_reason + " model=" + o.model + " error=" + o.error_message;
  if (o.usage)
    out += " usage=" + std::to_string(o.usage->prompt_tokens.value_or(-1)) + "/" +
           std::to_string(o.usage->completion_tokens.value_or(-1)) + "/" +
           std::to_string(o.usage->total_tokens.value_or(-1));
  return out;
}

std::string escaped(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c < 0x20 || c >= 0x7F)
      out += "\\x" + std::string(1, "0123456789ABCDEF"[c >> 4]) + "0123456789ABCDEF"[c & 15];
    else
      out += static_cast<char>(c);
  }
  return out;
}

const time::MonoTime kT0 = time::MonoTime{} + std::chrono::hours(1);

constexpr std::array<Endpoint, 3> kEndpoints = {Endpoint::chat_completions, Endpoint::completions,
                                                Endpoint::embeddings};

// Bounded so the suite stays under 5 s in Debug builds: each test stops early past its budget
// (a Release build reaches the full count).
constexpr auto kBudget = std::chrono::milliseconds(1200);
constexpr auto kScannerBudget = std::chrono::milliseconds(2400);

TEST(FuzzSmoke, RequestInspector) {
  Rng rng(1);
  const std::array<std::string_view, 2> seeds = {
      fixtures::kChatRequest,
      R"({"model":"e","input":["a","b"],"prompt":[[1,2],[3]],"max_completion_tokens":5.0})"};
  const auto start = std::chrono::steady_clock::now();
  int runs = 0;
  for (; runs < 300000; ++runs) {
    if ((runs & 1023) == 0 && std::chrono::steady_clock::now() - start > kBudget) break;
    const std::string body = mutate(seeds[rng.below(seeds.size())], rng);
    const auto info = inspect_request(kEndpoints[rng.below(3)], body);
    if (!info.parsed) {
      ASSERT_TRUE(info.model.empty());
    }
  }
  EXPECT_GT(runs, 1000);
  RecordProperty("runs", runs);
}

TEST(FuzzSmoke, ResponseInspector) {
  Rng rng(2);
  const std::array<std::string_view, 3> seeds = {
      fixtures::kChatResponse, R"({"error":{"message":"bad \u00e9","code":400}})",
      R"({"model":"l","eval_count":3,"prompt_eval_count":4,"timings":{"predicted_n":1}})"};
  const auto start = std::chrono::steady_clock::now();
  int runs = 0;
  for (; runs < 300000; ++runs) {
    if ((runs & 1023) == 0 && std::chrono::steady_clock::now() - start > kBudget) break;
    const std::string body = mutate(seeds[rng.below(seeds.size())], rng);
    const auto obs = inspect_response(kEndpoints[rng.below(3)], body);
    ASSERT_LE(obs.error_message.size(), 200u);
  }
  EXPECT_GT(runs, 1000);
  RecordProperty("runs", runs);
}

TEST(FuzzSmoke, SseScannerIsSplitInvariant) {
  Rng rng(3);
  const std::array<std::string_view, 3> seeds = {fixtures::kOpenAiStream, fixtures::kShortStream,
                                                 fixtures::kLlamaCppStream};
  const auto start = std::chrono::steady_clock::now();
  int runs = 0;
  for (; runs < 300000; ++runs) {
    if ((runs & 255) == 0 && std::chrono::steady_clock::now() - start > kScannerBudget) break;
    const std::string stream = mutate(seeds[rng.below(seeds.size())], rng);
    const Endpoint endpoint = kEndpoints[rng.below(2)];
    // Small limits make oversized events common.
    const std::size_t limit = rng.below(2) ? (1u << 20) : 16 + rng.below(400);

    SseScanner whole(endpoint, limit);
    whole.feed(stream, kT0);
    whole.finish();

    SseScanner split(endpoint, limit);
    for (std::size_t pos = 0; pos < stream.size();) {
      const std::size_t n = rng.below(4) == 0 ? rng.below(3) : rng.below(200);
      split.feed(std::string_view(stream).substr(pos, n), kT0);
      pos += n;
    }
    split.finish();
    ASSERT_TRUE(same_facts(whole.observation(), split.observation()))
        << "limit " << limit << "\nwhole: " << describe(whole.observation())
        << "\nsplit: " << describe(split.observation()) << "\nstream: " << escaped(stream);
    ASSERT_LE(split.observation().output_events, split.observation().events);
  }
  EXPECT_GT(runs, 1000);
  RecordProperty("runs", runs);
}

// The fast path (plain chunks read without a DOM, by shape or by prescan) against the full parse
// of every event, on mutated streams whose events mostly share a shape: a mutation inside a
// string, a number or a key must be seen by one of the two readers or by neither.
TEST(FuzzSmoke, SseScannerFastPathMatchesTheFullParse) {
  Rng rng(4);
  std::string content_stream;
  for (std::string_view token : {"Hi", "", " th\xC3\xA9re", "\\n", "\\u00e9", "\\ud83d\\ude00"})
    content_stream +=
        "data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":"
        "{\"content\":\"" +
        std::string(token) + "\"},\"finish_reason\":null}],\"usage\":null}\n\n";
  const std::array<std::string_view, 4> seeds = {fixtures::kOpenAiStream, fixtures::kShortStream,
                                                 fixtures::kLlamaCppStream, content_stream};
  const auto start = std::chrono::steady_clock::now();
  int runs = 0;
  for (; runs < 300000; ++runs) {
    if ((runs & 255) == 0 && std::chrono::steady_clock::now() - start > kScannerBudget) break;
    const std::string stream = mutate(seeds[rng.below(seeds.size())], rng);
    const Endpoint endpoint = kEndpoints[rng.below(3)];
    SseScanner fast(endpoint, 1 << 20, EventReading::prescan);
    SseScanner full(endpoint, 1 << 20, EventReading::full_parse);
    for (std::size_t pos = 0; pos < stream.size();) {
      const std::size_t n = rng.below(200);
      const auto piece = std::string_view(stream).substr(pos, n);
      fast.feed(piece, kT0 + std::chrono::milliseconds(pos));
      full.feed(piece, kT0 + std::chrono::milliseconds(pos));
      pos += n;
    }
    fast.finish();
    full.finish();
    const auto& a = fast.observation();
    const auto& b = full.observation();
    ASSERT_TRUE(same_facts(a, b) && a.first_token == b.first_token &&
                a.last_token == b.last_token &&
                a.max_inter_token_gap_ms == b.max_inter_token_gap_ms)
        << "fast: " << describe(a) << "\nfull: " << describe(b) << "\nstream: " << escaped(stream);
  }
  EXPECT_GT(runs, 1000);
  RecordProperty("runs", runs);
}

}  // namespace
}  // namespace lmp::llm
