// Realistic completion records for benchmarks and scale tests: six models of different
// speeds, 65% streamed, ~3% failures of eight kinds, five origins, a daily arrival cycle.
// Shared by bench/scale/lmp_fill_store and the microbenchmarks so both measure the same mix.
#pragma once

#include <cstdint>
#include <random>

#include "llm/completion_record.hpp"

namespace lmp::bench {

// Records `mean_gap_ms` apart on average (exponential gaps whose rate follows the hour of the
// day), starting at `start_ms`; deterministic for a seed.
class RecordGenerator {
 public:
  RecordGenerator(std::int64_t start_ms, double mean_gap_ms, std::uint64_t seed = 1);
  llm::CompletionRecord next();

 private:
  std::mt19937_64 rng_;
  double mean_gap_ms_;
  double t_;
  std::uniform_real_distribution<double> unit_{0, 1};
  std::discrete_distribution<int> model_, origin_, error_;
};

}  // namespace lmp::bench
