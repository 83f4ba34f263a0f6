// ops-sim hook tools of the unit and its model: config-get, is-leader,
// unit-get, network-get, goal-state, state-*, leader-get/-set,
// credential-get, juju-reboot.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <set>

#include "hook_tool_context.hpp"
#include "model_changes.hpp"
#include "ops/detail/juju_names.hpp"
#include "output.hpp"
#include "util.hpp"

namespace ops_sim::hook_tool {

namespace {

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

void unit_get(Ctx& c, const std::vector<std::string>& argv) {
  auto args = parse_args(argv, {{{"format", true}}});
  if (args.pos.size() != 1) throw ToolError("expected exactly one setting name", 2);
  if (args.pos[0] != "private-address" && args.pos[0] != "public-address") {
    throw ToolError("unknown setting \"" + args.pos[0] + "\"");
  }
  c.print(c.db.require_unit(c.unit).address, args);
}

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

// ---- the rest ----

void credential_get(Ctx&, const std::vector<std::string>&) {
  throw ToolError("cannot access cloud credentials: ops-sim has no cloud");
}

void juju_reboot(Ctx&, const std::vector<std::string>& argv) {
  parse_args(argv, {{{"now", false}}});
  throw ToolError("juju-reboot is not supported on Kubernetes models");
}

}  // namespace

void add_config_tools(ToolTable& tools) {
  tools.insert({
      {"config-get", config_get},
      {"credential-get", credential_get},
      {"goal-state", goal_state},
      {"is-leader", is_leader},
      {"juju-reboot", juju_reboot},
      {"leader-get", leader_get},
      {"leader-set", leader_set},
      {"network-get", network_get},
      {"state-delete", state_delete},
      {"state-get", state_get},
      {"state-set", state_set},
      {"unit-get", unit_get},
  });
}

}  // namespace ops_sim::hook_tool
