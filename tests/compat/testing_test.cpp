// ops' test/test_testing.py (the Harness) translated to ops-cpp. Each TEST
// names the ops test it comes from; where ops-cpp deliberately differs, or
// where ops' Harness is laxer than Juju, the test says so in one line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "ops/ops.hpp"
#include "ops/testing/harness.hpp"

namespace {

using ops::testing::ActionFailed;
using ops::testing::Databag;
using ops::testing::Harness;
using ops::testing::HarnessError;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// ------------------------------------------------------------------ actions

constexpr const char* kActionMeta = "name: test\n";
constexpr const char* kActions = R"(
simple:
  description: lorem ipsum
fail:
  description: dolor sit amet
  params:
    empty-failure-message:
      type: boolean
unobserved-param-tester:
  description: consectetur adipiscing elit
  params:
    foo: {}
    bar: {}
  required: [foo]
  additionalProperties: false
log-and-results:
  description: sed do eiusmod tempor
  params:
    foo:
      type: string
      default: foo-default
    bar:
      type: integer
results:
  description: incididunt ut labore
)";

// ops' TestActions.ActionCharm; `results` is what the results action sets.
class ActionCharm : public ops::CharmBase {
 public:
  explicit ActionCharm(ops::Framework& fw) : CharmBase(fw, "ActionCharm") {
    fw.observe(on.action("simple").action, *this, "on_simple", [this](ops::ActionEvent& e) {
      simple_was_called = true;
      EXPECT_FALSE(e.id().empty());
    });
    fw.observe(on.action("fail").action, *this, "on_fail", [](ops::ActionEvent& e) {
      e.fail("this will be ignored");
      e.log("some progress");
      if (e.params().value("empty-failure-message", false)) {
        e.fail();
      } else {
        e.fail("something went wrong");
      }
      e.log("more progress");
      e.set_results({{"partial", "foo"}});
    });
    fw.observe(on.action("log-and-results").action, *this, "on_log_and_results",
               [](ops::ActionEvent& e) {
                 e.log("Step 1");
                 e.set_results({{"result1", e.params()["foo"]}});
                 e.log("Step 2");
                 e.set_results({{"result2", e.params().value("bar", nlohmann::json())}});
               });
    fw.observe(on.action("results").action, *this, "on_results",
               [this](ops::ActionEvent& e) { e.set_results(results); });
  }

  bool simple_was_called = false;
  nlohmann::json results = nlohmann::json::object();
};

class TestActions : public ::testing::Test {
 protected:
  TestActions() { harness.begin(); }
  Harness<ActionCharm> harness{kActionMeta, "", kActions};
};

// ops: test/test_testing.py::TestActions::test_before_begin
TEST(TestActionsBeforeBegin, BeforeBegin) {
  Harness<ActionCharm> harness{kActionMeta, "", kActions};
  EXPECT_THROW(harness.run_action("fail"), HarnessError);
}

// ops: test/test_testing.py::TestActions::test_invalid_action
TEST_F(TestActions, InvalidAction) {
  EXPECT_THROW(harness.run_action("another-action"), HarnessError);
  EXPECT_THROW(harness.run_action("log_and_results"), HarnessError);  // no "-" -> "_" here
}

// ops: test/test_testing.py::TestActions::test_run_action
TEST_F(TestActions, RunAction) {
  const auto out = harness.run_action("simple");
  EXPECT_TRUE(out.logs.empty());
  EXPECT_EQ(out.results, nlohmann::json::object());
  EXPECT_TRUE(harness.charm().simple_was_called);
}

// ops: test/test_testing.py::TestActions::test_fail_action_no_message
TEST_F(TestActions, FailActionNoMessage) {
  try {
    harness.run_action("fail", {{"empty-failure-message", true}});
    FAIL() << "no ActionFailed";
  } catch (const ActionFailed& e) {
    EXPECT_EQ(e.message(), "");
  }
}

// ops: test/test_testing.py::TestActions::test_fail_action
TEST_F(TestActions, FailAction) {
  try {
    harness.run_action("fail");
    FAIL() << "no ActionFailed";
  } catch (const ActionFailed& e) {
    EXPECT_EQ(e.message(), "something went wrong");
    EXPECT_THAT(e.output().logs, ElementsAre("some progress", "more progress"));
    EXPECT_EQ(e.output().results, (nlohmann::json{{"partial", "foo"}}));
  }
}

// ops: test/test_testing.py::TestActions::test_required_param
TEST_F(TestActions, RequiredParam) {
  EXPECT_THROW(harness.run_action("unobserved-param-tester"), HarnessError);
  EXPECT_THROW(harness.run_action("unobserved-param-tester", {{"bar", "baz"}}), HarnessError);
  EXPECT_NO_THROW(harness.run_action("unobserved-param-tester", {{"foo", "baz"}}));
  EXPECT_NO_THROW(harness.run_action("unobserved-param-tester", {{"foo", "baz"}, {"bar", "q"}}));
}

// ops: test/test_testing.py::TestActions::test_additional_params
TEST_F(TestActions, AdditionalParams) {
  EXPECT_NO_THROW(harness.run_action("simple", {{"foo", "bar"}}));
  // ops raises ModelError; a mistake in the test is a HarnessError here.
  EXPECT_THROW(harness.run_action("unobserved-param-tester", {{"foo", "bar"}, {"qux", "baz"}}),
               HarnessError);
  EXPECT_NO_THROW(harness.run_action("simple", {{"string", "hello"},
                                                {"number", 28.8},
                                                {"object", {{"a", {{"b", "c"}}}}},
                                                {"array", {1, 2, 3}},
                                                {"boolean", true},
                                                {"null", nullptr}}));
}

