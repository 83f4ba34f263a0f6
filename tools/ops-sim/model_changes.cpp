#include "model_changes.hpp"

#include <algorithm>

#include "util.hpp"

namespace ops_sim {

namespace {

void exec(ModelDb& db, const std::string& sql, const std::vector<std::string>& args) {
  SQLite::Statement q(db.sql(), sql);
  for (size_t i = 0; i < args.size(); ++i) q.bind(static_cast<int>(i + 1), args[i]);
  q.exec();
}

}  // namespace

void apply_op(ModelDb& db, const nlohmann::json& op, ChangeEffects& effects) {
  const std::string kind = op.at("op");
  if (kind == "relation-set") {
    std::map<std::string, std::string> data = op.at("data");
    const int rel = op.at("relation_id");
    const std::string owner = op.at("owner");
    if (db.update_databag(rel, owner, data)) {
      ChangeEffects::Bag bag{rel, owner};
      if (std::find(effects.changed_bags.begin(), effects.changed_bags.end(), bag) ==
          effects.changed_bags.end()) {
        effects.changed_bags.push_back(bag);
      }
    }
  } else if (kind == "status-set") {
    if (op.at("target") == "app") {
      auto app = db.require_app(op.at("name"));
      app.status = op.at("status");
      app.message = op.at("message");
      db.update_app(app);
    } else {
      auto unit = db.require_unit(op.at("name"));
      unit.workload_status = op.at("status");
      unit.workload_message = op.at("message");
      db.update_unit(unit);
      db.add_status_history(unit.name, "workload", unit.workload_status, unit.workload_message);
    }
  } else if (kind == "app-version") {
    auto app = db.require_app(op.at("app"));
    app.version = op.at("version");
    db.update_app(app);
  } else if (kind == "open-port") {
    exec(db, "INSERT OR IGNORE INTO ports VALUES (?, ?)", {op.at("unit"), op.at("port")});
  } else if (kind == "close-port") {
    exec(db, "DELETE FROM ports WHERE unit = ? AND port = ?", {op.at("unit"), op.at("port")});
  } else if (kind == "state-set") {
    exec(db, "INSERT OR REPLACE INTO unit_state VALUES (?, ?, ?)",
         {op.at("unit"), op.at("key"), op.at("value")});
  } else if (kind == "state-delete") {
    exec(db, "DELETE FROM unit_state WHERE unit = ? AND key = ?", {op.at("unit"), op.at("key")});
  } else if (kind == "leader-set") {
    // Leader settings live in unit_state under the pseudo-unit "<app>/leader".
    const std::string owner = std::string(op.at("app")) + "/leader";
    for (const auto& [k, v] : op.at("data").items()) {
      if (v.get<std::string>().empty()) {
        exec(db, "DELETE FROM unit_state WHERE unit = ? AND key = ?", {owner, k});
      } else {
        exec(db, "INSERT OR REPLACE INTO unit_state VALUES (?, ?, ?)", {owner, k, v});
      }
    }
  } else if (kind == "secret-add") {
    SQLite::Statement q(db.sql(), "INSERT INTO secrets VALUES (?, ?, ?, ?, ?, ?, 1, ?)");
    q.bind(1, op.at("id").get<std::string>());
    q.bind(2, op.at("owner").get<std::string>());
    q.bind(3, op.at("label").get<std::string>());
    q.bind(4, op.at("description").get<std::string>());
    q.bind(5, op.at("rotate").get<std::string>());
    q.bind(6, op.at("expire").get<std::string>());
    q.bind(7, nlohmann::json{{"1", op.at("content")}}.dump());
    q.exec();
  } else if (kind == "secret-set") {
    const std::string id = op.at("id");
    for (const char* field : {"label", "description", "rotate", "expire"}) {
      if (op.contains(field)) {
        exec(db, std::string("UPDATE secrets SET ") + field + " = ? WHERE id = ?",
             {op.at(field), id});
      }
    }
    if (op.contains("content")) {
      // content keeps every revision: {"1": {...}, "2": {...}}.
      SQLite::Statement q(db.sql(), "SELECT revision, content FROM secrets WHERE id = ?");
      q.bind(1, id);
      if (!q.executeStep()) throw SimError("secret \"" + id + "\" not found");
      const int revision = q.getColumn(0).getInt() + 1;
      auto revisions = nlohmann::json::parse(q.getColumn(1).getString());
      q.reset();
      revisions[std::to_string(revision)] = op.at("content");
      SQLite::Statement u(db.sql(), "UPDATE secrets SET content = ?, revision = ? WHERE id = ?");
      u.bind(1, revisions.dump());
      u.bind(2, revision);
      u.bind(3, id);
      u.exec();
      effects.changed_secrets.push_back(id);
    }
  } else if (kind == "secret-remove" && op.contains("revision")) {
    SQLite::Statement q(db.sql(), "SELECT content FROM secrets WHERE id = ?");
    q.bind(1, op.at("id").get<std::string>());
    if (q.executeStep()) {
      auto revisions = nlohmann::json::parse(q.getColumn(0).getString());
      q.reset();
      revisions.erase(std::to_string(op.at("revision").get<int>()));
      exec(db, "UPDATE secrets SET content = ? WHERE id = ?", {revisions.dump(), op.at("id")});
    }
  } else if (kind == "secret-remove") {
    const std::string id = op.at("id");
    exec(db, "DELETE FROM secrets WHERE id = ?", {id});
    exec(db, "DELETE FROM secret_access WHERE secret_id = ?", {id});
    exec(db, "DELETE FROM secret_consumers WHERE secret_id = ?", {id});
    effects.removed_secrets.push_back(id);
  } else if (kind == "secret-grant") {
    SQLite::Statement q(db.sql(), "INSERT OR REPLACE INTO secret_access VALUES (?, ?, ?)");
    q.bind(1, op.at("id").get<std::string>());
    q.bind(2, op.at("grantee").get<std::string>());
    q.bind(3, op.at("relation_id").get<int>());
    q.exec();
  } else if (kind == "secret-revoke") {
    exec(db, "DELETE FROM secret_access WHERE secret_id = ? AND grantee = ?",
         {op.at("id"), op.at("grantee")});
  } else if (kind == "secret-track") {
    SQLite::Statement q(db.sql(), "INSERT OR REPLACE INTO secret_consumers VALUES (?, ?, ?, ?)");
    q.bind(1, op.at("id").get<std::string>());
    q.bind(2, op.at("unit").get<std::string>());
    q.bind(3, op.at("label").get<std::string>());
    q.bind(4, op.at("revision").get<int>());
    q.exec();
  } else if (kind == "storage-add") {
    exec(db, "INSERT INTO storage VALUES (?, ?, ?, ?)",
         {op.at("id"), op.at("unit"), op.at("name"), op.at("location")});
    effects.added_storage.emplace_back(op.at("unit"), op.at("id"));
  } else {
    throw SimError("unknown pending operation \"" + kind + "\"");
  }
}

void with_overlay(ModelDb& db, const std::string& run_id, const std::function<void()>& fn) {
  SQLite::Transaction tx(db.sql());  // never committed: rolled back on scope exit
  ChangeEffects ignored;
  if (!run_id.empty()) {
    for (const auto& op : db.pending(run_id)) apply_op(db, op, ignored);
  }
  fn();
}

ChangeEffects commit_pending(ModelDb& db, const std::string& run_id,
                             const std::function<void()>& also) {
  SQLite::Transaction tx(db.sql());
  ChangeEffects effects;
  for (const auto& op : db.pending(run_id)) apply_op(db, op, effects);
  db.drop_pending(run_id);
  if (also) also();
  tx.commit();
  return effects;
}

}  // namespace ops_sim
