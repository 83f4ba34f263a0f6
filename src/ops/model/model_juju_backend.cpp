// JujuBackend: the ModelBackend that runs Juju's hook tools.
#include "ops/hookcmds.hpp"
#include "ops/model.hpp"
#include "ops/model/juju_backend.hpp"

namespace ops {

std::string ModelBackend::app_name() const {
  std::string unit = unit_name();
  return unit.substr(0, unit.find('/'));
}

JujuBackend::JujuBackend(JujuContext context) : context_(std::move(context)) {}

std::vector<int> JujuBackend::relation_ids(const std::string& endpoint) {
  return hookcmds::relation_ids(endpoint);
}

std::vector<std::string> JujuBackend::relation_list(int relation_id) {
  return hookcmds::relation_list(relation_id);
}

std::optional<std::string> JujuBackend::relation_remote_app_name(int relation_id) {
  if (context_.relation_id == relation_id) {
    // The event's own relation: Juju told us in the environment.
    if (context_.remote_app_name) return context_.remote_app_name;
    if (context_.remote_unit_name) {
      return context_.remote_unit_name->substr(0, context_.remote_unit_name->find('/'));
    }
  }
  return hookcmds::relation_list_app(relation_id);
}

std::map<std::string, std::string> JujuBackend::relation_get(int relation_id,
                                                             const std::string& member,
                                                             bool is_app) {
  if (is_app && !context_.version.has_app_data() && context_.version != JujuVersion::unknown()) {
    throw ModelError("getting application data is not supported on Juju version " +
                     context_.version.to_string());
  }
  return hookcmds::relation_get(relation_id, member, is_app);
}

void JujuBackend::relation_set(int relation_id, const std::map<std::string, std::string>& data,
                               bool is_app) {
  if (is_app && !context_.version.has_app_data() && context_.version != JujuVersion::unknown()) {
    throw ModelError("setting application data is not supported on Juju version " +
                     context_.version.to_string());
  }
  hookcmds::relation_set(relation_id, data, is_app);
}

nlohmann::json JujuBackend::config_get() { return hookcmds::config_get(); }

bool JujuBackend::is_leader() {
  auto now = std::chrono::steady_clock::now();
  if (!is_leader_ || now - leader_checked_at_ > kLeaseRenewalPeriod) {
    // Take the time before asking, so the answer is trusted only within the
    // lease that is-leader itself guarantees.
    leader_checked_at_ = now;
    is_leader_ = hookcmds::is_leader();
  }
  return *is_leader_;
}

std::filesystem::path JujuBackend::resource_get(const std::string& name) {
  return hookcmds::resource_get(name);
}

StatusBase JujuBackend::status_get(bool is_app) {
  auto result = hookcmds::status_get(is_app);
  return StatusBase::from_name(result.status, result.message);
}

void JujuBackend::status_set(const StatusBase& status, bool is_app) {
  hookcmds::status_set(status.name(), status.message(), is_app);
}

void JujuBackend::application_version_set(const std::string& version) {
  hookcmds::application_version_set(version);
}

int JujuBackend::planned_units() {
  int alive = 0;
  for (const auto& [name, unit] : hookcmds::goal_state().units) {
    if (unit.status != "dying") ++alive;
  }
  return alive;
}

std::vector<int> JujuBackend::storage_list(const std::string& name) {
  std::vector<int> indices;
  for (const auto& id : hookcmds::storage_list(name)) {
    auto slash = id.rfind('/');
    try {
      indices.push_back(std::stoi(id.substr(slash == std::string::npos ? 0 : slash + 1)));
    } catch (const std::exception&) {
      throw ModelError("storage-list: unexpected storage id \"" + id + "\"");
    }
  }
  return indices;
}

std::string JujuBackend::storage_get(const std::string& storage_id, const std::string& attribute) {
  return hookcmds::storage_get(storage_id, attribute);
}

void JujuBackend::storage_add(const std::string& name, int count) {
  hookcmds::storage_add(name, count);
}

Network JujuBackend::network_get(const std::string& binding, std::optional<int> relation_id) {
  return hookcmds::network_get(binding, relation_id);
}

void JujuBackend::open_port(const std::string& protocol, std::optional<int> port) {
  hookcmds::open_port(protocol, port);
}

void JujuBackend::close_port(const std::string& protocol, std::optional<int> port) {
  hookcmds::close_port(protocol, port);
}

std::vector<Port> JujuBackend::opened_ports() { return hookcmds::opened_ports(); }

std::string JujuBackend::secret_add(const std::map<std::string, std::string>& content,
                                    const SecretOptions& options, const std::string& owner) {
  return hookcmds::secret_add(content, options, owner);
}

std::map<std::string, std::string> JujuBackend::secret_get(const std::optional<std::string>& id,
                                                           const std::optional<std::string>& label,
                                                           bool refresh, bool peek) {
  return hookcmds::secret_get(id, label, refresh, peek);
}

SecretInfo JujuBackend::secret_info_get(const std::optional<std::string>& id,
                                        const std::optional<std::string>& label) {
  return hookcmds::secret_info_get(id, label);
}

void JujuBackend::secret_set(const std::string& id,
                             const std::optional<std::map<std::string, std::string>>& content,
                             const SecretOptions& options) {
  hookcmds::secret_set(id, content, options);
}

void JujuBackend::secret_grant(const std::string& id, int relation_id,
                               const std::optional<std::string>& unit) {
  hookcmds::secret_grant(id, relation_id, unit);
}

void JujuBackend::secret_revoke(const std::string& id, int relation_id,
                                const std::optional<std::string>& unit) {
  hookcmds::secret_revoke(id, relation_id, unit);
}

void JujuBackend::secret_remove(const std::string& id, std::optional<int> revision) {
  hookcmds::secret_remove(id, revision);
}

nlohmann::json JujuBackend::action_get() { return hookcmds::action_get(); }
void JujuBackend::action_set(const nlohmann::json& results) { hookcmds::action_set(results); }
void JujuBackend::action_log(const std::string& message) { hookcmds::action_log(message); }
void JujuBackend::action_fail(const std::string& message) { hookcmds::action_fail(message); }

void JujuBackend::juju_log(const std::string& level, const std::string& message) {
  hookcmds::juju_log(level, message);
}

void JujuBackend::reboot(bool now) { hookcmds::juju_reboot(now); }

}  // namespace ops
