// ops-sim's workload containers with simulated services: pebble-ready comes
// after start, each container has a Pebble server on the socket the charm's
// OPS_PEBBLE_SOCKET_DIR points at, the oci-image resource is laid over the
// container's filesystem, and file resources and storage reach the charm.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ops/pebble.hpp"
#include "sim_fixture.hpp"

namespace ops_sim::testing {
namespace {

using ::testing::ElementsAre;

class SimPebble : public SimTest {};

TEST_F(SimPebble, ContainersGetAPebbleServerAndPebbleReadyAfterStart) {
  const auto charm = write_charm("web", R"(name: web
containers:
  web:
    resource: web-image
    mounts:
      - storage: data
        location: /srv/data
resources:
  web-image:
    type: oci-image
  site-config:
    type: file
    filename: site.conf
storage:
  data:
    type: filesystem
    location: /srv/data
)",
                                 "", "", "OUT='" + (root_ / "ready.out").string() + "'\n" + R"SH(
if [ "$JUJU_DISPATCH_PATH" = hooks/web-pebble-custom-notice ]; then
  echo "notice: $JUJU_WORKLOAD_NAME $JUJU_NOTICE_TYPE $JUJU_NOTICE_KEY $JUJU_NOTICE_ID" >> "$OUT.notices"
fi
if [ "$JUJU_DISPATCH_PATH" = hooks/web-pebble-ready ]; then
  {
    echo "workload: $JUJU_WORKLOAD_NAME"
    echo "socket: $([ -S "$OPS_PEBBLE_SOCKET_DIR/web/pebble.socket" ] && echo yes)"
    echo "config: $(cat "$(resource-get site-config)")"
    echo "storage: $(storage-list data)"
  } > "$OUT"
  echo "location: $(storage-get -s data/0 location)" >> "$OUT"
  resource-get web-image >/dev/null 2>&1 || echo "no oci details" >> "$OUT"
fi
)SH");
  fs::create_directories(root_ / "image" / "bin");
  write(root_ / "image" / "bin" / "tool", "#!/bin/sh\n");
  write(root_ / "site.conf", "port 80\n");
  ok({"deploy", charm.string(), "--workloads", "simulate", "--resource",
      "web-image=" + (root_ / "image").string(), "--resource",
      "site-config=" + (root_ / "site.conf").string()});
  EXPECT_THAT(hooks_of("web/0"),
              ElementsAre("hooks/data-storage-attached", "hooks/install", "hooks/leader-elected",
                          "hooks/config-changed", "hooks/start", "hooks/web-pebble-ready"));
  const auto rootfs = model_ / "units" / "web-0" / "containers" / "web" / "rootfs";
  EXPECT_EQ(read(root_ / "ready.out"),
            "workload: web\n"
            "socket: yes\n"
            "config: port 80\n"
            "storage: data/0\n"
            "location: " +
                (rootfs / "srv" / "data").string() + "\n");
  EXPECT_TRUE(fs::exists(rootfs / "bin" / "tool"));

  auto client = ops::pebble::make_client(
      (model_ / "units" / "web-0" / "pebble" / "web" / "pebble.socket").string());
  EXPECT_EQ(client->get_system_info().version, "1.10.0");
  ops::pebble::Service service;
  service.override = "replace";
  service.command = "web-server --port 80";
  service.startup = "enabled";
  client->add_layer("web", ops::pebble::Layer{.services = {{"web", service}}});
  client->replan_services();
  const auto services = client->get_services();
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0].name, "web");
  EXPECT_TRUE(services[0].is_running());
  client->push("/etc/web/site.conf", "listen 80\n", {.make_dirs = true});
  EXPECT_EQ(read(rootfs / "etc" / "web" / "site.conf"), "listen 80\n");

  // A custom notice becomes a pebble-custom-notice hook, once.
  const auto notice_id = client->notify("custom", "example.com/reload");
  take_hooks();
  ok({"trigger", "web/0", "update-status"});
  ok({"trigger", "web/0", "update-status"});
  EXPECT_THAT(take_hooks(),
              ElementsAre("web/0 hooks/update-status", "web/0 hooks/web-pebble-custom-notice",
                          "web/0 hooks/update-status"));
  EXPECT_EQ(read(root_ / "ready.out.notices"),
            "notice: web custom example.com/reload " + notice_id + "\n");

  // A new unit gets its own server; removing a unit stops it.
  ok({"add-unit", "web"});
  const auto socket1 = model_ / "units" / "web-1" / "pebble" / "web" / "pebble.socket";
  EXPECT_TRUE(fs::exists(socket1));
  EXPECT_TRUE(ops::pebble::make_client(socket1.string())->get_services().empty());
  ok({"remove-unit", "web/1"});
  EXPECT_FALSE(fs::exists(socket1));
}

}  // namespace
}  // namespace ops_sim::testing
