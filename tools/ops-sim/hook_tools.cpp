#include "hook_tools.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <set>

#include "model_changes.hpp"
#include "model_db.hpp"
#include "ops/detail/juju_names.hpp"
#include "output.hpp"
#include "util.hpp"

namespace ops_sim {

namespace {

using nlohmann::json;

// A failed tool call: printed as "ERROR <message>", exit code `code`.
struct ToolError : std::runtime_error {
  int code;
  explicit ToolError(const std::string& message, int exit_code = 1)
      : std::runtime_error(message), code(exit_code) {}
};

// Parsed command line: options by long name, and positional arguments.
struct Args {
  std::map<std::string, std::string> opts;
  std::vector<std::string> pos;
  bool has(const std::string& k) const { return opts.count(k) != 0; }
  std::string get(const std::string& k, const std::string& def = "") const {
    auto it = opts.find(k);
    return it == opts.end() ? def : it->second;
  }
  bool flag(const std::string& k) const {
    auto it = opts.find(k);
    if (it == opts.end()) return false;
    std::string v = it->second;
    std::transform(v.begin(), v.end(), v.begin(), ::tolower);
    if (v == "true" || v == "1" || v == "t") return true;
    if (v == "false" || v == "0" || v == "f") return false;
    throw ToolError("invalid boolean value \"" + it->second + "\" for --" + k, 2);
  }
};

// Flag spec: name -> takes a value? Short aliases map to long names.
struct FlagSpec {
  std::map<std::string, bool> flags;                // long name -> has value
  std::map<std::string, std::string> aliases = {};  // short -> long
};

Args parse_args(const std::vector<std::string>& argv, const FlagSpec& spec) {
  Args out;
  bool only_positional = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (only_positional || a.size() < 2 || a[0] != '-') {
      out.pos.push_back(a);
      continue;
    }
    if (a == "--") {
      only_positional = true;
      continue;
    }
    std::string name = a.substr(a[1] == '-' ? 2 : 1);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (auto al = spec.aliases.find(name); al != spec.aliases.end()) name = al->second;
    auto it = spec.flags.find(name);
    if (it == spec.flags.end()) throw ToolError("option provided but not defined: " + a, 2);
    if (it->second) {
      if (!value) {
        if (i + 1 >= argv.size()) throw ToolError("flag needs an argument: " + a, 2);
        value = argv[++i];
      }
      out.opts[name] = *value;
    } else {
      out.opts[name] = value.value_or("true");
    }
  }
  return out;
}

// Shows a value the way Juju's default ("smart") formatter does.
std::string smart(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
  if (v.is_null()) return "";
  if (v.is_number()) return v.dump();
  std::string out;
  if (v.is_array()) {
    for (const auto& item : v) out += smart(item) + "\n";
    if (!out.empty()) out.pop_back();
    return out;
  }
  for (const auto& [k, item] : v.items()) {
    out += k + ": " + (item.is_structured() ? item.dump() : smart(item)) + "\n";
  }
  if (!out.empty()) out.pop_back();
  return out;
}

// The hook run the tool serves, and what it produces.
struct Ctx {
  Ctx(ModelDb& model_db, std::string unit_name, std::string app_name, std::string run)
      : db(model_db),
        unit(std::move(unit_name)),
        app(std::move(app_name)),
        run_id(std::move(run)) {}

  ModelDb& db;
  std::string unit;
  std::string app;
  std::string run_id;
  int relation_id = -1;
  std::string remote_unit;
  std::string remote_app;
  std::string action_uuid;
  std::string storage_id;
  std::string out;
  std::vector<json> ops;                      // pending writes
  std::vector<std::function<void()>> direct;  // immediate writes (logs, action output)