// ops: test/test_testing.py::TestActions::test_logs_and_results
TEST_F(TestActions, LogsAndResults) {
  auto out = harness.run_action("log-and-results");
  EXPECT_THAT(out.logs, ElementsAre("Step 1", "Step 2"));
  // A null result is kept, as ops' Harness keeps it.
  EXPECT_EQ(out.results, (nlohmann::json{{"result1", "foo-default"}, {"result2", nullptr}}));
  out = harness.run_action("log-and-results", {{"foo", "baz"}, {"bar", 28}});
  EXPECT_EQ(out.results, (nlohmann::json{{"result1", "baz"}, {"result2", 28}}));
}

// ops: test/test_testing.py::TestActions::test_bad_results
TEST_F(TestActions, BadResults) {
  harness.charm().results = {{"a", {{"b", 1}}}, {"a.b", 2}};
  EXPECT_THROW(harness.run_action("results"), ops::testing::UncaughtCharmError);
  for (const char* key : {"stdout", "stdout-encoding", "stderr", "stderr-encoding"}) {
    harness.charm().results = {{key, "foo"}};
    try {
      harness.run_action("results");
      FAIL() << key << " accepted";
    } catch (const ops::testing::UncaughtCharmError& e) {
      EXPECT_THAT(e.what(), HasSubstr(std::string("cannot set reserved action key \"") + key));
      EXPECT_THROW(e.rethrow_original(), ops::ModelError);
    }
  }
  harness.charm().results = {{"A", "foo"}};
  EXPECT_THROW(harness.run_action("results"), ops::testing::UncaughtCharmError);
}

// ops: test/test_testing.py::TestActions::test_logs_and_results (nested results merge as Juju's)
TEST_F(TestActions, NestedResultsMergeAsJujuDoes) {
  harness.charm().results = {{"a", {{"b", "1"}}}, {"c", nullptr}};
  const auto out = harness.run_action("results");
  EXPECT_EQ(out.results, (nlohmann::json{{"a", {{"b", "1"}}}, {"c", nullptr}}));
}

// --------------------------------------------------------- relations, config

constexpr const char* kMeta = R"(
name: test-app
requires:
  db:
    interface: pgsql
peers:
  peer:
    interface: peer
storage:
  test:
    type: filesystem
    multiple:
      range: 1-3
containers:
  foo:
    resource: foo-image
resources:
  foo-image:
    type: oci-image
  image:
    type: file
    filename: image.txt
)";

constexpr const char* kConfig = R"(
options:
  a:
    description: a
    type: string
    default: alpha
  b:
    type: int
  c:
    type: boolean
    default: true
  d:
    type: float
  s:
    type: secret
)";

// ops' RecordingCharm: remembers the events it saw (kind and remote unit/app).
class RecordingCharm : public ops::CharmBase {
 public:
  explicit RecordingCharm(ops::Framework& fw) : CharmBase(fw, "RecordingCharm") {
    record(on.install);
    record(on.config_changed);
    record(on.leader_elected);
    record(on.leader_settings_changed);
    record(on.secret_changed);
    record(on.secret_rotate);
    record(on.secret_remove);
    record(on.secret_expired);
    for (const char* endpoint : {"db", "peer"}) {
      record(on.relation(endpoint).relation_created);
      record(on.relation(endpoint).relation_joined);
      record(on.relation(endpoint).relation_changed);
      record(on.relation(endpoint).relation_departed);
      record(on.relation(endpoint).relation_broken);
    }
    record(on.storage("test").storage_attached);
    record(on.storage("test").storage_detaching);
    record(on.container("foo").pebble_ready);
    record(on.container("foo").pebble_custom_notice);
  }

  std::vector<std::string> events;
  std::vector<std::string> config_seen;

 private:
  template <class E>
  void record(ops::EventSource<E>& source) {
    framework().observe(source, *this, "on_" + source.kind(), [this, &source](E& event) {
      std::string line = source.kind();
      if constexpr (std::is_base_of_v<ops::RelationEvent, E>) {
        line +=
            event.unit_name() ? " " + *event.unit_name() : " app=" + event.app_name().value_or("");
      }
      if constexpr (std::is_same_v<E, ops::ConfigChangedEvent>) {
        config_seen.push_back(config().values().dump());
      }
      events.push_back(line);
    });
  }
};

class TestHarness : public ::testing::Test {
 protected:
  Harness<RecordingCharm> harness{kMeta, kConfig};
  std::vector<std::string>& events() { return harness.charm().events; }
};

// ops: test/test_testing.py::TestHarness::test_add_relation_no_meta_fails
TEST_F(TestHarness, AddRelationNoMetaFails) {
  EXPECT_THROW(harness.add_relation("db2", "postgresql"), HarnessError);
}

// ops: test/test_testing.py::TestHarness::test_add_relation
TEST_F(TestHarness, AddRelation) {
  const int id = harness.add_relation("db", "postgresql");
  EXPECT_EQ(id, 0);
  harness.begin();
  EXPECT_EQ(harness.get_relation_data(id, "postgresql"), Databag{});
  ops::Relation* relation = harness.model().get_relation("db", id);
  ASSERT_NE(relation, nullptr);
  EXPECT_EQ(relation->app()->name(), "postgresql");
  EXPECT_TRUE(relation->units().empty());
}

// ops: test/test_testing.py::TestHarness::test_add_relation_with_app_data
TEST_F(TestHarness, AddRelationWithAppData) {
  harness.begin();
  const int id = harness.add_relation("db", "postgresql", {.app_data = Databag{{"x", "1"}}});
  EXPECT_EQ(harness.get_relation_data(id, "postgresql"), (Databag{{"x", "1"}}));
  EXPECT_EQ(harness.get_relation_data(id, "postgresql/0"), Databag{});
  EXPECT_THAT(
      events(),
      ElementsAre("db_relation_created app=postgresql", "db_relation_joined postgresql/0",
                  "db_relation_changed postgresql/0", "db_relation_changed app=postgresql"));
}

// ops: test/test_testing.py::TestHarness::test_add_relation_with_unit_data
TEST_F(TestHarness, AddRelationWithUnitData) {
  harness.begin();
  const int id = harness.add_relation("db", "postgresql", {.unit_data = Databag{{"y", "2"}}});
  EXPECT_EQ(harness.get_relation_data(id, "postgresql"), Databag{});
  EXPECT_EQ(harness.get_relation_data(id, "postgresql/0"), (Databag{{"y", "2"}}));
}

