// The Model over JujuBackend, against fake hook tools: exact argv, caching,
// batching, and that nothing runs that the charm's code did not need.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ops/charm.hpp"
#include "ops/model.hpp"
#include "ops/model/juju_backend.hpp"
#include "support/fake_juju.hpp"

namespace {

using ::testing::ElementsAre;
using Argv = std::vector<std::string>;

constexpr const char* kMetadata = R"(
name: redis
requires:
  db:
    interface: pgsql
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

class JujuBackendTest : public ::testing::Test {
 protected:
  JujuBackendTest() : meta_(ops::CharmMeta::from_yaml(kMetadata)) {}

  ops::Model& model(std::map<std::string, std::string> extra_env = {}) {
    std::map<std::string, std::string> env = {{"JUJU_DISPATCH_PATH", "hooks/config-changed"},
                                              {"JUJU_UNIT_NAME", "redis/0"},
                                              {"JUJU_MODEL_NAME", "prod"},
                                              {"JUJU_MODEL_UUID", "uuid-9"},
                                              {"JUJU_VERSION", "3.4.2"}};
    for (auto& [k, v] : extra_env) env[k] = v;
    model_ = std::make_unique<ops::Model>(
        meta_, std::make_unique<ops::JujuBackend>(ops::JujuContext::from_map(env)));
    return *model_;
  }

  ops_test::FakeJuju tools_;
  ops::CharmMeta meta_;
  std::unique_ptr<ops::Model> model_;
};

TEST_F(JujuBackendTest, BuildingTheModelRunsNoTool) {
  auto& m = model();
  EXPECT_EQ(m.unit().name(), "redis/0");
  EXPECT_EQ(m.app().name(), "redis");
  EXPECT_EQ(m.name(), "prod");
  EXPECT_EQ(m.uuid(), "uuid-9");
  m.flush();
  EXPECT_TRUE(tools_.calls().empty());
}

TEST_F(JujuBackendTest, ConfigIsReadOnce) {
  tools_.tool("config-get", R"({"port":6379,"password":"x"})");
  auto& m = model();
  EXPECT_EQ(m.config().get<int>("port"), 6379);
  EXPECT_EQ(m.config().get<std::string>("password"), "x");
  EXPECT_FALSE(m.config().contains("tls"));
  EXPECT_THAT(tools_.argvs(), ElementsAre(Argv{"config-get", "--format=json"}));
}

TEST_F(JujuBackendTest, IsLeaderRunsOncePerDispatch) {
  tools_.tool("is-leader", "true");
  tools_.tool("relation-ids", R"(["db:4"])");
  tools_.tool("relation-get", R"({"a":"1"})");
  auto& m = model();
  EXPECT_TRUE(m.unit().is_leader());
  EXPECT_TRUE(m.unit().is_leader());
  auto& rel = *m.get_relation("db");
  rel.data(m.app()).set("x", "1");
  (void)rel.data(m.app()).as_map();
  EXPECT_EQ(tools_.count("is-leader"), 1);
}

TEST_F(JujuBackendTest, RelationReadsHaveExactArgvAndAreCached) {
  tools_.tool("relation-ids", R"(["db:4"])");
  tools_.tool("relation-list", R"(["pg/0"])");
  tools_.script("relation-get",
                "case \"$4\" in\n"
                "  pg/0) echo '{\"host\":\"10.0.0.7\"}' ;;\n"
                "  pg) echo '{\"database\":\"app\"}' ;;\n"
                "esac\n");
  auto& m = model();
  auto& rel = *m.get_relation("db");
  EXPECT_EQ(rel.units().size(), 1u);
  auto& remote_unit = *rel.units()[0];
  EXPECT_EQ(rel.data(remote_unit).get("host"), "10.0.0.7");
  EXPECT_EQ(rel.data(remote_unit).get("host"), "10.0.0.7");
  EXPECT_EQ(rel.data(*rel.app()).get("database"), "app");
  EXPECT_EQ(rel.data(*rel.app()).size(), 1u);
  EXPECT_THAT(tools_.argvs(),
              ElementsAre(Argv{"relation-ids", "db", "--format=json"},
                          Argv{"relation-list", "-r", "4", "--format=json"},
                          Argv{"relation-get", "-r", "4", "-", "pg/0", "--format=json"},
                          Argv{"relation-get", "-r", "4", "-", "pg", "--app", "--format=json"}));
}

TEST_F(JujuBackendTest, ThreeWritesToOneBagAreOneRelationSet) {
  tools_.tool("relation-set", "");
  tools_.tool("is-leader", "true");
  auto& m = model();
  auto& rel = *m.get_relation("db", 4);
  auto& bag = rel.data(m.unit());
  bag.set("host", "10.1.1.1");
  bag.set("port", "6379");
  bag.set("password", "");
  rel.data(m.app()).set("ready", "true");
  EXPECT_THAT(tools_.argvs(), ElementsAre(Argv{"is-leader", "--format=json"}));
  m.flush();
  auto calls = tools_.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[1].argv, (Argv{"relation-set", "-r", "4", "--file", "-"}));
  EXPECT_EQ(calls[1].stdin_text, R"({"host":"10.1.1.1","password":"","port":"6379"})");
  EXPECT_EQ(calls[2].argv, (Argv{"relation-set", "-r", "4", "--app", "--file", "-"}));
  EXPECT_EQ(calls[2].stdin_text, R"({"ready":"true"})");
}

