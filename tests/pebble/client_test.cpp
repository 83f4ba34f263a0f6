// The Pebble client end to end against pebble-server on a real unix socket:
// system info, layers and plan, services and changes, signals, checks,
// notices, warnings.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pebble_fixture.hpp"

namespace {

using ops::pebble::Duration;
using ops::pebble::Layer;
using ops::pebble::Service;
using ops::pebble::ServiceStatus;
using testing::ElementsAre;
using testing::HasSubstr;

class PebbleClientTest : public ops_test::PebbleServerTest {
 protected:
  static Layer redis_layer() {
    return Layer{.summary = "redis",
                 .services = {{"redis", Service{.override = "replace",
                                                .command = "redis-server /etc/redis.conf",
                                                .startup = "enabled"}},
                              {"sentinel", Service{.override = "replace",
                                                   .command = "redis-sentinel /etc/sentinel.conf",
                                                   .startup = "disabled",
                                                   .after = {"redis"}}}}};
  }

  std::map<std::string, ServiceStatus> statuses() {
    std::map<std::string, ServiceStatus> out;
    for (const auto& info : client_->get_services()) out[info.name] = info.current;
    return out;
  }
};

TEST_F(PebbleClientTest, SystemInfoReportsVersion) {
  EXPECT_EQ(client_->get_system_info().version, "1.10.0");
}

TEST_F(PebbleClientTest, AddLayerThenPlanRoundTrips) {
  client_->add_layer("redis", redis_layer());
  const auto plan = client_->get_plan();
  EXPECT_EQ(plan.services, redis_layer().services);
  EXPECT_TRUE(plan.checks.empty());
}

TEST_F(PebbleClientTest, AddLayerWithCombineMergesIntoSameLabel) {
  client_->add_layer("redis", redis_layer());
  client_->add_layer("redis",
                     Layer{.services = {{"redis", Service{.override = "merge",
                                                          .environment = {{"PORT", "6380"}}}}}},
                     /*combine=*/true);
  const auto plan = client_->get_plan();
  const Service& redis = plan.services.at("redis");
  EXPECT_EQ(redis.command, "redis-server /etc/redis.conf");
  EXPECT_EQ(redis.environment, (std::map<std::string, std::string>{{"PORT", "6380"}}));
  // Pebble's Service.Merge leaves `override` as the service was defined.
  EXPECT_EQ(redis.override, "replace");

  // A later layer with override: replace replaces the service entirely.
  client_->add_layer(
      "override",
      Layer{.services = {{"redis", Service{.override = "replace", .command = "other"}}}});
  EXPECT_EQ(client_->get_plan().services.at("redis"),
            (Service{.override = "replace", .command = "other"}));
}

TEST_F(PebbleClientTest, AddLayerErrorsAreApiErrors) {
  client_->add_layer("redis", redis_layer());
  try {
    client_->add_layer("redis", redis_layer());  // same label without combine
    FAIL() << "expected APIError";
  } catch (const ops::pebble::APIError& e) {
    EXPECT_EQ(e.code(), 400);
    EXPECT_EQ(e.status(), "Bad Request");
    EXPECT_EQ(e.message(), "layer \"redis\" already exists");
    EXPECT_EQ(e.body()["type"], "error");
    EXPECT_EQ(e.body()["status-code"], 400);
  }
  try {
    client_->add_layer("bad", Layer{.services = {{"x", Service{.command = "true"}}}});
    FAIL() << "expected APIError";
  } catch (const ops::pebble::APIError& e) {
    EXPECT_EQ(e.message(), "layer \"bad\" must define \"override\" for service \"x\"");
  }
}

TEST_F(PebbleClientTest, StartStopRestartWaitOnChanges) {
  client_->add_layer("redis", redis_layer());
  EXPECT_EQ(statuses(),
            (std::map<std::string, ServiceStatus>{{"redis", ServiceStatus::kInactive},
                                                  {"sentinel", ServiceStatus::kInactive}}));

  const std::string id = client_->start_services({"sentinel", "redis"});
  const auto change = client_->get_change(id);
  EXPECT_TRUE(change.ready);
  EXPECT_EQ(change.status, "Done");
  EXPECT_EQ(change.kind, "start");
  ASSERT_EQ(change.tasks.size(), 2u);
  // "sentinel" is after "redis": started second.
  EXPECT_EQ(change.tasks[0].summary, "Start service \"redis\"");
  EXPECT_EQ(change.tasks[1].summary, "Start service \"sentinel\"");
  EXPECT_EQ(statuses(),
            (std::map<std::string, ServiceStatus>{{"redis", ServiceStatus::kActive},
                                                  {"sentinel", ServiceStatus::kActive}}));

  client_->restart_services({"redis"});
  client_->stop_services({"sentinel"});
  EXPECT_EQ(statuses().at("sentinel"), ServiceStatus::kInactive);
  EXPECT_THAT(services_->history(), ElementsAre("start redis", "start sentinel", "stop redis",
                                                "start redis", "stop sentinel"));

  const auto redis = client_->get_services({"redis"});
  ASSERT_EQ(redis.size(), 1u);
  EXPECT_EQ(redis[0].startup, ops::pebble::ServiceStartup::kEnabled);
  EXPECT_TRUE(redis[0].is_running());
}

TEST_F(PebbleClientTest, FailingStartRaisesChangeErrorWithTaskLog) {
  client_->add_layer("redis", redis_layer());
  services_->set_start_failure("redis", "exited quickly with code 1");
  try {
    client_->start_services({"redis"});
    FAIL() << "expected ChangeError";
  } catch (const ops::pebble::ChangeError& e) {
    EXPECT_EQ(e.err(),
              "cannot perform the following tasks:\n"
              "- Start service \"redis\" (exited quickly with code 1)");
    EXPECT_EQ(e.change().status, "Error");
    ASSERT_EQ(e.change().tasks.size(), 1u);
    ASSERT_EQ(e.change().tasks[0].log.size(), 1u);
    EXPECT_THAT(e.change().tasks[0].log[0], HasSubstr(" ERROR exited quickly with code 1"));
    EXPECT_THAT(std::string(e.what()), HasSubstr("----- Logs from task 0 -----"));
  }
  EXPECT_EQ(statuses().at("redis"), ServiceStatus::kError);
}

// Pebble's servstate: starting a running service succeeds and says so in
// the task's log.
TEST_F(PebbleClientTest, StartingARunningServiceIsLoggedNotFailed) {
  client_->add_layer("redis", redis_layer());
  client_->start_services({"redis"});
  const std::string id = client_->start_services({"redis"});
  const auto change = client_->get_change(id);
  EXPECT_EQ(change.status, "Done");
  ASSERT_EQ(change.tasks.size(), 1u);
  ASSERT_EQ(change.tasks[0].log.size(), 1u);
  EXPECT_THAT(change.tasks[0].log[0],
              ::testing::EndsWith(" INFO Service \"redis\" already started."));
  EXPECT_EQ(services_->history(), std::vector<std::string>{"start redis"});
  try {
    client_->start_services({"nope"});
    FAIL() << "expected APIError";
  } catch (const ops::pebble::APIError& e) {
    EXPECT_EQ(e.message(), "cannot start services: service \"nope\" does not exist");
  }
}

TEST_F(PebbleClientTest, NoWaitReturnsChangeIdAndWaitChangeFinishesIt) {
  client_->add_layer("redis", redis_layer());
  const std::string id = client_->start_services({"redis"}, Duration(0));
  const auto change = client_->wait_change(id, Duration(5));
  EXPECT_TRUE(change.ready);
  EXPECT_EQ(change.id, id);
  EXPECT_FALSE(change.err.has_value());
  const auto ready = client_->get_changes(ops::pebble::ChangeState::kReady, "redis");
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].id, id);
  EXPECT_THROW((void)client_->get_change("999"), ops::pebble::APIError);
}

