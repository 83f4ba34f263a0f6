// Where the framework keeps what must survive between dispatches.
//
// A StateStorage holds two things, with Python ops' schema: snapshots (JSON
// data keyed by a handle path: events waiting for a deferring observer, stored
// state, the framework's event counter) and notices (event path, observer
// path, method name: "call this observer's method with that event again"),
// ordered by a sequence number. Every change belongs to the current
// transaction; commit() makes the changes durable and rollback() (or
// destroying the storage without commit) forgets them, so a dispatch that
// throws leaves the unit's state exactly as it was.
//
// Two implementations: SQLiteStorage (the unit's state file
// `<charm_dir>/.unit-state.db`, exclusively locked while open) and
// MemoryStorage (tests and the testing Harness). Errors are StorageError.
//
// Naming: Python ops has no name for the interface (its SQLiteStorage and
// JujuStorage are duck-typed), and `ops::Storage` is a storage instance, as
// `ops.Storage` is. The interface is named for what it stores, the
// framework's state; its implementations keep ops' names (SQLiteStorage).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ops {

// One stored notice: call observer_path's method_name with the event stored at
// event_path. sequence orders notices (first in, first out).
struct Notice {
  std::int64_t sequence = 0;
  std::string event_path;
  std::string observer_path;
  std::string method_name;

  friend bool operator==(const Notice&, const Notice&) = default;
};

// The framework's persistence interface. Not thread-safe: one dispatch uses it.
class StateStorage {
 public:
  virtual ~StateStorage() = default;

  // Stores data under handle_path, replacing any earlier snapshot.
  virtual void save_snapshot(std::string_view handle_path, const nlohmann::json& data) = 0;
  // The snapshot stored under handle_path, or nullopt.
  [[nodiscard]] virtual std::optional<nlohmann::json> load_snapshot(
      std::string_view handle_path) = 0;
  // Removes the snapshot under handle_path (no-op when absent).
  virtual void drop_snapshot(std::string_view handle_path) = 0;
  // Every stored snapshot's handle path, sorted.
  [[nodiscard]] virtual std::vector<std::string> list_snapshots() = 0;

  // Appends a notice and returns its sequence number (larger than any before).
  virtual std::int64_t save_notice(std::string_view event_path, std::string_view observer_path,
                                   std::string_view method_name) = 0;
  // Points the notice with this sequence number at another observer method,
  // keeping its place in the queue (no-op when absent).
  virtual void update_notice(std::int64_t sequence, std::string_view observer_path,
                             std::string_view method_name) = 0;
  // Removes the notice with this sequence number (no-op when absent).
  virtual void drop_notice(std::int64_t sequence) = 0;
  // The notices in sequence order; only those for event_path when it is not empty.
  [[nodiscard]] virtual std::vector<Notice> notices(std::string_view event_path = {}) = 0;
  // True when at least one notice is stored (cheap).
  [[nodiscard]] virtual bool has_notices() = 0;

  // Whether the content differs from the last commit (or opening). A
  // notice saved and dropped again is no change. Implementations that do not
  // track it answer true.
  [[nodiscard]] virtual bool has_changes() { return true; }
  // Makes every change since the last commit (or since opening) durable.
  virtual void commit() = 0;
  // Forgets every change since the last commit.
  virtual void rollback() = 0;
  // Rolls back uncommitted changes and releases the storage (its file lock);
  // any later call throws StorageError. Idempotent.
  virtual void close() = 0;
};

// Options of the SQLite storage.
struct SQLiteStorageOptions {
  // How long opening waits for another process that holds the file before
  // failing with StorageError.
  std::chrono::milliseconds lock_timeout{5000};
  // When true (the default), commit() returns once the data is on disk
  // (WAL mode, synchronous=NORMAL and a checkpoint per commit). When false,
  // the operating system writes it later (synchronous=OFF): still safe if
  // the process dies, but a power loss may lose the last commits. For
  // simulators and tests, not for units.
  bool sync_to_disk = true;
};

// The unit's state file, in SQLite (Python ops' ops.storage.SQLiteStorage).
//
// Constructing one opens (creating it with mode 0600 when missing) the
// SQLite state file at path and starts its first transaction, holding an
// exclusive lock on the file until close() or destruction.
//
// A state file written by Python ops (same tables, pickled snapshots: a unit
// refreshed from a Python charm to its ops-cpp port) is migrated here, in one
// committed transaction: every snapshot is converted to JSON (stored state as
// it is, event snapshots to the ops-cpp event classes' schema), notices are
// kept with their sequence numbers, and a copy of the original file is kept
// at `<path>.python-ops` (mode 0600). A crash at any point leaves the file
// either as Python ops wrote it or fully migrated. Snapshots holding anything
// but plain values (see the README, "Refreshing from a Python ops charm") are
// refused with the handle and the reason, and the file is left as it was.
//
// The constructor throws StorageError when the file is locked by another
// process past options.lock_timeout, is not an SQLite database, is an SQLite
// database written by neither ops-cpp nor Python ops, or is a Python ops
// file that cannot be migrated; such a file is never modified.
class SQLiteStorage final : public StateStorage {
 public:
  explicit SQLiteStorage(const std::filesystem::path& path, SQLiteStorageOptions options = {});
  ~SQLiteStorage() override;
  SQLiteStorage(const SQLiteStorage&) = delete;
  SQLiteStorage& operator=(const SQLiteStorage&) = delete;

