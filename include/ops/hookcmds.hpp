// Juju's hook tools as typed C++ functions, one per tool.
//
// Each function in ops::hookcmds runs one hook tool (relation-get,
// status-set, secret-add, ...) with exactly the argv Juju expects, without a
// shell, and returns its output parsed from JSON. This is the layer JujuBackend
// is built on; a charm may also use it directly, like Python ops'
// `ops.hookcmds`. Every failure is mapped in one place (hookcmds::run):
//   - the tool is not on PATH                   -> ModelError
//   - stderr says "relation not found"          -> RelationNotFoundError
//   - a secret-* tool's stderr says "not found" -> SecretNotFoundError
//   - resource-get fails                        -> ResourceNotFoundError
//   - any other non-zero exit                   -> ModelError
//   - still running after kHookToolTimeout      -> ModelError (tool killed)
// and the tool's stderr is kept in ModelError::stderr(). Messages name the
// tool but never its arguments, which may hold secrets or action results.
//
// The value types the Model shares with the hook tools (Port, SecretRotate,
// SecretInfo, Network, SecretAttributes) are in model_types.hpp.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ops/model_types.hpp"

namespace ops {

namespace hookcmds {

// A status as status-get reports it.
struct StatusResult {
  std::string status;   // "active", "blocked", "maintenance", "waiting", "error", "unknown"
  std::string message;  // "" when there is none
};

// One unit's entry in goal-state.
struct GoalStateUnit {
  std::string status;  // "active", "waiting", "dying", ...
  std::string since;
};
// goal-state's answer: this application's units, and per endpoint the
// related applications and units.
struct GoalState {
  std::map<std::string, GoalStateUnit> units;
  std::map<std::string, std::map<std::string, GoalStateUnit>> relations;
};

// The longest message juju-log is given in one call; longer ones are split.
inline constexpr std::size_t kMaxLogLineLength = 131071;

// How long one hook tool may run before it is killed and the call throws
// ModelError naming the tool: 5 minutes, or $OPS_HOOK_TOOL_TIMEOUT seconds
// (fractions allowed; 0 for no limit). Juju's tools answer in well under a
// second; the limit only ends a tool that hangs.
inline constexpr std::chrono::seconds kHookToolTimeout{300};
inline constexpr const char* kHookToolTimeoutEnv = "OPS_HOOK_TOOL_TIMEOUT";

// Runs a hook tool (argv[0]) with `input` on stdin and returns its stdout;
// maps failures as described at the top of this file.
std::string run(const std::vector<std::string>& argv, std::string_view input = {});

// --- relations -------------------------------------------------------------
// `relation-ids ENDPOINT --format=json`; "db:3" entries become 3.
[[nodiscard]] std::vector<int> relation_ids(const std::string& endpoint);
// `relation-list -r ID --format=json`: the remote units in the relation.
[[nodiscard]] std::vector<std::string> relation_list(int relation_id);
// `relation-list -r ID --app --format=json`: the remote application's name
// (empty if Juju does not know it or predates --app).
[[nodiscard]] std::optional<std::string> relation_list_app(int relation_id);
// `relation-get -r ID - MEMBER [--app] --format=json`: a whole databag.
[[nodiscard]] std::map<std::string, std::string> relation_get(int relation_id,
                                                              const std::string& member, bool app);
// `relation-set -r ID [--app] --file -` with `data` as JSON on stdin ("" deletes a key).
void relation_set(int relation_id, const std::map<std::string, std::string>& data, bool app);

// --- config, leadership, status -------------------------------------------
// `config-get --format=json`: every option that is set or has a default.
[[nodiscard]] nlohmann::json config_get();
// `is-leader --format=json`.
[[nodiscard]] bool is_leader();
// `status-get --include-data --application=True|False --format=json`.
[[nodiscard]] StatusResult status_get(bool app);
// `status-set --application=True|False STATUS -- MESSAGE`.
void status_set(const std::string& status, const std::string& message, bool app);
// `application-version-set -- VERSION`.
void application_version_set(const std::string& version);
// `goal-state --format=json`.
[[nodiscard]] GoalState goal_state();

// --- resources, storage, network ---------------------------------------------
// `resource-get NAME`: the path of the fetched resource file.
[[nodiscard]] std::filesystem::path resource_get(const std::string& name);
// `storage-list NAME --format=json`: ids like "data/0".
[[nodiscard]] std::vector<std::string> storage_list(const std::string& name);
// `storage-get -s ID ATTRIBUTE --format=json`, e.g. ATTRIBUTE "location".
[[nodiscard]] std::string storage_get(const std::string& storage_id, const std::string& attribute);
// `storage-add NAME=COUNT`.
void storage_add(const std::string& name, int count);
// `network-get BINDING [-r ID] --format=json`.
[[nodiscard]] Network network_get(const std::string& binding,
                                  std::optional<int> relation_id = std::nullopt);

// --- ports, logging, reboot ----------------------------------------------------
// Throws ModelError unless protocol is tcp/udp with a port in 1-65535, or
// icmp without a port.
void validate_port(const std::string& protocol, std::optional<int> port);
// `open-port PORT/PROTOCOL` (or `open-port icmp`).
void open_port(const std::string& protocol, std::optional<int> port);
// `close-port PORT/PROTOCOL` (or `close-port icmp`).
void close_port(const std::string& protocol, std::optional<int> port);
// `opened-ports --format=json`, parsed; "8000-8999/tcp" is kept as port 8000.
[[nodiscard]] std::vector<Port> opened_ports();
// `juju-log --log-level LEVEL -- MESSAGE`, split into several calls if the
// message is longer than kMaxLogLineLength.
void juju_log(const std::string& level, const std::string& message);
// `juju-reboot [--now]`.
void juju_reboot(bool now);

// --- actions ---------------------------------------------------------------
// `action-get --format=json`: the action's parameters.
[[nodiscard]] nlohmann::json action_get();
// `action-set k=v ...`: nested objects are flattened with dots ("a.b=1").
// Keys must match ^[a-z0-9](([a-z0-9-.]+)?[a-z0-9])?$; a bad key, a key that
// flattening makes twice, or a non-object `results` throws ModelError before
// anything runs. Strings are sent as they are, other values as JSON text.
void action_set(const nlohmann::json& results);
// The `k=v` arguments action_set() would send (validated and flattened).
[[nodiscard]] std::vector<std::string> action_set_args(const nlohmann::json& results);
// `action-log -- MESSAGE`.
void action_log(const std::string& message);
// `action-fail -- MESSAGE` (`action-fail` alone when message is empty).
void action_fail(const std::string& message);

// --- secrets ------------------------------------------------------------------
// Content is always passed as `KEY#file=PATH` with the values in a private
// temporary directory, so secret values never appear in argv.

// `secret-add [--label L] [--description D] [--expire T] [--rotate R]
// --owner application|unit KEY#file=PATH...`: the new secret's id.
std::string secret_add(const std::map<std::string, std::string>& content,
                       const SecretAttributes& attributes, const std::string& owner);
// `secret-get [ID] [--label L] [--refresh] [--peek] --format=json`.
[[nodiscard]] std::map<std::string, std::string> secret_get(const std::optional<std::string>& id,
                                                            const std::optional<std::string>& label,
                                                            bool refresh, bool peek);
// `secret-info-get ID --format=json` or `secret-info-get --label L --format=json`
// (the id wins when both are given).
[[nodiscard]] SecretInfo secret_info_get(const std::optional<std::string>& id,
                                         const std::optional<std::string>& label);
// `secret-set ID [--label L] [--description D] [--expire T] [--rotate R] KEY#file=PATH...`.
void secret_set(const std::string& id,
                const std::optional<std::map<std::string, std::string>>& content,
                const SecretAttributes& attributes);
// `secret-grant ID --relation RID [--unit UNIT]`.
void secret_grant(const std::string& id, int relation_id, const std::optional<std::string>& unit);
// `secret-revoke ID --relation RID [--unit UNIT]`.
void secret_revoke(const std::string& id, int relation_id, const std::optional<std::string>& unit);
// `secret-remove ID [--revision N]`.
void secret_remove(const std::string& id, std::optional<int> revision);
// `secret-ids --format=json`: the ids of secrets this application owns.
[[nodiscard]] std::vector<std::string> secret_ids();

// RFC 3339 UTC text ("2024-05-01T12:00:00Z") for a --expire argument.
[[nodiscard]] std::string format_rfc3339(std::chrono::system_clock::time_point time);

}  // namespace hookcmds
}  // namespace ops
