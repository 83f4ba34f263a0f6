// Within one dispatch the Model runs no hook tool whose answer it already has
// or whose effect is already in place: exact hook-tool call sequences of the
// real JujuBackend against fake hook tools (one process per call, recorded).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ops/charm.hpp"
#include "ops/detail/access.hpp"
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
resources:
  image:
    type: oci-image
  cert:
    type: file
    filename: cert.pem
)";

const Argv kUnitStatusGet{"status-get", "--include-data", "--application=False", "--format=json"};
const Argv kAppStatusGet{"status-get", "--include-data", "--application=True", "--format=json"};
const Argv kIsLeader{"is-leader", "--format=json"};

Argv unit_status_set(const std::string& name, const std::string& message) {
  return {"status-set", "--application=False", name, "--", message};
}
Argv app_status_set(const std::string& name, const std::string& message) {
  return {"status-set", "--application=True", name, "--", message};
}

class HookToolDedupeTest : public ::testing::Test {
 protected:
  HookToolDedupeTest() : meta_(ops::CharmMeta::from_yaml(kMetadata)) {
    tools_.tool("status-set", "");
    tools_.tool("is-leader", "true");
    tools_.tool("application-version-set", "");
  }

  // A fresh Model: one dispatch.
  ops::Model& dispatch() {
    std::map<std::string, std::string> env = {{"JUJU_DISPATCH_PATH", "hooks/update-status"},
                                              {"JUJU_UNIT_NAME", "redis/0"},
                                              {"JUJU_MODEL_NAME", "prod"},
                                              {"JUJU_MODEL_UUID", "uuid-9"},
                                              {"JUJU_VERSION", "3.6.0"}};
    model_ = std::make_unique<ops::Model>(
        meta_, std::make_unique<ops::JujuBackend>(ops::JujuContext::from_map(env)));
    return *model_;
  }

  ops_test::FakeJuju tools_;
  ops::CharmMeta meta_;
  std::unique_ptr<ops::Model> model_;
};

TEST_F(HookToolDedupeTest, RepeatedUnitStatusSetRunsOnce) {
  auto& m = dispatch();
  m.unit().set_status(ops::MaintenanceStatus("starting"));
  m.unit().set_status(ops::MaintenanceStatus("starting"));
  m.unit().set_status(ops::ActiveStatus());
  m.unit().set_status(ops::ActiveStatus());
  m.unit().set_status(ops::ActiveStatus());
  EXPECT_THAT(tools_.argvs(), ElementsAre(unit_status_set("maintenance", "starting"),
                                          unit_status_set("active", "")));
}

TEST_F(HookToolDedupeTest, AStatusSetBetweenTwoEqualOnesIsKept) {
  // Only a repeat of the last set is skipped: A, B, A is three transitions.
  auto& m = dispatch();
  m.unit().set_status(ops::WaitingStatus("a"));
  m.unit().set_status(ops::WaitingStatus("b"));
  m.unit().set_status(ops::WaitingStatus("a"));
  m.unit().set_status(ops::BlockedStatus("a"));  // same message, other name
  EXPECT_THAT(tools_.argvs(),
              ElementsAre(unit_status_set("waiting", "a"), unit_status_set("waiting", "b"),
                          unit_status_set("waiting", "a"), unit_status_set("blocked", "a")));
}

TEST_F(HookToolDedupeTest, AStatusReadFromJujuIsSetAnyway) {
  // A status Juju reports was set by an earlier dispatch (or the operator):
  // setting it again is not skipped, only a repeat of our own set is.
  tools_.tool("status-get", R"({"message":"ready","status":"active","status-data":{}})");
  auto& m = dispatch();
  EXPECT_EQ(m.unit().status(), ops::ActiveStatus("ready"));
  m.unit().set_status(ops::ActiveStatus("ready"));
  m.unit().set_status(ops::ActiveStatus("ready"));
  EXPECT_THAT(tools_.argvs(), ElementsAre(kUnitStatusGet, unit_status_set("active", "ready")));
}

TEST_F(HookToolDedupeTest, StatusIsReadBackFromOurOwnSet) {
  tools_.tool("status-get", R"({"message":"","status":"unknown","status-data":{}})");
  auto& m = dispatch();
  m.unit().set_status(ops::BlockedStatus("no config"));
  EXPECT_EQ(m.unit().status(), ops::BlockedStatus("no config"));
  m.app().set_status(ops::ActiveStatus("3 units"));
  EXPECT_EQ(m.app().status(), ops::ActiveStatus("3 units"));
  EXPECT_THAT(tools_.argvs(), ElementsAre(unit_status_set("blocked", "no config"), kIsLeader,
                                          app_status_set("active", "3 units")));
}

TEST_F(HookToolDedupeTest, UnitAndAppStatusesAreDedupedSeparately) {
  auto& m = dispatch();
  m.unit().set_status(ops::ActiveStatus("up"));
  m.app().set_status(ops::ActiveStatus("up"));  // the app's own first set: runs
  m.app().set_status(ops::ActiveStatus("up"));
  m.unit().set_status(ops::ActiveStatus("up"));
  EXPECT_THAT(tools_.argvs(), ElementsAre(unit_status_set("active", "up"), kIsLeader,
                                          app_status_set("active", "up")));
}

