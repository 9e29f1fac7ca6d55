#include "proxy/exchange_meter.hpp"

#include <gtest/gtest.h>

#include <zlib.h>
#include <algorithm>

#include <chrono>
#include <string>
#include <vector>

namespace lmp::llm {
// So that failures print the error's name.
inline void PrintTo(ErrorType type, std::ostream* os) {
  *os << (type == ErrorType::none ? std::string_view("none") : to_string(type));
}
}  // namespace lmp::llm

namespace lmp::proxy {
namespace {

using llm::Endpoint;
using llm::ErrorType;
using std::chrono::microseconds;
using std::chrono::milliseconds;

const time::MonoTime kT0 = time::MonoTime{} + std::chrono::hours(5);
constexpr std::int64_t kWallClock = 1'795'920'056'123;

constexpr std::string_view kStreamRequest =
    R"({"model":"llama3.1:8b","stream":true,"stream_options":{"include_usage":true},)"
    R"("messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},)"
    R"({"role":"assistant","content":"Hello"},{"role":"user","content":"Again"}],)"
    R"("max_tokens":128,"temperature":0.7,"top_p":0.9,"user":"alice"})";

constexpr std::string_view kJsonRequest =
    R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"max_tokens":64})";

// Events of a chat stream, one string each.
const std::string kRole =
    "data: {\"model\":\"llama3.1:8b\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
    "\"assistant\"},\"finish_reason\":null}]}\n\n";
std::string content_event(std::string_view text) {
  return "data: {\"model\":\"llama3.1:8b\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" +
         std::string(text) + "\"},\"finish_reason\":null}]}\n\n";
}
const std::string kFinish =
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";
const std::string kUsage =
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":31,\"completion_tokens\":6,"
    "\"total_tokens\":37}}\n\n";
const std::string kDone = "data: [DONE]\n\n";

constexpr std::string_view kJsonResponse =
    R"({"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-mini-2024-07-18",)"
    R"("choices":[{"index":0,"message":{"role":"assistant","content":"Hello there"},)"
    R"("finish_reason":"length"}],"usage":{"prompt_tokens":9,"completion_tokens":51,)"
    R"("total_tokens":60}})";

std::string gzip(std::string_view in) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&zs, static_cast<uLong>(in.size())) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

ExchangeOutcome ok_outcome(int status = 200) {
  ExchangeOutcome o;
  o.status_sent = status;
  o.body_complete = true;
  return o;
}

// Feeds a streamed chat answer: role chunk at 40 ms (first byte), content at 100 ms, a content
// event split across 150 ms and 220 ms, content at 400 ms, finish, usage and [DONE] at 410,
// 420 and 430 ms. Returns the bytes fed.
std::size_t feed_stream(ExchangeMeter& m, bool through_done = true) {
  m.on_first_byte(kT0 + milliseconds(40));
  m.on_response_header(200, "text/event-stream; charset=utf-8", "");
  std::size_t bytes = 0;
  auto feed = [&](std::string_view piece, int at_ms) {
    m.on_body(piece, kT0 + milliseconds(at_ms));
    bytes += piece.size();
  };
  feed(kRole, 40);
  feed(content_event("Hel"), 100);
  const std::string split = content_event("lo, ") + content_event("how");
  const std::size_t cut = split.size() - 20;  // inside the second event
  feed(std::string_view(split).substr(0, cut), 150);
  feed(std::string_view(split).substr(cut), 220);
  feed(content_event(" are you?"), 400);
  if (!through_done) return bytes;
  feed(kFinish, 410);
  feed(kUsage, 420);
  feed(kDone, 430);
  return bytes;
}

