#include "net/http_head.hpp"

#include <array>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "support/text.hpp"

namespace lmp::net {
namespace {

// Byte classes of RFC 9110 5.6.2 (tchar) and 5.5 (field-vchar, obs-text), one table lookup per
// byte.
enum : std::uint8_t { kToken = 1, kValue = 2, kTarget = 4 };

constexpr std::array<std::uint8_t, 256> kByteClass = [] {
  std::array<std::uint8_t, 256> table{};
  for (int c = 0x21; c <= 0x7E; ++c) table[c] = kValue | kTarget;
  for (int c = 0x80; c <= 0xFF; ++c) table[c] = kValue | kTarget;  // obs-text
  table[' '] = kValue;
  table['\t'] = kValue;
  for (unsigned char c : std::string_view("!#$%&'*+-.^_`|~")) table[c] |= kToken;
  for (int c = '0'; c <= '9'; ++c) table[c] |= kToken;
  for (int c = 'a'; c <= 'z'; ++c) table[c] |= kToken;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] |= kToken;
  return table;
}();

bool is(char c, std::uint8_t cls) {
  return (kByteClass[static_cast<unsigned char>(c)] & cls) != 0;
}

// The first byte from `p` that is not of class `cls` (kValue or kTarget), or `end`. Values and
// targets are most of a head's bytes: with SSE2 (every x86-64) 16 are checked at once. The
// byte found is usually the CR that ends the line.
const char* skip_class(const char* p, const char* const end, std::uint8_t cls) {
#ifdef __SSE2__
  // kValue: from 0x20 up, and HTAB, but not DEL. kTarget: from 0x21 up, but not DEL.
  const __m128i low = _mm_set1_epi8(cls == kValue ? 0x20 : 0x21);
  const __m128i tab = _mm_set1_epi8(cls == kValue ? '\t' : 0x7F);
  const __m128i del = _mm_set1_epi8(0x7F);
  while (end - p >= 16) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i at_least_low = _mm_cmpeq_epi8(_mm_max_epu8(block, low), block);  // unsigned >=
    const unsigned ok = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_or_si128(at_least_low, _mm_cmpeq_epi8(block, tab))));
    const unsigned bad =
        (~ok & 0xFFFFu) | static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(block, del)));
    if (bad != 0) return p + __builtin_ctz(bad);
    p += 16;
  }
#endif
  while (p != end && is(*p, cls)) ++p;
  return p;
}

// The first byte from `p` that is not a tchar, or `end`. Field names and methods: checked a
// byte at a time through the table, but with one bounds check per eight bytes, since the byte
// loop was about six instructions a byte, a quarter of parsing a head (measured with
// callgrind). SSE2 has no cheap test for tchar's scattered delimiters: one that checked 16
// bytes at once cost no less than the byte loop on names of common lengths.
const char* skip_token(const char* p, const char* const end) {
  while (end - p >= 8) {
    for (int i = 0; i < 8; ++i)
      if (!is(p[i], kToken)) return p + i;
    p += 8;
  }
  while (p != end && is(*p, kToken)) ++p;
  return p;
}

// The bytes of `s` up to the first one that is not a tchar.
std::size_t token_size(std::string_view s) {
  return static_cast<std::size_t>(skip_token(s.data(), s.data() + s.size()) - s.data());
}

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

// What ends a line at `p`, after its last allowed byte: CRLF is fine; a bare LF is
// bad_line_ending; anything else is `otherwise`.
error_code line_end(const char* p, const char* const end, http::error otherwise) {
  if (p != end && *p == '\n') return http::error::bad_line_ending;
  if (end - p < 2 || p[0] != '\r') return otherwise;
  if (p[1] != '\n') return otherwise;
  return {};
}