// ops: test/test_testing.py::TestHarness::test_add_relation_and_unit
TEST_F(TestHarness, AddRelationAndUnit) {
  harness.begin();
  const int id = harness.add_relation("db", "postgresql");
  harness.add_relation_unit(id, "postgresql/0");
  harness.update_relation_data(id, "postgresql/0", {{"foo", "bar"}});
  EXPECT_EQ(harness.get_relation_data(id, "postgresql/0"), (Databag{{"foo", "bar"}}));
  ops::Relation* relation = harness.model().get_relation("db", id);
  ASSERT_EQ(relation->units().size(), 1u);
  EXPECT_EQ(relation->units()[0]->name(), "postgresql/0");
}

// ops: test/test_testing.py::TestHarness::test_remove_relation
TEST_F(TestHarness, RemoveRelation) {
  harness.begin();
  const int id = harness.add_relation("db", "postgresql");
  harness.add_relation_unit(id, "postgresql/0");
  events().clear();
  harness.remove_relation(id);
  EXPECT_THAT(events(), ElementsAre("db_relation_departed postgresql/0",
                                    "db_relation_broken app=postgresql"));
  EXPECT_TRUE(harness.model().relations("db").empty());
  EXPECT_THROW(harness.get_relation_data(id, "postgresql"), HarnessError);
}

// ops: test/test_testing.py::TestHarness::test_removing_invalid_relation_id_raises_exception
TEST_F(TestHarness, RemovingInvalidRelationIdRaises) {
  harness.begin();
  EXPECT_THROW(harness.remove_relation(42), HarnessError);
}

// ops: test/test_testing.py::TestHarness::test_remove_relation_unit
TEST_F(TestHarness, RemoveRelationUnit) {
  harness.begin();
  const int id = harness.add_relation("db", "postgresql");
  harness.add_relation_unit(id, "postgresql/0");
  harness.update_relation_data(id, "postgresql/0", {{"foo", "bar"}});
  events().clear();
  harness.remove_relation_unit(id, "postgresql/0");
  EXPECT_THAT(events(), ElementsAre("db_relation_departed postgresql/0"));
  EXPECT_TRUE(harness.model().get_relation("db", id)->units().empty());
}

// ops: test/test_testing.py::TestHarness::test_update_relation_exposes_new_data
TEST_F(TestHarness, UpdateRelationExposesNewData) {
  harness.begin();
  const int id = harness.add_relation("db", "postgresql");
  harness.add_relation_unit(id, "postgresql/0");
  harness.update_relation_data(id, "postgresql/0", {{"initial", "data"}});
  harness.update_relation_data(id, "postgresql/0", {{"new", "value"}});
  EXPECT_EQ(harness.get_relation_data(id, "postgresql/0"),
            (Databag{{"initial", "data"}, {"new", "value"}}));
}

// ops: test/test_testing.py::TestHarness::test_update_relation_no_local_unit_change_event
TEST_F(TestHarness, UpdateRelationNoLocalUnitChangeEvent) {
  harness.begin();
  const int id = harness.add_relation("db", "postgresql");
  events().clear();
  harness.update_relation_data(id, "test-app/0", {{"key", "value"}});
  EXPECT_TRUE(events().empty());
}

// ops: test/test_testing.py::TestHarness::test_update_relation_no_local_app_change_event
TEST_F(TestHarness, UpdateRelationNoLocalAppChangeEvent) {
  harness.begin();
  harness.set_leader(true);
  const int id = harness.add_relation("db", "postgresql");
  events().clear();
  harness.update_relation_data(id, "test-app", {{"key", "value"}});
  EXPECT_TRUE(events().empty());
}

// ops: test/test_testing.py::TestHarness::test_update_peer_relation_app_data
TEST_F(TestHarness, UpdatePeerRelationAppDataFiresForNonLeader) {
  harness.begin();
  harness.set_leader(false);
  const int id = harness.add_relation("peer", "test-app");
  harness.add_relation_unit(id, "test-app/1");
  events().clear();
  harness.update_relation_data(id, "test-app", {{"k", "v"}});
  EXPECT_THAT(events(), ElementsAre("peer_relation_changed app=test-app"));
}

// ops: test/test_testing.py::TestHarness::test_update_relation_remove_data
TEST_F(TestHarness, UpdateRelationRemoveData) {
  harness.begin();
  const int id = harness.add_relation("db", "postgresql");
  harness.add_relation_unit(id, "postgresql/0");
  harness.update_relation_data(id, "postgresql/0", {{"foo", "bar"}});
  harness.update_relation_data(id, "postgresql/0", {{"foo", ""}});
  EXPECT_EQ(harness.get_relation_data(id, "postgresql/0"), Databag{});
}

// ops: test/test_testing.py::TestHarness::test_no_event_on_no_diff_update_relation_unit_bag
TEST_F(TestHarness, NoEventOnNoDiffUpdate) {
  harness.begin();
  const int id = harness.add_relation("db", "postgresql");
  harness.add_relation_unit(id, "postgresql/0");
  harness.update_relation_data(id, "postgresql/0", {{"foo", "bar"}});
  events().clear();
  harness.update_relation_data(id, "postgresql/0", {{"foo", "bar"}});
  harness.update_relation_data(id, "postgresql/0", {});
  EXPECT_TRUE(events().empty());
}

// ops: test/test_testing.py::TestHarness::test_update_config
TEST_F(TestHarness, UpdateConfig) {
  harness.begin();
  harness.update_config({{"a", "foo"}, {"b", 2}});
  EXPECT_EQ(harness.charm().config_seen.back(),
            (nlohmann::json{{"a", "foo"}, {"b", 2}, {"c", true}}).dump());
  harness.update_config({}, {"a"});  // unset: back to no value (no default applies? default does)
  EXPECT_EQ(harness.model().config().values(),
            (nlohmann::json{{"a", "alpha"}, {"b", 2}, {"c", true}}));
}

