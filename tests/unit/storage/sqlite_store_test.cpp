#include "storage/sqlite/sqlite_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "storage/sqlite/sqlite_schema.hpp"
#include "storage_test_support.hpp"
#include "support/time.hpp"

namespace lmp::storage::sqlite {
namespace {

using testing::open_raw;
using testing::query_int;
using testing::query_text;
using testing::TempDir;

const std::int64_t kBase = *time::parse_iso8601("2025-08-01T12:00:00Z");

std::unique_ptr<SqliteStore> open_store(const std::string& path) {
  SqliteOptions o;
  o.path = path;
  o.busy_timeout = std::chrono::milliseconds(200);
  return SqliteStore::open(o);
}

llm::CompletionRecord full_record() {
  llm::CompletionRecord r;
  r.timestamp_ms = kBase + 123;
  r.endpoint = llm::Endpoint::completions;
  r.backend = "http://backend:11434";
  r.client_address = "10.0.0.7:51234";
  r.origin = "http://dashboard.local";
  r.api_key_fingerprint = "fp:1a2b3c";
  r.model = "llama3:8b";
  r.user = "alice";
  r.is_streaming = true;
  r.max_tokens = 256;
  r.temperature = 0.7;
  r.top_p = 0.95;
  r.message_count = 3;
  r.request_bytes = 1234;
  r.response_bytes = 56789;
  r.success = false;
  r.status_code = 200;
  r.error_type = llm::ErrorType::stream_interrupted;
  r.error_message = "backend closed the stream";
  r.finish_reason = "length";
  r.response_time_ms = 1234.567;
  r.time_to_first_byte_ms = 12.25;
  r.time_to_first_token_ms = 45.125;
  r.time_to_last_token_ms = 1200.875;
  r.max_inter_token_gap_ms = 250.5;
  r.prompt_tokens = 17;
  r.completion_tokens = 42;
  r.total_tokens = 59;
  r.tokens_per_second = 34.97;
  r.degraded = true;
  return r;
}

void expect_same(const llm::CompletionRecord& a, const llm::CompletionRecord& b) {
  EXPECT_EQ(a.timestamp_ms, b.timestamp_ms);
  EXPECT_EQ(a.endpoint, b.endpoint);
  EXPECT_EQ(a.backend, b.backend);
  EXPECT_EQ(a.client_address, b.client_address);
  EXPECT_EQ(a.origin, b.origin);
  EXPECT_EQ(a.api_key_fingerprint, b.api_key_fingerprint);
  EXPECT_EQ(a.model, b.model);
  EXPECT_EQ(a.user, b.user);
  EXPECT_EQ(a.is_streaming, b.is_streaming);
  EXPECT_EQ(a.max_tokens, b.max_tokens);
  EXPECT_EQ(a.temperature, b.temperature);
  EXPECT_EQ(a.top_p, b.top_p);
  EXPECT_EQ(a.message_count, b.message_count);
  EXPECT_EQ(a.request_bytes, b.request_bytes);
  EXPECT_EQ(a.response_bytes, b.response_bytes);
  EXPECT_EQ(a.success, b.success);
  EXPECT_EQ(a.status_code, b.status_code);
  EXPECT_EQ(a.error_type, b.error_type);
  EXPECT_EQ(a.error_message, b.error_message);
  EXPECT_EQ(a.finish_reason, b.finish_reason);
  EXPECT_EQ(a.response_time_ms, b.response_time_ms);
  EXPECT_EQ(a.time_to_first_byte_ms, b.time_to_first_byte_ms);
  EXPECT_EQ(a.time_to_first_token_ms, b.time_to_first_token_ms);
  EXPECT_EQ(a.time_to_last_token_ms, b.time_to_last_token_ms);
  EXPECT_EQ(a.max_inter_token_gap_ms, b.max_inter_token_gap_ms);
  EXPECT_EQ(a.prompt_tokens, b.prompt_tokens);
  EXPECT_EQ(a.completion_tokens, b.completion_tokens);
  EXPECT_EQ(a.total_tokens, b.total_tokens);
  EXPECT_EQ(a.tokens_per_second, b.tokens_per_second);
  EXPECT_EQ(a.degraded, b.degraded);
}

std::vector<StoredRecord> list_all(SqliteStore& store, RequestQuery q = {}) {
  q.limit = 100000;
  q.after.reset();
  return store.list_requests(q).rows;
}

TEST(SqliteStore, FreshDatabaseInNewFoldersJustWorks) {
  TempDir dir;
  const std::string path = dir.file("a/b/metrics.db");
  auto store = open_store(path);
  EXPECT_EQ(store->schema_version(), kSchemaVersion);
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "a/b/backups"));  // nothing to back up
  EXPECT_TRUE(store->list_requests({}).rows.empty());
  const auto s = store->summarize({});
  EXPECT_EQ(s.total, 0);
  EXPECT_FALSE(s.avg_response_time_ms);
  EXPECT_TRUE(s.model_distribution.empty());

