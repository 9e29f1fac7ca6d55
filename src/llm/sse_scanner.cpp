#include "llm/sse_scanner.hpp"

#include <cstring>
#include <memory>

#include "llm/chunk_prescan.hpp"
#include "llm/json_support.hpp"

namespace lmp::llm {
namespace {

// take_line/add_data: the line was copied out of the caller's buffer (no readable bytes after
// it are known). A line still inside the caller's buffer always has at least its terminator
// after it, so a real count is never 0.
constexpr std::size_t kOwned = 0;

// Buffers that grew for one huge event are given back instead of being kept per stream.
constexpr std::size_t kKeepCapacity = 64 * 1024;

constexpr std::string_view kBom = "\xEF\xBB\xBF";

// A held partial line still includes its "data: " prefix, which the event limit does not
// count; add_data makes the exact decision once the line is complete, so that the outcome does
// not depend on where the bytes were split.
constexpr std::size_t kFieldSlack = 6;

// Whether the line made of `head` + `tail` is a "data" field line ("data" or "data:...").
bool is_data_line(std::string_view head, std::string_view tail) {
  char start[5];
  std::size_t n = 0;
  for (std::string_view part : {head, tail})
    for (std::size_t i = 0; i < part.size() && n < 5; ++i) start[n++] = part[i];
  if (n < 4 || std::memcmp(start, "data", 4) != 0) return false;
  return n == 4 || start[4] == ':';
}

std::string_view trim_ascii(std::string_view text) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

void release_if_large(std::string& buffer) {
  if (buffer.capacity() > kKeepCapacity)
    std::string().swap(buffer);
  else
    buffer.clear();
}

}  // namespace

SseScanner::SseScanner(Endpoint endpoint, std::size_t max_event_bytes, EventReading reading)
    : endpoint_(endpoint),
      max_event_bytes_(max_event_bytes),
      reading_(reading),
      plain_reader_(endpoint) {}

void SseScanner::feed(std::string_view bytes, time::MonoTime now) {
  if (finished_) return;
  now_ = now;
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  // A UTF-8 byte order mark may open the stream, itself split across feeds. Bytes that began
  // like one but were not start a line that cannot be a data line.
  while (bom_matched_ < kBom.size() && p != end) {
    if (*p == kBom[bom_matched_]) {
      ++bom_matched_;
      ++p;
      continue;
    }
    if (bom_matched_ > 0) in_line_ = discard_line_ = true;
    bom_matched_ = kBom.size();
  }
  if (pending_cr_ && p != end) {
    pending_cr_ = false;
    if (*p == '\n') ++p;  // the LF of a CRLF split across feeds
  }
  // Lines end in LF, CRLF or CR. One memchr pass finds the next CR for many lines (most streams
  // have none, or one per line); LF is then searched only up to it.
  const char* next_cr = p;
  bool cr_stale = true;
  while (p < end) {
    if (cr_stale || next_cr < p) {
      next_cr = static_cast<const char*>(std::memchr(p, '\r', static_cast<std::size_t>(end - p)));
      if (!next_cr) next_cr = end;
      cr_stale = false;
    }
    const char* eol =
        static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(next_cr - p)));
    if (!eol && next_cr != end) eol = next_cr;
    if (!eol) {
      hold_partial_line(std::string_view(p, static_cast<std::size_t>(end - p)));
      break;
    }
    const std::string_view piece(p, static_cast<std::size_t>(eol - p));
    const char* next = eol + 1;
    if (*eol == '\r') {
      if (next == end)
        pending_cr_ = true;
      else if (*next == '\n')
        ++next;
    }
    if (in_line_) {
      // The end of a line that began in an earlier feed.
      in_line_ = false;
      if (!discard_line_ && is_data_line(line_, piece)) {
        if (event_bytes_ + line_.size() + piece.size() > max_event_bytes_ + kFieldSlack) {
          drop_event();
        } else {
          line_.append(piece);
          take_line(line_, kOwned);
        }
      }
      discard_line_ = false;
      release_if_large(line_);
    } else {
      take_line(piece, static_cast<std::size_t>(end - eol));
    }
    p = next;
  }
  // The caller's buffer goes away: keep an undispatched event's data.
  if (data_in_view_) {
    data_.assign(data_view_);
    data_in_view_ = false;
  }
}

void SseScanner::hold_partial_line(std::string_view piece) {
  if (!in_line_) {
    in_line_ = true;
    // Only data lines matter; a comment or a line of a dropped event need not be kept.
    discard_line_ = skipping_ || piece.front() == ':';
  }
  if (discard_line_) return;
  // Another field (event:, id:, retry:) is ignored; it is known once five bytes are in.
  if (line_.size() + piece.size() >= 5 && !is_data_line(line_, piece)) {
    discard_line_ = true;
    line_.clear();
    return;
  }
  if (event_bytes_ + line_.size() + piece.size() > max_event_bytes_ + kFieldSlack) {
    line_.clear();
    drop_event();
    return;
  }
  line_.append(piece);
}

