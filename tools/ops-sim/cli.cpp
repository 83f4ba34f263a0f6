#include "cli.hpp"

#include <SQLiteCpp/Exception.h>
#include <CLI/CLI.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string_view>
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

// What the command line said: the global options and every command's
// options and arguments, filled by CLI11.
struct CliOptions {
  std::string model_dir;
  std::string model_name;
  std::string workloads;
  std::string charm, app_name, unit, action, hook, format = "tabular", a, b, include, level;
  std::string config_file, container, service, status_wanted, status_type;
  int units = 1;
  int lines = 10;
  bool no_retry = false, no_wait = false, tail = false, replay = false, leftovers = false;
  double timeout = 0;
  double wait_timeout = 600;
  std::vector<std::string> config_values, resources, params, resets, unit_names, exec_units,
      exec_apps, command;
  PebbleDaemonOptions daemon;
  std::filesystem::path dir;  // the model directory, absolute

  // After a command that runs hooks: its exit code (settle_result).
  int settled(Simulator& sim) const { return settle_result(sim, !no_wait, timeout); }
};

// Options of every command that runs hooks.
void add_hook_options(CLI::App* cmd, CliOptions& o) {
  cmd->add_flag("--no-wait", o.no_wait,
                "Queue the hooks and return; the model agent runs them in the background");
  cmd->add_option("--timeout", o.timeout,
                  "Seconds to wait for the model to settle (exit 3 when it has not)")
      ->check(CLI::PositiveNumber);
}

// One model command: its name, its options, and what it does to the model.
struct Command {
  const char* name;
  void (*declare)(CLI::App* cmd, CliOptions& o);
  int (*run)(Simulator& sim, CliOptions& o);
  // True when this invocation only reads the model (no lock, no agent).
  bool (*read_only)(const CliOptions& o);
  const char* description;
};

bool never(const CliOptions&) { return false; }
bool always(const CliOptions&) { return true; }

// ---- the commands ----

void declare_deploy(CLI::App* cmd, CliOptions& o) {
  cmd->add_option("charm", o.charm, "Charm directory or .charm file")->required();
  cmd->add_option("--app", o.app_name, "Application name (default: the charm's name)");
  cmd->add_option("-n,--num-units", o.units, "Number of units");
  cmd->add_option("--config", o.config_values, "Config values key=value ...");
  cmd->add_option("--resource", o.resources, "Resources NAME=PATH ...");
  add_hook_options(cmd, o);
}
int run_deploy(Simulator& sim, CliOptions& o) {
  sim.deploy(o.charm, o.app_name, o.units, o.config_values, o.resources);
  return o.settled(sim);
}

void declare_add_unit(CLI::App* cmd, CliOptions& o) {
  cmd->add_option("app", o.app_name)->required();
  cmd->add_option("-n,--num-units", o.units, "Number of units");
  add_hook_options(cmd, o);
}
int run_add_unit(Simulator& sim, CliOptions& o) {
  sim.add_unit(o.app_name, o.units);
  return o.settled(sim);
}

void declare_remove_unit(CLI::App* cmd, CliOptions& o) {
  cmd->add_option("units", o.unit_names, "APP/N ...")->required();
  add_hook_options(cmd, o);
}
int run_remove_unit(Simulator& sim, CliOptions& o) {
  for (const auto& u : o.unit_names) sim.db().require_unit(u);
  for (const auto& u : o.unit_names) sim.remove_unit(u);
  return o.settled(sim);
}

void declare_remove_app(CLI::App* cmd, CliOptions& o) {
  cmd->add_option("app", o.app_name)->required();
  add_hook_options(cmd, o);
}
int run_remove_app(Simulator& sim, CliOptions& o) {
  sim.remove_application(o.app_name);
  return o.settled(sim);
}

void declare_integrate(CLI::App* cmd, CliOptions& o) {
  cmd->add_option("a", o.a, "APP[:ENDPOINT]")->required();
  cmd->add_option("b", o.b, "APP[:ENDPOINT]")->required();
  add_hook_options(cmd, o);
}
int run_integrate(Simulator& sim, CliOptions& o) {
  sim.integrate(o.a, o.b);
  return o.settled(sim);
}

