// A ModelBackend decorator that records every call as the hook-tool
// invocation the production backend (JujuBackend) would make.
//
// Wrap any backend (usually a FakeBackend) to assert exactly which hook
// tools a piece of charm or model code runs, in order:
//
//   ops::testing::FakeBackend juju(meta, "redis/0");
//   ops::testing::RecordingBackend backend(juju);
//   ops::Model model(meta, backend);
//   model.unit().set_status(ops::ActiveStatus("ready"));
//   EXPECT_EQ(backend.commands(),
//             std::vector<std::string>{"status-set --application=False active -- ready"});
//
// Each ModelBackend call is recorded once, before it is passed on (so a call
// the inner backend refuses is still recorded), with the argv that
// ops::hookcmds builds for it: `relation-get -r 3 - pg/0 --format=json`,
// `relation-set -r 3 --file -` with the JSON on stdin, `secret-add --owner
// unit password#file=<file>` with the content kept in HookToolCall::files
// (production writes each value to a private file), `juju-log` split into
// chunks past hookcmds::kMaxLogLineLength, `action-set` flattened by
// hookcmds::action_set_args. The identity queries (unit_name, model_name,
// model_uuid, hook_is_running) come from the environment in production and
// are not recorded. JujuBackend's own shortcuts are not modelled: it trusts
// an is-leader answer for the 30 s lease and answers the event relation's
// remote application from JUJU_REMOTE_APP, so production may run fewer
// is-leader and `relation-list --app` calls than recorded here.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ops/hookcmds.hpp"
#include "ops/model.hpp"

namespace ops::testing {

// One hook-tool invocation.
struct HookToolCall {
  std::vector<std::string> argv;             // argv[0] is the tool, e.g. "relation-set"
  std::string stdin_text;                    // "" when nothing is written to stdin
  std::map<std::string, std::string> files;  // secret content passed as KEY#file=PATH
  // argv joined by spaces, then " <<< " and stdin_text when there is input.
  std::string to_string() const;
  bool operator==(const HookToolCall&) const = default;
};

// What HookToolCall::argv holds in place of a secret content file's path.
inline constexpr const char* kSecretFilePlaceholder = "<file>";

class RecordingBackend final : public ModelBackend {
 public:
  // Records calls and forwards them to `inner`, which must outlive this.
  explicit RecordingBackend(ModelBackend& inner) : inner_(inner) {}

  // Every recorded call, oldest first.
  [[nodiscard]] const std::vector<HookToolCall>& calls() const noexcept { return calls_; }
  // calls(), each as HookToolCall::to_string().
  [[nodiscard]] std::vector<std::string> commands() const;
  // The commands whose tool (argv[0]) is `tool`.
  [[nodiscard]] std::vector<std::string> commands(const std::string& tool) const;
  // Forgets the calls recorded so far.
  void clear() noexcept { calls_.clear(); }
  [[nodiscard]] ModelBackend& inner() noexcept { return inner_; }

  // ---- ModelBackend
  std::string unit_name() const override { return inner_.unit_name(); }
  std::string model_name() const override { return inner_.model_name(); }
  std::string model_uuid() const override { return inner_.model_uuid(); }
  bool hook_is_running() const override { return inner_.hook_is_running(); }

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

 private:
  void record(std::vector<std::string> argv, std::string stdin_text = {},
              std::map<std::string, std::string> files = {});

  ModelBackend& inner_;
  std::vector<HookToolCall> calls_;
};

}  // namespace ops::testing
