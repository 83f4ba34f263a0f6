// TLS host name verification of the charm's Redis client, against a real
// redis-server on 127.0.0.1 whose certificate (made here with openssl) names
// only the unit's FQDN, as a Kubernetes unit's certificate does: the chain is
// trusted, so only the name check can refuse it.
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "redis_config.hpp"
#include "redis_servers.hpp"
#include "workload.hpp"

namespace {

using redis_k8s::RedisClient;
using redis_k8s::RedisClientOptions;
using redis_k8s::RedisReply;
using redis_test::Process;
using redis_test::TempDir;
using ::testing::HasSubstr;

constexpr const char* kFqdn = "redis-k8s-0.redis-k8s-endpoints.test.svc.cluster.local";
constexpr const char* kPassword = "tls-verify-password";

std::string connect_error(const RedisClientOptions& options) {
  try {
    RedisClient client(options);
    client.command({"PING"});
  } catch (const redis_k8s::RedisConnectionError& e) {
    return e.what();
  }
  return "connected";
}

class TlsVerifyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("redis_tls_verify_");
    const std::string d = dir_->path().string();
    const std::string quiet = " >/dev/null 2>&1";
    redis_test::run(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        " -days 2 -subj /CN=tls-verify-ca -keyout " +
        d + "/ca.key -out " + d + "/ca.crt" + quiet);
    redis_test::write_file(dir_->path() / "server.ext", std::string("subjectAltName=DNS:") + kFqdn +
                                                            "\nextendedKeyUsage=serverAuth\n");
    redis_test::run(
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        " -subj /CN=" +
        std::string(kFqdn) + " -keyout " + d + "/server.key -out " + d + "/server.csr" + quiet);
    redis_test::run("openssl x509 -req -in " + d + "/server.csr -CA " + d + "/ca.crt -CAkey " + d +
                    "/ca.key -CAcreateserial -days 2 -extfile " + d + "/server.ext -out " + d +
                    "/server.crt" + quiet);
  }
  static void TearDownTestSuite() { delete dir_; }

  void SetUp() override {
    port_ = redis_test::free_port();
    const std::string d = dir_->path().string();
    server_ = std::make_unique<Process>(std::vector<std::string>{"redis-server",
                                                                 "--tls-port",
                                                                 std::to_string(port_),
                                                                 "--port",
                                                                 "0",
                                                                 "--tls-cert-file",
                                                                 d + "/server.crt",
                                                                 "--tls-key-file",
                                                                 d + "/server.key",
                                                                 "--tls-ca-cert-file",
                                                                 d + "/ca.crt",
                                                                 "--tls-auth-clients",
                                                                 "no",
                                                                 "--bind",
                                                                 "127.0.0.1",
                                                                 "--dir",
                                                                 work_.path().string(),
                                                                 "--save",
                                                                 "",
                                                                 "--appendonly",
                                                                 "no",
                                                                 "--requirepass",
                                                                 kPassword},
                                        work_.path() / "redis.log");
    RedisClientOptions probe = options("127.0.0.1");
    probe.tls_server_name = kFqdn;
    redis_test::wait_until([&] { return redis_test::answers_ping(probe); }, "TLS redis-server");
  }
  void TearDown() override { server_->stop(); }

  RedisClientOptions options(const std::string& host) const {
    RedisClientOptions o;
    o.host = host;
    o.port = port_;
    o.password = kPassword;
    o.tls = true;
    o.ca_file = (dir_->path() / "ca.crt").string();
    return o;
  }

  static TempDir* dir_;
  TempDir work_{"redis_tls_verify_work_"};
  int port_ = 0;
  std::unique_ptr<Process> server_;
};

TempDir* TlsVerifyTest::dir_ = nullptr;

TEST_F(TlsVerifyTest, VerificationIsOnByDefault) {
  EXPECT_TRUE(RedisClientOptions{}.verify_hostname);
}

TEST_F(TlsVerifyTest, AnIpTheCertificateDoesNotNameIsRefused) {
  EXPECT_EQ(connect_error(options("127.0.0.1")),
            "TLS handshake with 127.0.0.1:" + std::to_string(port_) +
                " failed: certificate verify failed: IP address mismatch");
}

TEST_F(TlsVerifyTest, AHostNameTheCertificateDoesNotNameIsRefused) {
  EXPECT_THAT(connect_error(options("localhost")),
              HasSubstr("failed: certificate verify failed: hostname mismatch"));
}

