// RecordingBackend records exactly the hook-tool invocations JujuBackend
// runs: every ModelBackend call is made once against JujuBackend over fake
// hook tools and once against RecordingBackend over FakeBackend, and the
// argv, stdin and secret files must be the same.
#include "ops/testing/recording_backend.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>

#include "ops/charm.hpp"
#include "ops/hookcmds.hpp"
#include "ops/model/juju_backend.hpp"
#include "ops/testing/fake_backend.hpp"
#include "support/fake_juju.hpp"

namespace {

using ::testing::ElementsAre;

constexpr const char* kMetadata = R"(
name: redis
requires:
  db:
    interface: pgsql
storage:
  data:
    type: filesystem
    location: /data
resources:
  image:
    type: oci-image
)";

// One call, as both backends see it.
struct Case {
  std::string name;
  std::function<void(ops::ModelBackend&)> call;
};

std::vector<Case> cases() {
  const auto expire = std::chrono::system_clock::from_time_t(1735689600);  // 2025-01-01
  return {
      {"relation-ids", [](ops::ModelBackend& b) { b.relation_ids("db"); }},
      {"relation-list", [](ops::ModelBackend& b) { b.relation_list(3); }},
      {"relation-get unit", [](ops::ModelBackend& b) { b.relation_get(3, "pg/0", false); }},
      {"relation-get app", [](ops::ModelBackend& b) { b.relation_get(3, "pg", true); }},
      {"relation-set",
       [](ops::ModelBackend& b) {
         b.relation_set(3, {{"a", "1"}, {"b", ""}}, false);
       }},
      {"relation-set app",
       [](ops::ModelBackend& b) {
         b.relation_set(3, {{"k", "v"}}, true);
       }},
      {"config-get", [](ops::ModelBackend& b) { b.config_get(); }},
      {"is-leader", [](ops::ModelBackend& b) { b.is_leader(); }},
      {"resource-get", [](ops::ModelBackend& b) { b.resource_get("image"); }},
      {"status-get", [](ops::ModelBackend& b) { b.status_get(false); }},
      {"status-set",
       [](ops::ModelBackend& b) { b.status_set(ops::BlockedStatus("need db"), true); }},
      {"application-version-set", [](ops::ModelBackend& b) { b.application_version_set("7.2"); }},
      {"goal-state", [](ops::ModelBackend& b) { b.planned_units(); }},
      {"storage-list", [](ops::ModelBackend& b) { b.storage_list("data"); }},
      {"storage-get", [](ops::ModelBackend& b) { b.storage_get("data/0", "location"); }},
      {"storage-add", [](ops::ModelBackend& b) { b.storage_add("data", 2); }},
      {"network-get", [](ops::ModelBackend& b) { b.network_get("db", 3); }},
      {"open-port", [](ops::ModelBackend& b) { b.open_port("tcp", 6379); }},
      {"close-port icmp", [](ops::ModelBackend& b) { b.close_port("icmp", std::nullopt); }},
      {"opened-ports", [](ops::ModelBackend& b) { b.opened_ports(); }},
      {"secret-add",
       [expire](ops::ModelBackend& b) {
         b.secret_add({{"password", "hunter2"}, {"user", "admin"}},
                      {.label = "admin",
                       .description = "the admin",
                       .expire = expire,
                       .rotate = ops::SecretRotate::kDaily},
                      "application");
       }},
      {"secret-get",
       [](ops::ModelBackend& b) {
         b.secret_get("secret:cr2d1f0g6s7v3nrbtq01", "admin", true, false);
       }},
      {"secret-info-get",
       [](ops::ModelBackend& b) { b.secret_info_get(std::nullopt, std::string("admin")); }},
      {"secret-set",
       [](ops::ModelBackend& b) {
         b.secret_set("secret:cr2d1f0g6s7v3nrbtq01",
                      std::map<std::string, std::string>{{"password", "new"}},
                      {.label = "renamed"});
       }},
      {"secret-grant",
       [](ops::ModelBackend& b) { b.secret_grant("secret:cr2d1f0g6s7v3nrbtq01", 3, "pg/0"); }},
      {"secret-revoke",
       [](ops::ModelBackend& b) {
         b.secret_revoke("secret:cr2d1f0g6s7v3nrbtq01", 3, std::nullopt);
       }},
      {"secret-remove",
       [](ops::ModelBackend& b) { b.secret_remove("secret:cr2d1f0g6s7v3nrbtq01", 2); }},
      {"action-get", [](ops::ModelBackend& b) { b.action_get(); }},
      {"action-set",
       [](ops::ModelBackend& b) {
         b.action_set({{"out", {{"code", 0}, {"text", "ok"}}}});
       }},
      {"action-log", [](ops::ModelBackend& b) { b.action_log("working"); }},
      {"action-fail", [](ops::ModelBackend& b) { b.action_fail(""); }},
      {"juju-log", [](ops::ModelBackend& b) { b.juju_log("WARNING", "careful"); }},
      {"juju-log split",
       [](ops::ModelBackend& b) {
         b.juju_log("DEBUG", std::string(ops::hookcmds::kMaxLogLineLength + 5, 'x'));
       }},
      {"juju-reboot", [](ops::ModelBackend& b) { b.reboot(true); }},
  };
}

