// ops-sim pods: each unit's dispatch runs in its own network namespace with
// the pod hostname and a hosts file naming every unit; destroy removes every
// namespace. Skipped where `ip netns add` is not permitted.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "pods.hpp"
#include "sim_fixture.hpp"

namespace ops_sim::testing {
namespace {

using ::testing::HasSubstr;

class SimPods : public SimTest {
 protected:
  void SetUp() override {
    SimTest::SetUp();
    std::string why;
    if (!ops_sim::pods_supported(&why)) GTEST_SKIP() << why;
  }

  std::vector<std::string> model_namespaces(const std::string& uuid) {
    std::vector<std::string> out;
    const auto prefix = "opssim-" + uuid.substr(0, 8) + "-";
    for (const auto& line :
         ops_sim::split(ops_sim::run_command({"ip", "netns", "list"}).out, '\n')) {
      auto name = line.substr(0, line.find(' '));
      if (name.rfind(prefix, 0) == 0) out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};

TEST_F(SimPods, DispatchRunsInTheUnitsPod) {
  const auto charm = write_charm("pod", "name: pod\npeers:\n  ring:\n    interface: ring\n", "", "",
                                 "OUT='" + (root_ / "pod.out").string() + "'\n" + R"SH(
[ "$JUJU_DISPATCH_PATH" = hooks/update-status ] || exit 0
{
  echo "hostname: $(hostname)"
  echo "fqdn: $(getent hosts "$(hostname)" | awk '{print $2}')"
  echo "peer: $(getent hosts pod-1.pod-endpoints.demo.svc.cluster.local | awk '{print $1}')"
  echo "eth0: $(ip -4 -o addr show dev eth0 | awk '{print $4}')"
  echo "links: $(ip -o link show | grep -c .)"
} > "$OUT"
)SH");
  auto r = sim({"deploy", charm.string(), "-n", "2", "--workloads", "run", "--model", "demo"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto status = nlohmann::json::parse(ok({"status", "--format=json"}));
  const std::string uuid = status["model"]["uuid"];
  EXPECT_EQ(status["model"]["pods"], true);
  const std::string addr0 = status["applications"]["pod"]["units"]["pod/0"]["address"];
  const std::string addr1 = status["applications"]["pod"]["units"]["pod/1"]["address"];
  EXPECT_THAT(addr0, ::testing::StartsWith("10.213."));
  EXPECT_EQ(model_namespaces(uuid),
            (std::vector<std::string>{"opssim-" + uuid.substr(0, 8) + "-net",
                                      "opssim-" + uuid.substr(0, 8) + "-pod-0",
                                      "opssim-" + uuid.substr(0, 8) + "-pod-1"}));
  ok({"trigger", "pod/0", "update-status"});
  EXPECT_EQ(read(root_ / "pod.out"),
            "hostname: pod-0\n"
            "fqdn: pod-0.pod-endpoints.demo.svc.cluster.local\n"
            "peer: " +
                addr1 +
                "\n"
                "eth0: " +
                addr0 +
                "/24\n"
                "links: 2\n");
  // The pods reach each other over the model's bridge, and nothing else.
  auto ping = ops_sim::run_command({"ip", "netns", "exec", "opssim-" + uuid.substr(0, 8) + "-pod-0",
                                    "ip", "route", "get", addr1});
  EXPECT_THAT(ping.out, HasSubstr("dev eth0"));
  auto off_machine =
      ops_sim::run_command({"ip", "netns", "exec", "opssim-" + uuid.substr(0, 8) + "-pod-0", "ip",
                            "route", "get", "1.1.1.1"});
  EXPECT_NE(off_machine.exit_code, 0);

  ok({"remove-unit", "pod/1"});
  EXPECT_EQ(model_namespaces(uuid).size(), 2u);
  ok({"destroy"});
  EXPECT_TRUE(model_namespaces(uuid).empty());
  EXPECT_FALSE(fs::exists(model_));
}

}  // namespace
}  // namespace ops_sim::testing
