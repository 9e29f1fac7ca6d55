// A Store that returns canned answers (or throws) and remembers the queries it was given and
// the threads that ran them, for tests of the metrics API.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "storage/store.hpp"

namespace lmp::api::testing {

class FakeStore : public storage::Store {
 public:
  void insert(std::span<const llm::CompletionRecord>) override {}

  storage::MetricsSummary summarize(const storage::TimeRange& range) override {
    std::lock_guard lock(mutex_);
    summarize_calls_.push_back(range);
    threads_.push_back(std::this_thread::get_id());
    if (fail_with_) throw storage::StoreError(*fail_with_);
    return summary_;
  }

  storage::RequestPage list_requests(const storage::RequestQuery& query) override {
    std::lock_guard lock(mutex_);
    list_calls_.push_back(query);
    threads_.push_back(std::this_thread::get_id());
    if (fail_with_) throw storage::StoreError(*fail_with_);
    return page_;
  }

  storage::Timeseries timeseries(const storage::TimeseriesQuery& query) override {
    std::lock_guard lock(mutex_);
    timeseries_calls_.push_back(query);
    threads_.push_back(std::this_thread::get_id());
    if (fail_with_) throw storage::StoreError(*fail_with_);
    return timeseries_;
  }

  std::optional<std::int64_t> first_record_time() override {
    std::lock_guard lock(mutex_);
    ++first_record_calls_;
    if (fail_with_) throw storage::StoreError(*fail_with_);
    return first_record_;
  }

  void set_timeseries(storage::Timeseries ts) {
    std::lock_guard lock(mutex_);
    timeseries_ = std::move(ts);
  }
  void set_first_record(std::optional<std::int64_t> t) {
    std::lock_guard lock(mutex_);
    first_record_ = t;
  }
  std::vector<storage::TimeseriesQuery> timeseries_calls() const {
    std::lock_guard lock(mutex_);
    return timeseries_calls_;
  }
  int first_record_calls() const {
    std::lock_guard lock(mutex_);
    return first_record_calls_;
  }

  void set_summary(storage::MetricsSummary summary) {
    std::lock_guard lock(mutex_);
    summary_ = std::move(summary);
  }
  void set_page(storage::RequestPage page) {
    std::lock_guard lock(mutex_);
    page_ = std::move(page);
  }
  void fail_with(std::string message) {
    std::lock_guard lock(mutex_);
    fail_with_ = std::move(message);
  }

  std::vector<storage::TimeRange> summarize_calls() const {
    std::lock_guard lock(mutex_);
    return summarize_calls_;
  }
  std::vector<storage::RequestQuery> list_calls() const {
    std::lock_guard lock(mutex_);
    return list_calls_;
  }
  std::vector<std::thread::id> threads() const {
    std::lock_guard lock(mutex_);
    return threads_;
  }

 private:
  mutable std::mutex mutex_;
  storage::MetricsSummary summary_;
  storage::RequestPage page_;
  std::optional<std::string> fail_with_;
  std::vector<storage::TimeRange> summarize_calls_;
  std::vector<storage::RequestQuery> list_calls_;
  std::vector<std::thread::id> threads_;
  storage::Timeseries timeseries_;
  std::optional<std::int64_t> first_record_;
  std::vector<storage::TimeseriesQuery> timeseries_calls_;
  int first_record_calls_ = 0;
};

}  // namespace lmp::api::testing
