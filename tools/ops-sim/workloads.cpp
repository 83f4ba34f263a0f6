#include "workloads.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "pods.hpp"
#include "util.hpp"

#include "ops/pebble.hpp"
#include "pebble_server.hpp"

namespace ops_sim {
namespace fs = std::filesystem;

std::vector<std::string> split_command(const std::string& command) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < command.size(); ++i) {
    char ch = command[i];
    if (quote) {
      if (ch == quote) {
        quote = 0;
      } else if (ch == '\\' && quote == '"' && i + 1 < command.size()) {
        cur += command[++i];
      } else {
        cur += ch;
      }
    } else if (ch == '\'' || ch == '"') {
      quote = ch;
      in_word = true;
    } else if (ch == '\\' && i + 1 < command.size()) {
      cur += command[++i];
      in_word = true;
    } else if (std::isspace(static_cast<unsigned char>(ch))) {
      if (in_word) out.push_back(cur);
      cur.clear();
      in_word = false;
    } else {
      cur += ch;
      in_word = true;
    }
  }
  if (quote) throw SimError("unterminated quote in command \"" + command + "\"");
  if (in_word) out.push_back(cur);
  return out;
}

double parse_go_duration(const std::string& text) {
  try {
    return ops::pebble::parse_duration(text).count();
  } catch (const ops::pebble::Error& e) {
    throw SimError(e.what());
  }
}

fs::path container_root(ModelDb& db, const std::string& unit, const std::string& container) {
  return unit_dir(db, unit) / "containers" / container / "rootfs";
}

namespace {

bool process_alive(pid_t pid) {
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto pos = content.rfind(')');
  return pos == std::string::npos || pos + 2 >= content.size() || content[pos + 2] != 'Z';
}

bool is_our_daemon(pid_t pid, const std::string& socket) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return cmd.find("pebble-daemon") != std::string::npos && cmd.find(socket) != std::string::npos;
}

}  // namespace

