// RedisK8sCharm through ops::testing::Harness, one event at a time: the
// behaviours of the reference charm's unit tests, the fixes listed in
// docs/redis-k8s.md, the high-availability rules (handover, leader-host,
// role) with exact Redis and Sentinel command sequences, and the actions.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "redis_k8s/fixture.hpp"

namespace {

using redis_k8s::FakeRedisWorkload;
using redis_k8s::Service;
using redis_test::kApp;
using redis_test::kFqdn;
using redis_test::kOwnIp;
using redis_test::kPeerFqdn;
using redis_test::kThirdFqdn;
using ::testing::Contains;
using ::testing::ElementsAre;
using Cmd = FakeRedisWorkload::SentCommand;
using Info = std::map<std::string, std::string>;

const std::vector<std::string> kChown{"chown", "-R", "redis:redis", "/var/lib/redis/"};

class RedisCharmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    harness = redis_test::make_harness(world.make());
    peer_id = harness->add_relation("redis-peers", kApp);
  }

  // Sets the peer app bag (before begin(): silently).
  void set_app_bag(const ops::testing::Databag& bag) {
    auto off = harness->hooks_disabled();
    harness->update_relation_data(peer_id, kApp, bag);
  }
  ops::testing::Databag app_bag() { return harness->get_relation_data(peer_id, kApp); }
  ops::testing::FakePebble& redis_pebble() { return harness->pebble("redis"); }
  ops::testing::FakePebble& sentinel_pebble() { return harness->pebble("sentinel"); }
  std::string redis_file(const std::string& path) {
    return redis_test::read_host_file(redis_pebble().host_path(path));
  }
  int redis_file_mode(const std::string& path) {
    return redis_test::host_file_mode(redis_pebble().host_path(path));
  }
  ops::pebble::Service redis_service() {
    return harness->get_container_pebble_plan("redis").services.at("redis");
  }
  bool logged(const std::string& level, const std::string& message) {
    const auto& lines = harness->juju_log();
    return std::find(lines.begin(), lines.end(), ops::testing::JujuLogLine{level, message}) !=
           lines.end();
  }
  void attach_certificates() {
    harness->add_resource("cert-file", "CERT");
    harness->add_resource("key-file", "KEY");
    harness->add_resource("ca-cert-file", "CA");
  }
  ops::RelationDepartedEvent::Args departed_args(const std::string& remote,
                                                 const std::string& departing) {
    return {.relation_name = "redis-peers",
            .relation_id = peer_id,
            .app_name = kApp,
            .unit_name = remote,
            .departing_unit = departing};
  }

  redis_test::Collaborators world;
  FakeRedisWorkload& redis = world.redis;
  std::unique_ptr<ops::testing::HarnessBase> harness;
  int peer_id = -1;
};

// ---- update-status ------------------------------------------------------------

TEST_F(RedisCharmTest, UpdateStatusAsLeaderWithRedisUp) {
  harness->set_leader(true);
  set_app_bag({{"leader-host", "leader-host"}, {"redis-password", "password"}});
  harness->begin();
  redis.set_info_server("localhost", {{"redis_version", "6.0.11"}});
  redis.set_sentinel_master("localhost", kApp, {{"ip", "leader-host"}, {"flags", "master"}});
  harness->fire<ops::UpdateStatusEvent>();
  EXPECT_EQ(harness->unit_status(), ops::ActiveStatus());
  EXPECT_EQ(harness->app_status(), ops::ActiveStatus());
  EXPECT_EQ(harness->get_workload_version(), "6.0.11");
  EXPECT_EQ(app_bag().at("leader-host"), "leader-host");
}

TEST_F(RedisCharmTest, UpdateStatusAsLeaderWithRedisDown) {
  harness->set_leader(true);
  harness->begin();
  harness->fire<ops::UpdateStatusEvent>();
  EXPECT_EQ(harness->unit_status(), ops::WaitingStatus("Waiting for Redis..."));
  EXPECT_EQ(harness->app_status(), ops::WaitingStatus("Waiting for Redis..."));
  EXPECT_EQ(harness->get_workload_version(), std::nullopt);
}

TEST_F(RedisCharmTest, UpdateStatusAsNonLeaderWithRedisUp) {
  harness->begin();
  redis.set_info_server("localhost", {{"redis_version", "6.0.11"}});
  harness->fire<ops::UpdateStatusEvent>();
  EXPECT_EQ(harness->unit_status(), ops::ActiveStatus());
  EXPECT_EQ(harness->app_status(), ops::UnknownStatus());
  EXPECT_EQ(harness->get_workload_version(), "6.0.11");
  // A non-leader never asks Sentinel about the master.
  EXPECT_THAT(redis.sent_to(Service::kSentinel, "localhost"), ElementsAre());
}

TEST_F(RedisCharmTest, UpdateStatusAsNonLeaderWithRedisDown) {
  harness->begin();
  harness->fire<ops::UpdateStatusEvent>();
  EXPECT_EQ(harness->unit_status(), ops::WaitingStatus("Waiting for Redis..."));
  EXPECT_EQ(harness->app_status(), ops::UnknownStatus());
  EXPECT_EQ(harness->get_workload_version(), std::nullopt);
}

// ---- config-changed: the plan, the files, the storage ownership ------------------

TEST_F(RedisCharmTest, ConfigChangedAsLeaderWritesTheExactPlanAndFilesAndRestarts) {
  harness->set_leader(true);
  set_app_bag({{"redis-password", "test-password"},
               {"sentinel-password", "sentinel-pw"},
               {"leader-host", kFqdn}});
  harness->begin();
  redis.set_info_server("localhost", {{"redis_version", "6.0.11"}});
  harness->update_config({{"enable-tls", false}});

  ops::pebble::Plan plan = harness->get_container_pebble_plan("redis");
  ASSERT_EQ(plan.services.size(), 2u);
  // Fix (issue 16): no password on any command line; redis.conf holds it.
  EXPECT_EQ(plan.services.at("redis"),
            redis_test::redis_service(redis_test::normal_conf("test-password"), "sentinel-pw"));
  EXPECT_EQ(plan.services.at("redis_exporter"),
            (ops::pebble::Service{.summary = "Redis metric exporter",
                                  .override = "replace",
                                  .command = "bin/redis_exporter",
                                  .startup = "enabled",
                                  .environment = {{"REDIS_PASSWORD", "test-password"}},
                                  .user = "redis",
                                  .group = "redis"}));
  EXPECT_EQ(redis_file("/etc/redis-server/redis.conf"),
            "requirepass test-password\n"
            "bind 0.0.0.0\n"
            "masterauth test-password\n"
            "replica-announce-ip " +
                std::string(kFqdn) +
                "\n"
                "logfile \"\"\n"
                "appendonly yes\n"
                "dir /var/lib/redis/\n"
                "port 6379\n");
  EXPECT_EQ(redis_file_mode("/etc/redis-server/redis.conf"), 0600);
  EXPECT_EQ(redis_file_mode("/etc/redis-server"), 0750);
  EXPECT_EQ(
      redis_file("/etc/redis-server/start-redis.sh"),
      redis_k8s::redis_start_script({.app_name = kApp, .fqdn = kFqdn, .current_master = kFqdn}));
  EXPECT_EQ(redis_file_mode("/etc/redis-server/start-redis.sh"), 0750);
  // The storage did not exist: made 0770 (owned by redis), no chown needed.
  EXPECT_EQ(redis_file_mode("/var/lib/redis"), 0770);
  EXPECT_TRUE(redis_pebble().exec_history().empty());
  EXPECT_THAT(redis_test::change_kinds(redis_pebble()), ElementsAre("restart"));
  EXPECT_EQ(redis_pebble().service_status("redis"), ops::pebble::ServiceStatus::kActive);
  EXPECT_EQ(redis_pebble().service_status("redis_exporter"), ops::pebble::ServiceStatus::kActive);

  // The sentinel layer and its configuration file.
  EXPECT_EQ(harness->get_container_pebble_plan("sentinel").services.at("sentinel").command,
            "redis-server /etc/redis-server/sentinel.conf --sentinel");
  auto& sentinel = sentinel_pebble();
  EXPECT_EQ(redis_test::read_host_file(sentinel.host_path("/etc/redis-server/sentinel.conf")),
            std::string("port 26379\n") + "sentinel monitor redis-k8s " + kFqdn +
                " 6379 1\n"
                "sentinel down-after-milliseconds redis-k8s 5000\n"
                "sentinel failover-timeout redis-k8s 30000\n"
                "sentinel parallel-syncs redis-k8s 1\n"
                "sentinel auth-pass redis-k8s test-password\n"
                "requirepass sentinel-pw\n"
                "sentinel announce-hostnames yes\n"
                "sentinel resolve-hostnames yes\n"
                "sentinel announce-ip " +
                kFqdn + "\nreplica-announce-ip " + kFqdn + "\n");
  EXPECT_EQ(redis_test::host_file_mode(sentinel.host_path("/etc/redis-server/sentinel.conf")),
            0660);
  EXPECT_EQ(redis_test::host_file_mode(sentinel.host_path("/etc/redis-server")), 0750);
  EXPECT_THAT(redis_test::change_kinds(sentinel), ElementsAre("restart"));

  EXPECT_EQ(harness->unit_status(), ops::ActiveStatus());
  EXPECT_EQ(harness->app_status(), ops::ActiveStatus());
  EXPECT_EQ(harness->get_workload_version(), "6.0.11");
  EXPECT_TRUE(redis_test::deferred(*harness).empty());
}

