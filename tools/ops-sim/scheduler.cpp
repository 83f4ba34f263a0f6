#include "scheduler.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>
#include <thread>

#include "hook_tools.hpp"
#include "model_changes.hpp"
#include "pods.hpp"
#include "util.hpp"

extern char** environ;

namespace ops_sim {
namespace fs = std::filesystem;

namespace {

HookSpec relation_hook(const UnitRow& unit, const RelationRow& rel, const std::string& kind,
                       const std::string& remote_unit = "", const std::string& departing = "") {
  HookSpec h;
  h.unit = unit.name;
  h.relation_name = rel.endpoint_of(unit.app);
  h.hook = h.relation_name + "-relation-" + kind;
  h.relation_id = rel.id;
  h.remote_app = rel.remote_app_of(unit.app);
  h.remote_unit = remote_unit;
  h.departing_unit = departing;
  return h;
}

HookSpec simple_hook(const std::string& unit, const std::string& hook) {
  HookSpec h;
  h.unit = unit;
  h.hook = hook;
  return h;
}

std::vector<UnitRow> live_units(ModelDb& db, const std::string& app) {
  std::vector<UnitRow> out;
  for (auto& u : db.units(app)) {
    if (!u.dying) out.push_back(u);
  }
  return out;
}

// Juju puts these in every unit's bag when it enters a relation.
void seed_unit_bag(ModelDb& db, int relation_id, const UnitRow& unit) {
  db.update_databag(relation_id, unit.name,
                    {{"egress-subnets", unit.address + "/32"},
                     {"ingress-address", unit.address},
                     {"private-address", unit.address}});
}

void enqueue_joins(ModelDb& db, const RelationRow& rel, const UnitRow& a, const UnitRow& b) {
  db.enqueue(relation_hook(a, rel, "joined", b.name));
  db.enqueue(relation_hook(a, rel, "changed", b.name));
  db.enqueue(relation_hook(b, rel, "joined", a.name));
  db.enqueue(relation_hook(b, rel, "changed", a.name));
}

}  // namespace

namespace hooks {

void elect_leader(ModelDb& db, const std::string& app_name, const std::string& unit_name) {
  auto app = db.require_app(app_name);
  app.leader = unit_name;
  db.update_app(app);
  if (!unit_name.empty()) db.enqueue(simple_hook(unit_name, "leader-elected"));
}

void enqueue_unit_start(ModelDb& db, const std::string& unit_name) {
  const auto unit = db.require_unit(unit_name);
  const auto app = db.require_app(unit.app);
  {
    SQLite::Statement q(db.sql(), "SELECT id, name FROM storage WHERE unit = ? ORDER BY id");
    q.bind(1, unit_name);
    while (q.executeStep()) {
      auto h = simple_hook(unit_name, q.getColumn(1).getString() + "-storage-attached");
      h.storage_id = q.getColumn(0).getString();
      db.enqueue(h);
    }
  }
  db.enqueue(simple_hook(unit_name, "install"));
  std::vector<RelationRow> rels;
  for (const auto& rel : db.relations()) {
    if (!rel.broken && rel.involves(unit.app)) rels.push_back(rel);
  }
  for (const auto& rel : rels) {
    seed_unit_bag(db, rel.id, unit);
    db.enqueue(relation_hook(unit, rel, "created"));
  }
  if (app.leader.empty()) elect_leader(db, unit.app, unit_name);
  db.enqueue(simple_hook(unit_name, "config-changed"));
  db.enqueue(simple_hook(unit_name, "start"));
  for (const auto& c : app.charm.containers) {
    auto h = simple_hook(unit_name, c.name + "-pebble-ready");
    h.workload = c.name;
    db.enqueue(h);
  }
  for (const auto& rel : rels) {
    for (const auto& other : live_units(db, rel.remote_app_of(unit.app))) {
      if (other.name != unit_name) enqueue_joins(db, rel, unit, other);
    }
  }
}

void enqueue_relation_added(ModelDb& db, int relation_id) {
  const auto rel = *db.relation(relation_id);
  const auto units1 = live_units(db, rel.app1);
  const auto units2 = rel.peer ? std::vector<UnitRow>{} : live_units(db, rel.app2);
  for (const auto* units : {&units1, &units2}) {
    for (const auto& u : *units) {
      seed_unit_bag(db, rel.id, u);
      db.enqueue(relation_hook(u, rel, "created"));
    }
  }
  for (const auto& a : units1) {
    for (const auto& b : units2) enqueue_joins(db, rel, a, b);
  }
}

void enqueue_relation_removed(ModelDb& db, int relation_id) {
  auto rel = *db.relation(relation_id);
  rel.broken = true;
  db.update_relation(rel);
  std::vector<UnitRow> units = live_units(db, rel.app1);
  if (!rel.peer) {
    auto more = live_units(db, rel.app2);
    units.insert(units.end(), more.begin(), more.end());
  }
  for (const auto& u : units) {
    for (const auto& m : db.members(rel.id, u.name)) {
      db.enqueue(relation_hook(u, rel, "departed", m, m));
    }
  }
  for (const auto& u : units) db.enqueue(relation_hook(u, rel, "broken"));
  HookSpec cleanup;
  cleanup.internal = true;
  cleanup.hook = "remove-relation";
  cleanup.relation_id = rel.id;
  db.enqueue(cleanup);
}

void enqueue_unit_removal(ModelDb& db, const std::string& unit_name) {
  auto unit = db.require_unit(unit_name);
  unit.dying = true;
  db.update_unit(unit);
  // A departing leader keeps leadership until it is gone, as Juju's lease
  // does: the remove-unit step below elects a new leader and queues
  // leader-elected on it.
  const auto relations = db.relations();
  for (const auto& rel : relations) {
    if (rel.broken || !rel.involves(unit.app)) continue;
    for (const auto& other : live_units(db, rel.remote_app_of(unit.app))) {
      const auto seen = db.members(rel.id, other.name);
      if (std::find(seen.begin(), seen.end(), unit_name) != seen.end()) {
        db.enqueue(relation_hook(other, rel, "departed", unit_name, unit_name));
      }
    }
  }
  const auto queued = db.queued(unit_name);
  for (const auto& rel : relations) {
    if (rel.broken || !rel.involves(unit.app)) continue;
    for (const auto& m : db.members(rel.id, unit_name)) {
      // A unit removed just before (remove-application) queued this one.
      const bool queued_already = std::any_of(queued.begin(), queued.end(), [&](const HookSpec& h) {
        return h.relation_id == rel.id && h.remote_unit == m && h.hook.ends_with("-departed");
      });
      if (!queued_already) db.enqueue(relation_hook(unit, rel, "departed", m, unit_name));
    }
    db.enqueue(relation_hook(unit, rel, "broken"));
  }
  db.enqueue(simple_hook(unit_name, "stop"));
  db.enqueue(simple_hook(unit_name, "remove"));
  auto cleanup = simple_hook(unit_name, "remove-unit");
  cleanup.internal = true;
  db.enqueue(cleanup);
}

void enqueue_pod_restart(ModelDb& db, const std::string& unit_name) {
  const auto unit = db.require_unit(unit_name);
  const auto app = db.require_app(unit.app);
  db.enqueue(simple_hook(unit_name, "stop"));
  auto restart = simple_hook(unit_name, "restart-pod");
  restart.internal = true;
  db.enqueue(restart);
  for (const char* hook : {"upgrade-charm", "config-changed", "start"}) {
    db.enqueue(simple_hook(unit_name, hook));
  }
  for (const auto& c : app.charm.containers) {
    auto h = simple_hook(unit_name, c.name + "-pebble-ready");
    h.workload = c.name;
    db.enqueue(h);
  }
}

}  // namespace hooks

std::string ensure_tool_links(ModelDb& db, const std::string& exe) {
  const auto bin = db.dir() / "bin";
  fs::create_directories(bin);
  for (const auto& name : hook_tool_names()) {
    const auto link = bin / name;
    std::error_code ec;
    if (fs::is_symlink(link, ec) && fs::read_symlink(link, ec) == exe) continue;
    fs::remove(link, ec);
    fs::create_symlink(exe, link);
  }
  return bin.string();
}

Scheduler::Scheduler(ModelDb& db, std::string exe, UnitCleanup on_unit_removed,
                     std::function<bool()> on_idle, PodRestart on_pod_restart)
    : db_(db),
      exe_(std::move(exe)),
      on_unit_removed_(std::move(on_unit_removed)),
      on_idle_(std::move(on_idle)),
      on_pod_restart_(std::move(on_pod_restart)) {}

int Scheduler::run_queue() {
  int failures = 0;
  while (true) {
    if (deadline_ && std::chrono::steady_clock::now() >= *deadline_) {
      timed_out_ = true;
      return failures;
    }
    if (stop_ && *stop_) return failures;
    const auto entries = db_.queued();
    std::set<std::string> errored;
    for (const auto& u : db_.units()) {
      if (u.agent_status == "error") errored.insert(u.name);
    }
    const HookSpec* picked = nullptr;
    for (const auto& e : entries) {
      if (e.internal && e.hook == "remove-application") {
        // After every hook of the app's units and relations has run.
        bool busy = std::any_of(entries.begin(), entries.end(), [&](const HookSpec& o) {
          if (o.id == e.id) return false;
          if (!o.unit.empty() && unit_app(o.unit) == e.remote_app) return true;
          if (o.internal && o.hook == "remove-relation") {
            auto rel = db_.relation(o.relation_id);
            return rel && rel->involves(e.remote_app);
          }
          return false;
        });
        if (busy) continue;
        picked = &e;
        break;
      }
      if (e.internal && e.hook == "remove-relation") {
        bool busy = std::any_of(entries.begin(), entries.end(), [&](const HookSpec& o) {
          return o.id != e.id && o.relation_id == e.relation_id;
        });
        if (busy) continue;
        picked = &e;
        break;
      }
      if (errored.count(e.unit)) continue;
      picked = &e;
      break;
    }
    if (!picked) {
      // Idle: anything new from the workloads (Pebble notices)?
      if (on_idle_ && on_idle_()) continue;
      return failures;
    }
    if (!run_one(*picked)) ++failures;
  }
}

bool Scheduler::run_internal(const HookSpec& hook) {
  if (hook.hook == "remove-relation") {
    SQLite::Transaction tx(db_.sql());
    db_.delete_relation(hook.relation_id);
    db_.dequeue(hook.id);
    tx.commit();
    return true;
  }
  if (hook.hook == "remove-unit") {
    if (on_unit_removed_) on_unit_removed_(hook.unit);
    SQLite::Transaction tx(db_.sql());
    const auto app_name = unit_app(hook.unit);
    db_.delete_unit(hook.unit);
    db_.dequeue(hook.id);
    // The lease of a removed leader runs out: another unit is elected.
    if (auto app = db_.app(app_name); app && app->leader == hook.unit) {
      const auto others = live_units(db_, app_name);
      hooks::elect_leader(db_, app_name, others.empty() ? "" : others.front().name);
    }
    tx.commit();
    write_hosts_files(db_);
    return true;
  }
  if (hook.hook == "remove-application") {
    const auto app = db_.app(hook.remote_app);
    SQLite::Transaction tx(db_.sql());
    for (const auto& rel : db_.relations()) {
      if (rel.involves(hook.remote_app)) db_.delete_relation(rel.id);
    }
    db_.delete_app(hook.remote_app);
    db_.delete_meta("next-unit-" + hook.remote_app);
    db_.delete_meta("dying-app:" + hook.remote_app);
    db_.dequeue(hook.id);
    tx.commit();
    std::error_code ec;
    if (app) fs::remove_all(app->charm_dir, ec);
    fs::remove_all(db_.dir() / "resources" / hook.remote_app, ec);
    return true;
  }
  if (hook.hook == "restart-pod") {
    if (on_pod_restart_) on_pod_restart_(hook.unit);
    db_.dequeue(hook.id);
    return true;
  }
  throw SimError("unknown internal step \"" + hook.hook + "\"");
}

bool Scheduler::run_one(const HookSpec& hook) {
  if (hook.internal) return run_internal(hook);
  auto unit = db_.unit(hook.unit);
  if (!unit) {
    db_.dequeue(hook.id);
    return true;
  }
  if (hook.hook.size() > 16 && hook.hook.ends_with("-relation-joined")) {
    db_.add_member(hook.relation_id, hook.unit, hook.remote_unit);
  } else if (hook.hook.ends_with("-relation-departed")) {
    db_.remove_member(hook.relation_id, hook.unit, hook.remote_unit);
  }
  const auto run_id = random_hex(16);
  const auto started = std::chrono::steady_clock::now();
  db_.set_meta("running:" + hook.unit, "running " + hook.hook + " hook");
  db_.add_status_history(hook.unit, "juju-unit", "executing", "running " + hook.hook + " hook");
  int exit_code;
  try {
    exit_code = spawn_dispatch(hook, run_id);
  } catch (...) {
    db_.delete_meta("running:" + hook.unit);
    throw;
  }
  db_.delete_meta("running:" + hook.unit);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (progress_) progress_(hook, seconds, exit_code == 0);
  if (exit_code == 0) {
    db_.add_status_history(hook.unit, "juju-unit", "idle", "");
    const auto effects = commit_pending(db_, run_id, [&] {
      db_.dequeue(hook.id);
      auto u = *db_.unit(hook.unit);
      if (u.agent_status == "error") {
        u.agent_status = "idle";
        u.error_hook.clear();
        db_.update_unit(u);
      }
    });
    after_commit(hook, effects);
    return true;
  }
  db_.drop_pending(run_id);
  db_.add_log(
      hook.unit, "ERROR", "uniter",
      "hook \"" + hook.hook + "\" (via dispatch) failed: exit status " + std::to_string(exit_code));
  unit = db_.unit(hook.unit);
  unit->agent_status = "error";
  unit->error_hook = hook.hook;
  db_.update_unit(*unit);
  db_.add_status_history(hook.unit, "juju-unit", "error", "hook failed: \"" + hook.hook + "\"");
  return false;
}

void Scheduler::after_commit(const HookSpec& hook, const ChangeEffects& effects) {
  const auto queued = db_.queued();
  auto already_queued = [&](const HookSpec& h) {
    return std::any_of(queued.begin(), queued.end(), [&](const HookSpec& q) {
      return q.unit == h.unit && q.hook == h.hook && q.relation_id == h.relation_id &&
             q.remote_unit == h.remote_unit && q.remote_app == h.remote_app;
    });
  };
  auto pending_in_relation = [&](const std::string& unit, int relation_id) {
    return std::any_of(queued.begin(), queued.end(), [&](const HookSpec& q) {
      return q.unit == unit && q.relation_id == relation_id &&
             (q.hook.ends_with("-relation-created") || q.hook.ends_with("-relation-joined") ||
              q.hook.ends_with("-relation-changed"));
    });
  };
  for (const auto& bag : effects.changed_bags) {
    auto rel = db_.relation(bag.relation_id);
    if (!rel || rel->broken) continue;
    const bool unit_bag = bag.owner.find('/') != std::string::npos;
    const auto writer_app = unit_bag ? unit_app(bag.owner) : bag.owner;
    for (const auto& receiver : live_units(db_, rel->remote_app_of(writer_app))) {
      if (receiver.name == hook.unit || receiver.name == bag.owner) continue;
      if (unit_bag) {
        const auto seen = db_.members(rel->id, receiver.name);
        if (std::find(seen.begin(), seen.end(), bag.owner) == seen.end()) continue;
      }
      auto h = relation_hook(receiver, *rel, "changed", unit_bag ? bag.owner : "");
      h.remote_app = writer_app;
      // A queued created/joined/changed of this relation will see the new
      // application data anyway: coalesce, as Juju does.
      if (!unit_bag && pending_in_relation(receiver.name, rel->id)) continue;
      if (!already_queued(h)) db_.enqueue(h);
    }
  }
  for (const auto& id : effects.changed_secrets) {
    SQLite::Statement q(db_.sql(),
                        "SELECT c.unit, c.label, s.revision FROM secret_consumers c JOIN secrets s "
                        "ON s.id = c.secret_id WHERE c.secret_id = ? AND c.revision < s.revision");
    q.bind(1, id);
    while (q.executeStep()) {
      auto h = simple_hook(q.getColumn(0).getString(), "secret-changed");
      h.secret_id = "secret:" + id;
      h.secret_label = q.getColumn(1).getString();
      h.secret_revision = q.getColumn(2).getInt();
      db_.enqueue(h);
    }
  }
  for (const auto& [unit_name, storage_id] : effects.added_storage) {
    auto h = simple_hook(unit_name, split(storage_id, '/')[0] + "-storage-attached");
    h.storage_id = storage_id;
    db_.enqueue(h);
  }
}

int Scheduler::spawn_dispatch(const HookSpec& hook, const std::string& run_id,
                              const std::string* shell_command, std::string* out_text,
                              std::string* err_text) {
  const auto unit = db_.require_unit(hook.unit);
  const fs::path charm_dir = unit.charm_dir;
  const std::string dispatch_path = (hook.is_action ? "actions/" : "hooks/") + hook.hook;
  fs::path program = charm_dir / "dispatch";
  if (!shell_command && !fs::exists(program)) {
    program = charm_dir / dispatch_path;
    if (!fs::exists(program)) return 0;  // Juju skips hooks a charm does not implement
  }
  const auto bin = ensure_tool_links(db_, exe_);
  const auto udir = unit_dir(db_, hook.unit);
  fs::create_directories(udir);

  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    const auto key = kv.substr(0, eq);
    if (key.rfind("JUJU_", 0) == 0 || key.rfind("OPS_SIM_", 0) == 0) continue;
    env[key] = kv.substr(eq + 1);
  }
  env["PATH"] = bin + ":" + (env.count("PATH") ? env["PATH"] : "/usr/sbin:/usr/bin:/sbin:/bin");
  env["OPS_SIM_DIR"] = db_.dir().string();
  env["OPS_SIM_RUN_ID"] = run_id;
  env["OPS_PEBBLE_SOCKET_DIR"] = (udir / "pebble").string();
  env["JUJU_UNIT_NAME"] = hook.unit;
  env["JUJU_MODEL_NAME"] = db_.model_name();
  env["JUJU_MODEL_UUID"] = db_.model_uuid();
  env["JUJU_CHARM_DIR"] = charm_dir.string();
  env["CHARM_DIR"] = charm_dir.string();
  if (!shell_command) env["JUJU_DISPATCH_PATH"] = dispatch_path;
  env["JUJU_VERSION"] = "3.6.0";
  env["JUJU_AVAILABILITY_ZONE"] = "ops-sim";
  env["JUJU_CONTEXT_ID"] = hook.unit + "-" + hook.hook + "-" + run_id;
  if (hook.is_action) {
    env["JUJU_ACTION_NAME"] = hook.hook;
    env["JUJU_ACTION_UUID"] = hook.action_id;
  } else if (!shell_command) {
    env["JUJU_HOOK_NAME"] = hook.hook;
  }
  if (hook.relation_id >= 0) {
    env["JUJU_RELATION"] = hook.relation_name;
    env["JUJU_RELATION_ID"] = hook.relation_name + ":" + std::to_string(hook.relation_id);
    env["JUJU_REMOTE_APP"] = hook.remote_app;
    if (!hook.remote_unit.empty()) env["JUJU_REMOTE_UNIT"] = hook.remote_unit;
    if (!hook.departing_unit.empty()) env["JUJU_DEPARTING_UNIT"] = hook.departing_unit;
  }
  if (!hook.workload.empty()) env["JUJU_WORKLOAD_NAME"] = hook.workload;
  if (!hook.secret_id.empty()) {
    env["JUJU_SECRET_ID"] = hook.secret_id;
    env["JUJU_SECRET_LABEL"] = hook.secret_label;
    env["JUJU_SECRET_REVISION"] = std::to_string(hook.secret_revision);
  }
  if (!hook.storage_id.empty()) env["JUJU_STORAGE_ID"] = hook.storage_id;
  if (!hook.notice_id.empty()) {
    env["JUJU_NOTICE_ID"] = hook.notice_id;
    env["JUJU_NOTICE_TYPE"] = hook.notice_type;
    env["JUJU_NOTICE_KEY"] = hook.notice_key;
  }

  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string program_str = shell_command ? "/bin/bash" : program.string();
  std::string dash_c = "-c";
  std::string command_str = shell_command ? *shell_command : "";
  std::vector<char*> argv = {program_str.data(), nullptr};
  if (shell_command) argv = {program_str.data(), dash_c.data(), command_str.data(), nullptr};
  const std::string stem = shell_command ? "exec" : "hook";
  const auto out_path = (udir / (stem + ".out")).string();
  const auto err_path = (udir / (stem + ".err")).string();
  const auto dir_str = charm_dir.string();
  const PodSpec pod = pod_spec(db_, hook.unit);

