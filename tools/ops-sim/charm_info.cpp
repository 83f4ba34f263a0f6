#include "charm_info.hpp"

#include <yaml-cpp/yaml.h>

#include "util.hpp"

namespace ops_sim {
namespace fs = std::filesystem;

namespace {

YAML::Node load_yaml(const fs::path& path) {
  try {
    return YAML::LoadFile(path.string());
  } catch (const YAML::Exception& e) {
    throw SimError(path.filename().string() + ": invalid YAML: " + e.what());
  }
}

// Converts a YAML scalar tree into JSON (scalars typed by their look).
nlohmann::json to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      auto obj = nlohmann::json::object();
      for (const auto& kv : node) obj[kv.first.as<std::string>()] = to_json(kv.second);
      return obj;
    }
    case YAML::NodeType::Sequence: {
      auto arr = nlohmann::json::array();
      for (const auto& v : node) arr.push_back(to_json(v));
      return arr;
    }
    case YAML::NodeType::Scalar: {
      if (node.Tag() == "!") return node.as<std::string>();  // quoted
      const auto s = node.as<std::string>();
      if (s == "true" || s == "True") return true;
      if (s == "false" || s == "False") return false;
      if (auto i = parse_int(s)) return *i;
      try {
        size_t pos = 0;
        double d = std::stod(s, &pos);
        if (pos == s.size()) return d;
      } catch (const std::exception&) {
      }
      return s;
    }
    default:
      return nullptr;
  }
}

std::string str(const YAML::Node& node, const std::string& where) {
  if (!node.IsScalar()) throw SimError(where + ": expected a string");
  return node.as<std::string>();
}

void read_metadata(CharmInfo& info, const YAML::Node& meta, const std::string& file) {
  if (!meta.IsMap()) throw SimError(file + ": expected a mapping at the top level");
  if (!meta["name"]) throw SimError(file + ": missing required field \"name\"");
  info.name = str(meta["name"], file + ": name");
  for (const char* role : {"provides", "requires", "peers"}) {
    const auto section = meta[role];
    if (!section) continue;
    if (!section.IsMap()) throw SimError(file + ": " + role + ": expected a mapping");
    for (const auto& kv : section) {
      EndpointInfo ep;
      ep.name = kv.first.as<std::string>();
      ep.role = role;
      const std::string where = file + ": " + role + "." + ep.name;
      if (kv.second.IsMap() && kv.second["interface"]) {
        ep.interface = str(kv.second["interface"], where + ".interface");
      } else if (kv.second.IsScalar()) {
        ep.interface = kv.second.as<std::string>();
      } else {
        throw SimError(where + ": missing \"interface\"");
      }
      info.endpoints.push_back(ep);
    }
  }
  if (const auto containers = meta["containers"]) {
    for (const auto& kv : containers) {
      ContainerInfo c;
      c.name = kv.first.as<std::string>();
      if (kv.second.IsMap()) {
        if (kv.second["resource"]) c.resource = kv.second["resource"].as<std::string>();
        if (const auto mounts = kv.second["mounts"]) {
          for (const auto& m : mounts) {
            c.mounts.emplace_back(m["storage"] ? m["storage"].as<std::string>() : "",
                                  m["location"] ? m["location"].as<std::string>() : "");
          }
        }
      }
      info.containers.push_back(c);
    }
  }
  if (const auto resources = meta["resources"]) {
    for (const auto& kv : resources) {
      ResourceInfo r;
      r.name = kv.first.as<std::string>();
      r.type = kv.second["type"] ? kv.second["type"].as<std::string>() : "file";
      if (kv.second["filename"]) r.filename = kv.second["filename"].as<std::string>();
      info.resources.push_back(r);
    }
  }
  if (const auto storage = meta["storage"]) {
    for (const auto& kv : storage) {
      StorageInfo s;
      s.name = kv.first.as<std::string>();
      s.type = kv.second["type"] ? kv.second["type"].as<std::string>() : "filesystem";
      if (kv.second["location"]) s.location = kv.second["location"].as<std::string>();
      info.storage.push_back(s);
    }
  }
}