TEST_F(RedisCharmTest, ExistingStorageIsChownedToRedisBeforeEveryStart) {
  harness->set_leader(true);
  set_app_bag({{"redis-password", "pw"}, {"leader-host", kFqdn}});
  harness->begin();
  harness->update_config();  // makes /var/lib/redis
  harness->update_config({{"enable-tls", false}});
  ASSERT_EQ(redis_pebble().exec_history().size(), 1u);
  const auto& exec = redis_pebble().exec_history()[0];
  EXPECT_EQ(exec.container, "redis");
  EXPECT_EQ(exec.command, kChown);
  EXPECT_EQ(exec.user, std::nullopt);  // as root, Pebble's default
}

TEST_F(RedisCharmTest, AFailingChownIsLoggedAtErrorAndNotFatal) {
  harness->set_leader(true);
  set_app_bag({{"redis-password", "pw"}, {"leader-host", kFqdn}});
  harness->handle_exec("redis", {"chown"},
                       ops::testing::ExecResult{.exit_code = 1, .stderr_text = "read-only"});
  harness->begin();
  harness->update_config();
  harness->update_config({{"enable-tls", false}});
  EXPECT_TRUE(logged("ERROR", "Cannot take ownership of /var/lib/redis/: exit code 1, read-only"));
  EXPECT_EQ(redis_pebble().service_status("redis"), ops::pebble::ServiceStatus::kActive);
}

TEST_F(RedisCharmTest, ConfigChangedWithRedisDownLeavesServicesRunningAndWaits) {
  harness->set_leader(true);
  set_app_bag({{"redis-password", "test-password"}, {"leader-host", kFqdn}});
  harness->begin();
  harness->update_config();
  EXPECT_EQ(redis_service(),
            redis_test::redis_service(redis_test::normal_conf("test-password"), ""));
  EXPECT_EQ(redis_pebble().service_status("redis"), ops::pebble::ServiceStatus::kActive);
  EXPECT_EQ(harness->unit_status(), ops::WaitingStatus("Waiting for Redis..."));
  EXPECT_EQ(harness->app_status(), ops::WaitingStatus("Waiting for Redis..."));
}

TEST_F(RedisCharmTest, ConfigChangedWithoutPebbleWaitsAndDefers) {
  harness->set_leader(true);
  set_app_bag({{"redis-password", "test-password"}, {"leader-host", kFqdn}});
  harness->set_can_connect("redis", false);
  harness->set_can_connect("sentinel", false);
  harness->begin();
  harness->update_config();
  EXPECT_TRUE(redis_pebble().layers().empty());
  EXPECT_EQ(harness->unit_status(), ops::WaitingStatus("Waiting for Pebble in sentinel container"));
  EXPECT_EQ(harness->app_status(), ops::UnknownStatus());
  EXPECT_EQ(harness->get_workload_version(), std::nullopt);
  EXPECT_THAT(redis_test::deferred(*harness),
              ElementsAre("RedisK8sCharm/on/config_changed[1] on_config_changed"));
}

TEST_F(RedisCharmTest, ConfigChangedWithAnUnchangedPlanDoesNotRestart) {
  harness->set_leader(true);
  set_app_bag({{"redis-password", "test-password"}, {"leader-host", kFqdn}});
  harness->begin();
  redis.set_info_server("localhost", {{"redis_version", "7.0.15"}});
  harness->update_config();
  harness->update_config({{"enable-tls", false}});
  EXPECT_THAT(redis_test::change_kinds(redis_pebble()), ElementsAre("restart"));
  EXPECT_EQ(harness->unit_status(), ops::ActiveStatus());
}

TEST_F(RedisCharmTest, AChangedPasswordRestartsRedis) {
  harness->set_leader(true);
  set_app_bag({{"redis-password", "one"}, {"leader-host", kFqdn}});
  harness->begin();
  harness->update_config();
  set_app_bag({{"redis-password", "two"}});
  harness->update_config({{"enable-tls", false}});
  EXPECT_EQ(redis_file("/etc/redis-server/redis.conf"), redis_test::normal_conf("two"));
  EXPECT_EQ(redis_service(), redis_test::redis_service(redis_test::normal_conf("two"), ""));
  EXPECT_THAT(redis_test::change_kinds(redis_pebble()), ElementsAre("restart", "restart"));
}

// ---- passwords and leadership ---------------------------------------------------

TEST_F(RedisCharmTest, LeaderElectedGeneratesPasswordsOnceAndKeepsThem) {
  harness->begin();
  harness->set_leader(true);
  // The injected random source counts 0, 1, 2...: each byte picks one of
  // A-Z a-z 0-9 in order.
  EXPECT_EQ(app_bag().at("redis-password"), "ABCDEFGHIJKLMNOP");
  EXPECT_EQ(app_bag().at("sentinel-password"), "ghijklmnopqrstuv");
  EXPECT_EQ(app_bag().at("leader-host"), kFqdn);

  // Re-election (leader-host set): passwords stay, Sentinel is consulted.
  redis.set_sentinel_master("localhost", kApp, {{"ip", kFqdn}, {"flags", "master"}});
  redis.accept_sentinel_writes(kFqdn, kApp, 1);
  harness->set_leader(false);
  harness->set_leader(true);
  EXPECT_EQ(app_bag().at("redis-password"), "ABCDEFGHIJKLMNOP");
  EXPECT_EQ(app_bag().at("sentinel-password"), "ghijklmnopqrstuv");
  EXPECT_THAT(redis.sent_to(Service::kSentinel, kFqdn),
              ElementsAre(std::vector<std::string>{"SENTINEL", "SET", kApp, "quorum", "1"},
                          std::vector<std::string>{"SENTINEL", "RESET", kApp}));
}

TEST_F(RedisCharmTest, GeneratedPasswordIsSixteenAlphanumericsFromTheRealRng) {
  EXPECT_THAT(redis_k8s::generate_password(), ::testing::MatchesRegex("[A-Za-z0-9]{16}"));
}

// ---- the redis relation ---------------------------------------------------------

TEST_F(RedisCharmTest, RedisRelationChangedPublishesMasterAddressAndPort) {
  harness->set_leader(true);
  set_app_bag({{"leader-host", "leader-host"}, {"redis-password", "password"}});
  int rel = harness->add_relation("redis", "wordpress");
  // An auth-capable requirer (else legacy: auth off and no password published).
  harness->update_relation_data(rel, "wordpress", {{"auth-capable", "true"}});
  harness->add_relation_unit(rel, "wordpress/0");
  harness->begin();
  harness->update_relation_data(rel, "wordpress/0", {{"ready", "yes"}});
  EXPECT_EQ(harness->get_relation_data(rel, "redis-k8s/0"),
            (ops::testing::Databag{{"hostname", "10.1.0.20"},
                                   {"host", "10.1.0.20"},
                                   {"port", "6379"},
                                   {"password", "password"}}));
}

TEST_F(RedisCharmTest, LegacyRequirerSwitchesToTheLegacyConfiguration) {
  harness->set_leader(true);
  set_app_bag({{"leader-host", kFqdn}});
  harness->begin();
  int rel = harness->add_relation("redis", "wordpress");
  EXPECT_FALSE(app_bag().contains("enable-password"));  // undecided until a unit joins
  harness->add_relation_unit(rel, "wordpress/0");       // without `auth-capable`: legacy
  EXPECT_EQ(app_bag().at("enable-password"), "false");
  EXPECT_EQ(harness->get_relation_data(rel, kApp).at("leader-host"), kFqdn);
  EXPECT_EQ(redis_file("/etc/redis-server/redis.conf"),
            "bind 0.0.0.0\n"
            "replica-announce-ip " +
                std::string(kFqdn) +
                "\n"
                "protected-mode no\n"
                "logfile \"\"\n"
                "appendonly yes\n"
                "dir /var/lib/redis/\n"
                "port 6379\n");
  EXPECT_EQ(redis_service(), redis_test::redis_service(redis_test::legacy_conf(), ""));
  EXPECT_EQ(harness->get_container_pebble_plan("redis")
                .services.at("redis_exporter")
                .environment.at("REDIS_PASSWORD"),
            "");
  EXPECT_EQ(harness->unit_status(), ops::ActiveStatus());
}

// ---- TLS ----------------------------------------------------------------------

