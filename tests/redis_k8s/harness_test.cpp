// RedisK8sCharm through ops::testing::Harness, following the reference
// charm's tests/unit/test_charm.py case by case: the Harness's in-memory
// Juju and Pebble, with Redis and Sentinel answered by FakeRedisWorkload.
// Where the reference asserts a command line, we assert the plan and
// redis.conf (no password and no role on a command line: see
// docs/redis-k8s.md).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "redis_k8s/fixture.hpp"

namespace {

using redis_k8s::FakeRedisWorkload;
using redis_k8s::Service;
using redis_test::kApp;
using redis_test::kFqdn;
using ::testing::ElementsAre;
const ops::testing::Databag kApplicationData{{"leader-host", "leader-host"},
                                             {"redis-password", "password"}};

class RedisHarnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    world.addresses = {
        {kFqdn, "10.1.0.10"}, {"leader-host", "10.2.1.5"}, {"different-leader", "10.2.1.6"}};
    harness = redis_test::make_harness(world.make());
    harness->begin();
    peer_id = harness->add_relation("redis-peers", kApp);
  }

  redis_k8s::RedisK8sCharm& charm() { return redis_test::charm_of(*harness); }
  std::string redis_conf() {
    auto& pebble = harness->pebble("redis");
    return redis_test::read_host_file(pebble.host_path("/etc/redis-server/redis.conf"));
  }
  void add_certificates() {
    harness->add_resource("cert-file", "CERT");
    harness->add_resource("key-file", "KEY");
    harness->add_resource("ca-cert-file", "CA");
  }

  redis_test::Collaborators world;
  FakeRedisWorkload& redis = world.redis;
  std::unique_ptr<ops::testing::HarnessBase> harness;
  int peer_id = -1;
};

TEST_F(RedisHarnessTest, OnUpdateStatusSuccessLeader) {
  redis.set_sentinel_master("localhost", kApp, {{"ip", "leader-host"}});
  redis.set_info_server("localhost", {{"redis_version", "6.0.11"}});
  harness->set_leader(true);
  harness->fire<ops::UpdateStatusEvent>();
  EXPECT_EQ(harness->unit_status(), ops::ActiveStatus());
  EXPECT_EQ(harness->app_status(), ops::ActiveStatus());
  EXPECT_EQ(harness->get_workload_version(), "6.0.11");
}

TEST_F(RedisHarnessTest, OnUpdateStatusFailureLeader) {
  harness->set_leader(true);
  harness->fire<ops::UpdateStatusEvent>();
  EXPECT_EQ(harness->unit_status(), ops::WaitingStatus("Waiting for Redis..."));
  EXPECT_EQ(harness->app_status(), ops::WaitingStatus("Waiting for Redis..."));
  EXPECT_EQ(harness->get_workload_version(), std::nullopt);
}

TEST_F(RedisHarnessTest, OnUpdateStatusSuccessNotLeader) {
  redis.set_info_server("localhost", {{"redis_version", "6.0.11"}});
  harness->set_leader(false);
  harness->fire<ops::UpdateStatusEvent>();
  EXPECT_EQ(harness->unit_status(), ops::ActiveStatus());
  EXPECT_EQ(harness->app_status(), ops::UnknownStatus());
  EXPECT_EQ(harness->get_workload_version(), "6.0.11");
}

TEST_F(RedisHarnessTest, OnUpdateStatusFailureNotLeader) {
  harness->set_leader(false);
  harness->fire<ops::UpdateStatusEvent>();
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
  const std::string sentinel_password = *charm().sentinel_password();
  EXPECT_EQ(plan.services.at("redis"),
            redis_test::redis_service(redis_test::normal_conf(password), sentinel_password));
  EXPECT_EQ(redis_conf(), redis_test::normal_conf(password));
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
  EXPECT_EQ(redis_conf(), redis_test::normal_conf(*charm().redis_password()));
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
  EXPECT_EQ(redis_conf(), redis_test::legacy_conf());
}

TEST_F(RedisHarnessTest, AttachResourceStoresCertificatesOnUpgrade) {
  add_certificates();
  harness->set_leader(true);
  harness->fire<ops::UpgradeCharmEvent>();
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
  harness->fire<ops::UpgradeCharmEvent>();
  harness->update_config({{"enable-tls", true}});
  harness->fire<ops::UpdateStatusEvent>();
  const std::string base = redis_test::normal_conf(*charm().redis_password());
  EXPECT_EQ(redis_conf(), base.substr(0, base.size() - std::string("port 6379\n").size()) +
                              "tls-port 6379\nport 0\ntls-auth-clients optional\n"
                              "tls-cert-file /var/lib/redis/redis.crt\n"
                              "tls-key-file /var/lib/redis/redis.key\n"
                              "tls-ca-cert-file /var/lib/redis/ca.crt\ntls-replication yes\n");
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
  // The role is not in the plan: the start script asks Sentinel, with
  // leader-host as its fallback.
  EXPECT_EQ(harness->get_container_pebble_plan("redis").services.at("redis"),
            redis_test::redis_service(redis_test::normal_conf("password"), ""));
  auto& pebble = harness->pebble("redis");
  EXPECT_EQ(redis_test::read_host_file(pebble.host_path("/etc/redis-server/start-redis.sh")),
            redis_k8s::redis_start_script(
                {.app_name = kApp, .fqdn = kFqdn, .current_master = "leader-host"}));
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
  harness->update_relation_data(peer_id, "redis-k8s/1", {{"ready", "yes"}});
  EXPECT_EQ(harness->get_relation_data(peer_id, kApp).at("leader-host"), "different-leader");

  harness->update_relation_data(peer_id, kApp, kApplicationData);
  harness->fire<ops::UpgradeCharmEvent>();
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
  // up to date?, finished?, the handover's look; writes paused on the
  // departing master, replicas caught up; FAILOVER; one poll sees the
  // promotion running, the next this unit promoted.
  redis.set_sentinel_master_sequence("localhost", kApp,
                                     redis_test::forced_failover_answers(departing, kFqdn, 4));
  redis.set_default_reply(Service::kRedis, departing, redis_k8s::RedisReply::status("OK"));
  redis.set_info_replication_sequence(departing, {{7, {7}}});
  redis.clear_sent();
  harness->remove_relation_unit(peer_id, "redis-k8s/1");
  ASSERT_FALSE(redis.sent().empty());
  EXPECT_EQ(redis.sent().back(), (FakeRedisWorkload::SentCommand{
                                     Service::kSentinel, kFqdn, {"SENTINEL", "RESET", kApp}}));
  const std::vector<std::string> master{"SENTINEL", "MASTER", kApp};
  EXPECT_THAT(
      redis.sent_to(Service::kSentinel, "localhost"),
      ElementsAre(master, master, master, std::vector<std::string>{"SENTINEL", "REPLICAS", kApp},
                  master, std::vector<std::string>{"SENTINEL", "FAILOVER", kApp}, master, master));
  EXPECT_THAT(redis.sent_to(Service::kRedis, departing),
              ElementsAre(std::vector<std::string>{"CLIENT", "PAUSE", "15000", "WRITE"},
                          std::vector<std::string>{"INFO", "replication"},
                          std::vector<std::string>{"REPLICAOF", kFqdn, "6379"},
                          std::vector<std::string>{"CLIENT", "UNPAUSE"}));
  EXPECT_EQ(harness->get_relation_data(peer_id, kApp).at("leader-host"), kFqdn);
  EXPECT_EQ(world.clock.sleeps(),
            std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(250)});
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