void declare_remove_relation(CLI::App* cmd, CliOptions& o) {
  cmd->add_option("a", o.a, "APP[:ENDPOINT] or relation id")->required();
  cmd->add_option("b", o.b, "APP[:ENDPOINT]");
  add_hook_options(cmd, o);
}
int run_remove_relation(Simulator& sim, CliOptions& o) {
  sim.remove_relation(o.a, o.b);
  return o.settled(sim);
}

void declare_refresh(CLI::App* cmd, CliOptions& o) {
  cmd->add_option("app", o.app_name)->required();
  cmd->add_option("--path", o.charm, "Charm directory or .charm file")->required();
  add_hook_options(cmd, o);
}
int run_refresh(Simulator& sim, CliOptions& o) {
  sim.refresh(o.app_name, o.charm);
  return o.settled(sim);
}

void declare_attach_resource(CLI::App* cmd, CliOptions& o) {
  cmd->add_option("app", o.app_name)->required();
  cmd->add_option("resources", o.resources, "NAME=PATH ...")->required();
  add_hook_options(cmd, o);
}
int run_attach_resource(Simulator& sim, CliOptions& o) {
  sim.attach_resource(o.app_name, o.resources);
  return o.settled(sim);
}

void declare_config(CLI::App* cmd, CliOptions& o) {
  cmd->add_option("app", o.app_name)->required();
  cmd->add_option("values", o.config_values, "key=value ...");
  cmd->add_option("--reset", o.resets, "Keys to reset to their default")->allow_extra_args(false);
  cmd->add_option("--file", o.config_file, "YAML file: APP: {key: value, ...}");
  add_hook_options(cmd, o);
}
bool config_read_only(const CliOptions& o) {
  return o.config_values.empty() && o.resets.empty() && o.config_file.empty();
}
int run_config(Simulator& sim, CliOptions& o) {
  if (!o.config_file.empty()) {
    auto from_file = config_file_values(o.config_file, o.app_name);
    from_file.insert(from_file.end(), o.config_values.begin(), o.config_values.end());
    o.config_values = std::move(from_file);
  }
  if (o.config_values.empty() && o.resets.empty()) {
    const auto values = sim.config(o.app_name);
    if (!values.empty()) std::cout << to_yaml(nlohmann::ordered_json(values));
    return 0;
  }
  sim.set_config(o.app_name, o.config_values, o.resets);
  return o.settled(sim);
}

void declare_model_config(CLI::App* cmd, CliOptions& o) {
  cmd->add_option("values", o.config_values, "key=value ... (update-status-hook-interval)");
  cmd->add_option("--reset", o.resets, "Keys to reset to their default")->allow_extra_args(false);
}
bool model_config_read_only(const CliOptions& o) {
  return o.config_values.empty() && o.resets.empty();
}
int run_model_config(Simulator& sim, CliOptions& o) {
  if (o.config_values.empty() && o.resets.empty()) {
    for (const auto& [k, v] : sim.model_config()) std::cout << k << ": " << v << "\n";
  } else {
    sim.set_model_config(o.config_values, o.resets);
  }
  return 0;
}

void declare_run(CLI::App* cmd, CliOptions& o) {
  cmd->add_option("unit", o.unit, "APP/N")->required();
  cmd->add_option("action", o.action)->required();
  cmd->add_option("params", o.params, "key=value ...");
}
int run_run(Simulator& sim, CliOptions& o) {
  const auto result = sim.run_action(o.unit, o.action, o.params);
  for (const auto& line : result.log) std::cerr << line << "\n";
  if (!result.results.empty()) std::cout << to_yaml(nlohmann::ordered_json(result.results));
  int rc = settle_result(sim, true, 0);
  if (result.status == "failed") {
    std::cerr << "ERROR action \"" << o.action << "\" failed: " << result.message << "\n";
    rc = 1;
  }
  return rc;
}

