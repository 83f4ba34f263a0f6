// ops::detail::SigpipeGuard: a write to a pipe nobody reads fails with
// EPIPE inside the guard instead of killing the process, and the thread's
// signal state is as it was afterwards.
#include "ops/detail/sigpipe_guard.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

namespace {

bool sigpipe_pending() {
  sigset_t pending;
  sigpending(&pending);
  return sigismember(&pending, SIGPIPE) == 1;
}

bool sigpipe_blocked() {
  sigset_t mask;
  pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  return sigismember(&mask, SIGPIPE) == 1;
}

// A pipe whose read end is already closed.
struct BrokenPipe {
  int write_end = -1;
  BrokenPipe() {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    ::close(fds[0]);
    write_end = fds[1];
  }
  ~BrokenPipe() { ::close(write_end); }
  BrokenPipe(const BrokenPipe&) = delete;
  BrokenPipe& operator=(const BrokenPipe&) = delete;
};

TEST(SigpipeGuardTest, AWriteToAClosedPipeFailsWithEpipeAndLeavesNoSignal) {
  ASSERT_FALSE(sigpipe_blocked());
  BrokenPipe pipe;
  ssize_t written = 0;
  int error = 0;
  {
    ops::detail::SigpipeGuard guard;
    EXPECT_TRUE(sigpipe_blocked());
    written = ::write(pipe.write_end, "x", 1);
    error = errno;
  }
  EXPECT_EQ(written, -1);
  EXPECT_EQ(error, EPIPE);
  EXPECT_FALSE(sigpipe_pending());  // swallowed, so unblocking delivered nothing
  EXPECT_FALSE(sigpipe_blocked());  // the mask is restored
}

TEST(SigpipeGuardTest, ASigpipePendingBeforeTheGuardIsLeftPending) {
  sigset_t pipe_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigset_t old;
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &pipe_set, &old), 0);
  ASSERT_EQ(pthread_kill(pthread_self(), SIGPIPE), 0);
  ASSERT_TRUE(sigpipe_pending());
  {
    ops::detail::SigpipeGuard guard;
    BrokenPipe pipe;
    EXPECT_EQ(::write(pipe.write_end, "x", 1), -1);
  }
  EXPECT_TRUE(sigpipe_pending());  // not the guard's to discard
  EXPECT_TRUE(sigpipe_blocked());  // still blocked, as before the guard
  timespec zero{0, 0};
  EXPECT_EQ(sigtimedwait(&pipe_set, nullptr, &zero), SIGPIPE);  // clean up
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  EXPECT_FALSE(sigpipe_pending());
}

}  // namespace
