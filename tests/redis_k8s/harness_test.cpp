// RedisK8sCharm through ops::testing::Harness, following the reference
// charm's tests/unit/test_charm.py case by case: the Harness's in-memory
// Juju and Pebble, with Redis and Sentinel answered by FakeRedisWorkload.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "charm.hpp"
#include "fake_workload.hpp"
#include "ops/testing/harness.hpp"
#include "redis_k8s/fixture.hpp"

namespace {

using redis_k8s::FakeRedisWorkload;
using redis_k8s::Service;
using ::testing::ElementsAre;

constexpr const char* kFqdn = "redis-k8s-0.redis-k8s-endpoints.test-model.svc.cluster.local";
const std::string kApp = "redis-k8s";
const ops::testing::Databag kApplicationData{{"leader-host", "leader-host"},
                                             {"redis-password", "password"}};

class RedisHarnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_k8s::RedisCharmCollaborators c;
    c.workload = &redis;
    c.fqdn = [] { return std::string(kFqdn); };
    c.resolve = [](const std::string& host) {
      static const std::map<std::string, std::string> addresses{
          {kFqdn, "10.1.0.10"}, {"leader-host", "10.2.1.5"}, {"different-leader", "10.2.1.6"}};
      auto it = addresses.find(host);
      if (it == addresses.end()) throw ops::Error("cannot resolve host '" + host + "'");
      return it->second;
    };
    c.now = [this] { return clock.now(); };
    c.sleep = [this](std::chrono::milliseconds d) { clock.sleep(d); };
    harness = std::make_unique<ops::testing::HarnessBase>(
        redis_k8s::make_redis_charm_factory(c), redis_test::source_file("metadata.yaml"),
        redis_test::source_file("config.yaml"), redis_test::source_file("actions.yaml"));
    harness->set_model_name("test-model");
    harness->set_can_connect("redis", true);
    harness->set_can_connect("sentinel", true);
    harness->begin();
    peer_id = harness->add_relation("redis-peers", kApp);
  }

  redis_k8s::RedisK8sCharm& charm() {
    return static_cast<redis_k8s::RedisK8sCharm&>(harness->charm_base());
  }
  std::string redis_command() {
    return *harness->get_container_pebble_plan("redis").services.at("redis").command;
  }
  std::string flags(const std::string& password) {
    return "--requirepass " + password + " --bind 0.0.0.0 --masterauth " + password +
           " --replica-announce-ip " + kFqdn +
           " --logfile /var/log/redis/redis-server.log --appendonly yes --dir /var/lib/redis/";
  }
  void add_certificates() {
    harness->add_resource("cert-file", "CERT");
    harness->add_resource("key-file", "KEY");
    harness->add_resource("ca-cert-file", "CA");
  }

  FakeRedisWorkload redis;
  redis_k8s::FakeClock clock;
  std::unique_ptr<ops::testing::HarnessBase> harness;
  int peer_id = -1;
};

TEST_F(RedisHarnessTest, OnUpdateStatusSuccessLeader) {
  redis.set_sentinel_master("localhost", kApp, {{"ip", "leader-host"}});
  redis.set_info_server("localhost", {{"redis_version", "6.0.11"}});
  harness->set_leader(true);
  harness->fire("update_status");
  EXPECT_EQ(harness->unit_status(), ops::ActiveStatus());
  EXPECT_EQ(harness->app_status(), ops::ActiveStatus());
  EXPECT_EQ(harness->get_workload_version(), "6.0.11");
}

TEST_F(RedisHarnessTest, OnUpdateStatusFailureLeader) {
  harness->set_leader(true);
  harness->fire("update_status");
  EXPECT_EQ(harness->unit_status(), ops::WaitingStatus("Waiting for Redis..."));
  EXPECT_EQ(harness->app_status(), ops::WaitingStatus("Waiting for Redis..."));
  EXPECT_EQ(harness->get_workload_version(), std::nullopt);
}

