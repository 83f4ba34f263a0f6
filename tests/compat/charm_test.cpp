// ops' test/test_charm.py translated to ops-cpp: events defined from the
// metadata (on[name] for endpoints, storages, containers and actions),
// metadata parsing of every field Juju's charm schema has (and Juju's
// refusals), status and collect-status.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ops/charm.hpp"
#include "ops/errors.hpp"
#include "ops/testing/errors.hpp"
#include "ops/testing/harness.hpp"
#include "support/temp_dir.hpp"

namespace {

using nlohmann::json;
using ops::CharmMeta;
using ops::CharmMetaError;

// The error message of parsing metadata, or "" when it parses.
std::string meta_error(const std::string& metadata) {
  try {
    (void)CharmMeta::from_yaml(metadata);
  } catch (const CharmMetaError& e) {
    return e.what();
  }
  return "";
}

::testing::AssertionResult refused(const std::string& metadata, const std::string& expected) {
  const std::string error = meta_error(metadata);
  if (error.find(expected) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "error '" << error << "' lacks '" << expected << "'";
}

// ---- a charm recording its events ---------------------------------------------

constexpr const char* kMetadata = R"(name: my-charm
requires:
  req1:
    interface: req1
  req-2:
    interface: req2
provides:
  pro1:
    interface: pro1
  pro-2:
    interface: pro2
peers:
  peer1:
    interface: peer1
storage:
  stor1:
    type: filesystem
  stor-4:
    type: filesystem
    multiple:
      range: 2-4
  stor-plus:
    type: filesystem
    multiple:
      range: 10+
containers:
  container-a:
    resource: image-a
  containerb: {}
resources:
  image-a:
    type: oci-image
)";
constexpr const char* kActions = R"(foo-bar:
  description: Foos the bar.
  params:
    foo-name:
      type: string
start:
  description: Start the unit.
)";

class RecordingCharm : public ops::CharmBase {
 public:
  explicit RecordingCharm(ops::Framework& fw) : CharmBase(fw, "RecordingCharm") {
    fw.observe<&RecordingCharm::on_any>(on.install, *this);
    // ops: self.framework.observe(self.on[rel].relation_changed, ...) for names from data.
    for (const auto& [name, relation] : meta().relations) {
      fw.observe<&RecordingCharm::on_any>(on[name].relation_joined, *this);
      fw.observe<&RecordingCharm::on_any>(on[name].relation_changed, *this);
      fw.observe<&RecordingCharm::on_any>(on[name].relation_departed, *this);
      fw.observe<&RecordingCharm::on_any>(on[name].relation_broken, *this);
    }
    for (const auto& [name, storage] : meta().storages) {
      fw.observe<&RecordingCharm::on_any>(on[name].storage_attached, *this);
      fw.observe<&RecordingCharm::on_any>(on[name].storage_detaching, *this);
    }
    for (const auto& [name, container] : meta().containers) {
      fw.observe<&RecordingCharm::on_any>(on[name].pebble_ready, *this);
    }
    fw.observe<&RecordingCharm::on_action>(on["foo-bar"].action, *this);
    fw.observe<&RecordingCharm::on_start_action>(on["start"].action, *this);
  }
  void on_any(ops::EventBase& event) { seen.emplace_back(event.handle().kind()); }
  void on_action(ops::ActionEvent& event) {
    seen.emplace_back(event.handle().kind());
    event.set_results({{"foo-name", event.params().value("foo-name", "")}});
  }
  void on_start_action(ops::ActionEvent& event) {
    seen.emplace_back(event.handle().kind());
    event.defer();
  }
  std::vector<std::string> seen;
};

class CharmCompat : public ::testing::Test {
 protected:
  ops::testing::Harness<RecordingCharm> harness{kMetadata, "", kActions};
  CharmCompat() { harness.begin(); }
  std::vector<std::string>& seen() { return harness.charm().seen; }
};

// ops: test/test_charm.py::test_basic
TEST_F(CharmCompat, Basic) {
  harness.fire<ops::InstallEvent>();
  EXPECT_EQ(seen(), std::vector<std::string>{"install"});
}

// ops: test/test_charm.py::test_helper_properties
TEST_F(CharmCompat, HelperProperties) {
  RecordingCharm& charm = harness.charm();
  EXPECT_EQ(&charm.app(), &harness.model().app());
  EXPECT_EQ(&charm.unit(), &harness.model().unit());
  EXPECT_EQ(charm.meta().name, "my-charm");
  EXPECT_EQ(charm.handle().path(), "RecordingCharm");
  EXPECT_EQ(charm.on.handle().path(), "RecordingCharm/on");
}

// ops: test/test_charm.py::test_relation_events
TEST_F(CharmCompat, RelationEvents) {
  const int id = harness.add_relation("req1", "remote");
  harness.add_relation_unit(id, "remote/0");
  harness.update_relation_data(id, "remote/0", {{"k", "v"}});
  const int pro = harness.add_relation("pro-2", "other");
  harness.remove_relation(pro);
  EXPECT_EQ(seen(), (std::vector<std::string>{"req1_relation_joined", "req1_relation_changed",
                                              "req1_relation_changed", "pro_2_relation_broken"}));
}

