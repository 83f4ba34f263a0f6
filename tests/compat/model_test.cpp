// ops' test/test_model.py translated to ops-cpp: the Model (relation data
// access rules, config, status, secrets, ports, storage, resources,
// networks, action results, Pebble through the testing fakes) over the
// Harness, as ops' TestModel runs it. Each TEST names the ops test it comes
// from; where ops-cpp deliberately differs the test says why in one line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "ops/ops.hpp"
#include "ops/testing/harness.hpp"

namespace {

using ops::testing::Databag;
using ops::testing::Harness;
using ops::testing::HarnessError;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// ops' TestModel harness: provides db0, requires db1, peers db2, two file
// resources and one option of each Juju config type.
constexpr const char* kMeta = R"(
name: myapp
provides:
  db0:
    interface: db0
requires:
  db1:
    interface: db1
peers:
  db2:
    interface: db2
resources:
  foo: {type: file, filename: foo.txt}
  bar: {type: file, filename: bar.txt}
  c1-image: {type: oci-image}
storage:
  disks:
    type: filesystem
    multiple:
      range: 0-3
containers:
  c1:
    resource: c1-image
)";

constexpr const char* kConfig = R"(
options:
  foo:
    type: string
  bar:
    type: int
  qux:
    type: boolean
  baz:
    type: float
  secretfoo:
    type: secret
)";

constexpr const char* kActions = R"(
act:
  description: an action
)";

// A charm with no handlers (ops' tests use ops.CharmBase itself).
class PlainCharm : public ops::CharmBase {
 public:
  explicit PlainCharm(ops::Framework& fw) : CharmBase(fw, "PlainCharm") {}
};

// Access rules on, as inside an event (ops' harness._event_context()).
class InEvent {
 public:
  explicit InEvent(ops::testing::HarnessBase& harness) : data_(harness.backend().data()) {
    data_.hook_running = true;
  }
  ~InEvent() { data_.hook_running = false; }
  InEvent(const InEvent&) = delete;
  InEvent& operator=(const InEvent&) = delete;

 private:
  ops::testing::FakeBackend::Data& data_;
};

class TestModel : public ::testing::Test {
 protected:
  TestModel() { harness.begin(); }

  ops::Relation& relation(const std::string& endpoint, std::optional<int> id = std::nullopt) {
    ops::Relation* found = harness.model().get_relation(endpoint, id);
    if (found == nullptr) throw std::runtime_error("no relation on " + endpoint);
    return *found;
  }
  ops::Model& model() { return harness.model(); }

  Harness<PlainCharm> harness{kMeta, kConfig, kActions};
};

// ------------------------------------------------------------ model basics

// ops: test/test_model.py::TestModel::test_model_attributes
TEST_F(TestModel, ModelAttributes) {
  EXPECT_EQ(&model().app(), &model().unit().app());
  EXPECT_EQ(model().app().name(), "myapp");
  EXPECT_EQ(model().unit().name(), "myapp/0");
}

// ops: test/test_model.py::TestModel::test_model_name_from_backend
TEST(TestModelName, ModelNameFromBackend) {
  Harness<PlainCharm> harness{kMeta, kConfig};
  harness.set_model_name("default");
  harness.begin();
  EXPECT_EQ(harness.model().name(), "default");
  EXPECT_THROW(harness.set_model_name("foo"), HarnessError);
}

// ops: test/test_model.py::TestModel::test_relations_keys
TEST_F(TestModel, RelationsKeys) {
  const int rel_app1 = harness.add_relation("db1", "remoteapp1");
  harness.add_relation_unit(rel_app1, "remoteapp1/0");
  harness.add_relation_unit(rel_app1, "remoteapp1/1");
  const int rel_app2 = harness.add_relation("db1", "remoteapp2");
  harness.add_relation_unit(rel_app2, "remoteapp2/0");
  std::vector<int> ids;
  for (ops::Relation* r : model().relations("db1")) ids.push_back(r->id());
  EXPECT_THAT(ids, ElementsAre(rel_app1, rel_app2));
  for (ops::Relation* r : model().relations("db1")) {
    std::vector<std::string> names;
    for (ops::Unit* u : r->units()) names.push_back(u->name());
    if (r->id() == rel_app1) {
      EXPECT_THAT(names, ElementsAre("remoteapp1/0", "remoteapp1/1"));
    } else {
      EXPECT_THAT(names, ElementsAre("remoteapp2/0"));
    }
  }
  EXPECT_THAT(model().relation_names(), ElementsAre("db0", "db1", "db2"));
}

// ops: test/test_model.py::TestModel::test_get_relation
TEST_F(TestModel, GetRelation) {
  const int relation_id_db0 = harness.add_relation("db0", "db");
  const int relation_id_db1 = harness.add_relation("db1", "remoteapp1");
  harness.add_relation_unit(relation_id_db1, "remoteapp1/0");
  const int relation_id_db1_b = harness.add_relation("db1", "remoteapp2");
  harness.add_relation_unit(relation_id_db1_b, "remoteapp2/0");
  EXPECT_EQ(relation("db0").id(), relation_id_db0);
  EXPECT_EQ(relation("db1", relation_id_db1).id(), relation_id_db1);
  // Two relations on db1 and no id: ops raises TooManyRelatedAppsError.
  EXPECT_THROW((void)model().get_relation("db1"), ops::TooManyRelatedAppsError);
  EXPECT_EQ(model().get_relation("db2"), nullptr);
}

// ops: test/test_model.py::TestModel::test_get_relation_wrong_endpoint
TEST_F(TestModel, GetRelationWrongEndpoint) {
  // ops raises ModelError for an endpoint the metadata lacks; so do we.
  EXPECT_THROW((void)model().get_relation("db3"), ops::ModelError);
}

