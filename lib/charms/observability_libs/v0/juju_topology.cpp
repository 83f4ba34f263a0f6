// JujuTopology, AlertRules and the charm-directory helpers.
#include "charms/observability_libs/v0/juju_topology.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "ops/log.hpp"
#include "ops/model.hpp"

namespace charms::observability_libs::v0 {

namespace {

using nlohmann::json;

json node_to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& item : node) out[item.first.as<std::string>()] = node_to_json(item.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) out.push_back(node_to_json(item));
      return out;
    }
    case YAML::NodeType::Scalar:
      return node.Scalar();
    default:
      return nullptr;
  }
}

std::string sanitize_metric_name(const std::string& name) {
  std::string out = name;
  for (char& c : out) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':')) c = '_';
  }
  return out;
}

// The name carries a topology hash and ends in "rules": somewhere an "_",
// eight lowercase hex digits and an "_", then anything, then "rules" (what the
// Python library's ^.*?_[0-9a-f]{8}_.*?rules$ matches).
bool is_already_modified(const std::string& name) {
  constexpr std::string_view kSuffix = "rules";
  if (name.size() < 10 + kSuffix.size() ||
      name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
    return false;
  }
  const std::size_t last_start = name.size() - kSuffix.size() - 10;
  for (std::size_t i = 0; i <= last_start; ++i) {
    if (name[i] != '_' || name[i + 9] != '_') continue;
    bool hex = true;
    for (std::size_t j = i + 1; j <= i + 8 && hex; ++j) {
      hex = (name[j] >= '0' && name[j] <= '9') || (name[j] >= 'a' && name[j] <= 'f');
    }
    if (hex) return true;
  }
  return false;
}

