// storage::sqlite::SqliteStore: the writer's insert rate (batches of 1000 records, one
// transaction each, raw rows and every rollup tier, as the recorder writes) into a temp-file
// database, and summarize() (what /metrics reads) over a 100 k-record one.
#include <benchmark/benchmark.h>

#include <vector>

#include "fixtures.hpp"
#include "storage/sqlite/sqlite_store.hpp"

namespace {

using lmp::llm::CompletionRecord;

constexpr std::size_t kBatch = 1000;
constexpr std::size_t kBatches = 100;  // 100 k distinct records, about 8 hours at 300 k/day

struct Batches {
  std::vector<std::vector<CompletionRecord>> batches;
  std::vector<std::vector<std::int64_t>> timestamps;  // as generated
  std::int64_t span_ms = 0;
};

const Batches& batches() {
  static const Batches b = [] {
    Batches out;
    lmp::bench::RecordGenerator gen(lmp::bench::kStartMs, lmp::bench::kMeanGapMs);
    for (std::size_t i = 0; i < kBatches; ++i) {
      auto& batch = out.batches.emplace_back();
      auto& ts = out.timestamps.emplace_back();
      for (std::size_t j = 0; j < kBatch; ++j) {
        batch.push_back(gen.next());
        ts.push_back(batch.back().timestamp_ms);
      }
    }
    out.span_ms = out.timestamps.back().back() - lmp::bench::kStartMs + 1;
    return out;
  }();
  return b;
}

// A fresh database per run; the records move on in time as they would in production: after
// the 100 k generated ones, the same ones again one span later (the shift costs about 1 µs per
// batch, against milliseconds of insert).
void BM_SqliteStore_InsertBatch1000(benchmark::State& state) {
  const Batches& source = batches();
  std::vector<std::vector<CompletionRecord>> work = source.batches;
  lmp::bench::TempDir dir;
  lmp::storage::sqlite::SqliteOptions options;
  options.path = dir.file("insert.db");
  options.read_connections = 1;
  auto store = lmp::storage::sqlite::SqliteStore::open(options);
  std::size_t n = 0;
  for (auto _ : state) {
    const std::size_t i = n % kBatches;
    const auto round = static_cast<std::int64_t>(n / kBatches);
    if (round > 0) {
      auto& batch = work[i];
      for (std::size_t j = 0; j < kBatch; ++j)
        batch[j].timestamp_ms = source.timestamps[i][j] + round * source.span_ms;
    }
    store->insert(work[i]);
    ++n;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(kBatch));
}
BENCHMARK(BM_SqliteStore_InsertBatch1000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SqliteStore_Summarize100k(benchmark::State& state, bool last_hour) {
  const auto& filled = lmp::bench::filled_store_100k();
  lmp::storage::TimeRange range;
  if (last_hour) {
    range.start_ms = filled.last_ms - 3'600'000;
    range.end_ms = filled.last_ms;
  }
  for (auto _ : state) benchmark::DoNotOptimize(filled.store->summarize(range));
}
BENCHMARK_CAPTURE(BM_SqliteStore_Summarize100k, all_time, false)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_SqliteStore_Summarize100k, last_hour, true)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace
