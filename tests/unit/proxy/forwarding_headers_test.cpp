#include "proxy/forwarding_headers.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <span>
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

// A client request head, written as bytes and read by the proxy's parser.
class Request {
 public:
  explicit Request(std::string target = "/v1/chat/completions", std::string method = "POST")
      : method_(std::move(method)), target_(std::move(target)) {}
  Request& version(unsigned v) {
    version_ = v;
    return *this;
  }
  Request& add(std::string name, std::string value) {
    fields_.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  Request& remove(std::string_view name) {
    std::erase_if(fields_, [&](const auto& f) { return f.first == name; });
    return *this;
  }
  const net::RequestHead& head() {
    bytes_ = method_ + " " + target_ + (version_ == 10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
    for (const auto& [name, value] : fields_) bytes_ += name + ": " + value + "\r\n";
    bytes_ += "\r\n";
    const auto ec = net::parse_request_head(bytes_, head_);
    EXPECT_FALSE(ec) << ec.message() << "\n" << bytes_;
    return head_;
  }

 private:
  std::string method_, target_;
  unsigned version_ = 11;
  std::vector<std::pair<std::string, std::string>> fields_;
  std::string bytes_;
  net::RequestHead head_;
};

// Backend response fields, as the proxy's parser gives them.
class Fields {
 public:
  Fields& add(std::string name, std::string value) {
    lines_ += name + ": " + value + "\r\n";
    return *this;
  }
  std::span<const net::HeadField> parsed() {
    bytes_ = "HTTP/1.1 200 OK\r\n" + lines_ + "\r\n";
    const auto ec = net::parse_response_head(bytes_, head_);
    EXPECT_FALSE(ec) << ec.message() << "\n" << bytes_;
    return head_.fields;
  }

 private:
  std::string lines_, bytes_;
  net::ResponseHead head_;
};

// Writes the backend request's head and parses it back with Beast, as the backend would.
void upstream_head_of(Request& req, const net::BackendTarget& target,
                      std::string_view client_address, http::request_header<>& out,
                      std::size_t body_size = 0) {
  std::string bytes;
  write_upstream_request_head(req.head(), target, client_address, body_size, bytes);
  ASSERT_TRUE(bytes.ends_with("\r\n\r\n")) << bytes;
  http::request_parser<http::empty_body> parser;
  parser.skip(true);  // the head only
  net::error_code ec;
  parser.put(net::asio::buffer(bytes), ec);
  ASSERT_FALSE(ec) << ec.message() << "\n" << bytes;
  ASSERT_TRUE(parser.is_header_done()) << bytes;
  out = parser.release().base();
}

// Parses a response head written by write_response_head, with Beast.
http::response<http::empty_body> parse_response_head(const std::string& bytes) {
  http::response_parser<http::empty_body> parser;
  parser.skip(true);
  net::error_code ec;
  parser.put(net::asio::buffer(bytes), ec);
  EXPECT_FALSE(ec) << ec.message() << "\n" << bytes;
  EXPECT_TRUE(parser.is_header_done()) << bytes;
  return parser.release();
}

// The fields of a response head written from `fields`.
http::fields written_fields(Fields& fields) {
  std::string bytes;
  write_response_head(200, "OK", 11, fields.parsed(), "", false, true, bytes);
  return parse_response_head(bytes).base();
}

Request client_request(std::string target = "/v1/chat/completions") {
  Request req(std::move(target));
  req.add("Host", "proxy.local:8001")
      .add("Content-Type", "application/json")
      .add("Authorization", "Bearer sk-test-123")
      .add("Accept", "text/event-stream")
      .add("User-Agent", "OpenAI/Python 1.40.0");
  return req;
}

TEST(EndToEndFields, HopByHopAndFramingFieldsStayBehind) {
  Fields from;
  from.add("Connection", "keep-alive")
      .add("Keep-Alive", "timeout=5")
      .add("Proxy-Authorization", "Basic abc")
      .add("Proxy-Authenticate", "Basic")
      .add("Proxy-Connection", "keep-alive")
      .add("TE", "trailers")
      .add("Trailer", "X-Checksum")
      .add("Transfer-Encoding", "chunked")
      .add("Upgrade", "websocket")
      .add("Expect", "100-continue")
      .add("Content-Type", "application/json")
      .add("X-Custom", "kept");
  const auto to = written_fields(from);
  EXPECT_EQ(names_of(to), (std::set<std::string>{"content-type", "x-custom"}));
  EXPECT_EQ(to[http::field::content_type], "application/json");
  EXPECT_EQ(to["X-Custom"], "kept");
}

TEST(EndToEndFields, FieldsNamedInConnectionStayBehind) {
  Fields from;
  from.add("Connection", "close, X-Hop-One")
      .add("connection", "  x-hop-two ,\tX-HOP-THREE  ")
      .add("X-Hop-One", "1")
      .add("X-Hop-Two", "2")
      .add("X-Hop-Three", "3")
      .add("X-Hop-Four", "4")
      .add("Authorization", "Bearer k");
  EXPECT_EQ(names_of(written_fields(from)), (std::set<std::string>{"authorization", "x-hop-four"}));
}

TEST(EndToEndFields, RepeatedFieldsKeepTheirOrder) {
  Fields from;
  from.add("X-Multi", "a").add("X-Multi", "b").add("Cookie", "c=1");
  const auto to = written_fields(from);
  EXPECT_EQ(values_of(to, "X-Multi"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(to[http::field::cookie], "c=1");
}

TEST(EndToEndFields, NameSpellingIsKept) {
  Fields from;
  from.add("X-Request-ID", "r1");
  const auto to = written_fields(from);
  ASSERT_NE(to.begin(), to.end());
  EXPECT_EQ(to.begin()->name_string(), "X-Request-ID");
}

TEST(UpstreamRequestHead, CopiesMethodTargetAndEndToEndFields) {
  auto req = client_request("/v1/chat/completions?x=1");
  req.add("Content-Length", "42").add("Connection", "keep-alive").add("Expect", "100-continue");
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
  auto req = client_request();
  upstream_head_of(req, backend("http://backend:11434"), "1.2.3.4", out);
  EXPECT_EQ(out[http::field::authorization], "Bearer sk-test-123");
}

TEST(UpstreamRequestHead, HostIsReplacedByTheBackends) {
  http::request_header<> out;
  auto req = client_request();
  upstream_head_of(req, backend("http://backend:11434"), "1.2.3.4", out);
  EXPECT_EQ(values_of(out, "Host"), std::vector<std::string>{"backend:11434"});

  http::request_header<> tls;
  upstream_head_of(req, backend("https://api.example.com/v1"), "1.2.3.4", tls);
  EXPECT_EQ(values_of(tls, "Host"), std::vector<std::string>{"api.example.com"});
}

TEST(UpstreamRequestHead, HostIsSetWhenTheClientSentNone) {
  auto req = client_request();
  req.remove("Host");
  http::request_header<> out;
  upstream_head_of(req, backend("http://[::1]:8000"), "1.2.3.4", out);
  EXPECT_EQ(out[http::field::host], "[::1]:8000");
}

TEST(UpstreamRequestHead, XForwardedForIsTheClientAddressWhenAbsent) {
  http::request_header<> out;
  auto req = client_request();
  upstream_head_of(req, backend("http://b:1"), "192.0.2.5", out);
  EXPECT_EQ(values_of(out, "X-Forwarded-For"), std::vector<std::string>{"192.0.2.5"});
}

TEST(UpstreamRequestHead, XForwardedForIsAppendedToAnExistingOne) {
  auto req = client_request();
  req.add("X-Forwarded-For", "203.0.113.1, 198.51.100.2");
  http::request_header<> out;
  upstream_head_of(req, backend("http://b:1"), "192.0.2.5", out);
  EXPECT_EQ(values_of(out, "X-Forwarded-For"),
            std::vector<std::string>{"203.0.113.1, 198.51.100.2, 192.0.2.5"});
}

// RFC 9110 5.3: several field lines of the same name are one comma-separated list; every hop
// earlier in the chain must survive, not only the first line's.
TEST(UpstreamRequestHead, XForwardedForKeepsEveryExistingLine) {
  auto req = client_request();
  req.add("X-Forwarded-For", "203.0.113.1").add("X-Forwarded-For", "198.51.100.2");
  http::request_header<> out;
  upstream_head_of(req, backend("http://b:1"), "192.0.2.5", out);
  EXPECT_EQ(values_of(out, "X-Forwarded-For"),
            std::vector<std::string>{"203.0.113.1, 198.51.100.2, 192.0.2.5"});
}

TEST(UpstreamRequestHead, IPv6ClientAddress) {
  http::request_header<> out;
  auto req = client_request();
  upstream_head_of(req, backend("http://b:1"), "2001:db8::7", out);
  EXPECT_EQ(out["X-Forwarded-For"], "2001:db8::7");
}

TEST(UpstreamRequestHead, TargetIsPrefixedWithTheBasePath) {
  http::request_header<> out;
  auto models = client_request("/v1/models");
  upstream_head_of(models, backend("http://host:8000/api/"), "1.2.3.4", out);
  EXPECT_EQ(out.target(), "/api/v1/models");

  http::request_header<> q;
  auto query = client_request("/v1/chat/completions?stream=1");
  upstream_head_of(query, backend("https://h/a/b"), "1.2.3.4", q);
  EXPECT_EQ(q.target(), "/a/b/v1/chat/completions?stream=1");
}

TEST(UpstreamRequestHead, GetMethodIsKept) {
  Request req("/v1/models", "GET");
  req.add("Host", "proxy.local");
  http::request_header<> out;
  upstream_head_of(req, backend("http://b:1"), "1.2.3.4", out);
  EXPECT_EQ(out.method(), http::verb::get);
}

TEST(UpstreamRequestHead, UnknownMethodIsKept) {
  Request req("/x", "PURGE");
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

std::string key_of(Request req) {
  return std::string(api_key_of(req.head()));
}

TEST(ApiKeyOf, Bearer) {
  EXPECT_EQ(key_of(Request().add("Authorization", "Bearer sk-abc")), "sk-abc");
}

TEST(ApiKeyOf, BearerIsCaseInsensitiveAndTrimmed) {
  EXPECT_EQ(key_of(Request().add("Authorization", "bearer   sk-abc  ")), "sk-abc");
  EXPECT_EQ(key_of(Request().add("authorization", "BEARER sk-xyz")), "sk-xyz");
}

TEST(ApiKeyOf, ApiKeyHeader) {
  EXPECT_EQ(key_of(Request().add("api-key", " azure-key ")), "azure-key");
  EXPECT_EQ(key_of(Request().add("Api-Key", "k2")), "k2");
}

TEST(ApiKeyOf, AuthorizationWinsOverApiKey) {
  EXPECT_EQ(key_of(Request().add("api-key", "second").add("Authorization", "Bearer first")),
            "first");
}

TEST(ApiKeyOf, OtherSchemesAreTheWholeCredential) {
  EXPECT_EQ(key_of(Request().add("Authorization", "Basic dXNlcjpwYXNz")), "Basic dXNlcjpwYXNz");
}

TEST(ApiKeyOf, NoneIsEmpty) {
  EXPECT_TRUE(key_of(Request().add("Content-Type", "application/json")).empty());
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
  auto req = client_request();
  upstream_head_of(req, backend("http://b:1"), "1.2.3.4", out, 32768);
  EXPECT_EQ(values_of(out, "Content-Length"), std::vector<std::string>{"32768"});
}

// As Beast's prepare_payload: an empty GET carries no Content-Length, an empty POST says 0.
TEST(UpstreamRequestHead, EmptyGetHasNoContentLength) {
  Request req("/v1/models", "GET");
  http::request_header<> out;
  upstream_head_of(req, backend("http://b:1"), "1.2.3.4", out);
  EXPECT_EQ(out.count(http::field::content_length), 0u);
}

TEST(UpstreamRequestHead, IsExactBytes) {
  Request req;
  req.add("Host", "proxy.local")
      .add("Content-Type", "application/json")
      .add("Connection", "keep-alive");
  std::string bytes;
  write_upstream_request_head(req.head(), backend("http://b:8000/base"), "10.1.2.3", 12, bytes);
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
  auto req = client_request();
  write_upstream_request_head(req.head(), backend("http://b:1"), "1.2.3.4", 0, bytes);
  EXPECT_TRUE(bytes.starts_with("POST /v1/chat/completions HTTP/1.1\r\n")) << bytes;
}

// The writers size the buffer beforehand from a bound: the longest fixed pieces, with every
// field dropped, must fit, and a buffer left longer by an earlier head must be cut.
TEST(UpstreamRequestHead, LongestFixedPiecesAreWrittenWhole) {
  Request req("/", "OPTIONS");
  req.add("Content-Length", "0").add("Connection", "close").add("Expect", "100-continue");
  std::string bytes(10000, 'x');
  write_upstream_request_head(req.head(), backend("http://b"), "", SIZE_MAX, bytes);
  EXPECT_EQ(bytes,
            "OPTIONS / HTTP/1.1\r\n"
            "Host: b\r\n"
            "X-Forwarded-For: \r\n"
            "Content-Length: 18446744073709551615\r\n"
            "\r\n");
}

TEST(ResponseHead, LongestFixedPiecesAreWrittenWhole) {
  Fields fields;
  fields.add("Transfer-Encoding", "chunked").add("Connection", "x").add("X", "y");
  std::string bytes(10000, 'x');
  write_response_head(12345678, "", 10, fields.parsed(), "99999", true, true, bytes);
  EXPECT_EQ(bytes,
            "HTTP/1.0 12345678 \r\n"
            "Content-Length: 99999\r\n"
            "Transfer-Encoding: chunked\r\n"
            "Connection: keep-alive\r\n"
            "\r\n");
}

Fields backend_fields() {
  Fields f;
  f.add("Content-Type", "text/event-stream")
      .add("Transfer-Encoding", "chunked")
      .add("Content-Length", "99")
      .add("Connection", "keep-alive, X-Hop")
      .add("X-Hop", "drop me")
      .add("Keep-Alive", "timeout=5")
      .add("X-Request-ID", "abc")
      .add("Cache-Control", "no-cache");
  return f;
}

TEST(ResponseHead, CopiesEndToEndFieldsAndSetsFraming) {
  std::string bytes;
  auto fields = backend_fields();
  write_response_head(200, "OK", 11, fields.parsed(), "", true, true, bytes);
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
  write_response_head(404, "Not Found", 11, std::span<const net::HeadField>{}, "17", false, false,
                      bytes);
  const auto head = parse_response_head(bytes);
  EXPECT_EQ(head.result_int(), 404u);
  EXPECT_EQ(head.reason(), "Not Found");
  EXPECT_EQ(head[http::field::content_length], "17");
  EXPECT_FALSE(head.keep_alive());
  EXPECT_EQ(values_of(head, "Connection"), std::vector<std::string>{"close"});
}

TEST(ResponseHead, Http10ClientKeptAliveIsToldSo) {
  std::string bytes;
  write_response_head(200, "OK", 10, std::span<const net::HeadField>{}, "0", false, true, bytes);
  EXPECT_TRUE(bytes.starts_with("HTTP/1.0 200 OK\r\n")) << bytes;
  const auto head = parse_response_head(bytes);
  EXPECT_TRUE(head.keep_alive());

  write_response_head(200, "OK", 10, std::span<const net::HeadField>{}, "", false, false, bytes);
  EXPECT_EQ(bytes, "HTTP/1.0 200 OK\r\n\r\n");
}

TEST(ResponseHead, MissingReasonIsTheStandardOneOrEmpty) {
  std::string bytes;
  write_response_head(503, "", 11, std::span<const net::HeadField>{}, "0", false, true, bytes);
  EXPECT_TRUE(bytes.starts_with("HTTP/1.1 503 Service Unavailable\r\n")) << bytes;
  write_response_head(297, "", 11, std::span<const net::HeadField>{}, "0", false, true, bytes);
  EXPECT_TRUE(bytes.starts_with("HTTP/1.1 297 \r\n")) << bytes;
  EXPECT_EQ(parse_response_head(bytes).result_int(), 297u);
}

TEST(ResponseHead, ManyNamesInConnectionAreAllDropped) {
  Fields f;
  std::string connection;
  for (int i = 0; i < 20; ++i) {
    connection += (i ? ", X-Hop-" : "X-Hop-") + std::to_string(i);
    f.add("X-Hop-" + std::to_string(i), "drop");
  }
  f.add("Connection", connection).add("X-Kept", "yes");
  std::string bytes;
  write_response_head(200, "OK", 11, f.parsed(), "0", false, true, bytes);
  EXPECT_EQ(names_of(parse_response_head(bytes).base()),
            (std::set<std::string>{"x-kept", "content-length"}));
}

}  // namespace
}  // namespace lmp::proxy
