// Harness tests: every Harness method against DemoCharm, with exact values.
#include "ops/testing/harness.hpp"
#include "support/files.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "testing/demo_charm.hpp"

namespace {

using ops_test::read_file;

using ops::testing::Databag;
using ops::testing::Harness;
using ops::testing::HarnessError;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Records the kinds of the events it sees, with the remote unit if any.
class RecorderCharm : public ops::CharmBase {
 public:
  explicit RecorderCharm(ops::Framework& fw) : CharmBase(fw, "RecorderCharm") {
    record(on.install);
    record(on.start);
    record(on.config_changed);
    record(on.leader_elected);
    record(on.leader_settings_changed);
    for (const char* endpoint : {"db", "cluster"}) {
      record(on.relation(endpoint).relation_created);
      record(on.relation(endpoint).relation_joined);
      record(on.relation(endpoint).relation_changed);
      record(on.relation(endpoint).relation_departed);
      record(on.relation(endpoint).relation_broken);
    }
    record(on.container("workload").pebble_ready);
    record(on.storage("data").storage_attached);
    record(on.storage("data").storage_detaching);
  }

  std::vector<std::string> events;

 private:
  template <class E>
  void record(ops::EventSource<E>& source) {
    framework().observe(source, *this, "record_" + source.kind(), [this, &source](E& event) {
      std::string line = source.kind();
      if constexpr (std::is_base_of_v<ops::RelationEvent, E>) {
        line +=
            event.unit_name() ? " " + *event.unit_name() : " app=" + event.app_name().value_or("");
      }
      if constexpr (std::is_base_of_v<ops::StorageEvent, E>) {
        line += " " + event.storage_name() + "/" + std::to_string(event.storage_index());
      }
      events.push_back(line);
    });
  }
};

class HarnessTest : public ::testing::Test {
 protected:
  Harness<demo::DemoCharm> harness{demo::kMetadata, demo::kConfig, demo::kActions};

