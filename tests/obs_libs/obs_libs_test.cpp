// The observability libraries through the Harness: what each writes, read
// back the way its COS consumer reads it (Prometheus expands `*:<port>`
// targets into one job per unit; Grafana base64-decodes and xz-decompresses
// each dashboard; Loki's side is Pebble's plan of log targets).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <lzma.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "charms/grafana_k8s/v0/grafana_dashboard.hpp"
#include "charms/loki_k8s/v1/loki_push_api.hpp"
#include "charms/prometheus_k8s/v0/prometheus_scrape.hpp"
#include "ops/testing/harness.hpp"
#include "support/temp_dir.hpp"

namespace {

using nlohmann::json;
namespace fs = std::filesystem;
namespace obs = charms::observability_libs::v0;
namespace prom = charms::prometheus_k8s::v0;
namespace graf = charms::grafana_k8s::v0;
namespace loki = charms::loki_k8s::v1;

constexpr const char* kMeta = R"(
name: obs-charm
containers:
  workload: {}
  sidecar: {}
provides:
  metrics-endpoint:
    interface: prometheus_scrape
  grafana-dashboard:
    interface: grafana_dashboard
requires:
  logging:
    interface: loki_push_api
)";

constexpr const char* kUuid = "00000000-0000-4000-8000-000000000000";

class ObsCharm : public ops::CharmBase {
 public:
  explicit ObsCharm(ops::Framework& fw)
      : CharmBase(fw, "ObsCharm"),
        metrics(*this, {.jobs = {{{"metrics_path", "/metrics"},
                                  {"static_configs", {{{"targets", {"*:9121"}}}}},
                                  {"not_allowed", "dropped"}}},
                        .fqdn = [] { return std::string("obs-charm-0.example"); }}),
        dashboards(*this),
        logging(*this) {}
  prom::MetricsEndpointProvider metrics;
  graf::GrafanaDashboardProvider dashboards;
  loki::LogForwarder logging;
};

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// base64 and xz decoding written here, independent of the library's own.
std::string base64_decode(const std::string& in) {
  static const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int bits = 0, value = 0;
  for (char c : in) {
    if (c == '=') break;
    auto pos = alphabet.find(c);
    if (pos == std::string::npos) throw std::runtime_error("bad base64");
    value = (value << 6) | static_cast<int>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((value >> bits) & 0xff));
    }
  }
  return out;
}

std::string xz_decompress(const std::string& in) {
  std::string out(1 << 20, '\0');
  uint64_t memlimit = UINT64_MAX;
  size_t in_pos = 0, out_pos = 0;
  lzma_ret rc = lzma_stream_buffer_decode(
      &memlimit, 0, nullptr, reinterpret_cast<const uint8_t*>(in.data()), &in_pos, in.size(),
      reinterpret_cast<uint8_t*>(out.data()), &out_pos, out.size());
  if (rc != LZMA_OK) throw std::runtime_error("xz decode failed: " + std::to_string(rc));
  out.resize(out_pos);
  return out;
}

class ObsLibsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("JUJU_CHARM_DIR", dir.c_str(), 1);
    harness = std::make_unique<ops::testing::Harness<ObsCharm>>(kMeta);
  }
  void TearDown() override {
    harness.reset();
    ::unsetenv("JUJU_CHARM_DIR");
  }
  json app_json(int rel, const std::string& key) {
    return json::parse(harness->get_relation_data(rel, "obs-charm").at(key));
  }

  ops_test::TempDir tmp{"obs-libs-"};
  const fs::path& dir = tmp.path();
  std::unique_ptr<ops::testing::Harness<ObsCharm>> harness;
};

// ---------------------------------------------------------------- prometheus

