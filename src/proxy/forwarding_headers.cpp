#include "proxy/forwarding_headers.hpp"

#include "support/text.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cstring>
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
  // common case allocates nothing. The array holds pointer and size rather than string_views,
  // whose constructor would zero all 16 on every call (measured: about 35 instructions a head).
  struct Name {
    const char* data;
    std::size_t size;
  };
  std::array<Name, 16> named;
  std::size_t named_count = 0;
  std::vector<std::string_view> more_named;
  for (const auto& f : fields) {
    if (f.name.size() != 10 || !text::iequals(f.name, "connection")) continue;
    text::for_each_list_element(f.value, [&](std::string_view token) {
      if (named_count < named.size())
        named[named_count++] = {token.data(), token.size()};
      else
        more_named.push_back(token);
    });
  }
  const auto is_named = [&](std::string_view name) {
    const auto same = [&](std::string_view n) { return text::iequals(n, name); };
    const auto same_name = [&](const Name& n) { return same(std::string_view(n.data, n.size)); };
    return std::any_of(named.begin(), named.begin() + named_count, same_name) ||
           std::any_of(more_named.begin(), more_named.end(), same);
  };
  for (const auto& f : fields) {
    if (is_hop_by_hop(f.name) || (named_count > 0 && is_named(f.name))) continue;
    fn(f.name, f.value);
  }
}

// Writes a head straight into a string sized beforehand to a bound on what it will hold: one
// memcpy per piece (and plain stores for the constant ones) instead of std::string::append,
// which checked the capacity and set the size and terminator again for each of a field's four
// pieces (measured with callgrind: a few hundred instructions per request).
class HeadWriter {
 public:
  // Leaves `out` at least `bound` bytes long, to be overwritten from its start. `out` is not
  // cleared first: a reused one then has most of those bytes already, and only the ones past
  // its size are zeroed.
  HeadWriter(std::string& out, std::size_t bound) : out_(out) {
    if (out.size() < bound) out.resize(bound);
    p_ = out.data();
  }
  HeadWriter(const HeadWriter&) = delete;
  HeadWriter& operator=(const HeadWriter&) = delete;
  // Cuts `out` to what was written.
  ~HeadWriter() {
    assert(p_ <= out_.data() + out_.size());
    out_.resize(static_cast<std::size_t>(p_ - out_.data()));
  }

  void put(std::string_view s) {
    if (s.empty()) return;  // memcpy must not see the null pointer of an empty view
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  void put(char c) { *p_++ = c; }
  void field(std::string_view name, std::string_view value) {
    put(name);
    put(": ");
    put(value);
    put("\r\n");
  }

 private:
  std::string& out_;
  char* p_;
};

// What the fixed pieces of either head add at most (the request or status line's, the fields
// the writers add themselves, the empty line: 79 bytes for a request, 92 for a response); each
// writer's bound is this and the sizes of what it copies.
constexpr std::size_t kFixedPartsBound = 128;

// Each field copied, or folded into X-Forwarded-For, takes at most its name, its value and 4.
std::size_t fields_bound(std::span<const net::HeadField> fields) {
  std::size_t size = 0;
  for (const auto& f : fields) size += f.name.size() + f.value.size() + 4;
  return size;
}

}  // namespace

void write_upstream_request_head(const net::RequestHead& client_request,
                                 const net::BackendTarget& backend, std::string_view client_address,
                                 std::size_t body_size, std::string& out) {
  HeadWriter w(out, kFixedPartsBound + client_request.method.size() + backend.base_path.size() +
                        client_request.target.size() + fields_bound(client_request.fields) +
                        backend.host_header.size() + client_address.size());
  w.put(client_request.method);
  w.put(' ');
  w.put(backend.base_path);
  w.put(client_request.target);
  w.put(" HTTP/1.1\r\n");
  each_end_to_end_field(client_request.fields, [&](std::string_view name, std::string_view value) {
    // Host and X-Forwarded-For are written below.
    if (text::iequals(name, "host") || text::iequals(name, "x-forwarded-for")) return;
    w.field(name, value);
  });
  w.field("Host", backend.host_header);
  // Every X-Forwarded-For line the client sent, joined, then this hop.
  w.put("X-Forwarded-For: ");
  for (const auto& f : client_request.fields) {
    if (f.name.size() != 15 || !text::iequals(f.name, "x-forwarded-for")) continue;
    w.put(f.value);
    w.put(", ");
  }
  w.put(client_address);
  w.put("\r\n");
  const auto method = client_request.method;
  if (body_size > 0 || method == "POST" || method == "PUT" || method == "OPTIONS") {
    std::array<char, 24> digits;
    const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), body_size).ptr;
    w.field("Content-Length", std::string_view(digits.data(), end - digits.data()));
  }
  w.put("\r\n");
}

void write_response_head(unsigned status, std::string_view reason, unsigned version,
                         std::span<const net::HeadField> backend_fields,
                         std::string_view content_length, bool chunked, bool keep_alive,
                         std::string& out) {
  if (reason.empty()) {
    const auto known = http::obsolete_reason(static_cast<http::status>(status));
    if (!known.starts_with('<')) reason = known;  // not "<unknown-status>"
  }
  HeadWriter w(
      out, kFixedPartsBound + reason.size() + fields_bound(backend_fields) + content_length.size());
  w.put(version >= 11 ? "HTTP/1.1 " : "HTTP/1.0 ");
  std::array<char, 8> digits;
  const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), status).ptr;
  w.put(std::string_view(digits.data(), end - digits.data()));
  w.put(' ');
  w.put(reason);
  w.put("\r\n");
  each_end_to_end_field(
      backend_fields, [&](std::string_view name, std::string_view value) { w.field(name, value); });
  if (!content_length.empty()) w.field("Content-Length", content_length);
  if (chunked) w.field("Transfer-Encoding", "chunked");
  // HTTP/1.1 stays open unless told; HTTP/1.0 closes unless told.
  if (version >= 11 && !keep_alive) w.field("Connection", "close");
  if (version < 11 && keep_alive) w.field("Connection", "keep-alive");
  w.put("\r\n");
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