// ops: test/test_charm.py::test_relation_events (every endpoint's kinds)
TEST_F(CharmCompat, RelationEventKindsPerEndpoint) {
  ops::CharmEvents& on = harness.charm().on;
  EXPECT_EQ(on["req-2"].relation_changed.kind(), "req_2_relation_changed");
  EXPECT_EQ(on["pro1"].relation_departed.kind(), "pro1_relation_departed");
  EXPECT_EQ(on["peer1"].relation_broken.kind(), "peer1_relation_broken");
  EXPECT_EQ(on["peer1"].relation_created.kind(), "peer1_relation_created");
  EXPECT_EQ(on["req1"].relation_joined.observer_count(), 1u);
}

// ops: test/test_charm.py::test_storage_events
TEST_F(CharmCompat, StorageEvents) {
  harness.add_storage("stor1", 1, true);
  const auto ids = harness.add_storage("stor-4", 2, true);
  harness.detach_storage(ids.at(0));
  EXPECT_EQ(seen(),
            (std::vector<std::string>{"stor1_storage_attached", "stor_4_storage_attached",
                                      "stor_4_storage_attached", "stor_4_storage_detaching"}));
  EXPECT_EQ(harness.charm().on["stor-plus"].storage_attached.kind(), "stor_plus_storage_attached");
}

// ops: test/test_charm.py::test_workload_events
TEST_F(CharmCompat, WorkloadEvents) {
  harness.container_pebble_ready("container-a");
  harness.container_pebble_ready("containerb");
  EXPECT_EQ(seen(),
            (std::vector<std::string>{"container_a_pebble_ready", "containerb_pebble_ready"}));
  ops::CharmEvents& on = harness.charm().on;
  EXPECT_EQ(on["container-a"].pebble_custom_notice.kind(), "container_a_pebble_custom_notice");
  EXPECT_EQ(on["containerb"].pebble_check_failed.kind(), "containerb_pebble_check_failed");
  EXPECT_EQ(on["containerb"].pebble_check_recovered.kind(), "containerb_pebble_check_recovered");
}

// ops: test/test_charm.py::test_action_events
TEST_F(CharmCompat, ActionEvents) {
  const auto output = harness.run_action("foo-bar", {{"foo-name", "name"}});
  EXPECT_EQ(seen(), std::vector<std::string>{"foo_bar_action"});
  EXPECT_EQ(output.results, json({{"foo-name", "name"}}));
}

// ops: test/test_charm.py::test_inappropriate_event_defer_fails
TEST_F(CharmCompat, DeferringAnActionFails) {
  // The Harness wraps what escapes a handler (ops' Harness re-raises the RuntimeError itself).
  try {
    harness.run_action("start");
    FAIL() << "expected UncaughtCharmError";
  } catch (const ops::testing::UncaughtCharmError& e) {
    EXPECT_NE(std::string(e.what()).find("start_action events cannot be deferred"),
              std::string::npos);
  }
}

// ops: test/test_charm.py::test_relation_events (on[name] of the wrong kind)
// We differ: ops raises AttributeError when the attribute is used; we throw FrameworkError.
TEST_F(CharmCompat, OnNameOfAnotherKindIsRefusedWhenUsed) {
  ops::CharmEvents& on = harness.charm().on;
  EXPECT_FALSE(on["stor1"].relation_changed.exists());
  EXPECT_TRUE(on["stor1"].storage_attached.exists());
  try {
    static_cast<void>(on["stor1"].relation_changed.kind());
    FAIL() << "expected FrameworkError";
  } catch (const ops::FrameworkError& e) {
    EXPECT_STREQ(e.what(),
                 "RecordingCharm/on: 'stor1' is not a relation endpoint in the charm's metadata, "
                 "so there is no event stor1_relation_changed");
  }
  EXPECT_THROW(static_cast<void>(on["req1"].pebble_ready.source()), ops::FrameworkError);
  EXPECT_THROW(static_cast<void>(on["nothing"]), ops::FrameworkError);
}

// ops: test/test_charm.py::test_relation_events (every kind by name at run time)
TEST_F(CharmCompat, EveryEventKindIsFoundByName) {
  ops::CharmEvents& on = harness.charm().on;
  for (const char* kind : {"install", "start", "stop", "remove", "update_status", "config_changed",
                           "upgrade_charm", "leader_elected", "secret_changed", "secret_rotate",
                           "collect_unit_status", "req1_relation_changed", "stor1_storage_attached",
                           "container_a_pebble_ready", "foo_bar_action"}) {
    EXPECT_EQ(on.event(kind).kind(), kind);
  }
  EXPECT_EQ(&on.event("install"), &on.install);
}

// ---- collect-status -------------------------------------------------------------

class StatusCharm : public ops::CharmBase {
 public:
  explicit StatusCharm(ops::Framework& fw) : CharmBase(fw, "StatusCharm") {
    fw.observe(on.collect_app_status, *this, "on_collect_app", [this](ops::CollectStatusEvent& e) {
      for (const auto& s : app_statuses) e.add_status(s);
    });
    fw.observe(on.collect_unit_status, *this, "on_collect_unit",
               [this](ops::CollectStatusEvent& e) {
                 for (const auto& s : unit_statuses) e.add_status(s);
               });
  }
  std::vector<ops::StatusBase> app_statuses, unit_statuses;
};

class CollectStatus : public ::testing::Test {
 protected:
  ops::testing::Harness<StatusCharm> harness{"name: status-charm\n"};
  CollectStatus() { harness.begin(); }
};

