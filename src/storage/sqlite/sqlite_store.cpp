#include "storage/sqlite/sqlite_store.hpp"

#include <fmt/format.h>
#include <sched.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <limits>
#include <map>
#include <system_error>
#include <unordered_map>
#include <variant>

#include "storage/rollup/rollup_aggregate.hpp"
#include "storage/sqlite/sqlite_schema.hpp"
#include "support/log.hpp"
#include "support/time.hpp"

#ifndef LMP_VERSION
#error "LMP_VERSION must be defined by the build (CMakeLists.txt, lmp_options)"
#endif

namespace lmp::storage::sqlite {
namespace {

namespace fs = std::filesystem;

// Column order shared by the INSERT (bind index = position + 1) and the SELECTs (column index
// = position + 1, after id), so the two cannot drift apart.
constexpr const char* kRecordColumns =
    "timestamp, endpoint, backend, client_address, origin, api_key_fingerprint, model, \"user\", "
    "is_streaming, max_tokens, temperature, top_p, message_count, request_bytes, response_bytes, "
    "success, status_code, error_type, error_message, finish_reason, response_time_ms, "
    "time_to_first_byte_ms, time_to_first_token_ms, time_to_last_token_ms, "
    "max_inter_token_gap_ms, prompt_tokens, completion_tokens, total_tokens, tokens_per_second, "
    "degraded, app_version";
constexpr int kRecordColumnCount = 31;

// An INSERT of `rows` rows (one VALUES tuple each).
std::string insert_sql(int rows) {
  std::string sql = fmt::format("INSERT INTO completion_requests ({}) VALUES ", kRecordColumns);
  for (int row = 0; row < rows; ++row) {
    sql += row ? ", (" : "(";
    for (int i = 0; i < kRecordColumnCount; ++i) sql += i ? ", ?" : "?";
    sql += ")";
  }
  return sql;
}

// Binds one row's parameters, from parameter `first` + 1 on. Text is bound without copying:
// the record and `timestamp` outlive the step that follows.
void bind_record(Statement& st, int first, const llm::CompletionRecord& r,
                 const std::string& timestamp) {
  int i = first;
  st.bind_text_static(++i, timestamp);
  st.bind_text_static(++i, llm::to_string(r.endpoint));
  st.bind_text_static(++i, r.backend);
  st.bind_text_static(++i, r.client_address);
  st.bind_text_static(++i, r.origin);
  st.bind_text_static(++i, r.api_key_fingerprint);
  st.bind_text_static(++i, r.model);
  st.bind_text_static(++i, r.user);
  st.bind_int(++i, r.is_streaming ? 1 : 0);
  st.bind_opt_int(++i, r.max_tokens);
  st.bind_opt_double(++i, r.temperature);
  st.bind_opt_double(++i, r.top_p);
  st.bind_opt_int(++i, r.message_count);
  st.bind_int(++i, r.request_bytes);
  st.bind_int(++i, r.response_bytes);
  st.bind_int(++i, r.success ? 1 : 0);
  // 0 means "no status was sent": NULL says that in SQL, as the reference's NULLs do.
  r.status_code ? st.bind_int(++i, r.status_code) : st.bind_null(++i);
  st.bind_text_static(++i, llm::to_string(r.error_type));  // empty for none -> NULL
  st.bind_text_static(++i, r.error_message);
  st.bind_text_static(++i, r.finish_reason);
  // REAL values in the reference's INTEGER-declared timing columns stay REAL (INTEGER affinity
  // only converts a REAL that is integral), so sub-millisecond precision survives.
  st.bind_opt_double(++i, r.response_time_ms);
  st.bind_opt_double(++i, r.time_to_first_byte_ms);
  st.bind_opt_double(++i, r.time_to_first_token_ms);
  st.bind_opt_double(++i, r.time_to_last_token_ms);
  st.bind_opt_double(++i, r.max_inter_token_gap_ms);
  st.bind_opt_int(++i, r.prompt_tokens);
  st.bind_opt_int(++i, r.completion_tokens);
  st.bind_opt_int(++i, r.total_tokens);
  st.bind_opt_double(++i, r.tokens_per_second);
  st.bind_int(++i, r.degraded ? 1 : 0);
  st.bind_text_static(++i, LMP_VERSION);
}

StoredRecord read_record(const Statement& st) {
  StoredRecord out;
  out.id = st.column_int(0);
  auto& r = out.record;
  int c = 0;
  // Text no parser accepts (only possible in a hand-edited database) reads as the epoch.
  r.timestamp_ms = time::parse_iso8601(st.column_text(++c)).value_or(0);
  r.endpoint =
      llm::endpoint_from_string(st.column_text(++c)).value_or(llm::Endpoint::chat_completions);
  r.backend = st.column_text(++c);
  r.client_address = st.column_text(++c);
  r.origin = st.column_text(++c);
  r.api_key_fingerprint = st.column_text(++c);
  r.model = st.column_text(++c);
  r.user = st.column_text(++c);
  r.is_streaming = st.column_int(++c) != 0;
  r.max_tokens = st.column_opt_int(++c);
  r.temperature = st.column_opt_double(++c);
  r.top_p = st.column_opt_double(++c);
  r.message_count = st.column_opt_int(++c);
  r.request_bytes = st.column_int(++c);
  r.response_bytes = st.column_int(++c);
  r.success = st.column_int(++c) != 0;
  r.status_code = static_cast<int>(st.column_int(++c));
  // A name outside our fixed set (a reference row's own wording) reads as none; summaries and
  // the error_type filter work on the stored text and still see it.
  r.error_type = llm::error_type_from_string(st.column_text(++c)).value_or(llm::ErrorType::none);
  r.error_message = st.column_text(++c);
  r.finish_reason = st.column_text(++c);
  r.response_time_ms = st.column_opt_double(++c);
  r.time_to_first_byte_ms = st.column_opt_double(++c);
  r.time_to_first_token_ms = st.column_opt_double(++c);
  r.time_to_last_token_ms = st.column_opt_double(++c);
  r.max_inter_token_gap_ms = st.column_opt_double(++c);
  r.prompt_tokens = st.column_opt_int(++c);
  r.completion_tokens = st.column_opt_int(++c);
  r.total_tokens = st.column_opt_int(++c);
  r.tokens_per_second = st.column_opt_double(++c);
  r.degraded = st.column_int(++c) != 0;
  return out;
}

using Arg = std::variant<std::int64_t, std::string>;

// time::format_iso8601_utc for a stream of timestamps that mostly share their day: the date
// part is formatted once per day, the time of day by hand (the same text, without fmt per
// record on the write path). Falls back to the general function outside years 0000-9999.
class TimestampFormatter {
 public:
  const std::string& operator()(std::int64_t unix_ms) {
    std::int64_t day = unix_ms / kDayMs;
    std::int64_t rem = unix_ms % kDayMs;
    if (rem < 0) {
      rem += kDayMs;
      --day;
    }
    if (day != day_ || !valid_) {
      out_ = time::format_iso8601_utc(day * kDayMs);
      valid_ = out_.size() == 24;  // "YYYY-MM-DDT00:00:00.000Z"
      day_ = day;
    }
    if (!valid_) {
      out_ = time::format_iso8601_utc(unix_ms);
      return out_;
    }
    const auto put2 = [this](std::size_t at, std::int64_t v) {
      out_[at] = static_cast<char>('0' + v / 10);
      out_[at + 1] = static_cast<char>('0' + v % 10);
    };
    put2(11, rem / 3'600'000);
    put2(14, (rem / 60'000) % 60);
    put2(17, (rem / 1000) % 60);
    const std::int64_t ms = rem % 1000;
    out_[20] = static_cast<char>('0' + ms / 100);
    put2(21, ms % 100);
    return out_;
  }

 private:
  static constexpr std::int64_t kDayMs = 86'400'000;
  std::int64_t day_ = 0;
  bool valid_ = false;
  std::string out_;
};

// Lets maps keyed by std::string be searched with a string_view (no allocation per row).
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

void bind_args(Statement& st, const std::vector<Arg>& args) {
  int i = 0;
  for (const auto& a : args) {
    ++i;
    if (const auto* n = std::get_if<std::int64_t>(&a))
      st.bind_int(i, *n);
    else
      st.bind_text(i, std::get<std::string>(a));
  }
}

// Range bounds compare text in the stored format: the same order as time, and the index on
// timestamp serves them. Both ends inclusive; the format's millisecond precision matches the
// range's. Only the bounds given appear, so an open range scans the table rather than the index.
void add_range(const TimeRange& range, std::vector<std::string>& conds, std::vector<Arg>& args) {
  if (range.start_ms) {
    conds.emplace_back("timestamp >= ?");
    args.emplace_back(time::format_iso8601_utc(*range.start_ms));
  }
  if (range.end_ms) {
    conds.emplace_back("timestamp <= ?");
    args.emplace_back(time::format_iso8601_utc(*range.end_ms));
  }
}

std::string where(const std::vector<std::string>& conds) {
  if (conds.empty()) return {};
  std::string s = " WHERE ";
  for (std::size_t i = 0; i < conds.size(); ++i) {
    if (i) s += " AND ";
    s += conds[i];
  }
  return s;
}

Percentiles percentiles_of(const rollup::LogHistogram& h) {
  return {h.percentile(0.50), h.percentile(0.90), h.percentile(0.95), h.percentile(0.99)};
}

[[noreturn]] void throw_open_error(const std::string& path, std::string_view what,
                                   const SqliteFailure& f) {
  throw StoreError(
      fmt::format("SQLite database '{}': {}: {}. {}", path, what, f.message, advice_for(f.code)));
}

void set_busy_timeout(Database& db, std::chrono::milliseconds timeout) {
  sqlite3_busy_timeout(db.get(), static_cast<int>(std::clamp<std::int64_t>(
                                     timeout.count(), 0, std::numeric_limits<int>::max())));
}

}  // namespace

// A read-only connection and the statements it has prepared, keyed by their SQL: the queries
// come in a bounded number of shapes (range bounds x filters), each prepared once.
struct SqliteStore::ReadConnection {
  Database db;
  std::unordered_map<std::string, Statement> statements;