TEST_F(RedisHarnessTest, OnUpdateStatusSuccessNotLeader) {
  redis.set_info_server("localhost", {{"redis_version", "6.0.11"}});
  harness->set_leader(false);
  harness->fire("update_status");
  EXPECT_EQ(harness->unit_status(), ops::ActiveStatus());
  EXPECT_EQ(harness->app_status(), ops::UnknownStatus());
  EXPECT_EQ(harness->get_workload_version(), "6.0.11");
}

TEST_F(RedisHarnessTest, OnUpdateStatusFailureNotLeader) {
  harness->set_leader(false);
  harness->fire("update_status");
  EXPECT_EQ(harness->unit_status(), ops::WaitingStatus("Waiting for Redis..."));
  EXPECT_EQ(harness->app_status(), ops::UnknownStatus());
  EXPECT_EQ(harness->get_workload_version(), std::nullopt);
}

TEST_F(RedisHarnessTest, ConfigChangedWhenUnitIsLeaderStatusSuccess) {
  redis.set_info_server("localhost", {{"redis_version", "6.0.11"}});
  harness->set_leader(true);  // generates the passwords, names itself master
  harness->update_config();
  const std::string password = *charm().redis_password();
  ASSERT_EQ(password.size(), 16u);
  ops::pebble::Plan plan = harness->get_container_pebble_plan("redis");
  EXPECT_EQ(plan.services.at("redis"),
            (ops::pebble::Service{.summary = "Redis service",
                                  .override = "replace",
                                  .command = "redis-server " + flags(password),
                                  .startup = "enabled",
                                  .user = "redis",
                                  .group = "redis"}));
  EXPECT_EQ(plan.services.at("redis_exporter"),
            (ops::pebble::Service{.summary = "Redis metric exporter",
                                  .override = "replace",
                                  .command = "bin/redis_exporter",
                                  .startup = "enabled",
                                  .environment = {{"REDIS_PASSWORD", password}},
                                  .user = "redis",
                                  .group = "redis"}));
  EXPECT_EQ(harness->pebble("redis").service_status("redis"), ops::pebble::ServiceStatus::kActive);
  EXPECT_EQ(harness->pebble("redis").service_status("redis_exporter"),
            ops::pebble::ServiceStatus::kActive);
  EXPECT_EQ(harness->unit_status(), ops::ActiveStatus());
  EXPECT_EQ(harness->app_status(), ops::ActiveStatus());
  EXPECT_EQ(harness->get_workload_version(), "6.0.11");
}

TEST_F(RedisHarnessTest, ConfigChangedWhenUnitIsLeaderStatusFailure) {
  harness->set_leader(true);
  harness->update_config();
  EXPECT_EQ(redis_command(), "redis-server " + flags(*charm().redis_password()));
  EXPECT_EQ(harness->pebble("redis").service_status("redis"), ops::pebble::ServiceStatus::kActive);
  EXPECT_EQ(harness->unit_status(), ops::WaitingStatus("Waiting for Redis..."));
  EXPECT_EQ(harness->app_status(), ops::WaitingStatus("Waiting for Redis..."));
  EXPECT_EQ(harness->get_workload_version(), std::nullopt);
}

TEST_F(RedisHarnessTest, ConfigChangedPebbleError) {
  harness->set_leader(true);
  harness->set_can_connect("redis", false);
  harness->set_can_connect("sentinel", false);
  harness->update_config();
  EXPECT_TRUE(harness->get_container_pebble_plan("redis").services.empty());
  EXPECT_EQ(harness->unit_status(), ops::WaitingStatus("Waiting for Pebble in sentinel container"));
  EXPECT_EQ(harness->app_status(), ops::UnknownStatus());
  EXPECT_EQ(harness->get_workload_version(), std::nullopt);
  EXPECT_EQ(harness->storage().notices().size(), 1u);  // config-changed deferred
}

