// Renders the metrics API's JSON answers (health, aggregate metrics, request lists, errors)
// from store and recorder data. Pure: the shapes of docs/api.md live here and nowhere else.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "recording/recorder.hpp"
#include "storage/store.hpp"
#include "support/json_writer.hpp"

namespace lmp::api {

// Short texts for what an operator should look at: lost records, a filling queue.
std::vector<std::string> recorder_warnings(const recording::RecorderStats& stats);

// {"status":"healthy","timestamp",..., "recorder":{...}, "warnings":[...]}; "recorder" is
// left out when there is no recorder, "warnings" when there is nothing to warn about.
std::string health_json(std::int64_t now_ms,
                        const std::optional<recording::RecorderStats>& recorder);

// The compat /metrics shape, field for field, then ours: "percentiles" and "models".
std::string metrics_json(std::int64_t now_ms, const storage::MetricsSummary& summary);

// GET /timeseries: {"start","end","bucket","bucket_seconds","series":[{"model","points"}]}.
std::string timeseries_json(std::int64_t start_ms, std::int64_t end_ms, std::string_view bucket,
                            std::int64_t bucket_ms, const storage::Timeseries& timeseries);

// One /completion_requests element: the compat fields first, then ours.
void write_request(json::Writer& w, const storage::StoredRecord& row);

// A plain array, or {"data": [...], "next_cursor": "..."|null} when `envelope`.
std::string request_list_json(const storage::RequestPage& page, bool envelope);

// {"error": {"message", "type", "code", "param"?}}: OpenAI's error shape, which the proxy's
// own errors use too.
std::string error_json(std::string_view message, std::string_view type, std::string_view code,
                       std::string_view param = {});

}  // namespace lmp::api
