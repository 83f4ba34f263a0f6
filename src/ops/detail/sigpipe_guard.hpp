// SigpipeGuard: writing to a pipe or socket whose reader may be gone
// without the SIGPIPE that would end the process. The project's one copy:
// the hook-tool runner writes to a child that may have exited, the redis-k8s
// charm's TLS client writes through OpenSSL to a peer that may have closed.
#pragma once

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <ctime>

namespace ops::detail {

// For its lifetime, SIGPIPE is blocked in this thread; a SIGPIPE raised
// meanwhile by this thread's writes is discarded on the way out (a write
// then fails with EPIPE instead). One that was already pending before is
// left pending: it is not ours to swallow.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeGuard() {
    if (!was_pending_) {
      sigset_t pending;
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        timespec zero{0, 0};
        while (sigtimedwait(&pipe_, nullptr, &zero) == -1 && errno == EINTR) {
        }
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t pipe_{};
  sigset_t old_{};
  bool was_pending_ = false;
};

}  // namespace ops::detail