TEST(ExchangeMeter, StreamedChatRecord) {
  ExchangeMeter m(Endpoint::chat_completions, kStreamRequest, kT0, kWallClock);
  const std::size_t bytes = feed_stream(m);
  const llm::CompletionRecord r = m.finish(kT0 + milliseconds(435), ok_outcome());

  EXPECT_EQ(r.timestamp_ms, kWallClock);
  EXPECT_EQ(r.endpoint, Endpoint::chat_completions);
  EXPECT_EQ(r.model, "llama3.1:8b");
  EXPECT_EQ(r.user, "alice");
  EXPECT_TRUE(r.is_streaming);
  EXPECT_EQ(r.message_count, 4);
  EXPECT_EQ(r.max_tokens, 128);
  ASSERT_TRUE(r.temperature.has_value());
  EXPECT_DOUBLE_EQ(*r.temperature, 0.7);
  ASSERT_TRUE(r.top_p.has_value());
  EXPECT_DOUBLE_EQ(*r.top_p, 0.9);
  EXPECT_EQ(r.request_bytes, static_cast<std::int64_t>(kStreamRequest.size()));
  EXPECT_EQ(r.response_bytes, static_cast<std::int64_t>(bytes));

  EXPECT_EQ(r.prompt_tokens, 31);
  EXPECT_EQ(r.completion_tokens, 6);
  EXPECT_EQ(r.total_tokens, 37);
  EXPECT_EQ(r.finish_reason, "stop");

  ASSERT_TRUE(r.time_to_first_byte_ms && r.time_to_first_token_ms && r.time_to_last_token_ms &&
              r.response_time_ms);
  EXPECT_DOUBLE_EQ(*r.time_to_first_byte_ms, 40);
  EXPECT_DOUBLE_EQ(*r.time_to_first_token_ms, 100);  // the role-only chunk is not a token
  EXPECT_DOUBLE_EQ(*r.time_to_last_token_ms, 400);
  EXPECT_DOUBLE_EQ(*r.response_time_ms, 435);
  EXPECT_LE(*r.time_to_first_byte_ms, *r.time_to_first_token_ms);
  EXPECT_LE(*r.time_to_first_token_ms, *r.time_to_last_token_ms);
  EXPECT_LE(*r.time_to_last_token_ms, *r.response_time_ms);
  // Output events at 100, 150 ("lo, " completes in the first piece), 220 ("how"), 400.
  ASSERT_TRUE(r.max_inter_token_gap_ms.has_value());
  EXPECT_DOUBLE_EQ(*r.max_inter_token_gap_ms, 180);
  ASSERT_TRUE(r.tokens_per_second.has_value());
  EXPECT_DOUBLE_EQ(*r.tokens_per_second, 6 / 0.4);  // completion tokens / time to last token

  EXPECT_TRUE(r.success);
  EXPECT_EQ(r.status_code, 200);
  EXPECT_EQ(r.error_type, ErrorType::none);
  EXPECT_EQ(r.error_message, "");
  EXPECT_FALSE(r.degraded);
}

TEST(ExchangeMeter, SubMillisecondTimesAreKept) {
  ExchangeMeter m(Endpoint::chat_completions, kStreamRequest, kT0, kWallClock);
  m.on_first_byte(kT0 + microseconds(1250));
  m.on_response_header(200, "text/event-stream", "");
  m.on_body(content_event("a"), kT0 + microseconds(2500));
  m.on_body(content_event("b") + kDone, kT0 + microseconds(3750));
  const auto r = m.finish(kT0 + microseconds(4100), ok_outcome());
  EXPECT_DOUBLE_EQ(r.time_to_first_byte_ms.value_or(-1), 1.25);
  EXPECT_DOUBLE_EQ(r.time_to_first_token_ms.value_or(-1), 2.5);
  EXPECT_DOUBLE_EQ(r.time_to_last_token_ms.value_or(-1), 3.75);
  EXPECT_DOUBLE_EQ(r.response_time_ms.value_or(-1), 4.1);
  EXPECT_TRUE(r.success);
}

TEST(ExchangeMeter, FirstByteIsTheEarliestReported) {
  ExchangeMeter m(Endpoint::chat_completions, kStreamRequest, kT0, kWallClock);
  m.on_first_byte(kT0 + milliseconds(10));
  m.on_first_byte(kT0 + milliseconds(30));
  m.on_response_header(200, "text/event-stream", "");
  m.on_body(content_event("a") + kDone, kT0 + milliseconds(50));
  const auto r = m.finish(kT0 + milliseconds(60), ok_outcome());
  EXPECT_DOUBLE_EQ(r.time_to_first_byte_ms.value_or(-1), 10);
}