  bool is_leader() { return db.require_app(app).leader == unit; }
  void print(const json& v, const Args& args) {
    if (args.get("format") == "json") {
      out += v.dump() + "\n";
    } else {
      auto s = smart(v);
      if (!s.empty()) out += s + "\n";
    }
  }
};

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Resolves "-r" (forms "7" and "endpoint:7") or the hook's relation.
RelationRow resolve_relation(Ctx& c, const Args& args, const std::string& opt = "relation") {
  std::string arg = args.get(opt);
  if (arg.empty()) {
    if (c.relation_id < 0) throw ToolError("no relation id specified");
    arg = std::to_string(c.relation_id);
  }
  std::string endpoint;
  std::string id_part = arg;
  if (auto pos = arg.rfind(':'); pos != std::string::npos) {
    endpoint = arg.substr(0, pos);
    id_part = arg.substr(pos + 1);
  }
  auto id = parse_int(id_part);
  const std::string not_found = "invalid value \"" + arg + "\" for option -r: relation not found";
  if (!id) throw ToolError(not_found);
  auto rel = c.db.relation(static_cast<int>(*id));
  if (!rel || !rel->involves(c.app)) throw ToolError(not_found);
  if (!endpoint.empty() && rel->endpoint_of(c.app) != endpoint) throw ToolError(not_found);
  return *rel;
}

std::string relation_ref(const RelationRow& rel, const std::string& app) {
  return rel.endpoint_of(app) + ":" + std::to_string(rel.id);
}

// Reads a YAML/JSON mapping of strings (relation-set --file, state-set --file).
std::map<std::string, std::string> read_string_map(const std::string& text,
                                                   const std::string& what) {
  std::map<std::string, std::string> out;
  if (trim(text).empty()) return out;
  YAML::Node node;
  try {
    node = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ToolError("cannot parse " + what + ": " + e.what());
  }
  if (node.IsNull()) return out;
  if (!node.IsMap()) throw ToolError("cannot parse " + what + ": expected a mapping");
  for (const auto& kv : node) {
    if (!kv.second.IsScalar() && !kv.second.IsNull()) {
      throw ToolError("cannot parse " + what + ": value of \"" + kv.first.as<std::string>() +
                      "\" is not a string");
    }
    out[kv.first.as<std::string>()] = kv.second.IsNull() ? "" : kv.second.as<std::string>();
  }
  return out;
}

std::string read_stdin() {
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

std::map<std::string, std::string> settings_from(const Args& args, size_t first_pos,
                                                 const std::string& what) {
  std::map<std::string, std::string> data;
  if (args.has("file")) {
    const auto path = args.get("file");
    data = read_string_map(path == "-" ? read_stdin() : read_file(path), what);
  }
  for (size_t i = first_pos; i < args.pos.size(); ++i) {
    auto pos = args.pos[i].find('=');
    if (pos == std::string::npos || pos == 0) {
      throw ToolError("expected \"key=value\", got \"" + args.pos[i] + "\"", 2);
    }
    data[args.pos[i].substr(0, pos)] = args.pos[i].substr(pos + 1);
  }
  return data;
}

// ---- relations ----

void relation_ids(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{{"format", true}}});
  if (args.pos.size() != 1) throw ToolError("expected exactly one endpoint name", 2);
  json out = json::array();
  for (const auto& rel : c.db.relations()) {
    if (rel.broken || !rel.involves(c.app) || rel.endpoint_of(c.app) != args.pos[0]) continue;
    out.push_back(relation_ref(rel, c.app));
  }
  c.print(out, args);
}

void relation_list(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(
      argv, {{{"format", true}, {"relation", true}, {"app", false}}, {{"r", "relation"}}});
  auto rel = resolve_relation(c, args);
  if (args.flag("app")) {
    c.print(rel.remote_app_of(c.app), args);
    return;
  }
  c.print(c.db.members(rel.id, c.unit), args);
}

void relation_get(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(
      argv, {{{"format", true}, {"relation", true}, {"app", false}}, {{"r", "relation"}}});
  auto rel = resolve_relation(c, args);
  std::string key = args.pos.size() > 0 ? args.pos[0] : "-";
  std::string target = args.pos.size() > 1 ? args.pos[1] : "";
  if (args.pos.size() > 2) throw ToolError("unrecognized args: " + args.pos[2], 2);
  const bool app = args.flag("app");
  if (target.empty()) target = app && c.remote_unit.empty() ? c.remote_app : c.remote_unit;
  if (target.empty()) throw ToolError("no unit or application specified");
  const std::string remote_app = rel.remote_app_of(c.app);
  std::string owner;
  if (app) {
    owner = target.find('/') != std::string::npos ? unit_app(target) : target;
    if (owner != c.app && owner != remote_app) {
      throw ToolError("cannot read settings for application \"" + owner + "\" in relation \"" +
                      relation_ref(rel, c.app) + "\": application not related");
    }
    if (owner == c.app && !rel.peer && !c.is_leader()) throw ToolError("permission denied");
  } else {
    if (target.find('/') == std::string::npos)
      throw ToolError("invalid unit name \"" + target + "\"");
    owner = target;
    const auto owner_app = unit_app(owner);
    if (owner_app != c.app && owner_app != remote_app) {
      throw ToolError("cannot read settings for unit \"" + owner + "\" in relation \"" +
                      relation_ref(rel, c.app) + "\": unit \"" + owner + "\": settings not found");
    }
  }
  const auto bag = c.db.databag(rel.id, owner);
  if (key == "-") {
    c.print(json(bag), args);
  } else {
    auto it = bag.find(key);
    c.print(it == bag.end() ? json(nullptr) : json(it->second), args);
  }
}

void relation_set(Ctx& c, const std::vector<std::string>& argv) {
  auto args =
      parse_args(argv, {{{"format", true}, {"relation", true}, {"app", false}, {"file", true}},
                        {{"r", "relation"}}});
  auto rel = resolve_relation(c, args);
  const bool app = args.flag("app");
  if (app && !c.is_leader()) {
    throw ToolError("cannot write application settings in relation \"" + relation_ref(rel, c.app) +
                    "\": this unit is not the leader");
  }
  auto data = settings_from(args, 0, "relation settings");
  c.ops.push_back({{"op", "relation-set"},
                   {"relation_id", rel.id},
                   {"owner", app ? c.app : c.unit},
                   {"data", data}});
}

void relation_model_get(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{{"format", true}, {"relation", true}}, {{"r", "relation"}}});
  resolve_relation(c, args);
  c.print(json{{"uuid", c.db.model_uuid()}}, args);
}

// ---- config, leadership, status, logs ----

