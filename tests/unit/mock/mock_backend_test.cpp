// Runs the mock backend in-process on an ephemeral port and checks its answers with a small
// blocking Beast client. Timing checks assert lower bounds only.
#include "mock/mock_backend.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "mock/mock_main.hpp"
#include "mock/mock_request.hpp"

namespace lmp::mock {
namespace {

using namespace net;
namespace bj = boost::json;
using Clock = std::chrono::steady_clock;

struct Reply {
  error_code ec;  // of the read: partial_message when the server cut the body
  unsigned status = 0;
  http::fields headers;
  std::string body;
  std::vector<std::string> chunks;  // each complete chunk, in order
  std::vector<double> chunk_ms;     // when each chunk was complete, from the send
  double total_ms = 0;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// A blocking HTTP/1.1 client on its own io_context, one connection, reusable for keep-alive.
class Client {
 public:
  explicit Client(tcp::endpoint endpoint) : stream_(io_) { stream_.connect(endpoint); }

  Reply send(http::verb method, std::string target, std::string body = {},
             const Headers& headers = {}) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "mock");
    for (const auto& [name, value] : headers) req.insert(name, value);
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.body() = std::move(body);
    req.prepare_payload();

    Reply reply;
    const auto start = Clock::now();
    http::write(stream_, req);
    http::response_parser<http::string_body> parser;
    parser.body_limit(boost::none);
    std::string current;
    std::uint64_t expected = 0;
    auto on_header = [&](std::uint64_t size, std::string_view, error_code&) {
      current.clear();
      expected = size;
    };
    auto on_body = [&](std::uint64_t remain, std::string_view data, error_code&) {
      current.append(data);
      if (current.size() == expected) {
        reply.chunks.push_back(current);
        reply.chunk_ms.push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      }
      (void)remain;
      return data.size();
    };
    parser.on_chunk_header(on_header);
    parser.on_chunk_body(on_body);
    http::read(stream_, buffer_, parser, reply.ec);
    reply.total_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (parser.is_header_done()) {
      reply.status = parser.get().result_int();
      reply.headers = parser.get().base();
    }
    reply.body = parser.get().body();
    // With chunk callbacks the body is delivered to them, not to the string.
    if (reply.body.empty())
      for (const auto& c : reply.chunks) reply.body += c;
    return reply;
  }

