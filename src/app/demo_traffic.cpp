#include "app/demo_traffic.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

#include "support/json_writer.hpp"

namespace lmp::app::demo {
namespace {

// Words the prompts are made of: the mock only counts bytes, but a readable body helps anyone
// who looks at the traffic with a packet capture.
constexpr std::array<std::string_view, 32> kWords = {
    "summarise", "the",     "meeting", "notes",  "and",       "list",     "action", "items",
    "explain",   "this",    "error",   "in",     "plain",     "words",    "write",  "a",
    "unit",      "test",    "for",     "parser", "translate", "into",     "german", "review",
    "pull",      "request", "draft",   "reply",  "customer",  "question", "about",  "billing"};

constexpr std::string_view kSystemPrompt =
    "You are a helpful assistant. Answer briefly and precisely.";

std::string ms_text(double ms) {
  return fmt::format("{:.1f}", ms);
}

}  // namespace

std::string_view to_string(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::chat:
      return "chat";
    case Endpoint::completions:
      return "completions";
    case Endpoint::embeddings:
      return "embeddings";
  }
  return "?";
}

std::string_view to_string(Fault fault) {
  switch (fault) {
    case Fault::none:
      return "none";
    case Fault::rate_limit:
      return "rate_limit";
    case Fault::server_error:
      return "server_error";
    case Fault::unavailable:
      return "unavailable";
    case Fault::timeout:
      return "timeout";
    case Fault::stream_cut:
      return "stream_cut";
    case Fault::client_disconnect:
      return "client_disconnect";
  }
  return "?";
}

TrafficMix default_mix() {
  TrafficMix mix;
  // Speeds in the range a single modern GPU gives these sizes; the differences are what makes
  // the per-model charts worth looking at.
  mix.models = {
      {.name = "llama3.1:8b",
       .weight = 34,
       .ttft_ms = 180,
       .prefill_tokens_per_s = 6'000,
       .tokens_per_second = 75,
       .median_tokens = 140,
       .stream_share = 0.75,
       .completions_share = 0.1},
      {.name = "qwen2.5:14b",
       .weight = 24,
       .ttft_ms = 380,
       .prefill_tokens_per_s = 3'000,
       .tokens_per_second = 38,
       .median_tokens = 160,
       .stream_share = 0.7,
       .completions_share = 0.05},
      {.name = "mistral-small",
       .weight = 18,
       .ttft_ms = 300,
       .prefill_tokens_per_s = 3'500,
       .tokens_per_second = 45,
       .median_tokens = 120,
       .stream_share = 0.6,
       .completions_share = 0.15},
      {.name = "gemma2:27b",
       .weight = 8,
       .ttft_ms = 750,
       .prefill_tokens_per_s = 1'500,
       .tokens_per_second = 20,
       .median_tokens = 80,
       .stream_share = 0.8,
       .completions_share = 0},
      {.name = "nomic-embed-text", .weight = 16, .embedding = true},
  };
  mix.origins = {{"http://localhost:3000", 35},
                 {"https://chat.example.com", 25},
                 {"https://notebook.example.com", 15},
                 {"", 25}};  // scripts and SDKs send no Origin
  mix.users = {{"alice", 25}, {"bob", 20},  {"carol", 15},
               {"dave", 12},  {"erin", 10}, {"ci-pipeline", 18}};
  return mix;
}

double model_share(const TrafficMix& mix, std::string_view model) {
  double total = 0, mine = 0;
  for (const auto& m : mix.models) {
    total += m.weight;
    if (m.name == model) mine += m.weight;
  }
  return total > 0 ? mine / total : 0;
}

double stream_share(const TrafficMix& mix) {
  double total = 0, streamed = 0;
  for (const auto& m : mix.models) {
    total += m.weight;
    if (!m.embedding) streamed += m.weight * m.stream_share;
  }
  return total > 0 ? streamed / total : 0;
}

TrafficPlanner::TrafficPlanner(TrafficMix mix, std::uint64_t seed)
    : mix_(std::move(mix)), state_(seed) {
  for (const auto& m : mix_.models) model_total_ += m.weight;
  for (const auto& o : mix_.origins) origin_total_ += o.weight;
  for (const auto& u : mix_.users) user_total_ += u.weight;
  stream_probability_ = stream_share(mix_);
}

