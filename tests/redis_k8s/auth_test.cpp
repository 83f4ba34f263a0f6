// Auth for capable `redis` requirers (a fix of the reference, which turns
// Redis's password off for every client): a requirer whose application data
// says `auth-capable`="true" keeps auth on and receives the password; any
// other requirer is legacy and turns it off; when the last legacy relation is
// broken, auth comes back on. Through ops::testing::Harness.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "charm.hpp"
#include "charms/redis_k8s/v0/redis.hpp"
#include "fake_workload.hpp"
#include "ops/testing/harness.hpp"
#include "redis_k8s/fixture.hpp"

namespace {

constexpr const char* kFqdn = "redis-k8s-0.redis-k8s-endpoints.test-model.svc.cluster.local";
constexpr const char* kUnit = "redis-k8s/0";
const std::string kApp = "redis-k8s";
const ops::testing::Databag kCapable{{charms::redis_k8s::v0::kAuthCapableKey, "true"}};

class RedisAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_k8s::RedisCharmCollaborators c;
    c.workload = &redis;
    c.fqdn = [] { return std::string(kFqdn); };
    c.resolve = [](const std::string& host) {
      if (host == kFqdn) return std::string("10.1.0.10");
      if (host == "leader-host") return std::string("10.2.1.5");
      throw ops::Error("cannot resolve host '" + host + "'");
    };
    harness = std::make_unique<ops::testing::HarnessBase>(
        redis_k8s::make_redis_charm_factory(c), redis_test::source_file("metadata.yaml"),
        redis_test::source_file("config.yaml"), redis_test::source_file("actions.yaml"));
    harness->set_model_name("test-model");
    harness->set_can_connect("redis", true);
    harness->set_can_connect("sentinel", true);
    harness->handle_exec("redis", {"chown"}, ops::testing::ExecResult{});
    harness->begin();
    peer_id = harness->add_relation("redis-peers", kApp);
    harness->set_leader(true);
    harness->update_relation_data(peer_id, kApp,
                                  {{"leader-host", "leader-host"}, {"redis-password", "secret"}});
  }

  redis_k8s::RedisK8sCharm& charm() {
    return static_cast<redis_k8s::RedisK8sCharm&>(harness->charm_base());
  }
  std::optional<std::string> enable_password() {
    auto bag = harness->get_relation_data(peer_id, kApp);
    auto it = bag.find("enable-password");
    if (it == bag.end()) return std::nullopt;
    return it->second;
  }
  std::optional<std::string> published_password(int rel) {
    auto bag = harness->get_relation_data(rel, kUnit);
    auto it = bag.find("password");
    if (it == bag.end()) return std::nullopt;
    return it->second;
  }
  // The redis-server configuration the charm pushed (the password and
  // protected mode live there, not on the command line).
  std::string redis_conf() {
    return redis_test::read_host_file(
        harness->pebble("redis").host_path("/etc/redis-server/redis.conf"));
  }
  int add_capable(const std::string& app) {
    return harness->add_relation("redis", app, {.app_data = kCapable, .unit_data = {}});
  }
  int add_legacy(const std::string& app) {
    return harness->add_relation("redis", app, {.unit_data = ops::testing::Databag{}});
  }

  redis_k8s::FakeRedisWorkload redis;
  std::unique_ptr<ops::testing::HarnessBase> harness;
  int peer_id = -1;
};

TEST_F(RedisAuthTest, CapableRequirerKeepsAuthOnAndGetsThePassword) {
  int rel = add_capable("client");
  EXPECT_EQ(enable_password(), std::nullopt);
  EXPECT_FALSE(charm().legacy_mode());
  EXPECT_EQ(charm().redis_password(), "secret");
  EXPECT_EQ(published_password(rel), "secret");
  EXPECT_EQ(harness->get_relation_data(rel, kUnit).at("hostname"), "10.2.1.5");
  EXPECT_THAT(redis_conf(), ::testing::Not(::testing::HasSubstr("protected-mode no")));
  EXPECT_THAT(redis_conf(), ::testing::HasSubstr("requirepass secret\n"));
  EXPECT_EQ(harness->unit_status(), ops::ActiveStatus());
}

TEST_F(RedisAuthTest, LegacyRequirerTurnsAuthOff) {
  int rel = add_legacy("legacy");
  EXPECT_EQ(enable_password(), "false");
  EXPECT_TRUE(charm().legacy_mode());
  EXPECT_EQ(charm().redis_password(), std::nullopt);
  EXPECT_EQ(published_password(rel), std::nullopt);
  EXPECT_THAT(redis_conf(), ::testing::HasSubstr("protected-mode no\n"));
  EXPECT_THAT(redis_conf(), ::testing::Not(::testing::HasSubstr("requirepass")));
}

TEST_F(RedisAuthTest, ALegacyRequirerBesideACapableOneTurnsAuthOffForBoth) {
  int capable = add_capable("client");
  EXPECT_EQ(published_password(capable), "secret");
  int legacy = add_legacy("legacy");
  EXPECT_EQ(enable_password(), "false");
  EXPECT_EQ(published_password(capable), std::nullopt);  // withdrawn: Redis has none now
  EXPECT_EQ(published_password(legacy), std::nullopt);
  EXPECT_THAT(redis_conf(), ::testing::HasSubstr("protected-mode no\n"));
  EXPECT_THAT(redis_conf(), ::testing::Not(::testing::HasSubstr("requirepass")));
}

TEST_F(RedisAuthTest, RemovingTheLastLegacyRelationTurnsAuthBackOn) {
  int capable = add_capable("client");
  int legacy1 = add_legacy("legacy-a");
  int legacy2 = add_legacy("legacy-b");
  harness->remove_relation(legacy1);
  EXPECT_EQ(enable_password(), "false");  // legacy-b is still there
  harness->remove_relation(legacy2);
  EXPECT_EQ(enable_password(), "true");
  EXPECT_FALSE(charm().legacy_mode());
  EXPECT_EQ(charm().redis_password(), "secret");
  EXPECT_EQ(published_password(capable), "secret");
  EXPECT_THAT(redis_conf(), ::testing::Not(::testing::HasSubstr("protected-mode no")));
  EXPECT_THAT(redis_conf(), ::testing::HasSubstr("requirepass secret\n"));
}

TEST_F(RedisAuthTest, ARelationWithoutUnitsDecidesNothingYet) {
  harness->add_relation("redis", "client");
  EXPECT_EQ(enable_password(), std::nullopt);
}

TEST_F(RedisAuthTest, ALegacyRequirerThatLaterSaysItIsCapableTurnsAuthBackOn) {
  int rel = add_legacy("client");
  EXPECT_EQ(enable_password(), "false");
  harness->update_relation_data(rel, "client", kCapable);
  EXPECT_EQ(enable_password(), "true");
  EXPECT_EQ(published_password(rel), "secret");
}

TEST_F(RedisAuthTest, NonLeaderLeavesTheModeToTheLeader) {
  harness->set_leader(false);
  add_legacy("legacy");
  EXPECT_EQ(enable_password(), std::nullopt);
}

}  // namespace