  Statement& statement(const std::string& sql) {
    auto it = statements.find(sql);
    if (it == statements.end()) it = statements.emplace(sql, db.prepare(sql, true)).first;
    return it->second;
  }
};

// Borrows a read connection for one call, inside one read transaction so that the several
// queries of a summary see the same snapshot; gives it back however the call ends.
class SqliteStore::ReadLease {
 public:
  ReadLease(SqliteStore& store, std::unique_ptr<ReadConnection> conn)
      : store_(store), conn_(std::move(conn)) {}
  ~ReadLease() {
    if (!sqlite3_get_autocommit(conn_->db.get()))
      sqlite3_exec(conn_->db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    store_.release_reader(std::move(conn_));
  }
  ReadLease(const ReadLease&) = delete;
  ReadLease& operator=(const ReadLease&) = delete;
  ReadConnection* operator->() { return conn_.get(); }
  ReadConnection& operator*() { return *conn_; }

 private:
  SqliteStore& store_;
  std::unique_ptr<ReadConnection> conn_;
};

SqliteStore::SqliteStore(std::string path, int schema_version, Database writer,
                         const SqliteOptions& options)
    : path_(std::move(path)),
      read_only_(options.read_only),
      schema_version_(schema_version),
      writer_(std::move(writer)),
      yield_every_rows_(options.yield_every_rows),
      yield_(options.yield ? options.yield : [] { sched_yield(); }) {}

SqliteStore::~SqliteStore() = default;

std::unique_ptr<SqliteStore> SqliteStore::open(const SqliteOptions& options) {
  const std::string& path = options.path;
  if (path.empty() || path == ":memory:")
    throw StoreError(fmt::format(
        "SQLite database path '{}' is not usable: give a file path such as ./data/metrics.db "
        "(DB_PATH)",
        path));
  const fs::path file(path);

  if (!options.read_only && file.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    if (ec)
      throw StoreError(fmt::format(
          "cannot create the folder '{}' for the SQLite database '{}': {}. Create it with "
          "write permission for this user, or set DB_PATH to a writable place",
          file.parent_path().string(), path, ec.message()));
  }

  // NOMUTEX: each connection is used by one thread at a time (the write mutex, the pool).
  const int flags =
      SQLITE_OPEN_NOMUTEX |
      (options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  Database writer;
  try {
    writer = Database::open(path, flags);
  } catch (const SqliteFailure& f) {
    throw_open_error(path, options.read_only ? "cannot open it" : "cannot open it for writing", f);
  }
  // SQLite silently falls back to read-only for a write-protected file; the proxy would then
  // fail on every insert instead of at start.
  if (!options.read_only && sqlite3_db_readonly(writer.get(), "main") == 1)
    throw StoreError(fmt::format(
        "SQLite database '{}' is read-only for this user, but the proxy must write to it. Make "
        "the file and its folder writable, or set DB_PATH to a writable place",
        path));
  set_busy_timeout(writer, options.busy_timeout);
  try {
    register_rollup_functions(writer);
  } catch (const SqliteFailure& f) {
    throw_open_error(path, "cannot register its functions", f);
  }

  int version = 0;
  if (options.read_only) {
    try {
      version = read_schema_version(writer, path);
    } catch (const SqliteFailure& f) {
      throw_open_error(path, "cannot read its schema", f);
    }
    if (version != kSchemaVersion)
      throw StoreError(fmt::format(
          "SQLite database '{}' has schema version {}, but read-only use needs version {}. "
          "Open it once with write access so it is migrated, or use a matching version",
          path, version, kSchemaVersion));
  } else {
    const MigrationOutcome m = migrate(writer, file);
    version = m.to_version;
    if (m.from_version != m.to_version) {
      if (m.from_version == 0)
        log::info("created SQLite database {} (schema version {})", path, m.to_version);
      else
        log::info("migrated SQLite database {} from schema version {} to {} (backup: {})", path,
                  m.from_version, m.to_version, m.backup ? m.backup->string() : "none");
    }
    try {
      // WAL: readers see a snapshot and never wait for the writer; NORMAL loses at most the
      // last transactions on power loss, never consistency, and saves an fsync per batch.
      auto mode = writer.prepare("PRAGMA journal_mode=WAL");
      const std::string got = mode.step() ? mode.column_text(0) : std::string{};
      if (got != "wal")
        throw SqliteFailure{SQLITE_CANTOPEN, fmt::format("journal mode stayed '{}'", got)};
      mode = Statement{};
      writer.exec("PRAGMA synchronous=NORMAL");
    } catch (const SqliteFailure& f) {
      throw_open_error(path, "cannot switch it to WAL mode", f);
    }
  }

  std::unique_ptr<SqliteStore> store(new SqliteStore(path, version, std::move(writer), options));
  try {
    if (!options.read_only) {
      store->insert_stmt_ = store->writer_.prepare(insert_sql(1), true);
      store->insert_rows_stmt_ =
          store->writer_.prepare(insert_sql(static_cast<int>(kRowsPerInsert)), true);
      store->rollup_writer_ = RollupWriter(store->writer_);
    }
    const std::size_t readers = std::max<std::size_t>(1, options.read_connections);
    for (std::size_t i = 0; i < readers; ++i) {
      auto conn = std::make_unique<ReadConnection>();
      conn->db = Database::open(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
      set_busy_timeout(conn->db, options.busy_timeout);
      store->idle_readers_.push_back(std::move(conn));
    }
  } catch (const SqliteFailure& f) {
    throw_open_error(path, "cannot prepare its connections", f);
  }
  return store;
}

void SqliteStore::insert(std::span<const llm::CompletionRecord> records) {
  std::lock_guard lock(write_mutex_);
  if (read_only_)
    throw StoreError(
        fmt::format("SQLite database '{}' was opened read-only; it cannot record", path_));
  if (records.empty()) return;
  try {
    // The batch's rollups are aggregated in memory first, so each key costs one upsert per
    // tier however many of the batch's requests share it.
    rollup::WriteBatch& minutes = write_batch_;
    minutes.clear();
    writer_.exec("BEGIN IMMEDIATE");
    TimestampFormatter format;
    // Rows go in kRowsPerInsert at a time: one statement execution (cursors opened, the VM
    // started and halted) per 32 rows instead of per row; the rest one by one. Every parameter
    // is set again for the next execution (no need to clear the bindings); one that already
    // holds the value is left as it is (Statement), which the text of the last batch's records,
    // freed since, must not be: forgotten here.
    insert_rows_stmt_.forget_bound_values();
    insert_stmt_.forget_bound_values();
    const auto insert_rows = [&](Statement& st, std::span<const llm::CompletionRecord> rows) {
      for (std::size_t row = 0; row < rows.size(); ++row) {
        row_timestamps_[row] = format(rows[row].timestamp_ms);
        bind_record(st, static_cast<int>(row) * kRecordColumnCount, rows[row],
                    row_timestamps_[row]);
        minutes.add(sample_from_record(rows[row]));
      }
      st.step();
      sqlite3_reset(st.get());
      // Between statements, so no SQLite state is half done (SqliteOptions::yield_every_rows).
      rows_since_yield_ += rows.size();
      if (yield_every_rows_ != 0 && rows_since_yield_ >= yield_every_rows_) {
        rows_since_yield_ = 0;
        yield_();
      }
    };
    std::size_t next = 0;
    for (; records.size() - next >= kRowsPerInsert; next += kRowsPerInsert)
      insert_rows(insert_rows_stmt_, records.subspan(next, kRowsPerInsert));
    for (; next < records.size(); ++next) insert_rows(insert_stmt_, records.subspan(next, 1));
    rollup_writer_.write(minutes);
    writer_.exec("COMMIT");
  } catch (const SqliteFailure& f) {
    insert_stmt_.reset();
    insert_rows_stmt_.reset();
    // Some errors (a full disk, an I/O error) already roll back; a failed COMMIT does not.
    if (!sqlite3_get_autocommit(writer_.get()))
      sqlite3_exec(writer_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw StoreError(
        fmt::format("SQLite database '{}': writing {} record(s) failed and was rolled back: {}. {}",
                    path_, records.size(), f.message, advice_for(f.code)));
  }
}

void SqliteStore::release_memory() {
  {
    std::lock_guard lock(write_mutex_);
    write_batch_ = rollup::WriteBatch{};
    if (writer_.get() != nullptr) sqlite3_db_release_memory(writer_.get());
  }
  // A reader in use keeps its cache; it is released the next time the store is quiet.
  std::lock_guard lock(pool_mutex_);
  for (auto& conn : idle_readers_) sqlite3_db_release_memory(conn->db.get());
}

SqliteStore::ReadLease SqliteStore::acquire_reader() {
  std::unique_lock lock(pool_mutex_);
  pool_cv_.wait(lock, [this] { return !idle_readers_.empty(); });
  auto conn = std::move(idle_readers_.back());
  idle_readers_.pop_back();
  return ReadLease(*this, std::move(conn));
}

void SqliteStore::release_reader(std::unique_ptr<ReadConnection> conn) {
  {
    std::lock_guard lock(pool_mutex_);
    idle_readers_.push_back(std::move(conn));
  }
  pool_cv_.notify_one();
}

void SqliteStore::throw_read_error(std::string_view what, const SqliteFailure& f) const {
  throw StoreError(fmt::format("SQLite database '{}': {} failed: {}. {}", path_, what, f.message,
                               advice_for(f.code)));
}

void SqliteStore::scan(ReadConnection& conn, const std::vector<rollup::Piece>& pieces,
                       Source source, const RowSink& sink, const RowSink* raw_sink) {
  for (const auto& piece : pieces) {
    const bool raw = piece.tier == rollup::Tier::raw;
    if (raw && !raw_sink) continue;
    const PieceQuery q = piece_query(piece, source);
    auto& st = conn.statement(q.sql);
    StatementReset reset(st);
    bind_args(st, q.args);
    read_piece(st, piece.tier, source, raw ? *raw_sink : sink);
  }
}

MetricsSummary SqliteStore::summarize(const TimeRange& range) {
  using rollup::Aggregate;
  // Everything comes from one pass over the range's rollup rows (and raw edge rows).
  std::array<Aggregate, 2> groups;  // [not streamed, streamed]
  std::map<std::pair<bool, std::string>, std::int64_t, std::less<>> errors;
  std::unordered_map<std::string, Aggregate, StringHash, std::equal_to<>> models;
  std::unordered_map<std::string, std::int64_t, StringHash, std::equal_to<>> origins;
  // Model rows (and raw edge rows): counts, sums, histograms per model and streaming.
  const RowSink model_sink = [&](const RollupRowView& v) {
    v.merge_into(groups[v.is_streaming ? 1 : 0]);
    if (!v.model.empty()) {
      auto it = models.find(v.model);
      if (it == models.end()) it = models.emplace(std::string(v.model), Aggregate{}).first;
      v.merge_into(it->second, /*with_tpot=*/false);
    }
  };
  // Error and origin rows (and raw edge rows): error types and origins.
  const RowSink detail_sink = [&](const RollupRowView& v) {
    const std::int64_t n = v.requests();
    if (!v.success && !v.error_type.empty())
      errors[{v.is_streaming, std::string(v.error_type)}] += n;
    if (!v.origin.empty()) {
      auto it = origins.find(v.origin);
      if (it == origins.end()) it = origins.emplace(std::string(v.origin), 0).first;
      it->second += n;
    }
  };
  const RowSink raw_sink = [&](const RollupRowView& v) {
    model_sink(v);
    detail_sink(v);
  };
  try {
    auto conn = acquire_reader();
    conn->db.exec("BEGIN");  // one snapshot for every piece
    // The raw edge pieces are the same in both splits: read once, fed to both sinks.
    scan(*conn, rollup::split_range(range.start_ms, range.end_ms, rollup::Tier::day, true),
         Source::model, model_sink, &raw_sink);
    const auto pieces = rollup::split_range(range.start_ms, range.end_ms, rollup::Tier::day);
    scan(*conn, pieces, Source::errors, detail_sink, nullptr);
    scan(*conn, pieces, Source::origins, detail_sink, nullptr);
    conn->db.exec("COMMIT");
  } catch (const SqliteFailure& f) {
    throw_read_error("summarizing requests", f);
  }

  const auto by_count = [](const NamedCount& a, const NamedCount& b) {
    return a.count != b.count ? a.count > b.count : a.name < b.name;
  };
  MetricsSummary out;
  for (int streamed = 0; streamed < 2; ++streamed) {
    const Aggregate& a = groups[streamed];
    GroupSummary& g = streamed ? out.streamed : out.non_streamed;
    g.total = a.requests;
    g.successful = a.successful;
    g.failed = a.requests - a.successful;
    g.tokens_reported_count = a.tokens_reported;
    g.tokens_total = a.tokens_total;
    g.prompt_tokens_total = a.prompt_tokens;
    g.completion_tokens_total = a.completion_tokens;
    g.avg_tokens_per_second = a.tokens_per_second.mean();
    g.avg_response_time_ms = a.response_time.mean();
    g.avg_time_to_first_token_ms = a.time_to_first_token.mean();
    g.avg_time_to_last_token_ms = a.time_to_last_token.mean();
    g.avg_completion_duration_ms = a.completion_duration.mean();
    for (const auto& [key, n] : errors)
      if (key.first == (streamed != 0)) g.error_types.push_back({key.second, n});
    std::sort(g.error_types.begin(), g.error_types.end(), by_count);
  }
  out.total = out.streamed.total + out.non_streamed.total;
  out.successful = out.streamed.successful + out.non_streamed.successful;
  out.failed = out.streamed.failed + out.non_streamed.failed;
  rollup::Sum response = groups[0].response_time;
  response.add(groups[1].response_time);
  out.avg_response_time_ms = response.mean();

  const auto latency = [](const Aggregate& a) {
    return LatencyPercentiles{percentiles_of(a.response_time_hist),
                              percentiles_of(a.time_to_first_token_hist),
                              percentiles_of(a.time_per_output_token_hist)};
  };
  out.percentiles_non_streamed = latency(groups[0]);
  out.percentiles_streamed = latency(groups[1]);
  Aggregate all = std::move(groups[0]);
  all.merge(groups[1]);
  out.percentiles_all = latency(all);

  for (const auto& [name, a] : models) {
    out.model_distribution.push_back({name, a.requests});
    ModelSummary m;
    m.model = name;
    m.total = a.requests;
    m.successful = a.successful;
    m.failed = a.requests - a.successful;
    m.avg_response_time_ms = a.response_time.mean();
    m.p50_response_time_ms = a.response_time_hist.percentile(0.50);
    m.p95_response_time_ms = a.response_time_hist.percentile(0.95);
    m.avg_time_to_first_token_ms = a.time_to_first_token.mean();
    m.p95_time_to_first_token_ms = a.time_to_first_token_hist.percentile(0.95);
    m.prompt_tokens_total = a.prompt_tokens;
    m.completion_tokens_total = a.completion_tokens;
    m.tokens_total = a.tokens_total;
    m.avg_tokens_per_second = a.tokens_per_second.mean();
    out.models.push_back(std::move(m));
  }
  std::sort(out.model_distribution.begin(), out.model_distribution.end(), by_count);
  std::sort(out.models.begin(), out.models.end(), [](const ModelSummary& a, const ModelSummary& b) {
    return a.total != b.total ? a.total > b.total : a.model < b.model;
  });
  for (const auto& [name, n] : origins) out.origin_distribution.push_back({name, n});
  std::sort(out.origin_distribution.begin(), out.origin_distribution.end(), by_count);
  return out;
}

Timeseries SqliteStore::timeseries(const TimeseriesQuery& q) {
  using rollup::Aggregate;
  if (q.bucket_ms <= 0 || q.end_ms < q.start_ms)
    throw StoreError("timeseries: the bucket must be positive and start not after end");
  const auto floor_to_bucket = [&q](std::int64_t t) {
    const std::int64_t x = t - q.bucket_offset_ms;
    const std::int64_t f = x / q.bucket_ms - ((x % q.bucket_ms != 0 && x < 0) ? 1 : 0);
    return f * q.bucket_ms + q.bucket_offset_ms;
  };
  const std::int64_t first = floor_to_bucket(q.start_ms);
  const std::int64_t n = (floor_to_bucket(q.end_ms) - first) / q.bucket_ms + 1;
  constexpr std::int64_t kMaxBuckets = 1'000'000;  // the API allows far fewer
  if (n > kMaxBuckets)
    throw StoreError(fmt::format("timeseries: {} buckets is more than {}", n, kMaxBuckets));
  // The coarsest tier whose units never straddle a bucket boundary.
  rollup::Tier tier = rollup::Tier::minute;
  if (q.bucket_ms % rollup::kDayMs == 0 && q.bucket_offset_ms % rollup::kDayMs == 0)
    tier = rollup::Tier::day;
  else if (q.bucket_ms % rollup::kHourMs == 0 && q.bucket_offset_ms % rollup::kHourMs == 0)
    tier = rollup::Tier::hour;
  else if (q.bucket_ms % rollup::kFiveMinutesMs == 0 &&
           q.bucket_offset_ms % rollup::kFiveMinutesMs == 0)
    tier = rollup::Tier::five_minutes;
  else if (q.bucket_ms % rollup::kMinuteMs != 0 || q.bucket_offset_ms % rollup::kMinuteMs != 0)
    tier = rollup::Tier::raw;

  const auto count = static_cast<std::size_t>(n);
  std::vector<Aggregate> all;
  std::unordered_map<std::string, std::vector<Aggregate>, StringHash, std::equal_to<>> models;
  if (!q.by_model) all.resize(count);
  const RowSink sink = [&](const RollupRowView& v) {
    if (v.bucket_ms == rollup::kUnknownTimeMs) return;
    const std::int64_t i = (floor_to_bucket(v.bucket_ms) - first) / q.bucket_ms;
    if (i < 0 || i >= n) return;
    std::vector<Aggregate>* target = &all;
    if (q.by_model) {
      if (v.model.empty()) return;
      auto it = models.find(v.model);
      if (it == models.end()) it = models.emplace(std::string(v.model), count).first;
      target = &it->second;
    }
    v.merge_into((*target)[static_cast<std::size_t>(i)], /*with_tpot=*/false);
  };
  try {
    auto conn = acquire_reader();
    conn->db.exec("BEGIN");
    scan(*conn, rollup::split_range(q.start_ms, q.end_ms, tier, true), Source::model, sink, &sink);
    conn->db.exec("COMMIT");
  } catch (const SqliteFailure& f) {
    throw_read_error("reading a timeseries", f);
  }

  const auto stats = [](const rollup::Sum& sum, const rollup::LogHistogram& h) {
    return LatencyStats{sum.mean(), h.percentile(0.50), h.percentile(0.95), h.percentile(0.99)};
  };
  const auto series_of = [&](std::optional<std::string> model, const std::vector<Aggregate>& aggs) {
    TimeseriesSeries s;
    s.model = std::move(model);
    s.points.reserve(aggs.size());
    for (std::size_t i = 0; i < aggs.size(); ++i) {
      const Aggregate& a = aggs[i];
      TimeseriesPoint p;
      p.t_ms = first + static_cast<std::int64_t>(i) * q.bucket_ms;
      p.successful = a.successful;
      p.failed = a.requests - a.successful;
      p.prompt_tokens = a.prompt_tokens;
      p.completion_tokens = a.completion_tokens;
      p.total_tokens = a.tokens_total;
      p.response_time_ms = stats(a.response_time, a.response_time_hist);
      p.time_to_first_token_ms = stats(a.time_to_first_token, a.time_to_first_token_hist);
      p.avg_tokens_per_second = a.tokens_per_second.mean();
      s.points.push_back(p);
    }
    return s;
  };
  Timeseries out;
  if (!q.by_model) {
    out.series.push_back(series_of(std::nullopt, all));
    return out;
  }
  std::vector<std::pair<std::int64_t, const std::string*>> order;
  for (const auto& [name, aggs] : models) {
    std::int64_t total = 0;
    for (const auto& a : aggs) total += a.requests;
    order.emplace_back(total, &name);
  }
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : *a.second < *b.second;
  });
  for (const auto& [total, name] : order) out.series.push_back(series_of(*name, models[*name]));
  return out;
}

std::optional<std::int64_t> SqliteStore::first_record_time() {
  try {
    auto conn = acquire_reader();
    // The timestamp index answers this with one step.
    auto& st = conn->statement(
        "SELECT timestamp FROM completion_requests WHERE timestamp IS NOT NULL "
        "ORDER BY timestamp LIMIT 1");
    StatementReset reset(st);
    if (!st.step()) return std::nullopt;
    return time::parse_iso8601(st.column_view(0));
  } catch (const SqliteFailure& f) {
    throw_read_error("finding the first record", f);
  }
}

RequestPage SqliteStore::list_requests(const RequestQuery& query) {
  RequestPage page;
  if (query.limit == 0) return page;

  std::vector<std::string> conds;
  std::vector<Arg> args;
  add_range(query.range, conds, args);
  if (query.after) {
    // Keyset paging on (timestamp, id) descending. The first condition is a plain range on the
    // index, so a page costs O(limit) however deep it lies; the second drops the rows of the
    // cursor's own millisecond that came before it.
    const std::string ts = time::format_iso8601_utc(query.after->timestamp_ms);
    conds.emplace_back("timestamp <= ?");
    args.emplace_back(ts);
    conds.emplace_back("(timestamp < ? OR id < ?)");
    args.emplace_back(ts);
    args.emplace_back(query.after->id);
  }
  if (query.model) {
    conds.emplace_back("model = ?");
    args.emplace_back(*query.model);
  }
  if (query.is_streaming) {
    conds.emplace_back(*query.is_streaming ? "is_streaming" : "NOT COALESCE(is_streaming, 0)");
  }
  if (query.success) conds.emplace_back(*query.success ? "success" : "NOT success");
  if (query.error_type) {
    conds.emplace_back("error_type = ?");
    args.emplace_back(*query.error_type);
  }
  if (query.origin) {
    conds.emplace_back("origin = ?");
    args.emplace_back(*query.origin);
  }
  // The +1 row tells whether another page exists without a COUNT.
  const std::string sql = fmt::format(
      "SELECT id, {} FROM completion_requests{} ORDER BY timestamp DESC, id DESC LIMIT ?",
      kRecordColumns, where(conds));
  args.emplace_back(static_cast<std::int64_t>(
      std::min<std::size_t>(query.limit, std::numeric_limits<std::int64_t>::max() - 1) + 1));

  try {
    auto conn = acquire_reader();
    auto& st = conn->statement(sql);
    StatementReset reset(st);
    bind_args(st, args);
    while (st.step()) {
      if (page.rows.size() == query.limit) {
        const auto& last = page.rows.back();
        page.next = Cursor{last.record.timestamp_ms, last.id};
        break;
      }
      page.rows.push_back(read_record(st));
    }
  } catch (const SqliteFailure& f) {
    throw_read_error("listing requests", f);
  }
  return page;
}

}  // namespace lmp::storage::sqlite
