// Test doubles for running charms one event at a time without Juju: an
// in-memory ModelBackend (MemoryJuju), an in-memory Pebble (FakePebble) and
// a dispatcher (run_event) that follows ops::main's order: reemit deferred
// notices, emit the event, collect-status, commit, flush relation writes.
// Shared by the redis-k8s charm tests and the redis library tests.
#pragma once

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "ops/charm.hpp"
#include "ops/framework.hpp"
#include "ops/model.hpp"
#include "ops/pebble.hpp"
#include "ops/storage.hpp"

namespace redis_test {

// Juju as the Model sees it, in memory. Relation bags are keyed by
// (relation id, unit or app name); writes go straight into them.
class MemoryJuju : public ops::ModelBackend {
 public:
  std::string unit = "redis-k8s/0";
  std::string model = "test-model";
  bool leader = false;
  int planned = 1;
  nlohmann::json config = nlohmann::json::object();
  std::map<std::string, std::vector<int>> relation_ids_by_endpoint;
  std::map<int, std::string> remote_app;
  std::map<int, std::vector<std::string>> relation_units;
  std::map<std::pair<int, std::string>, std::map<std::string, std::string>> bags;
  std::map<std::string, std::filesystem::path> resources;
  ops::StatusBase unit_status = ops::UnknownStatus();
  ops::StatusBase app_status = ops::UnknownStatus();
  std::optional<std::string> workload_version;
  nlohmann::json action_params = nlohmann::json::object();
  nlohmann::json action_results = nlohmann::json::object();
  std::optional<std::string> action_failure;
  std::vector<std::string> logs;
  int next_relation_id = 0;

  // Adds a relation on endpoint with remote app and units; returns its id.
  int add_relation(const std::string& endpoint, const std::string& app,
                   std::vector<std::string> units = {}) {
    int id = next_relation_id++;
    relation_ids_by_endpoint[endpoint].push_back(id);
    remote_app[id] = app;
    relation_units[id] = std::move(units);
    return id;
  }
  std::map<std::string, std::string>& bag(int id, const std::string& member) {
    return bags[{id, member}];
  }

