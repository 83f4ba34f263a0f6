// The hook scheduler: runs the queued hooks of the model, one at a time, as
// Juju's unit agents would, and turns what they commit into further hooks.
//
// Each hook is a real process: the unit's charm dir `dispatch`, with the
// JUJU_* environment, the hook-tool bin dir first on PATH, and (with pods)
// inside the unit's pod. Its pending writes are committed when it exits 0;
// otherwise they are dropped, the unit goes into error on that hook, and
// its queue waits for `resolve`. Committed relation data changes queue
// relation-changed on the units that see them; secret revisions queue
// secret-changed; storage-add queues storage-attached.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "model_db.hpp"

namespace ops_sim {

// Hook-ordering helpers used by the CLI; each only enqueues.
namespace hooks {
// A new unit's start-up sequence (storage-attached, install, relation-created
// for peers and existing relations, leader-elected if leader, config-changed,
// start, pebble-ready per container) and its joins with existing units.
void enqueue_unit_start(ModelDb& db, const std::string& unit_name);
// relation-created on every unit of both apps, then joined/changed both ways.
void enqueue_relation_added(ModelDb& db, int relation_id);
// departed and broken on both sides, then the relation's removal.
void enqueue_relation_removed(ModelDb& db, int relation_id);
// Departed on the unit's peers and remote units, departed/broken/stop/remove
// on the unit itself, then its removal. A leader keeps leadership until it
// is removed; then another unit is elected and gets leader-elected.
void enqueue_unit_removal(ModelDb& db, const std::string& unit_name);
// A pod restart that keeps storage: stop, then (internal) the pod's
// processes and Pebble go and come back, then upgrade-charm, config-changed,
// start and pebble-ready per container, as Juju runs them for a new pod.
void enqueue_pod_restart(ModelDb& db, const std::string& unit_name);
// Makes `unit_name` the leader of its app and queues leader-elected on it.
void elect_leader(ModelDb& db, const std::string& app, const std::string& unit_name);
}  // namespace hooks

// What `ops-sim exec` got from its command.
struct ExecResult {
  int exit_code = 0;
  std::string out;
  std::string err;
};

// Runs hooks until nothing runnable is queued. Units in error keep their
// queue until resolved. on_unit_removed cleans up a removed unit's pod and
// processes before its rows are deleted.
class Scheduler {
 public:
  using UnitCleanup = std::function<void(const std::string& unit_name)>;
  // on_idle runs when nothing is runnable; it returns true when it queued
  // more hooks (e.g. for new Pebble notices).
  using PodRestart = std::function<void(const std::string& unit_name)>;
  Scheduler(ModelDb& db, std::string ops_sim_exe, UnitCleanup on_unit_removed,
            std::function<bool()> on_idle = {}, PodRestart on_pod_restart = {});

  // Called after each hook with its duration and whether it succeeded.
  using Progress = std::function<void(const HookSpec& hook, double seconds, bool ok)>;
  void set_progress(Progress progress) { progress_ = std::move(progress); }
  // run_queue stops starting hooks at this time (timed_out() then says so).
  void set_deadline(std::chrono::steady_clock::time_point deadline) { deadline_ = deadline; }
  bool timed_out() const { return timed_out_; }
  // run_queue also stops starting hooks once *stop is true.
  void set_stop_flag(const std::atomic<bool>* stop) { stop_ = stop; }

  // Runs queued hooks; returns the number of hooks that failed.
  int run_queue();
  // Runs a shell command in the unit's hook context (juju exec): hook tools
  // on PATH, JUJU_* set, in the pod; its writes commit when it exits 0.
  ExecResult run_exec(const std::string& unit_name, const std::string& command);
  // Runs an action on a unit now (after the queue); returns its final row.
  ActionRow run_action(const std::string& unit_name, const std::string& action,
                       const nlohmann::json& params);

 private:
  bool run_one(const HookSpec& hook);
  bool run_internal(const HookSpec& hook);
  int spawn_dispatch(const HookSpec& hook, const std::string& run_id,
                     const std::string* shell_command = nullptr, std::string* out_text = nullptr,
                     std::string* err_text = nullptr);
  void after_commit(const HookSpec& hook, const struct ChangeEffects& effects);

  ModelDb& db_;
  std::string exe_;
  UnitCleanup on_unit_removed_;
  std::function<bool()> on_idle_;
  PodRestart on_pod_restart_;
  Progress progress_;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  bool timed_out_ = false;
  const std::atomic<bool>* stop_ = nullptr;
};

// The bin dir of hook-tool links for a model (created on demand).
std::string ensure_tool_links(ModelDb& db, const std::string& ops_sim_exe);

}  // namespace ops_sim
