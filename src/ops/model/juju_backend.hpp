// JujuBackend: the ModelBackend over Juju's real hook tools.
//
// Internal to the framework: ops::main builds the Model on it, and the model
// tests run it against fake hook tools. Charm authors never construct it
// (they get a Model from ops::main, or a testing backend from ops::testing),
// so it is not an installed header.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ops/juju_context.hpp"
#include "ops/model.hpp"

namespace ops {

// The production backend: runs Juju's hook tools (hookcmds.hpp). It caches
// is-leader for Juju's 30 s leadership lease and answers the remote
// application of the event's relation from JUJU_REMOTE_APP / JUJU_REMOTE_UNIT
// without running relation-list.
class JujuBackend : public ModelBackend {
 public:
  explicit JujuBackend(JujuContext context);

  const JujuContext& context() const noexcept { return context_; }

  std::string unit_name() const override { return context_.unit_name; }
  std::string model_name() const override { return context_.model_name; }
  std::string model_uuid() const override { return context_.model_uuid; }

  std::vector<int> relation_ids(const std::string& endpoint) override;
  std::vector<std::string> relation_list(int relation_id) override;
  std::optional<std::string> relation_remote_app_name(int relation_id) override;
  std::map<std::string, std::string> relation_get(int relation_id, const std::string& member,
                                                  bool is_app) override;
  void relation_set(int relation_id, const std::map<std::string, std::string>& data,
                    bool is_app) override;
  nlohmann::json config_get() override;
  bool is_leader() override;
  std::filesystem::path resource_get(const std::string& name) override;
  StatusBase status_get(bool is_app) override;
  void status_set(const StatusBase& status, bool is_app) override;
  void application_version_set(const std::string& version) override;
  int planned_units() override;
  std::vector<int> storage_list(const std::string& name) override;
  std::string storage_get(const std::string& storage_id, const std::string& attribute) override;
  void storage_add(const std::string& name, int count) override;
  Network network_get(const std::string& binding, std::optional<int> relation_id) override;
  void open_port(const std::string& protocol, std::optional<int> port) override;
  void close_port(const std::string& protocol, std::optional<int> port) override;
  std::vector<Port> opened_ports() override;
  std::string secret_add(const std::map<std::string, std::string>& content,
                         const SecretOptions& options, const std::string& owner) override;
  std::map<std::string, std::string> secret_get(const std::optional<std::string>& id,
                                                const std::optional<std::string>& label,
                                                bool refresh, bool peek) override;
  SecretInfo secret_info_get(const std::optional<std::string>& id,
                             const std::optional<std::string>& label) override;
  void secret_set(const std::string& id,
                  const std::optional<std::map<std::string, std::string>>& content,
                  const SecretOptions& options) override;
  void secret_grant(const std::string& id, int relation_id,
                    const std::optional<std::string>& unit) override;
  void secret_revoke(const std::string& id, int relation_id,
                     const std::optional<std::string>& unit) override;
  void secret_remove(const std::string& id, std::optional<int> revision) override;
  nlohmann::json action_get() override;
  void action_set(const nlohmann::json& results) override;
  void action_log(const std::string& message) override;
  void action_fail(const std::string& message) override;
  void juju_log(const std::string& level, const std::string& message) override;
  void reboot(bool now) override;

  // How long an is-leader answer is trusted (Juju's lease renewal period).
  static constexpr std::chrono::seconds kLeaseRenewalPeriod{30};

 private:
  JujuContext context_;
  std::optional<bool> is_leader_;
  std::chrono::steady_clock::time_point leader_checked_at_;
};

}  // namespace ops
