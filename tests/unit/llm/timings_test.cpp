#include "llm/timings.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace lmp::llm {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

const time::MonoTime kT0 = time::MonoTime{} + std::chrono::hours(2);

TimingInput streaming_input() {
  TimingInput in;
  in.t0 = kT0;
  in.first_byte = kT0 + milliseconds(40);
  in.first_token = kT0 + milliseconds(250);
  in.last_token = kT0 + milliseconds(2250);
  in.end = kT0 + milliseconds(2260);
  in.streaming = true;
  in.max_inter_token_gap_ms = 120.5;
  in.completion_tokens = 101;
  return in;
}

TEST(Timings, Streaming) {
  const auto t = compute_timings(streaming_input());
  EXPECT_DOUBLE_EQ(t.response_time_ms, 2260);
  EXPECT_EQ(t.time_to_first_byte_ms, 40);
  EXPECT_EQ(t.time_to_first_token_ms, 250);
  EXPECT_EQ(t.time_to_last_token_ms, 2250);
  EXPECT_EQ(t.max_inter_token_gap_ms, 120.5);
  // 101 tokens / 2.25 s
  ASSERT_TRUE(t.tokens_per_second);
  EXPECT_DOUBLE_EQ(*t.tokens_per_second, 101 / 2.25);
  // (2250 - 250) ms / (101 - 1)
  ASSERT_TRUE(t.time_per_output_token_ms);
  EXPECT_DOUBLE_EQ(*t.time_per_output_token_ms, 20.0);
}

TEST(Timings, SubMillisecondPrecision) {
  TimingInput in = streaming_input();
  in.first_byte = kT0 + microseconds(1234);
  in.end = kT0 + microseconds(2260500);
  const auto t = compute_timings(in);
  EXPECT_DOUBLE_EQ(*t.time_to_first_byte_ms, 1.234);
  EXPECT_DOUBLE_EQ(t.response_time_ms, 2260.5);
}

TEST(Timings, StreamingWithoutTokens) {
  TimingInput in = streaming_input();
  in.first_token.reset();
  in.last_token.reset();
  in.completion_tokens = 0;
  const auto t = compute_timings(in);
  EXPECT_FALSE(t.time_to_first_token_ms);
  EXPECT_FALSE(t.time_to_last_token_ms);
  EXPECT_FALSE(t.max_inter_token_gap_ms);
  EXPECT_FALSE(t.tokens_per_second);
  EXPECT_FALSE(t.time_per_output_token_ms);
  EXPECT_EQ(t.time_to_first_byte_ms, 40);
}

TEST(Timings, StreamingTokensButNoUsage) {
  TimingInput in = streaming_input();
  in.completion_tokens.reset();
  const auto t = compute_timings(in);
  EXPECT_EQ(t.time_to_first_token_ms, 250);
  EXPECT_FALSE(t.tokens_per_second);
  EXPECT_FALSE(t.time_per_output_token_ms);
}

TEST(Timings, OneTokenHasARateButNoPerTokenTime) {
  TimingInput in = streaming_input();
  in.completion_tokens = 1;
  in.last_token = in.first_token;
  in.max_inter_token_gap_ms = 0;
  const auto t = compute_timings(in);
  EXPECT_DOUBLE_EQ(*t.tokens_per_second, 1 / 0.25);
  EXPECT_FALSE(t.time_per_output_token_ms);
  EXPECT_EQ(t.max_inter_token_gap_ms, 0.0);
}

TEST(Timings, AllTokensInOneEventHaveNoPerTokenTime) {
  TimingInput in = streaming_input();
  in.last_token = in.first_token;
  const auto t = compute_timings(in);
  EXPECT_FALSE(t.time_per_output_token_ms);
  EXPECT_DOUBLE_EQ(*t.tokens_per_second, 101 / 0.25);
}

TEST(Timings, NonStreaming) {
  TimingInput in;
  in.t0 = kT0;
  in.first_byte = kT0 + milliseconds(800);
  in.end = kT0 + milliseconds(1600);
  in.streaming = false;
  in.completion_tokens = 40;
  const auto t = compute_timings(in);
  EXPECT_DOUBLE_EQ(t.response_time_ms, 1600);
  EXPECT_EQ(t.time_to_first_byte_ms, 800);
  EXPECT_EQ(t.time_to_first_token_ms, 1600);
  EXPECT_EQ(t.time_to_last_token_ms, 1600);
  EXPECT_FALSE(t.max_inter_token_gap_ms);
  EXPECT_DOUBLE_EQ(*t.tokens_per_second, 25.0);  // 40 / 1.6 s
  EXPECT_FALSE(t.time_per_output_token_ms);
}

TEST(Timings, NoRateWithoutDurationOrTokens) {
  TimingInput in;
  in.t0 = kT0;
  in.end = kT0;
  in.completion_tokens = 10;
  auto t = compute_timings(in);
  EXPECT_EQ(t.response_time_ms, 0);
  EXPECT_FALSE(t.time_to_first_byte_ms);
  EXPECT_FALSE(t.tokens_per_second);
  in.end = kT0 + milliseconds(10);
  in.completion_tokens = 0;
  EXPECT_FALSE(compute_timings(in).tokens_per_second);
  in.completion_tokens = -3;
  EXPECT_FALSE(compute_timings(in).tokens_per_second);
}

TEST(Timings, ApplyFillsTheRecord) {
  CompletionRecord record;
  apply(compute_timings(streaming_input()), record);
  EXPECT_EQ(record.response_time_ms, 2260);
  EXPECT_EQ(record.time_to_first_byte_ms, 40);
  EXPECT_EQ(record.time_to_first_token_ms, 250);
  EXPECT_EQ(record.time_to_last_token_ms, 2250);
  EXPECT_EQ(record.max_inter_token_gap_ms, 120.5);
  EXPECT_DOUBLE_EQ(*record.tokens_per_second, 101 / 2.25);
}

}  // namespace
}  // namespace lmp::llm
