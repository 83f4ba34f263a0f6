// The charm's pure configuration functions, with exact strings.
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "redis_config.hpp"

namespace {

using redis_k8s::RedisServerSettings;
using redis_k8s::SentinelSettings;

const std::string kFqdn = "redis-k8s-1.redis-k8s-endpoints.dev.svc.cluster.local";
const std::string kMaster = "redis-k8s-0.redis-k8s-endpoints.dev.svc.cluster.local";

TEST(RedisServerFlags, NormalMaster) {
  RedisServerSettings s{kFqdn, "s3cret", false, false, kFqdn};
  EXPECT_EQ(redis_k8s::redis_server_flags(s),
            "--requirepass s3cret --bind 0.0.0.0 --masterauth s3cret --replica-announce-ip " +
                kFqdn +
                " --logfile /var/log/redis/redis-server.log --appendonly yes --dir "
                "/var/lib/redis/");
  EXPECT_EQ(redis_k8s::redis_server_command(s), "redis-server " + redis_k8s::redis_server_flags(s));
}

TEST(RedisServerFlags, LegacyWithoutPassword) {
  RedisServerSettings s{kFqdn, "ignored", true, false, kFqdn};
  EXPECT_EQ(redis_k8s::redis_server_flags(s),
            "--bind 0.0.0.0 --replica-announce-ip " + kFqdn +
                " --protected-mode no --logfile /var/log/redis/redis-server.log --appendonly yes "
                "--dir /var/lib/redis/");
}

TEST(RedisServerFlags, TlsMaster) {
  RedisServerSettings s{kFqdn, "pw", false, true, kFqdn};
  EXPECT_EQ(redis_k8s::redis_server_flags(s),
            "--requirepass pw --bind 0.0.0.0 --masterauth pw --replica-announce-ip " + kFqdn +
                " --logfile /var/log/redis/redis-server.log --appendonly yes --dir "
                "/var/lib/redis/ --tls-port 6379 --port 0 --tls-auth-clients optional "
                "--tls-cert-file /var/lib/redis/redis.crt --tls-key-file /var/lib/redis/redis.key "
                "--tls-ca-cert-file /var/lib/redis/ca.crt");
}

TEST(RedisServerFlags, Replica) {
  RedisServerSettings s{kFqdn, "pw", false, false, kMaster};
  EXPECT_EQ(redis_k8s::redis_server_flags(s),
            "--requirepass pw --bind 0.0.0.0 --masterauth pw --replica-announce-ip " + kFqdn +
                " --logfile /var/log/redis/redis-server.log --appendonly yes --dir "
                "/var/lib/redis/ --replicaof " +
                kMaster + " 6379");
}

TEST(RedisServerFlags, TlsReplica) {
  RedisServerSettings s{kFqdn, "pw", false, true, kMaster};
  EXPECT_EQ(redis_k8s::redis_server_flags(s),
            "--requirepass pw --bind 0.0.0.0 --masterauth pw --replica-announce-ip " + kFqdn +
                " --logfile /var/log/redis/redis-server.log --appendonly yes --dir "
                "/var/lib/redis/ --tls-port 6379 --port 0 --tls-auth-clients optional "
                "--tls-cert-file /var/lib/redis/redis.crt --tls-key-file /var/lib/redis/redis.key "
                "--tls-ca-cert-file /var/lib/redis/ca.crt --replicaof " +
                kMaster + " 6379 --tls-replication yes");
}

TEST(RedisServerFlags, LegacyReplica) {
  RedisServerSettings s{kFqdn, "", true, false, kMaster};
  EXPECT_EQ(redis_k8s::redis_server_flags(s),
            "--bind 0.0.0.0 --replica-announce-ip " + kFqdn +
                " --protected-mode no --logfile /var/log/redis/redis-server.log --appendonly yes "
                "--dir /var/lib/redis/ --replicaof " +
                kMaster + " 6379");
}

TEST(SentinelConf, WithRedisPassword) {
  SentinelSettings s{"redis-k8s", kMaster, 2, std::string("redispw"), "sentinelpw", kFqdn};
  EXPECT_EQ(redis_k8s::sentinel_conf(s),
            "port 26379\n"
            "sentinel monitor redis-k8s " +
                kMaster +
                " 6379 2\n"
                "sentinel down-after-milliseconds redis-k8s 5000\n"
                "sentinel failover-timeout redis-k8s 30000\n"
                "sentinel parallel-syncs redis-k8s 1\n"
                "sentinel auth-pass redis-k8s redispw\n"
                "requirepass sentinelpw\n"
                "sentinel announce-hostnames yes\n"
                "sentinel resolve-hostnames yes\n"
                "sentinel announce-ip " +
                kFqdn +
                "\n"
                "replica-announce-ip " +
                kFqdn + "\n");
}

TEST(SentinelConf, WithoutRedisPassword) {
  SentinelSettings s{"cache", "10.1.2.3", 1, std::nullopt, "sp", "cache-0.example"};
  EXPECT_EQ(redis_k8s::sentinel_conf(s),
            "port 26379\n"
            "sentinel monitor cache 10.1.2.3 6379 1\n"
            "sentinel down-after-milliseconds cache 5000\n"
            "sentinel failover-timeout cache 30000\n"
            "sentinel parallel-syncs cache 1\n"
            "requirepass sp\n"
            "sentinel announce-hostnames yes\n"
            "sentinel resolve-hostnames yes\n"
            "sentinel announce-ip cache-0.example\n"
            "replica-announce-ip cache-0.example\n");
}

TEST(ExpectedQuorum, IsHalfPlusOne) {
  EXPECT_EQ(redis_k8s::expected_quorum(1), 1);
  EXPECT_EQ(redis_k8s::expected_quorum(2), 2);
  EXPECT_EQ(redis_k8s::expected_quorum(3), 2);
  EXPECT_EQ(redis_k8s::expected_quorum(4), 3);
  EXPECT_EQ(redis_k8s::expected_quorum(5), 3);
}

TEST(K8sHostname, OfAUnit) {
  EXPECT_EQ(redis_k8s::k8s_hostname("redis-k8s/0", "dev"),
            "redis-k8s-0.redis-k8s-endpoints.dev.svc.cluster.local");
  EXPECT_EQ(redis_k8s::k8s_hostname("cache/12", "prod-model"),
            "cache-12.cache-endpoints.prod-model.svc.cluster.local");
}

TEST(K8sHostname, RejectsWhatIsNotAUnitName) {
  EXPECT_THROW(redis_k8s::k8s_hostname("redis-k8s", "dev"), std::invalid_argument);
  EXPECT_THROW(redis_k8s::k8s_hostname("redis-k8s/", "dev"), std::invalid_argument);
  EXPECT_THROW(redis_k8s::k8s_hostname("/0", "dev"), std::invalid_argument);
  EXPECT_THROW(redis_k8s::k8s_hostname("redis-k8s/x", "dev"), std::invalid_argument);
}

TEST(GeneratePassword, SixteenAlphanumericCharacters) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string pw = redis_k8s::generate_password();
    ASSERT_EQ(pw.size(), 16u);
    for (char c : pw) {
      EXPECT_TRUE((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) << pw;
    }
    seen.insert(pw);
  }
  EXPECT_EQ(seen.size(), 200u);  // 62^16 possibilities: a repeat means a broken RNG
}