// ops: test/test_model.py::TestModel::test_peer_relation_app
TEST_F(TestModel, PeerRelationApp) {
  harness.add_relation("db2", "myapp");
  ops::Relation& peer = relation("db2");
  ASSERT_NE(peer.app(), nullptr);
  EXPECT_EQ(peer.app(), &model().app());
  EXPECT_TRUE(peer.is_peer());
}

// ops: test/test_model.py::TestModel::test_remote_units_is_our
TEST_F(TestModel, RemoteUnitsIsOur) {
  const int id = harness.add_relation("db1", "remoteapp1");
  harness.add_relation_unit(id, "remoteapp1/0");
  harness.add_relation_unit(id, "remoteapp1/1");
  for (ops::Unit* u : relation("db1").units()) EXPECT_FALSE(u->is_ours());
  EXPECT_FALSE(relation("db1").app()->is_ours());
}

// ops: test/test_model.py::TestModel::test_our_unit_is_our
TEST_F(TestModel, OurUnitIsOur) {
  EXPECT_TRUE(model().unit().is_ours());
  EXPECT_TRUE(model().unit().app().is_ours());
}

// ops: test/test_model.py::TestModel::test_get_app_relation_data
TEST_F(TestModel, GetAppRelationData) {
  const int id = harness.add_relation("db1", "remote");
  harness.add_relation_unit(id, "remote/0");
  harness.update_relation_data(id, "myapp", {{"foo", "bar"}});
  ops::Relation& rel = relation("db1");
  EXPECT_EQ(rel.data(model().app()).as_map(), (std::map<std::string, std::string>{{"foo", "bar"}}));
}

// ops: test/test_model.py::TestModel::test_unit_relation_data
TEST_F(TestModel, UnitRelationData) {
  const int id = harness.add_relation("db1", "remoteapp1");
  harness.add_relation_unit(id, "remoteapp1/0");
  harness.update_relation_data(id, "remoteapp1/0", {{"host", "remoteapp1-0"}});
  ops::Relation& rel = relation("db1");
  ops::Unit& remote = model().get_unit("remoteapp1/0");
  EXPECT_EQ(rel.data(remote).as_map(),
            (std::map<std::string, std::string>{{"host", "remoteapp1-0"}}));
}

// ops: test/test_model.py::TestModel::test_remote_app_relation_data
TEST_F(TestModel, RemoteAppRelationData) {
  const int id = harness.add_relation("db1", "remoteapp1");
  harness.update_relation_data(id, "remoteapp1", {{"secret", "cafedeadbeef"}});
  harness.add_relation_unit(id, "remoteapp1/0");
  harness.add_relation_unit(id, "remoteapp1/1");
  ops::Relation& rel = relation("db1");
  ASSERT_NE(rel.app(), nullptr);
  EXPECT_EQ(rel.app()->name(), "remoteapp1");
  EXPECT_EQ(rel.data(*rel.app()).at("secret"), "cafedeadbeef");
}

// ops: test/test_model.py::TestModel::test_relation_data_modify_remote
TEST_F(TestModel, RelationDataModifyRemote) {
  const int id = harness.add_relation("db1", "remoteapp1");
  harness.add_relation_unit(id, "remoteapp1/0");
  harness.update_relation_data(id, "remoteapp1/0", {{"host", "remoteapp1/0"}});
  ops::Relation& rel = relation("db1");
  ops::Unit& remote = model().get_unit("remoteapp1/0");
  EXPECT_TRUE(rel.data(remote).contains("host"));
  {
    InEvent event(harness);
    EXPECT_THROW(rel.data(remote).set("foo", "bar"), ops::RelationDataError);
  }
  EXPECT_FALSE(rel.data(remote).contains("foo"));
}

// ops: test/test_model.py::TestModel::test_relation_data_modify_our
TEST_F(TestModel, RelationDataModifyOur) {
  const int id = harness.add_relation("db1", "remoteapp1");
  harness.update_relation_data(id, "myapp/0", {{"host", "nothing"}});
  {
    InEvent event(harness);
    ops::RelationDataContent& bag = relation("db1").data(model().unit());
    EXPECT_EQ(bag.at("host"), "nothing");
    bag.set("host", "bar");
    EXPECT_EQ(bag.at("host"), "bar");
  }
  model().flush();  // ops writes at once; we send writes at commit (see README)
  EXPECT_EQ(harness.get_relation_data(id, "myapp/0"), (Databag{{"host", "bar"}}));
}

// ops: test/test_model.py::TestModel::test_app_relation_data_modify_local_as_leader
TEST_F(TestModel, AppRelationDataModifyLocalAsLeader) {
  const int id = harness.add_relation("db1", "remoteapp1");
  harness.update_relation_data(id, "myapp", {{"password", "deadbeefcafe"}});
  harness.add_relation_unit(id, "remoteapp1/0");
  harness.set_leader(true);
  InEvent event(harness);
  ops::RelationDataContent& bag = relation("db1").data(model().app());
  EXPECT_EQ(bag.as_map(), (std::map<std::string, std::string>{{"password", "deadbeefcafe"}}));
  bag.set("password", "foo");
  EXPECT_EQ(bag.at("password"), "foo");
}

// ops: test/test_model.py::TestModel::test_app_relation_data_modify_local_as_minion
TEST_F(TestModel, AppRelationDataModifyLocalAsMinion) {
  const int id = harness.add_relation("db1", "remoteapp1");
  harness.update_relation_data(id, "myapp", {{"password", "deadbeefcafe"}});
  harness.add_relation_unit(id, "remoteapp1/0");
  harness.set_leader(false);
  InEvent event(harness);
  // Juju refuses a non-leader reading its own app bag on a non-peer
  // relation (relation-get --app: permission denied), so the read fails
  // too; ops' Harness only checks it for writes when outside an event.
  EXPECT_THROW(relation("db1").data(model().app()).set("password", "foobar"),
               ops::RelationDataAccessError);
}