// ops: test/test_charm.py::test_collect_app_status_leader
TEST_F(CollectStatus, AppStatusOnTheLeader) {
  harness.set_leader(true);
  harness.charm().app_statuses = {ops::ActiveStatus(), ops::BlockedStatus("first"),
                                  ops::WaitingStatus("waiting")};
  harness.evaluate_status();
  EXPECT_EQ(harness.app_status(), ops::BlockedStatus("first"));
}

// ops: test/test_charm.py::test_collect_app_status_no_statuses
TEST_F(CollectStatus, NoAppStatusesLeaveTheStatusAlone) {
  harness.set_leader(true);
  harness.evaluate_status();
  EXPECT_EQ(harness.app_status().name(), "unknown");
}

// ops: test/test_charm.py::test_collect_app_status_non_leader
TEST_F(CollectStatus, NonLeaderDoesNotCollectAppStatus) {
  harness.set_leader(false);
  harness.charm().app_statuses = {ops::BlockedStatus("first")};
  harness.evaluate_status();
  EXPECT_EQ(harness.app_status().name(), "unknown");
}

// ops: test/test_charm.py::test_collect_unit_status
TEST_F(CollectStatus, UnitStatus) {
  harness.charm().unit_statuses = {ops::ActiveStatus(), ops::MaintenanceStatus("busy"),
                                   ops::WaitingStatus("later")};
  harness.evaluate_status();
  EXPECT_EQ(harness.unit_status(), ops::MaintenanceStatus("busy"));
}

// ops: test/test_charm.py::test_collect_unit_status_no_statuses
TEST_F(CollectStatus, NoUnitStatuses) {
  harness.evaluate_status();
  EXPECT_EQ(harness.unit_status().name(), "maintenance");  // Harness' initial status, untouched
}

// ops: test/test_charm.py::test_collect_app_and_unit_status
TEST_F(CollectStatus, AppAndUnitStatus) {
  harness.set_leader(true);
  harness.charm().app_statuses = {ops::ActiveStatus("app")};
  harness.charm().unit_statuses = {ops::WaitingStatus("unit")};
  harness.evaluate_status();
  EXPECT_EQ(harness.app_status(), ops::ActiveStatus("app"));
  EXPECT_EQ(harness.unit_status(), ops::WaitingStatus("unit"));
}

// ops: test/test_charm.py::test_add_status_type_error
TEST_F(CollectStatus, ErrorAndUnknownCannotBeAdded) {
  harness.charm().unit_statuses = {ops::StatusBase::from_name("error", "bad")};
  try {
    harness.evaluate_status();
    FAIL() << "expected UncaughtCharmError";
  } catch (const ops::testing::UncaughtCharmError& e) {
    EXPECT_NE(std::string(e.what()).find("ops::InvalidStatusError: add_status: status must be "
                                         "active, blocked, maintenance or waiting"),
              std::string::npos);
  }
}

// ops: test/test_charm.py::test_collect_status_priority_valid
TEST_F(CollectStatus, PriorityOrder) {
  harness.charm().unit_statuses = {ops::WaitingStatus("w"), ops::ActiveStatus("a"),
                                   ops::MaintenanceStatus("m"), ops::BlockedStatus("b")};
  harness.evaluate_status();
  EXPECT_EQ(harness.unit_status(), ops::BlockedStatus("b"));
  EXPECT_EQ(ops::StatusBase::highest_priority({ops::ActiveStatus("x"), ops::ActiveStatus("y")}),
            ops::ActiveStatus("x"));
}

// ops: test/test_charm.py::test_collect_status_priority_invalid
TEST_F(CollectStatus, UnknownStatusNamesAreRefused) {
  EXPECT_THROW((void)ops::StatusBase::from_name("nope", ""), ops::InvalidStatusError);
}

// ---- metadata parsing -------------------------------------------------------------

// ops: test/test_charm.py::test_empty_action_and_config_from_yaml
TEST(CharmMetaCompat, EmptyActionsAndConfig) {
  const CharmMeta meta = CharmMeta::from_yaml("name: my-charm\n", "", "");
  EXPECT_TRUE(meta.actions.empty());
  EXPECT_TRUE(meta.config.empty());
  const CharmMeta nulls = CharmMeta::from_yaml("name: my-charm\n", "~\n", "~\n");
  EXPECT_TRUE(nulls.actions.empty());
  EXPECT_TRUE(nulls.config.empty());
}

// ops: test/test_charm.py::test_relations_meta
TEST(CharmMetaCompat, RelationsMeta) {
  const CharmMeta meta = CharmMeta::from_yaml(R"(name: my-charm
requires:
  database:
    interface: mongodb
    limit: 1
    scope: container
  metrics:
    interface: prometheus-scraping
    optional: true
)");
  const auto& db = meta.requires_relations.at("database");
  EXPECT_EQ(db.interface_name, "mongodb");
  EXPECT_EQ(db.limit, 1);
  EXPECT_EQ(db.scope, "container");
  EXPECT_FALSE(db.optional);
  EXPECT_EQ(db.role, ops::RelationRole::kRequires);
  const auto& metrics = meta.relations.at("metrics");
  EXPECT_EQ(metrics.interface_name, "prometheus-scraping");
  EXPECT_FALSE(metrics.limit.has_value());
  EXPECT_EQ(metrics.scope, "global");
  EXPECT_TRUE(metrics.optional);
}