  auto raw = open_raw(path);
  EXPECT_EQ(query_text(raw, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(query_text(raw, "SELECT group_concat(version) FROM schema_version ORDER BY id"),
            "3,4,5,6");
  EXPECT_EQ(query_int(raw,
                      "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = "
                      "'idx_completion_requests_timestamp'"),
            1);

  // Reopening a current database neither migrates nor backs up.
  store.reset();
  store = open_store(path);
  EXPECT_EQ(store->schema_version(), kSchemaVersion);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "a/b/backups"));
}

TEST(SqliteStore, RoundTripsEveryField) {
  TempDir dir;
  auto store = open_store(dir.file("metrics.db"));
  const auto full = full_record();
  llm::CompletionRecord minimal;  // every optional absent, every string empty
  minimal.timestamp_ms = kBase;
  minimal.success = true;
  std::vector<llm::CompletionRecord> batch{full, minimal};
  store->insert(batch);

  const auto rows = list_all(*store);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].id, 1);  // newest first
  expect_same(rows[0].record, full);
  EXPECT_EQ(rows[1].id, 2);
  expect_same(rows[1].record, minimal);

  // The stored form: our timestamp text, NULL for empty and absent, the build's version.
  auto raw = open_raw(dir.file("metrics.db"));
  EXPECT_EQ(query_text(raw, "SELECT timestamp FROM completion_requests WHERE id = 1"),
            "2025-08-01T12:00:00.123Z");
  EXPECT_EQ(query_text(raw, "SELECT endpoint FROM completion_requests WHERE id = 1"),
            "completions");
  EXPECT_EQ(query_text(raw, "SELECT error_type FROM completion_requests WHERE id = 1"),
            "stream_interrupted");
  EXPECT_EQ(query_text(raw, "SELECT app_version FROM completion_requests WHERE id = 1"),
            LMP_VERSION);
  EXPECT_EQ(query_int(raw,
                      "SELECT COUNT(*) FROM completion_requests WHERE id = 2 AND model IS NULL "
                      "AND origin IS NULL AND \"user\" IS NULL AND backend IS NULL AND "
                      "error_type IS NULL AND error_message IS NULL AND finish_reason IS NULL "
                      "AND status_code IS NULL AND total_tokens IS NULL AND "
                      "response_time_ms IS NULL AND temperature IS NULL"),
            1);
  EXPECT_EQ(query_text(raw, "SELECT endpoint FROM completion_requests WHERE id = 2"),
            "chat/completions");
}

TEST(SqliteStore, LargeBatchesRoundTripEveryRowInOrder) {
  // Rows go in 32 per statement and the rest one by one: 70 rows are two multi-row statements
  // and six single ones. Timestamps cross a day inside a statement (each row keeps its own
  // text), and every row differs, so a row bound at the wrong offset shows.
  TempDir dir;
  auto store = open_store(dir.file("metrics.db"));
  std::vector<llm::CompletionRecord> batch;
  for (int i = 0; i < 70; ++i) {
    llm::CompletionRecord r = i % 3 == 0 ? llm::CompletionRecord{} : full_record();
    r.timestamp_ms = kBase - 20 * rollup::kHourMs + i * rollup::kHourMs / 2 + i;
    r.model = "model-" + std::to_string(i);
    r.success = i % 2 == 0;
    if (i % 3 != 0) r.prompt_tokens = i;
    batch.push_back(r);
  }
  store->insert(batch);

  auto rows = list_all(*store);
  ASSERT_EQ(rows.size(), batch.size());
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  for (std::size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE("row " + std::to_string(i));
    EXPECT_EQ(rows[i].id, static_cast<std::int64_t>(i + 1));  // in the batch's order
    expect_same(rows[i].record, batch[i]);
  }
}

