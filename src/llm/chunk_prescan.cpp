#include "llm/chunk_prescan.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace lmp::llm::detail {
namespace {

// How a byte inside a string is handled.
enum : std::uint8_t { kOrdinary = 0, kQuote, kBackslash, kControl, kHigh };

constexpr std::array<std::uint8_t, 256> kStringByte = [] {
  std::array<std::uint8_t, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = kControl;  // must be escaped in JSON
  for (int c = 0x80; c < 0x100; ++c) table[c] = kHigh;
  table['"'] = kQuote;
  table['\\'] = kBackslash;
  return table;
}();

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// The first byte at or after `p` that is not kOrdinary, or `end`. Content and ids are long runs
// of ordinary bytes: with SSE2 (every x86-64) 16 of them are checked at once.
[[gnu::always_inline]] inline const char* skip_ordinary(const char* p, const char* const end) {
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  // Signed: bytes below 0x20 and from 0x80 up (negative) are both "less than 0x20".
  const __m128i space = _mm_set1_epi8(0x20);
  while (end - p >= 16) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i special =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(block, quote), _mm_cmpeq_epi8(block, backslash)),
                     _mm_cmplt_epi8(block, space));
    const int mask = _mm_movemask_epi8(special);
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  while (p != end && kStringByte[static_cast<unsigned char>(*p)] == kOrdinary) ++p;
  return p;
}

// Four hex digits at `at` (which may lie past `end`), or -1.
int hex4(const char* at, const char* const end) {
  if (end - at < 4) return -1;
  int value = 0;
  for (int i = 0; i < 4; ++i) {
    const int digit = hex_value(at[i]);
    if (digit < 0) return -1;
    value = value << 4 | digit;
  }
  return value;
}

// The escape at `p` (a backslash), as simdjson decodes it: the position after it, or nullptr.
const char* skip_escape(const char* p, const char* const end) {
  if (end - p < 2) return nullptr;
  switch (p[1]) {
    case '"':
    case '\\':
    case '/':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
      return p + 2;
    case 'u': {
      const int unit = hex4(p + 2, end);
      if (unit < 0) return nullptr;
      p += 6;
      if (unit < 0xD800 || unit > 0xDFFF) return p;
      // A surrogate is valid only as a high one followed by a low one.
      if (unit > 0xDBFF || end - p < 6 || p[0] != '\\' || p[1] != 'u') return nullptr;
      const int low = hex4(p + 2, end);
      if (low < 0xDC00 || low > 0xDFFF) return nullptr;
      return p + 6;
    }
    default:
      return nullptr;
  }
}

// How many of the first `n` bytes of `a` and `b` are equal.
[[gnu::always_inline]] inline std::size_t common_prefix(const char* a, const char* b,
                                                        std::size_t n) {
  std::size_t k = 0;
#ifdef __SSE2__
  for (; n - k >= 16; k += 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + k));
    const __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + k));
    const unsigned differ =
        ~static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, y))) & 0xFFFF;
    if (differ != 0) return k + static_cast<std::size_t>(__builtin_ctz(differ));
  }
#endif
  while (k < n && a[k] == b[k]) ++k;
  return k;
}

// A string's bytes from `p` (just after its opening quote): the position of its closing quote,
// or nullptr when it is not a valid JSON string as simdjson decodes it (a control byte, an
// unknown escape, a \u escape without 4 hex digits or a lone surrogate, no closing quote).
// UTF-8 is not checked here: `non_ascii` notes that the caller must.
[[gnu::always_inline]] inline const char* scan_string(const char* p, const char* const end,
                                                      bool& escaped, bool& non_ascii) {
  while (true) {
    p = skip_ordinary(p, end);
    if (p == end) return nullptr;
    switch (kStringByte[static_cast<unsigned char>(*p)]) {
      case kQuote:
        return p;
      case kHigh:
        non_ascii = true;
        ++p;
        continue;
      case kBackslash:
        escaped = true;
        p = skip_escape(p, end);
        if (!p) return nullptr;
        continue;
      default:  // kControl
        return nullptr;
    }
  }
}

