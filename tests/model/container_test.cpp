// Container over an in-test fake pebble::Client.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "ops/charm.hpp"
#include "ops/detail/access.hpp"
#include "ops/model.hpp"
#include "ops/testing/fake_backend.hpp"
#include "support/files.hpp"
#include "support/strings.hpp"
#include "support/temp_dir.hpp"

namespace {

using ::testing::ElementsAre;
namespace pb = ops::pebble;

// Records calls; keeps files in a map; answers services/checks from fields.
class FakePebble : public pb::Client {
 public:
  std::vector<std::string> calls;
  bool reachable = true;
  bool old_pebble = false;  // restart answers HTTP 400
  std::vector<pb::ServiceInfo> services;
  std::vector<pb::CheckInfo> checks;
  std::map<std::string, std::string> files;  // path -> content
  std::map<std::string, int> modes;
  std::set<std::string> dirs = {"/"};
  std::map<std::string, pb::Layer> layers;

  pb::SystemInfo get_system_info() override {
    calls.push_back("system-info");
    if (!reachable) throw pb::ConnectionError("cannot connect to socket");
    return {"1.10.0"};
  }
  std::vector<pb::Warning> get_warnings(pb::WarningState) override { return {}; }
  int ack_warnings(const std::string&) override { return 0; }
  std::vector<pb::Change> get_changes(pb::ChangeState, const std::string&) override { return {}; }
  pb::Change get_change(const std::string&) override { return {}; }
  pb::Change abort_change(const std::string&) override { return {}; }
  pb::Change wait_change(const std::string&, pb::Duration) override { return {}; }
  std::string autostart_services(pb::Duration) override {
    calls.push_back("autostart");
    return "1";
  }
  std::string replan_services(pb::Duration) override {
    calls.push_back("replan");
    return "2";
  }
  std::string start_services(const std::vector<std::string>& s, pb::Duration) override {
    calls.push_back("start " + ops_test::join(s, ","));
    return "3";
  }
  std::string stop_services(const std::vector<std::string>& s, pb::Duration) override {
    calls.push_back("stop " + ops_test::join(s, ","));
    return "4";
  }
  std::string restart_services(const std::vector<std::string>& s, pb::Duration) override {
    calls.push_back("restart " + ops_test::join(s, ","));
    if (old_pebble)
      throw pb::APIError(nlohmann::json::object(), 400, "Bad Request", "invalid action");
    return "5";
  }
  std::vector<pb::ServiceInfo> get_services(const std::vector<std::string>& names) override {
    calls.push_back("services " + ops_test::join(names, ","));
    std::vector<pb::ServiceInfo> out;
    for (const auto& s : services) {
      if (names.empty() || std::count(names.begin(), names.end(), s.name)) out.push_back(s);
    }
    return out;
  }
  void add_layer(const std::string& label, const pb::Layer& layer, bool combine) override {
    calls.push_back("add-layer " + label + (combine ? " combine" : ""));
    layers[label] = layer;
  }
  pb::Plan get_plan() override {
    calls.push_back("plan");
    pb::Plan plan;
    for (const auto& [label, layer] : layers) {
      for (const auto& [name, svc] : layer.services) plan.services[name] = svc;
    }
    return plan;
  }
  std::string pull(const std::string& path) override {
    calls.push_back("pull " + path);
    auto it = files.find(path);
    if (it == files.end())
      throw pb::PathError("not-found", "stat " + path + ": no such file or directory");
    return it->second;
  }
  void pull(const std::string& path, std::ostream& out) override { out << pull(path); }
  void push(const std::string& path, std::string_view data,
            const pb::PushOptions& options) override {
    calls.push_back("push " + path +
                    (options.permissions ? " " + std::to_string(*options.permissions) : ""));
    files[path] = std::string(data);
    if (options.permissions) modes[path] = *options.permissions;
  }
  void push(const std::string& path, std::istream& data, const pb::PushOptions& options) override {
    std::stringstream buffer;
    buffer << data.rdbuf();
    push(path, buffer.str(), options);
  }
  std::vector<pb::FileInfo> list_files(const std::string& path,
                                       const pb::ListFilesOptions& options) override {
    calls.push_back("list " + path + (options.itself ? " itself" : ""));
    auto info = [](const std::string& p, pb::FileType type) {
      pb::FileInfo f;
      f.path = p;
      f.name = p.substr(p.rfind('/') + 1);
      f.type = type;
      return f;
    };
    if (options.itself) {
      if (dirs.count(path)) return {info(path, pb::FileType::kDirectory)};
      if (files.count(path)) return {info(path, pb::FileType::kFile)};
      throw pb::APIError(nlohmann::json::object(), 404, "Not Found",
                         "stat " + path + ": no such file");
    }
    std::vector<pb::FileInfo> out;
    std::string prefix = path + "/";
    for (const auto& d : dirs) {
      if (d.rfind(prefix, 0) == 0 && d.find('/', prefix.size()) == std::string::npos) {
        out.push_back(info(d, pb::FileType::kDirectory));
      }
    }
    for (const auto& [f, content] : files) {
      if (f.rfind(prefix, 0) == 0 && f.find('/', prefix.size()) == std::string::npos) {
        out.push_back(info(f, pb::FileType::kFile));
      }
    }
    return out;
  }
  void make_dir(const std::string& path, const pb::MakeDirOptions&) override {
    calls.push_back("mkdir " + path);
    dirs.insert(path);
  }
  void remove_path(const std::string& path, bool recursive) override {
    calls.push_back("rm " + path + (recursive ? " -r" : ""));
  }
  std::unique_ptr<pb::ExecProcess> exec(const std::vector<std::string>& command,
                                        const pb::ExecOptions&) override {
    calls.push_back("exec " + ops_test::join(command, ","));
    return nullptr;
  }
  void send_signal(const std::string& signal, const std::vector<std::string>& s) override {
    calls.push_back("signal " + signal + " " + ops_test::join(s, ","));
  }
  std::vector<pb::CheckInfo> get_checks(pb::CheckLevel level,
                                        const std::vector<std::string>& names) override {
    calls.push_back("checks " + pb::to_string(level) + " " + ops_test::join(names, ","));
    std::vector<pb::CheckInfo> out;
    for (const auto& c : checks) {
      if (names.empty() || std::count(names.begin(), names.end(), c.name)) out.push_back(c);
    }
    return out;
  }
  std::vector<std::string> start_checks(const std::vector<std::string>&) override { return {}; }
  std::vector<std::string> stop_checks(const std::vector<std::string>&) override { return {}; }
  std::string notify(const std::string&, const std::string&,
                     const std::map<std::string, std::string>&,
                     std::optional<pb::Duration>) override {
    return "1";
  }
  pb::Notice get_notice(const std::string& id) override {
    calls.push_back("notice " + id);
    pb::Notice n;
    n.id = id;
    return n;
  }
  std::vector<pb::Notice> get_notices(const pb::NoticesFilter& filter) override {
    calls.push_back("notices " + ops_test::join(filter.types, ","));
    return {};
  }
};

constexpr const char* kMetadata = R"(
name: redis
containers:
  redis:
    resource: redis-image
  sentinel:
    resource: redis-image
resources:
  redis-image:
    type: oci-image
)";

