// The `redis` interface library: RedisRequires (events, url, reactive view),
// RedisProvides (published keys), resolve_ipv4, and the redis-client charm.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "charm.hpp"
#include "charms/redis_k8s/v0/redis.hpp"
#include "redis_k8s/fixture.hpp"

namespace {

namespace lib = charms::redis_k8s::v0;
using redis_test::relation_snapshot;
using ::testing::ElementsAre;

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
      : dispatcher(ops::CharmMeta::from_yaml(kRequirerMeta), juju,
                   [this](ops::Framework& fw) -> std::unique_ptr<ops::CharmBase> {
                     return std::make_unique<RequirerCharm>(fw, seen);
                   }) {
    juju.unit = "app/0";
  }
  // Runs `kind` and lets `check` read the charm's library object.
  void run(const std::string& kind, const nlohmann::json& snapshot,
           std::optional<int> broken = std::nullopt,
           const std::function<void(RequirerCharm&)>& check = {}) {
    dispatcher.run(kind, snapshot, broken, [&](ops::CharmBase& charm) {
      if (check) check(static_cast<RequirerCharm&>(charm));
    });
  }

  redis_test::MemoryJuju juju;
  Seen seen;
  redis_test::Dispatcher dispatcher;
};

TEST_F(RequiresTest, LibraryIdentity) {
  EXPECT_STREQ(lib::LIBID, "fe18a608cec5465fa5153e419abcad7b");
  EXPECT_EQ(lib::LIBAPI, 0);
  EXPECT_GE(lib::LIBPATCH, 1);
}

TEST_F(RequiresTest, JoinedAndChangedWithAUnitEmitUpdatedWithTheUrl) {
  int rel = juju.add_relation("redis", "redis-k8s", {"redis-k8s/0"});
  run("redis_relation_joined", relation_snapshot("redis", rel, "redis-k8s", "redis-k8s/0"));
  juju.bag(rel, "redis-k8s/0") = {{"hostname", "10.0.0.5"}, {"port", "6379"}};
  run("redis_relation_changed", relation_snapshot("redis", rel, "redis-k8s", "redis-k8s/0"));
  EXPECT_THAT(seen.urls, ElementsAre("none", "redis://10.0.0.5:6379"));
}

TEST_F(RequiresTest, AppOnlyChangeDoesNotEmit) {
  int rel = juju.add_relation("redis", "redis-k8s", {"redis-k8s/0"});
  run("redis_relation_changed", relation_snapshot("redis", rel, "redis-k8s"));
  EXPECT_TRUE(seen.urls.empty());
}

TEST_F(RequiresTest, BrokenEmitsAndTheRelationIsGone) {
  int rel = juju.add_relation("redis", "redis-k8s", {"redis-k8s/0"});
  juju.bag(rel, "redis-k8s/0") = {{"hostname", "10.0.0.5"}, {"port", "6379"}};
  run("redis_relation_broken", relation_snapshot("redis", rel, "redis-k8s"), rel);
  EXPECT_THAT(seen.urls, ElementsAre("none"));
}

TEST_F(RequiresTest, EventsOfAnotherEndpointDoNotReachThisRequirer) {
  int rel = juju.add_relation("cache", "redis-k8s", {"redis-k8s/0"});
  run("cache_relation_changed", relation_snapshot("cache", rel, "redis-k8s", "redis-k8s/0"));
  // Both requirers share the charm's one redis_relation_updated event: the
  // charm observes it once and reads whichever requirer it needs.
  EXPECT_THAT(seen.urls, ElementsAre("none"));
}

TEST_F(RequiresTest, UrlPrefersTheApplicationsLeaderHost) {
  int rel = juju.add_relation("redis", "redis-k8s", {"redis-k8s/0"});
  juju.bag(rel, "redis-k8s/0") = {{"hostname", "10.0.0.5"}, {"port", "6379"}};
  juju.bag(rel, "redis-k8s") = {{"leader-host", "redis-k8s-1.svc"}};
  run("update_status", nullptr, std::nullopt, [&](RequirerCharm& charm) {
    EXPECT_EQ(charm.redis.url(), "redis://redis-k8s-1.svc:6379");
    EXPECT_EQ(charm.redis.app_data(),
              (std::map<std::string, std::string>{{"leader-host", "redis-k8s-1.svc"}}));
    EXPECT_EQ(charm.redis.relation_data(),
              (std::map<std::string, std::string>{{"hostname", "10.0.0.5"}, {"port", "6379"}}));
  });
}

TEST_F(RequiresTest, NothingBeforeAnyUnitPublished) {
  int rel = juju.add_relation("redis", "redis-k8s");
  run("update_status", nullptr, std::nullopt, [&](RequirerCharm& charm) {
    EXPECT_EQ(charm.redis.relation_data(), std::nullopt);
    EXPECT_EQ(charm.redis.url(), std::nullopt);
    EXPECT_FALSE(charm.redis.is_available());
    EXPECT_TRUE(charm.redis.units().empty());
  });
  juju.relation_units[rel] = {"redis-k8s/0"};
  juju.bag(rel, "redis-k8s/0") = {{"hostname", "10.0.0.5"}};  // no port yet
  run("update_status", nullptr, std::nullopt, [&](RequirerCharm& charm) {
    EXPECT_EQ(charm.redis.url(), std::nullopt);
    EXPECT_FALSE(charm.redis.is_available());
  });
}

