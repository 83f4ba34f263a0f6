#include "agent.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <set>
#include <thread>

#include "sim.hpp"
#include "util.hpp"
#include "workloads.hpp"

namespace ops_sim {
namespace fs = std::filesystem;

namespace {

std::string lock_holder(int fd) {
  char buf[512];
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return "";
  return trim(std::string_view(buf, static_cast<size_t>(n)));
}

}  // namespace

ModelLock::ModelLock(const fs::path& dir, bool create, const std::string& what, bool quiet) {
  if (!fs::exists(dir)) {
    if (!create) return;  // the command reports the missing model itself
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
    created_ = dir;
  }
  fd_ = ::open((dir / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd_ < 0) throw SimError("cannot open the model lock in " + dir.string());
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) throw SimError("cannot lock the model in " + dir.string());
    if (!quiet) {
      const auto holder = lock_holder(fd_);
      std::cerr << "waiting for the model lock" << (holder.empty() ? "" : ", held by " + holder)
                << " ..." << std::endl;
    }
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) throw SimError("cannot lock the model in " + dir.string());
    }
  }
  record(what);
}

ModelLock::ModelLock(const fs::path& dir, const std::string& what) {
  if (!fs::exists(dir)) return;
  const int fd = ::open((dir / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return;
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return;
  }
  fd_ = fd;
  record(what);
}

void ModelLock::record(const std::string& what) {
  const std::string text = "pid " + std::to_string(::getpid()) + " (" + what + ")\n";
  if (::ftruncate(fd_, 0) == 0) (void)!::pwrite(fd_, text.data(), text.size(), 0);
}

ModelLock::~ModelLock() {
  if (fd_ >= 0) {
    (void)!::ftruncate(fd_, 0);
    ::close(fd_);
  }
  // A deploy that failed on a new model leaves no directory behind.
  std::error_code ec;
  if (!created_.empty() && fs::exists(created_) && !fs::exists(created_ / "model.db")) {
    fs::remove_all(created_, ec);
  }
}

double update_status_interval(const std::string& value) {
  const double seconds = parse_go_duration(value);
  if (seconds < 1 || seconds > 3600) {
    throw SimError("update-status-hook-interval " + value +
                   " is out of range: expected 1s to 60m (Juju itself accepts 1m to 60m)");
  }
  return seconds;
}

namespace {

fs::path agent_pid_file(const fs::path& dir) { return dir / "agent.pid"; }

// The agent's pid when it is running (its cmdline names this model dir).
pid_t running_agent(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(agent_pid_file(dir), ec)) return 0;
  std::string text;
  try {
    text = read_file(agent_pid_file(dir));
  } catch (const SimError&) {
    return 0;
  }
  const auto pid = parse_int(trim(text));
  if (!pid || *pid <= 0) return 0;
  std::ifstream in("/proc/" + std::to_string(*pid) + "/cmdline", std::ios::binary);
  std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto args = split(cmd, '\0');
  bool agent = false;
  bool ours = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "model-agent") agent = true;
    if (args[i] == "--model-dir" && i + 1 < args.size() && args[i + 1] == dir.string()) ours = true;
  }
  return agent && ours ? static_cast<pid_t>(*pid) : 0;
}

std::atomic<bool> g_agent_stop{false};
int g_agent_pipe[2] = {-1, -1};

void on_agent_signal(int) {
  g_agent_stop = true;
  const char byte = 1;
  (void)!::write(g_agent_pipe[1], &byte, 1);
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Whether a queued hook can run now (its unit is not in error).
bool runnable_work(ModelDb& db) {
  const auto queued = db.queued();
  if (queued.empty()) return false;
  std::set<std::string> errored;
  for (const auto& u : db.units()) {
    if (u.agent_status == "error") errored.insert(u.name);
  }
  for (const auto& e : queued) {
    if (e.internal || !errored.count(e.unit)) return true;
  }
  return false;
}

}  // namespace

void ensure_model_agent(const fs::path& dir, const std::string& exe) {
  if (!fs::exists(dir / "model.db") || running_agent(dir) != 0) return;
  std::vector<std::string> args = {exe, "model-agent", "--model-dir", dir.string()};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const auto log = (dir / "agent.log").string();
  const pid_t child = ::fork();
  if (child < 0) throw SimError(std::string("fork: ") + std::strerror(errno));
  if (child == 0) {
    ::setsid();
    if (::fork() != 0) _exit(0);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0600);
    if (null_fd < 0 || log_fd < 0) _exit(126);
    ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    // Not the caller's lock or other descriptors.
    for (int fd = 3; fd < 1024; ++fd) ::close(fd);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  // The agent writes its pid file first thing; wait for it briefly.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (running_agent(dir) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void stop_model_agent(const fs::path& dir) {
  const pid_t pid = running_agent(dir);
  if (pid == 0) return;
  ::kill(pid, SIGTERM);
  // It finishes the hook it runs, if any.
  long timeout_s = 600;
  if (const char* t = std::getenv("OPS_SIM_HOOK_TIMEOUT")) timeout_s = std::max(1L, std::atol(t));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s + 10);
  while (::kill(pid, 0) == 0 && running_agent(dir) == pid &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (running_agent(dir) == pid) ::kill(pid, SIGKILL);
}

int model_agent_main(const fs::path& dir, const std::string& exe) {
  if (::pipe2(g_agent_pipe, O_CLOEXEC) != 0) return 1;
  struct sigaction action {};
  action.sa_handler = on_agent_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGTERM, &action, nullptr);
  ::sigaction(SIGINT, &action, nullptr);
  try {
    write_file(agent_pid_file(dir), std::to_string(::getpid()) + "\n");
  } catch (const SimError& e) {
    std::cerr << "ERROR model agent: " << e.what() << "\n";
    return 1;
  }
  double last_update_status = now_seconds();
  while (!g_agent_stop) {
    struct pollfd pfd {
      g_agent_pipe[0], POLLIN, 0
    };
    (void)::poll(&pfd, 1, 1000);
    if (g_agent_stop) break;
    if (!fs::exists(dir / "model.db")) break;  // the model was removed
    try {
      Simulator sim({dir, "", "", exe});
      auto& db = sim.db();
      const double interval =
          update_status_interval(db.meta("update-status-hook-interval").value_or("5m"));
      const bool update_due = now_seconds() - last_update_status >= interval;
      if (!update_due && !runnable_work(db)) continue;
      ModelLock lock(dir, update_due ? "the model agent: update-status" : "the model agent");
      if (!lock.held()) continue;  // a command runs hooks; try again later
      if (update_due) {
        last_update_status = now_seconds();
        sim.queue_update_status();
      }
      sim.set_stop_flag(&g_agent_stop);
      sim.run_queue();
    } catch (const std::exception& e) {
      std::cerr << "ERROR model agent: " << e.what() << std::endl;
    }
  }
  std::error_code ec;
  if (running_agent(dir) == ::getpid()) fs::remove(agent_pid_file(dir), ec);
  return 0;
}

}  // namespace ops_sim
