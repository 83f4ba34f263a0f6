#include "ops/model.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ops/charm.hpp"
#include "ops/detail/access.hpp"
#include "ops/testing/fake_backend.hpp"
#include "ops/testing/recording_backend.hpp"

namespace {

using ::testing::ElementsAre;
using Calls = std::vector<std::string>;

constexpr const char* kMetadata = R"(
name: redis
requires:
  db:
    interface: pgsql
provides:
  website:
    interface: http
peers:
  cluster:
    interface: redis-peers
storage:
  data:
    type: filesystem
    location: /data
resources:
  image:
    type: oci-image
)";

struct DbConfig {
  std::string host;
  int port = 0;
  std::vector<std::string> tags;
};
void to_json(nlohmann::json& j, const DbConfig& c) {
  j = {{"host", c.host}, {"port", c.port}, {"tags", c.tags}};
}
void from_json(const nlohmann::json& j, DbConfig& c) {
  j.at("host").get_to(c.host);
  j.at("port").get_to(c.port);
  if (j.contains("tags")) j.at("tags").get_to(c.tags);
}

class ModelTest : public ::testing::Test {
 protected:
  ModelTest()
      : meta_(ops::CharmMeta::from_yaml(kMetadata)), juju_(meta_, "redis/0"), backend_(juju_) {
    juju_.data().hook_running = true;
    juju_.data().unit_status = ops::UnknownStatus();
    add_relation(3, "db", "pg", {"pg/1", "pg/0"});
    add_relation(1, "cluster", "redis", {"redis/1"});
  }
  ops::testing::RelationRecord& add_relation(int id, const std::string& endpoint,
                                             const std::string& app,
                                             std::vector<std::string> units) {
    auto& record = juju_.data().relations[id];
    record.endpoint = endpoint;
    record.id = id;
    record.remote_app = app;
    record.remote_units = std::move(units);
    return record;
  }
  ops::Model& model() {
    if (!model_) model_ = std::make_unique<ops::Model>(meta_, backend_);
    return *model_;
  }
  ops::Relation& db() { return *model().get_relation("db"); }
  Calls calls() const { return backend_.commands(); }
  long count(const std::string& command) const {
    auto c = calls();
    return std::count(c.begin(), c.end(), command);
  }

  ops::CharmMeta meta_;
  ops::testing::FakeBackend juju_;
  ops::testing::RecordingBackend backend_;
  std::unique_ptr<ops::Model> model_;
};

template <typename E, typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "<no error>";
}

TEST_F(ModelTest, ConstructionAndIdentityCallNothing) {
  auto& m = model();
  EXPECT_EQ(m.unit().name(), "redis/0");
  EXPECT_EQ(m.app().name(), "redis");
  EXPECT_EQ(&m.unit().app(), &m.app());
  EXPECT_EQ(&m.get_unit("pg/0"), &m.get_unit("pg/0"));
  EXPECT_EQ(m.name(), "test-model");
  EXPECT_EQ(m.uuid(), "00000000-0000-4000-8000-000000000000");
  EXPECT_TRUE(calls().empty());
}

TEST_F(ModelTest, RelationMembersAreLazyAndSorted) {
  auto& rel = db();
  EXPECT_THAT(calls(), ElementsAre("relation-ids db --format=json"));
  EXPECT_EQ(rel.id(), 3);
  EXPECT_EQ(rel.name(), "db");
  EXPECT_FALSE(rel.is_peer());
  ASSERT_EQ(rel.units().size(), 2u);
  EXPECT_EQ(rel.units()[0]->name(), "pg/0");
  EXPECT_EQ(rel.units()[1]->name(), "pg/1");
  EXPECT_EQ(rel.app()->name(), "pg");
  EXPECT_TRUE(rel.active());
  EXPECT_THAT(calls(),
              ElementsAre("relation-ids db --format=json", "relation-list -r 3 --format=json"));
  auto& peers = *model().get_relation("cluster");
  EXPECT_TRUE(peers.is_peer());
  EXPECT_EQ(peers.app(), &model().app());
}

