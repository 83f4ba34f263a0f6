// test-charm: what the dispatch tests need to see from a real process.
//   install          counts installs in stored state, logs "installed"
//   start            defers while config defer-start is true
//   config-changed   loads the config into TestConfig (blocked and aborted when
//                    it does not fit) and logs the greeting option
//   db-relation-changed  writes "greeting" into its unit bag from the remote
//                    unit's "host"; throws when host is "explode"
//   db-relation-departed / -broken  log what the event and the Model say
//   greet action     answers message and the install count
//   collect-status   ActiveStatus("installs: N")
#include <stdexcept>

#include "ops/ops.hpp"

struct TestConfig {
  std::string greeting;
  bool defer_start = false;
  int port = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TestConfig, greeting, defer_start, port)

class TestCharm : public ops::CharmBase {
 public:
  explicit TestCharm(ops::Framework& framework) : CharmBase(framework, "TestCharm") {
    stored_.set_default({{"installs", 0}});
    framework.observe<&TestCharm::on_install>(on.install, *this);
    framework.observe<&TestCharm::on_start>(on.start, *this);
    framework.observe<&TestCharm::on_config_changed>(on.config_changed, *this);
    framework.observe<&TestCharm::on_db_relation_changed>(on["db"].relation_changed, *this);
    framework.observe<&TestCharm::on_db_relation_departed>(on["db"].relation_departed, *this);
    framework.observe<&TestCharm::on_db_relation_broken>(on["db"].relation_broken, *this);
    framework.observe<&TestCharm::on_greet_action>(on.action("greet").action, *this);
    framework.observe<&TestCharm::on_collect_unit_status>(on.collect_unit_status, *this);
  }

  void on_install(ops::InstallEvent& /*event*/) {
    stored_.set("installs", stored_.get<int>("installs") + 1);
    ops::log::info("installed");
  }

  void on_start(ops::StartEvent& event) {
    if (config().get<bool>("defer-start")) {
      ops::log::info("start: deferred");
      event.defer();
      return;
    }
    ops::log::info("start: ran");
  }

  void on_config_changed(ops::ConfigChangedEvent& /*event*/) {
    const auto loaded = load_config<TestConfig>(ops::OnInvalid::kBlocked);
    ops::log::info("config-changed: greeting=" + loaded.greeting);
  }

  void on_db_relation_changed(ops::RelationChangedEvent& event) {
    const std::string host = event.relation().data(*event.unit()).get("host").value_or("");
    event.relation().data(unit()).set("greeting", "hello " + host);
    if (host == "explode") throw std::runtime_error("boom");
  }

  void on_db_relation_departed(ops::RelationDepartedEvent& event) {
    ops::log::info("departed: app=" + name_of(event.app()) + " unit=" + name_of(event.unit()) +
                   " departing=" + name_of(event.departing_unit()));
  }

  void on_db_relation_broken(ops::RelationBrokenEvent& event) {
    std::string listed;
    for (ops::Relation* relation : model().relations("db")) {
      listed += (listed.empty() ? "" : ",") + std::to_string(relation->id());
    }
    ops::log::info("broken: app=" + name_of(event.app()) + " unit=" + name_of(event.unit()) +
                   " active=" + (event.relation().active() ? "true" : "false") +
                   " listed=" + listed);
  }

  void on_greet_action(ops::ActionEvent& event) {
    event.set_results({{"message", "hello " + event.params().value("name", std::string("world"))},
                       {"count", {{"installs", stored_.get<int>("installs")}}}});
  }

  void on_collect_unit_status(ops::CollectStatusEvent& event) {
    event.add_status(
        ops::ActiveStatus("installs: " + std::to_string(stored_.get<int>("installs"))));
  }

 private:
  template <class T>
  static std::string name_of(const T* entity) {
    return entity == nullptr ? "none" : entity->name();
  }

  ops::StoredState stored_{*this};
};

OPS_MAIN(TestCharm)
