// A dispatch that changes no stored state, no notice and no snapshot commits
// nothing: the state file is not written (and so not synced); the event
// counter is saved with the next real change. A kill -9 at any moment of a
// dispatch leaves the file as before or as after it.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "ops/framework.hpp"
#include "ops/storage.hpp"
#include "support/files.hpp"
#include "test_support.hpp"

namespace {

using ops_test::read_file;

struct FooEvent : ops::EventBase {
  using EventBase::EventBase;
};

struct CharmEvents : ops::ObjectEvents {
  using ObjectEvents::ObjectEvents;
  ops::EventSource<FooEvent> foo{*this, "foo"};
};

// What the charm's handler does in one dispatch.
struct Plan {
  bool bump = false;   // increments the stored counter
  bool defer = false;  // defers the event
};

struct Charm : ops::Object {
  Charm(ops::Framework& fw, Plan plan) : Object(fw, "MyCharm"), plan_(plan) {
    fw.observe<&Charm::on_foo>(on.foo, *this);
  }
  void on_foo(FooEvent& event) {
    seen.push_back(event.handle().path());
    if (plan_.bump)
      stored.set("count", stored.contains("count") ? stored.get<int>("count") + 1 : 1);
    if (plan_.defer) event.defer();
  }
  CharmEvents on{*this};
  ops::StoredState stored{*this};
  std::vector<std::string> seen;
  Plan plan_;
};

class NoOpCommitTest : public ::testing::Test {
 protected:
  // One dispatch as main runs it: re-emit deferred events, emit foo, commit.
  std::vector<std::string> dispatch(Plan plan) {
    ops::Framework fw(ops::open_sqlite_storage(file_));
    Charm charm(fw, plan);
    fw.reemit();
    charm.on.foo.emit();
    fw.commit();
    return charm.seen;
  }

  // The committed content: the counter, the framework's event count and the notices.
  std::string content() {
    auto storage = ops::open_sqlite_storage(file_);
    std::string out = "count=" + storage->load_snapshot("MyCharm/StoredStateData[_stored]")
                                     .value_or(nlohmann::json::object())
                                     .value("count", nlohmann::json())
                                     .dump();
    out += " framework=" +
           storage->load_snapshot(ops::Framework::kStatePath).value_or(nlohmann::json()).dump();
    for (const auto& notice : storage->notices()) out += " notice=" + notice.event_path;
    return out;
  }

