// lmp_fill_store: writes N realistic records spread over D days into an SQLite store through
// SqliteStore::insert in batches, as the recorder does (so rollups are built), and reports
// the write throughput. Used by bench/scale/run.sh; also a quick write benchmark on its own.
#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "common/record_generator.hpp"
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
    lmp::bench::RecordGenerator gen(
        start_ms, static_cast<double>(end_ms - start_ms) / static_cast<double>(o.records), o.seed);
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
