// ops::main as Juju runs it: the test-charm `dispatch` executable in its own
// process, with a JUJU_* environment and fake hook tools (shell scripts that
// record argv and stdin) first on PATH. Every hook tool call is checked with
// its exact argv.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/fake_juju.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

extern char** environ;

namespace {

using ops_test::read_file;

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Argv = std::vector<std::string>;

struct RunResult {
  int exit_code = -1;
  std::string stderr_text;
};

class DispatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    charm_dir_ = root_ / "charm";
    fs::create_directories(charm_dir_);
    for (const char* name : {"metadata.yaml", "actions.yaml", "config.yaml"}) {
      fs::copy_file(fs::path(OPS_TEST_CHARM_SOURCE_DIR) / name, charm_dir_ / name);
    }
    tools_.tool("juju-log", "");
    tools_.tool("status-set", "");
    tools_.tool("is-leader", "false");
    tools_.tool("relation-set", "");
    tools_.tool("action-set", "");
    set_config(R"({"greeting": "hi", "defer-start": false})");
  }
  void set_config(const std::string& json) { tools_.tool("config-get", json); }

  // Runs dispatch for `dispatch_path` with the base environment plus `extra`
  // (an empty value removes a variable).
  RunResult run(const std::string& dispatch_path,
                const std::map<std::string, std::string>& extra = {}) {
    std::map<std::string, std::string> env = {
        {"JUJU_DISPATCH_PATH", dispatch_path},
        {"JUJU_UNIT_NAME", "test-charm/0"},
        {"JUJU_MODEL_NAME", "test-model"},
        {"JUJU_MODEL_UUID", "uuid-1"},
        {"JUJU_VERSION", "3.6.0"},
        {"JUJU_CHARM_DIR", charm_dir_.string()},
    };
    for (const auto& [key, value] : extra) {
      if (value.empty()) {
        env.erase(key);
      } else {
        env[key] = value;
      }
    }
    std::vector<std::string> entries;
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::string_view(*e).rfind("JUJU_", 0) != 0) entries.emplace_back(*e);
    }
    for (const auto& [key, value] : env) entries.push_back(key + "=" + value);
    std::vector<char*> envp;
    for (auto& entry : entries) envp.push_back(entry.data());
    envp.push_back(nullptr);

    const fs::path err = root_ / "stderr.txt";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::string program = program_;
    char* argv[] = {program.data(), nullptr};
    pid_t pid = 0;
    RunResult result;
    const int rc = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv, envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      ADD_FAILURE() << "cannot spawn " << program;
      return result;
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.stderr_text = read_file(err);
    return result;
  }

  std::map<std::string, std::string> relation_env(const std::string& remote_unit) {
    return {{"JUJU_RELATION", "db"},
            {"JUJU_RELATION_ID", "db:3"},
            {"JUJU_REMOTE_UNIT", remote_unit},
            {"JUJU_REMOTE_APP", "pg"}};
  }

  fs::path state_file() const { return charm_dir_ / ".unit-state.db"; }

  ops_test::TempDir tmp_{"ops-dispatch-test-"};
  const fs::path& root_ = tmp_.path();
  fs::path charm_dir_;
  std::string program_ = OPS_TEST_CHARM_DISPATCH;  // the charm's dispatch executable
  ops_test::FakeJuju tools_;
};

const Argv kStatusInstalls0 = {"status-set", "--application=False", "active", "--", "installs: 0"};
const Argv kStatusInstalls1 = {"status-set", "--application=False", "active", "--", "installs: 1"};
Argv info(const std::string& message) { return {"juju-log", "--log-level", "INFO", "--", message}; }

