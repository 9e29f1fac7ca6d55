#include "net/http_head.hpp"

#include <array>
#include <cstring>

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

// The bytes of `s` up to the first one not of class `cls`.
std::size_t span_of(std::string_view s, std::uint8_t cls) {
  std::size_t i = 0;
  while (i < s.size() && is(s[i], cls)) ++i;
  return i;
}

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

// Splits `head` into lines: next() returns the next line without its CRLF, or sets `ec` to
// bad_line_ending when a line ends in a bare LF. The head always ends in CRLF CRLF
// (find_head_end), so every line has an LF.
class Lines {
 public:
  explicit Lines(std::string_view head) : rest_(head) {}
  bool next(std::string_view& line, error_code& ec) {
    const auto lf = rest_.find('\n');
    if (lf == std::string_view::npos) {
      ec = http::error::bad_line_ending;
      return false;
    }
    if (lf == 0 || rest_[lf - 1] != '\r') {
      ec = http::error::bad_line_ending;
      return false;
    }
    line = rest_.substr(0, lf - 1);
    rest_.remove_prefix(lf + 1);
    return true;
  }

 private:
  std::string_view rest_;
};

// "HTTP/1.x": 10 for HTTP/1.0, 11 for any other 1.x (RFC 9110 6.2: a later minor version is
// read as the highest one known), 0 when not HTTP/1.
unsigned parse_version(std::string_view s) {
  if (s.size() != 8 || s.substr(0, 7) != "HTTP/1." || s[7] < '0' || s[7] > '9') return 0;
  return s[7] == '0' ? 10 : 11;
}

// Calls fn(token) for each element of a comma-separated list, skipping empty ones.
template <class Fn>
void each_list_element(std::string_view list, Fn&& fn) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    const auto element = text::trim(list.substr(0, comma));
    if (!element.empty()) fn(element);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
}

// The fields, up to and including the empty line, and the framing facts they state.
error_code parse_fields(Lines& lines, MessageHead& out, bool& expect_continue) {
  bool close = false;
  bool keep_alive_token = false;
  bool transfer_encoding = false;
  std::string_view line;
  error_code ec;
  while (lines.next(line, ec)) {
    if (line.empty()) {
      out.keep_alive = !close && (out.version >= 11 || keep_alive_token);
      if (transfer_encoding) out.other_coding = !out.chunked;
      return {};
    }
    // A line starting with whitespace continues the previous field (obs-fold): refused, as
    // RFC 9112 5.2 allows, since readers that unfold and readers that do not disagree.
    if (is_ows(line.front())) return http::error::bad_obs_fold;
    const std::size_t name_size = span_of(line, kToken);
    if (name_size == 0 || name_size == line.size() || line[name_size] != ':')
      return http::error::bad_field;
    const std::string_view name = line.substr(0, name_size);
    std::string_view value = line.substr(name_size + 1);
    if (span_of(value, kValue) != value.size()) return http::error::bad_value;
    while (!value.empty() && is_ows(value.front())) value.remove_prefix(1);
    while (!value.empty() && is_ows(value.back())) value.remove_suffix(1);
    out.fields.push_back({name, value});

    switch (name.size()) {
      case 6:
        if (text::iequals(name, "expect")) expect_continue = text::iequals(value, "100-continue");
        break;
      case 10:
        if (text::iequals(name, "connection")) {
          each_list_element(value, [&](std::string_view token) {
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
          each_list_element(value, [&](std::string_view coding) {
            // Something after chunked, or not a token ("chunked\x87" would be read as chunked
            // by some and not by others).
            if (out.chunked || span_of(coding, kToken) != coding.size()) bad = true;
            out.chunked = text::iequals(coding, "chunked");
          });
          if (bad) return http::error::bad_transfer_encoding;
        }
        break;
      default:
        break;
    }
  }
  return ec;
}

void reset(MessageHead& head) {
  head.version = 11;
  head.fields.clear();
  head.content_length.reset();
  head.chunked = false;
  head.other_coding = false;
  head.keep_alive = true;
}

}  // namespace

std::optional<std::string_view> MessageHead::find(std::string_view name) const {
  for (const auto& field : fields) {
    if (field.name.size() == name.size() && text::iequals(field.name, name)) return field.value;
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
  Lines lines(head);
  std::string_view line;
  error_code ec;
  if (!lines.next(line, ec)) return ec;
  // method SP request-target SP HTTP-version, single spaces (RFC 9112 3).
  const std::size_t method_size = span_of(line, kToken);
  if (method_size == 0 || method_size == line.size() || line[method_size] != ' ')
    return http::error::bad_method;
  out.method = line.substr(0, method_size);
  line.remove_prefix(method_size + 1);
  const std::size_t target_size = span_of(line, kTarget);
  if (target_size == 0 || target_size == line.size() || line[target_size] != ' ')
    return http::error::bad_target;
  out.target = line.substr(0, target_size);
  out.version = parse_version(line.substr(target_size + 1));
  if (out.version == 0) return http::error::bad_version;

  if (auto fields_ec = parse_fields(lines, out, out.expect_continue)) return fields_ec;
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
  Lines lines(head);
  std::string_view line;
  error_code ec;
  if (!lines.next(line, ec)) return ec;
  // HTTP-version SP 3DIGIT SP reason-phrase; a missing reason and its space are tolerated.
  if (line.size() < 12 || line[8] != ' ') return http::error::bad_version;
  out.version = parse_version(line.substr(0, 8));
  if (out.version == 0) return http::error::bad_version;
  const std::string_view code = line.substr(9, 3);
  for (const char c : code) {
    if (c < '0' || c > '9') return http::error::bad_status;
  }
  out.status =
      static_cast<unsigned>((code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0'));
  if (out.status < 100) return http::error::bad_status;
  if (line.size() > 12) {
    if (line[12] != ' ') return http::error::bad_status;
    out.reason = line.substr(13);
    if (span_of(out.reason, kValue) != out.reason.size()) return http::error::bad_reason;
  }

  bool ignored = false;
  if (auto fields_ec = parse_fields(lines, out, ignored)) return fields_ec;
  // Transfer-Encoding overrides Content-Length, and such a connection is not reused (RFC 9112
  // 6.3, item 3).
  if ((out.chunked || out.other_coding) && out.content_length) {
    out.content_length.reset();
    out.keep_alive = false;
  }
  return {};
}

}  // namespace lmp::net
