#include "net/upstream_pool.hpp"

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <stdexcept>

#include "support/log.hpp"

namespace lmp::net {
namespace {

// A pooled connection idle for less than this is used without first checking that the backend
// has not closed it.
constexpr auto kPeekAfterIdle = std::chrono::seconds(1);

// True if the peer has closed the connection or sent unexpected bytes while it sat idle:
// a cheap non-blocking peek instead of finding out through a failed request.
bool looks_dead(UpstreamConnection& c) {
  if (c.buffer.size() > 0) return true;
  auto& socket = c.tcp();
  if (!socket.is_open()) return true;
  char byte;
  const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return true;                            // orderly close
  if (n > 0) return true;                             // stray bytes (or TLS alert)
  return !(errno == EAGAIN || errno == EWOULDBLOCK);  // reset or other error
}

}  // namespace

void UpstreamConnection::close() {
  error_code ec;
  tcp().shutdown(tcp::socket::shutdown_both, ec);
  tcp().close(ec);
}

UpstreamPool::UpstreamPool(BackendTarget target, UpstreamOptions options)
    : target_(std::move(target)), options_(std::move(options)) {
  if (target_.tls) {
    tls_context_.emplace(asio::ssl::context::tls_client);
    auto& ctx = *tls_context_;
    ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                    asio::ssl::context::no_tlsv1_1);
    error_code ec;
    ctx.set_default_verify_paths(ec);
    if (ec) log::warning("could not load the system CA store: {}", ec.message());
    if (!options_.ca_file.empty()) {
      ctx.load_verify_file(options_.ca_file, ec);
      if (ec)
        throw std::runtime_error("cannot load the CA file '" + options_.ca_file +
                                 "': " + ec.message() + " (it must be a PEM bundle)");
    }
    ctx.set_verify_mode(options_.verify_tls ? asio::ssl::verify_peer : asio::ssl::verify_none);
  }
}

UpstreamPool::Shard& UpstreamPool::shard_for(const asio::execution_context* loop) {
  for (auto& shard : shards_)
    if (shard.loop == loop) return shard;
  return shards_.emplace_back(Shard{loop, {}});
}

std::unique_ptr<UpstreamConnection> UpstreamPool::take_idle(
    const LoopExecutor& executor, std::chrono::steady_clock::time_point now) {
  const auto* loop = loop_of(executor);
  for (;;) {
    std::unique_ptr<UpstreamConnection> candidate;
    std::chrono::steady_clock::duration idle_for{};
    {
      std::lock_guard lock(mutex_);
      auto& idle = shard_for(loop).idle;
      if (idle.empty()) return nullptr;
      // Most recently used first: it is the least likely to have been closed by the backend.
      Idle entry = std::move(idle.back());
      idle.pop_back();
      --idle_count_;
      idle_for = now - entry.since;
      if (idle_for > options_.idle_expiry) {
        entry.connection->close();
        continue;
      }
      candidate = std::move(entry.connection);
    }
    // The peek costs a syscall per request; a connection back from a response moments ago is
    // almost surely alive, and if it is not, the request is retried on a new connection.
    if (idle_for >= kPeekAfterIdle && looks_dead(*candidate)) {
      candidate->close();
      continue;
    }
    candidate->reused = true;
    return candidate;
  }
}