// "HTTP/1.x": 10 for HTTP/1.0, 11 for any other 1.x (RFC 9110 6.2: a later minor version is
// read as the highest one known), 0 when not HTTP/1.
unsigned parse_version(std::string_view s) {
  if (s.size() != 8 || s.substr(0, 7) != "HTTP/1." || s[7] < '0' || s[7] > '9') return 0;
  return s[7] == '0' ? 10 : 11;
}

// The fields from `p`, up to and including the empty line that ends the head at `end`, and the
// framing facts they state.
error_code parse_fields(const char* p, const char* const end, MessageHead& out,
                        bool& expect_continue) {
  bool close = false;
  bool keep_alive_token = false;
  bool transfer_encoding = false;
  for (;;) {
    if (p == end) return http::error::bad_line_ending;
    if (*p == '\r' || *p == '\n') {
      if (auto ec = line_end(p, end, http::error::bad_line_ending)) return ec;
      out.keep_alive = !close && (out.version >= 11 || keep_alive_token);
      if (transfer_encoding) out.other_coding = !out.chunked;
      return {};
    }
    // A line starting with whitespace continues the previous field (obs-fold): refused, as
    // RFC 9112 5.2 allows, since readers that unfold and readers that do not disagree.
    if (is_ows(*p)) return http::error::bad_obs_fold;
    const std::size_t name_size = token_size(std::string_view(p, end - p));
    if (name_size == 0 || p + name_size == end || p[name_size] != ':')
      return http::error::bad_field;
    const std::string_view name(p, name_size);
    const char* v = p + name_size + 1;
    while (v != end && is_ows(*v)) ++v;
    const char* const value_end = skip_class(v, end, kValue);
    if (auto ec = line_end(value_end, end, http::error::bad_value)) return ec;
    std::string_view value(v, value_end - v);
    while (!value.empty() && is_ows(value.back())) value.remove_suffix(1);
    out.fields.push_back({name, value});
    p = value_end + 2;

    switch (name.size()) {
      case 6:
        if (text::iequals(name, "expect")) expect_continue = text::iequals(value, "100-continue");
        break;
      case 10:
        if (text::iequals(name, "connection")) {
          text::for_each_list_element(value, [&](std::string_view token) {
            if (text::iequals(token, "close")) close = true;
            if (text::iequals(token, "keep-alive")) keep_alive_token = true;
          });
        }
        break;
      case 14:
        if (text::iequals(name, "content-length")) {
          // 1 to 19 digits (no overflow); a repeated field must repeat the value.
          std::uint64_t length = 0;
          if (value.empty() || value.size() > 19) return http::error::bad_content_length;
          for (const char c : value) {
            if (c < '0' || c > '9') return http::error::bad_content_length;
            length = length * 10 + static_cast<unsigned>(c - '0');
          }
          if (out.content_length && *out.content_length != length)
            return http::error::bad_content_length;
          out.content_length = length;
        }
        break;
      case 17:
        if (text::iequals(name, "transfer-encoding")) {
          // Codings apply in order: chunked must be the last, and only once (RFC 9112 6.1).
          // An empty one counts as present: it names no coding, so it does not end in chunked.
          transfer_encoding = true;
          bool bad = false;
          text::for_each_list_element(value, [&](std::string_view coding) {
            // Something after chunked, or not a token ("chunked\x87" would be read as chunked
            // by some and not by others).
            if (out.chunked || token_size(coding) != coding.size()) bad = true;
            out.chunked = text::iequals(coding, "chunked");
          });
          if (bad) return http::error::bad_transfer_encoding;
        }
        break;
      default:
        break;
    }
  }
}

void reset(MessageHead& head) {
  head.version = 11;
  head.fields.clear();
  head.content_length.reset();
  head.chunked = false;
  head.other_coding = false;
  head.keep_alive = true;
}

// text::iequals, kept out of MessageHead::find's loop: most fields differ from the name sought
// in length, and inlined, the comparison's constants made every call save and restore more
// registers (measured with callgrind: about 8 instructions a call, five calls a request).
[[gnu::noinline]] bool same_name(std::string_view a, std::string_view b) {
  return text::iequals(a, b);
}

}  // namespace

