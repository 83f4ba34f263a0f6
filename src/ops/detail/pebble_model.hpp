// The Pebble of one container as a model: the layers and the plan they make
// (with Pebble's combine and validation rules), service start/stop planning,
// changes, check state and notices. One model, two fronts: the testing
// FakePebble calls it in process, tools/pebble-server serves it over HTTP.
// Not part of the public API (charm authors see it only through
// pebble::Client).
//
// Errors are the exceptions the HTTP client raises for the same request, so
// that both fronts fail alike: APIError with Pebble's status code and
// message, PathError for file operations (see pebble_files.hpp).
//
// Not thread-safe: the server calls it under its own lock.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ops/pebble.hpp"

namespace ops::pebble::detail {

// The error envelope Pebble answers with, as the client raises it.
APIError api_error(int code, const std::string& message, const std::string& kind = {});
// The reason phrase of an HTTP status code ("Bad Request").
std::string status_text(int code);
// The current time as Pebble writes it (RFC 3339, UTC, microseconds).
std::string timestamp_now();
// Go's %q quoting of a string (JSON quoting is the same for what we name).
std::string go_quote(const std::string& text);
// The Error that Client::pull(path) throws (client and FakePebble alike)
// for a file larger than kMaxPullSize.
Error pull_too_large(const std::string& path);

// The keys of a YAML mapping's top level (none when the text is not a
// mapping or not YAML). Defined with the YAML code in pebble_types.cpp.
std::vector<std::string> yaml_top_level_keys(std::string_view yaml);
// Pebble decodes each built-in section of a layer strictly (go-yaml's
// KnownFields): a field its Service, Check (HTTPCheck, TCPCheck, ExecCheck)
// or LogTarget type does not have is refused. Returns the first section, in
// document order, with such fields and go-yaml's message for it ("yaml:
// unmarshal errors:\n  line 3: field foo not found in type plan.Service"),
// lines counted in the section as Pebble re-encodes it (comments aside);
// nullopt when every field is known. Defined in pebble_types.cpp.
std::optional<std::pair<std::string, std::string>> yaml_unknown_fields(std::string_view yaml);

// ------------------------------------------------------------- validation
//
// Each function throws APIError(400) with Pebble's message (the text its
// POST /v1/layers answers with) when the rule is broken.

// Layer.Validate: names, actions, check level/startup/period/timeout, exec
// check command and user/group, log-target labels and type. Pebble reports
// these as "cannot parse layer YAML: <reason>".
void validate_layer(const std::string& label, const Layer& layer);
// CombineLayers: every service, check and log target must say how it
// overrides ("merge" or "replace").
Layer combine_layers(const std::vector<std::pair<std::string, Layer>>& layers);
// Plan.Validate: service commands, one check type with its required field,
// exec-check service context, log-target type/location/services, and no
// before/after cycle.
void validate_plan(const Plan& plan);

// The services to start for `names`, each after what it must follow (Pebble's
// StartOrder); StopOrder is its mirror. Throw APIError(400) "service "x" does
// not exist" or "services in before/after loop: a, b".
std::vector<std::string> start_order(const Plan& plan, const std::vector<std::string>& names);
std::vector<std::string> stop_order(const Plan& plan, const std::vector<std::string>& names);

// Parses the "permissions" field of a files request ("" -> fallback);
// throws PathError("generic-file-error", "permissions must be a 3-digit octal
// string, got "1777"") as Pebble does.
int parse_permissions(const std::string& text, int fallback);
// How a client sends permissions: three octal digits, "%03o".
std::string format_permissions(int mode);

// ------------------------------------------------------------------ model

// One step of a service change.
struct ServiceOp {
  std::string action;  // "start" or "stop"
  std::string name;
};

// Why Pebble skips a step (the task still succeeds, with this in its log):
// starting a running service, stopping one that is not running.
std::optional<std::string> skipped_op(const ServiceOp& op, ServiceStatus status);

// A service request turned into its steps (POST /v1/services).
struct ServicePlan {
  std::string action;
  std::vector<std::string> services;  // for the summary and GET /v1/changes?for=
  std::vector<ServiceOp> ops;
};

class PebbleModel {
 public:
  // --- layers and plan
  const std::vector<std::pair<std::string, Layer>>& layers() const noexcept { return layers_; }
  const Plan& plan() const noexcept { return plan_; }
  // POST /v1/layers: validates the layer, combines it into the layer of the
  // same label (with `combine`) or appends it, validates the new plan, and
  // only then keeps it. APIError(400) on every refusal.
  void add_layer(const std::string& label, const Layer& layer, bool combine);
  // The same from the request's YAML text.
  void add_layer_yaml(const std::string& label, std::string_view yaml, bool combine);

