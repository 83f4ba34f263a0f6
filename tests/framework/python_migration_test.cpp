// Taking over a state file written by Python ops: the unpickler, the
// conversion of each snapshot shape, the migration transaction (the copy of
// the original, refusals that leave the file untouched, kill -9 at each
// step) and the Framework's Python handler aliases.
//
// The fixtures in fixtures/ were written by fixtures/make_python_state.py
// with Debian's python3 pickle (protocols 2 to 5), in the shapes ops writes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <fstream>
#include <iterator>

#include "ops/detail/pickle.hpp"
#include "ops/detail/storage_python.hpp"
#include "ops/errors.hpp"
#include "ops/framework.hpp"
#include "ops/storage.hpp"
#include "support/files.hpp"
#include "test_support.hpp"

namespace {

using ops_test::read_file;

using nlohmann::json;
using ops::detail::pickle::PickleError;
using ops::detail::pickle::unpickle;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::filesystem::path kFixtures = OPS_PYTHON_STATE_FIXTURES;

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

// A string literal with its NUL bytes.
template <std::size_t N>
std::string lit(const char (&text)[N]) {
  return std::string(text, N - 1);
}

std::string pickle_error(std::string_view data) {
  try {
    unpickle(data);
  } catch (const PickleError& e) {
    return e.what();
  }
  return "no error";
}

// What the fixtures' CHARM_STORED becomes.
json expected_charm_stored() {
  json many = json::array();
  for (int i = 0; i < 1200; ++i) many.push_back(i);
  return {{"password", "s3cret"},
          {"unicode", "h\xc3\xa9llo \xe2\x9c\x93"},
          {"count", 0},
          {"small", -5},
          {"int16", 1000},
          {"int32", -70000},
          {"int62", std::int64_t{1} << 62},
          {"int64_unsigned", std::uint64_t{18446744073709551615u}},
          {"negative_big", std::numeric_limits<std::int64_t>::min()},
          {"ratio", 0.25},
          {"flag", true},
          {"off", false},
          {"nothing", nullptr},
          {"raw", "raw bytes"},
          {"seen", {1, 2, 3}},
          {"frozen", {7}},
          {"pair", {1, "two", 3.5}},
          {"single", {"only"}},
          {"empty_tuple", json::array()},
          {"peers", {"app/0", "app/1"}},
          {"nested", {{"a", {{"b", {1, {{"c", nullptr}}}}}}}},
          {"empty", json::object()},
          {"left", {"a", "b"}},
          {"right", {"a", "b"}},
          {"many", many}};
}

// Every snapshot of the protocol fixtures, migrated.
std::map<std::string, json> expected_snapshots() {
  return {
      {"StoredStateData[_stored]", {{"event_count", 11}}},
      {"MyCharm/StoredStateData[_stored]", expected_charm_stored()},
      {"MyCharm/on/config_changed[1]", nullptr},
      {"MyCharm/on/secret_changed[2]", {{"id", "secret:cs4aqbvmp25c77ijrto0"}, {"label", nullptr}}},
      {"MyCharm/on/db_relation_changed[3]",
       {{"relation_name", "db"},
        {"relation_id", 4},
        {"app_name", "postgresql"},
        {"unit_name", "postgresql/0"}}},
      {"MyCharm/on/db_relation_departed[4]",
       {{"relation_name", "db"},
        {"relation_id", 4},
        {"app_name", "postgresql"},
        {"unit_name", "postgresql/1"},
        {"departing_unit", "postgresql/1"}}},
      {"MyCharm/on/workload_pebble_ready[5]", {{"container_name", "workload"}}},
      {"MyCharm/on/workload_pebble_custom_notice[6]",
       {{"container_name", "workload"},
        {"notice_id", "12"},
        {"notice_type", "custom"},
        {"notice_key", "example.com/backup-done"}}},
      {"MyCharm/on/workload_pebble_check_failed[7]",
       {{"container_name", "workload"}, {"check_name", "ready"}}},
      {"MyCharm/on/secret_remove[8]",
       {{"id", "secret:cs4aqbvmp25c77ijrto0"}, {"label", "db-pass"}, {"revision", 3}}},
      {"MyCharm/on/data_storage_attached[9]",
       {{"storage_name", "data"}, {"storage_index", 0}, {"storage_location", "/var/lib/data"}}},
      {"MyCharm/on/backup_action[10]", {{"id", "42"}}},
      {"MyCharm/Tracker[main]/on/thing_happened[11]", {{"what", "thing"}, {"times", 2}}},
  };
}

std::vector<ops::Notice> expected_notices() {
  return {
      {1, "MyCharm/on/config_changed[1]", "MyCharm", "_on_config_changed"},
      {2, "MyCharm/on/secret_changed[2]", "MyCharm", "_on_secret_changed"},
      {3, "MyCharm/on/db_relation_changed[3]", "MyCharm", "_on_db_relation_changed"},
      {4, "MyCharm/on/db_relation_departed[4]", "MyCharm", "_on_db_relation_departed"},
      {5, "MyCharm/on/workload_pebble_ready[5]", "MyCharm", "_on_workload_pebble_ready"},
      {6, "MyCharm/on/workload_pebble_ready[5]", "MyCharm/Tracker[main]", "_on_pebble_ready"},
      {7, "MyCharm/on/workload_pebble_custom_notice[6]", "MyCharm", "_on_custom_notice"},
      {8, "MyCharm/on/workload_pebble_check_failed[7]", "MyCharm", "_on_check_failed"},
      {9, "MyCharm/on/secret_remove[8]", "MyCharm", "_on_secret_remove"},
      {10, "MyCharm/on/data_storage_attached[9]", "MyCharm", "_on_storage_attached"},
      {11, "MyCharm/Tracker[main]/on/thing_happened[11]", "MyCharm", "_on_thing_happened"},
  };
}

// The snapshot rows of a state file as stored (pickles or JSON text), read
// with plain SQLite (which rolls back a hot journal left by a killed writer).
std::map<std::string, std::string> raw_rows(const std::filesystem::path& path) {
  std::map<std::string, std::string> rows;
  SQLite::Database db(path.string(), SQLite::OPEN_READWRITE);
  SQLite::Statement st(db, "SELECT handle, data FROM snapshot");
  while (st.executeStep()) {
    SQLite::Column column = st.getColumn(1);
    rows[st.getColumn(0).getString()] =
        std::string(static_cast<const char*>(column.getBlob()), column.getBytes());
  }
  return rows;
}

int application_id(const std::filesystem::path& path) {
  SQLite::Database db(path.string(), SQLite::OPEN_READONLY);
  return db.execAndGet("PRAGMA application_id").getInt();
}

constexpr int kOpsCppApplicationId = 0x6F707343;

std::map<std::string, json> all_snapshots(ops::StateStorage& storage) {
  std::map<std::string, json> out;
  for (const std::string& path : storage.list_snapshots()) out[path] = *storage.load_snapshot(path);
  return out;
}

// ---- the unpickler -----------------------------------------------------------

class PickleProtocolTest : public ::testing::TestWithParam<int> {};

TEST_P(PickleProtocolTest, ReadsEveryPlainValueOpsStores) {
  const auto rows =
      raw_rows(kFixtures / ("python-ops-protocol" + std::to_string(GetParam()) + ".db"));
  const std::string& data = rows.at("MyCharm/StoredStateData[_stored]");
  ASSERT_EQ(static_cast<unsigned char>(data[0]), 0x80);
  ASSERT_EQ(data[1], GetParam());
  EXPECT_EQ(unpickle(data), expected_charm_stored());
  EXPECT_EQ(unpickle(rows.at("StoredStateData[_stored]")), json({{"event_count", 11}}));
}

INSTANTIATE_TEST_SUITE_P(Protocols2To5, PickleProtocolTest, ::testing::Values(2, 3, 4, 5));

TEST(PickleTest, ScalarsOfEveryWidth) {
  // pickle.dumps(x, protocol=4) for each x, without the FRAME of larger pickles.
  EXPECT_EQ(unpickle(bytes({0x80, 4, 'N', '.'})), json(nullptr));
  EXPECT_EQ(unpickle(bytes({0x80, 4, 0x88, '.'})), json(true));
  EXPECT_EQ(unpickle(bytes({0x80, 4, 'K', 0xff, '.'})), json(255));
  EXPECT_EQ(unpickle(bytes({0x80, 4, 'M', 0x00, 0x01, '.'})), json(256));
  EXPECT_EQ(unpickle(bytes({0x80, 4, 'J', 0xff, 0xff, 0xff, 0xff, '.'})), json(-1));
  EXPECT_EQ(unpickle(bytes({0x80, 4, 0x8a, 0x00, '.'})), json(0));  // LONG1 of 0 bytes
  EXPECT_EQ(unpickle(bytes({0x80, 4, 0x8b, 2, 0, 0, 0, 0x00, 0x80, '.'})), json(-32768));  // LONG4
  EXPECT_EQ(unpickle(bytes({0x80, 4, 'G', 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, '.'})), json(1.5));
  EXPECT_EQ(unpickle(bytes({0x80, 4, 'C', 2, 'h', 'i', '.'})), json("hi"));  // bytes
  EXPECT_EQ(unpickle(bytes({0x80, 5, 0x96, 1, 0, 0, 0, 0, 0, 0, 0, 'x', '.'})),
            json("x"));  // BYTEARRAY8
}

TEST(PickleTest, Protocol2BytesAndSetsGoThroughTheBuiltinsCPythonCalls) {
  // pickle.dumps(b'\xe9t\xe9', protocol=2): _codecs.encode('été', 'latin1'),
  // which is not UTF-8 and so cannot become a JSON string.
  const std::string latin1_bytes =
      lit("\x80\x02"
          "c_codecs\nencode\nq\x00X\x05\x00\x00\x00\xc3\xa9t\xc3\xa9q\x01X\x06\x00\x00\x00"
          "latin1q\x02\x86q\x03Rq\x04.");
  EXPECT_EQ(pickle_error(latin1_bytes),
            "the value is bytes that are not valid UTF-8, which a JSON string cannot hold");
  // pickle.dumps(b'ok', protocol=2)
  const std::string ok_bytes =
      lit("\x80\x02"
          "c_codecs\nencode\nq\x00X\x02\x00\x00\x00okq\x01X\x06\x00\x00\x00latin1q\x02"
          "\x86q\x03Rq\x04.");
  EXPECT_EQ(unpickle(ok_bytes), json("ok"));
  // pickle.dumps(set(), protocol=2) and pickle.dumps(b'', protocol=2)
  EXPECT_EQ(unpickle(lit("\x80\x02"
                         "c__builtin__\nset\nq\x00]q\x01\x85q\x02Rq\x03.")),
            json::array());
  EXPECT_EQ(unpickle(lit("\x80\x02"
                         "c__builtin__\nbytes\nq\x00)Rq\x01.")),
            json(""));
}

TEST(PickleTest, AClassInstanceIsRefusedNamingTheOpcodeAndTheClass) {
  // pickle.dumps(Thing(), protocol=4) of a class defined in __main__.
  const std::string thing =
      lit("\x80\x04\x95#\x00\x00\x00\x00\x00\x00\x00\x8c\x08__main__\x94\x8c\x05Thing\x94\x93\x94"
          ")\x81\x94}\x94\x8c\x01x\x94K\x01sb.");
  ASSERT_EQ(thing.size(), 46u);
  EXPECT_EQ(pickle_error(thing),
            "opcode STACK_GLOBAL (0x93) at offset 30: refused: '__main__.Thing' is a class or "
            "function (a class instance or a custom reduce); only plain values (None, bool, int, "
            "float, str, bytes, tuple, list, dict, set, frozenset) can be migrated");
  // The same with protocol 2: GLOBAL.
  EXPECT_THAT(pickle_error(lit("\x80\x02"
                               "c__main__\nThing\nq\x00)\x81q\x01}q\x02X\x01\x00\x00"
                               "\x00xq\x03K\x01sb.")),
              HasSubstr("opcode GLOBAL (0x63) at offset 2: refused: '__main__.Thing'"));
  // A builtin other than set/frozenset/bytes/bytearray/_codecs.encode: refused too.
  EXPECT_THAT(pickle_error(lit("\x80\x02"
                               "cos\nsystem\nX\x02\x00\x00\x00lsR.")),
              HasSubstr("opcode GLOBAL (0x63) at offset 2: refused: 'os.system'"));
}

TEST(PickleTest, BuildNewobjAndReduceOfAValueAreRefused) {
  EXPECT_THAT(pickle_error(bytes({0x80, 4, '}', '}', 'b', '.'})),
              HasSubstr("opcode BUILD (0x62) at offset 4: refused: it builds a class instance"));
  EXPECT_THAT(pickle_error(bytes({0x80, 4, 'N', ')', 0x81, '.'})),
              HasSubstr("opcode NEWOBJ (0x81) at offset 4: refused"));
  EXPECT_THAT(pickle_error(bytes({0x80, 4, 'N', ')', 0x92, '.'})),
              HasSubstr("opcode NEWOBJ_EX (0x92) at offset 4: refused"));
  EXPECT_THAT(pickle_error(bytes({0x80, 4, 'N', ')', 'R', '.'})),
              HasSubstr("opcode REDUCE (0x52) at offset 4: refused: REDUCE of a None"));
  EXPECT_THAT(pickle_error(bytes({0x80, 4, 0x82, 1, '.'})),
              HasSubstr("opcode EXT1 (0x82) at offset 2: refused"));
}

TEST(PickleTest, CorruptPicklesSayWhatIsWrongAndWhere) {
  EXPECT_EQ(pickle_error(bytes({0x80, 4, 0xff, '.'})),
            "opcode unknown (0xff) at offset 2: unknown opcode (corrupt pickle)");
  EXPECT_EQ(pickle_error(bytes({0x80, 4, 0x8c, 10, 'a', 'b'})),
            "opcode SHORT_BINUNICODE (0x8c) at offset 2: truncated pickle: needs 10 bytes, 2 left");
  EXPECT_EQ(pickle_error(bytes({0x80, 4, 'N'})),
            "truncated pickle: no STOP before the end (offset 3)");
  EXPECT_EQ(pickle_error(bytes({0x80, 4, 'N', '.', 'x'})),
            "1 bytes after STOP at offset 3 (corrupt pickle)");
  EXPECT_EQ(pickle_error(bytes({0x80, 4, 'N', 'N', '.'})),
            "opcode STOP (0x2e) at offset 4: STOP with 2 values on the stack (expected 1)");
  EXPECT_EQ(pickle_error(bytes({0x80, 4, 'a', '.'})),
            "opcode APPEND (0x61) at offset 2: stack underflow (corrupt pickle)");
  EXPECT_EQ(pickle_error(bytes({0x80, 4, 'h', 3, '.'})),
            "opcode BINGET (0x68) at offset 2: memo entry 3 is not set");
  EXPECT_EQ(pickle_error(bytes({0x80, 1, 'N', '.'})),
            "opcode PROTO (0x80) at offset 0: protocol 1 (only 2 to 5 are read)");
  EXPECT_EQ(pickle_error("{\"event_count\": 1}"),
            "not a pickle of protocol 2 to 5 (it does not start with PROTO)");
  EXPECT_EQ(pickle_error(bytes({0x80, 4, 0x8c, 1, 0xff, '.'})),
            "opcode SHORT_BINUNICODE (0x8c) at offset 2: str is not valid UTF-8");
}

TEST(PickleTest, ValuesJsonCannotHoldAreRefusedWithTheirPlace) {
  // {'a': [2**64]}: LONG1 of 9 bytes
  EXPECT_EQ(pickle_error(bytes({0x80, 4, '}', 0x8c, 1, 'a', ']', 0x8a, 9,   0,  0,
                                0,    0, 0,   0,    0, 0,   1,   'a',  's', '.'})),
            "the value['a'][0] is an integer wider than 64 bits (72-bit two's complement), which "
            "JSON numbers cannot hold");
  // {1: 'one'}
  EXPECT_EQ(pickle_error(bytes({0x80, 4, '}', 'K', 1, 0x8c, 3, 'o', 'n', 'e', 's', '.'})),
            "the value has a key of type int (JSON objects have only str keys)");
  // float('nan')
  EXPECT_EQ(pickle_error(bytes({0x80, 4, 'G', 0x7f, 0xf8, 0, 0, 0, 0, 0, 0, '.'})),
            "the value is a float that JSON cannot hold (NaN or infinity)");
  // A list that contains itself: EMPTY_LIST MEMOIZE BINGET 0 APPEND
  EXPECT_THAT(pickle_error(bytes({0x80, 4, ']', 0x94, 'h', 0, 'a', '.'})),
              HasSubstr("levels (or contains itself)"));
}

// ---- the migration -----------------------------------------------------------

class MigrationTest : public ::testing::Test {
 protected:
  void install(const std::string& fixture) {
    std::filesystem::copy_file(kFixtures / fixture, file_);
    ::chmod(file_.c_str(), 0600);
  }
  std::filesystem::path copy() const { return file_.string() + ".python-ops"; }

