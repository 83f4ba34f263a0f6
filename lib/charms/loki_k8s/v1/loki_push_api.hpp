// The `loki_push_api` interface, requirer side, forwarding through Pebble:
// the Python library charms.loki_k8s.v1.loki_push_api's LogForwarder, for
// charms written with ops-cpp. No promtail: Pebble (>= 1.4, Juju >= 3.4)
// pushes the services' output to Loki itself.
//
// Each Loki unit publishes, in its unit databag, `endpoint` = JSON
// {"url": "http://<loki>:3100/loki/api/v1/push"}. For every workload
// container this library adds a layer "<container>-log-forwarding"
// (combined) with one log target per Loki unit, named after the unit:
//   <loki unit>: {override: replace, type: loki, location: <url>,
//                 services: [all], labels: {product: Juju, charm, juju_model,
//                 juju_model_uuid, juju_application, juju_unit,
//                 job: juju_<identifier>}}
// A target whose Loki unit is gone (departed, or its relation broken) is
// switched off ({override: replace, type: loki, location: "(removed)",
// services: [-all]}), since a Pebble layer cannot delete a target. Unlike
// the Python library, this also happens when no Loki endpoint is left.
// A relation counts only when every remote unit has published an endpoint.
//
// The leader writes, in the application databag, `metadata` (the Juju
// topology as JSON) and `alert_rules` (LogQL rules from alert_rules_path, see
// juju_topology.hpp; {} without any).
//
// Updated on the relation's joined, changed, departed and broken events (all
// containers Pebble answers in) and on each container's pebble-ready (that
// container).
//
// Usage:
//
//   MyCharm(ops::Framework& fw) : CharmBase(fw, "MyCharm"), logging_(*this) {}
//   charms::loki_k8s::v1::LogForwarder logging_;
//
// with `requires: {logging: {interface: loki_push_api}}` in metadata.yaml.
// The workload must log to its standard output for Pebble to see it.
//
// Errors: the constructor throws ops::FrameworkError when the charm does not
// require the endpoint with interface loki_push_api; an `endpoint` that is
// not JSON with a `url` makes its relation count as not ready (logged).
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "charms/observability_libs/v0/juju_topology.hpp"
#include "ops/charm.hpp"
#include "ops/framework.hpp"
#include "ops/pebble.hpp"

namespace charms::loki_k8s::v1 {

inline constexpr const char* LIBID = "bf76f23cdd03464b877c52bd1d2f563e";
inline constexpr int LIBAPI = 1;
inline constexpr int LIBPATCH = 1;

inline constexpr const char* kDefaultRelationName = "logging";
inline constexpr const char* kRelationInterface = "loki_push_api";
inline constexpr const char* kDefaultAlertRulesPath = "loki_alert_rules";

struct LogForwarderOptions {
  std::string relation_name = kDefaultRelationName;
  // A rule file or directory, relative to the charm directory unless absolute.
  std::filesystem::path alert_rules_path = kDefaultAlertRulesPath;
  bool recursive = true;
  bool forward_alert_rules = true;
};

class LogForwarder : public ops::Object {
 public:
  explicit LogForwarder(ops::CharmBase& charm, LogForwarderOptions options = {});

  // Loki unit name -> push URL, over every ready relation.
  std::map<std::string, std::string> loki_endpoints();
  // The log-targets layer for `endpoints` (enabled) or for their removal.
  ops::pebble::Layer log_forwarding_layer(const std::map<std::string, std::string>& endpoints,
                                          bool enable) const;
  // Brings `container`'s log targets in line with loki_endpoints().
  void update_container(ops::Container& container);
  // The `alert_rules` the leader publishes.
  nlohmann::json alert_rules() const;

  // Handlers (public so the framework can name them; not for charm code).
  void on_relation_event(ops::RelationEvent& event);
  void on_pebble_ready(ops::PebbleReadyEvent& event);

 private:
  void update_container(ops::Container& container,
                        const std::map<std::string, std::string>& endpoints);

  ops::CharmBase& charm_;
  LogForwarderOptions options_;
  // The relation being broken in this dispatch (not counted).
  std::optional<int> broken_relation_;
};

}  // namespace charms::loki_k8s::v1
