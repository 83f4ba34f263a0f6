// Harness and Context with a typed charm factory (a charm with
// collaborators), typed fire<E>(args), the event classes' own snapshot
// schema (deferred relation events keep their remote app and unit across
// dispatches), and the access rules inside the charm's constructor.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "ops/testing/context.hpp"
#include "ops/testing/harness.hpp"

namespace {

using ::testing::ElementsAre;

constexpr const char* kMetadata = R"(
name: rec
requires:
  db:
    interface: pgsql
storage:
  data:
    type: filesystem
containers:
  workload:
    resource: image
resources:
  image:
    type: oci-image
)";

// A collaborator the charm gets through its constructor.
struct Recorder {
  std::vector<std::string> lines;
  bool defer_relation = false;
};

std::string name_or_none(const ops::Application* app) { return app ? app->name() : "none"; }
std::string name_or_none(const ops::Unit* unit) { return unit ? unit->name() : "none"; }

class RecorderCharm : public ops::CharmBase {
 public:
  RecorderCharm(ops::Framework& framework, Recorder& recorder)
      : CharmBase(framework, "RecorderCharm"), recorder_(recorder) {
    framework.observe<&RecorderCharm::on_db_changed>(on["db"].relation_changed, *this);
    framework.observe<&RecorderCharm::on_update_status>(on.update_status, *this);
    framework.observe<&RecorderCharm::on_attached>(on.storage("data").storage_attached, *this);
    framework.observe<&RecorderCharm::on_check_failed>(on.container("workload").pebble_check_failed,
                                                       *this);
  }
  Recorder& recorder() { return recorder_; }

  void on_db_changed(ops::RelationChangedEvent& event) {
    recorder_.lines.push_back("changed app=" + name_or_none(event.app()) +
                              " unit=" + name_or_none(event.unit()));
    if (recorder_.defer_relation) event.defer();
  }
  void on_update_status(ops::UpdateStatusEvent&) { recorder_.lines.push_back("update-status"); }
  void on_attached(ops::StorageAttachedEvent& event) {
    recorder_.lines.push_back("attached " + event.storage_name() + "/" +
                              std::to_string(event.storage_index()) + " at " +
                              event.storage_location());
  }
  void on_check_failed(ops::PebbleCheckFailedEvent& event) {
    recorder_.lines.push_back("check " + event.check_name() + " of " + event.workload_name());
  }

 private:
  Recorder& recorder_;
};

// Writes the remote application's bag of every db relation in its
// constructor, which Juju refuses (only the remote app writes its bag).
class GreedyCharm : public ops::CharmBase {
 public:
  explicit GreedyCharm(ops::Framework& framework) : CharmBase(framework, "GreedyCharm") {
    for (ops::Relation* relation : model().relations("db")) {
      relation->data(*relation->app()).set("stolen", "yes");
    }
  }
};

// ---- the typed factory ------------------------------------------------------------

TEST(TypedFactory, HarnessBuildsTheCharmWithItsCollaborators) {
  Recorder recorder;
  ops::testing::Harness<RecorderCharm> harness(
      [&](ops::Framework& framework) {
        return std::make_unique<RecorderCharm>(framework, recorder);
      },
      kMetadata);
  harness.begin();
  RecorderCharm& charm = harness.charm();  // typed, no static_cast
  EXPECT_EQ(&charm.recorder(), &recorder);
  harness.fire<ops::UpdateStatusEvent>();
  EXPECT_THAT(recorder.lines, ElementsAre("update-status"));
}

TEST(TypedFactory, AFactoryThatReturnsNothingIsAHarnessError) {
  ops::testing::Harness<RecorderCharm> harness(
      [](ops::Framework&) { return std::unique_ptr<RecorderCharm>(); }, kMetadata);
  try {
    harness.begin();
    FAIL() << "expected HarnessError";
  } catch (const ops::testing::HarnessError& e) {
    EXPECT_STREQ(e.what(), "the charm factory returned no charm");
  }
  EXPECT_THROW(ops::testing::Harness<RecorderCharm>(ops::testing::Harness<RecorderCharm>::Factory(),
                                                    kMetadata),
               ops::testing::HarnessError);
}

TEST(TypedFactory, ContextBuildsTheCharmForEachRun) {
  Recorder recorder;
  int built = 0;
  ops::testing::Context<RecorderCharm> ctx(
      [&](ops::Framework& framework) {
        ++built;
        return std::make_unique<RecorderCharm>(framework, recorder);
      },
      kMetadata);
  ctx.run(ctx.on.update_status(), {});
  ctx.run_with(ctx.on.update_status(), {},
               [&](RecorderCharm& charm) { EXPECT_EQ(&charm.recorder(), &recorder); });
  EXPECT_EQ(built, 2);
  EXPECT_THAT(recorder.lines, ElementsAre("update-status", "update-status"));
}

