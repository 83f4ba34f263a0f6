// RedisK8sCharm, one dispatch at a time: the behaviours of the reference
// charm's unit tests, the fixes listed in the README, and the actions.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "charm.hpp"
#include "fake_workload.hpp"
#include "ops/log.hpp"
#include "redis_k8s/fixture.hpp"

namespace {

using redis_k8s::FakeRedisWorkload;
using redis_k8s::Service;
using redis_test::relation_snapshot;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kFqdn = "redis-k8s-0.redis-k8s-endpoints.test-model.svc.cluster.local";
constexpr const char* kPeerFqdn = "redis-k8s-1.redis-k8s-endpoints.test-model.svc.cluster.local";
constexpr const char* kOwnIp = "10.1.0.10";
const std::string kApp = "redis-k8s";

std::string flags(std::initializer_list<std::string> words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

class RedisCharmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    juju.unit = "redis-k8s/0";
    peer_id = juju.add_relation("redis-peers", kApp);
    make_dispatcher(collaborators());
    ops::log::set_sink([this](ops::log::Level level, std::string_view message) {
      log_lines.push_back(std::string(ops::log::to_string(level)) + ": " + std::string(message));
    });
  }
  // The fakes of this fixture, as the charm's collaborators.
  redis_k8s::RedisCharmCollaborators collaborators() {
    redis_k8s::RedisCharmCollaborators c;
    c.workload = &redis;
    c.pebble = [this](const std::string& name) -> ops::pebble::Client& {
      return name == "redis" ? static_cast<ops::pebble::Client&>(redis_pebble) : sentinel_pebble;
    };
    c.fqdn = [] { return std::string(kFqdn); };
    c.resolve = [this](const std::string& host) {
      auto it = addresses.find(host);
      if (it == addresses.end()) throw ops::Error("cannot resolve host '" + host + "'");
      return it->second;
    };
    c.random = [this](unsigned char* out, std::size_t size) {
      for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<unsigned char>(random_seed++);
    };
    c.now = [this] { return clock.now(); };
    c.sleep = [this](std::chrono::milliseconds d) { clock.sleep(d); };
    return c;
  }
  void make_dispatcher(const redis_k8s::RedisCharmCollaborators& c) {
    dispatcher = std::make_unique<redis_test::Dispatcher>(
        ops::CharmMeta::from_yaml(redis_test::source_file("metadata.yaml"),
                                  redis_test::source_file("actions.yaml"),
                                  redis_test::source_file("config.yaml")),
        juju, redis_k8s::make_redis_charm_factory(c));
  }
  void TearDown() override {
    ops::log::set_sink({});
    std::filesystem::remove_all(temp_dir);
  }

  std::map<std::string, std::string>& app_bag() { return juju.bag(peer_id, kApp); }
  void run(const std::string& kind, const nlohmann::json& snapshot = nullptr) {
    dispatcher->run(kind, snapshot);
  }
  nlohmann::json peer_snapshot(const std::optional<std::string>& unit = std::nullopt) {
    return relation_snapshot("redis-peers", peer_id, kApp, unit);
  }
  void attach_certificates() {
    std::filesystem::create_directories(temp_dir);
    for (const auto& [name, content] : std::map<std::string, std::string>{
             {"cert-file", "CERT"}, {"key-file", "KEY"}, {"ca-cert-file", "CA"}}) {
      std::filesystem::path path = temp_dir / name / "file";
      std::filesystem::create_directories(path.parent_path());
      std::ofstream(path) << content;
      juju.resources[name] = path;
    }
  }
  // The plan's `redis` service command.
  std::string redis_command() { return *redis_pebble.get_plan().services.at("redis").command; }
  std::string normal_flags(const std::string& password) {
    return flags({"--requirepass", password, "--bind 0.0.0.0 --masterauth", password,
                  "--replica-announce-ip", kFqdn,
                  "--logfile /var/log/redis/redis-server.log --appendonly yes --dir "
                  "/var/lib/redis/"});
  }

  redis_test::MemoryJuju juju;
  FakeRedisWorkload redis;
  redis_k8s::FakeClock clock;
  redis_test::FakePebble redis_pebble;
  redis_test::FakePebble sentinel_pebble;
  std::map<std::string, std::string> addresses{
      {kFqdn, kOwnIp}, {"leader-host", "10.1.0.20"}, {"different-leader", "10.1.0.30"}};
  unsigned random_seed = 0;
  int peer_id = -1;
  std::unique_ptr<redis_test::Dispatcher> dispatcher;
  std::vector<std::string> log_lines;
  std::filesystem::path temp_dir =
      std::filesystem::temp_directory_path() / ("redis-charm-test-" + std::to_string(::getpid()));
};

// ---- update-status ------------------------------------------------------------

TEST_F(RedisCharmTest, UpdateStatusAsLeaderWithRedisUp) {
  juju.leader = true;
  app_bag() = {{"leader-host", "leader-host"}, {"redis-password", "password"}};
  redis.set_info_server("localhost", {{"redis_version", "6.0.11"}});
  redis.set_sentinel_master("localhost", kApp, {{"ip", "leader-host"}, {"flags", "master"}});
  run("update_status");
  EXPECT_EQ(juju.unit_status, ops::ActiveStatus());
  EXPECT_EQ(juju.app_status, ops::ActiveStatus());
  EXPECT_EQ(juju.workload_version, "6.0.11");
  EXPECT_EQ(app_bag().at("leader-host"), "leader-host");
}

