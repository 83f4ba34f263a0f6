// Storage: the SQLite state file (schema, mode, transactions, locking,
// refusing corrupt and foreign files) and MemoryStorage.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include "ops/errors.hpp"
#include "ops/storage.hpp"
#include "support/files.hpp"
#include "test_support.hpp"

namespace {

using ops_test::read_file;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string storage_error(const std::filesystem::path& path,
                          ops::SQLiteStorageOptions options = {}) {
  try {
    (void)ops::open_sqlite_storage(path, options);
  } catch (const ops::StorageError& e) {
    return e.what();
  }
  return "no error";
}

// The same contract for both implementations.
class StorageContractTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      storage_ = ops::open_sqlite_storage(ops::default_state_file(dir_.path()));
    } else {
      storage_ = std::make_unique<ops::MemoryStorage>();
    }
  }
  ops_test::TempDir dir_;
  std::unique_ptr<ops::StateStorage> storage_;
};

TEST_P(StorageContractTest, SnapshotsAndNotices) {
  ops::StateStorage& s = *storage_;
  EXPECT_EQ(s.load_snapshot("a/b[1]"), std::nullopt);
  s.save_snapshot("a/b[1]", {{"x", 1}});
  s.save_snapshot("a/b[1]", {{"x", 2}});
  s.save_snapshot("a/c[2]", nullptr);
  EXPECT_EQ(s.load_snapshot("a/b[1]"), (nlohmann::json{{"x", 2}}));
  EXPECT_EQ(s.load_snapshot("a/c[2]"), nlohmann::json(nullptr));
  EXPECT_THAT(s.list_snapshots(), ElementsAre("a/b[1]", "a/c[2]"));
  s.drop_snapshot("a/c[2]");
  s.drop_snapshot("never");
  EXPECT_THAT(s.list_snapshots(), ElementsAre("a/b[1]"));

  EXPECT_FALSE(s.has_notices());
  EXPECT_EQ(s.save_notice("a/b[1]", "obs", "on_b"), 1);
  EXPECT_EQ(s.save_notice("a/c[2]", "obs", "on_c"), 2);
  EXPECT_EQ(s.save_notice("a/b[1]", "other", "on_b"), 3);
  EXPECT_TRUE(s.has_notices());
  EXPECT_THAT(s.notices(), ElementsAre(ops::Notice{1, "a/b[1]", "obs", "on_b"},
                                       ops::Notice{2, "a/c[2]", "obs", "on_c"},
                                       ops::Notice{3, "a/b[1]", "other", "on_b"}));
  EXPECT_THAT(s.notices("a/b[1]"), ElementsAre(ops::Notice{1, "a/b[1]", "obs", "on_b"},
                                               ops::Notice{3, "a/b[1]", "other", "on_b"}));
  s.drop_notice(1);
  s.drop_notice(99);
  EXPECT_EQ(s.save_notice("a/d[4]", "obs", "on_d"), 4);  // sequences are never reused
  EXPECT_EQ(s.notices().front().sequence, 2);
}

TEST_P(StorageContractTest, RollbackForgetsEverySinceTheLastCommit) {
  ops::StateStorage& s = *storage_;
  s.save_snapshot("kept", {{"v", 1}});
  s.save_notice("kept", "obs", "m");
  s.commit();
  s.save_snapshot("kept", {{"v", 2}});
  s.save_snapshot("new", 1);
  s.drop_notice(1);
  s.save_notice("new", "obs", "m");
  s.rollback();
  EXPECT_THAT(s.list_snapshots(), ElementsAre("kept"));
  EXPECT_EQ(s.load_snapshot("kept"), (nlohmann::json{{"v", 1}}));
  EXPECT_THAT(s.notices(), ElementsAre(ops::Notice{1, "kept", "obs", "m"}));
  EXPECT_EQ(s.save_notice("again", "obs", "m"), 2);
}