TEST_F(RedisCharmTest, UpgradeCharmStoresAttachedCertificates) {
  harness->set_leader(true);
  attach_certificates();
  harness->begin();
  harness->fire<ops::UpgradeCharmEvent>();
  EXPECT_EQ(redis_file("/var/lib/redis/redis.crt"), "CERT");
  EXPECT_EQ(redis_file("/var/lib/redis/redis.key"), "KEY");
  EXPECT_EQ(redis_file("/var/lib/redis/ca.crt"), "CA");
  EXPECT_EQ(redis_file_mode("/var/lib/redis/redis.key"), 0600);
  // A single unit is the master.
  EXPECT_EQ(app_bag().at("leader-host"), kFqdn);
}

TEST_F(RedisCharmTest, UpgradeCharmWithoutResourcesStoresNothing) {
  harness->set_leader(true);
  harness->begin();
  harness->fire<ops::UpgradeCharmEvent>();
  EXPECT_FALSE(std::filesystem::exists(redis_pebble().host_path("/var/lib/redis/redis.crt")));
  EXPECT_FALSE(std::filesystem::exists(redis_pebble().host_path("/var/lib/redis/redis.key")));
}

TEST_F(RedisCharmTest, EnableTlsWithoutCertificatesBlocks) {
  harness->begin();
  harness->update_config({{"enable-tls", true}});
  EXPECT_EQ(harness->unit_status(), ops::BlockedStatus("Not enough certificates found"));
  EXPECT_TRUE(redis_pebble().layers().empty());
  EXPECT_TRUE(redis_test::deferred(*harness).empty());
}

TEST_F(RedisCharmTest, EnableTlsWithCertificatesServesTls) {
  harness->set_leader(true);
  set_app_bag({{"redis-password", "pw"}, {"leader-host", kFqdn}});
  attach_certificates();
  harness->begin();
  redis.set_info_server("localhost", {{"redis_version", "6.0.11"}});
  harness->fire<ops::UpgradeCharmEvent>();
  harness->update_config({{"enable-tls", true}});
  const std::string conf =
      "requirepass pw\nbind 0.0.0.0\nmasterauth pw\nreplica-announce-ip " + std::string(kFqdn) +
      "\nlogfile \"\"\nappendonly yes\ndir /var/lib/redis/\n"
      "tls-port 6379\nport 0\ntls-auth-clients optional\n"
      "tls-cert-file /var/lib/redis/redis.crt\ntls-key-file /var/lib/redis/redis.key\n"
      "tls-ca-cert-file /var/lib/redis/ca.crt\ntls-replication yes\n";
  EXPECT_EQ(redis_file("/etc/redis-server/redis.conf"), conf);
  EXPECT_EQ(redis_service(), redis_test::redis_service(conf, ""));
  EXPECT_EQ(harness->unit_status(), ops::ActiveStatus());
  EXPECT_EQ(harness->app_status(), ops::ActiveStatus());
  EXPECT_EQ(harness->get_workload_version(), "6.0.11");
}

TEST_F(RedisCharmTest, EnableTlsPutsSentinelOnTlsWithItsOwnCopiesOfTheCertificates) {
  harness->set_leader(true);
  set_app_bag({{"redis-password", "pw"}, {"sentinel-password", "spw"}, {"leader-host", kFqdn}});
  attach_certificates();
  harness->begin();
  redis.set_info_server("localhost", {{"redis_version", "6.0.11"}});
  harness->update_config({{"enable-tls", true}});
  auto sentinel_file = [&](const std::string& path) {
    return redis_test::read_host_file(sentinel_pebble().host_path(path));
  };
  EXPECT_EQ(sentinel_file("/etc/redis-server/redis.crt"), "CERT");
  EXPECT_EQ(sentinel_file("/etc/redis-server/redis.key"), "KEY");
  EXPECT_EQ(sentinel_file("/etc/redis-server/ca.crt"), "CA");
  EXPECT_EQ(redis_test::host_file_mode(sentinel_pebble().host_path("/etc/redis-server/redis.key")),
            0600);
  EXPECT_EQ(sentinel_file("/etc/redis-server/sentinel.conf"),
            redis_k8s::sentinel_conf({.app_name = kApp,
                                      .current_master = kFqdn,
                                      .quorum = 1,
                                      .redis_password = std::string("pw"),
                                      .sentinel_password = "spw",
                                      .fqdn = kFqdn,
                                      .tls = true}));
  EXPECT_EQ(sentinel_file("/etc/redis-server/sentinel.conf").substr(0, 22),
            "port 0\ntls-port 26379\n");
  // The start script asks its Sentinel over TLS.
  EXPECT_EQ(redis_file("/etc/redis-server/start-redis.sh"),
            redis_k8s::redis_start_script(
                {.app_name = kApp, .fqdn = kFqdn, .current_master = kFqdn, .tls = true}));
}

// ---- replication: the role is not in the plan --------------------------------------

TEST_F(RedisCharmTest, AReplicaHasTheSamePlanAsTheMasterAndAStartScriptNamingIt) {
  set_app_bag({{"leader-host", "leader-host"}, {"redis-password", "password"}});
  harness->add_relation_unit(peer_id, "redis-k8s/1");
  harness->begin();
  harness->container_pebble_ready("redis");
  EXPECT_EQ(redis_service(), redis_test::redis_service(redis_test::normal_conf("password"), ""));
  // The script itself is run in tests/redis_client (StartScriptTest): here,
  // that it names this unit and falls back to leader-host.
  EXPECT_EQ(redis_file("/etc/redis-server/start-redis.sh"),
            redis_k8s::redis_start_script(
                {.app_name = kApp, .fqdn = kFqdn, .current_master = "leader-host"}));
  EXPECT_THAT(redis_file("/etc/redis-server/start-redis.sh"),
              ::testing::HasSubstr("host='leader-host'; port=6379; break ;;"));
  EXPECT_EQ(harness->unit_status(), ops::ActiveStatus());
}

TEST_F(RedisCharmTest, ANewMasterNeedsNoRestartOnPeerChanged) {
  // Legacy mode makes peer relation-changed update the layer: it must not
  // restart Redis when only leader-host changed.
  set_app_bag({{"leader-host", kFqdn}, {"enable-password", "false"}});
  harness->add_relation_unit(peer_id, "redis-k8s/1");
  harness->begin();
  harness->container_pebble_ready("redis");
  ASSERT_THAT(redis_test::change_kinds(redis_pebble()), ElementsAre("restart"));
  redis.set_sentinel_master("localhost", kApp,
                            {{"ip", kPeerFqdn}, {"port", "6379"}, {"flags", "master"}});
  redis.set_role("localhost", "slave", kPeerFqdn);
  redis.clear_sent();
  harness->update_relation_data(peer_id, kApp, {{"leader-host", kPeerFqdn}});
  EXPECT_THAT(redis_test::change_kinds(redis_pebble()), ElementsAre("restart"));
  EXPECT_EQ(redis.sent(),
            (std::vector<Cmd>{{Service::kSentinel, "localhost", {"SENTINEL", "MASTER", kApp}},
                              {Service::kRedis, "localhost", {"ROLE"}}}));
  // The start script's fallback follows leader-host (no restart needed for it).
  EXPECT_THAT(redis_file("/etc/redis-server/start-redis.sh"),
              ::testing::HasSubstr(std::string("host='") + kPeerFqdn + "'; port=6379"));
}

TEST_F(RedisCharmTest, AStrayMasterIsMadeAReplicaWithReplicaofNotARestart) {
  set_app_bag({{"leader-host", kFqdn}, {"redis-password", "pw"}});
  harness->add_relation_unit(peer_id, "redis-k8s/1");
  harness->begin();
  harness->container_pebble_ready("redis");
  redis.set_sentinel_master("localhost", kApp,
                            {{"ip", kPeerFqdn}, {"port", "6379"}, {"flags", "master"}});
  redis.set_role("localhost", "master");
  redis.set_reply(Service::kRedis, "localhost", {"REPLICAOF", kPeerFqdn, "6379"},
                  redis_k8s::RedisReply::status("OK"));
  redis.clear_sent();
  harness->update_relation_data(peer_id, kApp, {{"leader-host", kPeerFqdn}});
  EXPECT_EQ(redis.sent(),
            (std::vector<Cmd>{{Service::kSentinel, "localhost", {"SENTINEL", "MASTER", kApp}},
                              {Service::kRedis, "localhost", {"ROLE"}},
                              {Service::kRedis, "localhost", {"REPLICAOF", kPeerFqdn, "6379"}}}));
  EXPECT_THAT(redis_test::change_kinds(redis_pebble()), ElementsAre("restart"));
  EXPECT_TRUE(logged("WARNING", std::string("Redis ran as a master while ") + kPeerFqdn +
                                    " is the master: made it a replica (REPLICAOF, no restart)"));
}

TEST_F(RedisCharmTest, TheMasterNamedByLeaderHostIsNeverTouched) {
  set_app_bag({{"leader-host", kPeerFqdn}, {"redis-password", "pw"}});
  harness->add_relation_unit(peer_id, "redis-k8s/1");
  harness->begin();
  redis.set_sentinel_master("localhost", kApp, {{"ip", kFqdn}, {"flags", "master"}});
  redis.clear_sent();
  // leader-host now names this unit, as Sentinel does: no REPLICAOF NO ONE
  // (promotion is Sentinel's), no ROLE question.
  harness->update_relation_data(peer_id, kApp, {{"leader-host", kFqdn}});
  EXPECT_EQ(redis.sent(),
            (std::vector<Cmd>{{Service::kSentinel, "localhost", {"SENTINEL", "MASTER", kApp}}}));
}

