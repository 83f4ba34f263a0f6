// The hook tools: argv building, JSON parsing and the one place where their
// failures become typed errors.
#include "ops/hookcmds.hpp"

#include <stdlib.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <set>
#include <system_error>

#include "ops/detail/hookcmds_process.hpp"
#include "ops/detail/juju_names.hpp"
#include "ops/detail/strings.hpp"
#include "ops/errors.hpp"

namespace ops {

std::string to_string(const Port& port) {
  if (!port.port) return port.protocol;
  return std::to_string(*port.port) + "/" + port.protocol;
}

std::ostream& operator<<(std::ostream& out, const Port& port) { return out << to_string(port); }

namespace {
constexpr std::pair<SecretRotate, const char*> kRotateNames[] = {
    {SecretRotate::kNever, "never"},     {SecretRotate::kHourly, "hourly"},
    {SecretRotate::kDaily, "daily"},     {SecretRotate::kWeekly, "weekly"},
    {SecretRotate::kMonthly, "monthly"}, {SecretRotate::kQuarterly, "quarterly"},
    {SecretRotate::kYearly, "yearly"},
};
}  // namespace

std::string to_string(SecretRotate rotate) {
  for (const auto& [value, name] : kRotateNames) {
    if (value == rotate) return name;
  }
  return "never";
}

SecretRotate secret_rotate_from_string(std::string_view text) {
  for (const auto& [value, name] : kRotateNames) {
    if (text == name) return value;
  }
  throw ModelError("unknown secret rotation policy \"" + std::string(text) + "\"");
}

std::optional<std::string> Network::bind_address() const {
  if (interfaces.empty()) return std::nullopt;
  return interfaces.front().address;
}

std::optional<std::string> Network::ingress_address() const {
  if (ingress_addresses.empty()) return std::nullopt;
  return ingress_addresses.front();
}

Network Network::from_json(const nlohmann::json& doc) {
  try {
    Network net;
    if (!doc.is_object()) throw ModelError("network-get: expected a JSON object");
    for (const auto& bind : doc.value("bind-addresses", nlohmann::json::array())) {
      std::string name = bind.value("interface-name", "");
      for (const auto& addr : bind.value("addresses", nlohmann::json::array())) {
        // Juju >= 2.9 says "value"; older versions "address".
        std::string address = addr.contains("value") ? addr.at("value").get<std::string>()
                                                     : addr.value("address", "");
        net.interfaces.push_back({name, address, addr.value("cidr", "")});
      }
    }
    for (const auto& a : doc.value("ingress-addresses", nlohmann::json::array())) {
      net.ingress_addresses.push_back(a.get<std::string>());
    }
    for (const auto& s : doc.value("egress-subnets", nlohmann::json::array())) {
      net.egress_subnets.push_back(s.get<std::string>());
    }
    return net;
  } catch (const nlohmann::json::exception& e) {
    throw ModelError(std::string("network-get: malformed answer: ") + e.what());
  }
}

namespace hookcmds {
namespace {

nlohmann::json parse_json(const std::string& tool, const std::string& text) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw ModelError(tool + ": cannot parse its JSON output: " + e.what());
  }
}

// Runs a reader and parses its JSON output.
nlohmann::json run_json(const std::vector<std::string>& argv) {
  return parse_json(argv.front(), run(argv));
}

template <typename T>
T convert(const std::string& tool, const nlohmann::json& value) {
  try {
    return value.get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw ModelError(tool + ": unexpected output: " + e.what());
  }
}

// A private directory holding one file per secret value, removed on scope exit.
class SecretFiles {
 public:
  explicit SecretFiles(const std::map<std::string, std::string>& content) {
    if (content.empty()) return;
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/ops-secret-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      throw ModelError("cannot create a temporary directory for secret content: " +
                       std::string(std::strerror(errno)));
    }
    dir_ = tmpl;
    for (const auto& [key, value] : content) {
      std::filesystem::path file = dir_ / key;
      {
        std::ofstream out(file, std::ios::binary);
        out << value;
        if (!out) throw ModelError("cannot write secret content for key \"" + key + "\"");
      }
      std::filesystem::permissions(
          file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
      args_.push_back(key + "#file=" + file.string());
    }
  }
  ~SecretFiles() {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }
  SecretFiles(const SecretFiles&) = delete;
  SecretFiles& operator=(const SecretFiles&) = delete;
  const std::vector<std::string>& args() const { return args_; }

