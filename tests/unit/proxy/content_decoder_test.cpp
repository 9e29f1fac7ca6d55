#include "proxy/content_decoder.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace lmp::proxy {
namespace {

using Encoding = ContentDecoder::Encoding;

enum class Wrap { gzip, zlib, raw };

std::string compress(std::string_view in, Wrap wrap) {
  z_stream zs{};
  const int bits = wrap == Wrap::gzip ? 15 + 16 : wrap == Wrap::zlib ? 15 : -15;
  EXPECT_EQ(deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, static_cast<uLong>(in.size())) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// A body like a short SSE stream: some repetition, some variety, multi-byte UTF-8.
std::string sample_body() {
  std::string s;
  for (int i = 0; i < 40; ++i) {
    s += "data: {\"choices\":[{\"delta\":{\"content\":\"token ";
    s += std::to_string(i * 7919 % 1000);
    s += " caf\xC3\xA9 \xF0\x9F\x98\x80\"}}]}\n\n";
  }
  s += "data: [DONE]\n\n";
  return s;
}

std::string decode_pieces(ContentDecoder& d, std::string_view a, std::string_view b) {
  std::string out(d.decode(a));
  out.append(d.decode(b));
  return out;
}

void expect_every_two_piece_split_decodes(Wrap wrap, Encoding encoding) {
  const std::string body = sample_body();
  const std::string compressed = compress(body, wrap);
  ASSERT_GT(compressed.size(), 20u);
  ASSERT_NE(compressed, body);
  int failures = 0;
  for (std::size_t cut = 0; cut <= compressed.size(); ++cut) {
    ContentDecoder d(encoding);
    const std::string out = decode_pieces(d, std::string_view(compressed).substr(0, cut),
                                          std::string_view(compressed).substr(cut));
    EXPECT_FALSE(d.failed()) << "split at " << cut << " of " << compressed.size();
    // Not EXPECT_EQ: the body is too long to print usefully.
    EXPECT_TRUE(out == body) << "split at " << cut << " of " << compressed.size() << ": got "
                             << out.size() << " bytes, expected " << body.size();
    if (d.failed() || out != body) {
      if (++failures > 5) FAIL() << "more failures not shown";
    }
  }
}

TEST(ContentDecoderEncoding, FromHeader) {
  EXPECT_EQ(ContentDecoder::encoding_from_header(""), Encoding::identity);
  EXPECT_EQ(ContentDecoder::encoding_from_header("identity"), Encoding::identity);
  EXPECT_EQ(ContentDecoder::encoding_from_header("gzip"), Encoding::gzip);
  EXPECT_EQ(ContentDecoder::encoding_from_header("GZip"), Encoding::gzip);
  EXPECT_EQ(ContentDecoder::encoding_from_header(" gzip "), Encoding::gzip);
  EXPECT_EQ(ContentDecoder::encoding_from_header("x-gzip"), Encoding::gzip);
  EXPECT_EQ(ContentDecoder::encoding_from_header("deflate"), Encoding::deflate);
  EXPECT_EQ(ContentDecoder::encoding_from_header("Deflate"), Encoding::deflate);
  EXPECT_EQ(ContentDecoder::encoding_from_header("br"), Encoding::unsupported);
  EXPECT_EQ(ContentDecoder::encoding_from_header("zstd"), Encoding::unsupported);
  EXPECT_EQ(ContentDecoder::encoding_from_header("gzip, br"), Encoding::unsupported);
}

TEST(ContentDecoder, IdentityPassesBytesThrough) {
  ContentDecoder d(Encoding::identity);
  const std::string body = sample_body();
  const std::string_view out = d.decode(body);
  EXPECT_EQ(out, body);
  EXPECT_EQ(out.data(), body.data());  // no copy
  EXPECT_EQ(d.decode("\x1f\x8b not really gzip"), "\x1f\x8b not really gzip");
  EXPECT_FALSE(d.failed());
}

TEST(ContentDecoder, UnsupportedFailsAtOnce) {
  ContentDecoder d(Encoding::unsupported);
  EXPECT_TRUE(d.failed());
  EXPECT_TRUE(d.decode("abc").empty());
}

TEST(ContentDecoder, GzipWhole) {
  const std::string body = sample_body();
  ContentDecoder d(Encoding::gzip);
  EXPECT_EQ(d.decode(compress(body, Wrap::gzip)), body);
  EXPECT_FALSE(d.failed());
}

TEST(ContentDecoder, GzipEverySplitIntoTwoPieces) {
  expect_every_two_piece_split_decodes(Wrap::gzip, Encoding::gzip);
}

TEST(ContentDecoder, GzipByteByByte) {
  const std::string body = sample_body();
  const std::string compressed = compress(body, Wrap::gzip);
  ContentDecoder d(Encoding::gzip);
  std::string out;
  for (char c : compressed) out.append(d.decode(std::string_view(&c, 1)));
  EXPECT_FALSE(d.failed());
  EXPECT_EQ(out, body);
}

TEST(ContentDecoder, ZlibDeflateWhole) {
  const std::string body = sample_body();
  ContentDecoder d(Encoding::deflate);
  EXPECT_EQ(d.decode(compress(body, Wrap::zlib)), body);
  EXPECT_FALSE(d.failed());
}

TEST(ContentDecoder, ZlibDeflateEverySplitIntoTwoPieces) {
  expect_every_two_piece_split_decodes(Wrap::zlib, Encoding::deflate);
}

TEST(ContentDecoder, RawDeflateWhole) {
  const std::string body = sample_body();
  ContentDecoder d(Encoding::deflate);
  EXPECT_EQ(d.decode(compress(body, Wrap::raw)), body);
  EXPECT_FALSE(d.failed());
}

TEST(ContentDecoder, RawDeflateEverySplitIntoTwoPieces) {
  expect_every_two_piece_split_decodes(Wrap::raw, Encoding::deflate);
}

TEST(ContentDecoder, LargeOutputFromOneSmallInput) {
  const std::string body(3 << 20, 'a');  // far more than one 16 KiB output step
  const std::string compressed = compress(body, Wrap::gzip);
  ASSERT_LT(compressed.size(), 16384u);
  ContentDecoder d(Encoding::gzip);
  const std::string out(d.decode(compressed));
  EXPECT_FALSE(d.failed());
  EXPECT_EQ(out.size(), body.size());
  EXPECT_EQ(out, body);
}

TEST(ContentDecoder, EmptyInputYieldsNothing) {
  ContentDecoder d(Encoding::gzip);
  EXPECT_TRUE(d.decode("").empty());
  EXPECT_FALSE(d.failed());
}

TEST(ContentDecoder, CorruptGzipFails) {
  ContentDecoder d(Encoding::gzip);
  d.decode("this is not gzip at all, just text");
  EXPECT_TRUE(d.failed());
  EXPECT_TRUE(d.decode("more").empty());
  EXPECT_TRUE(d.failed());
}

TEST(ContentDecoder, CorruptGzipBodyFails) {
  std::string compressed = compress(sample_body(), Wrap::gzip);
  // Keep the 10-byte header, flip bits in the deflate data.
  for (std::size_t i = 12; i < compressed.size() - 8; i += 3) compressed[i] ^= 0x5A;
  ContentDecoder d(Encoding::gzip);
  d.decode(compressed);
  EXPECT_TRUE(d.failed());
}

TEST(ContentDecoder, CorruptGzipChecksumFails) {
  std::string compressed = compress(sample_body(), Wrap::gzip);
  compressed[compressed.size() - 6] ^= 0x01;  // CRC32 in the trailer
  ContentDecoder d(Encoding::gzip);
  d.decode(compressed);
  EXPECT_TRUE(d.failed());
}

TEST(ContentDecoder, CorruptDeflateFails) {
  ContentDecoder d(Encoding::deflate);
  d.decode(std::string(64, '\xFF'));
  EXPECT_TRUE(d.failed());
}

TEST(ContentDecoder, BytesAfterTheEndAreIgnored) {
  const std::string body = sample_body();
  ContentDecoder d(Encoding::gzip);
  std::string out(d.decode(compress(body, Wrap::gzip)));
  out.append(d.decode("trailing junk"));
  EXPECT_EQ(out, body);
  EXPECT_FALSE(d.failed());
}

}  // namespace
}  // namespace lmp::proxy
