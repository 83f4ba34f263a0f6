// The README's example charm under the Harness and under Context/State.
#include <gtest/gtest.h>

#include "hello_charm.hpp"
#include "ops/testing/context.hpp"
#include "ops/testing/harness.hpp"

namespace {

using ops::testing::CharmDir;

TEST(HelloHarness, PebbleReadyPlansTheServiceWithTheDefaultPort) {
  ops::testing::Harness<HelloCharm> harness(CharmDir{HELLO_K8S_DIR});
  harness.begin();
  harness.container_pebble_ready("web");

  const ops::pebble::Plan plan = harness.get_container_pebble_plan("web");
  ASSERT_EQ(plan.services.size(), 1U);
  EXPECT_EQ(plan.services.at("web").command, "python3 -m http.server 8080");
  EXPECT_EQ(plan.services.at("web").startup, "enabled");
  EXPECT_EQ(harness.unit_status(), ops::ActiveStatus("serving on port 8080"));
}

TEST(HelloHarness, ConfigChangedWithoutPebbleWaitsAndIsDeferredUntilPebbleAnswers) {
  ops::testing::Harness<HelloCharm> harness(CharmDir{HELLO_K8S_DIR});
  harness.begin();
  harness.set_can_connect("web", false);
  harness.update_config({{"port", 9000}});
  EXPECT_EQ(harness.unit_status(), ops::WaitingStatus("waiting for Pebble"));
  EXPECT_TRUE(harness.get_container_pebble_plan("web").services.empty());

  // The deferred config-changed runs again before the next event.
  harness.set_can_connect("web", true);
  harness.update_config({{"port", 9001}});
  EXPECT_EQ(harness.get_container_pebble_plan("web").services.at("web").command,
            "python3 -m http.server 9001");
  EXPECT_EQ(harness.unit_status(), ops::ActiveStatus("serving on port 9001"));
}

TEST(HelloHarness, AWrongTypeInConfigIsAnError) {
  ops::testing::Harness<HelloCharm> harness(CharmDir{HELLO_K8S_DIR});
  harness.begin();
  EXPECT_THROW(harness.update_config({{"port", "eighty"}}), ops::Error);
}

TEST(HelloContext, ConfigChangedWithPebbleAddsTheLayer) {
  ops::testing::Context<HelloCharm> ctx(CharmDir{HELLO_K8S_DIR});
  const ops::testing::Container web{.name = "web", .can_connect = true};
  const ops::testing::State out =
      ctx.run(ctx.on.config_changed(), {.config = {{"port", 8443}}, .containers = {web}});

  const ops::pebble::Plan plan = out.get_container("web").plan();
  EXPECT_EQ(plan.services.at("web").command, "python3 -m http.server 8443");
  EXPECT_EQ(out.unit_status, ops::ActiveStatus("serving on port 8443"));
  EXPECT_TRUE(out.deferred.empty());
}

TEST(HelloContext, ConfigChangedWithoutPebbleIsDeferred) {
  ops::testing::Context<HelloCharm> ctx(CharmDir{HELLO_K8S_DIR});
  const ops::testing::Container web{.name = "web", .can_connect = false};
  const ops::testing::State out = ctx.run(ctx.on.config_changed(), {.containers = {web}});

  EXPECT_EQ(out.unit_status, ops::WaitingStatus("waiting for Pebble"));
  ASSERT_EQ(out.deferred.size(), 1U);
  EXPECT_EQ(out.deferred[0].observer_path, "HelloCharm");
  EXPECT_EQ(out.deferred[0].method_name, "on_config_changed");
  EXPECT_TRUE(out.get_container("web").layers.empty());
}

}  // namespace