 private:
  std::filesystem::path dir_;
  std::vector<std::string> args_;
};

void add_secret_attributes(std::vector<std::string>& argv, const SecretAttributes& attrs) {
  if (attrs.label) argv.insert(argv.end(), {"--label", *attrs.label});
  if (attrs.description) argv.insert(argv.end(), {"--description", *attrs.description});
  if (attrs.expire) argv.insert(argv.end(), {"--expire", format_rfc3339(*attrs.expire)});
  if (attrs.rotate) argv.insert(argv.end(), {"--rotate", to_string(*attrs.rotate)});
}

// Juju's action-set (worker/uniter/runner/jujuc/action-set.go): every
// "."-separated part of a key path follows the action key rule, and none is
// one of the keys Juju keeps for itself.
void check_action_key_path(const std::string& path) {
  const auto problem = ops::detail::action_key_problem(path);
  if (!problem) return;
  if (problem->reserved) {
    throw ModelError("action-set: " + problem->message(), "ERROR " + problem->message() + "\n");
  }
  throw ModelError("action-set: key \"" + problem->part + "\" of \"" + path +
                       "\" must start and end with lowercase alphanumeric, and contain only "
                       "lowercase alphanumeric and hyphens",
                   "ERROR " + problem->message() + "\n");
}

void flatten_results(const nlohmann::json& input, const std::string& parent,
                     std::map<std::string, std::string>& out, std::vector<std::string>& order) {
  for (const auto& [key, value] : input.items()) {
    std::string full = parent.empty() ? key : parent + "." + key;
    check_action_key_path(full);
    if (value.is_object()) {
      flatten_results(value, full, out, order);
    } else if (out.count(full) != 0) {
      throw ModelError("action-set: duplicate key detected in the results: \"" + full + "\"");
    } else {
      out[full] = value.is_string() ? value.get<std::string>() : value.dump();
      order.push_back(full);
    }
  }
}

}  // namespace

std::string run(const std::vector<std::string>& argv, std::string_view input) {
  const std::string& tool = argv.at(0);
  detail::ProcessResult result;
  try {
    result = detail::run_hook_tool(argv, input);
  } catch (const std::system_error& e) {
    if (e.code() == std::errc::no_such_file_or_directory) {
      throw ModelError("hook tool " + tool + " not found on PATH (is this running under Juju?)");
    }
    throw ModelError("cannot run hook tool " + tool + ": " + e.what());
  }
  if (result.exit_code == 0) return std::move(result.out);

  std::string err = ops::detail::trim(result.err);
  std::string message = tool + " failed (exit status " + std::to_string(result.exit_code) + ")";
  if (!err.empty()) message += ": " + err;
  if (err.find("relation not found") != std::string::npos) {
    throw RelationNotFoundError(message, result.err);
  }
  if (tool.rfind("secret-", 0) == 0 && err.find("not found") != std::string::npos) {
    throw SecretNotFoundError(message, result.err);
  }
  if (tool == "resource-get") throw ResourceNotFoundError(message, result.err);
  throw ModelError(message, result.err);
}

std::vector<int> relation_ids(const std::string& endpoint) {
  auto ids = convert<std::vector<std::string>>(
      "relation-ids", run_json({"relation-ids", endpoint, "--format=json"}));
  std::vector<int> out;
  out.reserve(ids.size());
  for (const auto& id : ids) {
    try {
      out.push_back(std::stoi(id.substr(id.rfind(':') + 1)));
    } catch (const std::exception&) {
      throw ModelError("relation-ids: unexpected relation id \"" + id + "\"");
    }
  }
  return out;
}