// ---- typed events -------------------------------------------------------------------

TEST(TypedEvents, EventKindsComeFromTheEventClassAndItsArgs) {
  EXPECT_EQ(ops::event_kind<ops::InstallEvent>({}), "install");
  EXPECT_EQ(ops::event_kind<ops::RelationChangedEvent>(
                {.relation_name = "redis-peers", .relation_id = 1}),
            "redis_peers_relation_changed");
  EXPECT_EQ(ops::event_kind<ops::StorageDetachingEvent>({.storage_name = "data"}),
            "data_storage_detaching");
  EXPECT_EQ(ops::event_kind<ops::PebbleCustomNoticeEvent>({.container_name = "my-app"}),
            "my_app_pebble_custom_notice");
  EXPECT_EQ(ops::event_kind<ops::SecretExpiredEvent>({.id = "secret:x", .revision = 2}),
            "secret_expired");
}

TEST(TypedEvents, ArgsRoundTripThroughTheirSnapshot) {
  const ops::RelationEvent::Args relation{.relation_name = "db",
                                          .relation_id = 3,
                                          .app_name = "pg",
                                          .unit_name = "pg/0",
                                          .departing_unit = "pg/1"};
  EXPECT_EQ(relation.snapshot(), (nlohmann::json{{"relation_name", "db"},
                                                 {"relation_id", 3},
                                                 {"app_name", "pg"},
                                                 {"unit_name", "pg/0"},
                                                 {"departing_unit", "pg/1"}}));
  EXPECT_EQ(ops::RelationEvent::Args::from_snapshot(relation.snapshot(), "x"), relation);
  const ops::SecretRevisionEvent::Args secret{.id = "secret:a", .revision = 4};
  EXPECT_EQ(secret.snapshot(),
            (nlohmann::json{{"id", "secret:a"}, {"label", nullptr}, {"revision", 4}}));
  EXPECT_EQ(ops::SecretRevisionEvent::Args::from_snapshot(secret.snapshot(), "x"), secret);
  const ops::PebbleNoticeEvent::Args notice{"workload", {"7", "custom", "example.com/a"}};
  EXPECT_EQ(ops::PebbleNoticeEvent::Args::from_snapshot(notice.snapshot(), "x"), notice);
  try {
    (void)ops::StorageEvent::Args::from_snapshot({{"storage_name", "data"}},
                                                 "C/on/data_storage_attached[1]");
    FAIL() << "expected FrameworkError";
  } catch (const ops::FrameworkError& e) {
    EXPECT_STREQ(e.what(),
                 "cannot restore C/on/data_storage_attached[1]: snapshot has no 'storage_index'");
  }
}

TEST(TypedEvents, HarnessFiresTypedEvents) {
  Recorder recorder;
  ops::testing::Harness<RecorderCharm> harness(
      [&](ops::Framework& framework) {
        return std::make_unique<RecorderCharm>(framework, recorder);
      },
      kMetadata);
  const int id = harness.add_relation("db", "pg", {.unit_data = ops::testing::Databag{}});
  harness.begin();
  harness.fire<ops::RelationChangedEvent>(
      {.relation_name = "db", .relation_id = id, .app_name = "pg", .unit_name = "pg/0"});
  harness.fire<ops::RelationChangedEvent>(
      {.relation_name = "db", .relation_id = id, .app_name = "pg"});  // app-level change
  harness.fire<ops::StorageAttachedEvent>(
      {.storage_name = "data", .storage_index = 0, .storage_location = "/srv/data/0"});
  harness.fire<ops::PebbleCheckFailedEvent>({.container_name = "workload", .check_name = "up"});
  EXPECT_THAT(recorder.lines,
              ElementsAre("changed app=pg unit=pg/0", "changed app=pg unit=none",
                          "attached data/0 at /srv/data/0", "check up of workload"));
}

// ---- deferred relation events keep their remote app and unit ----------------------------

