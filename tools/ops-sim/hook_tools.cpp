#include "hook_tools.hpp"

#include <iostream>

#include "hook_tool_context.hpp"
#include "model_changes.hpp"
#include "model_db.hpp"
#include "ops/detail/juju_names.hpp"
#include "util.hpp"

namespace ops_sim {

namespace {

using hook_tool::Ctx;
using hook_tool::env;
using hook_tool::ToolError;
using hook_tool::ToolTable;

// Every tool, by name, from each family.
const ToolTable& tools() {
  static const ToolTable kTools = [] {
    ToolTable table;
    hook_tool::add_action_tools(table);
    hook_tool::add_config_tools(table);
    hook_tool::add_relation_tools(table);
    hook_tool::add_secret_tools(table);
    hook_tool::add_status_tools(table);
    hook_tool::add_storage_tools(table);
    return table;
  }();
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
