#include "ops/juju_context.hpp"

#include <gtest/gtest.h>

#include "ops/errors.hpp"

namespace {

using Env = std::map<std::string, std::string>;

Env base_env(const std::string& dispatch_path) {
  return {{"JUJU_DISPATCH_PATH", dispatch_path},
          {"JUJU_UNIT_NAME", "redis-k8s/0"},
          {"JUJU_MODEL_NAME", "prod"},
          {"JUJU_MODEL_UUID", "cdac5656-2423-4388-8f30-41854b4cca7d"},
          {"JUJU_VERSION", "3.4.2"},
          {"JUJU_CHARM_DIR", "/var/lib/juju/agents/unit-redis-k8s-0/charm"}};
}

std::string missing_variable(const Env& env) {
  try {
    ops::JujuContext::from_map(env).validate();
  } catch (const ops::JujuContextError& e) {
    return e.what();
  }
  return "";
}

TEST(JujuContextTest, ReadsEveryVariable) {
  Env env = base_env("hooks/db-relation-departed");
  env.insert({{"JUJU_HOOK_NAME", "db-relation-departed"},
              {"JUJU_AVAILABILITY_ZONE", "zone1"},
              {"JUJU_DEBUG", ""},
              {"JUJU_DEBUG_AT", "all, hook ,"},
              {"JUJU_MACHINE_ID", "4"},
              {"JUJU_PRINCIPAL_UNIT", "main/1"},
              {"JUJU_RELATION", "db"},
              {"JUJU_RELATION_ID", "db:7"},
              {"JUJU_REMOTE_UNIT", "pg/2"},
              {"JUJU_REMOTE_APP", "pg"},
              {"JUJU_DEPARTING_UNIT", "pg/2"},
              {"JUJU_SECRET_ID", "secret:abc"},
              {"JUJU_SECRET_LABEL", "pw"},
              {"JUJU_SECRET_REVISION", "3"},
              {"JUJU_STORAGE_ID", "data/1"},
              {"JUJU_WORKLOAD_NAME", "redis"},
              {"JUJU_NOTICE_ID", "12"},
              {"JUJU_NOTICE_TYPE", "custom"},
              {"JUJU_NOTICE_KEY", "example.com/a"},
              {"JUJU_PEBBLE_CHECK_NAME", "ping"},
              {"JUJU_ACTION_NAME", "backup"},
              {"JUJU_ACTION_UUID", "42"}});
  auto ctx = ops::JujuContext::from_map(env);
  EXPECT_EQ(ctx.dispatch_path, "hooks/db-relation-departed");
  EXPECT_EQ(ctx.hook_name, "db-relation-departed");
  EXPECT_EQ(ctx.unit_name, "redis-k8s/0");
  EXPECT_EQ(ctx.app_name(), "redis-k8s");
  EXPECT_EQ(ctx.model_name, "prod");
  EXPECT_EQ(ctx.model_uuid, "cdac5656-2423-4388-8f30-41854b4cca7d");
  EXPECT_EQ(ctx.version, ops::JujuVersion("3.4.2"));
  EXPECT_EQ(ctx.charm_dir, "/var/lib/juju/agents/unit-redis-k8s-0/charm");
  EXPECT_EQ(ctx.availability_zone, "zone1");
  EXPECT_TRUE(ctx.debug);
  EXPECT_EQ(ctx.debug_at, (std::set<std::string>{"all", "hook"}));
  EXPECT_EQ(ctx.machine_id, 4);
  EXPECT_EQ(ctx.principal_unit, "main/1");
  EXPECT_EQ(ctx.relation_name, "db");
  EXPECT_EQ(ctx.relation_id, 7);
  EXPECT_EQ(ctx.remote_unit_name, "pg/2");
  EXPECT_EQ(ctx.remote_app_name, "pg");
  EXPECT_EQ(ctx.relation_departing_unit_name, "pg/2");
  EXPECT_EQ(ctx.secret_id, "secret:abc");
  EXPECT_EQ(ctx.secret_label, "pw");
  EXPECT_EQ(ctx.secret_revision, 3);
  EXPECT_EQ(ctx.storage_name, "data");
  EXPECT_EQ(ctx.storage_index, 1);
  EXPECT_EQ(ctx.workload_name, "redis");
  EXPECT_EQ(ctx.notice_id, "12");
  EXPECT_EQ(ctx.notice_type, "custom");
  EXPECT_EQ(ctx.notice_key, "example.com/a");
  EXPECT_EQ(ctx.pebble_check_name, "ping");
  EXPECT_EQ(ctx.action_name, "backup");
  EXPECT_EQ(ctx.action_uuid, "42");
  EXPECT_EQ(ctx.dispatch_name(), "db-relation-departed");
  EXPECT_FALSE(ctx.is_action());
  EXPECT_NO_THROW(ctx.validate());
}

TEST(JujuContextTest, EmptyValuesCountAsUnsetAndDefaultsApply) {
  Env env = base_env("hooks/install");
  env["JUJU_REMOTE_APP"] = "";
  env.erase("JUJU_VERSION");
  auto ctx = ops::JujuContext::from_map(env);
  EXPECT_FALSE(ctx.remote_app_name.has_value());
  EXPECT_FALSE(ctx.debug);
  EXPECT_EQ(ctx.version.to_string(), "0.0.0");
  EXPECT_FALSE(ctx.relation_id.has_value());
  EXPECT_NO_THROW(ctx.validate());
}

TEST(JujuContextTest, RelationIdWithoutEndpointPrefix) {
  Env env = base_env("hooks/install");
  env["JUJU_RELATION_ID"] = "12";
  EXPECT_EQ(ops::JujuContext::from_map(env).relation_id, 12);
}

TEST(JujuContextTest, MalformedValuesNameTheVariable) {
  auto error_of = [](const std::string& name, const std::string& value) {
    Env env = base_env("hooks/install");
    env[name] = value;
    try {
      (void)ops::JujuContext::from_map(env);
    } catch (const ops::JujuContextError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(error_of("JUJU_RELATION_ID", "db:x"),
            "JUJU_RELATION_ID=\"db:x\" is not valid: expected an integer");
  EXPECT_EQ(error_of("JUJU_STORAGE_ID", "data"),
            "JUJU_STORAGE_ID=\"data\" is not valid: expected NAME/INDEX");
  EXPECT_EQ(error_of("JUJU_STORAGE_ID", "data/one"),
            "JUJU_STORAGE_ID=\"data/one\" is not valid: expected an integer");
  EXPECT_EQ(error_of("JUJU_SECRET_REVISION", "2b"),
            "JUJU_SECRET_REVISION=\"2b\" is not valid: expected an integer");
  EXPECT_EQ(error_of("JUJU_VERSION", "three"),
            "JUJU_VERSION: \"three\" is not a valid Juju version string");
}

TEST(JujuContextTest, ValidateNamesTheFirstMissingVariable) {
  Env env = base_env("hooks/install");
  env.erase("JUJU_UNIT_NAME");
  EXPECT_EQ(missing_variable(env), "missing required environment variable JUJU_UNIT_NAME");

  env = base_env("hooks/install");
  env.erase("JUJU_DISPATCH_PATH");
  EXPECT_EQ(missing_variable(env), "missing required environment variable JUJU_DISPATCH_PATH");

  env = base_env("hooks/install");
  env.erase("JUJU_MODEL_NAME");
  EXPECT_EQ(missing_variable(env), "missing required environment variable JUJU_MODEL_NAME");

  env = base_env("hooks/install");
  env["JUJU_UNIT_NAME"] = "redis";
  EXPECT_EQ(missing_variable(env), "JUJU_UNIT_NAME=\"redis\" is not valid: expected APP/NUMBER");
}

TEST(JujuContextTest, ValidateChecksWhatEachEventNeeds) {
  Env env = base_env("hooks/db-relation-joined");
  EXPECT_EQ(missing_variable(env), "missing required environment variable JUJU_RELATION");
  env["JUJU_RELATION"] = "db";
  EXPECT_EQ(missing_variable(env), "missing required environment variable JUJU_RELATION_ID");
  env["JUJU_RELATION_ID"] = "db:1";
  EXPECT_EQ(missing_variable(env), "missing required environment variable JUJU_REMOTE_UNIT");
  env["JUJU_REMOTE_UNIT"] = "pg/0";
  EXPECT_EQ(missing_variable(env), "");

  // A change of the remote application's data comes with no remote unit.
  env["JUJU_DISPATCH_PATH"] = "hooks/db-relation-changed";
  env.erase("JUJU_REMOTE_UNIT");
  EXPECT_EQ(missing_variable(env), "");
  env["JUJU_REMOTE_UNIT"] = "pg/0";

  env["JUJU_DISPATCH_PATH"] = "hooks/db-relation-departed";
  EXPECT_EQ(missing_variable(env), "missing required environment variable JUJU_DEPARTING_UNIT");

  env = base_env("hooks/db-relation-broken");
  env["JUJU_RELATION"] = "db";
  env["JUJU_RELATION_ID"] = "db:1";
  EXPECT_EQ(missing_variable(env), "");  // no remote unit in broken

  env = base_env("actions/get-password");
  EXPECT_EQ(missing_variable(env), "missing required environment variable JUJU_ACTION_NAME");
  env["JUJU_ACTION_NAME"] = "get-password";
  EXPECT_EQ(missing_variable(env), "missing required environment variable JUJU_ACTION_UUID");
  env["JUJU_ACTION_UUID"] = "7";
  EXPECT_EQ(missing_variable(env), "");
  EXPECT_TRUE(ops::JujuContext::from_map(env).is_action());
  EXPECT_EQ(ops::JujuContext::from_map(env).dispatch_name(), "get-password");

  env = base_env("hooks/redis-pebble-ready");
  EXPECT_EQ(missing_variable(env), "missing required environment variable JUJU_WORKLOAD_NAME");

  env = base_env("hooks/redis-pebble-custom-notice");
  env["JUJU_WORKLOAD_NAME"] = "redis";
  EXPECT_EQ(missing_variable(env), "missing required environment variable JUJU_NOTICE_ID");

  env = base_env("hooks/redis-pebble-check-failed");
  env["JUJU_WORKLOAD_NAME"] = "redis";
  EXPECT_EQ(missing_variable(env), "missing required environment variable JUJU_PEBBLE_CHECK_NAME");

  env = base_env("hooks/data-storage-attached");
  EXPECT_EQ(missing_variable(env), "missing required environment variable JUJU_STORAGE_ID");

  env = base_env("hooks/secret-expired");
  EXPECT_EQ(missing_variable(env), "missing required environment variable JUJU_SECRET_ID");
  env["JUJU_SECRET_ID"] = "secret:x";
  EXPECT_EQ(missing_variable(env), "missing required environment variable JUJU_SECRET_REVISION");

  env = base_env("hooks/secret-changed");
  env["JUJU_SECRET_ID"] = "secret:x";
  EXPECT_EQ(missing_variable(env), "");
}

}  // namespace
