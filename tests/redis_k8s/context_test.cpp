// RedisK8sCharm through ops::testing::Context/State, following the
// reference charm's Scenario tests: each test is one dispatch from a State
// to the State after it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "redis_k8s/fixture.hpp"

namespace {

using ops::testing::Container;
using ops::testing::Relation;
using ops::testing::State;
using redis_k8s::FakeRedisWorkload;
using redis_k8s::Service;
using redis_test::kApp;
using redis_test::kFqdn;

class RedisContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    world.addresses = {{kFqdn, "10.1.0.10"}, {"leader-host", "10.2.1.5"}};
    ctx = redis_test::make_context(world.make());
  }
  static Relation peers(ops::testing::Databag app_data = {}) {
    return ops::testing::peer_relation("redis-peers", {}, std::move(app_data));
  }
  // Both containers; the redis one answers `chown` with success.
  static std::vector<Container> containers(bool can_connect = true) {
    return {Container{.name = "redis",
                      .can_connect = can_connect,
                      .execs = {{{"chown"}, ops::testing::ExecResult{}}}},
            Container{.name = "sentinel", .can_connect = can_connect}};
  }

  redis_test::Collaborators world;
  FakeRedisWorkload& redis = world.redis;
  std::unique_ptr<ops::testing::ContextBase> ctx;
};

TEST_F(RedisContextTest, UpdateStatusSuccessLeader) {
  redis.set_info_server("localhost", {{"redis_version", "6.0.11"}});
  State out = ctx->run(ctx->on.update_status(), State{.leader = true, .relations = {peers()}});
  EXPECT_EQ(out.unit_status, ops::ActiveStatus());
  EXPECT_EQ(out.app_status, ops::ActiveStatus());
  EXPECT_EQ(out.workload_version, "6.0.11");
}

TEST_F(RedisContextTest, UpdateStatusFailureLeader) {
  State out = ctx->run(ctx->on.update_status(), State{.leader = true, .relations = {peers()}});
  EXPECT_EQ(out.unit_status, ops::WaitingStatus("Waiting for Redis..."));
  EXPECT_EQ(out.app_status, ops::WaitingStatus("Waiting for Redis..."));
  EXPECT_EQ(out.workload_version, std::nullopt);
}

TEST_F(RedisContextTest, UpdateStatusNotLeader) {
  redis.set_info_server("localhost", {{"redis_version", "6.0.11"}});
  State out = ctx->run(ctx->on.update_status(), State{.relations = {peers()}});
  EXPECT_EQ(out.unit_status, ops::ActiveStatus());
  EXPECT_EQ(out.app_status, ops::UnknownStatus());
  EXPECT_EQ(out.workload_version, "6.0.11");
}

// Juju keeps the workload version and the app status between hooks: an
// update-status that finds Redis as this unit last reported it sends
// neither again (two hook-tool processes fewer); the unit status is set.
TEST_F(RedisContextTest, UpdateStatusResendsNeitherAnUnchangedVersionNorAppStatus) {
  redis.set_info_server("localhost", {{"redis_version", "6.0.11"}});
  State first = ctx->run(ctx->on.update_status(), State{.leader = true, .relations = {peers()}});
  EXPECT_EQ(first.get_stored_state("RedisK8sCharm").content,
            (nlohmann::json{{"workload-version", "6.0.11"}, {"app-status", {"active", ""}}}));

  State out = ctx->run(ctx->on.update_status(), first);
  EXPECT_EQ(ctx->workload_version_history, std::vector<std::string>{});
  EXPECT_EQ(ctx->app_status_history, std::vector<ops::StatusBase>{});
  EXPECT_EQ(ctx->unit_status_history, std::vector<ops::StatusBase>{ops::ActiveStatus()});
  EXPECT_EQ(out.workload_version, "6.0.11");
  EXPECT_EQ(out.app_status, ops::ActiveStatus());
  EXPECT_EQ(out.unit_status, ops::ActiveStatus());
}

