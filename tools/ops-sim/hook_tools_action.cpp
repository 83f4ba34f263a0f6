// ops-sim hook tools: action-get, action-set, action-fail, action-log.
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

}  // namespace

void add_action_tools(ToolTable& tools) {
  tools.insert({
      {"action-fail", action_fail},
      {"action-get", action_get},
      {"action-log", action_log},
      {"action-set", action_set},
  });
}

}  // namespace ops_sim::hook_tool