TEST(ExchangeMeter, NonStreamedJsonRecord) {
  ExchangeMeter m(Endpoint::chat_completions, kJsonRequest, kT0, kWallClock);
  m.on_first_byte(kT0 + milliseconds(480));
  m.on_response_header(200, "application/json", "");
  const std::string_view body = kJsonResponse;
  m.on_body(body.substr(0, 50), kT0 + milliseconds(480));
  m.on_body(body.substr(50), kT0 + milliseconds(495));
  const auto r = m.finish(kT0 + milliseconds(500), ok_outcome());

  EXPECT_EQ(r.model, "gpt-4o-mini");  // what the client asked for
  EXPECT_FALSE(r.is_streaming);
  EXPECT_EQ(r.message_count, 1);
  EXPECT_EQ(r.max_tokens, 64);
  EXPECT_EQ(r.prompt_tokens, 9);
  EXPECT_EQ(r.completion_tokens, 51);
  EXPECT_EQ(r.total_tokens, 60);
  EXPECT_EQ(r.finish_reason, "length");
  EXPECT_EQ(r.response_bytes, static_cast<std::int64_t>(body.size()));
  EXPECT_DOUBLE_EQ(r.time_to_first_byte_ms.value_or(-1), 480);
  EXPECT_DOUBLE_EQ(r.response_time_ms.value_or(-1), 500);
  EXPECT_DOUBLE_EQ(r.time_to_first_token_ms.value_or(-1), 500);
  EXPECT_DOUBLE_EQ(r.time_to_last_token_ms.value_or(-1), 500);
  EXPECT_DOUBLE_EQ(r.tokens_per_second.value_or(-1), 51 / 0.5);
  EXPECT_FALSE(r.max_inter_token_gap_ms.has_value());
  EXPECT_TRUE(r.success);
  EXPECT_EQ(r.error_type, ErrorType::none);
  EXPECT_FALSE(r.degraded);
}

// A body known to end with its one piece is read where it lies: nothing of it may be needed
// after on_body returns (the relay then reuses the buffer).
TEST(ExchangeMeter, BodyInOnePieceIsReadAtOnce) {
  ExchangeMeter m(Endpoint::chat_completions, kJsonRequest, kT0, kWallClock);
  m.on_first_byte(kT0 + milliseconds(480));
  m.on_response_header(200, "application/json", "");
  std::string buffer(kJsonResponse);
  m.on_body(buffer, kT0 + milliseconds(495), /*last=*/true);
  std::fill(buffer.begin(), buffer.end(), 'x');
  const auto r = m.finish(kT0 + milliseconds(500), ok_outcome());
  EXPECT_EQ(r.prompt_tokens, 9);
  EXPECT_EQ(r.completion_tokens, 51);
  EXPECT_EQ(r.total_tokens, 60);
  EXPECT_EQ(r.finish_reason, "length");
  EXPECT_EQ(r.response_bytes, static_cast<std::int64_t>(buffer.size()));
  EXPECT_TRUE(r.success);
  EXPECT_FALSE(r.degraded);
}

TEST(ExchangeMeter, LastPieceAfterOthersJoinsThem) {
  ExchangeMeter m(Endpoint::chat_completions, kJsonRequest, kT0, kWallClock);
  m.on_response_header(200, "application/json", "");
  const std::string_view body = kJsonResponse;
  m.on_body(body.substr(0, 50), kT0 + milliseconds(480));
  m.on_body(body.substr(50), kT0 + milliseconds(495), /*last=*/true);
  const auto r = m.finish(kT0 + milliseconds(500), ok_outcome());
  EXPECT_EQ(r.completion_tokens, 51);
  EXPECT_EQ(r.finish_reason, "length");
  EXPECT_FALSE(r.degraded);
}

TEST(ExchangeMeter, GzipBodyInOnePiece) {
  ExchangeMeter m(Endpoint::chat_completions, kJsonRequest, kT0, kWallClock);
  const std::string compressed = gzip(kJsonResponse);
  m.on_response_header(200, "application/json", "gzip");
  m.on_body(compressed, kT0 + milliseconds(200), /*last=*/true);
  const auto r = m.finish(kT0 + milliseconds(250), ok_outcome());
  EXPECT_EQ(r.completion_tokens, 51);
  EXPECT_EQ(r.response_bytes, static_cast<std::int64_t>(compressed.size()));
  EXPECT_FALSE(r.degraded);
}