TEST_F(RedisContextTest, UpdateStatusSendsANewVersionAndANewAppStatus) {
  redis.set_info_server("localhost", {{"redis_version", "6.0.11"}});
  State first = ctx->run(ctx->on.update_status(), State{.leader = true, .relations = {peers()}});

  redis.set_info_server("localhost", {{"redis_version", "7.0.15"}});
  State upgraded = ctx->run(ctx->on.update_status(), first);
  EXPECT_EQ(upgraded.workload_version, "7.0.15");
  EXPECT_EQ(ctx->workload_version_history, std::vector<std::string>{"6.0.11"});
  EXPECT_EQ(ctx->app_status_history, std::vector<ops::StatusBase>{});

  redis.forget_host(Service::kRedis, "localhost");
  State down = ctx->run(ctx->on.update_status(), upgraded);
  EXPECT_EQ(down.app_status, ops::WaitingStatus("Waiting for Redis..."));
  EXPECT_EQ(ctx->app_status_history, std::vector<ops::StatusBase>{ops::ActiveStatus()});
  EXPECT_EQ(down.get_stored_state("RedisK8sCharm").content,
            (nlohmann::json{{"workload-version", "7.0.15"},
                            {"app-status", {"waiting", "Waiting for Redis..."}}}));
}

// Another leader may have set the app status in between: a newly elected
// leader sets it again.
TEST_F(RedisContextTest, LeaderElectedForgetsTheLastAppStatusSet) {
  redis.set_info_server("localhost", {{"redis_version", "6.0.11"}});
  State first = ctx->run(ctx->on.update_status(), State{.leader = true, .relations = {peers()}});
  State elected = ctx->run(ctx->on.leader_elected(), first);
  EXPECT_EQ(elected.get_stored_state("RedisK8sCharm").content,
            (nlohmann::json{{"workload-version", "6.0.11"}}));

  State out = ctx->run(ctx->on.update_status(), elected);
  EXPECT_EQ(ctx->app_status_history, std::vector<ops::StatusBase>{ops::ActiveStatus()});
  EXPECT_EQ(ctx->workload_version_history, std::vector<std::string>{});
  EXPECT_EQ(out.app_status, ops::ActiveStatus());
}

// The leader follows Sentinel's master on update-status; while Sentinel
// names the master leader-host already holds, no bag is written again.
TEST_F(RedisContextTest, UpdateStatusRepublishesTheMasterOnlyWhenItChanged) {
  redis.set_info_server("localhost", {{"redis_version", "6.0.11"}});
  redis.set_sentinel_master("localhost", kApp, {{"ip", "leader-host"}, {"flags", "master"}});
  Relation peer = peers({{"leader-host", "leader-host"}});
  Relation wordpress{.endpoint = "redis", .remote_app_name = "wordpress"};
  State same =
      ctx->run(ctx->on.update_status(), State{.leader = true, .relations = {peer, wordpress}});
  EXPECT_EQ(same.get_relation(peer.id).local_app_data, peer.local_app_data);
  EXPECT_EQ(same.get_relation(wordpress.id).local_app_data, wordpress.local_app_data);
  EXPECT_EQ(same.get_relation(wordpress.id).local_unit_data, wordpress.local_unit_data);

  redis.set_sentinel_master("localhost", kApp, {{"ip", kFqdn}, {"flags", "master"}});
  State moved = ctx->run(ctx->on.update_status(), same);
  EXPECT_EQ(moved.get_relation(peer.id).local_app_data.at("leader-host"), kFqdn);
  EXPECT_EQ(moved.get_relation(wordpress.id).local_app_data.at("leader-host"), kFqdn);
  EXPECT_EQ(moved.get_relation(wordpress.id).local_unit_data.at("host"), "10.1.0.10");
  EXPECT_EQ(moved.get_relation(wordpress.id).local_unit_data.at("hostname"), "10.1.0.10");
}

