// Takes finished records from the proxy without ever blocking it, and writes them to the store
// from one writer thread in batched transactions.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "llm/completion_record.hpp"
#include "storage/store.hpp"

namespace lmp::recording {

struct RecorderOptions {
  std::size_t queue_capacity = 65'536;       // records waiting to be written; beyond it they drop
  std::size_t max_batch = 1'024;             // records per transaction
  std::chrono::milliseconds max_delay{100};  // a record waits at most this long for its batch
  // Once nothing has come for this long, the writer gives back the memory the last burst of
  // records needed: the queue's two buffers (~0.5 KB a record, 5 MB after a busy second) and
  // the store's caches (Store::release_memory).
  std::chrono::milliseconds release_after_idle{1'000};
  // Run the writer as background work (Linux SCHED_IDLE) while it keeps up: a batch takes a few
  // milliseconds of CPU, and on a busy machine a proxy thread woken on the writer's core would
  // otherwise wait for it (measured: the proxy's p99 at one connection went from ~60 us to 2-3
  // ms with recording on). Once a backlog builds (a quarter of the queue or four batches,
  // whichever is less), and when stopping, the writer runs at normal priority again so that
  // it cannot fall behind for lack of CPU.
  bool background_priority = false;
};

struct RecorderStats {
  std::uint64_t submitted = 0;     // accepted into the queue
  std::uint64_t written = 0;       // committed to the store
  std::uint64_t dropped = 0;       // refused because the queue was full
  std::uint64_t write_errors = 0;  // records lost because the store failed to write them
  std::size_t queue_depth = 0;
  std::size_t queue_capacity = 0;
  std::size_t queue_room = 0;  // records the queue takes before its buffer must grow
};

class Recorder {
 public:
  Recorder(std::shared_ptr<storage::Store> store, RecorderOptions options);
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Never blocks on the database; returns false (and counts a drop) when the queue is full
  // or the recorder has stopped.
  bool submit(llm::CompletionRecord record) noexcept;

  RecorderStats stats() const;

  // Writes everything queued, then stops the writer thread. Idempotent.
  void stop();

 private:
  void run();
  void write_batch(std::span<const llm::CompletionRecord> batch);
  // The writer's buffer and the store's caches, when there has been nothing to write for a while.
  void release_idle_memory(std::vector<llm::CompletionRecord>& taken);
  // The room `taken` (empty, the queue after the next swap) keeps, after a cycle that wrote
  // `used` records.
  void keep_room(std::vector<llm::CompletionRecord>& taken, std::size_t used) const;
  void set_background(bool background);
  bool background_ = false;  // writer thread only

  std::shared_ptr<storage::Store> store_;
  RecorderOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  // Records waiting for the writer. The writer takes all of them at once by swapping vectors,
  // so the lock a proxy thread may wait on is never held for more than a push or a swap.
  std::vector<llm::CompletionRecord> queue_;
  bool stopping_ = false;  // guarded by mutex_
  // Guarded by mutex_, which submit() holds anyway: a plain add, where an atomic one was a
  // locked read-modify-write (measured: ~40% of submit's samples on the instruction after it).
  std::uint64_t submitted_ = 0;
  std::atomic<bool> stopping_flag_{false};  // the same as stopping_, readable without the lock
  std::mutex stop_mutex_;
  // Written by the writer thread (and dropped_ on the rare refusal), outside the lock: on a cache
  // line of their own, so that the writer's adds do not take away the line submit() works on.
  alignas(64) std::atomic<std::uint64_t> written_{0};
  std::atomic<std::uint64_t> write_errors_{0}, dropped_{0};
  std::thread writer_;
};

}  // namespace lmp::recording
