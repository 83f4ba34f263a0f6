// CharmBase and CharmEvents: per-endpoint events from metadata, event
// snapshots with Python ops' keys, restore across dispatches, refusal to
// defer, collect-status, typed config and action parameters.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "ops/charm.hpp"
#include "ops/detail/access.hpp"
#include "ops/storage.hpp"
#include "ops/testing/fake_backend.hpp"
#include "ops/testing/recording_backend.hpp"

namespace ops {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kMetadata = R"(name: redis
containers:
  redis:
    resource: redis-image
resources:
  redis-image:
    type: oci-image
peers:
  redis-peers:
    interface: redis_peers
requires:
  db:
    interface: pgsql
storage:
  data:
    type: filesystem
    location: /data
)";
constexpr const char* kActions = R"(get-password:
  description: Get the password.
  params:
    user-name:
      type: string
)";
constexpr const char* kConfig = R"(options:
  log-level:
    type: string
    default: info
  port:
    type: int
    default: 6379
)";

class TestCharm : public CharmBase {
 public:
  explicit TestCharm(Framework& framework) : CharmBase(framework, "TestCharm") {}
};

// One dispatch against the test's Juju: a recording backend, a Model, a
// Framework on the shared storage, the charm.
struct Dispatch {
  Dispatch(const CharmMeta& meta, testing::FakeBackend& juju, MemoryStorage& storage)
      : backend(juju), model(meta, backend), framework(storage, &model), charm(framework) {}
  testing::RecordingBackend backend;
  Model model;
  Framework framework;
  TestCharm charm;
};

class CharmTest : public ::testing::Test {
 protected:
  CharmMeta meta = CharmMeta::from_yaml(kMetadata, kActions, kConfig);
  MemoryStorage storage;
  testing::FakeBackend juju{meta, "redis/0"};
  std::unique_ptr<Dispatch> dispatch = std::make_unique<Dispatch>(meta, juju, storage);
  Framework& fw() { return dispatch->framework; }
  TestCharm& charm() { return dispatch->charm; }
  testing::RecordingBackend& backend() { return dispatch->backend; }
  testing::FakeBackend::Data& data() { return juju.data(); }
  // Juju runs action `name` with invocation id `id`.
  void start_action(const std::string& name, const std::string& id) {
    data().action.emplace();
    data().action->name = name;
    data().action->id = id;
  }

  // redis/0 in a hook, related to pg (pg/0, pg/1) on db:3.
  CharmTest() {
    data().hook_running = true;
    auto& db = data().relations[3];
    db.endpoint = "db";
    db.id = 3;
    db.remote_app = "pg";
    db.remote_units = {"pg/0", "pg/1"};
  }

  // Emits on source with a handler that defers, and returns the stored snapshot.
  template <class E, class... Args>
  json deferred_snapshot(EventSource<E>& source, Args&&... args) {
    fw().observe(source, charm(), "on_event", [](E& event) { event.defer(); });
    source.emit(std::forward<Args>(args)...);
    const auto notices = storage.notices();
    EXPECT_FALSE(notices.empty());
    if (notices.empty()) return nullptr;
    return storage.load_snapshot(notices.back().event_path).value_or(json("missing"));
  }

  std::vector<std::string> status_calls() const {
    std::vector<std::string> out;
    return dispatch->backend.commands("status-set");
  }
};

// ---- events defined from metadata ---------------------------------------------

