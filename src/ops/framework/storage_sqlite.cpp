// The SQLite state file (`.unit-state.db`) behind ops::StateStorage.
//
// The file keeps Python ops' two tables, stores snapshots as JSON text in the
// BLOB column, and is marked with PRAGMA application_id so that a database
// written by anything else is recognised. A file with Python ops' tables and
// no mark (Python ops pickles its snapshots) is migrated in place, in one
// transaction, after a copy of it is kept beside it (migrate_from_python);
// any other foreign file is left alone. The connection runs in exclusive
// locking mode, so the file stays locked from open to close: a second
// process waits up to lock_timeout and then fails with StorageError. A
// transaction begins at the first access after each commit.
// The file is in WAL mode and each commit is made durable by a checkpoint
// (use_wal says why: the fewest syncs); close leaves the single file.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "ops/detail/fd.hpp"
#include "ops/detail/storage_python.hpp"
#include "ops/errors.hpp"
#include "ops/log.hpp"
#include "ops/storage.hpp"

namespace ops {
namespace {

// "opsC": marks a state file written by ops-cpp.
constexpr int kApplicationId = 0x6F707343;
constexpr int kSchemaVersion = 1;
constexpr std::string_view kSqliteHeader{"SQLite format 3\0", 16};

// SQLite's page cache, by default, allocates 20 pages in one block at the
// first open and writes a header into each: about 20 page faults, which
// cost more than a dispatch's instructions do. The state file is a few pages
// long, so the cache takes its pages one at a time instead. This is process
// configuration, valid only before SQLite initialises: once it has (another
// database opened first), the call is refused and changes nothing.
// SQLite also keeps memory statistics by default, behind a mutex taken at
// every allocation and free (about a thousand in a dispatch); nothing here
// reads them.
void configure_sqlite_once() {
  static const bool configured = [] {
    return sqlite3_config(SQLITE_CONFIG_PAGECACHE, nullptr, 0, 0) == SQLITE_OK &&
           sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
  }();
  (void)configured;
}

// A big-endian 32-bit field of the database header.
std::uint32_t header_field(const std::array<unsigned char, 100>& header, std::size_t offset) {
  return (std::uint32_t{header[offset]} << 24) | (std::uint32_t{header[offset + 1]} << 16) |
         (std::uint32_t{header[offset + 2]} << 8) | std::uint32_t{header[offset + 3]};
}

// SQLite's C API in RAII form, as much as the state file needs. Not
// SQLiteCpp: its Column object file (which its Statement and Database need)
// runs std::ios_base::Init, about 49,000 instructions, in every dispatch.

// An SQLite error: the result code and SQLite's message.
class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const char* message) : std::runtime_error(message), code_(code) {}
  [[nodiscard]] int code() const noexcept { return code_; }

 private:
  int code_;
};

// A connection, closed when destroyed.
class Connection {
 public:
  Connection(const std::string& path, int flags, int busy_timeout_ms) {
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
    db_.reset(db);  // closed even when the open failed
    if (rc != SQLITE_OK) fail(rc);
    if (const int timeout_rc = sqlite3_busy_timeout(db_.get(), busy_timeout_ms);
        timeout_rc != SQLITE_OK) {
      fail(timeout_rc);
    }
  }

  [[nodiscard]] sqlite3* handle() const noexcept { return db_.get(); }

  // Runs one or more statements that return no rows.
  void exec(const char* sql) {
    const int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) fail(rc);
  }
  void exec(const std::string& sql) { exec(sql.c_str()); }

  [[noreturn]] void fail(int code) const {
    throw SqliteError(code, db_ ? sqlite3_errmsg(db_.get()) : sqlite3_errstr(code));
  }

 private:
  struct Close {
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
  };
  std::unique_ptr<sqlite3, Close> db_;
};

