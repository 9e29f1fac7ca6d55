// lmp_load: a load generator for the proxy benchmarks (issue 4, parts 3 and 4) that, unlike
// wrk, drains: when the time is up it starts no new request and waits for every request in
// flight to finish, so that "requests completed" can be compared exactly with the records the
// proxy stored.
//
//   lmp_load closed --url http://127.0.0.1:8001/v1/chat/completions --connections 16
//            --duration 60 [--stream] [--body-file F] [--header 'Name: value']... [--threads N]
//       N keep-alive connections, each sending requests back to back. Prints one JSON line:
//       started, completed (2xx with a complete body; streams: ended with data: [DONE]),
//       failed (by reason), requests/s, latency p50/p90/p99/max.
//
//   lmp_load hold --url ... --connections 10000 --header 'X-Mock-TTFT-Ms: 15000' ...
//       N connections, each sending ONE streamed chat completion; at most --ramp-window of them
//       are between connect and their first event at any time. When every stream has received
//       its first event it prints "all-open ..." (flushed), so that a harness can sample the
//       server while all N are open; then it waits for all to finish and checks each one
//       (status 200, every event valid JSON, the expected number of content events, data:
//       [DONE] last) and prints a JSON summary.
//
// Client sockets can be spread over several loopback source addresses (--source-addresses
// 127.0.0.2-127.0.0.9) so that many connections do not exhaust one address's ephemeral ports.
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;
template <class T>
using awaitable = asio::awaitable<T>;
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

constexpr std::string_view kHelp = R"(Usage: lmp_load closed|hold --url URL [options]

  closed   N keep-alive connections sending requests back to back for --duration seconds,
           then draining: no new request, every one in flight waited for.
  hold     N connections each sending one streamed request at once; prints "all-open" when
           every stream has its first event, then checks every stream to its end.

Options:
  --url URL                  http://host:port/path (default http://127.0.0.1:8001/v1/chat/completions)
  --connections N            (default 16)
  --duration S               closed: seconds of load (default 10)
  --drain-timeout S          closed: longest wait for requests in flight at the end (default 30)
  --timeout S                hold: longest wait for all streams to finish (default 600)
  --stream                   closed: streamed requests (the built-in body gets "stream": true)
  --body-file F              request body (default: a small chat request, streamed in hold)
  --header 'Name: value'     extra request header; repeatable
  --threads N                I/O threads, connections spread over them (default 1)
  --ramp-window N            hold: most connections between connect and first event (default 256)
  --source-addresses LIST    bind client sockets round-robin to these IPv4 addresses:
                             a,b,c or a-b (last octet range, e.g. 127.0.0.2-127.0.0.9)
  --expect-content-events N  hold: content events each stream must carry (default: the value
                             of an X-Mock-Completion-Tokens header, else not checked)
)";

constexpr std::string_view kSmallChat =
    R"({"model":"m1","messages":[{"role":"user","content":"hello there"}],"max_tokens":16})";
constexpr std::string_view kSmallChatStream =
    R"({"model":"m1","stream":true,"stream_options":{"include_usage":true},)"
    R"("messages":[{"role":"user","content":"hello there"}],"max_tokens":16})";
// No max_tokens: the stream's length comes from X-Mock-Completion-Tokens.
constexpr std::string_view kHoldChat =
    R"({"model":"m1","stream":true,"stream_options":{"include_usage":true},)"
    R"("messages":[{"role":"user","content":"hello there"}]})";

struct Options {
  std::string mode;
  std::string host = "127.0.0.1";
  std::string port = "8001";
  std::string target = "/v1/chat/completions";
  unsigned connections = 16;
  double duration_s = 10;
  double drain_timeout_s = 30;
  double timeout_s = 600;
  bool stream = false;
  std::optional<std::string> body;
  std::vector<std::string> headers;  // "Name: value"
  unsigned threads = 1;
  unsigned ramp_window = 256;
  std::vector<asio::ip::address_v4> sources;
  std::optional<long> expect_content_events;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "lmp_load: %s\nRun 'lmp_load --help' for the options.\n", message.c_str());
  std::exit(2);
}