  int stored_int(const char* key) { return harness.charm().stored().get<int>(key); }
};

// ------------------------------------------------------------------ lifecycle

TEST(HarnessLifecycle, BeginWithInitialHooksFiresJujusOrder) {
  Harness<RecorderCharm> harness{demo::kMetadata, demo::kConfig, demo::kActions};
  harness.set_leader(true);
  harness.add_storage("data");
  const int db = harness.add_relation(
      "db", "postgresql", {.app_data = Databag{{"db", "x"}}, .unit_data = Databag{{"host", "pg"}}});
  EXPECT_EQ(db, 0);
  harness.begin_with_initial_hooks();
  EXPECT_THAT(
      harness.charm().events,
      ElementsAre("data_storage_attached data/0", "install", "cluster_relation_created app=demo",
                  "db_relation_created app=postgresql", "leader_elected", "config_changed", "start",
                  "workload_pebble_ready", "db_relation_changed app=postgresql",
                  "db_relation_joined postgresql/0", "db_relation_changed postgresql/0"));
  EXPECT_TRUE(harness.pebble("workload").can_connect());
  EXPECT_EQ(harness.unit_status(), ops::UnknownStatus());
}

TEST(HarnessLifecycle, NonLeaderGetsLeaderSettingsChanged) {
  Harness<RecorderCharm> harness{demo::kMetadata, demo::kConfig, demo::kActions};
  harness.begin_with_initial_hooks();
  EXPECT_THAT(harness.charm().events,
              ElementsAre("install", "cluster_relation_created app=demo", "leader_settings_changed",
                          "config_changed", "start", "workload_pebble_ready"));
}

TEST(HarnessLifecycle, NothingFiresBeforeBegin) {
  Harness<RecorderCharm> harness{demo::kMetadata, demo::kConfig, demo::kActions};
  harness.update_config({{"greeting", "hi"}});
  harness.set_leader(true);
  harness.begin();
  EXPECT_TRUE(harness.charm().events.empty());
  EXPECT_THROW(harness.begin(), HarnessError);
}

TEST(HarnessLifecycle, CharmBeforeBeginIsAnError) {
  Harness<demo::DemoCharm> harness{demo::kMetadata, demo::kConfig, demo::kActions};
  try {
    harness.charm();
    FAIL() << "expected HarnessError";
  } catch (const HarnessError& e) {
    EXPECT_STREQ(e.what(), "cannot use the charm before begin()");
  }
}

TEST_F(HarnessTest, InitialHooksSetWhatTheCharmDoes) {
  harness.set_leader(true);
  harness.handle_exec("workload", {"demo", "--version"}, {0, "demo 9.9\n", ""});
  harness.begin_with_initial_hooks();
  EXPECT_EQ(stored_int("installs"), 1);
  EXPECT_EQ(stored_int("config_count"), 1);
  EXPECT_EQ(harness.unit_status(), ops::ActiveStatus("greeting: hello"));
  EXPECT_EQ(harness.opened_ports(), (std::set<ops::Port>{{"tcp", 8080}}));
  EXPECT_EQ(harness.get_workload_version(), "demo 9.9");
  const int peers = harness.model().get_relation("cluster")->id();
  EXPECT_EQ(harness.get_relation_data(peers, "demo"), (Databag{{"leader", "demo/0"}}));
  EXPECT_THAT(harness.juju_log(),
              ::testing::Contains(ops::testing::JujuLogLine{"INFO", "installing"}));
}

// ------------------------------------------------------------------ relations

TEST_F(HarnessTest, AddRelationWithUnitDataRunsJoinedAndChanged) {
  harness.set_leader(true);
  harness.begin();
  const int id = harness.add_relation("db", "postgresql", {.unit_data = Databag{{"host", "pg"}}});
  EXPECT_EQ(harness.get_relation_data(id, "demo/0"), (Databag{{"seen-host", "pg"}}));
  EXPECT_EQ(harness.get_relation_data(id, "demo"), (Databag{{"requested", "yes"}}));
  EXPECT_EQ(harness.get_relation_data(id, "postgresql/0"), (Databag{{"host", "pg"}}));
  ops::Relation* relation = harness.model().get_relation("db");
  ASSERT_NE(relation, nullptr);
  ASSERT_EQ(relation->units().size(), 1u);
  EXPECT_EQ(relation->units()[0]->name(), "postgresql/0");
  EXPECT_EQ(relation->app()->name(), "postgresql");
}

TEST_F(HarnessTest, UpdateRelationDataFiresChangedForTheRemoteSideOnly) {
  Harness<RecorderCharm> recorder{demo::kMetadata, demo::kConfig, demo::kActions};
  recorder.begin();
  const int id = recorder.add_relation("db", "postgresql");
  recorder.add_relation_unit(id, "postgresql/0");
  const int peers = recorder.add_relation("cluster", "demo");
  recorder.charm().events.clear();
  recorder.update_relation_data(id, "postgresql/0", {{"host", "a"}});
  recorder.update_relation_data(id, "postgresql/0", {{"host", "a"}});  // unchanged: no event
  recorder.update_relation_data(id, "postgresql", {{"db", "main"}});
  recorder.update_relation_data(id, "demo/0", {{"mine", "1"}});  // our unit: no event
  recorder.update_relation_data(id, "demo", {{"mine", "1"}});    // our app, not peer: no event
  recorder.update_relation_data(peers, "demo", {{"k", "v"}});    // peer app, not leader: event
  EXPECT_THAT(recorder.charm().events,
              ElementsAre("db_relation_changed postgresql/0", "db_relation_changed app=postgresql",
                          "cluster_relation_changed app=demo"));
  EXPECT_EQ(recorder.get_relation_data(id, "demo/0"), (Databag{{"mine", "1"}}));
  recorder.update_relation_data(id, "postgresql/0", {{"host", ""}});
  EXPECT_EQ(recorder.get_relation_data(id, "postgresql/0"), Databag{});
}

// The Harness keeps the last relation event's snapshot for the next one:
// repeated, alternating and nested relation events each see their own unit.
TEST_F(HarnessTest, RepeatedAndNestedRelationEventsSeeTheirOwnUnit) {
  Harness<RecorderCharm> recorder{demo::kMetadata, demo::kConfig, demo::kActions};
  recorder.begin();
  const int id = recorder.add_relation("db", "postgresql");
  recorder.add_relation_unit(id, "postgresql/0");
  recorder.add_relation_unit(id, "postgresql/1");
  RecorderCharm& charm = recorder.charm();
  charm.events.clear();
  recorder.update_relation_data(id, "postgresql/0", {{"n", "1"}});
  recorder.update_relation_data(id, "postgresql/0", {{"n", "2"}});
  recorder.update_relation_data(id, "postgresql/1", {{"n", "1"}});
  bool fired = false;
  charm.framework().observe(charm.on.relation("db").relation_joined, charm, "fire_nested",
                            [&](ops::RelationJoinedEvent& /*event*/) {
                              if (fired) return;
                              fired = true;
                              recorder.update_relation_data(id, "postgresql/1", {{"n", "2"}});
                            });
  recorder.fire<ops::RelationJoinedEvent>({.relation_name = "db",
                                           .relation_id = id,
                                           .app_name = "postgresql",
                                           .unit_name = "postgresql/0"});
  recorder.update_relation_data(id, "postgresql/0", {{"n", "3"}});
  EXPECT_THAT(charm.events,
              ElementsAre("db_relation_changed postgresql/0", "db_relation_changed postgresql/0",
                          "db_relation_changed postgresql/1", "db_relation_joined postgresql/0",
                          "db_relation_changed postgresql/1", "db_relation_changed postgresql/0"));
}

TEST_F(HarnessTest, AddRelationUnitFiresJoinedThenChanged) {
  Harness<RecorderCharm> recorder{demo::kMetadata, demo::kConfig, demo::kActions};
  recorder.begin();
  const int id = recorder.add_relation("db", "postgresql");
  recorder.add_relation_unit(id, "postgresql/3");
  EXPECT_THAT(recorder.charm().events,
              ElementsAre("db_relation_created app=postgresql", "db_relation_joined postgresql/3",
                          "db_relation_changed postgresql/3"));
  EXPECT_THROW(recorder.add_relation_unit(id, "mysql/0"), HarnessError);
  EXPECT_THROW(recorder.add_relation_unit(id, "postgresql/3"), HarnessError);
}

TEST_F(HarnessTest, RemoveRelationUnitAndRelation) {
  Harness<RecorderCharm> recorder{demo::kMetadata, demo::kConfig, demo::kActions};
  recorder.begin();
  const int id = recorder.add_relation("db", "postgresql");
  recorder.add_relation_unit(id, "postgresql/0");
  recorder.add_relation_unit(id, "postgresql/1");
  recorder.charm().events.clear();
  recorder.remove_relation_unit(id, "postgresql/0");
  EXPECT_THROW(recorder.get_relation_data(id, "postgresql/0"), HarnessError);
  recorder.remove_relation(id);
  EXPECT_THAT(recorder.charm().events,
              ElementsAre("db_relation_departed postgresql/0", "db_relation_departed postgresql/1",
                          "db_relation_broken app=postgresql"));
  EXPECT_TRUE(recorder.model().relations("db").empty());
  EXPECT_THROW(recorder.get_relation_data(id, "demo/0"), HarnessError);
}

TEST_F(HarnessTest, DepartedSeesTheDepartingUnitAndBrokenTheInactiveRelation) {
  harness.begin();
  const int id = harness.add_relation("db", "postgresql", {.unit_data = Databag{{"host", "pg"}}});
  harness.remove_relation_unit(id, "postgresql/0");
  EXPECT_EQ(harness.juju_log().back(),
            (ops::testing::JujuLogLine{"INFO", "departed postgresql/0 (departing postgresql/0)"}));
  harness.remove_relation(id);
  EXPECT_TRUE(harness.charm().stored().get<bool>("db_broken"));
}

TEST_F(HarnessTest, RelationErrorsNameTheProblem) {
  try {
    harness.add_relation("nope", "x");
    FAIL();
  } catch (const HarnessError& e) {
    EXPECT_STREQ(e.what(), "relation endpoint 'nope' is not declared in the metadata");
  }
  try {
    harness.get_relation_data(42, "demo");
    FAIL();
  } catch (const HarnessError& e) {
    EXPECT_STREQ(e.what(), "there is no relation with id 42");
  }
  EXPECT_THROW(harness.add_relation("cluster", "other"), HarnessError);
}

// ------------------------------------------------------------- access rules

class RudeCharm : public ops::CharmBase {
 public:
  explicit RudeCharm(ops::Framework& fw) : CharmBase(fw, "RudeCharm") {
    fw.observe<&RudeCharm::on_db_changed>(on["db"].relation_changed, *this);
    fw.observe<&RudeCharm::on_update_status>(on.update_status, *this);
  }
  void on_db_changed(ops::RelationChangedEvent& event) {
    event.relation().data(*event.unit()).set("hack", "1");
  }
  void on_update_status(ops::UpdateStatusEvent&) {
    model().get_relation("db")->data(app()).set("hack", "1");
  }
};

TEST(HarnessAccess, WritingARemoteUnitBagFailsTheHook) {
  Harness<RudeCharm> harness{demo::kMetadata, demo::kConfig, demo::kActions};
  harness.begin();
  const int id = harness.add_relation("db", "postgresql");
  try {
    harness.add_relation_unit(id, "postgresql/0");
    FAIL() << "expected UncaughtCharmError";
  } catch (const ops::testing::UncaughtCharmError& e) {
    EXPECT_EQ(e.handler(), "RudeCharm.on_db_changed");
    EXPECT_EQ(e.event_kind(), "db_relation_changed");
    EXPECT_STREQ(e.what(),
                 "Uncaught exception in RudeCharm.on_db_changed while handling db_relation_changed "
                 "(RudeCharm/on/db_relation_changed[7]): ops::RelationDataAccessError: demo/0 "
                 "cannot write the databag of postgresql/0: not the same unit");
    EXPECT_THROW(e.rethrow_original(), ops::RelationDataAccessError);
  }
  EXPECT_EQ(harness.get_relation_data(id, "postgresql/0"), Databag{});
}

TEST(HarnessAccess, NonLeaderCannotWriteItsAppBag) {
  Harness<RudeCharm> harness{demo::kMetadata, demo::kConfig, demo::kActions};
  harness.begin();
  harness.add_relation("db", "postgresql");
  try {
    harness.fire<ops::UpdateStatusEvent>();
    FAIL() << "expected UncaughtCharmError";
  } catch (const ops::testing::UncaughtCharmError& e) {
    EXPECT_EQ(e.handler(), "RudeCharm.on_update_status");
    EXPECT_THAT(e.what(), HasSubstr("ops::RelationDataAccessError: demo/0 is not leader and "
                                    "cannot write application data"));
  }
  // Outside events the rules are off: test code may write any bag.
  harness.model().get_relation("db")->data(harness.model().app()).set("by-test", "ok");
  EXPECT_EQ(harness.get_relation_data(0, "demo"), (Databag{{"by-test", "ok"}}));
}

// ------------------------------------------------------- leadership, config

TEST_F(HarnessTest, SetLeaderFiresLeaderElectedOnlyWhenBecomingLeader) {
  harness.begin();
  const int peers = harness.add_relation("cluster", "demo");
  harness.set_leader(true);
  EXPECT_EQ(harness.get_relation_data(peers, "demo"), (Databag{{"leader", "demo/0"}}));
  EXPECT_TRUE(harness.model().unit().is_leader());
  harness.update_relation_data(peers, "demo", {{"leader", ""}});
  harness.set_leader(true);  // already leader: no event
  EXPECT_EQ(harness.get_relation_data(peers, "demo"), Databag{});
  harness.set_leader(false);
  EXPECT_FALSE(harness.model().unit().is_leader());
}

TEST_F(HarnessTest, UpdateConfigFiresConfigChanged) {
  harness.begin();
  harness.update_config({{"greeting", "hi"}, {"port", 9000}, {"ratio", 1.0}});
  EXPECT_EQ(stored_int("config_count"), 1);
  EXPECT_EQ(harness.unit_status(), ops::ActiveStatus("greeting: hi"));
  EXPECT_EQ(harness.model().config().get<int>("port"), 9000);
  EXPECT_EQ(harness.model().config().get<double>("ratio"), 1.0);
  harness.update_config({}, {"greeting"});
  EXPECT_EQ(harness.unit_status(), ops::ActiveStatus("greeting: hello"));
  EXPECT_EQ(stored_int("config_count"), 2);
}

// A Harness keeps the current status only: a test firing a million events
// does not hold a million replaced statuses (Context keeps its histories).
TEST_F(HarnessTest, StatusesReplacedAreNotKept) {
  harness.begin();
  for (int i = 0; i < 3; ++i) harness.update_config({{"greeting", "hi" + std::to_string(i)}});
  EXPECT_EQ(harness.unit_status(), ops::ActiveStatus("greeting: hi2"));
  EXPECT_TRUE(harness.backend().data().unit_status_history.empty());
}

TEST_F(HarnessTest, UpdateConfigRefusesUnknownKeysAndWrongTypes) {
  harness.begin();
  try {
    harness.update_config({{"colour", "red"}});
    FAIL();
  } catch (const HarnessError& e) {
    EXPECT_STREQ(e.what(), "unknown config option 'colour' (not in config.yaml)");
  }
  try {
    harness.update_config({{"port", "80"}});
    FAIL();
  } catch (const HarnessError& e) {
    EXPECT_STREQ(e.what(), "config option 'port' is of type int, not \"80\"");
  }
  // Exact types, as Python's Harness checks them: an integer is not a float
  // (the same rule as Context's consistency checker).
  try {
    harness.update_config({{"ratio", 2}});
    FAIL();
  } catch (const HarnessError& e) {
    EXPECT_STREQ(e.what(), "config option 'ratio' is of type float, not 2");
  }
  EXPECT_THROW(harness.update_config({{"defer-config", 1}}), HarnessError);
  EXPECT_THROW(harness.update_config({}, {"nope"}), HarnessError);
  EXPECT_EQ(stored_int("config_count"), 0);
}

TEST_F(HarnessTest, PlannedUnits) {
  harness.begin();
  const int peers = harness.add_relation("cluster", "demo");
  harness.add_relation_unit(peers, "demo/1");
  EXPECT_EQ(harness.model().app().planned_units(), 2);
  harness.set_planned_units(5);
  EXPECT_EQ(harness.model().app().planned_units(), 5);
  harness.reset_planned_units();
  EXPECT_EQ(harness.model().app().planned_units(), 2);
}

TEST_F(HarnessTest, AddNetwork) {
  harness.begin();
  const int id = harness.add_relation("db", "postgresql");
  harness.add_network("10.0.0.5", {.endpoint = "db"});
  harness.add_network("10.0.1.7", {.endpoint = "db", .relation_id = id});
  EXPECT_EQ(harness.model().get_binding("db").network().bind_address(), "10.0.0.5");
  const ops::Network& per_relation =
      harness.model().get_binding(*harness.model().get_relation("db")).network();
  EXPECT_EQ(per_relation.interfaces,
            (std::vector<ops::NetworkInterface>{{"eth0", "10.0.1.7", "10.0.1.0/24"}}));
  EXPECT_EQ(per_relation.egress_subnets, std::vector<std::string>{"10.0.1.0/24"});
  EXPECT_EQ(harness.model().get_binding("metrics").network().ingress_address(), "192.0.2.0");
  EXPECT_THROW(harness.add_network("1.2.3.4", {.endpoint = "nope"}), HarnessError);
  EXPECT_THROW((void)harness.model().get_binding("nope").network(), ops::ModelError);
}

TEST_F(HarnessTest, ModelNameAndUuid) {
  harness.set_model_name("prod");
  harness.set_model_uuid("1234");
  harness.begin();
  EXPECT_EQ(harness.model().name(), "prod");
  EXPECT_EQ(harness.model().uuid(), "1234");
  EXPECT_THROW(harness.set_model_name("x"), HarnessError);
}

// ------------------------------------------------------- storage, resources

TEST_F(HarnessTest, StorageAttachDetachRemove) {
  Harness<RecorderCharm> recorder{demo::kMetadata, demo::kConfig, demo::kActions};
  recorder.begin();
  const auto ids = recorder.add_storage("data", 2, true);
  EXPECT_EQ(ids, (std::vector<std::string>{"data/0", "data/1"}));
  auto& instances = recorder.model().storages()["data"];
  ASSERT_EQ(instances.size(), 2u);
  EXPECT_TRUE(std::filesystem::is_directory(instances[1].location()));
  recorder.detach_storage("data/0");
  EXPECT_EQ(recorder.model().storages()["data"].size(), 1u);
  recorder.attach_storage("data/0");
  recorder.remove_storage("data/1");
  EXPECT_THAT(recorder.charm().events,
              ElementsAre("data_storage_attached data/0", "data_storage_attached data/1",
                          "data_storage_detaching data/0", "data_storage_attached data/0",
                          "data_storage_detaching data/1"));
  EXPECT_THROW(recorder.add_storage("nope"), HarnessError);
  EXPECT_THROW(recorder.attach_storage("data/9"), HarnessError);
}

TEST_F(HarnessTest, StorageAttachedEventCarriesTheLocation) {
  harness.begin();
  harness.add_storage("data", 1, true);
  EXPECT_EQ(harness.charm().stored().get<std::string>("storage"),
            harness.model().storages()["data"][0].location().string());
}

TEST_F(HarnessTest, AddResourceWritesTheFile) {
  harness.add_resource("config-file", "key=value\n");
  harness.begin();
  const auto path = harness.model().resources().fetch("config-file");
  EXPECT_EQ(path.filename(), "app.conf");
  EXPECT_EQ(read_file(path), "key=value\n");
  EXPECT_THROW(harness.add_resource("workload-image", "x"), HarnessError);
  EXPECT_THROW(harness.add_resource("nope", "x"), HarnessError);
}

// --------------------------------------------------------------- containers

TEST_F(HarnessTest, PebbleReadyConfiguresTheWorkload) {
  harness.handle_exec("workload", {"demo"}, {0, "demo 2.0\n", ""});
  harness.begin();
  EXPECT_FALSE(harness.model().unit().get_container("workload").can_connect());
  harness.container_pebble_ready("workload");
  EXPECT_TRUE(harness.model().unit().get_container("workload").can_connect());
  const ops::pebble::Plan plan = harness.get_container_pebble_plan("workload");
  ASSERT_EQ(plan.services.count("demo"), 1u);
  EXPECT_EQ(plan.services.at("demo").command, "/bin/demo --port 8080");
  EXPECT_EQ(harness.pebble("workload").service_status("demo"), ops::pebble::ServiceStatus::kActive);
  const auto file = harness.get_filesystem_root("workload") / "etc/demo.conf";
  EXPECT_EQ(read_file(file), "greeting=hello\n");
  EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::mask,
            std::filesystem::perms(0600));
  ASSERT_EQ(harness.pebble("workload").exec_history().size(), 1u);
  EXPECT_EQ(harness.pebble("workload").exec_history()[0].command,
            (std::vector<std::string>{"demo", "--version"}));
  EXPECT_EQ(harness.get_workload_version(), "demo 2.0");
  const auto services = harness.model().unit().get_container("workload").get_services();
  EXPECT_TRUE(services.at("demo").is_running());
}

