// ops-sim hook tools: status-get, status-set, juju-log,
// application-version-set.
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

}  // namespace

void add_status_tools(ToolTable& tools) {
  tools.insert({
      {"application-version-set", application_version_set},
      {"juju-log", juju_log},
      {"status-get", status_get},
      {"status-set", status_set},
  });
}

}  // namespace ops_sim::hook_tool
