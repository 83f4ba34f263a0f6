// posix_spawnp + poll runner for hook tools.
#include "ops/detail/hookcmds_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/syscall.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <system_error>

#include "ops/detail/fd.hpp"
#include "ops/detail/sigpipe_guard.hpp"
#include "ops/errors.hpp"
#include "ops/hookcmds.hpp"

extern char** environ;

namespace ops::detail {
namespace {

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

struct Pipe {
  Fd read;
  Fd write;
};

void make_pipe(Pipe& p) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2");
  p.read.reset(fds[0]);
  p.write.reset(fds[1]);
}

// Owns posix_spawn's file actions.
class FileActions {
 public:
  FileActions() {
    if (int rc = posix_spawn_file_actions_init(&actions_); rc != 0) {
      throw std::system_error(rc, std::generic_category(), "posix_spawn_file_actions_init");
    }
  }
  ~FileActions() { posix_spawn_file_actions_destroy(&actions_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  void dup2(int from, int to) {
    if (int rc = posix_spawn_file_actions_adddup2(&actions_, from, to); rc != 0) {
      throw std::system_error(rc, std::generic_category(), "posix_spawn_file_actions_adddup2");
    }
  }
  const posix_spawn_file_actions_t* get() const { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

// Owns posix_spawn's attributes: the child leads a new process group, so a
// timeout can end it together with whatever it started.
class SpawnAttributes {
 public:
  SpawnAttributes() {
    if (int rc = posix_spawnattr_init(&attr_); rc != 0) {
      throw std::system_error(rc, std::generic_category(), "posix_spawnattr_init");
    }
    posix_spawnattr_setpgroup(&attr_, 0);
    posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETPGROUP);
  }
  ~SpawnAttributes() { posix_spawnattr_destroy(&attr_); }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
  const posix_spawnattr_t* get() const { return &attr_; }

 private:
  posix_spawnattr_t attr_;
};

// A descriptor that becomes readable when process `pid` exits (pidfd_open,
// Linux 5.3); -1 where the kernel lacks it.
int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  const long fd = ::syscall(SYS_pidfd_open, pid, 0);
  if (fd >= 0) {
    ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
    return static_cast<int>(fd);
  }
#endif
  (void)pid;
  return -1;
}

// Whether the child has exited, without reaping it: while it is a zombie its
// pid (and so its process group id) cannot be reused, which keeps a later
// kill(-pid) from reaching an unrelated group.
bool has_exited(pid_t pid) {
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    if (errno != EINTR) throw_errno("waitid");
  }
  return info.si_pid == pid;
}

using Clock = std::chrono::steady_clock;

// Milliseconds until `when` for poll(), rounded up (at least 0).
int millis_until(Clock::time_point when) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(when - Clock::now()).count();
  if (left <= 0) return 0;
  return left > 60'000 ? 60'000 : static_cast<int>(left);
}

// "0.2s", "300s", "1.5s".
std::string format_seconds(std::chrono::nanoseconds d) {
  const double seconds = std::chrono::duration<double>(d).count();
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", seconds);
  std::string out = text;
  while (out.back() == '0') out.pop_back();
  if (out.back() == '.') out.pop_back();
  return out + "s";
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, std::string_view input,
                          const ProcessOptions& options) {
  if (argv.empty()) throw std::system_error(EINVAL, std::generic_category(), "empty argv");
  Pipe in, out, err;
  make_pipe(in);
  make_pipe(out);
  make_pipe(err);

  FileActions actions;
  actions.dup2(in.read.get(), STDIN_FILENO);
  actions.dup2(out.write.get(), STDOUT_FILENO);
  actions.dup2(err.write.get(), STDERR_FILENO);
  SpawnAttributes attributes;

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  const auto started = Clock::now();
  pid_t pid = 0;
  if (int rc = posix_spawnp(&pid, args[0], actions.get(), attributes.get(), args.data(), environ);
      rc != 0) {
    throw std::system_error(rc, std::generic_category(), "cannot run " + argv[0]);
  }
  in.read.reset();
  out.write.reset();
  err.write.reset();
  Fd pidfd(open_pidfd(pid));

  // Running until the timeout; then SIGTERM to the group (terminating) and,
  // after the grace period or once the child is gone, SIGKILL (killed).
  enum class Phase { kRunning, kTerminating, kKilled } phase = Phase::kRunning;
  const bool has_deadline = options.timeout.has_value();
  const Clock::time_point deadline = has_deadline ? started + *options.timeout : started;
  Clock::time_point kill_at{};
  bool exited = false;
  auto backoff = std::chrono::microseconds(100);  // polling for exit without a pidfd

  ProcessResult result;
  {
    SigpipeGuard guard;
    std::size_t written = 0;
    if (input.empty()) in.write.reset();
    char buffer[16384];
    for (;;) {
      if (!exited) exited = has_exited(pid);
      if (exited) pidfd.reset();
      const bool reading = out.read.get() >= 0 || err.read.get() >= 0;
      if (exited && (!reading || phase == Phase::kKilled)) break;
      const auto now = Clock::now();
      if (phase == Phase::kRunning && has_deadline && now >= deadline) {
        ::kill(-pid, SIGTERM);
        phase = Phase::kTerminating;
        kill_at = now + options.kill_grace;
      }
      if (phase == Phase::kTerminating && (exited || now >= kill_at)) {
        ::kill(-pid, SIGKILL);  // the child itself, and anything left in its group
        phase = Phase::kKilled;
        continue;
      }

      int wait_ms = -1;
      if (phase == Phase::kRunning && has_deadline) wait_ms = millis_until(deadline);
      if (phase == Phase::kTerminating) wait_ms = millis_until(kill_at);
      if (!exited && pidfd.get() < 0 && (!reading || phase == Phase::kKilled)) {
        // Nothing to poll that would wake us at the exit: check again soon.
        const int step =
            static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(backoff).count());
        wait_ms = wait_ms < 0 ? step : std::min(wait_ms, step);
        backoff = std::min(backoff * 2, std::chrono::microseconds(20'000));
      }

      pollfd fds[4];
      nfds_t n = 0;
      auto add = [&](int fd, short events) {
        if (fd >= 0) fds[n++] = pollfd{fd, events, 0};
      };
      add(out.read.get(), POLLIN);
      add(err.read.get(), POLLIN);
      add(in.write.get(), POLLOUT);
      if (!exited) add(pidfd.get(), POLLIN);
      if (::poll(fds, n, wait_ms) < 0) {
        if (errno == EINTR) continue;
        throw_errno("poll");
      }
      for (nfds_t i = 0; i < n; ++i) {
        if (fds[i].revents == 0) continue;
        int fd = fds[i].fd;
        if (fd == pidfd.get()) continue;  // the exit is seen at the top of the loop
        if (fd == in.write.get()) {
          ssize_t w = ::write(fd, input.data() + written, input.size() - written);
          if (w < 0 && errno != EINTR && errno != EAGAIN) {
            in.write.reset();  // the child closed its stdin (EPIPE): stop feeding it
          } else if (w > 0) {
            written += static_cast<std::size_t>(w);
            if (written == input.size()) in.write.reset();
          }
          continue;
        }
        ssize_t r = ::read(fd, buffer, sizeof buffer);
        if (r < 0 && errno == EINTR) continue;
        bool is_out = fd == out.read.get();
        if (r <= 0) {
          (is_out ? out : err).read.reset();
        } else {
          (is_out ? result.out : result.err).append(buffer, static_cast<std::size_t>(r));
        }
      }
    }
    in.write.reset();
  }

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw_errno("waitpid");
  }
  if (phase != Phase::kRunning) {
    throw ProcessTimeout(argv[0] + " did not finish within " + format_seconds(*options.timeout),
                         std::move(result.err));
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.exit_code = 128 + WTERMSIG(status);
  }
  return result;
}

std::optional<std::chrono::nanoseconds> hook_tool_timeout() {
  const char* text = std::getenv(hookcmds::kHookToolTimeoutEnv);
  if (text == nullptr || *text == '\0') return hookcmds::kHookToolTimeout;
  char* end = nullptr;
  errno = 0;
  const double seconds = std::strtod(text, &end);
  if (errno != 0 || end == text || *end != '\0' || !std::isfinite(seconds) || seconds < 0 ||
      seconds > 1e9) {
    throw ModelError(std::string(hookcmds::kHookToolTimeoutEnv) + "=\"" + text +
                     "\" is not valid: expected a number of seconds (0 for no limit)");
  }
  if (seconds == 0) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(seconds));
}

ProcessResult run_hook_tool(const std::vector<std::string>& argv, std::string_view input) {
  const auto timeout = hook_tool_timeout();
  try {
    return run_process(argv, input, {.timeout = timeout});
  } catch (const ProcessTimeout& e) {
    const std::size_t count = argv.size() - 1;
    throw ModelError("hook tool " + argv[0] + " (" + std::to_string(count) +
                         (count == 1 ? " argument" : " arguments") + ") did not finish within " +
                         format_seconds(*timeout) + ": killed it (" +
                         hookcmds::kHookToolTimeoutEnv + " sets the limit)",
                     e.err());
  }
}

}  // namespace ops::detail
