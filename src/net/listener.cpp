#include "net/listener.hpp"

#include <stdexcept>

#include "support/log.hpp"

namespace lmp::net {

Listener::Listener(asio::any_io_executor executor, const std::string& address, unsigned short port,
                   ConnectionHandler handler)
    : Listener(executor, address, port) {
  handler_ = std::move(handler);
}

Listener::Listener(asio::any_io_executor executor, const std::string& address, unsigned short port,
                   LoopConnectionHandler handler, LoopPicker pick_loop)
    : Listener(executor, address, port) {
  loop_handler_ = std::move(handler);
  pick_loop_ = std::move(pick_loop);
}

Listener::Listener(asio::any_io_executor executor, const std::string& address, unsigned short port)
    : executor_(executor), acceptor_(executor) {
  error_code ec;
  const auto ip = asio::ip::make_address(address, ec);
  if (ec) throw std::runtime_error("invalid listen address '" + address + "': " + ec.message());
  const tcp::endpoint endpoint(ip, port);
  const auto where = address + ":" + std::to_string(port);
  if (acceptor_.open(endpoint.protocol(), ec); ec)
    throw std::runtime_error("cannot open a socket for " + where + ": " + ec.message());
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (acceptor_.bind(endpoint, ec); ec)
    throw std::runtime_error("cannot listen on " + where + ": " + ec.message() +
                             " (is another process using the port?)");
  if (acceptor_.listen(asio::socket_base::max_listen_connections, ec); ec)
    throw std::runtime_error("cannot listen on " + where + ": " + ec.message());
}

tcp::endpoint Listener::local_endpoint() const {
  return acceptor_.local_endpoint();
}

void Listener::start() {
  asio::co_spawn(executor_, accept_loop(), asio::detached);
}

void Listener::stop() {
  error_code ec;
  acceptor_.close(ec);
}

awaitable<void> Listener::accept_loop() {
  for (;;) {
    // A session runs concurrent operations (relaying while watching for the client to leave):
    // they must never run in parallel on two threads. Its executor is a single-threaded loop
    // when a picker is given, else a strand of its own.
    // The executors are named: GCC 12 mishandles temporaries inside a co_await expression.
    bool accepting = false;
    if (pick_loop_) {
      const LoopExecutor loop = pick_loop_();
      accepting = co_await accept_one(loop, loop_handler_);
    } else {
      const auto strand = asio::make_strand(executor_);
      accepting = co_await accept_one(strand, handler_);
    }
    if (!accepting) co_return;
  }
}

template <class Executor, class Handler>
awaitable<bool> Listener::accept_one(const Executor& executor, const Handler& handler) {
  auto [ec, socket] = co_await acceptor_.async_accept(executor, use_nothrow);
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return false;
  if (ec) {
    // Out of file descriptors and the like: wait a moment instead of spinning.
    log::warning("accept failed: {}", ec.message());
    asio::steady_timer timer(executor_, std::chrono::milliseconds(50));
    co_await timer.async_wait(use_nothrow);
    co_return true;
  }
  socket.set_option(tcp::no_delay(true), ec);
  asio::co_spawn(executor, handler(std::move(socket)), [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      log::error("connection handler failed: {}", ex.what());
    }
  });
  co_return true;
}

}  // namespace lmp::net
