#include "proxy/proxy_server.hpp"

#include "proxy/client_watch.hpp"

#include "proxy/proxy_session.hpp"

namespace lmp::proxy {

ProxyServer::ProxyServer(std::shared_ptr<net::UpstreamPool> pool, recording::Recorder& recorder,
                         ProxyOptions options)
    : pool_(std::move(pool)), recorder_(recorder), options_(options) {}

ProxyServer::~ProxyServer() = default;

ClientWatch& ProxyServer::client_watch(const net::LoopExecutor& loop) {
  std::lock_guard lock(watches_mutex_);
  const auto* context = &loop.context();
  for (auto& [owner, watch] : watches_)
    if (owner == context) return *watch;
  return *watches_.emplace_back(context, std::make_unique<ClientWatch>(loop)).second;
}

net::loop_awaitable<void> ProxyServer::serve(net::LoopSocket socket) {
  ProxySession session(*this, std::move(socket));
  co_await session.run();
}

void ProxyServer::track(const std::shared_ptr<SessionControl>& control) {
  std::lock_guard lock(sessions_mutex_);
  sessions_.insert(control);
  const auto now_active = active_.fetch_add(1) + 1;
  if (now_active > peak_.load(std::memory_order_relaxed))
    peak_.store(now_active, std::memory_order_relaxed);
}

void ProxyServer::untrack(const std::shared_ptr<SessionControl>& control) {
  std::lock_guard lock(sessions_mutex_);
  sessions_.erase(control);
  active_.fetch_sub(1);
}

void ProxyServer::begin_shutdown() {
  stopping_.store(true);
  std::lock_guard lock(sessions_mutex_);
  for (const auto& control : sessions_) {
    // The session's state is touched only on its strand.
    asio::post(control->executor, [control] {
      if (control->idle && control->client) {
        net::error_code ignored;
        control->client->cancel(ignored);
        control->client->close(ignored);
      }
    });
  }
  pool_->close_idle();
}

void ProxyServer::abort_all() {
  std::lock_guard lock(sessions_mutex_);
  for (const auto& control : sessions_) {
    asio::post(control->executor, [control] {
      control->aborted = true;
      net::error_code ignored;
      if (control->upstream) control->upstream->close();
      if (control->client) control->client->close(ignored);
    });
  }
}

}  // namespace lmp::proxy