  ops_test::TempDir dir_;
  std::filesystem::path file_ = ops::default_state_file(dir_.path());
};

// Each dispatch emits foo, then pre_commit and commit (unobserved, but numbered).
TEST_F(NoOpCommitTest, ANoOpDispatchLeavesTheFileByteForByte) {
  dispatch({.bump = true});  // foo[1], pre_commit[2], commit[3]
  const std::string before = read_file(file_);
  ASSERT_FALSE(before.empty());
  EXPECT_EQ(dispatch({}), std::vector<std::string>{"MyCharm/on/foo[4]"});
  EXPECT_TRUE(read_file(file_) == before);  // not even SQLite's file change counter moved
  EXPECT_EQ(dispatch({}), std::vector<std::string>{"MyCharm/on/foo[4]"});
  EXPECT_TRUE(read_file(file_) == before);
  EXPECT_EQ(content(), R"(count=1 framework={"event_count":3})");
}

TEST_F(NoOpCommitTest, AChangeCommitsTheEventCountWithIt) {
  dispatch({.bump = true});
  EXPECT_EQ(dispatch({}), std::vector<std::string>{"MyCharm/on/foo[4]"});  // not saved
  // The deferred event is numbered from the last saved count, and the count
  // is saved with it: stored event paths stay unique.
  EXPECT_EQ(dispatch({.defer = true}), std::vector<std::string>{"MyCharm/on/foo[4]"});
  EXPECT_EQ(content(), R"(count=1 framework={"event_count":6} notice=MyCharm/on/foo[4])");
  const std::string deferred = read_file(file_);
  // Deferred again, and the new equal foo[7] is not queued beside it: no change.
  EXPECT_EQ(dispatch({.defer = true}), std::vector<std::string>{"MyCharm/on/foo[4]"});
  EXPECT_TRUE(read_file(file_) == deferred);
  // Handled at last: dropping an older notice is a change.
  EXPECT_EQ(dispatch({}), (std::vector<std::string>{"MyCharm/on/foo[4]", "MyCharm/on/foo[7]"}));
  EXPECT_EQ(content(), R"(count=1 framework={"event_count":9})");
}

TEST_F(NoOpCommitTest, StorageTracksNetChanges) {
  auto storage = ops::open_sqlite_storage(file_);
  EXPECT_FALSE(storage->has_changes());
  const auto sequence = storage->save_notice("A/on/x[1]", "A", "on_x");
  EXPECT_TRUE(storage->has_changes());
  storage->update_notice(sequence, "A", "on_y");
  storage->drop_notice(sequence);  // saved and dropped again: no change
  EXPECT_FALSE(storage->has_changes());
  storage->drop_snapshot("missing");  // nothing to drop
  storage->drop_notice(12345);
  EXPECT_FALSE(storage->has_changes());
  storage->save_snapshot("A", {{"k", 1}});
  EXPECT_TRUE(storage->has_changes());
  storage->commit();
  EXPECT_FALSE(storage->has_changes());
  storage->drop_snapshot("A");
  EXPECT_TRUE(storage->has_changes());
  storage->rollback();
  EXPECT_FALSE(storage->has_changes());
  const auto kept = storage->save_notice("A/on/x[2]", "A", "on_x");
  storage->commit();
  storage->update_notice(kept, "A", "on_z");  // an older notice changed
  EXPECT_TRUE(storage->has_changes());
  storage->commit();
  EXPECT_EQ(storage->notices().at(0).method_name, "on_z");
}

// kill -9 at growing delays into a dispatch (inside SQLite's commit too):
// the file is always as before or as after it, never in between.
void kill_at_any_moment(const std::function<void()>& run,
                        const std::function<std::string()>& content, const std::string& before,
                        const std::string& after) {
  int seen_before = 0;
  int seen_after = 0;
  for (int delay_us = 0; delay_us < 3000000 && seen_after < 3; delay_us += 500 + delay_us / 4) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      try {
        run();
      } catch (...) {
        ::_exit(3);
      }
      ::_exit(0);
    }
    ::usleep(static_cast<useconds_t>(delay_us));
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << "delay " << delay_us;
    const std::string now = content();
    if (now == after) {
      ++seen_after;
    } else {
      ASSERT_EQ(now, before) << "delay " << delay_us;
      ++seen_before;
    }
  }
  EXPECT_GT(seen_after, 0);
  if (before != after) {
    EXPECT_GT(seen_before, 0);
  }
}

TEST_F(NoOpCommitTest, AKillDuringAChangingDispatchLeavesBeforeOrAfter) {
  dispatch({.bump = true});
  // Each child bumps the counter from whatever the file holds: reset it first.
  const std::string base = read_file(file_);
  auto run = [&] { dispatch({.bump = true, .defer = true}); };
  const std::string before = content();
  ASSERT_EQ(before, R"(count=1 framework={"event_count":3})");
  const std::string after = R"(count=2 framework={"event_count":6} notice=MyCharm/on/foo[4])";
  auto content_then_reset = [&] {
    // A kill may leave the WAL beside the file (committed frames not yet
    // copied, or a torn commit): the next open applies or ignores it, and
    // its close leaves the single file again.
    std::string now = content();
    EXPECT_FALSE(std::filesystem::exists(file_.string() + "-wal"));
    EXPECT_FALSE(std::filesystem::exists(file_.string() + "-journal"));
    std::ofstream(file_, std::ios::binary | std::ios::trunc) << base;
    return now;
  };
  kill_at_any_moment(run, content_then_reset, before, after);
}

TEST_F(NoOpCommitTest, AKillDuringANoOpDispatchLeavesTheFileAsItWas) {
  dispatch({.bump = true});
  const std::string bytes = read_file(file_);
  const std::string before = content();
  kill_at_any_moment([&] { dispatch({}); },
                     [&] {
                       EXPECT_EQ(read_file(file_), bytes);  // before the next open, too
                       std::string now = content();
                       EXPECT_EQ(read_file(file_), bytes);
                       return now;
                     },
                     before, before);
}

}  // namespace
