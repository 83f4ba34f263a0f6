// refresh (a new charm for an app) and attach-resource: both queue
// upgrade-charm on every unit; refresh keeps each unit's charm state file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sim_fixture.hpp"

namespace ops_sim::testing {
namespace {

using ::testing::ElementsAre;

class SimRefresh : public SimTest {
 protected:
  fs::path charm(const std::string& dir, const std::string& version) {
    return write_charm(dir, R"(name: up
resources:
  conf:
    type: file
    filename: up.conf
)",
                       "", "", "VERSION=" + version + "\n" + R"SH(
case "$JUJU_DISPATCH_PATH" in
  hooks/install) echo "installed by $VERSION" > .unit-state.db ;;
  hooks/start|hooks/upgrade-charm)
    status-set active "$VERSION $(cat "$(resource-get conf)") $(cat .unit-state.db)" ;;
esac
)SH");
  }

  std::string message(const std::string& unit) {
    const auto status = nlohmann::json::parse(ok({"status", "--format=json"}));
    return status["applications"]["up"]["units"][unit]["workload-status"]["message"];
  }
};

TEST_F(SimRefresh, RefreshAndAttachResourceRunUpgradeCharm) {
  write(root_ / "a.conf", "alpha");
  ok({"deploy", charm("v1", "v1").string(), "-n", "2", "--workloads", "simulate", "--resource",
      "conf=" + (root_ / "a.conf").string()});
  EXPECT_EQ(message("up/1"), "v1 alpha installed by v1");
  take_hooks();

  ok({"refresh", "up", "--path", charm("v2", "v2").string()});
  EXPECT_THAT(take_hooks(), ElementsAre("up/0 hooks/upgrade-charm", "up/0 hooks/config-changed",
                                        "up/1 hooks/upgrade-charm", "up/1 hooks/config-changed"));
  EXPECT_EQ(message("up/1"), "v2 alpha installed by v1");

  write(root_ / "b.conf", "beta");
  ok({"attach-resource", "up", "conf=" + (root_ / "b.conf").string()});
  EXPECT_THAT(take_hooks(), ElementsAre("up/0 hooks/upgrade-charm", "up/1 hooks/upgrade-charm"));
  EXPECT_EQ(message("up/0"), "v2 beta installed by v1");

  const auto other = write_charm("other", "name: other\n", "", "", "");
  auto r = sim({"refresh", "up", "--path", other.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "ERROR cannot refresh \"up\" (charm \"up\") with charm \"other\"\n");
  r = sim({"attach-resource", "up", "nope=" + (root_ / "b.conf").string()});
  EXPECT_EQ(r.err, "ERROR charm \"up\" has no resource \"nope\"\n");
  EXPECT_EQ(message("up/0"), "v2 beta installed by v1");
}

}  // namespace
}  // namespace ops_sim::testing