loop_awaitable<std::unique_ptr<UpstreamConnection>> UpstreamPool::connect(
    const LoopExecutor& executor, error_code& ec) {
  tcp::resolver::results_type endpoints;
  {
    std::lock_guard lock(resolve_mutex_);
    endpoints = endpoints_;
  }
  if (endpoints.empty()) {
    tcp::resolver resolver(executor);
    auto [rec, results] = co_await resolver.async_resolve(target_.host, target_.port, use_nothrow);
    if (rec) {
      ec = rec;
      co_return nullptr;
    }
    endpoints = results;
    std::lock_guard lock(resolve_mutex_);
    endpoints_ = results;
  }

  auto connection = std::make_unique<UpstreamConnection>(UpstreamConnection{
      target_.tls ? std::variant<PlainStream, TlsStream>(std::in_place_type<TlsStream>, executor,
                                                         *tls_context_)
                  : std::variant<PlainStream, TlsStream>(std::in_place_type<PlainStream>, executor),
      {},
      false});
  auto& socket = connection->tcp();
  // One timer over the connect and the TLS handshake: when it expires it cancels what the
  // socket is waiting on. The handler runs on this loop, so `connecting` tells it whether the
  // socket (owned by this frame) is still waited on.
  struct Deadline {
    bool connecting = true;
    bool expired = false;
  };
  const auto deadline = std::make_shared<Deadline>();
  asio::steady_timer timer(executor, options_.connect_timeout);
  timer.async_wait([deadline, &socket](const error_code& tec) {
    if (tec || !deadline->connecting) return;
    deadline->expired = true;
    error_code ignored;
    socket.cancel(ignored);
  });
  // However this frame is left (an exception included), the handler must not touch the socket
  // after; the timer itself is cancelled by its destructor.
  struct Disarm {
    Deadline& d;
    ~Disarm() { d.connecting = false; }
  } disarm{*deadline};
  // An operation the expired timer cancelled reads as a timeout.
  const auto failure = [&](error_code e) {
    return deadline->expired ? error_code(beast::error::timeout) : e;
  };
  auto [cec, endpoint] = co_await asio::async_connect(socket, endpoints, use_nothrow);
  (void)endpoint;
  if (cec) {
    // The address may have changed: resolve again next time.
    std::lock_guard lock(resolve_mutex_);
    endpoints_ = {};
    ec = failure(cec);
    co_return nullptr;
  }
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);

  if (auto* tls = std::get_if<TlsStream>(&connection->stream)) {
    if (!SSL_set_tlsext_host_name(tls->native_handle(), target_.host.c_str())) {
      ec = error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
      co_return nullptr;
    }
    tls->set_verify_callback(asio::ssl::host_name_verification(target_.host));
    auto [hec] = co_await tls->async_handshake(asio::ssl::stream_base::client, use_nothrow);
    if (hec) {
      ec = failure(hec);
      co_return nullptr;
    }
  }
  ec = {};
  co_return connection;
}

void UpstreamPool::release(std::unique_ptr<UpstreamConnection> connection,
                           std::chrono::steady_clock::time_point idle_since) {
  if (!connection) return;
  // A pooled connection keeps the read size its responses needed (a 14 KB stream is then read
  // in one read, not 4 + 8 + 2 KiB), but not a buffer grown past 16 KiB.
  if (connection->buffer.size() == 0 &&
      connection->buffer.capacity() > UpstreamConnection::kMaxKeptBytes) {
    connection->buffer.shrink_to_fit();
    connection->read_size = UpstreamConnection::kMinReadSize;
  }
  const auto* loop = loop_of(connection->tcp().get_executor());
  std::lock_guard lock(mutex_);
  if (idle_count_ >= options_.max_idle) {
    connection->close();
    return;
  }
  shard_for(loop).idle.push_back({std::move(connection), idle_since});
  ++idle_count_;
}

std::size_t UpstreamPool::close_stale(const LoopExecutor& executor) {
  const auto now = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<UpstreamConnection>> stale;
  {
    std::lock_guard lock(mutex_);
    auto& idle = shard_for(loop_of(executor)).idle;
    // Unlike take_idle, every connection is peeked, however recently used: the sweep is off the
    // request path. The order (most recently used last) is kept.
    std::size_t kept = 0;
    for (auto& entry : idle) {
      if (now - entry.since > options_.idle_expiry || looks_dead(*entry.connection))
        stale.push_back(std::move(entry.connection));
      else {
        if (&entry != &idle[kept]) idle[kept] = std::move(entry);
        ++kept;
      }
    }
    idle.resize(kept);
    idle_count_ -= stale.size();
  }
  for (auto& connection : stale) connection->close();
  return stale.size();
}

void UpstreamPool::close_idle() {
  // Called from another thread than the loops' at shutdown; closing a socket that no operation
  // is waiting on is safe there.
  std::lock_guard lock(mutex_);
  for (auto& shard : shards_) {
    for (auto& entry : shard.idle) entry.connection->close();
    shard.idle.clear();
  }
  idle_count_ = 0;
}

}  // namespace lmp::net