  pid_t pid = fork();
  if (pid < 0) throw SimError(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::setpgid(0, 0);
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int in = ::open("/dev/null", O_RDONLY);
    if (out < 0 || err < 0 || in < 0) _exit(126);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    if (!enter_pod(pod)) {
      const char msg[] = "ops-sim: cannot enter the unit's pod\n";
      (void)!::write(2, msg, sizeof msg - 1);
      _exit(126);
    }
    if (::chdir(dir_str.c_str()) != 0) _exit(126);
    ::execve(argv[0], argv.data(), envp.data());
    const char msg[] = "ops-sim: cannot execute dispatch\n";
    (void)!::write(2, msg, sizeof msg - 1);
    _exit(127);
  }
  long timeout_s = 600;
  if (const char* t = std::getenv("OPS_SIM_HOOK_TIMEOUT")) timeout_s = std::max(1L, std::atol(t));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  int status = 0;
  bool timed_out = false;
  auto pause = std::chrono::microseconds(200);
  while (true) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) throw SimError(std::string("waitpid: ") + std::strerror(errno));
    if (!timed_out && std::chrono::steady_clock::now() > deadline) {
      ::kill(-pid, SIGKILL);
      timed_out = true;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(20000));
  }
  ::kill(-pid, SIGKILL);  // whatever the hook left behind in its process group
  if (shell_command) {
    try {
      if (out_text) *out_text = read_file(out_path);
      if (err_text) *err_text = read_file(err_path);
    } catch (const SimError&) {
    }
  }
  for (const auto& [path, level] : {std::pair{out_path, "INFO"}, std::pair{err_path, "WARNING"}}) {
    if (shell_command) break;
    std::string text;
    try {
      text = read_file(path);
    } catch (const SimError&) {
    }
    for (const auto& line : split(text, '\n')) {
      if (!line.empty()) db_.add_log(hook.unit, level, hook.hook, line);
    }
  }
  if (timed_out) {
    db_.add_log(hook.unit, "ERROR", "uniter", "hook \"" + hook.hook + "\" timed out");
    return 124;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

ExecResult Scheduler::run_exec(const std::string& unit_name, const std::string& command) {
  run_queue();
  HookSpec hook;
  hook.unit = unit_name;
  hook.hook = "juju-exec";
  const auto run_id = random_hex(16);
  ExecResult result;
  db_.set_meta("running:" + unit_name, "running juju-exec");
  try {
    result.exit_code = spawn_dispatch(hook, run_id, &command, &result.out, &result.err);
  } catch (...) {
    db_.delete_meta("running:" + unit_name);
    throw;
  }
  db_.delete_meta("running:" + unit_name);
  // What the command changed through the hook tools is committed as a hook's
  // writes are: only when it exits 0.
  if (result.exit_code == 0) {
    after_commit(hook, commit_pending(db_, run_id));
  } else {
    db_.drop_pending(run_id);
  }
  run_queue();
  return result;
}

ActionRow Scheduler::run_action(const std::string& unit_name, const std::string& action,
                                const nlohmann::json& params) {
  run_queue();
  ActionRow row;
  row.uuid = random_hex(8) + "-" + random_hex(4) + "-4" + random_hex(3) + "-a" + random_hex(3) +
             "-" + random_hex(12);
  row.unit = unit_name;
  row.name = action;
  row.params = params;
  row.status = "running";
  db_.insert_action(row);
  HookSpec hook;
  hook.unit = unit_name;
  hook.hook = action;
  hook.is_action = true;
  hook.action_id = row.uuid;
  const auto run_id = random_hex(16);
  db_.set_meta("running:" + unit_name, "running action " + action);
  db_.add_status_history(unit_name, "juju-unit", "executing", "running action " + action);
  int exit_code;
  try {
    exit_code = spawn_dispatch(hook, run_id);
  } catch (...) {
    db_.delete_meta("running:" + unit_name);
    throw;
  }
  db_.delete_meta("running:" + unit_name);
  db_.add_status_history(unit_name, "juju-unit", "idle", "");
  if (exit_code == 0) {
    after_commit(hook, commit_pending(db_, run_id));
  } else {
    db_.drop_pending(run_id);
  }
  row = *db_.action(row.uuid);
  if (exit_code != 0) {
    row.status = "failed";
    if (row.message.empty()) row.message = "exit status " + std::to_string(exit_code);
  } else if (row.status != "failed") {
    row.status = "completed";
  }
  db_.update_action(row);
  run_queue();
  return row;
}

}  // namespace ops_sim
