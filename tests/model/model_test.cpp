#include "ops/model.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/fake_backend.hpp"
#include "ops/charm.hpp"

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
  ModelTest() : meta_(ops::CharmMeta::from_yaml(kMetadata)) {
    backend_.relation_ids_by_endpoint["db"] = {3};
    backend_.relation_units[3] = {"pg/1", "pg/0"};
    backend_.relation_ids_by_endpoint["cluster"] = {1};
    backend_.relation_units[1] = {"redis/1"};
  }
  ops::Model& model() {
    if (!model_) model_ = std::make_unique<ops::Model>(meta_, backend_);
    return *model_;
  }
  ops::Relation& db() { return *model().get_relation("db"); }

  ops::CharmMeta meta_;
  ops::test::FakeBackend backend_;
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
  EXPECT_EQ(m.uuid(), "uuid-1");
  EXPECT_TRUE(backend_.calls.empty());
}

TEST_F(ModelTest, RelationMembersAreLazyAndSorted) {
  auto& rel = db();
  EXPECT_THAT(backend_.calls, ElementsAre("relation_ids db"));
  EXPECT_EQ(rel.id(), 3);
  EXPECT_EQ(rel.name(), "db");
  EXPECT_FALSE(rel.is_peer());
  ASSERT_EQ(rel.units().size(), 2u);
  EXPECT_EQ(rel.units()[0]->name(), "pg/0");
  EXPECT_EQ(rel.units()[1]->name(), "pg/1");
  EXPECT_EQ(rel.app()->name(), "pg");
  EXPECT_TRUE(rel.active());
  EXPECT_THAT(backend_.calls, ElementsAre("relation_ids db", "relation_list 3"));
  auto& peers = *model().get_relation("cluster");
  EXPECT_TRUE(peers.is_peer());
  EXPECT_EQ(peers.app(), &model().app());
}

TEST_F(ModelTest, RemoteAppFallsBackToBackendWhenNoUnits) {
  backend_.relation_units[3] = {};
  backend_.remote_apps[3] = "pg";
  EXPECT_EQ(db().app()->name(), "pg");
  backend_.remote_apps.clear();
  backend_.relation_ids_by_endpoint["website"] = {9};
  EXPECT_EQ(model().get_relation("website")->app(), nullptr);
}

TEST_F(ModelTest, GetRelationNoneOneOrTooMany) {
  EXPECT_EQ(model().get_relation("website"), nullptr);
  backend_.relation_ids_by_endpoint["website"] = {4, 5};
  model().invalidate_caches();
  EXPECT_EQ(error_of<ops::TooManyRelatedAppsError>([&] { model().get_relation("website"); }),
            "too many remote applications on website (2 > 1)");
  EXPECT_EQ(model().get_relation("website", 5)->id(), 5);
  EXPECT_EQ(model().relations("website").size(), 2u);
  EXPECT_EQ(error_of<ops::ModelError>([&] { model().relations("nope"); }),
            "unknown relation endpoint 'nope' (the charm declares: cluster, db, website)");
  EXPECT_THROW(model().get_relation("nope", 3), ops::ModelError);
}

TEST_F(ModelTest, GetRelationByIdRunsNoRelationIds) {
  auto* rel = model().get_relation("db", 3);
  ASSERT_NE(rel, nullptr);
  EXPECT_TRUE(backend_.calls.empty());
  EXPECT_EQ(model().get_relation("db", 3), rel);
  EXPECT_EQ(error_of<ops::ModelError>([&] { model().get_relation("website", 3); }),
            "relation 3 is on endpoint 'db', not 'website'");
}

TEST_F(ModelTest, BrokenRelationIsInactiveAndNotListed) {
  model().set_broken_relation_id(3);
  EXPECT_TRUE(model().relations("db").empty());
  EXPECT_EQ(model().get_relation("db"), nullptr);
  auto* rel = model().get_relation("db", 3);
  EXPECT_FALSE(rel->active());
  // Remote data stays readable in broken.
  backend_.bags[{3, "pg/0"}] = {{"k", "v"}};
  EXPECT_EQ(rel->data(model().get_unit("pg/0")).get("k"), "v");
}

TEST_F(ModelTest, DeadRelationHasNoUnitsAndNoData) {
  backend_.dead_relations.insert(3);
  auto* rel = model().get_relation("db", 3);
  EXPECT_FALSE(rel->active());
  EXPECT_TRUE(rel->units().empty());
  backend_.remote_apps[3] = "pg";
  model().invalidate_caches();
  EXPECT_TRUE(rel->data(model().get_unit("pg/0")).as_map().empty());
}