void declare_exec(CLI::App* cmd, CliOptions& o) {
  cmd->add_option("-u,--unit", o.exec_units, "APP/N (repeatable)");
  cmd->add_option("-a,--app", o.exec_apps, "Every unit of APP (repeatable)");
  cmd->add_option("command", o.command, "-- CMD ARGS... (run by bash)")->required();
}
int run_exec(Simulator& sim, CliOptions& o) {
  std::vector<std::string> targets = o.exec_units;
  for (const auto& name : o.exec_apps) {
    sim.db().require_app(name);
    for (const auto& u : sim.db().units(name)) {
      if (!u.dying) targets.push_back(u.name);
    }
  }
  if (targets.empty()) throw SimError("exec needs --unit APP/N or --app APP");
  for (const auto& u : targets) sim.db().require_unit(u);
  const auto shell = join(o.command, " ");
  if (targets.size() == 1) {
    const auto r = sim.exec(targets.front(), shell);
    std::cout << r.out << std::flush;
    std::cerr << r.err << std::flush;
    return r.exit_code;
  }
  int rc = 0;
  for (const auto& u : targets) {
    const auto r = sim.exec(u, shell);
    std::cout << u << " (exit " << r.exit_code << "):\n" << r.out << std::flush;
    std::cerr << r.err << std::flush;
    if (r.exit_code != 0) rc = 1;
  }
  return rc;
}

void declare_status(CLI::App* cmd, CliOptions& o) {
  cmd->add_option("--format", o.format)->check(CLI::IsMember({"tabular", "json"}));
}
int run_status(Simulator& sim, CliOptions& o) {
  if (o.format == "json") {
    std::cout << status_json(sim.db()).dump(2) << "\n";
  } else {
    std::cout << status_table(sim.db());
  }
  return 0;
}

void declare_show_unit(CLI::App* cmd, CliOptions& o) {
  cmd->add_option("unit", o.unit, "APP/N")->required();
}
int run_show_unit(Simulator& sim, CliOptions& o) {
  std::cout << show_unit(sim.db(), o.unit);
  return 0;
}

void declare_show_status_log(CLI::App* cmd, CliOptions& o) {
  cmd->add_option("unit", o.unit, "APP/N")->required();
  cmd->add_option("--type", o.status_type, "unit (both), workload or juju-unit");
}
int run_show_status_log(Simulator& sim, CliOptions& o) {
  std::cout << status_log(sim.db(), o.unit, o.status_type);
  return 0;
}

void declare_trigger(CLI::App* cmd, CliOptions& o) {
  cmd->add_option("unit", o.unit, "APP/N or APP")->required();
  cmd->add_option("hook", o.hook)->required();
  add_hook_options(cmd, o);
}
int run_trigger(Simulator& sim, CliOptions& o) {
  sim.trigger(o.unit, o.hook);
  return o.settled(sim);
}

void declare_resolve(CLI::App* cmd, CliOptions& o) {
  cmd->add_option("unit", o.unit, "APP/N")->required();
  cmd->add_flag("--no-retry", o.no_retry, "Skip the failed hook instead of retrying it");
  add_hook_options(cmd, o);
}
int run_resolve(Simulator& sim, CliOptions& o) {
  sim.resolve(o.unit, o.no_retry);
  return o.settled(sim);
}

void declare_kill(CLI::App* cmd, CliOptions& o) {
  cmd->add_option("unit", o.unit, "APP/N")->required();
  cmd->add_option("--container", o.container, "Workload container")->required();
  cmd->add_option("--service", o.service, "Pebble service (needed when several run)");
}
int run_kill(Simulator& sim, CliOptions& o) {
  for (int pid : sim.kill_service(o.unit, o.container, o.service)) {
    std::cout << "killed pid " << pid << "\n";
  }
  return 0;
}

void declare_restart_unit(CLI::App* cmd, CliOptions& o) {
  cmd->add_option("unit", o.unit, "APP/N")->required();
  add_hook_options(cmd, o);
}
int run_restart_unit(Simulator& sim, CliOptions& o) {
  sim.restart_unit(o.unit);
  return o.settled(sim);
}

void declare_destroy(CLI::App* cmd, CliOptions& o) {
  cmd->add_flag("--leftovers", o.leftovers,
                "Instead: remove the namespaces and Pebble daemons of ops-sim models whose "
                "model dir is provably gone");
}
bool destroy_read_only(const CliOptions& o) { return o.leftovers; }
int run_destroy(Simulator& sim, CliOptions& o) {
  if (!o.leftovers) {
    sim.destroy();
    return 0;
  }
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
}

