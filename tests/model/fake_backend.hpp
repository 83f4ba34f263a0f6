// An in-memory ModelBackend for Model tests: holds relations, databags,
// config, statuses ... in plain maps and records the name of every call.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ops/model.hpp"

namespace ops::test {

class FakeBackend : public ModelBackend {
 public:
  std::string unit = "redis/0";
  bool leader = false;
  bool hook_running = true;
  std::map<std::string, std::vector<int>> relation_ids_by_endpoint;
  std::map<int, std::vector<std::string>> relation_units;
  std::map<int, std::string> remote_apps;
  std::set<int> dead_relations;
  // (relation id, member name) -> bag
  std::map<std::pair<int, std::string>, std::map<std::string, std::string>> bags;
  nlohmann::json config = nlohmann::json::object();
  StatusBase unit_status = UnknownStatus();
  StatusBase app_status = UnknownStatus();
  std::map<std::string, std::map<std::string, std::string>> secrets;  // id -> content
  std::map<std::string, std::string> secret_labels;                   // label -> id
  std::vector<Port> ports;
  std::vector<std::string> calls;

  std::string unit_name() const override { return unit; }
  std::string model_name() const override { return "test-model"; }
  std::string model_uuid() const override { return "uuid-1"; }
  bool hook_is_running() const override { return hook_running; }

