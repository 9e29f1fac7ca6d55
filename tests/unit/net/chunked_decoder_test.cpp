#include "net/chunked_decoder.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace lmp::net {
namespace {

struct Decoded {
  std::string payload;
  std::size_t consumed = 0;
  bool done = false;
  bool failed = false;
};

// Feeds `input` in pieces cut at `cuts` (ascending offsets) and gathers the result.
Decoded decode_split(std::string_view input, const std::vector<std::size_t>& cuts) {
  ChunkedDecoder decoder;
  Decoded d;
  std::size_t from = 0;
  auto feed = [&](std::size_t to) {
    const std::string_view piece = input.substr(from, to - from);
    const std::size_t used = decoder.feed(piece, [&](std::string_view p) { d.payload.append(p); });
    d.consumed += used;
    from = to;
    return used == piece.size();
  };
  for (std::size_t cut : cuts)
    if (!feed(cut)) break;
  if (from < input.size() && !decoder.done() && !decoder.failed()) feed(input.size());
  d.done = decoder.done();
  d.failed = decoder.failed();
  return d;
}

Decoded decode(std::string_view input) {
  return decode_split(input, {});
}

const std::string kBody =
    "7\r\ndata: {\r\n"
    "1A;name=value\r\nabcdefghijklmnopqrstuvwxyz\r\n"
    "0\r\n\r\n";

TEST(ChunkedDecoder, DecodesPayloadAndStopsAtTheEnd) {
  const std::string input = kBody + "NEXT RESPONSE";
  const Decoded d = decode(input);
  EXPECT_TRUE(d.done);
  EXPECT_FALSE(d.failed);
  EXPECT_EQ(d.payload, "data: {abcdefghijklmnopqrstuvwxyz");
  EXPECT_EQ(d.consumed, kBody.size());  // never past the end of the message
}

TEST(ChunkedDecoder, EverySplitIntoTwoAndThreePiecesGivesTheSameResult) {
  const Decoded whole = decode(kBody);
  for (std::size_t a = 0; a <= kBody.size(); ++a) {
    const Decoded two = decode_split(kBody, {a});
    ASSERT_EQ(two.payload, whole.payload) << "cut at " << a;
    ASSERT_TRUE(two.done) << "cut at " << a;
    for (std::size_t b = a; b <= kBody.size(); b += 3) {
      const Decoded three = decode_split(kBody, {a, b});
      ASSERT_EQ(three.payload, whole.payload) << "cuts at " << a << ", " << b;
      ASSERT_EQ(three.consumed, kBody.size());
    }
  }
}

TEST(ChunkedDecoder, OneByteAtATime) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < kBody.size(); ++i) cuts.push_back(i);
  const Decoded d = decode_split(kBody, cuts);
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.payload, "data: {abcdefghijklmnopqrstuvwxyz");
}

TEST(ChunkedDecoder, TrailersAreSkipped) {
  const Decoded d = decode("3\r\nabc\r\n0\r\nX-Checksum: 1\r\nX-Other: 2\r\n\r\n");
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.payload, "abc");
}

TEST(ChunkedDecoder, UppercaseHexAndBareLineFeeds) {
  const Decoded d = decode("A\nabcdefghij\n0\n\n");
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.payload, "abcdefghij");
  EXPECT_TRUE(decode("B\r\nabcdefghijk\r\n0\r\n\r\n").done);
}

TEST(ChunkedDecoder, IncompleteInputIsNeitherDoneNorFailed) {
  const Decoded d = decode("5\r\nab");
  EXPECT_FALSE(d.done);
  EXPECT_FALSE(d.failed);
  EXPECT_EQ(d.payload, "ab");
}

TEST(ChunkedDecoder, InvalidCodingFails) {
  for (const char* bad :
       {"xyz\r\n", "\r\n", "5\r\nabcdeXX", "5\rabcde", "0\r\n\rX", "1234567890123456\r\n"}) {
    EXPECT_TRUE(decode(bad).failed) << bad;
  }
}

TEST(ChunkedDecoder, RandomInputNeverConsumesMoreThanGiven) {
  std::mt19937 rng(7);
  const std::string alphabet = "0123456789abcdefABCDEF\r\n; =x";
  for (int round = 0; round < 20000; ++round) {
    std::string input(rng() % 64, '\0');
    for (char& c : input) c = alphabet[rng() % alphabet.size()];
    ChunkedDecoder decoder;
    std::size_t payload = 0;
    const std::size_t used = decoder.feed(input, [&](std::string_view p) { payload += p.size(); });
    ASSERT_LE(used, input.size());
    ASSERT_LE(payload, used);
    if (used < input.size()) {
      ASSERT_TRUE(decoder.done() || decoder.failed()) << input;
    }
  }
}

}  // namespace
}  // namespace lmp::net
