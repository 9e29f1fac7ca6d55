#include "common/record_generator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

namespace lmp::bench {

using llm::CompletionRecord;
using llm::Endpoint;
using llm::ErrorType;

namespace {

struct Model {
  const char* name;
  double weight;
  double ttft_ms;
  double tokens_per_second;
  Endpoint endpoint;
};

constexpr std::array<Model, 6> kModels{{
    {"llama3.1:8b", 0.35, 180, 75, Endpoint::chat_completions},
    {"qwen2.5:14b", 0.20, 320, 42, Endpoint::chat_completions},
    {"mistral:7b", 0.15, 150, 90, Endpoint::chat_completions},
    {"llama3.1:70b", 0.10, 900, 14, Endpoint::chat_completions},
    {"qwen2.5-coder:7b", 0.12, 200, 80, Endpoint::completions},
    {"nomic-embed-text", 0.08, 25, 0, Endpoint::embeddings},
}};
constexpr std::array<const char*, 5> kOrigins{"http://localhost:3000", "https://chat.example.com",
                                              "http://10.0.0.5:8080", "vscode-webview://coder", ""};
constexpr std::array<double, 5> kOriginWeights{0.45, 0.25, 0.1, 0.1, 0.1};
constexpr std::array<ErrorType, 8> kErrors{
    ErrorType::backend_error,       ErrorType::backend_timeout, ErrorType::stream_interrupted,
    ErrorType::client_disconnected, ErrorType::rate_limit,      ErrorType::invalid_request,
    ErrorType::backend_unreachable, ErrorType::not_found};
constexpr std::array<double, 8> kErrorWeights{0.3, 0.15, 0.15, 0.15, 0.1, 0.08, 0.05, 0.02};
constexpr std::array<int, 8> kErrorStatus{500, 504, 200, 0, 429, 400, 502, 404};

template <std::size_t N>
std::discrete_distribution<int> weights(const std::array<double, N>& w) {
  return std::discrete_distribution<int>(w.begin(), w.end());
}

}  // namespace

RecordGenerator::RecordGenerator(std::int64_t start_ms, double mean_gap_ms, std::uint64_t seed)
    : rng_(seed), mean_gap_ms_(mean_gap_ms), t_(static_cast<double>(start_ms)) {
  std::array<double, kModels.size()> w{};
  for (std::size_t i = 0; i < kModels.size(); ++i) w[i] = kModels[i].weight;
  model_ = weights(w);
  origin_ = weights(kOriginWeights);
  error_ = weights(kErrorWeights);
}

CompletionRecord RecordGenerator::next() {
  const double hour = std::fmod(t_ / 3.6e6, 24.0);
  const double rate = 1.0 + 0.6 * std::sin((hour - 8.0) / 24.0 * 2 * std::numbers::pi);
  t_ += std::exponential_distribution<double>(1.0)(rng_) * mean_gap_ms_ / rate;

  CompletionRecord r;
  r.timestamp_ms = static_cast<std::int64_t>(t_);
  const Model& m = kModels[static_cast<std::size_t>(model_(rng_))];
  r.model = m.name;
  r.endpoint = m.endpoint;
  r.origin = kOrigins[static_cast<std::size_t>(origin_(rng_))];
  r.backend = "http://localhost:11434";
  r.client_address = fmt::format("10.0.{}.{}", rng_() % 4, rng_() % 250);
  r.api_key_fingerprint = fmt::format("sha256:{:016x}", rng_() % 7);
  r.is_streaming = m.endpoint != Endpoint::embeddings && unit_(rng_) < 0.65;
  r.message_count = static_cast<std::int64_t>(1 + rng_() % 12);
  r.max_tokens = 1024;
  r.temperature = 0.7;
  r.request_bytes = static_cast<std::int64_t>(200 + rng_() % 8000);

  const auto prompt = static_cast<std::int64_t>(std::lognormal_distribution<double>(5.5, 1)(rng_));
  const auto completion =
      m.endpoint == Endpoint::embeddings
          ? 0
          : static_cast<std::int64_t>(1 + std::lognormal_distribution<double>(5.3, 0.8)(rng_));
  const double ttft = m.ttft_ms * std::lognormal_distribution<double>(0, 0.35)(rng_) +
                      static_cast<double>(prompt) * 0.05;
  const double speed = m.tokens_per_second * std::lognormal_distribution<double>(0, 0.15)(rng_);
  const double decode = speed > 0 ? static_cast<double>(completion) / speed * 1000 : 0;

  if (unit_(rng_) < 0.03) {
    const auto e = static_cast<std::size_t>(error_(rng_));
    r.success = false;
    r.error_type = kErrors[e];
    r.status_code = kErrorStatus[e];
    r.error_message = "simulated failure";
    r.response_time_ms = kErrors[e] == ErrorType::backend_timeout ? 60000.0 : ttft * unit_(rng_);
    if (kErrors[e] == ErrorType::stream_interrupted && r.is_streaming) {
      r.time_to_first_token_ms = ttft;
      r.time_to_last_token_ms = ttft + decode * 0.4;
      r.response_time_ms = *r.time_to_last_token_ms + 1;
    }
    return r;
  }
  r.success = true;
  r.status_code = 200;
  r.finish_reason = unit_(rng_) < 0.85 ? "stop" : "length";
  const double last = ttft + decode;
  r.time_to_first_byte_ms = ttft * 0.8;
  r.time_to_first_token_ms = r.is_streaming ? ttft : last + 0.3;
  r.time_to_last_token_ms = r.is_streaming ? last : last + 0.3;
  r.response_time_ms = last + 0.3;
  r.max_inter_token_gap_ms = r.is_streaming ? 1000 / std::max(speed, 1.0) * 3 : 0;
  r.response_bytes = completion * 6 + 300;
  if (!r.is_streaming || unit_(rng_) < 0.9) {
    r.prompt_tokens = prompt;
    r.completion_tokens = completion;
    r.total_tokens = prompt + completion;
    if (completion > 0)
      r.tokens_per_second = static_cast<double>(completion) / (*r.time_to_last_token_ms / 1000);
  }
  return r;
}

}  // namespace lmp::bench