// ops: test/test_model.py::TestModel::test_relation_data_access_peer_leader
TEST_F(TestModel, RelationDataAccessPeerLeader) {
  const int id = harness.add_relation("db2", "myapp");
  harness.add_relation_unit(id, "myapp/1");
  harness.update_relation_data(id, "myapp", {{"foo", "bar"}});
  harness.set_leader(true);
  InEvent event(harness);
  ops::Relation& rel = relation("db2");
  EXPECT_EQ(rel.data(*rel.app()).at("foo"), "bar");
}

// ops: test/test_model.py::TestModel::test_relation_data_access_peer_minion
TEST_F(TestModel, RelationDataAccessPeerMinion) {
  const int id = harness.add_relation("db2", "myapp");
  harness.add_relation_unit(id, "myapp/1");
  harness.update_relation_data(id, "myapp", {{"foo", "bar"}});
  harness.set_leader(false);
  InEvent event(harness);
  ops::Relation& rel = relation("db2");
  EXPECT_EQ(rel.data(*rel.app()).at("foo"), "bar");
  // Reading is allowed; writing the peer app bag needs leadership.
  EXPECT_THROW(rel.data(*rel.app()).set("foo", "baz"), ops::RelationDataAccessError);
}

// ops: test/test_model.py::TestModel::test_relation_data_del_key
TEST_F(TestModel, RelationDataDelKey) {
  const int id = harness.add_relation("db1", "remoteapp1");
  harness.update_relation_data(id, "myapp/0", {{"host", "bar"}});
  harness.add_relation_unit(id, "remoteapp1/0");
  ops::RelationDataContent& bag = relation("db1").data(model().unit());
  EXPECT_TRUE(bag.contains("host"));
  bag.erase("host");
  EXPECT_FALSE(bag.contains("host"));
  model().flush();
  EXPECT_EQ(harness.get_relation_data(id, "myapp/0"), Databag{});
}

// ops: test/test_model.py::TestModel::test_relation_data_del_missing_key
TEST_F(TestModel, RelationDataDelMissingKey) {
  const int id = harness.add_relation("db1", "remoteapp1");
  harness.update_relation_data(id, "myapp/0", {{"host", "bar"}});
  harness.add_relation_unit(id, "remoteapp1/0");
  ops::RelationDataContent& bag = relation("db1").data(model().unit());
  bag.set("port", "");  // deleting a missing key is fine
  EXPECT_FALSE(bag.contains("port"));
  model().flush();
  EXPECT_EQ(harness.get_relation_data(id, "myapp/0"), (Databag{{"host", "bar"}}));
}

// ops: test/test_model.py::TestModel::test_relation_data_type_check
TEST_F(TestModel, RelationDataTypeCheck) {
  harness.add_relation("db1", "remoteapp1");
  // Keys and values are strings by type in C++; an empty key is what is
  // left to refuse (relation-set refuses it too).
  EXPECT_THROW(relation("db1").data(model().unit()).set("", "value"), ops::RelationDataError);
}

// ops: test/test_model.py::TestModel::test_relation_local_app_data_readability_leader
TEST_F(TestModel, RelationLocalAppDataReadabilityLeader) {
  const int id = harness.add_relation("db1", "remoteapp1");
  harness.update_relation_data(id, "remoteapp1", {{"secret", "cafedeadbeef"}});
  harness.update_relation_data(id, "myapp", {{"local", "data"}});
  harness.add_relation_unit(id, "remoteapp1/0");
  harness.set_leader(true);
  InEvent event(harness);
  EXPECT_EQ(relation("db1").data(model().app()).at("local"), "data");
}

// ops: test/test_model.py::TestModel::test_relation_local_app_data_readability_follower
TEST_F(TestModel, RelationLocalAppDataReadabilityFollower) {
  const int id = harness.add_relation("db1", "remoteapp1");
  harness.update_relation_data(id, "myapp", {{"local", "data"}});
  harness.add_relation_unit(id, "remoteapp1/0");
  harness.set_leader(false);
  InEvent event(harness);
  try {
    (void)relation("db1").data(model().app()).get("local");
    FAIL() << "a follower read its own app bag";
  } catch (const ops::RelationDataAccessError& e) {
    EXPECT_THAT(e.what(), HasSubstr("myapp"));
  }
}

// ops: test/test_model.py::TestModel::test_relation_no_units
TEST_F(TestModel, RelationNoUnits) {
  harness.add_relation("db1", "remoteapp1");
  ops::Relation& rel = relation("db1");
  EXPECT_TRUE(rel.units().empty());
  ASSERT_NE(rel.app(), nullptr);
  EXPECT_EQ(rel.app()->name(), "remoteapp1");
}

// ------------------------------------------------------------------ config

// ops: test/test_model.py::TestModel::test_config
TEST_F(TestModel, Config) {
  harness.update_config({{"foo", "foo"}, {"bar", 1}, {"qux", true}, {"baz", 1.5}});
  ops::Config& config = model().config();
  EXPECT_EQ(config.get<std::string>("foo"), "foo");
  EXPECT_EQ(config.get<int>("bar"), 1);
  EXPECT_TRUE(config.get<bool>("qux"));
  EXPECT_DOUBLE_EQ(config.get<double>("baz"), 1.5);
  EXPECT_FALSE(config.contains("secretfoo"));
  EXPECT_THROW((void)config.at("secretfoo"), ops::ModelError);
}

