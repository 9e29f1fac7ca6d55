// One event loop (io_context) per I/O thread, as nginx has one per worker process.
//
// A connection lives on one loop from accept to close, so nothing it touches is shared with
// another thread: no strands, no locks on its path, no cross-thread wake-ups. A single
// io_context run by several threads costs more per request (measured in docs/performance.md:
// strand and scheduler locks, type-erased strand executors, futex wake-ups between threads).
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "net/asio.hpp"

namespace lmp::net {

class EventLoops {
 public:
  explicit EventLoops(unsigned count);
  EventLoops(const EventLoops&) = delete;
  EventLoops& operator=(const EventLoops&) = delete;

  std::size_t size() const { return loops_.size(); }
  asio::io_context& loop(std::size_t index) { return *loops_[index]; }
  // The loop for the next new connection (round robin; thread-safe).
  LoopExecutor next_executor();

  // Runs every loop, one on the calling thread and the others on their own threads, and
  // returns when all have stopped.
  void run();
  // Stops every loop (thread-safe).
  void stop();

 private:
  std::vector<std::unique_ptr<asio::io_context>> loops_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace lmp::net