// ops: test/test_charm.py::test_relations_meta_limit_type_validation
TEST(CharmMetaCompat, RelationLimitMustBeAnInteger) {
  EXPECT_TRUE(refused("name: x\nrequires:\n  db:\n    interface: pg\n    limit: foobar\n",
                      "requires.db.limit: expected an integer, got 'foobar'"));
}

// ops: test/test_charm.py::test_relations_meta_scope_type_validation
TEST(CharmMetaCompat, RelationScopeMustBeGlobalOrContainer) {
  EXPECT_TRUE(refused("name: x\nrequires:\n  db:\n    interface: pg\n    scope: foobar\n",
                      "requires.db.scope: expected 'global' or 'container', got 'foobar'"));
}

// ops: test/test_charm.py::test_relations_meta (short form "endpoint: interface")
TEST(CharmMetaCompat, RelationShortForm) {
  const CharmMeta meta = CharmMeta::from_yaml("name: x\nprovides:\n  website: http\n");
  EXPECT_EQ(meta.provides_relations.at("website").interface_name, "http");
  EXPECT_EQ(meta.provides_relations.at("website").role, ops::RelationRole::kProvides);
}

// ops: test/test_charm.py::test_meta_from_charm_root
TEST(CharmMetaCompat, MetaFromCharmRoot) {
  const ops_test::TempDir tmp("ops-compat-root-");
  const std::filesystem::path& dir = tmp.path();
  {
    std::ofstream(dir / "metadata.yaml")
        << "name: my-charm\nrequires:\n  foo:\n    interface: bar\n";
  }
  { std::ofstream(dir / "actions.yaml") << "act: {description: does}\n"; }
  { std::ofstream(dir / "config.yaml") << "options:\n  opt: {type: int, default: 1}\n"; }
  const CharmMeta meta = CharmMeta::from_charm_dir(dir);
  EXPECT_EQ(meta.name, "my-charm");
  EXPECT_EQ(meta.requires_relations.at("foo").interface_name, "bar");
  EXPECT_EQ(meta.actions.at("act").description, "does");
  EXPECT_EQ(meta.config.at("opt").default_value, json(1));
}

// ops: test/test_charm.py::test_config_from_yaml
TEST(CharmMetaCompat, ConfigFromYaml) {
  const CharmMeta meta = CharmMeta::from_yaml("name: x\n", "", R"(options:
  foo:
    type: string
    default: bar
    description: A foo.
  num:
    type: float
    default: 1
  flag:
    type: boolean
  secret-opt:
    type: secret
)");
  EXPECT_EQ(meta.config.at("foo").type, "string");
  EXPECT_EQ(meta.config.at("foo").default_value, json("bar"));
  EXPECT_EQ(meta.config.at("foo").description, "A foo.");
  EXPECT_EQ(meta.config.at("num").default_value, json(1.0));
  EXPECT_FALSE(meta.config.at("flag").default_value.has_value());
  EXPECT_EQ(meta.config.at("secret-opt").type, "secret");
}

// ops: test/test_charm.py::test_config_from_raw (an option without a type)
TEST(CharmMetaCompat, ConfigOptionWithoutTypeIsRefused) {
  try {
    (void)CharmMeta::from_yaml("name: x\n", "", "options:\n  foo:\n    default: 1\n");
    FAIL() << "expected CharmMetaError";
  } catch (const CharmMetaError& e) {
    EXPECT_STREQ(e.what(), "config.yaml:3: options.foo.type: missing (required)");
  }
}

// ops: test/test_charm.py::test_config_from_raw (unknown type, as Juju refuses)
TEST(CharmMetaCompat, ConfigOptionOfUnknownTypeIsRefused) {
  EXPECT_THROW((void)CharmMeta::from_yaml("name: x\n", "", "options:\n  foo:\n    type: list\n"),
               CharmMetaError);
}

// ops: test/test_charm.py::test_actions_from_charm_root / test_actions_additional_properties
TEST(CharmMetaCompat, ActionsMeta) {
  const CharmMeta meta = CharmMeta::from_yaml("name: x\n", R"(foo:
  title: Foo
  description: Foos.
  params:
    bar:
      type: string
  required: [bar]
  additionalProperties: false
baz: {}
)");
  const auto& foo = meta.actions.at("foo");
  EXPECT_EQ(foo.title, "Foo");
  EXPECT_EQ(foo.description, "Foos.");
  EXPECT_EQ(foo.parameters, json({{"bar", {{"type", "string"}}}}));
  EXPECT_EQ(foo.required, std::vector<std::string>{"bar"});
  EXPECT_FALSE(foo.additional_properties);
  EXPECT_TRUE(meta.actions.at("baz").additional_properties);
  EXPECT_EQ(meta.actions.at("baz").title, "");
}

// ops: test/test_charm.py::test_containers
TEST(CharmMetaCompat, Containers) {
  const CharmMeta meta = CharmMeta::from_yaml(R"(name: k8s-charm
containers:
  test1:
    k: v
  test2:
    k: v
)");
  EXPECT_EQ(meta.containers.size(), 2u);
  EXPECT_EQ(meta.containers.at("test1").name, "test1");
  EXPECT_TRUE(meta.containers.at("test2").mounts.empty());
}