TEST_F(TlsVerifyTest, TheNameTheCertificateCarriesIsAccepted) {
  RedisClientOptions o = options("localhost");
  o.tls_server_name = kFqdn;
  RedisClient client(o);
  EXPECT_EQ(client.command({"PING"}), RedisReply::status("PONG"));
  o.tls_server_name = "redis-k8s-1.redis-k8s-endpoints.test.svc.cluster.local";
  EXPECT_THAT(connect_error(o), HasSubstr("hostname mismatch"));
}

TEST_F(TlsVerifyTest, VerificationCanBeTurnedOffExplicitly) {
  RedisClientOptions o = options("127.0.0.1");
  o.verify_hostname = false;
  EXPECT_EQ(RedisClient(o).command({"PING"}), RedisReply::status("PONG"));
}

TEST_F(TlsVerifyTest, TheWorkloadVerifiesItsOwnRedisAsItsFqdn) {
  auto settings = [&](bool with_name) {
    redis_k8s::WorkloadSettings s;
    s.redis_password = kPassword;
    s.redis_port = port_;
    s.tls = true;
    s.ca_cert_file = (dir_->path() / "ca.crt").string();
    if (with_name) s.local_server_name = kFqdn;
    return s;
  };
  redis_k8s::ProductionRedisWorkload named([&] { return settings(true); });
  EXPECT_EQ(named.info_server("localhost").at("tcp_port"), std::to_string(port_));
  redis_k8s::ProductionRedisWorkload unnamed([&] { return settings(false); });
  EXPECT_THROW(unnamed.info_server("localhost"), redis_k8s::RedisConnectionError);
}

// With TLS on, the charm's sentinel.conf makes Sentinel serve TLS only and
// reach the TLS-only Redis over TLS; the charm's workload asks it over TLS,
// checking the unit's FQDN when it dials localhost. The config is the
// charm's own, with the file paths and ports of this test.
TEST_F(TlsVerifyTest, SentinelServesAndMonitorsOverTlsWithTheCharmsConfig) {
  const std::string d = dir_->path().string();
  const int sentinel_port = redis_test::free_port();
  std::string conf = redis_k8s::sentinel_conf(
      {"cache", "127.0.0.1", 1, std::string(kPassword), "sentinel-pw", "localhost", true});
  auto replace = [&](const std::string& from, const std::string& to) {
    const auto at = conf.find(from);
    ASSERT_NE(at, std::string::npos) << from << " not in\n" << conf;
    conf.replace(at, from.size(), to);
  };
  replace("tls-port 26379", "tls-port " + std::to_string(sentinel_port));
  replace(redis_k8s::kSentinelCertPath, d + "/server.crt");
  replace(redis_k8s::kSentinelKeyPath, d + "/server.key");
  replace(redis_k8s::kSentinelCaCertPath, d + "/ca.crt");
  replace("127.0.0.1 6379", "127.0.0.1 " + std::to_string(port_));
  redis_test::write_file(work_.path() / "sentinel.conf",
                         "bind 127.0.0.1\ndir " + work_.path().string() + "\n" + conf);
  Process sentinel({"redis-sentinel", (work_.path() / "sentinel.conf").string()},
                   work_.path() / "sentinel.log");
  auto settings = [&] {
    redis_k8s::WorkloadSettings s;
    s.sentinel_password = "sentinel-pw";
    s.sentinel_port = sentinel_port;
    s.tls = true;
    s.ca_cert_file = d + "/ca.crt";
    s.local_server_name = kFqdn;
    return s;
  };
  redis_k8s::ProductionRedisWorkload workload(settings);
  // Sentinel knows the master's run id once it has had an INFO reply from
  // it: it reached the TLS-only Redis over TLS.
  std::map<std::string, std::string> master;
  redis_test::wait_until(
      [&] {
        try {
          master = workload.sentinel_master("localhost", "cache");
        } catch (const redis_k8s::RedisError&) {
          return false;
        }
        return !master["runid"].empty();
      },
      "Sentinel over TLS with the master's run id");
  EXPECT_EQ(master["ip"], "127.0.0.1");
  EXPECT_EQ(master["port"], std::to_string(port_));
  EXPECT_EQ(master["flags"], "master");
  // Plain TCP gets no answer from a TLS-only Sentinel.
  redis_k8s::ProductionRedisWorkload plain([&] {
    auto s = settings();
    s.tls = false;
    return s;
  });
  EXPECT_THROW(plain.sentinel_master("localhost", "cache"), redis_k8s::RedisError);
  sentinel.stop();
}

}  // namespace
