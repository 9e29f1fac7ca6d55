// The rollup tables in SQLite (one per tier: minute, hour, day), the upserts that keep them
// in step with the raw rows, the lmp_hist_merge() function those upserts use, and the reading
// of rollup rows and of raw edge rows for the queries.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "llm/completion_record.hpp"
#include "storage/rollup/rollup_aggregate.hpp"
#include "storage/rollup/time_buckets.hpp"
#include "storage/sqlite/sqlite_handle.hpp"

namespace lmp::storage::sqlite {

// Registers lmp_hist_merge(a, b) on a connection: the merged histogram encoding of two BLOBs
// (NULL is empty). A damaged stored histogram is replaced by the new one rather than failing
// every later insert.
void register_rollup_functions(Database& db);

// Migration 5's DDL: the three rollup tables.
void create_rollup_tables(Database& db);

// The columns of the raw table that rollups need, in the order sample_from_row() reads them.
extern const char* const kSampleColumns;
// A sample from a row of "SELECT <kSampleColumns> ...": views into the statement's current row.
rollup::Sample sample_from_row(const Statement& st);
// A sample of a record being inserted: views into the record.
rollup::Sample sample_from_record(const llm::CompletionRecord& r);

// Upserts aggregated minutes into the minute table and, re-keyed, into the hour and day
// tables. Statements are prepared once per connection. Throws SqliteFailure.
class RollupWriter {
 public:
  RollupWriter() = default;
  explicit RollupWriter(Database& db);
  void write(const rollup::Batch& minutes);

 private:
  void upsert(Statement& st, const rollup::Batch& batch);
  Statement minute_, hour_, day_;
};

// Builds the rollups of every raw row (migration 5); flushes every so many keys so memory stays
// bounded however large the table is.
void build_rollups_from_raw(Database& db);

// One rollup row being read: the key, and either an in-memory aggregate (raw edge rows) or the
// current row of a rollup table statement.
struct RollupRowView {
  std::int64_t bucket_ms = 0;
  std::string_view model;
  std::string_view error_type;
  std::string_view origin;
  bool is_streaming = false;
  bool success = false;
  const rollup::Aggregate* aggregate = nullptr;
  const Statement* row = nullptr;

  std::int64_t requests() const;
  // Adds this row's counts, sums and (unless without_tpot) histograms to `target`.
  void merge_into(rollup::Aggregate& target, bool with_tpot = true) const;
};

// The SQL reading one piece of a range: raw rows (kSampleColumns) or a tier's rollup rows.
// Bind the returned values in order.
struct PieceQuery {
  std::string sql;
  std::vector<std::variant<std::int64_t, std::string>> args;
};
PieceQuery piece_query(const rollup::Piece& piece);

// Feeds every row of a piece's statement (already bound and stepped by the caller's loop) to
// `sink`: raw pieces are aggregated per minute first, so the sink sees rollup rows only.
using RowSink = std::function<void(const RollupRowView&)>;
void read_piece(Statement& st, rollup::Tier tier, const RowSink& sink);

}  // namespace lmp::storage::sqlite
