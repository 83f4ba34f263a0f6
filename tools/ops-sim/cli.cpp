#include "cli.hpp"

#include <SQLiteCpp/Exception.h>
#include <CLI/CLI.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "agent.hpp"
#include "ops/detail/juju_names.hpp"
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

// Juju's model name rule (juju/names): lowercase letters, digits and
// non-leading hyphens, at most 128 characters; and, since a Kubernetes model
// is a namespace, a DNS label: at most 63, not ending in a hyphen.
void check_model_name(const std::string& name) {
  if (!ops::detail::is_model_name(name)) {
    throw SimError("invalid model name \"" + name +
                   "\": model names may only contain lowercase letters, digits and hyphens, "
                   "and cannot start with a hyphen");
  }
  if (name.size() > 63 || name.back() == '-') {
    throw SimError("invalid model name \"" + name +
                   "\": a Kubernetes model name is a namespace, at most 63 characters, "
                   "not ending in a hyphen");
  }
}

// The subcommands, for "unknown command" and help.
const std::vector<std::string>& command_names() {
  static const std::vector<std::string> kNames = {"add-unit",
                                                  "attach-resource",
                                                  "config",
                                                  "debug-log",
                                                  "deploy",
                                                  "destroy",
                                                  "exec",
                                                  "integrate",
                                                  "kill",
                                                  "model-config",
                                                  "refresh",
                                                  "remove-application",
                                                  "remove-relation",
                                                  "remove-unit",
                                                  "resolve",
                                                  "restart-unit",
                                                  "run",
                                                  "show-status-log",
                                                  "show-unit",
                                                  "ssh",
                                                  "status",
                                                  "trigger",
                                                  "wait-for"};
  return kNames;
}

// The first argument that is not a global option (or its value).
std::string first_command(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--model-dir" || arg == "--model" || arg == "--workloads") {
      ++i;
      continue;
    }
    if (arg.rfind("-", 0) == 0) continue;
    return arg;
  }
  return "";
}

// Exit codes (README): 0 settled, 1 the command failed, 2 a hook failed
// (units in error), 3 --timeout before the model settled.
constexpr int kExitHookFailed = 2;
constexpr int kExitTimeout = 3;

// After a command that runs hooks: reports units in error and a timeout.
int settle_result(Simulator& sim, bool waited, double timeout) {
  if (!waited) return 0;
  auto errors = sim.errors();
  for (const auto& e : errors) std::cerr << "ERROR unit " << e << "\n";
  if (sim.timed_out()) {
    std::cerr << "ERROR the model did not settle within " << timeout
              << "s; the queued hooks go on in the background (ops-sim status shows them)\n";
    return kExitTimeout;
  }
  return errors.empty() ? 0 : kExitHookFailed;
}

// Progress lines on a terminal: one per hook, with the time since the start.
RunOptions run_options(bool no_wait, double timeout, bool progress) {
  RunOptions options;
  options.wait = !no_wait;
  if (timeout > 0) {
    options.deadline = std::chrono::steady_clock::now() +
                       std::chrono::milliseconds(static_cast<long long>(timeout * 1000));
  }
  if (progress) {
    const auto start = std::chrono::steady_clock::now();
    options.progress = [start](const HookSpec& hook, double seconds, bool ok) {
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      char line[512];
      std::snprintf(line, sizeof line, "[%6.1fs] %s %s%s (%.1fs)\n", elapsed, hook.unit.c_str(),
                    hook.hook.c_str(), ok ? "" : " FAILED", seconds);
      std::cerr << line << std::flush;
    };
  }
  return options;
}

