// End-to-end tests of ops-sim with simulated workloads (no namespaces
// needed): hook order, relation data, status, errors and retries, actions and
// the hook tools' output formats, all through the ops-sim binary.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sim_fixture.hpp"

namespace ops_sim::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kKvMetadata = R"(name: kv
peers:
  cluster:
    interface: kv-peers
provides:
  db:
    interface: kv-db
)";

constexpr const char* kKvConfig = R"(options:
  mode:
    type: string
    default: fast
  replicas:
    type: int
)";

constexpr const char* kKvActions = R"(get-leader:
  description: Show the leader.
set-mode:
  params:
    mode:
      type: string
    times:
      type: integer
      default: 1
  required: [mode]
  additionalProperties: false
)";

// The kv charm: the leader publishes itself in the peer app bag, every unit
// shows who leads and how many peers it sees. config-changed fails while
// the file "fail" exists next to the hook log.
std::string kv_script(const fs::path& root) {
  return "set -e\nROOT='" + root.string() + "'\n" + R"SH(
APP=${JUJU_UNIT_NAME%/*}
peer() { relation-ids cluster | head -n1; }
refresh() {
  rid=$(peer)
  leader=$(relation-get -r "$rid" --app leader "$APP")
  n=$(relation-list -r "$rid" | grep -c / || true)
  if [ -n "$leader" ]; then status-set active "leader is $leader, peers $n"; fi
}
case "$JUJU_DISPATCH_PATH" in
  hooks/install)
    status-set maintenance installing
    application-version-set 1.0 ;;
  hooks/leader-elected)
    relation-set -r "$(peer)" --app "leader=$JUJU_UNIT_NAME"
    refresh ;;
  hooks/config-changed)
    status-set maintenance configuring
    relation-set -r "$(peer)" "mode=$(config-get mode)"
    open-port 8080
    application-version-set 9.9
    if [ -e "$ROOT/fail" ]; then echo "config-changed failed on purpose" >&2; exit 1; fi
    refresh ;;
  hooks/start)
    status-set waiting "waiting for leader"
    refresh ;;
  hooks/cluster-relation-changed|hooks/cluster-relation-departed)
    refresh ;;
  hooks/db-relation-changed)
    if [ -n "$JUJU_REMOTE_UNIT" ] && [ "$(is-leader)" = True ]; then
      relation-set -r "$JUJU_RELATION_ID" --app "table=$(relation-get want "$JUJU_REMOTE_UNIT")"
    fi ;;
  actions/get-leader)
    action-set "leader=$(relation-get -r "$(peer)" --app leader "$APP")" ;;
  actions/set-mode)
    action-log "setting mode"
    if [ "$(action-get mode)" = bad ]; then action-fail "mode bad is not allowed"; exit 0; fi
    if [ "$(action-get mode)" = keys ]; then
      for k in ok.a-1 a..b a.-b x.stdout Foo; do
        action-set "$k=1" 2>>"$ROOT/keys.err" && echo "accepted $k" >>"$ROOT/keys.err" ||
          echo "exit $?" >>"$ROOT/keys.err"
      done
      exit 0
    fi
    action-set "result.mode=$(action-get mode)" "result.times=$(action-get times)" ;;
esac
)SH";
}

constexpr const char* kClientMetadata = R"(name: client
requires:
  db:
    interface: kv-db
)";

std::string client_script() {
  return R"SH(set -e
case "$JUJU_DISPATCH_PATH" in
  hooks/db-relation-joined) relation-set "want=users" ;;
  hooks/db-relation-changed)
    table=$(relation-get --app table "$JUJU_REMOTE_APP")
    if [ -n "$table" ]; then status-set active "table $table"; fi ;;
  hooks/db-relation-broken) status-set blocked "no db" ;;
esac
)SH";
}

class SimE2E : public SimTest {
 protected:
  fs::path kv_charm() {
    return write_charm("kv-charm", kKvMetadata, kKvConfig, kKvActions, kv_script(root_));
  }
  fs::path client_charm() {
    return write_charm("client-charm", kClientMetadata, "", "", client_script());
  }
  void deploy_kv(int units) {
    ok({"deploy", kv_charm().string(), "-n", std::to_string(units), "--workloads", "simulate"});
  }
};

TEST_F(SimE2E, ThreeUnitsReachAConsistentState) {
  deploy_kv(3);
  EXPECT_EQ(ok({"status"}),
            "Model  Workloads  Pods\n"
            "sim    simulate   off\n"
            "\n"
            "App  Version  Status  Scale  Charm  Message\n"
            "kv   9.9      active  3      kv     leader is kv/0, peers 2\n"
            "\n"
            "Unit   Workload  Agent  Address     Message\n"
            "kv/0*  active    idle   10.213.0.2  leader is kv/0, peers 2\n"
            "kv/1   active    idle   10.213.0.3  leader is kv/0, peers 2\n"
            "kv/2   active    idle   10.213.0.4  leader is kv/0, peers 2\n"
            "\n"
            "Integration provider  Requirer    Interface  Type\n"
            "kv:cluster            kv:cluster  kv-peers   peer\n");
  EXPECT_THAT(
      hooks_of("kv/0"),
      ElementsAre("hooks/install", "hooks/cluster-relation-created", "hooks/leader-elected",
                  "hooks/config-changed", "hooks/start", "hooks/cluster-relation-joined kv/1",
                  "hooks/cluster-relation-changed kv/1", "hooks/cluster-relation-joined kv/2",
                  "hooks/cluster-relation-changed kv/2"));
  EXPECT_THAT(
      hooks_of("kv/2"),
      ElementsAre("hooks/install", "hooks/cluster-relation-created", "hooks/config-changed",
                  "hooks/start", "hooks/cluster-relation-joined kv/0",
                  "hooks/cluster-relation-changed kv/0", "hooks/cluster-relation-joined kv/1",
                  "hooks/cluster-relation-changed kv/1"));
  EXPECT_EQ(ok({"show-unit", "kv/1"}),
            "kv/1:\n"
            "  workload-version: 9.9\n"
            "  workload-status:\n"
            "    current: active\n"
            "    message: leader is kv/0, peers 2\n"
            "  opened-ports:\n"
            "    - 8080/tcp\n"
            "  charm: kv\n"
            "  leader: false\n"
            "  life: alive\n"
            "  relation-info:\n"
            "    - relation-id: 0\n"
            "      endpoint: cluster\n"
            "      related-endpoint: cluster\n"
            "      application-data:\n"
            "        leader: kv/0\n"
            "      local-unit:\n"
            "        in-scope: true\n"
            "        data:\n"
            "          egress-subnets: 10.213.0.3/32\n"
            "          ingress-address: 10.213.0.3\n"
            "          mode: fast\n"
            "          private-address: 10.213.0.3\n"
            "      related-units:\n"
            "        kv/0:\n"
            "          in-scope: true\n"
            "          data:\n"
            "            egress-subnets: 10.213.0.2/32\n"
            "            ingress-address: 10.213.0.2\n"
            "            mode: fast\n"
            "            private-address: 10.213.0.2\n"
            "        kv/2:\n"
            "          in-scope: true\n"
            "          data:\n"
            "            egress-subnets: 10.213.0.4/32\n"
            "            ingress-address: 10.213.0.4\n"
            "            mode: fast\n"
            "            private-address: 10.213.0.4\n"
            "  provider-id: kv-1\n"
            "  address: 10.213.0.3\n");
}

TEST_F(SimE2E, FailingHookLeavesTheModelUnchangedAndResolveRetriesIt) {
  deploy_kv(1);
  take_hooks();
  write(root_ / "fail", "");
  auto r = sim({"config", "kv", "mode=slow"});  // the config is set; the hook fails
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "ERROR unit kv/0: hook failed: \"config-changed\"\n");
  auto status = nlohmann::json::parse(ok({"status", "--format=json"}));
  const auto& app = status["applications"]["kv"];
  const auto& unit = app["units"]["kv/0"];
  EXPECT_EQ(unit["workload-status"],
            (nlohmann::json{{"current", "error"}, {"message", "hook failed: \"config-changed\""}}));
  EXPECT_EQ(unit["juju-status"]["current"], "error");
  // Nothing the failed hook wrote was kept: version, port, relation data.
  EXPECT_EQ(app["version"], "9.9");
  EXPECT_EQ(unit["open-ports"], nlohmann::json::array({"8080/tcp"}));
  EXPECT_THAT(ok({"show-unit", "kv/0"}), HasSubstr("          mode: fast\n"));
  EXPECT_THAT(ok({"debug-log", "--level", "WARNING"}),
              HasSubstr("WARNING unit.kv/0.config-changed config-changed failed on purpose\n"));
  EXPECT_THAT(ok({"debug-log", "--level", "ERROR"}),
              HasSubstr("ERROR juju.worker.uniter.operation hook \"config-changed\" (via dispatch) "
                        "failed: exit status 1\n"));
  // A unit in error runs nothing else until resolved.
  r = sim({"trigger", "kv/0", "update-status"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "ERROR unit kv/0: hook failed: \"config-changed\"\n");
  EXPECT_THAT(take_hooks(), ElementsAre("kv/0 hooks/config-changed"));

  fs::remove(root_ / "fail");
  ok({"resolve", "kv/0"});
  EXPECT_THAT(take_hooks(), ElementsAre("kv/0 hooks/config-changed", "kv/0 hooks/update-status"));
  status = nlohmann::json::parse(ok({"status", "--format=json"}));
  EXPECT_EQ(status["applications"]["kv"]["units"]["kv/0"]["workload-status"],
            (nlohmann::json{{"current", "active"}, {"message", "leader is kv/0, peers 0"}}));
  EXPECT_THAT(ok({"show-unit", "kv/0"}), HasSubstr("          mode: slow\n"));

  r = sim({"resolve", "kv/0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "ERROR unit \"kv/0\" is not in an error state\n");
}

TEST_F(SimE2E, RemovingTheLeaderMovesLeadershipOnceItIsGone) {
  deploy_kv(3);
  take_hooks();
  ok({"remove-unit", "kv/0"});
  EXPECT_THAT(take_hooks(), ElementsAre("kv/1 hooks/cluster-relation-departed kv/0",
                                        "kv/2 hooks/cluster-relation-departed kv/0",
                                        "kv/0 hooks/cluster-relation-departed kv/1",
                                        "kv/0 hooks/cluster-relation-departed kv/2",
                                        "kv/0 hooks/cluster-relation-broken", "kv/0 hooks/stop",
                                        "kv/0 hooks/remove", "kv/1 hooks/leader-elected",
                                        "kv/2 hooks/cluster-relation-changed"));
  EXPECT_EQ(ok({"run", "kv/2", "get-leader"}), "leader: kv/1\n");
  ok({"trigger", "kv", "update-status"});
  EXPECT_THAT(take_hooks(), ElementsAre("kv/2 actions/get-leader", "kv/1 hooks/update-status",
                                        "kv/2 hooks/update-status"));
  const auto status = nlohmann::json::parse(ok({"status", "--format=json"}));
  const auto& units = status["applications"]["kv"]["units"];
  ASSERT_EQ(units.size(), 2u);
  EXPECT_EQ(units["kv/1"]["leader"], true);
  EXPECT_EQ(units["kv/2"]["leader"], false);
  EXPECT_EQ(units["kv/1"]["workload-status"]["message"], "leader is kv/1, peers 1");
  EXPECT_EQ(units["kv/2"]["workload-status"]["message"], "leader is kv/1, peers 1");
  EXPECT_FALSE(fs::exists(model_ / "units" / "kv-0"));
  // A new unit takes the next number and joins the remaining ones.
  ok({"add-unit", "kv"});
  EXPECT_THAT(
      hooks_of("kv/3"),
      ElementsAre("hooks/install", "hooks/cluster-relation-created", "hooks/config-changed",
                  "hooks/start", "hooks/cluster-relation-joined kv/1",
                  "hooks/cluster-relation-changed kv/1", "hooks/cluster-relation-joined kv/2",
                  "hooks/cluster-relation-changed kv/2"));
}

TEST_F(SimE2E, BadInputGetsAClearErrorAndChangesNothing) {
  // A malformed .charm into a new model: nothing is left behind.
  write(root_ / "bad.charm", "this is not a zip file");
  auto r = sim({"deploy", (root_ / "bad.charm").string(), "--workloads", "simulate"});
  EXPECT_EQ(r.exit_code, 1);
  const std::string not_zip = "ERROR \"" + (root_ / "bad.charm").string() +
                              "\" is not a charm: a .charm file is a zip archive, and this file "
                              "is not one\n";
  EXPECT_EQ(r.err, not_zip);
  EXPECT_FALSE(fs::exists(model_));

  deploy_kv(1);
  ok({"deploy", client_charm().string()});
  take_hooks();
  const auto before = ok({"status", "--format=json"});
  const auto unit_before = ok({"show-unit", "kv/0"});
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  const std::vector<Case> cases = {
      {{"config", "nope", "mode=x"}, "ERROR application \"nope\" not found\n"},
      {{"config", "kv", "colour=red"}, "ERROR unknown option \"colour\" for charm \"kv\"\n"},
      {{"config", "kv", "mode=slow", "replicas=many"},
       "ERROR option \"replicas\" expected int, got \"many\"\n"},
      {{"integrate", "kv:nope", "client"}, "ERROR application \"kv\" has no endpoint \"nope\"\n"},
      {{"integrate", "kv", "nope"}, "ERROR application \"nope\" not found\n"},
      {{"integrate", "kv:cluster", "client"}, "ERROR endpoint \"kv:cluster\" is a peer endpoint\n"},
      {{"run", "kv/0", "nope"}, "ERROR action \"nope\" not defined on unit \"kv/0\"\n"},
      {{"run", "kv/0", "set-mode"}, "ERROR action \"set-mode\" needs parameter \"mode\"\n"},
      {{"run", "kv/0", "set-mode", "mode=a", "colour=red"},
       "ERROR action \"set-mode\" has no parameter \"colour\"\n"},
      {{"remove-unit", "kv/7"}, "ERROR unit \"kv/7\" not found\n"},
      {{"trigger", "kv/0", "db-relation-changed"},
       "ERROR cannot trigger \"db-relation-changed\" on kv/0: expected one of collect-metrics, "
       "config-changed, install, leader-elected, leader-settings-changed, start, stop, "
       "update-status, upgrade-charm\n"},
      {{"deploy", (root_ / "bad.charm").string(), "--app", "other"}, not_zip},
      {{"deploy", kv_charm().string()}, "ERROR application \"kv\" already exists\n"},
      {{"deploy", kv_charm().string(), "--app", "kv2", "--resource", "image=/nope"},
       "ERROR charm \"kv\" has no resource \"image\"\n"},
  };
  for (const auto& c : cases) {
    auto result = sim(c.args);
    EXPECT_EQ(result.exit_code, 1) << c.args[0];
    EXPECT_EQ(result.err, c.error);
    EXPECT_EQ(result.out, "");
  }
  EXPECT_EQ(ok({"status", "--format=json"}), before);
  EXPECT_EQ(ok({"show-unit", "kv/0"}), unit_before);
  EXPECT_THAT(take_hooks(), ElementsAre());
  EXPECT_FALSE(fs::exists(model_ / "charms" / "kv2"));
  EXPECT_FALSE(fs::exists(model_ / "charms" / "other"));
}

TEST_F(SimE2E, IntegrateRunsRelationHooksOnBothSidesAndRemoveRelationBreaksIt) {
  deploy_kv(1);
  ok({"deploy", client_charm().string(), "--workloads", "simulate"});
  take_hooks();
  ok({"integrate", "client", "kv"});
  EXPECT_THAT(
      take_hooks(),
      ElementsAre(
          "kv/0 hooks/db-relation-created", "client/0 hooks/db-relation-created",
          "kv/0 hooks/db-relation-joined client/0", "kv/0 hooks/db-relation-changed client/0",
          "client/0 hooks/db-relation-joined kv/0", "client/0 hooks/db-relation-changed kv/0",
          "kv/0 hooks/db-relation-changed client/0", "client/0 hooks/db-relation-changed"));
  auto status = nlohmann::json::parse(ok({"status", "--format=json"}));
  EXPECT_EQ(status["applications"]["client"]["units"]["client/0"]["workload-status"]["message"],
            "table users");
  EXPECT_EQ(status["relations"][1], (nlohmann::json{{"id", 1},
                                                    {"provider", "kv:db"},
                                                    {"requirer", "client:db"},
                                                    {"interface", "kv-db"},
                                                    {"type", "regular"}}));
  auto r = sim({"integrate", "kv", "client"});
  EXPECT_EQ(r.err, "ERROR relation \"kv:db client:db\" already exists\n");

  ok({"remove-relation", "kv", "client"});
  EXPECT_THAT(take_hooks(),
              ElementsAre("kv/0 hooks/db-relation-departed client/0",
                          "client/0 hooks/db-relation-departed kv/0",
                          "kv/0 hooks/db-relation-broken", "client/0 hooks/db-relation-broken"));
  status = nlohmann::json::parse(ok({"status", "--format=json"}));
  EXPECT_EQ(status["relations"].size(), 1u);
  EXPECT_EQ(status["applications"]["client"]["units"]["client/0"]["workload-status"],
            (nlohmann::json{{"current", "blocked"}, {"message", "no db"}}));
}

TEST_F(SimE2E, ActionsPrintResultsAsYamlAndFailuresExitNonZero) {
  deploy_kv(1);
  auto r = sim({"run", "kv/0", "set-mode", "mode=slow", "times=3"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "result:\n  mode: slow\n  times: \"3\"\n");
  EXPECT_EQ(r.err, "setting mode\n");
  r = sim({"run", "kv/0", "set-mode", "mode=bad"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "setting mode\nERROR action \"set-mode\" failed: mode bad is not allowed\n");
  r = sim({"run", "kv/0", "set-mode", "mode=slow", "times=many"});
  EXPECT_EQ(r.err,
            "ERROR action \"set-mode\" parameter \"times\": expected integer, got \"many\"\n");
  // action-set checks each "."-separated part of a key, as Juju does.
  r = sim({"run", "kv/0", "set-mode", "mode=keys"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ok:\n  a-1: \"1\"\n");
  const std::string bad_part =
      "\" must start and end with lowercase alphanumeric, and contain only lowercase "
      "alphanumeric and hyphens\nexit 2\n";
  EXPECT_EQ(read(root_ / "keys.err"),
            "accepted ok.a-1\nERROR key \"" + bad_part + "ERROR key \"-b" + bad_part +
                "ERROR cannot set reserved action key \"stdout\"\nexit 2\n"
                "ERROR key \"Foo" +
                bad_part);
}

TEST_F(SimE2E, HookToolsSpeakJujusFormats) {
  const auto charm =
      write_charm("probe", R"(name: probe
peers:
  ring:
    interface: ring
requires:
  upstream:
    interface: up
)",
                  "options:\n  size:\n    type: int\n    default: 3\n  name:\n    type: string\n"
                  "  label:\n    type: string\n",
                  "", "OUT='" + (root_ / "probe.out").string() + "'\n" + R"SH(
[ "$JUJU_DISPATCH_PATH" = hooks/update-status ] || exit 0
{
  echo "env: $JUJU_MODEL_NAME $JUJU_VERSION $JUJU_HOOK_NAME"
  config-get --format=json
  config-get --all --format=json
  config-get size --format=json
  is-leader --format=json
  relation-ids ring --format=json
  relation-list -r ring:0 --format=json
  relation-set -r 0 --file - <<EOT
{"a": "1", "b": "two"}
EOT
  relation-get -r 0 - probe/0 --format=json
  relation-set -r 0 a=
  relation-get -r 0 a probe/0 --format=json
  network-get ring --format=json
  status-set --application=True waiting "app wait"
  status-get --include-data --application=true --format=json
  status-set maintenance -- "-dash message"
  status-get --include-data --application=false --format=json
  open-port 9000/udp
  open-port 80
  opened-ports --format=json
  juju-log --log-level WARNING -- "careful"
  state-set k=v
  state-get --format=json
  goal-state --format=json | sed 's/"since":"[^"]*"/"since":"T"/g'
  relation-get -r 99 - probe/0 --format=json; echo "rc=$?"
  relation-get -r upstream:0 - probe/0 --format=json; echo "rc=$?"
  status-set happy "nope"; echo "rc=$?"
  network-get nope --format=json; echo "rc=$?"
  action-get --format=json; echo "rc=$?"
  relation-list --format=json; echo "rc=$?"
  relation-ids ring --bogus; echo "rc=$?"
} > "$OUT" 2>&1
)SH");
  ok({"deploy", charm.string(), "--workloads", "simulate", "--config", "size=5", "label=x y"});
  ok({"trigger", "probe/0", "update-status"});
  EXPECT_EQ(
      read(root_ / "probe.out"),
      "env: sim 3.6.0 update-status\n"
      "{\"label\":\"x y\",\"size\":5}\n"
      "{\"label\":\"x y\",\"name\":null,\"size\":5}\n"
      "5\n"
      "true\n"
      "[\"ring:0\"]\n"
      "[]\n"
      "{\"a\":\"1\",\"b\":\"two\",\"egress-subnets\":\"10.213.0.2/32\",\"ingress-address\":"
      "\"10.213.0.2\",\"private-address\":\"10.213.0.2\"}\n"
      "null\n"
      "{\"bind-addresses\":[{\"addresses\":[{\"address\":\"10.213.0.2\",\"cidr\":\"10.213.0.2/"
      "32\",\"hostname\":\"\",\"value\":\"10.213.0.2\"}],\"interface-name\":\"eth0\","
      "\"interfacename\":\"eth0\",\"mac-address\":\"\",\"macaddress\":\"\"}],"
      "\"egress-subnets\":[\"10.213.0.2/32\"],\"ingress-addresses\":[\"10.213.0.2\"]}\n"
      "{\"application-status\":{\"message\":\"app wait\",\"status\":\"waiting\","
      "\"status-data\":{},\"units\":{\"probe/0\":{\"message\":\"installing agent\","
      "\"status\":\"waiting\","
      "\"status-data\":{}}}}}\n"
      "{\"message\":\"-dash message\",\"status\":\"maintenance\",\"status-data\":{}}\n"
      "[\"80/tcp\",\"9000/udp\"]\n"
      "{\"k\":\"v\"}\n"
      "{\"relations\":{\"ring\":{}},\"units\":{\"probe/0\":{\"since\":\"T\",\"status\":"
      "\"maintenance\"}}}\n"
      "ERROR invalid value \"99\" for option -r: relation not found\n"
      "rc=1\n"
      "ERROR invalid value \"upstream:0\" for option -r: relation not found\n"
      "rc=1\n"
      "ERROR invalid status \"happy\", expected one of [maintenance blocked waiting active]\n"
      "rc=1\n"
      "ERROR no network config found for binding \"nope\"\n"
      "rc=1\n"
      "ERROR not running an action\n"
      "rc=1\n"
      "ERROR no relation id specified\n"
      "rc=1\n"
      "ERROR option provided but not defined: --bogus\n"
      "rc=2\n");
  EXPECT_THAT(ok({"debug-log", "--include", "probe", "--level", "WARNING"}),
              HasSubstr(" WARNING unit.probe/0.juju-log careful\n"));
  // Committed after the hook: the unit status, ports and app status.
  const auto status = nlohmann::json::parse(ok({"status", "--format=json"}));
  EXPECT_EQ(status["applications"]["probe"]["application-status"],
            (nlohmann::json{{"current", "waiting"}, {"message", "app wait"}}));
  EXPECT_EQ(status["applications"]["probe"]["units"]["probe/0"]["open-ports"],
            (nlohmann::json{"80/tcp", "9000/udp"}));
}

// config-get without --format is Juju's "smart" format: True/False for a
// bool (juju/cmd FormatSmart), the string as it is, nothing for an unset
// key, and YAML (true/false) for the whole map.
TEST_F(SimE2E, ConfigGetPrintsAsJujusFormatters) {
  const auto charm = write_charm(
      "cfg", "name: cfg\n",
      "options:\n  debug:\n    type: boolean\n    default: false\n  verbose:\n    type: boolean\n"
      "  size:\n    type: int\n    default: 3\n  name:\n    type: string\n"
      "  word:\n    type: string\n",
      "", "OUT='" + (root_ / "cfg.out").string() + "'\n" + R"SH(
[ "$JUJU_DISPATCH_PATH" = hooks/update-status ] || exit 0
{
  config-get debug
  config-get verbose
  config-get size
  config-get name
  config-get word; echo "rc=$?"
  config-get
  config-get --format=yaml debug
  config-get --format=json debug
  config-get --format=yaml
  config-get --all debug; echo "rc=$?"
  config-get debug size; echo "rc=$?"
} > "$OUT" 2>&1
)SH");
  ok({"deploy", charm.string(), "--workloads", "simulate", "--config", "verbose=true", "name=x y",
      "word=true"});
  ok({"trigger", "cfg/0", "update-status"});
  EXPECT_EQ(read(root_ / "cfg.out"),
            "False\n"
            "True\n"
            "3\n"
            "x y\n"
            "true\n"
            "rc=0\n"
            "debug: false\n"
            "name: x y\n"
            "size: 3\n"
            "verbose: true\n"
            "word: \"true\"\n"
            "false\n"
            "false\n"
            "debug: false\n"
            "name: x y\n"
            "size: 3\n"
            "verbose: true\n"
            "word: \"true\"\n"
            "ERROR cannot use argument --all together with key \"debug\"\n"
            "rc=2\n"
            "ERROR unrecognized args: [\"size\"]\n"
            "rc=2\n");
}

TEST_F(SimE2E, DestroyRemovesTheModelDir) {
  deploy_kv(2);
  ok({"destroy"});
  EXPECT_FALSE(fs::exists(model_));
  auto r = sim({"status"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "ERROR no model in " + model_.string() + " (deploy a charm first)\n");
}

}  // namespace
}  // namespace ops_sim::testing