void read_config(CharmInfo& info, const YAML::Node& config, const std::string& file) {
  if (!config || config.IsNull()) return;
  const auto options = config["options"];
  if (!options) return;
  if (!options.IsMap()) throw SimError(file + ": options: expected a mapping");
  for (const auto& kv : options) {
    ConfigOptionInfo opt;
    opt.name = kv.first.as<std::string>();
    const std::string where = file + ": options." + opt.name;
    if (!kv.second.IsMap()) throw SimError(where + ": expected a mapping");
    opt.type = kv.second["type"] ? str(kv.second["type"], where + ".type") : "string";
    if (opt.type != "string" && opt.type != "int" && opt.type != "float" && opt.type != "boolean" &&
        opt.type != "secret") {
      throw SimError(where + ".type: unknown type \"" + opt.type + "\"");
    }
    if (const auto d = kv.second["default"]; d && !d.IsNull()) {
      opt.default_value = opt.type == "string" || opt.type == "secret"
                              ? nlohmann::json(d.as<std::string>())
                              : to_json(d);
    }
    info.config.push_back(opt);
  }
}

void read_actions(CharmInfo& info, const YAML::Node& actions, const std::string& file) {
  if (!actions || actions.IsNull()) return;
  if (!actions.IsMap()) throw SimError(file + ": expected a mapping");
  for (const auto& kv : actions) {
    ActionInfo a;
    a.name = kv.first.as<std::string>();
    if (kv.second.IsMap()) {
      if (const auto params = kv.second["params"]) a.params = to_json(params);
      if (const auto req = kv.second["required"]) {
        for (const auto& r : req) a.required.push_back(r.as<std::string>());
      }
      if (const auto ap = kv.second["additionalProperties"])
        a.additional_properties = ap.as<bool>();
    }
    info.actions.push_back(a);
  }
}

}  // namespace

CharmInfo CharmInfo::load(const fs::path& charm_dir) {
  CharmInfo info;
  const auto metadata = charm_dir / "metadata.yaml";
  const auto charmcraft = charm_dir / "charmcraft.yaml";
  try {
    if (fs::exists(metadata)) {
      read_metadata(info, load_yaml(metadata), "metadata.yaml");
      if (fs::exists(charm_dir / "config.yaml")) {
        read_config(info, load_yaml(charm_dir / "config.yaml"), "config.yaml");
      }
      if (fs::exists(charm_dir / "actions.yaml")) {
        read_actions(info, load_yaml(charm_dir / "actions.yaml"), "actions.yaml");
      }
    } else if (fs::exists(charmcraft)) {
      const auto cc = load_yaml(charmcraft);
      read_metadata(info, cc, "charmcraft.yaml");
      read_config(info, cc["config"], "charmcraft.yaml");
      read_actions(info, cc["actions"], "charmcraft.yaml");
    } else {
      throw SimError("no metadata.yaml or charmcraft.yaml in " + charm_dir.string());
    }
  } catch (const YAML::Exception& e) {
    throw SimError("invalid charm metadata in " + charm_dir.string() + ": " + e.what());
  }
  return info;
}

