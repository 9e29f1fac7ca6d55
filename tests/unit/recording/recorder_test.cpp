#include "recording/recorder.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace lmp::recording {
namespace {

using namespace std::chrono_literals;
constexpr auto kDeadline = 10s;

// A Store that remembers what it was given, can throw StoreError, and can hold the writer
// inside insert() until the test opens its gate.
class FakeStore : public storage::Store {
 public:
  void insert(std::span<const llm::CompletionRecord> records) override {
    std::unique_lock lock(mutex_);
    ++insert_calls_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return gate_open_; });
    if (throws_left_ != 0) {
      if (throws_left_ > 0) --throws_left_;
      ++failed_calls_;
      changed_.notify_all();
      throw storage::StoreError("disk I/O error (fake)");
    }
    batch_sizes_.push_back(records.size());
    for (const auto& r : records) ids_.push_back(r.timestamp_ms);
    changed_.notify_all();
  }
  storage::MetricsSummary summarize(const storage::TimeRange&) override { return {}; }
  storage::RequestPage list_requests(const storage::RequestQuery&) override { return {}; }
  void release_memory() override {
    std::lock_guard lock(mutex_);
    ++release_calls_;
    release_after_insert_ = insert_calls_;
    changed_.notify_all();
  }

  void close_gate() {
    std::lock_guard lock(mutex_);
    gate_open_ = false;
  }
  void open_gate() {
    std::lock_guard lock(mutex_);
    gate_open_ = true;
    changed_.notify_all();
  }
  // Fails every insert (n < 0), none (0), or the next n.
  void fail_next(int n) {
    std::lock_guard lock(mutex_);
    throws_left_ = n;
  }

  // Waits until pred() holds (called with the lock held) or the deadline passes.
  bool wait_for(const std::function<bool()>& pred) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kDeadline, pred);
  }

  std::size_t insert_calls() {
    std::lock_guard lock(mutex_);
    return insert_calls_;
  }
  std::size_t failed_calls() {
    std::lock_guard lock(mutex_);
    return failed_calls_;
  }
  std::vector<std::size_t> batch_sizes() {
    std::lock_guard lock(mutex_);
    return batch_sizes_;
  }
  std::vector<std::int64_t> ids() {
    std::lock_guard lock(mutex_);
    return ids_;
  }

  // Fields read by wait_for predicates (with the lock held).
  std::size_t release_calls_ = 0;
  std::size_t release_after_insert_ = 0;  // insert() calls before the last release_memory()
  std::size_t insert_calls_ = 0;
  std::size_t failed_calls_ = 0;
  std::vector<std::size_t> batch_sizes_;
  std::vector<std::int64_t> ids_;

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool gate_open_ = true;
  int throws_left_ = 0;
};

llm::CompletionRecord record(std::int64_t id) {
  llm::CompletionRecord r;
  r.timestamp_ms = id;  // identifies the record in the fake store
  r.model = "m";
  r.success = true;
  return r;
}

std::vector<std::int64_t> iota_ids(std::int64_t from, std::int64_t count) {
  std::vector<std::int64_t> v;
  for (std::int64_t i = 0; i < count; ++i) v.push_back(from + i);
  return v;
}

// Polls the recorder's stats until pred holds or the deadline passes.
bool stats_reach(const Recorder& recorder, const std::function<bool(const RecorderStats&)>& pred) {
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred(recorder.stats())) return true;
    std::this_thread::yield();
  }
  return pred(recorder.stats());
}

RecorderOptions options(std::size_t capacity = 65'536, std::size_t max_batch = 1024,
                        std::chrono::milliseconds delay = 5ms) {
  RecorderOptions o;
  o.queue_capacity = capacity;
  o.max_batch = max_batch;
  o.max_delay = delay;
  return o;
}

