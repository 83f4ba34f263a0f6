// The ops-sim command line as a script sees it: exit codes when a hook
// fails, --no-wait and the model agent, wait-for, status while hooks run,
// the model lock, remove-application, debug-log, config --file, exec,
// show-status-log, model-config, refusals of bad input, and the model's
// file modes. Simulated workloads: no namespaces needed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <thread>

#include <nlohmann/json.hpp>

#include "sim_fixture.hpp"

namespace ops_sim::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kMetadata = R"(name: app
peers:
  ring:
    interface: ring
)";

constexpr const char* kConfig = R"(options:
  crash:
    type: boolean
    default: false
  delay:
    type: string
    default: "0"
  name:
    type: string
    default: x
)";

// Sets active with its config; config-changed sleeps `delay` seconds and
// fails when crash=true.
constexpr const char* kScript = R"SH(
case "$JUJU_DISPATCH_PATH" in
  hooks/install) status-set maintenance installing ;;
  hooks/config-changed)
    sleep "$(config-get delay)"
    case "$(config-get crash)" in [Tt]rue) echo "crashing on purpose" >&2; exit 1 ;; esac
    status-set active "name $(config-get name)" ;;
  hooks/leader-elected|hooks/stop|hooks/ring-relation-departed)
    echo "$JUJU_UNIT_NAME $JUJU_DISPATCH_PATH leader=$(is-leader)" >> "$LOG.leader" ;;
esac
)SH";

class SimCli : public SimTest {
 protected:
  fs::path charm() { return write_charm("app-charm", kMetadata, kConfig, "", kScript); }
  void deploy(int units = 1) {
    ok({"deploy", charm().string(), "-n", std::to_string(units), "--workloads", "simulate"});
  }
  nlohmann::json status() { return nlohmann::json::parse(ok({"status", "--format=json"})); }
};