// A byte source that plays back a fixed sequence, to pin the mapping.
redis_k8s::RandomBytes playback(std::vector<unsigned char> bytes) {
  auto position = std::make_shared<std::size_t>(0);
  return [bytes, position](unsigned char* out, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) out[i] = bytes[(*position)++ % bytes.size()];
  };
}

TEST(GeneratePassword, MapsBytesToTheAlphabetAndRejectsTheBiasedTail) {
  // 0 -> 'A', 25 -> 'Z', 26 -> 'a', 61 -> '9', 62 -> 'A' (62 mod 62), 247 -> 247 % 62 = 61 -> '9';
  // 248..255 are rejected.
  std::vector<unsigned char> bytes = {0, 248, 25, 255, 26, 61, 62, 247, 250, 1,
                                      2, 3,   4,  5,   6,  7,  8,  9,   10,  11};
  EXPECT_EQ(redis_k8s::generate_password(playback(bytes)), "AZa9A9BCDEFGHIJK");
}

TEST(GeneratePassword, KeepsDrawingWhenEveryByteIsRejected) {
  std::vector<unsigned char> bytes(32, 255);  // a whole first draw rejected
  bytes.push_back(51);                        // 'z'
  std::string pw = redis_k8s::generate_password(playback(bytes));
  EXPECT_EQ(pw.size(), 16u);
  EXPECT_EQ(pw, "zzzzzzzzzzzzzzzz");
}

}  // namespace