class ContainerTest : public ::testing::Test {
 protected:
  ContainerTest()
      : meta_(ops::CharmMeta::from_yaml(kMetadata)),
        backend_(meta_, "redis/0"),
        model_(meta_, backend_) {
    ops::detail::ModelAccess::set_pebble_client_factory(model_, [this](const std::string& name) {
      made_.push_back(name);
      auto fake = std::make_unique<FakePebble>();
      pebble_ = fake.get();
      return fake;
    });
  }
  ops::Container& redis() { return model_.unit().get_container("redis"); }
  FakePebble& pebble() {
    (void)redis().pebble();
    return *pebble_;
  }

  ops::CharmMeta meta_;
  ops::testing::FakeBackend backend_;
  ops::Model model_;
  std::vector<std::string> made_;
  FakePebble* pebble_ = nullptr;
};

template <typename E, typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "<no error>";
}

TEST_F(ContainerTest, ClientIsMadeLazilyOncePerContainer) {
  auto& c = redis();
  EXPECT_EQ(c.name(), "redis");
  EXPECT_TRUE(made_.empty());
  EXPECT_TRUE(c.can_connect());
  EXPECT_TRUE(c.can_connect());
  EXPECT_EQ(made_, (std::vector<std::string>{"redis"}));
  EXPECT_EQ(&model_.unit().get_container("redis"), &c);
  auto all = model_.unit().containers();
  EXPECT_EQ(all.size(), 2u);
  EXPECT_EQ(all.at("redis"), &c);
  EXPECT_EQ(made_.size(), 1u);
}

