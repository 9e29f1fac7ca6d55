// Inflates a gzip- or deflate-encoded response body as it streams by, so it can be measured
// while the client still receives the compressed bytes untouched.
#pragma once

#include <zlib.h>

#include <algorithm>
#include <string>
#include <string_view>

namespace lmp::proxy {

class ContentDecoder {
 public:
  enum class Encoding { identity, gzip, deflate, unsupported };
  static Encoding encoding_from_header(std::string_view content_encoding);

  explicit ContentDecoder(Encoding encoding);
  ~ContentDecoder();
  ContentDecoder(const ContentDecoder&) = delete;
  ContentDecoder& operator=(const ContentDecoder&) = delete;

  // Decodes `in` and returns a view of the decoded bytes, valid until the next call.
  // Identity input is returned as it is. After an error, returns empty and failed() is true.
  std::string_view decode(std::string_view in);
  bool failed() const { return failed_; }

 private:
  void inflate_into(std::string_view in);

  Encoding encoding_;
  z_stream zs_{};
  bool initialised_ = false;
  bool failed_ = false;
  bool finished_ = false;
  std::string out_;
  std::string pending_;  // deflate: the first bytes, until the wrapper is known
};

}  // namespace lmp::proxy