void SseScanner::take_line(std::string_view line, std::size_t readable_after) {
  if (line.empty()) {
    dispatch();
    return;
  }
  if (skipping_) return;
  // Only the "data" field matters; "data" alone is a data line with an empty value.
  if (line.size() < 4 || std::memcmp(line.data(), "data", 4) != 0) return;
  std::string_view value;
  if (line.size() > 4) {
    if (line[4] != ':') return;
    value = line.substr(5);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  add_data(value, readable_after);
}

void SseScanner::add_data(std::string_view value, std::size_t readable_after) {
  event_bytes_ += value.size() + 1;
  if (event_bytes_ > max_event_bytes_) {
    drop_event();
    return;
  }
  if (!has_data_) {
    has_data_ = true;
    if (readable_after != kOwned) {
      data_view_ = value;
      view_readable_after_ = readable_after;
      data_in_view_ = true;
    } else {
      data_.assign(value);
    }
    return;
  }
  // Several data lines of one event are joined with '\n'.
  if (data_in_view_) {
    data_.assign(data_view_);
    data_in_view_ = false;
  }
  data_.push_back('\n');
  data_.append(value);
}

void SseScanner::drop_event() {
  if (!skipping_) {
    ++observation_.events;
    observation_.degraded = true;
  }
  skipping_ = true;
  has_data_ = false;
  data_in_view_ = false;
  event_bytes_ = 0;
  release_if_large(data_);
  if (in_line_) discard_line_ = true;
  release_if_large(line_);
}

void SseScanner::dispatch() {
  if (skipping_) {
    skipping_ = false;
  } else if (has_data_) {
    if (data_in_view_)
      examine(data_view_, view_readable_after_);
    else
      examine(data_, kOwned);
  }
  has_data_ = false;
  data_in_view_ = false;
  event_bytes_ = 0;
  data_.clear();
}

void SseScanner::finish() {
  if (finished_) return;
  // The unterminated last line and event, as if the missing blank line had arrived.
  if (in_line_) {
    in_line_ = false;
    if (!discard_line_) take_line(line_, kOwned);
    release_if_large(line_);
  }
  dispatch();
  finished_ = true;
}

void SseScanner::examine(std::string_view data, std::size_t readable_after) {
  const std::string_view trimmed = trim_ascii(data);
  if (trimmed.empty()) return;  // a keep-alive "data:" carries nothing to measure
  if (trimmed == "[DONE]") {
    observation_.done_seen = true;
    return;
  }
  ++observation_.events;

  // Most events are content chunks whose only facts are "output or not" and the model: they
  // need no DOM. read_plain_chunk says no to anything else, invalid JSON included, so the
  // degraded flag and every other fact still come from the full parse below.
  if (reading_ == EventReading::prescan) {
    detail::PlainChunk plain;
    if (plain_reader_.read(data, plain)) {
      if (plain.has_output) note_output();
      if (plain.model) note_model(*plain.model);
      return;
    }
  }

  std::unique_ptr<detail::JsonScratch> one_off;
  detail::JsonScratch* scratch = &detail::JsonScratch::for_this_thread();
  if (data.size() > detail::JsonScratch::kReuseLimit) {
    one_off = std::make_unique<detail::JsonScratch>();
    scratch = one_off.get();
  }
  detail::dom::element root;
  detail::BodyFacts facts;
  if (scratch->parse(data, readable_after).get(root) ||
      !detail::read_body(root, endpoint_, facts)) {
    observation_.degraded = true;
    return;
  }

  auto& obs = observation_;
  if (facts.has_output) note_output();
  if (facts.finish_reason) obs.finish_reason = *facts.finish_reason;
  if (facts.model) note_model(*facts.model);
  if (facts.usage) {
    obs.usage = facts.usage;
    openai_usage_seen_ = true;
  } else if (!openai_usage_seen_ && !facts.native.empty()) {
    obs.usage = normalized(facts.native);
  }
  if (auto error = facts.best_error())
    obs.error_message = detail::truncate_utf8(*error, detail::kMaxErrorMessageBytes);
}

void SseScanner::note_output() {
  auto& obs = observation_;
  ++obs.output_events;
  if (!obs.first_token) {
    obs.first_token = now_;
  } else {
    const double gap = time::elapsed_ms(*obs.last_token, now_);
    if (gap > obs.max_inter_token_gap_ms) obs.max_inter_token_gap_ms = gap;
  }
  obs.last_token = now_;
}

// Every chunk names the model: compare first so that the usual equal name costs no copy.
void SseScanner::note_model(std::string_view model) {
  if (!model.empty() && observation_.model != model) observation_.model = model;
}

}  // namespace lmp::llm
