// Secrets through ops-sim's hook tools: an owner adds and grants a secret
// over a relation, the consumer reads it by id and tracks it by label, a new
// revision fires secret-changed on the consumer. Also: deploying a .charm.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sim_fixture.hpp"

namespace ops_sim::testing {
namespace {

using ::testing::ElementsAre;

class SimSecrets : public SimTest {};

TEST_F(SimSecrets, GrantedSecretsReachTheConsumerAndNewRevisionsNotifyIt) {
  const auto out = (root_ / "consumer.out").string();
  const auto owner =
      write_charm("owner", "name: owner\nprovides:\n  creds:\n    interface: creds\n", "",
                  "rotate:\n  description: New password.\n", R"SH(
case "$JUJU_DISPATCH_PATH" in
  hooks/creds-relation-created)
    id=$(secret-add --label creds --owner application password=s3cret)
    secret-grant "$id" --relation "$JUJU_RELATION_ID"
    relation-set -r "$JUJU_RELATION_ID" --app "secret-id=$id" ;;
  actions/rotate)
    id=$(secret-ids | head -n1)
    secret-set "$id" password=n3w
    action-set "revision=$(secret-info-get "$id" --format=json | sed 's/.*"revision":\([0-9]*\).*/\1/')" ;;
esac
)SH");
  const auto consumer =
      write_charm("consumer", "name: consumer\nrequires:\n  creds:\n    interface: creds\n", "", "",
                  "OUT='" + out + "'\n" + R"SH(
case "$JUJU_DISPATCH_PATH" in
  hooks/creds-relation-changed)
    id=$(relation-get --app secret-id "$JUJU_REMOTE_APP")
    [ -n "$id" ] && secret-get "$id" --label db-creds --format=json >> "$OUT" ;;
  hooks/secret-changed)
    echo "changed: $JUJU_SECRET_LABEL rev $JUJU_SECRET_REVISION" >> "$OUT"
    secret-get --label db-creds --format=json >> "$OUT"
    secret-get --label db-creds --refresh --format=json >> "$OUT"
    secret-get --label db-creds --format=json >> "$OUT" ;;
esac
)SH");
  ok({"deploy", owner.string(), "--workloads", "simulate"});
  ok({"deploy", consumer.string()});
  ok({"integrate", "owner", "consumer"});
  EXPECT_EQ(read(out), "{\"password\":\"s3cret\"}\n");
  EXPECT_EQ(ok({"run", "owner/0", "rotate"}), "revision: \"2\"\n");
  EXPECT_EQ(read(out),
            "{\"password\":\"s3cret\"}\n"
            "changed: db-creds rev 2\n"
            "{\"password\":\"s3cret\"}\n"
            "{\"password\":\"n3w\"}\n"
            "{\"password\":\"n3w\"}\n");
  EXPECT_EQ(take_hooks().back(), "consumer/0 hooks/secret-changed");
}

TEST_F(SimSecrets, APackedCharmDeploysLikeItsDirectory) {
  const auto dir = write_charm("packed", "name: packed\n", "", "", "status-set active packed\n");
  ASSERT_EQ(
      ops_sim::run_command({"sh", "-c", "cd '" + dir.string() + "' && zip -qr ../packed.charm ."})
          .exit_code,
      0);
  ok({"deploy", (root_ / "packed.charm").string(), "--app", "zipped", "--workloads", "simulate"});
  EXPECT_THAT(hooks_of("zipped/0"), ElementsAre("hooks/install", "hooks/leader-elected",
                                                "hooks/config-changed", "hooks/start"));
  const auto status = nlohmann::json::parse(ok({"status", "--format=json"}));
  EXPECT_EQ(status["applications"]["zipped"]["charm"], "packed");
  EXPECT_EQ(status["applications"]["zipped"]["application-status"]["message"], "packed");
}

}  // namespace
}  // namespace ops_sim::testing
