// Context/State tests: events as state transitions of DemoCharm.
#include "ops/testing/context.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "support/temp_dir.hpp"
#include "testing/demo_charm.hpp"

namespace {

using ops::testing::Container;
using ops::testing::Context;
using ops::testing::Databag;
using ops::testing::DeferredEvent;
using ops::testing::EmittedEvent;
using ops::testing::InconsistentStateError;
using ops::testing::Relation;
using ops::testing::State;
using ::testing::ElementsAre;

class ContextTest : public ::testing::Test {
 protected:
  Context<demo::DemoCharm> ctx{demo::kMetadata, demo::kConfig, demo::kActions};

  static nlohmann::json stored(const State& state) {
    return state.get_stored_state("DemoCharm").content;
  }
};

TEST_F(ContextTest, ConfigChangedRunsAWholeDispatch) {
  const State out =
      ctx.run(ctx.on.config_changed(), {.config = {{"greeting", "hi"}}, .leader = true});
  EXPECT_EQ(out.unit_status, ops::ActiveStatus("ready"));  // collect-status ran last
  EXPECT_EQ(out.app_status, ops::ActiveStatus("app ready"));
  EXPECT_THAT(ctx.unit_status_history,
              ElementsAre(ops::UnknownStatus(), ops::ActiveStatus("greeting: hi")));
  EXPECT_EQ(stored(out),
            (nlohmann::json{{"installs", 0}, {"config_count", 1}, {"db_broken", false}}));
  EXPECT_THAT(ctx.emitted_events, ElementsAre(EmittedEvent{"config_changed", nullptr}));
  EXPECT_TRUE(out.deferred.empty());
}

TEST_F(ContextTest, EachRunStartsFromItsInputState) {
  const State in{};
  const State first = ctx.run(ctx.on.config_changed(), in);
  const State again = ctx.run(ctx.on.config_changed(), in);
  EXPECT_EQ(stored(first)["config_count"], 1);
  EXPECT_EQ(stored(again)["config_count"], 1);
  const State chained = ctx.run(ctx.on.config_changed(), first);
  EXPECT_EQ(stored(chained)["config_count"], 2);
  EXPECT_TRUE(in.stored_states.empty());
}

TEST_F(ContextTest, InstallAndStart) {
  State out = ctx.run(ctx.on.install(), {});
  EXPECT_THAT(ctx.juju_log, ::testing::Contains(ops::testing::JujuLogLine{"INFO", "installing"}));
  out = ctx.run(ctx.on.start(), out);
  EXPECT_EQ(out.workload_version, "1.2.3");
  EXPECT_EQ(out.opened_ports, (std::set<ops::Port>{{"tcp", 8080}}));
  EXPECT_EQ(stored(out)["installs"], 1);
}

TEST_F(ContextTest, StoredStateComesFromTheInput) {
  const State out = ctx.run(
      ctx.on.install(),
      {.stored_states = {{"DemoCharm", "_stored", {{"installs", 5}, {"config_count", 2}}}}});
  EXPECT_EQ(stored(out),
            (nlohmann::json{{"installs", 6}, {"config_count", 2}, {"db_broken", false}}));
}

TEST_F(ContextTest, RelationChangedWritesOwnBags) {
  const Relation db{.endpoint = "db",
                    .remote_app_name = "postgresql",
                    .remote_units_data = {{0, {{"host", "pg"}}}}};
  const State out = ctx.run(ctx.on.relation_changed(db), {.leader = true, .relations = {db}});
  const Relation& after = out.get_relation(db.id);
  EXPECT_EQ(after.local_unit_data, (Databag{{"seen-host", "pg"}}));
  EXPECT_EQ(after.local_app_data, (Databag{{"requested", "yes"}}));
  EXPECT_EQ(after.remote_units_data, db.remote_units_data);
  EXPECT_THAT(ctx.emitted_events, ElementsAre(EmittedEvent{"db_relation_changed",
                                                           {{"relation_name", "db"},
                                                            {"relation_id", db.id},
                                                            {"app_name", "postgresql"},
                                                            {"unit_name", "postgresql/0"}}}));
}

TEST_F(ContextTest, AppLevelRelationChangedAndNonLeader) {
  const Relation db{.endpoint = "db", .remote_app_name = "postgresql"};
  const State out = ctx.run(ctx.on.relation_changed(db, std::nullopt, true), {.relations = {db}});
  EXPECT_EQ(out.get_relation(db.id).local_unit_data, (Databag{{"seen-host", "app"}}));
  EXPECT_EQ(out.get_relation(db.id).local_app_data, Databag{});
}

TEST_F(ContextTest, PeerRelationOnLeaderElected) {
  const Relation peers = ops::testing::peer_relation("cluster", {{1, {{"x", "y"}}}});
  const State out = ctx.run(ctx.on.leader_elected(), {.leader = true, .relations = {peers}});
  EXPECT_EQ(out.get_relation(peers.id).local_app_data, (Databag{{"leader", "demo/0"}}));
}

TEST_F(ContextTest, RelationDepartedAndBroken) {
  const Relation db{
      .endpoint = "db", .remote_app_name = "postgresql", .remote_units_data = {{0, {}}, {1, {}}}};
  State out = ctx.run(ctx.on.relation_departed(db, 1, 1), {.relations = {db}});
  EXPECT_EQ(ctx.juju_log.back(),
            (ops::testing::JujuLogLine{"INFO", "departed postgresql/1 (departing postgresql/1)"}));
  out = ctx.run(ctx.on.relation_broken(db), out);
  EXPECT_EQ(stored(out)["db_broken"], true);
}

TEST_F(ContextTest, PebbleReadyChangesTheContainer) {
  const Container workload{.name = "workload",
                           .can_connect = true,
                           .execs = {{{"demo", "--version"}, {0, "demo 3\n", ""}}}};
  const State out = ctx.run(ctx.on.pebble_ready(workload), {.containers = {workload}});
  const Container& after = out.get_container("workload");
  ASSERT_EQ(after.layers.size(), 1u);
  EXPECT_EQ(after.layers[0].first, "demo");
  EXPECT_EQ(after.plan().services.at("demo").command, "/bin/demo --port 8080");
  EXPECT_EQ(after.service_statuses, (std::map<std::string, ops::pebble::ServiceStatus>{
                                        {"demo", ops::pebble::ServiceStatus::kActive}}));
  EXPECT_EQ(after.files,
            (std::map<std::string, std::string>{{"/etc/demo.conf", "greeting=hello\n"}}));
  EXPECT_EQ(out.workload_version, "demo 3");
  ASSERT_EQ(ctx.exec_history.size(), 1u);
  EXPECT_EQ(ctx.exec_history[0].command, (std::vector<std::string>{"demo", "--version"}));
  EXPECT_EQ(ctx.exec_history[0].container, "workload");
}

TEST_F(ContextTest, ContainerFilesAreReadableByTheCharm) {
  Container workload{.name = "workload",
                     .can_connect = true,
                     .files = {{"/etc/old.conf", "old"}},
                     .execs = {{{"demo"}, {0, "v\n", ""}}}};
  const State out = ctx.run(ctx.on.pebble_ready(workload), {.containers = {workload}});
  EXPECT_EQ(out.get_container("workload").files,
            (std::map<std::string, std::string>{{"/etc/demo.conf", "greeting=hello\n"},
                                                {"/etc/old.conf", "old"}}));
}

TEST_F(ContextTest, NoticeAndCheckEvents) {
  ops::pebble::Notice notice;
  notice.id = "7";
  notice.type = "custom";
  notice.key = "example.com/reload";
  const Container workload{.name = "workload", .can_connect = true, .notices = {notice}};
  State out = ctx.run(ctx.on.pebble_custom_notice(workload, notice), {.containers = {workload}});
  EXPECT_EQ(ctx.juju_log.back(), (ops::testing::JujuLogLine{"INFO", "notice example.com/reload"}));
  EXPECT_EQ(ctx.emitted_events[0].snapshot, (nlohmann::json{{"container_name", "workload"},
                                                            {"notice_id", "7"},
                                                            {"notice_type", "custom"},
                                                            {"notice_key", "example.com/reload"}}));
  out = ctx.run(ctx.on.pebble_check_failed(workload, "up"), out);
  EXPECT_EQ(ctx.unit_status_history.back(), ops::MaintenanceStatus("check up failed"));
  EXPECT_EQ(out.unit_status, ops::ActiveStatus("ready"));
}

TEST_F(ContextTest, StorageAttached) {
  const ops::testing::Storage data{.name = "data", .index = 0};
  const State out = ctx.run(ctx.on.storage_attached(data), {.storages = {data}});
  EXPECT_EQ(stored(out)["storage"], "/var/lib/juju/storage/data/0");
}

TEST_F(ContextTest, ActionResultsAndFailure) {
  ctx.run(ctx.on.action("greet", {{"name", "bob"}}), {});
  EXPECT_EQ(ctx.action_results, (nlohmann::json{{"message", "hello bob"}}));
  EXPECT_EQ(ctx.action_logs, std::vector<std::string>{"greeting bob"});
  try {
    ctx.run(ctx.on.action("fail-me"), {});
    FAIL() << "expected ActionFailed";
  } catch (const ops::testing::ActionFailed& e) {
    EXPECT_EQ(e.message(), "it failed");
    EXPECT_EQ(e.output().logs, std::vector<std::string>{"about to fail"});
  }
  EXPECT_EQ(ctx.action_failure, "it failed");
}

TEST_F(ContextTest, SecretChangedRefreshesToTheLatestRevision) {
  const ops::testing::Secret secret{.id = "secret:abc",
                                    .tracked_content = {{"password", "old"}},
                                    .latest_content = Databag{{"password", "new"}}};
  const State out = ctx.run(ctx.on.secret_changed(secret), {.secrets = {secret}});
  EXPECT_EQ(stored(out)["secret_value"], "new");
  const auto& after = out.get_secret("secret:abc");
  EXPECT_EQ(after.tracked_revision, 2);
  EXPECT_EQ(after.tracked_content, (Databag{{"password", "new"}}));
  EXPECT_EQ(after.latest_content, std::nullopt);
}

TEST_F(ContextTest, OwnedSecretRotation) {
  const ops::testing::Secret secret{
      .id = "secret:own", .tracked_content = {{"password", "first"}}, .owner = "unit"};
  const State out = ctx.run(ctx.on.secret_rotate(secret), {.secrets = {secret}});
  const auto& after = out.get_secret("secret:own");
  EXPECT_EQ(after.tracked_content, (Databag{{"password", "first"}}));
  EXPECT_EQ(after.latest_content, (Databag{{"password", "rotated"}}));
  EXPECT_EQ(after.tracked_revision, 1);
}

TEST_F(ContextTest, DeferredEventsPersistAcrossRuns) {
  State out = ctx.run(ctx.on.config_changed(), {.config = {{"defer-config", true}}});
  ASSERT_EQ(out.deferred.size(), 1u);
  EXPECT_EQ(out.deferred[0], ctx.on.config_changed().deferred("DemoCharm", "on_config_changed"));
  EXPECT_EQ(out.deferred[0], (DeferredEvent{"DemoCharm/on/config_changed[1]", "DemoCharm",
                                            "on_config_changed", nullptr}));
  out = ctx.run(ctx.on.update_status(), out);  // still deferring: kept
  EXPECT_EQ(out.deferred.size(), 1u);
  out.config["defer-config"] = false;
  out = ctx.run(ctx.on.update_status(), out);  // re-emitted before update-status
  EXPECT_TRUE(out.deferred.empty());
  EXPECT_EQ(stored(out)["config_count"], 1);
}

TEST_F(ContextTest, DeferredEventsGivenInTheInputAreReemitted) {
  const State in{
      .deferred = {ctx.on.config_changed().deferred("DemoCharm", "on_config_changed", 4)}};
  const State out = ctx.run(ctx.on.install(), in);
  EXPECT_TRUE(out.deferred.empty());
  EXPECT_EQ(stored(out)["config_count"], 1);
  EXPECT_EQ(stored(out)["installs"], 1);
}

TEST_F(ContextTest, CharmExceptionNamesTheHandler) {
  try {
    ctx.run(ctx.on.config_changed(), {.config = {{"explode", true}}});
    FAIL() << "expected UncaughtCharmError";
  } catch (const ops::testing::UncaughtCharmError& e) {
    EXPECT_STREQ(e.what(),
                 "Uncaught exception in DemoCharm.on_config_changed while handling config_changed "
                 "(DemoCharm/on/config_changed[1]): std::runtime_error: boom");
    EXPECT_EQ(e.handler(), "DemoCharm.on_config_changed");
  }
}

class AppBagWriter : public ops::CharmBase {
 public:
  explicit AppBagWriter(ops::Framework& fw) : CharmBase(fw, "AppBagWriter") {
    fw.observe<&AppBagWriter::on_update_status>(on.update_status, *this);
  }
  void on_update_status(ops::UpdateStatusEvent&) {
    model().get_relation("db")->data(app()).set("k", "v");
  }
};

TEST(ContextAccess, NonLeaderWritingItsAppBagFails) {
  Context<AppBagWriter> ctx{demo::kMetadata, demo::kConfig, demo::kActions};
  const Relation db{.endpoint = "db", .remote_app_name = "postgresql"};
  try {
    ctx.run(ctx.on.update_status(), {.relations = {db}});
    FAIL() << "expected UncaughtCharmError";
  } catch (const ops::testing::UncaughtCharmError& e) {
    EXPECT_EQ(e.handler(), "AppBagWriter.on_update_status");
    EXPECT_THROW(e.rethrow_original(), ops::RelationDataAccessError);
  }
  const State out = ctx.run(ctx.on.update_status(), {.leader = true, .relations = {db}});
  EXPECT_EQ(out.get_relation(db.id).local_app_data, (Databag{{"k", "v"}}));
}

TEST_F(ContextTest, InconsistentInputIsRefusedWithEveryProblem) {
  const Relation bad{.endpoint = "nope", .id = 900};
  const Relation db{.endpoint = "db", .id = 901, .remote_app_name = "postgresql"};
  const Container sidecar{.name = "sidecar"};
  try {
    ctx.run(ctx.on.relation_changed(db, 5), {.config = {{"port", "x"}, {"colour", "red"}},
                                             .relations = {bad, db},
                                             .containers = {sidecar}});
    FAIL() << "expected InconsistentStateError";
  } catch (const InconsistentStateError& e) {
    EXPECT_STREQ(e.what(),
                 "inconsistent state for event db_relation_changed:\n"
                 "  - config option 'colour' is not declared in config.yaml\n"
                 "  - config option 'port' is of type int, not \"x\"\n"
                 "  - relation 900 is on endpoint 'nope', which the metadata does not declare\n"
                 "  - container 'sidecar' is not declared in the metadata\n"
                 "  - remote unit 5 is not in relation 901 (its remote units: 0)");
  }
  const Container workload{.name = "workload"};
  try {
    ctx.run(ctx.on.pebble_ready(workload), {});
    FAIL() << "expected InconsistentStateError";
  } catch (const InconsistentStateError& e) {
    EXPECT_STREQ(e.what(),
                 "inconsistent state for event workload_pebble_ready:\n"
                 "  - the event's container 'workload' is not in the state");
  }
  EXPECT_THROW(ctx.run(ctx.on.relation_changed(db), {}), InconsistentStateError);
  EXPECT_THROW(ctx.run(ctx.on.action("backup"), {}), InconsistentStateError);
}

}  // namespace