std::vector<std::string> relation_list(int relation_id) {
  auto doc = run_json({"relation-list", "-r", std::to_string(relation_id), "--format=json"});
  if (doc.is_null()) return {};
  return convert<std::vector<std::string>>("relation-list", doc);
}

std::optional<std::string> relation_list_app(int relation_id) {
  try {
    auto doc =
        run_json({"relation-list", "-r", std::to_string(relation_id), "--app", "--format=json"});
    if (!doc.is_string() || doc.get<std::string>().empty()) return std::nullopt;
    return doc.get<std::string>();
  } catch (const RelationNotFoundError&) {
    return std::nullopt;
  } catch (const ModelError& e) {
    // --app arrived in Juju 2.8.1; older agents reject the flag.
    if (e.stderr().find("option provided but not defined: --app") != std::string::npos) {
      return std::nullopt;
    }
    throw;
  }
}

std::map<std::string, std::string> relation_get(int relation_id, const std::string& member,
                                                bool app) {
  std::vector<std::string> argv = {"relation-get", "-r", std::to_string(relation_id), "-", member};
  if (app) argv.push_back("--app");
  argv.push_back("--format=json");
  auto doc = run_json(argv);
  if (doc.is_null()) return {};
  return convert<std::map<std::string, std::string>>("relation-get", doc);
}

void relation_set(int relation_id, const std::map<std::string, std::string>& data, bool app) {
  std::vector<std::string> argv = {"relation-set", "-r", std::to_string(relation_id)};
  if (app) argv.push_back("--app");
  argv.insert(argv.end(), {"--file", "-"});
  run(argv, nlohmann::json(data).dump());
}

nlohmann::json config_get() {
  auto doc = run_json({"config-get", "--format=json"});
  if (doc.is_null()) return nlohmann::json::object();
  if (!doc.is_object()) throw ModelError("config-get: expected a JSON object");
  return doc;
}

bool is_leader() { return convert<bool>("is-leader", run_json({"is-leader", "--format=json"})); }

StatusResult status_get(bool app) {
  auto doc = run_json({"status-get", "--include-data",
                       std::string("--application=") + (app ? "True" : "False"), "--format=json"});
  try {
    const auto& s = app ? doc.at("application-status") : doc;
    return {s.at("status").get<std::string>(), s.value("message", "")};
  } catch (const nlohmann::json::exception& e) {
    throw ModelError(std::string("status-get: unexpected output: ") + e.what());
  }
}

void status_set(const std::string& status, const std::string& message, bool app) {
  run({"status-set", std::string("--application=") + (app ? "True" : "False"), status, "--",
       message});
}

void application_version_set(const std::string& version) {
  run({"application-version-set", "--", version});
}

