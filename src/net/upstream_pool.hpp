// Keep-alive connections to the backend (plain TCP or TLS), reused across client connections
// so that a request does not pay for a TCP and TLS handshake each time.
#pragma once

#include <boost/asio/ssl.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <variant>
#include <vector>

#include "net/asio.hpp"
#include "net/backend_target.hpp"

namespace lmp::net {

using PlainStream = LoopSocket;
// Asio's TLS stream rather than Beast's wrapper: Beast's takes only completion tokens of the
// older async_result form, not the deferred one the proxy awaits (net/asio.hpp).
using TlsStream = asio::ssl::stream<LoopSocket>;

struct UpstreamConnection {
  std::variant<PlainStream, TlsStream> stream;
  beast::flat_buffer buffer;  // bytes read past the previous response (normally empty)
  bool reused = false;        // came from the pool: the backend may have closed it meanwhile
  // How much to ask for in the next read from the backend. It starts small, so that each of
  // thousands of streams held open keeps only a few KiB, and doubles while reads fill it.
  std::size_t read_size = kMinReadSize;
  static constexpr std::size_t kMinReadSize = 4096;
  static constexpr std::size_t kMaxReadSize = 65536;
  static constexpr std::size_t kMaxKeptBytes = 16384;  // buffer an idle pooled connection keeps

  // Bytes to ask for now, and what a read of n bytes says about the next one.
  auto prepare_read() { return buffer.prepare(read_size); }
  void note_read(std::size_t n) {
    if (n == read_size && read_size < kMaxReadSize) read_size *= 2;
  }

  PlainStream& tcp() {
    return std::visit([](auto& s) -> PlainStream& { return beast::get_lowest_layer(s); }, stream);
  }
  void close();
};

struct UpstreamOptions {
  std::chrono::milliseconds connect_timeout{5'000};
  std::size_t max_idle = 256;                     // idle connections kept
  std::chrono::milliseconds idle_expiry{60'000};  // idle longer than this: not reused
  std::string ca_file;                            // extra CA bundle for TLS, or the system store
  bool verify_tls = true;
};

// Idle connections are kept per event loop (the executor a connection was made on): a session
// only ever gets a connection that belongs to its own loop, so its I/O never crosses threads.
class UpstreamPool {
 public:
  // Throws std::runtime_error (naming the file) if the CA file cannot be loaded.
  UpstreamPool(BackendTarget target, UpstreamOptions options);

  // A pooled connection of this loop that still looks alive, or nullptr. Not a coroutine: the
  // common case (a connection is idle) costs no coroutine frame and no resumption. `now`: a
  // caller that read the clock moments ago passes that instant instead of reading it again.
  std::unique_ptr<UpstreamConnection> take_idle(
      const LoopExecutor& loop,
      std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());
  // Connects a new connection on the loop (when none is idle, or to retry after a stale one
  // failed). On failure returns nullptr and sets ec (beast::error::timeout when connecting, TLS
  // handshake included, took too long).
  loop_awaitable<std::unique_ptr<UpstreamConnection>> connect(const LoopExecutor& loop,
                                                              error_code& ec);

  // Returns a connection whose last response was read completely and which may be kept.
  // `idle_since`: when it fell idle; the caller may pass the instant the response's last bytes
  // were read (the backend has been idle since it sent them) instead of reading the clock.
  void release(std::unique_ptr<UpstreamConnection> connection,
               std::chrono::steady_clock::time_point idle_since = std::chrono::steady_clock::now());

  // Closes this loop's idle connections that have expired or that the backend has closed (a
  // peek each), and returns how many. Run on the loop, every few seconds (app::ProxyApp): an
  // idle proxy would otherwise keep them, and their descriptors, until the next request, which
  // would then pay a peek and a close for each dead one before it connects anew.
  std::size_t close_stale(const LoopExecutor& loop);

  // Closes idle connections (at shutdown).
  void close_idle();

  const BackendTarget& target() const { return target_; }

 private:
  struct Idle {
    std::unique_ptr<UpstreamConnection> connection;
    std::chrono::steady_clock::time_point since;
  };
  struct Shard {
    const asio::execution_context* loop;
    std::vector<Idle> idle;
  };
  static const asio::execution_context* loop_of(const LoopExecutor& loop) {
    return &loop.context();
  }
  Shard& shard_for(const asio::execution_context* loop);  // with mutex_ held

  BackendTarget target_;
  UpstreamOptions options_;
  std::optional<asio::ssl::context> tls_context_;
  // Uncontended in practice: a shard is used by one loop; the lock is for close_idle().
  std::mutex mutex_;
  std::vector<Shard> shards_;  // one per loop that has used the pool; a handful at most
  std::size_t idle_count_ = 0;
  // Resolved once and refreshed on connect failure, so a request does not wait on DNS.
  std::mutex resolve_mutex_;
  tcp::resolver::results_type endpoints_;
};

}  // namespace lmp::net
