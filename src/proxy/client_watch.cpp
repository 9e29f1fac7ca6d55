#include "proxy/client_watch.hpp"

#include "proxy/proxy_session.hpp"

namespace lmp::proxy {

using net::error_code;

// A plain handler, not a coroutine: it is armed for long exchanges only and usually never
// fires. It peeks rather than waits: Asio re-arms the descriptor in epoll (one epoll_ctl) for
// every async_wait, not for a read, and a peek leaves a request the client sent early in the
// socket for the session.
void watch_client(std::shared_ptr<SessionControl> control) {
  if (!control->watching || !control->client) return;
  auto* client = control->client;
  auto* byte = &control->peeked;
  client->async_receive(asio::buffer(byte, 1), net::tcp::socket::message_peek,
                        [control = std::move(control)](const error_code& ec, std::size_t n) {
                          if (!control->watching)
                            return;  // the exchange is over; the socket may be reused
                          if (ec == asio::error::operation_aborted) return;
                          if (!ec && n > 0)
                            return;  // the client sent its next request early: it is still there
                          control->client_gone = true;  // end of stream, or reset
                          if (control->upstream) control->upstream->close();
                        });
}

ClientWatch::ClientWatch(net::LoopExecutor loop) : timer_(loop) {}

void ClientWatch::begin(const std::shared_ptr<SessionControl>& control) {
  if (control->watch_slot == SessionControl::kNotWaiting) {
    control->watch_slot = waiting_.size();
    waiting_.push_back(control);
  }
  control->watch_since = tick_;
  if (!scheduled_) schedule();
}

void ClientWatch::end(SessionControl& control) {
  if (control.watch_slot != SessionControl::kNotWaiting) remove_at(control.watch_slot);
}

void ClientWatch::remove_at(std::size_t slot) {
  waiting_[slot]->watch_slot = SessionControl::kNotWaiting;
  if (slot + 1 != waiting_.size()) {
    waiting_[slot] = std::move(waiting_.back());
    waiting_[slot]->watch_slot = slot;
  }
  waiting_.pop_back();
}

void ClientWatch::schedule() {
  scheduled_ = true;
  timer_.expires_after(kTick);
  timer_.async_wait([this](const error_code& ec) {
    if (ec) return;  // cancelled: this ClientWatch is being destroyed
    on_tick();
  });
}

void ClientWatch::on_tick() {
  scheduled_ = false;
  ++tick_;
  // Waiting since before the previous tick: the exchange has lasted at least kTick.
  for (std::size_t i = 0; i < waiting_.size();) {
    auto& control = waiting_[i];
    if (!control->client) {  // the session is over (it ended without end(), on an error)
      remove_at(i);
      continue;
    }
    if (tick_ - control->watch_since < 2) {
      ++i;
      continue;
    }
    auto armed = control;
    remove_at(i);
    armed->watching = true;
    watch_client(std::move(armed));
  }
  if (!waiting_.empty()) schedule();
}

}  // namespace lmp::proxy
