// The `redis` interface library: RedisRequires (events, url, reactive view),
// RedisProvides (published keys), resolve_ipv4, and the redis-client charm,
// each through ops::testing::Harness (production's dispatch sequence).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "charm.hpp"
#include "charms/redis_k8s/v0/redis.hpp"
#include "ops/testing/harness.hpp"
#include "support/files.hpp"

namespace {

namespace lib = charms::redis_k8s::v0;
using ::testing::ElementsAre;

// Reads the text of a file in the repository (OPS_SOURCE_DIR).
std::string source_file(const std::string& relative) {
  const char* root = std::getenv("OPS_SOURCE_DIR");
  return ops_test::read_file(std::filesystem::path(root ? root : ".") / relative);
}

constexpr const char* kRequirerMeta = R"(
name: app
requires:
  redis:
    interface: redis
  cache:
    interface: redis
)";

constexpr const char* kProviderMeta = R"(
name: redis-k8s
provides:
  redis:
    interface: redis
)";

// What the requirer test charm saw, kept across dispatches.
struct Seen {
  std::vector<std::string> urls;  // url() at each redis_relation_updated ("none" when unset)
};

class RequirerCharm : public ops::CharmBase {
 public:
  RequirerCharm(ops::Framework& fw, Seen& seen)
      : CharmBase(fw, "RequirerCharm"), redis(*this), cache(*this, "cache"), seen_(seen) {
    fw.observe<&RequirerCharm::on_updated>(redis.on_updated(), *this);
  }
  void on_updated(lib::RedisRelationUpdatedEvent&) {
    seen_.urls.push_back(redis.url().value_or("none"));
  }
  lib::RedisRequires redis;
  lib::RedisRequires cache;

 private:
  Seen& seen_;
};

class RequiresTest : public ::testing::Test {
 protected:
  RequiresTest()
      : harness(
            [this](ops::Framework& fw) -> std::unique_ptr<ops::CharmBase> {
              return std::make_unique<RequirerCharm>(fw, seen);
            },
            kRequirerMeta, "", "") {
    harness.begin();
  }
  RequirerCharm& charm() { return static_cast<RequirerCharm&>(harness.charm_base()); }

  Seen seen;
  ops::testing::HarnessBase harness;
};

TEST_F(RequiresTest, LibraryIdentity) {
  EXPECT_STREQ(lib::LIBID, "fe18a608cec5465fa5153e419abcad7b");
  EXPECT_EQ(lib::LIBAPI, 0);
  EXPECT_GE(lib::LIBPATCH, 1);
}

TEST_F(RequiresTest, JoinedAndChangedWithAUnitEmitUpdatedWithTheUrl) {
  int rel = harness.add_relation("redis", "redis-k8s");
  harness.add_relation_unit(rel, "redis-k8s/0");
  harness.update_relation_data(rel, "redis-k8s/0", {{"hostname", "10.0.0.5"}, {"port", "6379"}});
  // A joining unit brings relation-joined then relation-changed (as Juju
  // runs them), both before it published anything.
  EXPECT_THAT(seen.urls, ElementsAre("none", "none", "redis://10.0.0.5:6379"));
}

TEST_F(RequiresTest, AppOnlyChangeDoesNotEmit) {
  int rel = 0;
  {
    auto off = harness.hooks_disabled();
    rel = harness.add_relation("redis", "redis-k8s");
    harness.add_relation_unit(rel, "redis-k8s/0");
  }
  harness.update_relation_data(rel, "redis-k8s", {{"leader-host", "redis-k8s-0.svc"}});
  EXPECT_TRUE(seen.urls.empty());
}

TEST_F(RequiresTest, BrokenEmitsAndTheRelationIsGone) {
  int rel = 0;
  {
    auto off = harness.hooks_disabled();
    rel = harness.add_relation("redis", "redis-k8s");
    harness.add_relation_unit(rel, "redis-k8s/0");
    harness.update_relation_data(rel, "redis-k8s/0", {{"hostname", "10.0.0.5"}, {"port", "6379"}});
  }
  harness.remove_relation(rel);
  EXPECT_THAT(seen.urls, ElementsAre("none"));
}

