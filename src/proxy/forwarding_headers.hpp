// Which headers cross the proxy: end-to-end headers pass, hop-by-hop ones stop here (RFC 9110
// 7.6.1), and the request gains X-Forwarded-For.
#pragma once

#include <string>
#include <string_view>

#include "net/asio.hpp"
#include "net/backend_target.hpp"

namespace lmp::proxy {

// Copies the end-to-end fields of `from` into `to`, leaving out hop-by-hop ones, those named
// in Connection, and framing fields (Content-Length, Transfer-Encoding) the writer sets.
void copy_end_to_end_fields(const net::http::fields& from, net::http::fields& to);

// Builds the backend request's header: the client's end-to-end fields, Host of the backend,
// X-Forwarded-For with the client's address appended, and the target under the base path.
void prepare_upstream_request(const net::http::request_header<>& client_request,
                              const net::BackendTarget& backend, std::string_view client_address,
                              net::http::request_header<>& out);

// The API key a request carries (Authorization: Bearer, or api-key), or empty.
std::string_view api_key_of(const net::http::request_header<>& request);

// "sha256:" and the first 16 hex digits of SHA-256 of the key: enough to tell keys apart,
// useless for recovering them. Empty for an empty key.
std::string api_key_fingerprint(std::string_view key);

}  // namespace lmp::proxy
