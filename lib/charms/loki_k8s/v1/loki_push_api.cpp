// LogForwarder: Pebble log forwarding to the related Loki units.
#include "charms/loki_k8s/v1/loki_push_api.hpp"

#include <algorithm>
#include <cstdlib>

#include "ops/juju_version.hpp"
#include "ops/log.hpp"
#include "ops/model.hpp"

namespace charms::loki_k8s::v1 {

namespace {

using nlohmann::json;
namespace obs = charms::observability_libs::v0;

constexpr const char* kRemovedLocation = "(removed)";

std::string layer_label(const std::string& container) { return container + "-log-forwarding"; }

void warn_on_old_juju() {
  const char* version = std::getenv("JUJU_VERSION");
  if (version == nullptr || *version == '\0') return;
  try {
    ops::JujuVersion v(version);
    if (v.major() < 3 || (v.major() == 3 && v.minor() < 4)) {
      ops::log::warning(std::string("Juju version ") + version +
                        " does not support Pebble log forwarding. Juju >= 3.4 is needed.");
    }
  } catch (const std::exception&) {
  }
}

}  // namespace

LogForwarder::LogForwarder(ops::CharmBase& charm, LogForwarderOptions options)
    : ops::Object(charm, "LogForwarder", options.relation_name),
      charm_(charm),
      options_(std::move(options)) {
  obs::validate_relation(charm, options_.relation_name, kRelationInterface,
                         ops::RelationRole::kRequires);
  warn_on_old_juju();
  ops::Framework& fw = framework();
  const ops::RelationEndpointEvents& events = charm.on[options_.relation_name];
  fw.observe<&LogForwarder::on_relation_event>(events.relation_joined, *this);
  fw.observe<&LogForwarder::on_relation_event>(events.relation_changed, *this);
  fw.observe<&LogForwarder::on_relation_event>(events.relation_departed, *this);
  fw.observe<&LogForwarder::on_relation_event>(events.relation_broken, *this);
  for (const auto& [name, _] : charm.meta().containers) {
    fw.observe<&LogForwarder::on_pebble_ready>(charm.on.container(name).pebble_ready, *this);
  }
}

std::map<std::string, std::string> LogForwarder::loki_endpoints() {
  std::map<std::string, std::string> out;
  for (ops::Relation* relation : charm_.framework().model().relations(options_.relation_name)) {
    if (broken_relation_ == relation->id() || !relation->active()) continue;
    std::map<std::string, std::string> urls;
    bool ready = true;
    for (ops::Unit* unit : relation->units()) {
      auto endpoint = relation->data(*unit).get("endpoint");
      json parsed = json::parse(endpoint.value_or(""), nullptr, /*allow_exceptions=*/false);
      if (!parsed.is_object() || !parsed.contains("url") || !parsed["url"].is_string()) {
        ready = false;
        break;
      }
      urls[unit->name()] = parsed["url"];
    }
    if (!ready || urls.empty()) {
      ops::log::warning("The relation '" + options_.relation_name + "' (" +
                        std::to_string(relation->id()) + ") is not ready yet.");
      continue;
    }
    out.insert(urls.begin(), urls.end());
  }
  return out;
}

ops::pebble::Layer LogForwarder::log_forwarding_layer(
    const std::map<std::string, std::string>& endpoints, bool enable) const {
  const auto topology = obs::JujuTopology::from_charm(charm_);
  ops::pebble::Layer layer;
  for (const auto& [unit, url] : endpoints) {
    ops::pebble::LogTarget target;
    target.override = "replace";
    target.type = "loki";
    target.location = enable ? url : kRemovedLocation;
    target.services = {enable ? "all" : "-all"};
    if (enable) {
      target.labels = {{"product", "Juju"},
                       {"charm", topology.charm_name},
                       {"juju_model", topology.model},
                       {"juju_model_uuid", topology.model_uuid},
                       {"juju_application", topology.application},
                       {"juju_unit", topology.unit},
                       {"job", "juju_" + topology.identifier()}};
    }
    layer.log_targets[unit] = std::move(target);
  }
  return layer;
}

void LogForwarder::update_container(ops::Container& container,
                                    const std::map<std::string, std::string>& endpoints) {
  std::map<std::string, std::string> inactive;
  for (const auto& [name, target] : container.get_plan().log_targets) {
    bool disabled =
        std::find(target.services.begin(), target.services.end(), "-all") != target.services.end();
    if (!disabled && !endpoints.contains(name)) inactive[name] = kRemovedLocation;
  }
  if (!inactive.empty()) {
    container.add_layer(layer_label(container.name()), log_forwarding_layer(inactive, false),
                        /*combine=*/true);
  }
  if (!endpoints.empty()) {
    container.add_layer(layer_label(container.name()), log_forwarding_layer(endpoints, true),
                        /*combine=*/true);
  }
}

void LogForwarder::update_container(ops::Container& container) {
  update_container(container, loki_endpoints());
}

json LogForwarder::alert_rules() const {
  obs::AlertRules rules(obs::QueryType::kLogQL, obs::JujuTopology::from_charm(charm_));
  if (options_.forward_alert_rules) {
    rules.add_path(obs::resolve_in_charm_dir(options_.alert_rules_path), options_.recursive);
  }
  return rules.as_dict();
}

void LogForwarder::on_relation_event(ops::RelationEvent& event) {
  broken_relation_.reset();
  if (dynamic_cast<ops::RelationBrokenEvent*>(&event) != nullptr) {
    broken_relation_ = event.relation_id();
  }
  const auto endpoints = loki_endpoints();
  for (const auto& [name, container] : charm_.unit().containers()) {
    if (container->can_connect()) update_container(*container, endpoints);
  }
  if (broken_relation_ || !charm_.unit().is_leader()) return;
  ops::Relation& relation = event.relation();
  relation.data(charm_.app())
      .update({{"metadata", obs::JujuTopology::from_charm(charm_).as_dict().dump()},
               {"alert_rules", alert_rules().dump()}});
}

void LogForwarder::on_pebble_ready(ops::PebbleReadyEvent& event) {
  const auto endpoints = loki_endpoints();
  if (endpoints.empty()) {
    ops::log::warning("No Loki endpoints available");
    return;
  }
  update_container(event.workload(), endpoints);
}

}  // namespace charms::loki_k8s::v1
