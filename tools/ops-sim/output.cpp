#include "output.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>

#include "pods.hpp"
#include "util.hpp"

namespace ops_sim {

namespace {

using ojson = nlohmann::ordered_json;

// The application status Juju derives from its units when the charm set none.
std::pair<std::string, std::string> app_status(ModelDb& db, const AppRow& app) {
  if (app.status != "unknown") return {app.status, app.message};
  static const std::map<std::string, int> kSeverity = {{"error", 5},       {"blocked", 4},
                                                       {"maintenance", 3}, {"waiting", 2},
                                                       {"active", 1},      {"unknown", 0}};
  std::pair<std::string, std::string> worst{"unknown", ""};
  int severity = -1;
  for (const auto& u : db.units(app.name)) {
    std::string status = u.agent_status == "error" ? "error" : u.workload_status;
    std::string message =
        u.agent_status == "error" ? "hook failed: \"" + u.error_hook + "\"" : u.workload_message;
    auto it = kSeverity.find(status);
    int s = it == kSeverity.end() ? 0 : it->second;
    if (s > severity) {
      severity = s;
      worst = {status, message};
    }
  }
  return worst;
}

}  // namespace

std::pair<std::string, std::string> agent_status(ModelDb& db, const UnitRow& u) {
  if (u.agent_status == "error") return {"error", "hook failed: \"" + u.error_hook + "\""};
  if (auto running = db.meta("running:" + u.name)) {
    return {u.dying ? "dying" : "executing", *running};
  }
  if (!db.queued(u.name).empty()) return {u.dying ? "dying" : "executing", "hooks queued"};
  return {u.dying ? "dying" : "idle", ""};
}

namespace {

std::pair<std::string, std::string> unit_status(const UnitRow& u) {
  if (u.agent_status == "error") return {"error", "hook failed: \"" + u.error_hook + "\""};
  return {u.workload_status, u.workload_message};
}

std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

void emit(YAML::Emitter& out, const ojson& v) {
  if (v.is_object()) {
    if (v.empty()) {
      out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
      return;
    }
    out << YAML::BeginMap;
    for (const auto& [k, item] : v.items()) {
      out << YAML::Key << k << YAML::Value;
      emit(out, item);
    }
    out << YAML::EndMap;
  } else if (v.is_array()) {
    if (v.empty()) {
      out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
      return;
    }
    out << YAML::BeginSeq;
    for (const auto& item : v) emit(out, item);
    out << YAML::EndSeq;
  } else if (v.is_string()) {
    const auto s = v.get<std::string>();
    // Quote strings that would read back as another type.
    const bool ambiguous = s.empty() || parse_int(s) || s == "true" || s == "false" ||
                           s == "True" || s == "False" || s == "null" || s == "~" || s == "yes" ||
                           s == "no";
    if (ambiguous) {
      out << YAML::DoubleQuoted << s;
    } else {
      out << s;
    }
  } else if (v.is_boolean()) {
    out << YAML::TrueFalseBool << v.get<bool>();
  } else if (v.is_null()) {
    out << YAML::Null;
  } else {
    out << v.dump();
  }
}

}  // namespace

std::string to_yaml(const ojson& value) {
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetSeqFormat(YAML::Block);
  emit(out, value);
  std::string s = out.c_str();
  return s + "\n";
}

std::string status_table(ModelDb& db) {
  std::string out;
  const auto workloads = db.meta("workloads").value_or("simulate");
  out += table({{"Model", "Workloads", "Pods"},
                {db.model_name(), workloads, db.meta("pods").value_or("0") == "1" ? "on" : "off"}});
  const auto apps = db.apps();
  if (apps.empty()) return out;
  std::vector<std::vector<std::string>> app_rows = {
      {"App", "Version", "Status", "Scale", "Charm", "Message"}};
  for (const auto& app : apps) {
    auto [status, message] = app_status(db, app);
    app_rows.push_back({app.name, app.version, status, std::to_string(db.units(app.name).size()),
                        app.charm.name, message});
  }
  out += "\n" + table(app_rows);
  std::vector<std::vector<std::string>> unit_rows = {
      {"Unit", "Workload", "Agent", "Address", "Message"}};
  for (const auto& app : apps) {
    for (const auto& u : db.units(app.name)) {
      auto [status, message] = unit_status(u);
      std::string agent = agent_status(db, u).first;
      if (agent == "error") agent = "idle";
      unit_rows.push_back(
          {u.name + (app.leader == u.name ? "*" : ""), status, agent, u.address, message});
    }
  }
  if (unit_rows.size() > 1) out += "\n" + table(unit_rows);
  std::vector<std::vector<std::string>> rel_rows = {
      {"Integration provider", "Requirer", "Interface", "Type"}};
  for (const auto& rel : db.relations()) {
    rel_rows.push_back({rel.app1 + ":" + rel.endpoint1, rel.app2 + ":" + rel.endpoint2,
                        rel.interface, rel.peer ? "peer" : (rel.broken ? "removing" : "regular")});
  }
  if (rel_rows.size() > 1) out += "\n" + table(rel_rows);
  return out;
}

ojson status_json(ModelDb& db) {
  ojson out;
  out["model"] = {{"name", db.model_name()},
                  {"uuid", db.model_uuid()},
                  {"workloads", db.meta("workloads").value_or("simulate")},
                  {"pods", db.meta("pods").value_or("0") == "1"}};
  ojson apps = ojson::object();
  const auto relations = db.relations();
  for (const auto& app : db.apps()) {
    ojson a;
    auto [status, message] = app_status(db, app);
    a["charm"] = app.charm.name;
    a["scale"] = db.units(app.name).size();
    a["version"] = app.version;
    a["application-status"] = {{"current", status}, {"message", message}};
    ojson units = ojson::object();
    for (const auto& u : db.units(app.name)) {
      auto [ustatus, umessage] = unit_status(u);
      units[u.name] = {
          {"workload-status", {{"current", ustatus}, {"message", umessage}}},
          {"juju-status",
           {{"current", agent_status(db, u).first}, {"message", agent_status(db, u).second}}},
          {"leader", app.leader == u.name},
          {"address", u.address},
          {"open-ports", db.ports(u.name)}};
    }
    a["units"] = units;
    ojson rels = ojson::object();
    for (const auto& rel : relations) {
      if (!rel.involves(app.name)) continue;
      rels[rel.endpoint_of(app.name)].push_back(rel.remote_app_of(app.name));
    }
    a["relations"] = rels;
    apps[app.name] = a;
  }
  out["applications"] = apps;
  ojson rels = ojson::array();
  for (const auto& rel : relations) {
    rels.push_back({{"id", rel.id},
                    {"provider", rel.app1 + ":" + rel.endpoint1},
                    {"requirer", rel.app2 + ":" + rel.endpoint2},
                    {"interface", rel.interface},
                    {"type", rel.peer ? "peer" : "regular"}});
  }
  out["relations"] = rels;
  return out;
}

std::string show_unit(ModelDb& db, const std::string& unit_name) {
  const auto unit = db.require_unit(unit_name);
  const auto app = db.require_app(unit.app);
  auto [status, message] = unit_status(unit);
  ojson info;
  info["workload-version"] = app.version;
  info["workload-status"] = {{"current", status}, {"message", message}};
  info["opened-ports"] = db.ports(unit_name);
  info["charm"] = app.charm.name;
  info["leader"] = app.leader == unit_name;
  info["life"] = unit.dying ? "dying" : "alive";
  ojson rels = ojson::array();
  for (const auto& rel : db.relations()) {
    if (!rel.involves(unit.app)) continue;
    ojson r;
    r["relation-id"] = rel.id;
    r["endpoint"] = rel.endpoint_of(unit.app);
    const auto remote_app = rel.remote_app_of(unit.app);
    r["related-endpoint"] = rel.peer ? rel.endpoint1 : rel.endpoint_of(remote_app);
    r["application-data"] = ojson(db.databag(rel.id, remote_app));
    if (rel.peer) r["application-data"] = ojson(db.databag(rel.id, unit.app));
    r["local-unit"] = {{"in-scope", true}, {"data", ojson(db.databag(rel.id, unit_name))}};
    ojson related = ojson::object();
    for (const auto& m : db.members(rel.id, unit_name)) {
      related[m] = {{"in-scope", true}, {"data", ojson(db.databag(rel.id, m))}};
    }
    r["related-units"] = related;
    rels.push_back(r);
  }
  info["relation-info"] = rels;
  info["provider-id"] = unit_hostname(unit_name);
  info["address"] = unit.address;
  ojson out;
  out[unit_name] = info;
  return to_yaml(out);
}

namespace {

int log_level(const std::string& level) {
  static const std::map<std::string, int> kLevels = {{"TRACE", 0},   {"DEBUG", 1}, {"INFO", 2},
                                                     {"WARNING", 3}, {"ERROR", 4}, {"CRITICAL", 5}};
  std::string upper = level;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  auto it = kLevels.find(upper);
  if (it == kLevels.end()) {
    if (level.empty()) return 0;
    return -1;
  }
  return it->second;
}

// The log rows a debug-log call shows, in order.
std::vector<LogRow> selected_logs(ModelDb& db, const std::string& include, const std::string& level,
                                  long long after_id, long long* last_id) {
  const int min_level = log_level(level);
  if (min_level < 0) throw SimError("unknown log level \"" + level + "\"");
  std::vector<LogRow> out;
  for (auto& log : db.logs(after_id)) {
    if (last_id) *last_id = log.id;
    if (!include.empty() && log.unit != include && unit_app(log.unit) != include) continue;
    if (log_level(log.level) >= 0 && log_level(log.level) < min_level) continue;
    out.push_back(std::move(log));
  }
  return out;
}

std::string log_module(const LogRow& log) {
  return log.source == "uniter" ? "juju.worker.uniter.operation"
                                : "unit." + log.unit + "." + log.source;
}

}  // namespace

std::string debug_log(ModelDb& db, const std::string& include, const std::string& level,
                      long long after_id, long long* last_id) {
  std::string out;
  for (const auto& log : selected_logs(db, include, level, after_id, last_id)) {
    const auto time = log.timestamp.size() >= 19 ? log.timestamp.substr(11, 8) : log.timestamp;
    out += "unit-" + unit_hostname(log.unit) + ": " + time + " " + log.level + " " +
           log_module(log) + " " + log.message + "\n";
  }
  return out;
}

std::string debug_log_json(ModelDb& db, const std::string& include, const std::string& level,
                           long long after_id, long long* last_id) {
  std::string out;
  const auto uuid = db.model_uuid();
  for (const auto& log : selected_logs(db, include, level, after_id, last_id)) {
    ojson line = {{"model-uuid", uuid},
                  {"timestamp", log.timestamp},
                  {"entity", "unit-" + unit_hostname(log.unit)},
                  {"level", log.level},
                  {"module", log_module(log)},
                  {"message", log.message}};
    out += line.dump() + "\n";
  }
  return out;
}

std::string status_log(ModelDb& db, const std::string& unit, const std::string& kind) {
  db.require_unit(unit);
  if (!kind.empty() && kind != "workload" && kind != "juju-unit" && kind != "unit") {
    throw SimError("unknown status type \"" + kind + "\": expected unit, workload or juju-unit");
  }
  std::vector<std::vector<std::string>> rows = {{"Time", "Type", "Status", "Message"}};
  for (const auto& h : db.status_history(unit)) {
    if (!kind.empty() && kind != "unit" && h.kind != kind) continue;
    std::string time = h.timestamp;
    if (time.size() >= 19) time = time.substr(0, 10) + " " + time.substr(11, 8) + "Z";
    rows.push_back({time, h.kind, h.status, h.message});
  }
  return table(rows);
}

}  // namespace ops_sim
