// ops-sim pods: each unit's dispatch runs in its own network namespace with
// the pod hostname and a hosts file naming every unit; destroy removes every
// namespace. Skipped where `ip netns add` is not permitted.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "ops/pebble.hpp"
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

TEST_F(SimPods, RunModeRunsServicesInThePodWithTheContainersFiles) {
  const fs::path host_etc = "/etc/ops-sim-test-conf";
  const fs::path host_lib = "/var/lib/ops-sim-test-data";
  if (fs::exists(host_etc) || fs::exists(host_lib)) GTEST_SKIP() << "leftovers of another run";
  const auto charm = write_charm("app", "name: app\ncontainers:\n  app: {}\n", "", "", "");
  auto r = sim({"deploy", charm.string(), "--workloads", "run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto status = nlohmann::json::parse(ok({"status", "--format=json"}));
  const std::string address = status["applications"]["app"]["units"]["app/0"]["address"];
  const auto rootfs = model_ / "units" / "app-0" / "containers" / "app" / "rootfs";
  auto client = ops::pebble::make_client(
      (model_ / "units" / "app-0" / "pebble" / "app" / "pebble.socket").string());
  client->push("/etc/ops-sim-test-conf/conf", "hello\n", {.make_dirs = true});
  client->make_dir("/var/lib/ops-sim-test-data", {.make_parents = true});
  // Reads its config and writes its data through the container's paths, from
  // inside the pod; exits after a while so that Pebble restarts it.
  ops::pebble::Service service;
  service.override = "replace";
  service.command =
      "sh -c 'cat /etc/ops-sim-test-conf/conf > /var/lib/ops-sim-test-data/out; "
      "ip -4 -o addr show dev eth0 | tr -s \" \" | cut -d\" \" -f4 >> "
      "/var/lib/ops-sim-test-data/out; echo run >> /var/lib/ops-sim-test-data/runs; "
      "sleep 1.2; exit 3'";
  service.startup = "enabled";
  service.backoff_delay = "100ms";
  client->add_layer("app", ops::pebble::Layer{.services = {{"writer", service}}});
  client->replan_services();
  const auto runs = rootfs / "var" / "lib" / "ops-sim-test-data" / "runs";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (read(runs) != "run\nrun\n" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(read(runs), "run\nrun\n");
  EXPECT_EQ(read(rootfs / "var" / "lib" / "ops-sim-test-data" / "out"),
            "hello\n" + address + "/24\n");
  // The host only got empty mountpoints, which destroy removes.
  EXPECT_TRUE(fs::is_empty(host_etc));
  client->stop_services({"writer"});
  EXPECT_FALSE(client->get_services()[0].is_running());
  ok({"destroy"});
  EXPECT_FALSE(fs::exists(host_etc));
  EXPECT_FALSE(fs::exists(host_lib));
}

TEST_F(SimPods, AFailedDeployRemovesItsNamespacesAndFiles) {
  auto registry = [] {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/run/ops-sim/subnets", ec)) {
      out.push_back(e.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  auto all_namespaces = [] { return ops_sim::run_command({"ip", "netns", "list"}).out; };
  const auto namespaces_before = all_namespaces();
  const auto registry_before = registry();
  const auto charm = write_charm("long", "name: long\ncontainers:\n  app: {}\n", "", "", "");
  // A model dir so deep that the Pebble socket path cannot be bound: the
  // failure comes after the pods were made.
  const auto normal_model = model_;
  model_ = root_ / std::string(100, 'm');
  auto r = sim({"deploy", charm.string(), "-n", "2", "--workloads", "run"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, ::testing::MatchesRegex("ERROR the Pebble socket path of long/0 container "
                                             "\"app\" is [0-9]+ characters, more than a unix "
                                             "socket allows \\(107\\): use a shorter "
                                             "--model-dir\n"));
  EXPECT_FALSE(fs::exists(model_));
  model_ = normal_model;
  EXPECT_EQ(all_namespaces(), namespaces_before);
  EXPECT_EQ(registry(), registry_before);
}

TEST_F(SimPods, DestroyLeftoversCleansUpAModelWhoseDirWasDeleted) {
  const auto charm = write_charm("gone", "name: gone\ncontainers:\n  app: {}\n", "", "", "");
  auto r = sim({"deploy", charm.string(), "--workloads", "run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto status = nlohmann::json::parse(ok({"status", "--format=json"}));
  const std::string uuid = status["model"]["uuid"];
  const auto pid_text = read(model_ / "units" / "gone-0" / "pebble" / "app" / "pebble.pid");
  const pid_t daemon = std::stoi(pid_text);
  ASSERT_EQ(::kill(daemon, 0), 0);
  fs::remove_all(model_);  // forgotten without destroy
  EXPECT_EQ(model_namespaces(uuid).size(), 2u);

  // A namespace no record ties to a model is not provably unused: kept.
  const std::string stray = "opssim-0badc0de-stray-0";
  ASSERT_EQ(run_command({"ip", "netns", "add", stray}).exit_code, 0);
  // A live model in another dir keeps its namespaces.
  const auto live_model = model_;
  model_ = root_ / "live";
  r = sim({"deploy", charm.string(), "--workloads", "run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string live_uuid =
      nlohmann::json::parse(ok({"status", "--format=json"}))["model"]["uuid"];
  model_ = live_model;

  r = sim({"destroy", "--leftovers"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("stopped Pebble daemon " + std::to_string(daemon) + "\n"));
  EXPECT_THAT(r.out, HasSubstr("removed opssim-" + uuid.substr(0, 8) + "-net\n"));
  EXPECT_THAT(r.out, HasSubstr("removed opssim-" + uuid.substr(0, 8) + "-gone-0\n"));
  EXPECT_THAT(r.out, HasSubstr("kept " + stray +
                               ": no record proves its model gone (ip netns delete it if you "
                               "know)\n"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr(live_uuid.substr(0, 8))));
  EXPECT_EQ(model_namespaces(live_uuid).size(), 2u);
  EXPECT_EQ(model_namespaces("0badc0de").size(), 1u);
  run_command({"ip", "netns", "delete", stray});
  model_ = root_ / "live";
  ok({"destroy"});
  model_ = live_model;
  EXPECT_TRUE(model_namespaces(uuid).empty());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  auto alive = [&] {
    std::ifstream stat("/proc/" + std::to_string(daemon) + "/stat");
    std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    auto pos = content.rfind(')');
    return !content.empty() && pos != std::string::npos && content[pos + 2] != 'Z';
  };
  while (alive() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_FALSE(alive());
}

TEST_F(SimPods, SshRunsACommandInTheUnitsPodOrContainer) {
  const fs::path host_etc = "/etc/ops-sim-ssh-test";
  if (fs::exists(host_etc)) GTEST_SKIP() << "leftovers of another run";
  const auto charm = write_charm("box", "name: box\ncontainers:\n  web: {}\n", "", "", "");
  auto r = sim({"deploy", charm.string(), "-n", "2", "--workloads", "run", "--model", "demo"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto status = nlohmann::json::parse(ok({"status", "--format=json"}));
  const std::string addr0 = status["applications"]["box"]["units"]["box/0"]["address"];
  const std::string addr1 = status["applications"]["box"]["units"]["box/1"]["address"];

  // The pod's network, hostname and hosts file; stdin, stdout, stderr and
  // the exit code are the command's.
  r = [&] {
    auto res =
        run_command({OPS_SIM_EXE, "--model-dir", model_.string(), "ssh", "box/0", "--", "sh", "-c",
                     "hostname; ip -4 -o addr show dev eth0 | awk '{print $4}'; "
                     "getent hosts box-1.box-endpoints.demo.svc.cluster.local | "
                     "awk '{print $1}'; cat; echo oops >&2; exit 3"},
                    "from stdin\n");
    return SimResult{res.exit_code, res.out, res.err};
  }();
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "box-0\n" + addr0 + "/24\n" + addr1 + "\nfrom stdin\n");
  EXPECT_EQ(r.err, "oops\n");

  // --container: the container's paths over the host's, its root as the
  // working directory, as root.
  auto client = ops::pebble::make_client(
      (model_ / "units" / "box-0" / "pebble" / "web" / "pebble.socket").string());
  client->push("/etc/ops-sim-ssh-test/site.conf", "listen 80\n", {.make_dirs = true});
  r = sim({"ssh", "box/0", "--container", "web", "--", "sh", "-c",
           "pwd; id -u; cat /etc/ops-sim-ssh-test/site.conf"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, (model_ / "units" / "box-0" / "containers" / "web" / "rootfs").string() +
                       "\n0\nlisten 80\n");
  // The host itself only got an empty mountpoint.
  EXPECT_TRUE(fs::is_empty(host_etc));

  r = sim({"ssh", "box/0", "--container", "db", "--", "true"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "ERROR unit box/0 has no container \"db\" (containers: web)\n");
  r = sim({"ssh", "box/7", "--", "true"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "ERROR unit \"box/7\" not found\n");
  r = sim({"ssh", "box/0", "--", "no-such-command"});
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_EQ(r.err, "ERROR ops-sim ssh: no-such-command: No such file or directory\n");
  ok({"destroy"});
  EXPECT_FALSE(fs::exists(host_etc));
}

constexpr const char* kStoreMetadata = R"(name: store
containers:
  app:
    mounts:
      - storage: data
        location: /var/lib/ops-sim-store
storage:
  data:
    type: filesystem
)";

ops::pebble::Service looping_service(const std::string& command) {
  ops::pebble::Service service;
  service.override = "replace";
  service.command = command;
  service.startup = "enabled";
  service.backoff_delay = "100ms";
  return service;
}

TEST_F(SimPods, StorageIsMountedRootOwned0755AndServicesGetAContainersEnvironment) {
  const fs::path host_store = "/var/lib/ops-sim-store";
  if (fs::exists(host_store)) GTEST_SKIP() << "leftovers of another run";
  const auto charm = write_charm("store", kStoreMetadata, "", "", "");
  auto r = sim({"deploy", charm.string(), "--workloads", "run"}, {"OPS_SIM_TEST_SECRET=leak"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto store = model_ / "units" / "store-0" / "containers" / "app" / "rootfs" / "var" /
                     "lib" / "ops-sim-store";
  struct stat st {};
  ASSERT_EQ(::stat(store.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(st.st_gid, 0u);
  // A workload user cannot write there until the charm chowns it.
  r = sim({"ssh", "store/0", "--container", "app", "--", "setpriv", "--reuid=65534",
           "--regid=65534", "--clear-groups", "touch", "/var/lib/ops-sim-store/x"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("Permission denied"));

  auto client = ops::pebble::make_client(
      (model_ / "units" / "store-0" / "pebble" / "app" / "pebble.socket").string());
  auto service =
      looping_service("sh -c 'env | sort > /var/lib/ops-sim-store/env; exec sleep 1000'");
  service.environment = {{"FROM_LAYER", "1"}};
  client->add_layer("app", ops::pebble::Layer{.services = {{"envdump", service}}});
  client->replan_services();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (read(store / "env").empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const auto env = read(store / "env");
  EXPECT_THAT(env, HasSubstr("FROM_LAYER=1\n"));
  EXPECT_THAT(env, HasSubstr("HOSTNAME=store-0\n"));
  EXPECT_THAT(env,
              HasSubstr("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"));
  EXPECT_THAT(env, ::testing::Not(HasSubstr("OPS_SIM")));
  EXPECT_THAT(env, ::testing::Not(HasSubstr("leak")));
  ok({"destroy"});
}

TEST_F(SimPods, KillAndRestartUnitAreFaultsPebbleAndJujuRecoverFrom) {
  const fs::path host_store = "/var/lib/ops-sim-store";
  const fs::path host_etc = "/etc/ops-sim-fault-test";
  if (fs::exists(host_store) || fs::exists(host_etc)) GTEST_SKIP() << "leftovers of another run";
  const auto charm = write_charm("store", kStoreMetadata, "", "", "");
  auto r = sim({"deploy", charm.string(), "--workloads", "run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto store = model_ / "units" / "store-0" / "containers" / "app" / "rootfs" / "var" /
                     "lib" / "ops-sim-store";
  auto client = ops::pebble::make_client(
      (model_ / "units" / "store-0" / "pebble" / "app" / "pebble.socket").string());
  client->push("/etc/ops-sim-fault-test/conf", "pushed\n", {.make_dirs = true});
  client->add_layer(
      "app",
      ops::pebble::Layer{.services = {{"counter", looping_service("sh -c 'echo run >> "
                                                                  "/var/lib/ops-sim-store/runs; "
                                                                  "exec sleep 1000'")}}});
  client->replan_services();
  auto wait_runs = [&](const std::string& want) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (read(store / "runs") != want && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return read(store / "runs");
  };
  ASSERT_EQ(wait_runs("run\n"), "run\n");
  r = sim({"kill", "store/0", "--container", "app"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::MatchesRegex("killed pid [0-9]+\n"));
  // Pebble restarts it after its backoff.
  EXPECT_EQ(wait_runs("run\nrun\n"), "run\nrun\n");
  r = sim({"kill", "store/0", "--container", "app", "--service", "nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "ERROR service \"nope\" does not run in store/0 container \"app\" (running: "
            "counter)\n");
  r = sim({"kill", "store/0", "--container", "db"});
  EXPECT_EQ(r.err, "ERROR unit store/0 has no container \"db\" (containers: app)\n");

  // A pod restart: the processes and Pebble's plan go, the storage stays,
  // the container's other files come fresh from the image.
  take_hooks();
  r = sim({"restart-unit", "store/0"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(take_hooks(),
              ::testing::ElementsAre("store/0 hooks/stop", "store/0 hooks/upgrade-charm",
                                     "store/0 hooks/config-changed", "store/0 hooks/start",
                                     "store/0 hooks/app-pebble-ready"));
  EXPECT_EQ(read(store / "runs"), "run\nrun\n");
  EXPECT_FALSE(fs::exists(model_ / "units" / "store-0" / "containers" / "app" / "rootfs" / "etc" /
                          "ops-sim-fault-test" / "conf"));
  client = ops::pebble::make_client(
      (model_ / "units" / "store-0" / "pebble" / "app" / "pebble.socket").string());
  EXPECT_TRUE(client->get_services().empty());
  r = sim({"kill", "store/0", "--container", "app"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "ERROR no service runs in store/0 container \"app\"\n");
  ok({"destroy"});
}

TEST_F(SimPods, SshNeedsPods) {
  const auto charm = write_charm("flat", "name: flat\n", "", "", "");
  auto r = sim({"deploy", charm.string(), "--workloads", "simulate"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = sim({"ssh", "flat/0", "--", "true"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "ERROR ssh needs pods, and this model runs without them (--workloads=simulate): "
            "flat/0 has no network namespace to run in\n");
}

}  // namespace
}  // namespace ops_sim::testing