TEST_F(ModelTest, RemoteAppFallsBackToBackendWhenNoUnits) {
  juju_.relation(3).remote_units.clear();
  EXPECT_EQ(db().app()->name(), "pg");
  EXPECT_THAT(calls(),
              ElementsAre("relation-ids db --format=json", "relation-list -r 3 --format=json",
                          "relation-list -r 3 --app --format=json"));
  // A relation Juju no longer knows: no units, and no remote application.
  EXPECT_EQ(model().get_relation("website", 9)->app(), nullptr);
}

TEST_F(ModelTest, GetRelationNoneOneOrTooMany) {
  EXPECT_EQ(model().get_relation("website"), nullptr);
  add_relation(4, "website", "web", {"web/0"});
  add_relation(5, "website", "proxy", {"proxy/0"});
  ops::detail::ModelAccess::invalidate_caches(model());
  EXPECT_EQ(error_of<ops::TooManyRelatedAppsError>([&] { (void)model().get_relation("website"); }),
            "too many remote applications on website (2 > 1)");
  EXPECT_EQ(model().get_relation("website", 5)->id(), 5);
  EXPECT_EQ(model().relations("website").size(), 2u);
  EXPECT_EQ(error_of<ops::ModelError>([&] { (void)model().relations("nope"); }),
            "unknown relation endpoint 'nope' (the charm declares: cluster, db, website)");
  EXPECT_THROW((void)model().get_relation("nope", 3), ops::ModelError);
}

TEST_F(ModelTest, GetRelationByIdRunsNoRelationIds) {
  auto* rel = model().get_relation("db", 3);
  ASSERT_NE(rel, nullptr);
  EXPECT_TRUE(calls().empty());
  EXPECT_EQ(model().get_relation("db", 3), rel);
  EXPECT_EQ(error_of<ops::ModelError>([&] { (void)model().get_relation("website", 3); }),
            "relation 3 is on endpoint 'db', not 'website'");
}

TEST_F(ModelTest, BrokenRelationIsInactiveAndNotListed) {
  ops::detail::ModelAccess::set_broken_relation_id(model(), 3);
  EXPECT_TRUE(model().relations("db").empty());
  EXPECT_EQ(model().get_relation("db"), nullptr);
  auto* rel = model().get_relation("db", 3);
  EXPECT_FALSE(rel->active());
  // Remote data stays readable in broken.
  juju_.relation(3).unit_data["pg/0"] = {{"k", "v"}};
  EXPECT_EQ(rel->data(model().get_unit("pg/0")).get("k"), "v");
}

TEST_F(ModelTest, DeadRelationHasNoUnitsAndNoData) {
  juju_.data().relations.erase(3);  // Juju forgot it: relation-list and relation-get fail
  auto* rel = model().get_relation("db", 3);
  EXPECT_FALSE(rel->active());
  EXPECT_TRUE(rel->units().empty());
  EXPECT_EQ(rel->app(), nullptr);
  EXPECT_TRUE(rel->data(model().get_unit("redis/0")).as_map().empty());
  EXPECT_THAT(calls(), ElementsAre("relation-list -r 3 --format=json",
                                   "relation-list -r 3 --app --format=json",
                                   "relation-get -r 3 - redis/0 --format=json"));
}

TEST_F(ModelTest, WritesAreBatchedPerBagAndVisibleToReads) {
  auto& bag = db().data(model().unit());
  bag.set("host", "10.0.0.5");
  bag.set("port", "6379");
  bag.update({{"user", "admin"}, {"host", "10.0.0.6"}});
  EXPECT_THAT(calls(), ElementsAre("relation-ids db --format=json"));
  EXPECT_TRUE(model().has_pending_writes());
  EXPECT_EQ(bag.get("host"), "10.0.0.6");  // a pending key needs no relation-get
  EXPECT_THAT(calls(), ElementsAre("relation-ids db --format=json"));
  model().flush();
  EXPECT_THAT(
      calls(),
      ElementsAre(
          "relation-ids db --format=json",
          R"(relation-set -r 3 --file - <<< {"host":"10.0.0.6","port":"6379","user":"admin"})"));
  EXPECT_EQ(juju_.relation(3).unit_data["redis/0"],
            (ops::testing::Databag{{"host", "10.0.0.6"}, {"port", "6379"}, {"user", "admin"}}));
  EXPECT_FALSE(model().has_pending_writes());
  model().flush();
  EXPECT_EQ(calls().size(), 2u);
}

