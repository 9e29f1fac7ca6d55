// Accepts TCP connections on one endpoint and runs a coroutine for each.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "net/asio.hpp"

namespace lmp::net {

class Listener {
 public:
  // Each connection runs on its own strand of the listener's executor (safe on an io_context
  // run by several threads).
  using ConnectionHandler = std::function<awaitable<void>(tcp::socket)>;
  // Or connections are spread over single-threaded event loops: the picker names the loop of
  // the next one, and its socket and its coroutine are bound to that loop's executor type.
  using LoopConnectionHandler = std::function<loop_awaitable<void>(LoopSocket)>;
  using LoopPicker = std::function<LoopExecutor()>;

  // Binds and listens at once; throws std::runtime_error naming the address when it cannot.
  Listener(asio::any_io_executor executor, const std::string& address, unsigned short port,
           ConnectionHandler handler);
  Listener(asio::any_io_executor executor, const std::string& address, unsigned short port,
           LoopConnectionHandler handler, LoopPicker pick_loop);

  // The bound endpoint (with the real port when 0 was asked for).
  tcp::endpoint local_endpoint() const;

  // Starts the accept loop on the executor.
  void start();
  // Stops accepting; connections already accepted go on.
  void stop();

 private:
  Listener(asio::any_io_executor executor, const std::string& address, unsigned short port);
  awaitable<void> accept_loop();
  // Accepts one connection onto the executor and starts the handler; false once stopped.
  template <class Executor, class Handler>
  awaitable<bool> accept_one(const Executor& executor, const Handler& handler);

  asio::any_io_executor executor_;
  tcp::acceptor acceptor_;
  ConnectionHandler handler_;
  LoopConnectionHandler loop_handler_;
  LoopPicker pick_loop_;
};

}  // namespace lmp::net