TEST_F(RedisCharmTest, UpdateStatusAsLeaderWithRedisDown) {
  juju.leader = true;
  run("update_status");
  EXPECT_EQ(juju.unit_status, ops::WaitingStatus("Waiting for Redis..."));
  EXPECT_EQ(juju.app_status, ops::WaitingStatus("Waiting for Redis..."));
  EXPECT_EQ(juju.workload_version, std::nullopt);
}

TEST_F(RedisCharmTest, UpdateStatusAsNonLeaderWithRedisUp) {
  redis.set_info_server("localhost", {{"redis_version", "6.0.11"}});
  run("update_status");
  EXPECT_EQ(juju.unit_status, ops::ActiveStatus());
  EXPECT_EQ(juju.app_status, ops::UnknownStatus());
  EXPECT_EQ(juju.workload_version, "6.0.11");
  // A non-leader never asks Sentinel about the master.
  EXPECT_THAT(redis.sent_to(Service::kSentinel, "localhost"), ElementsAre());
}

TEST_F(RedisCharmTest, UpdateStatusAsNonLeaderWithRedisDown) {
  run("update_status");
  EXPECT_EQ(juju.unit_status, ops::WaitingStatus("Waiting for Redis..."));
  EXPECT_EQ(juju.app_status, ops::UnknownStatus());
  EXPECT_EQ(juju.workload_version, std::nullopt);
}

// ---- config-changed -------------------------------------------------------------