TEST_F(ModelTest, FlushSkipsValuesJujuAlreadyHasAndDeletes) {
  juju_.relation(3).unit_data["redis/0"] = {{"a", "1"}, {"b", "2"}};
  auto& bag = db().data(model().unit());
  EXPECT_EQ(bag.as_map().size(), 2u);
  bag.set("a", "1");  // unchanged
  bag.erase("b");
  bag.set("c", "3");
  EXPECT_EQ(bag.as_map(), (std::map<std::string, std::string>{{"a", "1"}, {"c", "3"}}));
  EXPECT_FALSE(bag.contains("b"));
  model().flush();
  EXPECT_EQ(calls().back(), R"(relation-set -r 3 --file - <<< {"b":"","c":"3"})");
  EXPECT_EQ(juju_.relation(3).unit_data["redis/0"],
            (ops::testing::Databag{{"a", "1"}, {"c", "3"}}));
  EXPECT_EQ(bag.as_map(), (std::map<std::string, std::string>{{"a", "1"}, {"c", "3"}}));
  bag.set("a", "1");
  backend_.clear();
  model().flush();
  EXPECT_TRUE(calls().empty());  // nothing changed: no relation-set
}

TEST_F(ModelTest, ReadsAreCachedPerBag) {
  juju_.relation(3).unit_data["pg/0"] = {{"password", "x"}};
  auto& bag = db().data(model().get_unit("pg/0"));
  EXPECT_EQ(bag.at("password"), "x");
  EXPECT_EQ(bag.get("missing"), std::nullopt);
  EXPECT_EQ(bag.size(), 1u);
  EXPECT_EQ(count("relation-get -r 3 - pg/0 --format=json"), 1);
  EXPECT_EQ(error_of<ops::RelationDataError>([&] { (void)bag.at("missing"); }),
            "key \"missing\" is not set in the databag of pg/0 in relation db:3");
}

// A helper that takes const references can read everything: queries are
// const, and what they load is cached as for a non-const reader.
TEST_F(ModelTest, ReadsThroughConstReferences) {
  juju_.relation(3).unit_data["pg/0"] = {{"host", "\"10.0.0.7\""}, {"port", "5432"}};
  juju_.relation(3).app_data["pg"] = {{"version", "\"14\""}};
  juju_.data().config = {{"port", 6379}, {"name", "r"}};
  juju_.data().leader = true;
  juju_.data().storages["data"] = {{0, {"/srv/data/0", true}}};
  ops::Network network;
  network.ingress_addresses.push_back("192.168.1.1");
  juju_.data().networks[{"db", std::nullopt}] = network;

  const ops::Relation& rel = db();
  const ops::Unit& pg0 = model().get_unit("pg/0");
  const ops::Application& pg = model().get_app("pg");
  const ops::Unit& ours = model().unit();
  const ops::Application& app = model().app();
  const ops::Config& config = model().config();
  const ops::Storage& data = model().storages()["data"][0];
  const ops::Binding& binding = model().get_binding("db");

  EXPECT_TRUE(rel.active());
  EXPECT_EQ(rel.app(), &pg);
  ASSERT_EQ(rel.units().size(), 2u);
  EXPECT_EQ(rel.units()[0], &pg0);
  const ops::RelationDataContent& bag = rel.data(pg0);
  EXPECT_EQ(&bag, &db().data(model().get_unit("pg/0")));  // the bag a writer gets
  EXPECT_EQ(bag.get("port"), "5432");
  EXPECT_EQ(bag.at("host"), "\"10.0.0.7\"");
  EXPECT_TRUE(bag.contains("port"));
  EXPECT_FALSE(bag.contains("user"));
  EXPECT_EQ(bag.as_map(),
            (std::map<std::string, std::string>{{"host", "\"10.0.0.7\""}, {"port", "5432"}}));
  EXPECT_EQ(bag.size(), 2u);
  EXPECT_FALSE(bag.empty());
  EXPECT_EQ(rel.load_json(pg0), nlohmann::json({{"host", "10.0.0.7"}, {"port", 5432}}));
  EXPECT_EQ(rel.load_json(pg), nlohmann::json({{"version", "14"}}));
  EXPECT_EQ(rel.load<nlohmann::json>(pg)["version"], "14");

  EXPECT_TRUE(ours.is_leader());
  EXPECT_EQ(ours.status(), ops::UnknownStatus());
  EXPECT_EQ(pg0.status(), ops::UnknownStatus());  // another unit's status reads as unknown
  EXPECT_EQ(app.planned_units(), 2);
  EXPECT_EQ(config.get<int>("port"), 6379);
  EXPECT_EQ(config.get_optional<std::string>("name"), "r");
  EXPECT_TRUE(config.contains("name"));
  EXPECT_EQ(config.at("port"), 6379);
  EXPECT_EQ(config.values().size(), 2u);
  EXPECT_EQ(data.location(), "/srv/data/0");
  EXPECT_EQ(binding.network().ingress_address(), "192.168.1.1");

  // Each read ran its hook tool once, as it does for a non-const reader.
  EXPECT_EQ(count("relation-list -r 3 --format=json"), 1);
  EXPECT_EQ(count("relation-get -r 3 - pg/0 --format=json"), 1);
  EXPECT_EQ(count("relation-get -r 3 - pg --app --format=json"), 1);
  EXPECT_EQ(count("config-get --format=json"), 1);
  EXPECT_EQ(count("storage-get -s data/0 location --format=json"), 1);
  EXPECT_EQ(count("network-get db --format=json"), 1);
}

