#include "model_db.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "util.hpp"

namespace ops_sim {
namespace fs = std::filesystem;

namespace {

// meta: model-level settings and counters.
// apps/units/relations: the model's entities (JSON columns for nested data).
// members: which remote units each unit has seen join a relation.
// databags: relation data, owner = unit or application name.
// hook_queue: hooks waiting to run, in global order.
// pending: writes of the running hook, applied on success only.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS apps (
  name TEXT PRIMARY KEY, charm TEXT NOT NULL, charm_dir TEXT NOT NULL,
  config TEXT NOT NULL, resources TEXT NOT NULL, status TEXT NOT NULL,
  message TEXT NOT NULL, version TEXT NOT NULL, leader TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS units (
  name TEXT PRIMARY KEY, app TEXT NOT NULL, number INTEGER NOT NULL,
  workload_status TEXT NOT NULL, workload_message TEXT NOT NULL,
  agent_status TEXT NOT NULL, error_hook TEXT NOT NULL, charm_dir TEXT NOT NULL,
  address TEXT NOT NULL, dying INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS relations (
  id INTEGER PRIMARY KEY, app1 TEXT NOT NULL, endpoint1 TEXT NOT NULL,
  app2 TEXT NOT NULL, endpoint2 TEXT NOT NULL, interface TEXT NOT NULL,
  peer INTEGER NOT NULL, broken INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS members (
  relation_id INTEGER NOT NULL, unit TEXT NOT NULL, remote_unit TEXT NOT NULL,
  PRIMARY KEY (relation_id, unit, remote_unit));
CREATE TABLE IF NOT EXISTS databags (
  relation_id INTEGER NOT NULL, owner TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (relation_id, owner, key));
CREATE TABLE IF NOT EXISTS hook_queue (
  id INTEGER PRIMARY KEY AUTOINCREMENT, spec TEXT NOT NULL, unit TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pending (
  id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, op TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS logs (
  id INTEGER PRIMARY KEY AUTOINCREMENT, unit TEXT NOT NULL, level TEXT NOT NULL,
  source TEXT NOT NULL, message TEXT NOT NULL, ts TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS actions (
  uuid TEXT PRIMARY KEY, unit TEXT NOT NULL, name TEXT NOT NULL, params TEXT NOT NULL,
  status TEXT NOT NULL, message TEXT NOT NULL, results TEXT NOT NULL, log TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ports (unit TEXT NOT NULL, port TEXT NOT NULL, PRIMARY KEY (unit, port));
CREATE TABLE IF NOT EXISTS secrets (
  id TEXT PRIMARY KEY, owner TEXT NOT NULL, label TEXT NOT NULL, description TEXT NOT NULL,
  rotate TEXT NOT NULL, expire TEXT NOT NULL, revision INTEGER NOT NULL, content TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS secret_access (
  secret_id TEXT NOT NULL, grantee TEXT NOT NULL, relation_id INTEGER NOT NULL,
  PRIMARY KEY (secret_id, grantee));
CREATE TABLE IF NOT EXISTS secret_consumers (
  secret_id TEXT NOT NULL, unit TEXT NOT NULL, label TEXT NOT NULL, revision INTEGER NOT NULL,
  PRIMARY KEY (secret_id, unit));
CREATE TABLE IF NOT EXISTS unit_state (
  unit TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (unit, key));
CREATE TABLE IF NOT EXISTS storage (
  id TEXT PRIMARY KEY, unit TEXT NOT NULL, name TEXT NOT NULL, location TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS status_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT, unit TEXT NOT NULL, kind TEXT NOT NULL,
  status TEXT NOT NULL, message TEXT NOT NULL, ts TEXT NOT NULL);
)sql";

nlohmann::json hook_to_json(const HookSpec& h) {
  return {{"unit", h.unit},
          {"hook", h.hook},
          {"is_action", h.is_action},
          {"relation_id", h.relation_id},
          {"relation_name", h.relation_name},
          {"remote_unit", h.remote_unit},
          {"remote_app", h.remote_app},
          {"departing_unit", h.departing_unit},
          {"workload", h.workload},
          {"action_id", h.action_id},
          {"secret_id", h.secret_id},
          {"secret_label", h.secret_label},
          {"secret_revision", h.secret_revision},
          {"storage_id", h.storage_id},
          {"notice_id", h.notice_id},
          {"notice_type", h.notice_type},
          {"notice_key", h.notice_key},
          {"internal", h.internal}};
}

HookSpec hook_from_json(long long id, const nlohmann::json& j) {
  HookSpec h;
  h.id = id;
  h.unit = j.at("unit");
  h.hook = j.at("hook");
  h.is_action = j.at("is_action");
  h.relation_id = j.at("relation_id");
  h.relation_name = j.at("relation_name");
  h.remote_unit = j.at("remote_unit");
  h.remote_app = j.at("remote_app");
  h.departing_unit = j.at("departing_unit");
  h.workload = j.at("workload");
  h.action_id = j.at("action_id");
  h.secret_id = j.value("secret_id", "");
  h.secret_label = j.value("secret_label", "");
  h.secret_revision = j.value("secret_revision", 0);
  h.storage_id = j.value("storage_id", "");
  h.notice_id = j.value("notice_id", "");
  h.notice_type = j.value("notice_type", "");
  h.notice_key = j.value("notice_key", "");
  h.internal = j.value("internal", false);
  return h;
}

AppRow read_app(SQLite::Statement& q) {
  AppRow a;
  a.name = q.getColumn(0).getString();
  a.charm = CharmInfo::from_json(nlohmann::json::parse(q.getColumn(1).getString()));
  a.charm_dir = q.getColumn(2).getString();
  a.config = nlohmann::json::parse(q.getColumn(3).getString());
  a.resources = nlohmann::json::parse(q.getColumn(4).getString());
  a.status = q.getColumn(5).getString();
  a.message = q.getColumn(6).getString();
  a.version = q.getColumn(7).getString();
  a.leader = q.getColumn(8).getString();
  return a;
}

UnitRow read_unit(SQLite::Statement& q) {
  UnitRow u;
  u.name = q.getColumn(0).getString();
  u.app = q.getColumn(1).getString();
  u.number = q.getColumn(2).getInt();
  u.workload_status = q.getColumn(3).getString();
  u.workload_message = q.getColumn(4).getString();
  u.agent_status = q.getColumn(5).getString();
  u.error_hook = q.getColumn(6).getString();
  u.charm_dir = q.getColumn(7).getString();
  u.address = q.getColumn(8).getString();
  u.dying = q.getColumn(9).getInt() != 0;
  return u;
}

RelationRow read_relation(SQLite::Statement& q) {
  RelationRow r;
  r.id = q.getColumn(0).getInt();
  r.app1 = q.getColumn(1).getString();
  r.endpoint1 = q.getColumn(2).getString();
  r.app2 = q.getColumn(3).getString();
  r.endpoint2 = q.getColumn(4).getString();
  r.interface = q.getColumn(5).getString();
  r.peer = q.getColumn(6).getInt() != 0;
  r.broken = q.getColumn(7).getInt() != 0;
  return r;
}

constexpr const char* kAppColumns =
    "name, charm, charm_dir, config, resources, status, message, version, leader";
constexpr const char* kUnitColumns =
    "name, app, number, workload_status, workload_message, agent_status, error_hook, "
    "charm_dir, address, dying";
constexpr const char* kRelationColumns =
    "id, app1, endpoint1, app2, endpoint2, interface, peer, broken";

}  // namespace

std::unique_ptr<ModelDb> ModelDb::open(const fs::path& dir, bool create) {
  const auto file = dir / "model.db";
  if (!create && !fs::exists(file)) {
    throw SimError("no model in " + dir.string() + " (deploy a charm first)");
  }
  if (create) {
    fs::create_directories(dir);
    // It holds passwords and action results: the owner's only.
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
    if (!fs::exists(file)) {
      const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd < 0) throw SimError("cannot create " + file.string() + ": " + std::strerror(errno));
      ::close(fd);
    }
  }
  return std::make_unique<ModelDb>(file);
}

ModelDb::ModelDb(const fs::path& file)
    : dir_(file.parent_path()),
      db_(file.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, 30000) {
  // SQLite creates its -wal and -shm files with the database's mode (0600).
  db_.exec("PRAGMA journal_mode=WAL");
  db_.exec("PRAGMA synchronous=NORMAL");
  create_schema();
}

void ModelDb::create_schema() { db_.exec(kSchema); }

std::optional<std::string> ModelDb::meta(const std::string& key) {
  SQLite::Statement q(db_, "SELECT value FROM meta WHERE key = ?");
  q.bind(1, key);
  if (q.executeStep()) return q.getColumn(0).getString();
  return std::nullopt;
}

void ModelDb::delete_meta(const std::string& key) {
  SQLite::Statement q(db_, "DELETE FROM meta WHERE key = ?");
  q.bind(1, key);
  q.exec();
}

void ModelDb::add_status_history(const std::string& unit, const std::string& kind,
                                 const std::string& status, const std::string& message) {
  // Repeats of the latest entry are not history (as Juju keeps it).
  SQLite::Statement last(db_,
                         "SELECT status, message FROM status_history WHERE unit = ? AND kind = ? "
                         "ORDER BY id DESC LIMIT 1");
  last.bind(1, unit);
  last.bind(2, kind);
  if (last.executeStep() && last.getColumn(0).getString() == status &&
      last.getColumn(1).getString() == message) {
    return;
  }
  SQLite::Statement q(db_,
                      "INSERT INTO status_history (unit, kind, status, message, ts) "
                      "VALUES (?, ?, ?, ?, ?)");
  q.bind(1, unit);
  q.bind(2, kind);
  q.bind(3, status);
  q.bind(4, message);
  q.bind(5, now_rfc3339());
  q.exec();
}

std::vector<StatusHistoryRow> ModelDb::status_history(const std::string& unit) {
  SQLite::Statement q(db_,
                      "SELECT ts, kind, status, message FROM status_history WHERE unit = ? "
                      "ORDER BY id");
  q.bind(1, unit);
  std::vector<StatusHistoryRow> out;
  while (q.executeStep()) {
    out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(),
                   q.getColumn(2).getString(), q.getColumn(3).getString()});
  }
  return out;
}

void ModelDb::set_meta(const std::string& key, const std::string& value) {
  SQLite::Statement q(db_, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
  q.bind(1, key);
  q.bind(2, value);
  q.exec();
}

long long ModelDb::next_counter(const std::string& key, long long first) {
  long long value = first;
  if (auto v = meta(key)) value = std::stoll(*v);
  set_meta(key, std::to_string(value + 1));
  return value;
}

std::vector<AppRow> ModelDb::apps() {
  SQLite::Statement q(db_, std::string("SELECT ") + kAppColumns + " FROM apps ORDER BY name");
  std::vector<AppRow> out;
  while (q.executeStep()) out.push_back(read_app(q));
  return out;
}

std::optional<AppRow> ModelDb::app(const std::string& name) {
  SQLite::Statement q(db_, std::string("SELECT ") + kAppColumns + " FROM apps WHERE name = ?");
  q.bind(1, name);
  if (q.executeStep()) return read_app(q);
  return std::nullopt;
}

AppRow ModelDb::require_app(const std::string& name) {
  auto a = app(name);
  if (!a) throw SimError("application \"" + name + "\" not found");
  return *a;
}

void ModelDb::insert_app(const AppRow& a) {
  SQLite::Statement q(db_, std::string("INSERT INTO apps (") + kAppColumns +
                               ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  q.bind(1, a.name);
  q.bind(2, a.charm.to_json().dump());
  q.bind(3, a.charm_dir);
  q.bind(4, a.config.dump());
  q.bind(5, a.resources.dump());
  q.bind(6, a.status);
  q.bind(7, a.message);
  q.bind(8, a.version);
  q.bind(9, a.leader);
  q.exec();
}

void ModelDb::update_app(const AppRow& a) {
  SQLite::Statement q(db_,
                      "UPDATE apps SET charm = ?, charm_dir = ?, config = ?, resources = ?, "
                      "status = ?, message = ?, version = ?, leader = ? WHERE name = ?");
  q.bind(1, a.charm.to_json().dump());
  q.bind(2, a.charm_dir);
  q.bind(3, a.config.dump());
  q.bind(4, a.resources.dump());
  q.bind(5, a.status);
  q.bind(6, a.message);
  q.bind(7, a.version);
  q.bind(8, a.leader);
  q.bind(9, a.name);
  q.exec();
}

void ModelDb::delete_app(const std::string& name) {
  SQLite::Statement q(db_, "DELETE FROM apps WHERE name = ?");
  q.bind(1, name);
  q.exec();
}

std::vector<UnitRow> ModelDb::units(const std::string& app_name) {
  std::string sql = std::string("SELECT ") + kUnitColumns + " FROM units";
  if (!app_name.empty()) sql += " WHERE app = ?";
  sql += " ORDER BY app, number";
  SQLite::Statement q(db_, sql);
  if (!app_name.empty()) q.bind(1, app_name);
  std::vector<UnitRow> out;
  while (q.executeStep()) out.push_back(read_unit(q));
  return out;
}

std::optional<UnitRow> ModelDb::unit(const std::string& name) {
  SQLite::Statement q(db_, std::string("SELECT ") + kUnitColumns + " FROM units WHERE name = ?");
  q.bind(1, name);
  if (q.executeStep()) return read_unit(q);
  return std::nullopt;
}

UnitRow ModelDb::require_unit(const std::string& name) {
  auto u = unit(name);
  if (!u) throw SimError("unit \"" + name + "\" not found");
  return *u;
}

void ModelDb::insert_unit(const UnitRow& u) {
  SQLite::Statement q(db_, std::string("INSERT INTO units (") + kUnitColumns +
                               ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  q.bind(1, u.name);
  q.bind(2, u.app);
  q.bind(3, u.number);
  q.bind(4, u.workload_status);
  q.bind(5, u.workload_message);
  q.bind(6, u.agent_status);
  q.bind(7, u.error_hook);
  q.bind(8, u.charm_dir);
  q.bind(9, u.address);
  q.bind(10, u.dying ? 1 : 0);
  q.exec();
}

void ModelDb::update_unit(const UnitRow& u) {
  SQLite::Statement q(db_,
                      "UPDATE units SET workload_status = ?, workload_message = ?, "
                      "agent_status = ?, error_hook = ?, charm_dir = ?, address = ?, dying = ? "
                      "WHERE name = ?");
  q.bind(1, u.workload_status);
  q.bind(2, u.workload_message);
  q.bind(3, u.agent_status);
  q.bind(4, u.error_hook);
  q.bind(5, u.charm_dir);
  q.bind(6, u.address);
  q.bind(7, u.dying ? 1 : 0);
  q.bind(8, u.name);
  q.exec();
}

void ModelDb::delete_unit(const std::string& name) {
  for (const char* sql :
       {"DELETE FROM units WHERE name = ?", "DELETE FROM members WHERE unit = ?",
        "DELETE FROM members WHERE remote_unit = ?", "DELETE FROM databags WHERE owner = ?",
        "DELETE FROM ports WHERE unit = ?", "DELETE FROM unit_state WHERE unit = ?",
        "DELETE FROM hook_queue WHERE unit = ?", "DELETE FROM storage WHERE unit = ?",
        "DELETE FROM status_history WHERE unit = ?",
        "DELETE FROM secret_consumers WHERE unit = ?"}) {
    SQLite::Statement q(db_, sql);
    q.bind(1, name);
    q.exec();
  }
}

std::vector<RelationRow> ModelDb::relations() {
  SQLite::Statement q(db_,
                      std::string("SELECT ") + kRelationColumns + " FROM relations ORDER BY id");
  std::vector<RelationRow> out;
  while (q.executeStep()) out.push_back(read_relation(q));
  return out;
}

std::optional<RelationRow> ModelDb::relation(int id) {
  SQLite::Statement q(db_,
                      std::string("SELECT ") + kRelationColumns + " FROM relations WHERE id = ?");
  q.bind(1, id);
  if (q.executeStep()) return read_relation(q);
  return std::nullopt;
}

int ModelDb::insert_relation(RelationRow r) {
  r.id = static_cast<int>(next_counter("next-relation-id"));
  SQLite::Statement q(db_, std::string("INSERT INTO relations (") + kRelationColumns +
                               ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  q.bind(1, r.id);
  q.bind(2, r.app1);
  q.bind(3, r.endpoint1);
  q.bind(4, r.app2);
  q.bind(5, r.endpoint2);
  q.bind(6, r.interface);
  q.bind(7, r.peer ? 1 : 0);
  q.bind(8, r.broken ? 1 : 0);
  q.exec();
  return r.id;
}

void ModelDb::update_relation(const RelationRow& r) {
  SQLite::Statement q(db_, "UPDATE relations SET broken = ? WHERE id = ?");
  q.bind(1, r.broken ? 1 : 0);
  q.bind(2, r.id);
  q.exec();
}

void ModelDb::delete_relation(int id) {
  for (const char* sql :
       {"DELETE FROM relations WHERE id = ?", "DELETE FROM members WHERE relation_id = ?",
        "DELETE FROM databags WHERE relation_id = ?"}) {
    SQLite::Statement q(db_, sql);
    q.bind(1, id);
    q.exec();
  }
}

std::vector<std::string> ModelDb::members(int relation_id, const std::string& unit_name) {
  SQLite::Statement q(db_, "SELECT remote_unit FROM members WHERE relation_id = ? AND unit = ?");
  q.bind(1, relation_id);
  q.bind(2, unit_name);
  std::vector<std::pair<std::pair<std::string, int>, std::string>> sorted;
  while (q.executeStep()) {
    auto name = q.getColumn(0).getString();
    sorted.push_back({{unit_app(name), unit_number(name)}, name});
  }
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::string> out;
  for (auto& s : sorted) out.push_back(s.second);
  return out;
}

void ModelDb::add_member(int relation_id, const std::string& unit_name,
                         const std::string& remote_unit) {
  SQLite::Statement q(db_, "INSERT OR IGNORE INTO members VALUES (?, ?, ?)");
  q.bind(1, relation_id);
  q.bind(2, unit_name);
  q.bind(3, remote_unit);
  q.exec();
}

void ModelDb::remove_member(int relation_id, const std::string& unit_name,
                            const std::string& remote_unit) {
  SQLite::Statement q(db_,
                      "DELETE FROM members WHERE relation_id = ? AND unit = ? AND remote_unit = ?");
  q.bind(1, relation_id);
  q.bind(2, unit_name);
  q.bind(3, remote_unit);
  q.exec();
}

std::map<std::string, std::string> ModelDb::databag(int relation_id, const std::string& owner) {
  SQLite::Statement q(db_, "SELECT key, value FROM databags WHERE relation_id = ? AND owner = ?");
  q.bind(1, relation_id);
  q.bind(2, owner);
  std::map<std::string, std::string> out;
  while (q.executeStep()) out[q.getColumn(0).getString()] = q.getColumn(1).getString();
  return out;
}

bool ModelDb::update_databag(int relation_id, const std::string& owner,
                             const std::map<std::string, std::string>& changes) {
  const auto before = databag(relation_id, owner);
  bool changed = false;
  for (const auto& [key, value] : changes) {
    auto it = before.find(key);
    if (value.empty()) {
      if (it == before.end()) continue;
      SQLite::Statement q(db_,
                          "DELETE FROM databags WHERE relation_id = ? AND owner = ? AND key = ?");
      q.bind(1, relation_id);
      q.bind(2, owner);
      q.bind(3, key);
      q.exec();
      changed = true;
    } else {
      if (it != before.end() && it->second == value) continue;
      SQLite::Statement q(db_, "INSERT OR REPLACE INTO databags VALUES (?, ?, ?, ?)");
      q.bind(1, relation_id);
      q.bind(2, owner);
      q.bind(3, key);
      q.bind(4, value);
      q.exec();
      changed = true;
    }
  }
  return changed;
}

long long ModelDb::enqueue(const HookSpec& hook) {
  SQLite::Statement q(db_, "INSERT INTO hook_queue (spec, unit) VALUES (?, ?)");
  q.bind(1, hook_to_json(hook).dump());
  q.bind(2, hook.unit);
  q.exec();
  return db_.getLastInsertRowid();
}

std::vector<HookSpec> ModelDb::queued(const std::string& unit_name) {
  std::string sql = "SELECT id, spec FROM hook_queue";
  if (!unit_name.empty()) sql += " WHERE unit = ?";
  sql += " ORDER BY id";
  SQLite::Statement q(db_, sql);
  if (!unit_name.empty()) q.bind(1, unit_name);
  std::vector<HookSpec> out;
  while (q.executeStep()) {
    out.push_back(hook_from_json(q.getColumn(0).getInt64(),
                                 nlohmann::json::parse(q.getColumn(1).getString())));
  }
  return out;
}

void ModelDb::dequeue(long long id) {
  SQLite::Statement q(db_, "DELETE FROM hook_queue WHERE id = ?");
  q.bind(1, static_cast<int64_t>(id));
  q.exec();
}

void ModelDb::add_log(const std::string& unit_name, const std::string& level,
                      const std::string& source, const std::string& message) {
  SQLite::Statement q(db_,
                      "INSERT INTO logs (unit, level, source, message, ts) VALUES (?, ?, ?, ?, ?)");
  q.bind(1, unit_name);
  q.bind(2, level);
  q.bind(3, source);
  q.bind(4, message);
  q.bind(5, now_rfc3339());
  q.exec();
}

std::vector<LogRow> ModelDb::logs(long long after_id) {
  SQLite::Statement q(
      db_, "SELECT id, unit, level, source, message, ts FROM logs WHERE id > ? ORDER BY id");
  q.bind(1, static_cast<int64_t>(after_id));
  std::vector<LogRow> out;
  while (q.executeStep()) {
    out.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getString(),
                   q.getColumn(2).getString(), q.getColumn(3).getString(),
                   q.getColumn(4).getString(), q.getColumn(5).getString()});
  }
  return out;
}

void ModelDb::insert_action(const ActionRow& a) {
  SQLite::Statement q(db_, "INSERT INTO actions VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  q.bind(1, a.uuid);
  q.bind(2, a.unit);
  q.bind(3, a.name);
  q.bind(4, a.params.dump());
  q.bind(5, a.status);
  q.bind(6, a.message);
  q.bind(7, a.results.dump());
  q.bind(8, nlohmann::json(a.log).dump());
  q.exec();
}

std::optional<ActionRow> ModelDb::action(const std::string& uuid) {
  SQLite::Statement q(db_,
                      "SELECT uuid, unit, name, params, status, message, results, log "
                      "FROM actions WHERE uuid = ?");
  q.bind(1, uuid);
  if (!q.executeStep()) return std::nullopt;
  ActionRow a;
  a.uuid = q.getColumn(0).getString();
  a.unit = q.getColumn(1).getString();
  a.name = q.getColumn(2).getString();
  a.params = nlohmann::json::parse(q.getColumn(3).getString());
  a.status = q.getColumn(4).getString();
  a.message = q.getColumn(5).getString();
  a.results = nlohmann::json::parse(q.getColumn(6).getString());
  a.log = nlohmann::json::parse(q.getColumn(7).getString()).get<std::vector<std::string>>();
  return a;
}

void ModelDb::update_action(const ActionRow& a) {
  SQLite::Statement q(db_,
                      "UPDATE actions SET status = ?, message = ?, results = ?, log = ? "
                      "WHERE uuid = ?");
  q.bind(1, a.status);
  q.bind(2, a.message);
  q.bind(3, a.results.dump());
  q.bind(4, nlohmann::json(a.log).dump());
  q.bind(5, a.uuid);
  q.exec();
}

std::vector<std::string> ModelDb::ports(const std::string& unit_name) {
  SQLite::Statement q(db_, "SELECT port FROM ports WHERE unit = ? ORDER BY port");
  q.bind(1, unit_name);
  std::vector<std::string> out;
  while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  return out;
}

void ModelDb::add_pending(const std::string& run_id, const nlohmann::json& op) {
  SQLite::Statement q(db_, "INSERT INTO pending (run_id, op) VALUES (?, ?)");
  q.bind(1, run_id);
  q.bind(2, op.dump());
  q.exec();
}

std::vector<nlohmann::json> ModelDb::pending(const std::string& run_id) {
  SQLite::Statement q(db_, "SELECT op FROM pending WHERE run_id = ? ORDER BY id");
  q.bind(1, run_id);
  std::vector<nlohmann::json> out;
  while (q.executeStep()) out.push_back(nlohmann::json::parse(q.getColumn(0).getString()));
  return out;
}

void ModelDb::drop_pending(const std::string& run_id) {
  SQLite::Statement q(db_, "DELETE FROM pending WHERE run_id = ?");
  q.bind(1, run_id);
  q.exec();
}

int unit_number(const std::string& unit_name) {
  auto pos = unit_name.rfind('/');
  if (pos == std::string::npos) throw SimError("invalid unit name \"" + unit_name + "\"");
  auto n = parse_int(unit_name.substr(pos + 1));
  if (!n || *n < 0) throw SimError("invalid unit name \"" + unit_name + "\"");
  return static_cast<int>(*n);
}

std::string unit_app(const std::string& unit_name) {
  auto pos = unit_name.rfind('/');
  if (pos == std::string::npos) throw SimError("invalid unit name \"" + unit_name + "\"");
  return unit_name.substr(0, pos);
}

}  // namespace ops_sim
