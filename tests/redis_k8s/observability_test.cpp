// redis-k8s's metrics-endpoint, grafana-dashboard and logging relations
// through ops::testing::Harness, with the alert rules and the dashboard the
// charm ships (charms/redis-k8s/prometheus_alert_rules, grafana_dashboards),
// read from the charm directory as the packed charm reads them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "charm.hpp"
#include "charms/grafana_k8s/v0/grafana_dashboard.hpp"
#include "fake_workload.hpp"
#include "ops/testing/harness.hpp"
#include "redis_k8s/fixture.hpp"

namespace {

using nlohmann::json;
using ::testing::ElementsAre;

constexpr const char* kFqdn = "redis-k8s-0.redis-k8s-endpoints.test-model.svc.cluster.local";
constexpr const char* kUuid = "00000000-0000-4000-8000-000000000000";
const std::string kApp = "redis-k8s";

std::string charm_source_dir() {
  const char* root = std::getenv("OPS_SOURCE_DIR");
  return std::string(root ? root : ".") + "/charms/redis-k8s";
}

class RedisObservabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("JUJU_CHARM_DIR", charm_source_dir().c_str(), 1);
    redis_k8s::RedisCharmCollaborators c;
    c.workload = &redis;
    c.fqdn = [] { return std::string(kFqdn); };
    c.resolve = [](const std::string&) { return std::string("10.1.0.10"); };
    harness = std::make_unique<ops::testing::HarnessBase>(
        redis_k8s::make_redis_charm_factory(c), redis_test::source_file("metadata.yaml"),
        redis_test::source_file("config.yaml"), redis_test::source_file("actions.yaml"));
    harness->set_can_connect("redis", true);
    harness->set_can_connect("sentinel", true);
    harness->add_network("10.1.0.10");
    harness->set_leader(true);
    harness->begin();
  }
  void TearDown() override {
    harness.reset();
    ::unsetenv("JUJU_CHARM_DIR");
  }
  json app_json(int rel, const std::string& key) {
    return json::parse(harness->get_relation_data(rel, kApp).at(key));
  }
  const json topology_dict = {{"model", "test-model"},
                              {"model_uuid", kUuid},
                              {"application", kApp},
                              {"unit", "redis-k8s/0"},
                              {"charm_name", kApp}};

  redis_k8s::FakeRedisWorkload redis;
  std::unique_ptr<ops::testing::HarnessBase> harness;
};

TEST_F(RedisObservabilityTest, MetricsEndpointPublishesTheExporterJobAndRedisRules) {
  int rel = harness->add_relation("metrics-endpoint", "prometheus");
  harness->add_relation_unit(rel, "prometheus/0");
  EXPECT_EQ(app_json(rel, "scrape_metadata"), topology_dict);
  EXPECT_EQ(app_json(rel, "scrape_jobs"), json::parse(R"([{"metrics_path": "/metrics",
                             "static_configs": [{"targets": ["*:9121"]}]}])"));
  EXPECT_EQ(harness->get_relation_data(rel, "redis-k8s/0"),
            (ops::testing::Databag{{"prometheus_scrape_unit_address", "10.1.0.10"},
                                   {"prometheus_scrape_unit_name", "redis-k8s/0"},
                                   {"prometheus_scrape_unit_fqdn", kFqdn}}));

  const json rules = app_json(rel, "alert_rules");
  ASSERT_EQ(rules["groups"].size(), 1u);
  EXPECT_EQ(rules["groups"][0]["name"], "test_model_00000000_redis_k8s_redis_rules");
  std::vector<std::string> alerts;
  const std::string matchers = R"(juju_model="test-model",juju_model_uuid=")" + std::string(kUuid) +
                               R"(",juju_application="redis-k8s")";
  for (const auto& rule : rules["groups"][0]["rules"]) {
    alerts.push_back(rule["alert"]);
    const std::string expr = rule["expr"];
    EXPECT_EQ(expr.find("%%juju_topology%%"), std::string::npos) << expr;
    EXPECT_NE(expr.find(matchers), std::string::npos) << expr;
    EXPECT_EQ(rule["labels"]["juju_application"], kApp);
    EXPECT_EQ(rule["labels"]["juju_charm"], kApp);
    EXPECT_TRUE(rule["labels"]["severity"] == "critical" ||
                rule["labels"]["severity"] == "warning");
  }
  EXPECT_THAT(alerts, ElementsAre("RedisExporterDown", "RedisDown", "RedisMissingMaster",
                                  "RedisReplicationBroken", "RedisReplicaLost",
                                  "RedisMemoryNearMaxmemory", "RedisRejectedConnections"));
  EXPECT_EQ(rules["groups"][0]["rules"][1]["expr"], "redis_up{" + matchers + "} == 0");
}

