// Pebble configuration and information types: YAML/JSON round trips,
// equality by content, combine rules, errors, durations, socket_path.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "ops/pebble.hpp"

namespace {

using ops::pebble::Check;
using ops::pebble::Layer;
using ops::pebble::LogTarget;
using ops::pebble::Plan;
using ops::pebble::Service;
using testing::ElementsAre;
using testing::HasSubstr;

constexpr const char* kFullLayer = R"(summary: redis layer
description: runs redis
services:
  redis:
    summary: Redis server
    description: the database
    override: replace
    command: redis-server /etc/redis/redis.conf
    startup: enabled
    after: [network]
    before: [sentinel]
    requires: [network]
    environment:
      PORT: "6379"
      MODE: primary
    user: redis
    user-id: 999
    group: redis
    group-id: 998
    working-dir: /var/lib/redis
    on-success: shutdown
    on-failure: restart
    on-check-failure:
      alive: restart
    backoff-delay: 500ms
    backoff-factor: 1.5
    backoff-limit: 30s
    kill-delay: 5s
checks:
  alive:
    override: replace
    level: alive
    period: 10s
    timeout: 3s
    threshold: 5
    exec:
      command: redis-cli ping
      environment:
        REDISCLI_AUTH: secret
  web:
    override: merge
    http:
      url: http://localhost:8080/health
      headers:
        X-Token: abc
  port:
    override: merge
    tcp:
      port: 6379
      host: localhost
log-targets:
  loki:
    override: replace
    type: loki
    location: http://loki:3100/loki/api/v1/push
    services: [all]
    labels:
      owner: redis
)";

TEST(PebbleLayerTest, ParsesEveryServiceField) {
  const Layer layer = Layer::from_yaml(kFullLayer);
  EXPECT_EQ(layer.summary, "redis layer");
  EXPECT_EQ(layer.description, "runs redis");
  ASSERT_EQ(layer.services.count("redis"), 1u);
  const Service& s = layer.services.at("redis");
  EXPECT_EQ(s.summary, "Redis server");
  EXPECT_EQ(s.description, "the database");
  EXPECT_EQ(s.override, "replace");
  EXPECT_EQ(s.command, "redis-server /etc/redis/redis.conf");
  EXPECT_EQ(s.startup, "enabled");
  EXPECT_THAT(s.after, ElementsAre("network"));
  EXPECT_THAT(s.before, ElementsAre("sentinel"));
  EXPECT_THAT(s.requires_, ElementsAre("network"));
  EXPECT_EQ(s.environment,
            (std::map<std::string, std::string>{{"MODE", "primary"}, {"PORT", "6379"}}));
  EXPECT_EQ(s.user, "redis");
  EXPECT_EQ(s.user_id, 999);
  EXPECT_EQ(s.group, "redis");
  EXPECT_EQ(s.group_id, 998);
  EXPECT_EQ(s.working_dir, "/var/lib/redis");
  EXPECT_EQ(s.on_success, "shutdown");
  EXPECT_EQ(s.on_failure, "restart");
  EXPECT_EQ(s.on_check_failure, (std::map<std::string, std::string>{{"alive", "restart"}}));
  EXPECT_EQ(s.backoff_delay, "500ms");
  EXPECT_EQ(s.backoff_factor, 1.5);
  EXPECT_EQ(s.backoff_limit, "30s");
  EXPECT_EQ(s.kill_delay, "5s");
}

TEST(PebbleLayerTest, ParsesChecksAndLogTargets) {
  const Layer layer = Layer::from_yaml(kFullLayer);
  const Check& alive = layer.checks.at("alive");
  EXPECT_EQ(alive.level, "alive");
  EXPECT_EQ(alive.period, "10s");
  EXPECT_EQ(alive.timeout, "3s");
  EXPECT_EQ(alive.threshold, 5);
  ASSERT_TRUE(alive.exec.has_value());
  EXPECT_EQ(alive.exec->command, "redis-cli ping");
  EXPECT_EQ(alive.exec->environment.at("REDISCLI_AUTH"), "secret");
  ASSERT_TRUE(layer.checks.at("web").http.has_value());
  EXPECT_EQ(layer.checks.at("web").http->url, "http://localhost:8080/health");
  EXPECT_EQ(layer.checks.at("web").http->headers.at("X-Token"), "abc");
  ASSERT_TRUE(layer.checks.at("port").tcp.has_value());
  EXPECT_EQ(layer.checks.at("port").tcp->port, 6379);
  EXPECT_EQ(layer.checks.at("port").tcp->host, "localhost");
  const LogTarget& loki = layer.log_targets.at("loki");
  EXPECT_EQ(loki.type, "loki");
  EXPECT_EQ(loki.location, "http://loki:3100/loki/api/v1/push");
  EXPECT_THAT(loki.services, ElementsAre("all"));
  EXPECT_EQ(loki.labels.at("owner"), "redis");
}

