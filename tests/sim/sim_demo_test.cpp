// The demo's flow (scripts/demo.sh), asserted step by step: three redis-k8s
// units with real redis-server and redis-sentinel in their pods, and
// redis-client, under ops-sim. Needs network namespaces (root, iproute2),
// redis-server, redis-sentinel and prometheus-redis-exporter; skips itself
// when one is missing. Labelled "netns".
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>

#include "redis_model_fixture.hpp"

namespace ops_sim::testing {
namespace {

using ::testing::HasSubstr;

class SimDemo : public SimRedisModel {
 protected:
  // Pids of the processes in the model's pods (Pebble daemons, services).
  std::vector<int> pod_pids(const std::string& uuid) {
    std::vector<int> out;
    for (const auto& unit : {"redis-k8s/0", "redis-k8s/1", "redis-k8s/2", "redis-client/0"}) {
      const auto r = run_command({"ip", "netns", "pids", pod_netns_name(uuid, unit)});
      for (const auto& line : split(r.out, '\n')) {
        if (auto pid = parse_int(trim(line))) out.push_back(static_cast<int>(*pid));
      }
    }
    return out;
  }

  static bool alive(int pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const auto pos = content.rfind(')');
    return !content.empty() && pos != std::string::npos && content[pos + 2] != 'Z';
  }
};

TEST_F(SimDemo, RedisWithSentinelReplicatesAndServesTheClient) {
  // 1. Three redis-k8s units, really running Redis and Sentinel.
  auto r = deploy_redis_k8s(3);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = deploy_redis_client();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto s = status();
  const std::string uuid = s["model"]["uuid"];
  EXPECT_EQ(s["applications"]["redis-client"]["units"]["redis-client/0"]["workload-status"],
            (nlohmann::json{{"current", "blocked"}, {"message", "Needs a redis relation"}}));
  ASSERT_TRUE(eventually(
      [&] {
        auto u = unsettled();
        return u.size() == 1 && u[0] == "redis-client/0 blocked/idle";
      },
      std::chrono::seconds(20)))
      << ok({"status"}) << ok({"debug-log"});
  EXPECT_EQ(s["applications"]["redis-k8s"]["units"]["redis-k8s/0"]["leader"], true);

  // 2. The admin password from the action is the one in the peer bag, and
  // Redis wants it.
  const auto bag = ok({"show-unit", "redis-k8s/0"});
  const auto password = yaml_value(bag, "redis-password");
  ASSERT_EQ(password.size(), 16u) << bag;
  EXPECT_EQ(yaml_value(bag, "leader-host"), fqdn(0));
  EXPECT_EQ(ok({"run", "redis-k8s/0", "get-initial-admin-password"}),
            "redis-password: " + password + "\n");
  const auto sentinel_password =
      yaml_value(ok({"run", "redis-k8s/0", "get-sentinel-password"}), "sentinel-password");
  EXPECT_EQ(sentinel_password, yaml_value(bag, "sentinel-password"));
  EXPECT_THAT(cli_out({"-h", fqdn(0), "GET", "demo-key"}), HasSubstr("NOAUTH"));
  EXPECT_EQ(cli_out({"-h", fqdn(0), "-a", password, "--no-auth-warning", "SET", "demo-key",
                     "with-password"}),
            "OK");

  // 3. Integrate: the client gets the master's URL; everything settles.
  r = sim({"integrate", "redis-k8s", "redis-client"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(eventually([&] { return unsettled().empty(); }, std::chrono::seconds(20)))
      << ok({"status"}) << ok({"debug-log"});
  s = status();
  const std::string url = s["applications"]["redis-client"]["application-status"]["message"];
  EXPECT_EQ(url, "redis://" + fqdn(0) + ":6379");
  EXPECT_EQ(s["applications"]["redis-k8s"]["application-status"]["current"], "active");
  // redis-client says `auth-capable`: the password stays on (the reference
  // switches it off for every client) and the action still gives it.
  EXPECT_EQ(ok({"run", "redis-k8s/0", "get-initial-admin-password"}),
            "redis-password: " + password + "\n");

  // 4. SET through the URL with the password, from the client's pod.
  const auto hostport = url.substr(std::string("redis://").size());
  const auto host = hostport.substr(0, hostport.rfind(':'));
  const auto port = hostport.substr(hostport.rfind(':') + 1);
  EXPECT_THAT(cli_out({"-h", host, "-p", port, "GET", "demo-key"}), HasSubstr("NOAUTH"));
  EXPECT_EQ(
      cli_out({"-h", host, "-p", port, "-a", password, "--no-auth-warning", "GET", "demo-key"}),
      "with-password");
  EXPECT_EQ(cli_out({"-h", host, "-p", port, "-a", password, "--no-auth-warning", "SET", "demo-key",
                     "hello-from-ops-cpp"}),
            "OK");

  // 5. Replication: the leader-host unit is the one master, the others are
  // its replicas with the link up, and they serve the key.
  const auto leader_host = yaml_value(ok({"show-unit", "redis-k8s/0"}), "leader-host");
  EXPECT_EQ(leader_host, fqdn(0));
  for (int n = 0; n < 3; ++n) {
    const bool master = fqdn(n) == leader_host;
    const auto role =
        split(cli_out({"-h", fqdn(n), "-a", password, "--no-auth-warning", "ROLE"}), '\n');
    ASSERT_FALSE(role.empty());
    EXPECT_EQ(role[0], master ? "master" : "slave") << fqdn(n);
    if (master) continue;
    EXPECT_EQ(role[1], leader_host);
    EXPECT_TRUE(eventually(
        [&] {
          return cli_out(
                     {"-h", fqdn(n), "-a", password, "--no-auth-warning", "INFO", "replication"})
                     .find("master_link_status:up") != std::string::npos;
        },
        std::chrono::seconds(20)))
        << fqdn(n);
    EXPECT_TRUE(eventually(
        [&] {
          return cli_out({"-h", fqdn(n), "-a", password, "--no-auth-warning", "GET", "demo-key"}) ==
                 "hello-from-ops-cpp";
        },
        std::chrono::seconds(10)))
        << fqdn(n);
    r = cli({"-h", fqdn(n), "-a", password, "--no-auth-warning", "SET", "other", "x"});
    EXPECT_THAT(r.out, HasSubstr("READONLY")) << fqdn(n);
  }

  // 6. Every sentinel names the leader-host unit as the master.
  for (int n = 0; n < 3; ++n) {
    const auto master = split(cli_out({"-h", fqdn(n), "-p", "26379", "-a", sentinel_password,
                                       "--no-auth-warning", "SENTINEL", "MASTER", "redis-k8s"}),
                              '\n');
    ASSERT_GE(master.size(), 6u);
    EXPECT_EQ(master[0], "name");
    EXPECT_EQ(master[1], "redis-k8s");
    EXPECT_EQ(master[2], "ip");
    EXPECT_EQ(master[3], leader_host) << "sentinel of " << fqdn(n);
    EXPECT_EQ(master[5], "6379");
  }

  // 7. Storage: the charm took the volume (mounted root-owned, as on
  // Kubernetes) for redis, so Redis writes its append-only files there and
  // BGSAVE writes dump.rdb.
  const auto cli_auth = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {"-h", fqdn(0), "-a", password, "--no-auth-warning"};
    argv.insert(argv.end(), args.begin(), args.end());
    return cli_out(argv);
  };
  EXPECT_THAT(cli_auth({"BGSAVE", "SCHEDULE"}), HasSubstr("Background saving"));
  EXPECT_TRUE(eventually(
      [&] {
        const auto info = cli_auth({"INFO", "persistence"});
        return info.find("rdb_bgsave_in_progress:0") != std::string::npos &&
               info.find("rdb_last_bgsave_status:ok") != std::string::npos &&
               info.find("aof_enabled:1") != std::string::npos &&
               info.find("aof_last_write_status:ok") != std::string::npos;
      },
      std::chrono::seconds(10)))
      << cli_auth({"INFO", "persistence"});
  r = sim({"ssh", "redis-k8s/0", "--container", "redis", "--", "sh", "-c",
           "stat -c %U /var/lib/redis; ls /var/lib/redis /var/lib/redis/appendonlydir"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(split(r.out, '\n'), ::testing::Contains("redis")) << r.out;
  EXPECT_THAT(split(r.out, '\n'), ::testing::Contains("dump.rdb")) << r.out;
  EXPECT_THAT(split(r.out, '\n'), ::testing::Contains("appendonly.aof.manifest")) << r.out;

  // 8. destroy leaves no namespace and no process of the model.
  const auto pids = pod_pids(uuid);
  // 6 Pebble daemons (2 containers x 3 units), then redis-server,
  // redis_exporter and the sentinel in each unit.
  EXPECT_GE(pids.size(), 15u);
  ok({"destroy"});
  auto namespaces = run_command({"ip", "netns", "list"}).out;
  EXPECT_THAT(namespaces, ::testing::Not(HasSubstr("opssim-" + uuid.substr(0, 8))));
  EXPECT_TRUE(eventually(
      [&] { return std::none_of(pids.begin(), pids.end(), [](int p) { return alive(p); }); },
      std::chrono::seconds(10)));
  EXPECT_FALSE(fs::exists(model_));
}

}  // namespace
}  // namespace ops_sim::testing
