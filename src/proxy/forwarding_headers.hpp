// Which headers cross the proxy: end-to-end headers pass, hop-by-hop ones stop here (RFC 9110
// 7.6.1), and the request gains X-Forwarded-For.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "net/backend_target.hpp"
#include "net/http_head.hpp"

namespace lmp::proxy {

// Both writers copy only end-to-end fields: hop-by-hop ones (RFC 9110 7.6.1), those named in
// Connection, Expect (answered by the proxy) and the framing fields (Content-Length,
// Transfer-Encoding), which the writers set, stay behind.

// Writes the backend request's head, as bytes, to `out` (replacing its contents): the target
// under the base path, HTTP/1.1, the client's end-to-end fields, Host of the backend,
// X-Forwarded-For with the client's address appended, and Content-Length when the body is not
// empty or the method is POST, PUT or OPTIONS. Serialised by hand rather than through a
// Beast message: it is on every request's path, and this costs no allocation once `out` has
// grown.
void write_upstream_request_head(const net::RequestHead& client_request,
                                 const net::BackendTarget& backend, std::string_view client_address,
                                 std::size_t body_size, std::string& out);

// Writes the client response's head to `out` (replacing its contents): the backend's status
// and reason, the client's HTTP version, the backend's end-to-end fields, then
// Content-Length: `content_length` unless empty, Transfer-Encoding: chunked if `chunked`, and
// the Connection field that says whether the connection stays open for this version.
void write_response_head(unsigned status, std::string_view reason, unsigned version,
                         std::span<const net::HeadField> backend_fields,
                         std::string_view content_length, bool chunked, bool keep_alive,
                         std::string& out);

// The API key a request carries (Authorization: Bearer, or api-key), or empty.
std::string_view api_key_of(const net::MessageHead& request);

// "sha256:" and the first 16 hex digits of SHA-256 of the key: enough to tell keys apart,
// useless for recovering them. Empty for an empty key.
std::string api_key_fingerprint(std::string_view key);

}  // namespace lmp::proxy
