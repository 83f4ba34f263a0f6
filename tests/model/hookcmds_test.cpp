#include "ops/hookcmds.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ops/errors.hpp"
#include "support/fake_juju.hpp"

namespace {

using ::testing::ElementsAre;
using Argv = std::vector<std::string>;
namespace hc = ops::hookcmds;

class HookcmdsTest : public ::testing::Test {
 protected:
  ops_test::FakeJuju tools_;
};

TEST_F(HookcmdsTest, RelationReadersSendExactArgvAndParse) {
  tools_.tool("relation-ids", R"(["db:3","db:11"])");
  tools_.tool("relation-list", R"(["pg/0","pg/1"])");
  tools_.tool("relation-get", R"({"host":"10.0.0.1","port":"5432"})");
  EXPECT_EQ(hc::relation_ids("db"), (std::vector<int>{3, 11}));
  EXPECT_EQ(hc::relation_list(3), (std::vector<std::string>{"pg/0", "pg/1"}));
  EXPECT_EQ(hc::relation_get(3, "pg/0", false),
            (std::map<std::string, std::string>{{"host", "10.0.0.1"}, {"port", "5432"}}));
  EXPECT_EQ(hc::relation_get(3, "pg", true).size(), 2u);
  EXPECT_THAT(tools_.argvs(),
              ElementsAre(Argv{"relation-ids", "db", "--format=json"},
                          Argv{"relation-list", "-r", "3", "--format=json"},
                          Argv{"relation-get", "-r", "3", "-", "pg/0", "--format=json"},
                          Argv{"relation-get", "-r", "3", "-", "pg", "--app", "--format=json"}));
}

TEST_F(HookcmdsTest, RelationListAppReturnsNameOrNothing) {
  tools_.tool("relation-list", R"("pg")");
  EXPECT_EQ(hc::relation_list_app(4), "pg");
  EXPECT_THAT(tools_.argvs(),
              ElementsAre(Argv{"relation-list", "-r", "4", "--app", "--format=json"}));
  tools_.tool("relation-list", "", 2, "ERROR relation not found\n");
  EXPECT_EQ(hc::relation_list_app(4), std::nullopt);
  tools_.tool("relation-list", "", 2, "ERROR option provided but not defined: --app\n");
  EXPECT_EQ(hc::relation_list_app(4), std::nullopt);
  tools_.tool("relation-list", "", 1, "ERROR boom\n");
  EXPECT_THROW((void)hc::relation_list_app(4), ops::ModelError);
}

TEST_F(HookcmdsTest, RelationSetSendsJsonOnStdin) {
  tools_.tool("relation-set", "");
  hc::relation_set(5, {{"a", "1"}, {"b", ""}}, true);
  hc::relation_set(5, {{"c", "x y"}}, false);
  auto calls = tools_.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].argv, (Argv{"relation-set", "-r", "5", "--app", "--file", "-"}));
  EXPECT_EQ(calls[0].stdin_text, R"({"a":"1","b":""})");
  EXPECT_EQ(calls[1].argv, (Argv{"relation-set", "-r", "5", "--file", "-"}));
  EXPECT_EQ(calls[1].stdin_text, R"({"c":"x y"})");
}

TEST_F(HookcmdsTest, StatusToolsUseApplicationFlagAndDoubleDash) {
  tools_.tool("status-get", R"({"message":"ready","status":"active","status-data":{}})");
  auto unit = hc::status_get(false);
  EXPECT_EQ(unit.status, "active");
  EXPECT_EQ(unit.message, "ready");
  tools_.tool(
      "status-get",
      R"({"application-status":{"message":"","status":"waiting","status-data":{},"units":{}}})");
  auto app = hc::status_get(true);
  EXPECT_EQ(app.status, "waiting");
  EXPECT_EQ(app.message, "");
  tools_.tool("status-set", "");
  hc::status_set("blocked", "-need config", true);
  hc::status_set("active", "", false);
  EXPECT_THAT(
      tools_.argvs(),
      ElementsAre(Argv{"status-get", "--include-data", "--application=False", "--format=json"},
                  Argv{"status-get", "--include-data", "--application=True", "--format=json"},
                  Argv{"status-set", "--application=True", "blocked", "--", "-need config"},
                  Argv{"status-set", "--application=False", "active", "--", ""}));
}