TEST_F(RedisHarnessTest, PasswordOnLeaderElected) {
  EXPECT_EQ(charm().redis_password(), std::nullopt);
  harness->set_leader(true);
  auto password = charm().redis_password();
  ASSERT_TRUE(password.has_value());
  EXPECT_THAT(*password, ::testing::MatchesRegex("[A-Za-z0-9]{16}"));
  // Re-election keeps it (Sentinel answers that this unit is the master).
  redis.set_sentinel_master("localhost", kApp, {{"ip", kFqdn}, {"flags", "master"}});
  harness->set_leader(false);
  harness->set_leader(true);
  EXPECT_EQ(charm().redis_password(), password);
}

TEST_F(RedisHarnessTest, OnRelationChangedStatusWhenUnitIsLeader) {
  harness->set_leader(true);
  harness->update_relation_data(peer_id, kApp, {{"leader-host", "leader-host"}});
  int rel = harness->add_relation("redis", "wordpress");
  harness->add_relation_unit(rel, "wordpress/0");
  auto data = harness->get_relation_data(rel, "redis-k8s/0");
  EXPECT_EQ(data.at("hostname"), "10.2.1.5");
  EXPECT_EQ(data.at("port"), "6379");
}

TEST_F(RedisHarnessTest, PebbleLayerOnRelationCreated) {
  harness->set_leader(true);
  int rel = harness->add_relation("redis", "wordpress");
  harness->add_relation_unit(rel, "wordpress/0");
  EXPECT_EQ(redis_command(), std::string("redis-server --bind 0.0.0.0 --replica-announce-ip ") +
                                 kFqdn +
                                 " --protected-mode no --logfile "
                                 "/var/log/redis/redis-server.log --appendonly yes --dir "
                                 "/var/lib/redis/");
}

TEST_F(RedisHarnessTest, AttachResourceStoresCertificatesOnUpgrade) {
  add_certificates();
  harness->set_leader(true);
  harness->fire("upgrade_charm");
  auto& pebble = harness->pebble("redis");
  EXPECT_EQ(redis_test::read_host_file(pebble.host_path("/var/lib/redis/redis.crt")), "CERT");
  EXPECT_EQ(redis_test::read_host_file(pebble.host_path("/var/lib/redis/redis.key")), "KEY");
  EXPECT_EQ(redis_test::read_host_file(pebble.host_path("/var/lib/redis/ca.crt")), "CA");
}

TEST_F(RedisHarnessTest, BlockedOnEnableTlsWithNoCertificates) {
  harness->update_config({{"enable-tls", true}});
  EXPECT_EQ(harness->unit_status(), ops::BlockedStatus("Not enough certificates found"));
}

TEST_F(RedisHarnessTest, ActiveOnEnableTlsWithCertificates) {
  redis.set_info_server("localhost", {{"redis_version", "6.0.11"}});
  redis.set_sentinel_master("localhost", kApp, {{"ip", kFqdn}, {"flags", "master"}});
  harness->set_leader(true);
  add_certificates();
  harness->fire("upgrade_charm");
  harness->update_config({{"enable-tls", true}});
  harness->fire("update_status");
  EXPECT_EQ(redis_command(), "redis-server " + flags(*charm().redis_password()) +
                                 " --tls-port 6379 --port 0 --tls-auth-clients optional "
                                 "--tls-cert-file /var/lib/redis/redis.crt --tls-key-file "
                                 "/var/lib/redis/redis.key --tls-ca-cert-file "
                                 "/var/lib/redis/ca.crt");
  EXPECT_EQ(harness->unit_status(), ops::ActiveStatus());
  EXPECT_EQ(harness->app_status(), ops::ActiveStatus());
  EXPECT_EQ(harness->get_workload_version(), "6.0.11");
}

TEST_F(RedisHarnessTest, NonLeaderUnitAsReplica) {
  redis.set_ckquorum("localhost", kApp, true);
  redis.set_sentinel_master("localhost", kApp, {{"ip", "leader-host"}, {"flags", "master"}});
  harness->add_relation_unit(peer_id, "redis-k8s/1");
  harness->update_relation_data(peer_id, kApp, kApplicationData);
  harness->container_pebble_ready("redis");
  EXPECT_EQ(redis_command(), "redis-server " + flags("password") + " --replicaof leader-host 6379");
  EXPECT_EQ(harness->unit_status(), ops::ActiveStatus());
}