TEST(ExchangeMeter, NonJsonBodyInOnePieceIsDegraded) {
  ExchangeMeter m(Endpoint::chat_completions, kJsonRequest, kT0, kWallClock);
  m.on_response_header(200, "application/json", "");
  m.on_body("not json", kT0 + milliseconds(5), /*last=*/true);
  const auto r = m.finish(kT0 + milliseconds(6), ok_outcome());
  EXPECT_TRUE(r.degraded);
  EXPECT_TRUE(r.success);
}

TEST(ExchangeMeter, ModelComesFromTheResponseWhenTheRequestNamesNone) {
  ExchangeMeter m(Endpoint::chat_completions, R"({"messages":[]})", kT0, kWallClock);
  m.on_response_header(200, "application/json", "");
  m.on_body(kJsonResponse, kT0 + milliseconds(10));
  const auto r = m.finish(kT0 + milliseconds(11), ok_outcome());
  EXPECT_EQ(r.model, "gpt-4o-mini-2024-07-18");
  EXPECT_FALSE(r.degraded);
}

TEST(ExchangeMeter, GzipJsonRecord) {
  ExchangeMeter m(Endpoint::chat_completions, kJsonRequest, kT0, kWallClock);
  const std::string compressed = gzip(kJsonResponse);
  m.on_first_byte(kT0 + milliseconds(200));
  m.on_response_header(200, "application/json", "gzip");
  // Uneven pieces, including a one-byte one inside the gzip header.
  const std::string_view c = compressed;
  m.on_body(c.substr(0, 1), kT0 + milliseconds(200));
  m.on_body(c.substr(1, 9), kT0 + milliseconds(201));
  m.on_body(c.substr(10, 40), kT0 + milliseconds(202));
  m.on_body(c.substr(50), kT0 + milliseconds(203));
  const auto r = m.finish(kT0 + milliseconds(250), ok_outcome());
  EXPECT_EQ(r.response_bytes, static_cast<std::int64_t>(compressed.size()));  // as relayed
  EXPECT_EQ(r.prompt_tokens, 9);
  EXPECT_EQ(r.completion_tokens, 51);
  EXPECT_EQ(r.total_tokens, 60);
  EXPECT_EQ(r.finish_reason, "length");
  EXPECT_DOUBLE_EQ(r.tokens_per_second.value_or(-1), 51 / 0.25);
  EXPECT_TRUE(r.success);
  EXPECT_FALSE(r.degraded);
}

TEST(ExchangeMeter, GzipStreamRecord) {
  ExchangeMeter m(Endpoint::chat_completions, kStreamRequest, kT0, kWallClock);
  const std::string plain = content_event("a") + content_event("b") + kUsage + kDone;
  const std::string compressed = gzip(plain);
  m.on_response_header(200, "text/event-stream", "GZIP");
  m.on_body(compressed, kT0 + milliseconds(70));
  const auto r = m.finish(kT0 + milliseconds(80), ok_outcome());
  EXPECT_EQ(r.completion_tokens, 6);
  EXPECT_DOUBLE_EQ(r.time_to_first_token_ms.value_or(-1), 70);
  EXPECT_FALSE(r.degraded);
  EXPECT_TRUE(r.success);
}

TEST(ExchangeMeter, UndecodableBodyIsDegradedButRelayed) {
  ExchangeMeter m(Endpoint::chat_completions, kJsonRequest, kT0, kWallClock);
  m.on_response_header(200, "application/json", "gzip");
  m.on_body("definitely not gzip", kT0 + milliseconds(5));
  const auto r = m.finish(kT0 + milliseconds(6), ok_outcome());
  EXPECT_TRUE(r.degraded);
  EXPECT_TRUE(r.success);  // the client got what the backend sent
  EXPECT_EQ(r.response_bytes, 19);
}

