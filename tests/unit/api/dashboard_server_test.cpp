// DashboardServer: content types, ETag and 304, gzip, caching, SPA fallback, /config.js, the
// mount under /dashboard/ on the metrics port, and the embedded table itself.
#include "api/dashboard_server.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace lmp::api {
namespace {

namespace http = net::http;

// A fixed table, so the tests do not depend on whether dashboard/dist was built.
const std::vector<dashboard::Asset> kAssets = {
    {"assets/index-abc123.js", "text/javascript; charset=utf-8", "\"js1\"", "console.log(1)",
     "GZIPPED-JS", true},
    {"assets/index-def456.css", "text/css; charset=utf-8", "\"css1\"", "body{}", "", true},
    {"favicon.svg", "image/svg+xml", "\"svg1\"", "<svg/>", "", false},
    {"index.html", "text/html; charset=utf-8", "\"html1\"", "<!doctype html>app", "GZIPPED-HTML",
     false},
};

net::Request get(std::string target,
                 std::vector<std::pair<http::field, std::string>> headers = {}) {
  net::Request request{http::verb::get, target, 11};
  for (auto& [field, value] : headers) request.set(field, value);
  return request;
}

DashboardServer root_server(DashboardOptions options = {}) {
  return DashboardServer(kAssets, std::move(options));
}

TEST(DashboardServer, ServesFilesWithTheirContentType) {
  const auto server = root_server();
  const auto js = server.answer(get("/assets/index-abc123.js"));
  EXPECT_EQ(js.result(), http::status::ok);
  EXPECT_EQ(js[http::field::content_type], "text/javascript; charset=utf-8");
  EXPECT_EQ(js.body(), "console.log(1)");
  EXPECT_EQ(js[http::field::content_length], "14");
  EXPECT_EQ(server.answer(get("/assets/index-def456.css"))[http::field::content_type],
            "text/css; charset=utf-8");
  EXPECT_EQ(server.answer(get("/favicon.svg"))[http::field::content_type], "image/svg+xml");
  const auto index = server.answer(get("/"));
  EXPECT_EQ(index[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(index.body(), "<!doctype html>app");
  EXPECT_EQ(server.answer(get("/index.html?x=1")).body(), "<!doctype html>app");
  EXPECT_EQ(index["X-Content-Type-Options"], "nosniff");
}

TEST(DashboardServer, HashedAssetsAreImmutableAndPagesRevalidate) {
  const auto server = root_server();
  EXPECT_EQ(server.answer(get("/assets/index-abc123.js"))[http::field::cache_control],
            "public, max-age=31536000, immutable");
  EXPECT_EQ(server.answer(get("/"))[http::field::cache_control], "no-cache");
  EXPECT_EQ(server.answer(get("/favicon.svg"))[http::field::cache_control], "no-cache");
  EXPECT_EQ(server.answer(get("/config.js"))[http::field::cache_control], "no-cache");
}

TEST(DashboardServer, EtagAnd304) {
  const auto server = root_server();
  const auto first = server.answer(get("/favicon.svg"));
  EXPECT_EQ(first[http::field::etag], "\"svg1\"");
  const auto again = server.answer(get("/favicon.svg", {{http::field::if_none_match, "\"svg1\""}}));
  EXPECT_EQ(again.result(), http::status::not_modified);
  EXPECT_TRUE(again.body().empty());
  EXPECT_EQ(again[http::field::etag], "\"svg1\"");
  EXPECT_EQ(
      server.answer(get("/favicon.svg", {{http::field::if_none_match, "\"old\", W/\"svg1\""}}))
          .result(),
      http::status::not_modified);
  EXPECT_EQ(
      server.answer(get("/favicon.svg", {{http::field::if_none_match, "\"other\""}})).result(),
      http::status::ok);
  EXPECT_EQ(server.answer(get("/favicon.svg", {{http::field::if_none_match, "*"}})).result(),
            http::status::not_modified);
}

TEST(DashboardServer, GzipWhenAcceptedWithItsOwnEtag) {
  const auto server = root_server();
  const auto gz =
      server.answer(get("/assets/index-abc123.js", {{http::field::accept_encoding, "gzip, br"}}));
  EXPECT_EQ(gz[http::field::content_encoding], "gzip");
  EXPECT_EQ(gz.body(), "GZIPPED-JS");
  EXPECT_EQ(gz[http::field::vary], "Accept-Encoding");
  EXPECT_EQ(gz[http::field::etag], "\"js1-gz\"");
  EXPECT_EQ(
      server
          .answer(get("/assets/index-abc123.js", {{http::field::accept_encoding, "gzip"},
                                                  {http::field::if_none_match, "\"js1-gz\""}}))
          .result(),
      http::status::not_modified);

  const auto plain = server.answer(get("/assets/index-abc123.js"));
  EXPECT_FALSE(plain.count(http::field::content_encoding));
  EXPECT_EQ(plain[http::field::vary], "Accept-Encoding");
  EXPECT_EQ(plain.body(), "console.log(1)");
  for (const char* refused : {"gzip;q=0", "identity", "br, gzip; q=0.0", "deflate"}) {
    const auto r =
        server.answer(get("/assets/index-abc123.js", {{http::field::accept_encoding, refused}}));
    EXPECT_FALSE(r.count(http::field::content_encoding)) << refused;
  }
  EXPECT_EQ(server.answer(get("/", {{http::field::accept_encoding, "GZIP;q=0.5"}})).body(),
            "GZIPPED-HTML");
  // No gzip variant: served as is, without Vary.
  const auto css =
      server.answer(get("/assets/index-def456.css", {{http::field::accept_encoding, "gzip"}}));
  EXPECT_FALSE(css.count(http::field::content_encoding));
  EXPECT_EQ(css.body(), "body{}");
}

TEST(DashboardServer, SpaFallbackAndUnknownFiles) {
  const auto server = root_server();
  EXPECT_EQ(server.answer(get("/requests")).body(), "<!doctype html>app");
  EXPECT_EQ(server.answer(get("/some/deep/page")).body(), "<!doctype html>app");
  EXPECT_EQ(server.answer(get("/missing.js")).result(), http::status::not_found);
  EXPECT_EQ(server.answer(get("/assets/index-old.js")).result(), http::status::not_found);
  EXPECT_EQ(server.answer(get("/assets/gone")).result(), http::status::not_found);
  EXPECT_EQ(server.answer(get("/../etc/passwd")).result(), http::status::not_found);
}

TEST(DashboardServer, ConfigScriptNamesTheApi) {
  DashboardOptions options;
  options.metrics_port = 8002;
  auto config = root_server(options).answer(get("/config.js"));
  EXPECT_EQ(config.result(), http::status::ok);
  EXPECT_EQ(config[http::field::content_type], "text/javascript; charset=utf-8");
  EXPECT_EQ(config.body(), "window.LMP_CONFIG = {\"apiBaseUrl\": \"\", \"metricsPort\": 8002};\n");
  EXPECT_FALSE(config[http::field::etag].empty());

  DashboardOptions explicit_url;
  explicit_url.api_base_url = "https://metrics.example/\"</script>";
  EXPECT_EQ(
      root_server(explicit_url).config_script(),
      "window.LMP_CONFIG = {\"apiBaseUrl\": \"https://metrics.example/\\\"\\u003c/script>\"};\n");
}

TEST(DashboardServer, HeadAndOtherMethods) {
  const auto server = root_server();
  auto head = get("/favicon.svg");
  head.method(http::verb::head);
  const auto answer = server.answer(head);
  EXPECT_EQ(answer.result(), http::status::ok);
  EXPECT_TRUE(answer.body().empty());
  EXPECT_EQ(answer[http::field::content_length], "6");
  auto post = get("/");
  post.method(http::verb::post);
  const auto refused = server.answer(post);
  EXPECT_EQ(refused.result(), http::status::method_not_allowed);
  EXPECT_EQ(refused[http::field::allow], "GET, HEAD");
}

TEST(DashboardServer, MountedUnderDashboardOnTheMetricsPort) {
  DashboardOptions options;
  options.mount_path = "/dashboard/";
  const auto server = root_server(options);
  EXPECT_TRUE(server.claims("/"));
  EXPECT_TRUE(server.claims("/dashboard"));
  EXPECT_TRUE(server.claims("/dashboard/assets/index-abc123.js?v=1"));
  for (const char* api : {"/health", "/metrics", "/completion_requests?limit=1", "/timeseries",
                          "/prometheus", "/dashboardx", "/x"})
    EXPECT_FALSE(server.claims(api)) << api;

  for (const char* target : {"/", "/dashboard", "/?a=b"}) {
    const auto redirect = server.answer(get(target));
    EXPECT_EQ(redirect.result(), http::status::found) << target;
    EXPECT_EQ(redirect[http::field::location], "/dashboard/") << target;
  }
  EXPECT_EQ(server.answer(get("/dashboard/")).body(), "<!doctype html>app");
  EXPECT_EQ(server.answer(get("/dashboard/assets/index-abc123.js")).body(), "console.log(1)");
  EXPECT_EQ(server.answer(get("/dashboard/config.js")).body(),
            "window.LMP_CONFIG = {\"apiBaseUrl\": \"\"};\n");
  EXPECT_EQ(server.answer(get("/dashboard/nope.css")).result(), http::status::not_found);
}

TEST(DashboardServer, EmbeddedTableHasAnIndexPage) {
  const auto assets = dashboard::embedded_assets();
  const dashboard::Asset* index = nullptr;
  for (const auto& asset : assets) {
    if (asset.path == "index.html") index = &asset;
    EXPECT_FALSE(asset.content_type.empty()) << asset.path;
    EXPECT_TRUE(asset.etag.starts_with('"') && asset.etag.ends_with('"')) << asset.path;
  }
  ASSERT_NE(index, nullptr);
  EXPECT_NE(index->body.find("<html"), std::string_view::npos);
  if (dashboard::embedded_assets_are_placeholder()) {
    EXPECT_NE(index->body.find("npm run build"), std::string_view::npos);
  }
}

}  // namespace
}  // namespace lmp::api
