// llm::SseScanner over a recorded-like OpenAI chat stream (~61 KB, 204 events), fed as the
// proxy sees it: one event per read (a backend trickling tokens) or in 16 KB / 1 KB reads; and
// over a typical short answer (50 events, ~14 KB), where every event is examined.
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>
#include <vector>

#include "fixtures.hpp"
#include "llm/sse_scanner.hpp"

namespace {

void scan(benchmark::State& state, const std::string& stream,
          const std::vector<std::string_view>& pieces) {
  const lmp::time::MonoTime t0 = lmp::time::MonoClock::now();
  for (auto _ : state) {
    lmp::llm::SseScanner scanner(lmp::llm::Endpoint::chat_completions);
    auto now = t0;
    for (const auto piece : pieces) {
      now += std::chrono::microseconds(500);
      scanner.feed(piece, now);
    }
    scanner.finish();
    benchmark::DoNotOptimize(scanner.observation().usage);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(stream.size()));
  state.counters["stream_bytes"] = static_cast<double>(stream.size());
  state.counters["reads"] = static_cast<double>(pieces.size());
}

void BM_SseScanner_OneEventPerRead(benchmark::State& state) {
  const std::string stream = lmp::bench::openai_chat_stream();
  scan(state, stream, lmp::bench::split_events(stream));
}
BENCHMARK(BM_SseScanner_OneEventPerRead);

void BM_SseScanner_Reads(benchmark::State& state) {
  const std::string stream = lmp::bench::openai_chat_stream();
  scan(state, stream, lmp::bench::split_reads(stream, static_cast<std::size_t>(state.range(0))));
}
BENCHMARK(BM_SseScanner_Reads)->ArgName("read_bytes")->Arg(16384)->Arg(1024);

// The per-stream cost of a short answer: a role chunk, 47 content chunks, a finish chunk and a
// usage chunk, one event per read. The fixed cost of a scanner counts here, not only bytes.
void BM_SseScanner_Stream50Events(benchmark::State& state) {
  const std::string stream = lmp::bench::openai_chat_stream(47);
  const auto pieces = lmp::bench::split_events(stream);
  scan(state, stream, pieces);
  state.counters["events"] = static_cast<double>(pieces.size() - 1);  // without [DONE]
}
BENCHMARK(BM_SseScanner_Stream50Events);

}  // namespace
