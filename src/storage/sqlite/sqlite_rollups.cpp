#include "storage/sqlite/sqlite_rollups.hpp"

#include <fmt/format.h>

#include <array>
#include <optional>

#include "llm/error_type.hpp"
#include "support/time.hpp"

namespace lmp::storage::sqlite {
namespace {

using rollup::Aggregate;
using rollup::Batch;
using rollup::LogHistogram;
using rollup::Tier;
using rollup::WriteBatch;

// Indexed by Tier. Model tables: (bucket, model, is_streaming) with every sum and the three
// histograms. Detail tables: the full key with the request count only.
constexpr std::array<const char*, 5> kModelTables{"", "rollup_model_1m", "rollup_model_5m",
                                                  "rollup_model_1h", "rollup_model_1d"};
constexpr std::array<const char*, 5> kErrorTables{"", "rollup_error_1m", "", "rollup_error_1h",
                                                  "rollup_error_1d"};
constexpr std::array<const char*, 5> kOriginTables{"", "rollup_origin_1m", "", "rollup_origin_1h",
                                                   "rollup_origin_1d"};
constexpr std::array<Tier, 4> kModelTiers{Tier::minute, Tier::five_minutes, Tier::hour, Tier::day};
constexpr std::array<Tier, 3> kCountTiers{Tier::minute, Tier::hour, Tier::day};
// Migration 5's tables, read (and dropped) by migration 6.
constexpr std::array<const char*, 3> kLegacyTables{"rollup_minute", "rollup_hour", "rollup_day"};

constexpr std::array<const char*, 3> kModelKeyColumns{"bucket", "model", "is_streaming"};
constexpr std::array<const char*, 3> kErrorKeyColumns{"bucket", "is_streaming", "error_type"};
constexpr std::array<const char*, 2> kOriginKeyColumns{"bucket", "origin"};
// The sums (added on conflict), then the histograms (merged on conflict).
constexpr std::array<const char*, 16> kSumColumns{
    "requests",      "successful",        "tokens_reported", "tokens_total",
    "prompt_tokens", "completion_tokens", "tps_sum",         "tps_count",
    "rt_sum",        "rt_count",          "ttft_sum",        "ttft_count",
    "ttlt_sum",      "ttlt_count",        "cd_sum",          "cd_count"};
constexpr std::array<const char*, 3> kHistColumns{"rt_hist", "ttft_hist", "tpot_hist"};

// The model SELECT's columns: the key, the sums, the histograms.
constexpr int kModelColRequests = 3;
constexpr int kModelColHists = kModelColRequests + static_cast<int>(kSumColumns.size());
// The error and origin SELECTs' columns, the same for both: bucket, model, is_streaming,
// success, error_type, origin, requests (the fields a table lacks are constants).
constexpr int kCountColRequests = 6;

std::string model_table_sql(const char* table) {
  return fmt::format(
      "CREATE TABLE IF NOT EXISTS {} ("
      "bucket INTEGER NOT NULL, model TEXT NOT NULL, is_streaming INTEGER NOT NULL, "
      "requests INTEGER NOT NULL, successful INTEGER NOT NULL, tokens_reported INTEGER NOT NULL, "
      "tokens_total INTEGER NOT NULL, prompt_tokens INTEGER NOT NULL, "
      "completion_tokens INTEGER NOT NULL, tps_sum REAL NOT NULL, tps_count INTEGER NOT NULL, "
      "rt_sum REAL NOT NULL, rt_count INTEGER NOT NULL, ttft_sum REAL NOT NULL, "
      "ttft_count INTEGER NOT NULL, ttlt_sum REAL NOT NULL, ttlt_count INTEGER NOT NULL, "
      "cd_sum REAL NOT NULL, cd_count INTEGER NOT NULL, "
      "rt_hist BLOB, ttft_hist BLOB, tpot_hist BLOB, "
      "PRIMARY KEY (bucket, model, is_streaming)) WITHOUT ROWID",
      table);
}

std::string error_table_sql(const char* table) {
  return fmt::format(
      "CREATE TABLE IF NOT EXISTS {} ("
      "bucket INTEGER NOT NULL, is_streaming INTEGER NOT NULL, error_type TEXT NOT NULL, "
      "requests INTEGER NOT NULL, PRIMARY KEY (bucket, is_streaming, error_type)) WITHOUT ROWID",
      table);
}

std::string origin_table_sql(const char* table) {
  return fmt::format(
      "CREATE TABLE IF NOT EXISTS {} ("
      "bucket INTEGER NOT NULL, origin TEXT NOT NULL, requests INTEGER NOT NULL, "
      "PRIMARY KEY (bucket, origin)) WITHOUT ROWID",
      table);
}

// Migration 5's table, as it was (kept so that migration 5 still means what it meant).
std::string legacy_table_sql(const char* table) {
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

template <std::size_t K, std::size_t S>
std::string upsert_sql(const char* table, const std::array<const char*, K>& keys,
                       const std::array<const char*, S>& sums, bool with_hists) {
  std::string cols, values, updates;
  auto add_col = [&](const char* c) {
    if (!cols.empty()) {
      cols += ", ";
      values += ", ";
    }
    cols += c;
    values += "?";
  };
  for (const char* c : keys) add_col(c);
  for (const char* c : sums) {
    add_col(c);
    updates += fmt::format("{0}{1} = {1} + excluded.{1}", updates.empty() ? "" : ", ", c);
  }
  if (with_hists) {
    for (const char* c : kHistColumns) {
      add_col(c);
      updates += fmt::format(", {0} = lmp_hist_merge({0}, excluded.{0})", c);
    }
  }
  std::string key;
  for (const char* c : keys) key += key.empty() ? c : fmt::format(", {}", c);
  return fmt::format("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT({}) DO UPDATE SET {}", table,
                     cols, values, key, updates);
}

std::string select_sql(Source source, Tier tier) {
  if (source == Source::errors)
    return fmt::format("SELECT bucket, '', is_streaming, 0, error_type, '', requests FROM {}",
                       kErrorTables[static_cast<int>(tier)]);
  if (source == Source::origins)
    return fmt::format("SELECT bucket, '', 0, 1, '', origin, requests FROM {}",
                       kOriginTables[static_cast<int>(tier)]);
  std::string cols = "bucket, model, is_streaming";
  for (const char* c : kSumColumns) cols += fmt::format(", {}", c);
  for (const char* c : kHistColumns) cols += fmt::format(", {}", c);
  return fmt::format("SELECT {} FROM {}", cols, kModelTables[static_cast<int>(tier)]);
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
  thread_local std::string merged;  // reused: the writer calls this for every upserted row
  if (!rollup::merge_encoded_into(stored, added, merged)) {
    // The stored one is damaged (the new one was just encoded): keep what can be trusted.
    if (!rollup::merge_encoded_into({}, added, merged)) merged.assign(stored);
  }
  if (merged.empty()) {
    sqlite3_result_null(ctx);
  } else {
    sqlite3_result_blob64(ctx, merged.data(), merged.size(), SQLITE_TRANSIENT);
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

void create_legacy_rollup_tables(Database& db) {
  for (const char* t : kLegacyTables) db.exec(legacy_table_sql(t).c_str());
}

void create_rollup_tables(Database& db) {
  for (Tier t : kModelTiers) db.exec(model_table_sql(kModelTables[static_cast<int>(t)]).c_str());
  for (Tier t : kCountTiers) {
    db.exec(error_table_sql(kErrorTables[static_cast<int>(t)]).c_str());
    db.exec(origin_table_sql(kOriginTables[static_cast<int>(t)]).c_str());
  }
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

RollupWriter::RollupWriter(Database& db) {
  for (std::size_t i = 0; i < kModelTiers.size(); ++i)
    model_[i] = db.prepare(upsert_sql(kModelTables[static_cast<int>(kModelTiers[i])],
                                      kModelKeyColumns, kSumColumns, true),
                           true);
  constexpr std::array<const char*, 1> kCount{"requests"};
  for (std::size_t i = 0; i < kCountTiers.size(); ++i) {
    const int t = static_cast<int>(kCountTiers[i]);
    error_[i] = db.prepare(upsert_sql(kErrorTables[t], kErrorKeyColumns, kCount, false), true);
    origin_[i] = db.prepare(upsert_sql(kOriginTables[t], kOriginKeyColumns, kCount, false), true);
  }
}

void RollupWriter::write(const WriteBatch& batch) {
  if (batch.size() == 0) return;
  const auto counts = [this](std::array<Statement, 3>& st, const rollup::CountMap& minutes,
                             bool errors) {
    upsert(st[0], minutes, errors);
    const rollup::CountMap hours = rollup::coarsen(minutes, rollup::kHourMs);
    upsert(st[1], hours, errors);
    upsert(st[2], rollup::coarsen(hours, rollup::kDayMs), errors);
  };
  counts(error_, batch.errors(), true);
  counts(origin_, batch.origins(), false);

  upsert(model_[0], batch.models());
  const rollup::ModelMap five = rollup::coarsen(batch.models(), rollup::kFiveMinutesMs);
  upsert(model_[1], five);
  const rollup::ModelMap hour = rollup::coarsen(five, rollup::kHourMs);
  // Each hour row is also added to its day row with the same bindings (histograms encoded
  // once): as upserts add, the day row ends up the same as from re-keyed hours; a batch
  // spanning an hour boundary costs one more day upsert per key, about one batch in twelve.
  upsert(model_[2], hour, &model_[3], rollup::kDayMs);
}

void RollupWriter::upsert(Statement& st, const rollup::CountMap& counts, bool errors) {
  StatementReset reset(st);
  for (const auto& [k, n] : counts) {
    int i = 0;
    st.bind_int(++i, k.bucket_ms);
    if (errors) {
      st.bind_int(++i, k.is_streaming ? 1 : 0);
      bind_key_text(st, ++i, k.error_type);
    } else {
      bind_key_text(st, ++i, k.origin);
    }
    st.bind_int(++i, n);
    st.step();
    sqlite3_reset(st.get());  // bindings are all replaced by the next row
  }
}

void RollupWriter::upsert(Statement& st, const rollup::ModelMap& models, Statement* coarser,
                          std::int64_t coarser_unit_ms) {
  StatementReset reset(st);
  std::optional<StatementReset> reset_coarser;  // after a failed step, too
  if (coarser) reset_coarser.emplace(*coarser);
  const auto bind_step = [this](Statement& to, std::int64_t bucket, const rollup::ModelKey& k,
                                const Aggregate& a) {
    int i = 0;
    to.bind_int(++i, bucket);
    bind_key_text(to, ++i, k.model);
    to.bind_int(++i, k.is_streaming ? 1 : 0);
    to.bind_int(++i, a.requests);
    to.bind_int(++i, a.successful);
    to.bind_int(++i, a.tokens_reported);
    to.bind_int(++i, a.tokens_total);
    to.bind_int(++i, a.prompt_tokens);
    to.bind_int(++i, a.completion_tokens);
    for (const rollup::Sum* s : {&a.tokens_per_second, &a.response_time, &a.time_to_first_token,
                                 &a.time_to_last_token, &a.completion_duration}) {
      to.bind_double(++i, s->sum);
      to.bind_int(++i, s->count);
    }
    for (const auto& h : hists_) bind_blob_static(to, ++i, h);
    to.step();
    sqlite3_reset(to.get());
  };
  for (const auto& [k, a] : models) {
    a.response_time_hist.encode_into(hists_[0]);
    a.time_to_first_token_hist.encode_into(hists_[1]);
    a.time_per_output_token_hist.encode_into(hists_[2]);
    bind_step(st, k.bucket_ms, k, a);
    if (coarser) bind_step(*coarser, rollup::unit_floor(k.bucket_ms, coarser_unit_ms), k, a);
  }
}

namespace {

bool legacy_rollups_present(Database& db) {
  auto st =
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'rollup_minute'");
  if (!st.step()) return false;
  st = db.prepare("SELECT 1 FROM rollup_minute LIMIT 1");
  return st.step();
}

// Bounds memory on huge tables: a flush upserts, so a key split across flushes still sums.
constexpr std::size_t kFlushKeys = 50'000;

void build_from_raw(Database& db, RollupWriter& writer) {
  WriteBatch batch;
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

// Migration 5's minute rows hold every raw row exactly once, with exact counts, sums and
// histograms: re-keying them gives the same rollups as the raw rows (sums up to summation
// order), at a quarter of the rows to read.
void convert_legacy(Database& db, RollupWriter& writer) {
  WriteBatch batch;
  std::string cols = "bucket, model, is_streaming, success, error_type, origin, endpoint, requests";
  for (const char* c :
       {"tokens_reported", "tokens_total", "prompt_tokens", "completion_tokens", "tps_sum",
        "tps_count", "rt_sum", "rt_count", "ttft_sum", "ttft_count", "ttlt_sum", "ttlt_count",
        "cd_sum", "cd_count", "rt_hist", "ttft_hist", "tpot_hist"})
    cols += fmt::format(", {}", c);
  auto st = db.prepare(fmt::format("SELECT {} FROM rollup_minute", cols));
  while (st.step()) {
    const std::int64_t bucket = st.column_int(0);
    const std::string_view model = st.column_view(1);
    const bool streaming = st.column_int(2) != 0;
    const bool success = st.column_int(3) != 0;
    const std::int64_t n = st.column_int(7);
    if (!success && !st.column_view(4).empty())
      batch.add_error(bucket, streaming, st.column_view(4), n);
    if (!st.column_view(5).empty()) batch.add_origin(bucket, st.column_view(5), n);
    Aggregate& a = batch.model_at({bucket, model, streaming});
    int c = 8;
    a.requests += n;
    if (success) a.successful += n;
    a.tokens_reported += st.column_int(c++);
    a.tokens_total += st.column_int(c++);
    a.prompt_tokens += st.column_int(c++);
    a.completion_tokens += st.column_int(c++);
    for (rollup::Sum* s : {&a.tokens_per_second, &a.response_time, &a.time_to_first_token,
                           &a.time_to_last_token, &a.completion_duration}) {
      s->sum += st.column_double(c++);
      s->count += st.column_int(c++);
    }
    a.response_time_hist.merge_encoded(st.column_blob(c++));
    a.time_to_first_token_hist.merge_encoded(st.column_blob(c++));
    a.time_per_output_token_hist.merge_encoded(st.column_blob(c++));
    if (batch.size() >= kFlushKeys) {
      writer.write(batch);
      batch.clear();
    }
  }
  writer.write(batch);
}

}  // namespace

void build_rollups(Database& db) {
  register_rollup_functions(db);
  create_rollup_tables(db);
  {
    RollupWriter writer(db);
    if (legacy_rollups_present(db))
      convert_legacy(db, writer);
    else
      build_from_raw(db, writer);
  }
  for (const char* t : kLegacyTables) db.exec(fmt::format("DROP TABLE IF EXISTS {}", t).c_str());
}

std::int64_t RollupRowView::requests() const {
  if (aggregate) return aggregate->requests;
  return row->column_int(source == Source::model ? kModelColRequests : kCountColRequests);
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
  int c = kModelColRequests;
  t.requests += st.column_int(c++);
  t.successful += st.column_int(c++);
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
  t.response_time_hist.merge_encoded(st.column_blob(kModelColHists));
  t.time_to_first_token_hist.merge_encoded(st.column_blob(kModelColHists + 1));
  if (with_tpot) t.time_per_output_token_hist.merge_encoded(st.column_blob(kModelColHists + 2));
}

PieceQuery piece_query(const rollup::Piece& piece, Source source) {
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
  q.sql = select_sql(source, piece.tier);
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

void read_piece(Statement& st, Tier tier, Source source, const RowSink& sink) {
  if (tier == Tier::raw) {
    Batch batch(rollup::kMinuteMs);
    while (st.step()) batch.add(sample_from_row(st));
    for (const auto& [k, a] : batch.entries()) {
      RollupRowView v{k.bucket_ms, k.model, k.is_streaming, k.success, k.error_type, k.origin,
                      Source::raw, &a,      nullptr};
      sink(v);
    }
    return;
  }
  while (st.step()) {
    RollupRowView v{st.column_int(0),
                    st.column_view(1),
                    st.column_int(2) != 0,
                    false,
                    {},
                    {},
                    source,
                    nullptr,
                    &st};
    if (source != Source::model) {
      v.success = st.column_int(3) != 0;
      v.error_type = st.column_view(4);
      v.origin = st.column_view(5);
    }
    sink(v);
  }
}

}  // namespace lmp::storage::sqlite