// config-get prints as Juju's does (jujuc/config-get.go with juju/cmd's
// formatters): by default "smart", which shows a bool as True/False, a
// string as it is, nothing for null or "", and the whole map as YAML (where
// bools are true/false); --format=yaml always YAML, --format=json JSON.
void config_get(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{{"format", true}, {"all", false}}, {{"a", "all"}}});
  if (!args.pos.empty() && args.flag("all")) {
    throw ToolError("cannot use argument --all together with key \"" + args.pos[0] + "\"", 2);
  }
  if (args.pos.size() > 1) {
    std::string extra;
    for (size_t i = 1; i < args.pos.size(); ++i) {
      extra += (i > 1 ? " " : "") + json(args.pos[i]).dump();
    }
    throw ToolError("unrecognized args: [" + extra + "]", 2);
  }
  auto app = c.db.require_app(c.app);
  auto config = app.charm.effective_config(app.config);
  if (args.flag("all")) {
    for (const auto& opt : app.charm.config) {
      if (!config.contains(opt.name)) config[opt.name] = nullptr;
    }
  }
  const json value = args.pos.empty()               ? config
                     : config.contains(args.pos[0]) ? config[args.pos[0]]
                                                    : json(nullptr);
  const auto format = args.has("format") ? args.get("format") : std::string("smart");
  if (format == "json" || value.is_null() || (format == "smart" && !value.is_object())) {
    c.print(value, args);
  } else if (format == "yaml" || format == "smart") {
    c.out += to_yaml(nlohmann::ordered_json(value));
  } else {
    throw ToolError(
        "invalid value \"" + format + "\" for option --format: unknown format \"" + format + "\"",
        2);
  }
}

void is_leader(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{{"format", true}}});
  c.print(c.is_leader(), args);
}

json status_json(const std::string& status, const std::string& message) {
  return {{"message", message}, {"status", status}, {"status-data", json::object()}};
}

void status_get(Ctx& c, const std::vector<std::string>& argv) {
  auto args =
      parse_args(argv, {{{"format", true}, {"include-data", false}, {"application", true}}});
  auto unit = c.db.require_unit(c.unit);
  if (!args.has("application") || !args.flag("application")) {
    c.print(status_json(unit.workload_status, unit.workload_message), args);
    return;
  }
  if (!c.is_leader()) throw ToolError("finding application status: this unit is not the leader");
  auto app = c.db.require_app(c.app);
  json units = json::object();
  for (const auto& u : c.db.units(c.app)) {
    units[u.name] = status_json(u.workload_status, u.workload_message);
  }
  auto app_status = status_json(app.status, app.message);
  app_status["units"] = units;
  c.print(json{{"application-status", app_status}}, args);
}

void status_set(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{{"application", true}}});
  if (args.pos.empty()) throw ToolError("invalid args, require <status> [message] [data]", 2);
  const std::string& status = args.pos[0];
  static const std::set<std::string> kValid = {"maintenance", "blocked", "waiting", "active"};
  if (!kValid.count(status)) {
    throw ToolError("invalid status \"" + status +
                    "\", expected one of [maintenance blocked waiting active]");
  }
  std::string message = args.pos.size() > 1 ? args.pos[1] : "";
  if (args.pos.size() > 2) throw ToolError("unrecognized args: " + args.pos[2], 2);
  const bool app = args.has("application") && args.flag("application");
  if (app && !c.is_leader()) {
    throw ToolError("setting application status: this unit is not the leader");
  }
  c.ops.push_back({{"op", "status-set"},
                   {"target", app ? "app" : "unit"},
                   {"name", app ? c.app : c.unit},
                   {"status", status},
                   {"message", message}});
}

void juju_log(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(
      argv, {{{"log-level", true}, {"debug", false}, {"format", true}}, {{"l", "log-level"}}});
  std::string level = args.get("log-level", args.flag("debug") ? "DEBUG" : "INFO");
  std::transform(level.begin(), level.end(), level.begin(), ::toupper);
  static const std::set<std::string> kLevels = {"TRACE",   "DEBUG", "INFO",
                                                "WARNING", "ERROR", "CRITICAL"};
  if (!kLevels.count(level)) throw ToolError("invalid log level \"" + level + "\"", 2);
  if (args.pos.empty()) throw ToolError("no message specified", 2);
  const std::string message = join(args.pos, " ");
  c.direct.push_back([&db = c.db, unit = c.unit, level, message] {
    db.add_log(unit, level, "juju-log", message);
  });
}

void application_version_set(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{}});
  if (args.pos.size() != 1) throw ToolError("expected exactly one version", 2);
  c.ops.push_back({{"op", "app-version"}, {"app", c.app}, {"version", args.pos[0]}});
}

void unit_get(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{{"format", true}}});
  if (args.pos.size() != 1) throw ToolError("expected exactly one setting name", 2);
  if (args.pos[0] != "private-address" && args.pos[0] != "public-address") {
    throw ToolError("unknown setting \"" + args.pos[0] + "\"");
  }
  c.print(c.db.require_unit(c.unit).address, args);
}

// ---- network and goal state ----