// ops: test/test_testing.py::TestHarness::test_update_config_undefined_option
TEST_F(TestHarness, UpdateConfigUndefinedOption) {
  harness.begin();
  EXPECT_THROW(harness.update_config({{"xyz", "foo"}}), HarnessError);
}

// ops: test/test_testing.py::TestHarness::test_update_config_bad_type
TEST_F(TestHarness, UpdateConfigBadType) {
  harness.begin();
  EXPECT_THROW(harness.update_config({{"a", 1}}), HarnessError);
  EXPECT_THROW(harness.update_config({{"b", "x"}}), HarnessError);
  EXPECT_THROW(harness.update_config({{"c", "true"}}), HarnessError);
  EXPECT_THROW(harness.update_config({{"b", 1.5}}), HarnessError);
}

// ops: test/test_testing.py::TestHarness::test_bad_config_option_type
TEST(TestHarnessConfig, BadConfigOptionType) {
  EXPECT_THROW((Harness<RecordingCharm>{kMeta, "options:\n  a:\n    type: gibberish\n"}),
               ops::CharmMetaError);
}

// ops: test/test_testing.py::TestHarness::test_config_secret_option
TEST_F(TestHarness, ConfigSecretOption) {
  harness.begin();
  const std::string id = harness.add_user_secret({{"key", "value"}});
  harness.update_config({{"s", id}});
  EXPECT_EQ(harness.model().config().get<std::string>("s"), id);
}

// ops: test/test_testing.py::TestHarness::test_set_leader
TEST_F(TestHarness, SetLeader) {
  harness.set_leader(false);  // before begin: no event
  harness.begin();
  EXPECT_FALSE(harness.model().unit().is_leader());
  harness.set_leader(true);
  EXPECT_THAT(events(), ElementsAre("leader_elected"));
  EXPECT_TRUE(harness.model().unit().is_leader());
  harness.set_leader(false);
  EXPECT_THAT(events(), ElementsAre("leader_elected"));  // losing leadership fires nothing
}

// ops: test/test_testing.py::TestHarness::test_relation_set_app_not_leader
TEST_F(TestHarness, RelationSetAppNotLeader) {
  class WritingCharm : public ops::CharmBase {
   public:
    explicit WritingCharm(ops::Framework& fw) : CharmBase(fw, "WritingCharm") {
      fw.observe(on.config_changed, *this, "on_config", [this](ops::ConfigChangedEvent&) {
        ops::Relation* rel = model().get_relation("db");
        rel->data(model().app()).set("foo", "bar");
      });
    }
  };
  Harness<WritingCharm> h{kMeta, kConfig};
  h.set_leader(false);
  h.add_relation("db", "postgresql");
  h.begin();
  EXPECT_THROW(h.update_config({{"a", "x"}}), ops::testing::UncaughtCharmError);
}

// ops: test/test_testing.py::TestHarness::test_hooks_enabled_and_disabled
TEST_F(TestHarness, HooksEnabledAndDisabled) {
  harness.begin();
  harness.disable_hooks();
  harness.update_config({{"a", "first"}});
  EXPECT_TRUE(events().empty());
  harness.enable_hooks();
  harness.update_config({{"a", "second"}});
  EXPECT_THAT(events(), ElementsAre("config_changed"));
}

// ops: test/test_testing.py::TestHarness::test_hooks_disabled_contextmanager
TEST_F(TestHarness, HooksDisabledContextManager) {
  harness.begin();
  {
    auto off = harness.hooks_disabled();
    harness.update_config({{"a", "first"}});
  }
  EXPECT_TRUE(events().empty());
  harness.update_config({{"a", "second"}});
  EXPECT_THAT(events(), ElementsAre("config_changed"));
}

// ops: test/test_testing.py::TestHarness::test_hooks_disabled_nested_contextmanager
TEST_F(TestHarness, HooksDisabledNested) {
  harness.begin();
  {
    auto outer = harness.hooks_disabled();
    {
      auto inner = harness.hooks_disabled();
      harness.update_config({{"a", "1"}});
    }
    harness.update_config({{"a", "2"}});
  }
  EXPECT_TRUE(events().empty());
  EXPECT_TRUE(harness.hooks_enabled());
}

// ops: test/test_testing.py::TestHarness::test_hooks_disabled_noop
TEST_F(TestHarness, HooksDisabledNoop) {
  harness.begin();
  harness.disable_hooks();
  {
    auto off = harness.hooks_disabled();
    harness.update_config({{"a", "x"}});
  }
  EXPECT_FALSE(harness.hooks_enabled());  // was off before the scope: stays off
  EXPECT_TRUE(events().empty());
}

// ops: test/test_testing.py::TestHarness::test_set_model_name_after_begin
TEST_F(TestHarness, SetModelInfoAfterBegin) {
  harness.set_model_name("foo");
  harness.begin();
  EXPECT_THROW(harness.set_model_name("bar"), HarnessError);
  EXPECT_THROW(harness.set_model_uuid("96957e90-e006-11eb-ba80-0242ac130004"), HarnessError);
  EXPECT_EQ(harness.model().name(), "foo");
}

// ops: test/test_testing.py::TestHarness::test_add_storage_before_harness_begin
TEST_F(TestHarness, AddStorageBeforeBegin) {
  const auto ids = harness.add_storage("test", 3);
  EXPECT_THAT(ids, ElementsAre("test/0", "test/1", "test/2"));
  harness.begin();
  EXPECT_TRUE(events().empty());
  EXPECT_TRUE(harness.model().storages()["test"].empty());  // not attached by default
}

// ops: test/test_testing.py::TestHarness::test_add_storage_without_metadata_key_fails
TEST_F(TestHarness, AddStorageWithoutMetadataKeyFails) {
  EXPECT_THROW(harness.add_storage("other"), HarnessError);
}