 private:
  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

std::vector<std::string> sse_events(const std::string& body) {
  std::vector<std::string> events;
  std::size_t at = 0;
  for (auto end = body.find("\n\n"); end != std::string::npos; end = body.find("\n\n", at)) {
    auto event = body.substr(at, end - at);
    EXPECT_EQ(event.rfind("data: ", 0), 0u) << event;
    events.push_back(event.substr(6));
    at = end + 2;
  }
  EXPECT_EQ(at, body.size()) << "trailing bytes after the last event";
  return events;
}

std::string inflate_gzip(const std::string& data) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::string out(data.size() * 20 + 1024, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

std::vector<float> decode_base64_floats(std::string_view text) {
  std::string bytes;
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char c : text) {
    if (c == '=') break;
    const auto at =
        std::string_view("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
            .find(c);
    acc = (acc << 6) | static_cast<std::uint32_t>(at);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  std::vector<float> out(bytes.size() / 4);
  std::memcpy(out.data(), bytes.data(), out.size() * 4);  // little-endian, as on x86 and ARM
  return out;
}

const std::string kChatBody =
    R"({"model":"llama3:8b","messages":[{"role":"user","content":"Hello there, mock!"}]})";
const std::string kStreamBody =
    R"({"model":"llama3:8b","stream":true,"messages":[{"role":"user","content":"Hi"}]})";
const std::string kStreamUsageBody =
    R"({"model":"llama3:8b","stream":true,"stream_options":{"include_usage":true},)"
    R"("messages":[{"role":"user","content":"Hi"}]})";

class MockBackendTest : public ::testing::Test {
 protected:
  void start(MockOptions options = {}) {
    options.port = 0;
    backend_.emplace(io_.get_executor(), std::move(options));
    backend_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    if (backend_) backend_->stop();
    io_.stop();
    if (thread_.joinable()) thread_.join();
    backend_.reset();
  }
  Client client() { return Client(backend_->endpoint()); }
  Reply post(const std::string& target, const std::string& body, const Headers& headers = {}) {
    return client().send(http::verb::post, target, body, headers);
  }

  asio::io_context io_;
  std::optional<MockBackend> backend_;
  std::thread thread_;
};

TEST_F(MockBackendTest, ChatNonStreamed) {
  start();
  const auto r = post("/v1/chat/completions", kChatBody);
  ASSERT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.headers[http::field::content_type], "application/json");
  EXPECT_EQ(r.headers[http::field::content_length], std::to_string(r.body.size()));
  const auto v = bj::parse(r.body).as_object();
  EXPECT_EQ(v.at("object"), "chat.completion");
  EXPECT_EQ(v.at("model"), "llama3:8b");
  EXPECT_EQ(std::string(v.at("id").as_string()).rfind("chatcmpl-mock-", 0), 0u);
  const auto& choice = v.at("choices").as_array().at(0).as_object();
  EXPECT_EQ(choice.at("finish_reason"), "stop");
  EXPECT_EQ(choice.at("message").at("role"), "assistant");
  EXPECT_FALSE(choice.at("message").at("content").as_string().empty());
  const auto& usage = v.at("usage").as_object();
  EXPECT_EQ(usage.at("prompt_tokens").as_int64(), 5);  // 18 bytes of content: ceil(18 / 4)
  EXPECT_EQ(usage.at("completion_tokens").as_int64(), 16);
  EXPECT_EQ(usage.at("total_tokens").as_int64(), 21);
}

TEST_F(MockBackendTest, ChatStreamEventSequenceWithoutUsage) {
  start();
  const auto r = post("/v1/chat/completions", kStreamBody);
  ASSERT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.headers[http::field::content_type], "text/event-stream");
  EXPECT_EQ(r.headers[http::field::transfer_encoding], "chunked");
  const auto events = sse_events(r.body);
  ASSERT_EQ(events.size(), 1u + 16u + 1u + 1u);
  EXPECT_EQ(r.chunks.size(), events.size()) << "each SSE event is its own chunk";
  const auto first = bj::parse(events[0]);
  EXPECT_EQ(first.at("object"), "chat.completion.chunk");
  EXPECT_EQ(first.at("model"), "llama3:8b");
  EXPECT_EQ(first.at("choices").at(0).at("delta"),
            bj::parse(R"({"role":"assistant","content":""})"));
  std::string text;
  for (std::size_t i = 1; i <= 16; ++i) {
    const auto chunk = bj::parse(events[i]);
    const auto& content = chunk.at("choices").at(0).at("delta").at("content").as_string();
    EXPECT_FALSE(content.empty());
    EXPECT_TRUE(chunk.at("choices").at(0).at("finish_reason").is_null());
    EXPECT_EQ(chunk.at("id"), first.at("id"));
    text += content;
  }
  EXPECT_EQ(text.rfind("The quick brown fox", 0), 0u);
  const auto finish = bj::parse(events[17]);
  EXPECT_EQ(finish.at("choices").at(0).at("finish_reason"), "stop");
  EXPECT_FALSE(finish.as_object().contains("usage"));
  EXPECT_EQ(events[18], "[DONE]");
}

TEST_F(MockBackendTest, ChatStreamUsageChunkComesLast) {
  start();
  const auto r = post("/v1/chat/completions", kStreamUsageBody);
  ASSERT_FALSE(r.ec) << r.ec.message();
  const auto events = sse_events(r.body);
  ASSERT_EQ(events.size(), 1u + 16u + 1u + 1u + 1u);
  EXPECT_EQ(events.back(), "[DONE]");
  const auto usage_chunk = bj::parse(events[events.size() - 2]);
  EXPECT_TRUE(usage_chunk.at("choices").as_array().empty());
  EXPECT_EQ(usage_chunk.at("usage"),
            bj::parse(R"({"prompt_tokens":1,"completion_tokens":16,"total_tokens":17})"));
  EXPECT_EQ(bj::parse(events[events.size() - 3]).at("choices").at(0).at("finish_reason"), "stop");
}

TEST_F(MockBackendTest, NoUsageHeaderDropsUsageEverywhere) {
  start();
  const auto r = post("/v1/chat/completions", kChatBody, {{"X-Mock-No-Usage", "1"}});
  EXPECT_FALSE(bj::parse(r.body).as_object().contains("usage"));
  const auto s = post("/v1/chat/completions", kStreamUsageBody, {{"X-Mock-No-Usage", "1"}});
  EXPECT_EQ(sse_events(s.body).size(), 1u + 16u + 1u + 1u);
}

TEST_F(MockBackendTest, MaxTokensBelowConfiguredEndsWithLength) {
  start();
  const auto r =
      post("/v1/chat/completions", R"({"model":"m","max_tokens":5,"stream":true,"stream_options":)"
                                   R"({"include_usage":true},"messages":[]})");
  const auto events = sse_events(r.body);
  ASSERT_EQ(events.size(), 1u + 5u + 1u + 1u + 1u);
  EXPECT_EQ(bj::parse(events[6]).at("choices").at(0).at("finish_reason"), "length");
  EXPECT_EQ(bj::parse(events[7]).at("usage").at("completion_tokens").as_int64(), 5);
  const auto n = post("/v1/chat/completions", R"({"model":"m","max_tokens":3,"messages":[]})");
  const auto v = bj::parse(n.body);
  EXPECT_EQ(v.at("choices").at(0).at("finish_reason"), "length");
  EXPECT_EQ(v.at("choices").at(0).at("message").at("content"), "The quick brown");
}

TEST_F(MockBackendTest, CompletionTokensOverride) {
  start({.completion_tokens = 4});
  auto v = bj::parse(post("/v1/chat/completions", kChatBody).body);
  EXPECT_EQ(v.at("usage").at("completion_tokens").as_int64(), 4);
  v = bj::parse(post("/v1/chat/completions", kChatBody, {{"X-Mock-Completion-Tokens", "7"}}).body);
  EXPECT_EQ(v.at("usage").at("completion_tokens").as_int64(), 7);
}

TEST_F(MockBackendTest, TextCompletions) {
  start();
  const auto r =
      post("/v1/completions", R"({"model":"gpt-3.5-turbo-instruct","prompt":"abcdefgh"})");
  ASSERT_EQ(r.status, 200u);
  const auto v = bj::parse(r.body);
  EXPECT_EQ(v.at("object"), "text_completion");
  EXPECT_EQ(std::string(v.at("id").as_string()).rfind("cmpl-mock-", 0), 0u);
  EXPECT_FALSE(v.at("choices").at(0).at("text").as_string().empty());
  EXPECT_EQ(v.at("usage").at("prompt_tokens").as_int64(), 2);

  const auto s = post("/v1/completions", R"({"model":"x","prompt":"abc","stream":true,)"
                                         R"("stream_options":{"include_usage":true}})");
  const auto events = sse_events(s.body);
  ASSERT_EQ(events.size(), 16u + 1u + 1u + 1u);  // no role chunk for text completions
  EXPECT_EQ(bj::parse(events[0]).at("object"), "text_completion");
  EXPECT_EQ(bj::parse(events[0]).at("choices").at(0).at("text"), "The");
  EXPECT_EQ(bj::parse(events[16]).at("choices").at(0).at("finish_reason"), "stop");
  EXPECT_TRUE(bj::parse(events[17]).at("choices").as_array().empty());
  EXPECT_EQ(events[18], "[DONE]");
}

TEST_F(MockBackendTest, Embeddings) {
  start();
  const auto one = bj::parse(post("/v1/embeddings", R"({"model":"e","input":"hello world"})").body);
  EXPECT_EQ(one.at("object"), "list");
  EXPECT_EQ(one.at("model"), "e");
  ASSERT_EQ(one.at("data").as_array().size(), 1u);
  EXPECT_EQ(one.at("data").at(0).at("embedding").as_array().size(), 8u);
  EXPECT_EQ(one.at("usage"), bj::parse(R"({"prompt_tokens":3,"total_tokens":3})"));

  const auto two = bj::parse(post("/v1/embeddings", R"({"input":["hello world","x"]})").body);
  ASSERT_EQ(two.at("data").as_array().size(), 2u);
  EXPECT_EQ(two.at("data").at(1).at("index").as_int64(), 1);
  EXPECT_EQ(two.at("data").at(0).at("embedding"), one.at("data").at(0).at("embedding"))
      << "equal inputs give equal vectors";
  EXPECT_NE(two.at("data").at(1).at("embedding"), one.at("data").at(0).at("embedding"));
  for (const auto& x : two.at("data").at(1).at("embedding").as_array()) {
    EXPECT_GE(x.as_double(), -1.0);
    EXPECT_LE(x.as_double(), 1.0);
  }
  EXPECT_EQ(post("/v1/embeddings", R"({"model":"e"})").status, 400u);
}

TEST_F(MockBackendTest, EmbeddingsInBase64MatchTheFloats) {
  start();
  const auto floats = bj::parse(post("/v1/embeddings", R"({"input":"abc","dimensions":5})").body);
  const auto b64 = bj::parse(
      post("/v1/embeddings", R"({"input":"abc","dimensions":5,"encoding_format":"base64"})").body);
  const auto& expected = floats.at("data").at(0).at("embedding").as_array();
  const auto got = decode_base64_floats(b64.at("data").at(0).at("embedding").as_string());
  ASSERT_EQ(got.size(), 5u);
  ASSERT_EQ(expected.size(), 5u);
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i].as_double(), 1e-6);
}