// What MetricsEndpointConsumer._static_scrape_config makes of one relation:
// job names prefixed with the topology, one job per unit for `*` targets.
json consumer_jobs(const json& scrape_jobs, const json& metadata,
                   const std::map<std::string, ops::testing::Databag>& units) {
  const auto topology = obs::JujuTopology::from_dict(metadata);
  const std::string prefix = "juju_" + topology.identifier() + "_prometheus_scrape";
  json out = json::array();
  for (json job : scrape_jobs) {
    job["job_name"] =
        job.contains("job_name") ? prefix + "_" + job["job_name"].get<std::string>() : prefix;
    for (const auto& static_config : job["static_configs"]) {
      for (const auto& [unit_name, bag] : units) {
        json unit_job = job;
        json unit_static = static_config;
        json targets = json::array();
        for (const auto& target : static_config["targets"]) {
          std::string t = target;
          t.replace(t.find('*'), 1, bag.at("prometheus_scrape_unit_address"));
          targets.push_back(t);
        }
        unit_static["targets"] = targets;
        json labels = topology.label_matcher_dict();
        labels["juju_unit"] = bag.at("prometheus_scrape_unit_name");
        unit_static["labels"] = labels;
        unit_job["job_name"] =
            job["job_name"].get<std::string>() + "-" + unit_name.substr(unit_name.find('/') + 1);
        unit_job["static_configs"] = json::array({unit_static});
        out.push_back(unit_job);
      }
    }
  }
  return out;
}

TEST_F(ObsLibsTest, PrometheusLeaderPublishesJobsMetadataAndUnitAddress) {
  harness->set_leader(true);
  harness->add_network("10.1.2.3");
  harness->begin();
  int rel = harness->add_relation("metrics-endpoint", "prometheus");
  harness->add_relation_unit(rel, "prometheus/0");

  EXPECT_EQ(app_json(rel, "scrape_metadata"), (json{{"model", "test-model"},
                                                    {"model_uuid", kUuid},
                                                    {"application", "obs-charm"},
                                                    {"unit", "obs-charm/0"},
                                                    {"charm_name", "obs-charm"}}));
  const json jobs = app_json(rel, "scrape_jobs");
  EXPECT_EQ(jobs, json::parse(R"([{"metrics_path": "/metrics",
                                    "static_configs": [{"targets": ["*:9121"]}]}])"));
  EXPECT_EQ(app_json(rel, "alert_rules"), json::object());
  const auto unit_bag = harness->get_relation_data(rel, "obs-charm/0");
  EXPECT_EQ(unit_bag,
            (ops::testing::Databag{{"prometheus_scrape_unit_address", "10.1.2.3"},
                                   {"prometheus_scrape_unit_name", "obs-charm/0"},
                                   {"prometheus_scrape_unit_fqdn", "obs-charm-0.example"}}));

  EXPECT_EQ(consumer_jobs(jobs, app_json(rel, "scrape_metadata"), {{"obs-charm/0", unit_bag}}),
            json::parse(R"([{"job_name": "juju_test-model_00000000_obs-charm_prometheus_scrape-0",
                             "metrics_path": "/metrics",
                             "static_configs": [{"targets": ["10.1.2.3:9121"],
                               "labels": {"juju_model": "test-model",
                                          "juju_model_uuid": "00000000-0000-4000-8000-000000000000",
                                          "juju_application": "obs-charm",
                                          "juju_charm": "obs-charm",
                                          "juju_unit": "obs-charm/0"}}]}])"));
}

