// Shared fixture of the ops-sim end-to-end tests: a temporary directory with
// a model dir, a way to run the ops-sim binary, and shell-script charms
// whose dispatch appends "<unit> <dispatch path> [<remote unit>]" to a hook
// log before running the test's own script.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/files.hpp"
#include "support/temp_dir.hpp"
#include "util.hpp"

namespace ops_sim::testing {

namespace fs = std::filesystem;

struct SimResult {
  int exit_code;
  std::string out;
  std::string err;
};

class SimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Services may run as another user: let them reach the model dir.
    ::chmod(root_.c_str(), 0755);
    model_ = root_ / "model";
    hook_log_ = root_ / "hooks.log";
  }

  void TearDown() override {
    if (fs::exists(model_ / "model.db")) sim({"destroy"});
  }

  // Runs ops-sim with --model-dir set to this test's model.
  SimResult sim(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv = {"env"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.push_back(OPS_SIM_EXE);
    argv.push_back("--model-dir");
    argv.push_back(model_.string());
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = ops_sim::run_command(argv);
    return {r.exit_code, r.out, r.err};
  }

  // Like sim() but fails the test unless ops-sim exits 0 with no stderr.
  std::string ok(std::vector<std::string> args) {
    auto r = sim(std::move(args));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    return r.out;
  }

  // Writes a charm: metadata/config/actions YAML and a dispatch that logs
  // the hook and then runs `script` (sh) with $LOG set to the hook log.
  fs::path write_charm(const std::string& name, const std::string& metadata,
                       const std::string& config, const std::string& actions,
                       const std::string& script) {
    const auto dir = root_ / name;
    fs::create_directories(dir);
    write(dir / "metadata.yaml", metadata);
    if (!config.empty()) write(dir / "config.yaml", config);
    if (!actions.empty()) write(dir / "actions.yaml", actions);
    write(dir / "dispatch", "#!/bin/sh\nLOG='" + hook_log_.string() +
                                "'\necho \"$JUJU_UNIT_NAME $JUJU_DISPATCH_PATH${JUJU_REMOTE_UNIT:+ "
                                "$JUJU_REMOTE_UNIT}\" >> \"$LOG\"\n" +
                                script);
    fs::permissions(dir / "dispatch", fs::perms::owner_all | fs::perms::group_read |
                                          fs::perms::group_exec | fs::perms::others_read |
                                          fs::perms::others_exec);
    return dir;
  }

  static void write(const fs::path& path, const std::string& content) {
    ops_test::write_file(path, content);
  }

  // The file's content, "" while it does not exist.
  static std::string read(const fs::path& path) { return ops_test::read_file_if_exists(path); }

  // The hook log lines so far; clears it.
  std::vector<std::string> take_hooks() {
    auto lines = ops_sim::split(read(hook_log_), '\n');
    if (!lines.empty() && lines.back().empty()) lines.pop_back();
    std::ofstream(hook_log_, std::ios::trunc);
    return lines;
  }

  // The hook log lines of one unit so far (does not clear).
  std::vector<std::string> hooks_of(const std::string& unit) {
    std::vector<std::string> out;
    for (const auto& line : ops_sim::split(read(hook_log_), '\n')) {
      if (line.rfind(unit + " ", 0) == 0) out.push_back(line.substr(unit.size() + 1));
    }
    return out;
  }

  // /tmp, not $TMPDIR: the Pebble sockets deep in the model dir must stay
  // within the unix socket path limit.
  ops_test::TempDir tmp_{"ops-sim-test-", "/tmp"};
  const fs::path& root_ = tmp_.path();
  fs::path model_;
  fs::path hook_log_;
};

}  // namespace ops_sim::testing