namespace {

// A charm directory in a fresh temporary directory, removed afterwards.
class CharmDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_ / "metadata.yaml") << demo::kMetadata;
    std::ofstream(dir_ / "config.yaml") << demo::kConfig;
    std::ofstream(dir_ / "actions.yaml") << demo::kActions;
  }
  ops_test::TempDir tmp_{"ops-charm-"};
  const std::filesystem::path& dir_ = tmp_.path();
};

TEST_F(CharmDirTest, HarnessAndContextReadACharmDirectory) {
  ops::testing::Harness<demo::DemoCharm> harness{ops::testing::CharmDir{dir_}};
  harness.begin();
  harness.update_config({{"greeting", "from dir"}});
  EXPECT_EQ(harness.unit_status(), ops::ActiveStatus("greeting: from dir"));
  EXPECT_EQ(harness.run_action("greet").results, (nlohmann::json{{"message", "hello world"}}));

  Context<demo::DemoCharm> ctx{ops::testing::CharmDir{dir_}, 3};
  EXPECT_EQ(ctx.unit_name(), "demo/3");
  const State out = ctx.run(ctx.on.install(), {});
  EXPECT_EQ(out.get_stored_state("DemoCharm").content["installs"], 1);
}

TEST_F(CharmDirTest, AMissingCharmDirectoryIsACharmMetaError) {
  using H = ops::testing::Harness<demo::DemoCharm>;
  EXPECT_THROW(H(ops::testing::CharmDir{dir_ / "nope"}), ops::CharmMetaError);
}

