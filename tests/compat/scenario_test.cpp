// Scenario's own tests (canonical/operator testing/tests) translated to
// ops-cpp's Context and State, including the consistency checker. Each TEST
// names the Scenario test it comes from; where ops-cpp deliberately
// differs, or where Scenario is laxer than Juju, the test says so in one line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ops/ops.hpp"
#include "ops/testing/context.hpp"

namespace {

using ops::testing::ActionFailed;
using ops::testing::Container;
using ops::testing::Context;
using ops::testing::Databag;
using ops::testing::EmittedEvent;
using ops::testing::InconsistentStateError;
using ops::testing::Relation;
using ops::testing::Secret;
using ops::testing::State;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kMeta = R"(
name: mycharm
requires:
  foo:
    interface: bar
provides:
  prov:
    interface: baz
peers:
  peers:
    interface: peer
containers:
  work:
    resource: work-image
  other-work:
    resource: work-image
resources:
  work-image:
    type: oci-image
storage:
  data:
    type: filesystem
)";

constexpr const char* kConfig = R"(
options:
  name:
    type: string
    default: bob
  count:
    type: int
  ratio:
    type: float
  flag:
    type: boolean
  creds:
    type: secret
)";

constexpr const char* kActions = R"(
foo:
  params:
    bar:
      type: integer
    baz:
      type: boolean
      default: false
  required: [bar]
results:
  description: sets what it is told
none:
  description: sets nothing
fail:
  description: fails
)";

// A library object with a custom event (Scenario's DatabaseRequirer example).
class ReadyEvent : public ops::EventBase {
 public:
  using EventBase::EventBase;
  nlohmann::json snapshot() const override { return {{"who", who}}; }
  void restore(const nlohmann::json& snapshot) override {
    who = snapshot.value("who", std::string());
  }
  std::string who;
};

struct Requirer : ops::Object {
  explicit Requirer(ops::Object& parent) : Object(parent, "Requirer", "db") {}
  ops::ObjectEvents on{*this};
  ops::EventSource<ReadyEvent>& ready = on.define_event<ReadyEvent>("ready");
};

// Records what it sees; defers what `defer` names; sets action results.
class MyCharm : public ops::CharmBase {
 public:
  explicit MyCharm(ops::Framework& fw) : CharmBase(fw, "MyCharm"), requirer(*this) {
    record(on.install);
    record(on.start);
    record(on.update_status);
    record(on.config_changed);
    record(on.relation("foo").relation_changed);
    record(on.relation("foo").relation_departed);
    record(on.relation("peers").relation_departed);
    record(on.container("work").pebble_ready);
    record(on.container("work").pebble_custom_notice);
    record(on.secret_changed);
    fw.observe(requirer.ready, *this, "on_ready",
               [this](ReadyEvent& event) { seen.push_back("ready " + event.who); });
    fw.observe(on.action("foo").action, *this, "on_foo", [](ops::ActionEvent& e) {
      e.set_results({{"bar", e.params()["bar"]}, {"baz", e.params()["baz"]}});
    });
    fw.observe(on.action("results").action, *this, "on_results", [](ops::ActionEvent& e) {
      e.set_results(e.params().value("set", nlohmann::json::object()));
    });
    fw.observe(on.action("none").action, *this, "on_none", [](ops::ActionEvent&) {});
    fw.observe(on.action("fail").action, *this, "on_fail", [](ops::ActionEvent& e) {
      e.log("about to fail");
      e.set_results({{"partial", "yes"}});
      e.fail("failed");
    });
  }

  Requirer requirer;
  std::vector<std::string> seen;
  static inline std::string defer;  // event kind to defer
  static inline std::vector<std::string> last_seen;

 private:
  template <class E>
  void record(ops::EventSource<E>& source) {
    framework().observe(source, *this, "on_" + source.kind(), [this, &source](E& event) {
      std::string line = source.kind();
      if constexpr (std::is_base_of_v<ops::RelationEvent, E>) {
        line += " app=" + event.app_name().value_or("") + " unit=" + event.unit_name().value_or("");
        if constexpr (std::is_base_of_v<ops::RelationDepartedEvent, E>) {
          line += " departing=" + event.departing_unit_name().value_or("");
        }
      }
      seen.push_back(line);
      last_seen = seen;
      if (defer == source.kind()) event.defer();
    });
  }
};

class ScenarioTest : public ::testing::Test {
 protected:
  ScenarioTest() {
    MyCharm::defer.clear();
    MyCharm::last_seen.clear();
  }
  Context<MyCharm> ctx{kMeta, kConfig, kActions};

  // The problems InconsistentStateError lists, or "" when the run passed the checker.
  std::string inconsistency(const ops::testing::Event& event, const State& state) {
    try {
      ctx.run(event, state);
    } catch (const InconsistentStateError& e) {
      return e.what();
    }
    return "";
  }
};

// ------------------------------------------------------ consistency checker

// Scenario: testing/tests/test_consistency_checker.py::test_base
TEST_F(ScenarioTest, ConsistencyBase) { EXPECT_EQ(inconsistency(ctx.on.update_status(), {}), ""); }