TEST_F(JujuBackendTest, EventRelationRemoteAppComesFromTheEnvironment) {
  tools_.tool("relation-list", "[]");
  auto& m =
      model({{"JUJU_RELATION", "db"}, {"JUJU_RELATION_ID", "db:4"}, {"JUJU_REMOTE_APP", "pg"}});
  auto* rel = m.get_relation("db", 4);
  EXPECT_EQ(rel->app()->name(), "pg");
  EXPECT_THAT(tools_.argvs(), ElementsAre(Argv{"relation-list", "-r", "4", "--format=json"}));
}

TEST_F(JujuBackendTest, OtherRelationRemoteAppUsesRelationListApp) {
  tools_.script("relation-list", "if [ \"$3\" = --app ]; then echo '\"pg\"'; else echo '[]'; fi\n");
  auto& m = model();
  EXPECT_EQ(m.get_relation("db", 8)->app()->name(), "pg");
  EXPECT_THAT(tools_.argvs(),
              ElementsAre(Argv{"relation-list", "-r", "8", "--format=json"},
                          Argv{"relation-list", "-r", "8", "--app", "--format=json"}));
}

TEST_F(JujuBackendTest, GoneRelationReadsEmptyAndIsInactive) {
  tools_.tool("relation-list", "", 1, "ERROR relation not found\n");
  tools_.tool("relation-get", "", 1, "ERROR cannot read settings: relation not found\n");
  auto& m = model({{"JUJU_RELATION_ID", "db:4"}, {"JUJU_REMOTE_UNIT", "pg/0"}});
  auto* rel = m.get_relation("db", 4);
  EXPECT_FALSE(rel->active());
  EXPECT_EQ(rel->app()->name(), "pg");
  EXPECT_TRUE(rel->data(m.get_unit("pg/0")).as_map().empty());
}

TEST_F(JujuBackendTest, StatusArgv) {
  tools_.tool("status-set", "");
  tools_.tool("status-get", R"({"message":"","status":"unknown","status-data":{}})");
  tools_.tool("is-leader", "true");
  auto& m = model();
  EXPECT_EQ(m.unit().status(), ops::UnknownStatus());
  m.unit().set_status(ops::MaintenanceStatus("installing"));
  m.app().set_status(ops::ActiveStatus("-ready"));
  EXPECT_EQ(m.app().status(), ops::ActiveStatus("-ready"));
  EXPECT_THAT(
      tools_.argvs(),
      ElementsAre(Argv{"status-get", "--include-data", "--application=False", "--format=json"},
                  Argv{"status-set", "--application=False", "maintenance", "--", "installing"},
                  Argv{"is-leader", "--format=json"},
                  Argv{"status-set", "--application=True", "active", "--", "-ready"}));
}

TEST_F(JujuBackendTest, PlannedUnitsIgnoresDyingUnits) {
  tools_.tool(
      "goal-state",
      R"({"units":{"redis/0":{"status":"active","since":"a"},"redis/1":{"status":"dying","since":"b"},)"
      R"("redis/2":{"status":"waiting","since":"c"}},"relations":{}})");
  EXPECT_EQ(model().app().planned_units(), 2);
  EXPECT_THAT(tools_.argvs(), ElementsAre(Argv{"goal-state", "--format=json"}));
}

