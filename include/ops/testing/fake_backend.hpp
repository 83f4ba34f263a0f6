// The in-memory Juju that the Harness and Context run charms against.
//
// FakeBackend is a ModelBackend (model.hpp) whose hook tools read and write
// plain C++ data: relations and their databags, config, leadership,
// statuses, storage, networks, ports, resources, secrets, the running
// action, juju-log lines, and one FakePebble per container. Everything the
// Model would ask Juju comes from here, so a charm runs the same framework
// and model code as in production. The data is public (FakeBackend::Data)
// so the testing APIs can set it up and assert on it.
//
// Rules Juju enforces that live in the backend are kept: relation-get on a
// relation that does not exist throws RelationNotFoundError, secret-get
// without a grant throws SecretNotFoundError, secret-set by a non-owner
// throws ModelError, network-get for an undeclared binding throws
// ModelError, resource-get of a resource with no file throws
// ResourceNotFoundError, action tools outside an action throw ModelError.
// Access rules on databags and statuses are the Model's (they apply while
// hook_is_running() is true).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ops/model.hpp"
#include "ops/testing/fake_pebble.hpp"

namespace ops {
struct CharmMeta;
}

namespace ops::testing {

using Databag = std::map<std::string, std::string>;

// One relation as Juju knows it.
struct RelationRecord {
  std::string endpoint;
  int id = 0;
  std::string remote_app;
  std::vector<std::string> remote_units;     // joined units, in join order
  std::map<std::string, Databag> unit_data;  // every unit's bag, ours included
  std::map<std::string, Databag> app_data;   // both applications' bags
};

// One juju-log line.
struct JujuLogLine {
  std::string level;  // "DEBUG", "INFO", "WARNING", "ERROR"
  std::string message;
  bool operator==(const JujuLogLine&) const = default;
};

// One secret, with every revision's content.
struct SecretRecord {
  std::string id;  // "secret:..."
  // "app" or "unit" when this application or unit owns it; "" when another
  // application does (then owner_name says which).
  std::string owner;
  std::string owner_name;
  std::map<int, Databag> revisions;  // revision -> content
  int latest_revision = 1;
  std::optional<int> tracked_revision;  // what this unit sees without refresh
  std::optional<std::string> label;     // the owner's label
  std::optional<std::string> consumer_label;
  std::optional<std::string> description;
  std::optional<std::string> expire;  // RFC 3339
  std::optional<SecretRotate> rotate;
  std::map<int, std::set<std::string>> grants;  // relation id -> granted apps/units
};

// A storage instance: attached or not, and where it is mounted.
struct StorageRecord {
  std::string location;
  bool attached = false;
};

// The action being run.
struct ActionRecord {
  std::string name;
  std::string id;
  nlohmann::json params = nlohmann::json::object();
  nlohmann::json results = nlohmann::json::object();
  bool results_set = false;  // whether action-set ran (Context: no results otherwise)
  std::vector<std::string> logs;
  std::optional<std::string> failure;  // set by action-fail
};

class FakeBackend final : public ModelBackend {
 public:
  struct Data {
    std::string unit_name;
    std::string model_name = "test-model";
    std::string model_uuid = "00000000-0000-4000-8000-000000000000";
    bool hook_running = false;
    bool leader = false;
    nlohmann::json config = nlohmann::json::object();  // set options (without defaults)
    StatusBase unit_status = StatusBase::from_name("maintenance", "");
    StatusBase app_status = UnknownStatus();
    // Whether status-set and application-version-set keep what they
    // replace in the histories below: a Context run does (Scenario's
    // histories); a Harness, which can fire millions of events, does not.
    bool keep_history = false;
    std::vector<StatusBase> unit_status_history;  // each status replaced by status-set
    std::vector<StatusBase> app_status_history;
    std::optional<std::string> workload_version;
    std::vector<std::string> workload_version_history;  // each version replaced
    std::optional<int> planned_units;                   // unset: 1 + the units in peer relations
    std::map<int, RelationRecord> relations;
    std::map<std::string, std::map<int, StorageRecord>> storages;  // name -> index -> record
    std::map<std::string, int> storage_requests;                   // storage-add counts
    // (binding, relation id) -> network; (binding, nullopt) is the binding's
    // default, ("", nullopt) the default of every binding.
    std::map<std::pair<std::string, std::optional<int>>, Network> networks;
    std::set<Port> opened_ports;
    std::map<std::string, std::filesystem::path> resources;  // name -> file
    std::vector<SecretRecord> secrets;
    std::optional<ActionRecord> action;
    std::vector<JujuLogLine> juju_log;
    int reboot_count = 0;
    bool reboot_now = false;
  };

  // A backend for `unit_name` ("app/0") with the charm's metadata, which
  // must outlive it.
  FakeBackend(const CharmMeta& meta, std::string unit_name);
  ~FakeBackend() override;

  Data& data() noexcept { return data_; }
  const Data& data() const noexcept { return data_; }
  const CharmMeta& meta() const noexcept { return meta_; }

  // The Pebble of a container declared in metadata; HarnessError otherwise.
  FakePebble& pebble(const std::string& container);
  // The relation with `id`; HarnessError when there is none.
  RelationRecord& relation(int id);
  // The secret with `id` (canonical or not) or label; nullptr when none.
  SecretRecord* find_secret(const std::optional<std::string>& id,
                            const std::optional<std::string>& label);
  // Config with the metadata's defaults filled in.
  nlohmann::json effective_config() const;
  // The network Juju would give `binding` (falls back as described in Data).
  std::optional<Network> find_network(const std::string& binding,
                                      std::optional<int> relation_id) const;
  // The default network (192.0.2.0 on eth0).
  static Network default_network();
  // A new secret id: "secret:" followed by 20 base32 characters.
  std::string new_secret_id();

  // ---- ModelBackend
  std::string unit_name() const override { return data_.unit_name; }
  std::string model_name() const override { return data_.model_name; }
  std::string model_uuid() const override { return data_.model_uuid; }
  bool hook_is_running() const override { return data_.hook_running; }

  std::vector<int> relation_ids(const std::string& endpoint) override;
  std::vector<std::string> relation_list(int relation_id) override;
  std::optional<std::string> relation_remote_app_name(int relation_id) override;
  std::map<std::string, std::string> relation_get(int relation_id, const std::string& member,
                                                  bool is_app) override;
  void relation_set(int relation_id, const std::map<std::string, std::string>& data,
                    bool is_app) override;
  nlohmann::json config_get() override;
  bool is_leader() override { return data_.leader; }
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

 private:
  RelationRecord& existing_relation(int relation_id);
  SecretRecord& owned_secret(const std::string& id, const char* tool);
  bool can_read(const SecretRecord& secret) const;

  const CharmMeta& meta_;
  Data data_;
  std::map<std::string, std::unique_ptr<FakePebble>> pebbles_;
  int last_secret_ = 0;
};

}  // namespace ops::testing