  ops_test::TempDir dir_;
  std::filesystem::path file_ = ops::default_state_file(dir_.path());
};

class MigrationProtocolTest : public MigrationTest, public ::testing::WithParamInterface<int> {};

TEST_P(MigrationProtocolTest, ConvertsEverySnapshotKeepsNoticesAndTheOriginal) {
  const std::string fixture = "python-ops-protocol" + std::to_string(GetParam()) + ".db";
  install(fixture);
  const std::string original = read_file(file_);
  const auto original_rows = raw_rows(file_);
  ops_test::LogCapture log;
  {
    auto storage = ops::open_sqlite_storage(file_);
    EXPECT_EQ(all_snapshots(*storage), expected_snapshots());
    EXPECT_EQ(storage->notices(), expected_notices());
    storage->commit();
  }
  EXPECT_THAT(log.lines, ElementsAre("INFO Migrated the state file " + file_.string() +
                                     " written by Python ops: 13 snapshots converted to JSON, 11 "
                                     "deferred notices kept; the original is kept at " +
                                     copy().string()));
  // The copy is the Python file, byte for byte, and is private.
  EXPECT_EQ(read_file(copy()), original);
  EXPECT_EQ(raw_rows(copy()), original_rows);
  EXPECT_EQ(application_id(copy()), 0);
  struct stat st {};
  ASSERT_EQ(::stat(copy().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(std::filesystem::exists(copy().string() + ".tmp"));
  // The state file is ours now: the next dispatch opens it without migrating.
  EXPECT_EQ(application_id(file_), kOpsCppApplicationId);
  log.lines.clear();
  auto storage = ops::open_sqlite_storage(file_);
  EXPECT_EQ(all_snapshots(*storage), expected_snapshots());
  EXPECT_EQ(storage->save_notice("MyCharm/on/start[12]", "MyCharm", "on_start"), 12);
  EXPECT_TRUE(log.lines.empty());
}

INSTANTIATE_TEST_SUITE_P(Protocols2To5, MigrationProtocolTest, ::testing::Values(2, 3, 4, 5));

TEST_F(MigrationTest, AClassInstanceIsRefusedAndTheFileLeftUntouched) {
  install("python-ops-class-instance.db");
  const std::string before = read_file(file_);
  try {
    (void)ops::open_sqlite_storage(file_);
    FAIL() << "opened";
  } catch (const ops::StorageError& e) {
    EXPECT_EQ(std::string(e.what()),
              "state database " + file_.string() +
                  " was written by Python ops and cannot be migrated: snapshot "
                  "'MyCharm/StoredStateData[_stored]': opcode STACK_GLOBAL (0x93) at offset 40: "
                  "refused: '__main__.Thing' is a class or function (a class instance or a custom "
                  "reduce); only plain values (None, bool, int, float, str, bytes, tuple, list, "
                  "dict, set, frozenset) can be migrated; the file is left as it is");
  }
  EXPECT_EQ(read_file(file_), before);
  EXPECT_FALSE(std::filesystem::exists(copy()));
}

TEST_F(MigrationTest, ABigIntegerAndANonStringKeyAreRefusedWithTheirPlace) {
  install("python-ops-big-int.db");
  const std::string before = read_file(file_);
  EXPECT_THROW(
      {
        try {
          (void)ops::open_sqlite_storage(file_);
        } catch (const ops::StorageError& e) {
          EXPECT_THAT(e.what(), HasSubstr("snapshot 'MyCharm/StoredStateData[_stored]': the "
                                          "value['huge'] is an integer wider than 64 bits"));
          throw;
        }
      },
      ops::StorageError);
  EXPECT_EQ(read_file(file_), before);

  std::filesystem::remove(file_);
  install("python-ops-int-key.db");
  EXPECT_THROW(
      {
        try {
          (void)ops::open_sqlite_storage(file_);
        } catch (const ops::StorageError& e) {
          EXPECT_THAT(e.what(), HasSubstr("the value['map'] has a key of type int"));
          throw;
        }
      },
      ops::StorageError);
}

TEST_F(MigrationTest, AnEventSnapshotOurEventCannotRestoreIsRefused) {
  {
    SQLite::Database db(file_.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("CREATE TABLE snapshot (handle TEXT PRIMARY KEY, data BLOB)");
    db.exec(
        "CREATE TABLE notice (sequence INTEGER PRIMARY KEY AUTOINCREMENT, event_path TEXT, "
        "observer_path TEXT, method_name TEXT)");
    // A storage event whose storage was gone: StorageEvent.snapshot() returns {}.
    db.exec("INSERT INTO snapshot VALUES ('MyCharm/on/data_storage_detaching[3]', x'80047d942e')");
  }
  const std::string before = read_file(file_);
  try {
    (void)ops::open_sqlite_storage(file_);
    FAIL() << "opened";
  } catch (const ops::StorageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("snapshot 'MyCharm/on/data_storage_detaching[3]': the storage "
                                    "event snapshot has no 'storage_name' (ops-cpp needs it to "
                                    "restore the event): {}; the file is left as it is"));
  }
  EXPECT_EQ(read_file(file_), before);
}

TEST_F(MigrationTest, AnEmptyPythonFileBecomesOurs) {
  {
    SQLite::Database db(file_.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("CREATE TABLE snapshot (handle TEXT PRIMARY KEY, data BLOB)");
    db.exec(
        "CREATE TABLE notice (sequence INTEGER PRIMARY KEY AUTOINCREMENT, event_path TEXT, "
        "observer_path TEXT, method_name TEXT)");
  }
  { auto storage = ops::open_sqlite_storage(file_); }
  EXPECT_EQ(application_id(file_), kOpsCppApplicationId);
  EXPECT_TRUE(std::filesystem::exists(copy()));
}

// kill -9 at each step of the migration: the file is the Python one or ours, never between.
class MigrationKillTest : public MigrationTest,
                          public ::testing::WithParamInterface<ops::detail::MigrationPoint> {};

ops::detail::MigrationPoint g_kill_at;

void kill_here(ops::detail::MigrationPoint point) {
  if (point == g_kill_at) ::raise(SIGKILL);
}

TEST_P(MigrationKillTest, LeavesThePythonFileOrOursNeverBetween) {
  install("python-ops-protocol4.db");
  const auto original_rows = raw_rows(file_);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    g_kill_at = GetParam();
    ops::detail::set_migration_checkpoint(kill_here);
    try {
      (void)ops::open_sqlite_storage(file_);
    } catch (...) {
      ::_exit(3);
    }
    ::_exit(4);  // the checkpoint was not reached
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << WEXITSTATUS(status);
  ASSERT_EQ(WTERMSIG(status), SIGKILL);

  const auto rows = raw_rows(file_);  // rolls a hot journal back, as the next open does
  if (GetParam() == ops::detail::MigrationPoint::committed) {
    EXPECT_EQ(application_id(file_), kOpsCppApplicationId);
    EXPECT_EQ(rows.size(), original_rows.size());
    for (const auto& [handle, text] : rows)
      EXPECT_EQ(json::parse(text), expected_snapshots().at(handle));
  } else {
    EXPECT_EQ(application_id(file_), 0);
    EXPECT_EQ(rows, original_rows);
  }
  // The next dispatch finishes (or finds finished) the migration.
  auto storage = ops::open_sqlite_storage(file_);
  EXPECT_EQ(all_snapshots(*storage), expected_snapshots());
  EXPECT_EQ(storage->notices(), expected_notices());
  EXPECT_EQ(raw_rows(copy()), original_rows);
}

INSTANTIATE_TEST_SUITE_P(EveryStep, MigrationKillTest,
                         ::testing::Values(ops::detail::MigrationPoint::converted,
                                           ops::detail::MigrationPoint::copied,
                                           ops::detail::MigrationPoint::written,
                                           ops::detail::MigrationPoint::committed));

// kill -9 at arbitrary moments too (inside SQLite's commit, the copy...):
// each time the file is the Python one or ours.
TEST_F(MigrationTest, AKillAtAnyMomentLeavesThePythonFileOrOurs) {
  install("python-ops-protocol4.db");
  const std::string original = read_file(file_);
  const auto original_rows = raw_rows(file_);
  int python = 0;
  int ours = 0;
  // Growing delays, until the migration was seen to finish a few times.
  for (int delay_us = 0; delay_us < 3000000 && ours < 3; delay_us += 1000 + delay_us / 4) {
    std::filesystem::remove(file_);
    std::filesystem::remove(copy());
    std::filesystem::remove(file_.string() + "-journal");
    std::filesystem::remove(file_.string() + "-wal");
    install("python-ops-protocol4.db");
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      try {
        (void)ops::open_sqlite_storage(file_);
      } catch (...) {
        ::_exit(3);
      }
      ::_exit(0);
    }
    ::usleep(static_cast<useconds_t>(delay_us));
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << "delay " << delay_us;
    const auto rows = raw_rows(file_);
    if (application_id(file_) == kOpsCppApplicationId) {
      ++ours;
      ASSERT_EQ(rows.size(), original_rows.size()) << "delay " << delay_us;
      for (const auto& [handle, text] : rows) {
        ASSERT_EQ(json::parse(text), expected_snapshots().at(handle)) << "delay " << delay_us;
      }
      ASSERT_EQ(read_file(copy()), original) << "delay " << delay_us;
    } else {
      ++python;
      ASSERT_EQ(rows, original_rows) << "delay " << delay_us;
    }
  }
  // Both outcomes happened (the migration takes milliseconds).
  EXPECT_GT(python, 0);
  EXPECT_GT(ours, 0);
}

// ---- Python handler aliases --------------------------------------------------

// An event that records the snapshot it was restored from.
class RecordingEvent : public ops::EventBase {
 public:
  using EventBase::EventBase;
  json snapshot() const override { return data_; }
  void restore(const json& snapshot) override { data_ = snapshot; }
  const json& data() const { return data_; }

 private:
  json data_;
};

struct CharmEvents : ops::ObjectEvents {
  using ObjectEvents::ObjectEvents;
  ops::EventSource<RecordingEvent> config_changed{*this, "config_changed"};
  ops::EventSource<RecordingEvent> secret_changed{*this, "secret_changed"};
  ops::EventSource<RecordingEvent> db_relation_changed{*this, "db_relation_changed"};
  ops::EventSource<RecordingEvent> db_relation_departed{*this, "db_relation_departed"};
  ops::EventSource<RecordingEvent> workload_pebble_ready{*this, "workload_pebble_ready"};
};

// The C++ port of the Python "MyCharm": its handlers have other names.
class MyCharm : public ops::Object {
 public:
  explicit MyCharm(ops::Framework& fw) : Object(fw, "MyCharm") {
    fw.observe<&MyCharm::on_config_changed>(on.config_changed, *this);
    fw.observe<&MyCharm::on_secret_changed>(on.secret_changed, *this);
    fw.observe<&MyCharm::on_db_changed>(on.db_relation_changed, *this);
    fw.observe<&MyCharm::on_workload_ready>(on.workload_pebble_ready, *this);
    fw.add_python_aliases({
        {"MyCharm", "_on_config_changed", "MyCharm", "on_config_changed"},
        {"MyCharm", "_on_secret_changed", "MyCharm", "on_secret_changed"},
        {"MyCharm", "_on_db_relation_changed", "MyCharm", "on_db_changed"},
        // The Python charm's helper object's handler now lives on the charm.
        {"MyCharm/Tracker[main]", "_on_pebble_ready", "MyCharm", "on_workload_ready"},
    });
  }
  void on_config_changed(RecordingEvent& e) { record("on_config_changed", e); }
  void on_secret_changed(RecordingEvent& e) {
    record("on_secret_changed", e);
    e.defer();
  }
  void on_db_changed(RecordingEvent& e) { record("on_db_changed", e); }
  void on_workload_ready(RecordingEvent& e) { record("on_workload_ready", e); }

  std::vector<std::string> calls;
  CharmEvents on{*this};
  // Python's `_stored = StoredState()` on class MyCharm.
  ops::StoredState stored{*this, "_stored"};

 private:
  void record(const std::string& method, RecordingEvent& e) {
    calls.push_back(method + " " + e.handle().path() + " " + e.data().dump());
  }
};

TEST_F(MigrationTest, AliasesReemitPythonNoticesToOurHandlersAndUnclaimedOnesAreReported) {
  install("python-ops-protocol4.db");
  ops_test::LogCapture log;
  {
    ops::Framework fw(ops::open_sqlite_storage(file_));
    EXPECT_EQ(fw.event_count(), 11);
    MyCharm charm(fw);
    // The Python charm's stored state is ours, at the same handle.
    EXPECT_EQ(charm.stored.handle().path(), "MyCharm/StoredStateData[_stored]");
    EXPECT_EQ(charm.stored.get<std::string>("password"), "s3cret");
    EXPECT_EQ(charm.stored.get<std::vector<int>>("seen"), (std::vector<int>{1, 2, 3}));
    EXPECT_EQ(charm.stored.data(), expected_charm_stored());
    charm.stored.set("password", "changed");
    log.lines.clear();
    fw.reemit();
    EXPECT_THAT(
        charm.calls,
        ElementsAre(
            "on_config_changed MyCharm/on/config_changed[1] null",
            "on_secret_changed MyCharm/on/secret_changed[2] "
            "{\"id\":\"secret:cs4aqbvmp25c77ijrto0\",\"label\":null}",
            "on_db_changed MyCharm/on/db_relation_changed[3] "
            "{\"app_name\":\"postgresql\",\"relation_id\":4,\"relation_name\":\"db\",\"unit_name\":"
            "\"postgresql/0\"}",
            "on_workload_ready MyCharm/on/workload_pebble_ready[5] "
            "{\"container_name\":\"workload\"}"));
    std::vector<std::string> warnings;
    for (const auto& line : log.lines) {
      // Kinds this charm no longer defines are dropped at DEBUG, as ops drops them.
      if (line.rfind("WARNING ", 0) == 0 || line.rfind("DEBUG Dropping", 0) == 0) {
        warnings.push_back(line);
      }
    }
    EXPECT_THAT(
        warnings,
        ElementsAre(
            "WARNING Dropping deferred event MyCharm/on/db_relation_departed[4] for "
            "MyCharm._on_db_relation_departed: that observer does not observe it in this charm",
            "WARNING Dropping deferred event MyCharm/on/workload_pebble_ready[5] for "
            "MyCharm._on_workload_pebble_ready: that observer does not observe it in this charm",
            "DEBUG Dropping deferred event MyCharm/on/workload_pebble_custom_notice[6] for "
            "MyCharm._on_custom_notice: "
            "no event of that kind is defined in this charm",
            "DEBUG Dropping deferred event MyCharm/on/workload_pebble_check_failed[7] for "
            "MyCharm._on_check_failed: "
            "no event of that kind is defined in this charm",
            "DEBUG Dropping deferred event MyCharm/on/secret_remove[8] for "
            "MyCharm._on_secret_remove: "
            "no event of that kind is defined in this charm",
            "DEBUG Dropping deferred event MyCharm/on/data_storage_attached[9] for "
            "MyCharm._on_storage_attached: "
            "no event of that kind is defined in this charm",
            "DEBUG Dropping deferred event MyCharm/Tracker[main]/on/thing_happened[11] for "
            "MyCharm._on_thing_happened: "
            "no event of that kind is defined in this charm"));
    fw.commit();
  }
  // The notice deferred again keeps its place, under our handler's name.
  auto storage = ops::open_sqlite_storage(file_);
  EXPECT_EQ(storage->load_snapshot("MyCharm/StoredStateData[_stored]")->at("password"), "changed");
  EXPECT_EQ(storage->notices(), (std::vector<ops::Notice>{{2, "MyCharm/on/secret_changed[2]",
                                                           "MyCharm", "on_secret_changed"}}));
}

TEST(PythonAliasTest, EmptyNamesAndConflictingAliasesAreRefused) {
  ops::MemoryStorage storage;
  ops::Framework fw(storage);
  EXPECT_THROW(fw.add_python_aliases({{"MyCharm", "", "MyCharm", "on_start"}}),
               ops::FrameworkError);
  fw.add_python_aliases({{"MyCharm", "_on_start", "MyCharm", "on_start"}});
  fw.add_python_aliases({{"MyCharm", "_on_start", "MyCharm", "on_start"}});  // the same again
  try {
    fw.add_python_aliases({{"MyCharm", "_on_start", "MyCharm", "on_begin"}});
    FAIL() << "accepted";
  } catch (const ops::FrameworkError& e) {
    EXPECT_EQ(std::string(e.what()),
              "Python handler MyCharm._on_start is aliased to both MyCharm.on_start and "
              "MyCharm.on_begin");
  }
}

}  // namespace