TEST_F(CharmTest, DefinesTheEventsOfEachEndpointStorageActionAndContainer) {
  CharmEvents& on = charm().on;
  EXPECT_EQ(on["redis-peers"].relation_changed.kind(), "redis_peers_relation_changed");
  EXPECT_EQ(on["db"].relation_created.kind(), "db_relation_created");
  EXPECT_EQ(on["db"].relation_joined.kind(), "db_relation_joined");
  EXPECT_EQ(on["db"].relation_departed.kind(), "db_relation_departed");
  EXPECT_EQ(on["db"].relation_broken.kind(), "db_relation_broken");
  EXPECT_EQ(&on["redis-peers"].relation_changed.source(),
            &on.get<RelationChangedEvent>("redis_peers_relation_changed"));
  EXPECT_EQ(&on.relation("db").relation_changed, &on["db"].relation_changed.source());
  EXPECT_EQ(on.storage("data").storage_attached.kind(), "data_storage_attached");
  EXPECT_EQ(on.storage("data").storage_detaching.kind(), "data_storage_detaching");
  EXPECT_EQ(on.action("get-password").action.kind(), "get_password_action");
  EXPECT_EQ(on.container("redis").pebble_ready.kind(), "redis_pebble_ready");
  EXPECT_EQ(on.container("redis").pebble_custom_notice.kind(), "redis_pebble_custom_notice");
  EXPECT_EQ(on.container("redis").pebble_check_failed.kind(), "redis_pebble_check_failed");
  EXPECT_EQ(on.container("redis").pebble_check_recovered.kind(), "redis_pebble_check_recovered");
  EXPECT_EQ(on.handle().path(), "TestCharm/on");
  EXPECT_EQ(on.find("config_changed"), &on.config_changed);
  EXPECT_EQ(on.find("nope_relation_changed"), nullptr);
}

TEST_F(CharmTest, UnknownNamesAreClearErrors) {
  CharmEvents& on = charm().on;
  try {
    static_cast<void>(on["cache"]);
    FAIL() << "expected FrameworkError";
  } catch (const FrameworkError& e) {
    EXPECT_STREQ(e.what(),
                 "TestCharm/on: the charm's metadata declares no relation endpoint, storage, "
                 "container or action 'cache' (declared: data, db, get-password, redis, "
                 "redis-peers)");
  }
  try {
    static_cast<void>(on.relation("cache"));
    FAIL() << "expected FrameworkError";
  } catch (const FrameworkError& e) {
    EXPECT_STREQ(e.what(),
                 "TestCharm/on: the charm's metadata declares no relation endpoint 'cache' "
                 "(declared: db, redis-peers)");
  }
  // on[name] reaches a storage's events too (ops' PrefixedEvents).
  EXPECT_EQ(&on["data"].storage_attached.source(), &on.storage("data").storage_attached);
  EXPECT_EQ(&on["get-password"].action.source(), &on.action("get-password").action);
  EXPECT_EQ(&on["redis"].pebble_ready.source(), &on.container("redis").pebble_ready);
  EXPECT_THROW((void)on.container("db"), FrameworkError);
  EXPECT_THROW((void)on.action("db"), FrameworkError);
  EXPECT_THROW((void)on.storage("logs"), FrameworkError);
  EXPECT_THROW((void)on.get<RelationJoinedEvent>("redis_peers_relation_changed"), FrameworkError);
}

// ---- snapshots -------------------------------------------------------------------

TEST_F(CharmTest, RelationEventSnapshots) {
  EXPECT_EQ(deferred_snapshot(charm().on.relation("db").relation_changed, "db", 3,
                              std::optional<std::string>("pg"), std::optional<std::string>("pg/0")),
            json({{"relation_name", "db"},
                  {"relation_id", 3},
                  {"app_name", "pg"},
                  {"unit_name", "pg/0"}}));
  EXPECT_EQ(deferred_snapshot(charm().on.relation("db").relation_created, "db", 3,
                              std::optional<std::string>("pg"), std::nullopt),
            json({{"relation_name", "db"}, {"relation_id", 3}, {"app_name", "pg"}}));
  EXPECT_EQ(
      deferred_snapshot(charm().on.relation("redis-peers").relation_departed, "redis-peers", 1,
                        std::optional<std::string>("redis"), std::optional<std::string>("redis/1"),
                        std::optional<std::string>("redis/1")),
      json({{"relation_name", "redis-peers"},
            {"relation_id", 1},
            {"app_name", "redis"},
            {"unit_name", "redis/1"},
            {"departing_unit", "redis/1"}}));
}