// ops: test/test_charm.py::test_containers_storage
TEST(CharmMetaCompat, ContainerMountsAreKeyedByStorage) {
  const CharmMeta meta = CharmMeta::from_yaml(R"(name: k8s-charm
storage:
  data:
    type: filesystem
    location: /test/storage
  other:
    type: filesystem
    location: /test/other
    properties:
      - transient
containers:
  test1:
    mounts:
      - storage: data
        location: /test/storagemount
      - storage: other
        location: /test/otherdata
resources:
  ubuntu-22-10:
    type: oci-image
)");
  const auto& mounts = meta.containers.at("test1").mounts;
  ASSERT_EQ(mounts.size(), 2u);
  EXPECT_EQ(mounts.at("data").storage, "data");
  EXPECT_EQ(mounts.at("data").location(), "/test/storagemount");
  EXPECT_EQ(mounts.at("other").location(), "/test/otherdata");
  EXPECT_EQ(meta.storages.at("other").properties, std::vector<std::string>{"transient"});
  EXPECT_TRUE(meta.storages.at("data").properties.empty());
}

// ops: test/test_charm.py::test_containers_storage (container bases)
TEST(CharmMetaCompat, ContainerBases) {
  const CharmMeta meta = CharmMeta::from_yaml(R"(name: k8s-charm
containers:
  test2:
    bases:
      - name: ubuntu
        channel: '22.04'
        architectures:
        - amd64
      - name: ubuntu
        channel: 22.10
        architectures:
        - arm64
)");
  const auto& bases = meta.containers.at("test2").bases;
  ASSERT_EQ(bases.size(), 2u);
  EXPECT_EQ(bases[0].os_name, "ubuntu");
  EXPECT_EQ(bases[0].channel, "22.04");
  EXPECT_EQ(bases[0].architectures, std::vector<std::string>{"amd64"});
  EXPECT_EQ(bases[1].channel, "22.10");
  EXPECT_FALSE(meta.containers.at("test2").resource.has_value());
}

// ops: test/test_charm.py::test_containers_storage (resource and bases: ops raises ModelError)
TEST(CharmMetaCompat, ContainerWithResourceAndBasesIsRefused) {
  EXPECT_TRUE(refused(R"(name: x
resources:
  img: {type: oci-image}
containers:
  c:
    resource: img
    bases: [{name: ubuntu, channel: '22.04', architectures: [amd64]}]
)",
                      "containers.c.bases: a container may specify a resource or bases, not both"));
}

// ops: test/test_charm.py::test_containers_storage_multiple_mounts
TEST(CharmMetaCompat, MultipleMountsOfOneStorage) {
  const CharmMeta meta = CharmMeta::from_yaml(R"(name: k8s-charm
storage:
  data:
    type: filesystem
    location: /test/storage
containers:
  test1:
    mounts:
      - storage: data
        location: /test/storagemount
      - storage: data
        location: /test/otherdata
)");
  const auto& mount = meta.containers.at("test1").mounts.at("data");
  EXPECT_EQ(mount.locations, (std::vector<std::string>{"/test/storagemount", "/test/otherdata"}));
  EXPECT_THROW(static_cast<void>(mount.location()), ops::Error);
}

// ops: test/test_charm.py::test_containers_storage (ops skips a mount without location)
// Juju refuses it: "location must be specified on mount" (internal/charm/meta.go parseMounts).
TEST(CharmMetaCompat, MountWithoutLocationIsRefusedAsJujuDoes) {
  EXPECT_TRUE(refused(R"(name: x
storage:
  data: {type: filesystem, location: /data}
containers:
  c:
    mounts:
      - storage: data
)",
                      "containers.c.mounts[0].location: missing (required)"));
}

// ops: test/test_charm.py::test_containers_storage (Juju: mounted storage must be declared)
TEST(CharmMetaCompat, MountOfAnUndeclaredStorageIsRefused) {
  EXPECT_TRUE(
      refused("name: x\ncontainers:\n  c:\n    mounts:\n      - {storage: nope, location: /x}\n",
              "no storage named 'nope' is declared"));
}

// ops: test/test_charm.py::test_meta_links
TEST(CharmMetaCompat, MetaLinks) {
  const CharmMeta meta = CharmMeta::from_yaml(R"(name: my-charm
website: https://example.com
source: https://git.example.com
issues: https://bugs.example.com
docs: https://discourse.example.com/t/1
maintainer: Jane <jane@example.com>
)");
  EXPECT_EQ(meta.links.websites, std::vector<std::string>{"https://example.com"});
  EXPECT_EQ(meta.links.sources, std::vector<std::string>{"https://git.example.com"});
  EXPECT_EQ(meta.links.issues, std::vector<std::string>{"https://bugs.example.com"});
  EXPECT_EQ(meta.links.documentation, "https://discourse.example.com/t/1");
  EXPECT_EQ(meta.maintainers, std::vector<std::string>{"Jane <jane@example.com>"});
}

