// Building one record: proxy::ExchangeMeter over the whole measurement path of a request
// (inspect the request body, the response header, the body pieces as relayed, finish()).
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>
#include <vector>

#include "fixtures.hpp"
#include "proxy/exchange_meter.hpp"

namespace {

using lmp::proxy::ExchangeMeter;

lmp::llm::CompletionRecord measure(std::string_view request, std::string_view content_type,
                                   const std::vector<std::string_view>& pieces,
                                   lmp::time::MonoTime t0) {
  ExchangeMeter meter(lmp::llm::Endpoint::chat_completions, request, t0, 1'764'384'000'000);
  meter.record().backend = "http://localhost:11434";
  meter.record().client_address = "10.0.1.17";
  meter.record().origin = "https://chat.example.com";
  auto now = t0 + std::chrono::milliseconds(180);
  meter.on_first_byte(now);
  meter.on_response_header(200, content_type, "");
  for (const auto piece : pieces) {
    now += std::chrono::milliseconds(12);
    meter.on_body(piece, now);
  }
  lmp::proxy::ExchangeOutcome outcome;
  outcome.status_sent = 200;
  outcome.body_complete = true;
  return meter.finish(now + std::chrono::microseconds(200), outcome);
}

void BM_ExchangeMeter_NonStreamed(benchmark::State& state) {
  std::string request = lmp::bench::chat_request_body_4k();
  // The same request, not streamed.
  const auto at = request.find("\"stream\":true,\"stream_options\":{\"include_usage\":true},");
  request.erase(
      at, std::string_view("\"stream\":true,\"stream_options\":{\"include_usage\":true},").size());
  const std::string response = lmp::bench::chat_completion_response();
  const std::vector<std::string_view> pieces{response};
  const auto t0 = lmp::time::MonoClock::now();
  const auto check = measure(request, "application/json", pieces, t0);
  if (check.is_streaming || !check.total_tokens || check.finish_reason != "stop") {
    state.SkipWithError("the non-streamed fixture is not measured as expected");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(measure(request, "application/json", pieces, t0));
  state.counters["request_bytes"] = static_cast<double>(request.size());
  state.counters["response_bytes"] = static_cast<double>(response.size());
}
BENCHMARK(BM_ExchangeMeter_NonStreamed);

void BM_ExchangeMeter_Streamed(benchmark::State& state) {
  const std::string request = lmp::bench::chat_request_body_4k();
  const std::string stream = lmp::bench::openai_chat_stream();
  const auto pieces = lmp::bench::split_events(stream);
  const auto t0 = lmp::time::MonoClock::now();
  const auto check = measure(request, "text/event-stream; charset=utf-8", pieces, t0);
  if (!check.is_streaming || !check.total_tokens || !check.time_to_first_token_ms) {
    state.SkipWithError("the streamed fixture is not measured as expected");
    return;
  }
  for (auto _ : state)
    benchmark::DoNotOptimize(measure(request, "text/event-stream; charset=utf-8", pieces, t0));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(stream.size()));
  state.counters["events"] = static_cast<double>(pieces.size());
}
BENCHMARK(BM_ExchangeMeter_Streamed);

}  // namespace