TEST_F(CharmTest, StorageWorkloadSecretAndActionSnapshots) {
  EXPECT_EQ(
      deferred_snapshot(charm().on.storage("data").storage_attached, "data", 1, "/data/1"),
      json({{"storage_name", "data"}, {"storage_index", 1}, {"storage_location", "/data/1"}}));
  EXPECT_EQ(deferred_snapshot(charm().on.container("redis").pebble_ready, "redis"),
            json({{"container_name", "redis"}}));
  EXPECT_EQ(deferred_snapshot(charm().on.container("redis").pebble_custom_notice, "redis",
                              PebbleNoticeRef{"42", "custom", "example.com/reload"}),
            json({{"container_name", "redis"},
                  {"notice_id", "42"},
                  {"notice_type", "custom"},
                  {"notice_key", "example.com/reload"}}));
  EXPECT_EQ(deferred_snapshot(charm().on.container("redis").pebble_check_failed, "redis", "ready"),
            json({{"container_name", "redis"}, {"check_name", "ready"}}));
  EXPECT_EQ(deferred_snapshot(charm().on.secret_changed, "secret:abc", std::nullopt),
            json({{"id", "secret:abc"}, {"label", nullptr}}));
  EXPECT_EQ(deferred_snapshot(charm().on.secret_remove, "secret:abc",
                              std::optional<std::string>("pw"), 4),
            json({{"id", "secret:abc"}, {"label", "pw"}, {"revision", 4}}));
  // Action events cannot be deferred, so their snapshot is read directly.
  ActionEvent action(Handle::from_path("TestCharm/on/get_password_action[7]"), "uuid-7");
  EXPECT_EQ(action.snapshot(), json({{"id", "uuid-7"}}));
}

TEST_F(CharmTest, RestoreRejectsSnapshotsWithoutRequiredKeys) {
  RelationChangedEvent relation(Handle("x"));
  try {
    relation.restore(json({{"relation_id", 1}}));
    FAIL() << "expected FrameworkError";
  } catch (const FrameworkError& e) {
    EXPECT_STREQ(e.what(), "cannot restore x: snapshot has no 'relation_name'");
  }
  StorageAttachedEvent storage_event(Handle("y"));
  EXPECT_THROW(storage_event.restore(json({{"storage_name", "data"}, {"storage_index", "one"}})),
               FrameworkError);
}

TEST_F(CharmTest, DeferredRelationEventIsRestoredInTheNextDispatch) {
  deferred_snapshot(charm().on.relation("db").relation_departed, "db", 3,
                    std::optional<std::string>("pg"), std::optional<std::string>("pg/1"),
                    std::optional<std::string>("pg/1"));
  fw().commit();
  dispatch.reset();
  dispatch = std::make_unique<Dispatch>(meta, juju, storage);

  std::vector<std::string> seen;
  fw().observe(
      charm().on["db"].relation_departed, charm(), "on_event", [&](RelationDepartedEvent& event) {
        seen.push_back(event.relation().name() + ":" + std::to_string(event.relation().id()));
        seen.push_back(event.app()->name());
        seen.push_back(event.unit()->name());
        seen.push_back(event.departing_unit()->name());
      });
  fw().reemit();
  EXPECT_THAT(seen, ElementsAre("db:3", "pg", "pg/1", "pg/1"));
  EXPECT_TRUE(storage.notices().empty());
}

TEST_F(CharmTest, BrokenRelationIsInactiveAndNotListed) {
  auto& other = data().relations[4];
  other.endpoint = "db";
  other.id = 4;
  other.remote_app = "mysql";
  ops::detail::ModelAccess::set_broken_relation_id(dispatch->model, 3);
  std::vector<std::string> seen;
  fw().observe(charm().on["db"].relation_broken, charm(), "on_broken",
               [&](RelationBrokenEvent& event) {
                 seen.push_back(event.unit() == nullptr ? "no unit" : "unit");
                 seen.push_back(event.relation().active() ? "active" : "inactive");
                 for (Relation* relation : event.framework().model().relations("db")) {
                   seen.push_back(std::to_string(relation->id()));
                 }
               });
  charm().on["db"].relation_broken.emit("db", 3, std::optional<std::string>("pg"), std::nullopt);
  EXPECT_THAT(seen, ElementsAre("no unit", "inactive", "4"));
}