// ---- leader-host follows the master everywhere ---------------------------------------

TEST_F(RedisCharmTest, ANewMasterReachesEveryRedisRelationsAppAndUnitBags) {
  harness->set_leader(true);
  set_app_bag({{"leader-host", "leader-host"}, {"redis-password", "password"}});
  harness->add_relation_unit(peer_id, "redis-k8s/1");
  int first = harness->add_relation("redis", "wordpress");
  int second = harness->add_relation("redis", "worker");
  harness->begin();
  redis.set_sentinel_master("localhost", kApp, {{"ip", "different-leader"}, {"flags", "master"}});
  redis.set_info_server("localhost", {{"redis_version", "7.0.15"}});
  harness->fire<ops::UpdateStatusEvent>();
  EXPECT_EQ(app_bag().at("leader-host"), "different-leader");
  for (int rel : {first, second}) {
    EXPECT_EQ(harness->get_relation_data(rel, kApp).at("leader-host"), "different-leader");
    EXPECT_EQ(harness->get_relation_data(rel, "redis-k8s/0"),
              (ops::testing::Databag{{"hostname", "10.1.0.30"}, {"host", "10.1.0.30"}}));
  }
}

TEST_F(RedisCharmTest, ApplicationMasterFollowsSentinelAfterAFailover) {
  harness->set_leader(true);
  set_app_bag({{"leader-host", "leader-host"}, {"redis-password", "password"}});
  harness->add_relation_unit(peer_id, "redis-k8s/1");
  harness->begin();
  Info failed_over{{"ip", "different-leader"}, {"flags", "s_down"}};
  redis.set_sentinel_master("localhost", kApp, failed_over);
  redis.set_ckquorum("localhost", kApp, true);
  redis.accept_sentinel_writes(kFqdn, kApp, 1);
  redis.accept_sentinel_writes(kPeerFqdn, kApp, 1);
  harness->update_relation_data(peer_id, "redis-k8s/1", {{"ready", "yes"}});
  EXPECT_EQ(app_bag().at("leader-host"), "different-leader");
  EXPECT_EQ(harness->unit_status(), ops::ActiveStatus());

  // A pod reschedule (upgrade-charm) also picks up the new master, asking a peer's Sentinel.
  set_app_bag({{"leader-host", "leader-host"}});
  redis.set_sentinel_master(kPeerFqdn, kApp, failed_over);
  harness->fire<ops::UpgradeCharmEvent>();
  EXPECT_EQ(app_bag().at("leader-host"), "different-leader");
}

TEST_F(RedisCharmTest, PeerJoinWithoutMajorityWaitsAndDefers) {
  harness->set_leader(true);
  set_app_bag({{"leader-host", kFqdn}, {"redis-password", "password"}});
  harness->add_relation_unit(peer_id, "redis-k8s/1");
  harness->begin();
  redis.set_sentinel_master("localhost", kApp, {{"ip", kFqdn}, {"flags", "master"}});
  redis.set_ckquorum("localhost", kApp, false, 1);
  harness->update_relation_data(peer_id, "redis-k8s/1", {{"ready", "yes"}});
  EXPECT_EQ(harness->unit_status(), ops::WaitingStatus("Waiting for majority"));
  EXPECT_EQ(redis_test::deferred(*harness).size(), 1u);
}

TEST_F(RedisCharmTest, PeerChangedRepublishesAddressAndClearsUpgrading) {
  set_app_bag({{"leader-host", kFqdn}, {"redis-password", "password"}});
  {
    auto off = harness->hooks_disabled();
    harness->update_relation_data(peer_id, "redis-k8s/0", {{"upgrading", "true"}});
  }
  int rel = harness->add_relation("redis", "wordpress");
  harness->add_relation_unit(rel, "wordpress/0");
  harness->begin();
  redis.set_sentinel_master("localhost", kApp, {{"ip", kFqdn}, {"flags", "master"}});
  harness->update_relation_data(peer_id, kApp, {{"redis-password", "password2"}});
  EXPECT_EQ(harness->get_relation_data(rel, "redis-k8s/0").at("hostname"), kOwnIp);
  EXPECT_EQ(harness->get_relation_data(rel, "redis-k8s/0").at("host"), kOwnIp);
  EXPECT_EQ(harness->get_relation_data(peer_id, "redis-k8s/0").count("upgrading"), 0u);
}

TEST_F(RedisCharmTest, NonLeaderUpgradeWithClientsAsksTheLeaderToRefresh) {
  set_app_bag({{"leader-host", kPeerFqdn}, {"redis-password", "password"}});
  harness->add_relation_unit(peer_id, "redis-k8s/1");
  harness->add_relation("redis", "wordpress");
  harness->begin();
  redis.set_sentinel_master(kPeerFqdn, kApp, {{"ip", kPeerFqdn}, {"flags", "master"}});
  harness->fire<ops::UpgradeCharmEvent>();
  EXPECT_EQ(harness->get_relation_data(peer_id, "redis-k8s/0").at("upgrading"), "true");
}

// ---- crash safety ---------------------------------------------------------------------

TEST_F(RedisCharmTest, FixRetryAfterAKillBetweenStopAndStartLeavesServicesRunning) {
  harness->set_leader(true);
  set_app_bag({{"redis-password", "pw"}, {"leader-host", kFqdn}});
  harness->begin();
  redis.set_info_server("localhost", {{"redis_version", "7.0.15"}});
  harness->update_config();
  // The dispatch that restarted the services was killed after stopping them:
  // the plan is already current, the services are down.
  for (const char* s : {"redis", "redis_exporter"}) {
    redis_pebble().set_service_status(s, ops::pebble::ServiceStatus::kInactive);
  }
  sentinel_pebble().set_service_status("sentinel", ops::pebble::ServiceStatus::kInactive);
  harness->update_config({{"enable-tls", false}});
  EXPECT_EQ(redis_pebble().service_status("redis"), ops::pebble::ServiceStatus::kActive);
  EXPECT_EQ(redis_pebble().service_status("redis_exporter"), ops::pebble::ServiceStatus::kActive);
  EXPECT_EQ(sentinel_pebble().service_status("sentinel"), ops::pebble::ServiceStatus::kActive);
  EXPECT_THAT(redis_test::change_kinds(redis_pebble()), ElementsAre("restart", "start"));
  EXPECT_TRUE(logged("WARNING",
                     "Started stopped services with a current plan: redis, "
                     "redis_exporter"));
}

// ---- departure of a replica ----------------------------------------------------------

TEST_F(RedisCharmTest, DepartingReplicaNeedsNoFailover) {
  harness->set_leader(true);
  set_app_bag({{"leader-host", kFqdn}, {"redis-password", "password"}});
  harness->add_relation_unit(peer_id, "redis-k8s/1");
  harness->begin();
  redis.set_sentinel_master("localhost", kApp, {{"ip", kFqdn}, {"flags", "master"}});
  redis.accept_sentinel_writes(kFqdn, kApp, 1);
  harness->remove_relation_unit(peer_id, "redis-k8s/1");
  EXPECT_EQ(redis.sent(),
            (std::vector<Cmd>{{Service::kSentinel, "localhost", {"SENTINEL", "MASTER", kApp}},
                              {Service::kSentinel, kFqdn, {"SENTINEL", "SET", kApp, "quorum", "1"}},
                              {Service::kSentinel, "localhost", {"SENTINEL", "MASTER", kApp}},
                              {Service::kSentinel, kFqdn, {"SENTINEL", "RESET", kApp}}}));
  EXPECT_EQ(harness->unit_status(), ops::ActiveStatus());
}

TEST_F(RedisCharmTest, FixUnfinishedFailoverOnDepartureSetsWaitingAndDefers) {
  harness->set_leader(true);
  set_app_bag({{"leader-host", kFqdn}, {"redis-password", "password"}});
  harness->add_relation_unit(peer_id, "redis-k8s/1");
  harness->begin();
  redis.set_sentinel_master("localhost", kApp,
                            {{"ip", kFqdn},
                             {"flags", "master,failover_in_progress"},
                             {"failover-state", "wait_promotion"}});
  redis.accept_sentinel_writes(kFqdn, kApp, 1);
  harness->remove_relation_unit(peer_id, "redis-k8s/1");
  EXPECT_EQ(harness->unit_status(), ops::WaitingStatus("Failover didn't finish, deferring"));
  EXPECT_EQ(redis_test::deferred(*harness).size(), 1u);
}

// ---- departure of the master: the handover (issue 17) ---------------------------------