TEST_F(HarnessTest, ContainerFilesystemIsTheRootDirectory) {
  harness.begin();
  harness.set_can_connect("workload", true);
  std::filesystem::create_directories(harness.get_filesystem_root("workload") / "srv");
  { std::ofstream(harness.get_filesystem_root("workload") / "srv/data.txt") << "payload"; }
  ops::Container& container = harness.model().unit().get_container("workload");
  EXPECT_EQ(container.pull("/srv/data.txt"), "payload");
  EXPECT_TRUE(container.exists("/srv"));
  EXPECT_FALSE(container.exists("/nope"));
  EXPECT_THROW((void)container.pull("/nope"), ops::pebble::PathError);
  harness.set_can_connect("workload", false);
  EXPECT_THROW((void)container.pull("/srv/data.txt"), ops::pebble::ConnectionError);
  EXPECT_THROW((void)harness.pebble("sidecar"), HarnessError);
}

TEST_F(HarnessTest, ExecWithoutAHandlerFailsTheHookNamingTheCommand) {
  harness.begin();
  try {
    harness.container_pebble_ready("workload");
    FAIL() << "expected UncaughtCharmError";
  } catch (const ops::testing::UncaughtCharmError& e) {
    EXPECT_EQ(e.handler(), "DemoCharm.on_pebble_ready");
    EXPECT_THAT(e.what(), HasSubstr("no exec result registered for command \"demo --version\" in "
                                    "container 'workload' (register one with handle_exec)"));
  }
}