// Scenario: testing/tests/test_consistency_checker.py::test_workload_event_without_container
TEST_F(ScenarioTest, WorkloadEventWithoutContainer) {
  const Container work{.name = "work"};
  EXPECT_THAT(inconsistency(ctx.on.pebble_ready(work), {}), HasSubstr("not in the state"));
  EXPECT_EQ(inconsistency(ctx.on.pebble_ready(work), {.containers = {work}}), "");
}

// Scenario:
// testing/tests/test_consistency_checker.py::test_container_in_state_but_no_container_in_meta
TEST_F(ScenarioTest, ContainerInStateButNotInMeta) {
  EXPECT_THAT(inconsistency(ctx.on.start(), {.containers = {{.name = "nope"}}}),
              HasSubstr("container 'nope' is not declared in the metadata"));
}

// Scenario: testing/tests/test_consistency_checker.py::test_evt_bad_container_name
TEST_F(ScenarioTest, EventBadContainerName) {
  EXPECT_THAT(inconsistency(ctx.on.pebble_ready({.name = "nope"}), {}),
              HasSubstr("the event's container 'nope' is not declared in the metadata"));
}

// Scenario: testing/tests/test_consistency_checker.py::test_workload_event_without_container
// (notice)
TEST_F(ScenarioTest, NoticeEventForANoticeNotInTheContainer) {
  ops::pebble::Notice notice{.id = "1", .type = "custom", .key = "example.com/x"};
  const Container bare{.name = "work", .can_connect = true};
  EXPECT_THAT(inconsistency(ctx.on.pebble_custom_notice(bare, notice), {.containers = {bare}}),
              HasSubstr("the event's notice 1 is not in container 'work'"));
  const Container with{.name = "work", .can_connect = true, .notices = {notice}};
  EXPECT_EQ(inconsistency(ctx.on.pebble_custom_notice(with, notice), {.containers = {with}}), "");
}

// Scenario: testing/tests/test_consistency_checker.py::test_evt_no_relation
TEST_F(ScenarioTest, EventNoRelation) {
  const Relation foo{.endpoint = "foo"};
  EXPECT_THAT(inconsistency(ctx.on.relation_changed(foo), {}), HasSubstr("is not in the state"));
}

// Scenario: testing/tests/test_consistency_checker.py::test_config_key_missing_from_meta
TEST_F(ScenarioTest, ConfigKeyMissingFromMeta) {
  EXPECT_THAT(inconsistency(ctx.on.start(), {.config = {{"baz", "x"}}}),
              HasSubstr("config option 'baz' is not declared in config.yaml"));
}

// Scenario: testing/tests/test_consistency_checker.py::test_bad_config_option_type
TEST_F(ScenarioTest, BadConfigOptionType) {
  EXPECT_THAT(inconsistency(ctx.on.start(), {.config = {{"count", "1"}}}),
              HasSubstr("config option 'count' is of type int"));
  EXPECT_EQ(inconsistency(ctx.on.start(), {.config = {{"count", 1}}}), "");
}

// Scenario: testing/tests/test_consistency_checker.py::test_config_types
TEST_F(ScenarioTest, ConfigTypesAreCheckedExactly) {
  EXPECT_THAT(inconsistency(ctx.on.start(), {.config = {{"ratio", 1}}}),
              HasSubstr("config option 'ratio' is of type float, not 1"));
  EXPECT_EQ(inconsistency(ctx.on.start(), {.config = {{"ratio", 1.0}}}), "");
  EXPECT_THAT(inconsistency(ctx.on.start(), {.config = {{"count", 1.5}}}),
              HasSubstr("'count' is of type int"));
  EXPECT_THAT(inconsistency(ctx.on.start(), {.config = {{"flag", 1}}}),
              HasSubstr("'flag' is of type boolean"));
  EXPECT_THAT(inconsistency(ctx.on.start(), {.config = {{"name", true}}}),
              HasSubstr("'name' is of type string"));
}

// Scenario: testing/tests/test_consistency_checker.py::test_config_secret
TEST_F(ScenarioTest, ConfigSecretIdIsValidated) {
  EXPECT_THAT(inconsistency(ctx.on.start(), {.config = {{"creds", "not-a-secret"}}}),
              HasSubstr("is not a secret URI"));
  EXPECT_THAT(inconsistency(ctx.on.start(), {.config = {{"creds", "secret:short"}}}),
              HasSubstr("is not a secret URI"));
  EXPECT_EQ(inconsistency(ctx.on.start(), {.config = {{"creds", "secret:cr2d1f0g6s7v3nrbtq01"}}}),
            "");
  EXPECT_EQ(
      inconsistency(ctx.on.start(), {.config = {{"creds",
                                                 "secret://00000000-0000-4000-8000-000000000000/"
                                                 "cr2d1f0g6s7v3nrbtq01"}}}),
      "");
}

// Scenario: testing/tests/test_consistency_checker.py::test_secret_not_in_state
TEST_F(ScenarioTest, SecretNotInState) {
  const Secret secret{.id = "secret:cr2d1f0g6s7v3nrbtq01", .tracked_content = {{"a", "b"}}};
  EXPECT_THAT(inconsistency(ctx.on.secret_changed(secret), {}), HasSubstr("is not in the state"));
  EXPECT_EQ(inconsistency(ctx.on.secret_changed(secret), {.secrets = {secret}}), "");
}

