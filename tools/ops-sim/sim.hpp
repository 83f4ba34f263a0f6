// The model operations behind the CLI: deploy, add-unit, remove-unit,
// integrate, remove-relation, config, run, trigger, resolve, destroy.
//
// Each operation validates all of its input before changing anything, makes
// its database changes in one transaction, undoes the namespaces, processes
// and files it created if it fails half-way (RAII guard), and then runs the
// hooks it queued. Errors are SimError with a message that names the problem.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model_db.hpp"

namespace ops_sim {

struct SimOptions {
  std::filesystem::path model_dir;
  std::string model_name;  // used when the model is created; default "sim"
  std::string workloads;   // "run", "simulate" or "" (run when namespaces work)
  std::string exe;         // absolute path of the ops-sim executable
};

class Scheduler;

// How an operation runs the hooks it queued.
struct RunOptions {
  bool wait = true;  // false (--no-wait): leave them to the model agent
  std::optional<std::chrono::steady_clock::time_point> deadline;  // --timeout
  // Called after each hook (progress lines on a terminal).
  std::function<void(const HookSpec& hook, double seconds, bool ok)> progress;
};

class Simulator {
 public:
  explicit Simulator(SimOptions options);
  ~Simulator();

  void set_run_options(RunOptions options) { run_options_ = std::move(options); }
  // The model agent's stop flag: run_queue stops starting hooks once it is set.
  void set_stop_flag(const std::atomic<bool>* stop) { stop_ = stop; }
  // Whether run_queue stopped at the --timeout deadline with hooks left.
  bool timed_out() const { return timed_out_; }

  // Deploys CHARM (dir or .charm) as `app` with `units` units.
  void deploy(const std::string& charm, std::string app, int units,
              const std::vector<std::string>& config, const std::vector<std::string>& resources);
  void add_unit(const std::string& app, int count);
  void remove_unit(const std::string& unit);
  // Relates two endpoints ("app" or "app:endpoint"); returns the relation id.
  int integrate(const std::string& a, const std::string& b);
  // Removes the relation between a and b (or with id a when b is empty).
  void remove_relation(const std::string& a, const std::string& b);
  // Sets config values ("k=v") and resets keys; queues config-changed.
  void set_config(const std::string& app, const std::vector<std::string>& values,
                  const std::vector<std::string>& resets);
  // The effective config of an app.
  nlohmann::json config(const std::string& app);
  // Runs an action; params are "k=v" with YAML-typed values.
  ActionRow run_action(const std::string& unit, const std::string& action,
                       const std::vector<std::string>& params);
  // Runs a hook (update-status, config-changed, ...) on "app/N" or on every
  // unit of "app".
  void trigger(const std::string& target, const std::string& hook);
  void resolve(const std::string& unit, bool no_retry);
  // Replaces an app's charm (same charm name) in every unit, keeping each
  // unit's state, and queues upgrade-charm and config-changed.
  void refresh(const std::string& app, const std::string& charm);
  // Replaces resources ("NAME=PATH") and queues upgrade-charm, as Juju does.
  void attach_resource(const std::string& app, const std::vector<std::string>& resources);
  // Removes every namespace, process, mount and file of the model.
  void destroy();
  // Removes an application: its relations, then each unit (departed,
  // broken, stop, remove), then the application itself.
  void remove_application(const std::string& app);
  // Restarts a unit's pod, keeping its storage (see hooks::enqueue_pod_restart).
  void restart_unit(const std::string& unit);
  // Kills (SIGKILL) a workload service's processes in a unit's container;
  // Pebble restarts the service by its backoff. Returns the pids killed.
  std::vector<int> kill_service(const std::string& unit, const std::string& container,
                                const std::string& service);
  // Runs a shell command in the unit's hook context (juju exec).
  struct ExecOutput {
    int exit_code = 0;
    std::string out, err;
  };
  ExecOutput exec(const std::string& unit, const std::string& command);
  // Model config (update-status-hook-interval): "k=v" sets, "k" alone prints.
  std::map<std::string, std::string> model_config();
  void set_model_config(const std::vector<std::string>& values,
                        const std::vector<std::string>& resets);
  // Queues update-status on every live unit not in error (the model agent).
  void queue_update_status();
  // Runs whatever is queued; returns the number of failed hooks.
  int run_queue();

  ModelDb& db();
  // Units that are in error, as "unit: hook failed: "X"" lines.
  std::vector<std::string> errors();

 private:
  ModelDb& open_existing();
  void provision_unit(const AppRow& app, int number, struct ProvisionGuard& guard);
  void cleanup_unit(const std::string& unit);
  // Queues hooks for what the workloads reported (Pebble custom notices).
  bool poll_workloads();

  Scheduler make_scheduler();
  void restart_pod(const std::string& unit);

  SimOptions options_;
  std::unique_ptr<ModelDb> db_;
  RunOptions run_options_;
  const std::atomic<bool>* stop_ = nullptr;
  bool timed_out_ = false;
};

}  // namespace ops_sim
