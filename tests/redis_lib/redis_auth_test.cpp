// The requirer's half of auth for capable clients: RedisRequires (and so the
// redis-client charm) says `auth-capable`="true" in its application data,
// from the leader only, unless the charm says it cannot authenticate.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "charm.hpp"
#include "charms/redis_k8s/v0/redis.hpp"
#include "ops/testing/harness.hpp"

namespace {

namespace lib = charms::redis_k8s::v0;

constexpr const char* kMeta = R"(
name: app
requires:
  redis:
    interface: redis
)";

class CannotAuthCharm : public ops::CharmBase {
 public:
  explicit CannotAuthCharm(ops::Framework& fw)
      : CharmBase(fw, "CannotAuthCharm"), redis(*this, "redis", /*auth_capable=*/false) {}
  lib::RedisRequires redis;
};

TEST(RedisRequiresAuth, TheLeaderOfRedisClientSaysItAuthenticates) {
  ops::testing::Harness<redis_client::RedisClientCharm> harness(
      "name: redis-client\nrequires:\n  redis:\n    interface: redis\n    limit: 1\n");
  harness.set_leader(true);
  harness.begin();
  int rel = harness.add_relation("redis", "redis-k8s");
  EXPECT_EQ(harness.get_relation_data(rel, "redis-client"),
            (ops::testing::Databag{{"auth-capable", "true"}}));
  EXPECT_STREQ(lib::kAuthCapableKey, "auth-capable");
}

TEST(RedisRequiresAuth, ANonLeaderWritesNothingAndTheNewLeaderDoes) {
  ops::testing::Harness<redis_client::RedisClientCharm> harness(
      "name: redis-client\nrequires:\n  redis:\n    interface: redis\n");
  harness.begin();
  int rel = harness.add_relation("redis", "redis-k8s");
  harness.add_relation_unit(rel, "redis-k8s/0");
  EXPECT_TRUE(harness.get_relation_data(rel, "redis-client").empty());
  harness.set_leader(true);
  EXPECT_EQ(harness.get_relation_data(rel, "redis-client").at("auth-capable"), "true");
}

TEST(RedisRequiresAuth, ACharmThatCannotAuthenticateStaysLegacy) {
  ops::testing::Harness<CannotAuthCharm> harness(kMeta);
  harness.set_leader(true);
  harness.begin();
  int rel = harness.add_relation("redis", "redis-k8s");
  harness.add_relation_unit(rel, "redis-k8s/0");
  EXPECT_TRUE(harness.get_relation_data(rel, "app").empty());
}

}  // namespace
