// The embedded SQLite store: one write connection for the recorder's writer thread and a small
// pool of read-only connections for the metrics API, in WAL mode so reads never wait on writes.
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/rollup/time_buckets.hpp"
#include "storage/sqlite/sqlite_handle.hpp"
#include "storage/sqlite/sqlite_rollups.hpp"
#include "storage/store.hpp"

namespace lmp::storage::sqlite {

struct SqliteOptions {
  std::string path;                  // e.g. ./data/metrics.db; the parent folder is created
  bool read_only = false;            // no migration, insert() throws; the schema must be current
  std::size_t read_connections = 4;  // concurrent readers; at least 1 is opened
  // How long a statement waits for another process's lock before failing with StoreError.
  std::chrono::milliseconds busy_timeout{5000};
  // Within a transaction, the writing thread offers its core to other runnable threads
  // (sched_yield) after about this many rows; 0 never. A thousand rows are ~2 ms of CPU: on a
  // machine the proxy keeps busy, a proxy thread woken on the writer's core otherwise waits out
  // the writer's time slice (small-JSON p99 at 16 connections 3.2 ms, 1.2 ms with a yield every
  // 256 rows, at the same CPU per request; docs/performance.md, step 24).
  std::size_t yield_every_rows = 256;
  void (*yield)() = nullptr;  // what yielding calls; null: sched_yield (tests count the calls)
};

class SqliteStore final : public Store {
 public:
  // Opens (creating when absent), backs up and migrates the database. Throws StoreError with
  // the path, what failed and what to do.
  static std::unique_ptr<SqliteStore> open(const SqliteOptions& options);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // One transaction for all records; on failure rolls back, throws StoreError, and the store
  // stays usable. Calls are serialized (the recorder's writer is expected to be the only caller).
  void insert(std::span<const llm::CompletionRecord> records) override;

  // Thread-safe; each call borrows one read connection (waits when all are in use) and reads
  // one consistent snapshot.
  MetricsSummary summarize(const TimeRange& range) override;
  RequestPage list_requests(const RequestQuery& query) override;
  // Both read rollups for the whole minutes, hours and days of the range and raw rows only for
  // the partial minutes at its edges, so they cost O(buckets), not O(requests).
  Timeseries timeseries(const TimeseriesQuery& query) override;
  std::optional<std::int64_t> first_record_time() override;
  // Frees the page caches of the write connection and of the read connections not in use, and
  // the batch aggregation's tables. Serialized with insert().
  void release_memory() override;

  int schema_version() const { return schema_version_; }
  const std::string& path() const { return path_; }

 private:
  struct ReadConnection;
  class ReadLease;

  SqliteStore(std::string path, int schema_version, Database writer, const SqliteOptions& options);
  ReadLease acquire_reader();
  void release_reader(std::unique_ptr<ReadConnection> conn);
  [[noreturn]] void throw_read_error(std::string_view what, const SqliteFailure& f) const;
  // Reads every piece of a split range and hands its rollup rows to `sink`.
  // Raw pieces go to raw_sink, or are skipped when it is null.
  static void scan(ReadConnection& conn, const std::vector<rollup::Piece>& pieces, Source source,
                   const RowSink& sink, const RowSink* raw_sink);

  std::string path_;
  bool read_only_ = false;
  int schema_version_ = 0;

  std::mutex write_mutex_;
  Database writer_;
  Statement insert_stmt_;       // one row
  Statement insert_rows_stmt_;  // kRowsPerInsert rows
  static constexpr std::size_t kRowsPerInsert = 32;
  std::array<std::string, kRowsPerInsert> row_timestamps_;  // bound until the step
  RollupWriter rollup_writer_;
  rollup::WriteBatch write_batch_;  // reused by every insert
  std::size_t yield_every_rows_ = 0;
  void (*yield_)() = nullptr;
  std::size_t rows_since_yield_ = 0;  // under write_mutex_

  std::mutex pool_mutex_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<ReadConnection>> idle_readers_;
};

}  // namespace lmp::storage::sqlite