// ops: test/test_testing.py::TestHarness::test_add_storage_after_harness_begin
TEST_F(TestHarness, AddStorageAfterBegin) {
  harness.begin();
  harness.add_storage("test", 2, /*attach=*/true);
  EXPECT_THAT(events(), ElementsAre("test_storage_attached", "test_storage_attached"));
  EXPECT_EQ(harness.model().storages()["test"].size(), 2u);
}

// ops: test/test_testing.py::TestHarness::test_detach_storage
TEST_F(TestHarness, DetachStorage) {
  const auto ids = harness.add_storage("test", 1, /*attach=*/true);
  harness.begin();
  harness.detach_storage(ids[0]);
  EXPECT_THAT(events(), ElementsAre("test_storage_detaching"));
  harness.detach_storage(ids[0]);  // already detached: nothing fires, as ops
  EXPECT_THAT(events(), ElementsAre("test_storage_detaching"));
  EXPECT_THROW(harness.detach_storage("test/7"), HarnessError);
}

// ops: test/test_testing.py::TestHarness::test_detach_storage_before_harness_begin
TEST_F(TestHarness, DetachStorageBeforeBegin) {
  const auto ids = harness.add_storage("test", 1, /*attach=*/true);
  EXPECT_THROW(harness.detach_storage(ids[0]), HarnessError);
}

// ops: test/test_testing.py::TestHarness::test_attach_storage
TEST_F(TestHarness, AttachStorage) {
  const auto ids = harness.add_storage("test");
  harness.begin();
  harness.attach_storage(ids[0]);
  EXPECT_THAT(events(), ElementsAre("test_storage_attached"));
  EXPECT_EQ(harness.model().storages()["test"].size(), 1u);
}

// ops: test/test_testing.py::TestHarness::test_remove_storage_after_harness_begin
TEST_F(TestHarness, RemoveStorageAfterBegin) {
  const auto ids = harness.add_storage("test", 2, /*attach=*/true);
  harness.begin();
  harness.remove_storage(ids[1]);
  EXPECT_THAT(events(), ElementsAre("test_storage_detaching"));
  EXPECT_EQ(harness.model().storages()["test"].size(), 1u);
}

// ops: test/test_testing.py::TestHarness::test_add_resource_unknown
TEST_F(TestHarness, AddResourceUnknown) {
  EXPECT_THROW(harness.add_resource("unknown", "content"), HarnessError);
}

// ops: test/test_testing.py::TestHarness::test_add_resource_but_oci
TEST_F(TestHarness, AddResourceButOci) {
  EXPECT_THROW(harness.add_resource("foo-image", "content"), HarnessError);
}

// ops: test/test_testing.py::TestHarness::test_add_resource_string
TEST_F(TestHarness, AddResourceString) {
  harness.add_resource("image", "foo contents\n");
  harness.begin();
  const auto path = harness.model().resources().fetch("image");
  EXPECT_EQ(path.filename(), "image.txt");
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "foo contents\n");
}

// ops: test/test_testing.py::TestHarness::test_set_workload_version
TEST_F(TestHarness, SetWorkloadVersion) {
  harness.begin();
  EXPECT_EQ(harness.get_workload_version(), std::nullopt);
  harness.model().unit().set_workload_version("1.2.3");
  EXPECT_EQ(harness.get_workload_version(), "1.2.3");
}

// ops: test/test_testing.py::TestHarness::test_unit_status / test_app_status
TEST_F(TestHarness, UnitAndAppStatus) {
  harness.set_leader(true);
  harness.begin();
  EXPECT_EQ(harness.unit_status(), ops::MaintenanceStatus(""));  // Juju's initial status
  harness.model().unit().set_status(ops::ActiveStatus("message"));
  harness.model().app().set_status(ops::ActiveStatus("app message"));
  EXPECT_EQ(harness.unit_status(), ops::ActiveStatus("message"));
  EXPECT_EQ(harness.app_status(), ops::ActiveStatus("app message"));
}

// ops: test/test_testing.py::TestHarness::test_begin_with_initial_hooks_no_relations
TEST_F(TestHarness, BeginWithInitialHooksNoRelations) {
  harness.update_config({{"a", "foo"}});
  harness.set_leader(true);
  harness.begin_with_initial_hooks();
  // ops' test has no container; ours has one, which becomes ready after start.
  EXPECT_THAT(events(), ElementsAre("install", "peer_relation_created app=test-app",
                                    "leader_elected", "config_changed", "foo_pebble_ready"));
}

// ops: test/test_testing.py::TestHarness::test_begin_with_initial_hooks_with_one_relation
TEST_F(TestHarness, BeginWithInitialHooksWithOneRelation) {
  const int id = harness.add_relation("db", "postgresql");
  harness.add_relation_unit(id, "postgresql/0");
  harness.update_relation_data(id, "postgresql/0", {{"new", "data"}});
  harness.begin_with_initial_hooks();
  EXPECT_THAT(events(),
              ElementsAre("install", "db_relation_created app=postgresql",
                          "peer_relation_created app=test-app", "leader_settings_changed",
                          "config_changed", "foo_pebble_ready", "db_relation_joined postgresql/0",
                          "db_relation_changed postgresql/0"));
}

// ops: test/test_testing.py::TestHarness::test_begin_with_initial_hooks_unknown_status
TEST_F(TestHarness, BeginWithInitialHooksUnknownStatus) {
  harness.begin_with_initial_hooks();
  EXPECT_EQ(harness.unit_status(), ops::UnknownStatus());
}

// ops: test/test_testing.py::TestHarness::test_get_pebble_container_plan_unknown
TEST_F(TestHarness, GetPebbleContainerPlanUnknown) {
  harness.begin();
  EXPECT_THROW(harness.get_container_pebble_plan("unknown"), HarnessError);
  EXPECT_TRUE(harness.get_container_pebble_plan("foo").services.empty());
}