TEST_F(HarnessTest, ExecHandlersMatchTheLongestPrefixAndSeeTheArguments) {
  harness.begin();
  harness.set_can_connect("workload", true);
  harness.handle_exec("workload", {"ls"}, {0, "short", ""});
  harness.handle_exec("workload", {"ls", "-l"}, [](const ops::testing::ExecArgs& args) {
    return ops::testing::ExecResult{2, "", "no " + args.environment.at("WHAT")};
  });
  ops::Container& container = harness.model().unit().get_container("workload");
  EXPECT_EQ(container.exec({"ls", "/"})->wait_output().stdout, "short");
  try {
    container.exec({"ls", "-l", "/x"}, {.environment = {{"WHAT", "x"}}})->wait_output();
    FAIL() << "expected ExecError";
  } catch (const ops::pebble::ExecError& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_EQ(e.stderr(), "no x");
  }
  EXPECT_EQ(harness.pebble("workload").exec_history()[1].environment,
            (std::map<std::string, std::string>{{"WHAT", "x"}}));
}

TEST_F(HarnessTest, NoticesAndChecksFireWorkloadEvents) {
  harness.handle_exec("workload", {"demo"}, {0, "v\n", ""});
  harness.begin();
  harness.container_pebble_ready("workload");
  const std::string id = harness.pebble_notify("workload", "example.com/reload", {{"a", "b"}});
  EXPECT_EQ(id, "1");
  EXPECT_EQ(harness.juju_log().back(),
            (ops::testing::JujuLogLine{"INFO", "notice example.com/reload"}));
  EXPECT_EQ(harness.model().unit().get_container("workload").get_notice("1").last_data,
            (std::map<std::string, std::string>{{"a", "b"}}));
  harness.pebble_check_failed("workload", "up");
  EXPECT_EQ(harness.unit_status(), ops::MaintenanceStatus("check up failed"));
  const auto check = harness.model().unit().get_container("workload").get_check("up");
  EXPECT_EQ(check.status, ops::pebble::CheckStatus::kDown);
  EXPECT_EQ(check.failures, 3);
  EXPECT_THROW(harness.pebble_check_failed("workload", "nope"), HarnessError);
}