TEST_F(HookcmdsTest, SimpleReadersAndWriters) {
  tools_.tool("config-get", R"({"port":6379,"debug":false,"name":"x","ratio":0.5})");
  tools_.tool("is-leader", "true\n");
  tools_.tool(
      "goal-state",
      R"({"units":{"app/0":{"status":"active","since":"t0"},"app/1":{"status":"dying","since":"t1"}},)"
      R"("relations":{"db":{"pg":{"status":"joined","since":"t2"},"pg/0":{"status":"active","since":"t3"}}}})");
  tools_.tool("resource-get", "/var/lib/juju/res/image.tar\n");
  tools_.tool("storage-list", R"(["data/0","data/1"])");
  tools_.tool("storage-get", R"("/srv/data")");
  tools_.tool("storage-add", "");
  tools_.tool("application-version-set", "");
  tools_.tool("juju-reboot", "");

  EXPECT_EQ(hc::config_get()["port"], 6379);
  EXPECT_TRUE(hc::is_leader());
  auto goal = hc::goal_state();
  EXPECT_EQ(goal.units.size(), 2u);
  EXPECT_EQ(goal.units.at("app/1").status, "dying");
  EXPECT_EQ(goal.relations.at("db").at("pg/0").since, "t3");
  EXPECT_EQ(hc::resource_get("image"), std::filesystem::path("/var/lib/juju/res/image.tar"));
  EXPECT_EQ(hc::storage_list("data"), (std::vector<std::string>{"data/0", "data/1"}));
  EXPECT_EQ(hc::storage_get("data/1", "location"), "/srv/data");
  hc::storage_add("data", 2);
  hc::application_version_set("-7.2.4");
  hc::juju_reboot(false);
  hc::juju_reboot(true);
  EXPECT_THROW(hc::storage_add("data", 0), ops::ModelError);
  EXPECT_THAT(
      tools_.argvs(),
      ElementsAre(Argv{"config-get", "--format=json"}, Argv{"is-leader", "--format=json"},
                  Argv{"goal-state", "--format=json"}, Argv{"resource-get", "image"},
                  Argv{"storage-list", "data", "--format=json"},
                  Argv{"storage-get", "-s", "data/1", "location", "--format=json"},
                  Argv{"storage-add", "data=2"}, Argv{"application-version-set", "--", "-7.2.4"},
                  Argv{"juju-reboot"}, Argv{"juju-reboot", "--now"}));
}

TEST_F(HookcmdsTest, NetworkGetParsesBindAndIngressAddresses) {
  tools_.tool("network-get", R"({
    "bind-addresses": [
      {"mac-address": "", "interface-name": "eth0",
       "addresses": [{"hostname": "", "value": "10.1.2.3", "cidr": "10.1.2.0/24"}]},
      {"interface-name": "lo", "addresses": [{"address": "127.0.0.1", "cidr": "127.0.0.0/8"}]}],
    "egress-subnets": ["10.1.2.3/32"],
    "ingress-addresses": ["10.1.2.3", "10.9.9.9"]})");
  auto net = hc::network_get("db", 7);
  ASSERT_EQ(net.interfaces.size(), 2u);
  EXPECT_EQ(net.interfaces[0], (ops::NetworkInterface{"eth0", "10.1.2.3", "10.1.2.0/24"}));
  EXPECT_EQ(net.interfaces[1], (ops::NetworkInterface{"lo", "127.0.0.1", "127.0.0.0/8"}));
  EXPECT_EQ(net.bind_address(), "10.1.2.3");
  EXPECT_EQ(net.ingress_address(), "10.1.2.3");
  EXPECT_EQ(net.egress_subnets, (std::vector<std::string>{"10.1.2.3/32"}));
  (void)hc::network_get("peers");
  EXPECT_THAT(tools_.argvs(), ElementsAre(Argv{"network-get", "db", "-r", "7", "--format=json"},
                                          Argv{"network-get", "peers", "--format=json"}));
}

