// The README's example charm: one Pebble service, configured from `port`,
// and the `website` endpoint (the http interface) telling related proxies
// where it serves.
#pragma once
#include "charms/http/v0/http.hpp"
#include "ops/ops.hpp"

class HelloCharm : public ops::CharmBase {
 public:
  explicit HelloCharm(ops::Framework& framework) : CharmBase(framework, "HelloCharm") {
    framework.observe<&HelloCharm::on_pebble_ready>(on.container("web").pebble_ready, *this);
    framework.observe<&HelloCharm::on_config_changed>(on.config_changed, *this);
    framework.observe<&HelloCharm::on_website_joined>(website_.on.joined, *this);
  }

  void on_pebble_ready(ops::PebbleReadyEvent& event) { configure(event.workload()); }

  void on_config_changed(ops::ConfigChangedEvent& event) {
    ops::Container& web = unit().get_container("web");
    if (!web.can_connect()) {
      unit().set_status(ops::WaitingStatus("waiting for Pebble"));
      return event.defer();
    }
    configure(web);
  }

  void on_website_joined(charms::reactive::v0::EndpointJoinedEvent&) {
    website_.publish_info(config().get<int>("port"));
  }

 private:
  void configure(ops::Container& web) {
    const std::string port = std::to_string(config().get<int>("port"));
    ops::pebble::Layer layer;
    ops::pebble::Service& service = layer.services["web"];
    service.override = "replace";
    service.startup = "enabled";
    service.command = "python3 -m http.server " + port;
    web.add_layer("web", layer, /*combine=*/true);
    web.replan();
    unit().set_status(ops::ActiveStatus("serving on port " + port));
    website_.publish_info(config().get<int>("port"));
  }

  charms::http::v0::HttpProvides website_{*this, "website"};
};