// Waits until every unit of APP (or unit APP/N) has workload status `status`
// and nothing queued or running; 2 when one of them is in error, 3 on timeout.
int wait_for(const fs::path& model_dir, const std::string& target, const std::string& status,
             double timeout) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<long long>(timeout * 1000));
  auto db = ModelDb::open(model_dir, false);
  const bool is_unit = target.find('/') != std::string::npos;
  if (is_unit) {
    db->require_unit(target);
  } else {
    db->require_app(target);
  }
  while (true) {
    std::vector<UnitRow> units;
    if (is_unit) {
      if (auto u = db->unit(target)) units.push_back(*u);
    } else {
      for (auto& u : db->units(target)) units.push_back(u);
    }
    std::vector<std::string> pending;
    for (const auto& u : units) {
      const auto [agent, agent_message] = agent_status(*db, u);
      if (agent == "error") {
        std::cerr << "ERROR unit " << u.name << ": " << agent_message << "\n";
        return kExitHookFailed;
      }
      if (u.workload_status != status || agent != "idle") {
        pending.push_back(u.name + " " + u.workload_status + "/" + agent);
      }
    }
    if (units.empty()) pending.push_back(target + " has no units");
    if (pending.empty()) return 0;
    if (std::chrono::steady_clock::now() >= deadline) {
      std::cerr << "ERROR timed out after " << timeout << "s waiting for " << target << " to be "
                << status << "/idle: " << join(pending, ", ") << "\n";
      return kExitTimeout;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

// debug-log: prints the selected lines; with `tail`, keeps printing new ones.
int debug_log_cmd_run(const fs::path& model_dir, const std::string& include,
                      const std::string& level, bool json, bool tail, bool replay, int lines) {
  auto db = ModelDb::open(model_dir, false);
  long long last = 0;
  auto render = [&](long long after, long long* last_id) {
    return json ? debug_log_json(*db, include, level, after, last_id)
                : debug_log(*db, include, level, after, last_id);
  };
  std::string text = render(0, &last);
  if (tail && !replay && lines >= 0) {
    // As juju debug-log: the last N lines, then what comes.
    auto all = split(text, '\n');
    if (!all.empty() && all.back().empty()) all.pop_back();
    const size_t from = all.size() > static_cast<size_t>(lines) ? all.size() - lines : 0;
    text.clear();
    for (size_t i = from; i < all.size(); ++i) text += all[i] + "\n";
  }
  std::cout << text << std::flush;
  while (tail) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    if (!fs::exists(model_dir / "model.db")) return 0;
    std::cout << render(last, &last) << std::flush;
  }
  return 0;
}

// config --file: YAML with the application's name as the top-level key, as
// juju config reads it.
std::vector<std::string> config_file_values(const std::string& file, const std::string& app) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::BadFile&) {
    throw SimError("cannot read config file \"" + file + "\"");
  } catch (const YAML::Exception& e) {
    throw SimError("invalid YAML in config file \"" + file + "\": " + e.what());
  }
  if (!root.IsMap() || !root[app]) {
    throw SimError("config file \"" + file + "\" has no settings for application \"" + app +
                   "\" (expected \"" + app + ":\" at the top level)");
  }
  const auto settings = root[app];
  if (!settings.IsMap()) {
    throw SimError("config file \"" + file + "\": \"" + app + "\" must map option names to values");
  }
  std::vector<std::string> values;
  for (const auto& kv : settings) {
    if (!kv.second.IsScalar()) {
      throw SimError("config file \"" + file + "\": option \"" + kv.first.as<std::string>() +
                     "\" must have a scalar value");
    }
    values.push_back(kv.first.as<std::string>() + "=" + kv.second.as<std::string>());
  }
  return values;
}

}  // namespace