TEST_F(RedisHarnessTest, ApplicationDataUpdateAfterFailover) {
  std::map<std::string, std::string> info{{"ip", "different-leader"}, {"flags", "s_down"}};
  redis.set_ckquorum("localhost", kApp, true);
  redis.set_sentinel_master("localhost", kApp, info);
  redis.set_sentinel_master("redis-k8s-1.redis-k8s-endpoints.test-model.svc.cluster.local", kApp,
                            info);
  harness->set_leader(true);
  harness->add_relation_unit(peer_id, "redis-k8s/1");
  harness->update_relation_data(peer_id, kApp, kApplicationData);
  harness->fire("redis_peers_relation_changed",
                redis_test::relation_snapshot("redis-peers", peer_id, kApp, "redis-k8s/1"));
  EXPECT_EQ(harness->get_relation_data(peer_id, kApp).at("leader-host"), "different-leader");

  harness->update_relation_data(peer_id, kApp, kApplicationData);
  harness->fire("upgrade_charm");
  EXPECT_EQ(harness->get_relation_data(peer_id, kApp).at("leader-host"), "different-leader");
}

TEST_F(RedisHarnessTest, ForcedFailoverWhenUnitDepartedIsMaster) {
  const std::string departing = "redis-k8s-1.redis-k8s-endpoints.test-model.svc.cluster.local";
  redis.set_ckquorum("localhost", kApp, true);
  redis.set_sentinel_master("localhost", kApp, {{"ip", departing}, {"flags", "master"}});
  redis.accept_sentinel_writes("localhost", kApp, 1);
  redis.accept_sentinel_writes(kFqdn, kApp, 1);
  redis.accept_sentinel_writes(departing, kApp, 1);
  redis.accept_sentinel_writes(kFqdn, kApp, 2);
  redis.accept_sentinel_writes(departing, kApp, 2);
  harness->set_leader(true);
  harness->update_relation_data(peer_id, kApp, kApplicationData);
  harness->add_relation_unit(peer_id, "redis-k8s/1");
  // The join already made leader-host the departing master. The departure:
  // up to date?, finished?; FAILOVER; one poll sees the promotion running,
  // the next this unit promoted.
  redis.set_sentinel_master_sequence("localhost", kApp,
                                     redis_test::forced_failover_answers(departing, kFqdn, 2));
  redis.clear_sent();
  harness->remove_relation_unit(peer_id, "redis-k8s/1");
  ASSERT_FALSE(redis.sent().empty());
  EXPECT_EQ(redis.sent().back(), (FakeRedisWorkload::SentCommand{
                                     Service::kSentinel, kFqdn, {"SENTINEL", "RESET", kApp}}));
  const std::vector<std::string> master{"SENTINEL", "MASTER", kApp};
  EXPECT_THAT(redis.sent_to(Service::kSentinel, "localhost"),
              ElementsAre(master, master, std::vector<std::string>{"SENTINEL", "FAILOVER", kApp},
                          master, master));
  EXPECT_EQ(harness->get_relation_data(peer_id, kApp).at("leader-host"), kFqdn);
  EXPECT_EQ(clock.sleeps(), std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(250)});
  EXPECT_EQ(harness->unit_status(), ops::ActiveStatus());
}

TEST_F(RedisHarnessTest, ActionsThroughTheHarness) {
  harness->update_relation_data(peer_id, kApp, {{"redis-password", "rpw"}});
  auto output = harness->run_action("get-initial-admin-password");
  EXPECT_EQ(output.results, (nlohmann::json{{"redis-password", "rpw"}}));
  EXPECT_THROW(harness->run_action("get-sentinel-password"), ops::testing::ActionFailed);
  EXPECT_EQ(harness->run_action("check-service").results,
            (nlohmann::json{{"result", "Service is not running"}}));
}

}  // namespace