TEST_F(ModelTest, WriteAccessRules) {
  auto& rel = db();
  EXPECT_EQ(error_of<ops::RelationDataAccessError>(
                [&] { rel.data(model().get_unit("pg/0")).set("k", "v"); }),
            "redis/0 cannot write the databag of pg/0: not the same unit");
  EXPECT_EQ(error_of<ops::RelationDataAccessError>(
                [&] { rel.data(model().get_app("pg")).set("k", "v"); }),
            "redis cannot write the data of remote application pg");
  EXPECT_EQ(error_of<ops::RelationDataAccessError>([&] { rel.data(model().app()).set("k", "v"); }),
            "redis/0 is not leader and cannot write application data");
  EXPECT_EQ(error_of<ops::RelationDataTypeError>([&] { rel.data(model().unit()).set("", "v"); }),
            "relation data keys must not be empty");
  juju_.data().leader = true;
  ops::detail::ModelAccess::invalidate_caches(model());
  EXPECT_NO_THROW(rel.data(model().app()).set("k", "v"));
  EXPECT_TRUE(model().has_pending_writes());
}

TEST_F(ModelTest, ReadAccessRules) {
  auto& rel = db();
  // Non-leader, non-peer: own app bag is off limits; the remote app's is fine.
  EXPECT_EQ(error_of<ops::RelationDataAccessError>([&] { (void)rel.data(model().app()).as_map(); }),
            "redis/0 is not leader and cannot read its own application databag");
  EXPECT_NO_THROW((void)rel.data(model().get_app("pg")).as_map());
  // Peer relation: app data is readable by every unit.
  auto& peers = *model().get_relation("cluster");
  EXPECT_NO_THROW((void)peers.data(model().app()).as_map());
  EXPECT_NO_THROW((void)peers.data(model().get_unit("redis/1")).as_map());
  // Not a member of the relation.
  EXPECT_EQ(error_of<ops::RelationDataError>([&] { (void)rel.data(model().get_unit("other/0")); }),
            "unit other/0 is not part of relation db:3");
  // Leader can read its own app bag.
  juju_.data().leader = true;
  ops::detail::ModelAccess::invalidate_caches(model());
  EXPECT_NO_THROW((void)rel.data(model().app()).as_map());
}