// Three units; redis-k8s/1, the master, departs; redis-k8s/2 stays; this
// unit (redis-k8s/0) leads. The local Sentinel's answers are scripted per test.
class HandoverTest : public RedisCharmTest {
 protected:
  void SetUp() override {
    RedisCharmTest::SetUp();
    harness->set_leader(true);
    harness->set_planned_units(2);
    set_app_bag({{"leader-host", kPeerFqdn}, {"redis-password", "password"}});
    harness->add_relation_unit(peer_id, "redis-k8s/1");
    harness->add_relation_unit(peer_id, "redis-k8s/2");
    harness->begin();
    for (const char* host : {kFqdn, kThirdFqdn, "localhost"}) {
      redis.accept_sentinel_writes(host, kApp, 2);
    }
    // The departing master's Redis: PAUSE, REPLICAOF, UNPAUSE succeed.
    redis.set_default_reply(Service::kRedis, kPeerFqdn, redis_k8s::RedisReply::status("OK"));
    redis.set_info_replication_sequence(kPeerFqdn, {{500, {500, 500}}});
  }
  // The local Sentinel: the master before the FAILOVER (leader-host up to
  // date, no failover running, the handover's own look), then `during`.
  void script_failover(std::vector<Info> during) {
    std::vector<Info> answers{kBefore, kBefore, kBefore, kBefore};
    answers.insert(answers.end(), during.begin(), during.end());
    redis.set_sentinel_master_sequence("localhost", kApp, answers);
  }
  void depart_master() { harness->remove_relation_unit(peer_id, "redis-k8s/1"); }
  static Cmd on_master(std::vector<std::string> argv) {
    return Cmd{Service::kRedis, kPeerFqdn, std::move(argv)};
  }
  // The commands of the departure up to and including the FAILOVER.
  std::vector<Cmd> up_to_failover(int info_polls = 1) const {
    std::vector<Cmd> out{kMaster,
                         set_quorum_cmd(kThirdFqdn),
                         set_quorum_cmd(kFqdn),
                         kMaster,
                         kMaster,
                         kReplicas,
                         on_master({"CLIENT", "PAUSE", "15000", "WRITE"})};
    for (int i = 0; i < info_polls; ++i) out.push_back(on_master({"INFO", "replication"}));
    out.push_back(kMaster);
    out.push_back(Cmd{Service::kSentinel, "localhost", {"SENTINEL", "FAILOVER", kApp}});
    return out;
  }
  // One poll of the failover past the promotion (reconf_slaves): SENTINEL
  // MASTER, then ROLE on each replica seen while catching up (the fake's
  // "replica-0" and "replica-1", unreachable unless scripted).
  static std::vector<Cmd> reconfiguring_poll(const Cmd& master) {
    return {master, Cmd{Service::kRedis, "replica-0", {"ROLE"}},
            Cmd{Service::kRedis, "replica-1", {"ROLE"}}};
  }
  static Cmd set_quorum_cmd(const std::string& host) {
    return Cmd{Service::kSentinel, host, {"SENTINEL", "SET", kApp, "quorum", "2"}};
  }
  static Cmd reset_cmd(const std::string& host) {
    return Cmd{Service::kSentinel, host, {"SENTINEL", "RESET", kApp}};
  }
  static std::vector<Cmd> joined(std::vector<Cmd> a, const std::vector<Cmd>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  }

  const Info kBefore{{"ip", kPeerFqdn}, {"port", "6379"}, {"flags", "master"}};
  const Info kPromoting{{"ip", kPeerFqdn},
                        {"port", "6379"},
                        {"flags", "master,failover_in_progress"},
                        {"failover-state", "wait_promotion"}};
  const Info kReconfiguring{{"ip", kPeerFqdn},
                            {"port", "6379"},
                            {"flags", "master,failover_in_progress"},
                            {"failover-state", "reconf_slaves"}};
  const Info kPromoted{{"ip", kThirdFqdn}, {"port", "6379"}, {"flags", "master"}};
  const Cmd kMaster{Service::kSentinel, "localhost", {"SENTINEL", "MASTER", kApp}};
  // Unscripted: the handover cannot list them and goes ahead.
  const Cmd kReplicas{Service::kSentinel, "localhost", {"SENTINEL", "REPLICAS", kApp}};
  const std::chrono::milliseconds kInterval{250};
};

TEST_F(HandoverTest, PausesWritesWaitsForTheReplicasThenFailsOverAndDemotesTheOldMaster) {
  // The replicas are behind at first: 400 and 500 of 500, then both at 500.
  redis.set_info_replication_sequence(kPeerFqdn, {{500, {400, 500}}, {500, {500, 500}}});
  // The third poll sees no failover flag but still the old master, as
  // between an aborted failover and a new one: not finished.
  script_failover({kPromoting, kReconfiguring, kBefore, kPromoted});
  int rel = 0;
  {
    auto off = harness->hooks_disabled();
    rel = harness->add_relation("redis", "wordpress");
  }
  depart_master();
  std::vector<Cmd> expected = joined(up_to_failover(2), {kMaster});
  expected = joined(expected, reconfiguring_poll(kMaster));
  expected.push_back(kMaster);
  EXPECT_EQ(redis.sent(), joined(expected, {kMaster, on_master({"REPLICAOF", kThirdFqdn, "6379"}),
                                            on_master({"CLIENT", "UNPAUSE"}), reset_cmd(kThirdFqdn),
                                            reset_cmd(kFqdn)}));
  // One sleep while the replicas caught up, three while the failover ran.
  EXPECT_EQ(world.clock.sleeps(),
            (std::vector<std::chrono::milliseconds>{kInterval, kInterval, kInterval, kInterval}));
  EXPECT_EQ(app_bag().at("leader-host"), kThirdFqdn);
  EXPECT_EQ(harness->get_relation_data(rel, kApp).at("leader-host"), kThirdFqdn);
  EXPECT_EQ(harness->unit_status(), ops::ActiveStatus());
  EXPECT_TRUE(redis_test::deferred(*harness).empty());
  EXPECT_TRUE(
      logged("INFO", std::string("Paused writes on ") + kPeerFqdn + " for at most 15000 ms"));
  EXPECT_TRUE(logged("INFO", std::string("Every replica of ") + kPeerFqdn + " reached offset 500"));
  EXPECT_TRUE(logged("INFO", std::string("Failover away from ") + kPeerFqdn +
                                 " finished: " + kThirdFqdn + " is the master"));
}

TEST_F(HandoverTest, ThePauseEndsOnceSentinelConfirmedThePromotion) {
  // The old master becomes a replica of the promoted one, and is unpaused,
  // once Sentinel is past wait_promotion (reconf_slaves: the promotion is
  // confirmed and the other Sentinels told), not when it is done
  // reconfiguring the other replicas; during wait_promotion nothing is
  // asked (another Sentinel may still demote the promoted replica).
  redis.set_reply(Service::kRedis, kPeerFqdn, {"INFO", "replication"},
                  redis_k8s::RedisReply::string(
                      std::string("# Replication\r\nrole:master\r\nconnected_slaves:2\r\n") +
                      "slave0:ip=" + kFqdn + ",port=6379,state=online,offset=500,lag=0\r\n" +
                      "slave1:ip=" + kThirdFqdn + ",port=6379,state=online,offset=500,lag=0\r\n" +
                      "master_repl_offset:500\r\n"));
  redis.set_role(kFqdn, "slave", kPeerFqdn);
  redis.set_role(kThirdFqdn, "master");
  script_failover({kPromoting, kReconfiguring, kPromoted});
  depart_master();
  const Cmd role_here{Service::kRedis, kFqdn, {"ROLE"}};
  const Cmd role_third{Service::kRedis, kThirdFqdn, {"ROLE"}};
  EXPECT_EQ(redis.sent(),
            joined(up_to_failover(),
                   {kMaster, kMaster, role_here, role_third,
                    on_master({"REPLICAOF", kThirdFqdn, "6379"}), on_master({"CLIENT", "UNPAUSE"}),
                    // Sentinel is done with the other replica.
                    kMaster, reset_cmd(kThirdFqdn), reset_cmd(kFqdn)}));
  EXPECT_EQ(world.clock.sleeps(), (std::vector<std::chrono::milliseconds>{kInterval, kInterval}));
  EXPECT_TRUE(
      logged("INFO", std::string(kThirdFqdn) + " answers ROLE master: Sentinel promoted it"));
  EXPECT_EQ(app_bag().at("leader-host"), kThirdFqdn);
  EXPECT_EQ(harness->unit_status(), ops::ActiveStatus());
}