TEST(HarnessRepeatedFailures, EveryCharmExceptionSurfaces) {
  ops::testing::Harness<demo::DemoCharm> harness{demo::kMetadata, demo::kConfig, demo::kActions};
  harness.begin();
  for (int i = 0; i < 2; ++i) {
    try {
      harness.update_config({{"explode", true}, {"port", 8000 + i}});
      FAIL() << "expected UncaughtCharmError";
    } catch (const ops::testing::UncaughtCharmError& e) {
      EXPECT_EQ(e.event_kind(), "config_changed");
      EXPECT_THAT(e.what(), ::testing::EndsWith("std::runtime_error: boom"));
    }
  }
}

// A charm that starts observing the commit event while it handles
// config-changed, after the dispatcher set up its relation-write flush.
class LateCommitCharm : public ops::CharmBase {
 public:
  explicit LateCommitCharm(ops::Framework& fw) : CharmBase(fw, "LateCommitCharm") {
    fw.observe<&LateCommitCharm::on_config_changed>(on.config_changed, *this);
  }
  void on_config_changed(ops::ConfigChangedEvent& /*event*/) {
    framework().observe<&LateCommitCharm::on_commit>(framework().on().commit, *this);
  }
  void on_commit(ops::CommitEvent& /*event*/) {
    model().get_relation("db")->data(unit()).set("committed", "yes");
  }
};

// Relation writes are sent after every commit handler has run, however late
// the handler was registered (the flush is not itself a commit observer).
TEST(ContextCommit, WritesOfACommitHandlerRegisteredDuringTheEventAreSent) {
  Context<LateCommitCharm> ctx("name: late\nrequires:\n  db:\n    interface: pgsql\n");
  const Relation db{.endpoint = "db", .remote_app_name = "pg"};
  const State out = ctx.run(ctx.on.config_changed(), {.relations = {db}});
  EXPECT_EQ(out.get_relation(db.id).local_unit_data, (Databag{{"committed", "yes"}}));
}

}  // namespace
