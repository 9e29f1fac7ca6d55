#include "net/backend_target.hpp"

#include <gtest/gtest.h>

#include <string>

namespace lmp::net {
namespace {

BackendTarget parse_ok(std::string_view url) {
  auto r = parse_backend_url(url);
  EXPECT_TRUE(r.ok()) << url << ": " << (r.ok() ? "" : r.error());
  return r.ok() ? *r : BackendTarget{};
}

TEST(ParseBackendUrl, HttpDefaultsToPort80) {
  const auto t = parse_ok("http://example.com");
  EXPECT_FALSE(t.tls);
  EXPECT_EQ(t.host, "example.com");
  EXPECT_EQ(t.port, "80");
  EXPECT_EQ(t.base_path, "");
  EXPECT_EQ(t.display, "http://example.com:80");
  EXPECT_EQ(t.host_header, "example.com");
}

TEST(ParseBackendUrl, HttpsDefaultsToPort443) {
  const auto t = parse_ok("https://api.example.com");
  EXPECT_TRUE(t.tls);
  EXPECT_EQ(t.host, "api.example.com");
  EXPECT_EQ(t.port, "443");
  EXPECT_EQ(t.base_path, "");
  EXPECT_EQ(t.display, "https://api.example.com:443");
  EXPECT_EQ(t.host_header, "api.example.com");
}

TEST(ParseBackendUrl, ExplicitPort) {
  const auto t = parse_ok("http://localhost:11434");
  EXPECT_EQ(t.host, "localhost");
  EXPECT_EQ(t.port, "11434");
  EXPECT_EQ(t.host_header, "localhost:11434");
  EXPECT_EQ(t.display, "http://localhost:11434");
}

TEST(ParseBackendUrl, ExplicitDefaultPortIsLeftOutOfHostHeader) {
  EXPECT_EQ(parse_ok("http://h:80").host_header, "h");
  EXPECT_EQ(parse_ok("https://h:443").host_header, "h");
}

TEST(ParseBackendUrl, OtherSchemesDefaultPortIsKeptInHostHeader) {
  EXPECT_EQ(parse_ok("http://h:443").host_header, "h:443");
  EXPECT_EQ(parse_ok("https://h:80").host_header, "h:80");
  EXPECT_EQ(parse_ok("https://h:8443").host_header, "h:8443");
}

// RFC 3986 3.1: schemes are case-insensitive.
TEST(ParseBackendUrl, SchemeIsCaseInsensitive) {
  const auto t = parse_ok("HTTPS://api.example.com");
  EXPECT_TRUE(t.tls);
  EXPECT_EQ(t.port, "443");
  EXPECT_FALSE(parse_ok("Http://h:1").tls);
}

TEST(ParseBackendUrl, HighestPort) {
  EXPECT_EQ(parse_ok("http://h:65535").port, "65535");
  EXPECT_EQ(parse_ok("http://h:1").port, "1");
}

TEST(ParseBackendUrl, RootPathIsNoBasePath) {
  EXPECT_EQ(parse_ok("http://h:8000/").base_path, "");
  EXPECT_EQ(parse_ok("http://h:8000//").base_path, "");
}

TEST(ParseBackendUrl, BasePath) {
  const auto t = parse_ok("http://host:8000/api");
  EXPECT_EQ(t.base_path, "/api");
  EXPECT_EQ(t.display, "http://host:8000/api");
  EXPECT_EQ(t.host_header, "host:8000");
}

TEST(ParseBackendUrl, BasePathTrailingSlashIsTrimmed) {
  EXPECT_EQ(parse_ok("https://api.example.com/v1/").base_path, "/v1");
  EXPECT_EQ(parse_ok("https://api.example.com/a/b//").base_path, "/a/b");
  EXPECT_EQ(parse_ok("https://api.example.com/a/b").base_path, "/a/b");
}

TEST(ParseBackendUrl, Ipv4Host) {
  const auto t = parse_ok("http://127.0.0.1:8080");
  EXPECT_EQ(t.host, "127.0.0.1");
  EXPECT_EQ(t.port, "8080");
  EXPECT_EQ(t.host_header, "127.0.0.1:8080");
}

TEST(ParseBackendUrl, Ipv6Host) {
  const auto t = parse_ok("http://[::1]:8080/base");
  EXPECT_EQ(t.host, "::1");  // without brackets, for resolving and SNI
  EXPECT_EQ(t.port, "8080");
  EXPECT_EQ(t.base_path, "/base");
  EXPECT_EQ(t.host_header, "[::1]:8080");
  EXPECT_EQ(t.display, "http://[::1]:8080/base");
}

TEST(ParseBackendUrl, Ipv6HostDefaultPort) {
  const auto t = parse_ok("https://[2001:db8::1]");
  EXPECT_EQ(t.host, "2001:db8::1");
  EXPECT_EQ(t.port, "443");
  EXPECT_EQ(t.host_header, "[2001:db8::1]");
}

void expect_rejected(std::string_view url, std::string_view message_part = {}) {
  const auto r = parse_backend_url(url);
  ASSERT_FALSE(r.ok()) << url << " was accepted as host '" << r->host << "' port '" << r->port
                       << "' base '" << r->base_path << "'";
  EXPECT_FALSE(r.error().empty()) << url;
  if (!message_part.empty()) {
    EXPECT_NE(r.error().find(message_part), std::string::npos) << url << ": " << r.error();
  }
}

TEST(ParseBackendUrl, RejectsOtherSchemes) {
  expect_rejected("ftp://example.com", "ftp");
  expect_rejected("ws://example.com", "ws");
  expect_rejected("file:///etc/passwd");
}

TEST(ParseBackendUrl, RejectsCredentials) {
  expect_rejected("http://user:secret@example.com", "credentials");
  expect_rejected("http://user@example.com", "credentials");
}

TEST(ParseBackendUrl, CredentialsNeverAppearInTheMessage) {
  const auto r = parse_backend_url("https://user:s3cr3t@example.com");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().find("s3cr3t"), std::string::npos) << r.error();
}

TEST(ParseBackendUrl, RejectsQueryAndFragment) {
  expect_rejected("http://example.com/v1?key=1", "query");
  expect_rejected("http://example.com?x", "query");
}

// parse_backend_url's own fragment check promises a message naming the fragment; a URL with one
// must not be told it is not an absolute URL.
TEST(ParseBackendUrl, RejectsFragmentNamingIt) {
  expect_rejected("http://example.com/#top", "fragment");
  expect_rejected("http://example.com/v1#", "fragment");
}

TEST(ParseBackendUrl, RejectsNoHost) {
  expect_rejected("http://", "host");
  expect_rejected("http:///path", "host");
  expect_rejected("http://:8080", "host");
}

TEST(ParseBackendUrl, RejectsPortZeroAndOutOfRange) {
  expect_rejected("http://example.com:0", "port");
  expect_rejected("http://example.com:65536");
  expect_rejected("http://example.com:70000");
  expect_rejected("http://example.com:99999999999");
}

TEST(ParseBackendUrl, RejectsGarbage) {
  expect_rejected("");
  expect_rejected("garbage");
  expect_rejected("localhost:11434");
  expect_rejected("//example.com");
  expect_rejected("http//example.com");
  expect_rejected("http://exa mple.com");
  expect_rejected("http://example.com:port");
}

TEST(HostHeader, BracketsIpv6AndLeavesOutTheSchemesDefaultPort) {
  EXPECT_EQ(parse_ok("http://backend:80").host_header, "backend");
  EXPECT_EQ(parse_ok("http://backend:8000").host_header, "backend:8000");
  EXPECT_EQ(parse_ok("https://backend:443").host_header, "backend");
  EXPECT_EQ(parse_ok("https://[fe80::1]:443").host_header, "[fe80::1]");
  EXPECT_EQ(parse_ok("https://[fe80::1]:8443").host_header, "[fe80::1]:8443");
}

}  // namespace
}  // namespace lmp::net
