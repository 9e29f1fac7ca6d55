// Accepts TCP connections on one endpoint and runs a coroutine for each.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "net/asio.hpp"

namespace lmp::net {

class Listener {
 public:
  using ConnectionHandler = std::function<awaitable<void>(tcp::socket)>;
  // Where an accepted connection runs. Without one, each connection gets its own strand on the
  // listener's executor (safe on an io_context run by several threads).
  using ExecutorPicker = std::function<asio::any_io_executor()>;

  // Binds and listens at once; throws std::runtime_error naming the address when it cannot.
  Listener(asio::any_io_executor executor, const std::string& address, unsigned short port,
           ConnectionHandler handler, ExecutorPicker pick_executor = {});

  // The bound endpoint (with the real port when 0 was asked for).
  tcp::endpoint local_endpoint() const;

  // Starts the accept loop on the executor.
  void start();
  // Stops accepting; connections already accepted go on.
  void stop();

 private:
  awaitable<void> accept_loop();

  asio::any_io_executor executor_;
  tcp::acceptor acceptor_;
  ConnectionHandler handler_;
  ExecutorPicker pick_executor_;
};

}  // namespace lmp::net