void network_get(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{{"format", true},
                                 {"relation", true},
                                 {"primary-address", false},
                                 {"bind-address", false},
                                 {"ingress-address", false},
                                 {"egress-subnets", false}},
                                {{"r", "relation"}}});
  if (args.pos.size() != 1) throw ToolError("no endpoint specified", 2);
  auto app = c.db.require_app(c.app);
  if (!app.charm.endpoint(args.pos[0]) && args.pos[0] != "juju-info") {
    throw ToolError("no network config found for binding \"" + args.pos[0] + "\"");
  }
  if (args.has("relation")) resolve_relation(c, args);
  const auto address = c.db.require_unit(c.unit).address;
  const auto cidr = c.db.meta("subnet").value_or(address + "/32");
  if (args.flag("primary-address") || args.flag("bind-address")) {
    c.print(address, args);
    return;
  }
  if (args.flag("ingress-address")) {
    c.print(address, args);
    return;
  }
  if (args.flag("egress-subnets")) {
    c.print(address + "/32", args);
    return;
  }
  json addr = {{"hostname", ""}, {"value", address}, {"cidr", cidr}, {"address", address}};
  json bind = {{"mac-address", ""},
               {"interface-name", "eth0"},
               {"addresses", json::array({addr})},
               {"macaddress", ""},
               {"interfacename", "eth0"}};
  c.print(json{{"bind-addresses", json::array({bind})},
               {"egress-subnets", json::array({address + "/32"})},
               {"ingress-addresses", json::array({address})}},
          args);
}

void goal_state(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{{"format", true}}});
  const auto since = now_rfc3339();
  auto goal = [&](const std::string& status) { return json{{"status", status}, {"since", since}}; };
  json units = json::object();
  for (const auto& u : c.db.units(c.app)) {
    units[u.name] = goal(u.dying ? "dying" : u.workload_status);
  }
  json relations = json::object();
  for (const auto& rel : c.db.relations()) {
    if (rel.broken || !rel.involves(c.app)) continue;
    auto& entry = relations[rel.endpoint_of(c.app)];
    if (entry.is_null()) entry = json::object();
    const auto remote = rel.remote_app_of(c.app);
    if (!rel.peer) entry[remote] = goal("joined");
    for (const auto& u : c.db.units(remote)) {
      if (u.name == c.unit && rel.peer) continue;
      entry[u.name] = goal(u.dying ? "dying" : u.workload_status);
    }
  }
  c.print(json{{"units", units}, {"relations", relations}}, args);
}

// ---- actions ----

ActionRow require_action(Ctx& c) {
  if (c.action_uuid.empty()) throw ToolError("not running an action");
  auto a = c.db.action(c.action_uuid);
  if (!a) throw ToolError("action " + c.action_uuid + " not found");
  return *a;
}

void action_get(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{{"format", true}}});
  auto a = require_action(c);
  if (args.pos.empty()) {
    c.print(a.params, args);
    return;
  }
  json v = a.params;
  for (const auto& part : split(args.pos[0], '.')) {
    if (!v.is_object() || !v.contains(part)) {
      v = nullptr;
      break;
    }
    v = v[part];
  }
  c.print(v, args);
}

void action_set(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{}});
  auto a = require_action(c);
  json results = json::object();
  for (const auto& p : args.pos) {
    auto eq = p.find('=');
    if (eq == std::string::npos)
      throw ToolError("argument \"" + p + "\" must be of the form key...=value", 2);
    const std::string key = p.substr(0, eq);
    if (const auto problem = ops::detail::action_key_problem(key)) {
      throw ToolError(problem->message(), 2);
    }
    json* node = &results;
    auto parts = split(key, '.');
    for (size_t i = 0; i + 1 < parts.size(); ++i) node = &(*node)[parts[i]];
    (*node)[parts.back()] = p.substr(eq + 1);
  }
  c.direct.push_back([&db = c.db, uuid = c.action_uuid, results] {
    auto row = *db.action(uuid);
    row.results.merge_patch(results);
    db.update_action(row);
  });
}

void action_fail(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{}});
  require_action(c);
  std::string message =
      args.pos.empty() ? "action failed without reason given" : join(args.pos, " ");
  c.direct.push_back([&db = c.db, uuid = c.action_uuid, message] {
    auto row = *db.action(uuid);
    row.status = "failed";
    row.message = message;
    db.update_action(row);
  });
}

void action_log(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{}});
  require_action(c);
  const std::string message = join(args.pos, " ");
  c.direct.push_back([&db = c.db, uuid = c.action_uuid, message] {
    auto row = *db.action(uuid);
    row.log.push_back(message);
    db.update_action(row);
  });
}

// ---- resources and ports ----

void resource_get(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{}});
  if (args.pos.size() != 1) throw ToolError("expected exactly one resource name", 2);
  auto app = c.db.require_app(c.app);
  const auto& name = args.pos[0];
  if (!app.charm.resource(name) || !app.resources.contains(name)) {
    throw ToolError("could not download resource: resource#" + c.app + "/" + name + " not found");
  }
  c.out += app.resources[name].get<std::string>() + "\n";
}

// Normalises "80", "80/tcp", "8000-8100/udp" or "icmp" to Juju's form.
std::string normalise_port(const std::string& arg) {
  if (arg == "icmp") return arg;
  std::string range = arg, proto = "tcp";
  if (auto pos = arg.find('/'); pos != std::string::npos) {
    range = arg.substr(0, pos);
    proto = arg.substr(pos + 1);
  }
  if (proto != "tcp" && proto != "udp") {
    throw ToolError("invalid protocol \"" + proto + "\", expected \"tcp\", \"udp\", or \"icmp\"");
  }
  auto parts = split(range, '-');
  if (parts.size() > 2) throw ToolError("invalid port \"" + arg + "\"");
  for (const auto& p : parts) {
    auto n = parse_int(p);
    if (!n || *n < 1 || *n > 65535) {
      throw ToolError("invalid port \"" + arg + "\": port must be between 1 and 65535");
    }
  }
  return range + "/" + proto;
}

