#include "proxy/forwarding_headers.hpp"

#include "support/text.hpp"

#include <openssl/evp.h>

#include <array>
#include <cctype>
#include <vector>

namespace lmp::proxy {
namespace {

using net::http::field;

bool is_hop_by_hop(field f, std::string_view name) {
  switch (f) {
    case field::connection:
    case field::keep_alive:
    case field::proxy_authenticate:
    case field::proxy_authorization:
    case field::proxy_connection:
    case field::te:
    case field::trailer:
    case field::transfer_encoding:
    case field::upgrade:
    case field::content_length:  // the writer sets the framing of what it sends
    case field::expect:          // answered by the proxy itself
      return true;
    default:
      return text::iequals(name, "proxy-connection");
  }
}

}  // namespace

void copy_end_to_end_fields(const net::http::fields& from, net::http::fields& to) {
  // Fields named by Connection are hop-by-hop too (RFC 9110 7.6.1).
  std::vector<std::string_view> named;
  for (auto it = from.find(field::connection); it != from.end() && it->name() == field::connection;
       ++it) {
    std::string_view v = it->value();
    while (!v.empty()) {
      const auto comma = v.find(',');
      named.push_back(text::trim(v.substr(0, comma)));
      v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
    }
  }
  for (const auto& f : from) {
    const std::string_view name = f.name_string();
    if (is_hop_by_hop(f.name(), name)) continue;
    bool listed = false;
    for (auto n : named) listed = listed || text::iequals(n, name);
    if (listed) continue;
    to.insert(name, f.value());
  }
}

void prepare_upstream_request(const net::http::request_header<>& client_request,
                              const net::BackendTarget& backend, std::string_view client_address,
                              net::http::request_header<>& out) {
  out.method_string(client_request.method_string());
  const std::string_view target = client_request.target();
  if (backend.base_path.empty()) {
    out.target(target);
  } else {
    std::string t = backend.base_path;
    t.append(target);
    out.target(t);
  }
  out.version(11);
  copy_end_to_end_fields(client_request, out);
  out.set(field::host, backend.host_header());
  // Every X-Forwarded-For line the client sent, joined, then this hop.
  std::string forwarded_for;
  for (auto [it, end] = client_request.equal_range("X-Forwarded-For"); it != end; ++it) {
    forwarded_for.append(it->value());
    forwarded_for += ", ";
  }
  forwarded_for.append(client_address);
  out.set("X-Forwarded-For", forwarded_for);
}

std::string_view api_key_of(const net::http::request_header<>& request) {
  if (auto it = request.find(field::authorization); it != request.end()) {
    std::string_view v = text::trim(it->value());
    if (v.size() > 7 && text::iequals(v.substr(0, 7), "bearer ")) return text::trim(v.substr(7));
    return v;
  }
  if (auto it = request.find("api-key"); it != request.end()) return text::trim(it->value());
  return {};
}

std::string api_key_fingerprint(std::string_view key) {
  if (key.empty()) return {};
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(key.data(), key.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1)
    return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned i = 0; i < 8 && i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xF]);
  }
  return out;
}

}  // namespace lmp::proxy
