// DemoCharm: a small charm that touches every part of the model, for the
// Harness and Context tests. What it does, per event:
//   install              stored installs += 1, logs "installing"
//   start                workload version "1.2.3", opens port <port>/tcp
//   config-changed       stored config_count += 1, unit status
//                        ActiveStatus("greeting: <greeting>"); defers when
//                        defer-config is true; throws "boom" when explode is
//                        true; writes "greeting" in every db relation
//   leader-elected       peer app bag "leader" = this unit
//   db-relation-changed  own unit bag "seen-host" = remote unit's "host"
//                        (or "app" for app-level changes); as leader, own
//                        app bag "requested" = "yes"
//   db-relation-departed logs "departed <unit> (departing <unit>)"
//   db-relation-broken   stored db_broken = true
//   workload-pebble-ready adds layer "demo" (service demo), replans,
//                        pushes /etc/demo.conf, runs "demo --version" and
//                        sets the workload version from its output
//   workload custom notice  logs "notice <key>"
//   workload check failed   unit status MaintenanceStatus("check <name> failed")
//   data-storage-attached   stored storage = location
//   greet action         results {message, times}, log "greeting <name>"
//   fail-me action       logs "about to fail" then fail("it failed")
//   secret-changed       stored secret_value = content["password"] (refreshed)
//   secret-rotate        new revision {"password": "rotated"}
//   collect-unit-status  BlockedStatus("no greeting") when greeting is "",
//                        else ActiveStatus("ready")
//   collect-app-status   ActiveStatus("app ready")
#pragma once

#include <stdexcept>
#include <string>

#include "ops/ops.hpp"

namespace demo {

inline constexpr const char* kMetadata = R"(
name: demo
containers:
  workload:
    resource: workload-image
resources:
  workload-image:
    type: oci-image
  config-file:
    type: file
    filename: app.conf
requires:
  db:
    interface: pgsql
    limit: 1
provides:
  website:
    interface: http
peers:
  cluster:
    interface: demo-peers
storage:
  data:
    type: filesystem
    location: /var/lib/demo
extra-bindings:
  metrics:
)";

inline constexpr const char* kConfig = R"(
options:
  greeting:
    type: string
    default: hello
  port:
    type: int
    default: 8080
  ratio:
    type: float
    default: 0.5
  defer-config:
    type: boolean
    default: false
  explode:
    type: boolean
    default: false
)";

inline constexpr const char* kActions = R"(
greet:
  description: Say hello.
  params:
    name:
      type: string
      default: world
    times:
      type: integer
  additionalProperties: false
fail-me:
  description: Always fails.
backup:
  description: Needs a target.
  params:
    target:
      type: string
  required: [target]
)";

class DemoCharm : public ops::CharmBase {
 public:
  explicit DemoCharm(ops::Framework& fw) : CharmBase(fw, "DemoCharm") {
    stored_.set_default({{"installs", 0}, {"config_count", 0}, {"db_broken", false}});
    fw.observe<&DemoCharm::on_install>(on.install, *this);
    fw.observe<&DemoCharm::on_start>(on.start, *this);
    fw.observe<&DemoCharm::on_config_changed>(on.config_changed, *this);
    fw.observe<&DemoCharm::on_leader_elected>(on.leader_elected, *this);
    fw.observe<&DemoCharm::on_db_changed>(on["db"].relation_changed, *this);
    fw.observe<&DemoCharm::on_db_departed>(on["db"].relation_departed, *this);
    fw.observe<&DemoCharm::on_db_broken>(on["db"].relation_broken, *this);
    fw.observe<&DemoCharm::on_pebble_ready>(on.container("workload").pebble_ready, *this);
    fw.observe<&DemoCharm::on_notice>(on.container("workload").pebble_custom_notice, *this);
    fw.observe<&DemoCharm::on_check_failed>(on.container("workload").pebble_check_failed, *this);
    fw.observe<&DemoCharm::on_storage_attached>(on.storage("data").storage_attached, *this);
    fw.observe<&DemoCharm::on_greet>(on.action("greet").action, *this);
    fw.observe<&DemoCharm::on_fail_me>(on.action("fail-me").action, *this);
    fw.observe<&DemoCharm::on_secret_changed>(on.secret_changed, *this);
    fw.observe<&DemoCharm::on_secret_rotate>(on.secret_rotate, *this);
    fw.observe<&DemoCharm::on_collect_unit>(on.collect_unit_status, *this);
    fw.observe<&DemoCharm::on_collect_app>(on.collect_app_status, *this);
  }

