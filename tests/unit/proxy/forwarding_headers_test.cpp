#include "proxy/forwarding_headers.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace lmp::proxy {
namespace {

namespace http = net::http;

net::BackendTarget backend(std::string url) {
  auto r = net::parse_backend_url(url);
  EXPECT_TRUE(r.ok()) << url;
  return *r;
}

std::vector<std::string> values_of(const http::fields& f, std::string_view name) {
  std::vector<std::string> out;
  for (auto [it, end] = f.equal_range(name); it != end; ++it) out.emplace_back(it->value());
  return out;
}

std::set<std::string> names_of(const http::fields& f) {
  std::set<std::string> out;
  for (const auto& field : f) {
    std::string n(field.name_string());
    for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.insert(n);
  }
  return out;
}

// Writes the backend request's head and parses it back, as the backend would.
void upstream_head_of(const http::request_header<>& req, const net::BackendTarget& target,
                      std::string_view client_address, http::request_header<>& out,
                      std::size_t body_size = 0) {
  std::string bytes;
  write_upstream_request_head(req, target, client_address, body_size, bytes);
  ASSERT_TRUE(bytes.ends_with("\r\n\r\n")) << bytes;
  http::request_parser<http::empty_body> parser;
  parser.skip(true);  // the head only
  net::error_code ec;
  parser.put(net::asio::buffer(bytes), ec);
  ASSERT_FALSE(ec) << ec.message() << "\n" << bytes;
  ASSERT_TRUE(parser.is_header_done()) << bytes;
  out = parser.release().base();
}

// Parses a response head written by write_response_head.
http::response<http::empty_body> parse_response_head(const std::string& bytes) {
  http::response_parser<http::empty_body> parser;
  parser.skip(true);
  net::error_code ec;
  parser.put(net::asio::buffer(bytes), ec);
  EXPECT_FALSE(ec) << ec.message() << "\n" << bytes;
  EXPECT_TRUE(parser.is_header_done()) << bytes;
  return parser.release();
}

http::request_header<> client_request(std::string_view target = "/v1/chat/completions") {
  http::request_header<> req;
  req.method(http::verb::post);
  req.target(target);
  req.version(11);
  req.set(http::field::host, "proxy.local:8001");
  req.set(http::field::content_type, "application/json");
  req.set(http::field::authorization, "Bearer sk-test-123");
  req.set(http::field::accept, "text/event-stream");
  req.set(http::field::user_agent, "OpenAI/Python 1.40.0");
  return req;
}

TEST(CopyEndToEndFields, DropsHopByHopAndFramingFields) {
  http::fields from;
  from.set(http::field::connection, "keep-alive");
  from.set(http::field::keep_alive, "timeout=5");
  from.set(http::field::proxy_authorization, "Basic abc");
  from.set(http::field::proxy_authenticate, "Basic");
  from.set("Proxy-Connection", "keep-alive");
  from.set(http::field::te, "trailers");
  from.set(http::field::trailer, "X-Checksum");
  from.set(http::field::transfer_encoding, "chunked");
  from.set(http::field::upgrade, "websocket");
  from.set(http::field::content_length, "123");
  from.set(http::field::expect, "100-continue");
  from.set(http::field::content_type, "application/json");
  from.set("X-Custom", "kept");
  http::fields to;
  copy_end_to_end_fields(from, to);
  EXPECT_EQ(names_of(to), (std::set<std::string>{"content-type", "x-custom"}));
  EXPECT_EQ(to[http::field::content_type], "application/json");
  EXPECT_EQ(to["X-Custom"], "kept");
}

TEST(CopyEndToEndFields, DropsFieldsNamedInConnection) {
  http::fields from;
  from.insert(http::field::connection, "close, X-Hop-One");
  from.insert(http::field::connection, "  x-hop-two ,\tX-HOP-THREE  ");
  from.set("X-Hop-One", "1");
  from.set("X-Hop-Two", "2");
  from.set("X-Hop-Three", "3");
  from.set("X-Hop-Four", "4");
  from.set("Authorization", "Bearer k");
  http::fields to;
  copy_end_to_end_fields(from, to);
  EXPECT_EQ(names_of(to), (std::set<std::string>{"authorization", "x-hop-four"}));
}

TEST(CopyEndToEndFields, KeepsRepeatedFieldsInOrder) {
  http::fields from;
  from.insert("X-Multi", "a");
  from.insert("X-Multi", "b");
  from.insert(http::field::cookie, "c=1");
  http::fields to;
  copy_end_to_end_fields(from, to);
  EXPECT_EQ(values_of(to, "X-Multi"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(to[http::field::cookie], "c=1");
}

TEST(CopyEndToEndFields, KeepsFieldNameSpelling) {
  http::fields from;
  from.insert("X-Request-ID", "r1");
  http::fields to;
  copy_end_to_end_fields(from, to);
  ASSERT_NE(to.begin(), to.end());
  EXPECT_EQ(to.begin()->name_string(), "X-Request-ID");
}

TEST(UpstreamRequestHead, CopiesMethodTargetAndEndToEndFields) {
  auto req = client_request("/v1/chat/completions?x=1");
  req.set(http::field::content_length, "42");
  req.set(http::field::connection, "keep-alive");
  req.set(http::field::expect, "100-continue");
  http::request_header<> out;
  upstream_head_of(req, backend("http://backend:11434"), "10.0.0.7", out);
  EXPECT_EQ(out.method(), http::verb::post);
  EXPECT_EQ(out.method_string(), "POST");
  EXPECT_EQ(out.target(), "/v1/chat/completions?x=1");
  EXPECT_EQ(out.version(), 11);
  EXPECT_EQ(out[http::field::content_type], "application/json");
  EXPECT_EQ(out[http::field::accept], "text/event-stream");
  EXPECT_EQ(out[http::field::user_agent], "OpenAI/Python 1.40.0");
  // The client's Content-Length is not copied: the proxy states the length of what it sends.
  EXPECT_EQ(values_of(out, "Content-Length"), std::vector<std::string>{"0"});
  EXPECT_EQ(out.count(http::field::transfer_encoding), 0u);
  EXPECT_EQ(out.count(http::field::connection), 0u);
  EXPECT_EQ(out.count(http::field::expect), 0u);
}

TEST(UpstreamRequestHead, AuthorizationIsKeptUnchanged) {
  http::request_header<> out;
  upstream_head_of(client_request(), backend("http://backend:11434"), "1.2.3.4", out);
  EXPECT_EQ(out[http::field::authorization], "Bearer sk-test-123");
}

TEST(UpstreamRequestHead, HostIsReplacedByTheBackends) {
  http::request_header<> out;
  upstream_head_of(client_request(), backend("http://backend:11434"), "1.2.3.4", out);
  EXPECT_EQ(values_of(out, "Host"), std::vector<std::string>{"backend:11434"});

  http::request_header<> tls;
  upstream_head_of(client_request(), backend("https://api.example.com/v1"), "1.2.3.4", tls);
  EXPECT_EQ(values_of(tls, "Host"), std::vector<std::string>{"api.example.com"});
}

TEST(UpstreamRequestHead, HostIsSetWhenTheClientSentNone) {
  auto req = client_request();
  req.erase(http::field::host);
  http::request_header<> out;
  upstream_head_of(req, backend("http://[::1]:8000"), "1.2.3.4", out);
  EXPECT_EQ(out[http::field::host], "[::1]:8000");
}

TEST(UpstreamRequestHead, XForwardedForIsTheClientAddressWhenAbsent) {
  http::request_header<> out;
  upstream_head_of(client_request(), backend("http://b:1"), "192.0.2.5", out);
  EXPECT_EQ(values_of(out, "X-Forwarded-For"), std::vector<std::string>{"192.0.2.5"});
}

TEST(UpstreamRequestHead, XForwardedForIsAppendedToAnExistingOne) {
  auto req = client_request();
  req.set("X-Forwarded-For", "203.0.113.1, 198.51.100.2");
  http::request_header<> out;
  upstream_head_of(req, backend("http://b:1"), "192.0.2.5", out);
  EXPECT_EQ(values_of(out, "X-Forwarded-For"),
            std::vector<std::string>{"203.0.113.1, 198.51.100.2, 192.0.2.5"});
}

// RFC 9110 5.3: several field lines of the same name are one comma-separated list; every hop
// earlier in the chain must survive, not only the first line's.
TEST(UpstreamRequestHead, XForwardedForKeepsEveryExistingLine) {
  auto req = client_request();
  req.insert("X-Forwarded-For", "203.0.113.1");
  req.insert("X-Forwarded-For", "198.51.100.2");
  http::request_header<> out;
  upstream_head_of(req, backend("http://b:1"), "192.0.2.5", out);
  EXPECT_EQ(values_of(out, "X-Forwarded-For"),
            std::vector<std::string>{"203.0.113.1, 198.51.100.2, 192.0.2.5"});
}

TEST(UpstreamRequestHead, IPv6ClientAddress) {
  http::request_header<> out;
  upstream_head_of(client_request(), backend("http://b:1"), "2001:db8::7", out);
  EXPECT_EQ(out["X-Forwarded-For"], "2001:db8::7");
}

TEST(UpstreamRequestHead, TargetIsPrefixedWithTheBasePath) {
  http::request_header<> out;
  upstream_head_of(client_request("/v1/models"), backend("http://host:8000/api/"), "1.2.3.4", out);
  EXPECT_EQ(out.target(), "/api/v1/models");

  http::request_header<> q;
  upstream_head_of(client_request("/v1/chat/completions?stream=1"), backend("https://h/a/b"),
                   "1.2.3.4", q);
  EXPECT_EQ(q.target(), "/a/b/v1/chat/completions?stream=1");
}

TEST(UpstreamRequestHead, GetMethodIsKept) {
  auto req = client_request("/v1/models");
  req.method(http::verb::get);
  http::request_header<> out;
  upstream_head_of(req, backend("http://b:1"), "1.2.3.4", out);
  EXPECT_EQ(out.method(), http::verb::get);
}

TEST(UpstreamRequestHead, UnknownMethodIsKept) {
  auto req = client_request("/x");
  req.method_string("PURGE");
  http::request_header<> out;
  upstream_head_of(req, backend("http://b:1"), "1.2.3.4", out);
  EXPECT_EQ(out.method_string(), "PURGE");
}

TEST(UpstreamRequestHead, Http10ClientStillGetsHttp11Upstream) {
  auto req = client_request();
  req.version(10);
  http::request_header<> out;
  upstream_head_of(req, backend("http://b:1"), "1.2.3.4", out);
  EXPECT_EQ(out.version(), 11);
}

TEST(ApiKeyOf, Bearer) {
  http::request_header<> req;
  req.set(http::field::authorization, "Bearer sk-abc");
  EXPECT_EQ(api_key_of(req), "sk-abc");
}

TEST(ApiKeyOf, BearerIsCaseInsensitiveAndTrimmed) {
  http::request_header<> req;
  req.set(http::field::authorization, "bearer   sk-abc  ");
  EXPECT_EQ(api_key_of(req), "sk-abc");
  req.set(http::field::authorization, "BEARER sk-xyz");
  EXPECT_EQ(api_key_of(req), "sk-xyz");
}

TEST(ApiKeyOf, ApiKeyHeader) {
  http::request_header<> req;
  req.set("api-key", " azure-key ");
  EXPECT_EQ(api_key_of(req), "azure-key");
  http::request_header<> upper;
  upper.set("Api-Key", "k2");
  EXPECT_EQ(api_key_of(upper), "k2");
}

TEST(ApiKeyOf, AuthorizationWinsOverApiKey) {
  http::request_header<> req;
  req.set("api-key", "second");
  req.set(http::field::authorization, "Bearer first");
  EXPECT_EQ(api_key_of(req), "first");
}

TEST(ApiKeyOf, OtherSchemesAreTheWholeCredential) {
  http::request_header<> req;
  req.set(http::field::authorization, "Basic dXNlcjpwYXNz");
  EXPECT_EQ(api_key_of(req), "Basic dXNlcjpwYXNz");
}

TEST(ApiKeyOf, NoneIsEmpty) {
  http::request_header<> req;
  req.set(http::field::content_type, "application/json");
  EXPECT_TRUE(api_key_of(req).empty());
}

TEST(ApiKeyFingerprint, KnownDigest) {
  // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
  EXPECT_EQ(api_key_fingerprint("abc"), "sha256:ba7816bf8f01cfea");
}

TEST(ApiKeyFingerprint, ShapeIsPrefixAndSixteenLowercaseHexDigits) {
  for (std::string_view key : {"sk-1", "a", "sk-proj-0123456789abcdefghijklmnopqrstuvwxyz"}) {
    const std::string f = api_key_fingerprint(key);
    ASSERT_EQ(f.size(), 7u + 16u) << f;
    EXPECT_EQ(f.substr(0, 7), "sha256:");
    for (char c : f.substr(7)) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << f;
  }
}

TEST(ApiKeyFingerprint, Deterministic) {
  EXPECT_EQ(api_key_fingerprint("sk-test-123"), api_key_fingerprint("sk-test-123"));
}

TEST(ApiKeyFingerprint, DifferentKeysDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) seen.insert(api_key_fingerprint("sk-" + std::to_string(i)));
  EXPECT_EQ(seen.size(), 200u);
  EXPECT_NE(api_key_fingerprint("sk-a"), api_key_fingerprint("sk-A"));
}

TEST(ApiKeyFingerprint, NeverContainsTheKey) {
  for (std::string_view key : {"sk-secret", "abc", "0", "ba7816bf", "sha256"}) {
    const std::string f = api_key_fingerprint(key);
    EXPECT_EQ(f.substr(7).find(key), std::string::npos) << key << " -> " << f;
  }
}

TEST(ApiKeyFingerprint, EmptyForEmpty) {
  EXPECT_EQ(api_key_fingerprint(""), "");
}

TEST(UpstreamRequestHead, ContentLengthIsTheBodySize) {
  http::request_header<> out;
  upstream_head_of(client_request(), backend("http://b:1"), "1.2.3.4", out, 32768);
  EXPECT_EQ(values_of(out, "Content-Length"), std::vector<std::string>{"32768"});
}

// As Beast's prepare_payload: an empty GET carries no Content-Length, an empty POST says 0.
TEST(UpstreamRequestHead, EmptyGetHasNoContentLength) {
  auto req = client_request("/v1/models");
  req.method(http::verb::get);
  http::request_header<> out;
  upstream_head_of(req, backend("http://b:1"), "1.2.3.4", out);
  EXPECT_EQ(out.count(http::field::content_length), 0u);
}

TEST(UpstreamRequestHead, IsExactBytes) {
  http::request_header<> req;
  req.method(http::verb::post);
  req.target("/v1/chat/completions");
  req.version(11);
  req.set(http::field::host, "proxy.local");
  req.set(http::field::content_type, "application/json");
  req.set(http::field::connection, "keep-alive");
  std::string bytes;
  write_upstream_request_head(req, backend("http://b:8000/base"), "10.1.2.3", 12, bytes);
  EXPECT_EQ(bytes,
            "POST /base/v1/chat/completions HTTP/1.1\r\n"
            "Content-Type: application/json\r\n"
            "Host: b:8000\r\n"
            "X-Forwarded-For: 10.1.2.3\r\n"
            "Content-Length: 12\r\n"
            "\r\n");
}

TEST(UpstreamRequestHead, ReusedBufferIsReplaced) {
  std::string bytes = "left over from the previous request";
  write_upstream_request_head(client_request(), backend("http://b:1"), "1.2.3.4", 0, bytes);
  EXPECT_TRUE(bytes.starts_with("POST /v1/chat/completions HTTP/1.1\r\n")) << bytes;
}

http::fields backend_fields() {
  http::fields f;
  f.set(http::field::content_type, "text/event-stream");
  f.set(http::field::transfer_encoding, "chunked");
  f.set(http::field::content_length, "99");
  f.set(http::field::connection, "keep-alive, X-Hop");
  f.set("X-Hop", "drop me");
  f.set(http::field::keep_alive, "timeout=5");
  f.set("X-Request-ID", "abc");
  f.set(http::field::cache_control, "no-cache");
  return f;
}

TEST(ResponseHead, CopiesEndToEndFieldsAndSetsFraming) {
  std::string bytes;
  write_response_head(200, "OK", 11, backend_fields(), "", true, true, bytes);
  EXPECT_EQ(bytes,
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: text/event-stream\r\n"
            "X-Request-ID: abc\r\n"
            "Cache-Control: no-cache\r\n"
            "Transfer-Encoding: chunked\r\n"
            "\r\n");
}

TEST(ResponseHead, ContentLengthAndConnectionClose) {
  std::string bytes;
  write_response_head(404, "Not Found", 11, http::fields{}, "17", false, false, bytes);
  const auto head = parse_response_head(bytes);
  EXPECT_EQ(head.result_int(), 404u);
  EXPECT_EQ(head.reason(), "Not Found");
  EXPECT_EQ(head[http::field::content_length], "17");
  EXPECT_FALSE(head.keep_alive());
  EXPECT_EQ(values_of(head, "Connection"), std::vector<std::string>{"close"});
}

TEST(ResponseHead, Http10ClientKeptAliveIsToldSo) {
  std::string bytes;
  write_response_head(200, "OK", 10, http::fields{}, "0", false, true, bytes);
  EXPECT_TRUE(bytes.starts_with("HTTP/1.0 200 OK\r\n")) << bytes;
  const auto head = parse_response_head(bytes);
  EXPECT_TRUE(head.keep_alive());

  write_response_head(200, "OK", 10, http::fields{}, "", false, false, bytes);
  EXPECT_EQ(bytes, "HTTP/1.0 200 OK\r\n\r\n");
}

TEST(ResponseHead, MissingReasonIsTheStandardOneOrEmpty) {
  std::string bytes;
  write_response_head(503, "", 11, http::fields{}, "0", false, true, bytes);
  EXPECT_TRUE(bytes.starts_with("HTTP/1.1 503 Service Unavailable\r\n")) << bytes;
  write_response_head(297, "", 11, http::fields{}, "0", false, true, bytes);
  EXPECT_TRUE(bytes.starts_with("HTTP/1.1 297 \r\n")) << bytes;
  EXPECT_EQ(parse_response_head(bytes).result_int(), 297u);
}

TEST(ResponseHead, ManyNamesInConnectionAreAllDropped) {
  http::fields f;
  std::string connection;
  for (int i = 0; i < 20; ++i) {
    connection += (i ? ", X-Hop-" : "X-Hop-") + std::to_string(i);
    f.set("X-Hop-" + std::to_string(i), "drop");
  }
  f.set(http::field::connection, connection);
  f.set("X-Kept", "yes");
  std::string bytes;
  write_response_head(200, "OK", 11, f, "0", false, true, bytes);
  EXPECT_EQ(names_of(parse_response_head(bytes).base()),
            (std::set<std::string>{"x-kept", "content-length"}));
}

}  // namespace
}  // namespace lmp::proxy
