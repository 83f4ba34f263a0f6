// The http interface (charms/http/v0/http.hpp) on both sides: hello-k8s
// publishing its `website`, http-proxy consuming `reverseproxy`, under the
// Harness and Context, with interface-http's wire format (plain strings).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "charm.hpp"
#include "charms/http/v0/http.hpp"
#include "hello_charm.hpp"
#include "ops/log.hpp"
#include "ops/testing/context.hpp"
#include "ops/testing/harness.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

namespace {

using ops_test::read_file;

namespace http = charms::http::v0;
using ops::testing::CharmDir;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// ------------------------------------------------------------ provider side

TEST(HttpProvides, JoiningAProxyPublishesHostnamePortAndPrivateAddress) {
  ops::testing::Harness<HelloCharm> harness(CharmDir{HELLO_K8S_DIR});
  harness.add_network("10.1.2.3", {.endpoint = "website"});
  harness.begin();
  const int rel = harness.add_relation("website", "proxy");
  EXPECT_EQ(harness.get_relation_data(rel, "hello-k8s/0"), ops::testing::Databag{});
  harness.add_relation_unit(rel, "proxy/0");
  EXPECT_EQ(harness.get_relation_data(rel, "hello-k8s/0"),
            (ops::testing::Databag{
                {"hostname", "10.1.2.3"}, {"port", "8080"}, {"private-address", "10.1.2.3"}}));
}

TEST(HttpProvides, ANewPortIsPublishedOnEveryRelation) {
  ops::testing::Harness<HelloCharm> harness(CharmDir{HELLO_K8S_DIR});
  harness.begin();
  harness.set_can_connect("web", true);
  const int a = harness.add_relation("website", "proxy-a", {.unit_data = ops::testing::Databag{}});
  const int b = harness.add_relation("website", "proxy-b", {.unit_data = ops::testing::Databag{}});
  harness.update_config({{"port", 9000}});
  for (int rel : {a, b}) {
    EXPECT_EQ(harness.get_relation_data(rel, "hello-k8s/0").at("port"), "9000");
    EXPECT_EQ(harness.get_relation_data(rel, "hello-k8s/0").at("hostname"), "192.0.2.0");
  }
}

class Provider : public ops::CharmBase {
 public:
  explicit Provider(ops::Framework& fw) : CharmBase(fw, "Provider"), website(*this) {
    fw.observe<&Provider::on_update_status>(on.update_status, *this);
  }
  void on_update_status(ops::UpdateStatusEvent&) { website.publish_info(443, "web.example"); }
  http::HttpProvides website;
};

TEST(HttpProvides, AnExplicitHostnameAndBadInput) {
  ops::testing::Context<Provider> ctx("name: web\nprovides:\n  website:\n    interface: http\n");
  ops::testing::Relation rel{.endpoint = "website"};
  ops::testing::State out =
      ctx.run_with(ctx.on.update_status(), {.relations = {rel}}, [](Provider& charm) {
        EXPECT_THROW(charm.website.publish_info(0), std::invalid_argument);
        EXPECT_THROW(charm.website.publish_info(65536), std::invalid_argument);
        EXPECT_THROW(charm.website.publish_info(80, ""), std::invalid_argument);
      });
  EXPECT_EQ(out.get_relation(rel.id).local_unit_data,
            (ops::testing::Databag{
                {"hostname", "web.example"}, {"port", "443"}, {"private-address", "192.0.2.0"}}));
}

// ------------------------------------------------------------ requirer side

class ProxyHarness : public ::testing::Test {
 protected:
  ProxyHarness() : harness(CharmDir{HTTP_PROXY_DIR}) {
    harness.update_config({{"config-file", (dir / "backends.cfg").string()}});
    harness.begin();
  }
  const http::HttpRequires& backends() { return harness.charm().backends(); }
  // The backend section the charm wrote last.
  std::string config_text() { return read_file(dir / "backends.cfg"); }

