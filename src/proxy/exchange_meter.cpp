#include "proxy/exchange_meter.hpp"

#include "llm/timings.hpp"
#include "support/text.hpp"

namespace lmp::proxy {
namespace {

// What the backend's answer says, streamed or not: usage, finish reason, and the model when
// the request did not name one.
void take_answer(llm::CompletionRecord& r, const std::optional<llm::Usage>& usage,
                 std::string_view finish_reason, std::string_view model) {
  if (usage) {
    r.prompt_tokens = usage->prompt_tokens;
    r.completion_tokens = usage->completion_tokens;
    r.total_tokens = usage->total_tokens;
  }
  r.finish_reason = finish_reason;
  if (r.model.empty()) r.model = model;
}

}  // namespace

ExchangeMeter::ExchangeMeter(llm::Endpoint endpoint, std::string_view request_body,
                             time::MonoTime t0, std::int64_t wall_clock_ms)
    : endpoint_(endpoint), t0_(t0) {
  const llm::RequestInfo info = llm::inspect_request(endpoint, request_body);
  record_.timestamp_ms = wall_clock_ms;
  record_.endpoint = endpoint;
  record_.model = info.model;
  record_.user = info.user;
  record_.is_streaming = info.stream;
  record_.max_tokens = info.max_tokens;
  record_.temperature = info.temperature;
  record_.top_p = info.top_p;
  record_.message_count = info.message_count;
  record_.request_bytes = static_cast<std::int64_t>(request_body.size());
  record_.degraded = !info.parsed;
}

void ExchangeMeter::on_response_header(unsigned status, std::string_view content_type,
                                       std::string_view content_encoding) {
  record_.status_code = static_cast<int>(status);
  // Most answers are not encoded: they need no decoder (nor its allocation).
  const auto encoding = ContentDecoder::encoding_from_header(content_encoding);
  if (encoding != ContentDecoder::Encoding::identity)
    decoder_ = std::make_unique<ContentDecoder>(encoding);
  if (text::istarts_with(content_type, "text/event-stream"))
    scanner_ = std::make_unique<llm::SseScanner>(endpoint_);
}

void ExchangeMeter::on_body(std::string_view raw, time::MonoTime now, bool last) {
  record_.response_bytes += static_cast<std::int64_t>(raw.size());
  if (decode_failed_) return;
  const std::string_view decoded = decoder_ ? decoder_->decode(raw) : raw;
  if (decoder_ && decoder_->failed()) {
    decode_failed_ = true;
    return;
  }
  if (scanner_) {
    scanner_->feed(decoded, now);
  } else if (!body_overflow_) {
    if (last && body_.empty() && !decoded.empty() && decoded.size() <= kMaxInspectedBody) {
      answer_ = llm::inspect_response(endpoint_, decoded);
    } else if (body_.size() + decoded.size() > kMaxInspectedBody) {
      body_overflow_ = true;
      body_.clear();
      body_.shrink_to_fit();
    } else {
      body_.append(decoded);
    }
  }
}

llm::CompletionRecord ExchangeMeter::finish(time::MonoTime end, const ExchangeOutcome& outcome) {
  llm::CompletionRecord r = std::move(record_);
  r.status_code = outcome.status_sent;

  llm::TimingInput timing;
  timing.t0 = t0_;
  timing.first_byte = first_byte_;
  timing.end = end;
  timing.streaming = scanner_ != nullptr;

  std::string backend_error_message;
  if (scanner_) {
    scanner_->finish();
    const llm::StreamObservation& s = scanner_->observation();
    timing.first_token = s.first_token;
    timing.last_token = s.last_token;
    timing.max_inter_token_gap_ms = s.max_inter_token_gap_ms;
    take_answer(r, s.usage, s.finish_reason, s.model);
    backend_error_message = s.error_message;
    r.degraded = r.degraded || s.degraded;
  } else if (answer_ || (!body_.empty() && !body_overflow_)) {
    const llm::ResponseObservation o =
        answer_ ? std::move(*answer_) : llm::inspect_response(endpoint_, body_);
    take_answer(r, o.usage, o.finish_reason, o.model);
    backend_error_message = o.error_message;
    // An error body that is not JSON is not a measurement failure.
    r.degraded =
        r.degraded || (!o.parsed && outcome.status_sent >= 200 && outcome.status_sent < 300);
  } else if (body_overflow_) {
    r.degraded = true;
  }
  if (decode_failed_) r.degraded = true;
  timing.completion_tokens = r.completion_tokens;

  const llm::Timings t = llm::compute_timings(timing);
  llm::apply(t, r);

  // The transport outcome first; otherwise the backend's status decides.
  r.error_type = outcome.error;
  r.error_message = outcome.error_message;
  if (r.error_type == llm::ErrorType::none) {
    r.error_type = llm::error_type_for_status(static_cast<unsigned>(outcome.status_sent));
    if (r.error_type != llm::ErrorType::none) r.error_message = backend_error_message;
  }
  if (r.error_type == llm::ErrorType::none && !outcome.body_complete)
    r.error_type = llm::ErrorType::stream_interrupted;
  r.success = r.error_type == llm::ErrorType::none;
  return r;
}

}  // namespace lmp::proxy
