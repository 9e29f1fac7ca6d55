// The rollup tables in SQLite, the upserts that keep them in step with the raw rows, the
// lmp_hist_merge() function those upserts use, and the reading of rollup rows and of raw edge
// rows for the queries. Two families of tables (docs/architecture.md, "Rollups"):
//   rollup_model_{1m,5m,1h,1d}: per (bucket, model, is_streaming), every count and sum and the
//     three latency histograms: all that /timeseries, the percentiles and the per-model
//     breakdown need;
//   rollup_error_{1m,1h,1d}: failed requests per (bucket, is_streaming, error_type), and
//   rollup_origin_{1m,1h,1d}: requests per (bucket, origin): the error types and origins of
//     /metrics.
#pragma once

#include <array>
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

// Migration 5's DDL (rollup_minute/hour/day with histograms on the full key). Migration 5
// now creates them empty; migration 6 converts their rows when a version-5 database has them.
void create_legacy_rollup_tables(Database& db);
// Migration 6's DDL: the model, error and origin tables.
void create_rollup_tables(Database& db);

// The columns of the raw table that rollups need, in the order sample_from_row() reads them.
extern const char* const kSampleColumns;
// A sample from a row of "SELECT <kSampleColumns> ...": views into the statement's current row.
rollup::Sample sample_from_row(const Statement& st);
// A sample of a record being inserted: views into the record.
rollup::Sample sample_from_record(const llm::CompletionRecord& r);

// Upserts a batch's minutes into the minute tables and, re-keyed, into the coarser tiers:
// one upsert per key per tier. Statements are prepared once per connection. Throws SqliteFailure.
class RollupWriter {
 public:
  RollupWriter() = default;
  explicit RollupWriter(Database& db);
  void write(const rollup::WriteBatch& batch);

 private:
  void upsert(Statement& st, const rollup::CountMap& counts, bool errors);
  // With `coarser`, each row is also upserted there under its bucket floored to
  // coarser_unit_ms (upserts add, so rows sharing a coarser bucket sum there).
  void upsert(Statement& st, const rollup::ModelMap& models, Statement* coarser = nullptr,
              std::int64_t coarser_unit_ms = 0);
  std::array<Statement, 4> model_;    // 1m, 5m, 1h, 1d
  std::array<Statement, 3> error_;    // 1m, 1h, 1d
  std::array<Statement, 3> origin_;   // 1m, 1h, 1d
  std::array<std::string, 3> hists_;  // encoding buffers, reused
};

// Migration 6: creates the model, error and origin tables and fills them, from migration 5's minute
// rows when there are any (exact: they hold every raw row once), else from the raw rows;
// then drops migration 5's tables. Flushes every so many keys so memory stays bounded.
void build_rollups(Database& db);

// Which table a piece's rows come from.
enum class Source { raw, model, errors, origins };

// One rollup row being read: the key, and either an in-memory aggregate (raw edge rows) or the
// current row of a rollup table statement.
struct RollupRowView {
  std::int64_t bucket_ms = 0;
  std::string_view model;
  bool is_streaming = false;
  // Raw, error and origin rows only:
  bool success = false;
  std::string_view error_type;
  std::string_view origin;
  Source source = Source::raw;
  const rollup::Aggregate* aggregate = nullptr;  // raw rows, aggregated per minute
  const Statement* row = nullptr;                // table rows

  std::int64_t requests() const;
  // Adds this row's counts, sums and (unless without_tpot) histograms to `target`. Raw and
  // model rows only.
  void merge_into(rollup::Aggregate& target, bool with_tpot = true) const;
};

// The SQL reading one piece of a range: raw rows (kSampleColumns) or a tier's rollup rows.
// Bind the returned values in order.
struct PieceQuery {
  std::string sql;
  std::vector<std::variant<std::int64_t, std::string>> args;
};
PieceQuery piece_query(const rollup::Piece& piece, Source source);

// Feeds every row of a piece's statement (already bound and stepped by the caller's loop) to
// `sink`: raw pieces are aggregated per minute first, so the sink sees rollup rows only.
using RowSink = std::function<void(const RollupRowView&)>;
void read_piece(Statement& st, rollup::Tier tier, Source source, const RowSink& sink);

}  // namespace lmp::storage::sqlite
