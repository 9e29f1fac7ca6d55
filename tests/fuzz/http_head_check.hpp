// What must hold for net/http_head on any bytes; shared by the libFuzzer target
// (http_head_fuzz.cpp) and the deterministic smoke test run by ctest
// (tests/unit/net/http_head_smoke_test.cpp). check_http_head returns a description of the first
// property that failed, or an empty string.
//
// - find_head_end gives the same answer however much was searched before, as long as the
//   searched prefix held no whole head;
// - every view the parsers return lies inside the input;
// - a head written back from what was parsed parses to the same facts;
// - where Beast's parser also accepts a request or response head, it agrees on the framing
//   (Content-Length, chunked), and keeps no connection open that Beast would close: two readers
//   that disagree there are how requests get smuggled.
#pragma once

#include <boost/beast/http.hpp>

#include <string>
#include <string_view>

#include "net/http_head.hpp"

namespace lmp::net::check {

inline bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

inline bool views_inside(const MessageHead& head, std::string_view bytes) {
  for (const auto& f : head.fields) {
    if (!inside(f.name, bytes) || !inside(f.value, bytes) || f.name.empty()) return false;
  }
  return true;
}

inline std::string fields_text(const MessageHead& head) {
  std::string out;
  for (const auto& f : head.fields) {
    out.append(f.name);
    out.append(": ");
    out.append(f.value);
    out.append("\r\n");
  }
  out.append("\r\n");
  return out;
}

inline bool same_fields(const MessageHead& a, const MessageHead& b) {
  if (a.fields.size() != b.fields.size()) return false;
  for (std::size_t i = 0; i < a.fields.size(); ++i) {
    if (a.fields[i].name != b.fields[i].name || a.fields[i].value != b.fields[i].value)
      return false;
  }
  return a.version == b.version && a.content_length == b.content_length && a.chunked == b.chunked &&
         a.other_coding == b.other_coding && a.keep_alive == b.keep_alive;
}

// For a response, only where its head alone decides the framing: not for statuses without a
// body, and keep-alive only with a Content-Length (Beast folds "the body ends at close" into
// keep_alive; the proxy decides that from the framing).
template <bool isRequest>
bool beast_agrees(std::string_view bytes, const MessageHead& ours, unsigned status = 0) {
  if (!isRequest && (status < 200 || status == 204 || status == 304)) return true;
  // A response in a coding other than chunked ends when the connection closes (RFC 9112 6.3,
  // item 4), whatever its Content-Length says; Beast reads the Content-Length.
  if (!isRequest && ours.other_coding) return true;
  namespace http = boost::beast::http;
  http::parser<isRequest, http::empty_body> parser;
  parser.header_limit(1u << 20);
  parser.eager(false);
  boost::system::error_code ec;
  const std::size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
  if (ec || !parser.is_header_done() || used != bytes.size()) return true;  // Beast refuses
  const auto length = parser.content_length();
  if (parser.chunked() != ours.chunked) return false;
  if (!ours.chunked && length.has_value() != ours.content_length.has_value()) return false;
  if (!ours.chunked && length && *length != *ours.content_length) return false;
  if (!isRequest && !ours.content_length) return true;
  // Closing is always safe: the parser may close where Beast would not (an HTTP/1.0 message
  // that says both keep-alive and close), never the other way round.
  return !ours.keep_alive || parser.keep_alive();
}

inline std::string check_http_head(std::string_view data) {
  const std::size_t end = find_head_end(data);
  for (std::size_t searched : {std::size_t{1}, data.size() / 2, data.size()}) {
    if (searched > data.size()) continue;
    const bool prefix_has_head = find_head_end(data.substr(0, searched)) != 0;
    if (!prefix_has_head && find_head_end(data, searched) != end)
      return "find_head_end depends on what was searched before";
  }
  if (end == 0) return {};
  const std::string_view bytes = data.substr(0, end);

  RequestHead request;
  if (!parse_request_head(bytes, request)) {
    if (!inside(request.method, bytes) || !inside(request.target, bytes) ||
        !views_inside(request, bytes))
      return "a request view lies outside the input";
    const std::string again = std::string(request.method) + " " + std::string(request.target) +
                              (request.version == 10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n") +
                              fields_text(request);
    RequestHead reread;
    if (parse_request_head(again, reread) || !same_fields(request, reread) ||
        reread.method != request.method || reread.target != request.target ||
        reread.expect_continue != request.expect_continue)
      return "a request written back reads differently";
    if (!beast_agrees<true>(bytes, request)) return "Beast reads the request's framing otherwise";
  }

  ResponseHead response;
  if (!parse_response_head(bytes, response)) {
    if (!inside(response.reason, bytes) || !views_inside(response, bytes))
      return "a response view lies outside the input";
    std::string again = response.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    again += std::to_string(response.status) + " " + std::string(response.reason) + "\r\n" +
             fields_text(response);
    ResponseHead reread;
    if (parse_response_head(again, reread) || reread.status != response.status ||
        reread.reason != response.reason)
      return "a response written back reads differently";
    // Written back, a response whose Content-Length was overridden says it again: compare the
    // fields only.
    if (reread.fields.size() != response.fields.size())
      return "a response written back has other fields";
    if (!response.chunked && !response.other_coding && !same_fields(response, reread))
      return "a response written back reads differently";
    if (!beast_agrees<false>(bytes, response, response.status))
      return "Beast reads the response's framing otherwise";
  }
  return {};
}

}  // namespace lmp::net::check