TEST_F(SimCli, AFailedHookMakesTheCommandExit2NamingUnitAndHook) {
  deploy(2);
  auto r = sim({"config", "app", "crash=true"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "ERROR unit app/0: hook failed: \"config-changed\"\n"
            "ERROR unit app/1: hook failed: \"config-changed\"\n");
  // Still in error: the next command says so too.
  r = sim({"trigger", "app/0", "update-status"});
  EXPECT_EQ(r.exit_code, 2);
  ok({"config", "app", "crash=false", "--no-wait"});
  r = sim({"resolve", "app/0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "ERROR unit app/1: hook failed: \"config-changed\"\n");
  r = sim({"resolve", "app/1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
}

TEST_F(SimCli, NoWaitReturnsAtOnceAndTheAgentRunsTheHooksWhileStatusShowsThem) {
  deploy(1);
  const auto start = std::chrono::steady_clock::now();
  ok({"config", "app", "delay=2", "name=slow", "--no-wait"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
  // Queued, then running: "executing" either way, with the hook once it runs.
  auto agent = status()["applications"]["app"]["units"]["app/0"]["juju-status"];
  EXPECT_EQ(agent["current"], "executing");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (agent["message"] != "running config-changed hook" &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    agent = status()["applications"]["app"]["units"]["app/0"]["juju-status"];
  }
  EXPECT_EQ(agent,
            (nlohmann::json{{"current", "executing"}, {"message", "running config-changed hook"}}));
  EXPECT_THAT(ok({"status"}), HasSubstr("app/0*  active    executing"));
  // wait-for returns once the unit is active and idle.
  auto r = sim({"wait-for", "app", "--status", "active", "--timeout", "20"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  agent = status()["applications"]["app"]["units"]["app/0"];
  EXPECT_EQ(agent["juju-status"], (nlohmann::json{{"current", "idle"}, {"message", ""}}));
  EXPECT_EQ(agent["workload-status"]["message"], "name slow");
}

TEST_F(SimCli, TimeoutExits3AndTheAgentFinishesTheQueue) {
  deploy(1);
  auto r = sim({"config", "app", "delay=1.5", "name=late", "--timeout", "0.5"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.err, StartsWith("ERROR the model did not settle within 0.5s"));
  r = sim({"wait-for", "app/0", "--status", "active", "--timeout", "20"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(status()["applications"]["app"]["units"]["app/0"]["workload-status"]["message"],
            "name late");
}

TEST_F(SimCli, WaitForTimesOutWith3AndStopsAt2OnAnError) {
  deploy(1);
  auto r = sim({"wait-for", "app", "--status", "blocked", "--timeout", "0.5"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.err,
            "ERROR timed out after 0.5s waiting for app to be blocked/idle: app/0 active/idle\n");
  ok({"config", "app", "crash=true", "--no-wait"});
  r = sim({"wait-for", "app", "--status", "active", "--timeout", "20"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "ERROR unit app/0: hook failed: \"config-changed\"\n");
  r = sim({"wait-for", "nope", "--status", "active"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "ERROR application \"nope\" not found\n");
}

TEST_F(SimCli, ACommandWaitingForTheModelLockSaysSo) {
  deploy(1);
  const int fd = ::open((model_ / ".lock").c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  const std::string holder = "pid 1234 (a test)\n";
  ASSERT_EQ(::pwrite(fd, holder.data(), holder.size(), 0), static_cast<ssize_t>(holder.size()));
  auto pending = std::async(std::launch::async, [&] { return sim({"config", "app", "name=y"}); });
  EXPECT_EQ(pending.wait_for(std::chrono::milliseconds(700)), std::future_status::timeout);
  ::close(fd);
  const auto r = pending.get();
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "waiting for the model lock, held by pid 1234 (a test) ...\n");
}

TEST_F(SimCli, ProgressLinesNameUnitHookAndTime) {
  auto r = sim({"deploy", charm().string(), "--workloads", "simulate"}, {"OPS_SIM_PROGRESS=1"});
  EXPECT_EQ(r.exit_code, 0);
  const auto lines = split(r.err, '\n');
  ASSERT_EQ(lines.size(), 6u) << r.err;  // 5 hooks and the trailing newline
  EXPECT_THAT(lines[0], ::testing::MatchesRegex("\\[ +[0-9]+\\.[0-9]s\\] app/0 install "
                                                "\\([0-9]+\\.[0-9]s\\)"));
  EXPECT_THAT(lines[4], HasSubstr("] app/0 start ("));
  // Not on a pipe without the variable.
  r = sim({"config", "app", "name=z"});
  EXPECT_EQ(r.err, "");
}

TEST_F(SimCli, RemoveApplicationRemovesEverythingAndARedeployWorks) {
  deploy(2);
  take_hooks();
  ok({"remove-application", "app"});
  EXPECT_THAT(take_hooks(), ElementsAre("app/1 hooks/ring-relation-departed app/0",
                                        "app/0 hooks/ring-relation-departed app/1",
                                        "app/0 hooks/ring-relation-broken", "app/0 hooks/stop",
                                        "app/0 hooks/remove", "app/1 hooks/ring-relation-broken",
                                        "app/1 hooks/stop", "app/1 hooks/remove"));
  EXPECT_EQ(status()["applications"], nlohmann::json::object());
  EXPECT_FALSE(fs::exists(model_ / "charms" / "app"));
  auto r = sim({"remove-application", "app"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "ERROR application \"app\" not found\n");
  ok({"deploy", charm().string()});
  EXPECT_EQ(status()["applications"]["app"]["units"].size(), 1u);
  EXPECT_TRUE(status()["applications"]["app"]["units"].contains("app/0"));
}

TEST_F(SimCli, ADepartingLeaderKeepsLeadershipUntilItIsGone) {
  deploy(3);
  std::ofstream(hook_log_.string() + ".leader", std::ios::trunc);
  ok({"remove-unit", "app/0"});
  EXPECT_EQ(read(hook_log_.string() + ".leader"),
            "app/1 hooks/ring-relation-departed leader=False\n"
            "app/2 hooks/ring-relation-departed leader=False\n"
            "app/0 hooks/ring-relation-departed leader=True\n"
            "app/0 hooks/ring-relation-departed leader=True\n"
            "app/0 hooks/stop leader=True\n"
            "app/1 hooks/leader-elected leader=True\n");
  EXPECT_EQ(status()["applications"]["app"]["units"]["app/1"]["leader"], true);
}

TEST_F(SimCli, DebugLogFormatsJsonAndTails) {
  deploy(1);
  const auto json_lines = split(ok({"debug-log", "--format", "json", "--level", "WARNING"}), '\n');
  EXPECT_EQ(json_lines.size(), 1u);  // nothing at WARNING yet
  sim({"config", "app", "crash=true"});
  const auto lines = split(ok({"debug-log", "--format=json", "--level", "WARNING"}), '\n');
  ASSERT_EQ(lines.size(), 3u);
  const auto first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first["entity"], "unit-app-0");
  EXPECT_EQ(first["level"], "WARNING");
  EXPECT_EQ(first["module"], "unit.app/0.config-changed");
  EXPECT_EQ(first["message"], "crashing on purpose");
  EXPECT_EQ(first["model-uuid"], status()["model"]["uuid"]);
  const auto second = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(second["level"], "ERROR");
  // --tail follows: the last line now, a new one when it comes.
  auto follower = std::async(std::launch::async, [&] {
    return run_command({"timeout", "3", OPS_SIM_EXE, "--model-dir", model_.string(), "debug-log",
                        "--tail", "-n", "1", "--level", "ERROR"});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  sim({"resolve", "app/0"});
  const auto tailed = follower.get();
  EXPECT_EQ(tailed.exit_code, 124);  // still following when timeout stopped it
  const auto tail_lines = split(tailed.out, '\n');
  ASSERT_EQ(tail_lines.size(), 3u) << tailed.out;
  EXPECT_THAT(tail_lines[0], HasSubstr("hook \"config-changed\" (via dispatch) failed"));
  EXPECT_THAT(tail_lines[1], HasSubstr("hook \"config-changed\" (via dispatch) failed"));
}

TEST_F(SimCli, ConfigFileSetsTheApplicationsValues) {
  deploy(1);
  write(root_ / "config.yaml", "app:\n  name: from-file\n  delay: \"0\"\nother:\n  name: no\n");
  ok({"config", "app", "--file", (root_ / "config.yaml").string()});
  EXPECT_THAT(ok({"config", "app"}), HasSubstr("name: from-file\n"));
  write(root_ / "bad.yaml", "other:\n  name: no\n");
  auto r = sim({"config", "app", "--file", (root_ / "bad.yaml").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "ERROR config file \"" + (root_ / "bad.yaml").string() +
                       "\" has no settings for application \"app\" (expected \"app:\" at the top "
                       "level)\n");
  r = sim({"config", "app", "--file", (root_ / "none.yaml").string()});
  EXPECT_EQ(r.err, "ERROR cannot read config file \"" + (root_ / "none.yaml").string() + "\"\n");
}

TEST_F(SimCli, ExecRunsInTheHookContextWithTheCommandsExitCode) {
  deploy(2);
  auto r = sim({"exec", "--unit", "app/0", "--",
                "echo $JUJU_UNIT_NAME; is-leader; config-get name;"
                " echo err >&2; exit 4"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.out, "app/0\nTrue\nx\n");
  EXPECT_EQ(r.err, "err\n");
  // Its hook-tool writes commit when it exits 0, as a hook's do.
  ok({"exec", "--unit", "app/1", "--", "status-set blocked from-exec"});
  EXPECT_EQ(status()["applications"]["app"]["units"]["app/1"]["workload-status"],
            (nlohmann::json{{"current", "blocked"}, {"message", "from-exec"}}));
  r = sim({"exec", "--app", "app", "--", "is-leader"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "app/0 (exit 0):\nTrue\napp/1 (exit 0):\nFalse\n");
  r = sim({"exec", "--", "true"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "ERROR exec needs --unit APP/N or --app APP\n");
}

TEST_F(SimCli, ShowStatusLogListsWorkloadAndAgentHistory) {
  deploy(1);
  const auto out = ok({"show-status-log", "app/0", "--type", "workload"});
  const auto lines = split(out, '\n');
  ASSERT_EQ(lines.size(), 4u) << out;
  EXPECT_THAT(lines[0], ::testing::MatchesRegex("Time +Type +Status +Message"));
  EXPECT_THAT(lines[1],
              ::testing::MatchesRegex("[0-9-]+ [0-9:]+Z +workload +maintenance +installing"));
  EXPECT_THAT(lines[2], ::testing::MatchesRegex("[0-9-]+ [0-9:]+Z +workload +active +name x"));
  const auto all = ok({"show-status-log", "app/0"});
  EXPECT_THAT(all, ::testing::ContainsRegex("juju-unit +executing +running install hook\n"));
  EXPECT_THAT(all, ::testing::ContainsRegex("juju-unit +idle *\n"));
  auto r = sim({"show-status-log", "app/0", "--type", "bogus"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "ERROR unknown status type \"bogus\": expected unit, workload or juju-unit\n");
}

TEST_F(SimCli, UpdateStatusRunsAtTheModelsInterval) {
  deploy(2);
  EXPECT_EQ(ok({"model-config"}), "update-status-hook-interval: 5m\n");
  auto r = sim({"model-config", "update-status-hook-interval=0.1s"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "ERROR update-status-hook-interval 0.1s is out of range: expected 1s to 60m (Juju "
            "itself accepts 1m to 60m)\n");
  r = sim({"model-config", "colour=red"});
  EXPECT_EQ(r.err,
            "ERROR unknown model config key \"colour\" (ops-sim supports "
            "update-status-hook-interval)\n");
  take_hooks();
  ok({"model-config", "update-status-hook-interval=1s"});
  EXPECT_EQ(ok({"model-config"}), "update-status-hook-interval: 1s\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  const auto hooks = take_hooks();
  const auto count = [&](const std::string& line) {
    return std::count(hooks.begin(), hooks.end(), line);
  };
  EXPECT_GE(count("app/0 hooks/update-status"), 2);
  EXPECT_GE(count("app/1 hooks/update-status"), 2);
  EXPECT_EQ(count("app/0 hooks/update-status") + count("app/1 hooks/update-status"),
            static_cast<long>(hooks.size()));
}

TEST_F(SimCli, BadInputIsRefusedBeforeAnythingIsDone) {
  auto r = sim({"bogus", "x"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, StartsWith("ERROR unknown command \"bogus\"; commands: add-unit, "
                                "attach-resource, config, debug-log, deploy, destroy, exec,"));
  r = sim({"--model-dir", "/tmp/x", "bogus"});
  EXPECT_THAT(r.err, StartsWith("ERROR unknown command \"bogus\""));

  const fs::path not_charm = root_ / "not-a-charm";
  fs::create_directories(not_charm / "big");
  r = sim({"deploy", not_charm.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "ERROR \"" + not_charm.string() +
                       "\" is not a charm: the directory has no metadata.yaml or "
                       "charmcraft.yaml\n");
  EXPECT_FALSE(fs::exists(model_));
  write(root_ / "file.charm", "just text");
  r = sim({"deploy", (root_ / "file.charm").string()});
  EXPECT_EQ(r.err, "ERROR \"" + (root_ / "file.charm").string() +
                       "\" is not a charm: a .charm file is a zip archive, and this file is not "
                       "one\n");
  ASSERT_EQ(run_command({"sh", "-c",
                         "cd '" + not_charm.string() + "' && echo hi > f && zip -q '" +
                             (root_ / "nometa.charm").string() + "' f"})
                .exit_code,
            0);
  r = sim({"deploy", (root_ / "nometa.charm").string()});
  EXPECT_EQ(r.err, "ERROR \"" + (root_ / "nometa.charm").string() +
                       "\" is not a charm: the archive has no metadata.yaml or charmcraft.yaml\n");
  EXPECT_FALSE(fs::exists(model_));

  for (const std::string& name :
       std::vector<std::string>{"Demo", "-demo", "de_mo", "demo-", std::string(64, 'a')}) {
    r = sim({"deploy", charm().string(), "--model", name, "--workloads", "simulate"});
    EXPECT_EQ(r.exit_code, 1) << name;
    EXPECT_THAT(r.err, StartsWith("ERROR invalid model name \"" + name + "\": ")) << name;
  }
  EXPECT_FALSE(fs::exists(model_));
  ok({"deploy", charm().string(), "--model", "my-model-2", "--workloads", "simulate"});
  EXPECT_EQ(status()["model"]["name"], "my-model-2");
}

TEST_F(SimCli, TheModelIsPrivateToItsOwner) {
  deploy(1);
  struct stat st {};
  ASSERT_EQ(::stat(model_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  for (const char* name : {"model.db", ".lock"}) {
    ASSERT_EQ(::stat((model_ / name).c_str(), &st), 0) << name;
    EXPECT_EQ(st.st_mode & 07777, 0600u) << name;
  }
  for (const char* name : {"model.db-wal", "model.db-shm"}) {
    if (::stat((model_ / name).c_str(), &st) == 0) {
      EXPECT_EQ(st.st_mode & 07777, 0600u) << name;
    }
  }
}

}  // namespace
}  // namespace ops_sim::testing
