// A small in-memory ModelBackend for the charm tests: leadership, config,
// statuses, relations, storage and action tools, each call recorded as one
// readable line ("status_set unit blocked: need a db").
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ops/model.hpp"

namespace ops::test {

class CharmFakeBackend final : public ModelBackend {
 public:
  std::string unit = "redis/0";
  bool leader = false;
  nlohmann::json config = nlohmann::json::object();
  nlohmann::json action_params = nlohmann::json::object();
  std::map<std::string, std::vector<int>> relation_ids_by_endpoint;
  std::map<int, std::vector<std::string>> relation_units;
  std::map<std::string, std::vector<int>> storages;  // name -> indices
  std::vector<std::string> calls;

  std::string unit_name() const override { return unit; }
  std::string model_name() const override { return "test-model"; }
  std::string model_uuid() const override { return "uuid-1"; }

  std::vector<int> relation_ids(const std::string& endpoint) override {
    calls.push_back("relation_ids " + endpoint);
    return relation_ids_by_endpoint[endpoint];
  }
  std::vector<std::string> relation_list(int id) override {
    calls.push_back("relation_list " + std::to_string(id));
    return relation_units[id];
  }
  std::optional<std::string> relation_remote_app_name(int) override { return std::nullopt; }
  std::map<std::string, std::string> relation_get(int id, const std::string& member,
                                                  bool) override {
    calls.push_back("relation_get " + std::to_string(id) + " " + member);
    return {};
  }
  void relation_set(int id, const std::map<std::string, std::string>& data, bool is_app) override {
    calls.push_back("relation_set " + std::to_string(id) + (is_app ? " app " : " ") +
                    nlohmann::json(data).dump());
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
    throw ResourceNotFoundError("no resource " + name);
  }
  StatusBase status_get(bool) override { return UnknownStatus(); }
  void status_set(const StatusBase& status, bool is_app) override {
    calls.push_back(std::string("status_set ") + (is_app ? "app " : "unit ") + status.name() +
                    ": " + status.message());
  }
  void application_version_set(const std::string&) override {}
  int planned_units() override { return 1; }
  std::vector<int> storage_list(const std::string& name) override {
    calls.push_back("storage_list " + name);
    return storages[name];
  }
  std::string storage_get(const std::string& id, const std::string& attribute) override {
    calls.push_back("storage_get " + id + " " + attribute);
    return "/srv/" + id;
  }
  void storage_add(const std::string&, int) override {}
  Network network_get(const std::string&, std::optional<int>) override { return {}; }
  void open_port(const std::string&, std::optional<int>) override {}
  void close_port(const std::string&, std::optional<int>) override {}
  std::vector<Port> opened_ports() override { return {}; }
  std::string secret_add(const std::map<std::string, std::string>&, const SecretOptions&,
                         const std::string&) override {
    return "secret:new";
  }
  std::map<std::string, std::string> secret_get(const std::optional<std::string>&,
                                                const std::optional<std::string>&, bool,
                                                bool) override {
    return {};
  }
  SecretInfo secret_info_get(const std::optional<std::string>&,
                             const std::optional<std::string>&) override {
    return {};
  }
  void secret_set(const std::string&, const std::optional<std::map<std::string, std::string>>&,
                  const SecretOptions&) override {}
  void secret_grant(const std::string&, int, const std::optional<std::string>&) override {}
  void secret_revoke(const std::string&, int, const std::optional<std::string>&) override {}
  void secret_remove(const std::string& id, std::optional<int> revision) override {
    calls.push_back("secret_remove " + id + (revision ? " " + std::to_string(*revision) : ""));
  }
  nlohmann::json action_get() override {
    calls.push_back("action_get");
    return action_params;
  }
  void action_set(const nlohmann::json& results) override {
    calls.push_back("action_set " + results.dump());
  }
  void action_log(const std::string& message) override { calls.push_back("action_log " + message); }
  void action_fail(const std::string& message) override {
    calls.push_back("action_fail " + message);
  }
  void juju_log(const std::string& level, const std::string& message) override {
    calls.push_back("juju_log " + level + " " + message);
  }
  void reboot(bool) override {}
};

}  // namespace ops::test
