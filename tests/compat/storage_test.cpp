// ops' test/test_storage.py translated to ops-cpp: the same cases run on the
// SQLite state file and on MemoryStorage (ops' StoragePermutations), plus
// the SQLite file's own rules (TestSQLiteStorage).
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ops/errors.hpp"
#include "ops/framework.hpp"
#include "ops/storage.hpp"
#include "support/temp_dir.hpp"

namespace {

using nlohmann::json;
using ops::Notice;
using ops::StateStorage;
using ops_test::TempDir;

enum class Kind { kSQLite, kMemory };

// Opens "the same" storage again: the SQLite file is reopened, the memory
// storage is the same object (a new Framework on it, as the Harness does).
class StoragePermutations : public ::testing::TestWithParam<Kind> {
 protected:
  TempDir dir;
  std::filesystem::path file = dir.path() / ".unit-state.db";
  std::unique_ptr<StateStorage> owned;
  ops::MemoryStorage memory;

  StateStorage& open() {
    if (GetParam() == Kind::kMemory) return memory;
    owned.reset();
    owned = ops::open_sqlite_storage(
        file, {.lock_timeout = std::chrono::milliseconds(200), .sync_to_disk = false});
    return *owned;
  }
  StateStorage& reopen() {
    if (GetParam() == Kind::kSQLite) {
      owned->close();
      owned.reset();
    }
    return open();
  }
};

class Probe : public ops::EventBase {
 public:
  explicit Probe(ops::Handle handle) : EventBase(std::move(handle)) {}
  Probe(ops::Handle handle, json content)
      : EventBase(std::move(handle)), content_(std::move(content)) {}
  json snapshot() const override { return content_; }
  void restore(const json& snapshot) override { content_ = snapshot; }
  const json& content() const { return content_; }