TEST_F(MockBackendTest, ModelsAndNotFound) {
  start();
  auto c = client();
  const auto r = c.send(http::verb::get, "/v1/models");
  ASSERT_EQ(r.status, 200u);
  const auto v = bj::parse(r.body);
  EXPECT_EQ(v.at("object"), "list");
  EXPECT_EQ(v.at("data").at(0).at("id"), "mock-small");
  const auto nf = c.send(http::verb::get, "/v1/nope");
  EXPECT_EQ(nf.status, 404u);
  EXPECT_EQ(bj::parse(nf.body).at("error").at("type"), "invalid_request_error");
}

TEST_F(MockBackendTest, BadJsonIsAnOpenAIError) {
  start();
  const auto r = post("/v1/chat/completions", "{not json");
  EXPECT_EQ(r.status, 400u);
  const auto e = bj::parse(r.body).at("error");
  EXPECT_NE(std::string(e.at("message").as_string()).find("not valid JSON"), std::string::npos);
  EXPECT_EQ(e.at("type"), "invalid_request_error");
  EXPECT_EQ(post("/v1/chat/completions", "[1,2]").status, 400u);
}

TEST_F(MockBackendTest, InvalidMockHeaderIsA400NamingIt) {
  start();
  const auto r = post("/v1/chat/completions", kChatBody, {{"X-Mock-TTFT-Ms", "soon"}});
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.body.find("X-Mock-TTFT-Ms"), std::string::npos);
}

