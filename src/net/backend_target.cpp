#include "net/backend_target.hpp"

#include <boost/url/parse.hpp>

namespace lmp::net {

Result<BackendTarget> parse_backend_url(std::string_view url) {
  // parse_uri, not parse_absolute_uri, so that a fragment gets its own clear message below.
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed)
    return Error{
        "expected an absolute URL like http://localhost:11434 or https://api.example.com/v1"};
  const auto& u = *parsed;
  BackendTarget t;
  // Schemes are case-insensitive (RFC 3986 3.1): scheme_id() compares them that way.
  std::string scheme;
  if (u.scheme_id() == boost::urls::scheme::http) {
    t.tls = false;
    scheme = "http";
  } else if (u.scheme_id() == boost::urls::scheme::https) {
    t.tls = true;
    scheme = "https";
  } else {
    return Error{"the scheme must be http or https, not '" + std::string(u.scheme()) + "'"};
  }
  if (u.has_userinfo())
    return Error{"credentials in the URL are not allowed; clients send their own"};
  if (u.has_query() || u.has_fragment()) return Error{"a query or fragment is not allowed"};
  t.host = u.host_address();
  if (t.host.empty()) return Error{"the URL has no host"};
  if (u.has_port()) {
    const auto n = u.port_number();
    if (n == 0) return Error{"the port must be between 1 and 65535"};
    t.port = std::to_string(n);
  } else {
    t.port = t.tls ? "443" : "80";
  }
  std::string path(u.encoded_path());
  while (!path.empty() && path.back() == '/') path.pop_back();
  t.base_path = path;
  const bool ipv6 = t.host.find(':') != std::string::npos;
  const std::string host = ipv6 ? "[" + t.host + "]" : t.host;
  t.display = scheme + "://" + host + ":" + t.port + t.base_path;
  const bool default_port = (t.tls && t.port == "443") || (!t.tls && t.port == "80");
  t.host_header = default_port ? host : host + ":" + t.port;
  return t;
}

}  // namespace lmp::net