void open_close_port(Ctx& c, const std::vector<std::string>& argv, bool open) {
  auto args = parse_args(argv, {{{"endpoints", true}, {"format", true}}});
  if (args.pos.size() != 1) throw ToolError("expected exactly one port", 2);
  c.ops.push_back({{"op", open ? "open-port" : "close-port"},
                   {"unit", c.unit},
                   {"port", normalise_port(args.pos[0])}});
}

void opened_ports(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{{"endpoints", false}, {"format", true}}});
  json out = json::array();
  for (const auto& p : c.db.ports(c.unit)) out.push_back(args.flag("endpoints") ? p + " (*)" : p);
  c.print(out, args);
}

// ---- storage ----

std::string storage_location(Ctx& c, const std::string& id) {
  SQLite::Statement q(c.db.sql(), "SELECT location FROM storage WHERE id = ? AND unit = ?");
  q.bind(1, id);
  q.bind(2, c.unit);
  if (!q.executeStep())
    throw ToolError("invalid value \"" + id + "\" for option -s: storage not found");
  return q.getColumn(0).getString();
}

void storage_list(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{{"format", true}}});
  SQLite::Statement q(c.db.sql(), "SELECT id, name FROM storage WHERE unit = ? ORDER BY id");
  q.bind(1, c.unit);
  json out = json::array();
  while (q.executeStep()) {
    if (args.pos.empty() || q.getColumn(1).getString() == args.pos[0]) {
      out.push_back(q.getColumn(0).getString());
    }
  }
  c.print(out, args);
}

void storage_get(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{{"format", true}, {"storage", true}}, {{"s", "storage"}}});
  std::string id = args.get("storage", c.storage_id);
  if (id.empty()) throw ToolError("no storage instance specified");
  const auto location = storage_location(c, id);
  auto app = c.db.require_app(c.app);
  std::string kind = "filesystem";
  for (const auto& s : app.charm.storage) {
    if (s.name == split(id, '/')[0]) kind = s.type;
  }
  json out = {{"kind", kind}, {"location", location}};
  if (!args.pos.empty()) {
    if (!out.contains(args.pos[0]))
      throw ToolError("invalid storage attribute \"" + args.pos[0] + "\"");
    c.print(out[args.pos[0]], args);
  } else {
    c.print(out, args);
  }
}

void storage_add(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{}});
  if (args.pos.empty()) throw ToolError("storage add requires a storage directive", 2);
  auto app = c.db.require_app(c.app);
  for (const auto& directive : args.pos) {
    auto parts = split(directive, '=');
    const auto name = parts[0];
    long long count = 1;
    if (parts.size() == 2) {
      auto n = parse_int(parts[1]);
      if (!n || *n < 1) throw ToolError("invalid storage count in \"" + directive + "\"");
      count = *n;
    }
    bool declared = false;
    for (const auto& s : app.charm.storage) declared |= s.name == name;
    if (!declared) throw ToolError("storage \"" + name + "\" not found");
    // Instance numbers continue after the highest one (including this run's).
    long long next = 0;
    {
      SQLite::Statement q(c.db.sql(), "SELECT id FROM storage WHERE name = ?");
      q.bind(1, name);
      while (q.executeStep()) {
        auto id = q.getColumn(0).getString();
        next = std::max(next, parse_int(id.substr(id.rfind('/') + 1)).value_or(0) + 1);
      }
      for (const auto& op : c.ops) {
        if (op.value("name", "") == name) ++next;
      }
    }
    for (long long i = 0; i < count; ++i) {
      const auto n = next + i;
      const auto id = name + "/" + std::to_string(n);
      const auto location = c.db.dir() / "units" /
                            (c.app + "-" + std::to_string(unit_number(c.unit))) / "storage" /
                            (name + "-" + std::to_string(n));
      c.ops.push_back({{"op", "storage-add"},
                       {"id", id},
                       {"unit", c.unit},
                       {"name", name},
                       {"location", location.string()}});
    }
  }
}

// ---- unit state and leader settings ----

std::map<std::string, std::string> kv_table(Ctx& c, const std::string& owner) {
  SQLite::Statement q(c.db.sql(), "SELECT key, value FROM unit_state WHERE unit = ?");
  q.bind(1, owner);
  std::map<std::string, std::string> out;
  while (q.executeStep()) out[q.getColumn(0).getString()] = q.getColumn(1).getString();
  return out;
}

void print_kv(Ctx& c, const Args& args, const std::map<std::string, std::string>& kv) {
  if (args.pos.empty()) {
    c.print(json(kv), args);
  } else {
    auto it = kv.find(args.pos[0]);
    c.print(it == kv.end() ? json(nullptr) : json(it->second), args);
  }
}

