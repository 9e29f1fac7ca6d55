// The dashboard's production files, compiled into the executable by embed_assets (see
// dashboard/CMakeLists.txt). When dashboard/dist was not built, the table holds one small page
// that says how to build it.
#pragma once

#include <span>
#include <string_view>

namespace lmp::dashboard {

struct Asset {
  std::string_view path;          // relative to dist/, e.g. "index.html", "assets/index-ab12.js"
  std::string_view content_type;  // with charset for text
  std::string_view etag;          // quoted strong validator of `body`
  std::string_view body;
  std::string_view gzip_body;  // empty when gzip would not make it smaller
  bool immutable;              // content-hashed file name: may be cached forever
};

std::span<const Asset> embedded_assets();

// True when dist/ was missing at build time and the table holds only the "not built" page.
bool embedded_assets_are_placeholder();

}  // namespace lmp::dashboard