// ops: test/test_testing.py::TestHarness::test_container_pebble_ready
TEST_F(TestHarness, ContainerPebbleReady) {
  harness.begin();
  harness.container_pebble_ready("foo");
  EXPECT_THAT(events(), ElementsAre("foo_pebble_ready"));
  EXPECT_TRUE(harness.model().unit().get_container("foo").can_connect());
}

// ops: test/test_testing.py::TestHarness::test_invalid_status_set
TEST_F(TestHarness, InvalidStatusSet) {
  harness.begin();
  EXPECT_THROW(harness.model().unit().set_status(ops::ErrorStatus("x")), ops::InvalidStatusError);
  EXPECT_THROW(harness.model().unit().set_status(ops::UnknownStatus()), ops::InvalidStatusError);
}

// ----------------------------------------------------------------- network

// ops: test/test_testing.py::TestNetwork::test_add_network_defaults
TEST_F(TestHarness, AddNetworkDefaults) {
  harness.add_network("10.0.0.10");
  harness.begin();
  const ops::Network& network = harness.model().get_binding("db").network();
  ASSERT_EQ(network.interfaces.size(), 1u);
  EXPECT_EQ(network.interfaces[0].name, "eth0");
  EXPECT_EQ(network.bind_address(), "10.0.0.10");
  EXPECT_THAT(network.ingress_addresses, ElementsAre("10.0.0.10"));
  EXPECT_THAT(network.egress_subnets, ElementsAre("10.0.0.0/24"));
}

// ops: test/test_testing.py::TestNetwork::test_add_network_relation_id_set_endpoint_not_set
TEST_F(TestHarness, AddNetworkRelationIdWithoutEndpoint) {
  const int id = harness.add_relation("db", "postgresql");
  EXPECT_THROW(harness.add_network("10.0.0.10", {.relation_id = id}), HarnessError);
}

// ops: test/test_testing.py::TestNetwork::test_add_network_relation_id_incorrect
TEST_F(TestHarness, AddNetworkRelationIdIncorrect) {
  EXPECT_THROW(harness.add_network("10.0.0.10", {.endpoint = "db", .relation_id = 9}),
               HarnessError);
}

// ops:
// test/test_testing.py::TestNetwork::test_add_network_endpoint_and_relation_id_do_not_correspond
TEST_F(TestHarness, AddNetworkEndpointAndRelationIdDoNotCorrespond) {
  const int id = harness.add_relation("db", "postgresql");
  EXPECT_THROW(harness.add_network("10.0.0.10", {.endpoint = "peer", .relation_id = id}),
               HarnessError);
}

// ------------------------------------------------------------------ secrets

class TestSecrets : public ::testing::Test {
 protected:
  TestSecrets() { harness.begin(); }
  Harness<RecordingCharm> harness{kMeta, kConfig};
};

// ops: test/test_testing.py::TestSecrets::test_add_model_secret_by_app_name_str
TEST_F(TestSecrets, AddModelSecretByAppName) {
  const int rel = harness.add_relation("db", "database");
  harness.add_relation_unit(rel, "database/0");
  const std::string id = harness.add_model_secret("database", {{"password", "hunter2"}});
  harness.grant_secret(id, "test-app");
  ops::Secret secret = harness.model().get_secret(id);
  EXPECT_EQ(secret.id(), id);
  EXPECT_EQ(secret.get_content(), (std::map<std::string, std::string>{{"password", "hunter2"}}));
}

// ops: test/test_testing.py::TestSecrets::test_get_secret_as_owner
TEST_F(TestSecrets, GetSecretAsOwner) {
  harness.set_leader(true);
  const std::string app_id = *harness.model().app().add_secret({{"password", "hunter5"}}).id();
  EXPECT_EQ(harness.model().get_secret(app_id).get_content(),
            (std::map<std::string, std::string>{{"password", "hunter5"}}));
  const std::string unit_id = *harness.model().unit().add_secret({{"password", "hunter6"}}).id();
  EXPECT_EQ(harness.model().get_secret(unit_id).get_content(),
            (std::map<std::string, std::string>{{"password", "hunter6"}}));
}

// ops: test/test_testing.py::TestSecrets::test_get_secret_and_refresh
TEST_F(TestSecrets, GetSecretAndRefresh) {
  harness.set_leader(true);
  ops::Secret secret = harness.model().app().add_secret({{"password", "hunter6"}});
  secret.set_content({{"password", "hunter7"}});
  ops::Secret retrieved = harness.model().get_secret(*secret.id());
  EXPECT_EQ(retrieved.get_content(), (std::map<std::string, std::string>{{"password", "hunter6"}}));
  EXPECT_EQ(retrieved.peek_content(),
            (std::map<std::string, std::string>{{"password", "hunter7"}}));
  EXPECT_EQ(retrieved.get_content(true),
            (std::map<std::string, std::string>{{"password", "hunter7"}}));
  EXPECT_EQ(retrieved.get_content(), (std::map<std::string, std::string>{{"password", "hunter7"}}));
}

// ops: test/test_testing.py::TestSecrets::test_get_secret_removed
TEST_F(TestSecrets, GetSecretRemoved) {
  harness.set_leader(true);
  ops::Secret secret = harness.model().app().add_secret({{"password", "hunter8"}});
  secret.set_content({{"password", "hunter9"}});
  secret.remove_revision(secret.get_info().revision);
  // The owner still tracks revision 1, which is there; the removed one is gone.
  EXPECT_EQ(harness.model().get_secret(*secret.id()).get_content(),
            (std::map<std::string, std::string>{{"password", "hunter8"}}));
  EXPECT_THAT(harness.get_secret_revisions(*secret.id()), ElementsAre(1));
}