TEST_F(ObsLibsTest, PrometheusAlertRulesCarryTopologyAsTheConsumerReadsIt) {
  write(dir / "prometheus_alert_rules/redis.rules", R"(groups:
  - name: redis
    rules:
      - alert: RedisDown
        expr: redis_up{%%juju_topology%%} == 0
        for: 1m
        labels:
          severity: critical
)");
  write(dir / "prometheus_alert_rules/extra/lonely.rule",
        "alert: Lonely\nexpr: redis_connected_slaves{%%juju_topology%%} < 1\n");
  write(dir / "prometheus_alert_rules/broken.rules", "groups: [ {name: x, rules: ");
  write(dir / "prometheus_alert_rules/notes.txt", "not a rule");
  harness->set_leader(true);
  harness->begin();
  int rel = harness->add_relation("metrics-endpoint", "prometheus");
  harness->add_relation_unit(rel, "prometheus/0");

  const std::string matchers =
      R"(juju_model="test-model",juju_model_uuid="00000000-0000-4000-8000-000000000000",juju_application="obs-charm")";
  const json labels{{"juju_model", "test-model"},
                    {"juju_model_uuid", kUuid},
                    {"juju_application", "obs-charm"},
                    {"juju_charm", "obs-charm"}};
  json critical = labels;
  critical["severity"] = "critical";
  const json rules = app_json(rel, "alert_rules");
  EXPECT_EQ(rules, (json{{"groups",
                          {{{"name", "test_model_00000000_obs_charm_extra_lonely_rules"},
                            {"rules",
                             {{{"alert", "Lonely"},
                               {"expr", "redis_connected_slaves{" + matchers + "} < 1"},
                               {"labels", labels}}}}},
                           {{"name", "test_model_00000000_obs_charm_redis_rules"},
                            {"rules",
                             {{{"alert", "RedisDown"},
                               {"expr", "redis_up{" + matchers + "} == 0"},
                               {"for", "1m"},
                               {"labels", critical}}}}}}}}));
  // MetricsEndpointConsumer._get_identifier_by_alert_rules: the first rule's labels.
  const json& first = rules["groups"][0]["rules"][0]["labels"];
  EXPECT_EQ(obs::JujuTopology(
                {first["juju_model"], first["juju_model_uuid"], first["juju_application"], "", ""})
                .identifier(),
            "test-model_00000000_obs-charm");
}

TEST_F(ObsLibsTest, PrometheusNonLeaderWritesOnlyItsUnitData) {
  harness->begin();
  int rel = harness->add_relation("metrics-endpoint", "prometheus");
  harness->add_relation_unit(rel, "prometheus/0");
  EXPECT_TRUE(harness->get_relation_data(rel, "obs-charm").empty());
  EXPECT_EQ(harness->get_relation_data(rel, "obs-charm/0").at("prometheus_scrape_unit_address"),
            "192.0.2.0");
}

TEST_F(ObsLibsTest, PrometheusRepublishesANewAddressOnUpdateStatusAndPebbleReady) {
  harness->set_leader(true);
  harness->begin();
  int rel = harness->add_relation("metrics-endpoint", "prometheus");
  harness->add_relation_unit(rel, "prometheus/0");
  harness->add_network("10.9.9.9");
  harness->fire<ops::UpdateStatusEvent>();
  EXPECT_EQ(harness->get_relation_data(rel, "obs-charm/0").at("prometheus_scrape_unit_address"),
            "10.9.9.9");
  harness->add_network("10.9.9.10");
  harness->set_can_connect("workload", true);
  harness->container_pebble_ready("workload");
  EXPECT_EQ(harness->get_relation_data(rel, "obs-charm/0").at("prometheus_scrape_unit_address"),
            "10.9.9.10");
}

TEST_F(ObsLibsTest, PrometheusLeaderElectedPublishesOnExistingRelations) {
  harness->begin();
  int rel = harness->add_relation("metrics-endpoint", "prometheus");
  EXPECT_TRUE(harness->get_relation_data(rel, "obs-charm").empty());
  harness->set_leader(true);
  EXPECT_EQ(app_json(rel, "scrape_metadata")["unit"], "obs-charm/0");
}

TEST_F(ObsLibsTest, JobsAreSanitizedOverTheDefaultJob) {
  EXPECT_EQ(prom::sanitize_scrape_job({{"job_name", "x"}, {"honor_labels", true}}),
            json::parse(R"({"job_name": "x", "metrics_path": "/metrics",
                            "static_configs": [{"targets": ["*:80"]}]})"));
  EXPECT_THROW(prom::sanitize_scrape_job(json::array()), ops::Error);
}

class WrongInterfaceCharm : public ops::CharmBase {
 public:
  explicit WrongInterfaceCharm(ops::Framework& fw)
      : CharmBase(fw, "WrongInterfaceCharm"), metrics(*this) {}
  prom::MetricsEndpointProvider metrics;
};