// ops: test/test_charm.py::test_meta_links_charmcraft_yaml
TEST(CharmMetaCompat, MetaLinksFromCharmcraftYaml) {
  const CharmMeta meta = CharmMeta::from_charmcraft_yaml(R"(name: my-charm
links:
  website:
    - https://example.com
    - https://example.org
  source: https://git.example.com
  issues:
    - https://bugs.example.com
  documentation: https://docs.example.com
  contact: Support <help@example.com>
)");
  EXPECT_EQ(meta.links.websites,
            (std::vector<std::string>{"https://example.com", "https://example.org"}));
  EXPECT_EQ(meta.links.sources, std::vector<std::string>{"https://git.example.com"});
  EXPECT_EQ(meta.links.issues, std::vector<std::string>{"https://bugs.example.com"});
  EXPECT_EQ(meta.links.documentation, "https://docs.example.com");
  EXPECT_EQ(meta.maintainers, std::vector<std::string>{"Support <help@example.com>"});
}

// ops: test/test_charm.py::test_meta_assumes
TEST(CharmMetaCompat, MetaAssumes) {
  const CharmMeta meta = CharmMeta::from_yaml(R"(name: my-charm
assumes:
  - juju
  - any-of:
    - k8s-api
    - all-of:
      - juju >= 2.9.44
      - juju < 3
)");
  EXPECT_EQ(meta.assumes, json::parse(R"(["juju", {"any-of": ["k8s-api",
            {"all-of": ["juju >= 2.9.44", "juju < 3"]}]}])"));
}

// ops: test/test_charm.py::test_meta_charm_user
TEST(CharmMetaCompat, MetaCharmUser) {
  for (const char* user : {"root", "sudoer", "non-root"}) {
    EXPECT_EQ(CharmMeta::from_yaml(std::string("name: x\ncharm-user: ") + user + "\n").charm_user,
              user);
  }
}

// ops: test/test_charm.py::test_meta_charm_user_default
TEST(CharmMetaCompat, MetaCharmUserDefault) {
  EXPECT_EQ(CharmMeta::from_yaml("name: x\n").charm_user, "root");
}

// ops: test/test_charm.py::test_meta_charm_user (Juju refuses other users)
TEST(CharmMetaCompat, UnknownCharmUserIsRefusedAsJujuDoes) {
  EXPECT_TRUE(refused("name: x\ncharm-user: admin\n",
                      "charm-user: invalid charm-user 'admin' expected one of root, sudoer or "
                      "non-root"));
}

// ops: test/test_charm.py::test_meta_from_charm_root (every other field Juju knows)
TEST(CharmMetaCompat, EveryOtherJujuField) {
  const CharmMeta meta = CharmMeta::from_yaml(R"(name: my-charm
summary: A charm.
description: Longer.
subordinate: true
requires:
  juju-info:
    interface: juju-info
    scope: container
tags: [databases]
categories: [misc]
terms: [my-terms/1]
series: [jammy]
min-juju-version: 2.9.0
extra-bindings:
  public:
payloads:
  monitor:
    type: docker
devices:
  gpu:
    type: nvidia.com/gpu
    description: A GPU.
    countmin: 1
    countmax: 2
)");
  EXPECT_EQ(meta.summary, "A charm.");
  EXPECT_EQ(meta.description, "Longer.");
  EXPECT_TRUE(meta.subordinate);
  EXPECT_EQ(meta.tags, std::vector<std::string>{"databases"});
  EXPECT_EQ(meta.categories, std::vector<std::string>{"misc"});
  EXPECT_EQ(meta.terms, std::vector<std::string>{"my-terms/1"});
  EXPECT_EQ(meta.series, std::vector<std::string>{"jammy"});
  EXPECT_EQ(meta.min_juju_version, "2.9.0");
  EXPECT_EQ(meta.extra_bindings, std::vector<std::string>{"public"});
  EXPECT_EQ(meta.payloads.at("monitor").type, "docker");
  EXPECT_EQ(meta.payloads.at("monitor").payload_name, "monitor");
  EXPECT_EQ(meta.devices.at("gpu").type, "nvidia.com/gpu");
  EXPECT_EQ(meta.devices.at("gpu").count_min, 1);
  EXPECT_EQ(meta.devices.at("gpu").count_max, 2);
}

// ops: test/test_charm.py::test_storage_events (storage fields)
TEST(CharmMetaCompat, StorageFields) {
  const CharmMeta meta = CharmMeta::from_yaml(R"(name: x
storage:
  data:
    type: filesystem
    description: Data.
    shared: true
    read-only: true
    minimum-size: 10G
    location: /data
  raw:
    type: block
    minimum-size: 512MiB
)");
  const auto& data = meta.storages.at("data");
  EXPECT_EQ(data.type, "filesystem");
  EXPECT_EQ(data.description, "Data.");
  EXPECT_TRUE(data.shared);
  EXPECT_TRUE(data.read_only);
  EXPECT_EQ(data.minimum_size, "10G");
  EXPECT_EQ(data.location, "/data");
  EXPECT_FALSE(data.multiple_range().has_value());
  EXPECT_EQ(meta.storages.at("raw").type, "block");
}

// ---- storage multiple.range: Juju's grammar (storageCountC in internal/charm/meta.go) ----

std::optional<std::pair<int, std::optional<int>>> range_of(const std::string& range) {
  return CharmMeta::from_yaml(
             "name: x\nstorage:\n  s:\n    type: filesystem\n    multiple:\n      "
             "range: " +
             range + "\n")
      .storages.at("s")
      .multiple_range();
}