// ------------------------------------------------------------------ actions

TEST_F(HarnessTest, RunActionReturnsResultsAndLogs) {
  harness.begin();
  const auto output = harness.run_action("greet", {{"name", "bob"}, {"times", 2}});
  EXPECT_EQ(output.results, (nlohmann::json{{"message", "hello bob"}, {"times", 2}}));
  EXPECT_EQ(output.logs, std::vector<std::string>{"greeting bob"});
  EXPECT_EQ(harness.run_action("greet").results, (nlohmann::json{{"message", "hello world"}}));
}

TEST_F(HarnessTest, RunActionFailureIsTyped) {
  harness.begin();
  try {
    harness.run_action("fail-me");
    FAIL() << "expected ActionFailed";
  } catch (const ops::testing::ActionFailed& e) {
    EXPECT_EQ(e.message(), "it failed");
    EXPECT_EQ(e.output().logs, std::vector<std::string>{"about to fail"});
  }
}

TEST_F(HarnessTest, RunActionChecksParameters) {
  EXPECT_THROW(harness.run_action("greet"), HarnessError);  // before begin
  harness.begin();
  auto expect_error = [&](const std::string& action, const nlohmann::json& params,
                          const std::string& message) {
    try {
      harness.run_action(action, params);
      ADD_FAILURE() << "expected HarnessError for " << action;
    } catch (const HarnessError& e) {
      EXPECT_EQ(e.what(), message);
    }
  };
  expect_error("nope", nlohmann::json::object(), "action 'nope' is not declared in actions.yaml");
  expect_error("backup", nlohmann::json::object(), "action 'backup' requires parameter 'target'");
  expect_error("greet", {{"colour", "red"}}, "action 'greet' has no parameter 'colour'");
  expect_error("greet", {{"times", "two"}},
               "parameter 'times' of action 'greet' must be of type \"integer\", not \"two\"");
}