TEST(DeferredRelationEvent, HarnessReemitsItWithItsRemoteAppAndUnit) {
  Recorder recorder;
  ops::testing::Harness<RecorderCharm> harness(
      [&](ops::Framework& framework) {
        return std::make_unique<RecorderCharm>(framework, recorder);
      },
      kMetadata);
  harness.begin();
  recorder.defer_relation = true;
  const int id = harness.add_relation("db", "pg", {.unit_data = ops::testing::Databag{}});
  ASSERT_EQ(harness.storage().notices().size(), 1u);
  EXPECT_EQ(harness.storage().load_snapshot(harness.storage().notices()[0].event_path),
            (nlohmann::json{{"relation_name", "db"},
                            {"relation_id", id},
                            {"app_name", "pg"},
                            {"unit_name", "pg/0"}}));
  recorder.defer_relation = false;
  harness.fire<ops::UpdateStatusEvent>();
  EXPECT_THAT(recorder.lines,
              ElementsAre("changed app=pg unit=pg/0", "changed app=pg unit=pg/0", "update-status"));
  EXPECT_TRUE(harness.storage().notices().empty());
}

TEST(DeferredRelationEvent, ContextReemitsItInALaterRunWithItsRemoteAppAndUnit) {
  Recorder recorder;
  ops::testing::Context<RecorderCharm> ctx(
      [&](ops::Framework& framework) {
        return std::make_unique<RecorderCharm>(framework, recorder);
      },
      kMetadata);
  const ops::testing::Relation db{.endpoint = "db", .remote_app_name = "pg"};
  recorder.defer_relation = true;
  const ops::testing::State deferred = ctx.run(ctx.on.relation_changed(db), {.relations = {db}});
  ASSERT_EQ(deferred.deferred.size(), 1u);
  EXPECT_EQ(deferred.deferred[0].snapshot, (nlohmann::json{{"relation_name", "db"},
                                                           {"relation_id", db.id},
                                                           {"app_name", "pg"},
                                                           {"unit_name", "pg/0"}}));
  recorder.defer_relation = false;
  const ops::testing::State after = ctx.run(ctx.on.update_status(), deferred);
  EXPECT_THAT(recorder.lines,
              ElementsAre("changed app=pg unit=pg/0", "changed app=pg unit=pg/0", "update-status"));
  EXPECT_TRUE(after.deferred.empty());
}

TEST(DeferredRelationEvent, ContextDeferredEventsNameTheRemoteAppAndUnit) {
  Recorder recorder;
  ops::testing::Context<RecorderCharm> ctx(
      [&](ops::Framework& framework) {
        return std::make_unique<RecorderCharm>(framework, recorder);
      },
      kMetadata);
  const ops::testing::Relation db{
      .endpoint = "db", .remote_app_name = "pg", .remote_units_data = {{0, {}}, {2, {}}}};
  const ops::testing::DeferredEvent deferred =
      ctx.on.relation_changed(db, 2).deferred("RecorderCharm", "on_db_changed");
  EXPECT_EQ(deferred.snapshot, (nlohmann::json{{"relation_name", "db"},
                                               {"relation_id", db.id},
                                               {"app_name", "pg"},
                                               {"unit_name", "pg/2"}}));
  ctx.run(ctx.on.update_status(), {.relations = {db}, .deferred = {deferred}});
  EXPECT_THAT(recorder.lines, ElementsAre("changed app=pg unit=pg/2", "update-status"));
}

// ---- access rules in the charm's constructor -----------------------------------------------

TEST(ConstructorAccessRules, HarnessBeginRefusesARemoteAppBagWrite) {
  ops::testing::Harness<GreedyCharm> harness(kMetadata);
  harness.add_relation("db", "pg");
  try {
    harness.begin();
    FAIL() << "expected RelationDataAccessError";
  } catch (const ops::RelationDataAccessError& e) {
    EXPECT_STREQ(e.what(), "rec cannot write the data of remote application pg");
  }
  EXPECT_FALSE(harness.begun());
  EXPECT_FALSE(harness.backend().data().hook_running);  // back to test mode
}

TEST(ConstructorAccessRules, ContextRunFailsAsProductionDoes) {
  ops::testing::Context<GreedyCharm> ctx(kMetadata);
  try {
    ctx.run(ctx.on.update_status(),
            {.relations = {ops::testing::Relation{.endpoint = "db", .remote_app_name = "pg"}}});
    FAIL() << "expected UncaughtCharmError";
  } catch (const ops::testing::UncaughtCharmError& e) {
    EXPECT_STREQ(
        e.what(),
        "Uncaught exception while constructing the charm for update_status: "
        "ops::RelationDataAccessError: rec cannot write the data of remote application pg");
    EXPECT_EQ(e.handler(), std::nullopt);
    EXPECT_EQ(e.event_kind(), "update_status");
    EXPECT_THROW(e.rethrow_original(), ops::RelationDataAccessError);
  }
}

}  // namespace
