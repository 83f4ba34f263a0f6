#include "ssh.hpp"

#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "pods.hpp"
#include "util.hpp"
#include "workloads.hpp"

namespace ops_sim {
namespace fs = std::filesystem;

namespace {

// Writes a message with write(2) only (async-signal-safe, for the child).
void child_error(const char* what, const char* detail) {
  const char* prefix = "ERROR ops-sim ssh: ";
  (void)!::write(2, prefix, std::strlen(prefix));
  (void)!::write(2, what, std::strlen(what));
  if (detail != nullptr) {
    (void)!::write(2, ": ", 2);
    (void)!::write(2, detail, std::strlen(detail));
  }
  (void)!::write(2, "\n", 1);
}

}  // namespace

int ssh_unit(ModelDb& db, const std::string& unit, const std::string& container,
             const std::vector<std::string>& command) {
  const auto row = db.require_unit(unit);
  const auto app = db.require_app(row.app);
  if (command.empty())
    throw SimError("ssh needs a command to run: ops-sim ssh " + unit + " -- CMD");
  if (!container.empty()) {
    const auto& cs = app.charm.containers;
    if (std::none_of(cs.begin(), cs.end(), [&](const auto& c) { return c.name == container; })) {
      std::vector<std::string> names;
      for (const auto& c : cs) names.push_back(c.name);
      throw SimError("unit " + unit + " has no container \"" + container + "\"" +
                     (names.empty() ? std::string(" (its charm has none)")
                                    : " (containers: " + join(names, ", ") + ")"));
    }
  }
  const auto pod = pod_spec(db, unit);
  if (pod.netns.empty()) {
    throw SimError("ssh needs pods, and this model runs without them (--workloads=simulate): " +
                   unit + " has no network namespace to run in");
  }
  // Everything the child needs is prepared before fork().
  std::vector<std::pair<std::string, std::string>> mounts;
  std::string cwd = row.charm_dir;
  if (!container.empty()) {
    const auto root = container_root(db, unit, container);
    mounts = container_mounts(root, (db.dir() / "mountpoints").string());
    cwd = root.string();
  }
  std::vector<std::string> args = command;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  // Like a terminal's foreground job: Ctrl-C and Ctrl-\ are for the command.
  struct sigaction ignore {};
  struct sigaction old_int {};
  struct sigaction old_quit {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  ::sigaction(SIGINT, &ignore, &old_int);
  ::sigaction(SIGQUIT, &ignore, &old_quit);
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::sigaction(SIGINT, &old_int, nullptr);
    ::sigaction(SIGQUIT, &old_quit, nullptr);
    throw SimError(std::string("fork: ") + std::strerror(err));
  }
  if (pid == 0) {
    ::sigaction(SIGINT, &old_int, nullptr);
    ::sigaction(SIGQUIT, &old_quit, nullptr);
    if (!enter_pod(pod)) {
      child_error("cannot enter the pod", std::strerror(errno));
      _exit(126);
    }
    for (const auto& [src, dst] : mounts) {
      if (::mount(src.c_str(), dst.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
        child_error("cannot mount the container's directory", dst.c_str());
        _exit(126);
      }
    }
    if (::chdir(cwd.c_str()) != 0) {
      child_error("cannot enter", cwd.c_str());
      _exit(126);
    }
    ::execvp(argv[0], argv.data());
    const int err = errno;
    child_error(argv[0], std::strerror(err));
    _exit(err == ENOENT ? 127 : 126);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGQUIT, &old_quit, nullptr);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace ops_sim
