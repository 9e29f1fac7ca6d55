// The SQLite schema and its numbered migrations (1-3: the reference implementation's schema,
// 4 and 5 (rollups): ours), and the online backup taken before migrating an existing database.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "storage/sqlite/sqlite_handle.hpp"

namespace lmp::storage::sqlite {

// The newest schema this build knows.
inline constexpr int kSchemaVersion = 6;

struct MigrationOutcome {
  int from_version = 0;  // 0: the database was empty
  int to_version = 0;
  std::optional<std::filesystem::path> backup;  // set when a backup was made
};

// The schema version of an open database: 0 when it holds none of our tables. Throws
// StoreError for a database that holds other tables but none of ours (DB_PATH most likely
// points at some other program's file), and SqliteFailure when it cannot be read.
int read_schema_version(Database& db, const std::string& path);

// Brings the database to kSchemaVersion, one transaction per migration. Before migrating a
// database that already holds data it makes an online backup beside it and refuses (StoreError)
// when it cannot. Throws StoreError for a version newer than kSchemaVersion.
MigrationOutcome migrate(Database& db, const std::filesystem::path& db_path);

// Copies the live database (including what is still in its WAL) with the sqlite3_backup API to
// <db dir>/backups/<db file name>.<YYYYMMDD_HHMMSS_mmm>.backup (UTC); returns that path.
std::filesystem::path backup_database(Database& db, const std::filesystem::path& db_path);

// A short advice for an SQLite result code: what the operator can do about it.
std::string advice_for(int code);

}  // namespace lmp::storage::sqlite
