// libFuzzer target: the SSE scanner must accept any bytes in any split, and give the same
// observation for a random split as for the whole stream in one feed, and with its fast path
// for plain chunks (EventReading::prescan) as with a full parse of every event.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "llm/sse_scanner.hpp"

namespace {

bool same_facts(const lmp::llm::StreamObservation& a, const lmp::llm::StreamObservation& b) {
  return a.first_token.has_value() == b.first_token.has_value() &&
         a.last_token.has_value() == b.last_token.has_value() && a.events == b.events &&
         a.output_events == b.output_events && a.done_seen == b.done_seen && a.usage == b.usage &&
         a.finish_reason == b.finish_reason && a.model == b.model &&
         a.error_message == b.error_message && a.degraded == b.degraded;
}

bool same_times(const lmp::llm::StreamObservation& a, const lmp::llm::StreamObservation& b) {
  return a.first_token == b.first_token && a.last_token == b.last_token &&
         a.max_inter_token_gap_ms == b.max_inter_token_gap_ms;
}

}  // namespace

// Input: 8 bytes of parameters (endpoint, event limit, split seed), then the stream.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using lmp::llm::Endpoint;
  using lmp::llm::EventReading;
  using lmp::llm::SseScanner;
  if (size < 8) return 0;
  const Endpoint endpoint = data[0] % 3 == 1   ? Endpoint::completions
                            : data[0] % 3 == 2 ? Endpoint::embeddings
                                               : Endpoint::chat_completions;
  const std::size_t limit = data[1] % 2 ? (1u << 20) : 8 + data[2] * 4;
  std::uint64_t seed = 0;
  for (int i = 3; i < 8; ++i) seed = seed << 8 | data[i];
  const std::string_view stream(reinterpret_cast<const char*>(data) + 8, size - 8);
  const auto now = lmp::time::MonoTime{};

  SseScanner whole(endpoint, limit);
  whole.feed(stream, now);
  whole.finish();

  // The split feeds are timed apart, so that token times and gaps are compared too.
  SseScanner split(endpoint, limit, EventReading::prescan);
  SseScanner full(endpoint, limit, EventReading::full_parse);
  auto at = now;
  for (std::size_t pos = 0; pos < stream.size();) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    const std::size_t n = (seed >> 33) % 64;
    at += std::chrono::microseconds(1 + (seed >> 20) % 1000);
    split.feed(stream.substr(pos, n), at);
    full.feed(stream.substr(pos, n), at);
    pos += n;
  }
  split.finish();
  full.finish();
  if (!same_facts(whole.observation(), split.observation())) __builtin_trap();
  if (!same_facts(split.observation(), full.observation()) ||
      !same_times(split.observation(), full.observation()))
    __builtin_trap();
  return 0;
}