// Scenario: testing/tests/test_e2e/test_secrets.py::test_secret_changed_owner_evt_fails
TEST_F(ScenarioTest, SecretChangedOwnerEventFails) {
  const Secret secret{
      .id = "secret:cr2d1f0g6s7v3nrbtq01", .tracked_content = {{"a", "b"}}, .owner = "app"};
  EXPECT_THAT(inconsistency(ctx.on.secret_changed(secret), {.secrets = {secret}}),
              HasSubstr("secret_changed goes to observers"));
}

// Scenario: testing/tests/test_e2e/test_secrets.py::test_consumer_events_failures
TEST_F(ScenarioTest, ConsumerEventsFailures) {
  const Secret secret{.id = "secret:cr2d1f0g6s7v3nrbtq01", .tracked_content = {{"a", "b"}}};
  EXPECT_THAT(inconsistency(ctx.on.secret_rotate(secret), {.secrets = {secret}}),
              HasSubstr("goes to the secret's owner"));
  EXPECT_THAT(inconsistency(ctx.on.secret_expired(secret, 1), {.secrets = {secret}}),
              HasSubstr("goes to the secret's owner"));
  EXPECT_THAT(inconsistency(ctx.on.secret_remove(secret, 1), {.secrets = {secret}}),
              HasSubstr("goes to the secret's owner"));
}

// Scenario: testing/tests/test_consistency_checker.py::test_peer_relation_consistency
TEST_F(ScenarioTest, PeerRelationConsistency) {
  const Relation wrong{.endpoint = "peers", .remote_app_data = {{"a", "b"}}};
  EXPECT_THAT(inconsistency(ctx.on.start(), {.relations = {wrong}}),
              HasSubstr("has remote_app_data"));
  EXPECT_EQ(inconsistency(ctx.on.start(), {.relations = {ops::testing::peer_relation("peers")}}),
            "");
}

// Scenario: testing/tests/test_consistency_checker.py::test_relation_not_in_state
TEST_F(ScenarioTest, RelationNotInState) {
  const Relation foo{.endpoint = "foo"};
  EXPECT_THAT(inconsistency(ctx.on.relation_created(foo), {}), HasSubstr("is not in the state"));
  EXPECT_EQ(inconsistency(ctx.on.relation_created(foo), {.relations = {foo}}), "");
}

// Scenario:
// testing/tests/test_consistency_checker.py::test_relation_changed_remote_unit_zero_is_explicit
TEST_F(ScenarioTest, RelationChangedRemoteUnitZeroIsExplicit) {
  const Relation foo{.endpoint = "foo", .remote_units_data = {{0, {}}}};
  EXPECT_EQ(inconsistency(ctx.on.relation_changed(foo, 0), {.relations = {foo}}), "");
}

// Scenario:
// testing/tests/test_consistency_checker.py::test_relation_changed_without_available_remote_unit_is_inconsistent
TEST_F(ScenarioTest, RelationChangedWithoutRemoteUnitIsInconsistent) {
  const Relation foo{.endpoint = "foo", .remote_units_data = {}};
  EXPECT_THAT(inconsistency(ctx.on.relation_changed(foo), {.relations = {foo}}),
              HasSubstr("needs a remote unit, but relation"));
  // App-level too: Juju starts relation hooks only once a remote unit joined.
  EXPECT_THAT(inconsistency(ctx.on.relation_changed(foo, std::nullopt, true), {.relations = {foo}}),
              HasSubstr("has no remote units"));
  EXPECT_THAT(inconsistency(ctx.on.relation_joined(foo), {.relations = {foo}}),
              HasSubstr("has no remote units"));
}

// Scenario: testing/tests/test_consistency_checker.py::test_action_not_in_meta_inconsistent
TEST_F(ScenarioTest, ActionNotInMetaInconsistent) {
  EXPECT_THAT(inconsistency(ctx.on.action("nope"), {}),
              HasSubstr("action 'nope' is not declared in actions.yaml"));
}

// Scenario: testing/tests/test_consistency_checker.py::test_action_params_type
TEST_F(ScenarioTest, ActionParamsType) {
  EXPECT_THAT(inconsistency(ctx.on.action("foo", {{"bar", "ten"}}), {}),
              HasSubstr("parameter 'bar' of action 'foo' must be of type"));
  EXPECT_THAT(inconsistency(ctx.on.action("foo"), {}), HasSubstr("requires parameter 'bar'"));
  EXPECT_EQ(inconsistency(ctx.on.action("foo", {{"bar", 10}}), {}), "");
}

// Scenario: testing/tests/test_consistency_checker.py::test_duplicate_relation_ids
TEST_F(ScenarioTest, DuplicateRelationIds) {
  const Relation a{.endpoint = "foo", .id = 2};
  const Relation b{.endpoint = "prov", .id = 2};
  EXPECT_THAT(inconsistency(ctx.on.start(), {.relations = {a, b}}),
              HasSubstr("two relations have the id 2"));
}

// Scenario: testing/tests/test_consistency_checker.py::test_relation_without_endpoint
TEST_F(ScenarioTest, RelationWithoutEndpoint) {
  EXPECT_THAT(inconsistency(ctx.on.start(), {.relations = {{.endpoint = "undeclared"}}}),
              HasSubstr("which the metadata does not declare"));
}