// Every occurrence of `from` in `text` replaced by `to`, literally.
std::string replace_all(std::string text, std::string_view from, const std::string& to) {
  for (std::size_t pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

bool is_official_format(const json& rules) { return rules.is_object() && rules.contains("groups"); }

bool is_single_rule_format(const json& rules) {
  return rules.is_object() && rules.contains("expr") &&
         (rules.contains("alert") || rules.contains("record"));
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ops::Error("cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

// ------------------------------------------------------------ JujuTopology

JujuTopology JujuTopology::from_charm(ops::CharmBase& charm) {
  ops::Model& model = charm.framework().model();
  return JujuTopology{model.name(), model.uuid(), charm.app().name(), charm.unit().name(),
                      charm.meta().name};
}

JujuTopology JujuTopology::from_dict(const nlohmann::json& data) {
  auto required = [&](const char* key) {
    if (!data.is_object() || !data.contains(key) || !data[key].is_string()) {
      throw ops::Error(std::string("Juju topology has no string '") + key + "'");
    }
    return data[key].get<std::string>();
  };
  auto optional = [&](const char* key) {
    return data.contains(key) && data[key].is_string() ? data[key].get<std::string>() : "";
  };
  return JujuTopology{required("model"), required("model_uuid"), required("application"),
                      optional("unit"), optional("charm_name")};
}

nlohmann::json JujuTopology::as_dict() const {
  return {{"model", model},
          {"model_uuid", model_uuid},
          {"application", application},
          {"unit", unit},
          {"charm_name", charm_name}};
}

std::string JujuTopology::identifier() const {
  std::string out = model + "_" + model_uuid.substr(0, 8) + "_" + application;
  std::replace(out.begin(), out.end(), '/', '_');
  return out;
}

std::map<std::string, std::string> JujuTopology::label_matcher_dict() const {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : {std::pair{"juju_model", model},
                                   {"juju_model_uuid", model_uuid},
                                   {"juju_application", application},
                                   {"juju_charm", charm_name}}) {
    if (!value.empty()) out[key] = value;
  }
  return out;
}

std::map<std::string, std::string> JujuTopology::alert_expression_dict() const {
  auto out = label_matcher_dict();
  out.erase("juju_charm");
  return out;
}

std::string JujuTopology::alert_expression_matchers() const {
  // In the order Juju topology is always written: model, model_uuid, application.
  std::string out;
  for (const auto& [key, value] : {std::pair{"juju_model", model},
                                   {"juju_model_uuid", model_uuid},
                                   {"juju_application", application}}) {
    if (value.empty()) continue;
    out += (out.empty() ? "" : ",") + std::string(key) + "=\"" + value + "\"";
  }
  return out;
}

// -------------------------------------------------------------- AlertRules

void AlertRules::add(const nlohmann::json& rules, const std::string& group_name,
                     const std::string& group_name_prefix) {
  if (rules.is_null() || rules.empty()) throw ops::Error("rules are empty");
  json groups = json::array();
  if (is_official_format(rules)) {
    if (!rules["groups"].is_array()) throw ops::Error("`groups` is not a list");
    groups = rules["groups"];
  } else if (is_single_rule_format(rules)) {
    if (group_name.empty()) throw ops::Error("a single rule needs a group name");
    groups.push_back({{"name", group_name}, {"rules", json::array({rules})}});
  } else {
    throw ops::Error("invalid rule format: neither `groups` nor a single alert/record rule");
  }
  for (json& group : groups) {
    if (!group.is_object() || !group.contains("name") || !group["name"].is_string() ||
        !group.contains("rules") || !group["rules"].is_array()) {
      throw ops::Error("a rule group needs a string `name` and a list of `rules`");
    }
    std::string name = group["name"];
    if (!is_already_modified(name)) {
      name = group_name_prefix.empty() ? name : group_name_prefix + "_" + name;
      if (!name.ends_with("_rules")) name += "_rules";
    }
    group["name"] = sanitize_metric_name(name);
    for (json& rule : group["rules"]) {
      if (!rule.is_object() || !rule.contains("expr") || !rule["expr"].is_string()) {
        throw ops::Error("rule in group '" + name + "' has no string `expr`");
      }
      if (!rule.contains("labels") || !rule["labels"].is_object()) rule["labels"] = json::object();
      if (!topology_) continue;
      for (const auto& [label, value] : topology_->label_matcher_dict()) {
        if (!rule["labels"].contains(label)) rule["labels"][label] = value;
      }
      // The matchers the rule's own labels name (a rule may narrow them).
      JujuTopology matchers;
      auto label = [&](const char* key) {
        return rule["labels"].contains(key) && rule["labels"][key].is_string()
                   ? rule["labels"][key].get<std::string>()
                   : "";
      };
      matchers.model = label("juju_model");
      matchers.model_uuid = label("juju_model_uuid");
      matchers.application = label("juju_application");
      std::string replacement = matchers.alert_expression_matchers();
      if (query_type_ == QueryType::kLogQL) {
        replacement = replacement.empty() ? "job=~\".+\"" : replacement;
      }
      rule["expr"] = replace_all(rule["expr"].get<std::string>(), "%%juju_topology%%", replacement);
    }
    groups_.push_back(std::move(group));
  }
}

void AlertRules::add_file(const std::filesystem::path& root, const std::filesystem::path& file) {
  json rules;
  try {
    rules = yaml_to_json(read_text(file));
  } catch (const std::exception& e) {
    ops::log::error("Failed to read rules from " + file.filename().string() + ": " + e.what());
    return;
  }
  std::string relative = file.parent_path().lexically_relative(root).generic_string();
  if (relative == ".") relative.clear();
  std::vector<std::string> parts;
  if (topology_) parts.push_back(topology_->identifier());
  if (!relative.empty()) parts.push_back(relative);
  std::string prefix;
  for (const auto& part : parts) prefix += (prefix.empty() ? "" : "_") + part;
  try {
    AlertRules staged(query_type_, topology_);
    staged.add(rules, file.stem().string(), prefix);
    for (auto& group : staged.groups_) groups_.push_back(std::move(group));
  } catch (const ops::Error& e) {
    ops::log::error("Invalid rules file: " + file.filename().string() + " (" + e.what() + ")");
  }
}

void AlertRules::add_path(const std::filesystem::path& path, bool recursive) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<fs::path> files;
    auto take = [&](const fs::directory_entry& entry) {
      static const std::vector<std::string> suffixes{".rule", ".rules", ".yml", ".yaml"};
      if (entry.is_regular_file() &&
          std::find(suffixes.begin(), suffixes.end(), entry.path().extension().string()) !=
              suffixes.end()) {
        files.push_back(entry.path());
      }
    };
    if (recursive) {
      for (const auto& entry : fs::recursive_directory_iterator(path)) take(entry);
    } else {
      for (const auto& entry : fs::directory_iterator(path)) take(entry);
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) add_file(path, file);
  } else if (fs::is_regular_file(path, ec)) {
    add_file(path.parent_path(), path);
  } else {
    ops::log::debug("Rules path does not exist: " + path.string());
  }
}

nlohmann::json AlertRules::as_dict() const {
  if (groups_.empty()) return json::object();
  return {{"groups", groups_}};
}

// ------------------------------------------------------------------ helpers

nlohmann::json yaml_to_json(const std::string& yaml) {
  try {
    return node_to_json(YAML::Load(yaml));
  } catch (const YAML::Exception& e) {
    throw ops::Error(std::string("malformed YAML: ") + e.what());
  }
}

std::filesystem::path charm_dir() {
  if (const char* dir = std::getenv("JUJU_CHARM_DIR"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return std::filesystem::current_path();
  return exe.parent_path();
}

std::filesystem::path resolve_in_charm_dir(const std::filesystem::path& path) {
  return path.is_absolute() ? path : charm_dir() / path;
}

std::string local_fqdn() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "localhost";
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_flags = AI_CANONNAME;
  addrinfo* raw = nullptr;
  if (::getaddrinfo(name, nullptr, &hints, &raw) != 0 || raw == nullptr) return name;
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> addresses(raw, ::freeaddrinfo);
  if (raw->ai_canonname != nullptr && *raw->ai_canonname != '\0') return raw->ai_canonname;
  return name;
}

void validate_relation(const ops::CharmBase& charm, const std::string& relation_name,
                       const std::string& interface, ops::RelationRole role) {
  const ops::CharmMeta& meta = charm.meta();
  auto it = meta.relations.find(relation_name);
  if (it == meta.relations.end()) {
    throw ops::FrameworkError("the charm declares no relation '" + relation_name +
                              "' (metadata.yaml needs it with interface '" + interface + "')");
  }
  if (it->second.interface_name != interface) {
    throw ops::FrameworkError("relation '" + relation_name + "' has interface '" +
                              it->second.interface_name + "', expected '" + interface + "'");
  }
  if (it->second.role != role) {
    throw ops::FrameworkError("relation '" + relation_name + "' is declared under '" +
                              ops::to_string(it->second.role) + "', expected '" +
                              ops::to_string(role) + "'");
  }
}

}  // namespace charms::observability_libs::v0
