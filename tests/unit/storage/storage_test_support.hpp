// Helpers shared by the SQLite store tests: unique temporary folders and raw SQL access.
#pragma once

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "storage/sqlite/sqlite_handle.hpp"

namespace lmp::storage::sqlite::testing {

// A folder under /tmp, unique per process and test, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    path_ = std::filesystem::temp_directory_path() /
            ("lmp_storage_test_" + std::to_string(::getpid()) + "_" +
             std::to_string(counter.fetch_add(1)) + "_" + std::to_string(now));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    // Undo any chmod a test made so that removal works for a non-root user too.
    for (auto it = std::filesystem::recursive_directory_iterator(path_, ec);
         it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
      std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::add, ec);
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline Database open_raw(const std::string& path) {
  return Database::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
}

inline std::int64_t query_int(Database& db, const std::string& sql) {
  auto st = db.prepare(sql);
  if (!st.step()) return -1;
  return st.column_int(0);
}

inline std::string query_text(Database& db, const std::string& sql) {
  auto st = db.prepare(sql);
  if (!st.step()) return "<no row>";
  return st.is_null(0) ? "<null>" : st.column_text(0);
}

}  // namespace lmp::storage::sqlite::testing
