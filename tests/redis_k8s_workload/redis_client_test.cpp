// RedisClient and ProductionRedisWorkload against real servers started here:
// redis-server on 127.0.0.1 (plain and TLS) and a redis sentinel monitoring
// it; plus the error paths (refused, silent server, wrong password).
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "redis_servers.hpp"
#include "workload.hpp"

namespace {

using redis_k8s::RedisClient;
using redis_k8s::RedisClientOptions;
using redis_k8s::RedisReply;
using redis_test::Certificates;
using redis_test::Process;
using redis_test::TempDir;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kPassword = "test-redis-password";
const std::string kSentinelPassword = "test-sentinel-password";

// The message of the exception of type E that fn throws; fails if none.
template <typename E, typename Fn>
std::string message_of(Fn&& fn) {
  try {
    fn();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception: " << e.what();
    return {};
  }
  ADD_FAILURE() << "no exception";
  return {};
}

std::vector<std::string> redis_argv(int port, const TempDir& dir) {
  return {"redis-server", "--port",    std::to_string(port),
          "--bind",       "127.0.0.1", "--dir",
          dir.path(),     "--save",    "",
          "--appendonly", "no",        "--requirepass",
          kPassword};
}

// ---- plain TCP ----

class RedisServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = redis_test::free_port();
    server_ = std::make_unique<Process>(redis_argv(port_, dir_), dir_.path() / "redis.log");
    redis_test::wait_until([&] { return redis_test::answers_ping(options()); }, "redis-server");
  }
  void TearDown() override { server_->stop(); }

  RedisClientOptions options() const {
    RedisClientOptions o;
    o.host = "127.0.0.1";
    o.port = port_;
    o.password = kPassword;
    return o;
  }

  TempDir dir_{"redis_client_test_"};
  int port_ = 0;
  std::unique_ptr<Process> server_;
};

TEST_F(RedisServerTest, CommandsAndReplyTypes) {
  RedisClient client(options());
  EXPECT_EQ(client.command({"PING"}), RedisReply::status("PONG"));
  EXPECT_EQ(client.command({"SET", "key", "value with spaces\r\nand CRLF"}),
            RedisReply::status("OK"));
  EXPECT_EQ(client.command({"GET", "key"}), RedisReply::string("value with spaces\r\nand CRLF"));
  EXPECT_TRUE(client.command({"GET", "missing"}).is_nil());
  EXPECT_EQ(client.command({"INCRBY", "n", "41"}), RedisReply::integer(41));
  client.command({"RPUSH", "list", "a", "b"});
  EXPECT_EQ(client.command({"LRANGE", "list", "0", "-1"}), RedisReply::strings({"a", "b"}));
  client.command({"HSET", "h", "f1", "v1", "f2", "v2"});
  EXPECT_EQ(client.command({"HGETALL", "h"}).as_map(),
            (std::map<std::string, std::string>{{"f1", "v1"}, {"f2", "v2"}}));
}

TEST_F(RedisServerTest, LargeValuesCrossManyReads) {
  RedisClient client(options());
  std::string big(3 * 1024 * 1024 + 7, 'x');
  for (std::size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + i % 26);
  client.command({"SET", "big", big});
  EXPECT_EQ(client.command({"GET", "big"}).str(), big);
}

TEST_F(RedisServerTest, ErrorReplyKeepsTheConnectionUsable) {
  RedisClient client(options());
  EXPECT_EQ(message_of<redis_k8s::RedisReplyError>([&] { client.command({"NOSUCHCOMMAND"}); }),
            "ERR unknown command 'NOSUCHCOMMAND', with args beginning with: ");
  EXPECT_EQ(client.command({"PING"}), RedisReply::status("PONG"));
}

TEST_F(RedisServerTest, WrongPasswordIsAReplyErrorWithTheServersText) {
  RedisClientOptions o = options();
  o.password = "not-the-password";
  EXPECT_EQ(message_of<redis_k8s::RedisReplyError>([&] { RedisClient client(o); }),
            "WRONGPASS invalid username-password pair or user is disabled.");
}