TEST(Recorder, EverySubmittedRecordIsWrittenAfterStop) {
  auto store = std::make_shared<FakeStore>();
  Recorder recorder(store, options());
  for (int i = 0; i < 2000; ++i) ASSERT_TRUE(recorder.submit(record(i)));
  recorder.stop();
  EXPECT_EQ(store->ids(), iota_ids(0, 2000));  // each once, in order
  const auto s = recorder.stats();
  EXPECT_EQ(s.submitted, 2000u);
  EXPECT_EQ(s.written, 2000u);
  EXPECT_EQ(s.dropped, 0u);
  EXPECT_EQ(s.write_errors, 0u);
  EXPECT_EQ(s.queue_depth, 0u);
  EXPECT_EQ(s.queue_capacity, 65'536u);
}

TEST(Recorder, StopWritesWhatIsQueuedEvenWithALongDelay) {
  auto store = std::make_shared<FakeStore>();
  Recorder recorder(store, options(1000, 1024, std::chrono::hours(1)));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(recorder.submit(record(i)));
  recorder.stop();  // must not wait for the hour
  EXPECT_EQ(store->ids(), iota_ids(0, 10));
}

TEST(Recorder, DestructorFlushes) {
  auto store = std::make_shared<FakeStore>();
  {
    Recorder recorder(store, options());
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(recorder.submit(record(i)));
  }
  EXPECT_EQ(store->ids(), iota_ids(0, 100));
}

TEST(Recorder, ARecordIsWrittenWithoutStopWithinTheDelay) {
  auto store = std::make_shared<FakeStore>();
  Recorder recorder(store, options(100, 1024, 1ms));
  ASSERT_TRUE(recorder.submit(record(7)));
  EXPECT_TRUE(store->wait_for([&] { return !store->ids_.empty(); }));
  EXPECT_TRUE(stats_reach(recorder, [](const RecorderStats& s) { return s.written == 1; }));
  EXPECT_EQ(store->ids(), std::vector<std::int64_t>{7});
}

TEST(Recorder, ABurstIsWrittenInBatches) {
  auto store = std::make_shared<FakeStore>();
  store->close_gate();
  Recorder recorder(store, options(10'000, 1024, 1ms));
  ASSERT_TRUE(recorder.submit(record(0)));
  // The writer holds record 0 inside insert(); the burst queues up behind it.
  ASSERT_TRUE(store->wait_for([&] { return store->insert_calls_ == 1; }));
  for (int i = 1; i <= 500; ++i) ASSERT_TRUE(recorder.submit(record(i)));
  store->open_gate();
  recorder.stop();
  const auto sizes = store->batch_sizes();
  ASSERT_GE(sizes.size(), 2u);
  EXPECT_EQ(sizes.front(), 1u);
  EXPECT_GT(*std::max_element(sizes.begin() + 1, sizes.end()), 1u);
  EXPECT_LE(sizes.size(), 3u) << "500 queued records should take one or two transactions";
  EXPECT_EQ(store->ids(), iota_ids(0, 501));
}

TEST(Recorder, BatchesNeverExceedMaxBatch) {
  auto store = std::make_shared<FakeStore>();
  store->close_gate();
  Recorder recorder(store, options(10'000, 10, 1ms));
  ASSERT_TRUE(recorder.submit(record(0)));
  ASSERT_TRUE(store->wait_for([&] { return store->insert_calls_ == 1; }));
  for (int i = 1; i <= 95; ++i) ASSERT_TRUE(recorder.submit(record(i)));
  store->open_gate();
  recorder.stop();
  const auto sizes = store->batch_sizes();
  for (auto n : sizes) EXPECT_LE(n, 10u);
  EXPECT_EQ(std::count(sizes.begin(), sizes.end(), 10u), 9);
  EXPECT_EQ(store->ids(), iota_ids(0, 96));
}

TEST(Recorder, FullQueueRefusesAndCountsDrops) {
  auto store = std::make_shared<FakeStore>();
  store->close_gate();
  Recorder recorder(store, options(4, 1024, 1ms));
  ASSERT_TRUE(recorder.submit(record(0)));
  ASSERT_TRUE(store->wait_for([&] { return store->insert_calls_ == 1; }));
  // The queue is empty again (record 0 is in the writer's hands): four fit, then no more.
  for (int i = 1; i <= 4; ++i) EXPECT_TRUE(recorder.submit(record(i))) << i;
  EXPECT_FALSE(recorder.submit(record(5)));
  EXPECT_FALSE(recorder.submit(record(6)));
  auto s = recorder.stats();
  EXPECT_EQ(s.submitted, 5u);
  EXPECT_EQ(s.dropped, 2u);
  EXPECT_EQ(s.queue_depth, 4u);
  EXPECT_EQ(s.queue_capacity, 4u);

  store->open_gate();
  recorder.stop();
  s = recorder.stats();
  EXPECT_EQ(s.written, 5u);
  EXPECT_EQ(s.dropped, 2u);
  EXPECT_EQ(s.queue_depth, 0u);
  EXPECT_EQ(store->ids(), iota_ids(0, 5));
}

TEST(Recorder, QueueAcceptsAgainOnceDrained) {
  auto store = std::make_shared<FakeStore>();
  store->close_gate();
  Recorder recorder(store, options(2, 1024, 1ms));
  ASSERT_TRUE(recorder.submit(record(0)));
  ASSERT_TRUE(store->wait_for([&] { return store->insert_calls_ == 1; }));
  ASSERT_TRUE(recorder.submit(record(1)));
  ASSERT_TRUE(recorder.submit(record(2)));
  ASSERT_FALSE(recorder.submit(record(3)));
  store->open_gate();
  ASSERT_TRUE(stats_reach(recorder, [](const RecorderStats& s) { return s.written == 3; }));
  EXPECT_TRUE(recorder.submit(record(4)));
  recorder.stop();
  EXPECT_EQ(store->ids(), (std::vector<std::int64_t>{0, 1, 2, 4}));
  EXPECT_EQ(recorder.stats().dropped, 1u);
}

// The writer retries a failed batch a few times (recorder.cpp: 50, 250, 1000 ms) and then counts
// its records as lost; with the store failing for good that takes about 1.3 s.
TEST(Recorder, StoreErrorsAreCountedAndTheRecorderKeepsGoing) {
  auto store = std::make_shared<FakeStore>();
  store->fail_next(-1);
  store->close_gate();
  Recorder recorder(store, options(1000, 1024, 1ms));
  ASSERT_TRUE(recorder.submit(record(0)));
  ASSERT_TRUE(store->wait_for([&] { return store->insert_calls_ == 1; }));
  for (int i = 1; i < 3; ++i) ASSERT_TRUE(recorder.submit(record(i)));
  store->open_gate();
  ASSERT_TRUE(stats_reach(recorder, [](const RecorderStats& s) { return s.write_errors == 3; }))
      << "write_errors = " << recorder.stats().write_errors;
  EXPECT_EQ(recorder.stats().written, 0u);
  EXPECT_GE(store->failed_calls(), 2u);

  store->fail_next(0);
  for (int i = 3; i < 5; ++i) ASSERT_TRUE(recorder.submit(record(i)));
  recorder.stop();
  const auto s = recorder.stats();
  EXPECT_EQ(s.written, 2u);
  EXPECT_EQ(s.write_errors, 3u);
  EXPECT_EQ(s.submitted, 5u);
  EXPECT_EQ(s.dropped, 0u);
  EXPECT_EQ(store->ids(), (std::vector<std::int64_t>{3, 4}));
}

TEST(Recorder, TransientStoreErrorLosesNothing) {
  auto store = std::make_shared<FakeStore>();
  store->fail_next(1);
  Recorder recorder(store, options(1000, 1024, 1ms));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(recorder.submit(record(i)));
  recorder.stop();
  const auto s = recorder.stats();
  EXPECT_EQ(store->failed_calls(), 1u);
  EXPECT_EQ(s.written, 5u);
  EXPECT_EQ(s.write_errors, 0u);
  EXPECT_EQ(store->ids(), iota_ids(0, 5));
}

TEST(Recorder, ALostBatchDoesNotStopTheNextOnesDuringStop) {
  auto store = std::make_shared<FakeStore>();
  store->close_gate();
  store->fail_next(4);  // the first batch's attempt and its three retries
  Recorder recorder(store, options(1000, 2, 1ms));
  ASSERT_TRUE(recorder.submit(record(0)));
  ASSERT_TRUE(store->wait_for([&] { return store->insert_calls_ == 1; }));
  for (int i = 1; i <= 4; ++i) ASSERT_TRUE(recorder.submit(record(i)));
  store->open_gate();
  ASSERT_TRUE(stats_reach(recorder, [](const RecorderStats& s) { return s.write_errors == 1; }));
  recorder.stop();
  const auto s = recorder.stats();
  EXPECT_EQ(s.write_errors, 1u);
  EXPECT_EQ(s.written, 4u);
  EXPECT_EQ(s.queue_depth, 0u);
  EXPECT_EQ(store->ids(), iota_ids(1, 4));
}

TEST(Recorder, StopIsIdempotent) {
  auto store = std::make_shared<FakeStore>();
  Recorder recorder(store, options());
  ASSERT_TRUE(recorder.submit(record(1)));
  recorder.stop();
  recorder.stop();
  recorder.stop();
  EXPECT_EQ(store->ids(), std::vector<std::int64_t>{1});
  EXPECT_EQ(recorder.stats().written, 1u);
}  // and the destructor stops once more

TEST(Recorder, SubmitAfterStopIsRefusedAndCounted) {
  auto store = std::make_shared<FakeStore>();
  Recorder recorder(store, options());
  recorder.stop();
  EXPECT_FALSE(recorder.submit(record(1)));
  EXPECT_FALSE(recorder.submit(record(2)));
  const auto s = recorder.stats();
  EXPECT_EQ(s.dropped, 2u);
  EXPECT_EQ(s.submitted, 0u);
  EXPECT_EQ(s.queue_depth, 0u);
  EXPECT_EQ(store->insert_calls(), 0u);
}

TEST(Recorder, GivesBackMemoryOnceIdleAndKeepsRecording) {
  auto store = std::make_shared<FakeStore>();
  auto o = options(100, 1024, 1ms);
  o.release_after_idle = 20ms;
  Recorder recorder(store, o);
  recorder.submit(record(1));
  recorder.submit(record(2));
  // Released after the batch was written, not before: the writer fell idle once it was done.
  ASSERT_TRUE(store->wait_for([&] { return store->release_after_insert_ >= 1; }));
  recorder.submit(record(3));
  ASSERT_TRUE(store->wait_for([&] { return store->ids_.size() == 3; }));
  ASSERT_TRUE(store->wait_for([&] { return store->release_after_insert_ == store->insert_calls_; }))
      << "idle again after the next batch";
  recorder.stop();
  EXPECT_EQ(store->ids(), iota_ids(1, 3));
  EXPECT_EQ(recorder.stats().written, 3u);
}

TEST(Recorder, NoReleaseWhileRecordsKeepComing) {
  auto store = std::make_shared<FakeStore>();
  auto o = options(10'000, 1024, 1ms);
  o.release_after_idle = std::chrono::hours(1);
  Recorder recorder(store, o);
  for (int i = 0; i < 100; ++i) recorder.submit(record(i));
  recorder.stop();
  EXPECT_EQ(store->release_calls_, 0u);
  EXPECT_EQ(recorder.stats().written, 100u);
}

// Holds the writer inside insert() with a one-record batch, so that the next records wait in
// the queue (the buffer the writer handed back at its last swap).
void hold_writer_with_one_record(FakeStore& store, Recorder& recorder, std::int64_t id) {
  store.close_gate();
  const auto calls = store.insert_calls();
  recorder.submit(record(id));
  ASSERT_TRUE(store.wait_for([&] { return store.insert_calls_ == calls + 1; }));
}

// Records 0 to 3,000, the last 3,000 queued while the writer was held, all written: one cycle of
// 3,000 records, whose buffer grew to hold them.
void write_a_burst_of_3000(FakeStore& store, Recorder& recorder) {
  ASSERT_NO_FATAL_FAILURE(hold_writer_with_one_record(store, recorder, 0));
  for (int i = 1; i <= 3000; ++i) ASSERT_TRUE(recorder.submit(record(i)));
  store.open_gate();
  ASSERT_TRUE(stats_reach(recorder, [](const RecorderStats& s) { return s.written == 3001; }));
}

TEST(Recorder, TheQueueKeepsTheRoomItsLoadNeeds) {
  auto store = std::make_shared<FakeStore>();
  Recorder recorder(store, options(100'000, 16, 1ms));
  ASSERT_NO_FATAL_FAILURE(write_a_burst_of_3000(*store, recorder));
  // The 3,000 records' buffer, written and emptied, is the queue after the next swap: with its
  // room, the next 3,000 are queued without the buffer growing (and moving them) on the way.
  ASSERT_NO_FATAL_FAILURE(hold_writer_with_one_record(*store, recorder, 3001));
  EXPECT_GE(recorder.stats().queue_room, 3000u);
  store->open_gate();
  recorder.stop();
  EXPECT_EQ(store->ids(), iota_ids(0, 3002));
}

TEST(Recorder, RoomABurstLeftIsGivenBackUnderALighterLoad) {
  auto store = std::make_shared<FakeStore>();
  Recorder recorder(store, options(100'000, 16, 1ms));
  ASSERT_NO_FATAL_FAILURE(write_a_burst_of_3000(*store, recorder));
  std::int64_t next = 3001;
  // Cycles of 10 records: each buffer, once it has carried a light cycle, keeps room for twice
  // the batch size (16), not for the burst.
  for (int cycle = 0; cycle < 4; ++cycle) {
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(recorder.submit(record(next++)));
    const auto total = static_cast<std::uint64_t>(next);
    ASSERT_TRUE(stats_reach(recorder, [&](const RecorderStats& s) { return s.written == total; }));
  }
  ASSERT_NO_FATAL_FAILURE(hold_writer_with_one_record(*store, recorder, next++));
  EXPECT_LE(recorder.stats().queue_room, 64u);
  store->open_gate();
  recorder.stop();
  EXPECT_EQ(store->ids(), iota_ids(0, next));
}

TEST(Recorder, IdleRecorderNeverCallsTheStore) {
  auto store = std::make_shared<FakeStore>();
  Recorder recorder(store, options(10, 10, 1ms));
  recorder.stop();
  EXPECT_EQ(store->insert_calls(), 0u);
}

TEST(Recorder, ConcurrentSubmittersLoseNothing) {
  auto store = std::make_shared<FakeStore>();
  Recorder recorder(store, options(100'000, 64, 1ms));
  constexpr int kThreads = 4, kEach = 1000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) recorder.submit(record(t * kEach + i));
    });
  for (auto& th : threads) th.join();
  recorder.stop();
  auto ids = store->ids();
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, iota_ids(0, kThreads * kEach));
  EXPECT_EQ(recorder.stats().written, static_cast<std::uint64_t>(kThreads * kEach));
}

TEST(Recorder, StopFromAnotherThreadWhileSubmitting) {
  auto store = std::make_shared<FakeStore>();
  Recorder recorder(store, options(100'000, 64, 1ms));
  std::atomic<std::uint64_t> accepted{0}, refused{0};
  std::thread producer([&] {
    for (int i = 0; i < 20'000; ++i) (recorder.submit(record(i)) ? accepted : refused)++;
  });
  ASSERT_TRUE(stats_reach(recorder, [](const RecorderStats& s) { return s.submitted > 0; }));
  recorder.stop();
  producer.join();
  const auto s = recorder.stats();
  EXPECT_EQ(s.submitted, accepted.load());
  EXPECT_EQ(s.dropped, refused.load());
  EXPECT_EQ(s.written, accepted.load());  // everything accepted before stop() was written
  EXPECT_EQ(store->ids().size(), accepted.load());
}

}  // namespace
}  // namespace lmp::recording