TEST_F(ContainerTest, UnknownContainerOrRemoteUnitIsAnError) {
  EXPECT_EQ(error_of<ops::ModelError>([&] { (void)model_.unit().get_container("nginx"); }),
            "container 'nginx' not found (the charm declares: redis, sentinel)");
  EXPECT_THROW((void)model_.get_unit("redis/1").get_container("redis"), ops::ModelError);
}

TEST_F(ContainerTest, CannotConnectIsFalse) {
  pebble().reachable = false;
  EXPECT_FALSE(redis().can_connect());
}

TEST_F(ContainerTest, LayersAndServiceActions) {
  auto& c = redis();
  c.add_layer("redis", "services:\n  redis:\n    override: replace\n    command: redis-server\n",
              true);
  EXPECT_EQ(c.get_plan().services.at("redis").command, "redis-server");
  c.autostart();
  c.replan();
  c.start({"redis"});
  c.stop({"redis", "sentinel"});
  c.restart({"redis"});
  c.send_signal("SIGHUP", {"redis"});
  EXPECT_THAT(pebble().calls,
              ElementsAre("add-layer redis combine", "plan", "autostart", "replan", "start redis",
                          "stop redis,sentinel", "restart redis", "signal SIGHUP redis"));
  EXPECT_EQ(error_of<ops::ModelError>([&] { c.start({}); }),
            "start needs at least one service name");
  EXPECT_THROW(c.send_signal("SIGHUP", {}), ops::ModelError);
}

TEST_F(ContainerTest, RestartFallsBackToStopStartOnOldPebble) {
  auto& p = pebble();
  p.old_pebble = true;
  p.services = {{"redis", pb::ServiceStartup::kEnabled, pb::ServiceStatus::kActive},
                {"sentinel", pb::ServiceStartup::kEnabled, pb::ServiceStatus::kInactive}};
  redis().restart({"redis", "sentinel"});
  EXPECT_THAT(p.calls, ElementsAre("restart redis,sentinel", "services redis,sentinel",
                                   "stop redis", "start redis,sentinel"));
}

TEST_F(ContainerTest, ServicesAndChecksByName) {
  auto& p = pebble();
  p.services = {{"redis", pb::ServiceStartup::kEnabled, pb::ServiceStatus::kActive}};
  pb::CheckInfo ping;
  ping.name = "ping";
  ping.status = pb::CheckStatus::kUp;
  p.checks = {ping};
  EXPECT_TRUE(redis().get_service("redis").is_running());
  EXPECT_EQ(redis().get_services().size(), 1u);
  EXPECT_EQ(error_of<ops::ModelError>([&] { (void)redis().get_service("nope"); }),
            "service 'nope' not found");
  EXPECT_EQ(redis().get_check("ping").status, pb::CheckStatus::kUp);
  EXPECT_EQ(error_of<ops::ModelError>([&] { (void)redis().get_check("nope"); }),
            "check 'nope' not found");
  EXPECT_EQ(redis().get_checks({}, pb::CheckLevel::kReady).size(), 1u);
}

TEST_F(ContainerTest, FilesExistsAndIsdir) {
  auto& p = pebble();
  p.dirs.insert("/etc");
  redis().push("/etc/redis.conf", "port 6379\n");
  EXPECT_EQ(redis().pull("/etc/redis.conf"), "port 6379\n");
  EXPECT_TRUE(redis().exists("/etc/redis.conf"));
  EXPECT_FALSE(redis().isdir("/etc/redis.conf"));
  EXPECT_TRUE(redis().isdir("/etc"));
  EXPECT_FALSE(redis().exists("/nope"));
  EXPECT_FALSE(redis().isdir("/nope"));
  EXPECT_THROW((void)redis().pull("/nope"), pb::PathError);
  redis().make_dir("/data");
  redis().remove_path("/data", true);
  EXPECT_EQ(p.calls.back(), "rm /data -r");
}