TEST_F(ModelTest, NoAccessRulesOutsideHooks) {
  juju_.data().hook_running = false;
  auto& rel = db();
  EXPECT_NO_THROW((void)rel.data(model().app()).as_map());
  EXPECT_NO_THROW(rel.data(model().get_unit("pg/0")).set("k", "v"));
}

TEST_F(ModelTest, TypedLoadAndSave) {
  juju_.data().leader = true;
  auto& rel = db();
  rel.save(DbConfig{"db.local", 5432, {"a", "b"}}, model().app());
  model().flush();
  EXPECT_EQ(
      calls().back(),
      R"(relation-set -r 3 --app --file - <<< {"host":"\"db.local\"","port":"5432","tags":"[\"a\",\"b\"]"})");
  juju_.relation(3).app_data["pg"] = {{"host", "\"pg.local\""}, {"port", "15432"}};
  auto loaded = rel.load<DbConfig>(model().get_app("pg"));
  EXPECT_EQ(loaded.host, "pg.local");
  EXPECT_EQ(loaded.port, 15432);
  juju_.relation(3).unit_data["pg/0"] = {{"host", "not json"}};
  EXPECT_EQ(
      error_of<ops::RelationDataTypeError>([&] { rel.load<DbConfig>(model().get_unit("pg/0")); }),
      "relation db:3 key \"host\" of pg/0 is not JSON: not json");
  juju_.relation(3).unit_data["pg/1"] = {{"host", "\"h\""}};
  EXPECT_THROW(rel.load<DbConfig>(model().get_unit("pg/1")), ops::RelationDataTypeError);
  EXPECT_THROW(rel.save_json(nlohmann::json::array(), model().unit()), ops::RelationDataTypeError);
}

TEST_F(ModelTest, StatusRules) {
  auto& unit = model().unit();
  EXPECT_EQ(unit.status(), ops::UnknownStatus());
  unit.set_status(ops::MaintenanceStatus("installing"));
  EXPECT_EQ(unit.status(), ops::MaintenanceStatus("installing"));
  EXPECT_EQ(count("status-get --include-data --application=False --format=json"), 1);
  EXPECT_EQ(calls().back(), "status-set --application=False maintenance -- installing");
  EXPECT_EQ(error_of<ops::InvalidStatusError>([&] { unit.set_status(ops::UnknownStatus()); }),
            "invalid status for unit redis/0: UnknownStatus() cannot be set");
  EXPECT_THROW(unit.set_status(ops::ErrorStatus("x")), ops::InvalidStatusError);
  EXPECT_EQ(error_of<ops::InvalidStatusError>(
                [&] { model().get_unit("pg/0").set_status(ops::ActiveStatus()); }),
            "cannot set the status of remote unit pg/0");
  EXPECT_EQ(model().get_unit("pg/0").status(), ops::UnknownStatus());

  auto& app = model().app();
  EXPECT_EQ(error_of<ops::InvalidStatusError>([&] { app.set_status(ops::ActiveStatus()); }),
            "cannot set application status as a non-leader unit");
  EXPECT_EQ(error_of<ops::InvalidStatusError>([&] { (void)app.status(); }),
            "cannot get application status as a non-leader unit");
  EXPECT_EQ(model().get_app("pg").status(), ops::UnknownStatus());
  juju_.data().leader = true;
  ops::detail::ModelAccess::invalidate_caches(model());
  app.set_status(ops::BlockedStatus("need db"));
  EXPECT_EQ(calls().back(), "status-set --application=True blocked -- need db");
  EXPECT_EQ(app.status(), ops::BlockedStatus("need db"));
  EXPECT_EQ(error_of<ops::InvalidStatusError>(
                [&] { model().get_app("pg").set_status(ops::ActiveStatus()); }),
            "cannot set the status of remote application pg");
}