// Each rollback restores its own transaction only, however many came
// before (the memory storage reuses its undo entries across transactions).
TEST_P(StorageContractTest, EachRollbackRestoresOnlyItsOwnTransaction) {
  ops::StateStorage& s = *storage_;
  s.save_snapshot("a", 1);
  s.save_snapshot("bb", 2);
  s.commit();
  s.save_snapshot("bb", 3);
  s.rollback();
  EXPECT_EQ(s.load_snapshot("bb"), nlohmann::json(2));
  s.save_snapshot("ccc", 4);
  s.save_snapshot("a", 5);
  s.drop_snapshot("bb");
  s.rollback();
  EXPECT_THAT(s.list_snapshots(), ElementsAre("a", "bb"));
  EXPECT_EQ(s.load_snapshot("a"), nlohmann::json(1));
  s.save_snapshot("a", 6);
  s.commit();
  s.save_snapshot("a", 7);
  s.rollback();
  EXPECT_EQ(s.load_snapshot("a"), nlohmann::json(6));
  const auto first = s.save_notice("A/on/x[1]", "A", "on_x");
  s.drop_notice(first);
  const auto second = s.save_notice("A/on/y[2]", "Other", "on_y");
  EXPECT_THAT(s.notices(), ElementsAre(ops::Notice{second, "A/on/y[2]", "Other", "on_y"}));
}

// Both count changes alike: the framework saves its event counter only with
// another change, so a no-op dispatch commits nothing in either.
TEST_P(StorageContractTest, HasChangesCountsNetChanges) {
  ops::StateStorage& s = *storage_;
  EXPECT_FALSE(s.has_changes());
  const auto sequence = s.save_notice("A/on/x[1]", "A", "on_x");
  EXPECT_TRUE(s.has_changes());
  s.update_notice(sequence, "A", "on_y");
  s.drop_notice(sequence);  // saved and dropped again: no change
  EXPECT_FALSE(s.has_changes());
  s.drop_snapshot("missing");
  s.drop_notice(12345);
  EXPECT_FALSE(s.has_changes());
  s.save_snapshot("A", {{"k", 1}});
  EXPECT_TRUE(s.has_changes());
  s.commit();
  EXPECT_FALSE(s.has_changes());
  s.drop_snapshot("A");
  EXPECT_TRUE(s.has_changes());
  s.rollback();
  EXPECT_FALSE(s.has_changes());
  EXPECT_EQ(s.load_snapshot("A"), (nlohmann::json{{"k", 1}}));
  const auto kept = s.save_notice("A/on/x[2]", "A", "on_x");
  s.commit();
  s.update_notice(kept, "A", "on_z");  // an older notice changed
  EXPECT_TRUE(s.has_changes());
  s.rollback();
  EXPECT_THAT(s.notices(), ElementsAre(ops::Notice{kept, "A/on/x[2]", "A", "on_x"}));
  s.drop_notice(kept);  // an older notice dropped
  EXPECT_TRUE(s.has_changes());
  s.commit();
  EXPECT_FALSE(s.has_notices());
}

INSTANTIATE_TEST_SUITE_P(SQLiteAndMemory, StorageContractTest, ::testing::Values(true, false),
                         [](const auto& param_info) {
                           return param_info.param ? "SQLite" : "Memory";
                         });

class SQLiteStorageTest : public ::testing::Test {
 protected:
  ops_test::TempDir dir_;
  std::filesystem::path file_ = ops::default_state_file(dir_.path());
};

