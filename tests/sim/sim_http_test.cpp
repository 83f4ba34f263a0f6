// Two ops-cpp charms on the http interface under ops-sim: hello-k8s
// publishes its `website` (HttpProvides), http-proxy writes its backend
// list from `reverseproxy` (HttpRequires), through real dispatch processes
// and hook tools, across config changes, scaling and remove-relation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sim_fixture.hpp"

namespace ops_sim::testing {
namespace {

class SimHttp : public SimTest {
 protected:
  void SetUp() override {
    SimTest::SetUp();
#ifndef OPS_SIM_HTTP_CHARMS_DIR
    GTEST_SKIP() << "the hello-k8s and http-proxy charms are not part of this build";
#else
    charms_ = OPS_SIM_HTTP_CHARMS_DIR;
#endif
  }

  std::string backends() {
    std::ifstream in(root_ / "backends.cfg");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  nlohmann::json unit_status(const std::string& app, const std::string& unit) {
    auto status = nlohmann::json::parse(ok({"status", "--format=json"}));
    return status["applications"][app]["units"][unit]["workload-status"];
  }

  fs::path charms_;
};

TEST_F(SimHttp, TheProxyFollowsTheWebsitesHelloK8sPublishes) {
  ok({"--workloads", "simulate", "deploy", (charms_ / "hello-k8s").string()});
  ok({"deploy", (charms_ / "http-proxy").string(), "--config",
      "config-file=" + (root_ / "backends.cfg").string()});
  EXPECT_EQ(unit_status("http-proxy", "http-proxy/0"),
            (nlohmann::json{{"current", "blocked"}, {"message", "no website related"}}));

  ok({"integrate", "http-proxy:reverseproxy", "hello-k8s:website"});
  const auto shown = ok({"show-unit", "http-proxy/0"});
  auto status = nlohmann::json::parse(ok({"status", "--format=json"}));
  const std::string hello0 = status["applications"]["hello-k8s"]["units"]["hello-k8s/0"]["address"];
  EXPECT_EQ(backends(), "backend websites\n    server hello-k8s-0 " + hello0 + ":8080\n");
  EXPECT_EQ(unit_status("http-proxy", "http-proxy/0"),
            (nlohmann::json{{"current", "active"}, {"message", "1 website"}}));
  // On the wire: interface-http's plain strings.
  EXPECT_THAT(shown, ::testing::HasSubstr("hostname: " + hello0 + "\n"));
  EXPECT_THAT(shown, ::testing::HasSubstr("port: \"8080\"\n"));

  ok({"config", "hello-k8s", "port=9000"});
  EXPECT_EQ(backends(), "backend websites\n    server hello-k8s-0 " + hello0 + ":9000\n");

  ok({"add-unit", "hello-k8s"});
  status = nlohmann::json::parse(ok({"status", "--format=json"}));
  const std::string hello1 = status["applications"]["hello-k8s"]["units"]["hello-k8s/1"]["address"];
  EXPECT_EQ(backends(), "backend websites\n    server hello-k8s-0 " + hello0 +
                            ":9000\n    server hello-k8s-1 " + hello1 + ":9000\n");
  EXPECT_EQ(unit_status("http-proxy", "http-proxy/0"),
            (nlohmann::json{{"current", "active"}, {"message", "2 websites"}}));

  ok({"remove-unit", "hello-k8s/0"});
  EXPECT_EQ(backends(), "backend websites\n    server hello-k8s-1 " + hello1 + ":9000\n");

  ok({"remove-relation", "http-proxy", "hello-k8s"});
  EXPECT_EQ(backends(), "backend websites\n");
  EXPECT_EQ(unit_status("http-proxy", "http-proxy/0"),
            (nlohmann::json{{"current", "blocked"}, {"message", "no website related"}}));
}

}  // namespace
}  // namespace ops_sim::testing