// Scenario: testing/tests/test_consistency_checker.py::test_storage_event /
// test_storage_not_in_state
TEST_F(ScenarioTest, StorageNotInState) {
  const ops::testing::Storage data{.name = "data"};
  EXPECT_THAT(inconsistency(ctx.on.storage_attached(data), {}), HasSubstr("is not in the state"));
  EXPECT_EQ(inconsistency(ctx.on.storage_attached(data), {.storages = {data}}), "");
}

// Scenario: testing/tests/test_consistency_checker.py::test_storage_states
TEST_F(ScenarioTest, StorageUndeclared) {
  EXPECT_THAT(inconsistency(ctx.on.start(), {.storages = {{.name = "nope"}}}),
              HasSubstr("storage 'nope' is not declared in the metadata"));
}

// Scenario: testing/tests/test_consistency_checker.py::test_resource_states
TEST_F(ScenarioTest, ResourceUndeclared) {
  EXPECT_THAT(inconsistency(ctx.on.start(), {.resources = {{.name = "nope", .path = "/tmp/x"}}}),
              HasSubstr("resource 'nope' is not declared in the metadata"));
}

// Scenario: testing/tests/test_consistency_checker.py::test_networks_consistency
TEST_F(ScenarioTest, NetworksConsistency) {
  EXPECT_THAT(inconsistency(ctx.on.start(), {.networks = {{"nope", ops::Network{}}}}),
              HasSubstr("network binding 'nope' is not an endpoint or extra-binding"));
  EXPECT_EQ(inconsistency(ctx.on.start(), {.networks = {{"foo", ops::Network{}}}}), "");
}

// Scenario: testing/tests/test_consistency_checker.py::test_own_unit_in_peers_data_consistency
TEST_F(ScenarioTest, OwnUnitInPeersDataConsistency) {
  const Relation peers = ops::testing::peer_relation("peers", {{0, {}}});
  EXPECT_THAT(inconsistency(ctx.on.start(), {.relations = {peers}}),
              HasSubstr("lists this unit (mycharm/0) as a peer"));
}

// Scenario: testing/tests/test_e2e/test_relations.py::test_relation_events (departing self)
// (Juju runs relation-departed on the departing unit itself; Scenario's checker accepts it)
TEST_F(ScenarioTest, DepartingUnitMayBeThisUnitOnAPeerRelation) {
  const Relation peers = ops::testing::peer_relation("peers", {{1, {}}});
  ctx.run(ctx.on.relation_departed(peers, 1, 0), {.relations = {peers}});
  EXPECT_THAT(MyCharm::last_seen, ElementsAre("peers_relation_departed app=mycharm unit=mycharm/1 "
                                              "departing=mycharm/0"));
}

// ------------------------------------------------------------------ actions

// Scenario: testing/tests/test_e2e/test_actions.py::test_action_event
TEST_F(ScenarioTest, ActionEvent) {
  ctx.run(ctx.on.action("foo", {{"bar", 10}}), {});
  EXPECT_EQ(ctx.action_results, (nlohmann::json{{"bar", 10}, {"baz", false}}));
}

// Scenario: testing/tests/test_e2e/test_actions.py::test_action_no_results
TEST_F(ScenarioTest, ActionNoResults) {
  ctx.run(ctx.on.action("none"), {});
  EXPECT_EQ(ctx.action_results, std::nullopt);
  EXPECT_TRUE(ctx.action_logs.empty());
}

// Scenario: testing/tests/test_e2e/test_actions.py::test_action_event_results_valid
TEST_F(ScenarioTest, ActionEventResultsValid) {
  ctx.run(ctx.on.action("results", {{"set", {{"a", {{"b", {{"c", "d"}}}}}}}}), {});
  EXPECT_EQ(ctx.action_results, (nlohmann::json{{"a", {{"b", {{"c", "d"}}}}}}));
  ctx.run(ctx.on.action("results", {{"set", {{"kept", nullptr}}}}), {});
  EXPECT_EQ(ctx.action_results, (nlohmann::json{{"kept", nullptr}}));
}

// Scenario: testing/tests/test_e2e/test_actions.py::test_action_event_results_invalid
TEST_F(ScenarioTest, ActionEventResultsInvalid) {
  for (const char* key :
       {"stdout", "stderr", "stdout-encoding", "stderr-encoding", "Bad", "a..b"}) {
    EXPECT_THROW(ctx.run(ctx.on.action("results", {{"set", {{key, "x"}}}}), {}),
                 ops::testing::UncaughtCharmError)
        << key;
  }
}

// Scenario: testing/tests/test_e2e/test_actions.py::test_action_event_fail
TEST_F(ScenarioTest, ActionEventFail) {
  try {
    ctx.run(ctx.on.action("fail"), {});
    FAIL() << "no ActionFailed";
  } catch (const ActionFailed& e) {
    EXPECT_EQ(e.message(), "failed");
    EXPECT_EQ(e.output().results, (nlohmann::json{{"partial", "yes"}}));
    EXPECT_THAT(e.output().logs, ElementsAre("about to fail"));
  }
}