template <class T>
T parse_number(std::string_view name, std::string_view text) {
  T out{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end != text.data() + text.size())
    usage_error(std::string(name) + " needs a number, not '" + std::string(text) + "'");
  return out;
}

std::vector<asio::ip::address_v4> parse_sources(std::string_view text) {
  std::vector<asio::ip::address_v4> out;
  auto add = [&](std::string_view item) {
    error_code ec;
    if (const auto dash = item.find('-'); dash != std::string_view::npos) {
      const auto first = asio::ip::make_address_v4(std::string(item.substr(0, dash)), ec);
      const auto last =
          ec ? first : asio::ip::make_address_v4(std::string(item.substr(dash + 1)), ec);
      if (ec || last.to_uint() < first.to_uint() || last.to_uint() - first.to_uint() > 4096)
        usage_error("bad address range '" + std::string(item) + "'");
      for (auto a = first.to_uint(); a <= last.to_uint(); ++a) out.emplace_back(a);
      return;
    }
    const auto address = asio::ip::make_address_v4(std::string(item), ec);
    if (ec) usage_error("bad address '" + std::string(item) + "'");
    out.push_back(address);
  };
  while (!text.empty()) {
    const auto comma = text.find(',');
    add(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  return out;
}

void parse_url(Options& o, std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) usage_error("--url must start with http://");
  url.remove_prefix(kScheme.size());
  const auto slash = url.find('/');
  const auto authority = url.substr(0, slash);
  o.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  const auto colon = authority.rfind(':');
  if (colon == std::string_view::npos || authority.ends_with(']')) {
    o.host = std::string(authority);
    o.port = "80";
  } else {
    o.host = std::string(authority.substr(0, colon));
    o.port = std::string(authority.substr(colon + 1));
  }
  if (o.host.starts_with('[') && o.host.ends_with(']'))
    o.host = o.host.substr(1, o.host.size() - 2);
}

Options parse_options(int argc, char** argv) {
  Options o;
  if (argc < 2) usage_error("needs a mode: closed or hold");
  const std::string_view first = argv[1];
  if (first == "-h" || first == "--help") {
    std::fputs(kHelp.data(), stdout);
    std::exit(0);
  }
  if (first != "closed" && first != "hold")
    usage_error("unknown mode '" + std::string(first) + "'");
  o.mode = first;
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view name = arg;
    std::optional<std::string_view> inline_value;
    if (const auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
    }
    auto value = [&]() -> std::string_view {
      if (inline_value) return *inline_value;
      if (i + 1 >= argc) usage_error(std::string(name) + " needs a value");
      return argv[++i];
    };
    if (name == "-h" || name == "--help") {
      std::fputs(kHelp.data(), stdout);
      std::exit(0);
    } else if (name == "--url") {
      parse_url(o, value());
    } else if (name == "--connections") {
      o.connections = parse_number<unsigned>(name, value());
    } else if (name == "--duration") {
      o.duration_s = parse_number<double>(name, value());
    } else if (name == "--drain-timeout") {
      o.drain_timeout_s = parse_number<double>(name, value());
    } else if (name == "--timeout") {
      o.timeout_s = parse_number<double>(name, value());
    } else if (name == "--stream") {
      o.stream = true;
    } else if (name == "--body-file") {
      const std::string path(value());
      std::ifstream in(path, std::ios::binary);
      if (!in) usage_error("cannot read " + path);
      std::ostringstream text;
      text << in.rdbuf();
      o.body = text.str();
    } else if (name == "--header") {
      const std::string header(value());
      if (header.find(':') == std::string::npos) usage_error("--header needs 'Name: value'");
      o.headers.push_back(header);
    } else if (name == "--threads") {
      o.threads = std::max(1u, parse_number<unsigned>(name, value()));
    } else if (name == "--ramp-window") {
      o.ramp_window = std::max(1u, parse_number<unsigned>(name, value()));
    } else if (name == "--source-addresses") {
      o.sources = parse_sources(value());
    } else if (name == "--expect-content-events") {
      o.expect_content_events = parse_number<long>(name, value());
    } else {
      usage_error("unknown option '" + std::string(arg) + "'");
    }
  }
  if (o.connections == 0) usage_error("--connections must be at least 1");
  if (!o.expect_content_events) {
    for (const auto& h : o.headers) {
      constexpr std::string_view kName = "x-mock-completion-tokens:";
      std::string lower = h.substr(0, std::min(h.size(), kName.size()));
      std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
      if (lower == kName) {
        std::string_view v = std::string_view(h).substr(kName.size());
        while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
        while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
        o.expect_content_events = parse_number<long>("X-Mock-Completion-Tokens", v);
      }
    }
  }
  return o;
}

