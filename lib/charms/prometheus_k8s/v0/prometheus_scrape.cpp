// MetricsEndpointProvider: the prometheus_scrape provider.
#include "charms/prometheus_k8s/v0/prometheus_scrape.hpp"

#include <arpa/inet.h>

#include "ops/log.hpp"
#include "ops/model.hpp"

namespace charms::prometheus_k8s::v0 {

namespace {

using nlohmann::json;
namespace obs = charms::observability_libs::v0;

bool is_ip_address(const std::string& address) {
  unsigned char buffer[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, address.c_str(), buffer) == 1 ||
         ::inet_pton(AF_INET6, address.c_str(), buffer) == 1;
}

json default_job() {
  return {{"metrics_path", "/metrics"}, {"static_configs", {{{"targets", {"*:80"}}}}}};
}

}  // namespace

const std::vector<std::string>& allowed_job_keys() {
  static const std::vector<std::string> keys{"job_name",
                                             "metrics_path",
                                             "static_configs",
                                             "scrape_interval",
                                             "scrape_timeout",
                                             "proxy_url",
                                             "relabel_configs",
                                             "metric_relabel_configs",
                                             "sample_limit",
                                             "label_limit",
                                             "label_name_length_limit",
                                             "label_value_length_limit",
                                             "scheme",
                                             "basic_auth",
                                             "tls_config",
                                             "authorization",
                                             "params"};
  return keys;
}

nlohmann::json sanitize_scrape_job(const nlohmann::json& job) {
  if (!job.is_object()) throw ops::Error("a scrape job must be a JSON object, got " + job.dump());
  json out = default_job();
  const auto& keys = allowed_job_keys();
  for (const auto& [key, value] : job.items()) {
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) {
      out[key] = value;
    } else {
      ops::log::debug("scrape job key '" + key + "' is not allowed; dropped");
    }
  }
  return out;
}

MetricsEndpointProvider::MetricsEndpointProvider(ops::CharmBase& charm,
                                                 MetricsEndpointOptions options)
    : ops::Object(charm, "MetricsEndpointProvider", options.relation_name),
      charm_(charm),
      options_(std::move(options)) {
  obs::validate_relation(charm, options_.relation_name, kRelationInterface,
                         ops::RelationRole::kProvides);
  if (!options_.jobs.is_array()) {
    throw ops::FrameworkError("MetricsEndpointProvider: jobs must be a JSON list");
  }
  jobs_ = json::array();
  for (const auto& job : options_.jobs) jobs_.push_back(sanitize_scrape_job(job));
  if (!options_.fqdn) options_.fqdn = obs::local_fqdn;

  ops::Framework& fw = framework();
  const ops::RelationEndpointEvents& events = charm.on[options_.relation_name];
  fw.observe<&MetricsEndpointProvider::on_refresh>(events.relation_joined, *this);
  fw.observe<&MetricsEndpointProvider::on_refresh>(events.relation_changed, *this);
  fw.observe<&MetricsEndpointProvider::on_refresh>(charm.on.leader_elected, *this);
  fw.observe<&MetricsEndpointProvider::on_refresh>(charm.on.upgrade_charm, *this);
  if (options_.refresh_on_update_status_and_pebble_ready) {
    fw.observe<&MetricsEndpointProvider::on_refresh>(charm.on.update_status, *this);
    for (const auto& [name, _] : charm.meta().containers) {
      fw.observe<&MetricsEndpointProvider::on_refresh>(charm.on.container(name).pebble_ready,
                                                       *this);
    }
  }
}

json MetricsEndpointProvider::scrape_jobs() const {
  return jobs_.empty() ? json::array({default_job()}) : jobs_;
}

json MetricsEndpointProvider::scrape_metadata() const {
  return obs::JujuTopology::from_charm(charm_).as_dict();
}

json MetricsEndpointProvider::alert_rules() const {
  obs::AlertRules rules(obs::QueryType::kPromQL, obs::JujuTopology::from_charm(charm_));
  if (options_.forward_alert_rules) {
    rules.add_path(obs::resolve_in_charm_dir(options_.alert_rules_path), /*recursive=*/true);
  }
  return rules.as_dict();
}

void MetricsEndpointProvider::set_unit_address() {
  ops::Model& model = charm_.framework().model();
  for (ops::Relation* relation : model.relations(options_.relation_name)) {
    const std::string fqdn = options_.fqdn();
    const std::string bind = model.get_binding(*relation).network().bind_address().value_or("");
    const bool ip = is_ip_address(bind);
    relation->data(charm_.unit())
        .update({{"prometheus_scrape_unit_address", ip ? bind : fqdn},
                 {"prometheus_scrape_unit_path", ""},
                 {"prometheus_scrape_unit_name", charm_.unit().name()},
                 {"prometheus_scrape_unit_fqdn", fqdn}});
  }
}

void MetricsEndpointProvider::set_scrape_job_spec() {
  set_unit_address();
  if (!charm_.unit().is_leader()) return;
  ops::Model& model = charm_.framework().model();
  const auto& relations = model.relations(options_.relation_name);
  if (relations.empty()) return;
  const std::string metadata = scrape_metadata().dump();
  const std::string jobs = scrape_jobs().dump();
  const std::string rules = alert_rules().dump();
  for (ops::Relation* relation : relations) {
    relation->data(charm_.app())
        .update({{"scrape_metadata", metadata}, {"scrape_jobs", jobs}, {"alert_rules", rules}});
  }
}

void MetricsEndpointProvider::update_scrape_job_spec(const nlohmann::json& jobs) {
  if (!jobs.is_array()) throw ops::Error("scrape jobs must be a JSON list");
  json sanitized = json::array();
  for (const auto& job : jobs) sanitized.push_back(sanitize_scrape_job(job));
  jobs_ = std::move(sanitized);
  set_scrape_job_spec();
}

void MetricsEndpointProvider::on_refresh(ops::HookEvent&) { set_scrape_job_spec(); }

}  // namespace charms::prometheus_k8s::v0
