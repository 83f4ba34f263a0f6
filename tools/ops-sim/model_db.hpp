// The simulated model, kept in one SQLite file (<model dir>/model.db).
//
// Every ops-sim process opens it: the CLI (which changes the model and runs
// hooks), the hook tools a dispatch calls, and the Pebble daemons. WAL mode
// and a busy timeout let them take turns. ModelDb wraps the schema with typed
// accessors; the tables are described in model_db.cpp. Errors are SimError
// (user-facing) or SQLite::Exception (a bug or a corrupt file).
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "charm_info.hpp"

namespace ops_sim {

// An application.
struct AppRow {
  std::string name;
  CharmInfo charm;
  std::string charm_dir;  // the pristine copy every unit's charm dir is made from
  nlohmann::json config = nlohmann::json::object();     // values set by the user
  nlohmann::json resources = nlohmann::json::object();  // name -> path
  std::string status = "unknown";
  std::string message;
  std::string version;
  std::string leader;  // unit name, empty when none
};

// A unit. agent_status is "idle", "executing", "error" or "dying".
struct UnitRow {
  std::string name;  // app/N
  std::string app;
  int number = 0;
  std::string workload_status = "waiting";
  std::string workload_message = "installing agent";
  std::string agent_status = "idle";
  std::string error_hook;  // the failed hook, when agent_status == "error"
  std::string charm_dir;
  std::string address;
  bool dying = false;
};

// A relation between two endpoints (both the same for a peer relation).
struct RelationRow {
  int id = 0;
  std::string app1, endpoint1, app2, endpoint2;
  std::string interface;
  bool peer = false;
  bool broken = false;  // being removed: hidden from relation-ids
  // The endpoint name of `app` in this relation.
  std::string endpoint_of(const std::string& app) const {
    return app == app1 ? endpoint1 : endpoint2;
  }
  // The application at the other end ("app" itself for a peer relation).
  std::string remote_app_of(const std::string& app) const { return app == app1 ? app2 : app1; }
  bool involves(const std::string& app) const { return app == app1 || app == app2; }
};

// One queued hook (or action) for one unit.
struct HookSpec {
  long long id = 0;  // queue position, 0 before enqueueing
  std::string unit;
  std::string hook;  // e.g. "install", "db-relation-joined", or an action name
  bool is_action = false;
  int relation_id = -1;
  std::string remote_unit;
  std::string remote_app;
  std::string departing_unit;
  std::string workload;   // container, for pebble-ready
  std::string action_id;  // actions table uuid
  std::string relation_name;
  std::string secret_id;  // "secret:<xid>", for secret-* hooks
  std::string secret_label;
  int secret_revision = 0;
  std::string storage_id;  // "name/N", for storage hooks
  std::string notice_id;   // for <container>-pebble-custom-notice
  std::string notice_type;
  std::string notice_key;
  bool internal = false;  // ops-sim's own step (e.g. removing a unit), not a dispatch
};

// A log line written by juju-log.
struct LogRow {
  long long id;
  std::string unit, level, source, message, timestamp;
};

// One entry of a unit's status history (show-status-log).
struct StatusHistoryRow {
  std::string timestamp;  // RFC 3339
  std::string kind;       // "workload" or "juju-unit"
  std::string status;
  std::string message;
};

// An action run.
struct ActionRow {
  std::string uuid;
  std::string unit;
  std::string name;
  nlohmann::json params = nlohmann::json::object();
  std::string status = "pending";  // pending, running, completed, failed
  std::string message;
  nlohmann::json results = nlohmann::json::object();
  std::vector<std::string> log;
};

// The model database. Not thread-safe; one per process.
class ModelDb {
 public:
  // Opens (create=false: must exist) the model database in dir.
  static std::unique_ptr<ModelDb> open(const std::filesystem::path& dir, bool create);
  explicit ModelDb(const std::filesystem::path& file);

  SQLite::Database& sql() { return db_; }
  const std::filesystem::path& dir() const { return dir_; }

  std::optional<std::string> meta(const std::string& key);
  void set_meta(const std::string& key, const std::string& value);
  void delete_meta(const std::string& key);
  std::string model_name() { return meta("model-name").value_or("sim"); }
  std::string model_uuid() { return meta("model-uuid").value_or(""); }
  // A counter in the meta table: returns its value and stores value + 1.
  long long next_counter(const std::string& key, long long first = 0);

  // Applications.
  std::vector<AppRow> apps();
  std::optional<AppRow> app(const std::string& name);
  AppRow require_app(const std::string& name);  // throws SimError "application X not found"
  void insert_app(const AppRow& app);
  void update_app(const AppRow& app);
  void delete_app(const std::string& name);

  // Units (live and dying), ordered by app then number.
  std::vector<UnitRow> units(const std::string& app = "");
  std::optional<UnitRow> unit(const std::string& name);
  UnitRow require_unit(const std::string& name);  // throws SimError "unit X not found"
  void insert_unit(const UnitRow& unit);
  void update_unit(const UnitRow& unit);
  void delete_unit(const std::string& name);

  // Relations.
  std::vector<RelationRow> relations();
  std::optional<RelationRow> relation(int id);
  int insert_relation(RelationRow rel);  // assigns and returns the id
  void update_relation(const RelationRow& rel);
  void delete_relation(int id);

  // The remote units a unit sees in a relation (relation-list).
  std::vector<std::string> members(int relation_id, const std::string& unit);
  void add_member(int relation_id, const std::string& unit, const std::string& remote_unit);
  void remove_member(int relation_id, const std::string& unit, const std::string& remote_unit);

  // Relation data bag of an owner (unit or app name) in a relation.
  std::map<std::string, std::string> databag(int relation_id, const std::string& owner);
  // Sets keys (empty value deletes); returns true when anything changed.
  bool update_databag(int relation_id, const std::string& owner,
                      const std::map<std::string, std::string>& changes);

  // The hook queue.
  long long enqueue(const HookSpec& hook);
  std::vector<HookSpec> queued(const std::string& unit = "");
  void dequeue(long long id);

  // juju-log lines.
  // source: "juju-log", a hook name (its output), or "uniter" (ops-sim itself).
  void add_log(const std::string& unit, const std::string& level, const std::string& source,
               const std::string& message);
  std::vector<LogRow> logs(long long after_id = 0);

  // Status history: workload statuses and the agent's (juju-unit) ones.
  void add_status_history(const std::string& unit, const std::string& kind,
                          const std::string& status, const std::string& message);
  std::vector<StatusHistoryRow> status_history(const std::string& unit);

  // Actions.
  void insert_action(const ActionRow& action);
  std::optional<ActionRow> action(const std::string& uuid);
  void update_action(const ActionRow& action);

  // Ports opened by a unit ("8080/tcp").
  std::vector<std::string> ports(const std::string& unit);

  // Hook-run pending writes, applied by the scheduler when a dispatch exits 0.
  void add_pending(const std::string& run_id, const nlohmann::json& op);
  std::vector<nlohmann::json> pending(const std::string& run_id);
  void drop_pending(const std::string& run_id);

 private:
  void create_schema();
  std::filesystem::path dir_;
  SQLite::Database db_;
};

// The numeric suffix of "app/N"; throws SimError when the name is malformed.
int unit_number(const std::string& unit_name);
// The application part of "app/N".
std::string unit_app(const std::string& unit_name);

}  // namespace ops_sim