TEST_F(JujuBackendTest, StorageResourcesAndNetwork) {
  tools_.tool("storage-list", R"(["data/0"])");
  tools_.tool("storage-get", R"("/var/lib/juju/storage/data/0")");
  tools_.tool("storage-add", "");
  tools_.tool("resource-get", "", 1, "ERROR could not download resource: resource not attached\n");
  tools_.script("network-get",
                "if [ \"$2\" = -r ]; then echo 'ERROR relation not found' >&2; exit 1; fi\n"
                "echo '{\"bind-addresses\":[{\"interface-name\":\"eth0\",\"addresses\":"
                "[{\"value\":\"10.2.0.4\",\"cidr\":\"10.2.0.0/16\"}]}],\"ingress-addresses\":"
                "[\"10.2.0.4\"],\"egress-subnets\":[\"10.2.0.4/32\"]}'\n");
  auto& m = model();
  auto& data = m.storages()["data"];
  ASSERT_EQ(data.size(), 1u);
  EXPECT_EQ(data[0].location(), "/var/lib/juju/storage/data/0");
  m.storages().request("data");
  try {
    m.resources().fetch("image");
    FAIL() << "expected ResourceNotFoundError";
  } catch (const ops::ResourceNotFoundError& e) {
    EXPECT_EQ(e.stderr(), "ERROR could not download resource: resource not attached\n");
  }
  auto& binding = m.get_binding(*m.get_relation("db", 4));
  EXPECT_EQ(binding.network().bind_address(), "10.2.0.4");
  EXPECT_THAT(tools_.argvs(),
              ElementsAre(Argv{"storage-list", "data", "--format=json"},
                          Argv{"storage-get", "-s", "data/0", "location", "--format=json"},
                          Argv{"storage-add", "data=1"}, Argv{"resource-get", "image"},
                          Argv{"network-get", "db", "-r", "4", "--format=json"},
                          Argv{"network-get", "db", "--format=json"}));
}

TEST_F(JujuBackendTest, PortsSecretsAndVersion) {
  tools_.tool("opened-ports", R"(["6379/tcp","icmp"])");
  tools_.tool("open-port", "");
  tools_.tool("close-port", "");
  tools_.tool("application-version-set", "");
  tools_.tool("secret-add", "secret:abc\n");
  tools_.tool("secret-get", "", 1, "ERROR secret \"nope\" not found\n");
  tools_.tool("is-leader", "true");
  auto& m = model();
  m.unit().set_ports({{"tcp", 6379}, {"tcp", 26379}});
  m.unit().set_workload_version("7.2.4");
  auto secret = m.app().add_secret({{"password", "pw1"}}, {.label = "admin"});
  EXPECT_EQ(secret.id(), "secret:abc");
  EXPECT_THROW((void)m.get_secret("nope"), ops::SecretNotFoundError);
  auto calls = tools_.calls();
  ASSERT_EQ(calls.size(), 6u);
  EXPECT_EQ(calls[0].argv, (Argv{"opened-ports", "--format=json"}));
  EXPECT_EQ(calls[1].argv, (Argv{"close-port", "icmp"}));
  EXPECT_EQ(calls[2].argv, (Argv{"open-port", "26379/tcp"}));
  EXPECT_EQ(calls[3].argv, (Argv{"application-version-set", "--", "7.2.4"}));
  EXPECT_EQ(Argv(calls[4].argv.begin(), calls[4].argv.begin() + 5),
            (Argv{"secret-add", "--label", "admin", "--owner", "application"}));
  EXPECT_EQ(calls[4].files, (std::vector<std::string>{"pw1"}));
  EXPECT_EQ(calls[5].argv, (Argv{"secret-get", "secret:nope", "--format=json"}));
}

TEST_F(JujuBackendTest, ActionAndLogToolsOnTheBackend) {
  tools_.tool("action-get", R"({"verbose":true})");
  tools_.tool("action-set", "");
  tools_.tool("juju-log", "");
  ops::JujuBackend backend(ops::JujuContext::from_map({{"JUJU_UNIT_NAME", "redis/0"}}));
  EXPECT_EQ(backend.action_get()["verbose"], true);
  backend.action_set({{"result", {{"ok", true}}}});
  backend.juju_log("DEBUG", "hello");
  EXPECT_THAT(tools_.argvs(),
              ElementsAre(Argv{"action-get", "--format=json"}, Argv{"action-set", "result.ok=true"},
                          Argv{"juju-log", "--log-level", "DEBUG", "--", "hello"}));
}

TEST_F(JujuBackendTest, OldJujuRejectsAppData) {
  std::map<std::string, std::string> env = {{"JUJU_UNIT_NAME", "redis/0"},
                                            {"JUJU_VERSION", "2.6.1"}};
  ops::JujuBackend backend(ops::JujuContext::from_map(env));
  EXPECT_THROW((void)backend.relation_get(1, "pg", true), ops::ModelError);
  EXPECT_TRUE(tools_.calls().empty());
}

}  // namespace