TEST_F(PebbleClientTest, AutostartAndReplan) {
  client_->add_layer("redis", redis_layer());
  client_->autostart_services();
  EXPECT_EQ(statuses(),
            (std::map<std::string, ServiceStatus>{{"redis", ServiceStatus::kActive},
                                                  {"sentinel", ServiceStatus::kInactive}}));
  // Replan without changes does nothing; after a change it restarts redis.
  client_->replan_services();
  EXPECT_THAT(services_->history(), ElementsAre("start redis"));
  client_->add_layer(
      "port",
      Layer{.services = {{"redis", Service{.override = "merge", .environment = {{"PORT", "1"}}}}}});
  client_->replan_services();
  EXPECT_THAT(services_->history(), ElementsAre("start redis", "stop redis", "start redis"));
}

TEST_F(PebbleClientTest, SendSignalToRunningServices) {
  client_->add_layer("redis", redis_layer());
  client_->start_services({"redis"});
  client_->send_signal("SIGHUP", {"redis"});
  EXPECT_EQ(services_->history().back(), "signal redis SIGHUP");
  try {
    client_->send_signal("SIGHUP", {"sentinel"});
    FAIL() << "expected APIError";
  } catch (const ops::pebble::APIError& e) {
    EXPECT_EQ(e.code(), 400);
    EXPECT_EQ(e.message(), "cannot send signal to \"sentinel\": service is not running");
  }
}