// ---- storage and secrets ----------------------------------------------------------

TEST_F(CharmTest, StorageEventFindsItsInstance) {
  data().storages["data"] = {{0, {"/data/0", true}}, {1, {"/data/1", true}}};
  std::optional<std::string> seen;
  fw().observe(charm().on.storage("data").storage_attached, charm(), "on_attached",
               [&](StorageAttachedEvent& event) {
                 seen = event.storage().full_id() + " at " + event.storage_location();
               });
  charm().on.storage("data").storage_attached.emit("data", 1, "/data/1");
  EXPECT_EQ(seen, "data/1 at /data/1");
}

TEST_F(CharmTest, SecretRemoveEventRemovesItsRevision) {
  data().leader = true;
  testing::SecretRecord secret;
  secret.id = "secret:abc";
  secret.owner = "app";
  secret.owner_name = "redis";
  secret.revisions = {
      {3, {{"password", "old"}}}, {4, {{"password", "older"}}}, {5, {{"password", "new"}}}};
  secret.latest_revision = 5;
  data().secrets.push_back(secret);
  fw().observe(charm().on.secret_remove, charm(), "on_remove",
               [](SecretRemoveEvent& event) { event.remove_revision(); });
  charm().on.secret_remove.emit("secret:abc", std::nullopt, 4);
  EXPECT_THAT(backend().commands(), ElementsAre("secret-remove secret:abc --revision 4"));
  ASSERT_EQ(data().secrets.size(), 1u);
  EXPECT_EQ(data().secrets[0].revisions.count(4), 0u);
  EXPECT_EQ(data().secrets[0].revisions.size(), 2u);
}

// ---- not deferrable ------------------------------------------------------------------

TEST_F(CharmTest, NonDeferrableEventsRefuseDefer) {
  int refused = 0;
  auto refuse = [&refused](EventBase& event) {
    EXPECT_FALSE(event.deferrable()) << event.handle().path();
    try {
      event.defer();
    } catch (const FrameworkError&) {
      ++refused;
    }
    EXPECT_FALSE(event.deferred());
  };
  CharmEvents& on = charm().on;
  fw().observe(on.stop, charm(), "on_stop", [&](StopEvent& e) { refuse(e); });
  fw().observe(on.remove, charm(), "on_remove", [&](RemoveEvent& e) { refuse(e); });
  fw().observe(on.secret_rotate, charm(), "on_rotate", [&](SecretRotateEvent& e) { refuse(e); });
  fw().observe(on.secret_expired, charm(), "on_expired", [&](SecretExpiredEvent& e) { refuse(e); });
  fw().observe(on.action("get-password").action, charm(), "on_action",
               [&](ActionEvent& e) { refuse(e); });
  fw().observe(on.collect_unit_status, charm(), "on_collect",
               [&](CollectStatusEvent& e) { refuse(e); });
  on.stop.emit();
  on.remove.emit();
  on.secret_rotate.emit("secret:a", std::nullopt);
  on.secret_expired.emit("secret:a", std::nullopt, 2);
  start_action("get-password", "uuid-1");  // action-get answers only inside an action
  on.action("get-password").action.emit("uuid-1");
  on.collect_unit_status.emit();
  EXPECT_EQ(refused, 6);
  EXPECT_TRUE(storage.notices().empty());

  // A deferrable hook event keeps its notice.
  fw().observe(on.config_changed, charm(), "on_config", [](ConfigChangedEvent& e) { e.defer(); });
  on.config_changed.emit();
  ASSERT_EQ(storage.notices().size(), 1u);
  EXPECT_EQ(storage.notices()[0].event_path, "TestCharm/on/config_changed[7]");
}

// ---- collect-status ---------------------------------------------------------------------