TEST_F(ModelTest, WritesAreBatchedPerBagAndVisibleToReads) {
  auto& bag = db().data(model().unit());
  bag.set("host", "10.0.0.5");
  bag.set("port", "6379");
  bag.update({{"user", "admin"}, {"host", "10.0.0.6"}});
  EXPECT_THAT(backend_.calls, ElementsAre("relation_ids db"));
  EXPECT_TRUE(model().has_pending_writes());
  EXPECT_EQ(bag.get("host"), "10.0.0.6");  // a pending key needs no relation-get
  EXPECT_THAT(backend_.calls, ElementsAre("relation_ids db"));
  model().flush();
  EXPECT_THAT(backend_.calls,
              ElementsAre("relation_ids db",
                          R"(relation_set 3 {"host":"10.0.0.6","port":"6379","user":"admin"})"));
  EXPECT_FALSE(model().has_pending_writes());
  model().flush();
  EXPECT_EQ(backend_.calls.size(), 2u);
}

TEST_F(ModelTest, FlushSkipsValuesJujuAlreadyHasAndDeletes) {
  backend_.bags[{3, "redis/0"}] = {{"a", "1"}, {"b", "2"}};
  auto& bag = db().data(model().unit());
  EXPECT_EQ(bag.as_map().size(), 2u);
  bag.set("a", "1");  // unchanged
  bag.erase("b");
  bag.set("c", "3");
  EXPECT_EQ(bag.as_map(), (std::map<std::string, std::string>{{"a", "1"}, {"c", "3"}}));
  EXPECT_FALSE(bag.contains("b"));
  model().flush();
  EXPECT_EQ(backend_.calls.back(), R"(relation_set 3 {"b":"","c":"3"})");
  EXPECT_EQ(bag.as_map(), (std::map<std::string, std::string>{{"a", "1"}, {"c", "3"}}));
  bag.set("a", "1");
  backend_.calls.clear();
  model().flush();
  EXPECT_TRUE(backend_.calls.empty());  // nothing changed: no relation-set
}

TEST_F(ModelTest, ReadsAreCachedPerBag) {
  backend_.bags[{3, "pg/0"}] = {{"password", "x"}};
  auto& bag = db().data(model().get_unit("pg/0"));
  EXPECT_EQ(bag.at("password"), "x");
  EXPECT_EQ(bag.get("missing"), std::nullopt);
  EXPECT_EQ(bag.size(), 1u);
  EXPECT_EQ(std::count(backend_.calls.begin(), backend_.calls.end(), "relation_get 3 pg/0"), 1);
  EXPECT_EQ(error_of<ops::RelationDataError>([&] { bag.at("missing"); }),
            "key \"missing\" is not set in the databag of pg/0 in relation db:3");
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
  backend_.leader = true;
  model().invalidate_caches();
  EXPECT_NO_THROW(rel.data(model().app()).set("k", "v"));
  EXPECT_TRUE(model().has_pending_writes());
}

TEST_F(ModelTest, ReadAccessRules) {
  auto& rel = db();
  // Non-leader, non-peer: own app bag is off limits; the remote app's is fine.
  EXPECT_EQ(error_of<ops::RelationDataAccessError>([&] { rel.data(model().app()).as_map(); }),
            "redis/0 is not leader and cannot read its own application databag");
  EXPECT_NO_THROW(rel.data(model().get_app("pg")).as_map());
  // Peer relation: app data is readable by every unit.
  auto& peers = *model().get_relation("cluster");
  EXPECT_NO_THROW(peers.data(model().app()).as_map());
  EXPECT_NO_THROW(peers.data(model().get_unit("redis/1")).as_map());
  // Not a member of the relation.
  EXPECT_EQ(error_of<ops::RelationDataError>([&] { rel.data(model().get_unit("other/0")); }),
            "unit other/0 is not part of relation db:3");
  // Leader can read its own app bag.
  backend_.leader = true;
  EXPECT_NO_THROW(rel.data(model().app()).as_map());
}

TEST_F(ModelTest, NoAccessRulesOutsideHooks) {
  backend_.hook_running = false;
  auto& rel = db();
  EXPECT_NO_THROW(rel.data(model().app()).as_map());
  EXPECT_NO_THROW(rel.data(model().get_unit("pg/0")).set("k", "v"));
}