// Scenario: testing/tests/test_e2e/test_actions.py::test_two_actions_same_context
TEST_F(ScenarioTest, TwoActionsSameContext) {
  ctx.run(ctx.on.action("foo", {{"bar", 1}}), {});
  EXPECT_EQ(ctx.action_results, (nlohmann::json{{"bar", 1}, {"baz", false}}));
  ctx.run(ctx.on.action("none"), {});
  EXPECT_EQ(ctx.action_results, std::nullopt);  // outputs are those of the last run
}

// ------------------------------------------------------------------ deferred

// Scenario: testing/tests/test_e2e/test_deferred.py::test_defer
TEST_F(ScenarioTest, Defer) {
  MyCharm::defer = "start";
  const State out = ctx.run(ctx.on.start(), {});
  ASSERT_EQ(out.deferred.size(), 1u);
  EXPECT_THAT(out.deferred[0].handle_path, HasSubstr("MyCharm/on/start["));
  EXPECT_EQ(out.deferred[0].method_name, "on_start");
}

// Scenario: testing/tests/test_e2e/test_deferred.py::test_deferred_evt_emitted
TEST_F(ScenarioTest, DeferredEventEmittedFirst) {
  const State out = ctx.run(ctx.on.update_status(),
                            {.deferred = {ctx.on.install().deferred("MyCharm", "on_install"),
                                          ctx.on.start().deferred("MyCharm", "on_start", 2)}});
  EXPECT_THAT(MyCharm::last_seen, ElementsAre("install", "start", "update_status"));
  EXPECT_TRUE(out.deferred.empty());
  // Re-emitted events are not recorded unless asked (Scenario's default).
  EXPECT_THAT(ctx.emitted_events, ElementsAre(EmittedEvent{"update_status", nullptr}));
}

// Scenario: testing/tests/test_e2e/test_deferred.py::test_defer_reemit_lifecycle_event
// (capture_deferred_events)
TEST_F(ScenarioTest, CaptureDeferredEvents) {
  ctx.capture_deferred_events = true;
  ctx.run(ctx.on.update_status(),
          {.deferred = {ctx.on.install().deferred("MyCharm", "on_install"),
                        ctx.on.start().deferred("MyCharm", "on_start", 2)}});
  EXPECT_THAT(ctx.emitted_events,
              ElementsAre(EmittedEvent{"install", nullptr}, EmittedEvent{"start", nullptr},
                          EmittedEvent{"update_status", nullptr}));
}

// Scenario: testing/tests/test_e2e/test_deferred.py::test_deferred_relation_event
TEST_F(ScenarioTest, DeferredRelationEventKeepsRemoteAppAndUnit) {
  const Relation foo{
      .endpoint = "foo", .remote_app_name = "remote", .remote_units_data = {{0, {}}, {1, {}}}};
  MyCharm::defer = "foo_relation_changed";
  State out = ctx.run(ctx.on.relation_changed(foo, 1), {.relations = {foo}});
  ASSERT_EQ(out.deferred.size(), 1u);
  EXPECT_EQ(out.deferred[0].snapshot["app_name"], "remote");
  EXPECT_EQ(out.deferred[0].snapshot["unit_name"], "remote/1");
  MyCharm::defer.clear();
  ctx.run(ctx.on.update_status(), out);
  EXPECT_THAT(MyCharm::last_seen,
              ElementsAre("foo_relation_changed app=remote unit=remote/1", "update_status"));
}

// Scenario: testing/tests/test_e2e/test_deferred.py::test_deferred_relation_event_from_relation
TEST_F(ScenarioTest, DeferredRelationEventFromFactory) {
  const Relation foo{.endpoint = "foo", .remote_app_name = "remote"};
  ctx.run(ctx.on.start(), {.relations = {foo},
                           .deferred = {ctx.on.relation_changed(foo, 0).deferred(
                               "MyCharm", "on_foo_relation_changed")}});
  EXPECT_THAT(MyCharm::last_seen,
              ElementsAre("foo_relation_changed app=remote unit=remote/0", "start"));
}

// Scenario: testing/tests/test_e2e/test_deferred.py::test_deferred_workload_event
TEST_F(ScenarioTest, DeferredWorkloadEvent) {
  const Container work{.name = "work", .can_connect = true};
  ctx.run(ctx.on.start(),
          {.containers = {work},
           .deferred = {ctx.on.pebble_ready(work).deferred("MyCharm", "on_work_pebble_ready")}});
  EXPECT_THAT(MyCharm::last_seen, ElementsAre("work_pebble_ready", "start"));
}

// Scenario: testing/tests/test_e2e/test_deferred.py::test_defer_reemit_lifecycle_event
TEST_F(ScenarioTest, DeferReemitAcrossRuns) {
  MyCharm::defer = "update_status";
  State out = ctx.run(ctx.on.update_status(), {});
  ASSERT_EQ(out.deferred.size(), 1u);
  MyCharm::defer.clear();
  out = ctx.run(ctx.on.start(), out);
  EXPECT_THAT(MyCharm::last_seen, ElementsAre("update_status", "start"));
  EXPECT_TRUE(out.deferred.empty());
}