// ops: test/test_testing.py::TestHarness::test_update_config_bad_type (for int widths)
TEST_F(TestModel, ConfigIntOutOfRangeRaisesNamingTheOption) {
  harness.update_config({{"bar", 99999999999LL}});
  ops::Config& config = model().config();
  EXPECT_EQ(config.get<long long>("bar"), 99999999999LL);
  try {
    config.get<int>("bar");
    FAIL() << "99999999999 fit an int";
  } catch (const ops::ModelError& e) {
    EXPECT_THAT(e.what(), HasSubstr("'bar'"));
    EXPECT_THAT(e.what(), HasSubstr("99999999999"));
  }
  EXPECT_THROW((void)config.get<std::int16_t>("bar"), ops::ModelError);
  EXPECT_THROW((void)config.get<unsigned>("bar"), ops::ModelError);
}

// ops: test/test_testing.py::TestHarness::test_update_config_bad_type (negative to unsigned)
TEST_F(TestModel, ConfigNegativeIntoUnsignedRaises) {
  harness.update_config({{"bar", -1}});
  EXPECT_EQ(model().config().get<int>("bar"), -1);
  EXPECT_THROW((void)model().config().get<unsigned long>("bar"), ops::ModelError);
  EXPECT_THROW((void)model().config().get<std::uint8_t>("bar"), ops::ModelError);
}

// ops: test/test_model.py::TestModel::test_config (a float is not an int)
TEST_F(TestModel, ConfigFloatIsNotAnInt) {
  harness.update_config({{"baz", 1.5}});
  EXPECT_THROW((void)model().config().get<int>("baz"), ops::ModelError);
  EXPECT_THROW((void)model().config().get<std::string>("baz"), ops::ModelError);
}

// ----------------------------------------------------------- leadership etc.

// ops: test/test_model.py::TestModel::test_is_leader
TEST_F(TestModel, IsLeader) {
  harness.set_leader(true);
  EXPECT_TRUE(model().unit().is_leader());
  harness.set_leader(false);
  EXPECT_FALSE(model().unit().is_leader());
}

// ops: test/test_model.py::TestModel::test_workload_version
TEST_F(TestModel, WorkloadVersion) {
  model().unit().set_workload_version("1.2.3");
  EXPECT_EQ(harness.get_workload_version(), "1.2.3");
}

// ops: test/test_model.py::TestModel::test_resources
TEST_F(TestModel, Resources) {
  EXPECT_THROW(model().resources().fetch("foo"), ops::ModelError);
  harness.add_resource("foo", "foo contents\n");
  harness.add_resource("bar", "");
  EXPECT_THROW(model().resources().fetch("qux"), ops::ModelError);  // undeclared
  EXPECT_EQ(model().resources().fetch("foo").filename(), "foo.txt");
  EXPECT_EQ(model().resources().fetch("bar").filename(), "bar.txt");
}

// ------------------------------------------------------------------ status

// ops: test/test_model.py::TestModel::test_status_eq
TEST(TestStatus, StatusEq) {
  EXPECT_EQ(ops::ActiveStatus("foo"), ops::ActiveStatus("foo"));
  EXPECT_NE(ops::ActiveStatus("foo"), ops::ActiveStatus("bar"));
  EXPECT_NE(ops::ActiveStatus("foo"), ops::BlockedStatus("foo"));
  EXPECT_EQ(ops::UnknownStatus(), ops::UnknownStatus());
}

// ops: test/test_model.py::TestModel::test_active_message_default
TEST(TestStatus, ActiveMessageDefault) {
  EXPECT_EQ(ops::ActiveStatus().message(), "");
  EXPECT_EQ(ops::ActiveStatus(), ops::ActiveStatus(""));
}

// ops: test/test_model.py::TestModel::test_base_status_instance_raises (from_name)
TEST(TestStatus, FromNameRefusesUnknownNames) {
  EXPECT_EQ(ops::StatusBase::from_name("active", "ok"), ops::ActiveStatus("ok"));
  EXPECT_EQ(ops::StatusBase::from_name("unknown", "ignored"), ops::UnknownStatus());
  EXPECT_THROW((void)ops::StatusBase::from_name("sleepy", ""), ops::InvalidStatusError);
}

// ops: test/test_model.py::TestModel::test_local_set_valid_unit_status
TEST_F(TestModel, LocalSetValidUnitStatus) {
  for (const ops::StatusBase& status :
       {ops::StatusBase(ops::ActiveStatus("Green")), ops::StatusBase(ops::MaintenanceStatus("Y")),
        ops::StatusBase(ops::BlockedStatus("Red")), ops::StatusBase(ops::WaitingStatus("White"))}) {
    model().unit().set_status(status);
    EXPECT_EQ(model().unit().status(), status);
    EXPECT_EQ(harness.unit_status(), status);
  }
}

// ops: test/test_model.py::TestModel::test_local_set_valid_app_status
TEST_F(TestModel, LocalSetValidAppStatus) {
  harness.set_leader(true);
  model().app().set_status(ops::ActiveStatus("Green"));
  EXPECT_EQ(model().app().status(), ops::ActiveStatus("Green"));
  EXPECT_EQ(harness.app_status(), ops::ActiveStatus("Green"));
}

// ops: test/test_model.py::TestModel::test_set_app_status_non_leader_raises
TEST_F(TestModel, SetAppStatusNonLeaderRaises) {
  harness.set_leader(false);
  EXPECT_THROW((void)model().app().status(), ops::ModelError);
  EXPECT_THROW(model().app().set_status(ops::ActiveStatus()), ops::ModelError);
}

// ops: test/test_model.py::TestModel::test_set_unit_status_invalid
TEST_F(TestModel, SetUnitStatusInvalid) {
  EXPECT_THROW(model().unit().set_status(ops::UnknownStatus()), ops::InvalidStatusError);
}

