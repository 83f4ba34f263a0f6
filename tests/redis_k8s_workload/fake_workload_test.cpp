// The fake workload the charm tests use, and the charm's decisions over
// RedisWorkload answers (majority, master up to date, failover, broadcasts).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fake_workload.hpp"

namespace {

using redis_k8s::FakeRedisWorkload;
using redis_k8s::RedisReply;
using redis_k8s::Service;
using ::testing::ElementsAre;
using Strings = std::vector<std::string>;

class FakeWorkloadTest : public ::testing::Test {
 protected:
  FakeRedisWorkload fake_;
};

TEST_F(FakeWorkloadTest, UnscriptedHostIsUnreachable) {
  try {
    fake_.info_server("redis-k8s-1.example");
    FAIL() << "no error";
  } catch (const redis_k8s::RedisConnectionError& e) {
    EXPECT_STREQ(e.what(), "Error 111 connecting to redis-k8s-1.example:6379. Connection refused.");
  }
  EXPECT_THAT(fake_.sent_to(Service::kRedis, "redis-k8s-1.example"),
              ElementsAre(Strings{"INFO", "server"}));
}

TEST_F(FakeWorkloadTest, InfoServerParsesTheScriptedText) {
  fake_.set_info_server("h", {{"redis_version", "7.0.15"}, {"tcp_port", "6379"}});
  auto info = fake_.info_server("h");
  EXPECT_EQ(info.at("redis_version"), "7.0.15");
  EXPECT_EQ(info.at("tcp_port"), "6379");
  EXPECT_EQ(info.size(), 2u);
}

TEST_F(FakeWorkloadTest, ExactScriptWinsOverHostDefault) {
  fake_.set_default_reply(Service::kSentinel, "s", RedisReply::status("OK"));
  fake_.set_error(Service::kSentinel, "s", {"SENTINEL", "FAILOVER", "app"},
                  FakeRedisWorkload::ErrorKind::kReply,
                  "NOGOODSLAVE No suitable replica to promote");
  fake_.sentinel_set_quorum("s", "app", 2);
  EXPECT_THROW(fake_.sentinel_failover("s", "app"), redis_k8s::RedisReplyError);
  EXPECT_THROW(fake_.info_server("s"), redis_k8s::RedisConnectionError);  // redis, not sentinel
  fake_.forget_host(Service::kSentinel, "s");
  EXPECT_THROW(fake_.sentinel_set_quorum("s", "app", 2), redis_k8s::RedisConnectionError);
  ASSERT_EQ(fake_.sent().size(), 4u);
  EXPECT_EQ(fake_.sent()[1], (FakeRedisWorkload::SentCommand{
                                 Service::kSentinel, "s", {"SENTINEL", "FAILOVER", "app"}}));
}

TEST_F(FakeWorkloadTest, ScriptedTimeout) {
  fake_.set_default_error(Service::kRedis, "h", FakeRedisWorkload::ErrorKind::kTimeout, "Timeout");
  EXPECT_THROW(fake_.role("h"), redis_k8s::RedisTimeoutError);
}

TEST_F(FakeWorkloadTest, RoleIsTheFirstElement) {
  fake_.set_reply(Service::kRedis, "h", {"ROLE"},
                  RedisReply::array({RedisReply::string("master"), RedisReply::integer(0),
                                     RedisReply::array({})}));
  EXPECT_EQ(fake_.role("h"), "master");
}

TEST_F(FakeWorkloadTest, InMajorityOnlyWhenCkquorumSaysOk) {
  fake_.set_ckquorum("me", "redis-k8s", true);
  EXPECT_TRUE(redis_k8s::sentinel_in_majority(fake_, "me", "redis-k8s"));
  fake_.set_ckquorum("me", "redis-k8s", false, 1);
  EXPECT_FALSE(redis_k8s::sentinel_in_majority(fake_, "me", "redis-k8s"));
  EXPECT_FALSE(redis_k8s::sentinel_in_majority(fake_, "unreachable", "redis-k8s"));
  EXPECT_THAT(fake_.sent_to(Service::kSentinel, "me"),
              ElementsAre(Strings{"SENTINEL", "CKQUORUM", "redis-k8s"},
                          Strings{"SENTINEL", "CKQUORUM", "redis-k8s"}));
}

TEST_F(FakeWorkloadTest, MasterInfoAndItsVerdicts) {
  const std::string master = "redis-k8s-0.redis-k8s-endpoints.dev.svc.cluster.local";
  fake_.set_sentinel_master(
      "me", "redis-k8s",
      {{"name", "redis-k8s"}, {"ip", master}, {"port", "6379"}, {"flags", "master"}});
  auto info = redis_k8s::sentinel_master_info(fake_, "me", "redis-k8s");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->at("ip"), master);
  EXPECT_TRUE(redis_k8s::master_up_to_date(info, master));
  EXPECT_FALSE(redis_k8s::master_up_to_date(info, "someone-else"));
  EXPECT_TRUE(redis_k8s::failover_finished(info));

  fake_.set_sentinel_master("me", "redis-k8s", {{"ip", master}, {"flags", "master,s_down,o_down"}});
  info = redis_k8s::sentinel_master_info(fake_, "me", "redis-k8s");
  EXPECT_FALSE(redis_k8s::master_up_to_date(info, master));
  EXPECT_TRUE(redis_k8s::failover_finished(info));