// ops: test/test_framework.py::TestFramework::test_reemit_ignores_unknown_event_type (via Context)
TEST_F(ScenarioTest, DeferredEventOfAKindNoLongerDefinedIsDropped) {
  ctx.capture_deferred_events = true;
  const State out = ctx.run(
      ctx.on.start(), {.deferred = {{"MyCharm/on/gone_event[1]", "MyCharm", "on_gone", nullptr}}});
  EXPECT_TRUE(out.deferred.empty());
  EXPECT_THAT(ctx.emitted_events, ElementsAre(EmittedEvent{"start", nullptr}));
}

// ------------------------------------------------------------ custom events

// Scenario: testing/tests/test_context_on.py::test_custom_event
TEST_F(ScenarioTest, CustomEvent) {
  ctx.run(ctx.on.custom([](MyCharm& c) -> ops::EventSourceBase& { return c.requirer.ready; },
                        {{"who", "db"}}),
          {});
  EXPECT_THAT(MyCharm::last_seen, ::testing::IsEmpty());  // only charm.on events record there
}

// Scenario: testing/tests/test_e2e/test_deferred.py::test_defer_custom_event
TEST_F(ScenarioTest, CustomEventReachesItsObserver) {
  std::vector<std::string> seen;
  ctx.run_with(ctx.on.custom([](MyCharm& c) -> ops::EventSourceBase& { return c.requirer.ready; },
                             {{"who", "pg"}}),
               {}, [&seen](MyCharm& c) { seen = c.seen; });
  EXPECT_THAT(seen, ElementsAre("ready pg"));
}

// --------------------------------------------------------------- status etc.

// Scenario: testing/tests/test_e2e/test_status.py::test_workload_history
TEST_F(ScenarioTest, WorkloadVersionHistory) {
  class VersionCharm : public ops::CharmBase {
   public:
    explicit VersionCharm(ops::Framework& fw) : CharmBase(fw, "VersionCharm") {
      fw.observe(on.install, *this, "on_install", [this](ops::InstallEvent&) {
        unit().set_workload_version("1");
        unit().set_workload_version("1.2");
        unit().set_workload_version("1.5");
        unit().set_workload_version("2.0");
      });
    }
  };
  Context<VersionCharm> vctx{kMeta, kConfig};
  const State out = vctx.run(vctx.on.install(), {.workload_version = "0.1"});
  EXPECT_THAT(vctx.workload_version_history, ElementsAre("0.1", "1", "1.2", "1.5"));
  EXPECT_EQ(out.workload_version, "2.0");
  vctx.run(vctx.on.install(), {});
  EXPECT_THAT(vctx.workload_version_history, ElementsAre("1", "1.2", "1.5"));  // unset not kept
}

// Scenario: testing/tests/test_e2e/test_status.py::test_initial_status
TEST_F(ScenarioTest, InitialStatus) {
  const State out = ctx.run(ctx.on.update_status(), {});
  EXPECT_EQ(out.unit_status, ops::UnknownStatus());
  EXPECT_EQ(out.app_status, ops::UnknownStatus());
}

// Scenario: testing/tests/test_e2e/test_status.py::test_status_history
TEST_F(ScenarioTest, StatusHistory) {
  class StatusCharm : public ops::CharmBase {
   public:
    explicit StatusCharm(ops::Framework& fw) : CharmBase(fw, "StatusCharm") {
      fw.observe(on.update_status, *this, "on_update", [this](ops::UpdateStatusEvent&) {
        unit().set_status(ops::ActiveStatus("foo"));
        unit().set_status(ops::WaitingStatus("bar"));
        unit().set_status(ops::BlockedStatus("baz"));
      });
    }
  };
  Context<StatusCharm> sctx{kMeta, kConfig};
  const State out = sctx.run(sctx.on.update_status(), {});
  EXPECT_EQ(out.unit_status, ops::BlockedStatus("baz"));
  EXPECT_THAT(sctx.unit_status_history, ElementsAre(ops::UnknownStatus(), ops::ActiveStatus("foo"),
                                                    ops::WaitingStatus("bar")));
}

// ----------------------------------------------------------------- config

// Scenario: testing/tests/test_e2e/test_config.py::test_config_get_default_from_meta
TEST_F(ScenarioTest, ConfigDefaultFromMeta) {
  nlohmann::json seen;
  ctx.run_with(ctx.on.config_changed(), {.config = {{"count", 3}}},
               [&seen](MyCharm& c) { seen = c.config().values(); });
  EXPECT_EQ(seen, (nlohmann::json{{"name", "bob"}, {"count", 3}}));
}

// Scenario: testing/tests/test_e2e/test_config.py::test_config_in_not_mutated
TEST_F(ScenarioTest, ConfigInNotMutated) {
  const State in{.config = {{"count", 3}}};
  const State out = ctx.run(ctx.on.config_changed(), in);
  EXPECT_EQ(in.config, (nlohmann::json{{"count", 3}}));
  EXPECT_EQ(out.config, in.config);
}

// ----------------------------------------------------------------- secrets

