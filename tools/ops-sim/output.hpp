// What the CLI prints: status (tabular and JSON), show-unit, config and
// action results (YAML), and debug-log lines.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "model_db.hpp"

namespace ops_sim {

// `ops-sim status` as a table (apps, units, integrations).
std::string status_table(ModelDb& db);
// A unit's agent status and message as juju status shows them: "executing"
// ("running X hook") while a hook runs or hooks are queued, "error", "dying"
// or "idle".
std::pair<std::string, std::string> agent_status(ModelDb& db, const UnitRow& unit);
// The status history of a unit (juju show-status-log).
std::string status_log(ModelDb& db, const std::string& unit, const std::string& kind);
// debug-log lines as JSON objects, one per line.
std::string debug_log_json(ModelDb& db, const std::string& include, const std::string& level,
                           long long after_id, long long* last_id);
// `ops-sim status --format=json`.
nlohmann::ordered_json status_json(ModelDb& db);
// `ops-sim show-unit APP/N` (YAML, with relation databags).
std::string show_unit(ModelDb& db, const std::string& unit);
// Renders JSON as block YAML (keys in the JSON's order).
std::string to_yaml(const nlohmann::ordered_json& value);
// `ops-sim debug-log` lines; include filters by unit or app, level is the minimum.
std::string debug_log(ModelDb& db, const std::string& include, const std::string& level,
                      long long after_id = 0, long long* last_id = nullptr);

}  // namespace ops_sim