// Which object is being read: only in these do key names matter.
enum class Where { top, choice, delta, elsewhere };

using Kind = ChunkShape::Kind;

// A recursive-descent reader that accepts a subset of what simdjson accepts and gives up
// (returns false) on the rest, on anything read_body would make a fact of beyond output and
// model, and on what it does not want to reason about.
class Prescan {
 public:
  Prescan(std::string_view text, Endpoint endpoint, ChunkShape* shape)
      : begin_(text.data()),
        p_(text.data()),
        end_(text.data() + text.size()),
        endpoint_(endpoint),
        shape_(text.size() <= ChunkShape::kMaxBytes ? shape : nullptr) {
    if (shape) {
      shape->valid = false;
      shape->slot_count = 0;
    }
  }

  bool run(PlainChunk& out) {
    skip_space();
    if (p_ == end_ || *p_ != '{') return false;  // read_body wants an object
    if (!object(Where::top, 0)) return false;
    skip_space();
    if (p_ != end_) return false;  // trailing bytes: simdjson refuses them
    // simdjson validates the UTF-8 of the whole input; outside strings only ASCII was accepted.
    if (non_ascii_ && !simdjson::validate_utf8(begin_, static_cast<std::size_t>(end_ - begin_)))
      return false;
    out.has_output = string_output_ || structural_output_;
    out.model = model_;
    if (shape_) {
      shape_->source.assign(begin_, end_);
      shape_->structural_output = structural_output_;
      shape_->valid = true;
    }
    return true;
  }

 private:
  void skip_space() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  bool consume(char c) {
    skip_space();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }

  // A key or a string value whose opening quote is at p_. `raw` is its bytes between the
  // quotes, `escaped` whether they hold an escape. Every escape decodes to at least one byte,
  // so an empty `raw` is exactly an empty string. A value is a slot of the shape.
  bool string(std::string_view& raw, bool& escaped, std::optional<Kind> value_kind) {
    const char* const start = p_ + 1;
    escaped = false;
    const char* const close = scan_string(start, end_, escaped, non_ascii_);
    if (!close) return false;
    raw = std::string_view(start, static_cast<std::size_t>(close - start));
    if (shape_ && value_kind) {
      if (shape_->slot_count == ChunkShape::kMaxSlots) {
        shape_ = nullptr;  // too many strings to be worth it
      } else {
        shape_->slots[shape_->slot_count++] = {static_cast<std::uint32_t>(start - begin_),
                                               static_cast<std::uint32_t>(close - begin_),
                                               *value_kind};
      }
    }
    p_ = close + 1;
    return true;
  }