void declare_debug_log(CLI::App* cmd, CliOptions& o) {
  cmd->add_option("--include", o.include, "Only this unit or application");
  cmd->add_option("--level", o.level, "Minimum level (DEBUG, INFO, WARNING, ERROR)");
  cmd->add_flag("--tail", o.tail, "Keep printing new lines until interrupted");
  cmd->add_flag("--replay", o.replay, "With --tail: start from the first line");
  cmd->add_option("-n,--lines", o.lines, "With --tail: start with the last N lines")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--format", o.format, "text or json (one object per line)")
      ->check(CLI::IsMember({"tabular", "text", "json"}));
}
int run_debug_log(Simulator&, CliOptions& o) {
  return debug_log_cmd_run(o.dir, o.include, o.level, o.format == "json", o.tail, o.replay,
                           o.lines);
}

void declare_wait_for(CLI::App* cmd, CliOptions& o) {
  cmd->add_option("target", o.unit, "APP or APP/N")->required();
  cmd->add_option("--status", o.status_wanted, "Workload status, e.g. active")->required();
  cmd->add_option("--timeout", o.wait_timeout, "Seconds (default 600; exit 3 after)")
      ->check(CLI::PositiveNumber);
}
int run_wait_for(Simulator&, CliOptions& o) {
  return wait_for(o.dir, o.unit, o.status_wanted, o.wait_timeout);
}

void declare_ssh(CLI::App* cmd, CliOptions& o) {
  cmd->add_option("unit", o.unit, "APP/N")->required();
  cmd->add_option("--container", o.container,
                  "Run in this workload container's filesystem and root (as Pebble exec does)");
  cmd->add_option("command", o.command, "-- CMD ARGS...")->required();
}
int run_ssh(Simulator& sim, CliOptions& o) {
  return ssh_unit(sim.db(), o.unit, o.container, o.command);
}

// Every command, in help order. Read-only invocations take no model lock and
// leave the model agent alone.
const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"deploy", declare_deploy, run_deploy, never, "Deploy a charm directory or .charm file"},
      {"add-unit", declare_add_unit, run_add_unit, never, "Add units to an application"},
      {"remove-unit", declare_remove_unit, run_remove_unit, never, "Remove units"},
      {"remove-application", declare_remove_app, run_remove_app, never,
       "Remove an application: its relations, its units, then itself"},
      {"integrate", declare_integrate, run_integrate, never, "Integrate two applications"},
      {"remove-relation", declare_remove_relation, run_remove_relation, never, "Remove a relation"},
      {"refresh", declare_refresh, run_refresh, never,
       "Replace an application's charm (upgrade-charm)"},
      {"attach-resource", declare_attach_resource, run_attach_resource, never,
       "Replace resources (upgrade-charm)"},
      {"config", declare_config, run_config, config_read_only,
       "Show or set an application's config"},
      {"model-config", declare_model_config, run_model_config, model_config_read_only,
       "Show or set the model's config"},
      {"run", declare_run, run_run, never, "Run an action on a unit; prints its results as YAML"},
      {"status", declare_status, run_status, always, "Show the model"},
      {"show-unit", declare_show_unit, run_show_unit, always, "Show a unit and its relation data"},
      {"show-status-log", declare_show_status_log, run_show_status_log, always,
       "Show a unit's status history (workload and agent)"},
      {"debug-log", declare_debug_log, run_debug_log, always,
       "Show the juju-log lines and hook output"},
      {"trigger", declare_trigger, run_trigger, never,
       "Run a hook on a unit or every unit of an app"},
      {"resolve", declare_resolve, run_resolve, never, "Retry the failed hook of a unit in error"},
      {"wait-for", declare_wait_for, run_wait_for, always,
       "Wait until an application's (or unit's) units have a status and are idle"},
      {"ssh", declare_ssh, run_ssh, always, "Run a command in a unit's pod, like juju ssh"},
      {"exec", declare_exec, run_exec, never,
       "Run a command in units' hook context (hook tools, JUJU_*), like juju exec"},
      {"kill", declare_kill, run_kill, always,
       "Kill -9 a workload service's process; Pebble restarts it by its backoff"},
      {"restart-unit", declare_restart_unit, run_restart_unit, never,
       "Restart a unit's pod: processes and Pebble go, storage stays"},
      {"destroy", declare_destroy, run_destroy, destroy_read_only,
       "Remove the model and everything it created"},
  };
  return kCommands;
}

