// hand_over_master against real servers on 127.0.0.1: a master, two
// replicas and a Sentinel, with two writers doing SET then WAIT 1 1000 all
// through the handover. Every write a writer saw acknowledged (WAIT >= 1)
// must be on the new master afterwards.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "redis_client.hpp"
#include "redis_servers.hpp"
#include "workload.hpp"

namespace {

using redis_k8s::RedisClient;
using redis_k8s::RedisClientOptions;
using redis_k8s::RedisError;
using redis_test::Process;
using redis_test::TempDir;

const std::string kPassword = "handover-password";

// Redis servers reached by name ("master", "replica-1", ...) or by the
// address Sentinel reports ("127.0.0.1:<port>" is not a host name, so
// REPLICAOF gets Sentinel's ip and port as they are); the Sentinel is "localhost".
class LoopbackWorkload : public redis_k8s::RedisWorkload {
 public:
  LoopbackWorkload(std::map<std::string, int> redis_ports, int sentinel_port)
      : redis_ports_(std::move(redis_ports)), sentinel_port_(sentinel_port) {}

  redis_k8s::RedisReply execute(redis_k8s::Service service, const std::string& host,
                                const std::vector<std::string>& argv) override {
    RedisClientOptions options;
    options.host = "127.0.0.1";
    options.timeout = std::chrono::milliseconds(2000);
    if (service == redis_k8s::Service::kSentinel) {
      if (host != "localhost") throw redis_k8s::RedisConnectionError("no sentinel at " + host);
      options.port = sentinel_port_;
    } else {
      // A replica as the master's INFO names it (127.0.0.1): not one of ours.
      const auto port = redis_ports_.find(host);
      if (port == redis_ports_.end()) throw redis_k8s::RedisConnectionError("no redis at " + host);
      options.port = port->second;
      options.password = kPassword;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    sent_.push_back(host + " " + argv.front());
    RedisClient client(options);
    return client.command(argv);
  }
  std::vector<std::string> sent() {
    std::lock_guard<std::mutex> lock(mutex_);
    return sent_;
  }

 private:
  std::map<std::string, int> redis_ports_;
  int sentinel_port_;
  std::mutex mutex_;
  std::vector<std::string> sent_;
};

std::vector<std::string> redis_argv(int port, const std::filesystem::path& dir,
                                    std::optional<int> master_port) {
  std::vector<std::string> argv{"redis-server",
                                "--port",
                                std::to_string(port),
                                "--bind",
                                "127.0.0.1",
                                "--dir",
                                dir.string(),
                                "--save",
                                "",
                                "--appendonly",
                                "no",
                                "--requirepass",
                                kPassword,
                                "--masterauth",
                                kPassword,
                                "--repl-diskless-sync-delay",
                                "0"};
  if (master_port) {
    argv.insert(argv.end(), {"--replicaof", "127.0.0.1", std::to_string(*master_port)});
  }
  return argv;
}

RedisClientOptions client_options(int port, std::chrono::milliseconds timeout) {
  RedisClientOptions o;
  o.port = port;
  o.password = kPassword;
  o.timeout = timeout;
  return o;
}

TEST(HandoverWithRealServers, EveryWaitAcknowledgedWriteIsOnTheNewMaster) {
  TempDir dir("redis_handover_test_");
  const int master_port = redis_test::free_port();
  const int replica1_port = redis_test::free_port();
  const int replica2_port = redis_test::free_port();
  const int sentinel_port = redis_test::free_port();
  std::vector<std::unique_ptr<Process>> servers;
  for (const auto& [name, port, master] :
       {std::tuple{std::string("master"), master_port, std::optional<int>()},
        std::tuple{std::string("replica-1"), replica1_port, std::optional<int>(master_port)},
        std::tuple{std::string("replica-2"), replica2_port, std::optional<int>(master_port)}}) {
    std::filesystem::create_directories(dir.path() / name);
    servers.push_back(std::make_unique<Process>(redis_argv(port, dir.path() / name, master),
                                                dir.path() / (name + ".log")));
    redis_test::wait_until(
        [&] { return redis_test::answers_ping(client_options(port, std::chrono::seconds(1))); },
        name);
  }
  redis_test::write_file(dir.path() / "sentinel.conf",
                         "port " + std::to_string(sentinel_port) + "\nbind 127.0.0.1\ndir " +
                             dir.path().string() + "\nsentinel monitor redis-k8s 127.0.0.1 " +
                             std::to_string(master_port) +
                             " 1\nsentinel down-after-milliseconds redis-k8s 5000\n"
                             "sentinel auth-pass redis-k8s " +
                             kPassword + "\n");
  servers.push_back(std::make_unique<Process>(
      std::vector<std::string>{"redis-server", (dir.path() / "sentinel.conf").string(),
                               "--sentinel"},
      dir.path() / "sentinel.log"));

  LoopbackWorkload workload(
      {{"master", master_port}, {"replica-1", replica1_port}, {"replica-2", replica2_port}},
      sentinel_port);
  // Both replicas are in sync, and Sentinel knows them (it learns them from
  // the master's INFO).
  redis_test::wait_until(
      [&] {
        return redis_k8s::replication_state(workload.info_replication("master"))
                   .replica_offsets.size() == 2;
      },
      "both replicas online", std::chrono::seconds(20));
  redis_test::wait_until(
      [&] {
        auto info = redis_k8s::sentinel_master_info(workload, "localhost", "redis-k8s");
        return info && info->count("num-slaves") && info->at("num-slaves") == "2";
      },
      "sentinel to see both replicas", std::chrono::seconds(20));

  // Two writers: SET then WAIT 1 1000 on whichever server Sentinel names.
  std::atomic<bool> stop{false};
  std::mutex acknowledged_mutex;
  std::map<std::string, std::string> acknowledged;
  std::atomic<int> refused{0};
  std::vector<std::string> errors;
  auto writer = [&](int id) {
    int port = master_port;
    std::optional<RedisClient> client;
    for (int i = 0; !stop; ++i) {
      const std::string key = "w" + std::to_string(id) + ":" + std::to_string(i);
      try {
        if (!client) client.emplace(client_options(port, std::chrono::seconds(20)));
        client->command({"SET", key, std::to_string(i)});
        if (client->command({"WAIT", "1", "1000"}).integer() >= 1) {
          std::lock_guard<std::mutex> lock(acknowledged_mutex);
          acknowledged[key] = std::to_string(i);
        }
      } catch (const RedisError& e) {
        if (refused++ < 3) {
          std::lock_guard<std::mutex> lock(acknowledged_mutex);
          errors.push_back(e.what());
        }  // READONLY after the demotion, or the connection went
        client.reset();
        try {
          RedisClientOptions so;
          so.port = sentinel_port;
          RedisClient sentinel(so);
          auto addr =
              sentinel.command({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "redis-k8s"}).elements();
          if (addr.size() == 2) port = std::stoi(addr[1].str());
        } catch (const RedisError&) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  };
  auto acknowledged_count = [&] {
    std::lock_guard<std::mutex> lock(acknowledged_mutex);
    return acknowledged.size();
  };
  // Waits until more than `n` writes are acknowledged, or `limit` passes (the
  // expectations below then report it). A loaded machine can take seconds
  // for a replica to acknowledge the first WAIT, or to resync to a new master.
  auto wait_for_more_than = [&](std::size_t n, std::chrono::seconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (acknowledged_count() <= n && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  };
  std::thread w1(writer, 1);
  std::thread w2(writer, 2);
  wait_for_more_than(0, std::chrono::seconds(20));
  const std::size_t before = acknowledged_count();

  redis_k8s::HandoverTiming timing{
      .now = [] { return std::chrono::steady_clock::now(); },
      .sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); },
      .poll_interval = std::chrono::milliseconds(100),
      .catch_up_timeout = std::chrono::milliseconds(3000),
      .failover_timeout = std::chrono::milliseconds(20000),
      .pause = std::chrono::milliseconds(25000),
      // A single Sentinel: none can hold a stale view of a replica's role.
      .replica_settle = std::chrono::milliseconds(0)};
  std::vector<std::string> log;
  const auto started = std::chrono::steady_clock::now();
  redis_k8s::HandoverResult result =
      redis_k8s::hand_over_master(workload, "master", "localhost", "redis-k8s", timing,
                                  [&](const std::string& line) { log.push_back(line); });
  const auto took = std::chrono::steady_clock::now() - started;

  // The writers find the new master through Sentinel; a write is
  // acknowledged there once a replica (the old master first) follows it.
  wait_for_more_than(acknowledged_count(), std::chrono::seconds(20));
  stop = true;
  w1.join();
  w2.join();

  std::string steps;
  for (const auto& line : log) steps += line + "\n";
  for (const auto& e : errors) steps += "writer error: " + e + "\n";
  ASSERT_EQ(result.error, std::nullopt) << steps;
  ASSERT_TRUE(result.new_master.has_value()) << steps;
  EXPECT_TRUE(result.caught_up) << steps;
  EXPECT_EQ(*result.new_master, "127.0.0.1");
  const int new_port = std::stoi(result.new_master_port);
  EXPECT_TRUE(new_port == replica1_port || new_port == replica2_port) << new_port;
  EXPECT_LT(took, std::chrono::seconds(15));

  // The old master follows the new one at once; writes there are refused.
  RedisClient old_master(client_options(master_port, std::chrono::seconds(2)));
  EXPECT_EQ(old_master.command({"ROLE"}).elements().front().str(), "slave");
  EXPECT_THROW(old_master.command({"SET", "after", "1"}), redis_k8s::RedisReplyError);

  // Writes were acknowledged before and after the handover, and none is lost.
  RedisClient new_master(client_options(new_port, std::chrono::seconds(2)));
  std::lock_guard<std::mutex> lock(acknowledged_mutex);
  EXPECT_GT(before, 0u) << "refused " << refused.load();
  EXPECT_GT(acknowledged.size(), before);
  std::size_t lost = 0;
  for (const auto& [key, value] : acknowledged) {
    redis_k8s::RedisReply reply = new_master.command({"GET", key});
    if (reply.is_nil() || reply.str() != value) ++lost;
  }
  EXPECT_EQ(lost, 0u) << "of " << acknowledged.size() << " acknowledged writes\n" << steps;
  RecordProperty("acknowledged", static_cast<int>(acknowledged.size()));
  RecordProperty("refused", refused.load());
}

}  // namespace