void state_get(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{{"format", true}, {"strict", false}}});
  auto kv = kv_table(c, c.unit);
  if (!args.pos.empty() && args.flag("strict") && !kv.count(args.pos[0])) {
    throw ToolError("\"" + args.pos[0] + "\" not found");
  }
  print_kv(c, args, kv);
}

void state_set(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{{"file", true}}});
  for (const auto& [k, v] : settings_from(args, 0, "state")) {
    c.ops.push_back({{"op", v.empty() ? "state-delete" : "state-set"},
                     {"unit", c.unit},
                     {"key", k},
                     {"value", v}});
  }
}

void state_delete(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{}});
  if (args.pos.size() != 1) throw ToolError("expected exactly one key", 2);
  c.ops.push_back({{"op", "state-delete"}, {"unit", c.unit}, {"key", args.pos[0]}});
}

void leader_get(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{{"format", true}}});
  print_kv(c, args, kv_table(c, c.app + "/leader"));
}

void leader_set(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{{"file", true}}});
  if (!c.is_leader())
    throw ToolError("cannot write leadership settings: this unit is not the leader");
  c.ops.push_back(
      {{"op", "leader-set"}, {"app", c.app}, {"data", settings_from(args, 0, "settings")}});
}

// ---- secrets ----

struct SecretRow {
  std::string id, owner, label, description, rotate, expire;
  int revision = 0;
  json revisions;
};

// "secret:xid", "secret://uuid/xid" or "xid" -> "xid".
std::string secret_xid(const std::string& ref) {
  auto pos = ref.rfind('/');
  if (pos != std::string::npos) return ref.substr(pos + 1);
  if (ref.rfind("secret:", 0) == 0) return ref.substr(7);
  return ref;
}

std::optional<SecretRow> find_secret(Ctx& c, const std::string& xid) {
  SQLite::Statement q(c.db.sql(),
                      "SELECT id, owner, label, description, rotate, expire, revision, content "
                      "FROM secrets WHERE id = ?");
  q.bind(1, xid);
  if (!q.executeStep()) return std::nullopt;
  SecretRow s{q.getColumn(0).getString(), q.getColumn(1).getString(),
              q.getColumn(2).getString(), q.getColumn(3).getString(),
              q.getColumn(4).getString(), q.getColumn(5).getString(),
              q.getColumn(6).getInt(),    json::parse(q.getColumn(7).getString())};
  return s;
}

bool owns(Ctx& c, const SecretRow& s) { return s.owner == c.app || s.owner == c.unit; }

// Resolves the secret named by an id and/or a label (owner or consumer label).
SecretRow lookup_secret(Ctx& c, const std::string& id, const std::string& label) {
  const std::string shown = id.empty() ? label : id;
  if (!id.empty()) {
    auto s = find_secret(c, secret_xid(id));
    if (!s) throw ToolError("secret \"" + shown + "\" not found");
    return *s;
  }
  if (label.empty()) throw ToolError("require either a secret URI or label", 2);
  SQLite::Statement q(c.db.sql(),
                      "SELECT id FROM secrets WHERE label = ? AND (owner = ? OR owner = ?)");
  q.bind(1, label);
  q.bind(2, c.app);
  q.bind(3, c.unit);
  if (q.executeStep()) return *find_secret(c, q.getColumn(0).getString());
  SQLite::Statement q2(c.db.sql(),
                       "SELECT secret_id FROM secret_consumers WHERE label = ? AND unit = ?");
  q2.bind(1, label);
  q2.bind(2, c.unit);
  if (q2.executeStep()) {
    if (auto s = find_secret(c, q2.getColumn(0).getString())) return *s;
  }
  throw ToolError("secret \"" + shown + "\" not found");
}

bool has_access(Ctx& c, const SecretRow& s) {
  if (owns(c, s)) return true;
  SQLite::Statement q(
      c.db.sql(),
      "SELECT 1 FROM secret_access WHERE secret_id = ? AND (grantee = ? OR grantee = ?)");
  q.bind(1, s.id);
  q.bind(2, c.app);
  q.bind(3, c.unit);
  return q.executeStep();
}

std::map<std::string, std::string> secret_content_args(const std::vector<std::string>& pos,
                                                       size_t first) {
  std::map<std::string, std::string> content;
  for (size_t i = first; i < pos.size(); ++i) {
    const auto& p = pos[i];
    auto eq = p.find('=');
    if (eq == std::string::npos) throw ToolError("key value \"" + p + "\" not valid", 2);
    std::string key = p.substr(0, eq);
    std::string value = p.substr(eq + 1);
    if (auto hash = key.find('#'); hash != std::string::npos) {
      const auto how = key.substr(hash + 1);
      key = key.substr(0, hash);
      if (how == "file") {
        value = read_file(value);
      } else if (how != "base64") {
        throw ToolError("invalid secret key suffix \"#" + how + "\"", 2);
      }
    }
    if (!ops::detail::is_secret_content_key(key))
      throw ToolError("invalid secret key \"" + key + "\"");
    content[key] = value;
  }
  return content;
}

FlagSpec secret_write_flags() {
  return {{{"label", true},
           {"description", true},
           {"expire", true},
           {"rotate", true},
           {"owner", true},
           {"file", true}}};
}