GoalState goal_state() {
  auto doc = run_json({"goal-state", "--format=json"});
  GoalState state;
  try {
    auto units_of = [](const nlohmann::json& units) {
      std::map<std::string, GoalStateUnit> out;
      if (!units.is_object()) return out;
      for (const auto& [name, info] : units.items()) {
        out[name] = {info.value("status", ""), info.value("since", "")};
      }
      return out;
    };
    if (doc.contains("units")) state.units = units_of(doc.at("units"));
    if (doc.contains("relations") && doc.at("relations").is_object()) {
      for (const auto& [endpoint, related] : doc.at("relations").items()) {
        state.relations[endpoint] = units_of(related);
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw ModelError(std::string("goal-state: unexpected output: ") + e.what());
  }
  return state;
}

std::filesystem::path resource_get(const std::string& name) {
  return ops::detail::trim(run({"resource-get", name}));
}

std::vector<std::string> storage_list(const std::string& name) {
  auto doc = run_json({"storage-list", name, "--format=json"});
  if (doc.is_null()) return {};
  return convert<std::vector<std::string>>("storage-list", doc);
}

std::string storage_get(const std::string& storage_id, const std::string& attribute) {
  if (attribute.empty()) throw ModelError("storage-get: an attribute name is required");
  return convert<std::string>(
      "storage-get", run_json({"storage-get", "-s", storage_id, attribute, "--format=json"}));
}

void storage_add(const std::string& name, int count) {
  if (count < 1)
    throw ModelError("storage-add: count must be at least 1, got " + std::to_string(count));
  run({"storage-add", name + "=" + std::to_string(count)});
}

Network network_get(const std::string& binding, std::optional<int> relation_id) {
  std::vector<std::string> argv = {"network-get", binding};
  if (relation_id) argv.insert(argv.end(), {"-r", std::to_string(*relation_id)});
  argv.push_back("--format=json");
  return Network::from_json(run_json(argv));
}

void validate_port(const std::string& protocol, std::optional<int> port) {
  if (protocol != "tcp" && protocol != "udp" && protocol != "icmp") {
    throw ModelError("invalid protocol \"" + protocol + "\": must be tcp, udp or icmp");
  }
  if (protocol == "icmp") {
    if (port) throw ModelError("icmp takes no port number, got " + std::to_string(*port));
    return;
  }
  if (!port) throw ModelError("a port number is required for " + protocol);
  if (*port < 1 || *port > 65535) {
    throw ModelError("invalid port " + std::to_string(*port) + ": must be 1 to 65535");
  }
}

namespace {
std::string port_arg(const std::string& protocol, std::optional<int> port) {
  validate_port(protocol, port);
  return to_string(Port{protocol, port});
}
}  // namespace

void open_port(const std::string& protocol, std::optional<int> port) {
  run({"open-port", port_arg(protocol, port)});
}

void close_port(const std::string& protocol, std::optional<int> port) {
  run({"close-port", port_arg(protocol, port)});
}

std::vector<Port> opened_ports() {
  auto doc = run_json({"opened-ports", "--format=json"});
  std::vector<Port> out;
  if (doc.is_null()) return out;
  for (const auto& entry : convert<std::vector<std::string>>("opened-ports", doc)) {
    std::string text = ops::detail::trim(entry);
    if (text.empty()) continue;
    if (text == "icmp") {
      out.push_back({"icmp", std::nullopt});
      continue;
    }
    auto slash = text.find('/');
    std::string range = text.substr(0, slash);
    std::string protocol = slash == std::string::npos ? "tcp" : text.substr(slash + 1);
    try {
      out.push_back({protocol, std::stoi(range.substr(0, range.find('-')))});
    } catch (const std::exception&) {
      throw ModelError("opened-ports: unexpected entry \"" + text + "\"");
    }
  }
  return out;
}

void juju_log(const std::string& level, const std::string& message) {
  if (message.size() <= kMaxLogLineLength) {
    run({"juju-log", "--log-level", level, "--", message});
    return;
  }
  run({"juju-log", "--log-level", level, "--",
       "Log string greater than " + std::to_string(kMaxLogLineLength) +
           ". Splitting into multiple chunks: "});
  for (std::size_t pos = 0; pos < message.size(); pos += kMaxLogLineLength) {
    run({"juju-log", "--log-level", level, "--", message.substr(pos, kMaxLogLineLength)});
  }
}

void juju_reboot(bool now) {
  if (now) {
    run({"juju-reboot", "--now"});
  } else {
    run({"juju-reboot"});
  }
}

nlohmann::json action_get() {
  auto doc = run_json({"action-get", "--format=json"});
  if (doc.is_null()) return nlohmann::json::object();
  return doc;
}

std::vector<std::string> action_set_args(const nlohmann::json& results) {
  if (!results.is_object()) throw ModelError("action-set: results must be a JSON object");
  std::map<std::string, std::string> flat;
  std::vector<std::string> order;
  flatten_results(results, "", flat, order);
  std::vector<std::string> args;
  args.reserve(order.size());
  for (const auto& key : order) args.push_back(key + "=" + flat[key]);
  return args;
}

void action_set(const nlohmann::json& results) {
  std::vector<std::string> argv = {"action-set"};
  auto args = action_set_args(results);
  if (args.empty()) return;
  argv.insert(argv.end(), args.begin(), args.end());
  run(argv);
}

void action_log(const std::string& message) { run({"action-log", "--", message}); }

void action_fail(const std::string& message) {
  if (message.empty()) {
    run({"action-fail"});
  } else {
    run({"action-fail", "--", message});
  }
}

std::string secret_add(const std::map<std::string, std::string>& content,
                       const SecretAttributes& attributes, const std::string& owner) {
  std::vector<std::string> argv = {"secret-add"};
  add_secret_attributes(argv, attributes);
  argv.insert(argv.end(), {"--owner", owner});
  SecretFiles files(content);
  argv.insert(argv.end(), files.args().begin(), files.args().end());
  return ops::detail::trim(run(argv));
}

std::map<std::string, std::string> secret_get(const std::optional<std::string>& id,
                                              const std::optional<std::string>& label, bool refresh,
                                              bool peek) {
  std::vector<std::string> argv = {"secret-get"};
  if (id) argv.push_back(*id);
  if (label) argv.insert(argv.end(), {"--label", *label});
  if (refresh) argv.push_back("--refresh");
  if (peek) argv.push_back("--peek");
  argv.push_back("--format=json");
  return convert<std::map<std::string, std::string>>("secret-get", run_json(argv));
}

SecretInfo secret_info_get(const std::optional<std::string>& id,
                           const std::optional<std::string>& label) {
  std::vector<std::string> argv = {"secret-info-get"};
  if (id) {
    argv.push_back(*id);
  } else if (label) {
    argv.insert(argv.end(), {"--label", *label});
  }
  argv.push_back("--format=json");
  auto doc = run_json(argv);
  if (!doc.is_object() || doc.empty()) throw ModelError("secret-info-get: expected one secret");
  try {
    auto first = doc.begin();
    const std::string& secret_id = first.key();
    const nlohmann::json& info = first.value();
    SecretInfo out;
    out.id = secret_id.rfind("secret:", 0) == 0 ? secret_id : "secret:" + secret_id;
    auto opt = [&info](const char* key) -> std::optional<std::string> {
      if (!info.contains(key) || info.at(key).is_null()) return std::nullopt;
      return info.at(key).get<std::string>();
    };
    out.label = opt("label");
    out.revision = info.value("revision", 0);
    out.expires = opt("expiry");
    if (auto r = opt("rotation")) out.rotation = secret_rotate_from_string(*r);
    out.rotates = opt("rotates");
    out.description = opt("description");
    return out;
  } catch (const nlohmann::json::exception& e) {
    throw ModelError(std::string("secret-info-get: unexpected output: ") + e.what());
  }
}

void secret_set(const std::string& id,
                const std::optional<std::map<std::string, std::string>>& content,
                const SecretAttributes& attributes) {
  std::vector<std::string> argv = {"secret-set", id};
  add_secret_attributes(argv, attributes);
  SecretFiles files(content.value_or(std::map<std::string, std::string>{}));
  argv.insert(argv.end(), files.args().begin(), files.args().end());
  run(argv);
}

void secret_grant(const std::string& id, int relation_id, const std::optional<std::string>& unit) {
  std::vector<std::string> argv = {"secret-grant", id, "--relation", std::to_string(relation_id)};
  if (unit) argv.insert(argv.end(), {"--unit", *unit});
  run(argv);
}

void secret_revoke(const std::string& id, int relation_id, const std::optional<std::string>& unit) {
  std::vector<std::string> argv = {"secret-revoke", id, "--relation", std::to_string(relation_id)};
  if (unit) argv.insert(argv.end(), {"--unit", *unit});
  run(argv);
}

void secret_remove(const std::string& id, std::optional<int> revision) {
  std::vector<std::string> argv = {"secret-remove", id};
  if (revision) argv.insert(argv.end(), {"--revision", std::to_string(*revision)});
  run(argv);
}

std::vector<std::string> secret_ids() {
  auto doc = run_json({"secret-ids", "--format=json"});
  if (doc.is_null()) return {};
  return convert<std::vector<std::string>>("secret-ids", doc);
}

std::string format_rfc3339(std::chrono::system_clock::time_point time) {
  std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

}  // namespace hookcmds
}  // namespace ops