TEST_F(RequiresTest, ReactiveViewListsEveryPublishingUnit) {
  int a = juju.add_relation("redis", "redis-k8s", {"redis-k8s/0", "redis-k8s/1"});
  juju.bag(a, "redis-k8s/0") = {{"host", "10.0.0.5"}, {"port", "6379"}, {"password", "pw"}};
  juju.bag(a, "redis-k8s/1") = {{"hostname", "10.0.0.6"}, {"port", "6379"}};
  run("update_status", nullptr, std::nullopt, [&](RequirerCharm& charm) {
    EXPECT_TRUE(charm.redis.is_available());
    EXPECT_THAT(
        charm.redis.units(),
        ElementsAre(lib::RedisUnitData{"redis-k8s/0", a, "10.0.0.5", "6379", "pw"},
                    lib::RedisUnitData{"redis-k8s/1", a, "10.0.0.6", "6379", std::nullopt}));
  });
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
      : dispatcher(ops::CharmMeta::from_yaml(kProviderMeta), juju,
                   [this](ops::Framework& fw) -> std::unique_ptr<ops::CharmBase> {
                     return std::make_unique<ProviderCharm>(fw, state);
                   }) {}
  redis_test::MemoryJuju juju;
  ProviderState state;
  redis_test::Dispatcher dispatcher;
};

TEST_F(ProvidesTest, RelationChangedPublishesHostnameHostPortAndPassword) {
  int rel = juju.add_relation("redis", "wordpress", {"wordpress/0"});
  dispatcher.run("redis_relation_changed",
                 relation_snapshot("redis", rel, "wordpress", "wordpress/0"));
  EXPECT_EQ(juju.bag(rel, "redis-k8s/0"),
            (std::map<std::string, std::string>{{"hostname", "10.0.0.9"},
                                                {"host", "10.0.0.9"},
                                                {"port", "6379"},
                                                {"password", "s3cret"}}));
}

TEST_F(ProvidesTest, NoPasswordWithdrawsAnEarlierOne) {
  int rel = juju.add_relation("redis", "wordpress", {"wordpress/0"});
  juju.bag(rel, "redis-k8s/0") = {{"password", "old"}};
  state.password.reset();
  dispatcher.run("redis_relation_changed", relation_snapshot("redis", rel, "wordpress"));
  EXPECT_EQ(juju.bag(rel, "redis-k8s/0"),
            (std::map<std::string, std::string>{
                {"hostname", "10.0.0.9"}, {"host", "10.0.0.9"}, {"port", "6379"}}));
}

TEST_F(ProvidesTest, UnknownMasterPublishesNothing) {
  int rel = juju.add_relation("redis", "wordpress", {"wordpress/0"});
  state.master.reset();
  dispatcher.run("redis_relation_changed", relation_snapshot("redis", rel, "wordpress"));
  EXPECT_TRUE(juju.bag(rel, "redis-k8s/0").empty());
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

class RedisClientCharmTest : public ::testing::Test {
 protected:
  RedisClientCharmTest()
      : dispatcher(
            ops::CharmMeta::from_yaml(redis_test::source_file("charms/redis-client/metadata.yaml")),
            juju, [](ops::Framework& fw) -> std::unique_ptr<ops::CharmBase> {
              return std::make_unique<redis_client::RedisClientCharm>(fw);
            }) {
    juju.unit = "redis-client/0";
  }
  redis_test::MemoryJuju juju;
  redis_test::Dispatcher dispatcher;
};

TEST_F(RedisClientCharmTest, StatusFollowsTheRelation) {
  dispatcher.run("start");
  EXPECT_EQ(juju.unit_status, ops::BlockedStatus("Needs a redis relation"));
  int rel = juju.add_relation("redis", "redis-k8s", {"redis-k8s/0"});
  dispatcher.run("redis_relation_joined",
                 relation_snapshot("redis", rel, "redis-k8s", "redis-k8s/0"));
  EXPECT_EQ(juju.unit_status, ops::WaitingStatus("Waiting for Redis to publish its address"));
  juju.bag(rel, "redis-k8s/0") = {{"hostname", "10.0.0.9"}, {"port", "6379"}};
  dispatcher.run("redis_relation_changed",
                 relation_snapshot("redis", rel, "redis-k8s", "redis-k8s/0"));
  EXPECT_EQ(juju.unit_status, ops::ActiveStatus("redis://10.0.0.9:6379"));
  juju.relation_ids_by_endpoint["redis"].clear();
  dispatcher.run("redis_relation_broken", relation_snapshot("redis", rel, "redis-k8s"), rel);
  EXPECT_EQ(juju.unit_status, ops::BlockedStatus("Needs a redis relation"));
}

}  // namespace