int cli_main(int argc, char** argv) {
  // Hidden, started by a run-mode Pebble daemon for each exec (workloads.hpp).
  if (argc >= 5 && std::string_view(argv[1]) == "container-exec" &&
      std::string_view(argv[4]) == "--") {
    return container_exec_main(argv[2], argv[3], std::vector<std::string>(argv + 5, argv + argc));
  }
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
  std::string config_file, container, service, status_wanted, status_type;
  int units = 1;
  int lines = 10;
  bool no_retry = false, no_wait = false, tail = false, replay = false;
  double timeout = 0;
  std::vector<std::string> config_values, resources, params, resets, unit_names, exec_units,
      exec_apps;
  PebbleDaemonOptions daemon;

  // Options of every command that runs hooks.
  auto hook_options = [&](CLI::App* cmd) {
    cmd->add_flag("--no-wait", no_wait,
                  "Queue the hooks and return; the model agent runs them in the background");
    cmd->add_option("--timeout", timeout,
                    "Seconds to wait for the model to settle (exit 3 when it has not)")
        ->check(CLI::PositiveNumber);
  };

  auto* deploy = app.add_subcommand("deploy", "Deploy a charm directory or .charm file");
  deploy->add_option("charm", charm, "Charm directory or .charm file")->required();
  deploy->add_option("--app", app_name, "Application name (default: the charm's name)");
  deploy->add_option("-n,--num-units", units, "Number of units");
  deploy->add_option("--config", config_values, "Config values key=value ...");
  deploy->add_option("--resource", resources, "Resources NAME=PATH ...");
  hook_options(deploy);

  auto* add_unit = app.add_subcommand("add-unit", "Add units to an application");
  add_unit->add_option("app", app_name)->required();
  add_unit->add_option("-n,--num-units", units, "Number of units");
  hook_options(add_unit);

  auto* remove_unit = app.add_subcommand("remove-unit", "Remove units");
  remove_unit->add_option("units", unit_names, "APP/N ...")->required();
  hook_options(remove_unit);

  auto* remove_app = app.add_subcommand(
      "remove-application", "Remove an application: its relations, its units, then itself");
  remove_app->add_option("app", app_name)->required();
  hook_options(remove_app);

  auto* integrate = app.add_subcommand("integrate", "Integrate two applications");
  integrate->add_option("a", a, "APP[:ENDPOINT]")->required();
  integrate->add_option("b", b, "APP[:ENDPOINT]")->required();
  hook_options(integrate);

  auto* remove_relation = app.add_subcommand("remove-relation", "Remove a relation");
  remove_relation->add_option("a", a, "APP[:ENDPOINT] or relation id")->required();
  remove_relation->add_option("b", b, "APP[:ENDPOINT]");
  hook_options(remove_relation);

  auto* refresh = app.add_subcommand("refresh", "Replace an application's charm (upgrade-charm)");
  refresh->add_option("app", app_name)->required();
  refresh->add_option("--path", charm, "Charm directory or .charm file")->required();
  hook_options(refresh);

  auto* attach = app.add_subcommand("attach-resource", "Replace resources (upgrade-charm)");
  attach->add_option("app", app_name)->required();
  attach->add_option("resources", resources, "NAME=PATH ...")->required();
  hook_options(attach);

  auto* config = app.add_subcommand("config", "Show or set an application's config");
  config->add_option("app", app_name)->required();
  config->add_option("values", config_values, "key=value ...");
  config->add_option("--reset", resets, "Keys to reset to their default")->allow_extra_args(false);
  config->add_option("--file", config_file, "YAML file: APP: {key: value, ...}");
  hook_options(config);

  auto* model_config = app.add_subcommand("model-config", "Show or set the model's config");
  model_config->add_option("values", config_values, "key=value ... (update-status-hook-interval)");
  model_config->add_option("--reset", resets, "Keys to reset to their default")
      ->allow_extra_args(false);

  auto* run = app.add_subcommand("run", "Run an action on a unit; prints its results as YAML");
  run->add_option("unit", unit, "APP/N")->required();
  run->add_option("action", action)->required();
  run->add_option("params", params, "key=value ...");

  auto* status = app.add_subcommand("status", "Show the model");
  status->add_option("--format", format)->check(CLI::IsMember({"tabular", "json"}));

  auto* show_unit_cmd = app.add_subcommand("show-unit", "Show a unit and its relation data");
  show_unit_cmd->add_option("unit", unit, "APP/N")->required();

  auto* status_log_cmd =
      app.add_subcommand("show-status-log", "Show a unit's status history (workload and agent)");
  status_log_cmd->add_option("unit", unit, "APP/N")->required();
  status_log_cmd->add_option("--type", status_type, "unit (both), workload or juju-unit");

  auto* debug_log_cmd = app.add_subcommand("debug-log", "Show the juju-log lines and hook output");
  debug_log_cmd->add_option("--include", include, "Only this unit or application");
  debug_log_cmd->add_option("--level", level, "Minimum level (DEBUG, INFO, WARNING, ERROR)");
  debug_log_cmd->add_flag("--tail", tail, "Keep printing new lines until interrupted");
  debug_log_cmd->add_flag("--replay", replay, "With --tail: start from the first line");
  debug_log_cmd->add_option("-n,--lines", lines, "With --tail: start with the last N lines")
      ->check(CLI::NonNegativeNumber);
  debug_log_cmd->add_option("--format", format, "text or json (one object per line)")
      ->check(CLI::IsMember({"tabular", "text", "json"}));

  auto* trigger = app.add_subcommand("trigger", "Run a hook on a unit or every unit of an app");
  trigger->add_option("unit", unit, "APP/N or APP")->required();
  trigger->add_option("hook", hook)->required();
  hook_options(trigger);

  auto* resolve = app.add_subcommand("resolve", "Retry the failed hook of a unit in error");
  resolve->add_option("unit", unit, "APP/N")->required();
  resolve->add_flag("--no-retry", no_retry, "Skip the failed hook instead of retrying it");
  hook_options(resolve);

  auto* wait_for_cmd = app.add_subcommand(
      "wait-for", "Wait until an application's (or unit's) units have a status and are idle");
  wait_for_cmd->add_option("target", unit, "APP or APP/N")->required();
  wait_for_cmd->add_option("--status", status_wanted, "Workload status, e.g. active")->required();
  double wait_timeout = 600;
  wait_for_cmd->add_option("--timeout", wait_timeout, "Seconds (default 600; exit 3 after)")
      ->check(CLI::PositiveNumber);

  auto* ssh = app.add_subcommand("ssh", "Run a command in a unit's pod, like juju ssh");
  std::vector<std::string> command;
  ssh->add_option("unit", unit, "APP/N")->required();
  ssh->add_option("--container", container,
                  "Run in this workload container's filesystem and root (as Pebble exec does)");
  ssh->add_option("command", command, "-- CMD ARGS...")->required();

  auto* exec = app.add_subcommand(
      "exec", "Run a command in units' hook context (hook tools, JUJU_*), like juju exec");
  exec->add_option("-u,--unit", exec_units, "APP/N (repeatable)");
  exec->add_option("-a,--app", exec_apps, "Every unit of APP (repeatable)");
  exec->add_option("command", command, "-- CMD ARGS... (run by bash)")->required();

  auto* kill = app.add_subcommand(
      "kill", "Kill -9 a workload service's process; Pebble restarts it by its backoff");
  kill->add_option("unit", unit, "APP/N")->required();
  kill->add_option("--container", container, "Workload container")->required();
  kill->add_option("--service", service, "Pebble service (needed when several run)");

  auto* restart_unit = app.add_subcommand(
      "restart-unit", "Restart a unit's pod: processes and Pebble go, storage stays");
  restart_unit->add_option("unit", unit, "APP/N")->required();
  hook_options(restart_unit);

  auto* destroy = app.add_subcommand("destroy", "Remove the model and everything it created");
  bool leftovers = false;
  destroy->add_flag("--leftovers", leftovers,
                    "Instead: remove the namespaces and Pebble daemons of ops-sim models whose "
                    "model dir is provably gone");

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

  auto* agent_cmd = app.add_subcommand("model-agent", "");
  agent_cmd->group("");  // hidden: started by ops-sim itself

  // "unknown command X" with the list, before CLI11 reads X as an argument.
  const auto first = first_command(argc, argv);
  const auto& names = command_names();
  if (!first.empty() && first != "pebble-daemon" && first != "model-agent" &&
      std::find(names.begin(), names.end(), first) == names.end()) {
    std::cerr << "ERROR unknown command \"" << first << "\"; commands: " << join(names, ", ")
              << "\n";
    return 1;
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    if (daemon_cmd->parsed()) return pebble_daemon_main(daemon);
    const auto dir = fs::absolute(model_dir);
    const auto exe = self_exe();
    if (agent_cmd->parsed()) return model_agent_main(dir, exe);
    if (!model_name.empty()) check_model_name(model_name);
    Simulator sim({dir, model_name, workloads, exe});
    if (ssh->parsed()) return ssh_unit(sim.db(), unit, container, command);
    if (wait_for_cmd->parsed()) return wait_for(dir, unit, status_wanted, wait_timeout);
    if (debug_log_cmd->parsed()) {
      return debug_log_cmd_run(dir, include, level, format == "json", tail, replay, lines);
    }
    if (destroy->parsed() && !leftovers) stop_model_agent(dir);
    const bool read_only =
        status->parsed() || show_unit_cmd->parsed() || status_log_cmd->parsed() || kill->parsed() ||
        (model_config->parsed() && config_values.empty() && resets.empty()) ||
        (config->parsed() && config_values.empty() && resets.empty() && config_file.empty()) ||
        (destroy->parsed() && leftovers);
    // Commands that change the model run one at a time per model.
    std::unique_ptr<ModelLock> lock;
    if (!read_only) {
      std::string what = "ops-sim";
      for (const auto* cmd : app.get_subcommands()) what += " " + cmd->get_name();
      lock = std::make_unique<ModelLock>(dir, deploy->parsed(), what);
    }
    const bool progress = ::isatty(2) || std::getenv("OPS_SIM_PROGRESS") != nullptr;
    sim.set_run_options(run_options(no_wait, timeout, progress));
    const bool waits = !no_wait;
    // The model agent runs what --no-wait or --timeout leave, and update-status.
    auto start_agent = [&] {
      lock.reset();
      if (fs::exists(dir / "model.db")) ensure_model_agent(dir, exe);
    };
    int rc = 0;
    if (deploy->parsed()) {
      sim.deploy(charm, app_name, units, config_values, resources);
      rc = settle_result(sim, waits, timeout);
    } else if (add_unit->parsed()) {
      sim.add_unit(app_name, units);
      rc = settle_result(sim, waits, timeout);
    } else if (remove_unit->parsed()) {
      for (const auto& u : unit_names) sim.db().require_unit(u);
      for (const auto& u : unit_names) sim.remove_unit(u);
      rc = settle_result(sim, waits, timeout);
    } else if (remove_app->parsed()) {
      sim.remove_application(app_name);
      rc = settle_result(sim, waits, timeout);
    } else if (integrate->parsed()) {
      sim.integrate(a, b);
      rc = settle_result(sim, waits, timeout);
    } else if (remove_relation->parsed()) {
      sim.remove_relation(a, b);
      rc = settle_result(sim, waits, timeout);
    } else if (refresh->parsed()) {
      sim.refresh(app_name, charm);
      rc = settle_result(sim, waits, timeout);
    } else if (attach->parsed()) {
      sim.attach_resource(app_name, resources);
      rc = settle_result(sim, waits, timeout);
    } else if (config->parsed()) {
      if (!config_file.empty()) {
        auto from_file = config_file_values(config_file, app_name);
        from_file.insert(from_file.end(), config_values.begin(), config_values.end());
        config_values = std::move(from_file);
      }
      if (config_values.empty() && resets.empty()) {
        const auto values = sim.config(app_name);
        if (!values.empty()) std::cout << to_yaml(nlohmann::ordered_json(values));
      } else {
        sim.set_config(app_name, config_values, resets);
        rc = settle_result(sim, waits, timeout);
      }
    } else if (model_config->parsed()) {
      if (config_values.empty() && resets.empty()) {
        for (const auto& [k, v] : sim.model_config()) std::cout << k << ": " << v << "\n";
      } else {
        sim.set_model_config(config_values, resets);
      }
    } else if (run->parsed()) {
      const auto result = sim.run_action(unit, action, params);
      for (const auto& line : result.log) std::cerr << line << "\n";
      if (!result.results.empty()) {
        std::cout << to_yaml(nlohmann::ordered_json(result.results));
      }
      rc = settle_result(sim, true, 0);
      if (result.status == "failed") {
        std::cerr << "ERROR action \"" << action << "\" failed: " << result.message << "\n";
        rc = 1;
      }
    } else if (exec->parsed()) {
      std::vector<std::string> targets = exec_units;
      for (const auto& name : exec_apps) {
        sim.db().require_app(name);
        for (const auto& u : sim.db().units(name)) {
          if (!u.dying) targets.push_back(u.name);
        }
      }
      if (targets.empty()) throw SimError("exec needs --unit APP/N or --app APP");
      for (const auto& u : targets) sim.db().require_unit(u);
      const auto shell = join(command, " ");
      if (targets.size() == 1) {
        const auto r = sim.exec(targets.front(), shell);
        std::cout << r.out << std::flush;
        std::cerr << r.err << std::flush;
        rc = r.exit_code;
      } else {
        for (const auto& u : targets) {
          const auto r = sim.exec(u, shell);
          std::cout << u << " (exit " << r.exit_code << "):\n" << r.out << std::flush;
          std::cerr << r.err << std::flush;
          if (r.exit_code != 0) rc = 1;
        }
      }
    } else if (status->parsed()) {
      if (format == "json") {
        std::cout << status_json(sim.db()).dump(2) << "\n";
      } else {
        std::cout << status_table(sim.db());
      }
    } else if (show_unit_cmd->parsed()) {
      std::cout << show_unit(sim.db(), unit);
    } else if (status_log_cmd->parsed()) {
      std::cout << status_log(sim.db(), unit, status_type);
    } else if (trigger->parsed()) {
      sim.trigger(unit, hook);
      rc = settle_result(sim, waits, timeout);
    } else if (resolve->parsed()) {
      sim.resolve(unit, no_retry);
      rc = settle_result(sim, waits, timeout);
    } else if (kill->parsed()) {
      for (int pid : sim.kill_service(unit, container, service)) {
        std::cout << "killed pid " << pid << "\n";
      }
    } else if (restart_unit->parsed()) {
      sim.restart_unit(unit);
      rc = settle_result(sim, waits, timeout);
    } else if (destroy->parsed() && leftovers) {
      for (int pid : stop_orphan_pebble_daemons()) {
        std::cout << "stopped Pebble daemon " << pid << "\n";
      }
      const auto sweep = sweep_leftover_networks();
      for (const auto& ns : sweep.removed) std::cout << "removed " << ns << "\n";
      for (const auto& ns : sweep.kept) {
        std::cout << "kept " << ns
                  << ": no record proves its model gone (ip netns delete it if you know)\n";
      }
      return 0;
    } else if (destroy->parsed()) {
      sim.destroy();
      return 0;
    }
    if (!read_only) start_agent();
    return rc;
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