  // A number at p_, in JSON's grammar and short enough that simdjson's reading of it cannot
  // fail: an integer of at most 18 digits fits int64; a float of at most 24 bytes with an
  // exponent of at most 2 digits lies well inside a double's finite range.
  bool number() {
    const char* const start = p_;
    if (*p_ == '-') ++p_;
    if (p_ == end_) return false;
    if (*p_ == '0') {
      ++p_;
      if (p_ != end_ && is_digit(*p_)) return false;  // leading zero
    } else if (is_digit(*p_)) {
      while (p_ != end_ && is_digit(*p_)) ++p_;
    } else {
      return false;
    }
    bool is_float = false;
    if (p_ != end_ && *p_ == '.') {
      is_float = true;
      ++p_;
      if (p_ == end_ || !is_digit(*p_)) return false;
      while (p_ != end_ && is_digit(*p_)) ++p_;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      is_float = true;
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      const char* const digits = p_;
      while (p_ != end_ && is_digit(*p_)) ++p_;
      if (p_ == digits || p_ - digits > 2) return false;
    }
    const auto length = p_ - start;
    return is_float ? length <= 24 : length - (*start == '-') <= 18;
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::memcmp(p_, word.data(), word.size()) != 0)
      return false;
    p_ += word.size();
    return true;
  }

  // Any value at p_ (after space), whose content does not matter beyond being valid.
  bool value(int depth) {
    skip_space();
    if (p_ == end_) return false;
    switch (*p_) {
      case '{':
        return object(Where::elsewhere, depth);
      case '[':
        return array(depth);
      case '"': {
        std::string_view raw;
        bool escaped = false;
        return string(raw, escaped, Kind::other);
      }
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return number();
    }
  }

  // An array at p_; `choices` wants an array of choice objects.
  bool array(int depth, bool choices = false) {
    if (++depth > kMaxPrescanDepth) return false;
    ++p_;  // '['
    skip_space();
    if (p_ != end_ && *p_ == ']') {
      ++p_;
      return true;
    }
    while (true) {
      if (choices) {
        skip_space();
        if (p_ == end_ || *p_ != '{') return false;  // read_choices skips them: not worth it
        if (!object(Where::choice, depth)) return false;
      } else if (!value(depth)) {
        return false;
      }
      skip_space();
      if (p_ == end_) return false;
      if (*p_ == ']') {
        ++p_;
        return true;
      }
      if (*p_ != ',') return false;
      ++p_;
    }
  }

  bool object(Where where, int depth) {
    if (++depth > kMaxPrescanDepth) return false;
    ++p_;  // '{'
    skip_space();
    if (p_ != end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    while (true) {
      skip_space();
      if (p_ == end_ || *p_ != '"') return false;
      std::string_view key;
      bool escaped = false;
      if (!string(key, escaped, std::nullopt)) return false;
      if (escaped && where != Where::elsewhere) return false;  // its decoded name would matter
      if (!consume(':')) return false;
      skip_space();
      if (p_ == end_) return false;
      if (!member(where, key, depth)) return false;
      skip_space();
      if (p_ == end_) return false;
      if (*p_ == '}') {
        ++p_;
        return true;
      }
      if (*p_ != ',') return false;
      ++p_;
    }
  }

  // The value at p_ (not space) of the member `key` of an object read as `where`.
  bool member(Where where, std::string_view key, int depth) {
    switch (where) {
      case Where::top:
        return top_member(key, depth);
      case Where::choice:
        return choice_member(key, depth);
      case Where::delta:
        return delta_member(key, depth);
      case Where::elsewhere:
        break;
    }
    return value(depth);
  }

  // Mirrors read_body.
  bool top_member(std::string_view key, int depth) {
    if (key == "choices") return *p_ == '[' && array(depth, /*choices=*/true);
    if (key == "model") {
      if (*p_ != '"' || model_) return false;  // not a string, or named twice
      std::string_view raw;
      bool escaped = false;
      if (!string(raw, escaped, Kind::model) || escaped) return false;
      model_ = raw;
      return true;
    }
    if (key == "usage") return literal("null");  // include_usage puts "usage":null everywhere
    if (key == "error" || key == "eval_count" || key == "prompt_eval_count" || key == "timings")
      return false;
    if (key == "message" && *p_ == '"') return false;  // perhaps {"object":"error",...}
    if (key == "data" && endpoint_ == Endpoint::embeddings) return false;
    return value(depth);
  }

  // Mirrors read_choices.
  bool choice_member(std::string_view key, int depth) {
    if (key == "delta" || key == "message") {
      if (*p_ == '{') return object(Where::delta, depth);
    } else if (key == "text") {
      if (*p_ == '"' && endpoint_ == Endpoint::completions) return output_string();
    } else if (key == "finish_reason") {
      if (*p_ == '"') {
        std::string_view raw;
        bool escaped = false;
        return string(raw, escaped, Kind::finish_reason) && raw.empty();  // a reason: parse
      }
    }
    return value(depth);
  }

  // Mirrors read_message.
  bool delta_member(std::string_view key, int depth) {
    if (key == "content" || key == "reasoning_content" || key == "reasoning") {
      if (*p_ == '"') return output_string();
    } else if (key == "tool_calls") {
      if (*p_ == '[') {
        const char* after = p_ + 1;
        while (after != end_ &&
               (*after == ' ' || *after == '\n' || *after == '\r' || *after == '\t'))
          ++after;
        if (after != end_ && *after != ']') structural_output_ = true;
        return array(depth);
      }
    } else if (key == "function_call") {
      if (*p_ == '{') {
        structural_output_ = true;
        return object(Where::elsewhere, depth);
      }
    }
    return value(depth);
  }

  // A string that is output when non-empty.
  bool output_string() {
    std::string_view raw;
    bool escaped = false;
    if (!string(raw, escaped, Kind::output)) return false;
    if (!raw.empty()) string_output_ = true;
    return true;
  }

  const char* const begin_;
  const char* p_;
  const char* const end_;
  const Endpoint endpoint_;
  ChunkShape* shape_;  // where the shape is recorded, or nullptr
  bool non_ascii_ = false;
  bool string_output_ = false;
  bool structural_output_ = false;
  std::optional<std::string_view> model_;
};

}  // namespace

