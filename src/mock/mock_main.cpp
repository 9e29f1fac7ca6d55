#include "mock/mock_main.hpp"

#include <fmt/format.h>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "mock/mock_backend.hpp"

namespace lmp::mock {
namespace {

constexpr std::string_view kHelp = R"(Usage: llm-metrics-proxy mock-backend [flags]

An OpenAI-compatible simulated inference server for tests, benchmarks and demos.

Flags (--name value or --name=value):
  --listen-address ADDR    address to listen on (default 127.0.0.1)
  --port N                 port to listen on; 0 picks a free one (default 11434)
  --threads N              I/O threads (default 1)
  --ttft-ms MS             delay before the first generated token (default 0)
  --tokens-per-second R    generation speed; 0 means no delay between tokens (default 0)
  --completion-tokens N    tokens generated per answer (default 16)
  --fast                   no delays at all, for benchmarks (same as --ttft-ms 0
                           --tokens-per-second 0; X-Mock-* headers still apply)
  -h, --help               print this help

Endpoints:
  POST /v1/chat/completions   streamed ("stream": true, SSE) or not
  POST /v1/completions        streamed or not, choices[].text
  POST /v1/embeddings         "input": string or array; small deterministic vectors
  GET  /v1/models             mock-small, mock-large, mock-embed (any model name works)
  anything else               404 with an OpenAI-style error body

Usage numbers are deterministic: prompt_tokens = ceil(B / 4), at least 1, where B is the
number of UTF-8 bytes of all message contents (chat: string contents and the "text" of
content parts) or of all prompt/input strings; a pre-tokenized prompt (array of integers)
counts one token per integer. completion_tokens = --completion-tokens, or max_tokens
(max_completion_tokens) when smaller, and then finish_reason is "length".
total_tokens = prompt_tokens + completion_tokens.

A stream sends a role-only chunk (chat only), one chunk per token after --ttft-ms and
then every token interval, a chunk with finish_reason, a usage chunk with empty choices
when "stream_options": {"include_usage": true}, then "data: [DONE]". A non-streamed answer
is sent when its last token would have been generated.

Per-request headers:
  X-Mock-Status: CODE             answer CODE (400-599) with an OpenAI error JSON body,
                                  also for stream requests (2xx: the normal answer)
  X-Mock-TTFT-Ms: MS              delay before the first token
  X-Mock-Token-Interval-Ms: MS    delay between token events
  X-Mock-Completion-Tokens: N     tokens to generate
  X-Mock-Stall-Ms: MS             wait this long before sending the response headers
  X-Mock-Close-After-Events: N    stream: close the connection after N data events
                                  (role, token, finish and usage chunks count; [DONE]
                                  does not), with no terminating chunk nor [DONE]
  X-Mock-Gzip: 1                  gzip the JSON body (Content-Encoding: gzip)
  X-Mock-Chunked: 1               send the JSON body chunked instead of Content-Length
  X-Mock-No-Usage: 1              leave usage out (body and usage chunk)
  X-Mock-Echo-Headers: 1          put the received request headers, as a JSON object,
                                  in the response header X-Mock-Received-Headers
)";

struct Flags {
  MockOptions options;
  unsigned threads = 1;
  bool help = false;
};

template <class T>
std::optional<T> parse_number(std::string_view text) {
  T out{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return out;
}

// Returns an error message, or nothing when the flags are all valid.
std::optional<std::string> parse_flags(int argc, char** argv, Flags& flags) {
  bool fast = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      flags.help = true;
      continue;
    }
    if (arg == "--fast") {
      fast = true;
      continue;
    }
    if (!arg.starts_with("--")) return fmt::format("unexpected argument '{}'", arg);
    std::string_view name = arg;
    std::optional<std::string_view> value;
    if (const auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    auto take_value = [&]() -> std::optional<std::string_view> {
      if (value) return value;
      if (i + 1 < argc) return std::string_view(argv[++i]);
      return std::nullopt;
    };
    auto& o = flags.options;
    if (name == "--listen-address") {
      const auto v = take_value();
      if (!v || v->empty()) return "--listen-address needs an address, e.g. 127.0.0.1";
      o.listen_address = std::string(*v);
    } else if (name == "--port") {
      const auto v = take_value();
      const auto n = v ? parse_number<unsigned>(*v) : std::nullopt;
      if (!n || *n > 65535) return "--port needs a port number between 0 and 65535";
      o.port = static_cast<unsigned short>(*n);
    } else if (name == "--threads") {
      const auto v = take_value();
      const auto n = v ? parse_number<unsigned>(*v) : std::nullopt;
      if (!n || *n < 1 || *n > 1024) return "--threads needs a number between 1 and 1024";
      flags.threads = *n;
    } else if (name == "--ttft-ms") {
      const auto v = take_value();
      const auto n = v ? parse_number<double>(*v) : std::nullopt;
      if (!n || !(*n >= 0 && *n <= 600'000))
        return "--ttft-ms needs milliseconds between 0 and 600000";
      o.ttft_ms = *n;
    } else if (name == "--tokens-per-second") {
      const auto v = take_value();
      const auto n = v ? parse_number<double>(*v) : std::nullopt;
      if (!n || !(*n >= 0 && *n <= 1e9))
        return "--tokens-per-second needs a non-negative number (0: no delay)";
      o.tokens_per_second = *n;
    } else if (name == "--completion-tokens") {
      const auto v = take_value();
      const auto n = v ? parse_number<std::int64_t>(*v) : std::nullopt;
      if (!n || *n < 0 || *n > 1'000'000)
        return "--completion-tokens needs a number between 0 and 1000000";
      o.completion_tokens = *n;
    } else {
      return fmt::format("unknown flag '{}'", name);
    }
  }
  if (fast) {
    flags.options.ttft_ms = 0;
    flags.options.tokens_per_second = 0;
  }
  return std::nullopt;
}

}  // namespace

int run_mock_backend(int argc, char** argv) {
  Flags flags;
  if (auto problem = parse_flags(argc, argv, flags)) {
    fmt::print(stderr,
               "mock-backend: {}\nRun 'llm-metrics-proxy mock-backend --help' for the flags.\n",
               *problem);
    return 2;
  }
  if (flags.help) {
    fmt::print("{}", kHelp);
    std::fflush(stdout);
    return 0;
  }

  net::asio::io_context io(static_cast<int>(flags.threads));
  std::optional<MockBackend> backend;
  try {
    backend.emplace(io.get_executor(), flags.options);
  } catch (const std::exception& e) {
    fmt::print(stderr, "mock-backend: {}\n", e.what());
    return 1;
  }
  net::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const net::error_code& ec, int) {
    if (ec) return;
    backend->stop();
    io.stop();
  });
  backend->start();

  const auto endpoint = backend->endpoint();
  const auto address = endpoint.address();
  fmt::print("mock backend listening on {}:{}\n",
             address.is_v6() ? "[" + address.to_string() + "]" : address.to_string(),
             endpoint.port());
  std::fflush(stdout);

  std::vector<std::thread> threads;
  for (unsigned i = 1; i < flags.threads; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
  // Connections still open are dropped with the io_context, after the backend is gone.
  backend.reset();
  return 0;
}

}  // namespace lmp::mock