TEST_F(RequiresTest, EventsOfAnotherEndpointDoNotReachThisRequirer) {
  int rel = 0;
  {
    auto off = harness.hooks_disabled();
    rel = harness.add_relation("cache", "redis-k8s");
    harness.add_relation_unit(rel, "redis-k8s/0");
  }
  harness.update_relation_data(rel, "redis-k8s/0", {{"hostname", "10.0.0.7"}, {"port", "6379"}});
  // Both requirers share the charm's one redis_relation_updated event: the
  // charm observes it once and reads whichever requirer it needs.
  EXPECT_THAT(seen.urls, ElementsAre("none"));
}

TEST_F(RequiresTest, UrlPrefersTheApplicationsLeaderHost) {
  {
    auto off = harness.hooks_disabled();
    int rel = harness.add_relation("redis", "redis-k8s");
    harness.add_relation_unit(rel, "redis-k8s/0");
    harness.update_relation_data(rel, "redis-k8s/0", {{"hostname", "10.0.0.5"}, {"port", "6379"}});
    harness.update_relation_data(rel, "redis-k8s", {{"leader-host", "redis-k8s-1.svc"}});
  }
  EXPECT_EQ(charm().redis.url(), "redis://redis-k8s-1.svc:6379");
  EXPECT_EQ(charm().redis.app_data(),
            (std::map<std::string, std::string>{{"leader-host", "redis-k8s-1.svc"}}));
  EXPECT_EQ(charm().redis.relation_data(),
            (std::map<std::string, std::string>{{"hostname", "10.0.0.5"}, {"port", "6379"}}));
}

TEST_F(RequiresTest, NothingBeforeAnyUnitPublished) {
  auto off = harness.hooks_disabled();
  int rel = harness.add_relation("redis", "redis-k8s");
  EXPECT_EQ(charm().redis.relation_data(), std::nullopt);
  EXPECT_EQ(charm().redis.url(), std::nullopt);
  EXPECT_FALSE(charm().redis.is_available());
  EXPECT_TRUE(charm().redis.units().empty());
  harness.add_relation_unit(rel, "redis-k8s/0");
  harness.update_relation_data(rel, "redis-k8s/0", {{"hostname", "10.0.0.5"}});  // no port yet
  EXPECT_EQ(charm().redis.url(), std::nullopt);
  EXPECT_FALSE(charm().redis.is_available());
}

TEST_F(RequiresTest, ReactiveViewListsEveryPublishingUnit) {
  auto off = harness.hooks_disabled();
  int a = harness.add_relation("redis", "redis-k8s");
  harness.add_relation_unit(a, "redis-k8s/0");
  harness.add_relation_unit(a, "redis-k8s/1");
  harness.update_relation_data(a, "redis-k8s/0",
                               {{"host", "10.0.0.5"}, {"port", "6379"}, {"password", "pw"}});
  harness.update_relation_data(a, "redis-k8s/1", {{"hostname", "10.0.0.6"}, {"port", "6379"}});
  EXPECT_TRUE(charm().redis.is_available());
  EXPECT_THAT(charm().redis.units(),
              ElementsAre(lib::RedisUnitData{"redis-k8s/0", a, "10.0.0.5", "6379", "pw"},
                          lib::RedisUnitData{"redis-k8s/1", a, "10.0.0.6", "6379", std::nullopt}));
}

// ---- the provider side ----------------------------------------------------------

struct ProviderState {
  std::optional<std::string> master = "10.0.0.9";
  std::optional<std::string> password = "s3cret";
};

