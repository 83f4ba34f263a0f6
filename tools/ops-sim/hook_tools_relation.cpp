// ops-sim hook tools: relation-ids, relation-list, relation-get,
// relation-set, relation-model-get.
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

}  // namespace

void add_relation_tools(ToolTable& tools) {
  tools.insert({
      {"relation-get", relation_get},
      {"relation-ids", relation_ids},
      {"relation-list", relation_list},
      {"relation-model-get", relation_model_get},
      {"relation-set", relation_set},
  });
}

}  // namespace ops_sim::hook_tool