TEST_F(ModelTest, StatusValuesCompareAndPrint) {
  EXPECT_EQ(ops::ActiveStatus(), ops::ActiveStatus(""));
  EXPECT_NE(ops::ActiveStatus("a"), ops::ActiveStatus("b"));
  EXPECT_NE(ops::WaitingStatus("a"), ops::BlockedStatus("a"));
  EXPECT_EQ(ops::StatusBase::from_name("waiting", "x"), ops::WaitingStatus("x"));
  EXPECT_EQ(ops::StatusBase::from_name("unknown", "ignored"), ops::UnknownStatus());
  EXPECT_THROW((void)ops::StatusBase::from_name("sleepy", ""), ops::InvalidStatusError);
  std::ostringstream out;
  out << ops::BlockedStatus("say \"hi\"");
  EXPECT_EQ(out.str(), R"(BlockedStatus("say \"hi\""))");
  EXPECT_EQ(ops::ActiveStatus().to_string(), R"(ActiveStatus(""))");
  EXPECT_EQ(ops::StatusBase::highest_priority(
                {ops::ActiveStatus(), ops::WaitingStatus("w"), ops::BlockedStatus("b1"),
                 ops::MaintenanceStatus("m"), ops::BlockedStatus("b2")}),
            ops::BlockedStatus("b1"));
  EXPECT_EQ(ops::StatusBase::highest_priority({}), ops::UnknownStatus());
}

TEST_F(ModelTest, LeadershipOnlyForOurUnit) {
  juju_.data().leader = true;
  EXPECT_TRUE(model().unit().is_leader());
  EXPECT_EQ(error_of<ops::ModelError>([&] { (void)model().get_unit("redis/1").is_leader(); }),
            "leadership status of unit redis/1 is not visible to redis/0");
}

TEST_F(ModelTest, ConfigTypedAccess) {
  juju_.data().config = {{"port", 6379}, {"debug", true}, {"name", "r"}, {"ratio", 0.25}};
  auto& config = model().config();
  EXPECT_EQ(config.get<int>("port"), 6379);
  EXPECT_TRUE(config.get<bool>("debug"));
  EXPECT_EQ(config.get<std::string>("name"), "r");
  EXPECT_DOUBLE_EQ(config.get<double>("ratio"), 0.25);
  EXPECT_EQ(config.get_optional<int>("absent"), std::nullopt);
  EXPECT_EQ(error_of<ops::ModelError>([&] { (void)config.get<int>("absent"); }),
            "config option 'absent' is not set");
  EXPECT_EQ(error_of<ops::ModelError>([&] { (void)config.get<std::string>("port"); }),
            "config option 'port' has the wrong type: 6379");
  juju_.data().config = {{"port", "x"}};
  config.invalidate();
  EXPECT_THROW((void)config.get<int>("port"), ops::ModelError);
  EXPECT_EQ(count("config-get --format=json"), 2);
}

struct RedisConfig {
  int port = 0;
  bool tls = false;
};
void from_json(const nlohmann::json& j, RedisConfig& c) {
  j.at("port").get_to(c.port);
  c.tls = j.value("tls", false);
}

TEST_F(ModelTest, ConfigLoadIntoStruct) {
  juju_.data().config = {{"port", 7000}};
  auto c = model().config().load<RedisConfig>();
  EXPECT_EQ(c.port, 7000);
  EXPECT_FALSE(c.tls);
  juju_.data().config = {{"tls", true}};
  ops::detail::ModelAccess::invalidate_caches(model());
  EXPECT_EQ(error_of<ops::ModelError>([&] { model().config().load<RedisConfig>(); }),
            "invalid config: [json.exception.out_of_range.403] key 'port' not found");
}

