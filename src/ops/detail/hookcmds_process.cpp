// posix_spawnp + poll runner for hook tools.
#include "ops/detail/hookcmds_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <system_error>

extern char** environ;

namespace ops::detail {
namespace {

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// Closes a descriptor once, on scope exit or on request.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

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

// Blocks SIGPIPE in this thread while writing to a child that may have
// exited, and discards a SIGPIPE raised meanwhile, so the charm is not killed.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_set_);
    sigaddset(&pipe_set_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_set_, &old_);
  }
  ~SigpipeGuard() {
    if (!was_pending_) {
      sigset_t pending;
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        timespec zero{0, 0};
        while (sigtimedwait(&pipe_set_, nullptr, &zero) == -1 && errno == EINTR) {
        }
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t pipe_set_;
  sigset_t old_;
  bool was_pending_ = false;
};

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, std::string_view input) {
  if (argv.empty()) throw std::system_error(EINVAL, std::generic_category(), "empty argv");
  Pipe in, out, err;
  make_pipe(in);
  make_pipe(out);
  make_pipe(err);

  FileActions actions;
  actions.dup2(in.read.get(), STDIN_FILENO);
  actions.dup2(out.write.get(), STDOUT_FILENO);
  actions.dup2(err.write.get(), STDERR_FILENO);

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  pid_t pid = 0;
  if (int rc = posix_spawnp(&pid, args[0], actions.get(), nullptr, args.data(), environ); rc != 0) {
    throw std::system_error(rc, std::generic_category(), "cannot run " + argv[0]);
  }
  in.read.reset();
  out.write.reset();
  err.write.reset();

  ProcessResult result;
  {
    SigpipeGuard guard;
    std::size_t written = 0;
    if (input.empty()) in.write.reset();
    char buffer[16384];
    while (out.read.get() >= 0 || err.read.get() >= 0) {
      pollfd fds[3];
      nfds_t n = 0;
      auto add = [&](int fd, short events) {
        if (fd >= 0) fds[n++] = pollfd{fd, events, 0};
      };
      add(out.read.get(), POLLIN);
      add(err.read.get(), POLLIN);
      add(in.write.get(), POLLOUT);
      if (::poll(fds, n, -1) < 0) {
        if (errno == EINTR) continue;
        throw_errno("poll");
      }
      for (nfds_t i = 0; i < n; ++i) {
        if (fds[i].revents == 0) continue;
        int fd = fds[i].fd;
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
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.exit_code = 128 + WTERMSIG(status);
  }
  return result;
}

}  // namespace ops::detail