TEST_F(RedisServerTest, NoPasswordMeansNoauth) {
  RedisClientOptions o = options();
  o.password.reset();
  RedisClient client(o);
  EXPECT_EQ(message_of<redis_k8s::RedisReplyError>([&] { client.command({"PING"}); }),
            "NOAUTH Authentication required.");
}

TEST_F(RedisServerTest, ServerClosingTheConnectionIsAConnectionError) {
  RedisClient client(options());
  EXPECT_EQ(client.command({"QUIT"}), RedisReply::status("OK"));
  EXPECT_THAT(message_of<redis_k8s::RedisConnectionError>([&] { client.command({"PING"}); }),
              HasSubstr("127.0.0.1:" + std::to_string(port_)));
  // The client is closed now: further commands fail fast.
  EXPECT_THAT(message_of<redis_k8s::RedisConnectionError>([&] { client.command({"PING"}); }),
              StartsWith("Not connected to 127.0.0.1:"));
}

TEST_F(RedisServerTest, ServerKilledMidSessionIsAConnectionError) {
  RedisClient client(options());
  server_->stop();
  EXPECT_THROW(client.command({"PING"}), redis_k8s::RedisConnectionError);
}

TEST_F(RedisServerTest, ProductionWorkloadInfoServerAndRole) {
  redis_k8s::ProductionRedisWorkload workload([&] {
    redis_k8s::WorkloadSettings s;
    s.redis_password = kPassword;
    s.redis_port = port_;
    return s;
  });
  auto info = workload.info_server("127.0.0.1");
  EXPECT_EQ(info.at("tcp_port"), std::to_string(port_));
  EXPECT_THAT(info.at("redis_version"), ::testing::MatchesRegex("[0-9]+\\.[0-9]+\\.[0-9]+"));
  EXPECT_EQ(workload.role("127.0.0.1"), "master");
}

TEST_F(RedisServerTest, ProductionWorkloadReadsSettingsForEveryCommand) {
  std::string password = "wrong";
  redis_k8s::ProductionRedisWorkload workload([&] {
    redis_k8s::WorkloadSettings s;
    s.redis_password = password;
    s.redis_port = port_;
    return s;
  });
  EXPECT_THROW(workload.info_server("127.0.0.1"), redis_k8s::RedisReplyError);
  password = kPassword;  // e.g. the leader has just written the peer data
  EXPECT_EQ(workload.info_server("127.0.0.1").at("tcp_port"), std::to_string(port_));
}

// ---- failures without a Redis ----

TEST(RedisClientErrors, ConnectionRefused) {
  RedisClientOptions o;
  o.port = redis_test::free_port();
  std::string message = message_of<redis_k8s::RedisConnectionError>([&] { RedisClient c(o); });
  EXPECT_EQ(message, "Error 111 connecting to 127.0.0.1:" + std::to_string(o.port) +
                         ". Connection refused.");
}

TEST(RedisClientErrors, SilentServerTimesOutAfterAboutOneSecond) {
  redis_test::SilentServer silent;
  RedisClientOptions o;
  o.port = silent.port();
  RedisClient client(o);  // the kernel completes the handshake
  auto start = std::chrono::steady_clock::now();
  std::string message = message_of<redis_k8s::RedisTimeoutError>([&] { client.command({"PING"}); });
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(message, "Timeout reading from 127.0.0.1:" + std::to_string(o.port));
  EXPECT_GE(elapsed, std::chrono::milliseconds(950));
  EXPECT_LT(elapsed, std::chrono::milliseconds(2500));
}

TEST(RedisClientErrors, ConnectTimesOutWhenTheServerNeverAccepts) {
  redis_test::SilentServer silent;
  silent.fill_backlog();
  RedisClientOptions o;
  o.port = silent.port();
  auto start = std::chrono::steady_clock::now();
  std::string message = message_of<redis_k8s::RedisTimeoutError>([&] { RedisClient c(o); });
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(message, "Timeout connecting to 127.0.0.1:" + std::to_string(o.port));
  EXPECT_GE(elapsed, std::chrono::milliseconds(950));
  EXPECT_LT(elapsed, std::chrono::milliseconds(2500));
}