TEST_F(DispatchTest, Install) {
  RunResult result = run("hooks/install");
  EXPECT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_EQ(result.stderr_text, "");
  EXPECT_THAT(tools_.argvs(), ElementsAre(info("installed"), kStatusInstalls1));
  EXPECT_TRUE(fs::exists(state_file()));
  EXPECT_EQ(fs::status(state_file()).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(DispatchTest, ConfigChangedReadsConfigOnce) {
  RunResult result = run("hooks/config-changed");
  EXPECT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_THAT(tools_.argvs(), ElementsAre(Argv{"config-get", "--format=json"},
                                          info("config-changed: greeting=hi"), kStatusInstalls0));
}

TEST_F(DispatchTest, InvalidConfigBlocksAndEndsTheDispatchWithoutCommitting) {
  ASSERT_EQ(run("hooks/install").exit_code, 0);
  const std::string state_before = read_file(state_file());
  tools_.clear_calls();

  set_config(R"({"greeting": "hi", "defer-start": false, "port": "high"})");
  RunResult result = run("hooks/config-changed");
  EXPECT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_EQ(result.stderr_text, "");
  EXPECT_THAT(tools_.argvs(),
              ElementsAre(Argv{"config-get", "--format=json"},
                          Argv{"status-set", "--application=False", "blocked", "--",
                               "Invalid config: [json.exception.type_error.302] type must be "
                               "number, but is string"}));
  // Not even the event counter was saved.
  EXPECT_EQ(read_file(state_file()), state_before);
}

TEST_F(DispatchTest, StoredStateSurvivesBetweenProcesses) {
  ASSERT_EQ(run("hooks/install").exit_code, 0);
  ASSERT_EQ(run("hooks/install").exit_code, 0);
  EXPECT_EQ(tools_.argvs().back(),
            (Argv{"status-set", "--application=False", "active", "--", "installs: 2"}));
}

TEST_F(DispatchTest, RelationChangedReadsRemoteDataAndWritesAtCommit) {
  tools_.tool("relation-get", R"({"host": "db.local"})");
  tools_.tool("relation-list", R"(["pg/0"])");
  RunResult result = run("hooks/db-relation-changed", relation_env("pg/0"));
  EXPECT_EQ(result.exit_code, 0) << result.stderr_text;
  const auto calls = tools_.calls();
  std::vector<Argv> argvs;
  for (const auto& call : calls) argvs.push_back(call.argv);
  EXPECT_THAT(argvs, ElementsAre(Argv{"relation-list", "-r", "3", "--format=json"},
                                 Argv{"relation-get", "-r", "3", "-", "pg/0", "--format=json"},
                                 kStatusInstalls0, Argv{"relation-set", "-r", "3", "--file", "-"}));
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(nlohmann::json::parse(calls[3].stdin_text),
            nlohmann::json({{"greeting", "hello db.local"}}));
}

TEST_F(DispatchTest, DepartedTakesTheRemoteAppFromTheRemoteUnit) {
  RunResult result = run("hooks/db-relation-departed", {{"JUJU_RELATION", "db"},
                                                        {"JUJU_RELATION_ID", "db:3"},
                                                        {"JUJU_REMOTE_UNIT", "pg/1"},
                                                        {"JUJU_DEPARTING_UNIT", "pg/1"}});
  EXPECT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_THAT(tools_.argvs(),
              ElementsAre(info("departed: app=pg unit=pg/1 departing=pg/1"), kStatusInstalls0));
}

TEST_F(DispatchTest, BrokenRelationIsInactiveAndNotListed) {
  tools_.tool("relation-ids", R"(["db:3", "db:4"])");
  RunResult result =
      run("hooks/db-relation-broken",
          {{"JUJU_RELATION", "db"}, {"JUJU_RELATION_ID", "db:3"}, {"JUJU_REMOTE_APP", "pg"}});
  EXPECT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_THAT(tools_.argvs(), ElementsAre(Argv{"relation-ids", "db", "--format=json"},
                                          info("broken: app=pg unit=none active=false listed=4"),
                                          kStatusInstalls0));
}

TEST_F(DispatchTest, ActionResultsAreSentWithActionSet) {
  tools_.tool("action-get", R"({"name": "bob"})");
  RunResult result =
      run("actions/greet", {{"JUJU_ACTION_NAME", "greet"}, {"JUJU_ACTION_UUID", "42"}});
  EXPECT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_THAT(
      tools_.argvs(),
      ElementsAre(Argv{"action-get", "--format=json"},
                  Argv{"action-set", "count.installs=0", "message=hello bob"}, kStatusInstalls0));
}

TEST_F(DispatchTest, DeferredEventRunsFirstInTheNextDispatch) {
  set_config(R"({"greeting": "hi", "defer-start": true})");
  ASSERT_EQ(run("hooks/start").exit_code, 0);
  EXPECT_THAT(tools_.argvs(), ElementsAre(Argv{"config-get", "--format=json"},
                                          info("start: deferred"), kStatusInstalls0));
  tools_.clear_calls();

  set_config(R"({"greeting": "hi", "defer-start": false})");
  RunResult result = run("hooks/config-changed");
  EXPECT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_THAT(tools_.argvs(), ElementsAre(Argv{"config-get", "--format=json"}, info("start: ran"),
                                          info("config-changed: greeting=hi"), kStatusInstalls0));
  tools_.clear_calls();

  // The deferred start ran and is gone.
  ASSERT_EQ(run("hooks/update-status").exit_code, 0);
  EXPECT_THAT(tools_.argvs(), ElementsAre(kStatusInstalls0));
}

TEST_F(DispatchTest, DeferredRelationEventKeepsItsRemoteAppAndUnit) {
  program_ = OPS_DEFERRING_CHARM_DISPATCH;
  set_config(R"({"greeting": "hi", "defer-start": true})");
  RunResult result = run("hooks/db-relation-changed", relation_env("pg/0"));
  EXPECT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_THAT(tools_.argvs(), ElementsAre(Argv{"config-get", "--format=json"},
                                          info("db-changed deferred: app=pg unit=pg/0")));
  tools_.clear_calls();

  // update-status names no relation: what the handler sees comes from the
  // deferred event's snapshot, without a relation-list call.
  set_config(R"({"greeting": "hi", "defer-start": false})");
  result = run("hooks/update-status");
  EXPECT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_THAT(tools_.argvs(), ElementsAre(Argv{"config-get", "--format=json"},
                                          info("db-changed: app=pg unit=pg/0")));
  tools_.clear_calls();
  ASSERT_EQ(run("hooks/update-status").exit_code, 0);
  EXPECT_TRUE(tools_.argvs().empty());  // it ran and is gone
}

TEST_F(DispatchTest, ThrowingHandlerCommitsNothing) {
  ASSERT_EQ(run("hooks/install").exit_code, 0);
  const std::string state_before = read_file(state_file());
  ASSERT_FALSE(state_before.empty());
  tools_.clear_calls();

  tools_.tool("relation-get", R"({"host": "explode"})");
  tools_.tool("relation-list", R"(["pg/0"])");
  RunResult result = run("hooks/db-relation-changed", relation_env("pg/0"));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(read_file(state_file()), state_before);
  EXPECT_FALSE(fs::exists(charm_dir_ / ".unit-state.db-journal"));
  EXPECT_FALSE(fs::exists(charm_dir_ / ".unit-state.db-wal"));
  EXPECT_EQ(tools_.count("relation-set"), 0);
  EXPECT_EQ(tools_.count("status-set"), 0);
  const std::string expected =
      "Uncaught exception in TestCharm.on_db_relation_changed while handling "
      "db_relation_changed (TestCharm/on/db_relation_changed[5]): std::runtime_error: boom";
  EXPECT_EQ(tools_.argvs().back(), (Argv{"juju-log", "--log-level", "ERROR", "--", expected}));
  EXPECT_EQ(result.stderr_text, expected + "\n");

  // The failed dispatch left the state as it was: the next one still counts 1 install.
  tools_.clear_calls();
  ASSERT_EQ(run("hooks/update-status").exit_code, 0);
  EXPECT_THAT(tools_.argvs(), ElementsAre(kStatusInstalls1));
}

TEST_F(DispatchTest, MissingEnvironmentVariableIsAClearError) {
  RunResult result = run("hooks/install", {{"JUJU_UNIT_NAME", ""}});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.stderr_text,
            "ops: cannot dispatch: missing required environment variable JUJU_UNIT_NAME\n");
  EXPECT_TRUE(tools_.argvs().empty());
  EXPECT_FALSE(fs::exists(state_file()));

  result = run("hooks/db-relation-joined", {{"JUJU_RELATION", "db"}, {"JUJU_RELATION_ID", "3"}});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.stderr_text,
            "ops: cannot dispatch: missing required environment variable JUJU_REMOTE_UNIT\n");
}

TEST_F(DispatchTest, UnknownEventIsIgnored) {
  RunResult result = run("hooks/no-such-event");
  EXPECT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_THAT(tools_.argvs(), ElementsAre(kStatusInstalls0));
}

}  // namespace
