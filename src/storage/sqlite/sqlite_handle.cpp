#include "storage/sqlite/sqlite_handle.hpp"

#include <cstring>

namespace lmp::storage::sqlite {

Database::~Database() {
  // sqlite3_close_v2 defers the close until every statement is finalized, so destruction
  // order between a Database and its Statements does not matter.
  if (db_) sqlite3_close_v2(db_);
}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    if (db_) sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

Database Database::open(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_EXRESCODE, nullptr);
  Database owner(db);  // even a failed open returns a handle that must be closed
  if (rc != SQLITE_OK) {
    SqliteFailure failure{rc, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)};
    throw failure;
  }
  sqlite3_extended_result_codes(db, 1);
  return owner;
}

void Database::exec(const char* sql) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(rc);
}

Statement Database::prepare(std::string_view sql, bool persistent) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    persistent ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, nullptr);
  if (rc != SQLITE_OK) fail(rc);
  return Statement(stmt, db_);
}

void Database::fail(int rc) const {
  throw SqliteFailure{rc, db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc)};
}

Statement::~Statement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    if (stmt_) sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_ = other.db_;
    bound_ = std::move(other.bound_);
  }
  return *this;
}

namespace {
void check_bind(int rc, sqlite3* db) {
  if (rc != SQLITE_OK) throw SqliteFailure{rc, sqlite3_errmsg(db)};
}
}  // namespace

Statement::Bound& Statement::bound(int i) {
  const auto index = static_cast<std::size_t>(i - 1);
  if (index >= bound_.size()) bound_.resize(index + 1);
  return bound_[index];
}

void Statement::forget_bound_values() {
  bound_.clear();
}

void Statement::bind_null(int i) {
  auto& b = bound(i);
  if (b.kind == Bound::Kind::null) return;
  b.kind = Bound::Kind::unknown;  // until SQLite has taken it
  check_bind(sqlite3_bind_null(stmt_, i), db_);
  b.kind = Bound::Kind::null;
}
void Statement::bind_int(int i, std::int64_t v) {
  auto& b = bound(i);
  if (b.kind == Bound::Kind::integer && b.integer == v) return;
  b.kind = Bound::Kind::unknown;
  check_bind(sqlite3_bind_int64(stmt_, i, v), db_);
  b.kind = Bound::Kind::integer;
  b.integer = v;
}
void Statement::bind_double(int i, double v) {
  auto& b = bound(i);
  // Bit for bit: -0.0 is not 0.0 here, and a NaN equals itself.
  if (b.kind == Bound::Kind::real && std::memcmp(&b.real, &v, sizeof v) == 0) return;
  b.kind = Bound::Kind::unknown;
  check_bind(sqlite3_bind_double(stmt_, i, v), db_);
  b.kind = Bound::Kind::real;
  b.real = v;
}
void Statement::bind_text(int i, std::string_view v) {
  if (v.empty()) return bind_null(i);
  bound(i).kind = Bound::Kind::unknown;  // SQLite's copy is not compared
  check_bind(sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8), db_);
}

void Statement::bind_text_static(int i, std::string_view v) {
  if (v.empty()) return bind_null(i);
  auto& b = bound(i);
  // The bytes SQLite will read at the next step (through the pointer bound before) are these.
  if (b.kind == Bound::Kind::text && b.text.size() == v.size() &&
      (b.text.data() == v.data() || std::memcmp(b.text.data(), v.data(), v.size()) == 0))
    return;
  b.kind = Bound::Kind::unknown;
  check_bind(sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8), db_);
  b.kind = Bound::Kind::text;
  b.text = v;
}

void Statement::bind_blob(int i, std::string_view v) {
  if (v.empty()) return bind_null(i);
  bound(i).kind = Bound::Kind::unknown;
  check_bind(sqlite3_bind_blob64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT), db_);
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw SqliteFailure{rc, sqlite3_errmsg(db_)};
}

void Statement::reset() {
  if (!stmt_) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  forget_bound_values();
}

std::string Statement::column_text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  if (!p) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::string_view Statement::column_view(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  if (!p) return {};
  return {reinterpret_cast<const char*>(p),
          static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))};
}

std::string_view Statement::column_blob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  if (!p) return {};
  return {static_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))};
}

}  // namespace lmp::storage::sqlite