TEST_F(ModelTest, TypedLoadAndSave) {
  backend_.leader = true;
  auto& rel = db();
  rel.save(DbConfig{"db.local", 5432, {"a", "b"}}, model().app());
  model().flush();
  EXPECT_EQ(backend_.calls.back(),
            R"(relation_set 3 app {"host":"\"db.local\"","port":"5432","tags":"[\"a\",\"b\"]"})");
  backend_.bags[{3, "pg"}] = {{"host", "\"pg.local\""}, {"port", "15432"}};
  auto loaded = rel.load<DbConfig>(model().get_app("pg"));
  EXPECT_EQ(loaded.host, "pg.local");
  EXPECT_EQ(loaded.port, 15432);
  backend_.bags[{3, "pg/0"}] = {{"host", "not json"}};
  EXPECT_EQ(
      error_of<ops::RelationDataTypeError>([&] { rel.load<DbConfig>(model().get_unit("pg/0")); }),
      "relation db:3 key \"host\" of pg/0 is not JSON: not json");
  backend_.bags[{3, "pg/1"}] = {{"host", "\"h\""}};
  EXPECT_THROW(rel.load<DbConfig>(model().get_unit("pg/1")), ops::RelationDataTypeError);
  EXPECT_THROW(rel.save_json(nlohmann::json::array(), model().unit()), ops::RelationDataTypeError);
}

TEST_F(ModelTest, StatusRules) {
  auto& unit = model().unit();
  EXPECT_EQ(unit.status(), ops::UnknownStatus());
  unit.set_status(ops::MaintenanceStatus("installing"));
  EXPECT_EQ(unit.status(), ops::MaintenanceStatus("installing"));
  EXPECT_EQ(std::count(backend_.calls.begin(), backend_.calls.end(), "status_get"), 1);
  EXPECT_EQ(backend_.calls.back(), "status_set MaintenanceStatus(\"installing\")");
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
  EXPECT_EQ(error_of<ops::InvalidStatusError>([&] { app.status(); }),
            "cannot get application status as a non-leader unit");
  EXPECT_EQ(model().get_app("pg").status(), ops::UnknownStatus());
  backend_.leader = true;
  app.set_status(ops::BlockedStatus("need db"));
  EXPECT_EQ(backend_.calls.back(), "status_set app BlockedStatus(\"need db\")");
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
  EXPECT_THROW(ops::StatusBase::from_name("sleepy", ""), ops::InvalidStatusError);
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
  backend_.leader = true;
  EXPECT_TRUE(model().unit().is_leader());
  EXPECT_EQ(error_of<ops::ModelError>([&] { model().get_unit("redis/1").is_leader(); }),
            "leadership status of unit redis/1 is not visible to redis/0");
}

TEST_F(ModelTest, ConfigTypedAccess) {
  backend_.config = {{"port", 6379}, {"debug", true}, {"name", "r"}, {"ratio", 0.25}};
  auto& config = model().config();
  EXPECT_EQ(config.get<int>("port"), 6379);
  EXPECT_TRUE(config.get<bool>("debug"));
  EXPECT_EQ(config.get<std::string>("name"), "r");
  EXPECT_DOUBLE_EQ(config.get<double>("ratio"), 0.25);
  EXPECT_EQ(config.get_optional<int>("absent"), std::nullopt);
  EXPECT_EQ(error_of<ops::ModelError>([&] { config.get<int>("absent"); }),
            "config option 'absent' is not set");
  EXPECT_EQ(error_of<ops::ModelError>([&] { config.get<std::string>("port"); }),
            "config option 'port' has the wrong type: 6379");
  backend_.config = {{"port", "x"}};
  config.invalidate();
  EXPECT_THROW(config.get<int>("port"), ops::ModelError);
  EXPECT_EQ(std::count(backend_.calls.begin(), backend_.calls.end(), "config_get"), 2);
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
  backend_.config = {{"port", 7000}};
  auto c = model().config().load<RedisConfig>();
  EXPECT_EQ(c.port, 7000);
  EXPECT_FALSE(c.tls);
  backend_.config = {{"tls", true}};
  model().invalidate_caches();
  EXPECT_EQ(error_of<ops::ModelError>([&] { model().config().load<RedisConfig>(); }),
            "invalid config: [json.exception.out_of_range.403] key 'port' not found");
}

TEST_F(ModelTest, ResourcesStorageAndBindings) {
  EXPECT_EQ(model().resources().fetch("image"), "/resources/image");
  model().resources().fetch("image");
  EXPECT_EQ(std::count(backend_.calls.begin(), backend_.calls.end(), "resource_get image"), 1);
  EXPECT_EQ(error_of<ops::ResourceNotFoundError>([&] { model().resources().fetch("nope"); }),
            "invalid resource name: nope (the charm declares: image)");

  auto& data = model().storages()["data"];
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(data[1].full_id(), "data/1");
  EXPECT_EQ(data[1].location(), "/srv/data/1");
  EXPECT_EQ(data[1].location(), "/srv/data/1");
  model().storages().request("data", 2);
  EXPECT_THROW(model().storages()["logs"], ops::ModelError);
  EXPECT_THROW(model().storages().request("logs"), ops::ModelError);

  backend_.dead_relations.insert(3);
  auto& binding = model().get_binding(*model().get_relation("db", 3));
  EXPECT_EQ(binding.network().bind_address(), "10.0.0.1");  // fell back to the endpoint
  EXPECT_EQ(model().get_binding("db").network().ingress_address(), "192.168.1.1");
  EXPECT_EQ(&model().get_binding("db"), &model().get_binding("db"));
  Calls expected_tail = {"storage_list data",  "storage_get data/1 location",
                         "storage_add data 2", "network_get db 3",
                         "network_get db",     "network_get db"};
  EXPECT_EQ(Calls(backend_.calls.end() - 6, backend_.calls.end()), expected_tail);
}

