// The event kind a dispatch path names.
#include <gtest/gtest.h>

#include "ops/main.hpp"

namespace {

TEST(EventKindTest, HooksAndActions) {
  EXPECT_EQ(ops::event_kind_from_dispatch_path("hooks/install"), "install");
  EXPECT_EQ(ops::event_kind_from_dispatch_path("hooks/db-relation-changed"), "db_relation_changed");
  EXPECT_EQ(ops::event_kind_from_dispatch_path("hooks/redis-pebble-custom-notice"),
            "redis_pebble_custom_notice");
  EXPECT_EQ(ops::event_kind_from_dispatch_path("actions/get-password"), "get_password_action");
  EXPECT_EQ(ops::event_kind_from_dispatch_path("/var/lib/juju/charm/actions/greet"),
            "greet_action");
  EXPECT_EQ(ops::event_kind_from_dispatch_path("update-status"), "update_status");
}

}  // namespace
