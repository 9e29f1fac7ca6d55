// Serves the dashboard's embedded files (dashboard/embed): content types, ETags and 304s,
// long-lived caching of hashed assets, gzip, SPA fallback to index.html, and /config.js telling
// the page where the metrics API is. Used on the dashboard port and under /dashboard/ on the
// metrics port.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "dashboard_assets.hpp"
#include "net/asio.hpp"
#include "net/http_server.hpp"

namespace lmp::api {

struct DashboardOptions {
  // The metrics API's base URL as the browser should use it; empty: let the page work it out.
  std::string api_base_url;
  // Set on the dashboard's own port: with no api_base_url, the page then calls
  // http://<the host it was loaded from>:<metrics_port>.
  std::optional<unsigned short> metrics_port;
  // "" on the dashboard port; "/dashboard" under the metrics port, where "/" redirects there.
  std::string mount_path;
};

class DashboardServer {
 public:
  DashboardServer(std::span<const dashboard::Asset> assets, DashboardOptions options);

  // Whether a request path belongs to the dashboard (always, unless mounted under a path:
  // then "/", the mount path and everything below it).
  bool claims(std::string_view path) const;

  // The whole answer to one request; pure, so it is unit-tested without sockets.
  net::Response answer(const net::Request& request) const;

  // A net::RequestHandler.
  net::awaitable<bool> handle(net::beast::tcp_stream& stream, net::Request& request) const;

  // window.LMP_CONFIG = {...}: the body of /config.js.
  std::string config_script() const;

 private:
  const dashboard::Asset* find(std::string_view relative_path) const;

  std::span<const dashboard::Asset> assets_;
  DashboardOptions options_;
  std::string config_script_;
};

}  // namespace lmp::api
