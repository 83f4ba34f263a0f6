// A charm using the installed charm libraries (ops::redis_k8s_v0 and
// ops::grafana_dashboard_v0), run once under the installed Harness: it
// prints "libs: ok" when both published what they should.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <charms/grafana_k8s/v0/grafana_dashboard.hpp>
#include <charms/redis_k8s/v0/redis.hpp>
#include <ops/ops.hpp>
#include <ops/testing/harness.hpp>

class LibsCharm : public ops::CharmBase {
 public:
  explicit LibsCharm(ops::Framework& framework)
      : CharmBase(framework, "LibsCharm"), redis_(*this), dashboards_(*this) {}

 private:
  charms::redis_k8s::v0::RedisRequires redis_;
  charms::grafana_k8s::v0::GrafanaDashboardProvider dashboards_;
};

int main() {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "ops-consumer-libs";
  fs::create_directories(dir / "grafana_dashboards");
  std::ofstream(dir / "grafana_dashboards" / "d.json") << R"({"title": "D"})";
  ::setenv("JUJU_CHARM_DIR", dir.c_str(), 1);
  ops::testing::Harness<LibsCharm> harness(
      "name: libs\nrequires:\n  redis:\n    interface: redis\n"
      "provides:\n  grafana-dashboard:\n    interface: grafana_dashboard\n");
  harness.set_leader(true);
  harness.begin();
  int redis = harness.add_relation("redis", "redis-k8s");
  int grafana = harness.add_relation("grafana-dashboard", "grafana");
  const auto dashboards =
      nlohmann::json::parse(harness.get_relation_data(grafana, "libs").at("dashboards"));
  const auto content = dashboards["templates"]["file:d"]["content"].get<std::string>();
  const auto dashboard =
      nlohmann::json::parse(charms::grafana_k8s::v0::lzma_base64_decompress(content));
  fs::remove_all(dir);
  if (harness.get_relation_data(redis, "libs").at("auth-capable") != "true" ||
      dashboard["title"] != "D") {
    std::cout << "libs: wrong relation data\n";
    return 1;
  }
  std::cout << "libs: ok\n";
  return 0;
}