double TrafficPlanner::uniform() {
  // splitmix64, then the top 53 bits as a double in [0, 1).
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

double TrafficPlanner::normal() {
  // Box-Muller; 1 - u keeps the logarithm finite.
  const double u1 = 1.0 - uniform();
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

double TrafficPlanner::lognormal(double median, double sigma) {
  return median * std::exp(sigma * normal());
}

std::int64_t TrafficPlanner::uniform_int(std::int64_t lo, std::int64_t hi) {
  if (hi <= lo) return lo;
  const auto span = static_cast<double>(hi - lo + 1);
  return lo + std::min(hi - lo, static_cast<std::int64_t>(uniform() * span));
}

const ModelProfile& TrafficPlanner::pick_model() {
  double u = uniform() * model_total_;
  for (const auto& m : mix_.models) {
    if (u < m.weight) return m;
    u -= m.weight;
  }
  return mix_.models.back();
}

const std::string& TrafficPlanner::pick(const std::vector<Weighted>& choices, double total) {
  static const std::string kNone;
  if (choices.empty()) return kNone;
  double u = uniform() * total;
  for (const auto& c : choices) {
    if (u < c.weight) return c.value;
    u -= c.weight;
  }
  return choices.back().value;
}

std::string TrafficPlanner::prompt_text(std::int64_t words) {
  std::string text;
  text.reserve(static_cast<std::size_t>(words) * 8);
  for (std::int64_t i = 0; i < words; ++i) {
    if (i) text += ' ';
    text += kWords[static_cast<std::size_t>(uniform_int(0, kWords.size() - 1))];
  }
  return text;
}

double TrafficPlanner::next_gap_seconds(double rate) {
  if (rate <= 0) return 1.0;
  return -std::log(1.0 - uniform()) / rate;
}

PlannedRequest TrafficPlanner::next() {
  PlannedRequest r;
  const ModelProfile& model = pick_model();
  r.model = model.name;
  if (model.embedding) {
    r.endpoint = Endpoint::embeddings;
  } else {
    r.stream = uniform() < model.stream_share;
    r.endpoint = uniform() < model.completions_share ? Endpoint::completions : Endpoint::chat;
  }
  r.origin = pick(mix_.origins, origin_total_);
  r.user = pick(mix_.users, user_total_);

  // One draw decides the fault. For a stream the stream-only faults take a slice scaled by
  // 1 / P(stream), so that each fault's share of all requests is the configured one.
  {
    const double u = uniform();
    double edge = 0;
    const std::array<std::pair<double, Fault>, 4> any = {
        {{mix_.rate_limit_share, Fault::rate_limit},
         {mix_.server_error_share, Fault::server_error},
         {mix_.unavailable_share, Fault::unavailable},
         {mix_.timeout_share, Fault::timeout}}};
    for (const auto& [share, fault] : any) {
      edge += share;
      if (r.fault == Fault::none && u < edge) r.fault = fault;
    }
    if (r.fault == Fault::none && r.stream && stream_probability_ > 0) {
      edge += mix_.stream_cut_share / stream_probability_;
      if (u < edge) {
        r.fault = Fault::stream_cut;
      } else if (u < edge + mix_.client_disconnect_share / stream_probability_) {
        r.fault = Fault::client_disconnect;
      }
    }
  }

  const std::string api_key = fmt::format("sk-demo-{}-5f2c9a7e41d8b306", r.user);
  r.headers.emplace_back("Content-Type", "application/json");
  r.headers.emplace_back("Authorization", "Bearer " + api_key);
  if (!r.origin.empty()) r.headers.emplace_back("Origin", r.origin);

  std::size_t prompt_bytes = 0;
  json::Writer w(r.body);
  w.begin_object();
  w.key("model").value(r.model);
  switch (r.endpoint) {
    case Endpoint::embeddings: {
      r.target = "/v1/embeddings";
      // Mostly one text, sometimes a batch as an indexing job would send.
      const std::int64_t inputs = uniform() < 0.7 ? 1 : uniform_int(2, 16);
      w.key("input");
      if (inputs > 1) w.begin_array();
      for (std::int64_t i = 0; i < inputs; ++i) {
        const std::string text = prompt_text(uniform_int(5, 60));
        prompt_bytes += text.size();
        w.value(text);
      }
      if (inputs > 1) w.end_array();
      // The mock answers embeddings at once; a stall stands for the model's compute time.
      const double compute_ms = lognormal(18.0 + 6.0 * static_cast<double>(inputs), 0.3);
      if (r.fault != Fault::timeout) r.headers.emplace_back("X-Mock-Stall-Ms", ms_text(compute_ms));
      break;
    }
    case Endpoint::chat: {
      r.target = "/v1/chat/completions";
      w.key("messages").begin_array();
      if (uniform() < 0.6) {
        w.begin_object().key("role").value("system").key("content").value(kSystemPrompt);
        w.end_object();
        prompt_bytes += kSystemPrompt.size();
      }
      // A conversation of one to four turns; earlier turns carry the assistant's answers.
      const std::int64_t turns = uniform_int(1, 4);
      for (std::int64_t t = 0; t < turns; ++t) {
        const std::string question =
            prompt_text(std::clamp<std::int64_t>(std::llround(lognormal(40, 0.9)), 3, 1500));
        prompt_bytes += question.size();
        w.begin_object().key("role").value("user").key("content").value(question).end_object();
        if (t + 1 < turns) {
          const std::string answer = prompt_text(uniform_int(20, 200));
          prompt_bytes += answer.size();
          w.begin_object().key("role").value("assistant").key("content").value(answer);
          w.end_object();
        }
      }
      w.end_array();
      break;
    }
    case Endpoint::completions: {
      r.target = "/v1/completions";
      const std::string prompt =
          prompt_text(std::clamp<std::int64_t>(std::llround(lognormal(60, 0.7)), 5, 1500));
      prompt_bytes += prompt.size();
      w.key("prompt").value(prompt);
      break;
    }
  }

  if (r.endpoint != Endpoint::embeddings) {
    r.completion_tokens =
        std::clamp<std::int64_t>(std::llround(lognormal(model.median_tokens, 0.6)), 4, 1000);
    // A few clients cap the answer, so some finish with "length".
    if (uniform() < 0.05) {
      w.key("max_tokens").value(std::int64_t{64});
      r.completion_tokens = std::min<std::int64_t>(r.completion_tokens, 64);
    }
    if (uniform() < 0.5) w.key("temperature").value(uniform() < 0.5 ? 0.2 : 0.7, 1);
    if (r.stream) {
      w.key("stream").value(true);
      if (uniform() < mix_.include_usage_share)
        w.key("stream_options").begin_object().key("include_usage").value(true).end_object();
    }
    // Time to first token: queueing jitter plus prompt processing, sometimes a busy backend.
    const double prompt_tokens = static_cast<double>(prompt_bytes) / 4.0;
    double ttft = lognormal(model.ttft_ms, 0.3);
    if (model.prefill_tokens_per_s > 0) ttft += 1000.0 * prompt_tokens / model.prefill_tokens_per_s;
    if (uniform() < mix_.slow_share) ttft *= 4;
    // Rounded as the headers carry them, so that the cap below holds for what the mock does.
    ttft = std::round(ttft * 10) / 10;
    const double interval =
        std::max(0.1, std::round(10'000.0 / lognormal(model.tokens_per_second, 0.15)) / 10);
    if (!r.stream) {
      const double budget = std::max(0.0, mix_.max_unstreamed_ms - ttft);
      const auto fits = static_cast<std::int64_t>(budget / interval) + 1;
      r.completion_tokens = std::clamp<std::int64_t>(fits, 1, r.completion_tokens);
    }
    r.headers.emplace_back("X-Mock-TTFT-Ms", ms_text(ttft));
    r.headers.emplace_back("X-Mock-Token-Interval-Ms", ms_text(interval));
    r.headers.emplace_back("X-Mock-Completion-Tokens", std::to_string(r.completion_tokens));
  }
  w.key("user").value(r.user);
  w.end_object();

  switch (r.fault) {
    case Fault::none:
      break;
    case Fault::rate_limit:
      r.headers.emplace_back("X-Mock-Status", "429");
      break;
    case Fault::server_error:
      r.headers.emplace_back("X-Mock-Status", "500");
      break;
    case Fault::unavailable:
      r.headers.emplace_back("X-Mock-Status", "503");
      break;
    case Fault::timeout:
      r.headers.emplace_back("X-Mock-Stall-Ms", ms_text(mix_.timeout_stall_ms));
      break;
    case Fault::stream_cut: {
      // At least the role chunk and one token get through before the backend goes away.
      const auto events = uniform_int(2, std::max<std::int64_t>(2, r.completion_tokens));
      r.headers.emplace_back("X-Mock-Close-After-Events", std::to_string(events));
      break;
    }
    case Fault::client_disconnect:
      r.disconnect_after_events =
          uniform_int(2, std::max<std::int64_t>(2, r.completion_tokens / 2));
      break;
  }
  return r;
}

}  // namespace lmp::app::demo
