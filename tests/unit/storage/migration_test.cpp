// Opening databases written by the reference implementation, and the ways opening must fail.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <regex>

#include "storage/sqlite/sqlite_schema.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "storage_test_support.hpp"
#include "support/time.hpp"

namespace lmp::storage::sqlite {
namespace {

using testing::open_raw;
using testing::query_int;
using testing::query_text;
using testing::TempDir;

// The reference's CREATE statement; with app_version_last, the variant where app_version was
// added later by ALTER TABLE and so is the last column.
std::string reference_create(bool app_version_last) {
  std::string cols =
      "id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp DATETIME DEFAULT CURRENT_TIMESTAMP, "
      "success BOOLEAN NOT NULL, status_code INTEGER, response_time_ms INTEGER, model TEXT, "
      "origin TEXT, is_streaming BOOLEAN, max_tokens INTEGER, temperature REAL, top_p REAL, "
      "message_count INTEGER, prompt_tokens INTEGER, completion_tokens INTEGER, "
      "total_tokens INTEGER, finish_reason TEXT, time_to_first_token_ms INTEGER, "
      "time_to_last_token_ms INTEGER, tokens_per_second REAL, ";
  cols += app_version_last ? "error_type TEXT, error_message TEXT"
                           : "app_version TEXT DEFAULT '1.0.0', error_type TEXT, "
                             "error_message TEXT";
  std::string sql = "CREATE TABLE completion_requests (" + cols + ");";
  if (app_version_last)
    sql += "ALTER TABLE completion_requests ADD COLUMN app_version TEXT DEFAULT '1.0.0';";
  return sql;
}

constexpr const char* kReferenceVersions =
    "CREATE TABLE schema_version (id INTEGER PRIMARY KEY, version INTEGER NOT NULL, "
    "applied_at DATETIME DEFAULT CURRENT_TIMESTAMP, description TEXT);"
    "INSERT INTO schema_version (id, version, applied_at, description) VALUES "
    "(1, 1, '2025-07-01 10:00:00', 'initial'),"
    "(2, 2, '2025-07-15 10:00:00', 'add app_version'),"
    "(3, 3, '2025-08-01 09:00:00', 'add error columns');";

// Rows as the reference (Python, local time without zone) wrote them: both timestamp forms,
// NULLs, streamed and not, failures with its error wording.
constexpr const char* kReferenceRows = R"sql(
INSERT INTO completion_requests (timestamp, success, status_code, response_time_ms, model,
  origin, is_streaming, max_tokens, temperature, top_p, message_count, prompt_tokens,
  completion_tokens, total_tokens, finish_reason, time_to_first_token_ms, time_to_last_token_ms,
  tokens_per_second, app_version, error_type, error_message) VALUES
('2025-08-01T12:34:56.123456', 1, 200, 1500, 'llama3', 'http://localhost:3000', 1, 512, 0.7,
  0.9, 2, 11, 22, 33, 'stop', 120, 1400, 15.5, '1.0.0', NULL, NULL),
('2025-08-01 12:35:10', 0, 500, 80, 'qwen', NULL, 0, NULL, NULL, NULL, 1, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, '1.0.0', 'backend_error', 'Internal Server Error'),
('2025-08-02 00:10:00', 1, 200, 900, NULL, '', NULL, NULL, NULL, NULL, NULL, 5, 6, 11,
  'length', 900, 900, 6.1, NULL, NULL, NULL);
)sql";

// The machine's local time zone, fixed for a test: UTC+02:30, a fractional offset, given as
// a POSIX rule so that no tz database is needed.
class LocalZone {
 public:
  explicit LocalZone(const char* tz) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    ::setenv("TZ", tz, 1);
    ::tzset();
  }
  ~LocalZone() {
    if (old_)
      ::setenv("TZ", old_->c_str(), 1);
    else
      ::unsetenv("TZ");
    ::tzset();
  }

 private:
  std::optional<std::string> old_;
};

std::string make_reference_db(const TempDir& dir, bool app_version_last) {
  const std::string path = dir.file("metrics.db");
  auto db = open_raw(path);
  db.exec(reference_create(app_version_last).c_str());
  db.exec(kReferenceVersions);
  db.exec(kReferenceRows);
  return path;
}

