// A hook tool that hangs is killed after the hook tool timeout
// (OPS_HOOK_TOOL_TIMEOUT, default 5 minutes) and the call fails with the
// tool named; its process group goes with it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "ops/detail/hookcmds_process.hpp"
#include "ops/errors.hpp"
#include "ops/hookcmds.hpp"
#include "support/fake_juju.hpp"

namespace {

using namespace std::chrono_literals;
namespace hc = ops::hookcmds;
using Clock = std::chrono::steady_clock;

// Sets OPS_HOOK_TOOL_TIMEOUT for one test.
class TimeoutEnv {
 public:
  explicit TimeoutEnv(const char* value) { ::setenv(ops::hookcmds::kHookToolTimeoutEnv, value, 1); }
  ~TimeoutEnv() { ::unsetenv(ops::hookcmds::kHookToolTimeoutEnv); }
};

// Whether process `pid` has ended (gone, or a zombie waiting for init).
bool ended(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto paren = text.rfind(')');
  return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] == 'Z';
}

class HookToolTimeoutTest : public ::testing::Test {
 protected:
  std::string pid_file() const { return (tools_.dir() / "child.pid").string(); }
  pid_t child_pid() const {
    std::ifstream in(pid_file());
    pid_t pid = 0;
    in >> pid;
    return pid;
  }
  ops_test::FakeJuju tools_;
};

TEST_F(HookToolTimeoutTest, HangingToolIsKilledAndNamed) {
  TimeoutEnv env("0.2");
  // The tool starts a child of its own and waits for it: both must go.
  tools_.script("relation-ids",
                "echo stuck >&2\nsleep 30 &\necho $! > '" + pid_file() + "'\nwait\n");
  const auto start = Clock::now();
  try {
    (void)hc::relation_ids("db");
    FAIL() << "expected ModelError";
  } catch (const ops::ModelError& e) {
    EXPECT_EQ(std::string(e.what()),
              "hook tool relation-ids (2 arguments) did not finish within 0.2s: killed it "
              "(OPS_HOOK_TOOL_TIMEOUT sets the limit)");
    EXPECT_EQ(e.stderr(), "stuck\n");
  }
  EXPECT_LT(Clock::now() - start, 1500ms);
  const pid_t child = child_pid();
  ASSERT_GT(child, 0);
  const auto deadline = Clock::now() + 1s;
  while (!ended(child) && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
  EXPECT_TRUE(ended(child)) << "the tool's own child " << child << " still runs";
}

TEST_F(HookToolTimeoutTest, ToolThatClosesItsOutputAndHangsIsKilled) {
  TimeoutEnv env("0.2");
  tools_.script("leader-get", "exec >&- 2>&-\nexec sleep 30\n");
  const auto start = Clock::now();
  try {
    hc::run({"leader-get"});
    FAIL() << "expected ModelError";
  } catch (const ops::ModelError& e) {
    EXPECT_EQ(std::string(e.what()),
              "hook tool leader-get (0 arguments) did not finish within 0.2s: killed it "
              "(OPS_HOOK_TOOL_TIMEOUT sets the limit)");
  }
  EXPECT_LT(Clock::now() - start, 1500ms);
}

TEST_F(HookToolTimeoutTest, ToolIgnoringSigtermGetsSigkillAfterTheGrace) {
  tools_.script("stubborn", "trap '' TERM\nwhile :; do sleep 1; done\n");
  const auto start = Clock::now();
  try {
    ops::detail::run_process({"stubborn", "x"}, {}, {.timeout = 200ms, .kill_grace = 100ms});
    FAIL() << "expected ProcessTimeout";
  } catch (const ops::detail::ProcessTimeout& e) {
    EXPECT_EQ(std::string(e.what()), "stubborn did not finish within 0.2s");
  }
  const auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, 300ms);
  EXPECT_LT(elapsed, 1500ms);
}

TEST_F(HookToolTimeoutTest, QuickToolsAreUnaffected) {
  TimeoutEnv env("0.5");
  tools_.tool("relation-ids", R"(["db:3"])");
  EXPECT_EQ(hc::relation_ids("db"), std::vector<int>{3});
  tools_.tool("leader-set", "", 1, "no leader");
  try {
    hc::run({"leader-set", "a=b"});
    FAIL() << "expected ModelError";
  } catch (const ops::ModelError& e) {
    EXPECT_EQ(std::string(e.what()), "leader-set failed (exit status 1): no leader");
  }
}

TEST(HookToolTimeout, SettingAndDefault) {
  ::unsetenv(ops::hookcmds::kHookToolTimeoutEnv);
  EXPECT_EQ(ops::detail::hook_tool_timeout(), std::chrono::nanoseconds(300s));
  {
    TimeoutEnv env("");
    EXPECT_EQ(ops::detail::hook_tool_timeout(), std::chrono::nanoseconds(300s));
  }
  {
    TimeoutEnv env("1.5");
    EXPECT_EQ(ops::detail::hook_tool_timeout(), std::chrono::nanoseconds(1500ms));
  }
  {
    TimeoutEnv env("0");
    EXPECT_EQ(ops::detail::hook_tool_timeout(), std::nullopt);
  }
  for (const char* bad : {"abc", "-1", "5m", "nan", "inf"}) {
    TimeoutEnv env(bad);
    try {
      ops::detail::hook_tool_timeout();
      FAIL() << "expected ModelError for " << bad;
    } catch (const ops::ModelError& e) {
      EXPECT_EQ(std::string(e.what()), std::string("OPS_HOOK_TOOL_TIMEOUT=\"") + bad +
                                           "\" is not valid: expected a number of seconds (0 for "
                                           "no limit)");
    }
  }
}

}  // namespace