class RecordingBackendTest : public ::testing::Test {
 protected:
  RecordingBackendTest() : meta_(ops::CharmMeta::from_yaml(kMetadata)), juju_(meta_, "redis/0") {
    // Answers good enough for every JujuBackend call to parse.
    tools_.tool("relation-ids", R"(["db:3"])");
    tools_.script("relation-list",
                  "if [ \"$3\" = --app ]; then echo '\"pg\"'; else echo '[\"pg/0\"]'; fi\n");
    tools_.tool("relation-get", R"({"a":"1"})");
    tools_.tool("config-get", "{}");
    tools_.tool("is-leader", "true");
    tools_.tool("resource-get", "/resources/image\n");
    tools_.tool("status-get", R"({"message":"","status":"active","status-data":{}})");
    tools_.tool("goal-state", R"({"units":{"redis/0":{"status":"active","since":""}}})");
    tools_.tool("storage-list", R"(["data/0"])");
    tools_.tool("storage-get", R"("/data/0")");
    tools_.tool(
        "network-get",
        R"({"bind-addresses":[{"interface-name":"eth0","addresses":[{"value":"10.0.0.1","cidr":"10.0.0.0/24"}]}],"ingress-addresses":["10.0.0.1"],"egress-subnets":["10.0.0.0/24"]})");
    tools_.tool("opened-ports", "[]");
    tools_.tool("secret-add", "secret:cr2d1f0g6s7v3nrbtq01\n");
    tools_.tool("secret-get", R"({"password":"x"})");
    tools_.tool("secret-info-get", R"({"cr2d1f0g6s7v3nrbtq01":{"label":"admin","revision":1}})");
    tools_.tool("action-get", "{}");
    for (const char* silent :
         {"relation-set", "status-set", "application-version-set", "storage-add", "open-port",
          "close-port", "secret-set", "secret-grant", "secret-revoke", "secret-remove",
          "action-set", "action-log", "action-fail", "juju-log", "juju-reboot"}) {
      tools_.tool(silent, "");
    }

    // The same world in the fake, so that none of the calls is refused.
    auto& data = juju_.data();
    data.leader = true;
    auto& db = data.relations[3];
    db.endpoint = "db";
    db.id = 3;
    db.remote_app = "pg";
    db.remote_units = {"pg/0"};
    data.resources["image"] = "/resources/image";
    data.storages["data"][0] = {"/data/0", true};
    data.action.emplace();
    data.action->name = "run";
    data.action->id = "1";
  }

  ops::CharmMeta meta_;
  ops_test::FakeJuju tools_;
  ops::testing::FakeBackend juju_;
};

TEST_F(RecordingBackendTest, RecordsTheArgvJujuBackendRuns) {
  ops::JujuBackend production(ops::JujuContext::from_map({{"JUJU_UNIT_NAME", "redis/0"},
                                                          {"JUJU_MODEL_NAME", "m"},
                                                          {"JUJU_MODEL_UUID", "u"},
                                                          {"JUJU_VERSION", "3.4.2"}}));
  ops::testing::RecordingBackend recording(juju_);
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    tools_.clear_calls();
    recording.clear();
    // A new JujuBackend each time: its is-leader cache would skip a call.
    ops::JujuBackend fresh(production.context());
    c.call(fresh);
    c.call(recording);
    const auto ran = tools_.calls();
    const auto& recorded = recording.calls();
    ASSERT_EQ(ran.size(), recorded.size());
    ASSERT_FALSE(ran.empty());
    for (std::size_t i = 0; i < ran.size(); ++i) {
      std::vector<std::string> argv = ran[i].argv;
      for (auto& arg : argv) {
        const auto file = arg.find("#file=");
        if (file != std::string::npos)
          arg = arg.substr(0, file + 6) + ops::testing::kSecretFilePlaceholder;
      }
      EXPECT_EQ(argv, recorded[i].argv);
      EXPECT_EQ(ran[i].stdin_text, recorded[i].stdin_text);
      std::vector<std::string> files;
      for (const auto& [key, value] : recorded[i].files) files.push_back(value);
      EXPECT_EQ(ran[i].files, files);
    }
  }
}

TEST_F(RecordingBackendTest, RecordsRefusedCallsButNotOnesThatNeverRun) {
  juju_.data().leader = false;
  ops::testing::RecordingBackend recording(juju_);
  EXPECT_THROW(recording.status_set(ops::ActiveStatus("x"), true), ops::ModelError);
  EXPECT_THROW((void)recording.relation_get(9, "pg/0", false), ops::RelationNotFoundError);
  // Refused before any tool runs, as hookcmds refuses them.
  EXPECT_THROW(recording.open_port("tcp", 0), ops::ModelError);
  EXPECT_THROW(recording.storage_add("data", 0), ops::ModelError);
  EXPECT_THROW(recording.action_set({{"Bad Key", 1}}), ops::ModelError);
  recording.action_set(nlohmann::json::object());  // nothing to set: nothing runs
  EXPECT_THAT(recording.commands(), ElementsAre("status-set --application=True active -- x",
                                                "relation-get -r 9 - pg/0 --format=json"));
  EXPECT_THAT(recording.commands("relation-get"),
              ElementsAre("relation-get -r 9 - pg/0 --format=json"));
  EXPECT_EQ(recording.calls()[0].to_string(), "status-set --application=True active -- x");
  EXPECT_EQ(recording.unit_name(), "redis/0");
  EXPECT_EQ(&recording.inner(), &juju_);
}

}  // namespace