TEST(PebbleLayerTest, YamlRoundTripKeepsContent) {
  const Layer layer = Layer::from_yaml(kFullLayer);
  const std::string yaml = layer.to_yaml();
  EXPECT_EQ(Layer::from_yaml(yaml), layer);
  // Text that YAML would read as a number stays a string.
  EXPECT_THAT(yaml, HasSubstr("PORT: \"6379\""));
  EXPECT_THAT(yaml, HasSubstr("user-id: 999"));
}

TEST(PebbleLayerTest, JsonRoundTripUsesPebbleFieldNames) {
  const Layer layer = Layer::from_yaml(kFullLayer);
  const nlohmann::json j = layer;
  EXPECT_EQ(j["services"]["redis"]["user-id"], 999);
  EXPECT_EQ(j["services"]["redis"]["backoff-factor"], 1.5);
  EXPECT_EQ(j["services"]["redis"]["requires"], nlohmann::json::array({"network"}));
  EXPECT_EQ(j["log-targets"]["loki"]["type"], "loki");
  EXPECT_EQ(j.get<Layer>(), layer);
}

TEST(PebbleLayerTest, DesignatedInitializersEqualParsedYaml) {
  const Layer built{
      .summary = "redis",
      .services = {{"redis", Service{.override = "replace",
                                     .command = "redis-server",
                                     .startup = "enabled",
                                     .environment = {{"PORT", "6379"}}}}},
  };
  const Layer parsed = Layer::from_yaml(R"(
summary: redis
services:
  redis:
    override: replace
    command: redis-server
    startup: enabled
    environment: {PORT: 6379}
)");
  EXPECT_EQ(built, parsed);
  Layer changed = built;
  changed.services["redis"].environment["PORT"] = "6380";
  EXPECT_NE(changed, parsed);
}

TEST(PebbleLayerTest, EmptyListsEqualAbsentOnes) {
  EXPECT_EQ(Layer::from_yaml("services:\n  a:\n    override: merge\n    after: []\n"),
            Layer::from_yaml("services:\n  a:\n    override: merge\n"));
  EXPECT_EQ(Layer::from_yaml(""), Layer{});
}

TEST(PebbleLayerTest, BadFieldTypeNamesTheField) {
  try {
    (void)Layer::from_yaml("services:\n  redis:\n    user-id: nobody\n");
    FAIL() << "expected ProtocolError";
  } catch (const ops::pebble::ProtocolError& e) {
    EXPECT_STREQ(e.what(),
                 "services \"redis\": field \"user-id\": expected an integer, got \"nobody\"");
  }
  EXPECT_THROW((void)Layer::from_yaml("services: [1, 2]"), ops::pebble::ProtocolError);
  EXPECT_THROW((void)Layer::from_yaml("services: {a: [unclosed"), ops::pebble::ProtocolError);
  EXPECT_THROW((void)Layer::from_yaml("- just a list"), ops::pebble::ProtocolError);
}

TEST(PebbleCombineTest, ListsExtendMapsMergeScalarsReplace) {
  Service base{.override = "replace",
               .command = "redis-server",
               .startup = "enabled",
               .after = {"a", "b"},
               .environment = {{"A", "1"}, {"B", "2"}},
               .user = "redis"};
  const Service overlay{.override = "merge",
                        .command = "redis-server --port 6380",
                        .after = {"b", "c"},
                        .environment = {{"B", "20"}, {"C", "30"}}};
  base.combine(overlay);
  EXPECT_EQ(base.command, "redis-server --port 6380");
  EXPECT_EQ(base.override, "replace");  // Pebble keeps the first override
  EXPECT_EQ(base.startup, "enabled");   // unset in the overlay: kept
  EXPECT_EQ(base.user, "redis");
  EXPECT_THAT(base.after, ElementsAre("a", "b", "b", "c"));  // appended, as Pebble does
  EXPECT_EQ(base.environment,
            (std::map<std::string, std::string>{{"A", "1"}, {"B", "20"}, {"C", "30"}}));
}