TEST(ExchangeMeter, UnsupportedEncodingIsDegraded) {
  ExchangeMeter m(Endpoint::chat_completions, kJsonRequest, kT0, kWallClock);
  m.on_response_header(200, "application/json", "br");
  m.on_body("\x0b\x02\x80", kT0 + milliseconds(5));
  const auto r = m.finish(kT0 + milliseconds(6), ok_outcome());
  EXPECT_TRUE(r.degraded);
  EXPECT_TRUE(r.success);
}

TEST(ExchangeMeter, RateLimitCarriesTheBackendsMessage) {
  ExchangeMeter m(Endpoint::chat_completions, kJsonRequest, kT0, kWallClock);
  m.on_first_byte(kT0 + milliseconds(12));
  m.on_response_header(429, "application/json", "");
  m.on_body(R"({"error":{"message":"Rate limit reached for gpt-4o-mini","type":"requests",)"
            R"("code":"rate_limit_exceeded"}})",
            kT0 + milliseconds(12));
  const auto r = m.finish(kT0 + milliseconds(13), ok_outcome(429));
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.status_code, 429);
  EXPECT_EQ(r.error_type, ErrorType::rate_limit);
  EXPECT_EQ(r.error_message, "Rate limit reached for gpt-4o-mini");
  EXPECT_FALSE(r.degraded);
  EXPECT_FALSE(r.completion_tokens.has_value());
  EXPECT_FALSE(r.tokens_per_second.has_value());
}

TEST(ExchangeMeter, ErrorStatusWithTextBodyIsNotDegraded) {
  ExchangeMeter m(Endpoint::chat_completions, kJsonRequest, kT0, kWallClock);
  m.on_response_header(502, "text/html", "");
  m.on_body("<html>Bad Gateway</html>", kT0 + milliseconds(3));
  const auto r = m.finish(kT0 + milliseconds(4), ok_outcome(502));
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error_type, ErrorType::backend_error);
  EXPECT_FALSE(r.degraded);
}

TEST(ExchangeMeter, StatusClasses) {
  const std::pair<int, ErrorType> cases[] = {
      {400, ErrorType::invalid_request}, {401, ErrorType::authentication},
      {403, ErrorType::authentication},  {404, ErrorType::not_found},
      {429, ErrorType::rate_limit},      {500, ErrorType::backend_error},
      {503, ErrorType::backend_error},   {201, ErrorType::none}};
  for (const auto& [status, type] : cases) {
    ExchangeMeter m(Endpoint::chat_completions, kJsonRequest, kT0, kWallClock);
    m.on_response_header(static_cast<unsigned>(status), "application/json", "");
    m.on_body(R"({"error":{"message":"m"}})", kT0 + milliseconds(1));
    const auto r = m.finish(kT0 + milliseconds(2), ok_outcome(status));
    EXPECT_EQ(r.error_type, type) << status;
    EXPECT_EQ(r.success, type == ErrorType::none) << status;
  }
}

TEST(ExchangeMeter, ClientDisconnected) {
  ExchangeMeter m(Endpoint::chat_completions, kStreamRequest, kT0, kWallClock);
  feed_stream(m, /*through_done=*/false);
  ExchangeOutcome o;
  o.status_sent = 200;
  o.body_complete = false;
  o.error = ErrorType::client_disconnected;
  o.error_message = "the client closed the connection";
  const auto r = m.finish(kT0 + milliseconds(401), o);
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error_type, ErrorType::client_disconnected);
  EXPECT_EQ(r.error_message, "the client closed the connection");
  EXPECT_EQ(r.status_code, 200);
  // What was measured before the client left is still there.
  EXPECT_DOUBLE_EQ(r.time_to_first_token_ms.value_or(-1), 100);
  EXPECT_DOUBLE_EQ(r.time_to_last_token_ms.value_or(-1), 400);
  EXPECT_DOUBLE_EQ(r.response_time_ms.value_or(-1), 401);
}

