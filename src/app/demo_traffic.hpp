// The demo's traffic plan: which request to send next (model, endpoint, streaming, origin, user,
// timing and injected failure), drawn from a seeded generator. Pure: no I/O, so the mix can be
// unit-tested by drawing many requests; demo_client.hpp sends what it plans.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lmp::app::demo {

enum class Endpoint { chat, completions, embeddings };

// How a request is made to fail, through the mock's X-Mock-* headers or by the client itself.
enum class Fault {
  none,
  rate_limit,         // the backend answers 429
  server_error,       // 500
  unavailable,        // 503
  timeout,            // the backend stalls past the proxy's backend timeout: 504
  stream_cut,         // the backend closes a stream mid-way
  client_disconnect,  // the client closes a stream mid-way
};

std::string_view to_string(Endpoint endpoint);
std::string_view to_string(Fault fault);

struct ModelProfile {
  std::string name;
  double weight = 1;                // relative share of all requests
  bool embedding = false;           // serves /v1/embeddings only
  double ttft_ms = 300;             // median time to first token for a short prompt
  double prefill_tokens_per_s = 0;  // prompt processing speed: long prompts wait longer (0: free)
  double tokens_per_second = 40;    // median generation speed
  double median_tokens = 120;       // median completion length
  double stream_share = 0.7;        // of its generation requests
  double completions_share = 0.1;   // of its generation requests: legacy /v1/completions
};

struct Weighted {
  std::string value;  // an Origin (empty: no header), or a user name
  double weight = 1;
};

struct TrafficMix {
  std::vector<ModelProfile> models;
  std::vector<Weighted> origins;
  std::vector<Weighted> users;
  // Shares of all requests. Stream-only faults (cut, disconnect) are drawn among streamed
  // requests with a probability scaled so that their share of all requests is as given.
  double rate_limit_share = 0.015;
  double server_error_share = 0.008;
  double unavailable_share = 0.004;
  double timeout_share = 0.002;
  double stream_cut_share = 0.006;
  double client_disconnect_share = 0.005;
  // How long a "timeout" request makes the backend stall; set above the proxy's backend timeout.
  double timeout_stall_ms = 7'000;
  // A request that is not streamed gets its answer only when the whole completion is done; its
  // length is capped so that this stays well under the proxy's backend timeout.
  double max_unstreamed_ms = 15'000;
  double include_usage_share = 0.9;  // streamed requests that ask for a usage chunk
  double slow_share = 0.03;          // requests that queue behind others: TTFT x4
};

// The demo's default: four chat models of different speeds and an embedding model, three web
// origins and direct API use, six users, about 4% failures.
TrafficMix default_mix();

// Expected shares implied by a mix (what the planner converges to), for tests and the help.
double model_share(const TrafficMix& mix, std::string_view model);
double stream_share(const TrafficMix& mix);

struct PlannedRequest {
  Endpoint endpoint = Endpoint::chat;
  std::string model;
  bool stream = false;
  std::string origin;  // empty: no Origin header
  std::string user;
  Fault fault = Fault::none;
  std::int64_t completion_tokens = 0;  // what the mock generates (0 for embeddings)
  // Client disconnect: close the connection after this many SSE events were received.
  std::int64_t disconnect_after_events = 0;

  // On the wire: POST target with these headers and this JSON body.
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

class TrafficPlanner {
 public:
  TrafficPlanner(TrafficMix mix, std::uint64_t seed);

  PlannedRequest next();
  // Seconds until the next request for a Poisson process of `rate` requests per second.
  double next_gap_seconds(double rate);

  const TrafficMix& mix() const { return mix_; }

 private:
  double uniform();  // [0, 1)
  double normal();
  double lognormal(double median, double sigma);
  std::int64_t uniform_int(std::int64_t lo, std::int64_t hi);  // inclusive
  const ModelProfile& pick_model();
  const std::string& pick(const std::vector<Weighted>& choices, double total);
  std::string prompt_text(std::int64_t words);

  TrafficMix mix_;
  double model_total_ = 0, origin_total_ = 0, user_total_ = 0;
  double stream_probability_ = 0;
  std::uint64_t state_;  // splitmix64: the same sequence on every platform and library
};

}  // namespace lmp::app::demo