std::unique_ptr<SqliteStore> open_store(const std::string& path) {
  SqliteOptions o;
  o.path = path;
  o.busy_timeout = std::chrono::milliseconds(200);
  return SqliteStore::open(o);
}

std::string open_error(const std::string& path, bool read_only = false) {
  SqliteOptions o;
  o.path = path;
  o.read_only = read_only;
  o.busy_timeout = std::chrono::milliseconds(200);
  try {
    SqliteStore::open(o);
  } catch (const StoreError& e) {
    return e.what();
  }
  return "<no error>";
}

std::int64_t utc_ms(const char* text) {
  return *time::parse_iso8601(text);
}

class ReferenceMigration : public ::testing::TestWithParam<bool> {};

TEST_P(ReferenceMigration, KeepsEveryRowAndValue) {
  LocalZone zone("LMP-02:30");
  TempDir dir;
  const std::string path = make_reference_db(dir, GetParam());
  auto store = open_store(path);
  EXPECT_EQ(store->schema_version(), kSchemaVersion);

  auto raw = open_raw(path);
  EXPECT_EQ(query_text(raw, "SELECT group_concat(version) FROM schema_version ORDER BY id"),
            "1,2,3,4,5,6");
  EXPECT_EQ(query_int(raw, "SELECT COUNT(*) FROM completion_requests"), 3);
  // Local 12:34:56.123456 at UTC+02:30 is 10:04:56.123 UTC.
  EXPECT_EQ(query_text(raw, "SELECT group_concat(timestamp, '|') FROM completion_requests"),
            "2025-08-01T10:04:56.123Z|2025-08-01T10:05:10.000Z|2025-08-01T21:40:00.000Z");
  EXPECT_EQ(query_text(raw, "SELECT group_concat(endpoint) FROM completion_requests"),
            "chat/completions,chat/completions,chat/completions");
  EXPECT_EQ(query_text(raw,
                       "SELECT group_concat(COALESCE(app_version, 'null')) FROM "
                       "completion_requests"),
            "1.0.0,1.0.0,null");
  EXPECT_EQ(query_int(raw, "SELECT SUM(degraded) FROM completion_requests"), 0);

  const auto rows = store->list_requests({}).rows;
  ASSERT_EQ(rows.size(), 3u);
  const auto& third = rows[0];  // newest first
  const auto& second = rows[1];
  const auto& first = rows[2];

  EXPECT_EQ(first.id, 1);
  EXPECT_EQ(first.record.timestamp_ms, utc_ms("2025-08-01T10:04:56.123Z"));
  EXPECT_TRUE(first.record.success);
  EXPECT_EQ(first.record.status_code, 200);
  EXPECT_EQ(first.record.response_time_ms, 1500.0);
  EXPECT_EQ(first.record.model, "llama3");
  EXPECT_EQ(first.record.origin, "http://localhost:3000");
  EXPECT_TRUE(first.record.is_streaming);
  EXPECT_EQ(first.record.max_tokens, 512);
  EXPECT_EQ(first.record.temperature, 0.7);
  EXPECT_EQ(first.record.top_p, 0.9);
  EXPECT_EQ(first.record.message_count, 2);
  EXPECT_EQ(first.record.prompt_tokens, 11);
  EXPECT_EQ(first.record.completion_tokens, 22);
  EXPECT_EQ(first.record.total_tokens, 33);
  EXPECT_EQ(first.record.finish_reason, "stop");
  EXPECT_EQ(first.record.time_to_first_token_ms, 120.0);
  EXPECT_EQ(first.record.time_to_last_token_ms, 1400.0);
  EXPECT_EQ(first.record.tokens_per_second, 15.5);
  EXPECT_EQ(first.record.error_type, llm::ErrorType::none);
  EXPECT_EQ(first.record.endpoint, llm::Endpoint::chat_completions);
  EXPECT_FALSE(first.record.time_to_first_byte_ms);
  EXPECT_EQ(first.record.request_bytes, 0);
  EXPECT_FALSE(first.record.degraded);

  EXPECT_EQ(second.id, 2);
  EXPECT_EQ(second.record.timestamp_ms, utc_ms("2025-08-01T10:05:10Z"));
  EXPECT_FALSE(second.record.success);
  EXPECT_EQ(second.record.status_code, 500);
  EXPECT_EQ(second.record.model, "qwen");
  EXPECT_EQ(second.record.origin, "");
  EXPECT_FALSE(second.record.is_streaming);
  EXPECT_FALSE(second.record.max_tokens);
  EXPECT_FALSE(second.record.temperature);
  EXPECT_FALSE(second.record.total_tokens);
  EXPECT_FALSE(second.record.time_to_first_token_ms);
  EXPECT_EQ(second.record.error_type, llm::ErrorType::backend_error);
  EXPECT_EQ(second.record.error_message, "Internal Server Error");

  EXPECT_EQ(third.id, 3);
  EXPECT_EQ(third.record.timestamp_ms, utc_ms("2025-08-01T21:40:00Z"));  // crosses midnight
  EXPECT_EQ(third.record.model, "");
  EXPECT_FALSE(third.record.is_streaming);  // NULL reads as not streamed
  EXPECT_FALSE(third.record.message_count);
  EXPECT_EQ(third.record.total_tokens, 11);
  EXPECT_EQ(third.record.finish_reason, "length");

  // The migrated rows summarize and filter like new ones.
  const auto s = store->summarize({utc_ms("2025-08-01T10:05:10Z"), std::nullopt});
  EXPECT_EQ(s.total, 2);
  EXPECT_EQ(s.non_streamed.error_types, (std::vector<NamedCount>{{"backend_error", 1}}));

  // New rows go in beside the old ones.
  llm::CompletionRecord r;
  r.timestamp_ms = utc_ms("2025-08-03T00:00:00Z");
  r.success = true;
  std::vector<llm::CompletionRecord> batch{r};
  store->insert(batch);
  EXPECT_EQ(store->list_requests({}).rows.at(0).id, 4);

  // The backup: one file named as the reference names them, a valid database holding the
  // rows as they were before the migration.
  std::vector<std::filesystem::path> backups;
  for (const auto& e : std::filesystem::directory_iterator(dir.path() / "backups"))
    backups.push_back(e.path());
  ASSERT_EQ(backups.size(), 1u);
  const std::string name = backups[0].filename().string();
  EXPECT_TRUE(std::regex_match(name, std::regex(R"(metrics\.db\.\d{8}_\d{6}_\d{3}\.backup)")))
      << name;
  auto backup = Database::open(backups[0].string(), SQLITE_OPEN_READONLY);
  EXPECT_EQ(query_text(backup, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(query_int(backup, "SELECT MAX(version) FROM schema_version"), 3);
  EXPECT_EQ(query_int(backup, "SELECT COUNT(*) FROM completion_requests"), 3);
  EXPECT_EQ(query_text(backup, "SELECT timestamp FROM completion_requests WHERE id = 1"),
            "2025-08-01T12:34:56.123456");

  // A second start finds the current version: no second backup.
  store.reset();
  store = open_store(path);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path() / "backups"),
                          std::filesystem::directory_iterator{}),
            1);
}