  void save_snapshot(std::string_view handle_path, const nlohmann::json& data) override;
  [[nodiscard]] std::optional<nlohmann::json> load_snapshot(std::string_view handle_path) override;
  void drop_snapshot(std::string_view handle_path) override;
  [[nodiscard]] std::vector<std::string> list_snapshots() override;
  std::int64_t save_notice(std::string_view event_path, std::string_view observer_path,
                           std::string_view method_name) override;
  void update_notice(std::int64_t sequence, std::string_view observer_path,
                     std::string_view method_name) override;
  void drop_notice(std::int64_t sequence) override;
  [[nodiscard]] std::vector<Notice> notices(std::string_view event_path = {}) override;
  [[nodiscard]] bool has_notices() override;
  [[nodiscard]] bool has_changes() override;
  void commit() override;
  void rollback() override;
  void close() override;

 private:
  std::unique_ptr<StateStorage> file_;  // the SQLite file behind it (storage_sqlite.cpp)
};

// std::make_unique<SQLiteStorage>(path, options), the form a Framework takes.
[[nodiscard]] std::unique_ptr<SQLiteStorage> open_sqlite_storage(const std::filesystem::path& path,
                                                                 SQLiteStorageOptions options = {});

// The state file of a charm: `<charm_dir>/.unit-state.db`.
[[nodiscard]] std::filesystem::path default_state_file(const std::filesystem::path& charm_dir);

// State storage in process memory, with the same transaction semantics as
// SQLiteStorage. A test keeps one MemoryStorage and lends it to successive
// Frameworks to simulate successive dispatches.
class MemoryStorage final : public StateStorage {
 public:
  MemoryStorage() = default;

  void save_snapshot(std::string_view handle_path, const nlohmann::json& data) override;
  [[nodiscard]] std::optional<nlohmann::json> load_snapshot(std::string_view handle_path) override;
  void drop_snapshot(std::string_view handle_path) override;
  [[nodiscard]] std::vector<std::string> list_snapshots() override;
  std::int64_t save_notice(std::string_view event_path, std::string_view observer_path,
                           std::string_view method_name) override;
  void update_notice(std::int64_t sequence, std::string_view observer_path,
                     std::string_view method_name) override;
  void drop_notice(std::int64_t sequence) override;
  [[nodiscard]] std::vector<Notice> notices(std::string_view event_path = {}) override;
  [[nodiscard]] bool has_notices() override;
  void commit() override;
  void rollback() override;
  // Rolls back; a MemoryStorage can be used again after close().
  void close() override;

  // Whether the content differs from the last commit, counted as the SQLite
  // storage counts it: a notice saved and dropped again is no change.
  bool has_changes() override;

  // The committed snapshots (what a next dispatch would see).
  [[nodiscard]] const std::map<std::string, nlohmann::json, std::less<>>& committed_snapshots()
      const;

 private:
  // What a rollback restores: the value before the transaction of each
  // snapshot and each older notice the transaction touched (nullopt:
  // absent). Notices saved in the transaction are those numbered above
  // last_sequence. Keeping only what changed makes a transaction cost what
  // it touches, not what is stored.
  using SnapshotLog = std::map<std::string, std::optional<nlohmann::json>, std::less<>>;
  struct Undo {
    SnapshotLog snapshots;
    // The nodes of earlier transactions' entries, reused (with their path's
    // buffer) by the next ones, which usually touch the same few snapshots
    // (a stored state, the event counter).
    std::vector<SnapshotLog::node_type> spare;
    std::map<std::int64_t, std::optional<Notice>> notices;
    std::int64_t last_sequence = 0;
    bool changed = false;  // a snapshot or an older notice changed
    bool active = false;   // the transaction has changes
  };
  // Starts the undo log at the first change of a transaction.
  Undo& undo();
  // Ends the transaction: the log is emptied, its buffers kept.
  void end_transaction();
  // Logs the snapshot's value (moved out) before a change; its entry.
  std::map<std::string, nlohmann::json, std::less<>>::iterator remember_snapshot(
      std::string_view handle_path);
  void remember_notice(std::int64_t sequence);

  // The notice with this sequence number, or end().
  std::vector<Notice>::iterator find_notice(std::int64_t sequence);

  std::map<std::string, nlohmann::json, std::less<>> snapshots_;
  // Sorted by sequence: a notice is appended when saved and usually dropped
  // again at once (its observer did not defer), which a vector does without
  // allocating a node; the dropped notice's strings are kept for the next.
  std::vector<Notice> notices_;
  Notice spare_notice_;
  std::int64_t last_sequence_ = 0;
  Undo undo_;
  // committed_snapshots() while a transaction has changes.
  mutable std::map<std::string, nlohmann::json, std::less<>> committed_view_;
};

}  // namespace ops