TEST_F(SQLiteStorageTest, CreatesTheOpsSchemaWithMode0600) {
  EXPECT_EQ(file_.filename(), ".unit-state.db");
  ops::open_sqlite_storage(file_)->close();
  struct stat st {};
  ASSERT_EQ(::stat(file_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);

  SQLite::Database db(file_.string());
  SQLite::Statement query(db,
                          "SELECT name, sql FROM sqlite_master WHERE type='table' ORDER BY name");
  std::vector<std::string> tables;
  while (query.executeStep()) {
    tables.push_back(query.getColumn(0).getString() + ": " + query.getColumn(1).getString());
  }
  EXPECT_THAT(tables, ElementsAre("notice: CREATE TABLE notice (sequence INTEGER PRIMARY KEY "
                                  "AUTOINCREMENT, event_path TEXT, observer_path TEXT, "
                                  "method_name TEXT)",
                                  "snapshot: CREATE TABLE snapshot (handle TEXT PRIMARY KEY, data "
                                  "BLOB)",
                                  "sqlite_sequence: CREATE TABLE sqlite_sequence(name,seq)"));
}

TEST_F(SQLiteStorageTest, CommitsAreReadableWithoutSyncToDisk) {
  ops::SQLiteStorageOptions options;
  options.sync_to_disk = false;
  {
    auto storage = ops::open_sqlite_storage(file_, options);
    storage->save_snapshot("a", 1);
    storage->commit();
  }
  EXPECT_EQ(ops::open_sqlite_storage(file_)->load_snapshot("a"), nlohmann::json(1));
}

TEST_F(SQLiteStorageTest, StoresSnapshotsAsJsonText) {
  {
    auto storage = ops::open_sqlite_storage(file_);
    storage->save_snapshot("MyCharm/StoredStateData[_stored]", {{"password", "x"}});
    storage->commit();
  }
  SQLite::Database db(file_.string());
  EXPECT_EQ(db.execAndGet("SELECT data FROM snapshot").getString(), R"({"password":"x"})");
}

TEST_F(SQLiteStorageTest, UncommittedChangesAreLostOnClose) {
  {
    auto storage = ops::open_sqlite_storage(file_);
    storage->save_snapshot("committed", 1);
    storage->commit();
    storage->save_snapshot("uncommitted", 2);
    storage->save_notice("uncommitted", "o", "m");
  }  // destroyed without commit, as when a hook fails
  auto storage = ops::open_sqlite_storage(file_);
  EXPECT_THAT(storage->list_snapshots(), ElementsAre("committed"));
  EXPECT_THAT(storage->notices(), IsEmpty());
  storage->close();
  EXPECT_THROW((void)storage->list_snapshots(), ops::StorageError);
}

TEST_F(SQLiteStorageTest, ASecondProcessFailsClearlyAfterTheLockTimeout) {
  auto first = ops::open_sqlite_storage(file_);
  first->save_snapshot("x", 1);
  EXPECT_EQ(storage_error(file_, {std::chrono::milliseconds(100)}),
            "state database " + file_.string() + " is locked by another process (waited 100 ms)");
  first->commit();
  EXPECT_EQ(first->load_snapshot("x"), nlohmann::json(1));  // the first is unharmed
}

// Runs body in a child process; returns its exit status.
template <class F>
int in_child_process(F&& body) {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

TEST_F(SQLiteStorageTest, AnotherProcessIsLockedOutUntilClose) {
  auto first = ops::open_sqlite_storage(file_);
  first->save_snapshot("from-first", 1);
  first->commit();
  const std::string expected =
      "state database " + file_.string() + " is locked by another process (waited 50 ms)";
  const auto try_open = [&] {
    try {
      auto storage = ops::open_sqlite_storage(file_, {std::chrono::milliseconds(50)});
      return storage->load_snapshot("from-first") == nlohmann::json(1) ? 0 : 3;
    } catch (const ops::StorageError& e) {
      return std::string(e.what()) == expected ? 1 : 2;
    }
  };
  EXPECT_EQ(in_child_process(try_open), 1);  // locked out with a clear error
  first->close();
  EXPECT_EQ(in_child_process(try_open), 0);  // opens and reads after close
}

TEST_F(SQLiteStorageTest, ASecondProcessWaitsForTheFirstToClose) {
  auto first = ops::open_sqlite_storage(file_);
  std::optional<nlohmann::json> seen_by_second;
  std::string error;
  std::thread second([&] {
    try {
      auto storage = ops::open_sqlite_storage(file_, {std::chrono::milliseconds(20000)});
      seen_by_second = storage->load_snapshot("written-before-close");
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  // Whenever the second started waiting, it can only get in after this commit and close.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  first->save_snapshot("written-before-close", "hello");
  first->commit();
  first->close();
  second.join();
  EXPECT_EQ(error, "");
  EXPECT_EQ(seen_by_second, nlohmann::json("hello"));
}

TEST_F(SQLiteStorageTest, ACorruptFileIsRefusedAndLeftAlone) {
  const std::string garbage = "this is not a database, just some bytes in a file\n";
  std::ofstream(file_, std::ios::binary) << garbage;
  EXPECT_EQ(storage_error(file_), "state database " + file_.string() +
                                      " is not an SQLite database (corrupt or foreign file); "
                                      "refusing to use or overwrite it");
  EXPECT_EQ(read_file(file_), garbage);
}

TEST_F(SQLiteStorageTest, AnUnreadablePathIsRefusedWithTheReason) {
  std::filesystem::create_directory(file_);
  EXPECT_EQ(storage_error(file_),
            "cannot read state database " + file_.string() + ": Is a directory");
  EXPECT_TRUE(std::filesystem::is_directory(file_));
}

TEST_F(SQLiteStorageTest, ATruncatedSQLiteFileIsRefused) {
  ops::open_sqlite_storage(file_)->close();
  std::string bytes = read_file(file_);
  bytes.resize(100);  // header intact, pages gone
  std::ofstream(file_, std::ios::binary | std::ios::trunc) << bytes;
  EXPECT_THAT(storage_error(file_), HasSubstr("state database " + file_.string()));
  EXPECT_EQ(read_file(file_), bytes);
}

TEST_F(SQLiteStorageTest, AFileWrittenByPythonOpsIsMigrated) {
  {
    // What Python ops' SQLiteStorage leaves behind: same tables, pickled data.
    SQLite::Database db(file_.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("CREATE TABLE snapshot (handle TEXT PRIMARY KEY, data BLOB)");
    db.exec(
        "CREATE TABLE notice (sequence INTEGER PRIMARY KEY AUTOINCREMENT, event_path TEXT, "
        "observer_path TEXT, method_name TEXT)");
    SQLite::Statement insert(db, "INSERT INTO snapshot VALUES (?, ?)");
    static const char kPickle[] =
        "\x80\x04\x95\x13\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x0b"
        "event_count\x94K\x05s.";
    const std::string pickle(kPickle, sizeof(kPickle) - 1);
    insert.bind(1, "StoredStateData[_stored]");
    insert.bind(2, pickle.data(), static_cast<int>(pickle.size()));
    insert.exec();
  }
  // python_migration_test.cpp covers the migration; here: the file opens.
  auto storage = ops::open_sqlite_storage(file_);
  EXPECT_EQ(storage->load_snapshot("StoredStateData[_stored]"),
            nlohmann::json({{"event_count", 5}}));
}

TEST_F(SQLiteStorageTest, AnotherApplicationsDatabaseIsRefused) {
  {
    SQLite::Database db(file_.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("CREATE TABLE users (name TEXT)");
  }
  EXPECT_EQ(storage_error(file_), "state database " + file_.string() +
                                      " is an SQLite database of another application (no ops-cpp "
                                      "schema); refusing to overwrite it");
}

TEST_F(SQLiteStorageTest, AFileWithTheOpsMarkButATableMissingIsRefused) {
  {
    SQLite::Database db(file_.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("CREATE TABLE snapshot (handle TEXT PRIMARY KEY, data BLOB)");
    db.exec("PRAGMA application_id=" + std::to_string(0x6F707343));
    db.exec("PRAGMA user_version=1");
  }
  EXPECT_EQ(storage_error(file_), "state database " + file_.string() +
                                      " has the ops-cpp mark but no 'notice' table (corrupt "
                                      "file); refusing to use it");
}

// Notice numbers follow the highest notice in the file, whether the
// notices were all read first (as a dispatch's reemit does) or not.
TEST_F(SQLiteStorageTest, NoticeNumbersFollowTheHighestNoticeInTheFile) {
  {
    auto s = ops::open_sqlite_storage(file_);
    EXPECT_EQ(s->save_notice("A/on/x[1]", "A", "on_x"), 1);
    EXPECT_EQ(s->save_notice("A/on/x[2]", "A", "on_x"), 2);
    EXPECT_EQ(s->save_notice("A/on/x[3]", "A", "on_x"), 3);
    s->commit();
    EXPECT_EQ(s->save_notice("A/on/x[4]", "A", "on_x"), 4);
    s->commit();
    s->drop_notice(4);
    s->commit();
  }
  {
    auto s = ops::open_sqlite_storage(file_);
    EXPECT_EQ(s->notices().size(), 3u);
    EXPECT_EQ(s->save_notice("A/on/y[5]", "A", "on_y"), 4);  // 4 was dropped: its number is free
  }                                                          // not committed
  {
    auto s = ops::open_sqlite_storage(file_);
    EXPECT_THAT(s->notices("A/on/y"), IsEmpty());  // a filtered read does not count
    EXPECT_EQ(s->save_notice("A/on/y[5]", "A", "on_y"), 4);
    EXPECT_EQ(s->save_notice("A/on/y[6]", "A", "on_y"), 5);
    s->commit();
    EXPECT_EQ(s->notices().back(), (ops::Notice{5, "A/on/y[6]", "A", "on_y"}));
    EXPECT_EQ(s->save_notice("A/on/y[7]", "A", "on_y"), 6);
  }
}

TEST_F(SQLiteStorageTest, ASnapshotThatIsNotJsonIsAStorageError) {
  {
    auto storage = ops::open_sqlite_storage(file_);
    storage->commit();
  }
  {
    SQLite::Database db(file_.string(), SQLite::OPEN_READWRITE);
    db.exec("INSERT INTO snapshot VALUES ('bad', x'80049500')");
  }
  auto storage = ops::open_sqlite_storage(file_);
  try {
    (void)storage->load_snapshot("bad");
    FAIL();
  } catch (const ops::StorageError& e) {
    EXPECT_EQ(std::string(e.what()), "state database " + file_.string() +
                                         ": snapshot 'bad' is not JSON (written by another "
                                         "framework?)");
  }
}

TEST_F(SQLiteStorageTest, AnEmptyFileStartsOverWithAWarning) {
  std::ofstream(file_, std::ios::binary).close();  // 0 bytes, e.g. after a full disk
  ops_test::LogCapture log;
  auto storage = ops::open_sqlite_storage(file_);
  EXPECT_THAT(log.lines,
              ElementsAre("WARNING state database " + file_.string() +
                          " is an empty (0-byte) file: starting with no stored state and no "
                          "deferred events; any state this unit had before is lost"));
  EXPECT_THAT(storage->list_snapshots(), IsEmpty());
}

TEST_F(SQLiteStorageTest, ANewFileIsCreatedWithoutAWarning) {
  ops_test::LogCapture log;
  ops::open_sqlite_storage(file_)->close();
  EXPECT_THAT(log.lines, IsEmpty());
}

TEST_F(SQLiteStorageTest, ADanglingSymlinkIsRefusedAndNothingIsCreated) {
  const auto target = dir_.path() / "elsewhere.db";
  std::filesystem::create_symlink(target, file_);
  EXPECT_EQ(storage_error(file_), "state database " + file_.string() +
                                      " is a symbolic link to a missing file; refusing to create "
                                      "the state file through it (remove the link or create its "
                                      "target with mode 0600)");
  EXPECT_FALSE(std::filesystem::exists(target));
  EXPECT_TRUE(std::filesystem::is_symlink(file_));
}

TEST_F(SQLiteStorageTest, ASymlinkToAnExistingStateFileIsFollowed) {
  const auto target = dir_.path() / "elsewhere.db";
  {
    auto storage = ops::open_sqlite_storage(target);
    storage->save_snapshot("kept", 7);
    storage->commit();
  }
  std::filesystem::create_symlink(target, file_);
  EXPECT_EQ(ops::open_sqlite_storage(file_)->load_snapshot("kept"), nlohmann::json(7));
}

TEST_F(SQLiteStorageTest, AMissingDirectoryIsAStorageError) {
  EXPECT_THAT(storage_error(dir_.path() / "no" / "such" / "dir" / ".unit-state.db"),
              HasSubstr("cannot create state database"));
}

// The file's two format-version bytes (offsets 18 and 19): 2 in WAL mode, 1 with a rollback
// journal.
std::string format_versions(const std::filesystem::path& file) {
  const std::string bytes = read_file(file);
  if (bytes.size() < 20) return "short file";
  return std::to_string(bytes[18]) + "," + std::to_string(bytes[19]);
}

// The files beside the state file (SQLite's -wal, -shm, -journal).
std::vector<std::string> files_beside(const std::filesystem::path& file) {
  std::vector<std::string> names;
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    if (std::filesystem::exists(file.string() + suffix)) names.push_back(suffix);
  }
  return names;
}

// One durable commit: WAL mode with synchronous=NORMAL, and a checkpoint in
// commit() that syncs the WAL, copies it into the database file and syncs
// that. So the committed data is in the database file itself when commit()
// returns, and close() leaves the database file alone.
TEST_F(SQLiteStorageTest, ACommitIsInTheDatabaseFileItselfWhenCommitReturns) {
  auto storage = ops::open_sqlite_storage(file_);
  storage->save_snapshot("a", 1);
  storage->commit();
  storage->save_snapshot("b", 2);  // not committed
  // In WAL mode, with the WAL index in memory (exclusive locking): no -shm.
  EXPECT_THAT(files_beside(file_), ElementsAre("-wal"));
  // The database file alone, without the WAL, holds the commit.
  const std::filesystem::path copy = dir_.path() / "copy.db";
  std::ofstream(copy, std::ios::binary) << read_file(file_);
  {
    SQLite::Database db(copy.string(), SQLite::OPEN_READWRITE);
    SQLite::Statement st(db, "SELECT handle, data FROM snapshot ORDER BY handle");
    std::vector<std::string> rows;
    while (st.executeStep())
      rows.push_back(st.getColumn(0).getString() + "=" + st.getColumn(1).getString());
    EXPECT_THAT(rows, ElementsAre("a=1"));
  }
  storage->close();
  EXPECT_THAT(files_beside(file_), IsEmpty());  // the WAL is removed at close
  EXPECT_EQ(format_versions(file_), "2,2");
  SQLite::Database db(file_.string(), SQLite::OPEN_READWRITE);
  EXPECT_EQ(db.execAndGet("PRAGMA journal_mode").getString(), "wal");
  EXPECT_EQ(db.execAndGet("SELECT group_concat(handle) FROM snapshot").getString(), "a");
}

TEST_F(SQLiteStorageTest, AFileWithARollbackJournalIsSwitchedToWalOnce) {
  {
    auto storage = ops::open_sqlite_storage(file_);
    storage->save_snapshot("a", 1);
    storage->commit();
  }
  {
    // As an older ops-cpp left it.
    SQLite::Database db(file_.string(), SQLite::OPEN_READWRITE);
    ASSERT_EQ(db.execAndGet("PRAGMA journal_mode=DELETE").getString(), "delete");
  }
  ASSERT_EQ(format_versions(file_), "1,1");
  {
    auto storage = ops::open_sqlite_storage(file_);
    EXPECT_EQ(storage->load_snapshot("a"), nlohmann::json(1));
    EXPECT_THAT(files_beside(file_), ElementsAre("-wal"));
  }
  EXPECT_EQ(format_versions(file_), "2,2");
  EXPECT_THAT(files_beside(file_), IsEmpty());
}

TEST_F(SQLiteStorageTest, WithoutSyncToDiskTheWalIsCopiedAtClose) {
  ops::SQLiteStorageOptions options;
  options.sync_to_disk = false;
  auto storage = ops::open_sqlite_storage(file_, options);
  storage->save_snapshot("a", 1);
  storage->commit();
  const std::string before_close = read_file(file_);
  storage->close();
  EXPECT_NE(read_file(file_), before_close);  // no checkpoint at commit: it happens at close
  EXPECT_THAT(files_beside(file_), IsEmpty());
  EXPECT_EQ(ops::open_sqlite_storage(file_)->load_snapshot("a"), nlohmann::json(1));
}

TEST(MemoryStorageTest, CommittedSnapshotsShowWhatTheNextDispatchSees) {
  ops::MemoryStorage storage;
  storage.save_snapshot("a", 1);
  storage.commit();
  storage.save_snapshot("b", 2);
  EXPECT_EQ(storage.committed_snapshots().size(), 1u);
  EXPECT_THAT(storage.list_snapshots(), ElementsAre("a", "b"));
  storage.close();
  EXPECT_THAT(storage.list_snapshots(), ElementsAre("a"));
}

}  // namespace
