// The `http` interface, both sides, on reactive-style endpoints
// (charms/reactive/v0/endpoint.hpp): a web service publishes where it
// listens, a reverse proxy (or any HTTP client) reads every published site.
//
// On the wire it is the reactive interface-http's protocol: each provider
// unit publishes plain strings (not JSON) in its unit databag of every
// relation of the endpoint:
//
//   hostname         the address to reach the site (by default this unit's
//                    ingress address on that relation)
//   port             the TCP port, in decimal ("8080")
//   private-address  this unit's ingress address on that relation
//
// so a reactive reverse proxy (interface-http's HttpRequires.services())
// consumes an ops-cpp web charm, and HttpRequires consumes a reactive web
// charm (it also reads JSON-encoded values, as charms.reactive's `received`).
//
// Usage (provider, e.g. charms/hello-k8s):
//
//   charms::http::v0::HttpProvides website_{*this, "website"};
//   framework.observe<&MyCharm::on_website_joined>(website_.on.joined, *this);
//   void on_website_joined(charms::reactive::v0::EndpointJoinedEvent&) {
//     website_.publish_info(8080);
//   }
//
// Usage (requirer, e.g. charms/http-proxy):
//
//   charms::http::v0::HttpRequires backends_{*this, "reverseproxy"};
//   framework.observe<&MyCharm::on_websites>(backends_.websites_changed(), *this);
//   void on_websites(charms::http::v0::WebsitesChangedEvent&) {
//     for (const auto& site : backends_.websites()) add(site.hostname, site.port);
//   }
//
// Errors: the constructors throw ops::FrameworkError when the charm declares
// no such endpoint; publish_info throws std::invalid_argument for a port
// outside 1..65535 or an empty hostname, and the Model's errors when Juju
// cannot answer (no ingress address: ops::ModelError).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "charms/reactive/v0/endpoint.hpp"

namespace charms::http::v0 {

inline constexpr const char* LIBID = "3b9e6c2d7f1a4c0e8b5d2a6f9e1c4b70";
inline constexpr int LIBAPI = 0;
inline constexpr int LIBPATCH = 1;

// The databag keys of the protocol.
inline constexpr const char* kHostnameKey = "hostname";
inline constexpr const char* kPortKey = "port";
inline constexpr const char* kPrivateAddressKey = "private-address";

// The provider side. Handle "<charm>/HttpProvides[<endpoint>]".
class HttpProvides : public reactive::v0::Endpoint {
 public:
  explicit HttpProvides(ops::CharmBase& charm, const std::string& endpoint_name = "website");

  // Publishes `port` and `hostname` (when not given: this unit's ingress
  // address on each relation) in this unit's databag of every relation of
  // the endpoint, with `private-address`. Nothing to do without relations.
  void publish_info(int port, const std::optional<std::string>& hostname = std::nullopt);
};

// One site a remote unit published.
struct Website {
  std::string hostname;
  int port = 0;
  int relation_id = -1;
  std::string remote_unit_name;
  bool operator==(const Website&) const = default;
};

// Some website's hostname or port changed, or a site went away (a unit
// departed, a relation was broken). Carries nothing: read websites().
class WebsitesChangedEvent : public ops::EventBase {
 public:
  using ops::EventBase::EventBase;
};

// The requirer side. Handle "<charm>/HttpRequires[<endpoint>]".
class HttpRequires : public reactive::v0::Endpoint {
 public:
  explicit HttpRequires(ops::CharmBase& charm, const std::string& endpoint_name = "reverseproxy");

  // Every site published by a joined remote unit on any relation of the
  // endpoint (by relation id, then unit name) that has both a hostname and
  // a valid port. A port that is not a number in 1..65535 leaves its unit
  // out, with a WARNING in the log naming the unit and the value.
  std::vector<Website> websites() const;

  // Emitted when a hostname or port changed (the changed.hostname and
  // changed.port flags are then cleared, as interface layers do) and when a
  // unit departs or a relation is broken. Kind "websites_changed" on `on`.
  ops::EventSource<WebsitesChangedEvent>& websites_changed() const noexcept {
    return websites_changed_;
  }

  // Handlers (public so the framework can name them; not for charm code).
  void on_endpoint_changed(reactive::v0::EndpointChangedEvent& event);
  void on_unit_gone(reactive::v0::EndpointEvent& event);

 private:
  ops::EventSource<WebsitesChangedEvent>& websites_changed_;
};

}  // namespace charms::http::v0
