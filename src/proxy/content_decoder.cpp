#include "proxy/content_decoder.hpp"

#include <cctype>

namespace lmp::proxy {

ContentDecoder::Encoding ContentDecoder::encoding_from_header(std::string_view v) {
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
  auto iequals = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
    return true;
  };
  if (v.empty() || iequals(v, "identity")) return Encoding::identity;
  if (iequals(v, "gzip") || iequals(v, "x-gzip")) return Encoding::gzip;
  if (iequals(v, "deflate")) return Encoding::deflate;
  return Encoding::unsupported;
}

ContentDecoder::ContentDecoder(Encoding encoding) : encoding_(encoding) {
  if (encoding_ == Encoding::gzip || encoding_ == Encoding::deflate) {
    // 15 + 32: detect zlib or gzip headers automatically. "deflate" in HTTP is meant to be
    // zlib-wrapped, but some servers send raw deflate; that case is retried below.
    initialised_ = inflateInit2(&zs_, 15 + 32) == Z_OK;
    failed_ = !initialised_;
  } else if (encoding_ == Encoding::unsupported) {
    failed_ = true;
  }
}

ContentDecoder::~ContentDecoder() {
  if (initialised_) inflateEnd(&zs_);
}

std::string_view ContentDecoder::decode(std::string_view in) {
  if (encoding_ == Encoding::identity) return in;
  if (failed_ || finished_ || in.empty()) return {};
  out_.clear();
  zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs_.avail_in = static_cast<uInt>(in.size());
  bool retried_raw = false;
  while (zs_.avail_in > 0) {
    const std::size_t old = out_.size();
    out_.resize(old + 16384);
    zs_.next_out = reinterpret_cast<Bytef*>(out_.data() + old);
    zs_.avail_out = 16384;
    const int rc = inflate(&zs_, Z_NO_FLUSH);
    out_.resize(old + (16384 - zs_.avail_out));
    if (rc == Z_STREAM_END) {
      finished_ = true;
      break;
    }
    if (rc == Z_DATA_ERROR && encoding_ == Encoding::deflate && !retried_raw &&
        zs_.total_out == 0) {
      // Raw deflate without the zlib wrapper.
      inflateEnd(&zs_);
      zs_ = {};
      initialised_ = inflateInit2(&zs_, -15) == Z_OK;
      retried_raw = true;
      zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
      zs_.avail_in = static_cast<uInt>(in.size());
      out_.clear();
      if (!initialised_) break;
      continue;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      failed_ = true;
      return {};
    }
    if (rc == Z_BUF_ERROR && zs_.avail_out != 0) break;  // needs more input
  }
  return out_;
}

}  // namespace lmp::proxy