TEST_F(HookToolDedupeTest, AFailedStatusSetIsNotRemembered) {
  tools_.script("status-set", "if [ -e \"$0.fail\" ]; then rm \"$0.fail\"; exit 1; fi\n");
  std::ofstream(tools_.dir() / "status-set.fail") << "";
  auto& m = dispatch();
  EXPECT_THROW(m.unit().set_status(ops::ActiveStatus("up")), ops::ModelError);
  m.unit().set_status(ops::ActiveStatus("up"));  // the first did not take effect: runs again
  m.unit().set_status(ops::ActiveStatus("up"));
  EXPECT_THAT(tools_.argvs(),
              ElementsAre(unit_status_set("active", "up"), unit_status_set("active", "up")));
}

TEST_F(HookToolDedupeTest, EachDispatchSetsItsStatusOnce) {
  dispatch().unit().set_status(ops::ActiveStatus());
  dispatch().unit().set_status(ops::ActiveStatus());  // a new dispatch: runs again
  EXPECT_THAT(tools_.argvs(),
              ElementsAre(unit_status_set("active", ""), unit_status_set("active", "")));
}

TEST_F(HookToolDedupeTest, InvalidateCachesForgetsTheLastSet) {
  auto& m = dispatch();
  m.unit().set_status(ops::ActiveStatus());
  ops::detail::ModelAccess::invalidate_caches(m);
  m.unit().set_status(ops::ActiveStatus());
  EXPECT_THAT(tools_.argvs(),
              ElementsAre(unit_status_set("active", ""), unit_status_set("active", "")));
}

TEST_F(HookToolDedupeTest, RepeatedWorkloadVersionRunsOnce) {
  auto& m = dispatch();
  m.unit().set_workload_version("7.2.4");
  m.unit().set_workload_version("7.2.4");
  m.unit().set_workload_version("7.2.5");
  m.unit().set_workload_version("7.2.4");
  EXPECT_THAT(tools_.argvs(), ElementsAre(Argv{"application-version-set", "--", "7.2.4"},
                                          Argv{"application-version-set", "--", "7.2.5"},
                                          Argv{"application-version-set", "--", "7.2.4"}));
}

TEST_F(HookToolDedupeTest, GoalStateRunsOncePerDispatch) {
  tools_.tool("goal-state", R"({"units":{"redis/0":{"status":"active","since":"a"},)"
                            R"("redis/1":{"status":"waiting","since":"b"}},"relations":{}})");
  auto& m = dispatch();
  EXPECT_EQ(m.app().planned_units(), 2);
  EXPECT_EQ(m.app().planned_units(), 2);
  m.unit().set_status(ops::ActiveStatus());  // our writes do not change goal-state
  EXPECT_EQ(m.app().planned_units(), 2);
  EXPECT_EQ(dispatch().app().planned_units(), 2);  // the next dispatch asks again
  EXPECT_THAT(tools_.argvs(),
              ElementsAre(Argv{"goal-state", "--format=json"}, unit_status_set("active", ""),
                          Argv{"goal-state", "--format=json"}));
}

TEST_F(HookToolDedupeTest, ResourceGetRunsOncePerResourceEvenWhenItFails) {
  tools_.script("resource-get",
                "if [ \"$1\" = cert ]; then echo 'ERROR resource \"cert\" not found' >&2; exit 1; "
                "fi\necho /var/lib/juju/resources/image\n");
  auto& m = dispatch();
  EXPECT_EQ(m.resources().fetch("image"), "/var/lib/juju/resources/image");
  EXPECT_EQ(m.resources().fetch("image"), "/var/lib/juju/resources/image");
  for (int i = 0; i < 3; ++i) {
    try {
      m.resources().fetch("cert");
      FAIL() << "expected ResourceNotFoundError";
    } catch (const ops::ResourceNotFoundError& e) {
      EXPECT_EQ(e.stderr(), "ERROR resource \"cert\" not found\n");
    }
  }
  EXPECT_THAT(tools_.argvs(),
              ElementsAre(Argv{"resource-get", "image"}, Argv{"resource-get", "cert"}));
}

TEST_F(HookToolDedupeTest, RelationIdsAndListRunOncePerDispatchAcrossWrites) {
  tools_.tool("relation-ids", R"(["db:4"])");
  tools_.tool("relation-list", R"(["pg/0","pg/1"])");
  tools_.tool("relation-set", "");
  auto& m = dispatch();
  auto* rel = m.get_relation("db");
  ASSERT_NE(rel, nullptr);
  EXPECT_EQ(rel->units().size(), 2u);
  rel->data(m.unit()).set("host", "10.0.0.1");
  m.flush();  // our relation-set changes neither relation-ids nor relation-list
  EXPECT_EQ(m.relations("db").size(), 1u);
  EXPECT_EQ(m.get_relation("db")->units().size(), 2u);
  EXPECT_EQ(m.get_relation("db", 4)->app()->name(), "pg");
  ASSERT_EQ(tools_.calls().size(), 3u);
  EXPECT_EQ(tools_.calls()[0].argv, (Argv{"relation-ids", "db", "--format=json"}));
  EXPECT_EQ(tools_.calls()[1].argv, (Argv{"relation-list", "-r", "4", "--format=json"}));
  EXPECT_EQ(tools_.calls()[2].argv.at(0), "relation-set");
}

TEST_F(HookToolDedupeTest, AppStatusFromANonLeaderStillRefused) {
  tools_.tool("is-leader", "false");
  auto& m = dispatch();
  EXPECT_THROW(m.app().set_status(ops::ActiveStatus()), ops::InvalidStatusError);
  EXPECT_THROW(m.app().set_status(ops::ActiveStatus()), ops::InvalidStatusError);
  EXPECT_THAT(tools_.argvs(), ElementsAre(kIsLeader));
}

}  // namespace
