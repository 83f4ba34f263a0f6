// The in-memory ModelBackend of the testing library.
#include "ops/testing/fake_backend.hpp"

#include <algorithm>
#include <functional>

#include "ops/charm.hpp"
#include "ops/hookcmds.hpp"

namespace ops::testing {
namespace {

void apply(Databag& bag, const std::map<std::string, std::string>& changes) {
  for (const auto& [key, value] : changes) {
    if (value.empty()) {
      bag.erase(key);
    } else {
      bag[key] = value;
    }
  }
}

std::string storage_name_of(const std::string& storage_id, int& index) {
  const auto slash = storage_id.find('/');
  if (slash == std::string::npos) throw ModelError("invalid storage id \"" + storage_id + "\"");
  try {
    index = std::stoi(storage_id.substr(slash + 1));
  } catch (const std::exception&) {
    throw ModelError("invalid storage id \"" + storage_id + "\"");
  }
  return storage_id.substr(0, slash);
}

}  // namespace

FakeBackend::FakeBackend(const CharmMeta& meta, std::string unit_name) : meta_(meta) {
  data_.unit_name = std::move(unit_name);
}

FakeBackend::~FakeBackend() = default;

FakePebble& FakeBackend::pebble(const std::string& container) {
  auto it = pebbles_.find(container);
  if (it != pebbles_.end()) return *it->second;
  if (!meta_.containers.count(container)) {
    throw HarnessError("container '" + container + "' is not declared in the charm's metadata");
  }
  return *pebbles_.emplace(container, std::make_unique<FakePebble>(container)).first->second;
}

RelationRecord& FakeBackend::relation(int id) {
  auto it = data_.relations.find(id);
  if (it == data_.relations.end()) {
    throw HarnessError("there is no relation with id " + std::to_string(id));
  }
  return it->second;
}

RelationRecord& FakeBackend::existing_relation(int relation_id) {
  auto it = data_.relations.find(relation_id);
  if (it == data_.relations.end()) {
    throw RelationNotFoundError("relation " + std::to_string(relation_id) + " not found",
                                "ERROR relation not found\n");
  }
  return it->second;
}

std::vector<int> FakeBackend::relation_ids(const std::string& endpoint) {
  std::vector<int> ids;
  for (const auto& [id, record] : data_.relations) {
    if (record.endpoint == endpoint) ids.push_back(id);
  }
  return ids;
}

std::vector<std::string> FakeBackend::relation_list(int relation_id) {
  return existing_relation(relation_id).remote_units;
}

std::optional<std::string> FakeBackend::relation_remote_app_name(int relation_id) {
  auto it = data_.relations.find(relation_id);
  if (it == data_.relations.end()) return std::nullopt;
  return it->second.remote_app;
}

std::map<std::string, std::string> FakeBackend::relation_get(int relation_id,
                                                             const std::string& member,
                                                             bool is_app) {
  RelationRecord& record = existing_relation(relation_id);
  const auto& bags = is_app ? record.app_data : record.unit_data;
  auto it = bags.find(member);
  if (it == bags.end()) return {};
  return it->second;
}

void FakeBackend::relation_set(int relation_id, const std::map<std::string, std::string>& data,
                               bool is_app) {
  RelationRecord& record = existing_relation(relation_id);
  if (is_app) {
    apply(record.app_data[app_name()], data);
  } else {
    apply(record.unit_data[data_.unit_name], data);
  }
}

nlohmann::json FakeBackend::effective_config() const {
  nlohmann::json values = nlohmann::json::object();
  for (const auto& [name, option] : meta_.config) {
    if (option.default_value && !option.default_value->is_null())
      values[name] = *option.default_value;
  }
  for (const auto& [name, value] : data_.config.items()) values[name] = value;
  return values;
}

nlohmann::json FakeBackend::config_get() { return effective_config(); }

std::filesystem::path FakeBackend::resource_get(const std::string& name) {
  auto it = data_.resources.find(name);
  if (it == data_.resources.end()) {
    throw ResourceNotFoundError(
        "resource-get: resource \"" + name + "\" has no file attached",
        "ERROR could not download resource: resource#" + name + " not found\n");
  }
  return it->second;
}

StatusBase FakeBackend::status_get(bool is_app) {
  if (is_app && !data_.leader) {
    throw ModelError("status-get: finding application status: this unit is not the leader",
                     "ERROR finding application status: this unit is not the leader\n");
  }
  return is_app ? data_.app_status : data_.unit_status;
}

void FakeBackend::status_set(const StatusBase& status, bool is_app) {
  if (is_app && !data_.leader) {
    throw ModelError("status-set: this unit is not the leader",
                     "ERROR setting application status: this unit is not the leader\n");
  }
  StatusBase& current = is_app ? data_.app_status : data_.unit_status;
  if (data_.keep_history) {
    (is_app ? data_.app_status_history : data_.unit_status_history).push_back(current);
  }
  current = status;
}

void FakeBackend::application_version_set(const std::string& version) {
  // The version replaced, as Scenario's history (an unset one is not kept).
  if (data_.keep_history && data_.workload_version && !data_.workload_version->empty()) {
    data_.workload_version_history.push_back(*data_.workload_version);
  }
  data_.workload_version = version;
}

int FakeBackend::planned_units() {
  if (data_.planned_units) return *data_.planned_units;
  int units = 1;
  for (const auto& [id, record] : data_.relations) {
    if (meta_.peer_relations.count(record.endpoint)) {
      units += static_cast<int>(record.remote_units.size());
    }
  }
  return units;
}

std::vector<int> FakeBackend::storage_list(const std::string& name) {
  std::vector<int> indices;
  auto it = data_.storages.find(name);
  if (it == data_.storages.end()) return indices;
  for (const auto& [index, record] : it->second) {
    if (record.attached) indices.push_back(index);
  }
  return indices;
}

std::string FakeBackend::storage_get(const std::string& storage_id, const std::string& attribute) {
  int index = 0;
  const std::string name = storage_name_of(storage_id, index);
  auto it = data_.storages.find(name);
  if (it == data_.storages.end() || !it->second.count(index)) {
    throw ModelError(
        "storage-get: storage \"" + storage_id + "\" not found",
        "ERROR invalid value \"" + storage_id + "\" for option -s: storage not found\n");
  }
  if (attribute != "location") {
    throw ModelError("storage-get: unknown attribute \"" + attribute + "\"");
  }
  return it->second.at(index).location;
}

void FakeBackend::storage_add(const std::string& name, int count) {
  if (!meta_.storages.count(name)) {
    throw ModelError("storage-add: storage \"" + name + "\" is not declared by the charm");
  }
  data_.storage_requests[name] += count;
}

Network FakeBackend::default_network() {
  Network network;
  network.interfaces.push_back({"eth0", "192.0.2.0", "192.0.2.0/24"});
  network.ingress_addresses = {"192.0.2.0"};
  network.egress_subnets = {"192.0.2.0/24"};
  return network;
}

std::optional<Network> FakeBackend::find_network(const std::string& binding,
                                                 std::optional<int> relation_id) const {
  auto find = [&](const std::string& name, std::optional<int> id) -> const Network* {
    auto it = data_.networks.find({name, id});
    return it == data_.networks.end() ? nullptr : &it->second;
  };
  if (relation_id) {
    if (const Network* n = find(binding, relation_id)) return *n;
  }
  if (const Network* n = find(binding, std::nullopt)) return *n;
  if (const Network* n = find("", std::nullopt)) return *n;
  return std::nullopt;
}

Network FakeBackend::network_get(const std::string& binding, std::optional<int> relation_id) {
  const bool declared = meta_.relations.count(binding) != 0 ||
                        std::find(meta_.extra_bindings.begin(), meta_.extra_bindings.end(),
                                  binding) != meta_.extra_bindings.end();
  if (!declared) {
    throw ModelError("network-get: no network config found for binding \"" + binding + "\"",
                     "ERROR no network config found for binding \"" + binding + "\"\n");
  }
  if (relation_id) existing_relation(*relation_id);
  if (auto network = find_network(binding, relation_id)) return *network;
  return default_network();
}

void FakeBackend::open_port(const std::string& protocol, std::optional<int> port) {
  hookcmds::validate_port(protocol, port);
  data_.opened_ports.insert(Port{protocol, port});
}

void FakeBackend::close_port(const std::string& protocol, std::optional<int> port) {
  hookcmds::validate_port(protocol, port);
  data_.opened_ports.erase(Port{protocol, port});
}

std::vector<Port> FakeBackend::opened_ports() {
  return {data_.opened_ports.begin(), data_.opened_ports.end()};
}

// ------------------------------------------------------------------- secrets

std::string FakeBackend::new_secret_id() {
  // Juju's ids are 20 characters of base32 (0-9a-v); count up from a fixed prefix.
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuv";
  std::string suffix;
  for (int n = ++last_secret_; n > 0; n /= 32) suffix.insert(suffix.begin(), kDigits[n % 32]);
  std::string id = "cr2d1f0g6s7v3nrbtq0";
  id.resize(20 - suffix.size());
  return "secret:" + id + suffix;
}

SecretRecord* FakeBackend::find_secret(const std::optional<std::string>& id,
                                       const std::optional<std::string>& label) {
  if (id) {
    const std::string canonical = Secret::canonicalize_id(*id);
    // Ids may carry the model uuid ("secret://uuid/xxx"); compare the unique part.
    auto unique = [](const std::string& text) {
      const auto cut = text.find_last_of("/:");
      return cut == std::string::npos ? text : text.substr(cut + 1);
    };
    for (auto& secret : data_.secrets) {
      if (secret.id == canonical || unique(secret.id) == unique(canonical)) return &secret;
    }
    return nullptr;
  }
  if (label) {
    for (auto& secret : data_.secrets) {
      if (secret.label == label || secret.consumer_label == label) return &secret;
    }
  }
  return nullptr;
}

bool FakeBackend::can_read(const SecretRecord& secret) const {
  if (secret.owner == "app" || secret.owner == "unit") return true;
  for (const auto& [relation_id, grantees] : secret.grants) {
    if (grantees.count(app_name()) || grantees.count(data_.unit_name)) return true;
  }
  return false;
}

SecretRecord& FakeBackend::owned_secret(const std::string& id, const char* tool) {
  SecretRecord* secret = find_secret(id, std::nullopt);
  if (secret == nullptr) {
    throw SecretNotFoundError(std::string(tool) + ": secret \"" + id + "\" not found",
                              "ERROR secret \"" + id + "\" not found\n");
  }
  if (secret->owner.empty()) {
    throw ModelError(std::string(tool) + ": permission denied: " + data_.unit_name +
                         " does not own secret " + secret->id,
                     "ERROR permission denied\n");
  }
  if (secret->owner == "app" && !data_.leader) {
    throw ModelError(std::string(tool) + ": permission denied: " + data_.unit_name +
                         " is not the leader and cannot manage application secret " + secret->id,
                     "ERROR permission denied\n");
  }
  return *secret;
}

std::string FakeBackend::secret_add(const std::map<std::string, std::string>& content,
                                    const SecretOptions& options, const std::string& owner) {
  if (owner == "application" && !data_.leader) {
    throw ModelError("secret-add: permission denied: " + data_.unit_name +
                         " is not the leader and cannot add an application secret",
                     "ERROR permission denied\n");
  }
  SecretRecord secret;
  secret.id = new_secret_id();
  secret.owner = owner == "application" ? "app" : "unit";
  secret.owner_name = owner == "application" ? app_name() : data_.unit_name;
  secret.revisions[1] = content;
  secret.latest_revision = 1;
  secret.tracked_revision = 1;
  secret.label = options.label;
  secret.description = options.description;
  if (options.expire) secret.expire = hookcmds::format_rfc3339(*options.expire);
  secret.rotate = options.rotate;
  data_.secrets.push_back(secret);
  return secret.id;
}

std::map<std::string, std::string> FakeBackend::secret_get(const std::optional<std::string>& id,
                                                           const std::optional<std::string>& label,
                                                           bool refresh, bool peek) {
  SecretRecord* secret = find_secret(id, label);
  const std::string what = id ? *id : "with label \"" + label.value_or("") + "\"";
  if (secret == nullptr || !can_read(*secret)) {
    throw SecretNotFoundError("secret-get: secret " + what + " not found",
                              "ERROR secret " + what + " not found\n");
  }
  if (id && label) {
    if (secret->owner.empty()) {
      secret->consumer_label = label;
    } else {
      secret->label = label;
    }
  }
  // Owners track a revision too since Juju 3.1.7: secret-get without
  // --refresh/--peek answers the tracked one, for owner and observer alike.
  int revision = secret->latest_revision;
  if (!peek && !refresh) revision = secret->tracked_revision.value_or(secret->latest_revision);
  if (refresh) secret->tracked_revision = secret->latest_revision;
  auto it = secret->revisions.find(revision);
  if (it == secret->revisions.end()) {
    throw SecretNotFoundError("secret-get: revision " + std::to_string(revision) + " of secret " +
                              secret->id + " not found");
  }
  return it->second;
}

SecretInfo FakeBackend::secret_info_get(const std::optional<std::string>& id,
                                        const std::optional<std::string>& label) {
  SecretRecord* found = find_secret(id, label);
  if (found == nullptr) {
    const std::string what = id ? *id : "with label \"" + label.value_or("") + "\"";
    throw SecretNotFoundError("secret-info-get: secret " + what + " not found",
                              "ERROR secret " + what + " not found\n");
  }
  SecretRecord& secret = owned_secret(found->id, "secret-info-get");
  SecretInfo info;
  info.id = secret.id;
  info.label = secret.label;
  info.revision = secret.latest_revision;
  info.expires = secret.expire;
  info.rotation = secret.rotate;
  info.description = secret.description;
  return info;
}

void FakeBackend::secret_set(const std::string& id,
                             const std::optional<std::map<std::string, std::string>>& content,
                             const SecretOptions& options) {
  SecretRecord& secret = owned_secret(id, "secret-set");
  if (content) {
    secret.latest_revision += 1;
    secret.revisions[secret.latest_revision] = *content;
  }
  if (options.label) secret.label = options.label;
  if (options.description) secret.description = options.description;
  if (options.expire) secret.expire = hookcmds::format_rfc3339(*options.expire);
  if (options.rotate) secret.rotate = options.rotate;
}

void FakeBackend::secret_grant(const std::string& id, int relation_id,
                               const std::optional<std::string>& unit) {
  SecretRecord& secret = owned_secret(id, "secret-grant");
  RelationRecord& relation = existing_relation(relation_id);
  secret.grants[relation_id].insert(unit ? *unit : relation.remote_app);
}

void FakeBackend::secret_revoke(const std::string& id, int relation_id,
                                const std::optional<std::string>& unit) {
  SecretRecord& secret = owned_secret(id, "secret-revoke");
  RelationRecord& relation = existing_relation(relation_id);
  auto it = secret.grants.find(relation_id);
  if (it == secret.grants.end()) return;
  it->second.erase(unit ? *unit : relation.remote_app);
  if (it->second.empty()) secret.grants.erase(it);
}

void FakeBackend::secret_remove(const std::string& id, std::optional<int> revision) {
  SecretRecord& secret = owned_secret(id, "secret-remove");
  if (revision) {
    if (!secret.revisions.erase(*revision)) {
      throw SecretNotFoundError("secret-remove: revision " + std::to_string(*revision) +
                                " of secret " + secret.id + " not found");
    }
    if (!secret.revisions.empty()) return;
  }
  const std::string removed = secret.id;
  data_.secrets.erase(std::remove_if(data_.secrets.begin(), data_.secrets.end(),
                                     [&](const SecretRecord& s) { return s.id == removed; }),
                      data_.secrets.end());
}

// ------------------------------------------------------------------- actions

nlohmann::json FakeBackend::action_get() {
  if (!data_.action) throw ModelError("action-get: not running an action");
  return data_.action->params;
}

void FakeBackend::action_set(const nlohmann::json& results) {
  if (!data_.action) throw ModelError("action-set: not running an action");
  (void)hookcmds::action_set_args(results);  // Juju's key rules, without running anything
  // Juju merges each key path into the results; a null value is a value
  // (ops' Harness keeps it), not a deletion as in a JSON merge-patch.
  std::function<void(nlohmann::json&, const nlohmann::json&)> merge =
      [&merge](nlohmann::json& into, const nlohmann::json& from) {
        for (const auto& [key, value] : from.items()) {
          if (value.is_object()) {
            if (!into.contains(key) || !into[key].is_object()) into[key] = nlohmann::json::object();
            merge(into[key], value);
          } else {
            into[key] = value;
          }
        }
      };
  merge(data_.action->results, results);
  if (!results.empty()) data_.action->results_set = true;  // as action-set with no keys never runs
}

void FakeBackend::action_log(const std::string& message) {
  if (!data_.action) throw ModelError("action-log: not running an action");
  data_.action->logs.push_back(message);
}

void FakeBackend::action_fail(const std::string& message) {
  if (!data_.action) throw ModelError("action-fail: not running an action");
  data_.action->failure = message;
}

void FakeBackend::juju_log(const std::string& level, const std::string& message) {
  data_.juju_log.push_back({level, message});
}

void FakeBackend::reboot(bool now) {
  ++data_.reboot_count;
  data_.reboot_now = data_.reboot_now || now;
}

}  // namespace ops::testing