  std::string unit_name() const override { return unit; }
  std::string model_name() const override { return model; }
  std::string model_uuid() const override { return "00000000-0000-4000-8000-000000000000"; }
  std::vector<int> relation_ids(const std::string& endpoint) override {
    return relation_ids_by_endpoint[endpoint];
  }
  std::vector<std::string> relation_list(int id) override {
    auto it = relation_units.find(id);
    if (it == relation_units.end()) throw ops::RelationNotFoundError("relation not found");
    return it->second;
  }
  std::optional<std::string> relation_remote_app_name(int id) override {
    auto it = remote_app.find(id);
    if (it == remote_app.end()) return std::nullopt;
    return it->second;
  }
  std::map<std::string, std::string> relation_get(int id, const std::string& member,
                                                  bool) override {
    return bags[{id, member}];
  }
  void relation_set(int id, const std::map<std::string, std::string>& data, bool is_app) override {
    auto& target = bags[{id, is_app ? app_name() : unit}];
    for (const auto& [k, v] : data) {
      if (v.empty()) {
        target.erase(k);
      } else {
        target[k] = v;
      }
    }
  }
  nlohmann::json config_get() override { return config; }
  bool is_leader() override { return leader; }
  std::filesystem::path resource_get(const std::string& name) override {
    auto it = resources.find(name);
    if (it == resources.end()) throw ops::ModelError("could not download resource: " + name);
    return it->second;
  }
  ops::StatusBase status_get(bool is_app) override { return is_app ? app_status : unit_status; }
  void status_set(const ops::StatusBase& status, bool is_app) override {
    (is_app ? app_status : unit_status) = status;
  }
  void application_version_set(const std::string& version) override { workload_version = version; }
  int planned_units() override { return planned; }
  std::vector<int> storage_list(const std::string&) override { return {}; }
  std::string storage_get(const std::string&, const std::string&) override {
    throw ops::ModelError("no storage in this test");
  }
  void storage_add(const std::string&, int) override {}
  ops::Network network_get(const std::string&, std::optional<int>) override { return {}; }
  void open_port(const std::string&, std::optional<int>) override {}
  void close_port(const std::string&, std::optional<int>) override {}
  std::vector<ops::Port> opened_ports() override { return {}; }
  std::string secret_add(const std::map<std::string, std::string>&, const ops::SecretOptions&,
                         const std::string&) override {
    throw ops::ModelError("no secrets in this test");
  }
  std::map<std::string, std::string> secret_get(const std::optional<std::string>&,
                                                const std::optional<std::string>&, bool,
                                                bool) override {
    throw ops::SecretNotFoundError("no secrets in this test");
  }
  ops::SecretInfo secret_info_get(const std::optional<std::string>&,
                                  const std::optional<std::string>&) override {
    throw ops::SecretNotFoundError("no secrets in this test");
  }
  void secret_set(const std::string&, const std::optional<std::map<std::string, std::string>>&,
                  const ops::SecretOptions&) override {}
  void secret_grant(const std::string&, int, const std::optional<std::string>&) override {}
  void secret_revoke(const std::string&, int, const std::optional<std::string>&) override {}
  void secret_remove(const std::string&, std::optional<int>) override {}
  nlohmann::json action_get() override { return action_params; }
  void action_set(const nlohmann::json& results) override { action_results.update(results); }
  void action_log(const std::string& message) override { logs.push_back("action: " + message); }
  void action_fail(const std::string& message) override { action_failure = message; }
  void juju_log(const std::string& level, const std::string& message) override {
    logs.push_back(level + ": " + message);
  }
  void reboot(bool) override {}
};

// An in-memory Pebble: a plan built from layers, services with a running
// flag, files and directories in maps, and a record of service actions.
class FakePebble : public ops::pebble::Client {
 public:
  bool can_connect = true;
  std::map<std::string, ops::pebble::Layer> layers;  // label -> layer (in insertion order below)
  std::vector<std::string> layer_order;
  std::set<std::string> running;
  std::map<std::string, std::string> files;  // path -> content
  std::map<std::string, ops::pebble::PushOptions> file_options;
  std::map<std::string, ops::pebble::MakeDirOptions> dirs;
  std::vector<std::string> actions;  // "add_layer redis", "restart redis,redis_exporter", ...
  bool restart_unsupported = false;  // answer restart with HTTP 400, as old Pebble does

  void check() const {
    if (!can_connect) throw ops::pebble::ConnectionError("cannot connect to Pebble (test)");
  }
  static std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
    return out;
  }