TEST(ObsLibsValidation, AnEndpointWithTheWrongInterfaceOrRoleIsRefused) {
  ops::testing::Harness<WrongInterfaceCharm> wrong_interface(
      "name: x\nprovides:\n  metrics-endpoint:\n    interface: http\n");
  try {
    wrong_interface.begin();
    FAIL() << "expected FrameworkError";
  } catch (const ops::FrameworkError& e) {
    EXPECT_STREQ(e.what(),
                 "relation 'metrics-endpoint' has interface 'http', expected 'prometheus_scrape'");
  }
  ops::testing::Harness<WrongInterfaceCharm> wrong_role(
      "name: x\nrequires:\n  metrics-endpoint:\n    interface: prometheus_scrape\n");
  EXPECT_THROW(wrong_role.begin(), ops::FrameworkError);
  ops::testing::Harness<WrongInterfaceCharm> missing("name: x\n");
  EXPECT_THROW(missing.begin(), ops::FrameworkError);
}

// ------------------------------------------------------------------- grafana

TEST_F(ObsLibsTest, LzmaBase64IsWhatPythonsLzmaCompressWrites) {
  // base64.b64encode(lzma.compress(b'{"a":1}')) in CPython 3.11.
  EXPECT_EQ(
      graf::lzma_base64_compress(R"({"a":1})"),
      "/Td6WFoAAATm1rRGAgAhARYAAAB0L+WjAQAGeyJhIjoxfQAAdJMZsZd+H60AAR8HFi64cx+2830BAAAAAARZWg==");
  EXPECT_EQ(graf::lzma_base64_decompress(graf::lzma_base64_compress("hello")), "hello");
  EXPECT_THROW(graf::lzma_base64_decompress("aGVsbG8="), ops::Error);
  // hashlib.shake_256(b"obs-charm-file:redis").hexdigest(8)
  EXPECT_EQ(graf::shake_256_hex("obs-charm-file:redis", 8), "07b46d82cef3890f");
}

TEST_F(ObsLibsTest, GrafanaLeaderPublishesCompressedDashboards) {
  write(dir / "grafana_dashboards/redis.json",
        R"({"title": "Redis", "tags": ["redis"], "panels": [{"id": 1, "type": "stat"}]})");
  write(
      dir / "grafana_dashboards/keep.json.tmpl",
      R"({"title": "Keep", "uid": "0123456789abcdef0123456789abcdef01234567", "tags": ["charm: other"]})");
  write(dir / "grafana_dashboards/bad.json", "{not json");
  write(dir / "grafana_dashboards/readme.md", "# not a dashboard");
  harness->set_leader(true);
  harness->begin();
  int rel = harness->add_relation("grafana-dashboard", "grafana");

  const json data = app_json(rel, "dashboards");
  ASSERT_TRUE(data["uuid"].is_string());
  EXPECT_EQ(data["uuid"].get<std::string>().size(), 36u);
  EXPECT_EQ(data["uuid"].get<std::string>()[14], '4');
  const json& templates = data["templates"];
  ASSERT_EQ(templates.size(), 2u);
  const json& redis = templates["file:redis"];
  EXPECT_EQ(redis["charm"], "obs-charm");
  EXPECT_EQ(redis["inject_dropdowns"], true);
  EXPECT_EQ(redis["dashboard_alt_uid"], "07b46d82cef3890f");
  EXPECT_EQ(redis["juju_topology"], (json{{"model", "test-model"},
                                          {"model_uuid", kUuid},
                                          {"application", "obs-charm"},
                                          {"unit", "obs-charm/0"}}));
  const std::string raw = base64_decode(redis["content"]);
  EXPECT_EQ(raw.substr(0, 6), std::string("\xFD"
                                          "7zXZ\0",
                                          6));
  EXPECT_EQ(json::parse(xz_decompress(raw)),
            json::parse(R"({"title": "Redis", "tags": ["redis", "charm: obs-charm"],
                            "panels": [{"id": 1, "type": "stat"}],
                            "uid": "e057f5a07c6627dbb3190e051a00df7ccf78f9b6"})"));
  const json keep =
      json::parse(xz_decompress(base64_decode(templates["file:keep.json"]["content"])));
  EXPECT_EQ(keep["uid"], "0123456789abcdef0123456789abcdef01234567");
  EXPECT_EQ(keep["tags"], json::array({"charm: other"}));

  // Republished with a new uuid so that Grafana sees a change.
  harness->fire<ops::UpgradeCharmEvent>();
  EXPECT_NE(app_json(rel, "dashboards")["uuid"], data["uuid"]);
  EXPECT_EQ(app_json(rel, "dashboards")["templates"], templates);
}