void secret_add(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, secret_write_flags());
  const std::string owner_kind = args.get("owner", "application");
  if (owner_kind != "application" && owner_kind != "unit") {
    throw ToolError("secret owner \"" + owner_kind + "\" not valid", 2);
  }
  if (owner_kind == "application" && !c.is_leader()) {
    throw ToolError("cannot create application secret: this unit is not the leader");
  }
  auto content = secret_content_args(args.pos, 0);
  if (content.empty()) throw ToolError("missing secret value", 2);
  static const char* kXid = "0123456789abcdefghijklmnopqrstuv";
  std::string xid;
  for (char h : random_hex(20)) xid += kXid[(h <= '9' ? h - '0' : h - 'a' + 10) * 2 % 32];
  xid[0] = 'c';
  c.ops.push_back({{"op", "secret-add"},
                   {"id", xid},
                   {"owner", owner_kind == "unit" ? c.unit : c.app},
                   {"label", args.get("label")},
                   {"description", args.get("description")},
                   {"rotate", args.get("rotate", "never")},
                   {"expire", args.get("expire")},
                   {"content", content}});
  c.out += "secret:" + xid + "\n";
}

void secret_get(Ctx& c, const std::vector<std::string>& argv) {
  auto args =
      parse_args(argv, {{{"format", true}, {"label", true}, {"refresh", false}, {"peek", false}}});
  const std::string id = args.pos.empty() ? "" : args.pos[0];
  auto s = lookup_secret(c, id, id.empty() ? args.get("label") : "");
  if (!has_access(c, s))
    throw ToolError("secret \"" + (id.empty() ? args.get("label") : id) + "\" not found");
  int revision = s.revision;
  if (owns(c, s)) {
    if (!id.empty() && args.has("label")) {
      c.ops.push_back({{"op", "secret-set"}, {"id", s.id}, {"label", args.get("label")}});
    }
  } else {
    SQLite::Statement q(
        c.db.sql(),
        "SELECT revision, label FROM secret_consumers WHERE secret_id = ? AND unit = ?");
    q.bind(1, s.id);
    q.bind(2, c.unit);
    std::optional<int> tracked;
    std::string label = args.get("label");
    if (q.executeStep()) {
      tracked = q.getColumn(0).getInt();
      if (label.empty() || id.empty()) label = q.getColumn(1).getString();
    }
    if (args.flag("peek")) {
      revision = s.revision;
    } else if (!tracked || args.flag("refresh") || label != args.get("label", label)) {
      revision = (!tracked || args.flag("refresh")) ? s.revision : *tracked;
      c.ops.push_back({{"op", "secret-track"},
                       {"id", s.id},
                       {"unit", c.unit},
                       {"label", label},
                       {"revision", revision}});
    } else {
      revision = *tracked;
    }
  }
  const auto key = std::to_string(revision);
  if (!s.revisions.contains(key)) throw ToolError("secret revision " + key + " not found");
  c.print(s.revisions[key], args);
}

void secret_info_get(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{{"format", true}, {"label", true}}});
  const std::string id = args.pos.empty() ? "" : args.pos[0];
  auto s = lookup_secret(c, id, args.get("label"));
  if (!owns(c, s))
    throw ToolError("secret \"" + (id.empty() ? args.get("label") : id) + "\" not found");
  json info = {{"revision", s.revision},
               {"label", s.label},
               {"owner", s.owner == c.app ? "application" : "unit"},
               {"rotation", s.rotate}};
  if (!s.description.empty()) info["description"] = s.description;
  if (!s.expire.empty()) info["expiry"] = s.expire;
  c.print(json{{s.id, info}}, args);
}

SecretRow owned_secret(Ctx& c, const std::string& id) {
  auto s = lookup_secret(c, id, "");
  if (!owns(c, s)) throw ToolError("secret \"" + id + "\" not found");
  if (s.owner == c.app && !c.is_leader()) {
    throw ToolError("cannot change application secret \"" + id + "\": this unit is not the leader");
  }
  return s;
}

void secret_set(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, secret_write_flags());
  if (args.pos.empty()) throw ToolError("missing secret URI", 2);
  auto s = owned_secret(c, args.pos[0]);
  json op = {{"op", "secret-set"}, {"id", s.id}};
  for (const char* f : {"label", "description", "rotate", "expire"}) {
    if (args.has(f)) op[f] = args.get(f);
  }
  auto content = secret_content_args(args.pos, 1);
  if (!content.empty()) op["content"] = content;
  c.ops.push_back(op);
}

void secret_remove(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{{"revision", true}}});
  if (args.pos.size() != 1) throw ToolError("missing secret URI", 2);
  auto s = owned_secret(c, args.pos[0]);
  json op = {{"op", "secret-remove"}, {"id", s.id}};
  if (args.has("revision")) {
    auto n = parse_int(args.get("revision"));
    if (!n) throw ToolError("invalid revision \"" + args.get("revision") + "\"", 2);
    op["revision"] = *n;
  }
  c.ops.push_back(op);
}

