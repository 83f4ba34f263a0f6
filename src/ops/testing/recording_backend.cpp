// RecordingBackend: each ModelBackend call as the hook-tool argv
// ops::hookcmds would run for it.
#include "ops/testing/recording_backend.hpp"

#include "ops/hookcmds.hpp"

namespace ops::testing {
namespace {

std::string application_flag(bool is_app) {
  return std::string("--application=") + (is_app ? "True" : "False");
}

void add_secret_options(std::vector<std::string>& argv, const SecretOptions& options) {
  if (options.label) argv.insert(argv.end(), {"--label", *options.label});
  if (options.description) argv.insert(argv.end(), {"--description", *options.description});
  if (options.expire) {
    argv.insert(argv.end(), {"--expire", hookcmds::format_rfc3339(*options.expire)});
  }
  if (options.rotate) argv.insert(argv.end(), {"--rotate", to_string(*options.rotate)});
}

void add_secret_files(std::vector<std::string>& argv,
                      const std::map<std::string, std::string>& content) {
  for (const auto& [key, value] : content) {
    argv.push_back(key + "#file=" + kSecretFilePlaceholder);
  }
}

}  // namespace

std::string HookToolCall::to_string() const {
  std::string text;
  for (const auto& arg : argv) {
    if (!text.empty()) text += ' ';
    text += arg;
  }
  if (!stdin_text.empty()) text += " <<< " + stdin_text;
  return text;
}

std::vector<std::string> RecordingBackend::commands() const {
  std::vector<std::string> out;
  out.reserve(calls_.size());
  for (const auto& call : calls_) out.push_back(call.to_string());
  return out;
}

std::vector<std::string> RecordingBackend::commands(const std::string& tool) const {
  std::vector<std::string> out;
  for (const auto& call : calls_) {
    if (!call.argv.empty() && call.argv.front() == tool) out.push_back(call.to_string());
  }
  return out;
}

void RecordingBackend::record(std::vector<std::string> argv, std::string stdin_text,
                              std::map<std::string, std::string> files) {
  calls_.push_back({std::move(argv), std::move(stdin_text), std::move(files)});
}

std::vector<int> RecordingBackend::relation_ids(const std::string& endpoint) {
  record({"relation-ids", endpoint, "--format=json"});
  return inner_.relation_ids(endpoint);
}

std::vector<std::string> RecordingBackend::relation_list(int relation_id) {
  record({"relation-list", "-r", std::to_string(relation_id), "--format=json"});
  return inner_.relation_list(relation_id);
}

std::optional<std::string> RecordingBackend::relation_remote_app_name(int relation_id) {
  record({"relation-list", "-r", std::to_string(relation_id), "--app", "--format=json"});
  return inner_.relation_remote_app_name(relation_id);
}

std::map<std::string, std::string> RecordingBackend::relation_get(int relation_id,
                                                                  const std::string& member,
                                                                  bool is_app) {
  std::vector<std::string> argv = {"relation-get", "-r", std::to_string(relation_id), "-", member};
  if (is_app) argv.push_back("--app");
  argv.push_back("--format=json");
  record(std::move(argv));
  return inner_.relation_get(relation_id, member, is_app);
}

void RecordingBackend::relation_set(int relation_id, const std::map<std::string, std::string>& data,
                                    bool is_app) {
  std::vector<std::string> argv = {"relation-set", "-r", std::to_string(relation_id)};
  if (is_app) argv.push_back("--app");
  argv.insert(argv.end(), {"--file", "-"});
  record(std::move(argv), nlohmann::json(data).dump());
  inner_.relation_set(relation_id, data, is_app);
}

nlohmann::json RecordingBackend::config_get() {
  record({"config-get", "--format=json"});
  return inner_.config_get();
}

bool RecordingBackend::is_leader() {
  record({"is-leader", "--format=json"});
  return inner_.is_leader();
}

std::filesystem::path RecordingBackend::resource_get(const std::string& name) {
  record({"resource-get", name});
  return inner_.resource_get(name);
}

StatusBase RecordingBackend::status_get(bool is_app) {
  record({"status-get", "--include-data", application_flag(is_app), "--format=json"});
  return inner_.status_get(is_app);
}

void RecordingBackend::status_set(const StatusBase& status, bool is_app) {
  record({"status-set", application_flag(is_app), status.name(), "--", status.message()});
  inner_.status_set(status, is_app);
}

void RecordingBackend::application_version_set(const std::string& version) {
  record({"application-version-set", "--", version});
  inner_.application_version_set(version);
}

int RecordingBackend::planned_units() {
  record({"goal-state", "--format=json"});
  return inner_.planned_units();
}

std::vector<int> RecordingBackend::storage_list(const std::string& name) {
  record({"storage-list", name, "--format=json"});
  return inner_.storage_list(name);
}

std::string RecordingBackend::storage_get(const std::string& storage_id,
                                          const std::string& attribute) {
  if (attribute.empty()) throw ModelError("storage-get: an attribute name is required");
  record({"storage-get", "-s", storage_id, attribute, "--format=json"});
  return inner_.storage_get(storage_id, attribute);
}

void RecordingBackend::storage_add(const std::string& name, int count) {
  if (count < 1) {
    throw ModelError("storage-add: count must be at least 1, got " + std::to_string(count));
  }
  record({"storage-add", name + "=" + std::to_string(count)});
  inner_.storage_add(name, count);
}

Network RecordingBackend::network_get(const std::string& binding, std::optional<int> relation_id) {
  std::vector<std::string> argv = {"network-get", binding};
  if (relation_id) argv.insert(argv.end(), {"-r", std::to_string(*relation_id)});
  argv.push_back("--format=json");
  record(std::move(argv));
  return inner_.network_get(binding, relation_id);
}

void RecordingBackend::open_port(const std::string& protocol, std::optional<int> port) {
  hookcmds::validate_port(protocol, port);
  record({"open-port", to_string(Port{protocol, port})});
  inner_.open_port(protocol, port);
}

void RecordingBackend::close_port(const std::string& protocol, std::optional<int> port) {
  hookcmds::validate_port(protocol, port);
  record({"close-port", to_string(Port{protocol, port})});
  inner_.close_port(protocol, port);
}

std::vector<Port> RecordingBackend::opened_ports() {
  record({"opened-ports", "--format=json"});
  return inner_.opened_ports();
}

std::string RecordingBackend::secret_add(const std::map<std::string, std::string>& content,
                                         const SecretOptions& options, const std::string& owner) {
  std::vector<std::string> argv = {"secret-add"};
  add_secret_options(argv, options);
  argv.insert(argv.end(), {"--owner", owner});
  add_secret_files(argv, content);
  record(std::move(argv), {}, content);
  return inner_.secret_add(content, options, owner);
}

std::map<std::string, std::string> RecordingBackend::secret_get(
    const std::optional<std::string>& id, const std::optional<std::string>& label, bool refresh,
    bool peek) {
  std::vector<std::string> argv = {"secret-get"};
  if (id) argv.push_back(*id);
  if (label) argv.insert(argv.end(), {"--label", *label});
  if (refresh) argv.push_back("--refresh");
  if (peek) argv.push_back("--peek");
  argv.push_back("--format=json");
  record(std::move(argv));
  return inner_.secret_get(id, label, refresh, peek);
}

SecretInfo RecordingBackend::secret_info_get(const std::optional<std::string>& id,
                                             const std::optional<std::string>& label) {
  std::vector<std::string> argv = {"secret-info-get"};
  if (id) {
    argv.push_back(*id);
  } else if (label) {
    argv.insert(argv.end(), {"--label", *label});
  }
  argv.push_back("--format=json");
  record(std::move(argv));
  return inner_.secret_info_get(id, label);
}

void RecordingBackend::secret_set(const std::string& id,
                                  const std::optional<std::map<std::string, std::string>>& content,
                                  const SecretOptions& options) {
  std::vector<std::string> argv = {"secret-set", id};
  add_secret_options(argv, options);
  const auto files = content.value_or(std::map<std::string, std::string>{});
  add_secret_files(argv, files);
  record(std::move(argv), {}, files);
  inner_.secret_set(id, content, options);
}

void RecordingBackend::secret_grant(const std::string& id, int relation_id,
                                    const std::optional<std::string>& unit) {
  std::vector<std::string> argv = {"secret-grant", id, "--relation", std::to_string(relation_id)};
  if (unit) argv.insert(argv.end(), {"--unit", *unit});
  record(std::move(argv));
  inner_.secret_grant(id, relation_id, unit);
}

void RecordingBackend::secret_revoke(const std::string& id, int relation_id,
                                     const std::optional<std::string>& unit) {
  std::vector<std::string> argv = {"secret-revoke", id, "--relation", std::to_string(relation_id)};
  if (unit) argv.insert(argv.end(), {"--unit", *unit});
  record(std::move(argv));
  inner_.secret_revoke(id, relation_id, unit);
}

void RecordingBackend::secret_remove(const std::string& id, std::optional<int> revision) {
  std::vector<std::string> argv = {"secret-remove", id};
  if (revision) argv.insert(argv.end(), {"--revision", std::to_string(*revision)});
  record(std::move(argv));
  inner_.secret_remove(id, revision);
}

nlohmann::json RecordingBackend::action_get() {
  record({"action-get", "--format=json"});
  return inner_.action_get();
}

void RecordingBackend::action_set(const nlohmann::json& results) {
  // Validated and flattened before anything runs; nothing runs for no results.
  auto args = hookcmds::action_set_args(results);
  if (!args.empty()) {
    std::vector<std::string> argv = {"action-set"};
    argv.insert(argv.end(), args.begin(), args.end());
    record(std::move(argv));
  }
  inner_.action_set(results);
}

void RecordingBackend::action_log(const std::string& message) {
  record({"action-log", "--", message});
  inner_.action_log(message);
}

void RecordingBackend::action_fail(const std::string& message) {
  if (message.empty()) {
    record({"action-fail"});
  } else {
    record({"action-fail", "--", message});
  }
  inner_.action_fail(message);
}

void RecordingBackend::juju_log(const std::string& level, const std::string& message) {
  const std::size_t limit = hookcmds::kMaxLogLineLength;
  if (message.size() <= limit) {
    record({"juju-log", "--log-level", level, "--", message});
  } else {
    record({"juju-log", "--log-level", level, "--",
            "Log string greater than " + std::to_string(limit) +
                ". Splitting into multiple chunks: "});
    for (std::size_t pos = 0; pos < message.size(); pos += limit) {
      record({"juju-log", "--log-level", level, "--", message.substr(pos, limit)});
    }
  }
  inner_.juju_log(level, message);
}

void RecordingBackend::reboot(bool now) {
  if (now) {
    record({"juju-reboot", "--now"});
  } else {
    record({"juju-reboot"});
  }
  inner_.reboot(now);
}

}  // namespace ops::testing