// ------------------------------------------------------------------ secrets

TEST_F(HarnessTest, GrantedSecretChangesReachTheCharm) {
  harness.begin();
  const std::string id = harness.add_model_secret("vault", {{"password", "one"}});
  EXPECT_THAT(id, ::testing::StartsWith("secret:"));
  EXPECT_EQ(id.size(), 27u);
  harness.grant_secret(id, "demo");
  harness.set_secret_content(id, {{"password", "two"}});
  EXPECT_EQ(harness.charm().stored().get<std::string>("secret_value"), "two");
  EXPECT_EQ(harness.get_secret_revisions(id), (std::vector<int>{1, 2}));
  EXPECT_EQ(harness.model().get_secret(id).get_content(), (Databag{{"password", "two"}}));
}

TEST_F(HarnessTest, UngrantedSecretIsNotFound) {
  harness.begin();
  const std::string id = harness.add_model_secret("vault", {{"password", "one"}});
  try {
    harness.set_secret_content(id, {{"password", "two"}});
    FAIL() << "expected UncaughtCharmError";
  } catch (const ops::testing::UncaughtCharmError& e) {
    EXPECT_EQ(e.handler(), "DemoCharm.on_secret_changed");
    EXPECT_THROW(e.rethrow_original(), ops::SecretNotFoundError);
  }
  harness.grant_secret(id, "demo/0");
  harness.revoke_secret(id, "demo/0");
  EXPECT_THROW((void)harness.model().get_secret(id), ops::SecretNotFoundError);
}