TEST_F(HandoverTest, WaitsUntilSentinelHasSeenEveryReplicaAsAReplicaForAnInfoPeriod) {
  // redis-k8s/2 was the master until 3 s ago: another Sentinel's last INFO
  // of it may still say master, and it would demote it again right after a
  // promotion. The handover waits (no pause yet) until 11 s have passed.
  const auto replica = [](const std::string& name, const std::string& role, long long since) {
    return redis_k8s::RedisReply::flat_map({{"name", name},
                                            {"flags", "slave"},
                                            {"role-reported", role},
                                            {"role-reported-time", std::to_string(since)}});
  };
  const auto answer = [&](long long since) {
    return redis_k8s::RedisReply::array(
        {replica("redis-k8s-0:6379", "slave", 60000), replica("redis-k8s-2:6379", "slave", since),
         redis_k8s::RedisReply::flat_map({{"name", "gone:6379"},
                                          {"flags", "s_down,slave,disconnected"},
                                          {"role-reported", "master"},
                                          {"role-reported-time", "1"}})});
  };
  redis.set_replies(Service::kSentinel, "localhost", {"SENTINEL", "REPLICAS", kApp},
                    {answer(3000), answer(10750), answer(11000)});
  script_failover({kPromoted});
  depart_master();
  std::vector<Cmd> expected = up_to_failover();
  expected.insert(expected.begin() + 6, {kReplicas, kReplicas});
  EXPECT_EQ(redis.sent(), joined(expected, {kMaster, on_master({"REPLICAOF", kThirdFqdn, "6379"}),
                                            on_master({"CLIENT", "UNPAUSE"}), reset_cmd(kThirdFqdn),
                                            reset_cmd(kFqdn)}));
  EXPECT_EQ(world.clock.sleeps(), (std::vector<std::chrono::milliseconds>{kInterval, kInterval}));
  EXPECT_EQ(app_bag().at("leader-host"), kThirdFqdn);
}

TEST(UnsettledReplica, NamesTheFirstReplicaNotSeenAsAReplicaLongEnough) {
  using redis_k8s::unsettled_replica;
  const std::chrono::milliseconds settle(11000);
  EXPECT_EQ(unsettled_replica({}, settle), std::nullopt);
  EXPECT_EQ(unsettled_replica({{{"name", "a:6379"},
                                {"flags", "slave"},
                                {"role-reported", "slave"},
                                {"role-reported-time", "11000"}}},
                              settle),
            std::nullopt);
  EXPECT_EQ(unsettled_replica({{{"name", "a:6379"},
                                {"flags", "slave"},
                                {"role-reported", "slave"},
                                {"role-reported-time", "10999"}}},
                              settle),
            "a:6379");
  EXPECT_EQ(unsettled_replica({{{"name", "b:6379"},
                                {"flags", "slave"},
                                {"role-reported", "master"},
                                {"role-reported-time", "99000"}}},
                              settle),
            "b:6379");
  // No role-reported fields: not known to be settled.
  EXPECT_EQ(unsettled_replica({{{"ip", "c"}, {"flags", "slave"}}}, settle), "c");
  // Down or disconnected replicas are never promoted: left out.
  EXPECT_EQ(unsettled_replica({{{"name", "d:6379"},
                                {"flags", "slave,s_down"},
                                {"role-reported", "master"},
                                {"role-reported-time", "1"}},
                               {{"name", "e:6379"},
                                {"flags", "slave,disconnected"},
                                {"role-reported", "master"},
                                {"role-reported-time", "1"}}},
                              settle),
            std::nullopt);
}

TEST_F(HandoverTest, ReplicasThatNeverCatchUpDelayTheFailoverByTheBoundOnly) {
  redis.set_info_replication_sequence(kPeerFqdn, {{500, {400, 300}}});
  script_failover({kPromoted});
  depart_master();
  // Polls at 0, 0.25, ..., 3 s: 13 reads of the offsets, 12 sleeps.
  EXPECT_EQ(redis.sent(),
            joined(up_to_failover(13),
                   {kMaster, on_master({"REPLICAOF", kThirdFqdn, "6379"}),
                    on_master({"CLIENT", "UNPAUSE"}), reset_cmd(kThirdFqdn), reset_cmd(kFqdn)}));
  EXPECT_EQ(world.clock.sleeps(), std::vector<std::chrono::milliseconds>(12, kInterval));
  EXPECT_TRUE(logged("INFO", std::string("Replicas of ") + kPeerFqdn +
                                 " did not catch up within 3000 ms (master 500, replicas 400 300); "
                                 "Sentinel promotes the most advanced one"));
  EXPECT_EQ(app_bag().at("leader-host"), kThirdFqdn);
}

TEST_F(HandoverTest, AnUnreachableMasterIsFailedOverWithoutPause) {
  redis.forget_host(Service::kRedis, kPeerFqdn);
  script_failover({kPromoted});
  depart_master();
  EXPECT_EQ(
      redis.sent(),
      (std::vector<Cmd>{
          kMaster, set_quorum_cmd(kThirdFqdn), set_quorum_cmd(kFqdn), kMaster, kMaster, kReplicas,
          on_master({"CLIENT", "PAUSE", "15000", "WRITE"}), on_master({"INFO", "replication"}),
          kMaster, Cmd{Service::kSentinel, "localhost", {"SENTINEL", "FAILOVER", kApp}}, kMaster,
          on_master({"REPLICAOF", kThirdFqdn, "6379"}), reset_cmd(kThirdFqdn), reset_cmd(kFqdn)}));
  EXPECT_EQ(app_bag().at("leader-host"), kThirdFqdn);
}

TEST_F(HandoverTest, NeverFinishingWaitsTenSecondsUnpausesAndDefersWithoutReset) {
  script_failover({kPromoting});
  depart_master();
  std::vector<Cmd> expected = up_to_failover();
  for (int i = 0; i < 41; ++i) expected.push_back(kMaster);  // 0, 0.25, ..., 10 s
  // No replica answers ROLE master (neither is reachable): the old master
  // is the only one, it takes writes again.
  expected.push_back(Cmd{Service::kRedis, "replica-0", {"ROLE"}});
  expected.push_back(Cmd{Service::kRedis, "replica-1", {"ROLE"}});
  expected.push_back(on_master({"CLIENT", "UNPAUSE"}));
  EXPECT_EQ(redis.sent(), expected);
  EXPECT_EQ(world.clock.sleeps(), std::vector<std::chrono::milliseconds>(40, kInterval));
  EXPECT_EQ(harness->unit_status(), ops::WaitingStatus("Failover didn't finish, deferring"));
  EXPECT_THAT(redis_test::deferred(*harness),
              ElementsAre("RedisK8sCharm/on/redis_peers_relation_departed[1] "
                          "on_peer_relation_departed"));
  // leader-host still names the departed master until the promotion is seen.
  EXPECT_EQ(app_bag().at("leader-host"), kPeerFqdn);
  EXPECT_TRUE(logged(
      "INFO", std::string("Failover away from ") + kPeerFqdn + " not finished after 10000 ms"));
}

TEST_F(HandoverTest, PastTheBoundAPromotedReplicaIsFollowedNotJoinedAsASecondMaster) {
  // Sentinel is still in wait_promotion at the bound, but replica-1 already
  // answers ROLE master: the old master becomes its replica before the
  // unpause (its waiting writes get READONLY), never a writable second one.
  redis.set_role("replica-0", "slave", kPeerFqdn);
  redis.set_role("replica-1", "master");
  script_failover({kPromoting});
  depart_master();
  std::vector<Cmd> expected = up_to_failover();
  for (int i = 0; i < 41; ++i) expected.push_back(kMaster);
  expected.push_back(Cmd{Service::kRedis, "replica-0", {"ROLE"}});
  expected.push_back(Cmd{Service::kRedis, "replica-1", {"ROLE"}});
  expected.push_back(on_master({"REPLICAOF", "replica-1", "6379"}));
  expected.push_back(on_master({"CLIENT", "UNPAUSE"}));
  EXPECT_EQ(redis.sent(), expected);
  EXPECT_TRUE(logged("INFO",
                     "replica-1 answers ROLE master after the bound: following it rather "
                     "than unpausing"));
  // The failover is not over: the retry names the new master, no RESET now.
  EXPECT_EQ(harness->unit_status(), ops::WaitingStatus("Failover didn't finish, deferring"));
  EXPECT_EQ(app_bag().at("leader-host"), kPeerFqdn);
}

TEST_F(HandoverTest, AnOldMasterThatCannotBeDemotedStaysPaused) {
  // replica-1 was promoted but REPLICAOF on the old master fails: no UNPAUSE
  // (the pause ends by itself after 15 s), rather than two writable masters.
  redis.set_role("replica-1", "master");
  redis.set_error(Service::kRedis, kPeerFqdn, {"REPLICAOF", "replica-1", "6379"},
                  redis_k8s::FakeRedisWorkload::ErrorKind::kTimeout, "timed out");
  script_failover({kPromoting});
  depart_master();
  std::vector<Cmd> expected = up_to_failover();
  for (int i = 0; i < 41; ++i) expected.push_back(kMaster);
  expected.push_back(Cmd{Service::kRedis, "replica-0", {"ROLE"}});
  expected.push_back(Cmd{Service::kRedis, "replica-1", {"ROLE"}});
  expected.push_back(on_master({"REPLICAOF", "replica-1", "6379"}));
  EXPECT_EQ(redis.sent(), expected);
  EXPECT_TRUE(logged("INFO", std::string("Could not make ") + kPeerFqdn + " a replica: timed out"));
}