// ops: test/test_testing.py::TestSecrets::test_get_secret_by_label
TEST_F(TestSecrets, GetSecretByLabel) {
  harness.set_leader(true);
  const std::string id =
      *harness.model().app().add_secret({{"password", "hunter9"}}, {.label = "my-pass"}).id();
  ops::Secret by_label = harness.model().get_secret(std::nullopt, "my-pass");
  EXPECT_EQ(by_label.label(), "my-pass");
  EXPECT_EQ(by_label.get_content(), (std::map<std::string, std::string>{{"password", "hunter9"}}));
  // Both id and label: the owner's label becomes "other-name".
  EXPECT_EQ(harness.model().get_secret(id, "other-name").get_content(),
            (std::map<std::string, std::string>{{"password", "hunter9"}}));
  EXPECT_EQ(harness.model().get_secret(std::nullopt, "other-name").get_content(),
            (std::map<std::string, std::string>{{"password", "hunter9"}}));
}

// ops: test/test_testing.py::TestSecrets::test_add_model_secret_invalid_content
TEST_F(TestSecrets, AddModelSecretInvalidContent) {
  EXPECT_THROW(harness.add_model_secret("database", {{"x", "y"}}), ops::ModelError);
}

// ops: test/test_testing.py::TestSecrets::test_set_secret_content
TEST_F(TestSecrets, SetSecretContentFiresSecretChanged) {
  const int rel = harness.add_relation("db", "database");
  harness.add_relation_unit(rel, "database/0");
  const std::string id = harness.add_model_secret("database", {{"foo", "1"}});
  harness.grant_secret(id, "test-app");
  harness.charm().events.clear();
  harness.set_secret_content(id, {{"foo", "2"}});
  EXPECT_THAT(harness.charm().events, ElementsAre("secret_changed"));
  ops::Secret secret = harness.model().get_secret(id);
  EXPECT_EQ(secret.get_content(), (std::map<std::string, std::string>{{"foo", "1"}}));
  EXPECT_EQ(secret.get_content(true), (std::map<std::string, std::string>{{"foo", "2"}}));
}

// ops: test/test_testing.py::TestSecrets::test_set_secret_content_invalid_secret_id
TEST_F(TestSecrets, SetSecretContentInvalidSecretId) {
  EXPECT_THROW(harness.set_secret_content("asdf", {{"foo", "bar"}}), HarnessError);
}

// ops: test/test_testing.py::TestSecrets::test_grant_secret_wrong_app
TEST_F(TestSecrets, GrantSecretWrongApp) {
  const std::string id = harness.add_model_secret("database", {{"password", "x1y"}});
  EXPECT_THROW(harness.grant_secret(id, "otherapp"), HarnessError);
}

// ops: test/test_testing.py::TestSecrets::test_grant_secret_and_revoke_secret
TEST_F(TestSecrets, GrantSecretAndRevokeSecret) {
  const int rel = harness.add_relation("db", "database");
  harness.add_relation_unit(rel, "database/0");
  const std::string id = harness.add_model_secret("database", {{"password", "hunter2"}});
  harness.grant_secret(id, "test-app");
  EXPECT_EQ(harness.model().get_secret(id).get_content().at("password"), "hunter2");
  harness.revoke_secret(id, "test-app");
  EXPECT_THROW(harness.model().get_secret(id).get_content(), ops::SecretNotFoundError);
}

// ops: test/test_testing.py::TestSecrets::test_trigger_secret_rotation
TEST_F(TestSecrets, TriggerSecretRotation) {
  harness.set_leader(true);
  const std::string id = *harness.model().app().add_secret({{"foo", "x"}}, {.label = "lbl"}).id();
  harness.charm().events.clear();
  harness.trigger_secret_rotation(id);
  harness.trigger_secret_removal(id, 1);
  harness.trigger_secret_expiration(id, 1);
  EXPECT_THAT(harness.charm().events,
              ElementsAre("secret_rotate", "secret_remove", "secret_expired"));
}

// ops: test/test_testing.py::TestSecrets::test_trigger_secret_rotation_on_user_secret
TEST_F(TestSecrets, TriggerSecretRotationOnUserSecret) {
  const std::string id = harness.add_user_secret({{"foo", "bar"}});
  EXPECT_THROW(harness.trigger_secret_rotation(id), HarnessError);
  EXPECT_THROW(harness.trigger_secret_expiration(id, 1), HarnessError);
}

// ops: test/test_testing.py::TestSecrets::test_secret_permissions_nonleader
TEST_F(TestSecrets, SecretPermissionsNonLeader) {
  harness.set_leader(true);
  const std::string id = *harness.model().app().add_secret({{"password", "1234"}}).id();
  harness.set_leader(false);
  ops::Secret secret = harness.model().get_secret(id);
  EXPECT_EQ(secret.get_content(), (std::map<std::string, std::string>{{"password", "1234"}}));
  EXPECT_THROW((void)secret.get_info(), ops::ModelError);
  EXPECT_THROW(secret.set_content({{"password", "5678"}}), ops::ModelError);
  EXPECT_THROW(secret.remove_all_revisions(), ops::ModelError);
}

// ops: test/test_testing.py::TestSecrets::test_add_user_secret
TEST_F(TestSecrets, AddUserSecret) {
  const std::string id = harness.add_user_secret({{"password", "foo"}});
  harness.grant_secret(id, "test-app");
  ops::Secret secret = harness.model().get_secret(id);
  EXPECT_EQ(secret.id(), id);
  EXPECT_EQ(secret.get_content(), (std::map<std::string, std::string>{{"password", "foo"}}));
}

// ops: test/test_testing.py::TestSecrets::test_get_user_secret_without_grant
TEST_F(TestSecrets, GetUserSecretWithoutGrant) {
  const std::string id = harness.add_user_secret({{"password", "foo"}});
  EXPECT_THROW(harness.model().get_secret(id).get_content(), ops::SecretNotFoundError);
}

// ops: test/test_testing.py::TestSecrets::test_revoke_user_secret
TEST_F(TestSecrets, RevokeUserSecret) {
  const std::string id = harness.add_user_secret({{"password", "foo"}});
  harness.grant_secret(id, "test-app");
  harness.revoke_secret(id, "test-app");
  EXPECT_THROW(harness.model().get_secret(id).get_content(), ops::SecretNotFoundError);
}

