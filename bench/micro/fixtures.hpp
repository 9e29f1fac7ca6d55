// Realistic inputs shared by the microbenchmarks: a recorded-like OpenAI chat stream, a 4 KB
// chat request, a non-streamed answer, and records like the ones lmp_fill_store writes. All are
// built once, in the benchmarks' setup, never per iteration.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/record_generator.hpp"
#include "llm/completion_record.hpp"
#include "storage/sqlite/sqlite_store.hpp"

namespace lmp::bench {

// An OpenAI chat/completions stream as gpt-4o-mini sends it with stream_options.include_usage:
// a role chunk, `content_chunks` content chunks (id, created, model, system_fingerprint,
// "usage":null, obfuscation padding), a finish chunk, a usage chunk and [DONE]. 200 content
// chunks make about 61 KB (204 events).
std::string openai_chat_stream(int content_chunks = 200);

// The stream cut after every event (each piece ends with its blank line).
std::vector<std::string_view> split_events(std::string_view stream);
// The stream cut into reads of `size` bytes (the last one shorter).
std::vector<std::string_view> split_reads(std::string_view stream, std::size_t size);

// A streamed chat request of about 4 KB: system prompt, several turns, sampling parameters,
// stream_options, user.
std::string chat_request_body_4k();

// A non-streamed chat.completion answer (about 1.5 KB) with usage.
std::string chat_completion_response();

// A fresh folder under the system's temp directory, removed with everything in it on
// destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(std::string_view name) const;

 private:
  std::string path_;
};

// A temp-file store holding `records` records from RecordGenerator at the density of
// lmp_fill_store's 300 k records per day, inserted in batches of 1000 (rollups built). Filled on
// first use and shared by the benchmarks that read it.
struct FilledStore {
  TempDir dir;
  std::unique_ptr<storage::sqlite::SqliteStore> store;
  std::int64_t first_ms = 0;
  std::int64_t last_ms = 0;
};
const FilledStore& filled_store_100k();

// The start of every generated range: 2026-11-28T00:00:00Z.
inline constexpr std::int64_t kStartMs = 1'795'824'000'000;
// 300 k records per day, as in docs/performance.md's write throughput runs.
inline constexpr double kMeanGapMs = 86'400'000.0 / 300'000.0;

}  // namespace lmp::bench