std::string build_request(const Options& o, std::string_view body) {
  std::string out;
  out.reserve(256 + body.size());
  out += "POST " + o.target + " HTTP/1.1\r\nHost: " + o.host + ":" + o.port +
         "\r\nContent-Type: application/json\r\nAccept: */*\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n";
  for (const auto& h : o.headers) out += h + "\r\n";
  out += "\r\n";
  out += body;
  return out;
}

// Reads SSE events out of a growing body: every event's data, [DONE] last.
class SseCheck {
 public:
  explicit SseCheck(bool parse_json) : parse_json_(parse_json) {}

  void scan(const std::string& body) {
    for (;;) {
      const auto nl = body.find('\n', offset_);
      if (nl == std::string::npos) return;
      std::string_view line(body.data() + offset_, nl - offset_);
      offset_ = nl + 1;
      if (line.ends_with('\r')) line.remove_suffix(1);
      if (line.empty()) {
        if (in_event_) dispatch();
        continue;
      }
      in_event_ = true;
      if (line.starts_with("data:")) {
        line.remove_prefix(5);
        if (line.starts_with(' ')) line.remove_prefix(1);
        if (!data_.empty()) data_ += '\n';
        data_ += line;
      }
    }
  }

  long events = 0;          // data events before [DONE]
  long content_events = 0;  // of which carry generated text (when parsing JSON)
  bool done = false;        // saw data: [DONE]
  std::string problem;      // the first thing wrong, if any

 private:
  void dispatch() {
    in_event_ = false;
    std::string data = std::move(data_);
    data_.clear();
    if (data.empty()) return;  // comments only
    if (done) {
      if (problem.empty()) problem = "event after [DONE]";
      return;
    }
    if (data == "[DONE]") {
      done = true;
      return;
    }
    ++events;
    if (!parse_json_) return;
    error_code ec;
    const json::value v = json::parse(data, ec);
    if (ec || !v.is_object()) {
      if (problem.empty()) problem = "event is not a JSON object";
      return;
    }
    const auto* choices = v.as_object().if_contains("choices");
    if (!choices || !choices->is_array() || choices->as_array().empty()) return;
    const auto& choice = choices->as_array()[0];
    if (!choice.is_object()) return;
    const json::value* text = nullptr;
    if (const auto* delta = choice.as_object().if_contains("delta"); delta && delta->is_object())
      text = delta->as_object().if_contains("content");
    else
      text = choice.as_object().if_contains("text");
    if (text && text->is_string() && !text->as_string().empty()) ++content_events;
  }

  bool parse_json_;
  std::size_t offset_ = 0;
  bool in_event_ = false;
  std::string data_;
};

std::string describe(std::string_view what, const error_code& ec) {
  return std::string(what) + ": " + ec.message();
}