// ops: test/test_model.py::TestModel::test_remote_unit_status
TEST_F(TestModel, RemoteUnitStatus) {
  const int id = harness.add_relation("db1", "remoteapp1");
  harness.add_relation_unit(id, "remoteapp1/0");
  ops::Unit& remote = model().get_unit("remoteapp1/0");
  // Juju's status-get answers only for this unit: another unit's status is unknown to us.
  EXPECT_EQ(remote.status(), ops::UnknownStatus());
  EXPECT_THROW(remote.set_status(ops::ActiveStatus("x")), ops::ModelError);
}

// ops: test/test_model.py::TestModel::test_remote_app_status
TEST_F(TestModel, RemoteAppStatus) {
  const int id = harness.add_relation("db1", "remoteapp1");
  harness.add_relation_unit(id, "remoteapp1/0");
  ops::Application& remote = *relation("db1").app();
  EXPECT_EQ(remote.status(), ops::UnknownStatus());
  EXPECT_THROW(remote.set_status(ops::ActiveStatus("x")), ops::ModelError);
}

// ----------------------------------------------------------------- storage

// ops: test/test_model.py::TestModel::test_storage
TEST_F(TestModel, Storage) {
  const auto ids = harness.add_storage("disks", 2, /*attach=*/true);
  EXPECT_THAT(ids, ElementsAre("disks/0", "disks/1"));
  auto& disks = model().storages()["disks"];
  ASSERT_EQ(disks.size(), 2u);
  EXPECT_EQ(disks[0].name(), "disks");
  EXPECT_EQ(disks[0].index(), 0);
  EXPECT_EQ(disks[1].full_id(), "disks/1");
  EXPECT_TRUE(std::filesystem::is_directory(disks[0].location()));
  EXPECT_THROW((void)model().storages()["nope"], ops::ModelError);
}

// ---------------------------------------------------------------- bindings

// ops: test/test_model.py::TestModelBindings::test_binding_by_relation_name
TEST_F(TestModel, BindingByRelationName) {
  harness.add_network("10.0.0.10", {.endpoint = "db0"});
  const ops::Network& network = model().get_binding("db0").network();
  EXPECT_EQ(network.bind_address(), "10.0.0.10");
  EXPECT_EQ(network.ingress_address(), "10.0.0.10");
  EXPECT_THAT(network.egress_subnets, ElementsAre("10.0.0.0/24"));
}

// ops: test/test_model.py::TestModelBindings::test_binding_by_relation
TEST_F(TestModel, BindingByRelation) {
  const int id = harness.add_relation("db1", "remoteapp1");
  harness.add_network("10.0.0.10", {.endpoint = "db1"});
  harness.add_network("10.0.0.20", {.endpoint = "db1", .relation_id = id});
  EXPECT_EQ(model().get_binding(relation("db1")).network().bind_address(), "10.0.0.20");
  EXPECT_EQ(model().get_binding("db1").network().bind_address(), "10.0.0.10");
}

// ops: test/test_model.py::TestModelBindings::test_invalid_keys
TEST_F(TestModel, BindingInvalidKeys) {
  EXPECT_THROW(harness.add_network("10.0.0.10", {.endpoint = "nope"}), HarnessError);
}

// ------------------------------------------------------------------- ports

// ops: test/test_model.py::TestPorts::test_open_port
TEST_F(TestModel, OpenPort) {
  model().unit().open_port("tcp", 8080);
  model().unit().open_port("udp", 4000);
  model().unit().open_port("icmp");
  EXPECT_EQ(harness.opened_ports(),
            (std::set<ops::Port>{{"icmp", std::nullopt}, {"tcp", 8080}, {"udp", 4000}}));
}

// ops: test/test_model.py::TestPorts::test_open_port_error
TEST_F(TestModel, OpenPortError) {
  EXPECT_THROW(model().unit().open_port("ftp", 8080), ops::ModelError);
  EXPECT_THROW(model().unit().open_port("tcp", 0), ops::ModelError);
  EXPECT_THROW(model().unit().open_port("tcp", 65536), ops::ModelError);
  EXPECT_THROW(model().unit().open_port("icmp", 8), ops::ModelError);  // icmp has no port
  EXPECT_TRUE(harness.opened_ports().empty());
}

// ops: test/test_model.py::TestPorts::test_close_port
TEST_F(TestModel, ClosePort) {
  model().unit().open_port("tcp", 8080);
  model().unit().close_port("tcp", 8080);
  model().unit().close_port("udp", 4000);  // closing a closed port is fine
  EXPECT_TRUE(harness.opened_ports().empty());
}

// ops: test/test_model.py::TestPorts::test_set_ports_all_open / test_set_ports_replace
TEST_F(TestModel, SetPortsReplace) {
  model().unit().open_port("tcp", 8080);
  model().unit().open_port("udp", 4000);
  model().unit().set_ports({{"tcp", 8080}, {"tcp", 9090}});
  EXPECT_EQ(harness.opened_ports(), (std::set<ops::Port>{{"tcp", 8080}, {"tcp", 9090}}));
  EXPECT_EQ(model().unit().opened_ports(), (std::set<ops::Port>{{"tcp", 8080}, {"tcp", 9090}}));
}

// ------------------------------------------------------------------ secrets

// ops: test/test_model.py::TestSecrets::test_app_add_secret_simple
TEST_F(TestModel, AppAddSecretSimple) {
  harness.set_leader(true);
  ops::Secret secret = model().app().add_secret({{"foo", "x"}});
  ASSERT_TRUE(secret.id().has_value());
  EXPECT_THAT(*secret.id(), ::testing::StartsWith("secret:"));
  EXPECT_EQ(secret.get_content(), (std::map<std::string, std::string>{{"foo", "x"}}));
}