  // --- services
  // The steps of `action` ("start", "stop", "restart", "autostart",
  // "replan") on `names`, given each service's current state. APIError as
  // Pebble's POST /v1/services answers.
  ServicePlan plan_services(const std::string& action, const std::vector<std::string>& names,
                            const std::function<ServiceStatus(const std::string&)>& status) const;
  // Records the configuration a service was started with (replan restarts a
  // service whose configuration changed since).
  void service_started(const std::string& name);
  void service_stopped(const std::string& name);

  // --- changes
  // A new change in "Doing" with its tasks in "Do"; returns its id.
  std::string new_change(const std::string& kind, const std::string& summary,
                         std::vector<Task> tasks, std::vector<std::string> services);
  // The change, or APIError(404) "cannot find change with id "7"".
  Change& change(const std::string& id);
  const Change* find_change(const std::string& id) const;
  // Marks a change ready: its status and err follow its tasks.
  static void make_ready(Change& change);
  // GET /v1/changes: in-progress, ready or all, optionally for one service.
  std::vector<Change> changes(ChangeState select, const std::string& service) const;
  const std::map<std::string, Change>& all_changes() const noexcept { return changes_; }
  // The change a service request made, run at once: each op applied with
  // `apply` (which throws to fail the task, or returns why it skipped it),
  // then made ready.
  std::string run_service_plan(
      const ServicePlan& plan,
      const std::function<std::optional<std::string>(const ServiceOp&)>& apply);
  static std::string service_summary(const ServicePlan& plan);
  static std::vector<Task> service_tasks(const ServicePlan& plan);

  // --- checks
  // The checks of the plan with their state, filtered (empty = all).
  std::vector<CheckInfo> check_infos(CheckLevel level = CheckLevel::kUnset,
                                     const std::vector<std::string>& names = {}) const;
  // POST /v1/checks start/stop; returns the names whose state changed.
  // APIError(400) "cannot start checks: cannot find checks in plan: x".
  std::vector<std::string> run_checks(const std::string& action,
                                      const std::vector<std::string>& names);
  // Sets a check's state as a check run would (tests).
  void set_check_info(CheckInfo info);
  void set_check_status(const std::string& name, CheckStatus status, int failures);
  // The check states set explicitly (by set_check_info/run_checks/status).
  const std::map<std::string, CheckInfo>& explicit_check_infos() const noexcept { return checks_; }

  // --- notices
  // POST /v1/notices: records a custom notice (or another occurrence of it);
  // returns its id and whether it counts as new or repeated.
  std::pair<std::string, bool> notify(const std::string& type, const std::string& key,
                                      const std::map<std::string, std::string>& data,
                                      std::optional<Duration> repeat_after);
  void add_notice(Notice notice);
  const std::vector<Notice>& notices() const noexcept { return notices_; }
  // GET /v1/notices/<id>; APIError(404).
  const Notice& notice(const std::string& id) const;
  std::vector<Notice> notices(const std::vector<std::string>& types,
                              const std::vector<std::string>& keys, const std::string& after) const;

 private:
  CheckInfo info_of(const std::string& name, const Check& check) const;

  std::vector<std::pair<std::string, Layer>> layers_;
  Plan plan_;
  std::map<std::string, Service> started_with_;
  std::map<std::string, Change> changes_;
  std::map<std::string, std::vector<std::string>> change_services_;
  int next_change_ = 1;
  int next_task_ = 1;
  std::map<std::string, CheckInfo> checks_;  // explicit check states
  std::vector<Notice> notices_;
  std::map<std::string, std::chrono::system_clock::time_point> repeated_at_;
  int next_notice_ = 1;
};

}  // namespace ops::pebble::detail
