// The internals of ops-sim's hook tools (hook_tools.hpp), shared by the
// tool families: hook_tools_relation.cpp (relation-*), hook_tools_status.cpp
// (status-*, juju-log, application-version-set), hook_tools_config.cpp
// (config, leadership, unit state, network, goal state), hook_tools_action.cpp
// (action-*), hook_tools_secret.cpp (secret-*) and hook_tools_storage.cpp
// (storage-*, resource-get, ports). Each family adds its tools to the table
// run_hook_tool dispatches on.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "model_db.hpp"

namespace ops_sim::hook_tool {

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

// Parses a tool's argv against `spec`; a bad flag is a ToolError (exit 2).
Args parse_args(const std::vector<std::string>& argv, const FlagSpec& spec);

// Shows a value the way Juju's default ("smart") formatter does.
std::string smart(const json& v);

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

// The environment variable `name`, "" when unset.
std::string env(const char* name);
// Resolves "-r" (forms "7" and "endpoint:7") or the hook's relation.
RelationRow resolve_relation(Ctx& c, const Args& args, const std::string& opt = "relation");
// "endpoint:id" of `rel` as `app` sees it.
std::string relation_ref(const RelationRow& rel, const std::string& app);
// Reads a YAML/JSON mapping of strings (relation-set --file, state-set --file).
std::map<std::string, std::string> read_string_map(const std::string& text,
                                                   const std::string& what);
// All of stdin.
std::string read_stdin();
// KEY=VALUE positional arguments from `first_pos` on, over the mapping read
// from --file (when given; "-" is stdin).
std::map<std::string, std::string> settings_from(const Args& args, size_t first_pos,
                                                 const std::string& what);

using ToolFn = std::function<void(Ctx&, const std::vector<std::string>&)>;
using ToolTable = std::map<std::string, ToolFn>;

// Each family adds its tools, by name.
void add_relation_tools(ToolTable& tools);
void add_status_tools(ToolTable& tools);
void add_config_tools(ToolTable& tools);
void add_action_tools(ToolTable& tools);
void add_secret_tools(ToolTable& tools);
void add_storage_tools(ToolTable& tools);

}  // namespace ops_sim::hook_tool