int yields_seen = 0;

TEST(SqliteStore, LongInsertsYieldTheCoreBetweenStatementsAndChangeNothing) {
  // 70 rows: statements of 32, 32 and six of 1. With a yield every 32 rows: after each of the
  // two long statements, and the six single rows (6 < 32) do not reach the next one; the count
  // carries over to the next insert.
  TempDir dir;
  SqliteOptions o;
  o.path = dir.file("metrics.db");
  o.yield_every_rows = 32;
  o.yield = [] { ++yields_seen; };
  yields_seen = 0;
  auto store = SqliteStore::open(o);
  std::vector<llm::CompletionRecord> batch;
  for (int i = 0; i < 70; ++i) {
    llm::CompletionRecord r = full_record();
    r.timestamp_ms = kBase + i;
    r.prompt_tokens = i;
    batch.push_back(r);
  }
  store->insert(batch);
  EXPECT_EQ(yields_seen, 2);
  store->insert(std::span<const llm::CompletionRecord>(batch).first(26));  // 6 + 26 = 32
  EXPECT_EQ(yields_seen, 3);

  auto rows = list_all(*store);
  ASSERT_EQ(rows.size(), 96u);
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  for (std::size_t i = 0; i < batch.size(); ++i) {
    SCOPED_TRACE("row " + std::to_string(i));
    expect_same(rows[i].record, batch[i]);
  }

  // 0: never.
  TempDir other;
  o.path = other.file("metrics.db");
  o.yield_every_rows = 0;
  yields_seen = 0;
  SqliteStore::open(o)->insert(batch);
  EXPECT_EQ(yields_seen, 0);
}

TEST(SqliteStore, ReleasingMemoryBetweenBatchesChangesNothing) {
  // The writer releases the caches and the batch aggregation when it falls idle; the next
  // batch must be written and rolled up as if it had not (rows, order, and the rollups behind
  // summarize).
  TempDir dir;
  auto store = open_store(dir.file("metrics.db"));
  std::vector<llm::CompletionRecord> batch;
  for (int i = 0; i < 80; ++i) {
    llm::CompletionRecord r = full_record();
    r.timestamp_ms = kBase + i * 1000;
    r.model = i % 2 == 0 ? "even" : "odd";
    r.success = i % 4 != 0;
    batch.push_back(r);
  }
  const std::span<const llm::CompletionRecord> all(batch);
  store->insert(all.first(40));
  ASSERT_EQ(store->summarize({}).total, 40);
  store->release_memory();
  store->insert(all.subspan(40));
  store->release_memory();
  store->release_memory();  // twice in a row, and with nothing cached

  auto rows = list_all(*store);
  ASSERT_EQ(rows.size(), batch.size());
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  for (std::size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE("row " + std::to_string(i));
    expect_same(rows[i].record, batch[i]);
  }
  const auto s = store->summarize({});
  EXPECT_EQ(s.total, 80);
  EXPECT_EQ(s.successful, 60);
  ASSERT_EQ(s.model_distribution.size(), 2u);
  EXPECT_EQ(s.model_distribution[0].count, 40);
  EXPECT_EQ(s.model_distribution[1].count, 40);
}

TEST(SqliteStore, IntegerDeclaredTimingColumnsKeepSubMillisecondReals) {
  TempDir dir;
  auto store = open_store(dir.file("metrics.db"));
  auto r = full_record();
  r.response_time_ms = 100.0;  // integral: INTEGER affinity stores it as 100, same value
  std::vector<llm::CompletionRecord> batch{r};
  store->insert(batch);
  auto raw = open_raw(dir.file("metrics.db"));
  EXPECT_EQ(query_text(raw, "SELECT typeof(time_to_first_token_ms) FROM completion_requests"),
            "real");
  EXPECT_EQ(query_text(raw, "SELECT typeof(time_to_last_token_ms) FROM completion_requests"),
            "real");
  EXPECT_EQ(query_text(raw, "SELECT typeof(response_time_ms) FROM completion_requests"), "integer");
  const auto back = list_all(*store).at(0).record;
  EXPECT_EQ(back.time_to_first_token_ms, 45.125);
  EXPECT_EQ(back.time_to_last_token_ms, 1200.875);
  EXPECT_EQ(back.response_time_ms, 100.0);
}

