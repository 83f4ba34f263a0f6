// The `prometheus_scrape` interface, provider side: tells a related
// Prometheus (canonical/prometheus-k8s-operator's MetricsEndpointConsumer)
// what to scrape, as the Python library charms.prometheus_k8s.v0.prometheus_scrape
// does.
//
// Every unit writes, in its unit databag of each `metrics-endpoint` relation:
//   prometheus_scrape_unit_address  its bind address on the relation (an IP;
//                                   its FQDN when the address is not an IP)
//   prometheus_scrape_unit_name     its unit name ("redis-k8s/0")
//   prometheus_scrape_unit_fqdn     its FQDN
// and the leader writes, in the application databag:
//   scrape_metadata  JSON {"model", "model_uuid", "application", "unit", "charm_name"}
//   scrape_jobs      JSON list of scrape jobs (only the keys Prometheus lets a
//                    charm set; a job without static_configs gets `*:80`);
//                    a target `*:<port>` means "each unit on <port>": the
//                    consumer makes one job per unit from the unit addresses
//   alert_rules      JSON {"groups": [...]} read from the rule files under
//                    alert_rules_path (see juju_topology.hpp), {} without any
//
// Published on relation-joined and -changed, leader-elected, upgrade-charm,
// and on the refresh events (by default update-status and every container's
// pebble-ready: when a pod restarts with a new address).
//
// Usage:
//
//   MyCharm(ops::Framework& fw) : CharmBase(fw, "MyCharm"),
//       metrics_(*this, {.jobs = {{{"static_configs", {{{"targets", {"*:9121"}}}}}}}}) {}
//   charms::prometheus_k8s::v0::MetricsEndpointProvider metrics_;
//
// with `provides: {metrics-endpoint: {interface: prometheus_scrape}}` in
// metadata.yaml and alert rules in <charm dir>/prometheus_alert_rules/*.rules.
//
// Errors: the constructor throws ops::FrameworkError when the charm does not
// provide the endpoint with interface prometheus_scrape; handlers let the
// Model's errors escape (the hook fails and Juju retries it).
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "charms/observability_libs/v0/juju_topology.hpp"
#include "ops/charm.hpp"
#include "ops/framework.hpp"

namespace charms::prometheus_k8s::v0 {

// The Python library's identity (so tooling and readers can match them).
inline constexpr const char* LIBID = "bc84295fef5f4049878f07b131968ee2";
inline constexpr int LIBAPI = 0;
// This port's patch version.
inline constexpr int LIBPATCH = 1;

inline constexpr const char* kDefaultRelationName = "metrics-endpoint";
inline constexpr const char* kRelationInterface = "prometheus_scrape";
inline constexpr const char* kDefaultAlertRulesPath = "prometheus_alert_rules";

// The job keys a charm may set (the rest are dropped, as the Python library does).
const std::vector<std::string>& allowed_job_keys();
// A job restricted to allowed_job_keys(), over the default job
// {"metrics_path": "/metrics", "static_configs": [{"targets": ["*:80"]}]}.
nlohmann::json sanitize_scrape_job(const nlohmann::json& job);

struct MetricsEndpointOptions {
  std::string relation_name = kDefaultRelationName;
  // Scrape jobs (Prometheus scrape_config objects); empty: the default job.
  nlohmann::json jobs = nlohmann::json::array();
  // A rule file or directory, relative to the charm directory unless absolute.
  std::filesystem::path alert_rules_path = kDefaultAlertRulesPath;
  bool forward_alert_rules = true;
  // This unit's FQDN; default local_fqdn().
  std::function<std::string()> fqdn = {};
  // Also republish on update-status and every container's pebble-ready.
  bool refresh_on_update_status_and_pebble_ready = true;
};

class MetricsEndpointProvider : public ops::Object {
 public:
  explicit MetricsEndpointProvider(ops::CharmBase& charm, MetricsEndpointOptions options = {});

  // Writes this unit's address on every relation and, on the leader, the
  // application data. Call it when the jobs or the address change outside
  // the events observed here.
  void set_scrape_job_spec();
  // Replaces the jobs and republishes.
  void update_scrape_job_spec(const nlohmann::json& jobs);

  // What the leader publishes: the sanitized jobs, the metadata, the rules.
  nlohmann::json scrape_jobs() const;
  nlohmann::json scrape_metadata() const;
  nlohmann::json alert_rules() const;

  const std::string& relation_name() const noexcept { return options_.relation_name; }

  // Handlers (public so the framework can name them; not for charm code).
  void on_refresh(ops::HookEvent& event);

 private:
  void set_unit_address();

  ops::CharmBase& charm_;
  MetricsEndpointOptions options_;
  nlohmann::json jobs_;
};

}  // namespace charms::prometheus_k8s::v0