// Opens a client socket, bound to the next source address when there are any.
awaitable<error_code> connect(tcp::socket& socket, const tcp::resolver::results_type& endpoints,
                              const Options& o, std::size_t n) {
  error_code ec;
  if (socket.is_open()) socket.close(ec);
  if (o.sources.empty()) {
    auto [cec, endpoint] = co_await asio::async_connect(socket, endpoints, use_nothrow);
    (void)endpoint;
    if (!cec) socket.set_option(tcp::no_delay(true), ec);
    co_return cec;
  }
  const auto endpoint = endpoints.begin()->endpoint();
  socket.open(endpoint.protocol(), ec);
  if (ec) co_return ec;
  // Let connect() choose the port, so that one port can serve several destinations.
  const int one = 1;
  ::setsockopt(socket.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  socket.bind(tcp::endpoint(o.sources[n % o.sources.size()], 0), ec);
  if (ec) co_return ec;
  auto [cec] = co_await socket.async_connect(endpoint, use_nothrow);
  if (!cec) socket.set_option(tcp::no_delay(true), ec);
  co_return cec;
}

struct Stats {
  std::uint64_t started = 0;
  std::uint64_t completed = 0;
  std::map<std::string, std::uint64_t> failures;
  std::vector<std::uint32_t> latency_us;  // completed requests
  std::uint64_t connects = 0;

  void fail(std::string reason) { ++failures[std::move(reason)]; }
  std::uint64_t failed() const {
    std::uint64_t n = 0;
    for (const auto& [reason, count] : failures) n += count;
    return n;
  }
  void merge(Stats& other) {
    started += other.started;
    completed += other.completed;
    connects += other.connects;
    for (const auto& [reason, count] : other.failures) failures[reason] += count;
    latency_us.insert(latency_us.end(), other.latency_us.begin(), other.latency_us.end());
  }
};

json::object percentiles_ms(std::vector<std::uint32_t>& us) {
  json::object out;
  if (us.empty()) return out;
  std::sort(us.begin(), us.end());
  auto at = [&](double q) {
    const auto i = static_cast<std::size_t>(q * static_cast<double>(us.size() - 1) + 0.5);
    return static_cast<double>(us[std::min(i, us.size() - 1)]) / 1000.0;
  };
  out["p50"] = at(0.50);
  out["p90"] = at(0.90);
  out["p99"] = at(0.99);
  out["max"] = static_cast<double>(us.back()) / 1000.0;
  return out;
}

json::object failures_json(const Stats& s) {
  json::object out;
  for (const auto& [reason, count] : s.failures) out[reason] = count;
  return out;
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// One I/O thread: its own io_context and the connections it runs.
struct Lane {
  asio::io_context io{1};
  Stats stats;
  std::vector<tcp::socket*> sockets;  // open client sockets, to close at a deadline
  bool cancelled = false;             // the deadline passed: failures are the deadline's
  std::thread thread;
};

tcp::resolver::results_type resolve(const Options& o) {
  asio::io_context io;
  tcp::resolver resolver(io);
  error_code ec;
  auto results = resolver.resolve(o.host, o.port, ec);
  if (ec || results.empty()) {
    std::fprintf(stderr, "lmp_load: cannot resolve %s:%s: %s\n", o.host.c_str(), o.port.c_str(),
                 ec.message().c_str());
    std::exit(1);
  }
  return results;
}

// Closes every socket of every lane from its own thread, then joins the lanes.
void cancel_and_join(std::vector<std::unique_ptr<Lane>>& lanes) {
  for (auto& lane : lanes) {
    asio::post(lane->io, [l = lane.get()] {
      l->cancelled = true;
      for (auto* s : l->sockets) {
        error_code ec;
        s->close(ec);
      }
    });
  }
  for (auto& lane : lanes) lane->thread.join();
}

// Waits until `active` reaches zero or the deadline passes; true if it reached zero.
bool wait_for_zero(const std::atomic<long>& active, Clock::time_point deadline) {
  while (active.load() > 0) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// ---- closed ----------------------------------------------------------------------------------

struct Closed {
  const Options& o;
  const tcp::resolver::results_type& endpoints;
  const std::string& request;
  std::atomic<bool> stop{false};
  std::atomic<long> active{0};
};

awaitable<void> closed_connection(Closed& c, Lane& lane, std::size_t n) {
  tcp::socket socket(lane.io);
  lane.sockets.push_back(&socket);
  beast::flat_buffer buffer;
  while (!c.stop.load(std::memory_order_relaxed) && !lane.cancelled) {
    if (!socket.is_open()) {
      ++lane.stats.connects;
      if (auto ec = co_await connect(socket, c.endpoints, c.o, n); ec) {
        // Not a request: counted apart, and retried after a moment.
        lane.stats.fail(describe("connect (no request started)", ec));
        asio::steady_timer pause(lane.io, std::chrono::milliseconds(10));
        co_await pause.async_wait(use_nothrow);
        continue;
      }
      buffer.clear();
    }
    ++lane.stats.started;
    const auto t0 = Clock::now();
    auto [wec, written] = co_await asio::async_write(socket, asio::buffer(c.request), use_nothrow);
    (void)written;
    std::string failure;
    bool keep = false;
    if (wec) {
      failure = describe("write", wec);
    } else {
      http::response_parser<http::string_body> parser;
      parser.body_limit(64 << 20);
      auto [rec, read] = co_await http::async_read(socket, buffer, parser, use_nothrow);
      (void)read;
      if (rec) {
        failure = describe("read", rec);
      } else {
        const auto& res = parser.get();
        const unsigned status = res.result_int();
        keep = res.keep_alive();
        if (status < 200 || status > 299) {
          failure = "status " + std::to_string(status);
        } else if (c.o.stream) {
          SseCheck sse(false);
          sse.scan(res.body());
          if (!sse.done) failure = "stream without [DONE]";
        } else if (res.body().empty()) {
          failure = "empty body";
        }
      }
    }
    if (lane.cancelled && !failure.empty()) failure = "drain deadline passed";
    if (failure.empty()) {
      ++lane.stats.completed;
      lane.stats.latency_us.push_back(static_cast<std::uint32_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count()));
    } else {
      lane.stats.fail(std::move(failure));
    }
    if (!keep || !failure.empty()) {
      error_code ec;
      socket.close(ec);
    }
  }
  std::erase(lane.sockets, &socket);
  c.active.fetch_sub(1);
}

int run_closed(const Options& o) {
  const auto endpoints = resolve(o);
  const std::string body = o.body ? *o.body : std::string(o.stream ? kSmallChatStream : kSmallChat);
  const std::string request = build_request(o, body);
  Closed c{o, endpoints, request};
  std::vector<std::unique_ptr<Lane>> lanes;
  for (unsigned t = 0; t < o.threads; ++t) lanes.push_back(std::make_unique<Lane>());
  c.active = o.connections;
  for (unsigned n = 0; n < o.connections; ++n)
    asio::co_spawn(lanes[n % o.threads]->io, closed_connection(c, *lanes[n % o.threads], n),
                   asio::detached);
  const auto start = Clock::now();
  for (auto& lane : lanes) lane->thread = std::thread([l = lane.get()] { l->io.run(); });

  std::this_thread::sleep_for(std::chrono::duration<double>(o.duration_s));
  c.stop = true;
  const auto load_end = Clock::now();
  const bool drained =
      wait_for_zero(c.active, Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                 std::chrono::duration<double>(o.drain_timeout_s)));
  const auto drain_s = seconds_since(load_end);
  cancel_and_join(lanes);
  const auto elapsed = seconds_since(start);

  Stats total;
  for (auto& lane : lanes) total.merge(lane->stats);
  // Connection failures started no request; every started request either completed or failed.
  std::uint64_t request_failures = 0;
  json::object failures = failures_json(total);
  for (const auto& [reason, count] : total.failures)
    if (!reason.starts_with("connect (no request started)")) request_failures += count;

  json::object out;
  out["mode"] = "closed";
  out["connections"] = o.connections;
  out["threads"] = o.threads;
  out["stream"] = o.stream;
  out["duration_s"] = o.duration_s;
  out["elapsed_s"] = elapsed;
  out["drain_s"] = drain_s;
  out["drained"] = drained;
  out["started"] = total.started;
  out["completed"] = total.completed;
  out["failed"] = request_failures;
  out["failures"] = std::move(failures);
  out["connects"] = total.connects;
  out["requests_per_s"] = static_cast<double>(total.completed) / elapsed;
  out["latency_ms"] = percentiles_ms(total.latency_us);
  std::printf("%s\n", json::serialize(out).c_str());
  std::fflush(stdout);
  const bool ok = drained && total.started == total.completed + request_failures;
  return ok ? 0 : 1;
}

// ---- hold ------------------------------------------------------------------------------------

struct Hold {
  const Options& o;
  const tcp::resolver::results_type& endpoints;
  const std::string& request;
  Clock::time_point start;
  std::atomic<long> opened{0};
  std::atomic<long> failed_before_open{0};
  std::atomic<long> active{0};
  std::atomic<bool> announced{false};
  std::atomic<std::int64_t> all_open_ns{-1};
  std::mutex first_event_mutex;
  std::vector<std::uint32_t> first_event_us;
  std::uint64_t content_events = 0;  // summed under first_event_mutex at the end of each stream
};

struct HoldLaneState {
  std::size_t next = 0;  // index into `mine`
  std::vector<std::size_t> mine;
};

void settle_open(Hold& h) {
  const long total = static_cast<long>(h.o.connections);
  const long opened = h.opened.load();
  const long failed = h.failed_before_open.load();
  if (opened + failed < total || h.announced.exchange(true)) return;
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - h.start);
  h.all_open_ns = ns.count();
  if (failed == 0)
    std::printf("all-open %ld %.3f\n", opened, static_cast<double>(ns.count()) / 1e9);
  else
    std::printf("not-all-open opened=%ld failed=%ld %.3f\n", opened, failed,
                static_cast<double>(ns.count()) / 1e9);
  std::fflush(stdout);
}