 private:
  json content_;
};

struct ProbeEvents : ops::ObjectEvents {
  using ObjectEvents::ObjectEvents;
  ops::EventSource<Probe> probe{*this, "probe"};
};

class Emitter : public ops::Object {
 public:
  explicit Emitter(ops::Framework& fw) : Object(fw, "emitter") {}
  ProbeEvents on{*this};
};

// ops: test/test_storage.py::StoragePermutations::test_save_and_load_snapshot
TEST_P(StoragePermutations, SaveAndLoadSnapshot) {
  StateStorage& storage = open();
  const json data = {{"foo", "bar"}, {"baz", {{"a", 1}}}, {"list", {1, 2.5, nullptr, true}}};
  storage.save_snapshot("Sample/on/foo[1]", data);
  storage.commit();
  StateStorage& again = reopen();
  EXPECT_EQ(again.load_snapshot("Sample/on/foo[1]"), data);
}

// ops: test/test_storage.py::StoragePermutations::test_emit_event
TEST_P(StoragePermutations, EmitEventSurvivesARestart) {
  std::vector<json> seen;
  {
    StateStorage& storage = open();
    ops::Framework fw(storage);
    Emitter emitter(fw);
    fw.observe(emitter.on.probe, emitter, "on_probe", [&](Probe& e) {
      seen.push_back(e.content());
      e.defer();
    });
    emitter.on.probe.emit(json{{"value", "foo"}});
    fw.commit();
  }
  StateStorage& storage = reopen();
  ops::Framework fw(storage);
  Emitter emitter(fw);
  fw.observe(emitter.on.probe, emitter, "on_probe", [&](Probe& e) { seen.push_back(e.content()); });
  fw.reemit();
  EXPECT_EQ(seen, (std::vector<json>{{{"value", "foo"}}, {{"value", "foo"}}}));
}

// ops: test/test_storage.py::StoragePermutations::test_save_and_overwrite_snapshot
TEST_P(StoragePermutations, SaveAndOverwriteSnapshot) {
  StateStorage& storage = open();
  storage.save_snapshot("s", json{{"v", 1}});
  storage.save_snapshot("s", json{{"v", 2}});
  EXPECT_EQ(storage.load_snapshot("s"), json({{"v", 2}}));
  EXPECT_EQ(storage.list_snapshots(), std::vector<std::string>{"s"});
}

// ops: test/test_storage.py::StoragePermutations::test_drop_snapshot
TEST_P(StoragePermutations, DropSnapshot) {
  StateStorage& storage = open();
  storage.save_snapshot("s", json{{"v", 1}});
  storage.drop_snapshot("s");
  EXPECT_FALSE(storage.load_snapshot("s").has_value());
  storage.drop_snapshot("never-there");  // no-op
  EXPECT_TRUE(storage.list_snapshots().empty());
}

// ops: test/test_storage.py::StoragePermutations::test_save_snapshot_empty_string
TEST_P(StoragePermutations, SaveSnapshotEmptyString) {
  StateStorage& storage = open();
  storage.save_snapshot("s", json(""));
  storage.commit();
  EXPECT_EQ(reopen().load_snapshot("s"), json(""));
}

// ops: test/test_storage.py::StoragePermutations::test_save_snapshot_none
TEST_P(StoragePermutations, SaveSnapshotNone) {
  StateStorage& storage = open();
  storage.save_snapshot("s", json(nullptr));
  storage.commit();
  const auto loaded = reopen().load_snapshot("s");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_TRUE(loaded->is_null());
}

// ops: test/test_storage.py::StoragePermutations::test_save_snapshot_zero
TEST_P(StoragePermutations, SaveSnapshotZero) {
  StateStorage& storage = open();
  storage.save_snapshot("s", json(0));
  storage.commit();
  EXPECT_EQ(reopen().load_snapshot("s"), json(0));
}

// ops: test/test_storage.py::StoragePermutations::test_save_notice
TEST_P(StoragePermutations, SaveNotice) {
  StateStorage& storage = open();
  storage.save_notice("event", "observer", "method");
  EXPECT_EQ(storage.notices("event").size(), 1u);
  EXPECT_EQ(storage.notices("event")[0].observer_path, "observer");
  EXPECT_EQ(storage.notices("event")[0].method_name, "method");
  EXPECT_TRUE(storage.has_notices());
}

// ops: test/test_storage.py::StoragePermutations::test_all_notices
TEST_P(StoragePermutations, AllNoticesInOrder) {
  StateStorage& storage = open();
  storage.save_notice("e1", "o1", "m1");
  storage.save_notice("e2", "o2", "m2");
  storage.save_notice("e2", "o3", "m3");
  storage.commit();
  const std::vector<Notice> notices = reopen().notices();
  ASSERT_EQ(notices.size(), 3u);
  EXPECT_EQ(notices[0].event_path, "e1");
  EXPECT_EQ(notices[1].observer_path, "o2");
  EXPECT_EQ(notices[2].method_name, "m3");
  EXPECT_LT(notices[0].sequence, notices[1].sequence);
  EXPECT_LT(notices[1].sequence, notices[2].sequence);
}

// ops: test/test_storage.py::StoragePermutations::test_load_notices
TEST_P(StoragePermutations, LoadNoticesOfAnUnknownEventIsEmpty) {
  StateStorage& storage = open();
  EXPECT_TRUE(storage.notices("path").empty());
  EXPECT_FALSE(storage.has_notices());
}

// ops: test/test_storage.py::StoragePermutations::test_save_one_load_another_notice
TEST_P(StoragePermutations, SaveOneLoadAnotherNotice) {
  StateStorage& storage = open();
  storage.save_notice("event", "observer", "method");
  EXPECT_TRUE(storage.notices("other").empty());
}

// ops: test/test_storage.py::StoragePermutations::test_save_load_drop_load_notices
TEST_P(StoragePermutations, SaveLoadDropLoadNotices) {
  StateStorage& storage = open();
  const auto first = storage.save_notice("event", "observer", "method");
  storage.save_notice("event", "observer", "method2");
  EXPECT_EQ(storage.notices("event").size(), 2u);
  storage.drop_notice(first);
  const auto left = storage.notices("event");
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].method_name, "method2");
  storage.drop_notice(123456);  // no-op
  EXPECT_EQ(storage.notices().size(), 1u);
}

// ops: test/test_storage.py::StoragePermutations (update keeps the place in the queue)
TEST_P(StoragePermutations, UpdateNoticeKeepsItsPlace) {
  StateStorage& storage = open();
  const auto first = storage.save_notice("e1", "o", "old");
  storage.save_notice("e2", "o", "m");
  storage.update_notice(first, "o2", "new");
  const auto notices = storage.notices();
  ASSERT_EQ(notices.size(), 2u);
  EXPECT_EQ(notices[0].event_path, "e1");
  EXPECT_EQ(notices[0].observer_path, "o2");
  EXPECT_EQ(notices[0].method_name, "new");
}

// ops: test/test_storage.py::StoragePermutations (rollback forgets uncommitted changes)
TEST_P(StoragePermutations, RollbackForgetsUncommittedChanges) {
  StateStorage& storage = open();
  storage.save_snapshot("kept", json(1));
  storage.commit();
  storage.save_snapshot("lost", json(2));
  storage.save_notice("e", "o", "m");
  storage.drop_snapshot("kept");
  storage.rollback();
  EXPECT_EQ(storage.list_snapshots(), std::vector<std::string>{"kept"});
  EXPECT_FALSE(storage.has_notices());
}