TEST_F(HandoverTest, ANewMasterTheOldOneCannotFollowLeavesItPaused) {
  redis.set_error(Service::kRedis, kPeerFqdn, {"REPLICAOF", kThirdFqdn, "6379"},
                  redis_k8s::FakeRedisWorkload::ErrorKind::kConnection, "connection refused");
  script_failover({kPromoted});
  depart_master();
  EXPECT_EQ(redis.sent(),
            joined(up_to_failover(), {kMaster, on_master({"REPLICAOF", kThirdFqdn, "6379"}),
                                      reset_cmd(kThirdFqdn), reset_cmd(kFqdn)}));
  EXPECT_EQ(app_bag().at("leader-host"), kThirdFqdn);
}

TEST_F(HandoverTest, TimingIsInjectable) {
  redis_k8s::RedisCharmCollaborators c = world.make();
  c.failover_poll_interval = std::chrono::milliseconds(100);
  c.failover_timeout = std::chrono::milliseconds(300);
  c.handover_pause = std::chrono::milliseconds(2000);
  auto other = redis_test::make_harness(c);
  other->set_leader(true);
  other->set_planned_units(2);
  int peers = other->add_relation("redis-peers", kApp);
  other->update_relation_data(peers, kApp,
                              {{"leader-host", kPeerFqdn}, {"redis-password", "password"}});
  other->add_relation_unit(peers, "redis-k8s/1");
  other->add_relation_unit(peers, "redis-k8s/2");
  other->begin();
  script_failover({kPromoting});
  other->remove_relation_unit(peers, "redis-k8s/1");
  std::vector<Cmd> expected = up_to_failover();
  expected[6] = on_master({"CLIENT", "PAUSE", "2000", "WRITE"});
  for (int i = 0; i < 4; ++i) expected.push_back(kMaster);
  expected.push_back(Cmd{Service::kRedis, "replica-0", {"ROLE"}});
  expected.push_back(Cmd{Service::kRedis, "replica-1", {"ROLE"}});
  expected.push_back(on_master({"CLIENT", "UNPAUSE"}));
  EXPECT_EQ(redis.sent(), expected);
  const std::chrono::milliseconds interval(100);
  EXPECT_THAT(world.clock.sleeps(), ElementsAre(interval, interval, interval));
  EXPECT_EQ(other->unit_status(), ops::WaitingStatus("Failover didn't finish, deferring"));
}

TEST_F(HandoverTest, RetriesAfterDeferralFollowTheFailoverWithoutASecondOne) {
  script_failover({kPromoting});
  depart_master();
  ASSERT_EQ(redis_test::deferred(*harness).size(), 1u);
  redis.set_info_server("localhost", {{"redis_version", "7.0.15"}});

  // First retry (before update-status): the failover still runs. No FAILOVER,
  // no RESET, no handover: defer again.
  redis.clear_sent();
  harness->fire<ops::UpdateStatusEvent>();
  EXPECT_EQ(redis.sent(),
            (std::vector<Cmd>{kMaster, set_quorum_cmd(kThirdFqdn), set_quorum_cmd(kFqdn), kMaster,
                              // update-status
                              kMaster, Cmd{Service::kRedis, "localhost", {"INFO", "server"}}}));
  EXPECT_EQ(redis_test::deferred(*harness).size(), 1u);
  EXPECT_EQ(app_bag().at("leader-host"), kPeerFqdn);

  // Second retry: the Sentinel has promoted redis-k8s/2. leader-host follows
  // it, the departed unit is no longer the master, so no FAILOVER: RESET.
  redis.set_sentinel_master("localhost", kApp, kPromoted);
  redis.clear_sent();
  harness->fire<ops::UpdateStatusEvent>();
  EXPECT_EQ(redis.sent(),
            (std::vector<Cmd>{kMaster, kMaster, set_quorum_cmd(kThirdFqdn), set_quorum_cmd(kFqdn),
                              kMaster, reset_cmd(kThirdFqdn), reset_cmd(kFqdn),
                              // update-status
                              kMaster, Cmd{Service::kRedis, "localhost", {"INFO", "server"}}}));
  EXPECT_EQ(app_bag().at("leader-host"), kThirdFqdn);
  EXPECT_EQ(harness->unit_status(), ops::ActiveStatus());
  EXPECT_TRUE(redis_test::deferred(*harness).empty());
  EXPECT_EQ(world.clock.sleeps().size(), 40u);  // only the first dispatch waited

  // Converged: the next hook has nothing left to retry.
  redis.clear_sent();
  harness->fire<ops::UpdateStatusEvent>();
  EXPECT_EQ(redis.sent(),
            (std::vector<Cmd>{kMaster, Cmd{Service::kRedis, "localhost", {"INFO", "server"}}}));
  EXPECT_EQ(app_bag().at("leader-host"), kThirdFqdn);
}

TEST_F(HandoverTest, FixFailoverErrorBlocksUnpausesAndIsNotLost) {
  redis.set_sentinel_master("localhost", kApp, kBefore);
  redis.set_error(Service::kSentinel, "localhost", {"SENTINEL", "FAILOVER", kApp},
                  FakeRedisWorkload::ErrorKind::kReply,
                  "NOGOODSLAVE No suitable replica to promote");
  depart_master();
  EXPECT_EQ(harness->unit_status(),
            ops::BlockedStatus("Error on failover: NOGOODSLAVE No suitable replica to promote"));
  EXPECT_EQ(redis.sent(), joined(up_to_failover(), {on_master({"CLIENT", "UNPAUSE"})}));
  EXPECT_TRUE(world.clock.sleeps().empty());
  EXPECT_EQ(app_bag().at("leader-host"), kPeerFqdn);
  EXPECT_TRUE(redis_test::deferred(*harness).empty());
}

TEST_F(HandoverTest, AFailoverAnotherUnitStartedIsWaitedFor) {
  redis.set_error(Service::kSentinel, "localhost", {"SENTINEL", "FAILOVER", kApp},
                  FakeRedisWorkload::ErrorKind::kReply, "INPROG Failover already in progress");
  script_failover({kPromoted});
  depart_master();
  EXPECT_EQ(redis.sent(),
            joined(up_to_failover(),
                   {kMaster, on_master({"REPLICAOF", kThirdFqdn, "6379"}),
                    on_master({"CLIENT", "UNPAUSE"}), reset_cmd(kThirdFqdn), reset_cmd(kFqdn)}));
  EXPECT_EQ(app_bag().at("leader-host"), kThirdFqdn);
  EXPECT_EQ(harness->unit_status(), ops::ActiveStatus());
}

TEST_F(HandoverTest, AFailoverAnotherUnitAlreadyDidIsNotRepeated) {
  // The departing unit handed over while this leader waited for the
  // replicas: Sentinel names the new master just before our FAILOVER.
  std::vector<Info> answers{kBefore, kBefore, kBefore, kPromoted};
  redis.set_sentinel_master_sequence("localhost", kApp, answers);
  depart_master();
  std::vector<Cmd> expected = up_to_failover();
  expected.pop_back();  // no FAILOVER
  EXPECT_EQ(redis.sent(), joined(expected, {kMaster, on_master({"REPLICAOF", kThirdFqdn, "6379"}),
                                            on_master({"CLIENT", "UNPAUSE"}), reset_cmd(kThirdFqdn),
                                            reset_cmd(kFqdn)}));
  EXPECT_EQ(app_bag().at("leader-host"), kThirdFqdn);
  EXPECT_TRUE(logged("INFO", std::string("A failover away from ") + kPeerFqdn +
                                 " is already running or done; waiting for it"));
}

// Juju runs relation-departed on the departing unit too (and it keeps its
// leadership until it is gone): the departing master hands over itself.
TEST_F(RedisCharmTest, TheDepartingMasterHandsOverItself) {
  harness->set_leader(true);
  set_app_bag({{"leader-host", kFqdn}, {"redis-password", "password"}});
  harness->add_relation_unit(peer_id, "redis-k8s/1");
  int rel = harness->add_relation("redis", "wordpress");
  harness->begin();
  redis.set_role("localhost", "master");
  redis.set_default_reply(Service::kRedis, "localhost", redis_k8s::RedisReply::status("OK"));
  redis.set_info_replication_sequence("localhost", {{42, {42}}});
  redis.set_sentinel_master_sequence("localhost", kApp,
                                     {{{"ip", kFqdn}, {"port", "6379"}, {"flags", "master"}},
                                      {{"ip", kFqdn}, {"port", "6379"}, {"flags", "master"}},
                                      {{"ip", kPeerFqdn}, {"port", "6379"}, {"flags", "master"}}});
  redis.set_reply(Service::kSentinel, "localhost", {"SENTINEL", "FAILOVER", kApp},
                  redis_k8s::RedisReply::status("OK"));
  harness->fire<ops::RelationDepartedEvent>(departed_args("redis-k8s/1", "redis-k8s/0"));
  const auto local = [](std::vector<std::string> argv) {
    return Cmd{Service::kRedis, "localhost", std::move(argv)};
  };
  const Cmd master{Service::kSentinel, "localhost", {"SENTINEL", "MASTER", kApp}};
  EXPECT_EQ(redis.sent(),
            (std::vector<Cmd>{
                local({"ROLE"}), master,
                Cmd{Service::kSentinel, "localhost", {"SENTINEL", "REPLICAS", kApp}},
                local({"CLIENT", "PAUSE", "15000", "WRITE"}), local({"INFO", "replication"}),
                master, Cmd{Service::kSentinel, "localhost", {"SENTINEL", "FAILOVER", kApp}},
                master, local({"REPLICAOF", kPeerFqdn, "6379"}), local({"CLIENT", "UNPAUSE"})}));
  // Still the leader: names the new master for peers and clients.
  EXPECT_EQ(app_bag().at("leader-host"), kPeerFqdn);
  EXPECT_EQ(harness->get_relation_data(rel, kApp).at("leader-host"), kPeerFqdn);
  EXPECT_EQ(harness->get_relation_data(rel, "redis-k8s/0").at("host"), "10.1.0.11");

  // Its next departed hook (another peer) finds it a replica: nothing to do.
  redis.set_role("localhost", "slave", kPeerFqdn);
  redis.clear_sent();
  harness->fire<ops::RelationDepartedEvent>(departed_args("redis-k8s/1", "redis-k8s/0"));
  EXPECT_EQ(redis.sent(), (std::vector<Cmd>{local({"ROLE"})}));
}