TEST_F(HookcmdsTest, PortsAreValidatedAndParsed) {
  tools_.tool("open-port", "");
  tools_.tool("close-port", "");
  tools_.tool("opened-ports", R"(["8080/tcp","53/udp","icmp","8000-8999/tcp"])");
  hc::open_port("tcp", 8080);
  hc::close_port("icmp", std::nullopt);
  EXPECT_THAT(hc::opened_ports(),
              ElementsAre(ops::Port{"tcp", 8080}, ops::Port{"udp", 53},
                          ops::Port{"icmp", std::nullopt}, ops::Port{"tcp", 8000}));
  EXPECT_THAT(tools_.argvs(), ElementsAre(Argv{"open-port", "8080/tcp"}, Argv{"close-port", "icmp"},
                                          Argv{"opened-ports", "--format=json"}));
  EXPECT_THROW(hc::open_port("sctp", 1), ops::ModelError);
  EXPECT_THROW(hc::open_port("tcp", std::nullopt), ops::ModelError);
  EXPECT_THROW(hc::open_port("tcp", 70000), ops::ModelError);
  EXPECT_THROW(hc::open_port("icmp", 1), ops::ModelError);
  EXPECT_EQ(tools_.count("open-port"), 1);
  EXPECT_EQ(ops::to_string(ops::Port{"udp", 53}), "53/udp");
}

TEST_F(HookcmdsTest, JujuLogUsesLevelAndSplitsLongMessages) {
  tools_.tool("juju-log", "");
  hc::juju_log("WARNING", "-starts with a dash");
  EXPECT_THAT(tools_.argvs(),
              ElementsAre(Argv{"juju-log", "--log-level", "WARNING", "--", "-starts with a dash"}));
  tools_.clear_calls();
  std::string big(hc::kMaxLogLineLength + 5, 'x');
  hc::juju_log("INFO", big);
  auto calls = tools_.argvs();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0][4], "Log string greater than 131071. Splitting into multiple chunks: ");
  EXPECT_EQ(calls[1][4].size(), hc::kMaxLogLineLength);
  EXPECT_EQ(calls[2][4], "xxxxx");
}

TEST_F(HookcmdsTest, ActionToolsFlattenAndValidate) {
  tools_.tool("action-get", R"({"mode":"full","depth":{"max":3}})");
  tools_.tool("action-set", "");
  tools_.tool("action-log", "");
  tools_.tool("action-fail", "");
  EXPECT_EQ(hc::action_get()["depth"]["max"], 3);
  hc::action_set({{"password", "s3cret"}, {"info", {{"port", 6379}, {"tls", false}}}});
  hc::action_log("-working");
  hc::action_fail("it broke");
  hc::action_fail("");
  EXPECT_THAT(tools_.argvs(),
              ElementsAre(Argv{"action-get", "--format=json"},
                          Argv{"action-set", "info.port=6379", "info.tls=false", "password=s3cret"},
                          Argv{"action-log", "--", "-working"},
                          Argv{"action-fail", "--", "it broke"}, Argv{"action-fail"}));
  tools_.clear_calls();
  EXPECT_THROW(hc::action_set({{"Bad", "x"}}), ops::ModelError);
  EXPECT_THROW(hc::action_set({{"a-", "x"}}), ops::ModelError);
  EXPECT_THROW(hc::action_set({{"a", {{"b", 1}}}, {"a.b", 2}}), ops::ModelError);
  EXPECT_THROW(hc::action_set(nlohmann::json::array()), ops::ModelError);
  // Juju's own refusals (action-set.go), before any process runs: each
  // "."-part follows the key rule and none is a reserved key.
  EXPECT_THROW(hc::action_set({{"foo..bar", "x"}}), ops::ModelError);
  for (const char* reserved : {"stdout", "stdout-encoding", "stderr", "stderr-encoding"}) {
    EXPECT_THROW(hc::action_set({{reserved, "x"}}), ops::ModelError);
    EXPECT_THROW(hc::action_set({{"out", {{reserved, "x"}}}}), ops::ModelError);
  }
  EXPECT_EQ(tools_.count("action-set"), 0);
  try {
    hc::action_set({{"a", {{"b", 1}}}, {"a.b", 2}});
  } catch (const ops::ModelError& e) {
    EXPECT_STREQ(e.what(), "action-set: duplicate key detected in the results: \"a.b\"");
  }
}