TEST_F(ObsLibsTest, GrafanaContentDecodesWithPythonsLzma) {
  if (std::system("python3 -c 'import lzma, base64' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "python3 with lzma is not installed";
  }
  write(dir / "grafana_dashboards/redis.json", R"({"title": "Redis"})");
  harness->set_leader(true);
  harness->begin();
  int rel = harness->add_relation("grafana-dashboard", "grafana");
  const std::string content = app_json(rel, "dashboards")["templates"]["file:redis"]["content"];
  const fs::path in = dir / "content.b64";
  write(in, content);
  const std::string cmd =
      "python3 -c 'import lzma, base64, json, sys; "
      "d = json.loads(lzma.decompress(base64.b64decode(open(sys.argv[1]).read())).decode()); "
      "print(d[\"title\"], d[\"tags\"][0])' " +
      in.string();
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(cmd.c_str(), "r"), ::pclose);
  ASSERT_TRUE(pipe);
  char buffer[256] = {};
  std::string out;
  while (std::fgets(buffer, sizeof buffer, pipe.get()) != nullptr) out += buffer;
  EXPECT_EQ(out, "Redis charm: obs-charm\n");
}

TEST_F(ObsLibsTest, GrafanaNonLeaderPublishesNothing) {
  write(dir / "grafana_dashboards/redis.json", R"({"title": "Redis"})");
  harness->begin();
  int rel = harness->add_relation("grafana-dashboard", "grafana");
  harness->add_relation_unit(rel, "grafana/0");
  EXPECT_TRUE(harness->get_relation_data(rel, "obs-charm").empty());
}

// ---------------------------------------------------------------------- loki

ops::pebble::LogTarget enabled_target(const std::string& url) {
  ops::pebble::LogTarget t;
  t.override = "replace";
  t.type = "loki";
  t.location = url;
  t.services = {"all"};
  t.labels = {{"product", "Juju"},
              {"charm", "obs-charm"},
              {"juju_model", "test-model"},
              {"juju_model_uuid", kUuid},
              {"juju_application", "obs-charm"},
              {"juju_unit", "obs-charm/0"},
              {"job", "juju_test-model_00000000_obs-charm"}};
  return t;
}

ops::pebble::LogTarget disabled_target() {
  ops::pebble::LogTarget t;
  t.override = "replace";
  t.type = "loki";
  t.location = "(removed)";
  t.services = {"-all"};
  return t;
}

std::string endpoint(const std::string& url) { return json{{"url", url}}.dump(); }

