// The demo's traffic mix: over many draws the planner sends what the mix says (models,
// streaming, failures), every planned request is well-formed, and a seed fixes the sequence.
#include "app/demo_traffic.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>
#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <string>
#include <vector>

namespace lmp::app::demo {
namespace {

namespace bj = boost::json;

constexpr int kDraws = 10'000;
constexpr std::uint64_t kSeed = 42;

std::string header(const PlannedRequest& r, std::string_view name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return {};
}

double share(int count) {
  return static_cast<double>(count) / kDraws;
}

// kDraws requests from the default mix with kSeed, drawn once for all the tests of the mix.
const std::vector<PlannedRequest>& sample() {
  static const std::vector<PlannedRequest> requests = [] {
    TrafficPlanner planner(default_mix(), kSeed);
    std::vector<PlannedRequest> out;
    out.reserve(kDraws);
    for (int i = 0; i < kDraws; ++i) out.push_back(planner.next());
    return out;
  }();
  return requests;
}

TEST(DemoTraffic, ModelSharesFollowTheWeights) {
  const TrafficMix mix = default_mix();
  std::map<std::string, int> counts;
  for (const auto& r : sample()) ++counts[r.model];
  ASSERT_EQ(counts.size(), mix.models.size());
  for (const auto& m : mix.models)
    EXPECT_NEAR(share(counts[m.name]), model_share(mix, m.name), 0.015) << m.name;
}

TEST(DemoTraffic, StreamingShareAndEndpoints) {
  const TrafficMix mix = default_mix();
  int streamed = 0, completions = 0, embeddings = 0, chat = 0;
  for (const auto& r : sample()) {
    streamed += r.stream;
    switch (r.endpoint) {
      case Endpoint::chat:
        ++chat;
        EXPECT_EQ(r.target, "/v1/chat/completions");
        break;
      case Endpoint::completions:
        ++completions;
        EXPECT_EQ(r.target, "/v1/completions");
        break;
      case Endpoint::embeddings:
        ++embeddings;
        EXPECT_EQ(r.target, "/v1/embeddings");
        EXPECT_FALSE(r.stream);
        EXPECT_EQ(r.model, "nomic-embed-text");
        break;
    }
  }
  EXPECT_NEAR(share(streamed), stream_share(mix), 0.015);
  EXPECT_NEAR(share(embeddings), model_share(mix, "nomic-embed-text"), 0.015);
  // Some of everything, chat the most.
  EXPECT_GT(completions, kDraws / 50);
  EXPECT_GT(chat, kDraws / 2);
}

TEST(DemoTraffic, FailureSharesMatchTheMix) {
  const TrafficMix mix = default_mix();
  std::map<Fault, int> counts;
  for (const auto& r : sample()) {
    ++counts[r.fault];
    if (r.fault == Fault::stream_cut || r.fault == Fault::client_disconnect) {
      EXPECT_TRUE(r.stream) << "stream-only faults only on streams";
    }
  }
  const std::map<Fault, double> expected = {
      {Fault::rate_limit, mix.rate_limit_share},
      {Fault::server_error, mix.server_error_share},
      {Fault::unavailable, mix.unavailable_share},
      {Fault::timeout, mix.timeout_share},
      {Fault::stream_cut, mix.stream_cut_share},
      {Fault::client_disconnect, mix.client_disconnect_share},
  };
  double expected_total = 0;
  int failed = 0;
  for (const auto& [fault, want] : expected) {
    EXPECT_GT(counts[fault], 0) << to_string(fault);
    // About four standard deviations of a binomial share this small.
    EXPECT_NEAR(share(counts[fault]), want, 0.004) << to_string(fault);
    expected_total += want;
    failed += counts[fault];
  }
  EXPECT_NEAR(share(failed), expected_total, 0.008);
  EXPECT_GT(share(failed), 0.03);
  EXPECT_LT(share(failed), 0.05);
}

TEST(DemoTraffic, OriginsAndUsersVary) {
  std::map<std::string, int> origins, users;
  for (const auto& r : sample()) {
    ++origins[r.origin];
    ++users[r.user];
    EXPECT_EQ(header(r, "Origin"), r.origin);
  }
  EXPECT_EQ(origins.size(), 4u);  // three web origins and none
  EXPECT_NEAR(share(origins[""]), 0.25, 0.015);
  EXPECT_EQ(users.size(), 6u);
}

TEST(DemoTraffic, FaultsBecomeMockHeaders) {
  for (const auto& r : sample()) {
    switch (r.fault) {
      case Fault::rate_limit:
        EXPECT_EQ(header(r, "X-Mock-Status"), "429");
        break;
      case Fault::server_error:
        EXPECT_EQ(header(r, "X-Mock-Status"), "500");
        break;
      case Fault::unavailable:
        EXPECT_EQ(header(r, "X-Mock-Status"), "503");
        break;
      case Fault::timeout:
        EXPECT_EQ(header(r, "X-Mock-Stall-Ms"),
                  fmt::format("{:.1f}", default_mix().timeout_stall_ms));
        break;
      case Fault::stream_cut: {
        const auto after = std::stoll(header(r, "X-Mock-Close-After-Events"));
        EXPECT_GE(after, 2);
        EXPECT_LE(after, r.completion_tokens);
        break;
      }
      case Fault::client_disconnect:
        EXPECT_GE(r.disconnect_after_events, 2);
        EXPECT_LT(r.disconnect_after_events, r.completion_tokens);
        break;
      case Fault::none:
        EXPECT_EQ(header(r, "X-Mock-Status"), "");
        EXPECT_EQ(header(r, "X-Mock-Close-After-Events"), "");
        EXPECT_EQ(r.disconnect_after_events, 0);
        break;
    }
  }
}

TEST(DemoTraffic, BodiesAreValidRequests) {
  for (const auto& r : sample()) {
    bj::error_code ec;
    const bj::value body = bj::parse(r.body, ec);
    ASSERT_FALSE(ec) << r.body;
    const auto& o = body.as_object();
    EXPECT_EQ(o.at("model").as_string(), r.model);
    EXPECT_EQ(o.at("user").as_string(), r.user);
    EXPECT_EQ(o.contains("stream") && o.at("stream").as_bool(), r.stream);
    EXPECT_EQ(header(r, "Authorization").rfind("Bearer sk-demo-", 0), 0u);
    switch (r.endpoint) {
      case Endpoint::chat:
        EXPECT_GE(o.at("messages").as_array().size(), 1u);
        break;
      case Endpoint::completions:
        EXPECT_TRUE(o.at("prompt").is_string());
        break;
      case Endpoint::embeddings:
        EXPECT_TRUE(o.contains("input"));
        break;
    }
    if (r.endpoint != Endpoint::embeddings) {
      // Not streamed: shortened to fit TrafficMix::max_unstreamed_ms.
      EXPECT_GE(r.completion_tokens, r.stream ? 4 : 1);
      EXPECT_EQ(header(r, "X-Mock-Completion-Tokens"), std::to_string(r.completion_tokens));
      const double ttft = std::stod(header(r, "X-Mock-TTFT-Ms"));
      const double interval = std::stod(header(r, "X-Mock-Token-Interval-Ms"));
      EXPECT_GT(ttft, 0);
      EXPECT_GT(interval, 0);
      // The mock answers a request that is not streamed after its last token: that must come
      // well before the proxy's backend timeout, or it would fail unplanned.
      if (!r.stream) {
        const double answer_ms = ttft + static_cast<double>(r.completion_tokens - 1) * interval;
        EXPECT_LE(answer_ms, std::max(default_mix().max_unstreamed_ms, ttft) + 0.1);
      }
    }
  }
}

TEST(DemoTraffic, SameSeedSameTrafficOtherSeedOther) {
  TrafficPlanner a(default_mix(), 7), b(default_mix(), 7), c(default_mix(), 8);
  bool differs = false;
  for (int i = 0; i < 500; ++i) {
    const auto x = a.next(), y = b.next(), z = c.next();
    ASSERT_EQ(x.body, y.body);
    ASSERT_EQ(x.headers, y.headers);
    ASSERT_EQ(x.fault, y.fault);
    ASSERT_EQ(a.next_gap_seconds(3), b.next_gap_seconds(3));
    c.next_gap_seconds(3);
    differs = differs || x.body != z.body;
  }
  EXPECT_TRUE(differs);
}

TEST(DemoTraffic, GapsAverageOneOverTheRate) {
  TrafficPlanner planner(default_mix(), kSeed);
  double sum = 0;
  for (int i = 0; i < kDraws; ++i) {
    const double gap = planner.next_gap_seconds(4);
    ASSERT_GE(gap, 0);
    sum += gap;
  }
  EXPECT_NEAR(sum / kDraws, 0.25, 0.01);
}

}  // namespace
}  // namespace lmp::app::demo