void start_pebble_daemons(ModelDb& db, const std::string& unit, const std::string& exe) {
  const auto app = db.require_app(unit_app(unit));
  if (app.charm.containers.empty()) return;
  const auto pod = pod_spec(db, unit);
  const auto mode = db.meta("workloads").value_or("simulate");
  for (const auto& c : app.charm.containers) {
    const auto dir = unit_dir(db, unit) / "pebble" / c.name;
    fs::create_directories(dir);
    const auto socket = (dir / "pebble.socket").string();
    const auto pid_file = (dir / "pebble.pid").string();
    if (socket.size() >= sizeof(sockaddr_un{}.sun_path)) {
      throw SimError(
          "the Pebble socket path of " + unit + " container \"" + c.name + "\" is " +
          std::to_string(socket.size()) + " characters, more than a unix socket allows (" +
          std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + "): use a shorter --model-dir");
    }
    std::error_code ec;
    fs::remove(socket, ec);
    fs::remove(pid_file, ec);
    const auto log_dir = unit_dir(db, unit) / "containers" / c.name / "logs";
    fs::create_directories(log_dir);
    std::vector<std::string> args = {exe,
                                     "pebble-daemon",
                                     "--socket",
                                     socket,
                                     "--root",
                                     container_root(db, unit, c.name).string(),
                                     "--mode",
                                     mode,
                                     "--log-dir",
                                     log_dir.string(),
                                     "--pid-file",
                                     pid_file,
                                     "--mountpoints-file",
                                     (db.dir() / "mountpoints").string()};
    if (!pod.netns.empty()) {
      args.insert(args.end(),
                  {"--netns", pod.netns, "--hosts", pod.hosts_file, "--hostname", pod.hostname});
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const auto log = (dir / "pebble.log").string();
    fs::remove(log, ec);
    pid_t child = ::fork();
    if (child < 0) throw SimError(std::string("fork: ") + std::strerror(errno));
    if (child == 0) {
      // Detach twice so the daemon outlives this command and is nobody's zombie.
      ::setsid();
      if (::fork() != 0) _exit(0);
      int null_fd = ::open("/dev/null", O_RDONLY);
      int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      if (null_fd < 0 || log_fd < 0) _exit(126);
      ::dup2(null_fd, 0);
      ::dup2(log_fd, 1);
      ::dup2(log_fd, 2);
      ::execv(argv[0], argv.data());
      _exit(127);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!fs::exists(socket) || !fs::exists(pid_file)) {
      // A daemon that failed says so in its log and exits: do not wait it out.
      std::string early;
      if (fs::exists(log) && fs::file_size(log) > 0) {
        try {
          early = read_file(log);
        } catch (const SimError&) {
        }
      }
      if (early.rfind("ERROR", 0) == 0) {
        throw SimError("the Pebble daemon of " + unit + " container \"" + c.name +
                       "\" did not start: " + trim(early));
      }
      if (std::chrono::steady_clock::now() > deadline) {
        std::string output;
        try {
          output = trim(read_file(log));
        } catch (const SimError&) {
        }
        throw SimError("the Pebble daemon of " + unit + " container \"" + c.name +
                       "\" did not start" + (output.empty() ? "" : ": " + output));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
}

void stop_pebble_daemons(ModelDb& db, const std::string& unit) {
  const auto base = unit_dir(db, unit) / "pebble";
  if (!fs::exists(base)) return;
  std::vector<pid_t> pids;
  for (const auto& entry : fs::directory_iterator(base)) {
    const auto pid_file = entry.path() / "pebble.pid";
    if (!fs::exists(pid_file)) continue;
    auto pid = parse_int(trim(read_file(pid_file)));
    const auto socket = (entry.path() / "pebble.socket").string();
    if (pid && process_alive(static_cast<pid_t>(*pid)) &&
        is_our_daemon(static_cast<pid_t>(*pid), socket)) {
      ::kill(static_cast<pid_t>(*pid), SIGTERM);
      pids.push_back(static_cast<pid_t>(*pid));
    }
    std::error_code ec;
    fs::remove(pid_file, ec);
  }
  // Services get their kill-delay (5 s by default) to stop; allow for it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(40);
  for (pid_t pid : pids) {
    while (process_alive(pid) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (process_alive(pid)) ::kill(pid, SIGKILL);
  }
}

std::map<std::string, int> running_services(ModelDb& db, const std::string& unit,
                                            const std::string& container) {
  std::map<std::string, int> out;
  const auto base = unit_dir(db, unit);
  const auto daemon_pid_file = base / "pebble" / container / "pebble.pid";
  std::error_code ec;
  if (!fs::exists(daemon_pid_file, ec)) return out;
  const auto daemon = parse_int(trim(read_file(daemon_pid_file)));
  if (!daemon) return out;
  const auto logs = base / "containers" / container / "logs";
  for (const auto& e : fs::directory_iterator(logs, ec)) {
    if (e.path().extension() != ".pid") continue;
    std::string text;
    try {
      text = read_file(e.path());
    } catch (const SimError&) {
      continue;
    }
    const auto pid = parse_int(trim(text));
    if (!pid || !process_alive(static_cast<pid_t>(*pid))) continue;
    // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces.
    std::ifstream stat("/proc/" + std::to_string(*pid) + "/stat");
    std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const auto close = content.rfind(')');
    if (close == std::string::npos) continue;
    const auto fields = split(trim(content.substr(close + 1)), ' ');
    if (fields.size() < 2 || parse_int(fields[1]) != daemon) continue;
    out[e.path().stem().string()] = static_cast<int>(*pid);
  }
  return out;
}

std::vector<int> stop_orphan_pebble_daemons() {
  std::vector<int> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    auto pid = parse_int(e.path().filename().string());
    if (!pid || *pid == ::getpid()) continue;
    std::ifstream in(e.path() / "cmdline", std::ios::binary);
    std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto args = split(cmd, '\0');
    if (args.size() < 4 || args[1] != "pebble-daemon" ||
        fs::path(args[0]).filename() != "ops-sim") {
      continue;
    }
    for (size_t i = 2; i + 1 < args.size(); ++i) {
      if (args[i] == "--socket" && !fs::exists(fs::path(args[i + 1]).parent_path())) {
        ::kill(static_cast<pid_t>(*pid), SIGTERM);
        out.push_back(static_cast<int>(*pid));
      }
    }
  }
  return out;
}

namespace {

// Top-level rootfs dirs whose grandchildren (not children) are mounted, so
// that /var/lib/redis is mounted and /var/lib is not.
const std::set<std::string> kDeepDirs = {"var", "usr"};
const std::set<std::string> kNeverMounted = {"proc", "sys", "dev"};

}  // namespace

// Bind mounts that lay a container's directories over the host's.
std::vector<std::pair<std::string, std::string>> container_mounts(const fs::path& root,
                                                                  const std::string& record) {
  std::vector<std::pair<std::string, std::string>> mounts;
  auto subdirs = [](const fs::path& p) {
    std::vector<fs::path> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(p, ec)) {
      if (e.is_directory() && !e.is_symlink()) out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  auto add = [&](const fs::path& src) {
    const auto dst = fs::path("/") / fs::relative(src, root);
    std::error_code ec;
    if (!fs::exists(dst, ec)) {
      // Create the mountpoint (and remember it for destroy).
      std::vector<fs::path> created;
      for (auto p = dst; !fs::exists(p, ec); p = p.parent_path()) created.push_back(p);
      fs::create_directories(dst, ec);
      if (ec) return;
      std::ofstream out(record, std::ios::app);
      for (const auto& p : created) out << p.string() << "\n";
    }
    if (fs::is_directory(dst, ec)) mounts.emplace_back(src.string(), dst.string());
  };
  for (const auto& top : subdirs(root)) {
    const auto name = top.filename().string();
    if (kNeverMounted.count(name)) continue;
    for (const auto& child : subdirs(top)) {
      if (kDeepDirs.count(name)) {
        for (const auto& grandchild : subdirs(child)) add(grandchild);
      } else {
        add(child);
      }
    }
  }
  return mounts;
}

void remove_created_mountpoints(ModelDb& db) {
  const auto file = db.dir() / "mountpoints";
  if (!fs::exists(file)) return;
  auto lines = split(read_file(file), '\n');
  // Deepest first, only the ones still empty; never anything ops-sim did not create.
  std::sort(lines.begin(), lines.end(),
            [](const auto& a, const auto& b) { return a.size() > b.size(); });
  for (const auto& line : lines) {
    if (line.empty()) continue;
    std::error_code ec;
    if (fs::is_directory(line, ec) && fs::is_empty(line, ec)) fs::remove(line, ec);
  }
  std::error_code ec;
  fs::remove(file, ec);
}

int queue_pebble_notices(ModelDb& db, const std::string& unit) {
  const auto app = db.require_app(unit_app(unit));
  int queued = 0;
  for (const auto& c : app.charm.containers) {
    const auto socket = unit_dir(db, unit) / "pebble" / c.name / "pebble.socket";
    if (!fs::exists(socket)) continue;
    const std::string seen_key = "notices-seen-" + unit + "-" + c.name;
    std::vector<ops::pebble::Notice> notices;
    try {
      ops::pebble::NoticesFilter filter;
      filter.types = {"custom"};
      filter.after = db.meta(seen_key);
      notices =
          ops::pebble::make_client(socket.string(), ops::pebble::Duration(2))->get_notices(filter);
    } catch (const std::exception&) {
      continue;  // a daemon that is not answering has nothing to report
    }
    std::sort(notices.begin(), notices.end(),
              [](const auto& a, const auto& b) { return a.last_repeated < b.last_repeated; });
    for (const auto& n : notices) {
      if (db.meta(seen_key) && n.last_repeated <= *db.meta(seen_key)) continue;
      HookSpec h;
      h.unit = unit;
      h.hook = c.name + "-pebble-custom-notice";
      h.workload = c.name;
      h.notice_id = n.id;
      h.notice_type = n.type;
      h.notice_key = n.key;
      db.enqueue(h);
      db.set_meta(seen_key, n.last_repeated);
      ++queued;
    }
  }
  return queued;
}

namespace {

namespace pebble = ops::pebble;

// Runs services as processes (see workloads.hpp).
class RunServiceManager : public ops::pebble_server::ServiceManager {
 public:
  RunServiceManager(std::string root, std::string log_dir, std::string mountpoints_file,
                    std::string hostname)
      : root_(std::move(root)),
        log_dir_(std::move(log_dir)),
        mountpoints_file_(std::move(mountpoints_file)),
        hostname_(std::move(hostname)) {}
  ~RunServiceManager() override { stop_all(); }

  void start(const std::string& name, const pebble::Service& service) override {
    std::unique_lock lock(mu_);
    auto& proc = procs_[name];
    if (proc && (proc->status == pebble::ServiceStatus::kActive ||
                 proc->status == pebble::ServiceStatus::kBackoff)) {
      return;
    }
    if (proc && proc->monitor.joinable()) {
      lock.unlock();
      proc->monitor.join();
      lock.lock();
    }
    proc = std::make_unique<Proc>();
    proc->service = service;
    proc->pid = spawn(name, service);
    proc->status = pebble::ServiceStatus::kActive;
    proc->started = std::chrono::steady_clock::now();
    // Pebble's okay delay: a service that exits within a second failed to start.
    const pid_t pid = proc->pid;
    lock.unlock();
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (std::chrono::steady_clock::now() < deadline) {
      pid_t r = ::waitpid(pid, &status, WNOHANG);
      if (r == pid) {
        lock.lock();
        procs_[name]->status = pebble::ServiceStatus::kError;
        procs_[name]->pid = 0;
        const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        throw std::runtime_error("cannot start service: exited quickly with code " +
                                 std::to_string(code));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    lock.lock();
    Proc* p = procs_[name].get();
    p->monitor = std::thread([this, name, p] { monitor(name, p); });
  }

  void stop(const std::string& name, const pebble::Service&) override {
    std::unique_lock lock(mu_);
    auto it = procs_.find(name);
    if (it == procs_.end() || !it->second) return;
    Proc* p = it->second.get();
    p->stopping = true;
    if (p->pid > 0 && p->status == pebble::ServiceStatus::kActive) {
      ::kill(-p->pid, SIGTERM);
      double kill_delay = 5;
      if (p->service.kill_delay) kill_delay = parse_go_duration(*p->service.kill_delay);
      const bool exited = p->cv.wait_for(lock, std::chrono::duration<double>(kill_delay),
                                         [p] { return p->pid == 0; });
      if (!exited && p->pid > 0) ::kill(-p->pid, SIGKILL);
    }
    p->cv.notify_all();
    lock.unlock();
    if (p->monitor.joinable()) p->monitor.join();
    lock.lock();
    p->status = pebble::ServiceStatus::kInactive;
  }

  pebble::ServiceStatus status(const std::string& name) override {
    std::lock_guard lock(mu_);
    auto it = procs_.find(name);
    if (it == procs_.end() || !it->second) return pebble::ServiceStatus::kInactive;
    return it->second->status;
  }

  void signal(const std::string& name, int signum) override {
    std::lock_guard lock(mu_);
    auto it = procs_.find(name);
    if (it == procs_.end() || !it->second || it->second->pid <= 0) {
      throw std::runtime_error("service \"" + name + "\" is not running");
    }
    if (::kill(-it->second->pid, signum) != 0) {
      throw std::runtime_error("cannot send signal to \"" + name + "\": " + std::strerror(errno));
    }
  }

  void stop_all() {
    std::vector<std::pair<std::string, pebble::Service>> running;
    {
      std::lock_guard lock(mu_);
      for (auto& [name, p] : procs_) {
        if (p) running.emplace_back(name, p->service);
      }
    }
    for (auto& [name, service] : running) stop(name, service);
  }

 private:
  struct Proc {
    pebble::Service service;
    pid_t pid = 0;
    pebble::ServiceStatus status = pebble::ServiceStatus::kInactive;
    bool stopping = false;
    std::condition_variable cv;
    std::thread monitor;
    std::chrono::steady_clock::time_point started;
  };

  // Waits for the process; restarts it per on-success/on-failure with backoff.
  void monitor(const std::string& name, Proc* p) {
    int attempt = 0;
    while (true) {
      int status = 0;
      pid_t pid;
      {
        std::lock_guard lock(mu_);
        pid = p->pid;
      }
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      std::unique_lock lock(mu_);
      p->pid = 0;
      p->cv.notify_all();
      if (p->stopping) {
        p->status = pebble::ServiceStatus::kInactive;
        return;
      }
      const bool success = WIFEXITED(status) && WEXITSTATUS(status) == 0;
      const auto action = success ? p->service.on_success.value_or("restart")
                                  : p->service.on_failure.value_or("restart");
      if (action != "restart") {
        p->status = success ? pebble::ServiceStatus::kInactive : pebble::ServiceStatus::kError;
        return;
      }
      // Backoff: delay * factor^attempt, capped at limit; reset after a long run.
      double delay = p->service.backoff_delay ? parse_go_duration(*p->service.backoff_delay) : 0.5;
      const double factor = p->service.backoff_factor.value_or(2.0);
      const double limit =
          p->service.backoff_limit ? parse_go_duration(*p->service.backoff_limit) : 30.0;
      if (std::chrono::steady_clock::now() - p->started > std::chrono::duration<double>(limit)) {
        attempt = 0;
      }
      delay = std::min(limit, delay * std::pow(factor, attempt++));
      p->status = pebble::ServiceStatus::kBackoff;
      if (p->cv.wait_for(lock, std::chrono::duration<double>(delay), [p] { return p->stopping; })) {
        p->status = pebble::ServiceStatus::kInactive;
        return;
      }
      try {
        p->pid = spawn(name, p->service);
        p->started = std::chrono::steady_clock::now();
        p->status = pebble::ServiceStatus::kActive;
      } catch (const std::exception&) {
        p->status = pebble::ServiceStatus::kError;
        return;
      }
    }
  }

  // Forks the service process; everything the child needs is prepared first.
  pid_t spawn(const std::string& name, const pebble::Service& service) {
    if (!service.command) throw std::runtime_error("service \"" + name + "\" has no command");
    auto args = split_command(*service.command);
    if (args.empty()) throw std::runtime_error("service \"" + name + "\" has an empty command");
    // A container's environment, not ops-sim's: the image's defaults and the
    // pod's hostname; then HOME/USER for the service's user (Pebble sets
    // them) and the service's own environment on top.
    std::map<std::string, std::string> env = {
        {"PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
        {"HOME", "/root"}};
    if (!hostname_.empty()) env["HOSTNAME"] = hostname_;
    uid_t uid = 0;
    gid_t gid = 0;
    bool as_user = false;
    if (service.user || service.user_id) {
      struct passwd pw {};
      struct passwd* found = nullptr;
      char buf[4096];
      if (service.user) {
        getpwnam_r(service.user->c_str(), &pw, buf, sizeof buf, &found);
      } else {
        getpwuid_r(static_cast<uid_t>(*service.user_id), &pw, buf, sizeof buf, &found);
      }
      if (found) {
        as_user = true;
        uid = found->pw_uid;
        gid = found->pw_gid;
        env["HOME"] = found->pw_dir;
        env["USER"] = found->pw_name;
      }
    }
    if (as_user && (service.group || service.group_id)) {
      struct group gr {};
      struct group* found = nullptr;
      char buf[4096];
      if (service.group) {
        getgrnam_r(service.group->c_str(), &gr, buf, sizeof buf, &found);
      } else {
        getgrgid_r(static_cast<gid_t>(*service.group_id), &gr, buf, sizeof buf, &found);
      }
      if (found) gid = found->gr_gid;
    }
    for (const auto& [k, v] : service.environment) env[k] = v;
    std::vector<std::string> env_strings;
    for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // A relative command (e.g. bin/redis_exporter) resolves in the rootfs.
    std::string program = args[0];
    if (program.find('/') != std::string::npos && program[0] != '/') {
      program = (fs::path(root_) / program).string();
    } else if (program.find('/') == std::string::npos) {
      for (const auto& dir : split(env.count("PATH") ? env["PATH"] : "/usr/bin:/bin", ':')) {
        const auto candidate = fs::path(dir) / program;
        if (::access(candidate.c_str(), X_OK) == 0) {
          program = candidate.string();
          break;
        }
      }
    }
    const auto cwd = service.working_dir.value_or(root_);
    const auto mounts = container_mounts(root_, mountpoints_file_);
    const auto log = (fs::path(log_dir_) / (name + ".log")).string();
    int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) throw std::runtime_error("cannot open " + log + ": " + std::strerror(errno));
    if (as_user) (void)!::fchown(log_fd, uid, gid);
    pid_t pid = ::fork();
    if (pid < 0) {
      ::close(log_fd);
      throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
      ::setpgid(0, 0);
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      if (::unshare(CLONE_NEWNS) != 0) _exit(126);
      if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) _exit(126);
      for (const auto& [src, dst] : mounts) {
        if (::mount(src.c_str(), dst.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) _exit(126);
      }
      int null_fd = ::open("/dev/null", O_RDONLY);
      ::dup2(null_fd, 0);
      ::dup2(log_fd, 1);
      ::dup2(log_fd, 2);
      // chdir first: the service user may not be able to reach the rootfs path.
      if (::chdir(cwd.c_str()) != 0) _exit(126);
      // Opened as root: the service's user need not reach the (0700) model
      // dir that a relative command such as bin/redis_exporter lives in;
      // the exec itself still checks the file's own permissions.
      const int program_fd = ::open(program.c_str(), O_PATH);
      if (program_fd < 0) _exit(127);
      if (as_user) {
        if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) _exit(126);
      }
      ::syscall(SYS_execveat, program_fd, "", argv.data(), envp.data(), AT_EMPTY_PATH);
      _exit(127);
    }
    ::close(log_fd);
    // For `ops-sim kill`: which process is the service now.
    try {
      write_file(fs::path(log_dir_) / (name + ".pid"), std::to_string(pid) + "\n");
    } catch (const SimError&) {
    }
    return pid;
  }

  std::string root_;
  std::string log_dir_;
  std::string mountpoints_file_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Proc>> procs_;
  std::string hostname_;
};

int g_signal_pipe[2] = {-1, -1};

void on_stop_signal(int) {
  const char byte = 1;
  (void)!::write(g_signal_pipe[1], &byte, 1);
}

void on_sigpipe(int) {}

}  // namespace

int container_exec_main(const std::string& root, const std::string& mountpoints_file,
                        const std::vector<std::string>& command) {
  if (command.empty()) {
    std::cerr << "ERROR container-exec: no command\n";
    return 126;
  }
  const auto mounts = container_mounts(root, mountpoints_file);
  if (::unshare(CLONE_NEWNS) != 0 ||
      ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    std::cerr << "ERROR container-exec: cannot make a mount namespace: " << std::strerror(errno)
              << "\n";
    return 126;
  }
  for (const auto& [src, dst] : mounts) {
    if (::mount(src.c_str(), dst.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      std::cerr << "ERROR container-exec: cannot mount " << src << " on " << dst << ": "
                << std::strerror(errno) << "\n";
      return 126;
    }
  }
  std::vector<std::string> args = command;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  std::cerr << "ERROR container-exec: cannot run " << command.front() << ": "
            << std::strerror(errno) << "\n";
  return 127;
}

int pebble_daemon_main(const PebbleDaemonOptions& options) {
  if (!options.netns.empty()) {
    PodSpec pod{options.netns, options.hosts, options.hostname};
    if (!enter_pod(pod)) {
      std::cerr << "ERROR cannot enter pod " << options.netns << ": " << std::strerror(errno)
                << "\n";
      return 1;
    }
  }
  // SIGTERM/SIGINT wake the main thread through a pipe. Handlers (not a
  // blocked mask or SIG_IGN) so that the processes the daemon starts get
  // default signal handling back when they exec.
  if (::pipe2(g_signal_pipe, O_CLOEXEC) != 0) return 1;
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGTERM, &action, nullptr);
  ::sigaction(SIGINT, &action, nullptr);
  action.sa_handler = on_sigpipe;
  ::sigaction(SIGPIPE, &action, nullptr);
  ops::pebble_server::ServerOptions server_options;
  server_options.socket_path = options.socket;
  server_options.root_dir = options.root;
  RunServiceManager* runner = nullptr;
  if (options.mode == "run") {
    // Pebble's exec runs in the container: through `ops-sim container-exec`,
    // in the container's mount namespace like its services (never on the
    // host's own /etc, /var/lib ...).
    std::error_code ec;
    const auto self = fs::read_symlink("/proc/self/exe", ec);
    if (ec) {
      std::cerr << "ERROR cannot find this executable: " << ec.message() << "\n";
      return 1;
    }
    server_options.exec_prefix = {self.string(), "container-exec", options.root,
                                  options.mountpoints_file, "--"};
    auto manager = std::make_unique<RunServiceManager>(options.root, options.log_dir,
                                                       options.mountpoints_file, options.hostname);
    runner = manager.get();
    server_options.services = std::move(manager);
  }
  try {
    ops::pebble_server::Server server(std::move(server_options));
    server.start();
    if (!options.pid_file.empty()) write_file(options.pid_file, std::to_string(::getpid()) + "\n");
    char byte = 0;
    while (::read(g_signal_pipe[0], &byte, 1) < 0 && errno == EINTR) {
    }
    if (runner) runner->stop_all();
    server.stop();
  } catch (const std::exception& e) {
    std::cerr << "ERROR pebble daemon: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace ops_sim