  void on_install(ops::InstallEvent&) {
    stored_.set("installs", stored_.get<int>("installs") + 1);
    ops::log::info("installing");
  }

  void on_start(ops::StartEvent&) {
    unit().set_workload_version("1.2.3");
    unit().open_port("tcp", config().get<int>("port"));
  }

  void on_config_changed(ops::ConfigChangedEvent& event) {
    if (config().get<bool>("explode")) throw std::runtime_error("boom");
    if (config().get<bool>("defer-config")) {
      event.defer();
      return;
    }
    stored_.set("config_count", stored_.get<int>("config_count") + 1);
    const auto greeting = config().get<std::string>("greeting");
    unit().set_status(ops::ActiveStatus("greeting: " + greeting));
    for (ops::Relation* relation : model().relations("db")) {
      relation->data(unit()).set("greeting", greeting);
    }
  }

  void on_leader_elected(ops::LeaderElectedEvent&) {
    if (ops::Relation* peers = model().get_relation("cluster")) {
      peers->data(app()).set("leader", unit().name());
    }
  }

  void on_db_changed(ops::RelationChangedEvent& event) {
    ops::Relation& relation = event.relation();
    std::string host = "app";
    if (ops::Unit* remote = event.unit()) host = relation.data(*remote).get("host").value_or("");
    relation.data(unit()).set("seen-host", host);
    if (unit().is_leader()) relation.data(app()).set("requested", "yes");
  }

  void on_db_departed(ops::RelationDepartedEvent& event) {
    ops::log::info("departed " + event.unit()->name() + " (departing " +
                   event.departing_unit()->name() + ")");
  }

  void on_db_broken(ops::RelationBrokenEvent&) { stored_.set("db_broken", true); }

  void on_pebble_ready(ops::PebbleReadyEvent& event) {
    ops::Container& container = unit().get_container(event.workload_name());
    const std::string port = std::to_string(config().get<int>("port"));
    container.add_layer(
        "demo",
        ops::pebble::Layer{
            .summary = "demo",
            .services = {{"demo", ops::pebble::Service{.override = "replace",
                                                       .command = "/bin/demo --port " + port,
                                                       .startup = "enabled"}}},
            .checks = {{"up", ops::pebble::Check{.override = "replace",
                                                 .level = "alive",
                                                 .threshold = 3,
                                                 .tcp = ops::pebble::TcpCheck{.port = 8080}}}}});
    container.replan();
    container.push("/etc/demo.conf", "greeting=" + config().get<std::string>("greeting") + "\n",
                   {.make_dirs = true, .permissions = 0600});
    auto process = container.exec({"demo", "--version"});
    std::string version = process->wait_output().stdout;
    while (!version.empty() && version.back() == '\n') version.pop_back();
    unit().set_workload_version(version);
  }

  void on_notice(ops::PebbleCustomNoticeEvent& event) {
    ops::log::info("notice " + event.notice().key);
  }

  void on_check_failed(ops::PebbleCheckFailedEvent& event) {
    unit().set_status(ops::MaintenanceStatus("check " + event.check_name() + " failed"));
  }

  void on_storage_attached(ops::StorageAttachedEvent& event) {
    stored_.set("storage", event.storage_location());
  }

  void on_greet(ops::ActionEvent& event) {
    const std::string name = event.params().at("name").get<std::string>();
    event.log("greeting " + name);
    nlohmann::json results = {{"message", "hello " + name}};
    if (event.params().contains("times")) results["times"] = event.params().at("times");
    event.set_results(results);
  }

  void on_fail_me(ops::ActionEvent& event) {
    event.log("about to fail");
    event.fail("it failed");
  }

  void on_secret_changed(ops::SecretChangedEvent& event) {
    ops::Secret secret = event.secret();
    stored_.set("secret_value", secret.get_content(true).at("password"));
  }

  void on_secret_rotate(ops::SecretRotateEvent& event) {
    event.secret().set_content({{"password", "rotated"}});
  }

  void on_collect_unit(ops::CollectStatusEvent& event) {
    if (config().get<std::string>("greeting").empty()) {
      event.add_status(ops::BlockedStatus("no greeting"));
    } else {
      event.add_status(ops::ActiveStatus("ready"));
    }
  }

  void on_collect_app(ops::CollectStatusEvent& event) {
    event.add_status(ops::ActiveStatus("app ready"));
  }

  const ops::StoredState& stored() const { return stored_; }

 private:
  ops::StoredState stored_{*this};
};

}  // namespace demo