// ops: test/test_storage.py::StoragePermutations (snapshots are listed sorted)
TEST_P(StoragePermutations, ListSnapshotsIsSorted) {
  StateStorage& storage = open();
  for (const char* path : {"b", "a/on/x[2]", "c", "a/on/x[10]"})
    storage.save_snapshot(path, json(1));
  EXPECT_EQ(storage.list_snapshots(),
            (std::vector<std::string>{"a/on/x[10]", "a/on/x[2]", "b", "c"}));
}

// ops: test/test_storage.py::StoragePermutations (unicode and nesting round-trip)
TEST_P(StoragePermutations, UnicodeAndDeepNestingRoundTrip) {
  StateStorage& storage = open();
  const json data = {{"name", "caf\u00e9 \u2603"},
                     {"deep", {{"a", {{"b", {{"c", {1, 2, 3}}}}}}}},
                     {"big", 9007199254740993LL},
                     {"neg", -1.5}};
  storage.save_snapshot("s", data);
  storage.commit();
  EXPECT_EQ(reopen().load_snapshot("s"), data);
}

// ops: test/test_storage.py::StoragePermutations (StoredState persists on both)
TEST_P(StoragePermutations, StoredStatePersists) {
  {
    StateStorage& storage = open();
    ops::Framework fw(storage);
    Emitter emitter(fw);
    ops::StoredState state(emitter);
    state.set("n", 3);
    state["list"].push_back("x");
    fw.commit();
  }
  StateStorage& storage = reopen();
  ops::Framework fw(storage);
  Emitter emitter(fw);
  ops::StoredState state(emitter);
  EXPECT_EQ(state.data(), json({{"n", 3}, {"list", {"x"}}}));
}

INSTANTIATE_TEST_SUITE_P(Storages, StoragePermutations,
                         ::testing::Values(Kind::kSQLite, Kind::kMemory),
                         [](const auto& param_info) {
                           return param_info.param == Kind::kSQLite ? "SQLite" : "Memory";
                         });

// ---- the SQLite state file (TestSQLiteStorage) ---------------------------------

class SQLiteStorage : public ::testing::Test {
 protected:
  TempDir dir;
  std::filesystem::path file = dir.path() / ".unit-state.db";
};

// ops: test/test_storage.py::TestSQLiteStorage::test_permissions_new
TEST_F(SQLiteStorage, PermissionsOfANewFile) {
  auto storage = ops::open_sqlite_storage(file);
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

// ops: test/test_storage.py::TestSQLiteStorage::test_permissions_existing
TEST_F(SQLiteStorage, AnExistingFileIsReopenedWithItsContent) {
  {
    auto storage = ops::open_sqlite_storage(file);
    storage->save_snapshot("s", json(1));
    storage->commit();
  }
  auto storage = ops::open_sqlite_storage(file);
  EXPECT_EQ(storage->load_snapshot("s"), json(1));
}

// ops: test/test_storage.py::TestSQLiteStorage (a second process waits, then fails)
TEST_F(SQLiteStorage, ALockedFileIsRefusedAfterTheTimeout) {
  auto holder = ops::open_sqlite_storage(file);
  EXPECT_THROW(ops::open_sqlite_storage(file, {.lock_timeout = std::chrono::milliseconds(50)}),
               ops::StorageError);
}

// ops: test/test_storage.py::TestSQLiteStorage (not a database)
TEST_F(SQLiteStorage, AFileThatIsNotADatabaseIsRefusedAndKept) {
  {
    std::ofstream out(file);
    out << "this is not sqlite, just text long enough to have a header of sorts\n";
  }
  EXPECT_THROW((void)ops::open_sqlite_storage(file), ops::StorageError);
  std::ifstream in(file);
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first, "this is not sqlite, just text long enough to have a header of sorts");
}

// ops: test/test_storage.py::TestSQLiteStorage (uncommitted changes are not in the file)
TEST_F(SQLiteStorage, ClosingWithoutCommitLosesTheChanges) {
  {
    auto storage = ops::open_sqlite_storage(file);
    storage->save_snapshot("s", json(1));
    storage->commit();
    storage->save_snapshot("s", json(2));
    storage->save_notice("e", "o", "m");
    storage->close();
    EXPECT_THROW((void)storage->load_snapshot("s"), ops::StorageError);
  }
  auto storage = ops::open_sqlite_storage(file);
  EXPECT_EQ(storage->load_snapshot("s"), json(1));
  EXPECT_FALSE(storage->has_notices());
}

// ops: test/test_storage.py::TestSQLiteStorage (the default state file)
TEST_F(SQLiteStorage, DefaultStateFileIsInTheCharmDirectory) {
  EXPECT_EQ(ops::default_state_file("/var/lib/juju/agents/unit-redis-0/charm"),
            std::filesystem::path("/var/lib/juju/agents/unit-redis-0/charm/.unit-state.db"));
}

}  // namespace