// The hand-made set for summarize; the expected numbers below are worked out by hand.
std::vector<llm::CompletionRecord> summary_set() {
  struct Row {
    int second;
    bool streamed;
    bool ok;
    llm::ErrorType error;
    const char* model;
    const char* origin;
    std::optional<std::int64_t> total, prompt, completion;
    std::optional<double> tps, response, ttft, ttlt;
  };
  using E = llm::ErrorType;
  const auto n = std::nullopt;
  const std::vector<Row> rows{
      // streamed
      {0, true, true, E::none, "llama3", "http://a", 30, 10, 20, 40.0, 1000, 100, 600},
      {10, true, true, E::none, "llama3", "http://b", n, 7, n, n, 2000, 300, n},
      {20, true, false, E::stream_interrupted, "qwen", "", 12, 4, 8, 20.0, 500, 50, 250},
      {30, true, false, E::rate_limit, "qwen", "http://a", n, n, n, n, 10, n, n},
      {40, true, false, E::stream_interrupted, "", "http://a", n, n, n, n, n, n, n},
      // non-streamed
      {50, false, true, E::none, "llama3", "http://b", 100, 60, 40, 10.5, 4000, 4000, 4000},
      {60, false, false, E::backend_error, "mistral", "http://b", n, n, n, n, 20.5, n, n},
      {70, false, false, E::none, "mistral", "", n, n, n, n, 30, n, n},
      {80, false, false, E::authentication, "llama3", "http://c", n, n, n, n, n, n, n},
      {90, false, false, E::backend_error, "zeta", "http://c", n, n, n, n, 10, n, n},
  };
  std::vector<llm::CompletionRecord> out;
  for (const auto& row : rows) {
    llm::CompletionRecord r;
    r.timestamp_ms = kBase + row.second * 1000;
    r.is_streaming = row.streamed;
    r.success = row.ok;
    r.error_type = row.error;
    r.model = row.model;
    r.origin = row.origin;
    r.total_tokens = row.total;
    r.prompt_tokens = row.prompt;
    r.completion_tokens = row.completion;
    r.tokens_per_second = row.tps;
    r.response_time_ms = row.response;
    r.time_to_first_token_ms = row.ttft;
    r.time_to_last_token_ms = row.ttlt;
    out.push_back(r);
  }
  return out;
}

TEST(SqliteStore, SummarizeMatchesHandComputedNumbers) {
  TempDir dir;
  auto store = open_store(dir.file("metrics.db"));
  store->insert(summary_set());
  const auto s = store->summarize({});

  EXPECT_EQ(s.total, 10);
  EXPECT_EQ(s.successful, 3);
  EXPECT_EQ(s.failed, 7);
  EXPECT_DOUBLE_EQ(*s.avg_response_time_ms, 7570.5 / 8);

  const auto& st = s.streamed;
  EXPECT_EQ(st.total, 5);
  EXPECT_EQ(st.successful, 2);
  EXPECT_EQ(st.failed, 3);
  EXPECT_EQ(st.tokens_reported_count, 2);
  EXPECT_EQ(st.tokens_total, 42);
  EXPECT_EQ(st.prompt_tokens_total, 14);  // the 7 of a row without total_tokens is left out
  EXPECT_EQ(st.completion_tokens_total, 28);
  EXPECT_DOUBLE_EQ(*st.avg_tokens_per_second, 30.0);
  EXPECT_DOUBLE_EQ(*st.avg_response_time_ms, 3510.0 / 4);
  EXPECT_DOUBLE_EQ(*st.avg_time_to_first_token_ms, 150.0);
  EXPECT_DOUBLE_EQ(*st.avg_time_to_last_token_ms, 425.0);
  EXPECT_DOUBLE_EQ(*st.avg_completion_duration_ms, 350.0);
  EXPECT_EQ(st.error_types,
            (std::vector<NamedCount>{{"stream_interrupted", 2}, {"rate_limit", 1}}));

  const auto& ns = s.non_streamed;
  EXPECT_EQ(ns.total, 5);
  EXPECT_EQ(ns.successful, 1);
  EXPECT_EQ(ns.failed, 4);
  EXPECT_EQ(ns.tokens_reported_count, 1);
  EXPECT_EQ(ns.tokens_total, 100);
  EXPECT_EQ(ns.prompt_tokens_total, 60);
  EXPECT_EQ(ns.completion_tokens_total, 40);
  EXPECT_DOUBLE_EQ(*ns.avg_tokens_per_second, 10.5);
  EXPECT_DOUBLE_EQ(*ns.avg_response_time_ms, 4060.5 / 4);
  EXPECT_DOUBLE_EQ(*ns.avg_time_to_first_token_ms, 4000.0);
  EXPECT_DOUBLE_EQ(*ns.avg_time_to_last_token_ms, 4000.0);
  EXPECT_DOUBLE_EQ(*ns.avg_completion_duration_ms, 0.0);
  EXPECT_EQ(ns.error_types, (std::vector<NamedCount>{{"backend_error", 2}, {"authentication", 1}}));

  EXPECT_EQ(s.model_distribution,
            (std::vector<NamedCount>{{"llama3", 4}, {"mistral", 2}, {"qwen", 2}, {"zeta", 1}}));
  EXPECT_EQ(s.origin_distribution,
            (std::vector<NamedCount>{{"http://a", 3}, {"http://b", 3}, {"http://c", 2}}));
}

