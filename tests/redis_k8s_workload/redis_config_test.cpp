// The charm's pure configuration functions, with exact strings.
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "redis_config.hpp"

#include "support/files.hpp"
#include "support/temp_dir.hpp"

namespace {

using redis_k8s::RedisServerSettings;
using redis_k8s::SentinelSettings;

const std::string kFqdn = "redis-k8s-1.redis-k8s-endpoints.dev.svc.cluster.local";
const std::string kMaster = "redis-k8s-0.redis-k8s-endpoints.dev.svc.cluster.local";

TEST(RedisConf, NormalPasswordOnlyInTheFile) {
  RedisServerSettings s{kFqdn, "s3cret", false, false};
  EXPECT_EQ(redis_k8s::redis_conf(s),
            "requirepass s3cret\n"
            "bind 0.0.0.0\n"
            "masterauth s3cret\n"
            "replica-announce-ip " +
                kFqdn +
                "\n"
                "logfile \"\"\n"
                "appendonly yes\n"
                "dir /var/lib/redis/\n"
                "port 6379\n");
}

TEST(RedisConf, LegacyWithoutPassword) {
  RedisServerSettings s{kFqdn, "ignored", true, false};
  EXPECT_EQ(redis_k8s::redis_conf(s),
            "bind 0.0.0.0\n"
            "replica-announce-ip " +
                kFqdn +
                "\n"
                "protected-mode no\n"
                "logfile \"\"\n"
                "appendonly yes\n"
                "dir /var/lib/redis/\n"
                "port 6379\n");
}

TEST(RedisConf, TlsServesAndReplicatesOverTls) {
  RedisServerSettings s{kFqdn, "pw", false, true};
  EXPECT_EQ(redis_k8s::redis_conf(s),
            "requirepass pw\n"
            "bind 0.0.0.0\n"
            "masterauth pw\n"
            "replica-announce-ip " +
                kFqdn +
                "\n"
                "logfile \"\"\n"
                "appendonly yes\n"
                "dir /var/lib/redis/\n"
                "tls-port 6379\n"
                "port 0\n"
                "tls-auth-clients optional\n"
                "tls-cert-file /var/lib/redis/redis.crt\n"
                "tls-key-file /var/lib/redis/redis.key\n"
                "tls-ca-cert-file /var/lib/redis/ca.crt\n"
                "tls-replication yes\n");
}

TEST(Sha256Hex, KnownDigests) {
  EXPECT_EQ(redis_k8s::sha256_hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(redis_k8s::sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(redis_k8s::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

// The padding's edges: a tail of 55 bytes takes the length in its own block,
// 56 and 63 push it to a second block, 64 and 119 are one whole block plus a
// tail; 1000 bytes are 15 blocks and a tail.
TEST(Sha256Hex, PaddingAtBlockEdges) {
  const std::vector<std::pair<std::size_t, std::string>> digests = {
      {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
      {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
      {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
      {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
      {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
      {1000, "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"}};
  for (const auto& [length, digest] : digests) {
    EXPECT_EQ(redis_k8s::sha256_hex(std::string(length, 'a')), digest) << length << " bytes";
  }
}

// The start script, run by /bin/sh with stand-ins for redis-cli (answering
// as the unit's Sentinel would), redis-server (printing its arguments) and
// sleep (counting, not sleeping).
class StartScriptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write(dir_ / "redis-server", "#!/bin/sh\necho \"redis-server $*\"\n", 0755);
    write(dir_ / "sleep", "#!/bin/sh\necho \"$*\" >> " + (dir_ / "slept").string() + "\n", 0755);
  }
  static void write(const std::filesystem::path& path, const std::string& text, int mode) {
    std::ofstream(path) << text;
    std::filesystem::permissions(path, static_cast<std::filesystem::perms>(mode));
  }
  // Sentinel's answers, one per call, the last repeating: what redis-cli
  // prints and its exit code.
  void sentinel_answers(const std::vector<std::string>& outputs, int exit_code = 0) {
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      write(dir_ / ("answer." + std::to_string(i + 1)), outputs[i], 0644);
    }
    write(dir_ / "answer.last", outputs.back(), 0644);
    const std::string d = dir_.string();
    write(dir_ / "redis-cli",
          "#!/bin/sh\necho \"$REDISCLI_AUTH $*\" > " + d + "/cli-args\nn=$(cat " + d +
              "/calls 2>/dev/null || echo 0)\nn=$((n + 1))\necho $n > " + d + "/calls\nf=" + d +
              "/answer.$n\n[ -f \"$f\" ] || f=" + d + "/answer.last\ncat \"$f\"\nexit " +
              std::to_string(exit_code) + "\n",
          0755);
  }
  void sentinel_answers(const std::string& output, int exit_code = 0) {
    sentinel_answers(std::vector<std::string>{output}, exit_code);
  }
  // SENTINEL MASTER's answer as redis-cli --raw prints it.
  static std::string master(const std::string& ip, const std::string& port,
                            const std::string& flags = "master", int replicas = 2) {
    return "name\nredis-k8s\nip\n" + ip + "\nport\n" + port + "\nrunid\nabc\nflags\n" + flags +
           "\nnum-slaves\n" + std::to_string(replicas) + "\nquorum\n2\n";
  }
  // Runs the script; returns what the redis-server stand-in printed.
  std::string start(const std::string& current_master, bool tls = false) {
    std::filesystem::remove(dir_ / "calls");
    std::filesystem::remove(dir_ / "slept");
    write(
        dir_ / "start-redis.sh",
        redis_k8s::redis_start_script(
            {.app_name = "redis-k8s", .fqdn = kFqdn, .current_master = current_master, .tls = tls}),
        0750);
    const std::string command =
        "PATH=" + dir_.string() + ":/usr/bin:/bin SENTINEL_PASSWORD=spw /bin/sh " +
        (dir_ / "start-redis.sh").string() + " > " + (dir_ / "out").string() + " 2>&1";
    EXPECT_EQ(std::system(command.c_str()), 0);
    return read(dir_ / "out");
  }
  static std::string read(const std::filesystem::path& path) {
    return ops_test::read_file_if_exists(path);
  }
  std::string cli_args() { return read(dir_ / "cli-args"); }
  int cli_calls() { return std::stoi(read(dir_ / "calls")); }
  std::string slept() { return read(dir_ / "slept"); }

  ops_test::TempDir tmp_{"start-script-test-"};
  const std::filesystem::path& dir_ = tmp_.path();
};

TEST_F(StartScriptTest, AReplicaOfTheMasterSentinelNames) {
  sentinel_answers(master(kMaster, "6380"));
  EXPECT_EQ(start(kFqdn),
            "redis-server /etc/redis-server/redis.conf --replicaof " + kMaster + " 6380\n");
  // The Sentinel password goes through the environment, never argv.
  EXPECT_EQ(cli_args(), "spw -h localhost -p 26379 --raw SENTINEL MASTER redis-k8s\n");
  EXPECT_EQ(cli_calls(), 1);
}

TEST_F(StartScriptTest, AsksSentinelOverTlsWhenTlsIsOn) {
  sentinel_answers(master(kMaster, "6379"));
  EXPECT_EQ(start(kFqdn, true),
            "redis-server /etc/redis-server/redis.conf --replicaof " + kMaster + " 6379\n");
  EXPECT_EQ(cli_args(),
            "spw -h localhost -p 26379 --tls --cacert /var/lib/redis/ca.crt --raw SENTINEL "
            "MASTER redis-k8s\n");
}

TEST_F(StartScriptTest, TheMasterWhenSentinelNamesThisUnit) {
  sentinel_answers(master(kFqdn, "6379"));
  EXPECT_EQ(start(kMaster), "redis-server /etc/redis-server/redis.conf --replicaof no one\n");
  EXPECT_EQ(cli_calls(), 1);
  EXPECT_EQ(slept(), "");
}

TEST_F(StartScriptTest, WaitsForTheFailoverWhenSentinelSawThisMasterDown) {
  // Down past down-after: Sentinel still names this unit, flagged s_down,
  // then o_down with a failover running, then the replica it promoted.
  sentinel_answers({master(kFqdn, "6379", "master,s_down"),
                    master(kFqdn, "6379", "master,s_down,o_down,failover_in_progress"),
                    master(kMaster, "6379")});
  EXPECT_EQ(start(kFqdn),
            "redis-server /etc/redis-server/redis.conf --replicaof " + kMaster + " 6379\n");
  EXPECT_EQ(cli_calls(), 3);
  EXPECT_EQ(slept(), "1\n1\n");
}

TEST_F(StartScriptTest, StartsAsTheMasterWhenNoFailoverCameWithinTheBound) {
  sentinel_answers(master(kFqdn, "6379", "master,s_down,o_down"));
  EXPECT_EQ(start(kFqdn), "redis-server /etc/redis-server/redis.conf --replicaof no one\n");
  EXPECT_EQ(cli_calls(), 16);
  std::string fifteen;
  for (int i = 0; i < 15; ++i) fifteen += "1\n";
  EXPECT_EQ(slept(), fifteen);
}

TEST_F(StartScriptTest, NoWaitWithoutReplicasToPromote) {
  sentinel_answers(master(kFqdn, "6379", "master,s_down", 0));
  EXPECT_EQ(start(kFqdn), "redis-server /etc/redis-server/redis.conf --replicaof no one\n");
  EXPECT_EQ(cli_calls(), 1);
  EXPECT_EQ(slept(), "");
}

TEST_F(StartScriptTest, TheCharmsViewWhenSentinelIsDown) {
  sentinel_answers("", 1);
  EXPECT_EQ(start(kMaster),
            "redis-server /etc/redis-server/redis.conf --replicaof " + kMaster + " 6379\n");
  EXPECT_EQ(start(kFqdn), "redis-server /etc/redis-server/redis.conf --replicaof no one\n");
}

TEST_F(StartScriptTest, TheCharmsViewWhenSentinelAnswersAnError) {
  sentinel_answers("NOAUTH Authentication required.\n");
  EXPECT_EQ(start(kMaster),
            "redis-server /etc/redis-server/redis.conf --replicaof " + kMaster + " 6379\n");
  sentinel_answers("ERR No such master with that name\n");
  EXPECT_EQ(start(kFqdn), "redis-server /etc/redis-server/redis.conf --replicaof no one\n");
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

TEST(SentinelConf, WithTlsServesAndDialsTlsOnly) {
  SentinelSettings s{"cache", "10.1.2.3", 1, std::nullopt, "sp", "cache-0.example", true};
  EXPECT_EQ(redis_k8s::sentinel_conf(s),
            "port 0\n"
            "tls-port 26379\n"
            "tls-cert-file /etc/redis-server/redis.crt\n"
            "tls-key-file /etc/redis-server/redis.key\n"
            "tls-ca-cert-file /etc/redis-server/ca.crt\n"
            "tls-auth-clients optional\n"
            "tls-replication yes\n"
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
