// lmp_fill_store: writes N realistic records spread over D days into an SQLite store through
// SqliteStore::insert in batches, as the recorder does (so rollups are built), and reports
// the write throughput. Used by bench/scale/run.sh; also a quick write benchmark on its own.
#include <fmt/format.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numbers>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "storage/sqlite/sqlite_store.hpp"
#include "support/time.hpp"

namespace {

using lmp::llm::CompletionRecord;
using lmp::llm::Endpoint;
using lmp::llm::ErrorType;

struct Options {
  std::string db;
  std::int64_t records = 1'000'000;
  double days = 30;
  std::size_t batch = 1000;
  std::int64_t end_ms = 0;  // 0: now
  std::uint64_t seed = 1;
};

// A served model: how fast it starts and decodes, and how much of the traffic it gets.
struct Model {
  const char* name;
  double weight;
  double ttft_ms;
  double tokens_per_second;
  Endpoint endpoint;
};

constexpr std::array<Model, 6> kModels{{
    {"llama3.1:8b", 0.35, 180, 75, Endpoint::chat_completions},
    {"qwen2.5:14b", 0.20, 320, 42, Endpoint::chat_completions},
    {"mistral:7b", 0.15, 150, 90, Endpoint::chat_completions},
    {"llama3.1:70b", 0.10, 900, 14, Endpoint::chat_completions},
    {"qwen2.5-coder:7b", 0.12, 200, 80, Endpoint::completions},
    {"nomic-embed-text", 0.08, 25, 0, Endpoint::embeddings},
}};

constexpr std::array<const char*, 5> kOrigins{"http://localhost:3000", "https://chat.example.com",
                                              "http://10.0.0.5:8080", "vscode-webview://coder", ""};
constexpr std::array<double, 5> kOriginWeights{0.45, 0.25, 0.1, 0.1, 0.1};

// Failures (about 3%): mostly backend trouble, some client mistakes.
constexpr std::array<ErrorType, 8> kErrors{
    ErrorType::backend_error,       ErrorType::backend_timeout, ErrorType::stream_interrupted,
    ErrorType::client_disconnected, ErrorType::rate_limit,      ErrorType::invalid_request,
    ErrorType::backend_unreachable, ErrorType::not_found};
constexpr std::array<double, 8> kErrorWeights{0.3, 0.15, 0.15, 0.15, 0.1, 0.08, 0.05, 0.02};
constexpr std::array<int, 8> kErrorStatus{500, 504, 200, 0, 429, 400, 502, 404};

class Generator {
 public:
  Generator(const Options& o, std::int64_t start_ms, std::int64_t end_ms)
      : rng_(o.seed),
        start_ms_(static_cast<double>(start_ms)),
        mean_gap_ms_(static_cast<double>(end_ms - start_ms) / static_cast<double>(o.records)),
        t_(start_ms_) {
    std::vector<double> w;
    for (const auto& m : kModels) w.push_back(m.weight);
    model_ = std::discrete_distribution<int>(w.begin(), w.end());
    origin_ = std::discrete_distribution<int>(kOriginWeights.begin(), kOriginWeights.end());
    error_ = std::discrete_distribution<int>(kErrorWeights.begin(), kErrorWeights.end());
  }

  CompletionRecord next() {
    // Arrivals follow a daily cycle (busiest at 14:00 UTC, quietest at 02:00): exponential
    // gaps whose rate follows the hour, averaging out to N records over the span.
    const double hour = std::fmod(t_ / 3.6e6, 24.0);
    const double rate = 1.0 + 0.6 * std::sin((hour - 8.0) / 24.0 * 2 * std::numbers::pi);
    t_ += std::exponential_distribution<double>(1.0)(rng_) * mean_gap_ms_ / rate;

    CompletionRecord r;
    r.timestamp_ms = static_cast<std::int64_t>(t_);
    const Model& m = kModels[static_cast<std::size_t>(model_(rng_))];
    r.model = m.name;
    r.endpoint = m.endpoint;
    r.origin = kOrigins[static_cast<std::size_t>(origin_(rng_))];
    r.backend = "http://localhost:11434";
    r.client_address = fmt::format("10.0.{}.{}", rng_() % 4, rng_() % 250);
    r.is_streaming = m.endpoint != Endpoint::embeddings && unit_(rng_) < 0.65;
    r.message_count = static_cast<std::int64_t>(1 + rng_() % 12);
    r.max_tokens = 1024;
    r.temperature = 0.7;
    r.request_bytes = static_cast<std::int64_t>(200 + rng_() % 8000);

    const auto prompt =
        static_cast<std::int64_t>(std::lognormal_distribution<double>(5.5, 1)(rng_));
    const auto completion =
        m.endpoint == Endpoint::embeddings
            ? 0
            : static_cast<std::int64_t>(1 + std::lognormal_distribution<double>(5.3, 0.8)(rng_));
    const double ttft =
        m.ttft_ms * std::lognormal_distribution<double>(0, 0.35)(rng_) + prompt * 0.05;
    const double speed = m.tokens_per_second * std::lognormal_distribution<double>(0, 0.15)(rng_);
    const double decode = speed > 0 ? static_cast<double>(completion) / speed * 1000 : 0;

    if (unit_(rng_) < 0.03) {
      const auto e = static_cast<std::size_t>(error_(rng_));
      r.success = false;
      r.error_type = kErrors[e];
      r.status_code = kErrorStatus[e];
      r.error_message = "simulated failure";
      r.response_time_ms = kErrors[e] == ErrorType::backend_timeout ? 60000.0 : ttft * unit_(rng_);
      if (kErrors[e] == ErrorType::stream_interrupted && r.is_streaming) {
        r.time_to_first_token_ms = ttft;
        r.time_to_last_token_ms = ttft + decode * 0.4;
        r.response_time_ms = *r.time_to_last_token_ms + 1;
      }
      return r;
    }
    r.success = true;
    r.status_code = 200;
    r.finish_reason = unit_(rng_) < 0.85 ? "stop" : "length";
    const double last = ttft + decode;
    r.time_to_first_byte_ms = ttft * 0.8;
    r.time_to_first_token_ms = r.is_streaming ? ttft : last + 0.3;
    r.time_to_last_token_ms = r.is_streaming ? last : last + 0.3;
    r.response_time_ms = last + 0.3;
    r.max_inter_token_gap_ms = r.is_streaming ? 1000 / std::max(speed, 1.0) * 3 : 0;
    r.response_bytes = completion * 6 + 300;
    // Streams report usage only when asked (include_usage): most clients do.
    if (!r.is_streaming || unit_(rng_) < 0.9) {
      r.prompt_tokens = prompt;
      r.completion_tokens = completion;
      r.total_tokens = prompt + completion;
      if (completion > 0) r.tokens_per_second = completion / (*r.time_to_last_token_ms / 1000);
    }
    return r;
  }

