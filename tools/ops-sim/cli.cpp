#include "cli.hpp"

#include <SQLiteCpp/Exception.h>
#include <CLI/CLI.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "output.hpp"
#include "pods.hpp"
#include "sim.hpp"
#include "ssh.hpp"
#include "util.hpp"
#include "workloads.hpp"

namespace ops_sim {
namespace fs = std::filesystem;

namespace {

std::string self_exe() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw SimError("cannot find the ops-sim executable: " + ec.message());
  return p.string();
}

// An exclusive flock on <model dir>/.lock, held while a command changes the
// model (so that two commands never run hooks at once).
class ModelLock {
 public:
  ModelLock(const fs::path& dir, bool create) {
    if (!fs::exists(dir)) {
      if (!create) return;  // the command reports the missing model itself
      fs::create_directories(dir);
      created_ = dir;
    }
    fd_ = ::open((dir / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0 || ::flock(fd_, LOCK_EX) != 0) {
      throw SimError("cannot lock the model in " + dir.string());
    }
  }
  ~ModelLock() {
    if (fd_ >= 0) ::close(fd_);
    // A deploy that failed on a new model leaves no directory behind.
    std::error_code ec;
    if (!created_.empty() && fs::exists(created_) && !fs::exists(created_ / "model.db")) {
      fs::remove_all(created_, ec);
    }
  }
  ModelLock(const ModelLock&) = delete;
  ModelLock& operator=(const ModelLock&) = delete;

 private:
  int fd_ = -1;
  fs::path created_;
};

// Reports hooks left in error by a command (it still succeeded).
void report_errors(Simulator& sim) {
  for (const auto& e : sim.errors()) std::cerr << "WARNING unit " << e << "\n";
}

}  // namespace

int cli_main(int argc, char** argv) {
  CLI::App app{"ops-sim: a local Juju model that runs charms as processes"};
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand
  std::string model_dir;
  std::string model_name;
  std::string workloads;
  if (const char* d = std::getenv("OPS_SIM_DIR")) model_dir = d;
  if (model_dir.empty()) model_dir = ".ops-sim";
  app.add_option("--model-dir", model_dir, "Model directory (env OPS_SIM_DIR, default ./.ops-sim)");
  app.add_option("--model", model_name, "Model name, when the first deploy creates the model");
  app.add_option("--workloads", workloads,
                 "run: services really run in pods; simulate: plan state only (first deploy)")
      ->check(CLI::IsMember({"run", "simulate"}));

  std::string charm, app_name, unit, action, hook, format = "tabular", a, b, include, level;
  int units = 1;
  bool no_retry = false;
  std::vector<std::string> config_values, resources, params, resets, unit_names;
  PebbleDaemonOptions daemon;

  auto* deploy = app.add_subcommand("deploy", "Deploy a charm directory or .charm file");
  deploy->add_option("charm", charm, "Charm directory or .charm file")->required();
  deploy->add_option("--app", app_name, "Application name (default: the charm's name)");
  deploy->add_option("-n,--num-units", units, "Number of units");
  deploy->add_option("--config", config_values, "Config values key=value ...");
  deploy->add_option("--resource", resources, "Resources NAME=PATH ...");

  auto* add_unit = app.add_subcommand("add-unit", "Add units to an application");
  add_unit->add_option("app", app_name)->required();
  add_unit->add_option("-n,--num-units", units, "Number of units");

  auto* remove_unit = app.add_subcommand("remove-unit", "Remove units");
  remove_unit->add_option("units", unit_names, "APP/N ...")->required();

  auto* integrate = app.add_subcommand("integrate", "Integrate two applications");
  integrate->add_option("a", a, "APP[:ENDPOINT]")->required();
  integrate->add_option("b", b, "APP[:ENDPOINT]")->required();

  auto* remove_relation = app.add_subcommand("remove-relation", "Remove a relation");
  remove_relation->add_option("a", a, "APP[:ENDPOINT] or relation id")->required();
  remove_relation->add_option("b", b, "APP[:ENDPOINT]");

  auto* refresh = app.add_subcommand("refresh", "Replace an application's charm (upgrade-charm)");
  refresh->add_option("app", app_name)->required();
  refresh->add_option("--path", charm, "Charm directory or .charm file")->required();

  auto* attach = app.add_subcommand("attach-resource", "Replace resources (upgrade-charm)");
  attach->add_option("app", app_name)->required();
  attach->add_option("resources", resources, "NAME=PATH ...")->required();

  auto* config = app.add_subcommand("config", "Show or set an application's config");
  config->add_option("app", app_name)->required();
  config->add_option("values", config_values, "key=value ...");
  config->add_option("--reset", resets, "Keys to reset to their default")->allow_extra_args(false);

  auto* run = app.add_subcommand("run", "Run an action on a unit; prints its results as YAML");
  run->add_option("unit", unit, "APP/N")->required();
  run->add_option("action", action)->required();
  run->add_option("params", params, "key=value ...");

  auto* status = app.add_subcommand("status", "Show the model");
  status->add_option("--format", format)->check(CLI::IsMember({"tabular", "json"}));

  auto* show_unit_cmd = app.add_subcommand("show-unit", "Show a unit and its relation data");
  show_unit_cmd->add_option("unit", unit, "APP/N")->required();

  auto* debug_log_cmd = app.add_subcommand("debug-log", "Show the juju-log lines and hook output");
  debug_log_cmd->add_option("--include", include, "Only this unit or application");
  debug_log_cmd->add_option("--level", level, "Minimum level (DEBUG, INFO, WARNING, ERROR)");

  auto* trigger = app.add_subcommand("trigger", "Run a hook on a unit or every unit of an app");
  trigger->add_option("unit", unit, "APP/N or APP")->required();
  trigger->add_option("hook", hook)->required();

  auto* resolve = app.add_subcommand("resolve", "Retry the failed hook of a unit in error");
  resolve->add_option("unit", unit, "APP/N")->required();
  resolve->add_flag("--no-retry", no_retry, "Skip the failed hook instead of retrying it");

  auto* ssh = app.add_subcommand("ssh", "Run a command in a unit's pod, like juju ssh");
  std::string container;
  std::vector<std::string> command;
  ssh->add_option("unit", unit, "APP/N")->required();
  ssh->add_option("--container", container,
                  "Run in this workload container's filesystem and root (as Pebble exec does)");
  ssh->add_option("command", command, "-- CMD ARGS...")->required();

  auto* destroy = app.add_subcommand("destroy", "Remove the model and everything it created");
  bool leftovers = false;
  destroy->add_flag("--leftovers", leftovers,
                    "Instead: remove the namespaces and Pebble daemons of every ops-sim model "
                    "whose model dir is gone");

  auto* daemon_cmd = app.add_subcommand("pebble-daemon", "");
  daemon_cmd->group("");  // hidden: started by ops-sim itself
  daemon_cmd->add_option("--socket", daemon.socket)->required();
  daemon_cmd->add_option("--root", daemon.root)->required();
  daemon_cmd->add_option("--mode", daemon.mode)->required();
  daemon_cmd->add_option("--netns", daemon.netns);
  daemon_cmd->add_option("--hosts", daemon.hosts);
  daemon_cmd->add_option("--hostname", daemon.hostname);
  daemon_cmd->add_option("--log-dir", daemon.log_dir);
  daemon_cmd->add_option("--pid-file", daemon.pid_file);
  daemon_cmd->add_option("--mountpoints-file", daemon.mountpoints_file);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    if (daemon_cmd->parsed()) return pebble_daemon_main(daemon);
    Simulator sim({fs::absolute(model_dir), model_name, workloads, self_exe()});
    // Commands that change the model run one at a time per model.
    std::unique_ptr<ModelLock> lock;
    if (ssh->parsed()) return ssh_unit(sim.db(), unit, container, command);
    if (!status->parsed() && !show_unit_cmd->parsed() && !debug_log_cmd->parsed() &&
        !(config->parsed() && config_values.empty() && resets.empty()) &&
        !(destroy->parsed() && leftovers)) {
      lock = std::make_unique<ModelLock>(fs::absolute(model_dir), deploy->parsed());
    }
    if (deploy->parsed()) {
      sim.deploy(charm, app_name, units, config_values, resources);
      report_errors(sim);
    } else if (add_unit->parsed()) {
      sim.add_unit(app_name, units);
      report_errors(sim);
    } else if (remove_unit->parsed()) {
      for (const auto& u : unit_names) sim.db().require_unit(u);
      for (const auto& u : unit_names) sim.remove_unit(u);
      report_errors(sim);
    } else if (integrate->parsed()) {
      sim.integrate(a, b);
      report_errors(sim);
    } else if (remove_relation->parsed()) {
      sim.remove_relation(a, b);
      report_errors(sim);
    } else if (refresh->parsed()) {
      sim.refresh(app_name, charm);
      report_errors(sim);
    } else if (attach->parsed()) {
      sim.attach_resource(app_name, resources);
      report_errors(sim);
    } else if (config->parsed()) {
      if (config_values.empty() && resets.empty()) {
        const auto values = sim.config(app_name);
        if (!values.empty()) std::cout << to_yaml(nlohmann::ordered_json(values));
      } else {
        sim.set_config(app_name, config_values, resets);
        report_errors(sim);
      }
    } else if (run->parsed()) {
      const auto result = sim.run_action(unit, action, params);
      for (const auto& line : result.log) std::cerr << line << "\n";
      if (!result.results.empty()) {
        std::cout << to_yaml(nlohmann::ordered_json(result.results));
      }
      report_errors(sim);
      if (result.status == "failed") {
        std::cerr << "ERROR action \"" << action << "\" failed: " << result.message << "\n";
        return 1;
      }
    } else if (status->parsed()) {
      if (format == "json") {
        std::cout << status_json(sim.db()).dump(2) << "\n";
      } else {
        std::cout << status_table(sim.db());
      }
    } else if (show_unit_cmd->parsed()) {
      std::cout << show_unit(sim.db(), unit);
    } else if (debug_log_cmd->parsed()) {
      std::cout << debug_log(sim.db(), include, level);
    } else if (trigger->parsed()) {
      sim.trigger(unit, hook);
      report_errors(sim);
    } else if (resolve->parsed()) {
      sim.resolve(unit, no_retry);
      report_errors(sim);
    } else if (destroy->parsed() && leftovers) {
      for (int pid : stop_orphan_pebble_daemons()) {
        std::cout << "stopped Pebble daemon " << pid << "\n";
      }
      for (const auto& ns : sweep_leftover_networks()) std::cout << "removed " << ns << "\n";
    } else if (destroy->parsed()) {
      sim.destroy();
    }
    return 0;
  } catch (const SimError& e) {
    std::cerr << "ERROR " << e.what() << "\n";
    return 1;
  } catch (const SQLite::Exception& e) {
    std::cerr << "ERROR model database: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "ERROR " << e.what() << "\n";
    return 1;
  }
}

}  // namespace ops_sim
