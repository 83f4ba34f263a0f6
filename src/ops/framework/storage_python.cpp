// Python ops snapshots to ops-cpp snapshots: see detail/storage_python.hpp.
//
// Each event family has one conversion function from the dict Python ops'
// event.snapshot() returns (ops/charm.py) to the snapshot the ops-cpp event
// class restores (src/ops/charm_events.cpp). The keys are the same; the
// conversions check the types our restore() needs, drop what ours does not
// store (None for an absent app or unit), and refuse a snapshot our event
// could not restore, so the failure happens at the migration, with the file
// untouched, rather than in every later dispatch.
#include <stdexcept>
#include <string>

#include "ops/detail/pickle.hpp"
#include "ops/detail/storage_python.hpp"

namespace ops::detail {
namespace {

using nlohmann::json;

MigrationCheckpoint g_checkpoint = nullptr;

// The kind of a charm event "<Charm>/on/<kind>[<n>]", or empty for any
// other handle (custom events of other emitters, stored state).
std::string_view charm_event_kind(std::string_view path) {
  const auto first = path.find('/');
  if (first == std::string_view::npos ||
      path.substr(0, first).find('[') != std::string_view::npos) {
    return {};
  }
  std::string_view rest = path.substr(first + 1);
  if (rest.substr(0, 3) != "on/") return {};
  rest = rest.substr(3);
  const auto open = rest.find('[');
  if (open == std::string_view::npos || rest.find('/') != std::string_view::npos ||
      rest.back() != ']' || open + 2 > rest.size() - 1) {
    return {};
  }
  for (char c : rest.substr(open + 1, rest.size() - open - 2)) {
    if (c < '0' || c > '9') return {};
  }
  return rest.substr(0, open);
}

[[noreturn]] void bad(const std::string& what) { throw std::runtime_error(what); }

const json& field(const json& py, const char* key, const char* family) {
  if (!py.is_object())
    bad(std::string("a ") + family + " event snapshot must be a dict, got " + py.dump());
  auto it = py.find(key);
  if (it == py.end() || it->is_null()) {
    bad(std::string("the ") + family + " event snapshot has no '" + key +
        "' (ops-cpp needs it to restore the event): " + py.dump());
  }
  return *it;
}

std::string text(const json& py, const char* key, const char* family) {
  const json& v = field(py, key, family);
  if (!v.is_string())
    bad(std::string("'") + key + "' of the " + family +
        " event snapshot is not a str: " + v.dump());
  return v.get<std::string>();
}

std::int64_t integer(const json& py, const char* key, const char* family) {
  const json& v = field(py, key, family);
  if (!v.is_number_integer())
    bad(std::string("'") + key + "' of the " + family +
        " event snapshot is not an int: " + v.dump());
  return v.get<std::int64_t>();
}

void optional_text(const json& py, json& out, const char* key, const char* family) {
  auto it = py.find(key);
  if (it == py.end() || it->is_null()) return;
  if (!it->is_string())
    bad(std::string("'") + key + "' of the " + family +
        " event snapshot is not a str: " + it->dump());
  if (!it->get_ref<const std::string&>().empty()) out[key] = *it;
}

// ---- one function per event family ------------------------------------------

// RelationEvent (and departed): relation_name, relation_id, app_name?, unit_name?,
// departing_unit?.
json relation_event(const json& py) {
  json out = {{"relation_name", text(py, "relation_name", "relation")},
              {"relation_id", integer(py, "relation_id", "relation")}};
  optional_text(py, out, "app_name", "relation");
  optional_text(py, out, "unit_name", "relation");
  optional_text(py, out, "departing_unit", "relation");
  return out;
}

// WorkloadEvent (pebble-ready), PebbleNoticeEvent, PebbleCheckEvent.
json workload_event(const json& py, std::string_view kind) {
  json out = {{"container_name", text(py, "container_name", "workload")}};
  if (kind.ends_with("_pebble_custom_notice")) {
    for (const char* key : {"notice_id", "notice_type", "notice_key"}) {
      out[key] = text(py, key, "Pebble notice");
    }
  } else if (kind.ends_with("_pebble_check_failed") || kind.ends_with("_pebble_check_recovered")) {
    out["check_name"] = text(py, "check_name", "Pebble check");
  }
  return out;
}

// SecretEvent: id, label (str or None); expired and remove add revision.
json secret_event(const json& py, std::string_view kind) {
  json out = {{"id", text(py, "id", "secret")}, {"label", nullptr}};
  auto label = py.find("label");
  if (label != py.end() && !label->is_null()) {
    if (!label->is_string())
      bad("'label' of the secret event snapshot is not a str: " + label->dump());
    out["label"] = *label;
  }
  if (kind == "secret_expired" || kind == "secret_remove") {
    out["revision"] = integer(py, "revision", "secret");
  }
  return out;
}

// StorageEvent: storage_name, storage_index, storage_location.
json storage_event(const json& py) {
  return {{"storage_name", text(py, "storage_name", "storage")},
          {"storage_index", integer(py, "storage_index", "storage")},
          {"storage_location", text(py, "storage_location", "storage")}};
}

// ActionEvent: id (Python ops never defers actions; converted for completeness).
json action_event(const json& py) { return {{"id", text(py, "id", "action")}}; }

// Hook events without data: Python ops snapshots {} where ops-cpp stores null.
json hook_event_without_data(const json& py) {
  if (py.is_object() && py.empty()) return nullptr;
  return py;
}

bool is_hook_without_data(std::string_view kind) {
  static constexpr std::string_view kKinds[] = {"install",
                                                "start",
                                                "stop",
                                                "remove",
                                                "update_status",
                                                "config_changed",
                                                "upgrade_charm",
                                                "pre_series_upgrade",
                                                "post_series_upgrade",
                                                "leader_elected",
                                                "leader_settings_changed",
                                                "collect_metrics"};
  for (std::string_view k : kKinds) {
    if (k == kind) return true;
  }
  return false;
}

json convert_event(std::string_view kind, const json& py) {
  static constexpr std::string_view kRelation[] = {"_relation_created", "_relation_joined",
                                                   "_relation_changed", "_relation_departed",
                                                   "_relation_broken"};
  static constexpr std::string_view kWorkload[] = {
      "_pebble_ready", "_pebble_custom_notice", "_pebble_check_failed", "_pebble_check_recovered"};
  for (std::string_view suffix : kRelation) {
    if (kind.ends_with(suffix)) return relation_event(py);
  }
  for (std::string_view suffix : kWorkload) {
    if (kind.ends_with(suffix)) return workload_event(py, kind);
  }
  if (kind == "secret_changed" || kind == "secret_rotate" || kind == "secret_expired" ||
      kind == "secret_remove") {
    return secret_event(py, kind);
  }
  if (kind.ends_with("_storage_attached") || kind.ends_with("_storage_detaching")) {
    return storage_event(py);
  }
  if (kind.ends_with("_action")) return action_event(py);
  if (is_hook_without_data(kind)) return hook_event_without_data(py);
  return py;  // a custom event on the charm's `on`: its dict as it is
}

bool is_stored_state(std::string_view path) {
  const auto slash = path.rfind('/');
  const std::string_view last = slash == std::string_view::npos ? path : path.substr(slash + 1);
  return last.substr(0, 16) == "StoredStateData[";
}

}  // namespace

json convert_python_snapshot(std::string_view handle_path, std::string_view data) {
  json py = pickle::unpickle(data);
  if (is_stored_state(handle_path)) {
    if (!py.is_object()) bad("stored state must be a dict, got " + py.dump());
    return py;
  }
  const std::string_view kind = charm_event_kind(handle_path);
  if (!kind.empty()) return convert_event(kind, py);
  return py;
}

void set_migration_checkpoint(MigrationCheckpoint checkpoint) noexcept {
  g_checkpoint = checkpoint;
}

void migration_checkpoint(MigrationPoint point) {
  if (g_checkpoint != nullptr) g_checkpoint(point);
}

}  // namespace ops::detail