TEST_F(MockBackendTest, MockStatusAnswersJsonErrorEvenForStreams) {
  start();
  const auto r = post("/v1/chat/completions", kStreamBody, {{"X-Mock-Status", "503"}});
  ASSERT_FALSE(r.ec);
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.headers[http::field::content_type], "application/json");
  const auto e = bj::parse(r.body).at("error");
  EXPECT_EQ(e.at("type"), "server_error");
  EXPECT_EQ(e.at("code"), "service_unavailable");
  EXPECT_FALSE(e.at("message").as_string().empty());
  const auto limited = post("/v1/chat/completions", kChatBody, {{"X-Mock-Status", "429"}});
  EXPECT_EQ(limited.status, 429u);
  EXPECT_EQ(bj::parse(limited.body).at("error").at("type"), "rate_limit_error");
  EXPECT_EQ(post("/v1/chat/completions", kChatBody, {{"x-mock-status", "401"}}).status, 401u);
}

TEST_F(MockBackendTest, CloseAfterEventsCutsTheStream) {
  start();
  const auto r =
      post("/v1/chat/completions", kStreamUsageBody, {{"X-Mock-Close-After-Events", "3"}});
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.ec, http::error::partial_message) << r.ec.message();
  const auto events = sse_events(r.body);
  ASSERT_EQ(events.size(), 3u);  // role + two tokens
  EXPECT_EQ(r.body.find("[DONE]"), std::string::npos);
  // Even past the last data event, the end is still cut: no [DONE], no last chunk.
  const auto all = post("/v1/chat/completions", kStreamBody, {{"X-Mock-Close-After-Events", "99"}});
  EXPECT_EQ(all.ec, http::error::partial_message);
  EXPECT_EQ(sse_events(all.body).size(), 18u);
}