awaitable<void> hold_connection(Hold& h, Lane& lane, HoldLaneState& ls, std::size_t n);

void launch_next(Hold& h, Lane& lane, HoldLaneState& ls) {
  if (lane.cancelled || ls.next >= ls.mine.size()) return;
  const auto n = ls.mine[ls.next++];
  asio::co_spawn(lane.io, hold_connection(h, lane, ls, n), asio::detached);
}

awaitable<void> hold_connection(Hold& h, Lane& lane, HoldLaneState& ls, std::size_t n) {
  tcp::socket socket(lane.io);
  lane.sockets.push_back(&socket);
  bool is_open = false;
  std::string failure;
  SseCheck sse(true);
  auto open_now = [&](bool ok) {
    if (is_open) return;
    is_open = true;
    if (ok) {
      h.opened.fetch_add(1);
    } else {
      h.failed_before_open.fetch_add(1);
    }
    settle_open(h);
    launch_next(h, lane, ls);  // the ramp: one in, one more may start
  };
  ++lane.stats.started;
  const auto t0 = Clock::now();
  if (auto ec = co_await connect(socket, h.endpoints, h.o, n); ec) {
    failure = describe("connect", ec);
  } else {
    auto [wec, written] = co_await asio::async_write(socket, asio::buffer(h.request), use_nothrow);
    (void)written;
    if (wec) failure = describe("write", wec);
  }
  if (failure.empty()) {
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    while (!parser.is_done()) {
      auto [rec, read] = co_await http::async_read_some(socket, buffer, parser, use_nothrow);
      (void)read;
      if (rec) {
        failure = describe(is_open ? "read" : "read before the first event", rec);
        break;
      }
      if (!parser.is_header_done()) continue;
      const unsigned status = parser.get().result_int();
      if (status != 200) {
        // An error answer is read to its end (so that the proxy does not see a client leave
        // mid-answer and record that instead), then counted as a failure.
        if (failure.empty()) failure = "status " + std::to_string(status);
        open_now(false);
        continue;
      }
      sse.scan(parser.get().body());
      if (!is_open && (sse.events > 0 || sse.done)) {
        {
          std::lock_guard lock(h.first_event_mutex);
          h.first_event_us.push_back(static_cast<std::uint32_t>(
              std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count()));
        }
        open_now(true);
      }
    }
    if (failure.empty()) {
      if (!sse.problem.empty())
        failure = sse.problem;
      else if (!sse.done)
        failure = "stream ended without [DONE]";
      else if (h.o.expect_content_events && sse.content_events != *h.o.expect_content_events)
        failure = "content events " + std::to_string(sse.content_events) +
                  " != " + std::to_string(*h.o.expect_content_events);
    }
  }
  if (lane.cancelled && !failure.empty()) failure = "timeout (" + failure + ")";
  if (failure.empty()) {
    ++lane.stats.completed;
    lane.stats.latency_us.push_back(static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count()));
  } else {
    lane.stats.fail(std::move(failure));
  }
  {
    std::lock_guard lock(h.first_event_mutex);
    h.content_events += static_cast<std::uint64_t>(sse.content_events);
  }
  error_code ec;
  socket.close(ec);
  std::erase(lane.sockets, &socket);
  open_now(false);
  h.active.fetch_sub(1);
}

