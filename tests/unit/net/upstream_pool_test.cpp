#include "net/upstream_pool.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace lmp::net {
namespace {

// A pool in front of a local acceptor whose server ends the test holds, closes or keeps.
class UpstreamPoolSweep : public ::testing::Test {
 protected:
  void make_pool(UpstreamOptions options = {}) {
    auto target =
        parse_backend_url("http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()));
    ASSERT_TRUE(target);
    pool_ = std::make_unique<UpstreamPool>(std::move(*target), options);
  }

  // Connects one connection through the pool and accepts its server end.
  std::unique_ptr<UpstreamConnection> connect() {
    std::unique_ptr<UpstreamConnection> connection;
    error_code ec;
    asio::co_spawn(
        io_,
        [&]() -> loop_awaitable<void> {
          connection = co_await pool_->connect(io_.get_executor(), ec);
        },
        asio::detached);
    io_.restart();
    io_.run();
    EXPECT_FALSE(ec) << ec.message();
    peers_.push_back(acceptor_.accept());  // already in the backlog: does not block
    return connection;
  }

  // Sweeps until `expected` connections have been closed in all, or 5 s have passed: a
  // backend's close reaches the proxy's socket asynchronously, even on loopback.
  std::size_t sweep_until(std::size_t expected) {
    std::size_t closed = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (closed < expected && std::chrono::steady_clock::now() < deadline) {
      closed += pool_->close_stale(io_.get_executor());
      if (closed < expected) std::this_thread::yield();
    }
    return closed;
  }

  asio::io_context io_;
  tcp::acceptor acceptor_{io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  std::vector<tcp::socket> peers_;
  std::unique_ptr<UpstreamPool> pool_;
};

TEST_F(UpstreamPoolSweep, ClosesWhatTheBackendClosedAndKeepsTheRest) {
  make_pool();
  auto first = connect();
  auto second = connect();
  ASSERT_TRUE(first && second);
  UpstreamConnection* live = second.get();
  pool_->release(std::move(first));
  pool_->release(std::move(second));

  EXPECT_EQ(pool_->close_stale(io_.get_executor()), 0u) << "both are alive";
  peers_[0].close();  // the backend's keep-alive timeout closes the first
  EXPECT_EQ(sweep_until(1), 1u);
  EXPECT_EQ(pool_->close_stale(io_.get_executor()), 0u);

  auto taken = pool_->take_idle(io_.get_executor());
  EXPECT_EQ(taken.get(), live);
  EXPECT_EQ(pool_->take_idle(io_.get_executor()), nullptr) << "the dead one was not kept";
}

TEST_F(UpstreamPoolSweep, ClosesConnectionsIdleLongerThanTheExpiry) {
  UpstreamOptions options;
  options.idle_expiry = std::chrono::milliseconds(0);
  make_pool(options);
  auto connection = connect();
  ASSERT_TRUE(connection);
  pool_->release(std::move(connection));
  EXPECT_EQ(sweep_until(1), 1u);
  EXPECT_EQ(pool_->take_idle(io_.get_executor()), nullptr);
}

// The proxy passes instants it has read already (the response's last read, the request's t0)
// instead of the pool reading the clock: the expiry is measured between them.
TEST_F(UpstreamPoolSweep, MeasuresIdleTimeBetweenTheInstantsGiven) {
  UpstreamOptions options;
  options.idle_expiry = std::chrono::seconds(60);
  make_pool(options);
  const auto since = std::chrono::steady_clock::now();
  auto connection = connect();
  ASSERT_TRUE(connection);
  UpstreamConnection* kept = connection.get();
  pool_->release(std::move(connection), since);
  auto taken = pool_->take_idle(io_.get_executor(), since + std::chrono::seconds(59));
  EXPECT_EQ(taken.get(), kept) << "idle 59 s of 60: kept";
  pool_->release(std::move(taken), since);
  EXPECT_EQ(pool_->take_idle(io_.get_executor(), since + std::chrono::seconds(61)), nullptr)
      << "idle 61 s of 60: expired";
}

TEST_F(UpstreamPoolSweep, ALoopWithoutIdleConnectionsHasNothingToClose) {
  make_pool();
  EXPECT_EQ(pool_->close_stale(io_.get_executor()), 0u);
}

}  // namespace
}  // namespace lmp::net
