// Incremental scanner for a streamed (SSE) chat/completions response: finds the events in any
// split of the bytes and notes first/last token, stalls, usage and finish reason.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "llm/chunk_prescan.hpp"
#include "llm/completion_record.hpp"
#include "llm/usage.hpp"
#include "support/time.hpp"

namespace lmp::llm {

struct StreamObservation {
  std::optional<time::MonoTime> first_token;  // first event carrying generated output
  std::optional<time::MonoTime> last_token;   // last such event
  double max_inter_token_gap_ms = 0;          // longest pause between two consecutive output events
  std::int64_t events = 0;         // data events seen (excluding [DONE]), dropped ones included
  std::int64_t output_events = 0;  // events that carried output
  bool done_seen = false;          // "data: [DONE]" seen
  // The LAST non-empty usage object seen (never a sum); when a stream carries no OpenAI usage,
  // Ollama's eval_count/prompt_eval_count or llama.cpp's timings.predicted_n/prompt_n.
  std::optional<Usage> usage;
  std::string finish_reason;  // last non-null finish_reason seen
  std::string model;          // model named by the chunks, if any (the last one named)
  std::string error_message;  // of an in-stream {"error":...} event, at most 200 bytes
  bool degraded = false;      // an event was oversized or not valid JSON
};

// How SseScanner reads an event's JSON. Both give the same observation for any bytes:
// `prescan` reads a plain content chunk without building a DOM (detail::PlainChunkReader: the
// last plain chunk's shape, else one validating pass) and parses the rest; `full_parse` parses
// every event. The latter exists so that tests can compare the two.
enum class EventReading { prescan, full_parse };

class SseScanner {
 public:
  explicit SseScanner(Endpoint endpoint, std::size_t max_event_bytes = 1 << 20,
                      EventReading reading = EventReading::prescan);

  // Any split of the bytes gives the same observation; an event is timed at the `now` of the
  // call that delivered its terminating blank line. Never throws.
  void feed(std::string_view bytes, time::MonoTime now);
  // End of stream. An unterminated final event is still examined (timed at the last feed), so
  // usage is not lost when a backend omits the final blank line. Later feeds are ignored.
  void finish();

  const StreamObservation& observation() const { return observation_; }

 private:
  void take_line(std::string_view line, std::size_t readable_after);
  void add_data(std::string_view value, std::size_t readable_after);
  void dispatch();
  void drop_event();
  void examine(std::string_view data, std::size_t readable_after);
  void note_output();
  void note_model(std::string_view model);
  void hold_partial_line(std::string_view piece);

  Endpoint endpoint_;
  std::size_t max_event_bytes_;
  EventReading reading_;
  detail::PlainChunkReader plain_reader_;
  StreamObservation observation_;
  time::MonoTime now_{};

  // The line being read when the bytes ran out (only while it may still be a data line).
  std::string line_;
  bool in_line_ = false;         // a line started in an earlier feed is not yet terminated
  bool discard_line_ = false;    // ...and it is not a data line (or its event was dropped)
  bool pending_cr_ = false;      // the last feed ended in CR: a leading LF belongs to it
  std::size_t bom_matched_ = 0;  // bytes of a leading UTF-8 BOM seen (3 once decided)

  // The current event's data. Fast path: while its single data line still lies inside the
  // caller's buffer, it is only a view (data_view_); it is copied into data_ when a second data
  // line arrives or the feed ends before the event does.
  std::string data_;
  std::string_view data_view_;
  std::size_t view_readable_after_ = 0;  // bytes of the caller's buffer after data_view_
  bool has_data_ = false;
  bool data_in_view_ = false;
  std::size_t event_bytes_ = 0;
  bool skipping_ = false;  // the current event is oversized: ignore it up to its blank line
  bool openai_usage_seen_ = false;
  bool finished_ = false;
};

}  // namespace lmp::llm