// ops: test/test_model.py::TestSecrets::test_app_add_secret_args
TEST_F(TestModel, AppAddSecretArgs) {
  harness.set_leader(true);
  ops::Secret secret = model().app().add_secret(
      {{"foo", "x"}, {"bar", "y"}},
      {.label = "lbl", .description = "desc", .rotate = ops::SecretRotate::kHourly});
  EXPECT_EQ(secret.label(), "lbl");
  const ops::SecretInfo info = secret.get_info();
  EXPECT_EQ(info.label, "lbl");
  EXPECT_EQ(info.description, "desc");
  EXPECT_EQ(info.rotation, ops::SecretRotate::kHourly);
  EXPECT_EQ(info.revision, 1);
}

// ops: test/test_model.py::TestSecrets::test_unit_add_secret_simple
TEST_F(TestModel, UnitAddSecretSimple) {
  ops::Secret secret = model().unit().add_secret({{"foo", "x"}});
  EXPECT_EQ(secret.get_content(), (std::map<std::string, std::string>{{"foo", "x"}}));
}

// ops: test/test_model.py::TestSecrets::test_add_secret_errors
TEST_F(TestModel, AddSecretErrors) {
  harness.set_leader(true);
  EXPECT_THROW(model().app().add_secret({}), ops::ModelError);
  EXPECT_THROW(model().app().add_secret({{"xy", "bar"}}), ops::ModelError);   // too short
  EXPECT_THROW(model().app().add_secret({{"FOO", "bar"}}), ops::ModelError);  // upper case
  EXPECT_THROW(model().app().add_secret({{"a-b--c", "x"}}), ops::ModelError);
  EXPECT_THROW(model().unit().add_secret({{"-foo", "x"}}), ops::ModelError);
}

// ops: test/test_model.py::TestSecrets::test_app_add_secret (non-leader)
TEST_F(TestModel, NonLeaderCannotAddAppSecret) {
  harness.set_leader(false);
  EXPECT_THROW(model().app().add_secret({{"foo", "x"}}), ops::ModelError);
}

// ops: test/test_model.py::TestSecrets::test_get_secret_id
TEST_F(TestModel, GetSecretId) {
  const std::string id = harness.add_model_secret("remoteapp", {{"foo", "g"}});
  harness.grant_secret(id, "myapp");
  ops::Secret secret = model().get_secret(id);
  EXPECT_EQ(secret.id(), id);
  EXPECT_EQ(secret.get_content(), (std::map<std::string, std::string>{{"foo", "g"}}));
}

// ops: test/test_model.py::TestSecrets::test_get_secret_label
TEST_F(TestModel, GetSecretLabel) {
  harness.set_leader(true);
  ops::Secret added = model().app().add_secret({{"foo", "g"}}, {.label = "lbl"});
  ops::Secret secret = model().get_secret(std::nullopt, "lbl");
  EXPECT_EQ(secret.get_content(), (std::map<std::string, std::string>{{"foo", "g"}}));
  EXPECT_EQ(secret.id(), std::nullopt);  // looked up by label only, as ops
  (void)added;
}

// ops: test/test_model.py::TestSecrets::test_get_secret_not_found
TEST_F(TestModel, GetSecretNotFound) {
  EXPECT_THROW(model().get_secret("secret:aaaaaaaaaaaaaaaaaaaa").get_content(),
               ops::SecretNotFoundError);
}

// ops: test/test_model.py::TestSecrets::test_get_secret_other_error (no grant)
TEST_F(TestModel, GetSecretWithoutGrantIsNotFound) {
  const std::string id = harness.add_model_secret("remoteapp", {{"foo", "g"}});
  EXPECT_THROW(model().get_secret(id).get_content(), ops::SecretNotFoundError);
}

// ops: test/test_testing.py::TestSecrets::test_get_secret_as_owner (Juju >= 3.1.7)
TEST_F(TestModel, OwnerGetContentReturnsTrackedRevision) {
  harness.set_leader(true);
  const std::string id = *model().app().add_secret({{"foo", "v1"}}).id();
  model().get_secret(id).set_content({{"foo", "v2"}});
  // A fresh Secret object: the owner still tracks revision 1.
  EXPECT_EQ(model().get_secret(id).get_content(),
            (std::map<std::string, std::string>{{"foo", "v1"}}));
  EXPECT_EQ(model().get_secret(id).peek_content(),
            (std::map<std::string, std::string>{{"foo", "v2"}}));
  EXPECT_EQ(model().get_secret(id).get_content(true),
            (std::map<std::string, std::string>{{"foo", "v2"}}));
  EXPECT_EQ(model().get_secret(id).get_content(),
            (std::map<std::string, std::string>{{"foo", "v2"}}));
}

// ops: test/test_model.py::TestSecretClass::test_set_content
TEST_F(TestModel, SecretSetContentAddsARevision) {
  harness.set_leader(true);
  ops::Secret secret = model().app().add_secret({{"foo", "x"}});
  secret.set_content({{"foo", "y"}});
  EXPECT_THAT(harness.get_secret_revisions(*secret.id()), ElementsAre(1, 2));
  EXPECT_THROW(secret.set_content({{"x", "y"}}), ops::ModelError);  // invalid key
}

// ops: test/test_model.py::TestSecretClass::test_set_info
TEST_F(TestModel, SecretSetInfo) {
  harness.set_leader(true);
  ops::Secret secret = model().app().add_secret({{"foo", "x"}});
  secret.set_info({.label = "lab", .description = "desc"});
  EXPECT_EQ(secret.get_info().label, "lab");
  EXPECT_EQ(secret.get_info().description, "desc");
  EXPECT_THROW(secret.set_info({}), ops::ModelError);  // nothing to set
}