bool read_plain_chunk(std::string_view text, Endpoint endpoint, PlainChunk& out,
                      ChunkShape* shape) {
  Prescan prescan(text, endpoint, shape);
  PlainChunk found;
  if (!prescan.run(found)) {
    if (shape) shape->valid = false;
    return false;
  }
  out = found;
  return true;
}

bool match_shape(const ChunkShape& shape, std::string_view text, PlainChunk& out) {
  if (!shape.valid) return false;
  const char* in = text.data();
  const char* const in_end = in + text.size();
  const char* const source = shape.source.data();
  const std::size_t source_size = shape.source.size();
  std::size_t done = 0;  // bytes of `source` matched; `in` is where they end in `text`
  bool non_ascii = false;
  bool output = shape.structural_output;
  std::optional<std::string_view> model;
  std::size_t i = 0;
  while (true) {
    // The text is the source, shifted by the lengths of the strings that changed, up to the
    // first byte that differs: the strings before it are the source's.
    const std::size_t same = common_prefix(
        in, source + done, std::min(static_cast<std::size_t>(in_end - in), source_size - done));
    const std::size_t diff = done + same;  // offset in `source` of the first difference
    const std::ptrdiff_t shift = (in - text.data()) - static_cast<std::ptrdiff_t>(done);
    for (; i < shape.slot_count && shape.slots[i].end < diff; ++i) {
      const ChunkShape::Slot slot = shape.slots[i];
      // Unchanged: the model had no escape, the finish reason was empty.
      if (slot.kind == Kind::output && slot.end != slot.begin) output = true;
      if (slot.kind == Kind::model)
        model = std::string_view(text.data() + shift + slot.begin, slot.end - slot.begin);
    }
    if (diff == source_size) {
      if (in + same != in_end) return false;  // bytes after the end of the source
      break;
    }
    // The first difference must lie in a string value (its closing quote included).
    if (i == shape.slot_count || diff < shape.slots[i].begin) return false;
    const ChunkShape::Slot slot = shape.slots[i++];
    const char* const start = text.data() + shift + slot.begin;
    bool escaped = false;
    const char* const close = scan_string(start, in_end, escaped, non_ascii);
    if (!close) return false;
    const std::string_view raw(start, static_cast<std::size_t>(close - start));
    switch (slot.kind) {
      case Kind::output:
        if (!raw.empty()) output = true;
        break;
      case Kind::model:
        if (escaped) return false;
        model = raw;
        break;
      case Kind::finish_reason:
        if (!raw.empty()) return false;
        break;
      case Kind::other:
        break;
    }
    in = close;  // both resume at the closing quote
    done = slot.end;
  }
  // The source is valid UTF-8 and its pieces are cut at quotes: only new strings can be wrong.
  if (non_ascii && !simdjson::validate_utf8(text.data(), text.size())) return false;
  out.has_output = output;
  out.model = model;
  return true;
}

bool PlainChunkReader::read(std::string_view text, PlainChunk& out) {
  if (match_shape(shape_, text, out)) return true;
  if (skip_ > 0) {
    --skip_;
    return false;
  }
  if (read_plain_chunk(text, endpoint_, out, &shape_)) {
    misses_ = 0;
    return true;
  }
  if (misses_ < 6) ++misses_;
  skip_ = (1u << misses_) - 1;
  return false;
}

}  // namespace lmp::llm::detail
