// gzip compression of a whole response body, for the X-Mock-Gzip override.
#pragma once

#include <string>
#include <string_view>

namespace lmp::mock {

// A complete gzip member (RFC 1952) holding `data`; throws std::runtime_error if zlib fails,
// which only happens when memory runs out.
std::string gzip_compress(std::string_view data);

}  // namespace lmp::mock
