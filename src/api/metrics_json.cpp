#include "api/metrics_json.hpp"

#include <fmt/format.h>

#include "llm/completion_record.hpp"
#include "llm/error_type.hpp"
#include "support/time.hpp"

namespace lmp::api {
namespace {

void write_counts(json::Writer& w, std::string_view key,
                  const std::vector<storage::NamedCount>& counts) {
  // The store sorts by count, descending; the object keeps that order for readers that show
  // the keys as they come.
  w.key(key).begin_object();
  for (const auto& c : counts) w.key(c.name).value(c.count);
  w.end_object();
}

void write_group(json::Writer& w, const storage::GroupSummary& g, bool with_response_time) {
  w.begin_object();
  w.key("total").value(g.total);
  w.key("successful").value(g.successful);
  w.key("failed").value(g.failed);
  w.key("tokens").begin_object();
  w.key("reported_count").value(g.tokens_reported_count);
  w.key("total").value(g.tokens_total);
  w.key("prompt_total").value(g.prompt_tokens_total);
  w.key("completion_total").value(g.completion_tokens_total);
  w.key("avg_tokens_per_second").value_or_null(g.avg_tokens_per_second);
  w.end_object();
  write_counts(w, "error_types", g.error_types);
  if (with_response_time) w.key("avg_response_time_ms").value_or_null(g.avg_response_time_ms);
  w.key("avg_time_to_first_token_ms").value_or_null(g.avg_time_to_first_token_ms);
  w.key("avg_time_to_last_token_ms").value_or_null(g.avg_time_to_last_token_ms);
  w.key("avg_completion_duration_ms").value_or_null(g.avg_completion_duration_ms);
  w.end_object();
}

void write_percentiles(json::Writer& w, std::string_view key, const storage::Percentiles& p) {
  w.key(key).begin_object();
  w.key("p50").value_or_null(p.p50);
  w.key("p90").value_or_null(p.p90);
  w.key("p95").value_or_null(p.p95);
  w.key("p99").value_or_null(p.p99);
  w.end_object();
}

void write_latency(json::Writer& w, std::string_view key, const storage::LatencyPercentiles& l) {
  w.key(key).begin_object();
  write_percentiles(w, "response_time_ms", l.response_time_ms);
  write_percentiles(w, "time_to_first_token_ms", l.time_to_first_token_ms);
  write_percentiles(w, "time_per_output_token_ms", l.time_per_output_token_ms);
  w.end_object();
}

void write_model(json::Writer& w, const storage::ModelSummary& m) {
  w.begin_object();
  w.key("model").value(m.model);
  w.key("total").value(m.total);
  w.key("successful").value(m.successful);
  w.key("failed").value(m.failed);
  w.key("avg_response_time_ms").value_or_null(m.avg_response_time_ms);
  w.key("p50_response_time_ms").value_or_null(m.p50_response_time_ms);
  w.key("p95_response_time_ms").value_or_null(m.p95_response_time_ms);
  w.key("avg_time_to_first_token_ms").value_or_null(m.avg_time_to_first_token_ms);
  w.key("p95_time_to_first_token_ms").value_or_null(m.p95_time_to_first_token_ms);
  w.key("tokens").begin_object();
  w.key("prompt_total").value(m.prompt_tokens_total);
  w.key("completion_total").value(m.completion_tokens_total);
  w.key("total").value(m.tokens_total);
  w.end_object();
  w.key("avg_tokens_per_second").value_or_null(m.avg_tokens_per_second);
  w.end_object();
}

void write_stats(json::Writer& w, std::string_view key, const storage::LatencyStats& s) {
  w.key(key).begin_object();
  w.key("avg").value_or_null(s.avg);
  w.key("p50").value_or_null(s.p50);
  w.key("p95").value_or_null(s.p95);
  w.key("p99").value_or_null(s.p99);
  w.end_object();
}

void write_point(json::Writer& w, const storage::TimeseriesPoint& p) {
  w.begin_object();
  w.key("t").value(time::format_iso8601_utc(p.t_ms));
  w.key("successful").value(p.successful);
  w.key("failed").value(p.failed);
  w.key("prompt_tokens").value(p.prompt_tokens);
  w.key("completion_tokens").value(p.completion_tokens);
  w.key("total_tokens").value(p.total_tokens);
  write_stats(w, "response_time_ms", p.response_time_ms);
  write_stats(w, "time_to_first_token_ms", p.time_to_first_token_ms);
  w.key("tokens_per_second").begin_object();
  w.key("avg").value_or_null(p.avg_tokens_per_second);
  w.end_object();
  w.end_object();
}

}  // namespace

std::vector<std::string> recorder_warnings(const recording::RecorderStats& stats) {
  std::vector<std::string> out;
  if (stats.dropped > 0) {
    out.push_back(
        fmt::format("{} records dropped: the recorder queue was full (the store cannot keep up)",
                    stats.dropped));
  }
  if (stats.write_errors > 0) {
    out.push_back(fmt::format("{} records lost: the store failed to write them (see the log)",
                              stats.write_errors));
  }
  // Warn before drops begin, while there is still time to act.
  if (stats.queue_capacity > 0 && stats.queue_depth * 10 >= stats.queue_capacity * 9) {
    out.push_back(fmt::format("recorder queue {}% full ({} of {})",
                              stats.queue_depth * 100 / stats.queue_capacity, stats.queue_depth,
                              stats.queue_capacity));
  }
  return out;
}

std::string health_json(std::int64_t now_ms,
                        const std::optional<recording::RecorderStats>& recorder) {
  std::string out;
  json::Writer w(out);
  w.begin_object();
  // Always "healthy" while we answer: the reference's clients treat anything else as down,
  // and losing records does not stop the proxy. Trouble goes into "warnings".
  w.key("status").value("healthy");
  w.key("timestamp").value(time::format_iso8601_utc(now_ms));
  w.key("version").value(LMP_VERSION);
  if (recorder) {
    const auto as_int = [](std::uint64_t n) { return static_cast<std::int64_t>(n); };
    w.key("recorder").begin_object();
    w.key("submitted").value(as_int(recorder->submitted));
    w.key("written").value(as_int(recorder->written));
    w.key("dropped").value(as_int(recorder->dropped));
    w.key("write_errors").value(as_int(recorder->write_errors));
    w.key("queue_depth").value(as_int(recorder->queue_depth));
    w.key("queue_capacity").value(as_int(recorder->queue_capacity));
    w.end_object();
    const auto warnings = recorder_warnings(*recorder);
    if (!warnings.empty()) {
      w.key("warnings").begin_array();
      for (const auto& text : warnings) w.value(text);
      w.end_array();
    }
  }
  w.end_object();
  return out;
}

std::string metrics_json(std::int64_t now_ms, const storage::MetricsSummary& s) {
  std::string out;
  json::Writer w(out);
  w.begin_object();
  w.key("timestamp").value(time::format_iso8601_utc(now_ms));
  w.key("requests").begin_object();
  w.key("total").begin_object();
  w.key("total").value(s.total);
  w.key("successful").value(s.successful);
  w.key("failed").value(s.failed);
  w.key("avg_response_time_ms").value_or_null(s.avg_response_time_ms);
  w.end_object();
  w.key("streamed");
  write_group(w, s.streamed, /*with_response_time=*/true);
  w.key("non_streamed");
  write_group(w, s.non_streamed, /*with_response_time=*/false);
  w.end_object();
  write_counts(w, "model_distribution", s.model_distribution);
  write_counts(w, "origin_distribution", s.origin_distribution);
  // Ours, after every key of the reference's shape.
  w.key("percentiles").begin_object();
  write_latency(w, "all", s.percentiles_all);
  write_latency(w, "streamed", s.percentiles_streamed);
  write_latency(w, "non_streamed", s.percentiles_non_streamed);
  w.end_object();
  w.key("models").begin_array();
  for (const auto& m : s.models) write_model(w, m);
  w.end_array();
  w.end_object();
  return out;
}

std::string timeseries_json(std::int64_t start_ms, std::int64_t end_ms, std::string_view bucket,
                            std::int64_t bucket_ms, const storage::Timeseries& ts) {
  std::string out;
  // About 400 bytes a point: reserve once rather than grow through many reallocations.
  std::size_t points = 0;
  for (const auto& s : ts.series) points += s.points.size();
  out.reserve(128 + points * 400);
  json::Writer w(out);
  w.begin_object();
  w.key("start").value(time::format_iso8601_utc(start_ms));
  w.key("end").value(time::format_iso8601_utc(end_ms));
  w.key("bucket").value(bucket);
  w.key("bucket_seconds").value(bucket_ms / 1000);
  w.key("series").begin_array();
  for (const auto& s : ts.series) {
    w.begin_object();
    if (s.model) {
      w.key("model").value(*s.model);
    } else {
      w.key("model").null();
    }
    w.key("points").begin_array();
    for (const auto& p : s.points) write_point(w, p);
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return out;
}

void write_request(json::Writer& w, const storage::StoredRecord& row) {
  const llm::CompletionRecord& r = row.record;
  w.begin_object();
  // The reference's fields, in its order.
  w.key("timestamp").value(time::format_iso8601_utc(r.timestamp_ms));
  w.key("is_streaming").value(r.is_streaming);
  w.key("success").value(r.success);
  w.key("error_type").string_or_null(llm::to_string(r.error_type));
  w.key("message_count").value_or_null(r.message_count);
  w.key("timing").begin_object();
  w.key("time_to_first_token_ms").value_or_null(r.time_to_first_token_ms);
  w.key("time_to_last_token_ms").value_or_null(r.time_to_last_token_ms);
  w.key("response_time_ms").value_or_null(r.response_time_ms);
  w.key("time_to_first_byte_ms").value_or_null(r.time_to_first_byte_ms);
  w.key("max_inter_token_gap_ms").value_or_null(r.max_inter_token_gap_ms);
  w.end_object();
  w.key("tokens").begin_object();
  w.key("total").value_or_null(r.total_tokens);
  w.key("prompt").value_or_null(r.prompt_tokens);
  w.key("completion").value_or_null(r.completion_tokens);
  w.end_object();
  w.key("model").string_or_null(r.model);
  w.key("origin").string_or_null(r.origin);
  // Ours, after the reference's fields, which stay exactly as they were.
  w.key("id").value(row.id);
  w.key("endpoint").value(llm::to_string(r.endpoint));
  if (r.status_code != 0) {
    w.key("status_code").value(r.status_code);
  } else {
    w.key("status_code").null();  // no status was sent (the client left first)
  }
  w.key("finish_reason").string_or_null(r.finish_reason);
  w.key("tokens_per_second").value_or_null(r.tokens_per_second);
  w.key("user").string_or_null(r.user);
  w.key("client_address").string_or_null(r.client_address);
  w.key("api_key_fingerprint").string_or_null(r.api_key_fingerprint);
  w.key("request_bytes").value(r.request_bytes);
  w.key("response_bytes").value(r.response_bytes);
  w.key("degraded").value(r.degraded);
  w.key("error_message").string_or_null(r.error_message);
  w.end_object();
}

std::string request_list_json(const storage::RequestPage& page, bool envelope) {
  std::string out;
  json::Writer w(out);
  if (envelope) w.begin_object().key("data");
  w.begin_array();
  for (const auto& row : page.rows) write_request(w, row);
  w.end_array();
  if (envelope) {
    w.key("next_cursor");
    if (page.next) {
      w.value(storage::encode_cursor(*page.next));
    } else {
      w.null();
    }
    w.end_object();
  }
  return out;
}

std::string error_json(std::string_view message, std::string_view type, std::string_view code,
                       std::string_view param) {
  std::string out;
  json::Writer w(out);
  w.begin_object().key("error").begin_object();
  w.key("message").value(message).key("type").value(type).key("code").value(code);
  if (!param.empty()) w.key("param").value(param);
  w.end_object().end_object();
  return out;
}

}  // namespace lmp::api