TEST(RedisClientErrors, SilentServerTimesOutDuringTheTlsHandshake) {
  redis_test::SilentServer silent;
  RedisClientOptions o;
  o.port = silent.port();
  o.tls = true;
  o.timeout = std::chrono::milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  std::string message = message_of<redis_k8s::RedisTimeoutError>([&] { RedisClient c(o); });
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(message, "Timeout during the TLS handshake with 127.0.0.1:" + std::to_string(o.port));
  EXPECT_GE(elapsed, std::chrono::milliseconds(280));
  EXPECT_LT(elapsed, std::chrono::milliseconds(1500));
}

TEST(RedisClientErrors, MovedFromClientRefusesCommands) {
  redis_test::SilentServer silent;
  RedisClientOptions o;
  o.port = silent.port();
  RedisClient a(o);
  RedisClient b(std::move(a));
  EXPECT_THROW(a.command({"PING"}),
               redis_k8s::RedisConnectionError);  // NOLINT(bugprone-use-after-move)
}

// ---- TLS ----

class RedisTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    certs_dir_ = new TempDir("redis_tls_certs_");
    certs_ = new Certificates(Certificates::make(certs_dir_->path(), "ca"));
    other_ = new Certificates(Certificates::make(certs_dir_->path(), "other"));
  }
  static void TearDownTestSuite() {
    delete other_;
    delete certs_;
    delete certs_dir_;
  }

  void SetUp() override {
    port_ = redis_test::free_port();
    std::vector<std::string> argv = {"redis-server",
                                     "--tls-port",
                                     std::to_string(port_),
                                     "--port",
                                     "0",
                                     "--tls-cert-file",
                                     certs_->server_cert.string(),
                                     "--tls-key-file",
                                     certs_->server_key.string(),
                                     "--tls-ca-cert-file",
                                     certs_->ca_cert.string(),
                                     "--tls-auth-clients",
                                     "optional",
                                     "--bind",
                                     "127.0.0.1",
                                     "--dir",
                                     dir_.path().string(),
                                     "--save",
                                     "",
                                     "--appendonly",
                                     "no",
                                     "--requirepass",
                                     kPassword};
    server_ = std::make_unique<Process>(argv, dir_.path() / "redis.log");
    redis_test::wait_until([&] { return redis_test::answers_ping(options()); }, "TLS redis-server");
  }
  void TearDown() override { server_->stop(); }

  RedisClientOptions options() const {
    RedisClientOptions o;
    o.host = "127.0.0.1";
    o.port = port_;
    o.password = kPassword;
    o.tls = true;
    o.ca_file = certs_->ca_cert.string();
    return o;
  }

  static TempDir* certs_dir_;
  static Certificates* certs_;
  static Certificates* other_;  // a second, untrusted CA
  TempDir dir_{"redis_tls_test_"};
  int port_ = 0;
  std::unique_ptr<Process> server_;
};

TempDir* RedisTlsTest::certs_dir_ = nullptr;
Certificates* RedisTlsTest::certs_ = nullptr;
Certificates* RedisTlsTest::other_ = nullptr;

TEST_F(RedisTlsTest, CommandsOverTls) {
  RedisClient client(options());
  EXPECT_EQ(client.command({"PING"}), RedisReply::status("PONG"));
  std::string big(2 * 1024 * 1024, 'y');
  client.command({"SET", "big", big});
  EXPECT_EQ(client.command({"GET", "big"}).str(), big);
}

TEST_F(RedisTlsTest, ClientCertificateIsAccepted) {
  RedisClientOptions o = options();
  o.cert_file = certs_->client_cert.string();
  o.key_file = certs_->client_key.string();
  RedisClient client(o);
  EXPECT_EQ(client.command({"PING"}), RedisReply::status("PONG"));
}

TEST_F(RedisTlsTest, HostnameVerificationByIpAndName) {
  RedisClientOptions o = options();
  o.verify_hostname = true;
  EXPECT_EQ(RedisClient(o).command({"PING"}), RedisReply::status("PONG"));
  o.host = "localhost";  // in the certificate's subjectAltName
  EXPECT_EQ(RedisClient(o).command({"PING"}), RedisReply::status("PONG"));
}