TEST_F(CharmTest, UnitStatusIsTheMostSevereCollected) {
  fw().observe(charm().on.collect_unit_status, charm(), "first", [](CollectStatusEvent& e) {
    e.add_status(ActiveStatus("fine"));
    e.add_status(WaitingStatus("for db"));
  });
  fw().observe(charm().on.collect_unit_status, charm(), "second", [](CollectStatusEvent& e) {
    e.add_status(MaintenanceStatus("busy"));
    e.add_status(BlockedStatus("need config"));
    e.add_status(BlockedStatus("second blocked"));
  });
  evaluate_status(charm());
  EXPECT_THAT(status_calls(), ElementsAre("status-set --application=False blocked -- need config"));
  EXPECT_EQ(data().unit_status, BlockedStatus("need config"));
  // Without collect_app_status observers leadership is not even asked.
  EXPECT_TRUE(backend().commands("is-leader").empty());
}

TEST_F(CharmTest, PriorityIsBlockedMaintenanceWaitingActive) {
  std::vector<StatusBase> add;
  fw().observe(charm().on.collect_unit_status, charm(), "collect", [&add](CollectStatusEvent& e) {
    for (const auto& s : add) e.add_status(s);
  });
  add = {ActiveStatus(), WaitingStatus("w"), MaintenanceStatus("m")};
  evaluate_status(charm());
  add = {ActiveStatus("a"), WaitingStatus("w")};
  evaluate_status(charm());
  add = {ActiveStatus("a")};
  evaluate_status(charm());
  add = {};
  evaluate_status(charm());  // nothing added: nothing set
  EXPECT_THAT(status_calls(), ElementsAre("status-set --application=False maintenance -- m",
                                          "status-set --application=False waiting -- w",
                                          "status-set --application=False active -- a"));
}

TEST_F(CharmTest, LeaderSetsAppStatusFirst) {
  data().leader = true;
  std::vector<std::string> order;
  fw().observe(charm().on.collect_unit_status, charm(), "unit", [&](CollectStatusEvent& e) {
    order.push_back("unit");
    e.add_status(ActiveStatus("unit ok"));
  });
  fw().observe(charm().on.collect_app_status, charm(), "app", [&](CollectStatusEvent& e) {
    order.push_back("app");
    e.add_status(ActiveStatus());
    e.add_status(WaitingStatus("peers"));
  });
  evaluate_status(charm());
  EXPECT_THAT(order, ElementsAre("app", "unit"));
  EXPECT_THAT(status_calls(), ElementsAre("status-set --application=True waiting -- peers",
                                          "status-set --application=False active -- unit ok"));
  EXPECT_EQ(data().app_status, WaitingStatus("peers"));
  EXPECT_THAT(charm().collected_app_statuses(),
              ElementsAre(ActiveStatus(), WaitingStatus("peers")));
}

TEST_F(CharmTest, NonLeaderDoesNotCollectAppStatus) {
  data().leader = false;
  bool app_called = false;
  fw().observe(charm().on.collect_app_status, charm(), "app",
               [&](CollectStatusEvent&) { app_called = true; });
  evaluate_status(charm());
  EXPECT_FALSE(app_called);
  EXPECT_THAT(backend().commands(), ElementsAre("is-leader --format=json"));
}

TEST_F(CharmTest, AddStatusRefusesErrorAndUnknown) {
  std::vector<std::string> errors;
  fw().observe(charm().on.collect_unit_status, charm(), "collect", [&](CollectStatusEvent& e) {
    for (const StatusBase& s : std::vector<StatusBase>{ErrorStatus("x"), UnknownStatus()}) {
      try {
        e.add_status(s);
      } catch (const InvalidStatusError& error) {
        errors.push_back(error.what());
      }
    }
  });
  evaluate_status(charm());
  EXPECT_THAT(errors,
              ElementsAre(HasSubstr("not ErrorStatus(\"x\")"), HasSubstr("not UnknownStatus()")));
  EXPECT_TRUE(status_calls().empty());
}

