#include "proxy/forwarding_headers.hpp"

#include "support/text.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <vector>

namespace lmp::proxy {
namespace {

namespace http = net::http;

// Hop-by-hop fields (RFC 9110 7.6.1), the framing ones the writers set, and Expect, which the
// proxy answers itself. By length first: most fields are none of these.
bool is_hop_by_hop(std::string_view name) {
  switch (name.size()) {
    case 2:
      return text::iequals(name, "te");
    case 6:
      return text::iequals(name, "expect");
    case 7:
      return text::iequals(name, "trailer") || text::iequals(name, "upgrade");
    case 10:
      return text::iequals(name, "connection") || text::iequals(name, "keep-alive");
    case 14:
      return text::iequals(name, "content-length");
    case 16:
      return text::iequals(name, "proxy-connection");
    case 17:
      return text::iequals(name, "transfer-encoding");
    case 18:
      return text::iequals(name, "proxy-authenticate");
    case 19:
      return text::iequals(name, "proxy-authorization");
    default:
      return false;
  }
}

// Calls fn(name, value) for each end-to-end field of `fields`, in order.
template <class Fn>
void each_end_to_end_field(std::span<const net::HeadField> fields, Fn&& fn) {
  // Fields named by Connection are hop-by-hop too (RFC 9110 7.6.1). Almost every message has
  // none or one or two: they go in a small array, and only past 16 into a vector, so that the
  // common case allocates nothing.
  std::array<std::string_view, 16> named;
  std::size_t named_count = 0;
  std::vector<std::string_view> more_named;
  for (const auto& f : fields) {
    if (f.name.size() != 10 || !text::iequals(f.name, "connection")) continue;
    text::for_each_list_element(f.value, [&](std::string_view token) {
      if (named_count < named.size())
        named[named_count++] = token;
      else
        more_named.push_back(token);
    });
  }
  const auto is_named = [&](std::string_view name) {
    const auto same = [&](std::string_view n) { return text::iequals(n, name); };
    return std::any_of(named.begin(), named.begin() + named_count, same) ||
           std::any_of(more_named.begin(), more_named.end(), same);
  };
  for (const auto& f : fields) {
    if (is_hop_by_hop(f.name) || (named_count > 0 && is_named(f.name))) continue;
    fn(f.name, f.value);
  }
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

}  // namespace

void write_upstream_request_head(const net::RequestHead& client_request,
                                 const net::BackendTarget& backend, std::string_view client_address,
                                 std::size_t body_size, std::string& out) {
  out.clear();
  out.append(client_request.method);
  out.push_back(' ');
  out.append(backend.base_path);
  out.append(client_request.target);
  out.append(" HTTP/1.1\r\n");
  each_end_to_end_field(client_request.fields, [&](std::string_view name, std::string_view value) {
    // Host and X-Forwarded-For are written below.
    if (text::iequals(name, "host") || text::iequals(name, "x-forwarded-for")) return;
    append_field(out, name, value);
  });
  append_field(out, "Host", backend.host_header());
  // Every X-Forwarded-For line the client sent, joined, then this hop.
  out.append("X-Forwarded-For: ");
  for (const auto& f : client_request.fields) {
    if (f.name.size() != 15 || !text::iequals(f.name, "x-forwarded-for")) continue;
    out.append(f.value);
    out.append(", ");
  }
  out.append(client_address);
  out.append("\r\n");
  const auto method = client_request.method;
  if (body_size > 0 || method == "POST" || method == "PUT" || method == "OPTIONS") {
    std::array<char, 24> digits;
    const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), body_size).ptr;
    append_field(out, "Content-Length", std::string_view(digits.data(), end - digits.data()));
  }
  out.append("\r\n");
}

void write_response_head(unsigned status, std::string_view reason, unsigned version,
                         std::span<const net::HeadField> backend_fields,
                         std::string_view content_length, bool chunked, bool keep_alive,
                         std::string& out) {
  out.clear();
  out.append(version >= 11 ? "HTTP/1.1 " : "HTTP/1.0 ");
  std::array<char, 8> digits;
  const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), status).ptr;
  out.append(digits.data(), end);
  out.push_back(' ');
  if (reason.empty()) {
    const auto known = http::obsolete_reason(static_cast<http::status>(status));
    if (!known.starts_with('<')) reason = known;  // not "<unknown-status>"
  }
  out.append(reason);
  out.append("\r\n");
  each_end_to_end_field(backend_fields, [&](std::string_view name, std::string_view value) {
    append_field(out, name, value);
  });
  if (!content_length.empty()) append_field(out, "Content-Length", content_length);
  if (chunked) append_field(out, "Transfer-Encoding", "chunked");
  // HTTP/1.1 stays open unless told; HTTP/1.0 closes unless told.
  if (version >= 11 && !keep_alive) append_field(out, "Connection", "close");
  if (version < 11 && keep_alive) append_field(out, "Connection", "keep-alive");
  out.append("\r\n");
}

std::string_view api_key_of(const net::MessageHead& request) {
  if (auto authorization = request.find("authorization")) {
    std::string_view v = text::trim(*authorization);
    if (v.size() > 7 && text::iequals(v.substr(0, 7), "bearer ")) return text::trim(v.substr(7));
    return v;
  }
  if (auto key = request.find("api-key")) return text::trim(*key);
  return {};
}

namespace {

// One SHA-256 context per thread, with the algorithm fetched once: EVP_Digest makes and frees a
// context and looks the algorithm up on every call (measured: bench/micro, BM_ApiKeyFingerprint).
struct Sha256 {
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  Sha256() = default;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  ~Sha256() {
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
  }
};

}  // namespace

std::string api_key_fingerprint(std::string_view key) {
  if (key.empty()) return {};
  thread_local Sha256 sha;
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (!sha.md || !sha.ctx || EVP_DigestInit_ex(sha.ctx, sha.md, nullptr) != 1 ||
      EVP_DigestUpdate(sha.ctx, key.data(), key.size()) != 1 ||
      EVP_DigestFinal_ex(sha.ctx, digest.data(), &length) != 1)
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
