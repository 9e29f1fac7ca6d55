#include "proxy/client_watch.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>

#include "proxy/proxy_session.hpp"

namespace lmp::proxy {
namespace {

namespace asio = net::asio;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// A connected pair on loopback: `client` plays the proxy's side of a client connection.
struct SocketPair {
  explicit SocketPair(asio::io_context& io) : client(io.get_executor()), peer(io) {
    net::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    client.connect(acceptor.local_endpoint());
    acceptor.accept(peer);
  }
  net::LoopSocket client;
  net::tcp::socket peer;
};

// Runs the loop until `done` or the deadline; returns done().
bool run_until(asio::io_context& io, const std::function<bool()>& done, milliseconds deadline) {
  const auto until = Clock::now() + deadline;
  while (!done() && Clock::now() < until) {
    io.restart();
    io.run_one_for(milliseconds(5));
  }
  return done();
}

class ClientWatchTest : public ::testing::Test {
 protected:
  ClientWatchTest() : pair(io), control(std::make_shared<SessionControl>(io.get_executor())) {
    control->client = &pair.client;
  }
  asio::io_context io;
  SocketPair pair;
  std::shared_ptr<SessionControl> control;
  ClientWatch watch{io.get_executor()};
};

TEST_F(ClientWatchTest, ArmsTheWatcherOnlyOnceTheExchangeHasLastedATick) {
  const auto began = Clock::now();
  watch.begin(control);
  EXPECT_FALSE(control->watching);  // not at once: most exchanges are over in a moment
  ASSERT_TRUE(run_until(
      io, [&] { return control->watching; }, milliseconds(2000)));
  EXPECT_GE(Clock::now() - began, ClientWatch::kTick);
  EXPECT_EQ(watch.waiting(), 0u);

  // Armed: a client that closes is seen.
  pair.peer.close();
  ASSERT_TRUE(run_until(
      io, [&] { return control->client_gone; }, milliseconds(2000)));
}

TEST_F(ClientWatchTest, AnExchangeThatEndsFirstIsNeverWatched) {
  watch.begin(control);
  watch.end(*control);
  EXPECT_EQ(watch.waiting(), 0u);
  pair.peer.close();
  // The loop runs until it has nothing left to do (its tick finds nothing waiting and stops):
  // nothing was armed, so the close goes unnoticed here.
  io.restart();
  io.run_for(milliseconds(2000));
  EXPECT_FALSE(control->watching);
  EXPECT_FALSE(control->client_gone);
}

TEST_F(ClientWatchTest, AnEarlyRequestDoesNotCountAsLeaving) {
  watch.begin(control);
  ASSERT_TRUE(run_until(
      io, [&] { return control->watching; }, milliseconds(2000)));
  const char next[] = "POST";
  asio::write(pair.peer, asio::buffer(next, 4));
  // The peek sees bytes: the client is there, and they stay in the socket for the session.
  // (The loop returns once the peek has completed and no tick is due.)
  io.restart();
  io.run_for(milliseconds(2000));
  EXPECT_FALSE(control->client_gone);
  EXPECT_EQ(pair.client.available(), 4u);
}

TEST_F(ClientWatchTest, ManyExchangesComeAndGoInAnyOrder) {
  // Removal swaps the last entry into the freed slot: every entry must keep its own index.
  std::vector<std::unique_ptr<SocketPair>> pairs;
  std::vector<std::shared_ptr<SessionControl>> controls;
  for (int i = 0; i < 6; ++i) {
    pairs.push_back(std::make_unique<SocketPair>(io));
    controls.push_back(std::make_shared<SessionControl>(io.get_executor()));
    controls.back()->client = &pairs.back()->client;
    watch.begin(controls.back());
  }
  watch.end(*controls[1]);
  watch.end(*controls[5]);
  watch.end(*controls[0]);
  EXPECT_EQ(watch.waiting(), 3u);
  ASSERT_TRUE(run_until(
      io, [&] { return controls[2]->watching && controls[3]->watching && controls[4]->watching; },
      milliseconds(2000)));
  EXPECT_FALSE(controls[0]->watching);
  EXPECT_FALSE(controls[1]->watching);
  EXPECT_FALSE(controls[5]->watching);
  EXPECT_EQ(watch.waiting(), 0u);
}

TEST_F(ClientWatchTest, ASessionThatEndedWithoutEndIsDropped) {
  watch.begin(control);
  control->client = nullptr;  // what ProxySession::run leaves behind
  run_until(
      io, [&] { return watch.waiting() == 0; }, milliseconds(2000));
  EXPECT_EQ(watch.waiting(), 0u);
  EXPECT_FALSE(control->watching);
}

}  // namespace
}  // namespace lmp::proxy
