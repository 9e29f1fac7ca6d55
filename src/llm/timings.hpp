// The derived timing numbers of one request, computed exactly as docs/architecture.md
// ("Metric definitions") defines them.
#pragma once

#include <cstdint>
#include <optional>

#include "llm/completion_record.hpp"
#include "support/time.hpp"

namespace lmp::llm {

struct TimingInput {
  time::MonoTime t0;                          // the proxy holds the complete client request
  std::optional<time::MonoTime> first_byte;   // first byte of the backend's response
  std::optional<time::MonoTime> first_token;  // streaming: first output event
  std::optional<time::MonoTime> last_token;   // streaming: last output event
  time::MonoTime end;                         // last byte of the response relayed
  bool streaming = false;
  double max_inter_token_gap_ms = 0;
  std::optional<std::int64_t> completion_tokens;
};

struct Timings {
  double response_time_ms = 0;  // t0 -> end
  std::optional<double> time_to_first_byte_ms;
  // Streaming: t0 -> first/last output event, only when output was seen.
  // Not streaming: both equal the response time (the whole answer arrives at once).
  std::optional<double> time_to_first_token_ms;
  std::optional<double> time_to_last_token_ms;
  std::optional<double> max_inter_token_gap_ms;  // streaming with output only
  // completion_tokens / time to last token (streaming) or / response time (not streaming),
  // in tokens per second; only when completion_tokens > 0 and that duration > 0. Kept for
  // compatibility with the reference: for streams it includes the wait for the first token.
  std::optional<double> tokens_per_second;
  // (last token - first token) / (completion_tokens - 1): the decode pace, streaming only,
  // when completion_tokens > 1 and last token > first token (else it cannot be measured).
  std::optional<double> time_per_output_token_ms;
};

Timings compute_timings(const TimingInput& input);

// Fills the record's timing fields (the record has no time-per-output-token column).
void apply(const Timings& timings, CompletionRecord& record);

}  // namespace lmp::llm