TEST(ExchangeMeter, TransportErrorWinsOverABackendErrorStatus) {
  ExchangeMeter m(Endpoint::chat_completions, kJsonRequest, kT0, kWallClock);
  m.on_response_header(500, "application/json", "");
  m.on_body(R"({"error":{"message":"boom"}})", kT0 + milliseconds(1));
  ExchangeOutcome o;
  o.status_sent = 500;
  o.error = ErrorType::client_disconnected;
  o.error_message = "gone";
  const auto r = m.finish(kT0 + milliseconds(2), o);
  EXPECT_EQ(r.error_type, ErrorType::client_disconnected);
  EXPECT_EQ(r.error_message, "gone");
}

TEST(ExchangeMeter, IncompleteBodyIsStreamInterrupted) {
  ExchangeMeter m(Endpoint::chat_completions, kStreamRequest, kT0, kWallClock);
  feed_stream(m, /*through_done=*/false);
  ExchangeOutcome o;
  o.status_sent = 200;
  o.body_complete = false;
  const auto r = m.finish(kT0 + milliseconds(900), o);
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error_type, ErrorType::stream_interrupted);
  EXPECT_DOUBLE_EQ(r.time_to_last_token_ms.value_or(-1), 400);
  EXPECT_DOUBLE_EQ(r.response_time_ms.value_or(-1), 900);
}

TEST(ExchangeMeter, IncompleteJsonBodyIsStreamInterrupted) {
  ExchangeMeter m(Endpoint::chat_completions, kJsonRequest, kT0, kWallClock);
  m.on_response_header(200, "application/json", "");
  m.on_body(kJsonResponse.substr(0, 40), kT0 + milliseconds(10));
  ExchangeOutcome o;
  o.status_sent = 200;
  o.body_complete = false;
  const auto r = m.finish(kT0 + milliseconds(11), o);
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error_type, ErrorType::stream_interrupted);
}

TEST(ExchangeMeter, BackendUnreachableWithoutAnyResponse) {
  ExchangeMeter m(Endpoint::chat_completions, kJsonRequest, kT0, kWallClock);
  ExchangeOutcome o;
  o.status_sent = 502;
  o.body_complete = true;
  o.error = ErrorType::backend_unreachable;
  o.error_message = "connection refused";
  const auto r = m.finish(kT0 + milliseconds(3), o);
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.status_code, 502);
  EXPECT_EQ(r.error_type, ErrorType::backend_unreachable);
  EXPECT_EQ(r.error_message, "connection refused");
  EXPECT_FALSE(r.time_to_first_byte_ms.has_value());
  EXPECT_DOUBLE_EQ(r.response_time_ms.value_or(-1), 3);
  EXPECT_EQ(r.response_bytes, 0);
}

TEST(ExchangeMeter, RequestBodyNotJsonIsDegraded) {
  ExchangeMeter m(Endpoint::chat_completions, "model=llama&stream=true", kT0, kWallClock);
  m.on_response_header(200, "application/json", "");
  m.on_body(kJsonResponse, kT0 + milliseconds(10));
  const auto r = m.finish(kT0 + milliseconds(12), ok_outcome());
  EXPECT_TRUE(r.degraded);
  EXPECT_TRUE(r.success);  // a measurement gap never fails the request
  EXPECT_FALSE(r.is_streaming);
  EXPECT_FALSE(r.message_count.has_value());
  EXPECT_EQ(r.model, "gpt-4o-mini-2024-07-18");  // still read from the response
  EXPECT_EQ(r.completion_tokens, 51);
  EXPECT_EQ(r.request_bytes, 23);
}

TEST(ExchangeMeter, SuccessfulResponseNotJsonIsDegraded) {
  ExchangeMeter m(Endpoint::chat_completions, kJsonRequest, kT0, kWallClock);
  m.on_response_header(200, "application/json", "");
  m.on_body("{\"choices\": [", kT0 + milliseconds(10));
  const auto r = m.finish(kT0 + milliseconds(12), ok_outcome());
  EXPECT_TRUE(r.degraded);
  EXPECT_TRUE(r.success);
}