  ops::pebble::SystemInfo get_system_info() override {
    check();
    return {"1.10.0"};
  }
  std::vector<ops::pebble::Warning> get_warnings(ops::pebble::WarningState) override { return {}; }
  int ack_warnings(const std::string&) override { return 0; }
  std::vector<ops::pebble::Change> get_changes(ops::pebble::ChangeState,
                                               const std::string&) override {
    return {};
  }
  ops::pebble::Change get_change(const std::string&) override { return {}; }
  ops::pebble::Change abort_change(const std::string&) override { return {}; }
  ops::pebble::Change wait_change(const std::string&, ops::pebble::Duration) override { return {}; }
  std::string autostart_services(ops::pebble::Duration) override {
    check();
    for (const auto& [name, service] : get_plan().services) {
      if (service.startup == "enabled") running.insert(name);
    }
    return "1";
  }
  std::string replan_services(ops::pebble::Duration timeout) override {
    return autostart_services(timeout);
  }
  std::string start_services(const std::vector<std::string>& services,
                             ops::pebble::Duration) override {
    check();
    for (const auto& s : services) {
      if (!get_plan().services.count(s)) {
        throw ops::pebble::APIError({}, 400, "Bad Request", "service \"" + s + "\" not found");
      }
      running.insert(s);
    }
    actions.push_back("start " + joined(services));
    return "2";
  }
  std::string stop_services(const std::vector<std::string>& services,
                            ops::pebble::Duration) override {
    check();
    for (const auto& s : services) running.erase(s);
    actions.push_back("stop " + joined(services));
    return "3";
  }
  std::string restart_services(const std::vector<std::string>& services,
                               ops::pebble::Duration) override {
    check();
    if (restart_unsupported) {
      throw ops::pebble::APIError({}, 400, "Bad Request", "action \"restart\" is unsupported");
    }
    for (const auto& s : services) {
      if (!get_plan().services.count(s)) {
        throw ops::pebble::APIError({}, 400, "Bad Request", "service \"" + s + "\" not found");
      }
      running.insert(s);
    }
    actions.push_back("restart " + joined(services));
    return "4";
  }
  std::vector<ops::pebble::ServiceInfo> get_services(
      const std::vector<std::string>& names) override {
    check();
    std::vector<ops::pebble::ServiceInfo> out;
    for (const auto& [name, service] : get_plan().services) {
      if (!names.empty() && std::find(names.begin(), names.end(), name) == names.end()) continue;
      out.push_back({name,
                     service.startup == "enabled" ? ops::pebble::ServiceStartup::kEnabled
                                                  : ops::pebble::ServiceStartup::kDisabled,
                     running.count(name) ? ops::pebble::ServiceStatus::kActive
                                         : ops::pebble::ServiceStatus::kInactive});
    }
    return out;
  }
  void add_layer(const std::string& label, const ops::pebble::Layer& layer, bool combine) override {
    check();
    auto it = layers.find(label);
    if (it == layers.end()) {
      layers[label] = layer;
      layer_order.push_back(label);
    } else if (combine) {
      it->second.combine(layer);
    } else {
      throw ops::pebble::APIError({}, 400, "Bad Request", "layer \"" + label + "\" exists");
    }
    actions.push_back("add_layer " + label);
  }
  ops::pebble::Plan get_plan() override {
    check();
    ops::pebble::Layer all;
    for (const auto& label : layer_order) all.combine(layers[label]);
    ops::pebble::Plan plan;
    plan.services = all.services;
    plan.checks = all.checks;
    plan.log_targets = all.log_targets;
    return plan;
  }
  std::string pull(const std::string& path) override {
    check();
    auto it = files.find(path);
    if (it == files.end()) throw ops::pebble::PathError("not-found", "no such file " + path);
    return it->second;
  }
  void pull(const std::string& path, std::ostream& out) override { out << pull(path); }
  void push(const std::string& path, std::string_view data,
            const ops::pebble::PushOptions& options) override {
    check();
    files[path] = std::string(data);
    file_options[path] = options;
  }
  void push(const std::string& path, std::istream& data,
            const ops::pebble::PushOptions& options) override {
    std::string text((std::istreambuf_iterator<char>(data)), std::istreambuf_iterator<char>());
    push(path, text, options);
  }
  std::vector<ops::pebble::FileInfo> list_files(const std::string& path,
                                                const ops::pebble::ListFilesOptions&) override {
    check();
    std::string trimmed = path;
    while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
    if (dirs.count(trimmed) || files.count(trimmed)) {
      ops::pebble::FileInfo info;
      info.path = trimmed;
      return {info};
    }
    throw ops::pebble::PathError("not-found", "stat " + path + ": no such file or directory");
  }
  void make_dir(const std::string& path, const ops::pebble::MakeDirOptions& options) override {
    check();
    std::string trimmed = path;
    while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
    dirs[trimmed] = options;
    actions.push_back("make_dir " + trimmed);
  }
  void remove_path(const std::string& path, bool) override { files.erase(path); }
  std::unique_ptr<ops::pebble::ExecProcess> exec(const std::vector<std::string>&,
                                                 const ops::pebble::ExecOptions&) override {
    throw ops::pebble::APIError({}, 501, "Not Implemented", "exec is not faked");
  }
  void send_signal(const std::string&, const std::vector<std::string>&) override {}
  std::vector<ops::pebble::CheckInfo> get_checks(ops::pebble::CheckLevel,
                                                 const std::vector<std::string>&) override {
    return {};
  }
  std::vector<std::string> start_checks(const std::vector<std::string>&) override { return {}; }
  std::vector<std::string> stop_checks(const std::vector<std::string>&) override { return {}; }
  std::string notify(const std::string&, const std::string&,
                     const std::map<std::string, std::string>&,
                     std::optional<ops::pebble::Duration>) override {
    return "1";
  }
  ops::pebble::Notice get_notice(const std::string&) override { return {}; }
  std::vector<ops::pebble::Notice> get_notices(const ops::pebble::NoticesFilter&) override {
    return {};
  }
};

