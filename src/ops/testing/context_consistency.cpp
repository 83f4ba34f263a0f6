// Context's consistency checker: refuses a State (and Event) that Juju
// could never produce, listing every problem found, before anything runs.
#include <set>
#include <string>

#include "config_types.hpp"
#include "dispatch.hpp"
#include "ops/detail/juju_names.hpp"
#include "ops/testing/context.hpp"

namespace ops::testing {
namespace {

std::string join_ints(const std::map<int, Databag>& units) {
  std::string out;
  for (const auto& [id, bag] : units) out += (out.empty() ? "" : ", ") + std::to_string(id);
  return out.empty() ? "none" : out;
}

}  // namespace

void ContextBase::check_consistency(const Event& event, const State& state) const {
  std::vector<std::string> problems;
  const std::string our_unit_number = unit_name_.substr(unit_name_.find('/') + 1);

  if (!state.config.is_object()) problems.push_back("config must be a JSON object");
  for (const auto& [key, value] : state.config.items()) {
    auto it = meta_.config.find(key);
    if (it == meta_.config.end()) {
      problems.push_back("config option '" + key + "' is not declared in config.yaml");
    } else if (!detail::config_type_fits(it->second.type, value)) {
      problems.push_back("config option '" + key + "' is of type " + it->second.type + ", not " +
                         value.dump());
    } else if (it->second.type == "secret" &&
               !ops::detail::is_secret_uri(value.get<std::string>())) {
      problems.push_back("config option '" + key + "' is of type secret, but " + value.dump() +
                         " is not a secret URI (secret:<20 characters of 0-9a-v>)");
    }
  }

  std::set<int> relation_ids;
  for (const auto& relation : state.relations) {
    const std::string what = "relation " + std::to_string(relation.id);
    if (!relation_ids.insert(relation.id).second) {
      problems.push_back("two relations have the id " + std::to_string(relation.id));
    }
    auto it = meta_.relations.find(relation.endpoint);
    if (it == meta_.relations.end()) {
      problems.push_back(what + " is on endpoint '" + relation.endpoint +
                         "', which the metadata does not declare");
      continue;
    }
    if (it->second.role == RelationRole::kPeer) {
      if (!relation.remote_app_data.empty()) {
        problems.push_back(what + " on peer endpoint '" + relation.endpoint +
                           "' has remote_app_data; a peer relation shares local_app_data");
      }
      for (const auto& [unit, bag] : relation.remote_units_data) {
        if (std::to_string(unit) == our_unit_number) {
          problems.push_back(what + " on peer endpoint '" + relation.endpoint +
                             "' lists this unit (" + unit_name_ + ") as a peer");
        }
      }
    } else if (relation.remote_app_name == app_name_ || relation.remote_app_name.empty() ||
               relation.remote_app_name.find('/') != std::string::npos) {
      problems.push_back(what + " has an invalid remote application name \"" +
                         relation.remote_app_name + "\"");
    }
  }
  std::set<std::string> container_names;
  for (const auto& container : state.containers) {
    if (!meta_.containers.count(container.name)) {
      problems.push_back("container '" + container.name + "' is not declared in the metadata");
    }
    container_names.insert(container.name);
    for (const auto& [path, content] : container.files) {
      if (path.empty() || path.front() != '/') {
        problems.push_back("file \"" + path + "\" of container '" + container.name +
                           "' is not an absolute path");
      }
    }
  }
  for (const auto& storage : state.storages) {
    if (!meta_.storages.count(storage.name)) {
      problems.push_back("storage '" + storage.name + "' is not declared in the metadata");
    }
  }
  for (const auto& resource : state.resources) {
    auto it = meta_.resources.find(resource.name);
    if (it == meta_.resources.end()) {
      problems.push_back("resource '" + resource.name + "' is not declared in the metadata");
    }
  }
  for (const auto& [binding, network] : state.networks) {
    const bool declared = meta_.relations.count(binding) != 0 ||
                          std::find(meta_.extra_bindings.begin(), meta_.extra_bindings.end(),
                                    binding) != meta_.extra_bindings.end();
    if (!declared) {
      problems.push_back("network binding '" + binding + "' is not an endpoint or extra-binding");
    }
  }
  for (const auto& secret : state.secrets) {
    if (secret.owner != "" && secret.owner != "app" && secret.owner != "unit") {
      problems.push_back("secret " + secret.id + " has owner \"" + secret.owner +
                         "\" (expected \"app\", \"unit\" or \"\")");
    }
  }

  // The event against the state.
  if (event.relation_id) {
    const Relation* relation = nullptr;
    for (const auto& r : state.relations) {
      if (r.id == *event.relation_id) relation = &r;
    }
    if (relation == nullptr) {
      problems.push_back("the event's relation " + std::to_string(*event.relation_id) +
                         " is not in the state");
    } else {
      const bool peer = meta_.relations.count(relation->endpoint) != 0 &&
                        meta_.relations.at(relation->endpoint).role == RelationRole::kPeer;
      // Juju runs relation-departed on the departing unit itself too (its
      // JUJU_DEPARTING_UNIT is this unit), which on a peer relation is
      // this unit's number.
      const bool departing_self =
          peer && event.departing_unit && std::to_string(*event.departing_unit) == our_unit_number;
      const std::string suffix = event.kind.substr(event.kind.rfind("_relation_") + 1);
      if ((suffix == "relation_joined" || suffix == "relation_changed" ||
           suffix == "relation_departed") &&
          relation->remote_units_data.empty() && !event.remote_unit) {
        // Juju runs these hooks for a remote unit only (app-level changes
        // too come after a unit joined): a relation with none cannot have them.
        problems.push_back(event.kind + " needs a remote unit, but relation " +
                           std::to_string(relation->id) + " has no remote units");
      }
      for (const auto& unit : {event.remote_unit, event.departing_unit}) {
        if (unit == event.departing_unit && departing_self && unit != event.remote_unit) continue;
        if (unit && !relation->remote_units_data.count(*unit)) {
          problems.push_back("remote unit " + std::to_string(*unit) + " is not in relation " +
                             std::to_string(relation->id) +
                             " (its remote units: " + join_ints(relation->remote_units_data) + ")");
        }
      }
    }
  }
  if (event.container) {
    if (!meta_.containers.count(*event.container)) {
      problems.push_back("the event's container '" + *event.container +
                         "' is not declared in the metadata");
    } else if (!container_names.count(*event.container)) {
      problems.push_back("the event's container '" + *event.container + "' is not in the state");
    } else if (event.notice_id) {
      const Container& container = state.get_container(*event.container);
      const bool present =
          std::any_of(container.notices.begin(), container.notices.end(),
                      [&](const pebble::Notice& notice) { return notice.id == *event.notice_id; });
      if (!present) {
        problems.push_back("the event's notice " + *event.notice_id + " is not in container '" +
                           *event.container + "'");
      }
    }
  }
  if (event.storage) {
    const bool present =
        std::any_of(state.storages.begin(), state.storages.end(), [&](const Storage& s) {
          return s.name == event.storage->name && s.index == event.storage->index;
        });
    if (!present) {
      problems.push_back("the event's storage " + event.storage->name + "/" +
                         std::to_string(event.storage->index) + " is not in the state");
    }
  }
  if (event.secret_id) {
    const Secret* secret = nullptr;
    for (const auto& s : state.secrets) {
      if (s.id == *event.secret_id) secret = &s;
    }
    if (secret == nullptr) {
      problems.push_back("the event's secret " + *event.secret_id + " is not in the state");
    } else if (event.kind != "secret_changed" && secret->owner.empty()) {
      problems.push_back(event.kind + " goes to the secret's owner, but this charm does not own " +
                         secret->id);
    } else if (event.kind == "secret_changed" && !secret->owner.empty()) {
      problems.push_back("secret_changed goes to observers, but this charm owns " + secret->id);
    }
  }
  if (event.action) {
    try {
      detail::validated_action_params(meta_, *event.action, event.action_params);
    } catch (const HarnessError& e) {
      problems.push_back(e.what());
    }
  } else if (!event.kind.empty() && !event.custom_source) {
    // Hook kinds must be ones the charm's events can have.
    static const std::set<std::string> kFixed = {"install",
                                                 "start",
                                                 "stop",
                                                 "remove",
                                                 "update_status",
                                                 "config_changed",
                                                 "upgrade_charm",
                                                 "pre_series_upgrade",
                                                 "post_series_upgrade",
                                                 "leader_elected",
                                                 "leader_settings_changed",
                                                 "collect_metrics",
                                                 "secret_changed",
                                                 "secret_expired",
                                                 "secret_rotate",
                                                 "secret_remove"};
    if (!kFixed.count(event.kind) && !event.relation_id && !event.container && !event.storage) {
      problems.push_back("unknown event kind '" + event.kind + "'");
    }
  }

  if (problems.empty()) return;
  std::string message = "inconsistent state for event " + event.kind + ":";
  for (const auto& problem : problems) message += "\n  - " + problem;
  throw InconsistentStateError(message);
}

}  // namespace ops::testing