// A prepared statement, finalized when destroyed. Text and blob columns are
// views valid until the next step or reset.
class Statement {
 public:
  Statement(Connection& db, const char* sql) : db_(db) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v2(db.handle(), sql, -1, &stmt, nullptr);
    stmt_.reset(stmt);
    if (rc != SQLITE_OK) db.fail(rc);
  }

  // Back to before the first step (the bindings are replaced by the next binds).
  void reset() noexcept { sqlite3_reset(stmt_.get()); }

  void bind(int index, std::string_view text) {
    check(sqlite3_bind_text64(stmt_.get(), index, text.data(), text.size(), SQLITE_TRANSIENT,
                              SQLITE_UTF8));
  }
  void bind_blob(int index, std::string_view bytes) {
    check(sqlite3_bind_blob64(stmt_.get(), index, bytes.data(), bytes.size(), SQLITE_TRANSIENT));
  }
  void bind(int index, std::int64_t value) { check(sqlite3_bind_int64(stmt_.get(), index, value)); }

  // One step: true with a row, false when done.
  bool step() {
    const int rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    db_.fail(rc);
  }

  // Runs a statement that returns no rows; the number of rows it changed.
  int exec() {
    if (step()) throw SqliteError(SQLITE_MISUSE, "a statement run for its effect returned a row");
    return sqlite3_changes(db_.handle());
  }

  [[nodiscard]] std::string_view text(int column) const {
    return bytes_of(sqlite3_column_text(stmt_.get(), column), column);
  }
  [[nodiscard]] std::string_view blob(int column) const {
    return bytes_of(sqlite3_column_blob(stmt_.get(), column), column);
  }
  [[nodiscard]] std::int64_t int64(int column) const {
    return sqlite3_column_int64(stmt_.get(), column);
  }

 private:
  void check(int rc) const {
    if (rc != SQLITE_OK) db_.fail(rc);
  }
  // A column's value as a view: its pointer (from sqlite3_column_text or
  // _blob, which must come first) and its size.
  [[nodiscard]] std::string_view bytes_of(const void* bytes, int column) const {
    return bytes == nullptr
               ? std::string_view()
               : std::string_view(
                     static_cast<const char*>(bytes),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), column)));
  }
  struct Finalize {
    void operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }
  };
  Connection& db_;
  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
};

// The first column of the first row of a query (text or integer).
std::string query_text(Connection& db, const char* sql) {
  Statement st(db, sql);
  return st.step() ? std::string(st.text(0)) : std::string();
}
std::int64_t query_int(Connection& db, const char* sql) {
  Statement st(db, sql);
  return st.step() ? st.int64(0) : 0;
}

class SQLiteFile final : public StateStorage {
 public:
  SQLiteFile(std::filesystem::path path, SQLiteStorageOptions options) : path_(std::move(path)) {
    configure_sqlite_once();
    // Read before SQLite opens the file: closing another descriptor of it
    // later would drop the locks SQLite holds.
    read_file_header();
    create_file_if_missing();
    try {
      db_ = std::make_unique<Connection>(path_.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                         static_cast<int>(options.lock_timeout.count()));
      // Exclusive locking before the first access: in WAL mode SQLite then
      // keeps the WAL index in our heap and never creates a -shm file.
      db_->exec("PRAGMA locking_mode=EXCLUSIVE");
      sync_ = options.sync_to_disk;
      // synchronous can only change outside a transaction: NORMAL in WAL
      // mode, FULL (the rollback journal's safe setting) until then.
      wal_ = header_.wal;
      set_synchronous();
      begin(options);
      check_or_create_schema();  // a migration commits with the rollback journal
      // A header that says WAL is a file SQLite opens in WAL mode.
      const bool in_wal = wal_ || query_text(*db_, "PRAGMA journal_mode") == "wal";
      if (!in_wal || !wal_) {
        // Switched once, as a new file (after its schema: switching the
        // empty file first would leave a header-only file if killed before
        // the schema's commit), a file of an older ops-cpp or one just
        // migrated from Python ops: a rollback-journal commit of two bytes.
        db_->exec("ROLLBACK");
        if (in_wal) {
          wal_ = true;
          set_synchronous();
        } else {
          use_wal();
        }
        begin(options);
      }
    } catch (const SqliteError& e) {
      statements_reset();
      db_.reset();
      throw translate(e, options);
    }
  }

  ~SQLiteFile() override {
    try {
      close();
    } catch (...) {
      // Destruction must not throw; closing the connection rolls back anyway.
    }
  }

  void save_snapshot(std::string_view handle_path, const nlohmann::json& data) override {
    guard([&] {
      const std::string text = data.dump();
      auto& st = prepared(save_snapshot_, "REPLACE INTO snapshot (handle, data) VALUES (?, ?)");
      st.reset();
      st.bind(1, handle_path);
      st.bind_blob(2, text);
      st.exec();
      changed_ = true;
    });
  }

