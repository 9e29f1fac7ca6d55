// Internal to llm/: reads a plain stream chunk (content, reasoning or tool-call delta; no usage,
// finish reason or error) without a DOM parse, for SseScanner's common event.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "llm/completion_record.hpp"

namespace lmp::llm::detail {

// What read_body would find in a plain chunk: nothing but these two facts.
struct PlainChunk {
  bool has_output = false;
  // The top-level "model" string: its bytes as written, which contain no escape (so they equal
  // the decoded value). Absent when the chunk names no model.
  std::optional<std::string_view> model;
};

inline constexpr int kMaxPrescanDepth = 64;

// The shape of a plain chunk: the chunk itself, where its string values lie and what each
// means. Chunks of one stream differ in their content (and padding) strings only, so a chunk
// whose bytes around its string values equal the last plain chunk's needs no grammar check
// beyond its strings, and a string equal to the one in the same place needs no check at all.
struct ChunkShape {
  enum class Kind : std::uint8_t {
    other,          // a value read_body does not look at (or only looks at its container)
    output,         // output when non-empty: content/reasoning(_content) of a delta, text
    model,          // the top-level model: must have no escape
    finish_reason,  // must stay empty (a real reason needs the full parse)
  };
  struct Slot {
    std::uint32_t begin;  // offset in `source` of the string's first byte (after its quote)
    std::uint32_t end;    // offset in `source` of its closing quote
    Kind kind;
  };
  static constexpr std::size_t kMaxSlots = 32;
  // A shape is for small chunks: a larger one is read by read_plain_chunk every time.
  static constexpr std::size_t kMaxBytes = 8192;

  std::string source;  // the chunk the shape was taken from
  std::array<Slot, kMaxSlots> slots{};
  std::size_t slot_count = 0;
  bool structural_output = false;  // output that does not depend on strings (tool_calls, ...)
  bool valid = false;
};

// Validates `text` as JSON and reads it in one pass. Returns true only when simdjson's DOM
// parser would accept `text` and read_body(root, endpoint) would give exactly `out`: no usage,
// no native counts, no finish reason, no error, and `out`'s output and model. Returns false
// whenever that cannot be decided cheaply, which is always safe: the caller then parses.
// When `shape` is given and the answer is true, it receives the chunk's shape (unless the
// chunk has more than kMaxSlots string values or kMaxBytes bytes); otherwise it is invalid.
//
// What makes it "plain", and what makes it give up:
// - the root is an object; every value is checked against the JSON grammar, strings against
//   JSON escapes (a \u escape must not be a lone surrogate), control bytes and UTF-8, with
//   simdjson's own validate_utf8; numbers must be short enough that simdjson cannot
//   overflow (integers of at most 18 digits, floats of at most 24 bytes with an exponent of at
//   most 2 digits); nesting deeper than kMaxPrescanDepth gives up;
// - a key whose name matters (top level, in a choice, in a delta/message) must have no escape;
// - top level: "error", "eval_count", "prompt_eval_count" or "timings" gives up; "usage" must
//   be null; "model" must be a string without escapes and appear once; a string "message"
//   gives up (an {"object":"error","message":...} body); "data" gives up for embeddings;
//   "choices" must be an array of objects;
// - in a choice: a non-empty string "finish_reason" gives up; "text" is output for
//   /v1/completions when it is a non-empty string; "delta"/"message" objects are read:
//   non-empty string content/reasoning_content/reasoning, a non-empty tool_calls array or a
//   function_call object are output.
bool read_plain_chunk(std::string_view text, Endpoint endpoint, PlainChunk& out,
                      ChunkShape* shape = nullptr);

// Whether `text` is `shape` with other string values, and then its facts: `text` equals the
// shape's source outside its string values, and each string value is either the source's (byte
// for byte, quotes included) or a valid JSON string (the model without escapes, the finish
// reason empty). Such a text is valid JSON with the same keys at the same places as the source,
// so read_body would find the same facts but for the strings, which are read here.
bool match_shape(const ChunkShape& shape, std::string_view text, PlainChunk& out);

// The plain chunks of one stream: tries the last plain chunk's shape, then read_plain_chunk
// (which records the new shape). The buffer is reused from chunk to chunk.
//
// A stream whose every chunk needs the full parse (vLLM's usage in each chunk) would pay for a
// prescan on top of it: after a miss the next chunk skips the prescan, after two misses in a
// row the next 3, and so on up to 63; a success ends the back-off.
class PlainChunkReader {
 public:
  explicit PlainChunkReader(Endpoint endpoint) : endpoint_(endpoint) {}
  bool read(std::string_view text, PlainChunk& out);

 private:
  Endpoint endpoint_;
  ChunkShape shape_;
  unsigned misses_ = 0;  // prescans in a row that said no
  unsigned skip_ = 0;    // chunks left that skip the prescan
};

}  // namespace lmp::llm::detail
