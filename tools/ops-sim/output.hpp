// What the CLI prints: status (tabular and JSON), show-unit, config and
// action results (YAML), and debug-log lines.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "model_db.hpp"

namespace ops_sim {

// `ops-sim status` as a table (apps, units, integrations).
std::string status_table(ModelDb& db);
// `ops-sim status --format=json`.
nlohmann::ordered_json status_json(ModelDb& db);
// `ops-sim show-unit APP/N` (YAML, with relation databags).
std::string show_unit(ModelDb& db, const std::string& unit);
// Renders JSON as block YAML (keys in the JSON's order).
std::string to_yaml(const nlohmann::ordered_json& value);
// `ops-sim debug-log` lines; include filters by unit or app, level is the minimum.
std::string debug_log(ModelDb& db, const std::string& include, const std::string& level);

}  // namespace ops_sim
