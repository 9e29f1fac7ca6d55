#include "fixtures.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <numbers>
#include <stdexcept>

namespace lmp::bench {
namespace {

using llm::CompletionRecord;
using llm::Endpoint;
using llm::ErrorType;

constexpr std::string_view kId = "chatcmpl-AZ7xQp3LmT9vKd2RbWcYe8FhJ1sNg";
constexpr std::string_view kModel = "gpt-4o-mini-2024-07-18";
constexpr std::string_view kFingerprint = "fp_0705bf87c0";

// Tokens as a tokenizer cuts English prose (leading spaces, punctuation on its own).
constexpr std::array<std::string_view, 40> kTokens{
    "The",      " proxy",    " measures", " every",   " request", " it", " relays",
    ":",        " time",     " to",       " first",   " token",   ",",   " the",
    " longest", " pause",    " between",  " two",     " events",  ",",   " and",
    " the",     " usage",    " the",      " backend", " reports", ".",   " Nothing",
    " is",      " buffered", ";",         " each",    " event",   " is", " forwarded",
    " as",      " soon",     " as",       " it",      " arrives"};

std::string chunk(std::string_view delta, std::string_view finish_reason, std::string_view pad) {
  return fmt::format(
      "data: {{\"id\":\"{}\",\"object\":\"chat.completion.chunk\",\"created\":1764384000,"
      "\"model\":\"{}\",\"system_fingerprint\":\"{}\","
      "\"choices\":[{{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":{}}}],"
      "\"usage\":null,\"obfuscation\":\"{}\"}}\n\n",
      kId, kModel, kFingerprint, delta, finish_reason, pad);
}

// JSON-escape is not needed: the tokens hold no quote or backslash.
std::string content_delta(std::string_view token) {
  return fmt::format("{{\"content\":\"{}\"}}", token);
}

constexpr std::string_view kPads[] = {"kQ3f", "Zp", "a9XbT1", "", "Lm0", "tYv8QwE", "r2", "Hn4d"};

}  // namespace

std::string openai_chat_stream(int content_chunks) {
  std::string s;
  s += chunk(R"({"role":"assistant","content":"","refusal":null})", "null", "Wf2");
  for (int i = 0; i < content_chunks; ++i) {
    const auto n = static_cast<std::size_t>(i);
    s += chunk(content_delta(kTokens[n % kTokens.size()]), "null", kPads[n % std::size(kPads)]);
  }
  s += chunk("{}", "\"stop\"", "Qe");
  s += fmt::format(
      "data: {{\"id\":\"{}\",\"object\":\"chat.completion.chunk\",\"created\":1764384000,"
      "\"model\":\"{}\",\"system_fingerprint\":\"{}\","
      "\"choices\":[],\"usage\":{{\"prompt_tokens\":1014,\"completion_tokens\":{},"
      "\"total_tokens\":{},\"prompt_tokens_details\":{{\"cached_tokens\":0,\"audio_tokens\":0}},"
      "\"completion_tokens_details\":{{\"reasoning_tokens\":0,\"audio_tokens\":0,"
      "\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}}},"
      "\"obfuscation\":\"n3KdP0\"}}\n\n",
      kId, kModel, kFingerprint, content_chunks, 1014 + content_chunks);
  s += "data: [DONE]\n\n";
  return s;
}

std::vector<std::string_view> split_events(std::string_view stream) {
  std::vector<std::string_view> out;
  while (!stream.empty()) {
    auto end = stream.find("\n\n");
    end = end == std::string_view::npos ? stream.size() : end + 2;
    out.push_back(stream.substr(0, end));
    stream.remove_prefix(end);
  }
  return out;
}

std::vector<std::string_view> split_reads(std::string_view stream, std::size_t size) {
  std::vector<std::string_view> out;
  for (std::size_t at = 0; at < stream.size(); at += size) out.push_back(stream.substr(at, size));
  return out;
}

