// What the redis-k8s charm's tests share: the charm's collaborators as test
// doubles (FakeRedisWorkload, FakeClock, a fixed FQDN and address book, a
// counting random source), the Harness and Context built on them through
// the charm factory, and small readers. Every test runs the charm through
// ops::testing (production's dispatch sequence); nothing here is a second
// Juju or Pebble.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "charm.hpp"
#include "fake_workload.hpp"
#include "ops/testing/context.hpp"
#include "ops/testing/harness.hpp"
#include "support/files.hpp"

namespace redis_test {

inline constexpr const char* kFqdn = "redis-k8s-0.redis-k8s-endpoints.test-model.svc.cluster.local";
inline constexpr const char* kPeerFqdn =
    "redis-k8s-1.redis-k8s-endpoints.test-model.svc.cluster.local";
inline constexpr const char* kThirdFqdn =
    "redis-k8s-2.redis-k8s-endpoints.test-model.svc.cluster.local";
inline constexpr const char* kOwnIp = "10.1.0.10";
inline const std::string kApp = "redis-k8s";

// Reads the text of a file in the repository (OPS_SOURCE_DIR).
inline std::string source_file(const std::string& relative) {
  const char* root = std::getenv("OPS_SOURCE_DIR");
  return ops_test::read_file(std::filesystem::path(root ? root : ".") / relative);
}

// The whole content of a local file ("" when it cannot be read).
inline std::string read_host_file(const std::filesystem::path& path) {
  return ops_test::read_file_if_exists(path);
}

// The permission bits of a local file (e.g. 0600).
inline int host_file_mode(const std::filesystem::path& path) {
  return static_cast<int>(std::filesystem::status(path).permissions() &
                          std::filesystem::perms::mask);
}

// The charm's world besides Juju and Pebble, as test doubles.
struct Collaborators {
  redis_k8s::FakeRedisWorkload redis;
  redis_k8s::FakeClock clock;
  std::map<std::string, std::string> addresses{{kFqdn, kOwnIp},
                                               {"leader-host", "10.1.0.20"},
                                               {"different-leader", "10.1.0.30"},
                                               {kPeerFqdn, "10.1.0.11"},
                                               {kThirdFqdn, "10.1.0.12"}};
  unsigned random_seed = 0;

  // The collaborators handed to the charm; borrowed, `*this` must outlive it.
  redis_k8s::RedisCharmCollaborators make() {
    redis_k8s::RedisCharmCollaborators c;
    c.workload = &redis;
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
};

// A Harness of the redis-k8s charm on `collaborators`, model "test-model",
// both containers reachable, `chown` answered with success in the redis
// container. Not begun.
inline std::unique_ptr<ops::testing::HarnessBase> make_harness(
    const redis_k8s::RedisCharmCollaborators& collaborators) {
  auto harness = std::make_unique<ops::testing::HarnessBase>(
      redis_k8s::make_redis_charm_factory(collaborators), source_file("metadata.yaml"),
      source_file("config.yaml"), source_file("actions.yaml"));
  harness->set_model_name("test-model");
  harness->set_can_connect("redis", true);
  harness->set_can_connect("sentinel", true);
  harness->handle_exec("redis", {"chown"}, ops::testing::ExecResult{});
  return harness;
}

// The charm a Harness runs.
inline redis_k8s::RedisK8sCharm& charm_of(ops::testing::HarnessBase& harness) {
  return static_cast<redis_k8s::RedisK8sCharm&>(harness.charm_base());
}

// A Context of the redis-k8s charm on `collaborators`.
inline std::unique_ptr<ops::testing::ContextBase> make_context(
    const redis_k8s::RedisCharmCollaborators& collaborators) {
  return std::make_unique<ops::testing::ContextBase>(
      redis_k8s::make_redis_charm_factory(collaborators), source_file("metadata.yaml"),
      source_file("config.yaml"), source_file("actions.yaml"));
}

// The kinds of the service changes a container's Pebble made, in order
// ("restart", "start", ...).
inline std::vector<std::string> change_kinds(ops::testing::FakePebble& pebble) {
  std::vector<std::pair<int, std::string>> changes;
  for (const auto& [id, change] : pebble.changes())
    changes.emplace_back(std::stoi(id), change.kind);
  std::sort(changes.begin(), changes.end());
  std::vector<std::string> kinds;
  for (const auto& [id, kind] : changes) kinds.push_back(kind);
  return kinds;
}

// The deferred notices as "event_path method" lines.
inline std::vector<std::string> deferred(ops::testing::HarnessBase& harness) {
  std::vector<std::string> out;
  for (const auto& n : harness.storage().notices())
    out.push_back(n.event_path + " " + n.method_name);
  return out;
}

// The expected redis.conf of this unit with a password.
inline std::string normal_conf(const std::string& password) {
  return "requirepass " + password + "\nbind 0.0.0.0\nmasterauth " + password +
         "\nreplica-announce-ip " + std::string(kFqdn) +
         "\nlogfile \"\"\nappendonly yes\ndir /var/lib/redis/\nport 6379\n";
}

// The expected redis.conf of this unit in legacy mode (no password).
inline std::string legacy_conf() {
  return "bind 0.0.0.0\nreplica-announce-ip " + std::string(kFqdn) +
         "\nprotected-mode no\nlogfile \"\"\nappendonly yes\ndir /var/lib/redis/\nport 6379\n";
}

// The expected `redis` service of the plan for redis.conf `conf`.
inline ops::pebble::Service redis_service(const std::string& conf,
                                          const std::string& sentinel_password) {
  return ops::pebble::Service{.summary = "Redis service",
                              .override = "replace",
                              .command = "/bin/sh /etc/redis-server/start-redis.sh",
                              .startup = "enabled",
                              .environment = {{"REDIS_CONF_SHA256", redis_k8s::sha256_hex(conf)},
                                              {"SENTINEL_PASSWORD", sentinel_password}},
                              .user = "redis",
                              .group = "redis"};
}

// What a leader's Sentinel answers to SENTINEL MASTER over a forced
// failover: `old_master` up to date `answers_before` times (the charm's checks
// before it sends FAILOVER), then once with the promotion running, then with
// `new_master` promoted (repeating).
inline std::vector<std::map<std::string, std::string>> forced_failover_answers(
    const std::string& old_master, const std::string& new_master, int answers_before) {
  std::vector<std::map<std::string, std::string>> answers(
      answers_before, {{"ip", old_master}, {"port", "6379"}, {"flags", "master"}});
  answers.push_back({{"ip", old_master},
                     {"port", "6379"},
                     {"flags", "master,failover_in_progress"},
                     {"failover-state", "wait_promotion"}});
  answers.push_back({{"ip", new_master}, {"port", "6379"}, {"flags", "master"}});
  return answers;
}

}  // namespace redis_test
