// Measures one recorded exchange as it is relayed: takes the request, the response's header
// and body bytes as they pass, and builds the CompletionRecord. All rules live in llm/.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "llm/completion_record.hpp"
#include "llm/request_inspector.hpp"
#include "llm/response_inspector.hpp"
#include "llm/sse_scanner.hpp"
#include "proxy/content_decoder.hpp"
#include "support/time.hpp"

namespace lmp::proxy {

// How the exchange ended, as the relay saw it.
struct ExchangeOutcome {
  int status_sent = 0;         // status the client received (0: none was sent)
  bool body_complete = false;  // the backend's response arrived whole and was relayed whole
  llm::ErrorType error = llm::ErrorType::none;  // transport-level failure, if any
  std::string error_message;
};

class ExchangeMeter {
 public:
  // Above this a non-streamed body is relayed but not parsed (the record is flagged degraded).
  static constexpr std::size_t kMaxInspectedBody = 16 << 20;

  ExchangeMeter(llm::Endpoint endpoint, std::string_view request_body, time::MonoTime t0,
                std::int64_t wall_clock_ms);

  // Fields known from the connection and headers.
  llm::CompletionRecord& record() { return record_; }

  void on_first_byte(time::MonoTime at) {
    if (!first_byte_) first_byte_ = at;
  }
  void on_response_header(unsigned status, std::string_view content_type,
                          std::string_view content_encoding);
  // A piece of the body as relayed. `last`: the body is known to end with it (a Content-Length
  // body), so that a body that came in one piece is read where it lies instead of copied.
  void on_body(std::string_view raw, time::MonoTime now, bool last = false);

  llm::CompletionRecord finish(time::MonoTime end, const ExchangeOutcome& outcome);

 private:
  llm::Endpoint endpoint_;
  time::MonoTime t0_;
  std::optional<time::MonoTime> first_byte_;
  llm::CompletionRecord record_;
  std::unique_ptr<ContentDecoder> decoder_;
  std::unique_ptr<llm::SseScanner> scanner_;        // when the response is an event stream
  std::string body_;                                // otherwise, the (decoded) body to inspect
  std::optional<llm::ResponseObservation> answer_;  // the body, read when it came in one piece
  bool body_overflow_ = false;
  bool decode_failed_ = false;
};

}  // namespace lmp::proxy
