#include "hook_tool_context.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <iostream>
#include <iterator>

#include "util.hpp"

namespace ops_sim::hook_tool {

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

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

RelationRow resolve_relation(Ctx& c, const Args& args, const std::string& opt) {
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
}  // namespace ops_sim::hook_tool
