// Small RAII owners for sqlite3* and sqlite3_stmt*, with typed bind/column helpers, so that
// the store and the migrations never leak a handle or forget a reset on an error path.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lmp::storage::sqlite {

// An SQLite failure: the result code (extended) and SQLite's own message, which names the
// condition ("database is locked", "disk I/O error") and never the values being written.
struct SqliteFailure {
  int code = SQLITE_ERROR;
  std::string message;
};

class Statement;

class Database {
 public:
  Database() = default;
  ~Database();
  Database(Database&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Opens with sqlite3_open_v2 and extended result codes. Throws SqliteFailure.
  static Database open(const std::string& path, int flags);

  sqlite3* get() const { return db_; }
  explicit operator bool() const { return db_ != nullptr; }

  // Runs one or more statements without results. Throws SqliteFailure.
  void exec(const char* sql);
  Statement prepare(std::string_view sql, bool persistent = false);

  // Throws SqliteFailure built from this connection's last error.
  [[noreturn]] void fail(int rc) const;

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

class Statement {
 public:
  Statement() = default;
  ~Statement();
  Statement(Statement&& other) noexcept
      : stmt_(std::exchange(other.stmt_, nullptr)),
        db_(other.db_),
        bound_(std::move(other.bound_)) {}
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  sqlite3_stmt* get() const { return stmt_; }

  // Binding by 1-based index. Empty text and nullopt bind NULL, as the store wants.
  //
  // A parameter that already holds the value (SQLite keeps bindings across sqlite3_reset) is
  // not bound again: most of a record's 31 columns repeat from one execution of the insert
  // statement to the next (NULLs, status, flags, the backend...), and each bind costs ~100
  // instructions in SQLite. Text bound with bind_text_static is compared by content; its old
  // pointer stays bound, so it must still be valid: call forget_bound_values() whenever memory
  // bound earlier may have gone (the store does at the start of every batch). A parameter
  // bound directly through get() must not also be bound through these methods.
  void bind_null(int i);
  void bind_int(int i, std::int64_t v);
  void bind_double(int i, double v);
  void bind_text(int i, std::string_view v);  // copied (SQLITE_TRANSIENT); empty -> NULL
  void bind_blob(int i, std::string_view v);  // copied (SQLITE_TRANSIENT); empty -> NULL
  // Not copied: `v` must stay valid until the statement is stepped and reset. Saves a copy
  // per column on the hot insert path.
  void bind_text_static(int i, std::string_view v);
  void bind_opt_int(int i, const std::optional<std::int64_t>& v) {
    v ? bind_int(i, *v) : bind_null(i);
  }
  void bind_opt_double(int i, const std::optional<double>& v) {
    v ? bind_double(i, *v) : bind_null(i);
  }

  // true: a row is ready; false: done. Throws SqliteFailure (after which reset() is safe).
  bool step();
  // Resets and clears bindings so a reused statement never sees a previous call's values.
  void reset();
  // Binds every parameter anew from now on (see above).
  void forget_bound_values();

  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::int64_t column_int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double column_double(int col) const { return sqlite3_column_double(stmt_, col); }
  std::string column_text(int col) const;  // NULL -> ""
  // Valid until the next step() or reset(): for reading many rows without copying.
  std::string_view column_view(int col) const;  // text; NULL -> ""
  std::string_view column_blob(int col) const;  // NULL -> ""
  std::optional<std::int64_t> column_opt_int(int col) const {
    return is_null(col) ? std::nullopt : std::optional(column_int(col));
  }
  std::optional<double> column_opt_double(int col) const {
    return is_null(col) ? std::nullopt : std::optional(column_double(col));
  }

 private:
  friend class Database;
  Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}

  // What a parameter was last bound to, as far as it can be compared.
  struct Bound {
    enum class Kind : std::uint8_t { unknown, null, integer, real, text } kind = Kind::unknown;
    std::int64_t integer = 0;
    double real = 0;
    std::string_view text;  // bind_text_static's, still bound in SQLite
  };
  // The entry of 1-based parameter i, grown on demand.
  Bound& bound(int i);

  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
  std::vector<Bound> bound_;
};

// Resets a statement when a scope ends, so it releases its read snapshot or lock even when an
// exception leaves mid-iteration.
class StatementReset {
 public:
  explicit StatementReset(Statement& s) : s_(s) {}
  ~StatementReset() { s_.reset(); }
  StatementReset(const StatementReset&) = delete;
  StatementReset& operator=(const StatementReset&) = delete;

 private:
  Statement& s_;
};

}  // namespace lmp::storage::sqlite
