// libFuzzer target: ChunkedDecoder on arbitrary bytes, whole and split at a fuzzer-chosen
// point, must agree and never read past what it was given.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "net/chunked_decoder.hpp"

namespace {
struct Result {
  std::string payload;
  bool done = false;
  bool failed = false;
  std::size_t consumed = 0;
};

Result run(std::string_view input, std::size_t cut) {
  lmp::net::ChunkedDecoder decoder;
  Result r;
  auto feed = [&](std::string_view piece) {
    const std::size_t used = decoder.feed(piece, [&](std::string_view p) { r.payload.append(p); });
    if (used > piece.size()) std::abort();
    r.consumed += used;
    return used == piece.size();
  };
  if (feed(input.substr(0, cut))) feed(input.substr(cut));
  r.done = decoder.done();
  r.failed = decoder.failed();
  return r;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t cut = data[0] % size;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  const Result whole = run(input, input.size());
  const Result split = run(input, cut < input.size() ? cut : input.size());
  if (whole.payload != split.payload || whole.done != split.done || whole.failed != split.failed ||
      whole.consumed != split.consumed)
    std::abort();
  return 0;
}