TEST_F(RedisCharmTest, ConfigChangedAsLeaderWritesTheExactPlanAndRestarts) {
  juju.leader = true;
  juju.config = {{"enable-tls", false}};
  app_bag() = {{"redis-password", "test-password"},
               {"sentinel-password", "sentinel-pw"},
               {"leader-host", kFqdn}};
  redis.set_info_server("localhost", {{"redis_version", "6.0.11"}});
  run("config_changed");

  ops::pebble::Plan plan = redis_pebble.get_plan();
  ASSERT_EQ(plan.services.size(), 2u);
  const auto& server = plan.services.at("redis");
  EXPECT_EQ(server.command, "redis-server " + normal_flags("test-password"));
  EXPECT_EQ(server.summary, "Redis service");
  EXPECT_EQ(server.override, "replace");
  EXPECT_EQ(server.startup, "enabled");
  EXPECT_EQ(server.user, "redis");
  EXPECT_EQ(server.group, "redis");
  const auto& exporter = plan.services.at("redis_exporter");
  EXPECT_EQ(exporter.command, "bin/redis_exporter");
  EXPECT_EQ(exporter.summary, "Redis metric exporter");
  EXPECT_EQ(exporter.environment,
            (std::map<std::string, std::string>{{"REDIS_PASSWORD", "test-password"}}));
  EXPECT_THAT(redis_pebble.actions,
              ElementsAre("make_dir /var/log/redis", "make_dir /var/lib/redis", "add_layer redis",
                          "restart redis,redis_exporter"));
  EXPECT_EQ(redis_pebble.dirs.at("/var/log/redis").permissions, 0770);
  EXPECT_EQ(redis_pebble.dirs.at("/var/lib/redis").user, "redis");
  EXPECT_EQ(redis_pebble.running, (std::set<std::string>{"redis", "redis_exporter"}));

  // The sentinel layer and its configuration file.
  EXPECT_EQ(sentinel_pebble.get_plan().services.at("sentinel").command,
            "redis-server /etc/redis-server/sentinel.conf --sentinel");
  EXPECT_EQ(sentinel_pebble.files.at("/etc/redis-server/sentinel.conf"),
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
  EXPECT_EQ(sentinel_pebble.file_options.at("/etc/redis-server/sentinel.conf").permissions, 0660);
  EXPECT_EQ(sentinel_pebble.dirs.at("/etc/redis-server").permissions, 0750);
  EXPECT_THAT(sentinel_pebble.actions,
              ElementsAre("make_dir /etc/redis-server", "add_layer sentinel", "restart sentinel"));

  EXPECT_EQ(juju.unit_status, ops::ActiveStatus());
  EXPECT_EQ(juju.app_status, ops::ActiveStatus());
  EXPECT_EQ(juju.workload_version, "6.0.11");
  EXPECT_TRUE(dispatcher->deferred().empty());
}

TEST_F(RedisCharmTest, ConfigChangedWithRedisDownLeavesServicesRunningAndWaits) {
  juju.leader = true;
  app_bag() = {{"redis-password", "test-password"}, {"leader-host", kFqdn}};
  run("config_changed");
  EXPECT_EQ(redis_command(), "redis-server " + normal_flags("test-password"));
  EXPECT_EQ(redis_pebble.running, (std::set<std::string>{"redis", "redis_exporter"}));
  EXPECT_EQ(juju.unit_status, ops::WaitingStatus("Waiting for Redis..."));
  EXPECT_EQ(juju.app_status, ops::WaitingStatus("Waiting for Redis..."));
}

TEST_F(RedisCharmTest, ConfigChangedWithoutPebbleWaitsAndDefers) {
  juju.leader = true;
  app_bag() = {{"redis-password", "test-password"}, {"leader-host", kFqdn}};
  redis_pebble.can_connect = false;
  sentinel_pebble.can_connect = false;
  run("config_changed");
  EXPECT_TRUE(redis_pebble.layers.empty());
  EXPECT_TRUE(redis_pebble.actions.empty());
  EXPECT_EQ(juju.unit_status, ops::WaitingStatus("Waiting for Pebble in sentinel container"));
  EXPECT_EQ(juju.app_status, ops::UnknownStatus());
  EXPECT_EQ(juju.workload_version, std::nullopt);
  EXPECT_THAT(dispatcher->deferred(),
              ElementsAre("RedisK8sCharm/on/config_changed[1] on_config_changed"));
}

TEST_F(RedisCharmTest, ConfigChangedWithAnUnchangedPlanDoesNotRestart) {
  juju.leader = true;
  app_bag() = {{"redis-password", "test-password"}, {"leader-host", kFqdn}};
  redis.set_info_server("localhost", {{"redis_version", "7.0.15"}});
  run("config_changed");
  redis_pebble.actions.clear();
  run("config_changed");
  EXPECT_THAT(redis_pebble.actions, ElementsAre());
  EXPECT_EQ(juju.unit_status, ops::ActiveStatus());
}

// ---- passwords and leadership ---------------------------------------------------

TEST_F(RedisCharmTest, LeaderElectedGeneratesPasswordsOnceAndKeepsThem) {
  juju.leader = true;
  run("leader_elected");
  // The injected random source counts 0, 1, 2...: each byte picks one of
  // A-Z a-z 0-9 in order.
  EXPECT_EQ(app_bag().at("redis-password"), "ABCDEFGHIJKLMNOP");
  EXPECT_EQ(app_bag().at("sentinel-password"), "ghijklmnopqrstuv");
  EXPECT_EQ(app_bag().at("leader-host"), kFqdn);

  // Re-election (leader-host set): passwords stay, Sentinel is consulted.
  redis.set_sentinel_master("localhost", kApp, {{"ip", kFqdn}, {"flags", "master"}});
  redis.accept_sentinel_writes(kFqdn, kApp, 1);
  run("leader_elected");
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
  juju.leader = true;
  app_bag() = {{"leader-host", "leader-host"}, {"redis-password", "password"}};
  int rel = juju.add_relation("redis", "wordpress", {"wordpress/0"});
  juju.bag(rel, "wordpress") = {{"auth-capable", "true"}};  // else legacy: auth off
  run("redis_relation_changed", relation_snapshot("redis", rel, "wordpress", "wordpress/0"));
  EXPECT_EQ(juju.bag(rel, "redis-k8s/0"),
            (std::map<std::string, std::string>{{"hostname", "10.1.0.20"},
                                                {"host", "10.1.0.20"},
                                                {"port", "6379"},
                                                {"password", "password"}}));
}

TEST_F(RedisCharmTest, RedisRelationCreatedSwitchesToTheLegacyPlan) {
  juju.leader = true;
  app_bag() = {{"leader-host", kFqdn}};
  int rel = juju.add_relation("redis", "wordpress", {"wordpress/0"});
  run("redis_relation_created", relation_snapshot("redis", rel, "wordpress"));
  EXPECT_EQ(app_bag().at("enable-password"), "false");
  EXPECT_EQ(juju.bag(rel, kApp).at("leader-host"), kFqdn);
  EXPECT_EQ(redis_command(),
            flags({"redis-server --bind 0.0.0.0 --replica-announce-ip", kFqdn,
                   "--protected-mode no --logfile /var/log/redis/redis-server.log --appendonly "
                   "yes --dir /var/lib/redis/"}));
  EXPECT_EQ(redis_pebble.get_plan().services.at("redis_exporter").environment.at("REDIS_PASSWORD"),
            "");
  EXPECT_EQ(juju.unit_status, ops::ActiveStatus());
}

// ---- TLS ----------------------------------------------------------------------

TEST_F(RedisCharmTest, UpgradeCharmStoresAttachedCertificates) {
  juju.leader = true;
  attach_certificates();
  run("upgrade_charm");
  EXPECT_EQ(redis_pebble.files.at("/var/lib/redis/redis.crt"), "CERT");
  EXPECT_EQ(redis_pebble.files.at("/var/lib/redis/redis.key"), "KEY");
  EXPECT_EQ(redis_pebble.files.at("/var/lib/redis/ca.crt"), "CA");
  EXPECT_EQ(redis_pebble.file_options.at("/var/lib/redis/redis.key").permissions, 0600);
  EXPECT_EQ(redis_pebble.file_options.at("/var/lib/redis/redis.key").user, "redis");
  // A single unit is the master.
  EXPECT_EQ(app_bag().at("leader-host"), kFqdn);
}

TEST_F(RedisCharmTest, UpgradeCharmWithoutResourcesStoresNothing) {
  juju.leader = true;
  run("upgrade_charm");
  EXPECT_TRUE(redis_pebble.files.empty());
}

TEST_F(RedisCharmTest, EnableTlsWithoutCertificatesBlocks) {
  juju.config = {{"enable-tls", true}};
  run("config_changed");
  EXPECT_EQ(juju.unit_status, ops::BlockedStatus("Not enough certificates found"));
  EXPECT_TRUE(redis_pebble.layers.empty());
  EXPECT_TRUE(dispatcher->deferred().empty());
}

TEST_F(RedisCharmTest, EnableTlsWithCertificatesServesTls) {
  juju.leader = true;
  app_bag() = {{"redis-password", "pw"}, {"leader-host", kFqdn}};
  attach_certificates();
  redis.set_info_server("localhost", {{"redis_version", "6.0.11"}});
  run("upgrade_charm");
  juju.config = {{"enable-tls", true}};
  run("config_changed");
  EXPECT_EQ(redis_command(),
            "redis-server " + normal_flags("pw") +
                " --tls-port 6379 --port 0 --tls-auth-clients optional --tls-cert-file "
                "/var/lib/redis/redis.crt --tls-key-file /var/lib/redis/redis.key "
                "--tls-ca-cert-file /var/lib/redis/ca.crt");
  EXPECT_EQ(juju.unit_status, ops::ActiveStatus());
  EXPECT_EQ(juju.app_status, ops::ActiveStatus());
  EXPECT_EQ(juju.workload_version, "6.0.11");
}

// ---- replication and failover -----------------------------------------------------

TEST_F(RedisCharmTest, NonLeaderRunsAsReplicaOfTheMaster) {
  app_bag() = {{"leader-host", "leader-host"}, {"redis-password", "password"}};
  juju.relation_units[peer_id] = {"redis-k8s/1"};
  run("redis_pebble_ready", {{"container_name", "redis"}});
  EXPECT_EQ(redis_command(),
            "redis-server " + normal_flags("password") + " --replicaof leader-host 6379");
  EXPECT_EQ(juju.unit_status, ops::ActiveStatus());
}

TEST_F(RedisCharmTest, ApplicationMasterFollowsSentinelAfterAFailover) {
  juju.leader = true;
  juju.relation_units[peer_id] = {"redis-k8s/1"};
  app_bag() = {{"leader-host", "leader-host"}, {"redis-password", "password"}};
  std::map<std::string, std::string> failed_over{{"ip", "different-leader"}, {"flags", "s_down"}};
  redis.set_sentinel_master("localhost", kApp, failed_over);
  redis.set_ckquorum("localhost", kApp, true);
  redis.accept_sentinel_writes(kFqdn, kApp, 1);
  redis.accept_sentinel_writes(kPeerFqdn, kApp, 1);
  run("redis_peers_relation_changed", peer_snapshot("redis-k8s/1"));
  EXPECT_EQ(app_bag().at("leader-host"), "different-leader");
  EXPECT_EQ(juju.unit_status, ops::ActiveStatus());

  // A pod reschedule (upgrade-charm) also picks up the new master, asking a peer's Sentinel.
  app_bag()["leader-host"] = "leader-host";
  redis.set_sentinel_master(kPeerFqdn, kApp, failed_over);
  run("upgrade_charm");
  EXPECT_EQ(app_bag().at("leader-host"), "different-leader");
}

TEST_F(RedisCharmTest, DepartingMasterIsFailedOverWithTheExactSentinelCommands) {
  juju.leader = true;
  app_bag() = {{"leader-host", "leader-host"}, {"redis-password", "password"}};
  // Three answers before the FAILOVER (up to date?, update, finished?), then
  // one poll during the promotion and one after it: this unit is the master.
  redis.set_sentinel_master_sequence("localhost", kApp,
                                     redis_test::forced_failover_answers(kPeerFqdn, kFqdn, 3));
  redis.accept_sentinel_writes("localhost", kApp, 1);
  redis.accept_sentinel_writes(kFqdn, kApp, 1);
  nlohmann::json snapshot = peer_snapshot("redis-k8s/1");
  snapshot["departing_unit"] = "redis-k8s/1";
  run("redis_peers_relation_departed", snapshot);

  using Cmd = FakeRedisWorkload::SentCommand;
  const Cmd master{Service::kSentinel, "localhost", {"SENTINEL", "MASTER", kApp}};
  EXPECT_THAT(
      redis.sent(),
      ElementsAre(master, master,
                  Cmd{Service::kSentinel, kFqdn, {"SENTINEL", "SET", kApp, "quorum", "1"}}, master,
                  Cmd{Service::kSentinel, "localhost", {"SENTINEL", "FAILOVER", kApp}}, master,
                  master, Cmd{Service::kSentinel, kFqdn, {"SENTINEL", "RESET", kApp}}));
  EXPECT_EQ(app_bag().at("leader-host"), kFqdn);
  EXPECT_THAT(clock.sleeps(), ElementsAre(std::chrono::milliseconds(250)));
  EXPECT_EQ(juju.unit_status, ops::ActiveStatus());
  EXPECT_TRUE(dispatcher->deferred().empty());
}

TEST_F(RedisCharmTest, DepartingReplicaNeedsNoFailover) {
  juju.leader = true;
  app_bag() = {{"leader-host", kFqdn}, {"redis-password", "password"}};
  redis.set_sentinel_master("localhost", kApp, {{"ip", kFqdn}, {"flags", "master"}});
  redis.accept_sentinel_writes(kFqdn, kApp, 1);
  nlohmann::json snapshot = peer_snapshot("redis-k8s/1");
  snapshot["departing_unit"] = "redis-k8s/1";
  run("redis_peers_relation_departed", snapshot);
  EXPECT_THAT(redis.sent_to(Service::kSentinel, "localhost"),
              ElementsAre(std::vector<std::string>{"SENTINEL", "MASTER", kApp},
                          std::vector<std::string>{"SENTINEL", "MASTER", kApp}));
  EXPECT_EQ(juju.unit_status, ops::ActiveStatus());
}

TEST_F(RedisCharmTest, PeerJoinWithoutMajorityWaitsAndDefers) {
  juju.leader = true;
  juju.relation_units[peer_id] = {"redis-k8s/1"};
  app_bag() = {{"leader-host", kFqdn}, {"redis-password", "password"}};
  redis.set_sentinel_master("localhost", kApp, {{"ip", kFqdn}, {"flags", "master"}});
  redis.set_ckquorum("localhost", kApp, false, 1);
  run("redis_peers_relation_changed", peer_snapshot("redis-k8s/1"));
  EXPECT_EQ(juju.unit_status, ops::WaitingStatus("Waiting for majority"));
  EXPECT_EQ(dispatcher->deferred().size(), 1u);
}

TEST_F(RedisCharmTest, PeerChangedRepublishesAddressAndClearsUpgrading) {
  app_bag() = {{"leader-host", kFqdn}, {"redis-password", "password"}};
  juju.bag(peer_id, "redis-k8s/0") = {{"upgrading", "true"}};
  redis.set_sentinel_master("localhost", kApp, {{"ip", kFqdn}, {"flags", "master"}});
  int rel = juju.add_relation("redis", "wordpress", {"wordpress/0"});
  run("redis_peers_relation_changed", peer_snapshot());
  EXPECT_EQ(juju.bag(rel, "redis-k8s/0").at("hostname"), kOwnIp);
  EXPECT_EQ(juju.bag(peer_id, "redis-k8s/0").count("upgrading"), 0u);
}

TEST_F(RedisCharmTest, NonLeaderUpgradeWithClientsAsksTheLeaderToRefresh) {
  juju.relation_units[peer_id] = {"redis-k8s/1"};
  app_bag() = {{"leader-host", kPeerFqdn}, {"redis-password", "password"}};
  redis.set_sentinel_master(kPeerFqdn, kApp, {{"ip", kPeerFqdn}, {"flags", "master"}});
  juju.add_relation("redis", "wordpress", {"wordpress/0"});
  run("upgrade_charm");
  EXPECT_EQ(juju.bag(peer_id, "redis-k8s/0").at("upgrading"), "true");
}

// ---- fixes of the reference's bugs (README "Differences") --------------------------

TEST_F(RedisCharmTest, FixRetryAfterAKillBetweenStopAndStartLeavesServicesRunning) {
  juju.leader = true;
  app_bag() = {{"redis-password", "pw"}, {"leader-host", kFqdn}};
  redis.set_info_server("localhost", {{"redis_version", "7.0.15"}});
  run("config_changed");
  // The dispatch that restarted the services was killed after stopping them:
  // the plan is already current, the services are down.
  redis_pebble.running.clear();
  sentinel_pebble.running.clear();
  redis_pebble.actions.clear();
  run("config_changed");
  EXPECT_EQ(redis_pebble.running, (std::set<std::string>{"redis", "redis_exporter"}));
  EXPECT_EQ(sentinel_pebble.running, (std::set<std::string>{"sentinel"}));
  EXPECT_THAT(redis_pebble.actions, ElementsAre("start redis,redis_exporter"));
}

TEST_F(RedisCharmTest, FixRestartFallsBackToStopAndStartOnOldPebble) {
  juju.leader = true;
  app_bag() = {{"redis-password", "pw"}, {"leader-host", kFqdn}};
  redis_pebble.restart_unsupported = true;
  run("config_changed");
  EXPECT_EQ(redis_pebble.running, (std::set<std::string>{"redis", "redis_exporter"}));
  EXPECT_THAT(redis_pebble.actions,
              ElementsAre("make_dir /var/log/redis", "make_dir /var/lib/redis", "add_layer redis",
                          "start redis,redis_exporter"));
}

TEST_F(RedisCharmTest, FixUnfinishedFailoverOnDepartureSetsWaitingAndDefers) {
  juju.leader = true;
  app_bag() = {{"leader-host", kFqdn}, {"redis-password", "password"}};
  redis.set_sentinel_master("localhost", kApp,
                            {{"ip", kFqdn},
                             {"flags", "master,failover_in_progress"},
                             {"failover-state", "wait_promotion"}});
  redis.accept_sentinel_writes(kFqdn, kApp, 1);
  nlohmann::json snapshot = peer_snapshot("redis-k8s/1");
  snapshot["departing_unit"] = "redis-k8s/1";
  run("redis_peers_relation_departed", snapshot);
  EXPECT_EQ(juju.unit_status, ops::WaitingStatus("Failover didn't finish, deferring"));
  EXPECT_EQ(dispatcher->deferred().size(), 1u);
}

TEST_F(RedisCharmTest, FixFailoverErrorBlocksInsteadOfBeingLost) {
  juju.leader = true;
  app_bag() = {{"leader-host", kPeerFqdn}, {"redis-password", "password"}};
  redis.set_sentinel_master("localhost", kApp, {{"ip", kPeerFqdn}, {"flags", "master"}});
  redis.accept_sentinel_writes(kFqdn, kApp, 1);
  redis.set_error(Service::kSentinel, "localhost", {"SENTINEL", "FAILOVER", kApp},
                  FakeRedisWorkload::ErrorKind::kReply,
                  "NOGOODSLAVE No suitable replica to promote");
  nlohmann::json snapshot = peer_snapshot("redis-k8s/1");
  snapshot["departing_unit"] = "redis-k8s/1";
  run("redis_peers_relation_departed", snapshot);
  EXPECT_EQ(juju.unit_status,
            ops::BlockedStatus("Error on failover: NOGOODSLAVE No suitable replica to promote"));
  EXPECT_THAT(redis.sent_to(Service::kSentinel, kFqdn),
              ElementsAre(std::vector<std::string>{"SENTINEL", "SET", kApp, "quorum", "1"}));
  // Nothing to wait for: no poll after the refused FAILOVER, no sleep.
  EXPECT_EQ(redis.sent().back(),
            (FakeRedisWorkload::SentCommand{
                Service::kSentinel, "localhost", {"SENTINEL", "FAILOVER", kApp}}));
  EXPECT_TRUE(clock.sleeps().empty());
  EXPECT_EQ(app_bag().at("leader-host"), kPeerFqdn);
  EXPECT_TRUE(dispatcher->deferred().empty());
}

// ---- fix: wait for the forced failover before resetting the Sentinels -------------

// Three units; redis-k8s/1, the master, departs; redis-k8s/2 stays. The
// Sentinel answers before the FAILOVER (up to date?, finished?) and the
// answers during the failover are scripted by each test.
class ForcedFailoverTest : public RedisCharmTest {
 protected:
  static constexpr const char* kThirdFqdn =
      "redis-k8s-2.redis-k8s-endpoints.test-model.svc.cluster.local";
  using Cmd = FakeRedisWorkload::SentCommand;
  using Info = std::map<std::string, std::string>;

  void SetUp() override {
    RedisCharmTest::SetUp();
    juju.leader = true;
    juju.planned = 2;
    juju.relation_units[peer_id] = {"redis-k8s/2"};
    app_bag() = {{"leader-host", kPeerFqdn}, {"redis-password", "password"}};
    for (const char* host : {kFqdn, kThirdFqdn, "localhost"}) {
      redis.accept_sentinel_writes(host, kApp, 2);
    }
  }
  // Scripts the local Sentinel: the master before the FAILOVER (leader-host
  // is up to date, no failover running), then `during`.
  void script_failover(std::vector<Info> during) {
    std::vector<Info> answers{kBefore, kBefore};
    answers.insert(answers.end(), during.begin(), during.end());
    redis.set_sentinel_master_sequence("localhost", kApp, answers);
  }
  void depart_master() {
    nlohmann::json snapshot = peer_snapshot("redis-k8s/1");
    snapshot["departing_unit"] = "redis-k8s/1";
    run("redis_peers_relation_departed", snapshot);
  }
  // The commands of the departure up to and including the FAILOVER.
  std::vector<Cmd> up_to_failover() const {
    return {kMaster, set_quorum_cmd(kThirdFqdn), set_quorum_cmd(kFqdn), kMaster,
            Cmd{Service::kSentinel, "localhost", {"SENTINEL", "FAILOVER", kApp}}};
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

  const Info kBefore{{"ip", kPeerFqdn}, {"flags", "master"}};
  const Info kPromoting{{"ip", kPeerFqdn},
                        {"flags", "master,failover_in_progress"},
                        {"failover-state", "wait_promotion"}};
  const Info kReconfiguring{{"ip", kPeerFqdn},
                            {"flags", "master,failover_in_progress"},
                            {"failover-state", "reconf_slaves"}};
  const Info kPromoted{{"ip", kThirdFqdn}, {"flags", "master"}};
  const Cmd kMaster{Service::kSentinel, "localhost", {"SENTINEL", "MASTER", kApp}};
};

TEST_F(ForcedFailoverTest, FinishedAfterFourPollsNamesTheNewMasterThenResets) {
  // The third poll sees no failover flag but still the old master, as
  // between an aborted failover and a new one: not finished.
  script_failover(
      {kPromoting, kReconfiguring, {{"ip", kPeerFqdn}, {"flags", "master"}}, kPromoted});
  depart_master();
  EXPECT_EQ(redis.sent(), joined(up_to_failover(), {kMaster, kMaster, kMaster, kMaster,
                                                    reset_cmd(kThirdFqdn), reset_cmd(kFqdn)}));
  EXPECT_EQ(app_bag().at("leader-host"), kThirdFqdn);
  const std::chrono::milliseconds interval(250);
  EXPECT_THAT(clock.sleeps(), ElementsAre(interval, interval, interval));
  EXPECT_EQ(juju.unit_status, ops::ActiveStatus());
  EXPECT_TRUE(dispatcher->deferred().empty());
  EXPECT_THAT(log_lines, ::testing::Contains("INFO: Failover away from " + std::string(kPeerFqdn) +
                                             " finished: " + kThirdFqdn + " is the master"));
  EXPECT_THAT(log_lines, ::testing::Contains("INFO: Unit redis-k8s/0 updating master info to " +
                                             std::string(kThirdFqdn)));
}

TEST_F(ForcedFailoverTest, NeverFinishingWaitsTenSecondsThenDefersWithoutReset) {
  script_failover({kPromoting});
  depart_master();
  // 250 ms apart for 10 s: polls at 0, 0.25, ..., 10 s.
  std::vector<Cmd> expected = up_to_failover();
  for (int i = 0; i < 41; ++i) expected.push_back(kMaster);
  EXPECT_EQ(redis.sent(), expected);
  EXPECT_EQ(clock.sleeps(),
            std::vector<std::chrono::milliseconds>(40, std::chrono::milliseconds(250)));
  EXPECT_EQ(juju.unit_status, ops::WaitingStatus("Failover didn't finish, deferring"));
  EXPECT_THAT(dispatcher->deferred(),
              ElementsAre("RedisK8sCharm/on/redis_peers_relation_departed[1] "
                          "on_peer_relation_departed"));
  // leader-host still names the departed master until the promotion is seen.
  EXPECT_EQ(app_bag().at("leader-host"), kPeerFqdn);
  EXPECT_THAT(
      log_lines,
      ::testing::Contains("WARNING: Failover away from " + std::string(kPeerFqdn) +
                          " not finished after 10000 ms (master " + kPeerFqdn +
                          ", flags master,failover_in_progress, failover-state wait_promotion)"));
}

TEST_F(ForcedFailoverTest, PollIntervalAndBoundAreInjectable) {
  redis_k8s::RedisCharmCollaborators c = collaborators();
  c.failover_poll_interval = std::chrono::milliseconds(100);
  c.failover_timeout = std::chrono::milliseconds(300);
  make_dispatcher(c);
  script_failover({kPromoting});
  depart_master();
  EXPECT_EQ(redis.sent(), joined(up_to_failover(), {kMaster, kMaster, kMaster, kMaster}));
  const std::chrono::milliseconds interval(100);
  EXPECT_THAT(clock.sleeps(), ElementsAre(interval, interval, interval));
  EXPECT_EQ(juju.unit_status, ops::WaitingStatus("Failover didn't finish, deferring"));
}

TEST_F(ForcedFailoverTest, RetriesAfterDeferralFollowTheFailoverWithoutASecondOne) {
  script_failover({kPromoting});
  depart_master();
  ASSERT_EQ(dispatcher->deferred().size(), 1u);
  redis.set_info_server("localhost", {{"redis_version", "7.0.15"}});

  // First retry (before update-status): the failover still runs. No FAILOVER,
  // no RESET, no polling loop: defer again.
  redis.clear_sent();
  run("update_status");
  EXPECT_EQ(redis.sent(),
            (std::vector<Cmd>{kMaster, set_quorum_cmd(kThirdFqdn), set_quorum_cmd(kFqdn), kMaster,
                              // update-status
                              kMaster, Cmd{Service::kRedis, "localhost", {"INFO", "server"}}}));
  EXPECT_EQ(dispatcher->deferred().size(), 1u);
  EXPECT_EQ(app_bag().at("leader-host"), kPeerFqdn);

  // Second retry: the Sentinel has promoted redis-k8s/2. leader-host follows
  // it, the departed unit is no longer the master, so no FAILOVER: RESET.
  redis.set_sentinel_master("localhost", kApp, kPromoted);
  redis.clear_sent();
  run("update_status");
  EXPECT_EQ(redis.sent(),
            (std::vector<Cmd>{kMaster, kMaster, set_quorum_cmd(kThirdFqdn), set_quorum_cmd(kFqdn),
                              kMaster, reset_cmd(kThirdFqdn), reset_cmd(kFqdn),
                              // update-status
                              kMaster, Cmd{Service::kRedis, "localhost", {"INFO", "server"}}}));
  EXPECT_EQ(app_bag().at("leader-host"), kThirdFqdn);
  EXPECT_EQ(juju.unit_status, ops::ActiveStatus());
  EXPECT_TRUE(dispatcher->deferred().empty());
  EXPECT_EQ(clock.sleeps().size(), 40u);  // only the first dispatch waited

  // Converged: the next hook has nothing left to retry.
  redis.clear_sent();
  run("update_status");
  EXPECT_EQ(redis.sent(),
            (std::vector<Cmd>{kMaster, Cmd{Service::kRedis, "localhost", {"INFO", "server"}}}));
  EXPECT_EQ(app_bag().at("leader-host"), kThirdFqdn);
}

TEST(FailoverCompleted, NeedsNoFailoverFlagNoFailoverStateAndAnotherMaster) {
  using redis_k8s::failover_completed_away_from;
  const std::string old_master = "old";
  EXPECT_TRUE(failover_completed_away_from(
      std::map<std::string, std::string>{{"ip", "new"}, {"flags", "master"}}, old_master));
  EXPECT_FALSE(failover_completed_away_from(std::nullopt, old_master));
  EXPECT_FALSE(failover_completed_away_from(
      std::map<std::string, std::string>{{"ip", "old"}, {"flags", "master"}}, old_master));
  EXPECT_FALSE(failover_completed_away_from(
      std::map<std::string, std::string>{{"ip", ""}, {"flags", "master"}}, old_master));
  EXPECT_FALSE(failover_completed_away_from(std::map<std::string, std::string>{{"flags", "master"}},
                                            old_master));
  EXPECT_FALSE(failover_completed_away_from(
      std::map<std::string, std::string>{{"ip", "new"}, {"flags", "master,failover_in_progress"}},
      old_master));
  EXPECT_FALSE(failover_completed_away_from(
      std::map<std::string, std::string>{
          {"ip", "new"}, {"flags", "master"}, {"failover-state", "reconf_slaves"}},
      old_master));
}

TEST(FakeRedisWorkloadSequence, AnswersInTurnThenRepeatsTheLast) {
  FakeRedisWorkload fake;
  fake.set_sentinel_master_sequence("h", "app", {{{"ip", "a"}}, {{"ip", "b"}}});
  EXPECT_EQ(fake.sentinel_master("h", "app").at("ip"), "a");
  EXPECT_EQ(fake.sentinel_master("h", "app").at("ip"), "b");
  EXPECT_EQ(fake.sentinel_master("h", "app").at("ip"), "b");
  fake.set_sentinel_master("h", "app", {{"ip", "c"}});  // a single reply replaces the sequence
  EXPECT_EQ(fake.sentinel_master("h", "app").at("ip"), "c");
  EXPECT_THROW(fake.set_replies(Service::kSentinel, "h", {"PING"}, {}), std::invalid_argument);
}

TEST_F(RedisCharmTest, FixUpgradeWithoutMasterInfoDefersInsteadOfCrashing) {
  juju.leader = true;
  juju.relation_units[peer_id] = {"redis-k8s/1"};
  app_bag() = {{"leader-host", "leader-host"}, {"redis-password", "password"}};
  redis.set_sentinel_master(kPeerFqdn, kApp, {{"flags", "master"}});  // no "ip"
  run("upgrade_charm");
  EXPECT_EQ(app_bag().at("leader-host"), "leader-host");
  EXPECT_THAT(dispatcher->deferred(),
              ElementsAre("RedisK8sCharm/on/upgrade_charm[1] on_upgrade_charm"));
}

TEST_F(RedisCharmTest, FixSentinelErrorReplyDuringBroadcastIsLoggedNotFatal) {
  juju.leader = true;
  juju.relation_units[peer_id] = {"redis-k8s/1"};
  app_bag() = {{"leader-host", kFqdn}, {"redis-password", "password"}};
  redis.set_sentinel_master("localhost", kApp, {{"ip", kFqdn}, {"flags", "master"}});
  redis.set_ckquorum("localhost", kApp, true);
  redis.set_error(Service::kSentinel, kPeerFqdn, {"SENTINEL", "SET", kApp, "quorum", "1"},
                  FakeRedisWorkload::ErrorKind::kReply, "NOAUTH Authentication required.");
  redis.accept_sentinel_writes(kFqdn, kApp, 1);
  run("redis_peers_relation_changed", peer_snapshot("redis-k8s/1"));
  EXPECT_EQ(juju.unit_status, ops::ActiveStatus());
  EXPECT_THAT(log_lines, ::testing::Contains(std::string("ERROR: Error connecting to instance: ") +
                                             kPeerFqdn + " - NOAUTH Authentication required."));
  EXPECT_THAT(redis.sent_to(Service::kSentinel, kFqdn),
              ElementsAre(std::vector<std::string>{"SENTINEL", "SET", kApp, "quorum", "1"}));
}

TEST_F(RedisCharmTest, FixSentinelPebbleReadyChecksRedisInsteadOfDeferring) {
  app_bag() = {{"leader-host", kFqdn}, {"redis-password", "password"}};
  run("sentinel_pebble_ready", {{"container_name", "sentinel"}});
  EXPECT_EQ(juju.unit_status, ops::WaitingStatus("Waiting for Redis..."));
  EXPECT_TRUE(dispatcher->deferred().empty());
  redis.set_info_server("localhost", {{"redis_version", "7.0.15"}});
  run("sentinel_pebble_ready", {{"container_name", "sentinel"}});
  EXPECT_EQ(juju.unit_status, ops::ActiveStatus());
}

TEST_F(RedisCharmTest, SentinelPebbleReadyDefersUntilPeerDataArrives) {
  run("sentinel_pebble_ready", {{"container_name", "sentinel"}});
  EXPECT_EQ(juju.unit_status, ops::WaitingStatus("Databag has not been populated"));
  EXPECT_EQ(dispatcher->deferred().size(), 1u);
  app_bag() = {{"leader-host", kFqdn}, {"redis-password", "password"}};
  redis.set_info_server("localhost", {{"redis_version", "7.0.15"}});
  run("update_status");  // the deferred pebble-ready runs first and succeeds
  EXPECT_TRUE(dispatcher->deferred().empty());
  EXPECT_EQ(sentinel_pebble.running, (std::set<std::string>{"sentinel"}));
}

TEST_F(RedisCharmTest, FixLeaderElectedBeforeThePeerRelationDefers) {
  juju.relation_ids_by_endpoint["redis-peers"].clear();
  juju.leader = true;
  run("leader_elected");
  EXPECT_THAT(dispatcher->deferred(),
              ElementsAre("RedisK8sCharm/on/leader_elected[1] on_leader_elected"));
}

// ---- actions ------------------------------------------------------------------

TEST_F(RedisCharmTest, CheckServiceReportsRunningAndNotRunning) {
  run("check_service_action", {{"id", "1"}});
  EXPECT_EQ(juju.action_results, (nlohmann::json{{"result", "Service is not running"}}));
  redis.set_info_server("localhost", {{"redis_version", "7.0.15"}});
  juju.action_results = nlohmann::json::object();
  run("check_service_action", {{"id", "2"}});
  EXPECT_EQ(juju.action_results, (nlohmann::json{{"result", "Service is running"}}));
}

TEST_F(RedisCharmTest, PasswordActionsReturnThePasswords) {
  app_bag() = {{"redis-password", "rpw"}, {"sentinel-password", "spw"}};
  run("get_initial_admin_password_action", {{"id", "1"}});
  run("get_sentinel_password_action", {{"id", "2"}});
  EXPECT_EQ(juju.action_results,
            (nlohmann::json{{"redis-password", "rpw"}, {"sentinel-password", "spw"}}));
  EXPECT_EQ(juju.action_failure, std::nullopt);
}

TEST_F(RedisCharmTest, FixPasswordActionsFailClearlyInsteadOfReturningNone) {
  run("get_initial_admin_password_action", {{"id", "1"}});
  EXPECT_EQ(juju.action_failure,
            "The Redis password has not been generated yet: wait for the leader to set it");
  run("get_sentinel_password_action", {{"id", "2"}});
  EXPECT_EQ(juju.action_failure,
            "The Sentinel password has not been generated yet: wait for the leader to set it");
  app_bag() = {{"redis-password", "rpw"}, {"enable-password", "false"}};
  run("get_initial_admin_password_action", {{"id", "3"}});
  EXPECT_EQ(juju.action_failure,
            "Redis runs without a password: a legacy `redis` relation switched it off");
  EXPECT_EQ(juju.action_results, nlohmann::json::object());
}

}  // namespace
