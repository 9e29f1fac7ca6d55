#include "proxy/content_decoder.hpp"

#include "support/text.hpp"

#include <cctype>

namespace lmp::proxy {

ContentDecoder::Encoding ContentDecoder::encoding_from_header(std::string_view v) {
  v = text::trim(v);
  if (v.empty() || text::iequals(v, "identity")) return Encoding::identity;
  if (text::iequals(v, "gzip") || text::iequals(v, "x-gzip")) return Encoding::gzip;
  if (text::iequals(v, "deflate")) return Encoding::deflate;
  return Encoding::unsupported;
}

ContentDecoder::ContentDecoder(Encoding encoding) : encoding_(encoding) {
  if (encoding_ == Encoding::gzip) {
    // 15 + 32: a gzip or zlib header, detected by zlib.
    initialised_ = inflateInit2(&zs_, 15 + 32) == Z_OK;
    failed_ = !initialised_;
  } else if (encoding_ == Encoding::unsupported) {
    failed_ = true;
  }
  // deflate: initialised on the first two bytes, which tell a zlib wrapper from raw deflate.
}

ContentDecoder::~ContentDecoder() {
  if (initialised_) inflateEnd(&zs_);
}

std::string_view ContentDecoder::decode(std::string_view in) {
  if (encoding_ == Encoding::identity) return in;
  if (failed_ || finished_ || in.empty()) return {};
  out_.clear();
  if (!initialised_) {
    const std::size_t need = 2 - pending_.size();
    const std::size_t take = std::min(need, in.size());
    pending_.append(in.substr(0, take));
    in.remove_prefix(take);
    if (pending_.size() < 2) return {};
    const auto b0 = static_cast<unsigned char>(pending_[0]);
    const auto b1 = static_cast<unsigned char>(pending_[1]);
    const bool zlib_wrapped = (b0 & 0x0F) == 8 && (b0 >> 4) <= 7 && ((b0 << 8) | b1) % 31 == 0;
    initialised_ = inflateInit2(&zs_, zlib_wrapped ? 15 : -15) == Z_OK;
    if (!initialised_) {
      failed_ = true;
      return {};
    }
    const std::string head = std::move(pending_);
    inflate_into(head);
    if (failed_ || finished_) return failed_ ? std::string_view{} : std::string_view(out_);
  }
  inflate_into(in);
  if (failed_) return {};
  return out_;
}

void ContentDecoder::inflate_into(std::string_view in) {
  zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs_.avail_in = static_cast<uInt>(in.size());
  while (zs_.avail_in > 0) {
    const std::size_t old = out_.size();
    out_.resize(old + 16384);
    zs_.next_out = reinterpret_cast<Bytef*>(out_.data() + old);
    zs_.avail_out = 16384;
    const int rc = inflate(&zs_, Z_NO_FLUSH);
    out_.resize(old + (16384 - zs_.avail_out));
    if (rc == Z_STREAM_END) {
      finished_ = true;
      return;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      failed_ = true;
      return;
    }
    if (rc == Z_BUF_ERROR && zs_.avail_out != 0) return;  // needs more input
  }
}

}  // namespace lmp::proxy
