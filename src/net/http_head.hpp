// HTTP/1 message heads (RFC 9112) parsed into views of their bytes: the request line or status
// line, the fields in order, and the framing facts the proxy acts on. Used on the proxy's path
// instead of Beast's parser, which allocates one node per field and inserts it into a
// case-insensitive set (about a tenth of the proxy's instructions per small request,
// measured): here a field costs a table-driven scan and a view, and no allocation once the
// field vector has grown.
//
// The parser is strict where leniency would let two readers disagree on where a message ends
// (request smuggling): CRLF line ends only, no obs-fold, no whitespace between a field name and
// its colon, no control bytes in values, one Content-Length value (repeated fields must repeat
// it), and a request with both Content-Length and Transfer-Encoding, or a Transfer-Encoding
// that does not end in chunked, is refused. Errors are Beast's http::error codes, so the callers'
// messages and statuses do not depend on which parser read the head.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "net/asio.hpp"

namespace lmp::net {

struct HeadField {
  std::string_view name;
  std::string_view value;  // without leading and trailing whitespace
};

// What requests and responses share. Views point into the bytes given to the parser.
struct MessageHead {
  unsigned version = 11;          // 10 or 11
  std::vector<HeadField> fields;  // in the order received; the capacity is reused
  std::optional<std::uint64_t> content_length;
  bool chunked = false;       // Transfer-Encoding ends in chunked
  bool other_coding = false;  // Transfer-Encoding present but not ending in chunked
  bool keep_alive = true;     // by version and Connection

  // The value of the first field named `name` (case-insensitive), if any.
  std::optional<std::string_view> find(std::string_view name) const;
};

struct RequestHead : MessageHead {
  std::string_view method;
  std::string_view target;
  bool expect_continue = false;  // Expect: 100-continue
};

struct ResponseHead : MessageHead {
  unsigned status = 0;
  std::string_view reason;
};

// Where the head at the start of `data` ends: the offset just past its empty line, or 0 when
// `data` does not hold a whole head yet. `searched` is how many bytes of `data` a previous call
// already looked at, so that a head arriving in pieces is scanned once.
std::size_t find_head_end(std::string_view data, std::size_t searched = 0);

// How many bytes at the start of `data` are empty lines (CRLF) before a request: RFC 9112 2.2
// asks a server to ignore at least one (some clients send one after a POST body).
std::size_t leading_empty_lines(std::string_view data);

// Parse a whole head, as delimited by find_head_end. `out` is reset first; its views point
// into `head`. A request's framing is checked here (see above). For a response, Transfer-Encoding
// overrides Content-Length (and the connection is then not kept); whether there is a body at all
// also depends on the status and the request's method, which the caller knows.
error_code parse_request_head(std::string_view head, RequestHead& out);
error_code parse_response_head(std::string_view head, ResponseHead& out);

}  // namespace lmp::net