TEST_F(ObsLibsTest, LokiTargetsFollowTheLokiUnits) {
  harness->set_leader(true);
  harness->set_can_connect("workload", true);
  harness->set_can_connect("sidecar", true);
  harness->begin();
  int rel = harness->add_relation("logging", "loki");
  harness->add_relation_unit(rel, "loki/0");
  EXPECT_TRUE(harness->get_container_pebble_plan("workload").log_targets.empty());
  harness->update_relation_data(rel, "loki/0",
                                {{"endpoint", endpoint("http://loki-0:3100/loki/api/v1/push")}});
  for (const char* container : {"workload", "sidecar"}) {
    EXPECT_EQ(harness->get_container_pebble_plan(container).log_targets,
              (std::map<std::string, ops::pebble::LogTarget>{
                  {"loki/0", enabled_target("http://loki-0:3100/loki/api/v1/push")}}))
        << container;
  }
  const auto& layers = harness->pebble("workload").layers();
  EXPECT_TRUE(std::any_of(layers.begin(), layers.end(),
                          [](const auto& l) { return l.first == "workload-log-forwarding"; }));

  // A second Loki unit: both forward; the first unit goes: switched off.
  harness->add_relation_unit(rel, "loki/1");
  harness->update_relation_data(rel, "loki/1",
                                {{"endpoint", endpoint("http://loki-1:3100/loki/api/v1/push")}});
  EXPECT_EQ(harness->get_container_pebble_plan("workload").log_targets.size(), 2u);
  harness->remove_relation_unit(rel, "loki/0");
  EXPECT_EQ(harness->get_container_pebble_plan("workload").log_targets,
            (std::map<std::string, ops::pebble::LogTarget>{
                {"loki/0", disabled_target()},
                {"loki/1", enabled_target("http://loki-1:3100/loki/api/v1/push")}}));

  // The relation goes: nothing forwards any more (the Python library leaves
  // the last targets on here).
  harness->remove_relation(rel);
  EXPECT_EQ(harness->get_container_pebble_plan("sidecar").log_targets,
            (std::map<std::string, ops::pebble::LogTarget>{{"loki/0", disabled_target()},
                                                           {"loki/1", disabled_target()}}));
}

TEST_F(ObsLibsTest, LokiLeaderWritesMetadataAndLogqlRules) {
  write(dir / "loki_alert_rules/errors.rules", R"(groups:
  - name: errors
    rules:
      - alert: TooManyErrors
        expr: sum(rate({%%juju_topology%%} |= "error" [1m])) > 1
)");
  harness->set_leader(true);
  harness->begin();
  int rel = harness->add_relation("logging", "loki");
  harness->add_relation_unit(rel, "loki/0");
  EXPECT_EQ(app_json(rel, "metadata"), (json{{"model", "test-model"},
                                             {"model_uuid", kUuid},
                                             {"application", "obs-charm"},
                                             {"unit", "obs-charm/0"},
                                             {"charm_name", "obs-charm"}}));
  const json rules = app_json(rel, "alert_rules");
  EXPECT_EQ(rules["groups"][0]["name"], "test_model_00000000_obs_charm_errors_rules");
  EXPECT_EQ(
      rules["groups"][0]["rules"][0]["expr"],
      R"(sum(rate({juju_model="test-model",juju_model_uuid="00000000-0000-4000-8000-000000000000",juju_application="obs-charm"} |= "error" [1m])) > 1)");
}

TEST_F(ObsLibsTest, LokiRelationIsNotReadyUntilEveryUnitHasAnEndpoint) {
  harness->set_can_connect("workload", true);
  harness->begin();
  int rel = harness->add_relation("logging", "loki");
  harness->add_relation_unit(rel, "loki/0");
  harness->add_relation_unit(rel, "loki/1");
  harness->update_relation_data(rel, "loki/0", {{"endpoint", endpoint("http://l0/push")}});
  EXPECT_TRUE(harness->get_container_pebble_plan("workload").log_targets.empty());
  harness->update_relation_data(rel, "loki/1", {{"endpoint", "not json"}});
  EXPECT_TRUE(harness->get_container_pebble_plan("workload").log_targets.empty());
  harness->update_relation_data(rel, "loki/1", {{"endpoint", endpoint("http://l1/push")}});
  EXPECT_EQ(harness->get_container_pebble_plan("workload").log_targets.size(), 2u);
  // Non-leader: no application data.
  EXPECT_TRUE(harness->get_relation_data(rel, "obs-charm").empty());
}

TEST_F(ObsLibsTest, LokiPebbleReadyConfiguresThatContainer) {
  harness->begin();
  int rel = harness->add_relation("logging", "loki");
  harness->add_relation_unit(rel, "loki/0");
  harness->update_relation_data(rel, "loki/0", {{"endpoint", endpoint("http://l0/push")}});
  harness->set_can_connect("sidecar", true);
  harness->container_pebble_ready("sidecar");
  EXPECT_EQ(harness->get_container_pebble_plan("sidecar").log_targets,
            (std::map<std::string, ops::pebble::LogTarget>{
                {"loki/0", enabled_target("http://l0/push")}}));
}

}  // namespace
