#include "storage/sqlite/sqlite_rollups.hpp"

#include <fmt/format.h>

#include <array>

#include "llm/error_type.hpp"
#include "support/time.hpp"

namespace lmp::storage::sqlite {
namespace {

using rollup::Aggregate;
using rollup::Batch;
using rollup::LogHistogram;
using rollup::Tier;

constexpr std::array<const char*, 4> kTables{"", "rollup_minute", "rollup_hour", "rollup_day"};

// Key columns, then the sums (added on conflict), then the histograms (merged on conflict).
constexpr std::array<const char*, 7> kKeyColumns{"bucket",     "model",  "is_streaming", "success",
                                                 "error_type", "origin", "endpoint"};
constexpr std::array<const char*, 15> kSumColumns{
    "requests",   "tokens_reported", "tokens_total", "prompt_tokens", "completion_tokens",
    "tps_sum",    "tps_count",       "rt_sum",       "rt_count",      "ttft_sum",
    "ttft_count", "ttlt_sum",        "ttlt_count",   "cd_sum",        "cd_count"};
constexpr std::array<const char*, 3> kHistColumns{"rt_hist", "ttft_hist", "tpot_hist"};

// The rollup SELECT's columns: the key without the endpoint, the sums, the histograms.
constexpr int kColRequests = 6;
constexpr int kColHists = kColRequests + static_cast<int>(kSumColumns.size());

std::string create_table_sql(const char* table) {
  return fmt::format(
      "CREATE TABLE IF NOT EXISTS {} ("
      "bucket INTEGER NOT NULL, model TEXT NOT NULL, is_streaming INTEGER NOT NULL, "
      "success INTEGER NOT NULL, error_type TEXT NOT NULL, origin TEXT NOT NULL, "
      "endpoint TEXT NOT NULL, "
      "requests INTEGER NOT NULL, tokens_reported INTEGER NOT NULL, "
      "tokens_total INTEGER NOT NULL, prompt_tokens INTEGER NOT NULL, "
      "completion_tokens INTEGER NOT NULL, tps_sum REAL NOT NULL, tps_count INTEGER NOT NULL, "
      "rt_sum REAL NOT NULL, rt_count INTEGER NOT NULL, ttft_sum REAL NOT NULL, "
      "ttft_count INTEGER NOT NULL, ttlt_sum REAL NOT NULL, ttlt_count INTEGER NOT NULL, "
      "cd_sum REAL NOT NULL, cd_count INTEGER NOT NULL, "
      "rt_hist BLOB, ttft_hist BLOB, tpot_hist BLOB, "
      "PRIMARY KEY (bucket, model, is_streaming, success, error_type, origin, endpoint)"
      ") WITHOUT ROWID",
      table);
}

std::string upsert_sql(const char* table) {
  std::string cols, values, updates;
  auto add_col = [&](const char* c) {
    if (!cols.empty()) {
      cols += ", ";
      values += ", ";
    }
    cols += c;
    values += "?";
  };
  for (const char* c : kKeyColumns) add_col(c);
  for (const char* c : kSumColumns) {
    add_col(c);
    updates += fmt::format("{0}{1} = {1} + excluded.{1}", updates.empty() ? "" : ", ", c);
  }
  for (const char* c : kHistColumns) {
    add_col(c);
    updates += fmt::format(", {0} = lmp_hist_merge({0}, excluded.{0})", c);
  }
  std::string key;
  for (const char* c : kKeyColumns) key += key.empty() ? c : fmt::format(", {}", c);
  return fmt::format("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT({}) DO UPDATE SET {}", table,
                     cols, values, key, updates);
}

std::string select_sql(const char* table) {
  std::string cols = "bucket, model, is_streaming, success, error_type, origin";
  for (const char* c : kSumColumns) cols += fmt::format(", {}", c);
  for (const char* c : kHistColumns) cols += fmt::format(", {}", c);
  return fmt::format("SELECT {} FROM {}", cols, table);
}

void check(int rc, sqlite3* db) {
  if (rc != SQLITE_OK) throw SqliteFailure{rc, sqlite3_errmsg(db)};
}

// Key text is never NULL (NULLs are distinct in a primary key, so ON CONFLICT would miss them);
// the views outlive the step, so SQLite need not copy them.
void bind_key_text(Statement& st, int i, std::string_view v) {
  check(sqlite3_bind_text64(st.get(), i, v.empty() ? "" : v.data(), v.size(), SQLITE_STATIC,
                            SQLITE_UTF8),
        sqlite3_db_handle(st.get()));
}

void bind_blob_static(Statement& st, int i, const std::string& v) {
  if (v.empty()) {
    check(sqlite3_bind_null(st.get(), i), sqlite3_db_handle(st.get()));
    return;
  }
  check(sqlite3_bind_blob64(st.get(), i, v.data(), v.size(), SQLITE_STATIC),
        sqlite3_db_handle(st.get()));
}

void hist_merge(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const auto blob = [](sqlite3_value* v) -> std::string_view {
    if (sqlite3_value_type(v) == SQLITE_NULL) return {};
    const void* p = sqlite3_value_blob(v);
    return p ? std::string_view(static_cast<const char*>(p),
                                static_cast<std::size_t>(sqlite3_value_bytes(v)))
             : std::string_view{};
  };
  const std::string_view stored = blob(argv[0]);
  const std::string_view added = blob(argv[1]);
  auto merged = rollup::merge_encoded(stored, added);
  if (!merged) {
    // The stored one is damaged (the new one was just encoded): keep what can be trusted.
    merged = rollup::merge_encoded({}, added);
    if (!merged) merged = std::string(stored);
  }
  if (merged->empty()) {
    sqlite3_result_null(ctx);
  } else {
    sqlite3_result_blob64(ctx, merged->data(), merged->size(), SQLITE_TRANSIENT);
  }
}

}  // namespace

const char* const kSampleColumns =
    "timestamp, model, error_type, origin, endpoint, is_streaming, success, total_tokens, "
    "prompt_tokens, completion_tokens, tokens_per_second, response_time_ms, "
    "time_to_first_token_ms, time_to_last_token_ms";

void register_rollup_functions(Database& db) {
  check(
      sqlite3_create_function_v2(db.get(), "lmp_hist_merge", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                 nullptr, &hist_merge, nullptr, nullptr, nullptr),
      db.get());
}

void create_rollup_tables(Database& db) {
  for (Tier t : {Tier::minute, Tier::hour, Tier::day})
    db.exec(create_table_sql(kTables[static_cast<int>(t)]).c_str());
}

rollup::Sample sample_from_row(const Statement& st) {
  rollup::Sample s;
  s.time_ms = time::parse_iso8601(st.column_view(0)).value_or(rollup::kUnknownTimeMs);
  s.model = st.column_view(1);
  s.error_type = st.column_view(2);
  s.origin = st.column_view(3);
  s.endpoint = st.column_view(4);
  // As the raw summary reads them: NULL is_streaming counts as not streamed.
  s.is_streaming = st.column_int(5) != 0;
  s.success = st.column_int(6) != 0;
  s.total_tokens = st.column_opt_int(7);
  s.prompt_tokens = st.column_opt_int(8);
  s.completion_tokens = st.column_opt_int(9);
  s.tokens_per_second = st.column_opt_double(10);
  s.response_time_ms = st.column_opt_double(11);
  s.time_to_first_token_ms = st.column_opt_double(12);
  s.time_to_last_token_ms = st.column_opt_double(13);
  return s;
}

rollup::Sample sample_from_record(const llm::CompletionRecord& r) {
  rollup::Sample s;
  s.time_ms = r.timestamp_ms;
  s.model = r.model;
  s.error_type = llm::to_string(r.error_type);
  s.origin = r.origin;
  s.endpoint = llm::to_string(r.endpoint);
  s.is_streaming = r.is_streaming;
  s.success = r.success;
  s.total_tokens = r.total_tokens;
  s.prompt_tokens = r.prompt_tokens;
  s.completion_tokens = r.completion_tokens;
  s.tokens_per_second = r.tokens_per_second;
  s.response_time_ms = r.response_time_ms;
  s.time_to_first_token_ms = r.time_to_first_token_ms;
  s.time_to_last_token_ms = r.time_to_last_token_ms;
  return s;
}

RollupWriter::RollupWriter(Database& db)
    : minute_(db.prepare(upsert_sql(kTables[1]), true)),
      hour_(db.prepare(upsert_sql(kTables[2]), true)),
      day_(db.prepare(upsert_sql(kTables[3]), true)) {}

void RollupWriter::write(const Batch& minutes) {
  if (minutes.size() == 0) return;
  upsert(minute_, minutes);
  Batch hours(rollup::kHourMs);
  hours.merge_from(minutes);
  upsert(hour_, hours);
  Batch days(rollup::kDayMs);
  days.merge_from(hours);
  upsert(day_, days);
}

void RollupWriter::upsert(Statement& st, const Batch& batch) {
  StatementReset reset(st);
  std::array<std::string, 3> hists;
  for (const auto& [k, a] : batch.entries()) {
    int i = 0;
    st.bind_int(++i, k.bucket_ms);
    bind_key_text(st, ++i, k.model);
    st.bind_int(++i, k.is_streaming ? 1 : 0);
    st.bind_int(++i, k.success ? 1 : 0);
    bind_key_text(st, ++i, k.error_type);
    bind_key_text(st, ++i, k.origin);
    bind_key_text(st, ++i, k.endpoint);
    st.bind_int(++i, a.requests);
    st.bind_int(++i, a.tokens_reported);
    st.bind_int(++i, a.tokens_total);
    st.bind_int(++i, a.prompt_tokens);
    st.bind_int(++i, a.completion_tokens);
    for (const rollup::Sum* s : {&a.tokens_per_second, &a.response_time, &a.time_to_first_token,
                                 &a.time_to_last_token, &a.completion_duration}) {
      st.bind_double(++i, s->sum);
      st.bind_int(++i, s->count);
    }
    hists[0] = a.response_time_hist.encode();
    hists[1] = a.time_to_first_token_hist.encode();
    hists[2] = a.time_per_output_token_hist.encode();
    for (const auto& h : hists) bind_blob_static(st, ++i, h);
    st.step();
    sqlite3_reset(st.get());  // bindings are all replaced by the next row
  }
}

void build_rollups_from_raw(Database& db) {
  register_rollup_functions(db);
  RollupWriter writer(db);
  // Bounds memory on huge tables: a flush upserts, so a key split across flushes still sums.
  constexpr std::size_t kFlushKeys = 50'000;
  Batch batch(rollup::kMinuteMs);
  auto st = db.prepare(fmt::format("SELECT {} FROM completion_requests", kSampleColumns));
  while (st.step()) {
    batch.add(sample_from_row(st));
    if (batch.size() >= kFlushKeys) {
      writer.write(batch);
      batch.clear();
    }
  }
  writer.write(batch);
}

std::int64_t RollupRowView::requests() const {
  return aggregate ? aggregate->requests : row->column_int(kColRequests);
}

void RollupRowView::merge_into(Aggregate& t, bool with_tpot) const {
  if (aggregate) {
    if (with_tpot) {
      t.merge(*aggregate);
    } else {  // histograms are the costly part: leave the unused one out
      t.requests += aggregate->requests;
      t.successful += aggregate->successful;
      t.tokens_reported += aggregate->tokens_reported;
      t.tokens_total += aggregate->tokens_total;
      t.prompt_tokens += aggregate->prompt_tokens;
      t.completion_tokens += aggregate->completion_tokens;
      t.tokens_per_second.add(aggregate->tokens_per_second);
      t.response_time.add(aggregate->response_time);
      t.time_to_first_token.add(aggregate->time_to_first_token);
      t.time_to_last_token.add(aggregate->time_to_last_token);
      t.completion_duration.add(aggregate->completion_duration);
      t.response_time_hist.merge(aggregate->response_time_hist);
      t.time_to_first_token_hist.merge(aggregate->time_to_first_token_hist);
    }
    return;
  }
  const Statement& st = *row;
  int c = kColRequests;
  const std::int64_t n = st.column_int(c++);
  t.requests += n;
  if (success) t.successful += n;
  t.tokens_reported += st.column_int(c++);
  t.tokens_total += st.column_int(c++);
  t.prompt_tokens += st.column_int(c++);
  t.completion_tokens += st.column_int(c++);
  for (rollup::Sum* s : {&t.tokens_per_second, &t.response_time, &t.time_to_first_token,
                         &t.time_to_last_token, &t.completion_duration}) {
    s->sum += st.column_double(c++);
    s->count += st.column_int(c++);
  }
  // A damaged histogram (only possible by editing the file) leaves its percentiles out.
  t.response_time_hist.merge_encoded(st.column_blob(kColHists));
  t.time_to_first_token_hist.merge_encoded(st.column_blob(kColHists + 1));
  if (with_tpot) t.time_per_output_token_hist.merge_encoded(st.column_blob(kColHists + 2));
}

PieceQuery piece_query(const rollup::Piece& piece) {
  PieceQuery q;
  std::vector<std::string> conds;
  if (piece.tier == Tier::raw) {
    // Raw pieces are always bounded (split_range puts open ends into the tiers); the text
    // bounds compare in the stored format and use the timestamp index.
    q.sql = fmt::format("SELECT {} FROM completion_requests WHERE timestamp >= ? AND timestamp < ?",
                        kSampleColumns);
    q.args.emplace_back(time::format_iso8601_utc(piece.lo));
    q.args.emplace_back(time::format_iso8601_utc(piece.hi));
    return q;
  }
  q.sql = select_sql(kTables[static_cast<int>(piece.tier)]);
  const bool open_lo = piece.lo <= rollup::kNegInfMs;
  const bool open_hi = piece.hi >= rollup::kPosInfMs;
  if (!open_lo) {
    conds.emplace_back("bucket >= ?");
    q.args.emplace_back(piece.lo);
  } else if (!open_hi) {
    // Rows of unreadable time belong only to a range open at both ends, as in the raw table.
    conds.emplace_back("bucket > ?");
    q.args.emplace_back(rollup::kUnknownTimeMs);
  }
  if (!open_hi) {
    conds.emplace_back("bucket < ?");
    q.args.emplace_back(piece.hi);
  }
  for (std::size_t i = 0; i < conds.size(); ++i) q.sql += (i ? " AND " : " WHERE ") + conds[i];
  return q;
}

void read_piece(Statement& st, Tier tier, const RowSink& sink) {
  if (tier == Tier::raw) {
    Batch batch(rollup::kMinuteMs);
    while (st.step()) batch.add(sample_from_row(st));
    for (const auto& [k, a] : batch.entries()) {
      RollupRowView v{k.bucket_ms,    k.model,   k.error_type, k.origin,
                      k.is_streaming, k.success, &a,           nullptr};
      sink(v);
    }
    return;
  }
  while (st.step()) {
    RollupRowView v{
        st.column_int(0),      st.column_view(1),     st.column_view(4), st.column_view(5),
        st.column_int(2) != 0, st.column_int(3) != 0, nullptr,           &st};
    sink(v);
  }
}

}  // namespace lmp::storage::sqlite