  std::optional<nlohmann::json> load_snapshot(std::string_view handle_path) override {
    std::optional<nlohmann::json> result;
    guard([&] {
      auto& st = prepared(load_snapshot_, "SELECT data FROM snapshot WHERE handle=?");
      st.reset();
      st.bind(1, handle_path);
      if (!st.step()) return;
      const std::string_view data = st.blob(0);
      try {
        result = nlohmann::json::parse(data.begin(), data.end());
      } catch (const nlohmann::json::exception&) {
        throw StorageError("state database " + path_.string() + ": snapshot '" +
                           std::string(handle_path) +
                           "' is not JSON (written by another framework?)");
      }
    });
    return result;
  }

  void drop_snapshot(std::string_view handle_path) override {
    guard([&] {
      auto& st = prepared(drop_snapshot_, "DELETE FROM snapshot WHERE handle=?");
      st.reset();
      st.bind(1, handle_path);
      if (st.exec() > 0) changed_ = true;
    });
  }

  std::vector<std::string> list_snapshots() override {
    std::vector<std::string> paths;
    guard([&] {
      Statement st(*db_, "SELECT handle FROM snapshot ORDER BY handle");
      while (st.step()) paths.emplace_back(st.text(0));
    });
    return paths;
  }

  std::int64_t save_notice(std::string_view event_path, std::string_view observer_path,
                           std::string_view method_name) override {
    std::int64_t sequence = 0;
    // Kept in memory until read or committed: a notice dropped again before
    // (the usual case: its handler did not defer) never touches a page, so
    // SQLite has no journal to write, sync or roll back. Numbers follow the
    // highest notice in the file; that of a notice dropped in an earlier
    // dispatch may be given again (they only order the notices present).
    guard([&] {
      if (next_sequence_ == 0) {
        next_sequence_ = query_int(*db_, "SELECT coalesce(max(sequence), 0) FROM notice") + 1;
      }
      sequence = next_sequence_++;
      pending_.push_back(Notice{sequence, std::string(event_path), std::string(observer_path),
                                std::string(method_name)});
      new_notices_.insert(sequence);
    });
    return sequence;
  }

  void update_notice(std::int64_t sequence, std::string_view observer_path,
                     std::string_view method_name) override {
    for (Notice& notice : pending_) {
      if (notice.sequence != sequence) continue;
      notice.observer_path = observer_path;
      notice.method_name = method_name;
      return;
    }
    guard([&] {
      Statement st(*db_, "UPDATE notice SET observer_path=?, method_name=? WHERE sequence=?");
      st.bind(1, observer_path);
      st.bind(2, method_name);
      st.bind(3, sequence);
      if (st.exec() > 0 && !new_notices_.count(sequence)) changed_ = true;
    });
  }

  void drop_notice(std::int64_t sequence) override {
    const auto it = std::find_if(pending_.begin(), pending_.end(),
                                 [&](const Notice& n) { return n.sequence == sequence; });
    if (it != pending_.end()) {
      pending_.erase(it);
      new_notices_.erase(sequence);
      return;
    }
    guard([&] {
      auto& st = prepared(drop_notice_, "DELETE FROM notice WHERE sequence=?");
      st.reset();
      st.bind(1, sequence);
      // Dropping a notice saved in this transaction undoes it: no change.
      if (st.exec() > 0 && new_notices_.erase(sequence) == 0) changed_ = true;
    });
  }

  std::vector<Notice> notices(std::string_view event_path) override {
    std::vector<Notice> result;
    guard([&] {
      // Every notice read while none is pending: the next number follows the
      // highest (the reemit at the start of a dispatch spares save_notice its query).
      const bool all = event_path.empty() && pending_.empty() && next_sequence_ == 0;
      write_pending();
      Statement st(*db_, event_path.empty()
                             ? "SELECT sequence, event_path, observer_path, method_name "
                               "FROM notice ORDER BY sequence"
                             : "SELECT sequence, event_path, observer_path, method_name "
                               "FROM notice WHERE event_path=? ORDER BY sequence");
      if (!event_path.empty()) st.bind(1, event_path);
      while (st.step()) {
        result.push_back(Notice{st.int64(0), std::string(st.text(1)), std::string(st.text(2)),
                                std::string(st.text(3))});
      }
      if (all) next_sequence_ = (result.empty() ? 0 : result.back().sequence) + 1;
    });
    return result;
  }