TEST_F(RedisContextTest, ConfigChangedLeaderSuccess) {
  redis.set_info_server("localhost", {{"redis_version", "6.0.11"}});
  State out = ctx->run(
      ctx->on.config_changed(),
      State{.config = {{"enable-tls", false}},
            .leader = true,
            .relations = {peers({{"redis-password", "test-password"}, {"leader-host", kFqdn}})},
            .containers = containers()});
  ops::pebble::Plan plan = out.get_container("redis").plan();
  EXPECT_EQ(plan.services.at("redis"),
            redis_test::redis_service(redis_test::normal_conf("test-password"), ""));
  EXPECT_EQ(out.get_container("redis").files.at("/etc/redis-server/redis.conf"),
            redis_test::normal_conf("test-password"));
  EXPECT_EQ(out.get_container("redis").service_statuses.at("redis"),
            ops::pebble::ServiceStatus::kActive);
  EXPECT_EQ(out.get_container("sentinel").files.count("/etc/redis-server/sentinel.conf"), 1u);
  EXPECT_EQ(out.unit_status, ops::ActiveStatus());
  EXPECT_EQ(out.app_status, ops::ActiveStatus());
  EXPECT_EQ(out.workload_version, "6.0.11");
}

TEST_F(RedisContextTest, ConfigChangedPebbleErrorDefers) {
  State out =
      ctx->run(ctx->on.config_changed(),
               State{.leader = true, .relations = {peers()}, .containers = containers(false)});
  EXPECT_TRUE(out.get_container("redis").plan().services.empty());
  EXPECT_EQ(out.unit_status, ops::WaitingStatus("Waiting for Pebble in sentinel container"));
  EXPECT_EQ(out.app_status, ops::UnknownStatus());
  ASSERT_EQ(out.deferred.size(), 1u);
  EXPECT_EQ(out.deferred[0].method_name, "on_config_changed");
}

TEST_F(RedisContextTest, FixServicesStoppedWithACurrentPlanAreStarted) {
  // The state a kill between stop and start leaves: current layer, services inactive.
  State in{.leader = true,
           .relations = {peers({{"redis-password", "pw"}, {"leader-host", kFqdn}})},
           .containers = containers()};
  redis.set_info_server("localhost", {{"redis_version", "7.0.15"}});
  State first = ctx->run(ctx->on.config_changed(), in);
  State killed = first;
  for (auto& c : killed.containers) {
    for (auto& [name, status] : c.service_statuses) status = ops::pebble::ServiceStatus::kInactive;
  }
  State out = ctx->run(ctx->on.config_changed(), killed);
  EXPECT_EQ(out.get_container("redis").plan(), first.get_container("redis").plan());
  EXPECT_EQ(out.get_container("redis").service_statuses.at("redis"),
            ops::pebble::ServiceStatus::kActive);
  EXPECT_EQ(out.get_container("redis").service_statuses.at("redis_exporter"),
            ops::pebble::ServiceStatus::kActive);
  EXPECT_EQ(out.get_container("sentinel").service_statuses.at("sentinel"),
            ops::pebble::ServiceStatus::kActive);
}

TEST_F(RedisContextTest, PasswordOnLeaderElected) {
  Relation peer = peers();
  State out = ctx->run(ctx->on.leader_elected(), State{.leader = true, .relations = {peer}});
  const std::string password = out.get_relation(peer.id).local_app_data.at("redis-password");
  EXPECT_THAT(password, ::testing::MatchesRegex("[A-Za-z0-9]{16}"));
  EXPECT_EQ(out.get_relation(peer.id).local_app_data.at("leader-host"), kFqdn);
  redis.set_sentinel_master("localhost", kApp, {{"ip", kFqdn}, {"flags", "master"}});
  State again = ctx->run(ctx->on.leader_elected(), out);
  EXPECT_EQ(again.get_relation(peer.id).local_app_data.at("redis-password"), password);
}

