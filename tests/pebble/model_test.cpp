// The shared Pebble model (src/ops/detail/pebble_model.hpp): each validation
// rule of Pebble's internals/plan with the message Pebble answers with, and
// that FakePebble and pebble-server (both fronts of the model) refuse alike.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "ops/detail/pebble_model.hpp"
#include "ops/testing/fake_pebble.hpp"
#include "pebble_fixture.hpp"

namespace {

namespace pb = ops::pebble;
using pb::detail::PebbleModel;

// The message of the APIError that adding `yaml` as layer "base" raises.
std::string refusal(const std::string& yaml, PebbleModel& model) {
  try {
    model.add_layer_yaml("base", yaml, false);
  } catch (const pb::APIError& e) {
    EXPECT_EQ(e.code(), 400);
    return e.message();
  }
  return "accepted";
}

std::string refusal(const std::string& yaml) {
  PebbleModel model;
  return refusal(yaml, model);
}

struct Rule {
  const char* yaml;
  const char* message;
};

// Each rule of Layer.Validate, CombineLayers and Plan.Validate.
const Rule kRules[] = {
    {"services:\n  redis:\n    command: redis-server\n",
     R"(layer "base" must define "override" for service "redis")"},
    {"services:\n  redis:\n    override: bogus\n    command: redis-server\n",
     R"(layer "base" has invalid "override" value for service "redis")"},
    {"checks:\n  up:\n    tcp: {port: 80}\n",
     R"(layer "base" must define "override" for check "up")"},
    {"log-targets:\n  loki:\n    type: loki\n    location: http://x\n    services: [all]\n",
     R"(layer "base" must define "override" for log target "loki")"},
    {"services:\n  redis:\n    override: replace\n",
     R"(plan must define "command" for service "redis")"},
    {"services:\n  pebble:\n    override: replace\n    command: x\n",
     R"(cannot parse layer YAML: cannot use reserved service name "pebble")"},
    {"services:\n  -x:\n    override: replace\n    command: x\n",
     R"(cannot parse layer YAML: cannot use service name "-x": starting with "-" not allowed)"},
    {"services:\n  s:\n    override: replace\n    command: \"a 'b\"\n",
     R"(cannot parse layer YAML: plan service "s" command invalid: cannot parse service "s" command: EOF found when expecting closing quote)"},
    {"services:\n  s:\n    override: replace\n    command: \"[ a ]\"\n",
     R"(cannot parse layer YAML: plan service "s" command invalid: cannot parse service "s" command: cannot start command with [ ... ] group)"},
    {"services:\n  s:\n    override: replace\n    command: \"a [ b ] c\"\n",
     R"(cannot parse layer YAML: plan service "s" command invalid: cannot parse service "s" command: cannot have any arguments after [ ... ] group)"},
    {"services:\n  s:\n    override: replace\n    command: x\n    on-success: success-shutdown\n",
     R"(cannot parse layer YAML: plan service "s" on-success action "success-shutdown" invalid)"},
    {"services:\n  s:\n    override: replace\n    command: x\n    on-failure: failure-shutdown\n",
     R"(cannot parse layer YAML: plan service "s" on-failure action "failure-shutdown" invalid)"},
    {"services:\n  s:\n    override: replace\n    command: x\n    on-check-failure: {up: bounce}\n",
     R"(cannot parse layer YAML: plan service "s" on-check-failure action "bounce" invalid)"},
    {"services:\n  s:\n    override: replace\n    command: x\n    backoff-factor: 0.5\n",
     R"(cannot parse layer YAML: plan service "s" backoff-factor must be 1.0 or greater, not 0.5)"},
    {"services:\n  s:\n    override: replace\n    command: x\n    kill-delay: soon\n",
     R"(cannot parse layer YAML: cannot parse layer "base" section "services": invalid duration "soon")"},
    {"checks:\n  up:\n    override: replace\n    level: sometimes\n    tcp: {port: 80}\n",
     R"(cannot parse layer YAML: plan check "up" level must be "alive" or "ready")"},
    {"checks:\n  up:\n    override: replace\n    startup: maybe\n    tcp: {port: 80}\n",
     R"(cannot parse layer YAML: plan check "up" startup must be "enabled" or "disabled")"},
    {"checks:\n  up:\n    override: replace\n    period: 0s\n    tcp: {port: 80}\n",
     R"(cannot parse layer YAML: plan check "up" period must not be zero)"},
    {"checks:\n  up:\n    override: replace\n    timeout: 0s\n    tcp: {port: 80}\n",
     R"(cannot parse layer YAML: plan check "up" timeout must not be zero)"},
    {"checks:\n  up:\n    override: replace\n    period: often\n    tcp: {port: 80}\n",
     R"(cannot parse layer YAML: cannot parse layer "base" section "checks": invalid duration "often")"},
    {"checks:\n  up:\n    override: replace\n    threshold: -1\n    tcp: {port: 80}\n",
     R"(cannot parse layer YAML: plan check "up" threshold must not be negative)"},
    {"checks:\n  up:\n    override: replace\n    exec: {command: x, group: redis}\n",
     R"(cannot parse layer YAML: plan check "up" has invalid user/group: must specify user, not just group)"},
    {"checks:\n  up:\n    override: replace\n",
     R"(plan must specify one of "http", "tcp", or "exec" for check "up")"},
    {"checks:\n  up:\n    override: replace\n    tcp: {port: 80}\n    http: {url: http://x}\n",
     R"(plan must specify one of "http", "tcp", or "exec" for check "up")"},
    {"checks:\n  up:\n    override: replace\n    http: {headers: {a: b}}\n",
     R"(plan must set "url" for http check "up")"},
    {"checks:\n  up:\n    override: replace\n    tcp: {host: localhost}\n",
     R"(plan must set "port" for tcp check "up")"},
    {"checks:\n  up:\n    override: replace\n    exec: {working-dir: /}\n",
     R"(plan must set "command" for exec check "up")"},
    {"checks:\n  up:\n    override: replace\n    exec: {command: x, service-context: nope}\n",
     R"(plan check "up" service context specifies non-existent service "nope")"},
    {"log-targets:\n  t:\n    override: replace\n    type: splunk\n    location: x\n",
     R"(cannot parse layer YAML: log target "t" has unsupported type "splunk", must be "loki", "opentelemetry" or "syslog")"},
    {"log-targets:\n  t:\n    override: replace\n    type: loki\n    location: x\n    labels: "
     "{pebble_x: y}\n",
     R"(cannot parse layer YAML: log target "t": label "pebble_x" uses reserved prefix "pebble_")"},
    {"log-targets:\n  t:\n    override: replace\n    location: x\n",
     R"(plan must define "type" ("loki", "opentelemetry" or "syslog") for log target "t")"},
    {"log-targets:\n  t:\n    override: replace\n    type: loki\n",
     R"(plan must define "location" for log target "t")"},
    {"log-targets:\n  t:\n    override: replace\n    type: loki\n    location: x\n    services: "
     "[-ghost]\n",
     R"(log target "t" specifies unknown service "ghost")"},
    {"service:\n  redis:\n    override: replace\n    command: x\n",
     R"(cannot parse layer YAML: cannot parse layer "base": unknown section "service")"},
    {"services:\n  a:\n    override: replace\n    command: a\n    after: [b]\n  b:\n    override: "
     "replace\n    command: b\n    after: [a]\n",
     "services in before/after loop: a, b"},
};

TEST(PebbleModel, EachRuleRefusesWithPebblesMessage) {
  for (const auto& rule : kRules) EXPECT_EQ(refusal(rule.yaml), rule.message) << rule.yaml;
}

TEST(PebbleModel, ReservedLabelPrefixIsRefused) {
  PebbleModel model;
  try {
    model.add_layer_yaml("pebble-x", "summary: x\n", false);
    FAIL() << "expected APIError";
  } catch (const pb::APIError& e) {
    EXPECT_EQ(e.message(),
              R"(cannot parse layer YAML: cannot use reserved label prefix "pebble-")");
  }
}

TEST(PebbleModel, ARefusedLayerLeavesThePlanAsItWas) {
  PebbleModel model;
  model.add_layer_yaml("base", "services:\n  a:\n    override: replace\n    command: a\n", false);
  EXPECT_EQ(refusal("services:\n  b:\n    override: merge\n", model),
            R"(layer "base" already exists)");
  try {
    model.add_layer_yaml("base", "services:\n  b:\n    override: merge\n", true);
    FAIL() << "expected APIError";
  } catch (const pb::APIError& e) {
    EXPECT_EQ(e.message(), R"(plan must define "command" for service "b")");
  }
  ASSERT_EQ(model.layers().size(), 1u);
  EXPECT_EQ(model.plan().services.size(), 1u);
  // A later layer may complete what an earlier one left out.
  model.add_layer_yaml("more",
                       "services:\n  a:\n    override: merge\n    after: [c]\n  c:\n"
                       "    override: replace\n    command: c\n",
                       false);
  EXPECT_EQ(model.plan().services.at("a").after, std::vector<std::string>{"c"});
}

TEST(PebbleModel, StartAndStopOrderFollowRequiresAfterAndBefore) {
  PebbleModel model;
  model.add_layer_yaml("base",
                       "services:\n"
                       "  web:\n    override: replace\n    command: w\n    requires: [db]\n"
                       "    after: [db]\n"
                       "  db:\n    override: replace\n    command: d\n    before: [cache]\n"
                       "  cache:\n    override: replace\n    command: c\n",
                       false);
  EXPECT_EQ(pb::detail::start_order(model.plan(), {"web"}),
            (std::vector<std::string>{"db", "web"}));
  EXPECT_EQ(pb::detail::start_order(model.plan(), {"cache", "web"}),
            (std::vector<std::string>{"db", "cache", "web"}));
  EXPECT_EQ(pb::detail::stop_order(model.plan(), {"db"}), (std::vector<std::string>{"web", "db"}));
  try {
    static_cast<void>(model.plan_services(
        "start", {"ghost"}, [](const std::string&) { return pb::ServiceStatus::kInactive; }));
    FAIL() << "expected APIError";
  } catch (const pb::APIError& e) {
    EXPECT_EQ(e.message(), R"(cannot start services: service "ghost" does not exist)");
  }
}

TEST(PebbleModel, ServiceActionsAsPebbleAnswersThem) {
  PebbleModel model;
  auto inactive = [](const std::string&) { return pb::ServiceStatus::kInactive; };
  try {
    static_cast<void>(model.plan_services("autostart", {}, inactive));
    FAIL() << "expected APIError";
  } catch (const pb::APIError& e) {
    EXPECT_EQ(e.message(), "no default services");
    EXPECT_EQ(e.body()["result"]["kind"], "no-default-services");
  }
  try {
    static_cast<void>(model.plan_services("stop", {}, inactive));
    FAIL() << "expected APIError";
  } catch (const pb::APIError& e) {
    EXPECT_EQ(e.message(), "must specify services for stop action");
  }
  try {
    static_cast<void>(model.plan_services("replan", {"a"}, inactive));
    FAIL() << "expected APIError";
  } catch (const pb::APIError& e) {
    EXPECT_EQ(e.message(), "replan accepts no service names");
  }
  EXPECT_EQ(pb::detail::skipped_op({"start", "a"}, pb::ServiceStatus::kActive),
            R"(Service "a" already started.)");
  EXPECT_EQ(pb::detail::skipped_op({"stop", "a"}, pb::ServiceStatus::kInactive),
            R"(Service "a" already stopped.)");
  EXPECT_EQ(pb::detail::skipped_op({"stop", "a"}, pb::ServiceStatus::kActive), std::nullopt);
}

TEST(PebbleModel, ChecksStartAndStopByName) {
  PebbleModel model;
  model.add_layer_yaml("base",
                       "checks:\n  up:\n    override: replace\n    level: alive\n"
                       "    tcp: {port: 80}\n  off:\n    override: replace\n"
                       "    startup: disabled\n    exec: {command: true}\n",
                       false);
  const auto infos = model.check_infos();
  ASSERT_EQ(infos.size(), 2u);
  EXPECT_EQ(infos[0].name, "off");
  EXPECT_EQ(infos[0].status, pb::CheckStatus::kInactive);
  EXPECT_EQ(infos[1].status, pb::CheckStatus::kUp);
  EXPECT_EQ(infos[1].threshold, 3);
  EXPECT_EQ(model.check_infos(pb::CheckLevel::kAlive).size(), 1u);
  EXPECT_EQ(model.run_checks("start", {"off", "up"}), std::vector<std::string>{"off"});
  EXPECT_EQ(model.run_checks("stop", {"up"}), std::vector<std::string>{"up"});
  try {
    static_cast<void>(model.run_checks("start", {"zz", "aa"}));
    FAIL() << "expected APIError";
  } catch (const pb::APIError& e) {
    EXPECT_EQ(e.message(), "cannot start checks: cannot find checks in plan: aa, zz");
  }
}

TEST(PebbleModel, PermissionsAreThreeOctalDigits) {
  EXPECT_EQ(pb::detail::parse_permissions("", 0644), 0644);
  EXPECT_EQ(pb::detail::parse_permissions("750", 0644), 0750);
  for (const char* bad : {"1777", "64", "789", "-01"}) {
    try {
      static_cast<void>(pb::detail::parse_permissions(bad, 0644));
      FAIL() << bad;
    } catch (const pb::PathError& e) {
      EXPECT_EQ(e.kind(), "generic-file-error");
      EXPECT_EQ(e.message(),
                std::string("permissions must be a 3-digit octal string, got \"") + bad + "\"");
    }
  }
}

// The two fronts of the model refuse alike: FakePebble's client and the
// HTTP client talking to pebble-server raise the same error.
class PebbleFrontsAgree : public ops_test::PebbleServerTest {};

TEST_F(PebbleFrontsAgree, LayersServicesAndFilesFailTheSameWay) {
  ops::testing::FakePebble fake("workload");
  fake.set_can_connect(true);
  auto fake_client = fake.client();
  auto message = [](auto&& call) -> std::string {
    try {
      call();
    } catch (const pb::PathError& e) {
      return "PathError " + e.kind() + ": " + e.message();
    } catch (const pb::APIError& e) {
      return "APIError " + std::to_string(e.code()) + ": " + e.message();
    }
    return "ok";
  };
  for (auto* client : {fake_client.get(), client_.get()}) {
    SCOPED_TRACE(client == client_.get() ? "pebble-server" : "FakePebble");
    pb::Layer no_command{.services = {{"s", pb::Service{.override = "replace"}}}};
    EXPECT_EQ(message([&] { client->add_layer("l", no_command); }),
              R"(APIError 400: plan must define "command" for service "s")");
    pb::Layer check_override{.checks = {{"c", pb::Check{.tcp = pb::TcpCheck{.port = 1}}}}};
    EXPECT_EQ(message([&] { client->add_layer("l", check_override); }),
              R"(APIError 400: layer "l" must define "override" for check "c")");
    EXPECT_EQ(message([&] { client->start_services({"ghost"}); }),
              R"(APIError 400: cannot start services: service "ghost" does not exist)");
    client->push("/file", std::string_view("x"));
    EXPECT_EQ(
        message([&] { client->push("/file/under", std::string_view("y"), {.make_dirs = true}); }),
        "PathError generic-file-error: cannot create directory: mkdir /file: not a directory");
    const std::string no_dirs =
        message([&] { client->push("/file/under", std::string_view("y")); });
    EXPECT_THAT(no_dirs, ::testing::MatchesRegex(
                             "PathError generic-file-error: open /file/under\\.[0-9]+~: not a "
                             "directory"));
    EXPECT_EQ(message([&] { client->push("/p", std::string_view("y"), {.permissions = 01777}); }),
              "PathError generic-file-error: permissions must be a 3-digit octal string, got "
              "\"1777\"");
    EXPECT_EQ(message([&] { client->push("/p", std::string_view("y"), {.permissions = -1}); }),
              "PathError generic-file-error: permissions must be a 3-digit octal string, got "
              "\"37777777777\"");
    EXPECT_EQ(message([&] { client->make_dir("/d", {.permissions = 01000}); }),
              "PathError generic-file-error: permissions must be a 3-digit octal string, got "
              "\"1000\"");
    EXPECT_EQ(message([&] { (void)client->list_files("/nothing"); }),
              "APIError 404: stat /nothing: no such file or directory");
    EXPECT_EQ(message([&] { client->make_dir("/file"); }),
              "PathError generic-file-error: mkdir /file: not a directory");
    EXPECT_EQ(message([&] { client->remove_path("/nothing"); }),
              "PathError not-found: remove /nothing: no such file or directory");
    EXPECT_EQ(message([&] { client->remove_path("/nothing", true); }), "ok");
  }
}

}  // namespace