// ops: test/test_charm.py::test_storage_events (multiple: range: N)
TEST(StorageRange, SingleCount) {
  EXPECT_EQ(range_of("3"), std::make_pair(3, std::optional<int>(3)));
}

// ops: test/test_charm.py::test_storage_events (multiple: range: N-M)
TEST(StorageRange, MinToMax) {
  EXPECT_EQ(range_of("2-4"), std::make_pair(2, std::optional<int>(4)));
  EXPECT_EQ(range_of("0-5"), std::make_pair(0, std::optional<int>(5)));
}

// ops: test/test_charm.py::test_storage_events (multiple: range: N-)
TEST(StorageRange, OpenEndedWithDash) {
  EXPECT_EQ(range_of("2-"), std::make_pair(2, std::optional<int>()));
}

// ops: test/test_charm.py::test_storage_events (multiple: range: N+, refused before this fix)
TEST(StorageRange, OpenEndedWithPlus) {
  EXPECT_EQ(range_of("10+"), std::make_pair(10, std::optional<int>()));
  EXPECT_EQ(range_of("0+"), std::make_pair(0, std::optional<int>()));
}

// ops: test/test_charm.py::test_storage_events (Juju refuses a count of 0)
TEST(StorageRange, ZeroCountIsRefused) {
  EXPECT_TRUE(
      refused("name: x\nstorage:\n  s:\n    type: filesystem\n    multiple:\n      range: 0\n",
              "storage.s.multiple.range: invalid count 0"));
  EXPECT_TRUE(
      refused("name: x\nstorage:\n  s:\n    type: filesystem\n    multiple:\n      range: 1-0\n",
              "invalid maximum count 0"));
}

// ops: test/test_charm.py::test_storage_events (Juju refuses other shapes)
TEST(StorageRange, OtherShapesAreRefused) {
  for (const char* bad : {"-3", "+3", "1+2", "a-b", "1-2-3", "'1 - 2'", "1.5"}) {
    EXPECT_TRUE(refused(std::string("name: x\nstorage:\n  s:\n    type: filesystem\n    multiple:\n"
                                    "      range: ") +
                            bad + "\n",
                        "does not match 'm', 'm-n', 'm-' or 'm+'"))
        << bad;
  }
}

// ops: test/test_charm.py::test_storage_events (a charm with range 10+ dispatches)
TEST_F(CharmCompat, ACharmWithAnOpenEndedRangeDispatches) {
  harness.add_storage("stor-plus", 1, true);
  EXPECT_EQ(seen(), std::vector<std::string>{"stor_plus_storage_attached"});
}

// ---- what Juju refuses (internal/charm/meta.go), which Python's CharmMeta lets through ----

// ops: test/test_charm.py::test_relations_meta (Juju: "using a reserved relation name")
TEST(JujuRefuses, ReservedRelationNames) {
  EXPECT_TRUE(refused("name: x\nprovides:\n  juju:\n    interface: http\n",
                      "charm 'x' using a reserved relation name: 'juju'"));
  EXPECT_TRUE(refused("name: x\nrequires:\n  juju-db:\n    interface: http\n",
                      "using a reserved relation name: 'juju-db'"));
  EXPECT_EQ(meta_error("name: juju-x\nprovides:\n  juju-db:\n    interface: http\n"), "");
}

// ops: test/test_charm.py::test_relations_meta (Juju: "using a reserved interface")
TEST(JujuRefuses, ReservedInterfacesOnProvidesAndPeers) {
  EXPECT_TRUE(refused("name: x\nprovides:\n  info:\n    interface: juju-info\n",
                      "relation 'info' using a reserved interface: 'juju-info'"));
  EXPECT_EQ(meta_error("name: x\nrequires:\n  info:\n    interface: juju-info\n"), "");
}

// ops: test/test_charm.py::test_relations_meta (Juju: subordinates need a container scope)
TEST(JujuRefuses, SubordinateWithoutContainerScopedRequires) {
  EXPECT_TRUE(refused("name: x\nsubordinate: true\nrequires:\n  db:\n    interface: pg\n",
                      "subordinate charm 'x' lacks a \"requires\" relation with container scope"));
}

// ops: test/test_charm.py::test_relations_meta (Juju: endpoint names are unique)
TEST(JujuRefuses, DuplicateEndpointNames) {
  EXPECT_TRUE(refused("name: x\nrequires:\n  db: pg\nprovides:\n  db: pg\n",
                      "endpoint name 'db' is already declared under 'requires'"));
}

// ops: test/test_charm.py::test_meta_from_charm_root (Juju: extra-bindings rules)
TEST(JujuRefuses, ExtraBindingsRules) {
  EXPECT_TRUE(refused("name: x\nrequires:\n  db: pg\nextra-bindings:\n  db:\n",
                      "relation 'db' cannot be used in extra bindings"));
  EXPECT_TRUE(refused("name: x\nextra-bindings: {}\n", "extra bindings cannot be empty"));
  EXPECT_TRUE(refused("name: x\nextra-bindings: [a, b]\n", "extra-bindings: expected a mapping"));
}