TEST(SqliteStore, SummarizeRangeIsInclusiveOnBothEnds) {
  TempDir dir;
  auto store = open_store(dir.file("metrics.db"));
  store->insert(summary_set());

  // Seconds 10..50: four streamed rows (10, 20, 30, 40) and one non-streamed (50).
  const auto s = store->summarize({kBase + 10'000, kBase + 50'000});
  EXPECT_EQ(s.total, 5);
  EXPECT_EQ(s.streamed.total, 4);
  EXPECT_EQ(s.streamed.tokens_reported_count, 1);
  EXPECT_EQ(s.streamed.tokens_total, 12);
  EXPECT_DOUBLE_EQ(*s.streamed.avg_time_to_first_token_ms, 175.0);  // (300 + 50) / 2
  EXPECT_EQ(s.non_streamed.total, 1);
  EXPECT_TRUE(s.non_streamed.error_types.empty());
  EXPECT_EQ(s.model_distribution, (std::vector<NamedCount>{{"llama3", 2}, {"qwen", 2}}));

  // One millisecond either way leaves an end row out.
  EXPECT_EQ(store->summarize({kBase + 10'001, kBase + 50'000}).total, 4);
  EXPECT_EQ(store->summarize({kBase + 10'000, kBase + 49'999}).total, 4);
  // Open ends.
  EXPECT_EQ(store->summarize({kBase + 50'000, std::nullopt}).total, 5);
  EXPECT_EQ(store->summarize({std::nullopt, kBase + 50'000}).total, 6);
  // A single instant.
  EXPECT_EQ(store->summarize({kBase + 90'000, kBase + 90'000}).total, 1);
  EXPECT_EQ(store->summarize({kBase + 91'000, kBase + 92'000}).total, 0);

  RequestQuery q;
  q.range = {kBase + 10'000, kBase + 50'000};
  const auto rows = list_all(*store, q);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows.front().record.timestamp_ms, kBase + 50'000);
  EXPECT_EQ(rows.back().record.timestamp_ms, kBase + 10'000);
}

// 60 rows, four per millisecond, inserted out of time order so that id order and time order
// differ.
std::vector<llm::CompletionRecord> paging_set() {
  std::vector<llm::CompletionRecord> out;
  for (int k = 0; k < 60; ++k) {
    const int i = (k * 7) % 60;
    llm::CompletionRecord r;
    r.timestamp_ms = kBase + (i / 4);
    r.model = i % 2 ? "a" : "b";
    r.is_streaming = i % 3 == 0;
    r.success = i % 5 != 0;
    r.error_type = r.success ? llm::ErrorType::none : llm::ErrorType::backend_timeout;
    out.push_back(r);
  }
  return out;
}

std::vector<std::int64_t> ids_by_paging(SqliteStore& store, RequestQuery q, std::size_t limit) {
  q.limit = limit;
  q.after.reset();
  std::vector<std::int64_t> ids;
  for (int pages = 0; pages < 1000; ++pages) {
    const auto page = store.list_requests(q);
    EXPECT_LE(page.rows.size(), limit);
    for (const auto& row : page.rows) ids.push_back(row.id);
    if (!page.next) break;
    EXPECT_EQ(page.rows.size(), limit);                  // next only after a full page
    q.after = decode_cursor(encode_cursor(*page.next));  // as a client would send it back
  }
  return ids;
}

TEST(SqliteStore, PagingReproducesTheOrderedListExactlyOnce) {
  TempDir dir;
  auto store = open_store(dir.file("metrics.db"));
  const auto set = paging_set();
  store->insert(std::span(set).subspan(0, 25));  // two transactions
  store->insert(std::span(set).subspan(25));

  const auto all = list_all(*store);
  ASSERT_EQ(all.size(), 60u);
  for (std::size_t i = 1; i < all.size(); ++i) {
    const auto& a = all[i - 1];
    const auto& b = all[i];
    EXPECT_TRUE(a.record.timestamp_ms > b.record.timestamp_ms ||
                (a.record.timestamp_ms == b.record.timestamp_ms && a.id > b.id))
        << "at " << i;
  }
  std::vector<std::int64_t> expected;
  for (const auto& r : all) expected.push_back(r.id);

  for (std::size_t limit : {1u, 4u, 5u, 7u, 59u, 60u, 61u})
    EXPECT_EQ(ids_by_paging(*store, {}, limit), expected) << "limit " << limit;

  // 60 rows in pages of 5: the twelfth page is full and has no next.
  RequestQuery q;
  q.limit = 5;
  q.after = Cursor{all[54].record.timestamp_ms, all[54].id};
  const auto last = store->list_requests(q);
  EXPECT_EQ(last.rows.size(), 5u);
  EXPECT_FALSE(last.next);
}

TEST(SqliteStore, PagingWithFiltersAndRange) {
  TempDir dir;
  auto store = open_store(dir.file("metrics.db"));
  store->insert(paging_set());
  const auto all = list_all(*store);

  RequestQuery q;
  q.model = "a";
  q.is_streaming = true;
  q.range = {kBase + 2, kBase + 12};
  std::vector<std::int64_t> expected;
  for (const auto& r : all)
    if (r.record.model == "a" && r.record.is_streaming && r.record.timestamp_ms >= kBase + 2 &&
        r.record.timestamp_ms <= kBase + 12)
      expected.push_back(r.id);
  ASSERT_GE(expected.size(), 3u);
  for (std::size_t limit : {1u, 2u, 3u, 100u}) EXPECT_EQ(ids_by_paging(*store, q, limit), expected);

  RequestQuery failed;
  failed.success = false;
  failed.error_type = "backend_timeout";
  failed.is_streaming = false;
  expected.clear();
  for (const auto& r : all)
    if (!r.record.success && !r.record.is_streaming) expected.push_back(r.id);
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(ids_by_paging(*store, failed, 2), expected);

  RequestQuery none;
  none.model = "no such model";
  EXPECT_TRUE(store->list_requests(none).rows.empty());
}

TEST(SqliteStore, PageQueryUsesTheTimestampIndexWithoutSorting) {
  TempDir dir;
  auto store = open_store(dir.file("metrics.db"));
  auto raw = open_raw(dir.file("metrics.db"));
  auto st = raw.prepare(
      "EXPLAIN QUERY PLAN SELECT id FROM completion_requests WHERE timestamp >= ? AND "
      "timestamp <= ? AND timestamp <= ? AND (timestamp < ? OR id < ?) AND model = ? "
      "ORDER BY timestamp DESC, id DESC LIMIT ?");
  std::string plan;
  while (st.step()) plan += st.column_text(3) + "\n";
  EXPECT_NE(plan.find("idx_completion_requests_timestamp"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
}

TEST(SqliteStore, FailedInsertRollsBackWholeBatchAndStoreStaysUsable) {
  TempDir dir;
  const std::string path = dir.file("metrics.db");
  auto store = open_store(path);
  {
    auto raw = open_raw(path);
    raw.exec(
        "CREATE TRIGGER refuse BEFORE INSERT ON completion_requests WHEN NEW.model = 'boom' "
        "BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END;");
  }
  auto a = full_record();
  a.user = "secret-user";
  auto b = a;
  b.model = "boom";
  std::vector<llm::CompletionRecord> batch{a, b, a};
  try {
    store->insert(batch);
    FAIL() << "insert should have thrown";
  } catch (const StoreError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find("rolled back"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("secret-user"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("fp:1a2b3c"), std::string::npos) << msg;
  }
  EXPECT_TRUE(list_all(*store).empty());

  std::vector<llm::CompletionRecord> good{a, a};
  store->insert(good);
  EXPECT_EQ(list_all(*store).size(), 2u);
}

TEST(SqliteStore, InsertOnLockedDatabaseThrowsThenRecovers) {
  TempDir dir;
  const std::string path = dir.file("metrics.db");
  auto store = open_store(path);  // busy timeout 200 ms
  auto raw = open_raw(path);
  raw.exec("BEGIN IMMEDIATE");
  std::vector<llm::CompletionRecord> batch{full_record()};
  try {
    store->insert(batch);
    FAIL() << "insert should have thrown";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("lock"), std::string::npos) << e.what();
  }
  raw.exec("COMMIT");
  store->insert(batch);
  EXPECT_EQ(list_all(*store).size(), 1u);
}

TEST(SqliteStore, ReadOnlyOptionReadsButRefusesInserts) {
  TempDir dir;
  const std::string path = dir.file("metrics.db");
  {
    auto writer = open_store(path);
    writer->insert(summary_set());
  }
  SqliteOptions o;
  o.path = path;
  o.read_only = true;
  auto store = SqliteStore::open(o);
  EXPECT_EQ(store->summarize({}).total, 10);
  std::vector<llm::CompletionRecord> batch{full_record()};
  EXPECT_THROW(store->insert(batch), StoreError);

  o.path = dir.file("absent.db");
  EXPECT_THROW(SqliteStore::open(o), StoreError);
}

TEST(SqliteStore, ConcurrentReadsWhileInserting) {
  TempDir dir;
  SqliteOptions o;
  o.path = dir.file("metrics.db");
  o.read_connections = 2;  // fewer connections than readers: the pool must make them wait
  auto store = SqliteStore::open(o);

  std::atomic<bool> done{false};
  std::atomic<int> reader_errors{0};
  std::atomic<int> reads{0};
  auto reader = [&](int which) {
    std::int64_t last_total = 0;
    while (!done.load()) {
      try {
        if (which % 2 == 0) {
          const auto s = store->summarize({});
          // A snapshot: the parts always add up, and totals never go back.
          if (s.total != s.streamed.total + s.non_streamed.total || s.total < last_total ||
              s.total % 20 != 0)
            ++reader_errors;
          last_total = s.total;
        } else {
          RequestQuery q;
          q.limit = 15;
          const auto page = store->list_requests(q);
          if (page.rows.size() > 15) ++reader_errors;
        }
        ++reads;
      } catch (const std::exception&) {
        ++reader_errors;
      }
    }
  };
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) readers.emplace_back(reader, i);

  auto batch = paging_set();
  batch.resize(20);
  for (int i = 0; i < 50; ++i) store->insert(batch);
  done = true;
  for (auto& t : readers) t.join();

  EXPECT_EQ(reader_errors.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(store->summarize({}).total, 1000);
}

TEST(SqliteStore, TimestampsRoundTripAcrossDaysAndSigns) {
  // The write path formats timestamps with a per-day cache: every millisecond field, day
  // changes within a batch, and times before the epoch must read back exactly.
  TempDir dir;
  SqliteOptions o;
  o.path = dir.file("metrics.db");
  auto store = SqliteStore::open(o);
  const std::vector<std::int64_t> times{0,
                                        1,
                                        999,
                                        86'399'999,
                                        86'400'000,
                                        -1,
                                        -86'400'000,
                                        -86'400'001,
                                        1'772'395'199'999,
                                        1'772'395'200'000,
                                        1'772'398'861'001,
                                        253'402'300'799'999,
                                        12'345'678'901};
  std::vector<llm::CompletionRecord> records;
  for (const auto t : times) {
    llm::CompletionRecord r;
    r.timestamp_ms = t;
    r.model = "m";
    r.success = true;
    records.push_back(r);
  }
  store->insert(records);
  RequestQuery q;
  q.limit = 100;
  auto page = store->list_requests(q);
  std::vector<std::int64_t> got;
  for (const auto& row : page.rows) got.push_back(row.record.timestamp_ms);
  auto want = times;
  std::sort(want.begin(), want.end(), std::greater<>());
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace lmp::storage::sqlite
