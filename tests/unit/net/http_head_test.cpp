#include "net/http_head.hpp"

#include <gtest/gtest.h>

#include <string>

namespace lmp::net {
namespace {

error_code request(std::string_view bytes, RequestHead& out) {
  return parse_request_head(bytes, out);
}

error_code response(std::string_view bytes, ResponseHead& out) {
  return parse_response_head(bytes, out);
}

TEST(FindHeadEnd, EndsAfterTheEmptyLine) {
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\r\nHost: a\r\n\r\nbody"), 27u);
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\r\nHost: a\r\n\r"), 0u);
  EXPECT_EQ(find_head_end(""), 0u);
}

TEST(FindHeadEnd, FindsAnEndThatStraddlesWhatWasSearched) {
  const std::string_view data = "GET / HTTP/1.1\r\n\r\n";
  // The first call saw the bytes up to the first CR of the end only.
  EXPECT_EQ(find_head_end(data, data.size() - 3), data.size());
  EXPECT_EQ(find_head_end(data, data.size() - 1), data.size());
}

TEST(FindHeadEnd, BareLineFeedsDoNotEndAHead) {
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\n\n"), 0u);
}

TEST(LeadingEmptyLines, CountsCrLfPairsOnly) {
  EXPECT_EQ(leading_empty_lines("\r\n\r\nGET"), 4u);
  EXPECT_EQ(leading_empty_lines("\r\nGET"), 2u);
  EXPECT_EQ(leading_empty_lines("\r"), 0u);
  EXPECT_EQ(leading_empty_lines("GET"), 0u);
}

TEST(RequestHead, ReadsTheRequestLineAndFieldsInOrder) {
  RequestHead head;
  const std::string bytes =
      "POST /v1/chat/completions?x=1 HTTP/1.1\r\n"
      "Host: proxy.local:8001\r\n"
      "Content-Type:application/json\r\n"
      "X-Spaces: \t padded value \t\r\n"
      "X-Empty:\r\n"
      "Content-Length: 42\r\n"
      "\r\n";
  ASSERT_FALSE(request(bytes, head));
  EXPECT_EQ(head.method, "POST");
  EXPECT_EQ(head.target, "/v1/chat/completions?x=1");
  EXPECT_EQ(head.version, 11u);
  ASSERT_EQ(head.fields.size(), 5u);
  EXPECT_EQ(head.fields[0].name, "Host");
  EXPECT_EQ(head.fields[0].value, "proxy.local:8001");
  EXPECT_EQ(head.fields[1].value, "application/json");
  EXPECT_EQ(head.fields[2].value, "padded value");
  EXPECT_EQ(head.fields[3].value, "");
  EXPECT_EQ(head.content_length, 42u);
  EXPECT_FALSE(head.chunked);
  EXPECT_TRUE(head.keep_alive);
  EXPECT_FALSE(head.expect_continue);
}

TEST(RequestHead, FindIsCaseInsensitiveAndGivesTheFirst) {
  RequestHead head;
  ASSERT_FALSE(request("GET / HTTP/1.1\r\nx-a: 1\r\nX-A: 2\r\n\r\n", head));
  EXPECT_EQ(head.find("X-a"), "1");
  EXPECT_FALSE(head.find("x-b"));
  EXPECT_FALSE(head.find("x-"));
}

TEST(RequestHead, KeepAliveByVersionAndConnection) {
  RequestHead head;
  ASSERT_FALSE(request("GET / HTTP/1.1\r\n\r\n", head));
  EXPECT_TRUE(head.keep_alive);
  ASSERT_FALSE(request("GET / HTTP/1.1\r\nConnection: Keep-Alive, CLOSE\r\n\r\n", head));
  EXPECT_FALSE(head.keep_alive);
  ASSERT_FALSE(request("GET / HTTP/1.0\r\n\r\n", head));
  EXPECT_EQ(head.version, 10u);
  EXPECT_FALSE(head.keep_alive);
  ASSERT_FALSE(request("GET / HTTP/1.0\r\nconnection: x-foo, keep-alive\r\n\r\n", head));
  EXPECT_TRUE(head.keep_alive);
}

TEST(RequestHead, ALaterMinorVersionIsReadAsHttp11) {
  RequestHead head;
  ASSERT_FALSE(request("GET / HTTP/1.2\r\n\r\n", head));
  EXPECT_EQ(head.version, 11u);
}

TEST(RequestHead, ExpectContinue) {
  RequestHead head;
  ASSERT_FALSE(
      request("POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 5\r\n\r\n", head));
  EXPECT_TRUE(head.expect_continue);
  ASSERT_FALSE(request("POST / HTTP/1.1\r\nExpect: something\r\n\r\n", head));
  EXPECT_FALSE(head.expect_continue);
}

TEST(RequestHead, ChunkedMustBeTheLastCoding) {
  RequestHead head;
  ASSERT_FALSE(request("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n", head));
  EXPECT_TRUE(head.chunked);
  ASSERT_FALSE(request(
      "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", head));
  EXPECT_TRUE(head.chunked);
  EXPECT_EQ(request("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", head),
            http::error::bad_transfer_encoding);
  EXPECT_EQ(request("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", head),
            http::error::bad_transfer_encoding);
  EXPECT_EQ(
      request("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
              head),
      http::error::bad_transfer_encoding);
  EXPECT_EQ(request("POST / HTTP/1.1\r\nTransfer-Encoding: \r\n\r\n", head),
            http::error::bad_transfer_encoding);
}

// Request smuggling: two readers must never disagree on where a request ends.
TEST(RequestHead, ContentLengthWithTransferEncodingIsRefused) {
  RequestHead head;
  EXPECT_EQ(
      request("POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", head),
      http::error::bad_transfer_encoding);
  EXPECT_EQ(
      request("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", head),
      http::error::bad_transfer_encoding);
}

TEST(RequestHead, ContentLengthMustBeOneNumber) {
  RequestHead head;
  ASSERT_FALSE(request("POST / HTTP/1.1\r\nContent-Length: 7\r\ncontent-length: 7\r\n\r\n", head));
  EXPECT_EQ(head.content_length, 7u);
  for (const char* value : {"7, 8", "7,7", "-1", "+1", "0x10", "1 2", "", "12345678901234567890"}) {
    EXPECT_EQ(
        request(std::string("POST / HTTP/1.1\r\nContent-Length: ") + value + "\r\n\r\n", head),
        http::error::bad_content_length)
        << value;
  }
  EXPECT_EQ(request("POST / HTTP/1.1\r\nContent-Length: 7\r\nContent-Length: 8\r\n\r\n", head),
            http::error::bad_content_length);
  ASSERT_FALSE(request("POST / HTTP/1.1\r\nContent-Length: 9223372036854775807\r\n\r\n", head));
  EXPECT_EQ(head.content_length, 9223372036854775807u);
}

TEST(RequestHead, MalformedRequestLinesAreRefused) {
  RequestHead head;
  EXPECT_EQ(request("GET  / HTTP/1.1\r\n\r\n", head), http::error::bad_target);
  EXPECT_EQ(request(" GET / HTTP/1.1\r\n\r\n", head), http::error::bad_method);
  EXPECT_EQ(request("G(T / HTTP/1.1\r\n\r\n", head), http::error::bad_method);
  EXPECT_EQ(request("GET /a b HTTP/1.1\r\n\r\n", head), http::error::bad_version);
  EXPECT_EQ(request("GET / HTTP/2.0\r\n\r\n", head), http::error::bad_version);
  EXPECT_EQ(request("GET / HTTP/1.1 \r\n\r\n", head), http::error::bad_version);
  EXPECT_EQ(request("GET / http/1.1\r\n\r\n", head), http::error::bad_version);
  EXPECT_EQ(request("GET /\x01 HTTP/1.1\r\n\r\n", head), http::error::bad_target);
  EXPECT_EQ(request("GET / HTTP/1.1\n\r\n\r\n", head), http::error::bad_line_ending);
}

TEST(RequestHead, MalformedFieldsAreRefused) {
  RequestHead head;
  EXPECT_EQ(request("GET / HTTP/1.1\r\nHost : a\r\n\r\n", head), http::error::bad_field);
  EXPECT_EQ(request("GET / HTTP/1.1\r\n: a\r\n\r\n", head), http::error::bad_field);
  EXPECT_EQ(request("GET / HTTP/1.1\r\nNo colon\r\n\r\n", head), http::error::bad_field);
  EXPECT_EQ(request("GET / HTTP/1.1\r\nX(: a\r\n\r\n", head), http::error::bad_field);
  EXPECT_EQ(request("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", head), http::error::bad_value);
  EXPECT_EQ(request(std::string_view("GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", 27), head),
            http::error::bad_value);
  EXPECT_EQ(request("GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n", head), http::error::bad_value);
  EXPECT_EQ(request("GET / HTTP/1.1\r\nX: a\nY: b\r\n\r\n", head), http::error::bad_line_ending);
  EXPECT_EQ(request("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", head), http::error::bad_obs_fold);
}

// tchar (RFC 9110 5.6.2), written out independently of the parser's table.
bool is_tchar(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c != 0 &&
          std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos);
}

// Names and methods are scanned eight bytes at a time: every byte value, at every position of
// a token long enough to take two steps and a tail, must be judged as the grammar says.
// Calls check(c, at, token) for each: a run of 19 `fill` bytes with byte `c` at `at`.
template <class Check>
void each_byte_at_each_position(char fill, Check&& check) {
  for (int c = 0; c < 256; ++c) {
    for (std::size_t at = 0; at < 19; ++at) {
      std::string token(19, fill);
      token[at] = static_cast<char>(c);
      check(static_cast<unsigned char>(c), at, token);
    }
  }
}

TEST(RequestHead, EveryByteOfAFieldNameIsChecked) {
  RequestHead head;
  each_byte_at_each_position('n', [&](unsigned char c, std::size_t at, const std::string& name) {
    const std::string bytes = "GET / HTTP/1.1\r\n" + name + ": v\r\n\r\n";
    const auto ec = request(bytes, head);
    if (is_tchar(c)) {
      ASSERT_FALSE(ec) << int{c} << " at " << at;
      ASSERT_EQ(head.fields.size(), 1u);
      EXPECT_EQ(head.fields[0].name, name);
    } else if (c == ':' && at > 0) {  // the name ends there
      ASSERT_FALSE(ec) << int{c} << " at " << at;
      EXPECT_EQ(head.fields[0].name, name.substr(0, at));
    } else if (at > 0) {
      EXPECT_EQ(ec, http::error::bad_field) << int{c} << " at " << at;
    } else {
      EXPECT_TRUE(ec) << int{c} << " at " << at;
    }
  });
}

TEST(RequestHead, EveryByteOfAMethodIsChecked) {
  RequestHead head;
  each_byte_at_each_position('M', [&](unsigned char c, std::size_t at, const std::string& method) {
    const std::string bytes = method + " / HTTP/1.1\r\n\r\n";  // head's views point into it
    const auto ec = request(bytes, head);
    if (is_tchar(c)) {
      ASSERT_FALSE(ec) << int{c} << " at " << at;
      EXPECT_EQ(head.method, method);
    } else {
      EXPECT_TRUE(ec) << int{c} << " at " << at;
    }
  });
}

TEST(RequestHead, ObsTextIsAllowedInValuesAndTargets) {
  RequestHead head;
  ASSERT_FALSE(request("GET /caf\xc3\xa9 HTTP/1.1\r\nX-Name: caf\xc3\xa9\r\n\r\n", head));
  EXPECT_EQ(head.target, "/caf\xc3\xa9");
  EXPECT_EQ(head.find("x-name"), "caf\xc3\xa9");
}

TEST(RequestHead, AReusedHeadIsReset) {
  RequestHead head;
  ASSERT_FALSE(request(
      "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\nA: 1\r\n\r\n",
      head));
  ASSERT_FALSE(request("GET /x HTTP/1.1\r\n\r\n", head));
  EXPECT_EQ(head.method, "GET");
  EXPECT_EQ(head.version, 11u);
  EXPECT_TRUE(head.fields.empty());
  EXPECT_FALSE(head.chunked);
  EXPECT_FALSE(head.content_length);
  EXPECT_FALSE(head.expect_continue);
  EXPECT_TRUE(head.keep_alive);
}

TEST(ResponseHead, ReadsTheStatusLineAndFields) {
  ResponseHead head;
  ASSERT_FALSE(response(
      "HTTP/1.1 404 Not Found\r\nContent-Length: 17\r\nContent-Type: text/plain\r\n\r\n", head));
  EXPECT_EQ(head.status, 404u);
  EXPECT_EQ(head.reason, "Not Found");
  EXPECT_EQ(head.version, 11u);
  EXPECT_EQ(head.content_length, 17u);
  EXPECT_EQ(head.find("content-type"), "text/plain");
  EXPECT_TRUE(head.keep_alive);
}

TEST(ResponseHead, TheReasonMayBeEmptyOrMissing) {
  ResponseHead head;
  ASSERT_FALSE(response("HTTP/1.1 200 \r\n\r\n", head));
  EXPECT_EQ(head.reason, "");
  ASSERT_FALSE(response("HTTP/1.1 200\r\n\r\n", head));
  EXPECT_EQ(head.status, 200u);
  EXPECT_EQ(head.reason, "");
}

TEST(ResponseHead, MalformedStatusLinesAreRefused) {
  ResponseHead head;
  EXPECT_EQ(response("HTTP/1.1 20\r\n\r\n", head), http::error::bad_status);
  EXPECT_EQ(response("HTTP/1.1 2000 OK\r\n\r\n", head), http::error::bad_status);
  EXPECT_EQ(response("HTTP/1.1 abc OK\r\n\r\n", head), http::error::bad_status);
  EXPECT_EQ(response("HTTP/1.1 099 OK\r\n\r\n", head), http::error::bad_status);
  EXPECT_EQ(response("HTTP/3.0 200 OK\r\n\r\n", head), http::error::bad_version);
  EXPECT_EQ(response("ICY 200 OK\r\n\r\n", head), http::error::bad_version);
  EXPECT_EQ(response("HTTP/1.1 200 O\x01K\r\n\r\n", head), http::error::bad_reason);
}

TEST(ResponseHead, TransferEncodingOverridesContentLengthAndEndsTheConnection) {
  ResponseHead head;
  ASSERT_FALSE(
      response("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", head));
  EXPECT_TRUE(head.chunked);
  EXPECT_FALSE(head.content_length);
  EXPECT_FALSE(head.keep_alive);
}

TEST(ResponseHead, ACodingOtherThanChunkedIsNoted) {
  ResponseHead head;
  ASSERT_FALSE(response("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", head));
  EXPECT_FALSE(head.chunked);
  EXPECT_TRUE(head.other_coding);
}

TEST(ResponseHead, Http10KeepAlive) {
  ResponseHead head;
  ASSERT_FALSE(response("HTTP/1.0 200 OK\r\n\r\n", head));
  EXPECT_FALSE(head.keep_alive);
  ASSERT_FALSE(response("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n", head));
  EXPECT_TRUE(head.keep_alive);
}

}  // namespace
}  // namespace lmp::net