TEST_F(PebbleClientTest, ChecksReportStatusAndStartStop) {
  client_->add_layer("checks", Layer::from_yaml(R"(
checks:
  alive: {override: replace, level: alive, period: 10s, threshold: 5, exec: {command: "true"}}
  ready: {override: replace, level: ready, startup: disabled, tcp: {port: 6379}}
)"));
  server_->set_check_status("alive", ops::pebble::CheckStatus::kDown, 2);
  auto checks = client_->get_checks();
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0].name, "alive");
  EXPECT_EQ(checks[0].level, ops::pebble::CheckLevel::kAlive);
  EXPECT_EQ(checks[0].status, ops::pebble::CheckStatus::kDown);
  EXPECT_EQ(checks[0].failures, 2);
  EXPECT_EQ(checks[0].threshold, 5);
  EXPECT_EQ(checks[1].status, ops::pebble::CheckStatus::kInactive);

  EXPECT_THAT(client_->start_checks({"ready", "alive"}), ElementsAre("ready"));
  const auto ready = client_->get_checks(ops::pebble::CheckLevel::kReady);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].status, ops::pebble::CheckStatus::kUp);
  EXPECT_THAT(client_->stop_checks({"alive"}), ElementsAre("alive"));
  EXPECT_EQ(client_->get_checks({}, {"alive"}).at(0).status, ops::pebble::CheckStatus::kInactive);
}

TEST_F(PebbleClientTest, NotifyAndReadNotices) {
  const std::string id = client_->notify("custom", "example.com/backup", {{"path", "/tmp/b"}});
  EXPECT_EQ(client_->notify("custom", "example.com/backup"), id);  // same key: same notice
  const auto notice = client_->get_notice(id);
  EXPECT_EQ(notice.key, "example.com/backup");
  EXPECT_EQ(notice.type, "custom");
  EXPECT_EQ(notice.occurrences, 2);
  EXPECT_TRUE(notice.last_data.empty());  // the last occurrence had no data
  client_->notify("custom", "example.com/other");
  const auto filtered = client_->get_notices({.keys = {"example.com/other"}});
  ASSERT_EQ(filtered.size(), 1u);
  EXPECT_EQ(filtered[0].key, "example.com/other");
  EXPECT_EQ(client_->get_notices().size(), 2u);
  EXPECT_THROW(client_->notify("change-update", "x"), ops::pebble::APIError);
  try {
    client_->get_notice("42");
    FAIL() << "expected APIError";
  } catch (const ops::pebble::APIError& e) {
    EXPECT_EQ(e.code(), 404);
    EXPECT_EQ(e.message(), "cannot find notice with ID \"42\"");
  }
}

TEST_F(PebbleClientTest, WarningsCanBeAcknowledged) {
  EXPECT_TRUE(client_->get_warnings().empty());
  server_->add_warning("disk is nearly full");
  const auto warnings = client_->get_warnings();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].message, "disk is nearly full");
  EXPECT_EQ(client_->ack_warnings(warnings[0].last_added), 1);
  EXPECT_TRUE(client_->get_warnings().empty());
  EXPECT_EQ(client_->get_warnings(ops::pebble::WarningState::kAll).size(), 1u);
}

}  // namespace
