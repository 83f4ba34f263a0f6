// What Juju told this dispatch through its environment.
//
// Juju runs the charm's `dispatch` once per event and describes the event in
// JUJU_* environment variables. JujuContext reads them from a name -> value
// map (the real environment in production, a literal map in tests), converts
// what has structure (JUJU_RELATION_ID "db:3" -> 3, JUJU_STORAGE_ID "data/1"
// -> name "data" and index 1, JUJU_VERSION -> JujuVersion) and checks that the
// variables the current event needs are present. A missing or malformed
// variable throws ops::JujuContextError naming it.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "ops/juju_version.hpp"

namespace ops {

struct JujuContext {
  // Always set by Juju.
  std::string dispatch_path;  // JUJU_DISPATCH_PATH, e.g. "hooks/db-relation-changed"
  std::string hook_name;      // JUJU_HOOK_NAME ("" for actions and older Juju)
  std::string unit_name;      // JUJU_UNIT_NAME, e.g. "redis-k8s/0"
  std::string model_name;     // JUJU_MODEL_NAME
  std::string model_uuid;     // JUJU_MODEL_UUID
  JujuVersion version = JujuVersion::unknown();  // JUJU_VERSION ("0.0.0" when unset)
  std::filesystem::path charm_dir;               // JUJU_CHARM_DIR

  // Set in every hook, with defaults.
  std::optional<std::string> availability_zone;  // JUJU_AVAILABILITY_ZONE
  bool debug = false;                            // JUJU_DEBUG is present
  std::set<std::string> debug_at;                // JUJU_DEBUG_AT, comma separated
  std::optional<int> machine_id;                 // JUJU_MACHINE_ID
  std::optional<std::string> principal_unit;     // JUJU_PRINCIPAL_UNIT

  // Per kind of event.
  std::optional<std::string> action_name;                   // JUJU_ACTION_NAME
  std::optional<std::string> action_uuid;                   // JUJU_ACTION_UUID
  std::optional<std::string> relation_name;                 // JUJU_RELATION
  std::optional<int> relation_id;                           // JUJU_RELATION_ID ("db:3" -> 3)
  std::optional<std::string> remote_unit_name;              // JUJU_REMOTE_UNIT
  std::optional<std::string> remote_app_name;               // JUJU_REMOTE_APP
  std::optional<std::string> relation_departing_unit_name;  // JUJU_DEPARTING_UNIT
  std::optional<std::string> workload_name;                 // JUJU_WORKLOAD_NAME
  std::optional<std::string> notice_id;                     // JUJU_NOTICE_ID
  std::optional<std::string> notice_type;                   // JUJU_NOTICE_TYPE
  std::optional<std::string> notice_key;                    // JUJU_NOTICE_KEY
  std::optional<std::string> pebble_check_name;             // JUJU_PEBBLE_CHECK_NAME
  std::optional<std::string> secret_id;                     // JUJU_SECRET_ID
  std::optional<std::string> secret_label;                  // JUJU_SECRET_LABEL
  std::optional<int> secret_revision;                       // JUJU_SECRET_REVISION
  std::optional<std::string> storage_name;                  // JUJU_STORAGE_ID "data/1" -> "data"
  std::optional<int> storage_index;                         // JUJU_STORAGE_ID "data/1" -> 1

  // Reads the variables from `env` without checking which are required.
  // Empty values count as unset. Throws JujuContextError on a malformed
  // value (a relation id that is not a number, a bad JUJU_VERSION, ...).
  [[nodiscard]] static JujuContext from_map(const std::map<std::string, std::string>& env);

  // from_map() over the process environment, then validate().
  [[nodiscard]] static JujuContext from_environ();

  // Reads the process environment into a map (only JUJU_* variables).
  [[nodiscard]] static std::map<std::string, std::string> environ_map();

  // The application's name: unit_name up to the "/".
  [[nodiscard]] std::string app_name() const;

  // The event kind the dispatch path names: "hooks/db-relation-changed" ->
  // "db-relation-changed", "actions/get-password" -> "get-password".
  [[nodiscard]] std::string dispatch_name() const;
  // True when the dispatch path is under actions/.
  [[nodiscard]] bool is_action() const;

  // Checks that every variable the event named by the dispatch path needs is
  // set: always JUJU_DISPATCH_PATH, JUJU_UNIT_NAME and JUJU_MODEL_NAME; for
  // relation hooks JUJU_RELATION and JUJU_RELATION_ID (+ JUJU_REMOTE_UNIT for
  // joined/changed/departed, JUJU_DEPARTING_UNIT for departed); for actions
  // JUJU_ACTION_NAME and JUJU_ACTION_UUID; for workload hooks
  // JUJU_WORKLOAD_NAME (+ the notice or check variables); for storage hooks
  // JUJU_STORAGE_ID; for secret hooks JUJU_SECRET_ID (+ JUJU_SECRET_REVISION
  // for secret-remove and secret-expired). Throws JujuContextError naming the
  // first missing variable.
  void validate() const;
};

}  // namespace ops