using CharmFactory = std::function<std::unique_ptr<ops::CharmBase>(ops::Framework&)>;

// One dispatch in the order ops::main uses: a fresh Model and Framework over
// the same storage (so deferred notices and stored state carry over),
// reemit, the event (by kind, from its snapshot), collect-status, commit,
// relation writes flushed. Returns the kinds of the events that stayed
// deferred. An exception from the charm propagates and nothing is committed.
class Dispatcher {
 public:
  Dispatcher(ops::CharmMeta meta, MemoryJuju& juju, CharmFactory factory)
      : meta_(std::move(meta)), juju_(juju), factory_(std::move(factory)) {}

  // Runs `kind` ("config_changed", "redis_peers_relation_changed",
  // "get_sentinel_password_action") with `snapshot`; `broken_relation`
  // marks the relation of a relation-broken event.
  void run(const std::string& kind, const nlohmann::json& snapshot = nullptr,
           std::optional<int> broken_relation = std::nullopt,
           const std::function<void(ops::CharmBase&)>& inspect = {}) {
    ops::Model model(meta_, juju_);
    model.set_broken_relation_id(broken_relation);
    ops::Framework framework(storage_, &model);
    std::unique_ptr<ops::CharmBase> charm = factory_(framework);
    framework.reemit();
    ops::EventSourceBase* source = charm->on.find(kind);
    if (source == nullptr) throw std::invalid_argument("the charm defines no event " + kind);
    source->emit_snapshot(snapshot);
    ops::evaluate_status(*charm);
    framework.commit();
    model.flush();
    if (inspect) inspect(*charm);
  }

  // Notices waiting in the storage as "event_path observer method" lines.
  std::vector<std::string> deferred() {
    std::vector<std::string> out;
    for (const auto& n : storage_.notices()) {
      out.push_back(n.event_path + " " + n.method_name);
    }
    return out;
  }

  ops::MemoryStorage& storage() { return storage_; }

 private:
  ops::CharmMeta meta_;
  MemoryJuju& juju_;
  CharmFactory factory_;
  ops::MemoryStorage storage_;
};

// Snapshots of the events the tests send, with Python ops' keys.
inline nlohmann::json relation_snapshot(const std::string& name, int id,
                                        const std::optional<std::string>& app,
                                        const std::optional<std::string>& unit = std::nullopt) {
  nlohmann::json s{{"relation_name", name}, {"relation_id", id}};
  if (app) s["app_name"] = *app;
  if (unit) s["unit_name"] = *unit;
  return s;
}

// Reads the text of a file in the repository (OPS_SOURCE_DIR).
inline std::string source_file(const std::string& relative) {
  const char* root = std::getenv("OPS_SOURCE_DIR");
  std::filesystem::path path = std::filesystem::path(root ? root : ".") / relative;
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The whole content of a local file ("" when it cannot be read).
inline std::string read_host_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// What a leader's Sentinel answers to SENTINEL MASTER over a forced
// failover: `old_master` up to date `answers_before` times (the charm's checks
// before it sends FAILOVER), then once with the promotion running, then with
// `new_master` promoted (repeating).
inline std::vector<std::map<std::string, std::string>> forced_failover_answers(
    const std::string& old_master, const std::string& new_master, int answers_before) {
  std::vector<std::map<std::string, std::string>> answers(
      answers_before, {{"ip", old_master}, {"flags", "master"}});
  answers.push_back({{"ip", old_master},
                     {"flags", "master,failover_in_progress"},
                     {"failover-state", "wait_promotion"}});
  answers.push_back({{"ip", new_master}, {"flags", "master"}});
  return answers;
}

}  // namespace redis_test