class ProviderCharm : public ops::CharmBase {
 public:
  ProviderCharm(ops::Framework& fw, ProviderState& state)
      : CharmBase(fw, "ProviderCharm"),
        provides(
            *this, 6379, [&state] { return state.master; }, [&state] { return state.password; }) {}
  lib::RedisProvides provides;
};

class ProvidesTest : public ::testing::Test {
 protected:
  ProvidesTest()
      : harness(
            [this](ops::Framework& fw) -> std::unique_ptr<ops::CharmBase> {
              return std::make_unique<ProviderCharm>(fw, state);
            },
            kProviderMeta, "", "") {
    harness.begin();
    auto off = harness.hooks_disabled();
    rel = harness.add_relation("redis", "wordpress");
    harness.add_relation_unit(rel, "wordpress/0");
  }
  ProviderState state;
  ops::testing::HarnessBase harness;
  int rel = -1;
};

TEST_F(ProvidesTest, RelationChangedPublishesHostnameHostPortAndPassword) {
  harness.update_relation_data(rel, "wordpress/0", {{"ready", "yes"}});
  EXPECT_EQ(harness.get_relation_data(rel, "redis-k8s/0"),
            (std::map<std::string, std::string>{{"hostname", "10.0.0.9"},
                                                {"host", "10.0.0.9"},
                                                {"port", "6379"},
                                                {"password", "s3cret"}}));
}

TEST_F(ProvidesTest, NoPasswordWithdrawsAnEarlierOne) {
  {
    auto off = harness.hooks_disabled();
    harness.update_relation_data(rel, "redis-k8s/0", {{"password", "old"}});
  }
  state.password.reset();
  harness.update_relation_data(rel, "wordpress", {{"ready", "yes"}});
  EXPECT_EQ(harness.get_relation_data(rel, "redis-k8s/0"),
            (std::map<std::string, std::string>{
                {"hostname", "10.0.0.9"}, {"host", "10.0.0.9"}, {"port", "6379"}}));
}

TEST_F(ProvidesTest, UnknownMasterPublishesNothing) {
  state.master.reset();
  harness.update_relation_data(rel, "wordpress", {{"ready", "yes"}});
  EXPECT_TRUE(harness.get_relation_data(rel, "redis-k8s/0").empty());
}

TEST(ResolveIpv4, LiteralsPassAndNamesResolve) {
  EXPECT_EQ(lib::resolve_ipv4("10.1.2.3"), "10.1.2.3");
  EXPECT_EQ(lib::resolve_ipv4("localhost"), "127.0.0.1");
  try {
    lib::resolve_ipv4("no-such-host.invalid");
    FAIL() << "expected ops::Error";
  } catch (const ops::Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("cannot resolve host 'no-such-host.invalid'"));
  }
}

// ---- the redis-client example charm -----------------------------------------------

TEST(RedisClientCharmTest, StatusFollowsTheRelation) {
  ops::testing::HarnessBase harness(
      [](ops::Framework& fw) -> std::unique_ptr<ops::CharmBase> {
        return std::make_unique<redis_client::RedisClientCharm>(fw);
      },
      source_file("charms/redis-client/metadata.yaml"), "", "");
  harness.begin();
  harness.fire<ops::StartEvent>();
  EXPECT_EQ(harness.unit_status(), ops::BlockedStatus("Needs a redis relation"));
  int rel = harness.add_relation("redis", "redis-k8s");
  harness.add_relation_unit(rel, "redis-k8s/0");
  EXPECT_EQ(harness.unit_status(), ops::WaitingStatus("Waiting for Redis to publish its address"));
  harness.update_relation_data(rel, "redis-k8s/0", {{"hostname", "10.0.0.9"}, {"port", "6379"}});
  EXPECT_EQ(harness.unit_status(), ops::ActiveStatus("redis://10.0.0.9:6379"));
  harness.remove_relation(rel);
  EXPECT_EQ(harness.unit_status(), ops::BlockedStatus("Needs a redis relation"));
}

}  // namespace
