// HttpProxyCharm: writes the backends of a reverse proxy from the http
// interface (charms.http.v0.HttpRequires on the `reverseproxy` endpoint).
#pragma once

#include <string>
#include <vector>

#include "charms/http/v0/http.hpp"
#include "ops/charm.hpp"

namespace http_proxy {

inline constexpr const char* kNoRelationMessage = "no website related";
inline constexpr const char* kWaitingMessage = "waiting for websites";

// The backend section for `sites`, one `server` line each:
//   backend websites
//       server hello-k8s-0 10.1.0.5:8080
std::string render_backends(const std::vector<charms::http::v0::Website>& sites);

class HttpProxyCharm : public ops::CharmBase {
 public:
  explicit HttpProxyCharm(ops::Framework& framework);

  void on_websites_changed(charms::http::v0::WebsitesChangedEvent& event);
  void on_config_changed(ops::ConfigChangedEvent& event);
  void on_start(ops::StartEvent& event);

  const charms::http::v0::HttpRequires& backends() const { return backends_; }

 private:
  // Writes the config file and sets the status.
  void render();

  charms::http::v0::HttpRequires backends_{*this, "reverseproxy"};
};

}  // namespace http_proxy