// A const Container answers every read-only query, over the same client.
TEST_F(ContainerTest, ReadsThroughAConstContainer) {
  auto& p = pebble();
  p.services = {{"redis", pb::ServiceStartup::kEnabled, pb::ServiceStatus::kActive}};
  pb::CheckInfo ping;
  ping.name = "ping";
  ping.status = pb::CheckStatus::kUp;
  p.checks = {ping};
  p.dirs.insert("/etc");
  redis().push("/etc/redis.conf", "port 6379\n");

  const ops::Container& c = redis();
  EXPECT_TRUE(c.can_connect());
  EXPECT_TRUE(c.get_service("redis").is_running());
  EXPECT_EQ(c.get_services().size(), 1u);
  EXPECT_EQ(c.get_check("ping").status, pb::CheckStatus::kUp);
  EXPECT_EQ(c.get_checks().size(), 1u);
  EXPECT_EQ(c.pull("/etc/redis.conf"), "port 6379\n");
  EXPECT_TRUE(c.exists("/etc/redis.conf"));
  EXPECT_FALSE(c.isdir("/etc/redis.conf"));
  EXPECT_TRUE(c.isdir("/etc"));
  EXPECT_EQ(made_, (std::vector<std::string>{"redis"}));
}

TEST_F(ContainerTest, PushPathAndPullPathCopyTrees) {
  namespace fs = std::filesystem;
  const ops_test::TempDir tmp_dir("ops-container-test-");
  const fs::path& tmp = tmp_dir.path();
  fs::create_directories(tmp / "conf" / "sub");
  std::ofstream(tmp / "conf" / "a.conf") << "A";
  std::ofstream(tmp / "conf" / "sub" / "b.conf") << "B";
  fs::permissions(tmp / "conf" / "a.conf", fs::perms::owner_read | fs::perms::owner_write);
  auto& p = pebble();
  redis().push_path({tmp / "conf"}, "/etc");
  EXPECT_EQ(p.files.at("/etc/conf/a.conf"), "A");
  EXPECT_EQ(p.files.at("/etc/conf/sub/b.conf"), "B");
  EXPECT_EQ(p.modes.at("/etc/conf/a.conf"), 0600);
  EXPECT_TRUE(p.dirs.count("/etc/conf/sub"));

  p.dirs.insert("/etc/conf");
  redis().pull_path({"/etc/conf", "/etc/conf/a.conf"}, tmp / "out");
  using ops_test::read_file;
  EXPECT_EQ(read_file(tmp / "out" / "conf" / "a.conf"), "A");
  EXPECT_EQ(read_file(tmp / "out" / "conf" / "sub" / "b.conf"), "B");
  EXPECT_EQ(read_file(tmp / "out" / "a.conf"), "A");

  EXPECT_EQ(error_of<ops::ModelError>([&] { redis().pull_path({"/missing"}, tmp / "out"); }),
            "pull_path failed for 1 path: /missing (stat /missing: no such file)");
  EXPECT_THROW(redis().push_path({tmp / "does-not-exist"}, "/etc"), ops::ModelError);
  fs::remove_all(tmp);
}

TEST_F(ContainerTest, ExecAndNotices) {
  redis().exec({"redis-cli", "ping"});
  pb::NoticesFilter filter;
  filter.types = {"custom"};
  (void)redis().get_notices(filter);
  EXPECT_EQ(redis().get_notice("7").id, "7");
  EXPECT_THAT(pebble().calls, ElementsAre("exec redis-cli,ping", "notices custom", "notice 7"));
  EXPECT_THROW(redis().exec({}), ops::ModelError);
}

TEST_F(ContainerTest, DefaultFactoryUsesTheSocketPath) {
  ops::Model plain(meta_, backend_);
  ::setenv("OPS_PEBBLE_SOCKET_DIR", "/nonexistent-ops-test", 1);
  EXPECT_FALSE(plain.unit().get_container("redis").can_connect());
  ::unsetenv("OPS_PEBBLE_SOCKET_DIR");
}

}  // namespace