TEST(ExchangeMeter, OversizedJsonBodyIsDegradedNotInspected) {
  ExchangeMeter m(Endpoint::chat_completions, kJsonRequest, kT0, kWallClock);
  m.on_response_header(200, "application/json", "");
  const std::string piece(1 << 20, ' ');
  std::int64_t fed = 0;
  for (std::size_t i = 0; i <= ExchangeMeter::kMaxInspectedBody / piece.size(); ++i) {
    m.on_body(piece, kT0 + milliseconds(1));
    fed += static_cast<std::int64_t>(piece.size());
  }
  m.on_body(kJsonResponse, kT0 + milliseconds(2));
  fed += static_cast<std::int64_t>(kJsonResponse.size());
  const auto r = m.finish(kT0 + milliseconds(3), ok_outcome());
  EXPECT_TRUE(r.degraded);
  EXPECT_TRUE(r.success);
  EXPECT_EQ(r.response_bytes, fed);
  EXPECT_FALSE(r.completion_tokens.has_value());
}

TEST(ExchangeMeter, StreamWithoutOutputHasNoTokenTimes) {
  ExchangeMeter m(Endpoint::chat_completions, kStreamRequest, kT0, kWallClock);
  m.on_response_header(200, "text/event-stream", "");
  m.on_body(kRole + kFinish + kDone, kT0 + milliseconds(20));
  const auto r = m.finish(kT0 + milliseconds(21), ok_outcome());
  EXPECT_FALSE(r.time_to_first_token_ms.has_value());
  EXPECT_FALSE(r.time_to_last_token_ms.has_value());
  EXPECT_FALSE(r.tokens_per_second.has_value());
  EXPECT_EQ(r.finish_reason, "stop");
  EXPECT_TRUE(r.success);
}

TEST(ExchangeMeter, CompletionsEndpointStream) {
  constexpr std::string_view request = R"({"model":"qwen","prompt":["a","b","c"],"stream":true})";
  ExchangeMeter m(Endpoint::completions, request, kT0, kWallClock);
  m.on_response_header(200, "text/event-stream", "");
  m.on_body("data: {\"choices\":[{\"text\":\"Once\"}]}\n\n", kT0 + milliseconds(30));
  m.on_body(
      "data: {\"choices\":[{\"text\":\" upon\",\"finish_reason\":\"length\"}],"
      "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}\n\n"
      "data: [DONE]\n\n",
      kT0 + milliseconds(50));
  const auto r = m.finish(kT0 + milliseconds(55), ok_outcome());
  EXPECT_EQ(r.endpoint, Endpoint::completions);
  EXPECT_EQ(r.message_count, 3);
  EXPECT_DOUBLE_EQ(r.time_to_first_token_ms.value_or(-1), 30);
  EXPECT_DOUBLE_EQ(r.time_to_last_token_ms.value_or(-1), 50);
  EXPECT_DOUBLE_EQ(r.tokens_per_second.value_or(-1), 2 / 0.05);
  EXPECT_EQ(r.finish_reason, "length");
  EXPECT_TRUE(r.success);
}

TEST(ExchangeMeter, ConnectionFieldsSetByTheCallerSurvive) {
  ExchangeMeter m(Endpoint::embeddings, R"({"model":"e","input":["x","y"]})", kT0, kWallClock);
  m.record().client_address = "10.1.2.3";
  m.record().backend = "http://b:80";
  m.record().api_key_fingerprint = "sha256:0011223344556677";
  m.record().origin = "https://app.example";
  m.on_response_header(200, "application/json", "");
  m.on_body(R"({"data":[{"embedding":[0.1]},{"embedding":[0.2]}],"model":"e",)"
            R"("usage":{"prompt_tokens":4,"total_tokens":4}})",
            kT0 + milliseconds(8));
  const auto r = m.finish(kT0 + milliseconds(9), ok_outcome());
  EXPECT_EQ(r.client_address, "10.1.2.3");
  EXPECT_EQ(r.backend, "http://b:80");
  EXPECT_EQ(r.api_key_fingerprint, "sha256:0011223344556677");
  EXPECT_EQ(r.origin, "https://app.example");
  EXPECT_EQ(r.endpoint, Endpoint::embeddings);
  EXPECT_EQ(r.message_count, 2);
  EXPECT_EQ(r.prompt_tokens, 4);
  EXPECT_EQ(r.total_tokens, 4);
  EXPECT_TRUE(r.success);
}

}  // namespace
}  // namespace lmp::proxy