  fake_.set_sentinel_master("me", "redis-k8s",
                            {{"ip", master}, {"flags", "master,failover_in_progress"}});
  info = redis_k8s::sentinel_master_info(fake_, "me", "redis-k8s");
  EXPECT_TRUE(redis_k8s::master_up_to_date(info, master));
  EXPECT_FALSE(redis_k8s::failover_finished(info));

  // A flag that merely contains "s_down" as a substring is not s_down.
  fake_.set_sentinel_master("me", "redis-k8s", {{"ip", master}, {"flags", "master,xs_downy"}});
  EXPECT_TRUE(redis_k8s::master_up_to_date(
      redis_k8s::sentinel_master_info(fake_, "me", "redis-k8s"), master));

  EXPECT_EQ(redis_k8s::sentinel_master_info(fake_, "nobody", "redis-k8s"), std::nullopt);
  EXPECT_FALSE(redis_k8s::master_up_to_date(std::nullopt, master));
  EXPECT_FALSE(redis_k8s::failover_finished(std::nullopt));
}

TEST_F(FakeWorkloadTest, MalformedMasterReplyIsNoInfo) {
  fake_.set_reply(Service::kSentinel, "me", {"SENTINEL", "MASTER", "app"},
                  RedisReply::strings({"ip"}));
  EXPECT_EQ(redis_k8s::sentinel_master_info(fake_, "me", "app"), std::nullopt);
}

TEST_F(FakeWorkloadTest, BroadcastsReachEveryHostAndReportFailures) {
  fake_.accept_sentinel_writes("a", "redis-k8s", 2);
  fake_.set_error(Service::kSentinel, "b", {"SENTINEL", "SET", "redis-k8s", "quorum", "2"},
                  FakeRedisWorkload::ErrorKind::kReply, "ERR No such master with that name");
  auto failures = redis_k8s::broadcast_sentinel_quorum(fake_, {"a", "b", "c"}, "redis-k8s", 2);
  EXPECT_EQ(failures, (std::map<std::string, std::string>{
                          {"b", "ERR No such master with that name"},
                          {"c", "Error 111 connecting to c:26379. Connection refused."}}));
  failures = redis_k8s::broadcast_sentinel_reset(fake_, {"a", "c"}, "redis-k8s");
  EXPECT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures.count("c"), 1u);
  EXPECT_THAT(fake_.sent_to(Service::kSentinel, "a"),
              ElementsAre(Strings{"SENTINEL", "SET", "redis-k8s", "quorum", "2"},
                          Strings{"SENTINEL", "RESET", "redis-k8s"}));
  EXPECT_THAT(fake_.sent_to(Service::kSentinel, "b"),
              ElementsAre(Strings{"SENTINEL", "SET", "redis-k8s", "quorum", "2"}));
  fake_.clear_sent();
  EXPECT_TRUE(fake_.sent().empty());
}

TEST(RedisReplyTest, AccessorsAndMaps) {
  RedisReply map = RedisReply::array({RedisReply::string("a"), RedisReply::string("1"),
                                      RedisReply::string("b"), RedisReply::integer(2)});
  EXPECT_EQ(map.as_map(), (std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(map.to_string(), "[\"a\", \"1\", \"b\", (integer) 2]");
  EXPECT_THROW(RedisReply::integer(3).str(), redis_k8s::RedisError);
  EXPECT_THROW(RedisReply::status("OK").integer(), redis_k8s::RedisError);
  EXPECT_THROW(RedisReply::nil().elements(), redis_k8s::RedisError);
  EXPECT_THROW(RedisReply::strings({"odd"}).as_map(), redis_k8s::RedisError);
  EXPECT_TRUE(RedisReply().is_nil());
  EXPECT_EQ(RedisReply::error("ERR x").str(), "ERR x");
  EXPECT_NE(RedisReply::status("OK"), RedisReply::string("OK"));
  EXPECT_EQ(RedisReply::flat_map({{"k", "v"}}), RedisReply::strings({"k", "v"}));
}

TEST(ParseInfoTest, SkipsSectionsAndBlankLines) {
  EXPECT_EQ(redis_k8s::parse_info("# Server\r\nredis_version:7.0.15\r\nos:Linux 6.1\r\n\r\n"
                                  "# Clients\r\nconnected_clients:1\r\nexecutable:/a:b\r\n"),
            (std::map<std::string, std::string>{{"redis_version", "7.0.15"},
                                                {"os", "Linux 6.1"},
                                                {"connected_clients", "1"},
                                                {"executable", "/a:b"}}));
}

}  // namespace

namespace {

TEST(LocalFqdnTest, ChoosesLikePythonGetfqdn) {
  const std::string fqdn = "redis-k8s-0.redis-k8s-endpoints.dev.svc.cluster.local";
  EXPECT_EQ(redis_k8s::choose_fqdn("redis-k8s-0", fqdn, {"redis-k8s-0"}), fqdn);
  EXPECT_EQ(redis_k8s::choose_fqdn("redis-k8s-0", std::string("redis-k8s-0"), {"x", fqdn}), fqdn);
  EXPECT_EQ(redis_k8s::choose_fqdn("vm", std::string("localhost"), {"runsc", "vm"}), "localhost");
  EXPECT_EQ(redis_k8s::choose_fqdn("vm", std::nullopt, {}), "vm");
}

TEST(LocalFqdnTest, ResolvesThisHost) {
  std::string fqdn = redis_k8s::local_fqdn();
  EXPECT_FALSE(fqdn.empty());
  EXPECT_EQ(fqdn.find_first_of(" \t\r\n"), std::string::npos);
}

}  // namespace