std::optional<std::string_view> MessageHead::find(std::string_view name) const {
  for (const auto& field : fields) {
    if (field.name.size() == name.size() && same_name(field.name, name)) return field.value;
  }
  return std::nullopt;
}

std::size_t find_head_end(std::string_view data, std::size_t searched) {
  // The end may straddle what was searched before: back up over three bytes of it.
  const std::size_t from = searched > 3 ? searched - 3 : 0;
  const auto at = data.find("\r\n\r\n", from);
  return at == std::string_view::npos ? 0 : at + 4;
}

std::size_t leading_empty_lines(std::string_view data) {
  std::size_t n = 0;
  while (data.size() - n >= 2 && data[n] == '\r' && data[n + 1] == '\n') n += 2;
  return n;
}

error_code parse_request_head(std::string_view head, RequestHead& out) {
  reset(out);
  out.method = {};
  out.target = {};
  out.expect_continue = false;
  const char* p = head.data();
  const char* const end = p + head.size();
  // method SP request-target SP HTTP-version CRLF, single spaces (RFC 9112 3).
  const std::size_t method_size = token_size(head);
  if (method_size == 0 || method_size == head.size() || p[method_size] != ' ')
    return http::error::bad_method;
  out.method = std::string_view(p, method_size);
  p += method_size + 1;
  const char* const target_end = skip_class(p, end, kTarget);
  if (target_end == p || target_end == end || *target_end != ' ') return http::error::bad_target;
  out.target = std::string_view(p, target_end - p);
  p = target_end + 1;
  if (end - p < 8) return http::error::bad_version;
  out.version = parse_version(std::string_view(p, 8));
  if (out.version == 0) return http::error::bad_version;
  p += 8;
  if (auto ec = line_end(p, end, http::error::bad_version)) return ec;

  if (auto ec = parse_fields(p + 2, end, out, out.expect_continue)) return ec;
  // A request's body length must be certain (RFC 9112 6.1, 6.3): a Transfer-Encoding that does
  // not end in chunked, or one next to a Content-Length, is refused.
  if (out.other_coding || (out.chunked && out.content_length))
    return http::error::bad_transfer_encoding;
  return {};
}

error_code parse_response_head(std::string_view head, ResponseHead& out) {
  reset(out);
  out.status = 0;
  out.reason = {};
  const char* p = head.data();
  const char* const end = p + head.size();
  // HTTP-version SP 3DIGIT SP reason-phrase CRLF; a missing reason and its space are tolerated.
  if (head.size() < 9 || p[8] != ' ') return http::error::bad_version;
  out.version = parse_version(head.substr(0, 8));
  if (out.version == 0) return http::error::bad_version;
  p += 9;
  if (end - p < 3) return http::error::bad_status;
  for (int i = 0; i < 3; ++i) {
    if (p[i] < '0' || p[i] > '9') return http::error::bad_status;
  }
  out.status = static_cast<unsigned>((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
  if (out.status < 100) return http::error::bad_status;
  p += 3;
  if (p != end && *p == ' ') {
    const char* const reason_end = skip_class(p + 1, end, kValue);
    out.reason = std::string_view(p + 1, reason_end - (p + 1));
    p = reason_end;
    if (auto ec = line_end(p, end, http::error::bad_reason)) return ec;
  } else if (auto ec = line_end(p, end, http::error::bad_status)) {
    return ec;
  }

  bool ignored = false;
  if (auto ec = parse_fields(p + 2, end, out, ignored)) return ec;
  // Transfer-Encoding overrides Content-Length, and such a connection is not reused (RFC 9112
  // 6.3, item 3).
  if ((out.chunked || out.other_coding) && out.content_length) {
    out.content_length.reset();
    out.keep_alive = false;
  }
  return {};
}

}  // namespace lmp::net
