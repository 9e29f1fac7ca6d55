#include "storage/sqlite/sqlite_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <system_error>
#include <unordered_map>
#include <variant>

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

std::string insert_sql() {
  std::string sql = fmt::format("INSERT INTO completion_requests ({}) VALUES (", kRecordColumns);
  for (int i = 0; i < kRecordColumnCount; ++i) sql += i ? ", ?" : "?";
  return sql + ")";
}

void bind_record(Statement& st, const llm::CompletionRecord& r) {
  int i = 0;
  st.bind_text(++i, time::format_iso8601_utc(r.timestamp_ms));
  st.bind_text(++i, llm::to_string(r.endpoint));
  st.bind_text(++i, r.backend);
  st.bind_text(++i, r.client_address);
  st.bind_text(++i, r.origin);
  st.bind_text(++i, r.api_key_fingerprint);
  st.bind_text(++i, r.model);
  st.bind_text(++i, r.user);
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
  st.bind_text(++i, llm::to_string(r.error_type));  // empty for none -> NULL
  st.bind_text(++i, r.error_message);
  st.bind_text(++i, r.finish_reason);
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
  st.bind_text(++i, LMP_VERSION);
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

std::optional<double> mean(double sum, std::int64_t count) {
  if (count <= 0) return std::nullopt;
  return sum / static_cast<double>(count);
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

 private:
  SqliteStore& store_;
  std::unique_ptr<ReadConnection> conn_;
};

SqliteStore::SqliteStore(std::string path, bool read_only, int schema_version, Database writer)
    : path_(std::move(path)),
      read_only_(read_only),
      schema_version_(schema_version),
      writer_(std::move(writer)) {}

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

  std::unique_ptr<SqliteStore> store(
      new SqliteStore(path, options.read_only, version, std::move(writer)));
  try {
    if (!options.read_only) store->insert_stmt_ = store->writer_.prepare(insert_sql(), true);
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
    writer_.exec("BEGIN IMMEDIATE");
    for (const auto& r : records) {
      bind_record(insert_stmt_, r);
      insert_stmt_.step();
      insert_stmt_.reset();
    }
    writer_.exec("COMMIT");
  } catch (const SqliteFailure& f) {
    insert_stmt_.reset();
    // Some errors (a full disk, an I/O error) already roll back; a failed COMMIT does not.
    if (!sqlite3_get_autocommit(writer_.get()))
      sqlite3_exec(writer_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw StoreError(
        fmt::format("SQLite database '{}': writing {} record(s) failed and was rolled back: {}. {}",
                    path_, records.size(), f.message, advice_for(f.code)));
  }
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

MetricsSummary SqliteStore::summarize(const TimeRange& range) {
  std::vector<std::string> conds;
  std::vector<Arg> args;
  add_range(range, conds, args);
  const std::string range_where = where(conds);

  // One scan for every per-group number: conditional aggregates grouped by streaming. NULL
  // is_streaming (possible in reference rows) counts as non-streamed. Sums and counts come back
  // separately so the overall average response time can be combined exactly.
  const std::string groups_sql =
      "SELECT CASE WHEN is_streaming THEN 1 ELSE 0 END AS streamed, COUNT(*), "
      "COALESCE(SUM(CASE WHEN success THEN 1 ELSE 0 END), 0), "
      "COUNT(total_tokens), COALESCE(SUM(total_tokens), 0), "
      "COALESCE(SUM(CASE WHEN total_tokens IS NOT NULL THEN prompt_tokens END), 0), "
      "COALESCE(SUM(CASE WHEN total_tokens IS NOT NULL THEN completion_tokens END), 0), "
      "TOTAL(tokens_per_second), COUNT(tokens_per_second), "
      "TOTAL(response_time_ms), COUNT(response_time_ms), "
      "TOTAL(time_to_first_token_ms), COUNT(time_to_first_token_ms), "
      "TOTAL(time_to_last_token_ms), COUNT(time_to_last_token_ms), "
      "TOTAL(time_to_last_token_ms - time_to_first_token_ms), "
      "COUNT(time_to_last_token_ms - time_to_first_token_ms) "
      "FROM completion_requests" +
      range_where + " GROUP BY streamed";

  std::vector<std::string> error_conds = conds;
  error_conds.emplace_back("NOT success");
  error_conds.emplace_back("error_type IS NOT NULL");
  error_conds.emplace_back("error_type <> ''");
  const std::string errors_sql =
      "SELECT CASE WHEN is_streaming THEN 1 ELSE 0 END AS streamed, error_type, COUNT(*) AS n "
      "FROM completion_requests" +
      where(error_conds) + " GROUP BY streamed, error_type ORDER BY n DESC, error_type ASC";

  auto distribution_sql = [&](const char* column) {
    std::vector<std::string> c = conds;
    c.emplace_back(fmt::format("{} IS NOT NULL", column));
    c.emplace_back(fmt::format("{} <> ''", column));
    return fmt::format(
        "SELECT {0}, COUNT(*) AS n FROM completion_requests{1} GROUP BY {0} ORDER BY n DESC, {0} "
        "ASC",
        column, where(c));
  };
  const std::string models_sql = distribution_sql("model");
  const std::string origins_sql = distribution_sql("origin");

  MetricsSummary out;
  try {
    auto conn = acquire_reader();
    conn->db.exec("BEGIN");  // one snapshot for the four queries

    double response_sum = 0;
    std::int64_t response_count = 0;
    {
      auto& st = conn->statement(groups_sql);
      StatementReset reset(st);
      bind_args(st, args);
      while (st.step()) {
        GroupSummary& g = st.column_int(0) ? out.streamed : out.non_streamed;
        g.total = st.column_int(1);
        g.successful = st.column_int(2);
        g.failed = g.total - g.successful;
        g.tokens_reported_count = st.column_int(3);
        g.tokens_total = st.column_int(4);
        g.prompt_tokens_total = st.column_int(5);
        g.completion_tokens_total = st.column_int(6);
        g.avg_tokens_per_second = mean(st.column_double(7), st.column_int(8));
        g.avg_response_time_ms = mean(st.column_double(9), st.column_int(10));
        g.avg_time_to_first_token_ms = mean(st.column_double(11), st.column_int(12));
        g.avg_time_to_last_token_ms = mean(st.column_double(13), st.column_int(14));
        g.avg_completion_duration_ms = mean(st.column_double(15), st.column_int(16));
        response_sum += st.column_double(9);
        response_count += st.column_int(10);
      }
    }
    out.total = out.streamed.total + out.non_streamed.total;
    out.successful = out.streamed.successful + out.non_streamed.successful;
    out.failed = out.streamed.failed + out.non_streamed.failed;
    out.avg_response_time_ms = mean(response_sum, response_count);

    {
      auto& st = conn->statement(errors_sql);
      StatementReset reset(st);
      bind_args(st, args);
      while (st.step())
        (st.column_int(0) ? out.streamed : out.non_streamed)
            .error_types.push_back({st.column_text(1), st.column_int(2)});
    }
    for (auto [sql, target] : {std::pair{&models_sql, &out.model_distribution},
                               std::pair{&origins_sql, &out.origin_distribution}}) {
      auto& st = conn->statement(*sql);
      StatementReset reset(st);
      bind_args(st, args);
      while (st.step()) target->push_back({st.column_text(0), st.column_int(1)});
    }
    conn->db.exec("COMMIT");
  } catch (const SqliteFailure& f) {
    throw_read_error("summarizing requests", f);
  }
  return out;
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