  ops_test::TempDir tmp{"http-proxy-test-"};
  const std::filesystem::path& dir = tmp.path();
  ops::testing::Harness<http_proxy::HttpProxyCharm> harness;
};

TEST_F(ProxyHarness, WebsitesOfEveryUnitThatPublishedBoth) {
  const int rel = harness.add_relation("reverseproxy", "hello-k8s");
  harness.add_relation_unit(rel, "hello-k8s/0");
  harness.add_relation_unit(rel, "hello-k8s/1");
  harness.update_relation_data(rel, "hello-k8s/0", {{"hostname", "10.0.0.1"}});  // no port yet
  EXPECT_THAT(backends().websites(), IsEmpty());
  EXPECT_EQ(harness.unit_status(), ops::WaitingStatus("waiting for websites"));
  harness.update_relation_data(rel, "hello-k8s/1", {{"hostname", "10.0.0.2"}, {"port", "8080"}});
  EXPECT_THAT(backends().websites(),
              ElementsAre(http::Website{"10.0.0.2", 8080, rel, "hello-k8s/1"}));
  EXPECT_EQ(harness.unit_status(), ops::ActiveStatus("1 website"));

  harness.update_relation_data(rel, "hello-k8s/0", {{"port", "8081"}});
  EXPECT_THAT(backends().websites(),
              ElementsAre(http::Website{"10.0.0.1", 8081, rel, "hello-k8s/0"},
                          http::Website{"10.0.0.2", 8080, rel, "hello-k8s/1"}));
  EXPECT_EQ(config_text(),
            "backend websites\n"
            "    server hello-k8s-0 10.0.0.1:8081\n"
            "    server hello-k8s-1 10.0.0.2:8080\n");
  EXPECT_EQ(harness.unit_status(), ops::ActiveStatus("2 websites"));
  // The interface acknowledged the fields it turned into websites_changed.
  EXPECT_FALSE(backends().is_changed("port"));
  EXPECT_FALSE(backends().is_changed("hostname"));
}

TEST_F(ProxyHarness, OtherFieldsDoNotRaiseWebsitesChanged) {
  const int rel = harness.add_relation("reverseproxy", "web");
  harness.add_relation_unit(rel, "web/0");
  harness.update_relation_data(rel, "web/0", {{"hostname", "10.0.0.1"}, {"port", "80"}});
  EXPECT_EQ(harness.unit_status(), ops::ActiveStatus("1 website"));
  harness.charm().unit().set_status(ops::MaintenanceStatus("marker"));
  harness.update_relation_data(rel, "web/0", {{"extended_data", "[]"}});
  EXPECT_EQ(harness.unit_status(), ops::MaintenanceStatus("marker"));  // no render ran
  EXPECT_TRUE(backends().is_changed("extended_data"));
  harness.update_relation_data(rel, "web/0", {{"hostname", "10.0.0.9"}});
  EXPECT_EQ(harness.unit_status(), ops::ActiveStatus("1 website"));
  EXPECT_EQ(config_text(), "backend websites\n    server web-0 10.0.0.9:80\n");
}

TEST_F(ProxyHarness, DepartedAndBrokenDropTheSites) {
  const int rel = harness.add_relation("reverseproxy", "web");
  harness.add_relation_unit(rel, "web/0");
  harness.add_relation_unit(rel, "web/1");
  harness.update_relation_data(rel, "web/0", {{"hostname", "10.0.0.1"}, {"port", "80"}});
  harness.update_relation_data(rel, "web/1", {{"hostname", "10.0.0.2"}, {"port", "80"}});
  harness.remove_relation_unit(rel, "web/1");
  EXPECT_EQ(config_text(), "backend websites\n    server web-0 10.0.0.1:80\n");
  EXPECT_EQ(harness.unit_status(), ops::ActiveStatus("1 website"));
  harness.remove_relation(rel);
  EXPECT_EQ(config_text(), "backend websites\n");
  EXPECT_EQ(harness.unit_status(), ops::BlockedStatus("no website related"));
}

TEST_F(ProxyHarness, JsonEncodedValuesAreReadAndBadPortsAreLeftOut) {
  std::vector<std::string> warnings;
  ops::log::set_sink([&warnings](ops::log::Level level, std::string_view message) {
    if (level == ops::log::Level::warning) warnings.emplace_back(message);
  });
  const int rel = harness.add_relation("reverseproxy", "web");
  harness.add_relation_unit(rel, "web/0");
  harness.add_relation_unit(rel, "web/1");
  // A reactive charm that published through to_publish (JSON), and one
  // whose port is not a port.
  harness.update_relation_data(rel, "web/0", {{"hostname", "\"web0.example\""}, {"port", "8080"}});
  harness.update_relation_data(rel, "web/1", {{"hostname", "10.0.0.2"}, {"port", "http"}});
  ops::log::set_sink({});
  EXPECT_THAT(backends().websites(),
              ElementsAre(http::Website{"web0.example", 8080, rel, "web/0"}));
  ASSERT_FALSE(warnings.empty());
  EXPECT_EQ(warnings.back(), "http: web/1 on relation reverseproxy:" + std::to_string(rel) +
                                 " published port 'http', not a port number; its site is left out");
}

TEST(HttpRequiresContext, WebsitesChangedOnlyWhenHostnameOrPortChangedSinceTheLastDispatch) {
  const ops_test::TempDir tmp("http-proxy-ctx-");
  const std::filesystem::path& dir = tmp.path();
  ops::testing::Context<http_proxy::HttpProxyCharm> ctx(CharmDir{HTTP_PROXY_DIR});
  ops::testing::Relation rel{
      .endpoint = "reverseproxy",
      .remote_app_name = "web",
      .remote_units_data = {{0, {{"hostname", "10.0.0.1"}, {"port", "80"}}}}};
  ops::testing::State state{.config = {{"config-file", (dir / "b.cfg").string()}},
                            .relations = {rel}};
  state = ctx.run(ctx.on.relation_changed(rel), state);
  EXPECT_EQ(state.unit_status, ops::ActiveStatus("1 website"));
  EXPECT_EQ(read_file(dir / "b.cfg"), "backend websites\n    server web-0 10.0.0.1:80\n");

  // A later dispatch with the same hostname and port: nothing to render.
  state.unit_status = ops::MaintenanceStatus("marker");
  state = ctx.run(ctx.on.relation_changed(rel), state);
  EXPECT_EQ(state.unit_status, ops::MaintenanceStatus("marker"));

  state.relations[0].remote_units_data[0]["port"] = "81";
  state = ctx.run(ctx.on.relation_changed(state.relations[0]), state);
  EXPECT_EQ(state.unit_status, ops::ActiveStatus("1 website"));
  EXPECT_EQ(read_file(dir / "b.cfg"), "backend websites\n    server web-0 10.0.0.1:81\n");
}

TEST(HttpLibrary, Identity) {
  EXPECT_EQ(std::string(http::LIBID).size(), 32U);
  EXPECT_EQ(http::LIBAPI, 0);
  EXPECT_EQ(http_proxy::render_backends({}), "backend websites\n");
}

}  // namespace
