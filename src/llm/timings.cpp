#include "llm/timings.hpp"

namespace lmp::llm {

Timings compute_timings(const TimingInput& in) {
  Timings out;
  out.response_time_ms = time::elapsed_ms(in.t0, in.end);
  if (in.first_byte) out.time_to_first_byte_ms = time::elapsed_ms(in.t0, *in.first_byte);

  std::optional<double> rate_duration_ms;
  if (in.streaming) {
    if (in.first_token) out.time_to_first_token_ms = time::elapsed_ms(in.t0, *in.first_token);
    if (in.last_token) out.time_to_last_token_ms = time::elapsed_ms(in.t0, *in.last_token);
    if (in.first_token || in.last_token) out.max_inter_token_gap_ms = in.max_inter_token_gap_ms;
    rate_duration_ms = out.time_to_last_token_ms;
    if (in.first_token && in.last_token && in.completion_tokens && *in.completion_tokens > 1) {
      const double decode_ms = time::elapsed_ms(*in.first_token, *in.last_token);
      if (decode_ms > 0)
        out.time_per_output_token_ms = decode_ms / static_cast<double>(*in.completion_tokens - 1);
    }
  } else {
    out.time_to_first_token_ms = out.response_time_ms;
    out.time_to_last_token_ms = out.response_time_ms;
    rate_duration_ms = out.response_time_ms;
  }
  if (in.completion_tokens && *in.completion_tokens > 0 && rate_duration_ms &&
      *rate_duration_ms > 0)
    out.tokens_per_second =
        static_cast<double>(*in.completion_tokens) / (*rate_duration_ms / 1000.0);
  return out;
}

void apply(const Timings& timings, CompletionRecord& record) {
  record.response_time_ms = timings.response_time_ms;
  record.time_to_first_byte_ms = timings.time_to_first_byte_ms;
  record.time_to_first_token_ms = timings.time_to_first_token_ms;
  record.time_to_last_token_ms = timings.time_to_last_token_ms;
  record.max_inter_token_gap_ms = timings.max_inter_token_gap_ms;
  record.tokens_per_second = timings.tokens_per_second;
}

}  // namespace lmp::llm