TEST_F(RedisTlsTest, UntrustedCaIsAConnectionError) {
  RedisClientOptions o = options();
  o.ca_file = other_->ca_cert.string();
  EXPECT_THAT(message_of<redis_k8s::RedisConnectionError>([&] { RedisClient c(o); }),
              HasSubstr("certificate verify failed"));
}

TEST_F(RedisTlsTest, MissingCaFileIsAConnectionError) {
  RedisClientOptions o = options();
  o.ca_file = (dir_.path() / "absent.crt").string();
  EXPECT_THAT(message_of<redis_k8s::RedisConnectionError>([&] { RedisClient c(o); }),
              StartsWith("Cannot load the CA certificate " + *o.ca_file));
}

TEST_F(RedisTlsTest, PlainClientOnTlsPortFails) {
  RedisClientOptions o = options();
  o.tls = false;
  EXPECT_THROW(RedisClient c(o), redis_k8s::RedisConnectionError);
}

TEST_F(RedisTlsTest, WrongPasswordOverTls) {
  RedisClientOptions o = options();
  o.password = "nope";
  EXPECT_EQ(message_of<redis_k8s::RedisReplyError>([&] { RedisClient c(o); }),
            "WRONGPASS invalid username-password pair or user is disabled.");
}

TEST_F(RedisTlsTest, ProductionWorkloadUsesTlsWithTheCa) {
  redis_k8s::ProductionRedisWorkload workload([&] {
    redis_k8s::WorkloadSettings s;
    s.redis_password = kPassword;
    s.redis_port = port_;
    s.tls = true;
    s.ca_cert_file = certs_->ca_cert.string();
    return s;
  });
  auto info = workload.info_server("127.0.0.1");
  EXPECT_EQ(info.at("tcp_port"), std::to_string(port_));  // the TLS port: --port is 0
  EXPECT_FALSE(info.at("redis_version").empty());
}

// ---- Sentinel ----

class SentinelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_port_ = redis_test::free_port();
    redis_ = std::make_unique<Process>(redis_argv(redis_port_, dir_), dir_.path() / "redis.log");
    RedisClientOptions ro;
    ro.port = redis_port_;
    redis_test::wait_until([&] { return redis_test::answers_ping(ro); }, "redis-server");

    sentinel_port_ = redis_test::free_port();
    std::filesystem::path conf = dir_.path() / "sentinel.conf";
    redis_test::write_file(conf, "port " + std::to_string(sentinel_port_) +
                                     "\n"
                                     "bind 127.0.0.1\n"
                                     "dir " +
                                     dir_.path().string() +
                                     "\n"
                                     "sentinel monitor redis-k8s 127.0.0.1 " +
                                     std::to_string(redis_port_) +
                                     " 1\n"
                                     "sentinel auth-pass redis-k8s " +
                                     kPassword +
                                     "\n"
                                     "requirepass " +
                                     kSentinelPassword + "\n");
    sentinel_ = std::make_unique<Process>(
        std::vector<std::string>{"redis-server", conf.string(), "--sentinel"},
        dir_.path() / "sentinel.log");
    RedisClientOptions so;
    so.port = sentinel_port_;
    redis_test::wait_until([&] { return redis_test::answers_ping(so); }, "redis sentinel");
  }
  void TearDown() override {
    sentinel_->stop();
    redis_->stop();
  }

  redis_k8s::WorkloadSettings settings() const {
    redis_k8s::WorkloadSettings s;
    s.redis_password = kPassword;
    s.sentinel_password = kSentinelPassword;
    s.redis_port = redis_port_;
    s.sentinel_port = sentinel_port_;
    return s;
  }

  TempDir dir_{"redis_sentinel_test_"};
  int redis_port_ = 0;
  int sentinel_port_ = 0;
  std::unique_ptr<Process> redis_;
  std::unique_ptr<Process> sentinel_;
};