// Scenario: testing/tests/test_e2e/test_secrets.py::test_get_secret_owner_peek_update
TEST_F(ScenarioTest, OwnerGetContentIsTrackedAndRefreshMovesIt) {
  const Secret secret{.id = "secret:cr2d1f0g6s7v3nrbtq01",
                      .tracked_content = {{"a", "b"}},
                      .latest_content = Databag{{"a", "c"}},
                      .owner = "app"};
  std::map<std::string, std::string> tracked, peeked, refreshed;
  const State out =
      ctx.run_with(ctx.on.update_status(), {.leader = true, .secrets = {secret}}, [&](MyCharm& c) {
        tracked = c.model().get_secret(secret.id).get_content();
        peeked = c.model().get_secret(secret.id).peek_content();
        refreshed = c.model().get_secret(secret.id).get_content(true);
      });
  EXPECT_EQ(tracked, (std::map<std::string, std::string>{{"a", "b"}}));
  EXPECT_EQ(peeked, (std::map<std::string, std::string>{{"a", "c"}}));
  EXPECT_EQ(refreshed, (std::map<std::string, std::string>{{"a", "c"}}));
  EXPECT_EQ(out.get_secret(secret.id).tracked_content, (Databag{{"a", "c"}}));
  EXPECT_EQ(out.get_secret(secret.id).latest_content, std::nullopt);
}

// Scenario: testing/tests/test_e2e/test_secrets.py::test_get_secret_nonowner_peek_update
TEST_F(ScenarioTest, NonOwnerPeekDoesNotTrack) {
  const Secret secret{.id = "secret:cr2d1f0g6s7v3nrbtq01",
                      .tracked_content = {{"a", "b"}},
                      .latest_content = Databag{{"a", "c"}}};
  const State out = ctx.run_with(ctx.on.update_status(), {.secrets = {secret}}, [&](MyCharm& c) {
    EXPECT_EQ(c.model().get_secret(secret.id).peek_content().at("a"), "c");
    EXPECT_EQ(c.model().get_secret(secret.id).get_content().at("a"), "b");
  });
  EXPECT_EQ(out.get_secret(secret.id).tracked_content, (Databag{{"a", "b"}}));
}

// Scenario: testing/tests/test_e2e/test_secrets.py::test_get_secret_no_secret
TEST_F(ScenarioTest, GetSecretNoSecret) {
  ctx.run_with(ctx.on.update_status(), {}, [](MyCharm& c) {
    EXPECT_THROW(c.model().get_secret("secret:cr2d1f0g6s7v3nrbtq01").get_content(),
                 ops::SecretNotFoundError);
    EXPECT_THROW(c.model().get_secret(std::nullopt, "foo").get_content(), ops::SecretNotFoundError);
  });
}

// Scenario: testing/tests/test_e2e/test_secrets.py::test_add
TEST_F(ScenarioTest, AddSecretAppearsInTheOutputState) {
  const State out = ctx.run_with(ctx.on.update_status(), {.leader = true}, [](MyCharm& c) {
    c.model().app().add_secret({{"foo", "bar"}}, {.label = "mylabel"});
  });
  ASSERT_EQ(out.secrets.size(), 1u);
  EXPECT_EQ(out.secrets[0].tracked_content, (Databag{{"foo", "bar"}}));
  EXPECT_EQ(out.secrets[0].label, "mylabel");
  EXPECT_EQ(out.secrets[0].owner, "app");
}

// ------------------------------------------------------------- relations

// Scenario: testing/tests/test_e2e/test_relations.py::test_relation_events_attrs
TEST_F(ScenarioTest, RelationEventsAttrs) {
  const Relation foo{
      .endpoint = "foo", .remote_app_name = "remote", .remote_units_data = {{2, {}}}};
  ctx.run(ctx.on.relation_changed(foo, 2), {.relations = {foo}});
  EXPECT_THAT(MyCharm::last_seen, ElementsAre("foo_relation_changed app=remote unit=remote/2"));
  ctx.run(ctx.on.relation_departed(foo, 2, 2), {.relations = {foo}});
  EXPECT_THAT(MyCharm::last_seen,
              ElementsAre("foo_relation_departed app=remote unit=remote/2 departing=remote/2"));
}

// Scenario: testing/tests/test_e2e/test_relations.py::test_relation_validates_access
TEST_F(ScenarioTest, RelationValidatesAccess) {
  const Relation foo{.endpoint = "foo", .remote_app_name = "remote"};
  ctx.run_with(ctx.on.update_status(), {.relations = {foo}}, [](MyCharm& c) {
    ops::Relation* rel = c.model().get_relation("foo");
    EXPECT_THROW(rel->data(*rel->app()).set("a", "b"), ops::RelationDataAccessError);
    EXPECT_THROW((void)rel->data(c.model().app()).get("a"), ops::RelationDataAccessError);
  });
}

// Scenario:
// testing/tests/test_e2e/test_relations.py::test_peer_relation_units_does_not_contain_this_unit
TEST_F(ScenarioTest, PeerRelationUnitsDoesNotContainThisUnit) {
  const Relation peers = ops::testing::peer_relation("peers", {{1, {}}, {2, {}}});
  std::vector<std::string> units;
  ctx.run_with(ctx.on.update_status(), {.relations = {peers}}, [&units](MyCharm& c) {
    for (ops::Unit* u : c.model().get_relation("peers")->units()) units.push_back(u->name());
  });
  EXPECT_THAT(units, ElementsAre("mycharm/1", "mycharm/2"));
}