// ops: test/test_testing.py::TestSecrets::test_set_user_secret_content
TEST_F(TestSecrets, SetUserSecretContent) {
  const std::string id = harness.add_user_secret({{"password", "foo"}});
  harness.grant_secret(id, "test-app");
  EXPECT_EQ(harness.model().get_secret(id).get_content(),
            (std::map<std::string, std::string>{{"password", "foo"}}));
  harness.set_secret_content(id, {{"password", "bar"}});
  EXPECT_EQ(harness.model().get_secret(id).get_content(true),
            (std::map<std::string, std::string>{{"password", "bar"}}));
}

// ops: test/test_testing.py::TestSecrets::test_user_secret_permissions
TEST_F(TestSecrets, UserSecretPermissions) {
  const std::string id = harness.add_user_secret({{"password", "1234"}});
  harness.grant_secret(id, "test-app");
  ops::Secret secret = harness.model().get_secret(id);
  EXPECT_EQ(secret.get_content(), (std::map<std::string, std::string>{{"password", "1234"}}));
  // ops raises SecretNotFoundError for get_info; Juju's secret-info-get
  // answers "not found" for a secret this unit does not own, and so do we.
  EXPECT_THROW((void)secret.get_info(), ops::ModelError);
  EXPECT_THROW(secret.set_content({{"password", "5678"}}), ops::ModelError);
  EXPECT_THROW(secret.remove_all_revisions(), ops::ModelError);
}

// ops: test/test_testing.py::TestSecrets::test_add_user_secret (grant to a unit)
// (juju grant-secret takes application names: a unit grant is refused)
TEST_F(TestSecrets, UserSecretIsGrantedToTheApplicationOnly) {
  const std::string id = harness.add_user_secret({{"password", "1234"}});
  EXPECT_THROW(harness.grant_secret(id, "test-app/0"), HarnessError);
}

// ------------------------------------------------------------------- ports

// ops: test/test_testing.py::TestPorts::test_ports
TEST_F(TestHarness, Ports) {
  harness.begin();
  ops::Unit& unit = harness.model().unit();
  unit.open_port("tcp", 8080);
  unit.open_port("udp", 4000);
  unit.open_port("icmp");
  EXPECT_EQ(unit.opened_ports(),
            (std::set<ops::Port>{{"icmp", std::nullopt}, {"tcp", 8080}, {"udp", 4000}}));
  unit.close_port("tcp", 8080);
  unit.close_port("icmp");
  EXPECT_EQ(harness.opened_ports(), (std::set<ops::Port>{{"udp", 4000}}));
}

// ops: test/test_testing.py::TestPorts::test_errors
TEST_F(TestHarness, PortErrors) {
  harness.begin();
  ops::Unit& unit = harness.model().unit();
  EXPECT_THROW(unit.open_port("icmp", 8080), ops::ModelError);
  EXPECT_THROW(unit.open_port("ftp", 8080), ops::ModelError);
  EXPECT_THROW(unit.open_port("tcp", 0), ops::ModelError);
  EXPECT_THROW(unit.open_port("tcp", 65536), ops::ModelError);
  EXPECT_THROW(unit.open_port("tcp"), ops::ModelError);  // tcp needs a port
}

// ------------------------------------------------------------------ notify

// ops: test/test_testing.py::TestNotify::test_notify_basics
TEST_F(TestHarness, NotifyBasics) {
  harness.begin();
  harness.set_can_connect("foo", true);
  const std::string id1 = harness.pebble_notify("foo", "example.com/n1");
  const std::string id2 = harness.pebble_notify("foo", "example.com/n2", {{"k", "v"}});
  const std::string again = harness.pebble_notify("foo", "example.com/n1");
  EXPECT_EQ(again, id1);  // same key: same notice, repeated
  EXPECT_NE(id1, id2);
  EXPECT_THAT(events(), ElementsAre("foo_pebble_custom_notice", "foo_pebble_custom_notice",
                                    "foo_pebble_custom_notice"));
  const auto notice = harness.model().unit().get_container("foo").get_notice(id2);
  EXPECT_EQ(notice.last_data, (std::map<std::string, std::string>{{"k", "v"}}));
}

// ops: test/test_testing.py::TestNotify::test_notify_no_begin
TEST_F(TestHarness, NotifyNoBegin) {
  harness.set_can_connect("foo", true);
  harness.pebble_notify("foo", "example.com/n1");
  harness.begin();
  EXPECT_TRUE(events().empty());
  EXPECT_EQ(harness.model().unit().get_container("foo").get_notices().size(), 1u);
}

// ----------------------------------------------------------- constructor

// A charm that writes a remote app's bag in its constructor.
class ConstructorWriterCharm : public ops::CharmBase {
 public:
  explicit ConstructorWriterCharm(ops::Framework& fw) : CharmBase(fw, "ConstructorWriterCharm") {
    ops::Relation* rel = model().get_relation("db");
    if (rel != nullptr) rel->data(*rel->app()).set("written", "from-ctor");
  }
};

// ops: test/test_testing.py::TestHarness::test_event_context (the charm is built in the hook)
TEST(TestHarnessConstructor, RemoteAppBagIsReadOnlyInTheConstructor) {
  Harness<ConstructorWriterCharm> harness{kMeta, kConfig};
  harness.add_relation("db", "postgresql", {.app_data = Databag{{"x", "1"}}});
  EXPECT_THROW(harness.begin(), ops::RelationDataAccessError);
}

}  // namespace

namespace {

// ops: test/test_framework.py::TestFramework::test_reemit_ignores_unknown_event_type
// (a plain Framework: the notice of a kind no charm defines goes, without a word on stderr)
TEST(TestPlainFramework, DeferredNoticeOfAnUnknownKindIsDroppedSilently) {
  ops::MemoryStorage storage;
  storage.save_notice("Gone/on/foo[1]", "Observer", "on_foo");
  ::testing::internal::CaptureStderr();
  {
    ops::Framework framework(storage);
    framework.reemit();
  }
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_TRUE(storage.notices().empty());
}

}  // namespace
