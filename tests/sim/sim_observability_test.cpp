// redis-k8s's observability relations end to end under ops-sim (simulated
// workloads, no namespaces): a small shell consumer charm relates to
// `metrics-endpoint` (prometheus_scrape), `grafana-dashboard`
// (grafana_dashboard) and `logging` (loki_push_api), reads what redis-k8s
// publishes with relation-get in its own hooks, and the test decodes it as
// the COS consumers do: JSON strings in the databags, the dashboard as
// base64 of xz. For logging the consumer plays Loki: it publishes its
// `endpoint`, and redis-k8s's Pebble plan gains a loki log target for it,
// switched off again when the relation is removed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <lzma.h>

#include <nlohmann/json.hpp>

#include "ops/pebble.hpp"
#include "sim_fixture.hpp"

namespace ops_sim::testing {
namespace {

using ::testing::ElementsAre;
using json = nlohmann::json;

// RFC 4648 base64 (with padding), as Python's base64.b64decode reads it.
std::string base64_decode(const std::string& text) {
  static const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (char ch : text) {
    if (ch == '=') break;
    const auto pos = alphabet.find(ch);
    if (pos == std::string::npos) throw std::runtime_error("not base64: " + std::string(1, ch));
    bits = (bits << 6) | static_cast<unsigned>(pos);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xff));
    }
  }
  return out;
}

// lzma.decompress of Python: an .xz stream, decoded with liblzma.
std::string xz_decompress(const std::string& data) {
  lzma_stream stream = LZMA_STREAM_INIT;
  if (lzma_stream_decoder(&stream, UINT64_MAX, 0) != LZMA_OK) {
    throw std::runtime_error("lzma_stream_decoder failed");
  }
  std::string out;
  char buf[65536];
  stream.next_in = reinterpret_cast<const std::uint8_t*>(data.data());
  stream.avail_in = data.size();
  lzma_ret ret = LZMA_OK;
  while (ret == LZMA_OK) {
    stream.next_out = reinterpret_cast<std::uint8_t*>(buf);
    stream.avail_out = sizeof buf;
    ret = lzma_code(&stream, LZMA_FINISH);
    out.append(buf, sizeof buf - stream.avail_out);
  }
  lzma_end(&stream);
  if (ret != LZMA_STREAM_END) throw std::runtime_error("not an xz stream");
  return out;
}

class SimObservability : public SimTest {
 protected:
  void SetUp() override {
    SimTest::SetUp();
#ifndef OPS_SIM_REDIS_CHARM
    GTEST_SKIP() << "the redis-k8s charm is not part of this build";
#endif
  }

  // What the consumer's hooks read, by file name.
  json read_json(const std::string& name) {
    const auto path = root_ / "seen" / name;
    if (!fs::exists(path)) return nullptr;
    return json::parse(read(path));
  }

  ops::pebble::Plan plan_of(const std::string& container) {
    return ops::pebble::make_client(
               (model_ / "units" / "redis-k8s-0" / "pebble" / container / "pebble.socket").string())
        ->get_plan();
  }
};

