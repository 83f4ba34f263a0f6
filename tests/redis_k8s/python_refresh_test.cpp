// `juju refresh --path` from the reference Python charm to this port, in
// place: the unit's state file, written by Python ops with a deferred
// redis-pebble-ready, is migrated by the first dispatch (ops::main's steps
// over the real SQLite state file), and that dispatch re-emits the event into
// our handler through the charm's Python handler aliases. Juju and Pebble
// are ops::testing's FakeBackend and FakePebble; the dispatch is ops::main's
// own sequence over a real SQLite file (the Harness keeps its state in memory).
//
// The state file is tests/framework/fixtures/python-ops-redis-k8s.db, written
// by tests/framework/fixtures/make_python_state.py with python3's pickle.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "charm.hpp"
#include "fake_workload.hpp"
#include "ops/detail/access.hpp"
#include "ops/detail/main_dispatch.hpp"
#include "ops/log.hpp"
#include "ops/storage.hpp"
#include "ops/testing/fake_backend.hpp"
#include "ops/testing/fake_pebble.hpp"
#include "python_aliases.hpp"
#include "redis_k8s/fixture.hpp"
#include "support/temp_dir.hpp"

namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

using redis_test::kApp;
using redis_test::kFqdn;

// The repository root is OPS_SOURCE_DIR (set by ctest), as for the charm's
// metadata in fixture.hpp.
std::filesystem::path fixture_file() {
  const char* root = std::getenv("OPS_SOURCE_DIR");
  return std::filesystem::path(root ? root : ".") / "tests" / "framework" / "fixtures" /
         "python-ops-redis-k8s.db";
}

class PythonRefreshTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_);
    std::filesystem::copy_file(fixture_file(), state_file_);
    ::chmod(state_file_.c_str(), 0600);
    juju.data().leader = true;
    juju.data().relations[peer_id] = ops::testing::RelationRecord{
        .endpoint = "redis-peers",
        .id = peer_id,
        .remote_app = kApp,
        .remote_units = {},
        .unit_data = {},
        .app_data = {{kApp, {{"leader-host", kFqdn}, {"redis-password", "password"}}}}};
    juju.pebble("sentinel").set_can_connect(true);
    redis_pebble().handle_exec({"chown"}, ops::testing::ExecResult{});
    ops::log::set_level(ops::log::Level::debug);
    ops::log::set_sink([this](ops::log::Level level, std::string_view message) {
      log_lines.push_back(std::string(ops::log::to_string(level)) + ": " + std::string(message));
    });
  }
  void TearDown() override {
    ops::log::set_sink({});
    ops::log::set_level(ops::log::Level::info);
  }

  ops::testing::FakePebble& redis_pebble() { return juju.pebble("redis"); }

  // One dispatch as ops::main runs it, over the unit's state file.
  void dispatch(const std::string& kind) {
    ops::Model model(meta_, juju);
    ops::detail::ModelAccess::set_pebble_client_factory(
        model, [this](const std::string& container) { return juju.pebble(container).client(); });
    juju.data().hook_running = true;
    ops::Framework framework(ops::open_sqlite_storage(state_file_), &model);
    auto charm = redis_k8s::make_redis_charm_factory(world.make())(framework);
    ops::detail::CommitFlusher flusher(framework, model, "ops_main");
    ops::detail::run_dispatch_steps(framework, *charm, kind,
                                    [](const ops::EventSourceBase&) { return nullptr; });
    framework.close();
    juju.data().hook_running = false;
  }

  std::vector<std::string> notices() {
    std::vector<std::string> out;
    auto storage = ops::open_sqlite_storage(state_file_);
    for (const ops::Notice& n : storage->notices()) {
      out.push_back(std::to_string(n.sequence) + " " + n.event_path + " " + n.observer_path + "." +
                    n.method_name);
    }
    return out;
  }

  std::vector<std::string> lines_with(const std::string& text) {
    std::vector<std::string> out;
    for (const auto& line : log_lines) {
      if (line.find(text) != std::string::npos) out.push_back(line);
    }
    return out;
  }

  ops_test::TempDir tmp_{"redis-refresh-test-"};
  const std::filesystem::path& dir_ = tmp_.path();
  std::filesystem::path state_file_ = ops::default_state_file(dir_);
  const ops::CharmMeta meta_ = ops::CharmMeta::from_yaml(redis_test::source_file("metadata.yaml"),
                                                         redis_test::source_file("actions.yaml"),
                                                         redis_test::source_file("config.yaml"));
  ops::testing::FakeBackend juju{meta_, "redis-k8s/0"};
  redis_test::Collaborators world;
  int peer_id = 0;
  std::vector<std::string> log_lines;
};