// The scrape address is the pod's: each container's pebble-ready (a new
// pod) refreshes it; update-status, where the reference's library falls
// back for a charm with two containers, does not ask for it.
TEST_F(RedisObservabilityTest, TheScrapeAddressIsRefreshedOnPebbleReadyNotOnUpdateStatus) {
  int rel = harness->add_relation("metrics-endpoint", "prometheus");
  harness->add_relation_unit(rel, "prometheus/0");
  harness->add_network("10.1.0.11");
  harness->fire<ops::UpdateStatusEvent>();
  EXPECT_EQ(harness->get_relation_data(rel, "redis-k8s/0").at("prometheus_scrape_unit_address"),
            "10.1.0.10");
  harness->container_pebble_ready("sentinel");
  EXPECT_EQ(harness->get_relation_data(rel, "redis-k8s/0").at("prometheus_scrape_unit_address"),
            "10.1.0.11");
  harness->add_network("10.1.0.12");
  harness->container_pebble_ready("redis");
  EXPECT_EQ(harness->get_relation_data(rel, "redis-k8s/0").at("prometheus_scrape_unit_address"),
            "10.1.0.12");
}

TEST_F(RedisObservabilityTest, GrafanaDashboardIsTheShippedDashboardCompressed) {
  int rel = harness->add_relation("grafana-dashboard", "grafana");
  const json data = app_json(rel, "dashboards");
  ASSERT_EQ(data["templates"].size(), 1u);
  const json& redis_template = data["templates"]["file:redis"];
  EXPECT_EQ(redis_template["charm"], kApp);
  EXPECT_EQ(redis_template["inject_dropdowns"], true);
  // hashlib.shake_256(b"redis-k8s-file:redis").hexdigest(8)
  EXPECT_EQ(redis_template["dashboard_alt_uid"], "3569fdc43ab3bc69");
  EXPECT_EQ(redis_template["juju_topology"], (json{{"model", "test-model"},
                                                   {"model_uuid", kUuid},
                                                   {"application", kApp},
                                                   {"unit", "redis-k8s/0"}}));

  json shipped = json::parse(std::ifstream(charm_source_dir() + "/grafana_dashboards/redis.json"));
  shipped["uid"] =
      "db75ee7492b5587361fae4e438c2ba5662d9ba86";  // shake_256(b"redis-k8s-grafana_dashboards/redis.json")
  shipped["tags"].push_back("charm: redis-k8s");
  const json dashboard =
      json::parse(charms::grafana_k8s::v0::lzma_base64_decompress(redis_template["content"]));
  EXPECT_EQ(dashboard, shipped);

  std::string exprs;
  for (const auto& panel : dashboard["panels"]) {
    EXPECT_EQ(panel["datasource"], "${prometheusds}");
    for (const auto& target : panel["targets"]) exprs += target["expr"].get<std::string>() + "\n";
  }
  for (const char* metric : {"redis_up", "redis_connected_clients", "redis_memory_used_bytes",
                             "redis_commands_processed_total", "redis_keyspace_hits_total",
                             "redis_keyspace_misses_total", "redis_instance_info",
                             "redis_master_last_io_seconds_ago", "redis_connected_slaves"}) {
    EXPECT_NE(exprs.find(metric), std::string::npos) << metric;
  }
}

TEST_F(RedisObservabilityTest, LoggingForwardsBothContainersToLokiUntilTheRelationGoes) {
  int rel = harness->add_relation("logging", "loki");
  harness->add_relation_unit(rel, "loki/0");
  harness->update_relation_data(
      rel, "loki/0",
      {{"endpoint", R"({"url": "http://loki-0.loki-endpoints:3100/loki/api/v1/push"})"}});
  EXPECT_EQ(app_json(rel, "metadata"), topology_dict);
  EXPECT_EQ(app_json(rel, "alert_rules"), json::object());
  for (const char* container : {"redis", "sentinel"}) {
    const auto targets = harness->get_container_pebble_plan(container).log_targets;
    ASSERT_EQ(targets.count("loki/0"), 1u) << container;
    const ops::pebble::LogTarget& target = targets.at("loki/0");
    EXPECT_EQ(target.type, "loki");
    EXPECT_EQ(target.location, "http://loki-0.loki-endpoints:3100/loki/api/v1/push");
    EXPECT_EQ(target.services, std::vector<std::string>{"all"});
    EXPECT_EQ(target.labels.at("juju_unit"), "redis-k8s/0");
    EXPECT_EQ(target.labels.at("job"), "juju_test-model_00000000_redis-k8s");
  }
  harness->remove_relation(rel);
  for (const char* container : {"redis", "sentinel"}) {
    const auto target = harness->get_container_pebble_plan(container).log_targets.at("loki/0");
    EXPECT_EQ(target.services, std::vector<std::string>{"-all"}) << container;
    EXPECT_EQ(target.location, "(removed)");
  }
}

}  // namespace