// Scenario: testing/tests/test_e2e/test_relations.py::test_broken_relation_not_in_model_relations
TEST_F(ScenarioTest, BrokenRelationNotInModelRelations) {
  const Relation foo{.endpoint = "foo", .remote_app_name = "remote"};
  std::size_t count = 99;
  ctx.run_with(ctx.on.relation_broken(foo), {.relations = {foo}},
               [&count](MyCharm& c) { count = c.model().relations("foo").size(); });
  EXPECT_EQ(count, 0u);
}

// ----------------------------------------------------- charm constructor

class ConstructorWriter : public ops::CharmBase {
 public:
  explicit ConstructorWriter(ops::Framework& fw) : CharmBase(fw, "ConstructorWriter") {
    ops::Relation* rel = model().get_relation("foo");
    if (rel != nullptr) rel->data(*rel->app()).set("written", "from-ctor");
  }
};

// Scenario: testing/tests/test_e2e/test_relations.py::test_relation_validates_access (constructor)
TEST(ScenarioConstructor, RemoteAppBagIsReadOnlyInTheConstructor) {
  Context<ConstructorWriter> ctx{kMeta, kConfig};
  const Relation foo{.endpoint = "foo", .remote_app_name = "remote"};
  try {
    ctx.run(ctx.on.start(), {.relations = {foo}});
    FAIL() << "the constructor wrote a remote bag";
  } catch (const ops::testing::UncaughtCharmError& e) {
    EXPECT_THROW(e.rethrow_original(), ops::RelationDataAccessError);
  }
}

// ---------------------------------------------------- load_config/params

struct Settings {
  std::string name;
  int count = 0;
};
void from_json(const nlohmann::json& j, Settings& s) {
  s.name = j.value("name", std::string());
  s.count = j.value("count", 0);
  if (s.count < 0) throw std::invalid_argument("count must not be negative");
}

// ops: test/test_charm.py::test_config_init_errors_blocked (a charm's own validation error)
TEST(ScenarioLoadConfig, OwnValidationErrorBlocksAndStopsTheDispatch) {
  class ConfigCharm : public ops::CharmBase {
   public:
    explicit ConfigCharm(ops::Framework& fw) : CharmBase(fw, "ConfigCharm") {
      fw.observe(on.config_changed, *this, "on_config", [this](ops::ConfigChangedEvent&) {
        load_config<Settings>(ops::OnInvalid::kBlocked);
        unit().set_status(ops::ActiveStatus("loaded"));
      });
    }
  };
  Context<ConfigCharm> ctx{kMeta, kConfig};
  const State out = ctx.run(ctx.on.config_changed(), {.config = {{"count", -1}}});
  EXPECT_EQ(out.unit_status, ops::BlockedStatus("Invalid config: count must not be negative"));
  const State good = ctx.run(ctx.on.config_changed(), {.config = {{"count", 1}}});
  EXPECT_EQ(good.unit_status, ops::ActiveStatus("loaded"));
}

// ops: test/test_charm.py::test_config_init_errors_raise (kRaise lets the charm's own error
// through)
TEST(ScenarioLoadConfig, OwnValidationErrorPropagatesWithRaise) {
  class ConfigCharm : public ops::CharmBase {
   public:
    explicit ConfigCharm(ops::Framework& fw) : CharmBase(fw, "ConfigCharm") {
      fw.observe(on.config_changed, *this, "on_config",
                 [this](ops::ConfigChangedEvent&) { load_config<Settings>(); });
    }
  };
  Context<ConfigCharm> ctx{kMeta, kConfig};
  try {
    ctx.run(ctx.on.config_changed(), {.config = {{"count", -1}}});
    FAIL();
  } catch (const ops::testing::UncaughtCharmError& e) {
    EXPECT_THROW(e.rethrow_original(), std::invalid_argument);
  }
}

struct FooParams {
  int bar = 0;
};
void from_json(const nlohmann::json& j, FooParams& p) {
  p.bar = j.at("bar").get<int>();
  if (p.bar > 5) throw std::out_of_range("bar must be at most 5");
}

// ops: test/test_charm.py::test_action_init_errors_fail (a charm's own validation error)
TEST(ScenarioLoadParams, OwnValidationErrorFailsTheAction) {
  class ParamsCharm : public ops::CharmBase {
   public:
    explicit ParamsCharm(ops::Framework& fw) : CharmBase(fw, "ParamsCharm") {
      fw.observe(on.action("foo").action, *this, "on_foo", [](ops::ActionEvent& e) {
        const FooParams params = e.load_params<FooParams>(ops::OnInvalid::kFail);
        e.set_results({{"bar", params.bar}});
      });
    }
  };
  Context<ParamsCharm> ctx{kMeta, kConfig, kActions};
  try {
    ctx.run(ctx.on.action("foo", {{"bar", 9}}), {});
    FAIL() << "no ActionFailed";
  } catch (const ActionFailed& e) {
    EXPECT_EQ(e.message(), "Error in action parameters: bar must be at most 5");
  }
  ctx.run(ctx.on.action("foo", {{"bar", 3}}), {});
  EXPECT_EQ(ctx.action_results, (nlohmann::json{{"bar", 3}}));
}

}  // namespace