  std::vector<int> relation_ids(const std::string& endpoint) override {
    calls.push_back("relation_ids " + endpoint);
    return relation_ids_by_endpoint[endpoint];
  }
  std::vector<std::string> relation_list(int id) override {
    calls.push_back("relation_list " + std::to_string(id));
    if (dead_relations.count(id)) throw RelationNotFoundError("relation not found");
    return relation_units[id];
  }
  std::optional<std::string> relation_remote_app_name(int id) override {
    calls.push_back("relation_remote_app_name " + std::to_string(id));
    auto it = remote_apps.find(id);
    if (it == remote_apps.end()) return std::nullopt;
    return it->second;
  }
  std::map<std::string, std::string> relation_get(int id, const std::string& member,
                                                  bool is_app) override {
    calls.push_back("relation_get " + std::to_string(id) + " " + member + (is_app ? " app" : ""));
    if (dead_relations.count(id)) throw RelationNotFoundError("relation not found");
    return bags[{id, member}];
  }
  void relation_set(int id, const std::map<std::string, std::string>& data, bool is_app) override {
    calls.push_back("relation_set " + std::to_string(id) + (is_app ? " app " : " ") +
                    nlohmann::json(data).dump());
    auto& bag = bags[{id, is_app ? app_name() : unit}];
    for (const auto& [k, v] : data) {
      if (v.empty()) {
        bag.erase(k);
      } else {
        bag[k] = v;
      }
    }
  }
  nlohmann::json config_get() override {
    calls.push_back("config_get");
    return config;
  }
  bool is_leader() override {
    calls.push_back("is_leader");
    return leader;
  }
  std::filesystem::path resource_get(const std::string& name) override {
    calls.push_back("resource_get " + name);
    if (name == "missing") throw ResourceNotFoundError("resource-get failed");
    return "/resources/" + name;
  }
  StatusBase status_get(bool is_app) override {
    calls.push_back(std::string("status_get") + (is_app ? " app" : ""));
    return is_app ? app_status : unit_status;
  }
  void status_set(const StatusBase& status, bool is_app) override {
    calls.push_back(std::string("status_set") + (is_app ? " app " : " ") + status.to_string());
    (is_app ? app_status : unit_status) = status;
  }
  void application_version_set(const std::string& version) override {
    calls.push_back("application_version_set " + version);
  }
  int planned_units() override {
    calls.push_back("planned_units");
    return 3;
  }
  std::vector<int> storage_list(const std::string& name) override {
    calls.push_back("storage_list " + name);
    return {0, 1};
  }
  std::string storage_get(const std::string& id, const std::string& attribute) override {
    calls.push_back("storage_get " + id + " " + attribute);
    return "/srv/" + id;
  }
  void storage_add(const std::string& name, int count) override {
    calls.push_back("storage_add " + name + " " + std::to_string(count));
  }
  Network network_get(const std::string& binding, std::optional<int> relation_id) override {
    calls.push_back("network_get " + binding +
                    (relation_id ? " " + std::to_string(*relation_id) : ""));
    if (relation_id && dead_relations.count(*relation_id))
      throw RelationNotFoundError("relation not found");
    Network net;
    net.interfaces.push_back({"eth0", relation_id ? "10.0.0.2" : "10.0.0.1", "10.0.0.0/24"});
    net.ingress_addresses.push_back("192.168.1.1");
    return net;
  }
  void open_port(const std::string& protocol, std::optional<int> port) override {
    calls.push_back("open_port " + to_string(Port{protocol, port}));
    ports.push_back({protocol, port});
  }
  void close_port(const std::string& protocol, std::optional<int> port) override {
    calls.push_back("close_port " + to_string(Port{protocol, port}));
    std::erase(ports, Port{protocol, port});
  }
  std::vector<Port> opened_ports() override {
    calls.push_back("opened_ports");
    return ports;
  }
  std::string secret_add(const std::map<std::string, std::string>& content,
                         const SecretOptions& options, const std::string& owner) override {
    std::string id = "secret:s" + std::to_string(secrets.size() + 1);
    calls.push_back("secret_add " + owner + " " + id);
    secrets[id] = content;
    if (options.label) secret_labels[*options.label] = id;
    return id;
  }
  std::map<std::string, std::string> secret_get(const std::optional<std::string>& id,
                                                const std::optional<std::string>& label,
                                                bool refresh, bool peek) override {
    calls.push_back("secret_get " + id.value_or("-") + " " + label.value_or("-") +
                    (refresh ? " refresh" : "") + (peek ? " peek" : ""));
    std::string key = id ? *id : (secret_labels.count(*label) ? secret_labels[*label] : "");
    if (!secrets.count(key)) throw SecretNotFoundError("secret not found");
    return secrets[key];
  }
  SecretInfo secret_info_get(const std::optional<std::string>& id,
                             const std::optional<std::string>& label) override {
    calls.push_back("secret_info_get " + id.value_or("-") + " " + label.value_or("-"));
    SecretInfo info;
    info.id = id ? *id : secret_labels.at(*label);
    info.label = label;
    info.revision = 1;
    return info;
  }
  void secret_set(const std::string& id,
                  const std::optional<std::map<std::string, std::string>>& content,
                  const SecretOptions& options) override {
    calls.push_back("secret_set " + id + (content ? " content" : "") +
                    (options.label ? " label=" + *options.label : ""));
    if (content) secrets[id] = *content;
  }
  void secret_grant(const std::string& id, int relation_id,
                    const std::optional<std::string>& u) override {
    calls.push_back("secret_grant " + id + " " + std::to_string(relation_id) + " " +
                    u.value_or("-"));
  }
  void secret_revoke(const std::string& id, int relation_id,
                     const std::optional<std::string>& u) override {
    calls.push_back("secret_revoke " + id + " " + std::to_string(relation_id) + " " +
                    u.value_or("-"));
  }
  void secret_remove(const std::string& id, std::optional<int> revision) override {
    calls.push_back("secret_remove " + id + (revision ? " " + std::to_string(*revision) : ""));
  }
  nlohmann::json action_get() override { return nlohmann::json::object(); }
  void action_set(const nlohmann::json&) override {}
  void action_log(const std::string&) override {}
  void action_fail(const std::string&) override {}
  void juju_log(const std::string&, const std::string&) override {}
  void reboot(bool now) override { calls.push_back(std::string("reboot") + (now ? " now" : "")); }
};

}  // namespace ops::test
