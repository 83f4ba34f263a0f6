// The model operations behind the CLI: deploy, add-unit, remove-unit,
// integrate, remove-relation, config, run, trigger, resolve, destroy.
//
// Each operation validates all of its input before changing anything, makes
// its database changes in one transaction, undoes the namespaces, processes
// and files it created if it fails half-way (RAII guard), and then runs the
// hooks it queued. Errors are SimError with a message that names the problem.
#pragma once

#include <filesystem>
#include <memory>
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

class Simulator {
 public:
  explicit Simulator(SimOptions options);
  ~Simulator();

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

  SimOptions options_;
  std::unique_ptr<ModelDb> db_;
};

}  // namespace ops_sim
