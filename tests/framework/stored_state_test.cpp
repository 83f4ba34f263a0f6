// StoredState and TypedStoredState: defaults, lazy loading, saving only what
// changed, JSON value kinds, typed round trip, errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ops/errors.hpp"
#include "ops/framework.hpp"
#include "ops/storage.hpp"
#include "test_support.hpp"

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Charm : ops::Object {
  explicit Charm(ops::Framework& fw) : Object(fw, "MyCharm") {}
};

struct PeerState {
  int restarts = 0;
  std::string leader;
  std::vector<std::string> peers;
  friend bool operator==(const PeerState&, const PeerState&) = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(PeerState, restarts, leader, peers)

struct NotJson {
  int x = 0;
};

// A value nlohmann::json cannot represent does not compile.
template <class V>
concept Storable = requires(ops::StoredState& s, V v) {
  s.set("k", v);
  s.set_default("k", v);
};
static_assert(Storable<int>);
static_assert(Storable<std::vector<std::string>>);
static_assert(Storable<PeerState>);
static_assert(!Storable<NotJson>);

class StoredStateTest : public ::testing::Test {
 protected:
  std::unique_ptr<ops::Framework> open() {
    return std::make_unique<ops::Framework>(ops::open_sqlite_storage(file_));
  }
  ops_test::TempDir dir_;
  std::filesystem::path file_ = ops::default_state_file(dir_.path());
};

TEST_F(StoredStateTest, SetDefaultSurvivesReopenAndFillsOnlyMissingKeys) {
  {
    auto fw = open();
    Charm charm(*fw);
    ops::StoredState stored(charm);
    stored.set_default({{"password", "first"}, {"count", 0}});
    stored.set("count", stored.get<int>("count") + 1);
    fw->commit();
  }
  {
    auto fw = open();
    Charm charm(*fw);
    ops::StoredState stored(charm);
    stored.set_default({{"password", "second"}, {"count", 0}, {"new", true}});
    EXPECT_EQ(stored.get<std::string>("password"), "first");
    EXPECT_EQ(stored.get<int>("count"), 1);
    EXPECT_EQ(stored.get<bool>("new"), true);
    stored.set_default("count", 100);
    EXPECT_EQ(stored.get<int>("count"), 1);
    fw->commit();
  }
  auto fw = open();
  EXPECT_EQ(fw->storage().load_snapshot("MyCharm/StoredStateData[_stored]"),
            (nlohmann::json{{"password", "first"}, {"count", 1}, {"new", true}}));
}

TEST_F(StoredStateTest, AllJsonValueKindsRoundTrip) {
  const nlohmann::json values = {
      {"null", nullptr},
      {"bool", true},
      {"int", -42},
      {"double", 2.5},
      {"string", "redis/0"},
      {"array", {1, "two", nullptr}},
      {"object", {{"nested", {{"deep", 1}}}}},
  };
  {
    auto fw = open();
    Charm charm(*fw);
    ops::StoredState stored(charm, "_data");
    for (const auto& [key, value] : values.items()) stored.set(key, value);
    stored.set("peers", std::vector<std::string>{"redis/1", "redis/2"});
    fw->commit();
  }
  auto fw = open();
  Charm charm(*fw);
  ops::StoredState stored(charm, "_data");
  for (const auto& [key, value] : values.items()) EXPECT_EQ(stored.get(key), value) << key;
  EXPECT_EQ(stored.get<std::vector<std::string>>("peers"),
            (std::vector<std::string>{"redis/1", "redis/2"}));
  EXPECT_EQ(stored.get<double>("double"), 2.5);
  EXPECT_TRUE(stored.get("null").is_null());
  EXPECT_EQ(stored.data().size(), values.size() + 1);
}

TEST_F(StoredStateTest, ReadingAnUnsetKeyIsAnError) {
  ops::MemoryStorage storage;
  ops::Framework fw(storage);
  Charm charm(fw);
  ops::StoredState stored(charm);
  EXPECT_FALSE(stored.contains("missing"));
  try {
    (void)stored.get("missing");
    FAIL();
  } catch (const ops::FrameworkError& e) {
    EXPECT_STREQ(e.what(), "attribute 'missing' is not stored in MyCharm/StoredStateData[_stored]");
  }
  stored.set("n", "text");
  try {
    stored.get<int>("n");
    FAIL();
  } catch (const ops::FrameworkError& e) {
    EXPECT_THAT(e.what(), HasSubstr("stored attribute 'n' of MyCharm/StoredStateData[_stored] "
                                    "has the wrong type"));
  }
  EXPECT_THROW(stored.set_default(nlohmann::json::array()), ops::FrameworkError);
  stored.erase("n");
  EXPECT_FALSE(stored.contains("n"));
}

TEST_F(StoredStateTest, SavedAtCommitOnlyWhenChanged) {
  ops::MemoryStorage memory;
  const std::string path = "MyCharm/StoredStateData[_stored]";
  {
    ops_test::CountingStorage counting(memory);
    ops::Framework fw(counting);
    Charm charm(fw);
    ops::StoredState stored(charm);
    stored.set_default({{"count", 0}});
    EXPECT_TRUE(stored.dirty());
    fw.commit();
    EXPECT_FALSE(stored.dirty());
    fw.commit();  // nothing changed since
    EXPECT_EQ(counting.saves[path], 1);
  }
  {
    ops_test::CountingStorage counting(memory);
    ops::Framework fw(counting);
    Charm charm(fw);
    ops::StoredState stored(charm);
    stored.set_default({{"count", 0}});  // already there
    stored.set("count", 0);              // same value
    EXPECT_FALSE(stored.dirty());
    fw.commit();
    EXPECT_EQ(counting.saves.count(path), 0u);
    stored.set("count", 1);
    fw.commit();
    EXPECT_EQ(counting.saves[path], 1);
  }
  EXPECT_EQ(memory.load_snapshot(path), (nlohmann::json{{"count", 1}}));
}

TEST_F(StoredStateTest, LoadedLazily) {
  ops::MemoryStorage memory;
  memory.save_snapshot("MyCharm/StoredStateData[_stored]", "not an object");
  memory.commit();
  ops::Framework fw(memory);
  Charm charm(fw);
  ops::StoredState stored(charm);  // constructing reads nothing
  EXPECT_THROW((void)stored.contains("x"), ops::FrameworkError);
}

TEST_F(StoredStateTest, TypedStateRoundTrips) {
  const PeerState expected{3, "redis-k8s/0", {"redis-k8s/1", "redis-k8s/2"}};
  {
    auto fw = open();
    Charm charm(*fw);
    ops::TypedStoredState<PeerState> state(charm, "_peers", PeerState{0, "nobody", {}});
    EXPECT_EQ(state->leader, "nobody");
    state.set(PeerState{2, "redis-k8s/0", {"redis-k8s/1"}});
    state.modify([](PeerState& s) {
      s.restarts++;
      s.peers.push_back("redis-k8s/2");
    });
    EXPECT_EQ(*state, expected);
    fw->commit();
  }
  auto fw = open();
  EXPECT_EQ(
      fw->storage().load_snapshot("MyCharm/StoredStateData[_peers]"),
      (nlohmann::json{
          {"restarts", 3}, {"leader", "redis-k8s/0"}, {"peers", {"redis-k8s/1", "redis-k8s/2"}}}));
  Charm charm(*fw);
  ops::TypedStoredState<PeerState> state(charm, "_peers");
  EXPECT_EQ(state.get(), expected);
}

TEST_F(StoredStateTest, TypedStateSavedOnlyWhenItsJsonChanged) {
  ops::MemoryStorage memory;
  const std::string path = "MyCharm/StoredStateData[_peers]";
  ops_test::CountingStorage counting(memory);
  ops::Framework fw(counting);
  Charm charm(fw);
  ops::TypedStoredState<PeerState> state(charm, "_peers");
  fw.commit();  // never read: nothing to save
  EXPECT_EQ(counting.saves.count(path), 0u);
  state.modify([](PeerState& s) { s.restarts = 1; });
  fw.commit();
  state.modify([](PeerState& s) { s.restarts = 1; });  // no change
  fw.commit();
  EXPECT_EQ(counting.saves[path], 1);
}

TEST_F(StoredStateTest, TypedStateThatDoesNotFitIsAClearError) {
  ops::MemoryStorage memory;
  memory.save_snapshot("MyCharm/StoredStateData[_peers]", {{"restarts", "many"}});
  ops::Framework fw(memory);
  Charm charm(fw);
  ops::TypedStoredState<PeerState> state(charm, "_peers");
  try {
    (void)state.get();
    FAIL();
  } catch (const ops::FrameworkError& e) {
    EXPECT_THAT(e.what(),
                HasSubstr("stored state MyCharm/StoredStateData[_peers] does not match its type"));
  }
}

TEST_F(StoredStateTest, TwoStatesWithOneNameOnOneObjectAreAnError) {
  ops::MemoryStorage memory;
  ops::Framework fw(memory);
  Charm charm(fw);
  ops::StoredState first(charm);
  EXPECT_THROW(ops::StoredState second(charm), ops::FrameworkError);
  ops::StoredState other(charm, "_other");
  EXPECT_EQ(other.handle().path(), "MyCharm/StoredStateData[_other]");
}

}  // namespace