TEST_F(ModelTest, PortsAndWorkloadVersion) {
  auto& unit = model().unit();
  unit.open_port("tcp", 6379);
  unit.open_port("icmp");
  EXPECT_THROW(unit.open_port("tcp"), ops::ModelError);
  EXPECT_THROW(unit.open_port("udp", 0), ops::ModelError);
  EXPECT_EQ(unit.opened_ports(), (std::set<ops::Port>{{"icmp", std::nullopt}, {"tcp", 6379}}));
  backend_.calls.clear();
  unit.set_ports({{"tcp", 6379}, {"tcp", 26379}});
  EXPECT_THAT(backend_.calls,
              ElementsAre("opened_ports", "close_port icmp", "open_port 26379/tcp"));
  unit.set_workload_version("7.2.4");
  EXPECT_EQ(backend_.calls.back(), "application_version_set 7.2.4");
  EXPECT_THROW(model().get_unit("pg/0").open_port("tcp", 1), ops::ModelError);
  unit.reboot(true);
  EXPECT_EQ(backend_.calls.back(), "reboot now");
}

TEST_F(ModelTest, PlannedUnitsOnlyForOurApp) {
  EXPECT_EQ(model().app().planned_units(), 3);
  EXPECT_THROW(model().get_app("pg").planned_units(), ops::ModelError);
}

TEST_F(ModelTest, SecretsLifecycle) {
  backend_.leader = true;
  auto secret = model().app().add_secret({{"password", "hunter2"}}, {.label = "admin"});
  EXPECT_EQ(secret.id(), "secret:s1");
  EXPECT_EQ(secret.unique_identifier(), "s1");
  EXPECT_EQ(backend_.calls.back(), "secret_add application secret:s1");
  EXPECT_EQ(secret.get_content().at("password"), "hunter2");  // cached, no secret_get
  EXPECT_EQ(backend_.calls.size(), 1u);

  auto by_label = model().get_secret(std::nullopt, "admin");
  EXPECT_EQ(backend_.calls.back(), "secret_get - admin");
  EXPECT_EQ(by_label.id(), std::nullopt);
  by_label.set_content({{"password", "new-one"}});
  EXPECT_THAT(Calls(backend_.calls.end() - 2, backend_.calls.end()),
              ElementsAre("secret_info_get - admin", "secret_set secret:s1 content"));
  EXPECT_EQ(by_label.id(), "secret:s1");
  EXPECT_EQ(by_label.get_content().at("password"), "hunter2");  // still the tracked revision
  EXPECT_EQ(by_label.get_content(true).at("password"), "new-one");
  EXPECT_EQ(backend_.calls.back(), "secret_get secret:s1 admin refresh");
  by_label.peek_content();
  EXPECT_EQ(backend_.calls.back(), "secret_get secret:s1 admin peek");

  auto by_id = model().get_secret("s1");
  EXPECT_EQ(by_id.id(), "secret:s1");
  by_id.set_info({.label = "renamed"});
  EXPECT_EQ(backend_.calls.back(), "secret_set secret:s1 label=renamed");
  EXPECT_EQ(by_id.label(), "renamed");
  by_id.grant(db(), &model().get_unit("pg/0"));
  EXPECT_EQ(backend_.calls.back(), "secret_grant secret:s1 3 pg/0");
  by_id.revoke(db());
  EXPECT_EQ(backend_.calls.back(), "secret_revoke secret:s1 3 -");
  by_id.remove_revision(2);
  EXPECT_EQ(backend_.calls.back(), "secret_remove secret:s1 2");
  by_id.remove_all_revisions();
  EXPECT_EQ(backend_.calls.back(), "secret_remove secret:s1");

  auto unit_secret = model().unit().add_secret({{"key", "v"}});
  EXPECT_EQ(backend_.calls.back(), "secret_add unit secret:s2");
  EXPECT_THROW(model().get_secret("nope"), ops::SecretNotFoundError);
  EXPECT_THROW(model().get_secret(std::nullopt, std::nullopt), ops::ModelError);
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