// ---- other fixes of the reference ------------------------------------------------------

TEST_F(RedisCharmTest, FixUpgradeWithoutMasterInfoDefersInsteadOfCrashing) {
  harness->set_leader(true);
  set_app_bag({{"leader-host", "leader-host"}, {"redis-password", "password"}});
  harness->add_relation_unit(peer_id, "redis-k8s/1");
  harness->begin();
  redis.set_sentinel_master(kPeerFqdn, kApp, {{"flags", "master"}});  // no "ip"
  harness->fire<ops::UpgradeCharmEvent>();
  EXPECT_EQ(app_bag().at("leader-host"), "leader-host");
  EXPECT_THAT(redis_test::deferred(*harness),
              ElementsAre("RedisK8sCharm/on/upgrade_charm[1] on_upgrade_charm"));
}

TEST_F(RedisCharmTest, FixSentinelErrorReplyDuringBroadcastIsLoggedNotFatal) {
  harness->set_leader(true);
  set_app_bag({{"leader-host", kFqdn}, {"redis-password", "password"}});
  harness->add_relation_unit(peer_id, "redis-k8s/1");
  // Two planned units (the Harness counts the peer): quorum 2.
  harness->begin();
  redis.set_sentinel_master("localhost", kApp, {{"ip", kFqdn}, {"flags", "master"}});
  redis.set_ckquorum("localhost", kApp, true);
  redis.set_error(Service::kSentinel, kPeerFqdn, {"SENTINEL", "SET", kApp, "quorum", "2"},
                  FakeRedisWorkload::ErrorKind::kReply, "NOAUTH Authentication required.");
  redis.accept_sentinel_writes(kFqdn, kApp, 2);
  harness->update_relation_data(peer_id, "redis-k8s/1", {{"ready", "yes"}});
  EXPECT_EQ(harness->unit_status(), ops::ActiveStatus());
  EXPECT_TRUE(logged("ERROR", std::string("Error connecting to instance: ") + kPeerFqdn +
                                  " - NOAUTH Authentication required."));
  EXPECT_THAT(redis.sent_to(Service::kSentinel, kFqdn),
              ElementsAre(std::vector<std::string>{"SENTINEL", "SET", kApp, "quorum", "2"}));
}

TEST_F(RedisCharmTest, FixSentinelPebbleReadyChecksRedisInsteadOfDeferring) {
  set_app_bag({{"leader-host", kFqdn}, {"redis-password", "password"}});
  harness->begin();
  harness->container_pebble_ready("sentinel");
  EXPECT_EQ(harness->unit_status(), ops::WaitingStatus("Waiting for Redis..."));
  EXPECT_TRUE(redis_test::deferred(*harness).empty());
  redis.set_info_server("localhost", {{"redis_version", "7.0.15"}});
  harness->container_pebble_ready("sentinel");
  EXPECT_EQ(harness->unit_status(), ops::ActiveStatus());
}

TEST_F(RedisCharmTest, SentinelPebbleReadyDefersUntilPeerDataArrives) {
  harness->begin();
  harness->container_pebble_ready("sentinel");
  EXPECT_EQ(harness->unit_status(), ops::WaitingStatus("Databag has not been populated"));
  EXPECT_EQ(redis_test::deferred(*harness).size(), 1u);
  set_app_bag({{"leader-host", kFqdn}, {"redis-password", "password"}});
  redis.set_info_server("localhost", {{"redis_version", "7.0.15"}});
  harness->fire<ops::UpdateStatusEvent>();  // the deferred pebble-ready runs first and succeeds
  EXPECT_TRUE(redis_test::deferred(*harness).empty());
  EXPECT_EQ(sentinel_pebble().service_status("sentinel"), ops::pebble::ServiceStatus::kActive);
}

TEST_F(RedisCharmTest, FixLeaderElectedBeforeThePeerRelationDefers) {
  auto bare = redis_test::make_harness(world.make());
  bare->begin();
  bare->set_leader(true);
  EXPECT_THAT(redis_test::deferred(*bare),
              ElementsAre("RedisK8sCharm/on/leader_elected[1] on_leader_elected"));
}

// ---- actions ------------------------------------------------------------------

TEST_F(RedisCharmTest, CheckServiceReportsRunningAndNotRunning) {
  harness->begin();
  EXPECT_EQ(harness->run_action("check-service").results,
            (nlohmann::json{{"result", "Service is not running"}}));
  redis.set_info_server("localhost", {{"redis_version", "7.0.15"}});
  EXPECT_EQ(harness->run_action("check-service").results,
            (nlohmann::json{{"result", "Service is running"}}));
}

TEST_F(RedisCharmTest, PasswordActionsReturnThePasswords) {
  set_app_bag({{"redis-password", "rpw"}, {"sentinel-password", "spw"}});
  harness->begin();
  EXPECT_EQ(harness->run_action("get-initial-admin-password").results,
            (nlohmann::json{{"redis-password", "rpw"}}));
  EXPECT_EQ(harness->run_action("get-sentinel-password").results,
            (nlohmann::json{{"sentinel-password", "spw"}}));
}

TEST_F(RedisCharmTest, FixPasswordActionsFailClearlyInsteadOfReturningNone) {
  harness->begin();
  auto failure = [&](const std::string& action) -> std::string {
    try {
      harness->run_action(action);
    } catch (const ops::testing::ActionFailed& e) {
      return e.what();
    }
    return "(did not fail)";
  };
  EXPECT_EQ(failure("get-initial-admin-password"),
            "The Redis password has not been generated yet: wait for the leader to set it");
  EXPECT_EQ(failure("get-sentinel-password"),
            "The Sentinel password has not been generated yet: wait for the leader to set it");
  set_app_bag({{"redis-password", "rpw"}, {"enable-password", "false"}});
  EXPECT_EQ(failure("get-initial-admin-password"),
            "Redis runs without a password: a legacy `redis` relation switched it off");
}

TEST(FailoverCompleted, NeedsNoFailoverFlagNoFailoverStateAndAnotherMaster) {
  using redis_k8s::failover_completed_away_from;
  const std::string old_master = "old";
  EXPECT_TRUE(failover_completed_away_from(Info{{"ip", "new"}, {"flags", "master"}}, old_master));
  EXPECT_FALSE(failover_completed_away_from(std::nullopt, old_master));
  EXPECT_FALSE(failover_completed_away_from(Info{{"ip", "old"}, {"flags", "master"}}, old_master));
  EXPECT_FALSE(failover_completed_away_from(Info{{"ip", ""}, {"flags", "master"}}, old_master));
  EXPECT_FALSE(failover_completed_away_from(Info{{"flags", "master"}}, old_master));
  EXPECT_FALSE(failover_completed_away_from(
      Info{{"ip", "new"}, {"flags", "master,failover_in_progress"}}, old_master));
  EXPECT_FALSE(failover_completed_away_from(
      Info{{"ip", "new"}, {"flags", "master"}, {"failover-state", "reconf_slaves"}}, old_master));
}

TEST(ReplicationState, ParsesTheMasterOffsetAndOnlineReplicas) {
  auto state =
      redis_k8s::replication_state({{"role", "master"},
                                    {"connected_slaves", "3"},
                                    {"slave0", "ip=a,port=6379,state=online,offset=120,lag=0"},
                                    {"slave1", "ip=b,port=6379,state=wait_bgsave,offset=0,lag=0"},
                                    {"slave2", "ip=c,port=6379,state=online,offset=99,lag=1"},
                                    {"slave_read_only", "1"},
                                    {"master_repl_offset", "120"}});
  EXPECT_EQ(state.role, "master");
  EXPECT_EQ(state.master_repl_offset, 120);
  EXPECT_EQ(state.replica_offsets, (std::vector<long long>{120, 99}));
  EXPECT_EQ(state.replica_addresses,
            (std::vector<std::pair<std::string, std::string>>{{"a", "6379"}, {"c", "6379"}}));
}

}  // namespace