namespace {

// Pebble decodes each section strictly (go-yaml KnownFields): a field its
// plan types do not have is refused, named with its line in the section as
// Pebble re-encodes it alone.
TEST(PebbleModel, UnknownFieldsAreRefusedAsPebblesStrictDecodingRefusesThem) {
  EXPECT_EQ(refusal("services:\n"
                    "  redis:\n"
                    "    override: replace\n"
                    "    command: redis-server\n"
                    "    enviroment: {A: \"1\"}\n"),
            "cannot parse layer YAML: cannot parse layer \"base\" section \"services\": yaml: "
            "unmarshal errors:\n  line 4: field enviroment not found in type plan.Service");
  // Every unknown field of the section, in order; lines skip what block
  // lists, maps and multi-line strings take.
  EXPECT_EQ(refusal("summary: s\n"
                    "services:\n"
                    "  a:\n"
                    "    override: replace\n"
                    "    command: |\n"
                    "      one\n"
                    "      two\n"
                    "    after:\n"
                    "      - b\n"
                    "    workload: w\n"
                    "  b: {override: replace, command: b, nice: 1}\n"),
            "cannot parse layer YAML: cannot parse layer \"base\" section \"services\": yaml: "
            "unmarshal errors:\n  line 8: field workload not found in type plan.Service\n"
            "  line 9: field nice not found in type plan.Service");
  EXPECT_EQ(refusal("checks:\n"
                    "  up:\n"
                    "    override: replace\n"
                    "    http:\n"
                    "      url: http://localhost/\n"
                    "      method: GET\n"),
            "cannot parse layer YAML: cannot parse layer \"base\" section \"checks\": yaml: "
            "unmarshal errors:\n  line 5: field method not found in type plan.HTTPCheck");
  EXPECT_EQ(refusal("checks:\n"
                    "  up:\n"
                    "    override: replace\n"
                    "    interval: 10s\n"
                    "    exec: {command: true, shell: sh}\n"),
            "cannot parse layer YAML: cannot parse layer \"base\" section \"checks\": yaml: "
            "unmarshal errors:\n  line 3: field interval not found in type plan.Check\n"
            "  line 4: field shell not found in type plan.ExecCheck");
  EXPECT_EQ(refusal("log-targets:\n"
                    "  loki:\n"
                    "    override: replace\n"
                    "    type: loki\n"
                    "    location: http://loki:3100/loki/api/v1/push\n"
                    "    services: [all]\n"
                    "    label: {a: b}\n"),
            "cannot parse layer YAML: cannot parse layer \"base\" section \"log-targets\": yaml: "
            "unmarshal errors:\n  line 6: field label not found in type plan.LogTarget");
  // Known fields everywhere: accepted.
  EXPECT_EQ(refusal("services:\n"
                    "  a:\n"
                    "    override: replace\n"
                    "    command: a\n"
                    "    kill-delay: 5s\n"
                    "checks:\n"
                    "  up: {override: replace, level: alive, tcp: {port: 80, host: x}}\n"
                    "log-targets:\n"
                    "  t: {override: replace, type: loki, location: http://l/, services: [a],"
                    " labels: {x: y}}\n"),
            "accepted");
}

// Pebble's Merge methods: lists append and keep duplicates, an empty string
// or a zero threshold/port leaves the value, `override` stays the first.
TEST(PebbleModel, MergeAppendsListsWithDuplicatesAsPebbleDoes) {
  PebbleModel model;
  model.add_layer_yaml("base",
                       "services:\n"
                       "  a: {override: replace, command: a, after: [b], requires: [b]}\n"
                       "  b: {override: replace, command: b}\n"
                       "checks:\n"
                       "  up: {override: replace, threshold: 5, tcp: {port: 80}}\n"
                       "log-targets:\n"
                       "  t: {override: replace, type: loki, location: http://l/,"
                       " services: [a]}\n",
                       false);
  model.add_layer_yaml(
      "more",
      "services:\n"
      "  a: {override: merge, command: '', after: [b], before: [], requires: [b]}\n"
      "checks:\n"
      "  up: {override: merge, threshold: 0, tcp: {port: 0, host: h}}\n"
      "log-targets:\n"
      "  t: {override: merge, location: '', services: [a, -a]}\n",
      false);
  const auto plan = model.plan();
  const auto& a = plan.services.at("a");
  EXPECT_EQ(a.command, "a");
  EXPECT_EQ(a.override, "replace");
  EXPECT_EQ(a.after, (std::vector<std::string>{"b", "b"}));
  EXPECT_EQ(a.requires_, (std::vector<std::string>{"b", "b"}));
  EXPECT_EQ(plan.checks.at("up").threshold, 5);
  EXPECT_EQ(plan.checks.at("up").tcp->port, 80);
  EXPECT_EQ(plan.checks.at("up").tcp->host, "h");
  EXPECT_EQ(plan.checks.at("up").override, "replace");
  EXPECT_EQ(plan.log_targets.at("t").location, "http://l/");
  EXPECT_EQ(plan.log_targets.at("t").services, (std::vector<std::string>{"a", "a", "-a"}));
  // Duplicated dependencies start each service once.
  EXPECT_EQ(pb::detail::start_order(plan, {"a"}), (std::vector<std::string>{"b", "a"}));
}

}  // namespace
