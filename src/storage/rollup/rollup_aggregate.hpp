// What one rollup row holds (counts, token sums, latency sums and histograms for one key and
// one time unit), how a request adds to it, and how rows combine. Pure: the SQLite store
// writes and reads these, the tests check them against brute force.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "storage/rollup/log_histogram.hpp"

namespace lmp::storage::rollup {

// The fields of one request that rollups need, in the form the raw table stores them: empty
// strings for NULL text, the error type as stored (reference rows may use other wordings).
struct Sample {
  std::int64_t time_ms = 0;  // kUnknownTimeMs when the stored timestamp cannot be read
  std::string_view model;
  std::string_view error_type;
  std::string_view origin;
  std::string_view endpoint;
  bool is_streaming = false;
  bool success = false;
  std::optional<std::int64_t> total_tokens;
  std::optional<std::int64_t> prompt_tokens;
  std::optional<std::int64_t> completion_tokens;
  std::optional<double> tokens_per_second;
  std::optional<double> response_time_ms;
  std::optional<double> time_to_first_token_ms;
  std::optional<double> time_to_last_token_ms;
};

// Time per output token: (last - first token) / (completion tokens - 1), streamed requests
// with more than one completion token only.
std::optional<double> time_per_output_token_ms(const Sample& s);

// A sum and how many values went into it: a mean over the requests where a value is known.
struct Sum {
  double sum = 0;
  std::int64_t count = 0;
  void add(const std::optional<double>& v) {
    if (v) {
      sum += *v;
      ++count;
    }
  }
  void add(const Sum& o) {
    sum += o.sum;
    count += o.count;
  }
  std::optional<double> mean() const {
    if (count <= 0) return std::nullopt;
    return sum / static_cast<double>(count);
  }
};

struct Aggregate {
  std::int64_t requests = 0;
  std::int64_t successful = 0;
  std::int64_t tokens_reported = 0;  // requests whose total_tokens is known
  std::int64_t tokens_total = 0;     // sums over those requests
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  Sum tokens_per_second;
  Sum response_time;
  Sum time_to_first_token;
  Sum time_to_last_token;
  Sum completion_duration;  // last - first token
  LogHistogram response_time_hist;
  LogHistogram time_to_first_token_hist;
  LogHistogram time_per_output_token_hist;

  void add(const Sample& s);
  void merge(const Aggregate& o);
};

// The rollup key; the time unit's start is part of it.
struct Key {
  std::int64_t bucket_ms = 0;
  std::string model;
  std::string error_type;
  std::string origin;
  std::string endpoint;
  bool is_streaming = false;
  bool success = false;
  bool operator==(const Key&) const = default;
};

// A key made of views, to look a sample up without building its strings (one allocation per
// field per request otherwise).
struct KeyView {
  std::int64_t bucket_ms = 0;
  std::string_view model;
  std::string_view error_type;
  std::string_view origin;
  std::string_view endpoint;
  bool is_streaming = false;
  bool success = false;
};

struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(const Key& k) const;
  std::size_t operator()(const KeyView& k) const;
};

struct KeyEqual {
  using is_transparent = void;
  bool operator()(const Key& a, const Key& b) const { return a == b; }
  bool operator()(const KeyView& a, const Key& b) const;
  bool operator()(const Key& a, const KeyView& b) const { return (*this)(b, a); }
};

// The narrow key of the model tables: what every latency, token and percentile query needs.
struct ModelKey {
  std::int64_t bucket_ms = 0;
  std::string model;
  bool is_streaming = false;
  bool operator==(const ModelKey&) const = default;
};

struct ModelKeyView {
  std::int64_t bucket_ms = 0;
  std::string_view model;
  bool is_streaming = false;
};

struct ModelKeyHash {
  using is_transparent = void;
  std::size_t operator()(const ModelKeyView& k) const;
  std::size_t operator()(const ModelKey& k) const {
    return (*this)(ModelKeyView{k.bucket_ms, k.model, k.is_streaming});
  }
};

struct ModelKeyEqual {
  using is_transparent = void;
  bool operator()(const ModelKey& a, const ModelKey& b) const { return a == b; }
  bool operator()(const ModelKeyView& a, const ModelKey& b) const {
    return a.bucket_ms == b.bucket_ms && a.is_streaming == b.is_streaming && a.model == b.model;
  }
  bool operator()(const ModelKey& a, const ModelKeyView& b) const { return (*this)(b, a); }
};

using ModelMap = std::unordered_map<ModelKey, Aggregate, ModelKeyHash, ModelKeyEqual>;
using CountMap = std::unordered_map<Key, std::int64_t, KeyHash, KeyEqual>;

// The floor of t to a unit (kUnknownTimeMs stays as it is: aligned to every unit already).
std::int64_t unit_floor(std::int64_t t, std::int64_t unit_ms);

// What one insert batch adds to the rollups, per minute: full aggregates (with histograms)
// per (minute, model, streaming) for the model tables; counts of failed requests per
// (minute, streaming, error type) and of requests per (minute, origin) for the error and
// origin tables (CountMap keys with the other fields empty).
class WriteBatch {
 public:
  void add(const Sample& s);
  // For adding rows that are already aggregated (a migration converting older rollup rows):
  // the aggregate of a model key (created empty), and counts of an error or origin key.
  Aggregate& model_at(const ModelKeyView& k);
  void add_error(std::int64_t bucket_ms, bool is_streaming, std::string_view error_type,
                 std::int64_t n);
  void add_origin(std::int64_t bucket_ms, std::string_view origin, std::int64_t n);
  const ModelMap& models() const { return models_; }
  const CountMap& errors() const { return errors_; }
  const CountMap& origins() const { return origins_; }
  std::size_t size() const { return models_.size() + errors_.size() + origins_.size(); }
  void clear() {
    models_.clear();
    errors_.clear();
    origins_.clear();
  }

 private:
  ModelMap models_;
  CountMap errors_;
  CountMap origins_;
};

// Re-keys finer rows to a coarser unit (minutes into 5 minutes, hours, days).
ModelMap coarsen(const ModelMap& finer, std::int64_t unit_ms);
CountMap coarsen(const CountMap& finer, std::int64_t unit_ms);

// Requests of one batch (or of the raw rows at a range's edges) aggregated per key, for one
// time unit (a minute, an hour or a day).
class Batch {
 public:
  explicit Batch(std::int64_t unit_ms) : unit_ms_(unit_ms) {}
  void add(const Sample& s);
  // Folds another batch's entries in, re-keyed to this batch's unit (minutes into hours...).
  void merge_from(const Batch& finer);
  const std::unordered_map<Key, Aggregate, KeyHash, KeyEqual>& entries() const { return entries_; }
  std::size_t size() const { return entries_.size(); }
  void clear() { entries_.clear(); }
  std::int64_t unit_ms() const { return unit_ms_; }

 private:
  std::int64_t unit_floor(std::int64_t t) const;
  std::int64_t unit_ms_;
  std::unordered_map<Key, Aggregate, KeyHash, KeyEqual> entries_;
};

}  // namespace lmp::storage::rollup
