// api::metrics_json: rendering the /metrics answer from a MetricsSummary read from a store of
// 100 k realistic records (six models, five origins, eight error types, percentiles).
#include <benchmark/benchmark.h>

#include <string>

#include "api/metrics_json.hpp"
#include "fixtures.hpp"

namespace {

void BM_MetricsJson_Render(benchmark::State& state) {
  const auto& filled = lmp::bench::filled_store_100k();
  const lmp::storage::MetricsSummary summary = filled.store->summarize({});
  const std::int64_t now_ms = filled.last_ms + 1000;
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string json = lmp::api::metrics_json(now_ms, summary);
    bytes = json.size();
    benchmark::DoNotOptimize(json);
  }
  state.counters["json_bytes"] = static_cast<double>(bytes);
  state.counters["models"] = static_cast<double>(summary.models.size());
}
BENCHMARK(BM_MetricsJson_Render);

}  // namespace
