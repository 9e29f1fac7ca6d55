// An OpenAI-compatible simulated inference server (chat, completions, embeddings, models)
// with scripted timing and failures, for tests, benchmarks and the demo.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "net/asio.hpp"
#include "net/http_server.hpp"

namespace lmp::net {
class Listener;
}

namespace lmp::mock {

struct MockOptions {
  std::string listen_address = "127.0.0.1";
  unsigned short port = 11434;   // 0: an ephemeral port, see MockBackend::endpoint()
  double ttft_ms = 0;            // delay before the first generated token
  double tokens_per_second = 0;  // 0: no delay between tokens
  std::int64_t completion_tokens = 16;
  // Large bodies are allowed so the proxy's own size limits can be tested through the mock.
  net::ServerLimits limits{.max_body_bytes = 32 << 20};
};

class MockBackend {
 public:
  // Binds the listening socket at once; throws std::runtime_error naming the address when it
  // cannot. Destroy the backend only after its io_context has stopped running.
  MockBackend(net::asio::any_io_executor executor, MockOptions options);
  ~MockBackend();
  MockBackend(const MockBackend&) = delete;
  MockBackend& operator=(const MockBackend&) = delete;

  // Starts accepting connections on the executor.
  void start();
  // The bound endpoint, with the real port when port 0 was asked for.
  net::tcp::endpoint endpoint() const;
  // Stops accepting. A request that arrives later on an open kept-alive connection is not
  // answered: its connection is closed, as a backend that went away would do.
  void stop();

  // Requests received so far (including ones answered with errors).
  std::uint64_t requests_received() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
  std::unique_ptr<net::Listener> listener_;
};

}  // namespace lmp::mock