TEST_F(MockBackendTest, GzipBodyInflatesToTheSameJson) {
  start();
  const auto plain = client().send(http::verb::get, "/v1/models");
  const auto gz = client().send(http::verb::get, "/v1/models", {}, {{"X-Mock-Gzip", "1"}});
  ASSERT_EQ(gz.status, 200u);
  EXPECT_EQ(gz.headers[http::field::content_encoding], "gzip");
  EXPECT_EQ(gz.headers[http::field::content_length], std::to_string(gz.body.size()));
  EXPECT_NE(gz.body, plain.body);
  EXPECT_EQ(inflate_gzip(gz.body), plain.body);
  const auto chat = post("/v1/chat/completions", kChatBody, {{"X-Mock-Gzip", "1"}});
  EXPECT_EQ(bj::parse(inflate_gzip(chat.body)).at("usage").at("completion_tokens").as_int64(), 16);
}

TEST_F(MockBackendTest, ChunkedJsonBody) {
  start();
  const auto plain = client().send(http::verb::get, "/v1/models");
  const auto r = client().send(http::verb::get, "/v1/models", {}, {{"X-Mock-Chunked", "1"}});
  ASSERT_FALSE(r.ec);
  EXPECT_EQ(r.headers[http::field::transfer_encoding], "chunked");
  EXPECT_EQ(r.headers.count(http::field::content_length), 0u);
  EXPECT_EQ(r.chunks.size(), 3u);
  EXPECT_EQ(r.body, plain.body);
  const auto both =
      post("/v1/chat/completions", kChatBody, {{"X-Mock-Chunked", "1"}, {"X-Mock-Gzip", "1"}});
  EXPECT_EQ(both.headers[http::field::transfer_encoding], "chunked");
  EXPECT_EQ(bj::parse(inflate_gzip(both.body)).at("object"), "chat.completion");
}

TEST_F(MockBackendTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  auto c = client();
  for (int i = 0; i < 3; ++i) {
    const auto r =
        c.send(http::verb::post, "/v1/chat/completions", i == 1 ? kStreamBody : kChatBody);
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(r.status, 200u);
  }
  EXPECT_EQ(backend_->requests_received(), 3u);
}