INSTANTIATE_TEST_SUITE_P(ColumnOrders, ReferenceMigration, ::testing::Bool(), [](const auto& info) {
  return info.param ? "AppVersionLast" : "AsCreated";
});

TEST(Migration, OlderReferenceTableWithoutVersionsGetsMissingColumns) {
  LocalZone zone("UTC0");
  TempDir dir;
  const std::string path = dir.file("metrics.db");
  {
    auto db = open_raw(path);
    db.exec(
        "CREATE TABLE completion_requests (id INTEGER PRIMARY KEY AUTOINCREMENT, "
        "timestamp DATETIME DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, "
        "response_time_ms INTEGER, model TEXT, is_streaming BOOLEAN);"
        "INSERT INTO completion_requests (timestamp, success, response_time_ms, model, "
        "is_streaming) VALUES ('2025-06-01 08:00:00', 1, 42, 'old', 0);");
  }
  auto store = open_store(path);
  EXPECT_EQ(store->schema_version(), kSchemaVersion);
  const auto rows = store->list_requests({}).rows;
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].record.timestamp_ms, utc_ms("2025-06-01T08:00:00Z"));
  EXPECT_EQ(rows[0].record.model, "old");
  EXPECT_EQ(rows[0].record.response_time_ms, 42.0);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "backups"));
}