  bool has_notices() override {
    if (!pending_.empty()) return true;
    bool any = false;
    guard([&] {
      auto& st = prepared(any_notice_, "SELECT 1 FROM notice LIMIT 1");
      st.reset();
      any = st.step();
    });
    return any;
  }

  bool has_changes() override { return changed_ || !new_notices_.empty(); }

  // With no net change the transaction is rolled back instead: the file is
  // not written and not synced (a notice saved and dropped again may have
  // touched pages in the cache; its sequence number is then reused).
  //
  // The next transaction begins at the next access (guard): the last commit
  // of a dispatch is followed by close, which then has none to roll back.
  // In exclusive locking mode the file stays locked between transactions.
  void commit() override {
    check_open();
    if (!in_transaction()) return;  // nothing was read or written since the last commit
    guard([&] {
      write_pending();
      if (has_changes()) {
        commit_durably();
      } else {
        db_->exec("ROLLBACK");
      }
      forget_changes();
    });
  }

  void rollback() override {
    check_open();
    if (!in_transaction()) return;
    guard([&] {
      db_->exec("ROLLBACK");
      forget_changes();
    });
  }

  void close() override {
    if (!db_) return;
    forget_changes();
    statements_reset();
    if (in_transaction()) {
      try {
        db_->exec("ROLLBACK");
      } catch (const SqliteError&) {
        // Closing the connection rolls back anyway.
      }
    }
    db_.reset();
  }

 private:
  void check_open() const {
    if (!db_) throw StorageError("state database " + path_.string() + " is closed");
  }

  // Whether a transaction is open, as SQLite knows it: not a flag of ours,
  // which a COMMIT that failed (SQLite may roll back by itself) or a
  // checkpoint that failed after its COMMIT would leave wrong.
  [[nodiscard]] bool in_transaction() const noexcept {
    return sqlite3_get_autocommit(db_->handle()) == 0;
  }

  // Runs body in the transaction (begun here after a commit), turning
  // SQLite's errors into StorageError.
  template <class F>
  void guard(F&& body) {
    check_open();
    try {
      if (!in_transaction()) db_->exec("BEGIN EXCLUSIVE");
      body();
    } catch (const SqliteError& e) {
      throw StorageError("state database " + path_.string() + ": " + e.what());
    }
  }