// ops: test/test_model.py::TestSecretClass::test_grant
TEST_F(TestModel, SecretGrant) {
  harness.set_leader(true);
  const int id = harness.add_relation("db1", "remoteapp1");
  harness.add_relation_unit(id, "remoteapp1/0");
  ops::Secret secret = model().app().add_secret({{"foo", "x"}});
  secret.grant(relation("db1"));
  secret.grant(relation("db1"), &model().get_unit("remoteapp1/0"));
  EXPECT_EQ(harness.get_secret_grants(*secret.id(), id),
            (std::set<std::string>{"remoteapp1", "remoteapp1/0"}));
  secret.revoke(relation("db1"), &model().get_unit("remoteapp1/0"));
  EXPECT_EQ(harness.get_secret_grants(*secret.id(), id), (std::set<std::string>{"remoteapp1"}));
}

// ops: test/test_model.py::TestSecretClass::test_remove_revision / test_remove_all_revisions
TEST_F(TestModel, SecretRemoveRevisions) {
  harness.set_leader(true);
  ops::Secret secret = model().app().add_secret({{"foo", "x"}});
  secret.set_content({{"foo", "y"}});
  secret.remove_revision(1);
  EXPECT_THAT(harness.get_secret_revisions(*secret.id()), ElementsAre(2));
  const std::string sid = *secret.id();
  secret.remove_all_revisions();
  EXPECT_THROW(harness.get_secret_revisions(sid), HarnessError);
}

// ops: test/test_model.py::TestSecretClass::test_id_and_label (unique_identifier)
TEST(TestSecretClass, CanonicalizeId) {
  EXPECT_EQ(ops::Secret::canonicalize_id("abc"), "secret:abc");
  EXPECT_EQ(ops::Secret::canonicalize_id("secret:abc"), "secret:abc");
}

// ------------------------------------------------------------- action-set

// ops: test/test_model.py::TestModelBackend::test_action_set_key_validation
TEST(TestActionSet, KeyValidation) {
  for (const char* bad : {"X", "-foo", "foo-", "foo!bar", "foo_bar", "Foo"}) {
    EXPECT_THROW((void)ops::hookcmds::action_set_args({{bad, "1"}}), ops::ModelError) << bad;
  }
  EXPECT_NO_THROW(
      (void)ops::hookcmds::action_set_args({{"foo", "1"}, {"5-o-0", "2"}, {"500", "3"}}));
}

// ops: test/test_model.py::TestModelBackend::test_action_set_key_validation
// (Juju checks each "."-separated part; ops' regex lets "foo..bar" through and Juju refuses it)
TEST(TestActionSet, DottedKeyPartsFollowJujusRule) {
  EXPECT_NO_THROW((void)ops::hookcmds::action_set_args({{"foo.bar", "1"}, {"foo-bar.baz", "2"}}));
  for (const char* bad : {"foo..bar", "foo-.bar", ".foo", "foo.", "."}) {
    EXPECT_THROW((void)ops::hookcmds::action_set_args({{bad, "1"}}), ops::ModelError) << bad;
  }
}

// ops: test/test_testing.py::TestActions::test_bad_results (reserved keys, as Juju's action-set)
TEST(TestActionSet, ReservedKeysAreRefusedBeforeRunningTheTool) {
  for (const char* key : {"stdout", "stdout-encoding", "stderr", "stderr-encoding"}) {
    try {
      (void)ops::hookcmds::action_set_args({{key, "x"}});
      FAIL() << key << " accepted";
    } catch (const ops::ModelError& e) {
      EXPECT_EQ(std::string(e.what()),
                std::string("action-set: cannot set reserved action key \"") + key + "\"");
    }
  }
  // Juju checks every part of a key path against the reserved keys.
  EXPECT_THROW((void)ops::hookcmds::action_set_args({{"foo", {{"stdout", "x"}}}}), ops::ModelError);
}

// ops: test/test_model.py::TestModelBackend::test_action_set_nested
TEST(TestActionSet, Nested) {
  EXPECT_THAT(ops::hookcmds::action_set_args({{"a", {{"b", 1}, {"c", 2}}}, {"d", 3}}),
              ElementsAre("a.b=1", "a.c=2", "d=3"));
}

// ops: test/test_model.py::TestModelBackend::test_action_set_more_nested
TEST(TestActionSet, MoreNested) {
  EXPECT_THAT(ops::hookcmds::action_set_args({{"a", {{"b", 1}, {"c", {{"d", 2}}}}}, {"e", 3}}),
              ElementsAre("a.b=1", "a.c.d=2", "e=3"));
}

// ops: test/test_model.py::TestModelBackend::test_action_set_dotted_dict
TEST(TestActionSet, DottedDict) {
  EXPECT_THAT(ops::hookcmds::action_set_args({{"a.b", 1}, {"a", {{"c", 2}}}, {"d", 3}}),
              ElementsAre("a.c=2", "a.b=1", "d=3"));
}

// ops: test/test_model.py::TestModelBackend::test_action_set_duplicated_keys
TEST(TestActionSet, DuplicatedKeys) {
  EXPECT_THROW((void)ops::hookcmds::action_set_args({{"a.b", 1}, {"a", {{"b", 2}}}}),
               ops::ModelError);
  EXPECT_THROW((void)ops::hookcmds::action_set_args({{"a", {{"b", 1}, {"c", 2}}}, {"a.c", 3}}),
               ops::ModelError);
}

// ----------------------------------------------------------------- pebble

class TestContainerPebble : public TestModel {
 protected:
  TestContainerPebble() { harness.set_can_connect("c1", true); }
  ops::Container& container() { return model().unit().get_container("c1"); }
};

// ops: test/test_model.py::TestContainers::test_unit_containers
TEST_F(TestContainerPebble, UnitContainers) {
  auto containers = model().unit().containers();
  ASSERT_EQ(containers.size(), 1u);
  EXPECT_EQ(containers.begin()->first, "c1");
  EXPECT_THROW((void)model().unit().get_container("c2"), ops::ModelError);
}