std::string chat_request_body_4k() {
  // Built with a writer-free format string so that the bytes look like what clients send.
  std::string messages = fmt::format(
      "{{\"role\":\"system\",\"content\":\"{}\"}}",
      "You are a careful senior engineer helping with a C++20 code base: a reverse proxy in front "
      "of OpenAI-compatible backends that records latency, token usage and errors of every "
      "request to SQLite. Answer precisely, show code when it helps, name the files you would "
      "change, and say when you are unsure. Prefer the standard library, Boost.Asio and fmt; "
      "never suggest blocking calls on the I/O threads.");
  const std::array<std::string_view, 6> turns{
      "The writer thread inserts batches of 1000 records in one transaction. How do I find out "
      "whether the rollup upserts or the raw inserts dominate, without a profiler build?",
      "Time the two parts separately inside insert(): wrap the raw INSERT loop and the rollup "
      "upserts in steady_clock reads, accumulate both per batch, and log the totals every "
      "million records. With perf on a RelWithDebInfo build you would see the same split in the "
      "sqlite3VdbeExec and histogram merge frames.",
      "Done: raw rows take about 1.2 s per 300k records, the rollups 0.9 s. The rollup table is "
      "keyed by bucket, model, streaming, success, error type, origin and endpoint, with three "
      "histograms per row.",
      "Then the key is the problem: every batch touches hundreds of distinct full keys, each "
      "upsert decodes, merges and re-encodes three histograms. Split the table: keep histograms "
      "only per (bucket, model, streaming) and count error types and origins in two small "
      "integer tables. That should cut the upserts per batch by a factor of five or six.",
      "Makes sense. What about the percentile accuracy after the split, and the migration of an "
      "existing 10 million row database?",
      "Percentiles come from the same log-scale histograms, merged over fewer rows, so the 1% "
      "bound holds. For the migration, convert the minute rows in one transaction after the "
      "backup, then drop the old tables; measure it on the scale database before shipping."};
  for (std::size_t i = 0; i < turns.size(); ++i)
    messages += fmt::format(",{{\"role\":\"{}\",\"content\":\"{}\"}}",
                            i % 2 == 0 ? "user" : "assistant", turns[i]);
  messages +=
      ",{\"role\":\"user\",\"content\":\"Write the migration as a function that takes the "
      "database handle, and list the statements it runs in order, with the indexes each new "
      "table needs for range reads by bucket. Keep it under eighty lines.\"}";
  std::string body = fmt::format(
      "{{\"model\":\"gpt-4o-mini\",\"messages\":[{}],\"temperature\":0.7,\"top_p\":0.95,"
      "\"max_tokens\":1024,\"presence_penalty\":0,\"frequency_penalty\":0.1,\"n\":1,"
      "\"stream\":true,\"stream_options\":{{\"include_usage\":true}},\"seed\":42,"
      "\"user\":\"user-8f2c41\"}}",
      messages);
  // Pad the system prompt's neighbourhood with a realistic tool-less metadata field up to 4 KB.
  if (body.size() < 4096) {
    const std::size_t room = 4096 - body.size();
    const std::string extra =
        ",\"metadata\":{\"session\":\"" + std::string(room > 28 ? room - 28 : 0, 'x') + "\"}";
    body.insert(body.size() - 1, extra);
  }
  return body;
}

std::string chat_completion_response() {
  return fmt::format(
      "{{\"id\":\"{}\",\"object\":\"chat.completion\",\"created\":1764384000,\"model\":\"{}\","
      "\"choices\":[{{\"index\":0,\"message\":{{\"role\":\"assistant\",\"content\":\"{}\","
      "\"refusal\":null,\"annotations\":[]}},\"logprobs\":null,\"finish_reason\":\"stop\"}}],"
      "\"usage\":{{\"prompt_tokens\":1014,\"completion_tokens\":243,\"total_tokens\":1257,"
      "\"prompt_tokens_details\":{{\"cached_tokens\":0,\"audio_tokens\":0}},"
      "\"completion_tokens_details\":{{\"reasoning_tokens\":0,\"audio_tokens\":0,"
      "\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}}},"
      "\"service_tier\":\"default\",\"system_fingerprint\":\"{}\"}}",
      kId, kModel,
      "Split the rollup table in two. Keep the histograms per (bucket, model, streaming) at "
      "1m, 5m, 1h and 1d, and count error types and origins per (bucket, name) in two small "
      "tables of integers. The migration runs after the backup, in one transaction: create the "
      "new tables with their primary keys on (bucket, ...), convert the minute rows with INSERT "
      "... SELECT grouped by the new keys, merge the histograms in C++ where SQL cannot, then "
      "drop the old tables. Each new table's primary key starts with the bucket, so every range "
      "read is a range search on it. Measure the migration on the 10 million record database "
      "before shipping it: it should take seconds, not minutes, and the file grows until later "
      "inserts reuse the freed pages.",
      kFingerprint);
}

TempDir::TempDir() {
  namespace fs = std::filesystem;
  for (int i = 0; i < 100; ++i) {
    const fs::path p =
        fs::temp_directory_path() / fmt::format("lmp_micro_bench.{}.{}", ::getpid(), i);
    if (fs::create_directory(p)) {
      path_ = p.string();
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary folder");
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::file(std::string_view name) const {
  return (std::filesystem::path(path_) / name).string();
}

const FilledStore& filled_store_100k() {
  static FilledStore f;
  static const bool ready = [] {
    storage::sqlite::SqliteOptions options;
    options.path = f.dir.file("summary.db");
    options.read_connections = 1;
    f.store = storage::sqlite::SqliteStore::open(options);
    RecordGenerator gen(kStartMs, kMeanGapMs, 7);
    std::vector<CompletionRecord> batch;
    for (int b = 0; b < 100; ++b) {
      batch.clear();
      for (int i = 0; i < 1000; ++i) batch.push_back(gen.next());
      if (b == 0) f.first_ms = batch.front().timestamp_ms;
      f.last_ms = batch.back().timestamp_ms;
      f.store->insert(batch);
    }
    return true;
  }();
  (void)ready;
  return f;
}

}  // namespace lmp::bench