TEST(PebbleCombineTest, OverrideReplaceReplacesTheWholeService) {
  Service base{.override = "merge", .command = "old", .startup = "enabled", .after = {"a"}};
  const Service overlay{.override = "replace", .command = "new"};
  base.combine(overlay);
  EXPECT_EQ(base, overlay);
  EXPECT_FALSE(base.startup.has_value());
  EXPECT_TRUE(base.after.empty());
}

TEST(PebbleCombineTest, LayersCombineByName) {
  Layer base = Layer::from_yaml(R"(
summary: base
services:
  redis: {override: replace, command: redis-server, environment: {A: "1"}}
checks:
  alive: {override: replace, period: 10s, http: {url: "http://x/", headers: {H: "1"}}}
log-targets:
  loki: {override: replace, type: loki, services: [redis]}
)");
  base.combine(Layer::from_yaml(R"(
services:
  redis: {override: merge, environment: {B: "2"}}
  sentinel: {override: replace, command: redis-sentinel}
checks:
  alive: {override: merge, threshold: 7, http: {headers: {H2: "2"}}}
log-targets:
  loki: {override: merge, services: [sentinel]}
)"));
  // Pebble's CombineLayers: the last layer's summary, here none.
  EXPECT_EQ(base.summary, std::nullopt);
  EXPECT_EQ(base.services.at("redis").command, "redis-server");
  EXPECT_EQ(base.services.at("redis").environment,
            (std::map<std::string, std::string>{{"A", "1"}, {"B", "2"}}));
  EXPECT_EQ(base.services.at("sentinel").command, "redis-sentinel");
  EXPECT_EQ(base.checks.at("alive").period, "10s");
  EXPECT_EQ(base.checks.at("alive").threshold, 7);
  EXPECT_EQ(base.checks.at("alive").http->url, "http://x/");
  EXPECT_EQ(base.checks.at("alive").http->headers,
            (std::map<std::string, std::string>{{"H", "1"}, {"H2", "2"}}));
  EXPECT_THAT(base.log_targets.at("loki").services, ElementsAre("redis", "sentinel"));
}

TEST(PebblePlanTest, YamlRoundTrip) {
  const Plan plan = Plan::from_yaml(R"(
services:
  redis: {override: replace, command: redis-server, startup: enabled}
checks:
  up: {override: replace, tcp: {port: 6379}}
)");
  EXPECT_EQ(plan.services.at("redis").command, "redis-server");
  EXPECT_EQ(plan.checks.at("up").tcp->port, 6379);
  EXPECT_EQ(Plan::from_yaml(plan.to_yaml()), plan);
  EXPECT_EQ(Plan::from_yaml(Plan{}.to_yaml()), Plan{});
}

TEST(PebbleInfoTest, FileInfoPermissionsAreOctalText) {
  const auto info = nlohmann::json::parse(R"({"path": "/etc/redis.conf", "name": "redis.conf",
      "type": "file", "size": 12, "permissions": "640", "last-modified": "2024-01-02T03:04:05Z",
      "user-id": 0, "user": "root", "group-id": 0, "group": "root"})")
                        .get<ops::pebble::FileInfo>();
  EXPECT_EQ(info.permissions, 0640);
  EXPECT_EQ(info.type, ops::pebble::FileType::kFile);
  EXPECT_EQ(info.size, 12);
  EXPECT_EQ(nlohmann::json(info)["permissions"], "640");
  EXPECT_THROW(nlohmann::json::parse(R"({"path":"/x","name":"x","type":"file","permissions":"9z"})")
                   .get<ops::pebble::FileInfo>(),
               ops::pebble::ProtocolError);
}