TEST_F(MockBackendTest, EchoesReceivedHeaders) {
  start();
  const auto r = post("/v1/chat/completions", kChatBody,
                      {{"X-Mock-Echo-Headers", "1"},
                       {"Authorization", "Bearer sk-test"},
                       {"X-Forwarded-For", "10.0.0.1"},
                       {"X-Forwarded-For", "10.0.0.2"}});
  const auto echoed = bj::parse(std::string(r.headers["X-Mock-Received-Headers"])).as_object();
  EXPECT_EQ(echoed.at("Authorization"), "Bearer sk-test");
  EXPECT_EQ(echoed.at("X-Forwarded-For"), "10.0.0.1, 10.0.0.2");
  EXPECT_EQ(echoed.at("Host"), "mock");
  EXPECT_EQ(r.status, 200u);
}

TEST_F(MockBackendTest, TimingLowerBoundsAreHonoured) {
  start({.ttft_ms = 60});
  const auto nonstream = post("/v1/chat/completions", kChatBody);
  EXPECT_GE(nonstream.total_ms, 60.0);

  const auto s = post("/v1/chat/completions", kStreamBody,
                      {{"X-Mock-TTFT-Ms", "50"},
                       {"X-Mock-Token-Interval-Ms", "20"},
                       {"X-Mock-Completion-Tokens", "4"}});
  ASSERT_FALSE(s.ec);
  ASSERT_EQ(s.chunk_ms.size(), 1u + 4u + 1u + 1u);
  EXPECT_GE(s.chunk_ms[1], 50.0) << "first token after the TTFT";
  // Measured from the send, so a late read of an earlier chunk cannot make this fail.
  EXPECT_GE(s.chunk_ms[4], 50.0 + 3 * 20.0) << "fourth token after three intervals";
  EXPECT_GE(s.total_ms, 110.0);

  const auto stalled = post("/v1/models", "", {{"X-Mock-Stall-Ms", "80"}});
  EXPECT_GE(stalled.total_ms, 80.0);
}

TEST_F(MockBackendTest, TokensPerSecondSpacesTokens) {
  start({.tokens_per_second = 50, .completion_tokens = 5});  // 20 ms apart
  const auto s = post("/v1/chat/completions", kStreamBody);
  ASSERT_FALSE(s.ec);
  EXPECT_GE(s.total_ms, 4 * 20.0 - 1.0);
}

TEST_F(MockBackendTest, StopRefusesNewConnections) {
  start();
  const auto endpoint = backend_->endpoint();
  backend_->stop();
  asio::io_context io;
  tcp::socket socket(io);
  error_code ec;
  socket.connect(endpoint, ec);
  EXPECT_TRUE(ec);
}

TEST(MockRequest, PromptTokensRule) {
  EXPECT_EQ(prompt_tokens_for(0), 1);
  EXPECT_EQ(prompt_tokens_for(4), 1);
  EXPECT_EQ(prompt_tokens_for(5), 2);
  EXPECT_EQ(prompt_tokens_for(8, 3), 5);
  const auto parts = parse_request(
      Endpoint::chat,
      R"({"messages":[{"role":"system","content":"abcd"},)"
      R"({"role":"user","content":[{"type":"text","text":"efgh"},{"type":"image_url"}]}]})");
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->prompt_tokens, 2);
  EXPECT_EQ(parts->model, "mock-small");
  const auto tokens = parse_request(Endpoint::completions, R"({"prompt":[1,2,3,4,5,6]})");
  ASSERT_TRUE(tokens.ok());
  EXPECT_EQ(tokens->prompt_tokens, 6);
}

TEST(MockMain, HelpAndBadFlags) {
  char name[] = "mock-backend";
  char help[] = "--help";
  char* help_argv[] = {name, help};
  testing::internal::CaptureStdout();
  EXPECT_EQ(run_mock_backend(2, help_argv), 0);
  const auto out = testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("--tokens-per-second"), std::string::npos);
  EXPECT_NE(out.find("X-Mock-Close-After-Events"), std::string::npos);

  char bad[] = "--bogus";
  char* bad_argv[] = {name, bad};
  testing::internal::CaptureStderr();
  EXPECT_EQ(run_mock_backend(2, bad_argv), 2);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("--bogus"), std::string::npos);
}

}  // namespace
}  // namespace lmp::mock
