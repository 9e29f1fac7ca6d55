// Where the proxy forwards to: parsed once from BACKEND_URL (or host and port) at start-up.
#pragma once

#include <string>
#include <string_view>

#include "support/result.hpp"

namespace lmp::net {

struct BackendTarget {
  bool tls = false;
  std::string host;       // as written, for Host and SNI
  std::string port;       // numeric, defaulted from the scheme
  std::string base_path;  // "" or "/prefix" without a trailing slash; prepended to each target
  std::string display;    // scheme://host:port/base, without credentials, for logs and records
  // host[:port], the port left out when it is the default: the Host of every forwarded
  // request, so parse_backend_url builds it once (like display) rather than each request.
  std::string host_header;
};

// Accepts http:// and https:// URLs with an optional port and base path; rejects credentials,
// queries and fragments with a message that says what is allowed.
Result<BackendTarget> parse_backend_url(std::string_view url);

}  // namespace lmp::net