TEST_F(SentinelTest, MasterInfo) {
  redis_k8s::ProductionRedisWorkload workload([&] { return settings(); });
  auto info = workload.sentinel_master("127.0.0.1", "redis-k8s");
  EXPECT_EQ(info.at("name"), "redis-k8s");
  EXPECT_EQ(info.at("ip"), "127.0.0.1");
  EXPECT_EQ(info.at("port"), std::to_string(redis_port_));
  EXPECT_EQ(info.at("quorum"), "1");
  EXPECT_EQ(info.at("flags"), "master");
  auto optional_info = redis_k8s::sentinel_master_info(workload, "127.0.0.1", "redis-k8s");
  EXPECT_TRUE(redis_k8s::master_up_to_date(optional_info, "127.0.0.1"));
  EXPECT_FALSE(redis_k8s::master_up_to_date(optional_info, "10.0.0.1"));
  EXPECT_TRUE(redis_k8s::failover_finished(optional_info));
  EXPECT_EQ(redis_k8s::sentinel_master_info(workload, "127.0.0.1", "unknown-app"), std::nullopt);
}

TEST_F(SentinelTest, CkquorumAndSetQuorum) {
  redis_k8s::ProductionRedisWorkload workload([&] { return settings(); });
  EXPECT_EQ(workload.sentinel_ckquorum("127.0.0.1", "redis-k8s"),
            "OK 1 usable Sentinels. Quorum and failover authorization can be reached");
  EXPECT_TRUE(redis_k8s::sentinel_in_majority(workload, "127.0.0.1", "redis-k8s"));

  workload.sentinel_set_quorum("127.0.0.1", "redis-k8s", 2);
  EXPECT_EQ(workload.sentinel_master("127.0.0.1", "redis-k8s").at("quorum"), "2");
  EXPECT_THAT(message_of<redis_k8s::RedisReplyError>(
                  [&] { workload.sentinel_ckquorum("127.0.0.1", "redis-k8s"); }),
              StartsWith("NOQUORUM 1 usable Sentinels."));
  EXPECT_FALSE(redis_k8s::sentinel_in_majority(workload, "127.0.0.1", "redis-k8s"));
}

TEST_F(SentinelTest, ResetAndFailoverWithoutReplicas) {
  redis_k8s::ProductionRedisWorkload workload([&] { return settings(); });
  EXPECT_EQ(workload.sentinel_reset("127.0.0.1", "redis-k8s"), 1);
  EXPECT_EQ(message_of<redis_k8s::RedisReplyError>(
                [&] { workload.sentinel_failover("127.0.0.1", "redis-k8s"); }),
            "NOGOODSLAVE No suitable replica to promote");
}

TEST_F(SentinelTest, BroadcastsReportUnreachableSentinels) {
  redis_k8s::ProductionRedisWorkload workload([&] { return settings(); });
  // 127.0.0.2 is loopback too, but the sentinel listens on 127.0.0.1 only.
  auto failures =
      redis_k8s::broadcast_sentinel_quorum(workload, {"127.0.0.1", "127.0.0.2"}, "redis-k8s", 3);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures.at("127.0.0.2"), "Error 111 connecting to 127.0.0.2:" +
                                          std::to_string(sentinel_port_) + ". Connection refused.");
  EXPECT_EQ(workload.sentinel_master("127.0.0.1", "redis-k8s").at("quorum"), "3");
  failures = redis_k8s::broadcast_sentinel_reset(workload, {"127.0.0.1", "127.0.0.2"}, "redis-k8s");
  EXPECT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures.count("127.0.0.2"), 1u);
}

TEST_F(SentinelTest, WrongSentinelPassword) {
  redis_k8s::WorkloadSettings s = settings();
  s.sentinel_password = "wrong";
  redis_k8s::ProductionRedisWorkload workload([&] { return s; });
  EXPECT_THROW(workload.sentinel_master("127.0.0.1", "redis-k8s"), redis_k8s::RedisReplyError);
  EXPECT_EQ(redis_k8s::sentinel_master_info(workload, "127.0.0.1", "redis-k8s"), std::nullopt);
}

}  // namespace
