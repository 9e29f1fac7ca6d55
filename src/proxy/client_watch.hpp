// Arms the client-disconnect watcher of an exchange only once the exchange has lasted a while.
//
// The watcher (ProxySession) peeks at the client socket while the backend works. Asio tries
// every new read at once before it waits, so a watcher armed for every request costs one
// recvfrom that finds nothing: one syscall in six for a small request. Most exchanges end
// within milliseconds, and a client that leaves during one is seen when its response is
// written. A long wait for the backend (prefill, a long non-streamed generation) is where the
// watcher matters: there a client that leaves is noticed within two ticks (20 ms).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "net/asio.hpp"

namespace lmp::proxy {

struct SessionControl;

// Peeks at the client socket until the client closes or resets the connection, then marks the
// session's client gone and closes its backend connection (so the backend stops generating for
// nobody). Does nothing once the exchange is over (control->watching is false).
void watch_client(std::shared_ptr<SessionControl> control);

// One per event loop, used only on that loop's thread.
class ClientWatch {
 public:
  static constexpr std::chrono::milliseconds kTick{10};

  explicit ClientWatch(net::LoopExecutor loop);
  ClientWatch(const ClientWatch&) = delete;
  ClientWatch& operator=(const ClientWatch&) = delete;

  // An exchange starts: its watcher is armed (watch_client) at the first tick after it has
  // lasted kTick, unless end() comes first.
  void begin(const std::shared_ptr<SessionControl>& control);
  // The exchange ended: it is no longer waiting to be armed (the caller stops an armed watcher).
  void end(SessionControl& control);

  std::size_t waiting() const { return waiting_.size(); }

 private:
  void schedule();
  void on_tick();
  void remove_at(std::size_t slot);

  net::asio::steady_timer timer_;
  std::vector<std::shared_ptr<SessionControl>> waiting_;  // exchanges not yet watched
  std::uint64_t tick_ = 0;
  bool scheduled_ = false;
};

}  // namespace lmp::proxy