TEST_F(ModelTest, ResourcesStorageAndBindings) {
  juju_.data().resources["image"] = "/resources/image";
  juju_.data().storages["data"] = {{0, {"/srv/data/0", true}}, {1, {"/srv/data/1", true}}};
  ops::Network endpoint;
  endpoint.interfaces.push_back({"eth0", "10.0.0.1", "10.0.0.0/24"});
  endpoint.ingress_addresses.push_back("192.168.1.1");
  juju_.data().networks[{"db", std::nullopt}] = endpoint;

  EXPECT_EQ(model().resources().fetch("image"), "/resources/image");
  model().resources().fetch("image");
  EXPECT_EQ(count("resource-get image"), 1);
  EXPECT_EQ(error_of<ops::ResourceNotFoundError>([&] { model().resources().fetch("nope"); }),
            "invalid resource name: nope (the charm declares: image)");

  auto& data = model().storages()["data"];
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(data[1].full_id(), "data/1");
  EXPECT_EQ(data[1].location(), "/srv/data/1");
  EXPECT_EQ(data[1].location(), "/srv/data/1");
  model().storages().request("data", 2);
  EXPECT_EQ(juju_.data().storage_requests, (std::map<std::string, int>{{"data", 2}}));
  EXPECT_THROW((void)model().storages()["logs"], ops::ModelError);
  EXPECT_THROW(model().storages().request("logs"), ops::ModelError);

  auto& binding = model().get_binding(*model().get_relation("db", 3));
  juju_.data().relations.erase(3);                          // gone before network-get runs
  EXPECT_EQ(binding.network().bind_address(), "10.0.0.1");  // fell back to the endpoint
  EXPECT_EQ(model().get_binding("db").network().ingress_address(), "192.168.1.1");
  EXPECT_EQ(&model().get_binding("db"), &model().get_binding("db"));
  Calls expected_tail = {"storage-list data --format=json",
                         "storage-get -s data/1 location --format=json",
                         "storage-add data=2",
                         "network-get db -r 3 --format=json",
                         "network-get db --format=json",
                         "network-get db --format=json"};
  const Calls all = calls();
  EXPECT_EQ(Calls(all.end() - 6, all.end()), expected_tail);
}

TEST_F(ModelTest, PortsAndWorkloadVersion) {
  auto& unit = model().unit();
  unit.open_port("tcp", 6379);
  unit.open_port("icmp");
  EXPECT_THROW(unit.open_port("tcp"), ops::ModelError);
  EXPECT_THROW(unit.open_port("udp", 0), ops::ModelError);
  EXPECT_EQ(unit.opened_ports(), (std::set<ops::Port>{{"icmp", std::nullopt}, {"tcp", 6379}}));
  backend_.clear();
  unit.set_ports({{"tcp", 6379}, {"tcp", 26379}});
  EXPECT_THAT(calls(),
              ElementsAre("opened-ports --format=json", "close-port icmp", "open-port 26379/tcp"));
  EXPECT_EQ(juju_.data().opened_ports, (std::set<ops::Port>{{"tcp", 6379}, {"tcp", 26379}}));
  unit.set_workload_version("7.2.4");
  EXPECT_EQ(calls().back(), "application-version-set -- 7.2.4");
  EXPECT_EQ(juju_.data().workload_version, "7.2.4");
  EXPECT_THROW(model().get_unit("pg/0").open_port("tcp", 1), ops::ModelError);
  unit.reboot(true);
  EXPECT_EQ(calls().back(), "juju-reboot --now");
  EXPECT_EQ(juju_.data().reboot_count, 1);
}

TEST_F(ModelTest, PlannedUnitsOnlyForOurApp) {
  EXPECT_EQ(model().app().planned_units(), 2);  // this unit and its peer redis/1
  juju_.data().planned_units = 3;
  EXPECT_EQ(model().app().planned_units(), 2);           // goal-state is read once per dispatch
  ops::detail::ModelAccess::invalidate_caches(model());  // the next dispatch asks again
  EXPECT_EQ(model().app().planned_units(), 3);
  EXPECT_THAT(calls(), ElementsAre("goal-state --format=json", "goal-state --format=json"));
  EXPECT_THROW((void)model().get_app("pg").planned_units(), ops::ModelError);
}