TEST(Migration, RefusesWhenTheBackupCannotBeMade) {
  TempDir dir;
  const std::string path = make_reference_db(dir, false);
  std::ofstream(dir.path() / "backups") << "a file where the backup folder should be";
  const std::string msg = open_error(path);
  EXPECT_NE(msg.find("backup"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not migrated"), std::string::npos) << msg;
  auto raw = open_raw(path);
  EXPECT_EQ(query_int(raw, "SELECT MAX(version) FROM schema_version"), 3);  // untouched
  EXPECT_EQ(query_text(raw, "SELECT timestamp FROM completion_requests WHERE id = 2"),
            "2025-08-01 12:35:10");
}

TEST(Migration, RefusesANewerSchema) {
  TempDir dir;
  const std::string path = dir.file("metrics.db");
  { auto store = open_store(path); }
  {
    auto raw = open_raw(path);
    raw.exec("INSERT INTO schema_version (version, description) VALUES (99, 'future')");
  }
  const std::string msg = open_error(path);
  EXPECT_NE(msg.find("schema version 99"), std::string::npos) << msg;
  EXPECT_NE(msg.find("newer"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
}

TEST(Migration, RefusesAFileThatIsNotADatabase) {
  TempDir dir;
  const std::string path = dir.file("metrics.db");
  std::ofstream(path) << "this is a text file, not an SQLite database, but long enough to read "
                         "a header from it......................................................";
  const std::string msg = open_error(path);
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("not a database"), std::string::npos) << msg;
  EXPECT_NE(msg.find("DB_PATH"), std::string::npos) << msg;
}

TEST(Migration, RefusesSomeOtherProgramsDatabase) {
  TempDir dir;
  const std::string path = dir.file("other.db");
  {
    auto raw = open_raw(path);
    raw.exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)");
  }
  const std::string msg = open_error(path);
  EXPECT_NE(msg.find("not a metrics database"), std::string::npos) << msg;
}

TEST(Migration, RefusesAFolderThatCannotBeCreated) {
  TempDir dir;
  std::ofstream(dir.path() / "plain-file") << "x";
  const std::string path = (dir.path() / "plain-file" / "data" / "metrics.db").string();
  const std::string msg = open_error(path);
  EXPECT_NE(msg.find("cannot create the folder"), std::string::npos) << msg;
  EXPECT_NE(msg.find("DB_PATH"), std::string::npos) << msg;
}

TEST(Migration, RefusesAnUnwritableFolder) {
  TempDir dir;
  const auto folder = dir.path() / "locked";
  std::filesystem::create_directories(folder);
  std::filesystem::permissions(
      folder, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  if (::access(folder.c_str(), W_OK) == 0)
    GTEST_SKIP() << "running as a user (root) whom permissions do not stop";
  const std::string msg = open_error((folder / "metrics.db").string());
  EXPECT_NE(msg.find("writable"), std::string::npos) << msg;
}

TEST(Migration, RefusesAReadOnlyFile) {
  TempDir dir;
  const std::string path = dir.file("metrics.db");
  { auto store = open_store(path); }
  std::filesystem::permissions(path, std::filesystem::perms::owner_read);
  if (::access(path.c_str(), W_OK) == 0)
    GTEST_SKIP() << "running as a user (root) whom permissions do not stop";
  const std::string msg = open_error(path);
  EXPECT_NE(msg.find("read-only"), std::string::npos) << msg;
}

TEST(Migration, RefusesADatabaseLockedByAnotherProcess) {
  TempDir dir;
  const std::string path = make_reference_db(dir, false);
  auto raw = open_raw(path);
  raw.exec("BEGIN EXCLUSIVE");
  const std::string msg = open_error(path);
  EXPECT_NE(msg.find("lock"), std::string::npos) << msg;
  raw.exec("ROLLBACK");
  EXPECT_EQ(open_store(path)->schema_version(), kSchemaVersion);
}

TEST(Migration, ReadOnlyOpenRefusesAnOldSchema) {
  TempDir dir;
  const std::string path = make_reference_db(dir, false);
  const std::string msg = open_error(path, true);
  EXPECT_NE(msg.find("schema version 3"), std::string::npos) << msg;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "backups"));
}

}  // namespace
}  // namespace lmp::storage::sqlite