TEST_F(PythonRefreshTest, TheFirstHookReemitsTheDeferredPebbleReadyIntoOurHandler) {
  // Pebble is not up yet: our handler runs, waits and defers again.
  redis_pebble().set_can_connect(false);
  dispatch("upgrade_charm");

  EXPECT_THAT(lines_with("Migrated the state file"),
              ElementsAre("INFO: Migrated the state file " + state_file_.string() +
                          " written by Python ops: 4 snapshots converted to JSON, 2 deferred "
                          "notices kept; the original is kept at " +
                          state_file_.string() + ".python-ops"));
  EXPECT_THAT(
      lines_with("RedisK8sCharm/on/redis_pebble_ready[4]"),
      ElementsAre("DEBUG: Deferred event RedisK8sCharm/on/redis_pebble_ready[4] for Python "
                  "handler RedisK8sCharm._redis_pebble_ready goes to "
                  "RedisK8sCharm.on_redis_pebble_ready",
                  "DEBUG: Re-emitting deferred event RedisK8sCharm/on/redis_pebble_ready[4] "
                  "to RedisK8sCharm.on_redis_pebble_ready"));
  // The reference's grafana-dashboard library is not part of the port: its
  // notice is reported, not silently dropped.
  EXPECT_THAT(lines_with("WARNING: "),
              ElementsAre("WARNING: Dropping deferred event RedisK8sCharm/on/leader_elected[2] for "
                          "RedisK8sCharm/GrafanaDashboardProvider[grafana-dashboard]._update_all_"
                          "dashboards_from_dir: that observer does not observe it in this charm"));
  // Deferred again by our handler: same place in the queue, our name.
  EXPECT_THAT(notices(), ElementsAre("2 RedisK8sCharm/on/redis_pebble_ready[4] "
                                     "RedisK8sCharm.on_redis_pebble_ready"));
  EXPECT_TRUE(redis_pebble().layers().empty());
  EXPECT_EQ(juju.data().unit_status,
            ops::WaitingStatus("Waiting for Pebble in workload container"));

  // The next hook, with Pebble up: the handler runs to the end.
  redis_pebble().set_can_connect(true);
  log_lines.clear();
  dispatch("update_status");
  EXPECT_THAT(notices(), IsEmpty());
  EXPECT_EQ(redis_pebble().plan().services.at("redis"),
            redis_test::redis_service(redis_test::normal_conf("password"), ""));
  EXPECT_THAT(lines_with("Migrated"), IsEmpty());
  auto storage = ops::open_sqlite_storage(state_file_);
  EXPECT_EQ(storage->load_snapshot("RedisK8sCharm/on/redis_pebble_ready[4]"), std::nullopt);
  // The event counter continues from the Python charm's 4: each dispatch
  // emitted its Juju event, collect_unit_status (the charm does not observe
  // collect_app_status), pre_commit and commit.
  EXPECT_EQ(storage->load_snapshot("StoredStateData[_stored]"),
            nlohmann::json({{"event_count", 12}}));
}

TEST(PythonAliasesTest, TheTableMapsEachReferenceHandlerToOurs) {
  std::vector<std::string> table;
  for (const ops::PythonHandlerAlias& alias : redis_k8s::python_handler_aliases()) {
    table.push_back(alias.python_observer_path + "." + alias.python_method + " -> " +
                    alias.observer_path + "." + alias.method_name);
  }
  EXPECT_THAT(
      table,
      ElementsAre(
          "RedisK8sCharm._redis_pebble_ready -> RedisK8sCharm.on_redis_pebble_ready",
          "RedisK8sCharm._leader_elected -> RedisK8sCharm.on_leader_elected",
          "RedisK8sCharm._config_changed -> RedisK8sCharm.on_config_changed",
          "RedisK8sCharm._upgrade_charm -> RedisK8sCharm.on_upgrade_charm",
          "RedisK8sCharm._update_status -> RedisK8sCharm.on_update_status",
          "RedisK8sCharm._on_redis_relation_created -> RedisK8sCharm.on_redis_relation_created",
          "RedisK8sCharm._peer_relation_changed -> RedisK8sCharm.on_peer_relation_changed",
          "RedisK8sCharm._peer_relation_departed -> RedisK8sCharm.on_peer_relation_departed",
          "RedisK8sCharm.check_service -> RedisK8sCharm.on_check_service_action",
          "RedisK8sCharm._get_password_action -> "
          "RedisK8sCharm.on_get_initial_admin_password_action",
          "RedisK8sCharm._get_sentinel_password_action -> "
          "RedisK8sCharm.on_get_sentinel_password_action",
          "RedisK8sCharm/Sentinel[sentinel]._sentinel_pebble_ready -> "
          "RedisK8sCharm.on_sentinel_pebble_ready",
          "RedisK8sCharm/RedisProvides[redis]._on_relation_changed -> "
          "RedisK8sCharm/RedisProvides[redis].on_relation_changed"));
}

}  // namespace