TEST_F(HookcmdsTest, SecretToolsPassContentThroughFiles) {
  tools_.tool("secret-add", "secret:cn2khr5lsb8s7d2va4ng\n");
  tools_.tool("secret-set", "");
  hc::SecretAttributes attrs;
  attrs.label = "db-pass";
  attrs.description = "the password";
  attrs.expire = std::chrono::system_clock::from_time_t(1714564800);  // 2024-05-01T12:00:00Z
  attrs.rotate = ops::SecretRotate::kDaily;
  EXPECT_EQ(hc::secret_add({{"password", "hunter2"}, {"username", "admin"}}, attrs, "unit"),
            "secret:cn2khr5lsb8s7d2va4ng");
  hc::secret_set("secret:abc", std::map<std::string, std::string>{{"password", "new"}}, {});
  hc::SecretAttributes label_only;
  label_only.label = "renamed";
  hc::secret_set("secret:abc", std::nullopt, label_only);
  auto calls = tools_.calls();
  ASSERT_EQ(calls.size(), 3u);
  const auto& add = calls[0].argv;
  ASSERT_EQ(add.size(), 13u);
  EXPECT_EQ(Argv(add.begin(), add.begin() + 11),
            (Argv{"secret-add", "--label", "db-pass", "--description", "the password", "--expire",
                  "2024-05-01T12:00:00Z", "--rotate", "daily", "--owner", "unit"}));
  EXPECT_EQ(add[11].rfind("password#file=", 0), 0u);
  EXPECT_EQ(add[12].rfind("username#file=", 0), 0u);
  EXPECT_EQ(calls[0].files, (std::vector<std::string>{"hunter2", "admin"}));
  EXPECT_EQ(calls[1].argv.at(1), "secret:abc");
  EXPECT_EQ(calls[1].files, (std::vector<std::string>{"new"}));
  EXPECT_EQ(calls[2].argv, (Argv{"secret-set", "secret:abc", "--label", "renamed"}));
  // The temporary files are gone once the tool has run.
  std::string path = add[11].substr(add[11].find('=') + 1);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(HookcmdsTest, SecretReadersAndAccessTools) {
  tools_.tool("secret-get", R"({"password":"hunter2"})");
  tools_.tool(
      "secret-info-get",
      R"({"cn2khr5lsb8s7d2va4ng":{"revision":4,"label":"db-pass","owner":"application",)"
      R"("rotation":"hourly","rotates":"2024-05-01T13:00:00Z","expiry":"2025-01-01T00:00:00Z"}})");
  tools_.tool("secret-grant", "");
  tools_.tool("secret-revoke", "");
  tools_.tool("secret-remove", "");
  tools_.tool("secret-ids", R"(["secret:a","secret:b"])");
  EXPECT_EQ(hc::secret_get("secret:x", "lbl", true, false).at("password"), "hunter2");
  (void)hc::secret_get(std::nullopt, "lbl", false, true);
  auto info = hc::secret_info_get(std::nullopt, "db-pass");
  EXPECT_EQ(info.id, "secret:cn2khr5lsb8s7d2va4ng");
  EXPECT_EQ(info.label, "db-pass");
  EXPECT_EQ(info.revision, 4);
  EXPECT_EQ(info.rotation, ops::SecretRotate::kHourly);
  EXPECT_EQ(info.rotates, "2024-05-01T13:00:00Z");
  EXPECT_EQ(info.expires, "2025-01-01T00:00:00Z");
  EXPECT_EQ(info.description, std::nullopt);
  (void)hc::secret_info_get("secret:x", "ignored");
  hc::secret_grant("secret:x", 3, "pg/0");
  hc::secret_revoke("secret:x", 3, std::nullopt);
  hc::secret_remove("secret:x", 2);
  hc::secret_remove("secret:x", std::nullopt);
  EXPECT_EQ(hc::secret_ids(), (std::vector<std::string>{"secret:a", "secret:b"}));
  EXPECT_THAT(
      tools_.argvs(),
      ElementsAre(Argv{"secret-get", "secret:x", "--label", "lbl", "--refresh", "--format=json"},
                  Argv{"secret-get", "--label", "lbl", "--peek", "--format=json"},
                  Argv{"secret-info-get", "--label", "db-pass", "--format=json"},
                  Argv{"secret-info-get", "secret:x", "--format=json"},
                  Argv{"secret-grant", "secret:x", "--relation", "3", "--unit", "pg/0"},
                  Argv{"secret-revoke", "secret:x", "--relation", "3"},
                  Argv{"secret-remove", "secret:x", "--revision", "2"},
                  Argv{"secret-remove", "secret:x"}, Argv{"secret-ids", "--format=json"}));
}

TEST_F(HookcmdsTest, FailuresMapToTypedErrorsWithStderr) {
  tools_.tool("relation-get", "", 1, "ERROR cannot read settings: relation not found\n");
  try {
    (void)hc::relation_get(9, "pg/0", false);
    FAIL() << "expected RelationNotFoundError";
  } catch (const ops::RelationNotFoundError& e) {
    EXPECT_STREQ(
        e.what(),
        "relation-get failed (exit status 1): ERROR cannot read settings: relation not found");
    EXPECT_EQ(e.stderr(), "ERROR cannot read settings: relation not found\n");
  }
  tools_.tool("secret-get", "", 1, "ERROR secret \"x\" not found\n");
  EXPECT_THROW((void)hc::secret_get("secret:x", std::nullopt, false, false),
               ops::SecretNotFoundError);
  tools_.tool("resource-get", "", 1, "ERROR could not download resource: not attached\n");
  EXPECT_THROW((void)hc::resource_get("image"), ops::ResourceNotFoundError);
  tools_.tool("config-get", "", 2, "ERROR permission denied\n");
  try {
    (void)hc::config_get();
    FAIL() << "expected ModelError";
  } catch (const ops::RelationNotFoundError&) {
    FAIL() << "wrong type";
  } catch (const ops::ModelError& e) {
    EXPECT_STREQ(e.what(), "config-get failed (exit status 2): ERROR permission denied");
    EXPECT_EQ(e.stderr(), "ERROR permission denied\n");
  }
  tools_.tool("is-leader", "not json");
  EXPECT_THROW((void)hc::is_leader(), ops::ModelError);
}

TEST_F(HookcmdsTest, MissingToolIsAModelError) {
  try {
    hc::run({"no-such-hook-tool-xyz"});
    FAIL();
  } catch (const ops::ModelError& e) {
    EXPECT_STREQ(e.what(),
                 "hook tool no-such-hook-tool-xyz not found on PATH (is this running under Juju?)");
  }
}

TEST_F(HookcmdsTest, LargeStdinAndStdoutDoNotDeadlock) {
  // Echoes a 1 MiB stdin back on stdout while writing 1 MiB to stderr.
  tools_.script("relation-set", "head -c 1048576 /dev/zero | tr '\\0' e >&2\nexit 0\n");
  std::string big(1 << 20, 'v');
  EXPECT_NO_THROW(hc::run({"relation-set"}, big));
  EXPECT_EQ(tools_.calls().at(0).stdin_text.size(), big.size());
}

TEST_F(HookcmdsTest, ChildThatIgnoresStdinDoesNotKillUs) {
  // The fake's logger reads stdin; this tool replaces itself before that.
  std::filesystem::path path = tools_.dir() / "ignore-stdin";
  {
    std::ofstream out(path);
    out << "#!/bin/sh\nexec 0<&-\necho done\n";
  }
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
  std::string big(4 << 20, 'v');
  EXPECT_EQ(hc::run({"ignore-stdin"}, big), "done\n");
}

}  // namespace
