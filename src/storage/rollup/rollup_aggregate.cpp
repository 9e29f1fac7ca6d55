#include "storage/rollup/rollup_aggregate.hpp"

#include "storage/rollup/time_buckets.hpp"

namespace lmp::storage::rollup {

std::optional<double> time_per_output_token_ms(const Sample& s) {
  if (!s.is_streaming || !s.completion_tokens || *s.completion_tokens <= 1 ||
      !s.time_to_first_token_ms || !s.time_to_last_token_ms)
    return std::nullopt;
  return (*s.time_to_last_token_ms - *s.time_to_first_token_ms) /
         static_cast<double>(*s.completion_tokens - 1);
}

void Aggregate::add(const Sample& s) {
  ++requests;
  if (s.success) ++successful;
  if (s.total_tokens) {
    ++tokens_reported;
    tokens_total += *s.total_tokens;
    prompt_tokens += s.prompt_tokens.value_or(0);
    completion_tokens += s.completion_tokens.value_or(0);
  }
  tokens_per_second.add(s.tokens_per_second);
  response_time.add(s.response_time_ms);
  time_to_first_token.add(s.time_to_first_token_ms);
  time_to_last_token.add(s.time_to_last_token_ms);
  if (s.time_to_first_token_ms && s.time_to_last_token_ms)
    completion_duration.add(*s.time_to_last_token_ms - *s.time_to_first_token_ms);
  if (s.response_time_ms) response_time_hist.add(*s.response_time_ms);
  if (s.time_to_first_token_ms) time_to_first_token_hist.add(*s.time_to_first_token_ms);
  if (auto tpot = time_per_output_token_ms(s)) time_per_output_token_hist.add(*tpot);
}

void Aggregate::merge(const Aggregate& o) {
  requests += o.requests;
  successful += o.successful;
  tokens_reported += o.tokens_reported;
  tokens_total += o.tokens_total;
  prompt_tokens += o.prompt_tokens;
  completion_tokens += o.completion_tokens;
  tokens_per_second.add(o.tokens_per_second);
  response_time.add(o.response_time);
  time_to_first_token.add(o.time_to_first_token);
  time_to_last_token.add(o.time_to_last_token);
  completion_duration.add(o.completion_duration);
  response_time_hist.merge(o.response_time_hist);
  time_to_first_token_hist.merge(o.time_to_first_token_hist);
  time_per_output_token_hist.merge(o.time_per_output_token_hist);
}

std::size_t KeyHash::operator()(const Key& k) const {
  return (*this)(
      KeyView{k.bucket_ms, k.model, k.error_type, k.origin, k.endpoint, k.is_streaming, k.success});
}

std::size_t KeyHash::operator()(const KeyView& k) const {
  std::size_t h = std::hash<std::int64_t>{}(k.bucket_ms);
  const auto mix = [&h](std::size_t v) { h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
  mix(std::hash<std::string_view>{}(k.model));
  mix(std::hash<std::string_view>{}(k.error_type));
  mix(std::hash<std::string_view>{}(k.origin));
  mix(std::hash<std::string_view>{}(k.endpoint));
  mix(static_cast<std::size_t>(k.is_streaming) * 2 + static_cast<std::size_t>(k.success));
  return h;
}

bool KeyEqual::operator()(const KeyView& a, const Key& b) const {
  return a.bucket_ms == b.bucket_ms && a.is_streaming == b.is_streaming && a.success == b.success &&
         a.model == b.model && a.error_type == b.error_type && a.origin == b.origin &&
         a.endpoint == b.endpoint;
}

std::size_t ModelKeyHash::operator()(const ModelKeyView& k) const {
  std::size_t h = std::hash<std::int64_t>{}(k.bucket_ms);
  h ^= std::hash<std::string_view>{}(k.model) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h * 2 + static_cast<std::size_t>(k.is_streaming);
}

std::int64_t unit_floor(std::int64_t t, std::int64_t unit_ms) {
  if (t == kUnknownTimeMs) return t;  // aligned to every unit already
  const std::int64_t q = t / unit_ms;
  return ((t % unit_ms != 0 && t < 0) ? q - 1 : q) * unit_ms;
}

std::int64_t Batch::unit_floor(std::int64_t t) const {
  return rollup::unit_floor(t, unit_ms_);
}

void Batch::add(const Sample& s) {
  const KeyView view{unit_floor(s.time_ms), s.model,  s.error_type, s.origin, s.endpoint,
                     s.is_streaming,        s.success};
  auto it = entries_.find(view);
  if (it == entries_.end())
    it =
        entries_
            .emplace(Key{view.bucket_ms, std::string(s.model), std::string(s.error_type),
                         std::string(s.origin), std::string(s.endpoint), s.is_streaming, s.success},
                     Aggregate{})
            .first;
  it->second.add(s);
}

void Batch::merge_from(const Batch& finer) {
  for (const auto& [key, agg] : finer.entries_) {
    Key k = key;
    k.bucket_ms = unit_floor(k.bucket_ms);
    entries_[std::move(k)].merge(agg);
  }
}

Aggregate& WriteBatch::model_at(const ModelKeyView& k) {
  auto it = models_.find(k);
  if (it == models_.end())
    it = models_.emplace(ModelKey{k.bucket_ms, std::string(k.model), k.is_streaming}, Aggregate{})
             .first;
  return it->second;
}

namespace {
void add_to(CountMap& map, const KeyView& k, std::int64_t n) {
  auto it = map.find(k);
  if (it == map.end())
    it = map.emplace(Key{k.bucket_ms, std::string(k.model), std::string(k.error_type),
                         std::string(k.origin), std::string(k.endpoint), k.is_streaming, k.success},
                     0)
             .first;
  it->second += n;
}
}  // namespace

void WriteBatch::add_error(std::int64_t bucket_ms, bool is_streaming, std::string_view error_type,
                           std::int64_t n) {
  add_to(errors_, {bucket_ms, {}, error_type, {}, {}, is_streaming, false}, n);
}

void WriteBatch::add_origin(std::int64_t bucket_ms, std::string_view origin, std::int64_t n) {
  add_to(origins_, {bucket_ms, {}, {}, origin, {}, false, false}, n);
}

void WriteBatch::add(const Sample& s) {
  const std::int64_t minute = unit_floor(s.time_ms, kMinuteMs);
  model_at({minute, s.model, s.is_streaming}).add(s);
  // What /metrics reports: error types of failed requests, non-empty origins.
  if (!s.success && !s.error_type.empty()) add_error(minute, s.is_streaming, s.error_type, 1);
  if (!s.origin.empty()) add_origin(minute, s.origin, 1);
}

ModelMap coarsen(const ModelMap& finer, std::int64_t unit_ms) {
  ModelMap out;
  for (const auto& [key, agg] : finer) {
    ModelKey k = key;
    k.bucket_ms = unit_floor(k.bucket_ms, unit_ms);
    out[std::move(k)].merge(agg);
  }
  return out;
}

CountMap coarsen(const CountMap& finer, std::int64_t unit_ms) {
  CountMap out;
  for (const auto& [key, n] : finer) {
    Key k = key;
    k.bucket_ms = unit_floor(k.bucket_ms, unit_ms);
    out[std::move(k)] += n;
  }
  return out;
}

}  // namespace lmp::storage::rollup