TEST_F(HarnessTest, OwnedSecretRotationAndGrants) {
  harness.set_leader(true);
  harness.begin();
  const int db = harness.add_relation("db", "postgresql");
  ops::Secret secret = harness.model().app().add_secret({{"password", "first"}}, {.label = "pw"});
  const std::string id = *secret.id();
  secret.grant(*harness.model().get_relation("db"));
  EXPECT_EQ(harness.get_secret_grants(id, db), std::set<std::string>{"postgresql"});
  harness.trigger_secret_rotation(id);
  EXPECT_EQ(harness.get_secret_revisions(id), (std::vector<int>{1, 2}));
  EXPECT_EQ(harness.model().get_secret(std::nullopt, "pw").peek_content(),
            (Databag{{"password", "rotated"}}));
  const std::string remote = harness.add_model_secret("vault", {{"password", "x"}});
  EXPECT_THROW(harness.trigger_secret_rotation(remote), HarnessError);
  harness.remove_relation(db);
  EXPECT_EQ(harness.get_secret_grants(id, db), std::set<std::string>{});
}

// ------------------------------------------------------------------- status

TEST_F(HarnessTest, EvaluateStatusSetsCollectedStatuses) {
  harness.set_leader(true);
  harness.begin();
  harness.evaluate_status();
  EXPECT_EQ(harness.unit_status(), ops::ActiveStatus("ready"));
  EXPECT_EQ(harness.app_status(), ops::ActiveStatus("app ready"));
  harness.update_config({{"greeting", ""}});
  harness.evaluate_status();
  EXPECT_EQ(harness.unit_status(), ops::BlockedStatus("no greeting"));
}