TEST_F(SimObservability, AConsumerSeesMetricsDashboardsAndLogForwarding) {
#ifdef OPS_SIM_REDIS_CHARM
  // The consumer: on each relation-changed it records the redis-k8s
  // application bag and the remote unit's bag as relation-get gives them;
  // as Loki it publishes its push endpoint on logging-relation-joined.
  fs::create_directories(root_ / "seen");
  const auto consumer = write_charm("cos", R"(name: cos
requires:
  metrics:
    interface: prometheus_scrape
  dashboards:
    interface: grafana_dashboard
provides:
  logging:
    interface: loki_push_api
)",
                                    "", "", "SEEN='" + (root_ / "seen").string() + "'\n" + R"SH(
case "$JUJU_DISPATCH_PATH" in
  hooks/logging-relation-joined)
    relation-set "endpoint={\"url\": \"http://$(unit-get private-address):3100/loki/api/v1/push\"}" ;;
  hooks/*-relation-changed)
    endpoint=${JUJU_DISPATCH_PATH#hooks/}
    endpoint=${endpoint%-relation-changed}
    relation-get --format=json --app - "$JUJU_REMOTE_APP" > "$SEEN/$endpoint.app.json"
    if [ -n "$JUJU_REMOTE_UNIT" ]; then
      relation-get --format=json - "$JUJU_REMOTE_UNIT" > "$SEEN/$endpoint.unit.json"
    fi ;;
esac
)SH");
  ok({"--workloads", "simulate", "--model", "demo", "deploy", OPS_SIM_REDIS_CHARM});
  ok({"deploy", consumer.string()});
  auto status = json::parse(ok({"status", "--format=json"}));
  const std::string uuid = status["model"]["uuid"];
  const std::string redis_address =
      status["applications"]["redis-k8s"]["units"]["redis-k8s/0"]["address"];
  const std::string cos_address = status["applications"]["cos"]["units"]["cos/0"]["address"];
  const json topology = {{"model", "demo"},
                         {"model_uuid", uuid},
                         {"application", "redis-k8s"},
                         {"unit", "redis-k8s/0"}};

  // prometheus_scrape: the application bag's JSON strings and the unit's
  // address and name, as MetricsEndpointConsumer reads them.
  ok({"integrate", "redis-k8s:metrics-endpoint", "cos:metrics"});
  const json metrics_app = read_json("metrics.app.json");
  ASSERT_TRUE(metrics_app.is_object()) << ok({"debug-log"});
  EXPECT_EQ(json::parse(metrics_app["scrape_metadata"].get<std::string>()),
            (json{{"model", "demo"},
                  {"model_uuid", uuid},
                  {"application", "redis-k8s"},
                  {"unit", "redis-k8s/0"},
                  {"charm_name", "redis-k8s"}}));
  EXPECT_EQ(json::parse(metrics_app["scrape_jobs"].get<std::string>()),
            json::parse(R"([{"metrics_path": "/metrics",
                             "static_configs": [{"targets": ["*:9121"]}]}])"));
  const auto rules = json::parse(metrics_app["alert_rules"].get<std::string>());
  ASSERT_EQ(rules["groups"].size(), 1u) << rules.dump(2);
  const auto& group = rules["groups"][0];
  EXPECT_EQ(group["name"], "demo_" + uuid.substr(0, 8) + "_redis_k8s_redis_rules");
  std::vector<std::string> alerts;
  const std::string selector =
      "{juju_model=\"demo\",juju_model_uuid=\"" + uuid + "\",juju_application=\"redis-k8s\"}";
  for (const auto& rule : group["rules"]) {
    alerts.push_back(rule["alert"]);
    EXPECT_EQ(rule["labels"]["juju_model"], "demo");
    EXPECT_EQ(rule["labels"]["juju_model_uuid"], uuid);
    EXPECT_EQ(rule["labels"]["juju_application"], "redis-k8s");
    EXPECT_EQ(rule["labels"]["juju_charm"], "redis-k8s");
  }
  EXPECT_THAT(alerts, ElementsAre("RedisExporterDown", "RedisDown", "RedisMissingMaster",
                                  "RedisReplicationBroken", "RedisReplicaLost",
                                  "RedisMemoryNearMaxmemory", "RedisRejectedConnections"));
  EXPECT_EQ(group["rules"][1]["expr"], "redis_up" + selector + " == 0");
  const json metrics_unit = read_json("metrics.unit.json");
  EXPECT_EQ(metrics_unit["prometheus_scrape_unit_address"], redis_address);
  EXPECT_EQ(metrics_unit["prometheus_scrape_unit_name"], "redis-k8s/0");

  // grafana_dashboard: one template, its content base64(xz(dashboard JSON)).
  ok({"integrate", "redis-k8s:grafana-dashboard", "cos:dashboards"});
  const json dashboards_app = read_json("dashboards.app.json");
  ASSERT_TRUE(dashboards_app.is_object()) << ok({"debug-log"});
  const auto dashboards = json::parse(dashboards_app["dashboards"].get<std::string>());
  ASSERT_EQ(dashboards["templates"].size(), 1u) << dashboards.dump(2);
  const auto& tmpl = dashboards["templates"]["file:redis"];
  EXPECT_EQ(tmpl["charm"], "redis-k8s");
  EXPECT_EQ(tmpl["juju_topology"], topology);
  EXPECT_EQ(tmpl["inject_dropdowns"], true);
  // Python's hashlib.shake_256(b"redis-k8s-file:redis").hexdigest(8).
  EXPECT_EQ(tmpl["dashboard_alt_uid"], "3569fdc43ab3bc69");
  // The shipped dashboard with what the provider adds before compressing: a
  // stable uid (hashlib.shake_256(b"redis-k8s-grafana_dashboards/redis.json")
  // .hexdigest(20)) and the tag "charm: redis-k8s".
  auto shipped =
      json::parse(read(fs::path(OPS_SIM_REDIS_CHARM_SOURCE) / "grafana_dashboards" / "redis.json"));
  ASSERT_FALSE(shipped.contains("uid"));
  shipped["uid"] = "db75ee7492b5587361fae4e438c2ba5662d9ba86";
  shipped["tags"].push_back("charm: redis-k8s");
  EXPECT_EQ(json::parse(xz_decompress(base64_decode(tmpl["content"].get<std::string>()))), shipped);
  EXPECT_EQ(dashboards["uuid"].get<std::string>().size(), 36u);

  // loki_push_api: the consumer's endpoint becomes a loki log target in the
  // plan of both containers, labelled with the Juju topology.
  EXPECT_TRUE(plan_of("redis").log_targets.empty());
  ok({"integrate", "redis-k8s:logging", "cos:logging"});
  const json logging_app = read_json("logging.app.json");
  ASSERT_TRUE(logging_app.is_object()) << ok({"debug-log"});
  EXPECT_EQ(json::parse(logging_app["metadata"].get<std::string>()),
            (json{{"model", "demo"},
                  {"model_uuid", uuid},
                  {"application", "redis-k8s"},
                  {"unit", "redis-k8s/0"},
                  {"charm_name", "redis-k8s"}}));
  EXPECT_EQ(logging_app["alert_rules"], "{}");
  ops::pebble::LogTarget expected;
  expected.override = "replace";
  expected.type = "loki";
  expected.location = "http://" + cos_address + ":3100/loki/api/v1/push";
  expected.services = {"all"};
  expected.labels = {{"product", "Juju"},
                     {"charm", "redis-k8s"},
                     {"juju_model", "demo"},
                     {"juju_model_uuid", uuid},
                     {"juju_application", "redis-k8s"},
                     {"juju_unit", "redis-k8s/0"},
                     {"job", "juju_demo_" + uuid.substr(0, 8) + "_redis-k8s"}};
  for (const char* container : {"redis", "sentinel"}) {
    const auto plan = plan_of(container);
    ASSERT_EQ(plan.log_targets.size(), 1u) << container << "\n" << plan.to_yaml();
    EXPECT_EQ(plan.log_targets.at("cos/0"), expected) << container;
  }

  // Removing the relation switches the target off (a layer cannot delete
  // one): no service forwards to it any more.
  ok({"remove-relation", "redis-k8s:logging", "cos:logging"});
  ops::pebble::LogTarget removed;
  removed.override = "replace";
  removed.type = "loki";
  removed.location = "(removed)";
  removed.services = {"-all"};
  for (const char* container : {"redis", "sentinel"}) {
    const auto plan = plan_of(container);
    ASSERT_EQ(plan.log_targets.size(), 1u) << container << "\n" << plan.to_yaml();
    EXPECT_EQ(plan.log_targets.at("cos/0"), removed) << container;
  }
#endif
}

}  // namespace
}  // namespace ops_sim::testing