// ops: test/test_model.py::TestContainerPebble::test_can_connect
TEST_F(TestContainerPebble, CanConnect) {
  EXPECT_TRUE(container().can_connect());
  harness.set_can_connect("c1", false);
  EXPECT_FALSE(container().can_connect());
}

// ops: test/test_model.py::TestContainerPebble::test_push / test_pull
TEST_F(TestContainerPebble, PushPull) {
  container().push("/etc/app.conf", "key=value\n", {.make_dirs = true});
  EXPECT_EQ(container().pull("/etc/app.conf"), "key=value\n");
  EXPECT_THROW((void)container().pull("/nope"), ops::pebble::PathError);
}

// ops: test/test_testing.py::TestPebbleStorageAPIsUsingMocks::test_push_file_as_directory
TEST_F(TestContainerPebble, PushUnderAnExistingFileIsAGenericFileError) {
  container().push("/foo", "file", {});
  try {
    container().push("/foo/bar", "x", {});
    FAIL() << "pushed under a file";
  } catch (const ops::pebble::PathError& e) {
    EXPECT_EQ(e.kind(), "generic-file-error");
  }
  try {
    container().push("/foo/bar/baz", "x", {.make_dirs = true});
    FAIL() << "made a directory through a file";
  } catch (const ops::pebble::PathError& e) {
    EXPECT_EQ(e.kind(), "generic-file-error");
  }
}

// ops: test/test_testing.py::TestPebbleStorageAPIsUsingMocks::test_push_bad_permissions
// (we send the mode as Pebble's API does and Pebble refuses it: its error, not ops' client-side
// one)
TEST_F(TestContainerPebble, PushPermissionsOutOfRange) {
  for (int mode : {01000, -1}) {
    try {
      container().push("/perm", "x", {.permissions = mode});
      FAIL() << "mode " << mode << " accepted";
    } catch (const ops::pebble::PathError& e) {
      EXPECT_EQ(e.kind(), "generic-file-error");
    }
  }
  EXPECT_THROW(container().make_dir("/d", {.permissions = 01000}), ops::pebble::PathError);
  container().push("/perm", "x", {.permissions = 0600});
  EXPECT_EQ(container().list_files("/perm").at(0).permissions, 0600);
}

// ops: test/test_model.py::TestContainerPebble::test_make_dir / test_list_files
TEST_F(TestContainerPebble, MakeDirAndListFiles) {
  container().make_dir("/a/b", {.make_parents = true});
  container().push("/a/b/c.txt", "c", {});
  const auto files = container().list_files("/a/b");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].path, "/a/b/c.txt");
  EXPECT_EQ(files[0].name, "c.txt");
  EXPECT_TRUE(container().isdir("/a"));
  EXPECT_TRUE(container().exists("/a/b/c.txt"));
  EXPECT_FALSE(container().exists("/a/b/d.txt"));
}

// ops: test/test_model.py::TestContainerPebble::test_remove_path
TEST_F(TestContainerPebble, RemovePath) {
  container().push("/a/b.txt", "b", {.make_dirs = true});
  EXPECT_THROW(container().remove_path("/a"), ops::pebble::PathError);  // not empty
  container().remove_path("/a", /*recursive=*/true);
  EXPECT_FALSE(container().exists("/a"));
}

// ops: test/test_model.py::TestContainerPebble::test_add_layer / test_get_plan
TEST_F(TestContainerPebble, AddLayerAndGetPlan) {
  container().add_layer("a", R"(
summary: a
services:
  svc:
    override: replace
    command: /bin/sleep 10
    startup: enabled
)");
  const ops::pebble::Plan plan = container().get_plan();
  ASSERT_EQ(plan.services.count("svc"), 1u);
  EXPECT_EQ(plan.services.at("svc").command, "/bin/sleep 10");
}

// ops: test/test_model.py::TestContainerPebble::test_get_service (not found)
TEST_F(TestContainerPebble, GetServiceNotFound) {
  try {
    (void)container().get_service("nope");
    FAIL();
  } catch (const ops::ModelError& e) {
    EXPECT_STREQ(e.what(), "service 'nope' not found");
  }
}

// ops: test/test_model.py::TestContainerPebble::test_start_no_arguments
TEST_F(TestContainerPebble, StartStopRestartNeedServices) {
  EXPECT_THROW(container().start({}), ops::ModelError);
  EXPECT_THROW(container().stop({}), ops::ModelError);
  EXPECT_THROW(container().restart({}), ops::ModelError);
}

// ops: test/test_model.py::TestContainerPebble::test_get_check (not found)
TEST_F(TestContainerPebble, GetCheckNotFound) {
  try {
    (void)container().get_check("nope");
    FAIL();
  } catch (const ops::ModelError& e) {
    EXPECT_STREQ(e.what(), "check 'nope' not found");
  }
}

// ops: test/test_model.py::TestContainerPebble::test_get_notices / test_get_notice
TEST_F(TestContainerPebble, GetNotices) {
  const std::string id = harness.pebble_notify("c1", "example.com/a");
  const auto notices = container().get_notices();
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].id, id);
  EXPECT_EQ(notices[0].key, "example.com/a");
  EXPECT_EQ(container().get_notice(id).key, "example.com/a");
}

// ops: test/test_model.py::TestContainerPebble::test_get_notice_not_found
TEST_F(TestContainerPebble, GetNoticeNotFound) {
  try {
    (void)container().get_notice("1234");
    FAIL() << "found notice 1234";
  } catch (const ops::ModelError& e) {
    EXPECT_STREQ(e.what(), "notice '1234' not found");
  }
}

}  // namespace