TEST(PebbleInfoTest, ChangeAndServiceInfoFromPebbleJson) {
  const auto change = nlohmann::json::parse(R"({"id": "7", "kind": "exec", "summary": "Run",
      "status": "Done", "ready": true, "spawn-time": "t0", "ready-time": "t1",
      "tasks": [{"id": "9", "kind": "exec", "summary": "Run", "status": "Done",
                 "log": ["line"], "progress": {"label": "", "done": 1, "total": 1},
                 "spawn-time": "t0", "data": {"exit-code": 3}}]})")
                          .get<ops::pebble::Change>();
  EXPECT_EQ(change.id, "7");
  EXPECT_TRUE(change.ready);
  EXPECT_FALSE(change.err.has_value());
  ASSERT_EQ(change.tasks.size(), 1u);
  EXPECT_EQ(change.tasks[0].data["exit-code"], 3);
  EXPECT_THAT(change.tasks[0].log, ElementsAre("line"));
  EXPECT_EQ(nlohmann::json(change).get<ops::pebble::Change>(), change);

  const auto info = nlohmann::json::parse(R"({"name": "redis", "startup": "enabled",
      "current": "active"})")
                        .get<ops::pebble::ServiceInfo>();
  EXPECT_TRUE(info.is_running());
  EXPECT_EQ(info.startup, ops::pebble::ServiceStartup::kEnabled);
  EXPECT_THROW((void)nlohmann::json::parse(R"({"name": "redis"})").get<ops::pebble::ServiceInfo>(),
               ops::pebble::ProtocolError);
}

TEST(PebbleErrorTest, ChangeErrorAppendsTaskLogs) {
  ops::pebble::Change change;
  change.tasks.push_back(ops::pebble::Task{.log = {"first", "second"}});
  change.tasks.push_back(ops::pebble::Task{});
  const ops::pebble::ChangeError error("cannot perform the following tasks", change);
  EXPECT_STREQ(
      error.what(),
      "cannot perform the following tasks\n----- Logs from task 0 -----\nfirst\nsecond\n-----");
  EXPECT_EQ(error.err(), "cannot perform the following tasks");
  EXPECT_EQ(error.change().tasks.size(), 2u);
}

TEST(PebbleErrorTest, ExecErrorMessageTruncatesOutput) {
  const ops::pebble::ExecError error({"ls", "x"}, 2, std::string(2000, 'a'), "no such file\n");
  const std::string what = error.what();
  EXPECT_THAT(what, HasSubstr("non-zero exit code 2 executing [\"ls\",\"x\"], stdout=\""));
  EXPECT_THAT(what, HasSubstr("\" [truncated], stderr=\"no such file\\n\""));
  EXPECT_EQ(error.exit_code(), 2);
  EXPECT_EQ(error.stderr(), "no such file\n");
  const ops::pebble::PathError path_error("not-found", "stat /x: no such file or directory");
  EXPECT_STREQ(path_error.what(), "not-found - stat /x: no such file or directory");
  // Every pebble error is an ops::Error.
  EXPECT_THROW(throw ops::pebble::TimeoutError("t"), ops::Error);
}

TEST(PebbleDurationTest, ParsesAndFormatsGoDurations) {
  EXPECT_EQ(ops::pebble::format_duration(ops::pebble::Duration(1.5)), "1.500s");
  EXPECT_DOUBLE_EQ(ops::pebble::parse_duration("4.000s").count(), 4.0);
  EXPECT_DOUBLE_EQ(ops::pebble::parse_duration("500ms").count(), 0.5);
  EXPECT_DOUBLE_EQ(ops::pebble::parse_duration("1m30s").count(), 90.0);
  EXPECT_DOUBLE_EQ(ops::pebble::parse_duration("2h").count(), 7200.0);
  EXPECT_DOUBLE_EQ(ops::pebble::parse_duration("0").count(), 0.0);
  EXPECT_THROW(ops::pebble::parse_duration("10"), ops::pebble::ProtocolError);
  EXPECT_THROW(ops::pebble::parse_duration("s"), ops::pebble::ProtocolError);
  EXPECT_THROW(ops::pebble::parse_duration("3 days"), ops::pebble::ProtocolError);
}

TEST(PebbleSocketPathTest, DefaultsToCharmContainersAndHonoursOverride) {
  ::unsetenv(ops::pebble::kSocketDirEnv);
  EXPECT_EQ(ops::pebble::socket_path("redis"), "/charm/containers/redis/pebble.socket");
  ::setenv(ops::pebble::kSocketDirEnv, "/tmp/sim/", 1);
  EXPECT_EQ(ops::pebble::socket_path("redis"), "/tmp/sim/redis/pebble.socket");
  ::setenv(ops::pebble::kSocketDirEnv, "", 1);
  EXPECT_EQ(ops::pebble::socket_path("redis"), "/charm/containers/redis/pebble.socket");
  ::unsetenv(ops::pebble::kSocketDirEnv);
}

}  // namespace