void secret_grant_revoke(Ctx& c, const std::vector<std::string>& argv, bool grant) {
  auto args =
      parse_args(argv, {{{"relation", true}, {"unit", true}, {"app", true}}, {{"r", "relation"}}});
  if (args.pos.size() != 1) throw ToolError("missing secret URI", 2);
  auto s = owned_secret(c, args.pos[0]);
  int relation_id = -1;
  std::string grantee = args.get("unit", args.get("app"));
  if (args.has("relation")) {
    auto rel = resolve_relation(c, args);
    relation_id = rel.id;
    if (grantee.empty()) grantee = rel.remote_app_of(c.app);
  }
  if (grantee.empty()) throw ToolError("missing relation or application or unit", 2);
  if (grant && relation_id < 0) throw ToolError("missing relation", 2);
  c.ops.push_back({{"op", grant ? "secret-grant" : "secret-revoke"},
                   {"id", s.id},
                   {"grantee", grantee},
                   {"relation_id", relation_id}});
}

void secret_ids(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{{"format", true}}});
  SQLite::Statement q(c.db.sql(),
                      "SELECT id FROM secrets WHERE owner = ? OR owner = ? ORDER BY id");
  q.bind(1, c.app);
  q.bind(2, c.unit);
  json out = json::array();
  while (q.executeStep()) out.push_back("secret:" + q.getColumn(0).getString());
  c.print(out, args);
}

// ---- the rest ----

void credential_get(Ctx&, const std::vector<std::string>&) {
  throw ToolError("cannot access cloud credentials: ops-sim has no cloud");
}

void juju_reboot(Ctx&, const std::vector<std::string>& argv) {
  parse_args(argv, {{{"now", false}}});
  throw ToolError("juju-reboot is not supported on Kubernetes models");
}

using ToolFn = std::function<void(Ctx&, const std::vector<std::string>&)>;

const std::map<std::string, ToolFn>& tools() {
  static const std::map<std::string, ToolFn> kTools = {
      {"action-fail", action_fail},
      {"action-get", action_get},
      {"action-log", action_log},
      {"action-set", action_set},
      {"application-version-set", application_version_set},
      {"close-port", [](Ctx& c, const auto& a) { open_close_port(c, a, false); }},
      {"config-get", config_get},
      {"credential-get", credential_get},
      {"goal-state", goal_state},
      {"is-leader", is_leader},
      {"juju-log", juju_log},
      {"juju-reboot", juju_reboot},
      {"leader-get", leader_get},
      {"leader-set", leader_set},
      {"network-get", network_get},
      {"open-port", [](Ctx& c, const auto& a) { open_close_port(c, a, true); }},
      {"opened-ports", opened_ports},
      {"relation-get", relation_get},
      {"relation-ids", relation_ids},
      {"relation-list", relation_list},
      {"relation-model-get", relation_model_get},
      {"relation-set", relation_set},
      {"resource-get", resource_get},
      {"secret-add", secret_add},
      {"secret-get", secret_get},
      {"secret-grant", [](Ctx& c, const auto& a) { secret_grant_revoke(c, a, true); }},
      {"secret-ids", secret_ids},
      {"secret-info-get", secret_info_get},
      {"secret-remove", secret_remove},
      {"secret-revoke", [](Ctx& c, const auto& a) { secret_grant_revoke(c, a, false); }},
      {"secret-set", secret_set},
      {"state-delete", state_delete},
      {"state-get", state_get},
      {"state-set", state_set},
      {"status-get", status_get},
      {"status-set", status_set},
      {"storage-add", storage_add},
      {"storage-get", storage_get},
      {"storage-list", storage_list},
      {"unit-get", unit_get},
  };
  return kTools;
}

}  // namespace

const std::vector<std::string>& hook_tool_names() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (const auto& [name, fn] : tools()) names.push_back(name);
    return names;
  }();
  return kNames;
}

bool is_hook_tool(const std::string& name) { return tools().count(name) != 0; }

int run_hook_tool(const std::string& name, const std::vector<std::string>& args) {
  try {
    const auto dir = env("OPS_SIM_DIR");
    const auto unit = env("JUJU_UNIT_NAME");
    if (dir.empty() || unit.empty()) {
      throw ToolError(name +
                      " must be run by a charm hook (OPS_SIM_DIR and JUJU_UNIT_NAME are not set)");
    }
    auto db = ModelDb::open(dir, false);
    Ctx c(*db, unit, unit_app(unit), env("OPS_SIM_RUN_ID"));
    if (c.run_id.empty())
      throw ToolError(name + " must be run by a charm hook (OPS_SIM_RUN_ID is not set)");
    if (auto id =
            parse_int(env("JUJU_RELATION_ID").substr(env("JUJU_RELATION_ID").rfind(':') + 1))) {
      c.relation_id = static_cast<int>(*id);
    }
    c.remote_unit = env("JUJU_REMOTE_UNIT");
    c.remote_app = env("JUJU_REMOTE_APP");
    c.action_uuid = env("JUJU_ACTION_UUID");
    c.storage_id = env("JUJU_STORAGE_ID");
    const auto& fn = tools().at(name);
    with_overlay(*db, c.run_id, [&] { fn(c, args); });
    for (const auto& op : c.ops) db->add_pending(c.run_id, op);
    for (const auto& write : c.direct) write();
    std::cout << c.out << std::flush;
    return 0;
  } catch (const ToolError& e) {
    std::cerr << "ERROR " << e.what() << "\n";
    return e.code;
  } catch (const SimError& e) {
    std::cerr << "ERROR " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "ERROR " << name << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace ops_sim
