// Shared fixture of the ops-sim tests that run redis-k8s with real
// redis-server, redis-sentinel and the exporter in network-namespace pods
// (the demo's flow in sim_demo_test.cpp, the faults in ha_tests.cpp): the
// checks that skip a machine without them, the image directory, deploying
// the model ("demo": redis-k8s and redis-client), and reading it back.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "pods.hpp"
#include "sim_fixture.hpp"

namespace ops_sim::testing {

class SimRedisModel : public SimTest {
 protected:
  using Clock = std::chrono::steady_clock;

  static constexpr const char* kExporter = "/usr/bin/prometheus-redis-exporter";

  void SetUp() override {
    SimTest::SetUp();
    std::string why;
    if (!pods_supported(&why)) GTEST_SKIP() << why;
    for (const char* exe :
         {"/usr/bin/redis-server", "/usr/bin/redis-sentinel", "/usr/bin/redis-cli", kExporter}) {
      if (!fs::exists(exe)) GTEST_SKIP() << exe << " is missing: run scripts/install-deps.sh";
    }
    image_ = root_ / "image";
    fs::create_directories(image_ / "bin");
    fs::create_symlink(kExporter, image_ / "bin" / "redis_exporter");
  }

  // ops-sim --workloads run --model demo deploy redis-k8s.charm -n <units>,
  // with the image above as its redis-image resource.
  SimResult deploy_redis_k8s(int units, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {
        "--workloads", "run",
        "--model",     "demo",
        "deploy",      (fs::path(OPS_SIM_BINARY_DIR) / "redis-k8s.charm").string(),
        "-n",          std::to_string(units),
        "--resource",  "redis-image=" + image_.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return sim(args);
  }

  SimResult deploy_redis_client(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {
        "deploy", (fs::path(OPS_SIM_BINARY_DIR) / "redis-client.charm").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return sim(args);
  }

  // Like ok(), but stderr may say that the command waited for the model
  // lock (the model agent runs update-status in the background); nothing else.
  std::string ok_after_lock(std::vector<std::string> args) {
    auto r = sim(std::move(args));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    for (const auto& line : split(r.err, '\n')) {
      if (!line.empty()) {
        EXPECT_EQ(line.rfind("waiting for the model lock", 0), 0u) << r.err;
      }
    }
    return r.out;
  }

  nlohmann::json status() {
    return nlohmann::json::parse(ok_after_lock({"status", "--format=json"}));
  }

  // Units of the model not yet active/idle, as "unit workload/agent" strings.
  std::vector<std::string> unsettled() {
    std::vector<std::string> out;
    const auto s = status();
    for (const auto& [app, a] : s["applications"].items()) {
      for (const auto& [unit, u] : a["units"].items()) {
        const std::string workload = u["workload-status"]["current"];
        const std::string agent = u["juju-status"]["current"];
        if (workload != "active" || agent != "idle") {
          out.push_back(unit + " " + workload + "/" + agent);
        }
      }
    }
    return out;
  }

  // The FQDN of a redis-k8s unit's pod in the "demo" model, by number or
  // by unit name ("redis-k8s/1").
  static std::string fqdn(int n) {
    return "redis-k8s-" + std::to_string(n) + ".redis-k8s-endpoints.demo.svc.cluster.local";
  }
  static std::string fqdn(const std::string& unit) {
    const auto app = unit.substr(0, unit.find('/'));
    return app + "-" + unit.substr(unit.find('/') + 1) + "." + app +
           "-endpoints.demo.svc.cluster.local";
  }

  // The value of the first "key: value" line of YAML-ish output.
  static std::string yaml_value(const std::string& text, const std::string& key) {
    for (const auto& line : split(text, '\n')) {
      const auto t = trim(line);
      if (t.rfind(key + ": ", 0) == 0) return t.substr(key.size() + 2);
    }
    return "";
  }

  // Polls `done` every 100 ms for at most `limit`; true when it held.
  static bool eventually(const std::function<bool()>& done, std::chrono::seconds limit) {
    const auto deadline = Clock::now() + limit;
    while (!done()) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return true;
  }

  // redis-cli run in the client's pod through `ops-sim ssh`.
  SimResult cli(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"ssh", "redis-client/0", "--", "redis-cli"};
    argv.insert(argv.end(), args.begin(), args.end());
    return sim(argv);
  }

  std::string cli_out(const std::vector<std::string>& args) {
    auto r = cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return trim(r.out);
  }

  fs::path image_;
};

}  // namespace ops_sim::testing
