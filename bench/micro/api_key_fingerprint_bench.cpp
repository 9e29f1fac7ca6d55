// proxy::api_key_fingerprint of an OpenAI-style key: computed for every request that carries
// an API key (Authorization: Bearer or api-key).
#include <benchmark/benchmark.h>

#include <string>

#include "proxy/forwarding_headers.hpp"

namespace {

void BM_ApiKeyFingerprint(benchmark::State& state) {
  const std::string key = "sk-proj-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ";
  for (auto _ : state) {
    auto fingerprint = lmp::proxy::api_key_fingerprint(key);
    benchmark::DoNotOptimize(fingerprint);
  }
}
BENCHMARK(BM_ApiKeyFingerprint);

}  // namespace