TEST_F(HarnessTest, EvaluateStatusOnANonLeaderLeavesTheAppStatus) {
  harness.begin();
  harness.evaluate_status();
  EXPECT_EQ(harness.unit_status(), ops::ActiveStatus("ready"));
  EXPECT_EQ(harness.app_status(), ops::UnknownStatus());
}

// --------------------------------------------------- hooks, deferral, errors

TEST_F(HarnessTest, HooksDisabledScope) {
  harness.begin();
  {
    auto off = harness.hooks_disabled();
    harness.update_config({{"greeting", "quiet"}});
    EXPECT_FALSE(harness.hooks_enabled());
  }
  EXPECT_TRUE(harness.hooks_enabled());
  EXPECT_EQ(stored_int("config_count"), 0);
  EXPECT_EQ(harness.model().config().get<std::string>("greeting"), "quiet");
  harness.update_config({{"port", 1}});
  EXPECT_EQ(stored_int("config_count"), 1);
}

TEST_F(HarnessTest, DeferredEventsAreReemittedBeforeTheNextEvent) {
  harness.begin();
  harness.update_config({{"defer-config", true}});
  EXPECT_EQ(stored_int("config_count"), 0);
  const auto notices = harness.storage().notices();
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].observer_path, "DemoCharm");
  EXPECT_EQ(notices[0].method_name, "on_config_changed");
  harness.fire<ops::UpdateStatusEvent>();  // re-emits; still deferring
  EXPECT_EQ(harness.storage().notices().size(), 1u);
  harness.update_config({{"defer-config", false}});  // deferred one, then the new one
  EXPECT_EQ(stored_int("config_count"), 2);
  EXPECT_TRUE(harness.storage().notices().empty());
}

TEST_F(HarnessTest, CharmExceptionNamesTheHandler) {
  harness.begin();
  try {
    harness.update_config({{"explode", true}});
    FAIL() << "expected UncaughtCharmError";
  } catch (const ops::testing::UncaughtCharmError& e) {
    EXPECT_EQ(e.handler(), "DemoCharm.on_config_changed");
    EXPECT_EQ(e.event_kind(), "config_changed");
    EXPECT_STREQ(e.what(),
                 "Uncaught exception in DemoCharm.on_config_changed while handling config_changed "
                 "(DemoCharm/on/config_changed[1]): std::runtime_error: boom");
    try {
      e.rethrow_original();
    } catch (const std::runtime_error& original) {
      EXPECT_STREQ(original.what(), "boom");
    }
  }
  // Nothing of the failed event was committed: no deferred notice is left.
  EXPECT_TRUE(harness.storage().notices().empty());
  harness.update_config({{"explode", false}});
  EXPECT_EQ(stored_int("config_count"), 1);
}

}  // namespace