TEST_F(RedisContextTest, RelationChangedWritesMasterIpAndPort) {
  Relation peer = peers({{"leader-host", "leader-host"}});
  Relation wordpress{.endpoint = "redis", .remote_app_name = "wordpress"};
  State out = ctx->run(ctx->on.relation_changed(wordpress, 0),
                       State{.leader = true, .relations = {peer, wordpress}});
  const auto& bag = out.get_relation(wordpress.id).local_unit_data;
  EXPECT_EQ(bag.at("hostname"), "10.2.1.5");
  EXPECT_EQ(bag.at("port"), "6379");
}

TEST_F(RedisContextTest, PebbleLayerOnRelationCreatedHasNoPassword) {
  Relation peer = peers({{"leader-host", kFqdn}});
  Relation wordpress{.endpoint = "redis", .remote_app_name = "wordpress"};
  State out = ctx->run(ctx->on.relation_created(wordpress),
                       State{.leader = true,
                             .relations = {peer, wordpress},
                             .containers = {Container{.name = "redis", .can_connect = true},
                                            Container{.name = "sentinel"}}});
  EXPECT_EQ(out.get_container("redis").plan().services.at("redis"),
            redis_test::redis_service(redis_test::legacy_conf(), ""));
  EXPECT_EQ(out.get_container("redis").files.at("/etc/redis-server/redis.conf"),
            redis_test::legacy_conf());
  EXPECT_EQ(out.get_relation(peer.id).local_app_data.at("enable-password"), "false");
  EXPECT_EQ(out.get_relation(wordpress.id).local_app_data.at("leader-host"), kFqdn);
}

TEST_F(RedisContextTest, DepartingMasterIsHandedOverWithoutLosingWrites) {
  const std::string departing = redis_test::kPeerFqdn;
  // Up to date?, update, finished?, the handover's look; FAILOVER; promoting,
  // then this unit promoted.
  redis.set_sentinel_master_sequence("localhost", kApp,
                                     redis_test::forced_failover_answers(departing, kFqdn, 5));
  redis.accept_sentinel_writes("localhost", kApp, 1);
  redis.accept_sentinel_writes(kFqdn, kApp, 1);
  redis.set_default_reply(Service::kRedis, departing, redis_k8s::RedisReply::status("OK"));
  redis.set_info_replication_sequence(departing, {{90, {90}}});
  Relation peer = ops::testing::peer_relation(
      "redis-peers", {{1, {}}}, {{"leader-host", "leader-host"}, {"redis-password", "password"}});
  State out = ctx->run(ctx->on.relation_departed(peer, 1, 1),
                       State{.leader = true, .relations = {peer}, .planned_units = 1});
  using Cmd = FakeRedisWorkload::SentCommand;
  const Cmd master{Service::kSentinel, "localhost", {"SENTINEL", "MASTER", kApp}};
  const auto on_departing = [&](std::vector<std::string> argv) {
    return Cmd{Service::kRedis, departing, std::move(argv)};
  };
  EXPECT_THAT(
      redis.sent(),
      ::testing::ElementsAre(
          master, master, Cmd{Service::kSentinel, kFqdn, {"SENTINEL", "SET", kApp, "quorum", "1"}},
          master, master, Cmd{Service::kSentinel, "localhost", {"SENTINEL", "REPLICAS", kApp}},
          on_departing({"CLIENT", "PAUSE", "15000", "WRITE"}),
          on_departing({"INFO", "replication"}), master,
          Cmd{Service::kSentinel, "localhost", {"SENTINEL", "FAILOVER", kApp}}, master, master,
          on_departing({"REPLICAOF", kFqdn, "6379"}), on_departing({"CLIENT", "UNPAUSE"}),
          Cmd{Service::kSentinel, kFqdn, {"SENTINEL", "RESET", kApp}}));
  // Fix: leader-host names the promoted master, not the departed one.
  EXPECT_EQ(out.get_relation(peer.id).local_app_data.at("leader-host"), kFqdn);
  EXPECT_EQ(world.clock.sleeps(),
            std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(250)});
  EXPECT_TRUE(out.deferred.empty());
  EXPECT_EQ(out.unit_status, ops::ActiveStatus());
}

}  // namespace
