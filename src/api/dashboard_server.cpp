#include "api/dashboard_server.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <functional>

#include "support/json_writer.hpp"

namespace lmp::api {
namespace {

namespace http = net::http;

constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
// index.html and config.js change with every build or setting: always revalidate (cheap, 304).
constexpr std::string_view kRevalidate = "no-cache";

// A JSON string that is also safe inside a <script>: "</script>" cannot end the block early.
std::string json_string(std::string_view text) {
  std::string quoted;
  json::append_quoted(quoted, text);
  std::string out;
  out.reserve(quoted.size());
  for (const char c : quoted) {
    if (c == '<')
      out += "\\u003c";
    else
      out.push_back(c);
  }
  return out;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Accept-Encoding names gzip without "q=0".
bool accepts_gzip(std::string_view header) {
  const std::string value = lower(header);
  std::size_t pos = 0;
  while (pos < value.size()) {
    std::size_t end = value.find(',', pos);
    if (end == std::string::npos) end = value.size();
    std::string_view item(value.data() + pos, end - pos);
    pos = end + 1;
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    const auto semicolon = item.find(';');
    std::string_view coding = item.substr(0, semicolon);
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    if (coding != "gzip" && coding != "*") continue;
    if (semicolon == std::string_view::npos) return true;
    std::string params(item.substr(semicolon + 1));
    params.erase(std::remove(params.begin(), params.end(), ' '), params.end());
    if (params.starts_with("q=")) {
      const std::string q = params.substr(2);
      if (q.find_first_not_of("0.") == std::string::npos) return false;  // q=0, q=0.0, q=0.000
    }
    return true;
  }
  return false;
}

// If-None-Match holds our tag (any of a list, weak or strong, or "*").
bool etag_matches(std::string_view header, std::string_view etag) {
  if (header.empty()) return false;
  if (header.find('*') != std::string_view::npos) return true;
  return header.find(etag) != std::string_view::npos;
}

std::string_view path_of(std::string_view target) {
  const auto query = target.find_first_of("?#");
  return target.substr(0, query);
}

net::Response base_response(const net::Request& request, http::status status) {
  net::Response response{status, request.version()};
  response.keep_alive(request.keep_alive());
  response.set("X-Content-Type-Options", "nosniff");
  response.set("Referrer-Policy", "no-referrer");
  return response;
}

net::Response text_response(const net::Request& request, http::status status, std::string body) {
  auto response = base_response(request, status);
  response.set(http::field::content_type, "text/plain; charset=utf-8");
  response.set(http::field::cache_control, "no-store");
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

net::Response redirect(const net::Request& request, std::string location) {
  auto response = base_response(request, http::status::found);
  response.set(http::field::location, location);
  response.set(http::field::cache_control, "no-store");
  response.set(http::field::content_type, "text/plain; charset=utf-8");
  response.body() = "see " + location + "\n";
  response.prepare_payload();
  return response;
}

}  // namespace

DashboardServer::DashboardServer(std::span<const dashboard::Asset> assets, DashboardOptions options)
    : assets_(assets), options_(std::move(options)) {
  while (options_.mount_path.ends_with('/')) options_.mount_path.pop_back();
  config_script_ = config_script();
}

std::string DashboardServer::config_script() const {
  std::string script = "window.LMP_CONFIG = {\"apiBaseUrl\": " + json_string(options_.api_base_url);
  if (options_.metrics_port)
    script += ", \"metricsPort\": " + std::to_string(*options_.metrics_port);
  return script + "};\n";
}

bool DashboardServer::claims(std::string_view target) const {
  if (options_.mount_path.empty()) return true;
  const auto path = path_of(target);
  if (path == "/" || path == options_.mount_path) return true;
  return path.starts_with(options_.mount_path) && path[options_.mount_path.size()] == '/';
}

const dashboard::Asset* DashboardServer::find(std::string_view relative_path) const {
  for (const auto& asset : assets_)
    if (asset.path == relative_path) return &asset;
  return nullptr;
}

net::Response DashboardServer::answer(const net::Request& request) const {
  const bool head = request.method() == http::verb::head;
  if (request.method() != http::verb::get && !head) {
    auto response = text_response(request, http::status::method_not_allowed,
                                  "the dashboard answers GET and HEAD only\n");
    response.set(http::field::allow, "GET, HEAD");
    return response;
  }
  std::string_view path = path_of(request.target());
  if (!options_.mount_path.empty()) {
    // "/" and "/dashboard" go to "/dashboard/", so the page's relative asset URLs resolve.
    if (path == "/" || path == options_.mount_path)
      return redirect(request, options_.mount_path + "/");
    path.remove_prefix(options_.mount_path.size());
  }
  if (!path.starts_with('/')) return text_response(request, http::status::not_found, "not found\n");
  std::string_view relative = path.substr(1);

  const dashboard::Asset* asset = nullptr;
  if (relative == "config.js") {
    // Generated from the settings rather than embedded: it says where the API is.
  } else if (relative.empty()) {
    asset = find("index.html");
  } else if (relative.find("..") != std::string_view::npos) {
    return text_response(request, http::status::not_found, "not found\n");
  } else {
    asset = find(relative);
    // SPA fallback: a path without a file extension is a page of the app, not a file.
    const auto last = relative.substr(relative.rfind('/') + 1);
    if (!asset && last.find('.') == std::string_view::npos && !relative.starts_with("assets/"))
      asset = find("index.html");
    if (!asset)
      return text_response(request, http::status::not_found, "no such file in the dashboard\n");
  }

  auto response = base_response(request, http::status::ok);
  std::string_view body, etag, content_type, cache_control;
  std::string owned_etag;
  bool gzipped = false;
  if (!asset) {
    body = config_script_;
    char buffer[24];
    std::size_t hash = std::hash<std::string_view>{}(config_script_);
    std::snprintf(buffer, sizeof buffer, "\"c%zx\"", hash);
    owned_etag = buffer;
    etag = owned_etag;
    content_type = "text/javascript; charset=utf-8";
    cache_control = kRevalidate;
  } else {
    content_type = asset->content_type;
    cache_control = asset->immutable ? kImmutable : kRevalidate;
    body = asset->body;
    etag = asset->etag;
    if (!asset->gzip_body.empty()) {
      response.set(http::field::vary, "Accept-Encoding");
      if (accepts_gzip(request[http::field::accept_encoding])) {
        body = asset->gzip_body;
        gzipped = true;
        // A different representation needs its own validator: "abc" → "abc-gz".
        owned_etag = std::string(etag.substr(0, etag.size() - 1)) + "-gz\"";
        etag = owned_etag;
      }
    }
  }
  response.set(http::field::etag, etag);
  response.set(http::field::cache_control, cache_control);
  if (etag_matches(request[http::field::if_none_match], etag)) {
    response.result(http::status::not_modified);
    return response;
  }
  response.set(http::field::content_type, content_type);
  if (gzipped) response.set(http::field::content_encoding, "gzip");
  response.content_length(body.size());
  if (!head) response.body().assign(body.data(), body.size());
  return response;
}

net::awaitable<bool> DashboardServer::handle(net::beast::tcp_stream& stream,
                                             net::Request& request) const {
  net::Response response = answer(request);
  co_return co_await net::write_response(stream, std::move(response));
}

}  // namespace lmp::api