  // Reads what the first 100 bytes say (header_) and refuses, before SQLite
  // touches it, a file that is not an SQLite database.
  void read_file_header() {
    const detail::Fd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
      if (errno == ENOENT) return;  // a new database
      throw StorageError("cannot read state database " + path_.string() + ": " +
                         std::strerror(errno));
    }
    std::array<unsigned char, 100> header{};
    ssize_t got = 0;
    do {
      got = ::pread(fd.get(), header.data(), header.size(), 0);
    } while (got < 0 && errno == EINTR);
    if (got < 0) {
      throw StorageError("cannot read state database " + path_.string() + ": " +
                         std::strerror(errno));
    }
    if (got == 0) {
      // SQLite takes an empty file as a new database, as Python ops does:
      // whatever state the unit had is gone, so say so instead of starting over silently.
      log::warning("state database " + path_.string() +
                   " is an empty (0-byte) file: starting with no stored state and no deferred "
                   "events; any state this unit had before is lost");
      return;
    }
    new_file_ = false;
    if (got < static_cast<ssize_t>(kSqliteHeader.size()) ||
        std::string_view(reinterpret_cast<const char*>(header.data()), kSqliteHeader.size()) !=
            kSqliteHeader) {
      throw StorageError("state database " + path_.string() +
                         " is not an SQLite database (corrupt or foreign file); refusing to "
                         "use or overwrite it");
    }
    if (got < static_cast<ssize_t>(header.size())) return;  // SQLite says what is wrong
    // Bytes 18 and 19, the file format versions, are 2 in WAL mode.
    header_.wal = header[18] == 2 && header[19] == 2;
    header_.user_version = header_field(header, 60);
    header_.application_id = header_field(header, 68);
  }

  // Creates the file with mode 0600 so SQLite never creates it world-readable.
  void create_file_if_missing() const {
    const detail::Fd fd(::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (fd) {
      ::fchmod(fd.get(), 0600);  // the umask may have removed bits we did not ask for anyway
      return;
    }
    if (errno != EEXIST) {
      throw StorageError("cannot create state database " + path_.string() + ": " +
                         std::strerror(errno));
    }
    // O_EXCL fails on any symbolic link, even a dangling one, and SQLite
    // would then create the link's target with the umask's mode (0644):
    // world-readable stored state. A link to an existing file is used as is.
    std::error_code ec;
    if (std::filesystem::is_symlink(path_, ec) && !std::filesystem::exists(path_, ec)) {
      throw StorageError("state database " + path_.string() +
                         " is a symbolic link to a missing file; refusing to create the state "
                         "file through it (remove the link or create its target with mode 0600)");
    }
  }

  // Switches the file to WAL mode (persistent: recorded in its header) with
  // synchronous=NORMAL; commit_durably() then makes each commit durable.
  //
  // Why: a changing dispatch then costs 4 syncs (was 6 with the rollback
  // journal in exclusive locking mode), the fewest SQLite needs for an
  // atomic, durable commit that leaves a single file behind. In WAL mode with
  // NORMAL, COMMIT only appends checksummed frames to the -wal file (atomic:
  // a torn commit fails its checksum and is ignored), syncing the header of
  // the new WAL first (1; SQLite's first sync of a new WAL also syncs the
  // directory, 2, so that the WAL cannot vanish while the database is being
  // overwritten). The checkpoint that follows syncs the WAL (3), copies the
  // pages into the database and syncs it (4). The rollback journal in
  // exclusive mode costs 2 journal syncs, 1 directory sync for the new
  // journal, 1 database sync, 1 sync of the zeroed journal header at commit
  // and 1 more at close (4 outside exclusive mode, but then the lock is
  // released at each commit). WAL with synchronous=FULL syncs the WAL at
  // COMMIT and again in the checkpoint (5); keeping the -wal file between
  // dispatches (PERSIST_WAL) would save the directory sync but leave a second
  // file beside the state file. At close SQLite checkpoints (nothing left to
  // copy) and deletes the -wal file; a process killed before that leaves it
  // beside the database, and the next open (any SQLite) applies its
  // committed frames or ignores a torn commit: the content is as before or
  // as after the commit.
  void use_wal() {
    wal_ = query_text(*db_, "PRAGMA journal_mode=WAL") == "wal";
    set_synchronous();
  }

  void set_synchronous() {
    db_->exec(!sync_ ? "PRAGMA synchronous=OFF"
              : wal_ ? "PRAGMA synchronous=NORMAL"
                     : "PRAGMA synchronous=FULL");
  }

  // COMMIT, and in WAL mode a checkpoint, so that the commit is on disk when
  // this returns (see use_wal). Without sync_to_disk nothing is synced and
  // the WAL is copied into the database at close.
  void commit_durably() {
    db_->exec("COMMIT");
    if (!wal_ || !sync_) return;
    // A statement left mid-step (a SELECT that found its row) would make
    // the checkpoint fail with SQLITE_LOCKED.
    for (auto* st :
         {&save_snapshot_, &load_snapshot_, &drop_snapshot_, &drop_notice_, &any_notice_}) {
      if (*st) (*st)->reset();
    }
    const int rc = sqlite3_wal_checkpoint_v2(db_->handle(), "main", SQLITE_CHECKPOINT_PASSIVE,
                                             nullptr, nullptr);
    if (rc != SQLITE_OK) {
      throw StorageError("state database " + path_.string() +
                         ": committed, but the checkpoint that makes the commit durable failed: " +
                         sqlite3_errmsg(db_->handle()));
    }
  }

  void forget_changes() {
    changed_ = false;
    new_notices_.clear();
    pending_.clear();
    next_sequence_ = 0;
  }

  // Inserts the notices kept in memory, with their sequence numbers.
  void write_pending() {
    if (pending_.empty()) return;
    Statement st(*db_,
                 "INSERT INTO notice (sequence, event_path, observer_path, method_name) "
                 "VALUES (?, ?, ?, ?)");
    for (const Notice& notice : pending_) {
      st.reset();
      st.bind(1, notice.sequence);
      st.bind(2, notice.event_path);
      st.bind(3, notice.observer_path);
      st.bind(4, notice.method_name);
      st.exec();
    }
    pending_.clear();
  }

  bool has_table(const char* name) const {
    return sqlite3_table_column_metadata(db_->handle(), "main", name, nullptr, nullptr, nullptr,
                                         nullptr, nullptr, nullptr) == SQLITE_OK;
  }

  void begin(const SQLiteStorageOptions& options) {
    try {
      db_->exec("BEGIN EXCLUSIVE");
    } catch (const SqliteError& e) {
      if ((e.code() & 0xff) == SQLITE_BUSY || (e.code() & 0xff) == SQLITE_LOCKED) {
        throw StorageError("state database " + path_.string() +
                           " is locked by another process (waited " +
                           std::to_string(options.lock_timeout.count()) + " ms)");
      }
      throw;
    }
  }

  void check_or_create_schema() {
    // The usual case, an ops-cpp file of this version, as its header says:
    // only the tables are checked, in the schema SQLite has loaded.
    if (header_.application_id == static_cast<std::uint32_t>(kApplicationId) &&
        header_.user_version == static_cast<std::uint32_t>(kSchemaVersion) &&
        has_table("snapshot") && has_table("notice")) {
      return;
    }
    std::set<std::string> tables;
    {
      Statement st(*db_, "SELECT name FROM sqlite_master WHERE type='table'");
      while (st.step()) tables.emplace(st.text(0));
    }
    const auto application_id = static_cast<int>(query_int(*db_, "PRAGMA application_id"));
    const auto version = static_cast<int>(query_int(*db_, "PRAGMA user_version"));
    if (application_id == kApplicationId) {
      if (version != kSchemaVersion) {
        throw StorageError("state database " + path_.string() + " has ops-cpp schema version " +
                           std::to_string(version) + ", this ops-cpp reads version " +
                           std::to_string(kSchemaVersion));
      }
      for (const char* table : {"snapshot", "notice"}) {
        if (tables.count(table) == 0) {
          throw StorageError("state database " + path_.string() + " has the ops-cpp mark but no '" +
                             table + "' table (corrupt file); refusing to use it");
        }
      }
      return;
    }
    if (tables.empty() && application_id == 0 && new_file_) {
      db_->exec("CREATE TABLE snapshot (handle TEXT PRIMARY KEY, data BLOB)");
      db_->exec(
          "CREATE TABLE notice (sequence INTEGER PRIMARY KEY AUTOINCREMENT, event_path TEXT, "
          "observer_path TEXT, method_name TEXT)");
      db_->exec("PRAGMA application_id=" + std::to_string(kApplicationId));
      db_->exec("PRAGMA user_version=" + std::to_string(kSchemaVersion));
      // The schema is committed at once: a dispatch that fails later still
      // leaves a valid, empty state file.
      commit_durably();
      db_->exec("BEGIN EXCLUSIVE");
      return;
    }
    if (tables.count("snapshot") && tables.count("notice") && application_id == 0) {
      migrate_from_python();
      return;
    }
    if (tables.empty()) {
      throw StorageError("state database " + path_.string() +
                         " is a non-empty file without the ops-cpp schema (corrupt or foreign "
                         "file); refusing to overwrite it");
    }
    throw StorageError("state database " + path_.string() +
                       " is an SQLite database of another application (no ops-cpp schema); "
                       "refusing to overwrite it");
  }

  // Converts a state file written by Python ops (same tables, pickled
  // snapshots) to ours in one transaction: every snapshot is unpickled and
  // converted first (a refusal leaves the file as it was), then the file is
  // copied to `<path>.python-ops`, then the rows are rewritten and the
  // ops-cpp mark set, and the transaction commits. Notices are kept as they
  // are (same sequence numbers); their Python method names are resolved by
  // the Framework's Python handler aliases when they are re-emitted.
  void migrate_from_python() {
    std::vector<std::pair<std::string, std::string>> rows;  // handle, JSON text
    {
      Statement st(*db_, "SELECT handle, data FROM snapshot ORDER BY handle");
      while (st.step()) {
        std::string handle(st.text(0));
        const std::string_view data = st.blob(1);
        try {
          rows.emplace_back(handle, detail::convert_python_snapshot(handle, data).dump());
        } catch (const std::exception& e) {
          throw StorageError("state database " + path_.string() +
                             " was written by Python ops and cannot be migrated: snapshot '" +
                             handle + "': " + e.what() + "; the file is left as it is");
        }
      }
    }
    const std::int64_t notices = query_int(*db_, "SELECT count(*) FROM notice");
    detail::migration_checkpoint(detail::MigrationPoint::converted);

    const std::filesystem::path copy = path_.string() + ".python-ops";
    copy_database_to(copy);
    detail::migration_checkpoint(detail::MigrationPoint::copied);

    {
      Statement update(*db_, "UPDATE snapshot SET data=? WHERE handle=?");
      for (const auto& [handle, text] : rows) {
        update.reset();
        update.bind_blob(1, text);
        update.bind(2, handle);
        update.exec();
      }
    }
    db_->exec("PRAGMA application_id=" + std::to_string(kApplicationId));
    db_->exec("PRAGMA user_version=" + std::to_string(kSchemaVersion));
    detail::migration_checkpoint(detail::MigrationPoint::written);
    commit_durably();
    db_->exec("BEGIN EXCLUSIVE");
    detail::migration_checkpoint(detail::MigrationPoint::committed);
    log::info("Migrated the state file " + path_.string() +
              " written by Python ops: " + std::to_string(rows.size()) +
              " snapshots converted to JSON, " + std::to_string(notices) +
              " deferred notices kept; the original is kept at " + copy.string());
  }

  // Writes a byte-for-byte copy of the state file to target, atomically (a
  // temporary file made durable, then renamed). The bytes are read through
  // SQLite's own file handle: opening and closing another descriptor on the
  // file would release the POSIX locks SQLite holds on it. The connection
  // holds the exclusive lock and has written nothing (a hot journal left by
  // a killed Python ops was rolled back by the first read), so the file is
  // the last state Python ops committed.
  void copy_database_to(const std::filesystem::path& target) {
    sqlite3_file* file = nullptr;
    if (sqlite3_file_control(db_->handle(), "main", SQLITE_FCNTL_FILE_POINTER, &file) !=
            SQLITE_OK ||
        file == nullptr || file->pMethods == nullptr) {
      throw StorageError("cannot read " + path_.string() + " to keep a copy of it");
    }
    sqlite3_int64 size = 0;
    if (file->pMethods->xFileSize(file, &size) != SQLITE_OK) {
      throw StorageError("cannot read the size of " + path_.string());
    }
    std::filesystem::path tmp = target;
    tmp += ".tmp";
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      throw StorageError("cannot create " + tmp.string() +
                         " to keep the Python ops state file: " + std::strerror(errno));
    }
    auto fail = [&](const std::string& what) {
      const std::string reason = std::strerror(errno);
      ::close(fd);
      std::filesystem::remove(tmp, ec);
      return StorageError(what + " " + tmp.string() + ": " + reason);
    };
    ::fchmod(fd, 0600);  // whatever the umask
    std::vector<char> buffer(64 * 1024);
    for (sqlite3_int64 offset = 0; offset < size;) {
      const int chunk = static_cast<int>(
          std::min<sqlite3_int64>(static_cast<sqlite3_int64>(buffer.size()), size - offset));
      if (file->pMethods->xRead(file, buffer.data(), chunk, offset) != SQLITE_OK) {
        errno = EIO;
        throw fail("cannot read " + path_.string() + " into");
      }
      for (int written = 0; written < chunk;) {
        const ssize_t n =
            ::write(fd, buffer.data() + written, static_cast<std::size_t>(chunk - written));
        if (n < 0) {
          if (errno == EINTR) continue;
          throw fail("cannot write");
        }
        written += static_cast<int>(n);
      }
      offset += chunk;
    }
    if (::fsync(fd) != 0) throw fail("cannot sync");
    ::close(fd);
    std::filesystem::rename(tmp, target, ec);
    if (ec) {
      throw StorageError("cannot rename " + tmp.string() + " to " + target.string() + ": " +
                         ec.message());
    }
    const std::filesystem::path dir_path =
        target.parent_path().empty() ? "." : target.parent_path();
    const int dir = ::open(dir_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
      ::fsync(dir);
      ::close(dir);
    }
  }

  // The statement in `slot`, prepared at its first use: a dispatch pays only
  // for the statements it runs (a prepare parses SQL: about 18,000
  // instructions each, 110,000 when all were prepared at open).
  Statement& prepared(std::unique_ptr<Statement>& slot, const char* sql) {
    if (!slot) slot = std::make_unique<Statement>(*db_, sql);
    return *slot;
  }

  void statements_reset() {
    save_snapshot_.reset();
    load_snapshot_.reset();
    drop_snapshot_.reset();
    drop_notice_.reset();
    any_notice_.reset();
  }

  StorageError translate(const SqliteError& e, const SQLiteStorageOptions& options) const {
    const int code = e.code() & 0xff;
    if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) {
      return StorageError("state database " + path_.string() +
                          " is not a valid SQLite database (corrupt or foreign file): " + e.what());
    }
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
      return StorageError("state database " + path_.string() +
                          " is locked by another process (waited " +
                          std::to_string(options.lock_timeout.count()) + " ms)");
    }
    return StorageError("cannot open state database " + path_.string() + ": " + e.what());
  }

  // What the file's header said before SQLite opened it (read_file_header).
  struct Header {
    bool wal = false;
    std::uint32_t user_version = 0;
    std::uint32_t application_id = 0;
  };

  std::filesystem::path path_;
  Header header_;
  bool new_file_ = true;  // missing or empty before we opened it
  bool sync_ = true;      // SQLiteStorageOptions::sync_to_disk
  bool wal_ = false;      // the file is in WAL mode (use_wal)
  // Since the last commit: whether a snapshot or an older notice changed,
  // and the notices saved (and not dropped again).
  bool changed_ = false;
  std::set<std::int64_t> new_notices_;
  std::vector<Notice> pending_;     // saved notices not yet inserted
  std::int64_t next_sequence_ = 0;  // 0: read from the file at the next save_notice
  std::unique_ptr<Connection> db_;
  // The statements run more than once a dispatch, each prepared at its first
  // use (prepared()).
  std::unique_ptr<Statement> save_snapshot_, load_snapshot_, drop_snapshot_, drop_notice_,
      any_notice_;
};

}  // namespace