 private:
  std::mt19937_64 rng_;
  double start_ms_;
  double mean_gap_ms_;
  double t_;
  std::uniform_real_distribution<double> unit_{0, 1};
  std::discrete_distribution<int> model_, origin_, error_;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "%s\nusage: lmp_fill_store --db PATH [--records N] [--days D] [--batch B] "
               "[--end-ms UNIX_MS] [--seed S]\n",
               why);
  std::exit(2);
}

template <class T>
T number(std::string_view flag, const char* text) {
  T v{};
  const auto* end = text + std::strlen(text);
  auto [p, ec] = std::from_chars(text, end, v);
  if (ec != std::errc{} || p != end)
    usage(fmt::format("bad value for {}: '{}'", flag, text).c_str());
  return v;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) usage(fmt::format("{} needs a value", flag).c_str());
    const char* v = argv[++i];
    if (flag == "--db") {
      o.db = v;
    } else if (flag == "--records") {
      o.records = number<std::int64_t>(flag, v);
    } else if (flag == "--days") {
      o.days = number<double>(flag, v);
    } else if (flag == "--batch") {
      o.batch = number<std::size_t>(flag, v);
    } else if (flag == "--end-ms") {
      o.end_ms = number<std::int64_t>(flag, v);
    } else if (flag == "--seed") {
      o.seed = number<std::uint64_t>(flag, v);
    } else {
      usage(fmt::format("unknown flag {}", flag).c_str());
    }
  }
  if (o.db.empty()) usage("--db is required");
  if (o.records <= 0 || o.days <= 0 || o.batch == 0) usage("N, D and B must be positive");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  using Clock = std::chrono::steady_clock;
  const std::int64_t end_ms = o.end_ms ? o.end_ms : lmp::time::now_unix_ms();
  const std::int64_t start_ms = end_ms - static_cast<std::int64_t>(o.days * 86'400'000.0);
  try {
    lmp::storage::sqlite::SqliteOptions so;
    so.path = o.db;
    so.read_connections = 1;
    auto store = lmp::storage::sqlite::SqliteStore::open(so);
    Generator gen(o, start_ms, end_ms);
    std::vector<CompletionRecord> batch;
    batch.reserve(o.batch);
    Clock::duration in_insert{};
    const auto t0 = Clock::now();
    std::int64_t written = 0, next_report = 1'000'000;
    while (written < o.records) {
      batch.clear();
      const auto n =
          std::min<std::int64_t>(static_cast<std::int64_t>(o.batch), o.records - written);
      for (std::int64_t i = 0; i < n; ++i) batch.push_back(gen.next());
      const auto a = Clock::now();
      store->insert(batch);
      in_insert += Clock::now() - a;
      written += n;
      if (written >= next_report) {
        std::fprintf(
            stderr, "  %lld records, %.0f records/s in insert()\n", static_cast<long long>(written),
            static_cast<double>(written) / std::chrono::duration<double>(in_insert).count());
        next_report += 1'000'000;
      }
    }
    const double insert_s = std::chrono::duration<double>(in_insert).count();
    const double total_s = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf(
        "inserted %lld records (batches of %zu, rollups included) from %s to %s\n"
        "insert(): %.2f s, %.0f records/s; with generation: %.2f s\n",
        static_cast<long long>(written), o.batch, lmp::time::format_iso8601_utc(start_ms).c_str(),
        lmp::time::format_iso8601_utc(end_ms).c_str(), insert_s,
        static_cast<double>(written) / insert_s, total_s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lmp_fill_store: %s\n", e.what());
    return 1;
  }
  return 0;
}