// ops: test/test_charm.py::test_storage_events (Juju: storage type and location)
TEST(JujuRefuses, StorageTypeAndLocation) {
  EXPECT_TRUE(refused("name: x\nstorage:\n  s:\n    location: /x\n", "storage.s.type: missing"));
  EXPECT_TRUE(refused("name: x\nstorage:\n  s:\n    type: tmpfs\n",
                      "expected 'filesystem' or 'block', got 'tmpfs'"));
  EXPECT_TRUE(refused("name: x\nstorage:\n  s:\n    type: block\n    location: /x\n",
                      "location may not be specified for \"type: block\""));
}

// ops: test/test_charm.py::test_containers_storage (Juju: properties are only "transient")
TEST(JujuRefuses, UnknownStorageProperties) {
  EXPECT_TRUE(refused("name: x\nstorage:\n  s:\n    type: filesystem\n    properties: [fast]\n",
                      "storage.s.properties[0]: expected 'transient'"));
}

// ops: test/test_charm.py::test_storage_events (Juju: minimum-size grammar)
TEST(JujuRefuses, MinimumSizeGrammar) {
  for (const char* good : {"1", "10G", "1.5GiB", "512MB", "2T"}) {
    EXPECT_EQ(
        meta_error(std::string("name: x\nstorage:\n  s:\n    type: block\n    minimum-size: ") +
                   good + "\n"),
        "")
        << good;
  }
  EXPECT_TRUE(refused("name: x\nstorage:\n  s:\n    type: block\n    minimum-size: 10Q\n",
                      "invalid multiplier suffix 'Q'"));
  EXPECT_TRUE(refused("name: x\nstorage:\n  s:\n    type: block\n    minimum-size: G\n",
                      "expected a non-negative number"));
}

// ops: test/test_charm.py::test_containers (Juju: reserved uid/gid range)
TEST(JujuRefuses, ContainerUidGidInTheReservedRange) {
  EXPECT_TRUE(
      refused("name: x\ncontainers:\n  c:\n    uid: 1000\n",
              "containers.c.uid: invalid uid 1000: uid cannot be in reserved range 1000-9999"));
  EXPECT_TRUE(refused("name: x\ncontainers:\n  c:\n    gid: 9999\n", "invalid gid 9999"));
  const CharmMeta meta =
      CharmMeta::from_yaml("name: x\ncontainers:\n  c:\n    uid: 584792\n    gid: 0\n");
  EXPECT_EQ(meta.containers.at("c").uid, 584792);
  EXPECT_EQ(meta.containers.at("c").gid, 0);
}

// ops: test/test_charm.py::test_containers (Juju: a container's resource is an oci-image)
TEST(JujuRefuses, ContainerResourceMustBeAnOciImage) {
  EXPECT_TRUE(refused(R"(name: x
resources:
  blob: {type: file, filename: blob.tgz}
containers:
  c: {resource: blob}
)",
                      "referenced resource 'blob' is not a oci-image"));
  EXPECT_TRUE(refused("name: x\ncontainers:\n  c: {resource: missing}\n",
                      "no resource named 'missing' is declared"));
}

// ops: test/test_charm.py::test_meta_from_charm_root (Juju: a file resource needs a filename)
TEST(JujuRefuses, FileResourceWithoutFilename) {
  EXPECT_TRUE(
      refused("name: x\nresources:\n  blob:\n    type: file\n", "resource missing filename"));
  EXPECT_TRUE(refused("name: x\nresources:\n  blob:\n    type: file\n    filename: a/b\n",
                      "filename cannot contain \"/\""));
}

// ops: test/test_charm.py::test_meta_from_charm_root (Juju: v1 and v2 keys do not mix)
TEST(JujuRefuses, AmbiguousMetadataFormat) {
  EXPECT_TRUE(refused("name: x\nseries: [jammy]\ncontainers:\n  c: {}\n",
                      "ambiguous metadata: keys \"series\" cannot be used with \"containers\""));
}

// ops: test/test_charm.py::test_meta_from_charm_root (Juju: min-juju-version is a version)
TEST(JujuRefuses, MalformedMinJujuVersion) {
  EXPECT_TRUE(refused("name: x\nmin-juju-version: three\n", "invalid min-juju-version 'three'"));
  EXPECT_EQ(meta_error("name: x\nmin-juju-version: 2.9-beta1\n"), "");
}

// ops: test/test_charm.py::test_meta_from_charm_root (Juju: device counts)
TEST(JujuRefuses, DeviceCounts) {
  EXPECT_TRUE(refused("name: x\ndevices:\n  gpu:\n    type: gpu\n    countmin: -1\n",
                      "invalid device count -1"));
  EXPECT_TRUE(
      refused("name: x\ndevices:\n  gpu:\n    type: gpu\n    countmin: 3\n    countmax: 2\n",
              "maximum count 2 can not be smaller than minimum count 3"));
  EXPECT_TRUE(refused("name: x\ndevices:\n  gpu:\n    countmin: 1\n", "devices.gpu.type: missing"));
}

// ops: test/test_charm.py::test_meta_from_charm_root (Juju: payloads need a type)
TEST(JujuRefuses, PayloadWithoutType) {
  EXPECT_TRUE(refused("name: x\npayloads:\n  p: {}\n", "payloads.p.type: missing"));
}

// ops: test/test_charm.py::test_meta_from_charm_root (Juju: name is required)
TEST(JujuRefuses, MissingName) {
  EXPECT_TRUE(refused("summary: no name\n", "metadata.yaml:1: name: missing (required)"));
}

}  // namespace