SQLiteStorage::SQLiteStorage(const std::filesystem::path& path, SQLiteStorageOptions options)
    : file_(std::make_unique<SQLiteFile>(path, options)) {}

SQLiteStorage::~SQLiteStorage() = default;

void SQLiteStorage::save_snapshot(std::string_view handle_path, const nlohmann::json& data) {
  file_->save_snapshot(handle_path, data);
}
std::optional<nlohmann::json> SQLiteStorage::load_snapshot(std::string_view handle_path) {
  return file_->load_snapshot(handle_path);
}
void SQLiteStorage::drop_snapshot(std::string_view handle_path) {
  file_->drop_snapshot(handle_path);
}
std::vector<std::string> SQLiteStorage::list_snapshots() { return file_->list_snapshots(); }
std::int64_t SQLiteStorage::save_notice(std::string_view event_path, std::string_view observer_path,
                                        std::string_view method_name) {
  return file_->save_notice(event_path, observer_path, method_name);
}
void SQLiteStorage::update_notice(std::int64_t sequence, std::string_view observer_path,
                                  std::string_view method_name) {
  file_->update_notice(sequence, observer_path, method_name);
}
void SQLiteStorage::drop_notice(std::int64_t sequence) { file_->drop_notice(sequence); }
std::vector<Notice> SQLiteStorage::notices(std::string_view event_path) {
  return file_->notices(event_path);
}
bool SQLiteStorage::has_notices() { return file_->has_notices(); }
bool SQLiteStorage::has_changes() { return file_->has_changes(); }
void SQLiteStorage::commit() { file_->commit(); }
void SQLiteStorage::rollback() { file_->rollback(); }
void SQLiteStorage::close() { file_->close(); }

std::unique_ptr<SQLiteStorage> open_sqlite_storage(const std::filesystem::path& path,
                                                   SQLiteStorageOptions options) {
  return std::make_unique<SQLiteStorage>(path, options);
}

}  // namespace ops