int run_hold(const Options& o) {
  const auto endpoints = resolve(o);
  const std::string body = o.body ? *o.body : std::string(kHoldChat);
  const std::string request = build_request(o, body);
  Hold h{o, endpoints, request};
  h.first_event_us.reserve(o.connections);
  std::vector<std::unique_ptr<Lane>> lanes;
  std::vector<HoldLaneState> states(o.threads);
  for (unsigned t = 0; t < o.threads; ++t) lanes.push_back(std::make_unique<Lane>());
  for (std::size_t n = 0; n < o.connections; ++n) states[n % o.threads].mine.push_back(n);
  h.active = o.connections;
  h.start = Clock::now();
  const unsigned window = std::max(1u, o.ramp_window / o.threads);
  for (unsigned t = 0; t < o.threads; ++t) {
    auto& lane = *lanes[t];
    auto& ls = states[t];
    asio::post(lane.io, [&h, &lane, &ls, window] {
      for (unsigned i = 0; i < window; ++i) launch_next(h, lane, ls);
    });
    lane.thread = std::thread([l = &lane] { l->io.run(); });
  }
  const bool finished =
      wait_for_zero(h.active, h.start + std::chrono::duration_cast<Clock::duration>(
                                            std::chrono::duration<double>(o.timeout_s)));
  cancel_and_join(lanes);
  const auto elapsed = seconds_since(h.start);

  Stats total;
  for (auto& lane : lanes) total.merge(lane->stats);
  if (total.started < o.connections)
    total.failures["never started (timeout)"] += o.connections - total.started;
  json::object out;
  out["mode"] = "hold";
  out["connections"] = o.connections;
  out["threads"] = o.threads;
  out["opened"] = h.opened.load();
  out["completed_ok"] = total.completed;
  out["failed"] = total.failed();
  out["failures"] = failures_json(total);
  out["finished_in_time"] = finished;
  const auto all_open_ns = h.all_open_ns.load();
  out["time_to_all_open_s"] = all_open_ns < 0 || h.failed_before_open.load() > 0
                                  ? json::value(nullptr)
                                  : json::value(all_open_ns / 1e9);
  out["elapsed_s"] = elapsed;
  if (o.expect_content_events)
    out["expected_content_events"] = *o.expect_content_events;
  else
    out["expected_content_events"] = nullptr;
  out["content_events"] = h.content_events;
  out["first_event_ms"] = percentiles_ms(h.first_event_us);
  out["stream_ms"] = percentiles_ms(total.latency_us);
  std::printf("%s\n", json::serialize(out).c_str());
  std::fflush(stdout);
  return finished && total.completed == o.connections ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_options(argc, argv);
  return o.mode == "closed" ? run_closed(o) : run_hold(o);
}
