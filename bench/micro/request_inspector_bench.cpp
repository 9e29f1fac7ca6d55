// llm::inspect_request on a 4 KB streamed chat request (system prompt, seven turns, sampling
// parameters, stream_options, user).
#include <benchmark/benchmark.h>

#include <string>

#include "fixtures.hpp"
#include "llm/request_inspector.hpp"

namespace {

void BM_InspectRequest_Chat4KB(benchmark::State& state) {
  const std::string body = lmp::bench::chat_request_body_4k();
  const auto check = lmp::llm::inspect_request(lmp::llm::Endpoint::chat_completions, body);
  if (!check.parsed || !check.stream || !check.include_usage || check.message_count != 8) {
    state.SkipWithError("the request fixture is not read as expected");
    return;
  }
  for (auto _ : state) {
    auto info = lmp::llm::inspect_request(lmp::llm::Endpoint::chat_completions, body);
    benchmark::DoNotOptimize(info);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(body.size()));
  state.counters["body_bytes"] = static_cast<double>(body.size());
}
BENCHMARK(BM_InspectRequest_Chat4KB);

}  // namespace