// The command names, sorted, for "unknown command".
const std::vector<std::string>& command_names() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (const auto& cmd : commands()) names.emplace_back(cmd.name);
    std::sort(names.begin(), names.end());
    return names;
  }();
  return kNames;
}

// The hidden commands ops-sim starts itself.
void declare_hidden(CLI::App& app, CliOptions& o, CLI::App*& daemon_cmd, CLI::App*& agent_cmd) {
  daemon_cmd = app.add_subcommand("pebble-daemon", "");
  daemon_cmd->group("");
  daemon_cmd->add_option("--socket", o.daemon.socket)->required();
  daemon_cmd->add_option("--root", o.daemon.root)->required();
  daemon_cmd->add_option("--mode", o.daemon.mode)->required();
  daemon_cmd->add_option("--netns", o.daemon.netns);
  daemon_cmd->add_option("--hosts", o.daemon.hosts);
  daemon_cmd->add_option("--hostname", o.daemon.hostname);
  daemon_cmd->add_option("--log-dir", o.daemon.log_dir);
  daemon_cmd->add_option("--pid-file", o.daemon.pid_file);
  daemon_cmd->add_option("--mountpoints-file", o.daemon.mountpoints_file);
  agent_cmd = app.add_subcommand("model-agent", "");
  agent_cmd->group("");
}

// Runs the parsed model command `cmd`: under the model lock unless it only
// reads, then hands what is left to the model agent.
int run_model_command(const Command& cmd, CLI::App& app, CliOptions& o, const std::string& exe) {
  if (!o.model_name.empty()) check_model_name(o.model_name);
  Simulator sim({o.dir, o.model_name, o.workloads, exe});
  const bool destroying = std::string_view(cmd.name) == "destroy";
  if (destroying && !o.leftovers) stop_model_agent(o.dir);
  const bool read_only = cmd.read_only(o);
  // Commands that change the model run one at a time per model.
  std::unique_ptr<ModelLock> lock;
  if (!read_only) {
    std::string what = "ops-sim";
    for (const auto* sub : app.get_subcommands()) what += " " + sub->get_name();
    lock = std::make_unique<ModelLock>(o.dir, std::string_view(cmd.name) == "deploy", what);
  }
  const bool progress = ::isatty(2) || std::getenv("OPS_SIM_PROGRESS") != nullptr;
  sim.set_run_options(run_options(o.no_wait, o.timeout, progress));
  const int rc = cmd.run(sim, o);
  if (!read_only && !destroying) {
    // The model agent runs what --no-wait or --timeout leave, and update-status.
    lock.reset();
    if (fs::exists(o.dir / "model.db")) ensure_model_agent(o.dir, exe);
  }
  return rc;
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
  CliOptions o;
  if (const char* d = std::getenv("OPS_SIM_DIR")) o.model_dir = d;
  if (o.model_dir.empty()) o.model_dir = ".ops-sim";
  app.add_option("--model-dir", o.model_dir,
                 "Model directory (env OPS_SIM_DIR, default ./.ops-sim)");
  app.add_option("--model", o.model_name, "Model name, when the first deploy creates the model");
  app.add_option("--workloads", o.workloads,
                 "run: services really run in pods; simulate: plan state only (first deploy)")
      ->check(CLI::IsMember({"run", "simulate"}));
  std::vector<std::pair<CLI::App*, const Command*>> subcommands;
  for (const auto& cmd : commands()) {
    auto* sub = app.add_subcommand(cmd.name, cmd.description);
    cmd.declare(sub, o);
    subcommands.emplace_back(sub, &cmd);
  }
  CLI::App* daemon_cmd = nullptr;
  CLI::App* agent_cmd = nullptr;
  declare_hidden(app, o, daemon_cmd, agent_cmd);

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
    if (daemon_cmd->parsed()) return pebble_daemon_main(o.daemon);
    o.dir = fs::absolute(o.model_dir);
    const auto exe = self_exe();
    if (agent_cmd->parsed()) return model_agent_main(o.dir, exe);
    for (const auto& [sub, cmd] : subcommands) {
      if (sub->parsed()) return run_model_command(*cmd, app, o, exe);
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