TEST_F(ModelTest, SecretsLifecycle) {
  juju_.data().leader = true;
  auto secret = model().app().add_secret({{"password", "hunter2"}}, {.label = "admin"});
  const std::string id = "secret:cr2d1f0g6s7v3nrbtq01";
  EXPECT_EQ(secret.id(), id);
  EXPECT_EQ(secret.unique_identifier(), "cr2d1f0g6s7v3nrbtq01");
  ASSERT_EQ(backend_.calls().size(), 1u);
  EXPECT_EQ(calls().back(), "secret-add --label admin --owner application password#file=<file>");
  EXPECT_EQ(backend_.calls().back().files,
            (std::map<std::string, std::string>{{"password", "hunter2"}}));
  EXPECT_EQ(secret.get_content().at("password"), "hunter2");  // cached, no secret-get
  EXPECT_EQ(calls().size(), 1u);

  auto by_label = model().get_secret(std::nullopt, "admin");
  EXPECT_EQ(calls().back(), "secret-get --label admin --format=json");
  EXPECT_EQ(by_label.id(), std::nullopt);
  by_label.set_content({{"password", "new-one"}});
  Calls all = calls();
  EXPECT_THAT(Calls(all.end() - 2, all.end()),
              ElementsAre("secret-info-get --label admin --format=json",
                          "secret-set " + id + " password#file=<file>"));
  EXPECT_EQ(juju_.find_secret(id, std::nullopt)->latest_revision, 2);
  EXPECT_EQ(by_label.id(), id);
  EXPECT_EQ(by_label.get_content().at("password"), "hunter2");  // still the cached content
  EXPECT_EQ(by_label.get_content(true).at("password"), "new-one");
  EXPECT_EQ(calls().back(), "secret-get " + id + " --label admin --refresh --format=json");
  (void)by_label.peek_content();
  EXPECT_EQ(calls().back(), "secret-get " + id + " --label admin --peek --format=json");

  auto by_id = model().get_secret("cr2d1f0g6s7v3nrbtq01");
  EXPECT_EQ(by_id.id(), id);
  by_id.set_info({.label = "renamed"});
  EXPECT_EQ(calls().back(), "secret-set " + id + " --label renamed");
  EXPECT_EQ(by_id.label(), "renamed");
  by_id.grant(db(), &model().get_unit("pg/0"));
  EXPECT_EQ(calls().back(), "secret-grant " + id + " --relation 3 --unit pg/0");
  EXPECT_EQ(juju_.find_secret(id, std::nullopt)->grants,
            (std::map<int, std::set<std::string>>{{3, {"pg/0"}}}));
  by_id.revoke(db());
  EXPECT_EQ(calls().back(), "secret-revoke " + id + " --relation 3");
  by_id.remove_revision(2);
  EXPECT_EQ(calls().back(), "secret-remove " + id + " --revision 2");
  by_id.remove_all_revisions();
  EXPECT_EQ(calls().back(), "secret-remove " + id);
  EXPECT_EQ(juju_.find_secret(id, std::nullopt), nullptr);

  auto unit_secret = model().unit().add_secret({{"key", "v"}});
  EXPECT_EQ(calls().back(), "secret-add --owner unit key#file=<file>");
  EXPECT_EQ(unit_secret.id(), "secret:cr2d1f0g6s7v3nrbtq02");
  EXPECT_THROW((void)model().get_secret("nope"), ops::SecretNotFoundError);
  EXPECT_THROW((void)model().get_secret(std::nullopt, std::nullopt), ops::ModelError);
  EXPECT_THROW(by_id.set_info({}), ops::ModelError);
}

TEST_F(ModelTest, SecretContentIsValidated) {
  EXPECT_EQ(error_of<ops::ModelError>([&] {
              model().unit().add_secret({{"ab", "x"}, {"Bad", "y"}, {"good-key", "z"}});
            }),
            "invalid secret keys: \"Bad\", \"ab\". Keys should be lowercase letters and digits, at "
            "least 3 characters long, start with a letter, and not start or end with a hyphen");
  EXPECT_THROW(model().unit().add_secret({{"key-", "x"}}), ops::ModelError);
  EXPECT_THROW(model().unit().add_secret({}), ops::ModelError);
  EXPECT_NO_THROW(model().unit().add_secret({{"a-b1", "x"}}));
  EXPECT_EQ(ops::Secret::canonicalize_id(" abc "), "secret:abc");
  EXPECT_EQ(ops::Secret::canonicalize_id("secret://uuid/abc"), "secret://uuid/abc");
}

}  // namespace
