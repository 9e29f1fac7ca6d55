#include "recording/recorder.hpp"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <span>

#include "support/log.hpp"

namespace lmp::recording {

Recorder::Recorder(std::shared_ptr<storage::Store> store, RecorderOptions options)
    : store_(std::move(store)), options_(options), writer_([this] { run(); }) {}

Recorder::~Recorder() {
  stop();
}

bool Recorder::submit(llm::CompletionRecord record) noexcept {
  try {
    std::unique_lock lock(mutex_);
    if (stopping_ || queue_.size() >= options_.queue_capacity) {
      lock.unlock();
      const auto n = dropped_.fetch_add(1, std::memory_order_relaxed) + 1;
      // Log the first drop and then every 1000th, so a flood cannot flood the log as well.
      if (n == 1 || n % 1000 == 0)
        log::warning("recorder queue full or stopped: {} record(s) dropped so far", n);
      return false;
    }
    const bool was_empty = queue_.empty();
    queue_.push_back(std::move(record));
    ++submitted_;
    lock.unlock();
    if (was_empty) wake_.notify_one();
    return true;
  } catch (...) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
}

RecorderStats Recorder::stats() const {
  RecorderStats s;
  {
    // All under the lock: the writer counts a record as written only after it took it from
    // the queue under the same lock, so a snapshot never has written + write_errors above
    // submitted (ProxyApp's idle check compares them).
    std::lock_guard lock(mutex_);
    s.submitted = submitted_;
    s.queue_depth = queue_.size();
    s.queue_room = queue_.capacity();
    s.written = written_.load(std::memory_order_relaxed);
    s.dropped = dropped_.load(std::memory_order_relaxed);
    s.write_errors = write_errors_.load(std::memory_order_relaxed);
  }
  s.queue_capacity = options_.queue_capacity;
  return s;
}

void Recorder::stop() {
  // Serialised: two threads stopping at once must not both join the writer.
  std::lock_guard stop_lock(stop_mutex_);
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stopping_flag_.store(true);
  wake_.notify_one();
  if (writer_.joinable()) writer_.join();
}

void Recorder::run() {
  pthread_setname_np(pthread_self(), "lmp-writer");  // for top -H, perf and gdb
  std::vector<llm::CompletionRecord> taken;
  taken.reserve(options_.max_batch);
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      const auto ready = [&] { return stopping_ || !queue_.empty(); };
      if (!wake_.wait_for(lock, options_.release_after_idle, ready)) {
        std::vector<llm::CompletionRecord>().swap(queue_);
        lock.unlock();
        release_idle_memory(taken);
        lock.lock();
        wake_.wait(lock, ready);
      }
      // Give a batch a moment to fill: one transaction per record would cap the write rate.
      if (!stopping_ && queue_.size() < options_.max_batch) {
        wake_.wait_for(lock, options_.max_delay,
                       [&] { return stopping_ || queue_.size() >= options_.max_batch; });
      }
      if (queue_.empty() && stopping_) return;
      // O(1) under the lock: the proxy threads never wait while records are moved. The
      // vectors trade places, so each keeps the capacity it grew to and nothing is allocated
      // (keep_room trims what a burst left; once the writer falls idle both go, above).
      taken.swap(queue_);
    }
    // Back to normal priority once a backlog builds: a quarter of the queue, or four batches
    // (~0.1 s at 40,000 requests/s), whichever is less, so that neither the CPU share nor the
    // memory held by waiting records grows with the load. Outside the lock: a background
    // thread preempted while holding it would stall every proxy thread that records.
    if (options_.background_priority)
      set_background(!stopping_flag_.load(std::memory_order_relaxed) &&
                     taken.size() < std::min(options_.queue_capacity / 4, 4 * options_.max_batch));
    // Written in transactions of at most max_batch records.
    for (std::size_t i = 0; i < taken.size(); i += options_.max_batch) {
      const std::size_t n = std::min(taken.size() - i, options_.max_batch);
      write_batch(std::span<const llm::CompletionRecord>(taken).subspan(i, n));
    }
    const std::size_t used = taken.size();
    taken.clear();
    keep_room(taken, used);
  }
}

// `taken` becomes the queue at the next swap. It keeps the room the load needs: emptied to
// nothing after every batch, the queue grew again through every doubling, each growth moving
// the records queued so far while the proxy threads waited on the lock (at 50,000 requests/s,
// 5,000 records a cycle: CPU per request x0.970 and 3% more requests/s once kept, medians of 6
// alternating runs). What a burst left, four times more than the last cycle needed, is given
// back, so that it does not stay allocated for as long as records keep coming (~0.6 KB a
// record; once they stop, release_idle_memory frees both buffers).
void Recorder::keep_room(std::vector<llm::CompletionRecord>& taken, std::size_t used) const {
  const std::size_t need = std::max(used, options_.max_batch);
  if (taken.capacity() <= 4 * need) return;
  std::vector<llm::CompletionRecord> smaller;
  try {
    smaller.reserve(2 * need);
  } catch (...) {
    // Without the room, the queue grows as it did before.
  }
  taken.swap(smaller);
}

void Recorder::release_idle_memory(std::vector<llm::CompletionRecord>& taken) {
  std::vector<llm::CompletionRecord>().swap(taken);
  try {
    store_->release_memory();
  } catch (const std::exception& e) {
    log::warning("could not release the store's caches: {}", e.what());
  }
}

void Recorder::set_background(bool background) {
  if (background == background_) return;
  sched_param param{};
  param.sched_priority = 0;
  if (pthread_setschedparam(pthread_self(), background ? SCHED_IDLE : SCHED_OTHER, &param) == 0)
    background_ = background;
}

void Recorder::write_batch(std::span<const llm::CompletionRecord> batch) {
  // A busy or briefly unavailable database (another process holding the lock, a full disk
  // being cleaned) should not cost records: try a few times before counting them lost.
  static constexpr std::chrono::milliseconds kBackoff[] = {std::chrono::milliseconds(50),
                                                           std::chrono::milliseconds(250),
                                                           std::chrono::milliseconds(1000)};
  for (std::size_t attempt = 0;; ++attempt) {
    try {
      store_->insert(batch);
      written_.fetch_add(batch.size(), std::memory_order_relaxed);
      break;
    } catch (const std::exception& e) {
      // While stopping, one quick retry only: shutdown must not wait on a dead database.
      const std::size_t retries = stopping_flag_.load() ? 1 : std::size(kBackoff);
      if (attempt < retries) {
        log::warning("could not write {} record(s) to the store, retrying: {}", batch.size(),
                     e.what());
        std::this_thread::sleep_for(kBackoff[attempt]);
        continue;
      }
      const auto total =
          write_errors_.fetch_add(batch.size(), std::memory_order_relaxed) + batch.size();
      log::error("could not write {} record(s) to the store ({} lost so far): {}", batch.size(),
                 total, e.what());
      break;
    }
  }
}

}  // namespace lmp::recording