// ---- actions -----------------------------------------------------------------------------

struct PasswordParams {
  std::string user_name;
  int length = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(PasswordParams, user_name, length)

TEST_F(CharmTest, ActionEventReadsParamsAndReports) {
  start_action("get-password", "uuid-9");
  data().action->params = {{"user-name", "bob"}, {"length", 12}};
  std::optional<PasswordParams> params;
  fw().observe(charm().on.action("get-password").action, charm(), "on_get_password",
               [&](ActionEvent& e) {
                 EXPECT_EQ(e.id(), "uuid-9");
                 EXPECT_EQ(e.params().at("user-name"), "bob");
                 params = e.load_params<PasswordParams>();
                 e.log("working");
                 e.set_results({{"password", "s3cret"}, {"user", {{"name", "bob"}}}});
                 e.fail("nope");
               });
  charm().on.action("get-password").action.emit("uuid-9");
  ASSERT_TRUE(params.has_value());
  EXPECT_EQ(params->user_name, "bob");
  EXPECT_EQ(params->length, 12);
  EXPECT_THAT(backend().commands(),
              ElementsAre("action-get --format=json", "action-log -- working",
                          "action-set password=s3cret user.name=bob", "action-fail -- nope"));
  EXPECT_EQ(data().action->results, json({{"password", "s3cret"}, {"user", {{"name", "bob"}}}}));
  EXPECT_THAT(data().action->logs, ElementsAre("working"));
  EXPECT_EQ(data().action->failure, "nope");
}

TEST_F(CharmTest, InvalidActionParams) {
  start_action("get-password", "uuid-9");
  data().action->params = {{"user-name", "bob"}};
  std::string raised;
  bool aborted = false;
  fw().observe(charm().on.action("get-password").action, charm(), "on_get_password",
               [&](ActionEvent& e) {
                 try {
                   e.load_params<PasswordParams>();
                 } catch (const InvalidParamsError& error) {
                   raised = error.what();
                 }
                 try {
                   e.load_params<PasswordParams>(OnInvalid::kFail);
                 } catch (const AbortDispatch& abort) {
                   aborted = abort.exit_code() == 0;
                 }
               });
  charm().on.action("get-password").action.emit("uuid-9");
  EXPECT_THAT(raised, StartsWith("invalid parameters for action get_password_action: "));
  EXPECT_THAT(raised, HasSubstr("key 'length' not found"));
  EXPECT_TRUE(aborted);
  EXPECT_THAT(backend().commands().back(),
              StartsWith("action-fail -- Error in action parameters: [json.exception"));
  EXPECT_THAT(data().action->failure.value_or(""),
              StartsWith("Error in action parameters: [json.exception"));
}

// ---- typed config ------------------------------------------------------------------------

struct RedisConfig {
  std::string log_level;
  int port = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(RedisConfig, log_level, port)

TEST_F(CharmTest, LoadConfigIntoAStruct) {
  data().config = {{"log-level", "debug"}, {"port", 6380}};
  RedisConfig config = charm().load_config<RedisConfig>();
  EXPECT_EQ(config.log_level, "debug");
  EXPECT_EQ(config.port, 6380);
}

TEST_F(CharmTest, InvalidConfigRaisesOrBlocks) {
  data().config = {{"log-level", "debug"}, {"port", "high"}};
  try {
    charm().load_config<RedisConfig>();
    FAIL() << "expected ModelError";
  } catch (const ModelError& e) {
    EXPECT_THAT(e.what(), StartsWith("invalid config: [json.exception.type_error.302]"));
  }
  try {
    charm().load_config<RedisConfig>(OnInvalid::kBlocked);
    FAIL() << "expected AbortDispatch";
  } catch (const AbortDispatch& abort) {
    EXPECT_EQ(abort.exit_code(), 0);
  }
  ASSERT_EQ(status_calls().size(), 1u);
  EXPECT_THAT(status_calls()[0],
              StartsWith("status-set --application=False blocked -- Invalid config: "));
}

}  // namespace
}  // namespace ops
