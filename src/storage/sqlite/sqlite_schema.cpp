#include "storage/sqlite/sqlite_schema.hpp"

#include <fmt/format.h>

#include <array>
#include <set>
#include <system_error>

#include "storage/sqlite/sqlite_rollups.hpp"
#include "storage/store.hpp"
#include "support/time.hpp"

namespace lmp::storage::sqlite {
namespace {

namespace fs = std::filesystem;

// The reference implementation's table, exactly as it creates it (schema version 3), so that a
// database we create stays readable by anything written against the reference.
constexpr const char* kReferenceTable = R"sql(
CREATE TABLE IF NOT EXISTS completion_requests (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  timestamp DATETIME DEFAULT CURRENT_TIMESTAMP,
  success BOOLEAN NOT NULL,
  status_code INTEGER,
  response_time_ms INTEGER,
  model TEXT,
  origin TEXT,
  is_streaming BOOLEAN,
  max_tokens INTEGER,
  temperature REAL,
  top_p REAL,
  message_count INTEGER,
  prompt_tokens INTEGER,
  completion_tokens INTEGER,
  total_tokens INTEGER,
  finish_reason TEXT,
  time_to_first_token_ms INTEGER,
  time_to_last_token_ms INTEGER,
  tokens_per_second REAL,
  app_version TEXT DEFAULT '1.0.0',
  error_type TEXT,
  error_message TEXT
);
CREATE TABLE IF NOT EXISTS schema_version (
  id INTEGER PRIMARY KEY,
  version INTEGER NOT NULL,
  applied_at DATETIME DEFAULT CURRENT_TIMESTAMP,
  description TEXT
);
)sql";

struct ColumnDef {
  const char* name;
  const char* definition;  // what ALTER TABLE ADD COLUMN takes after the name
};

// Columns the reference added over its versions 1-3 (app_version, for one, by ALTER TABLE, so
// it may be the last column). Adding whichever is missing brings any older reference table to
// version 3 without knowing its exact history.
constexpr std::array<ColumnDef, 21> kReferenceColumns{{
    {"timestamp", "DATETIME"},  // ADD COLUMN forbids a non-constant default
    {"success", "BOOLEAN NOT NULL DEFAULT 0"},
    {"status_code", "INTEGER"},
    {"response_time_ms", "INTEGER"},
    {"model", "TEXT"},
    {"origin", "TEXT"},
    {"is_streaming", "BOOLEAN"},
    {"max_tokens", "INTEGER"},
    {"temperature", "REAL"},
    {"top_p", "REAL"},
    {"message_count", "INTEGER"},
    {"prompt_tokens", "INTEGER"},
    {"completion_tokens", "INTEGER"},
    {"total_tokens", "INTEGER"},
    {"finish_reason", "TEXT"},
    {"time_to_first_token_ms", "INTEGER"},
    {"time_to_last_token_ms", "INTEGER"},
    {"tokens_per_second", "REAL"},
    {"app_version", "TEXT DEFAULT '1.0.0'"},
    {"error_type", "TEXT"},
    {"error_message", "TEXT"},
}};

// Version 4: what we measure beyond the reference.
constexpr std::array<ColumnDef, 10> kVersion4Columns{{
    {"endpoint", "TEXT"},
    {"backend", "TEXT"},
    {"client_address", "TEXT"},
    {"\"user\"", "TEXT"},
    {"api_key_fingerprint", "TEXT"},
    {"time_to_first_byte_ms", "REAL"},
    {"max_inter_token_gap_ms", "REAL"},
    {"request_bytes", "INTEGER"},
    {"response_bytes", "INTEGER"},
    {"degraded", "INTEGER NOT NULL DEFAULT 0"},
}};

std::string unquoted(const char* name) {
  std::string s(name);
  if (s.size() >= 2 && s.front() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

bool has_table(Database& db, const char* name) {
  auto st = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  st.bind_text(1, name);
  return st.step();
}

std::set<std::string> columns_of(Database& db, const char* table) {
  auto st = db.prepare(fmt::format("PRAGMA table_info({})", table));
  std::set<std::string> names;
  while (st.step()) names.insert(st.column_text(1));
  return names;
}

void add_missing_columns(Database& db, std::span<const ColumnDef> defs) {
  const auto existing = columns_of(db, "completion_requests");
  for (const auto& c : defs) {
    if (existing.count(unquoted(c.name))) continue;
    db.exec(fmt::format("ALTER TABLE completion_requests ADD COLUMN {} {}", c.name, c.definition)
                .c_str());
  }
}

// Versions 1-3 are the reference's. An empty database gets version 3 directly; an older
// reference table gets whichever of its columns are missing.
void apply_reference_schema(Database& db) {
  db.exec(kReferenceTable);
  add_missing_columns(db, kReferenceColumns);
}

void apply_version_4(Database& db) {
  add_missing_columns(db, kVersion4Columns);
  // The reference stored local time without a zone ('2025-08-01T12:34:56.123456' or
  // '2025-08-01 12:34:56'). We store UTC as 'YYYY-MM-DDTHH:MM:SS.mmmZ', the exact text of
  // time::format_iso8601_utc, so that text order is time order and range filters can compare
  // strings on the index. strftime(..., 'utc') reads the stored text as local time of the
  // machine running the migration (the same machine, as a rule, that wrote it): the best
  // interpretation available, as the reference recorded no zone. Text SQLite cannot read as a
  // date is kept as it was rather than lost.
  db.exec(R"sql(
UPDATE completion_requests
   SET timestamp = COALESCE(strftime('%Y-%m-%dT%H:%M:%fZ', timestamp, 'utc'), timestamp)
 WHERE timestamp IS NOT NULL;
UPDATE completion_requests SET endpoint = 'chat/completions' WHERE endpoint IS NULL;
CREATE INDEX IF NOT EXISTS idx_completion_requests_timestamp
    ON completion_requests(timestamp);
)sql");
}

// Version 5: per-minute, per-hour and per-day rollups on the full key with histograms. Version
// 6 replaces them, so they are created empty here (building them only to convert them at once
// would double the work); a database written by a version-5 build has them filled, and
// migration 6 converts those rows.
void apply_version_5(Database& db) {
  create_legacy_rollup_tables(db);
}

// Version 6: the model tables (1m, 5m, 1h, 1d: per model and streaming, with histograms) and
// the error and origin count tables (1m, 1h, 1d), built from version 5's minute
// rows or from the raw rows (in this migration's transaction, after the backup), then kept by
// every insert; version 5's tables are dropped (the file keeps its size until a VACUUM).
void apply_version_6(Database& db) {
  build_rollups(db);
}

struct Migration {
  int version;
  const char* description;
  void (*apply)(Database&);
};

constexpr std::array<Migration, 4> kMigrations{{
    {3, "reference schema (completion_requests, schema_version)", &apply_reference_schema},
    {4,
     "endpoint, backend, client, user, key fingerprint, first byte, inter-token gap, sizes, "
     "degraded; timestamp index; timestamps to UTC",
     &apply_version_4},
    {5, "rollups per minute, hour and day with latency histograms", &apply_version_5},
    {6,
     "rollups split: per model and streaming with histograms (1m, 5m, 1h, 1d), per full key "
     "with counts (1m, 1h, 1d)",
     &apply_version_6},
}};

int max_version(Database& db) {
  auto st = db.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version");
  st.step();
  return static_cast<int>(st.column_int(0));
}

[[noreturn]] void throw_failure(std::string_view what, const std::string& path,
                                const SqliteFailure& f) {
  throw StoreError(
      fmt::format("SQLite database '{}': {}: {}. {}", path, what, f.message, advice_for(f.code)));
}

void run_migration(Database& db, const Migration& m, const std::string& path,
                   const std::optional<fs::path>& backup) {
  try {
    // IMMEDIATE takes the write lock now, and the version is read again under it: another
    // process opening the same file at the same moment cannot migrate it twice.
    db.exec("BEGIN IMMEDIATE");
    if (has_table(db, "schema_version") && max_version(db) >= m.version) {
      db.exec("COMMIT");
      return;
    }
    m.apply(db);
    auto st = db.prepare(
        "INSERT INTO schema_version(version, applied_at, description) "
        "VALUES (?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?)");
    st.bind_int(1, m.version);
    st.bind_text(2, m.description);
    st.step();
    db.exec("COMMIT");
  } catch (const SqliteFailure& f) {
    if (!sqlite3_get_autocommit(db.get()))
      sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw_failure(
        fmt::format("migration to schema version {} failed and was rolled back{}", m.version,
                    backup ? fmt::format(" (backup: {})", backup->string()) : ""),
        path, f);
  }
}

}  // namespace

std::string advice_for(int code) {
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return "Another process holds a lock on it (is another instance running?); stop it or "
             "use another DB_PATH";
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_CANTOPEN:
    case SQLITE_AUTH:
      return "Check that the file and its folder exist and are writable by this user (SQLite "
             "also creates -wal and -shm files beside it), or set DB_PATH to a writable place";
    case SQLITE_NOTADB:
      return "The file is not an SQLite database; point DB_PATH at the metrics database or at "
             "a new file";
    case SQLITE_CORRUPT:
      return "The file is damaged; restore it from its backups/ folder or move it away";
    case SQLITE_FULL:
      return "The disk is full; free space or move DB_PATH";
    case SQLITE_IOERR:
      return "The disk reported an I/O error; check the disk and the file's permissions";
    default:
      return "Check the file and the disk";
  }
}

int read_schema_version(Database& db, const std::string& path) {
  const bool has_requests = has_table(db, "completion_requests");
  const bool has_versions = has_table(db, "schema_version");
  if (!has_requests && !has_versions) {
    auto st = db.prepare(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
    st.step();
    if (st.column_int(0) > 0)
      throw StoreError(fmt::format(
          "SQLite database '{}' holds tables but no completion_requests table: it is not a "
          "metrics database. Point DB_PATH at the metrics database or at a new file",
          path));
    return 0;
  }
  if (!has_versions) return 1;  // a reference table from before it recorded versions
  const int v = max_version(db);
  if (!has_requests && v <= kSchemaVersion) return 0;
  return v == 0 ? 1 : v;
}

fs::path backup_database(Database& db, const fs::path& db_path) {
  const fs::path dir =
      (db_path.has_parent_path() ? db_path.parent_path() : fs::path(".")) / "backups";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    throw StoreError(fmt::format(
        "cannot create the backup folder '{}' ({}), so the database '{}' was not migrated. "
        "Make the folder writable or free space, then start again",
        dir.string(), ec.message(), db_path.string()));

  // "2026-11-29T02:40:56.123Z" -> "20261129_024056_123"
  const std::string iso = time::format_iso8601_utc(time::now_unix_ms());
  const std::string stamp = iso.substr(0, 4) + iso.substr(5, 2) + iso.substr(8, 2) + "_" +
                            iso.substr(11, 2) + iso.substr(14, 2) + iso.substr(17, 2) + "_" +
                            iso.substr(20, 3);
  fs::path target = dir / (db_path.filename().string() + "." + stamp + ".backup");
  for (int n = 1; fs::exists(target); ++n)  // two starts within one millisecond
    target =
        dir / (db_path.filename().string() + "." + stamp + "-" + std::to_string(n) + ".backup");

  try {
    Database dest = Database::open(target.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    sqlite3_backup* b = sqlite3_backup_init(dest.get(), "main", db.get(), "main");
    if (!b) dest.fail(sqlite3_errcode(dest.get()));
    const int step_rc = sqlite3_backup_step(b, -1);
    const int finish_rc = sqlite3_backup_finish(b);
    if (step_rc != SQLITE_DONE) throw SqliteFailure{step_rc, sqlite3_errstr(step_rc)};
    if (finish_rc != SQLITE_OK) dest.fail(finish_rc);
  } catch (const SqliteFailure& f) {
    fs::remove(target, ec);
    throw StoreError(fmt::format(
        "cannot back up the SQLite database '{}' to '{}' before migrating it: {}. The database "
        "was not changed. {}",
        db_path.string(), target.string(), f.message, advice_for(f.code)));
  }
  return target;
}

MigrationOutcome migrate(Database& db, const fs::path& db_path) {
  const std::string path = db_path.string();
  MigrationOutcome out;
  try {
    out.from_version = read_schema_version(db, path);
  } catch (const SqliteFailure& f) {
    throw_failure("cannot read its schema", path, f);
  }
  out.to_version = out.from_version;
  if (out.from_version > kSchemaVersion)
    throw StoreError(fmt::format(
        "SQLite database '{}' has schema version {}, newer than the {} this program knows: a "
        "newer version of llm-metrics-proxy wrote it. Run that version, or point DB_PATH at "
        "another file",
        path, out.from_version, kSchemaVersion));
  if (out.from_version == kSchemaVersion) return out;

  if (out.from_version > 0) out.backup = backup_database(db, db_path);
  for (const auto& m : kMigrations) {
    if (m.version <= out.from_version) continue;
    run_migration(db, m, path, out.backup);
    out.to_version = m.version;
  }
  return out;
}

}  // namespace lmp::storage::sqlite
