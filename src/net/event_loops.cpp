#include "net/event_loops.hpp"

#include <pthread.h>

#include <algorithm>
#include <string>
#include <thread>

namespace lmp::net {

EventLoops::EventLoops(unsigned count) {
  loops_.reserve(std::max(1u, count));
  // Concurrency hint 1: each loop is run by exactly one thread, so Asio skips the wake-ups of
  // other threads that a shared scheduler needs.
  for (unsigned i = 0; i < std::max(1u, count); ++i)
    loops_.push_back(std::make_unique<asio::io_context>(1));
}

LoopExecutor EventLoops::next_executor() {
  const auto i = next_.fetch_add(1, std::memory_order_relaxed) % loops_.size();
  return loops_[i]->get_executor();
}

void EventLoops::run() {
  // Each loop keeps running while idle until stop(): its listeners may accept nothing for a while.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  for (auto& loop : loops_) guards.push_back(asio::make_work_guard(*loop));
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < loops_.size(); ++i)
    threads.emplace_back([this, i] {
      pthread_setname_np(pthread_self(), ("lmp-io-" + std::to_string(i)).c_str());
      loops_[i]->run();
    });
  loops_[0]->run();
  for (auto& t : threads) t.join();
}

void EventLoops::stop() {
  for (auto& loop : loops_) loop->stop();
}

}  // namespace lmp::net
