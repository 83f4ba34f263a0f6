// A real ops-cpp charm (charms/test-charm, its C++ dispatch) under ops-sim:
// install/config/start through ops::main, an action, relation data from a
// shell-script provider, and a handler that throws: the hook fails, its
// writes are dropped, and `resolve` retries it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sim_fixture.hpp"

namespace ops_sim::testing {
namespace {

using ::testing::HasSubstr;

class SimOpsCharm : public SimTest {
 protected:
  void SetUp() override {
    SimTest::SetUp();
#ifndef OPS_SIM_TEST_CHARM_DISPATCH
    GTEST_SKIP() << "charms/test-charm is not part of this build";
#else
    charm_ = root_ / "test-charm";
    fs::create_directories(charm_);
    for (const char* f : {"metadata.yaml", "config.yaml", "actions.yaml"}) {
      fs::copy_file(fs::path(OPS_SIM_TEST_CHARM_DIR) / f, charm_ / f);
    }
    fs::copy_file(OPS_SIM_TEST_CHARM_DISPATCH, charm_ / "dispatch");
#endif
  }

  std::string unit_greeting(const std::string& unit) {
    const auto shown = ok({"show-unit", unit});
    auto pos = shown.find("greeting: ");
    if (pos == std::string::npos) return "";
    return shown.substr(pos + 10, shown.find('\n', pos) - pos - 10);
  }

  fs::path charm_;
};

TEST_F(SimOpsCharm, RunsTheCppDispatchAndRetriesAThrowingHandler) {
  ok({"deploy", charm_.string(), "-n", "2", "--workloads", "simulate"});
  auto status = nlohmann::json::parse(ok({"status", "--format=json"}));
  for (const char* unit : {"test-charm/0", "test-charm/1"}) {
    EXPECT_EQ(status["applications"]["test-charm"]["units"][unit]["workload-status"],
              (nlohmann::json{{"current", "active"}, {"message", "installs: 1"}}));
  }
  EXPECT_THAT(ok({"debug-log"}),
              HasSubstr("INFO unit.test-charm/1.juju-log config-changed: greeting=hello\n"));
  EXPECT_EQ(ok({"run", "test-charm/1", "greet", "name=bob"}),
            "count:\n  installs: \"1\"\nmessage: hello bob\n");

  const auto pg = write_charm("pg", "name: pg\nprovides:\n  db:\n    interface: pgsql\n",
                              "options:\n  host:\n    type: string\n    default: db.example\n", "",
                              R"SH(
case "$JUJU_DISPATCH_PATH" in
  hooks/db-relation-joined|hooks/config-changed)
    for rid in $(relation-ids db); do relation-set -r "$rid" "host=$(config-get host)"; done ;;
esac
)SH");
  ok({"deploy", pg.string()});
  ok({"integrate", "test-charm", "pg"});
  EXPECT_EQ(unit_greeting("test-charm/0"), "hello db.example");

  auto r = sim({"config", "pg", "host=explode"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "ERROR unit test-charm/0: hook failed: \"db-relation-changed\"\n"
            "ERROR unit test-charm/1: hook failed: \"db-relation-changed\"\n");
  EXPECT_EQ(unit_greeting("test-charm/0"), "hello db.example");  // the throw committed nothing

  // While in error a unit queues further hooks; the others still report it.
  r = sim({"config", "pg", "host=fixed"});
  EXPECT_EQ(r.exit_code, 2);
  r = sim({"resolve", "test-charm/0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "ERROR unit test-charm/1: hook failed: \"db-relation-changed\"\n");
  EXPECT_EQ(unit_greeting("test-charm/0"), "hello fixed");
  EXPECT_EQ(unit_greeting("test-charm/1"), "hello db.example");
  status = nlohmann::json::parse(ok({"status", "--format=json"}));
  EXPECT_EQ(
      status["applications"]["test-charm"]["units"]["test-charm/1"]["workload-status"],
      (nlohmann::json{{"current", "error"}, {"message", "hook failed: \"db-relation-changed\""}}));
}

}  // namespace
}  // namespace ops_sim::testing