nlohmann::json CharmInfo::to_json() const {
  nlohmann::json j;
  j["name"] = name;
  j["endpoints"] = nlohmann::json::array();
  for (const auto& e : endpoints) {
    j["endpoints"].push_back({{"name", e.name}, {"role", e.role}, {"interface", e.interface}});
  }
  j["config"] = nlohmann::json::array();
  for (const auto& c : config) {
    j["config"].push_back({{"name", c.name}, {"type", c.type}, {"default", c.default_value}});
  }
  j["containers"] = nlohmann::json::array();
  for (const auto& c : containers) {
    j["containers"].push_back({{"name", c.name}, {"resource", c.resource}, {"mounts", c.mounts}});
  }
  j["resources"] = nlohmann::json::array();
  for (const auto& r : resources) {
    j["resources"].push_back({{"name", r.name}, {"type", r.type}, {"filename", r.filename}});
  }
  j["storage"] = nlohmann::json::array();
  for (const auto& s : storage) {
    j["storage"].push_back({{"name", s.name}, {"type", s.type}, {"location", s.location}});
  }
  j["actions"] = nlohmann::json::array();
  for (const auto& a : actions) {
    j["actions"].push_back({{"name", a.name},
                            {"params", a.params},
                            {"required", a.required},
                            {"additional_properties", a.additional_properties}});
  }
  return j;
}

CharmInfo CharmInfo::from_json(const nlohmann::json& j) {
  CharmInfo info;
  info.name = j.at("name");
  for (const auto& e : j.at("endpoints"))
    info.endpoints.push_back({e["name"], e["role"], e["interface"]});
  for (const auto& c : j.at("config")) info.config.push_back({c["name"], c["type"], c["default"]});
  for (const auto& c : j.at("containers")) {
    info.containers.push_back(
        {c["name"], c["resource"],
         c["mounts"].get<std::vector<std::pair<std::string, std::string>>>()});
  }
  for (const auto& r : j.at("resources"))
    info.resources.push_back({r["name"], r["type"], r["filename"]});
  for (const auto& s : j.at("storage"))
    info.storage.push_back({s["name"], s["type"], s["location"]});
  for (const auto& a : j.at("actions")) {
    info.actions.push_back({a["name"], a["params"], a["required"], a["additional_properties"]});
  }
  return info;
}

const EndpointInfo* CharmInfo::endpoint(const std::string& n) const {
  for (const auto& e : endpoints) {
    if (e.name == n) return &e;
  }
  return nullptr;
}

const ConfigOptionInfo* CharmInfo::option(const std::string& n) const {
  for (const auto& c : config) {
    if (c.name == n) return &c;
  }
  return nullptr;
}

const ActionInfo* CharmInfo::action(const std::string& n) const {
  for (const auto& a : actions) {
    if (a.name == n) return &a;
  }
  return nullptr;
}

const ResourceInfo* CharmInfo::resource(const std::string& n) const {
  for (const auto& r : resources) {
    if (r.name == n) return &r;
  }
  return nullptr;
}

const EndpointInfo* CharmInfo::peer_endpoint() const {
  for (const auto& e : endpoints) {
    if (e.role == "peers") return &e;
  }
  return nullptr;
}

nlohmann::json CharmInfo::convert_config_value(const std::string& key,
                                               const std::string& value) const {
  const auto* opt = option(key);
  if (!opt) throw SimError("unknown option \"" + key + "\" for charm \"" + name + "\"");
  if (opt->type == "string" || opt->type == "secret") return value;
  if (opt->type == "int") {
    if (auto i = parse_int(value)) return *i;
    throw SimError("option \"" + key + "\" expected int, got \"" + value + "\"");
  }
  if (opt->type == "float") {
    try {
      size_t pos = 0;
      double d = std::stod(value, &pos);
      if (pos == value.size()) return d;
    } catch (const std::exception&) {
    }
    throw SimError("option \"" + key + "\" expected float, got \"" + value + "\"");
  }
  if (value == "true" || value == "True") return true;
  if (value == "false" || value == "False") return false;
  throw SimError("option \"" + key + "\" expected boolean, got \"" + value + "\"");
}

nlohmann::json CharmInfo::effective_config(const nlohmann::json& set_values) const {
  auto out = nlohmann::json::object();
  for (const auto& opt : config) {
    if (set_values.contains(opt.name)) {
      out[opt.name] = set_values[opt.name];
    } else if (!opt.default_value.is_null()) {
      out[opt.name] = opt.default_value;
    }
  }
  return out;
}

}  // namespace ops_sim
