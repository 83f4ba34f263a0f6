// Unit tests of ops-sim's pure parts: charm metadata reading and config
// conversion, Pebble command splitting and Go durations, and YAML output.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "charm_info.hpp"
#include "output.hpp"
#include "sim_fixture.hpp"
#include "workloads.hpp"

namespace ops_sim::testing {
namespace {

using ::testing::ElementsAre;

class SimParts : public SimTest {};

TEST_F(SimParts, CharmInfoReadsMetadataConfigAndActions) {
  const auto dir = write_charm("c", R"(name: c
peers:
  ring: {interface: ring}
requires:
  db: pgsql
containers:
  app:
    resource: img
    mounts:
      - {storage: data, location: /var/lib/app}
resources:
  img: {type: oci-image}
storage:
  data: {type: filesystem, location: /var/lib/app}
)",
                               "options:\n  n: {type: int, default: 2}\n  s: {type: string}\n",
                               "go:\n  params:\n    x: {type: integer}\n  required: [x]\n", "");
  const auto info = CharmInfo::load(dir);
  EXPECT_EQ(info.name, "c");
  ASSERT_EQ(info.endpoints.size(), 2u);
  EXPECT_EQ(info.endpoint("db")->interface, "pgsql");
  EXPECT_EQ(info.endpoint("db")->role, "requires");
  EXPECT_EQ(info.peer_endpoint()->name, "ring");
  EXPECT_EQ(info.containers[0].mounts[0],
            (std::pair<std::string, std::string>{"data", "/var/lib/app"}));
  EXPECT_EQ(info.action("go")->required, std::vector<std::string>{"x"});
  EXPECT_EQ(info.effective_config(nlohmann::json::object()), (nlohmann::json{{"n", 2}}));
  EXPECT_EQ(info.convert_config_value("n", "7"), 7);
  EXPECT_EQ(info.convert_config_value("s", "7"), "7");
  EXPECT_THROW(info.convert_config_value("n", "x"), SimError);
  // The JSON form round-trips (it is what the model database stores).
  EXPECT_EQ(CharmInfo::from_json(info.to_json()).to_json(), info.to_json());
}

TEST_F(SimParts, CharmInfoErrorsNameTheFile) {
  const auto dir = root_ / "bad";
  fs::create_directories(dir);
  try {
    CharmInfo::load(dir);
    FAIL();
  } catch (const SimError& e) {
    EXPECT_EQ(std::string(e.what()), "no metadata.yaml or charmcraft.yaml in " + dir.string());
  }
  write(dir / "metadata.yaml", "summary: no name\n");
  try {
    CharmInfo::load(dir);
    FAIL();
  } catch (const SimError& e) {
    EXPECT_EQ(std::string(e.what()), "metadata.yaml: missing required field \"name\"");
  }
  write(dir / "metadata.yaml", "name: x\n");
  write(dir / "config.yaml", "options:\n  a: {type: colour}\n");
  try {
    CharmInfo::load(dir);
    FAIL();
  } catch (const SimError& e) {
    EXPECT_EQ(std::string(e.what()), "config.yaml: options.a.type: unknown type \"colour\"");
  }
}

TEST_F(SimParts, CommandsSplitLikePebble) {
  EXPECT_THAT(split_command("redis-server --bind 0.0.0.0"),
              ElementsAre("redis-server", "--bind", "0.0.0.0"));
  EXPECT_THAT(split_command("sh -c 'echo \"a b\"; exit 3'"),
              ElementsAre("sh", "-c", "echo \"a b\"; exit 3"));
  EXPECT_THAT(split_command("a\\ b \"c\\\"d\""), ElementsAre("a b", "c\"d"));
  EXPECT_THROW(split_command("sh -c 'oops"), SimError);
}

TEST_F(SimParts, GoDurations) {
  EXPECT_DOUBLE_EQ(parse_go_duration("500ms"), 0.5);
  EXPECT_DOUBLE_EQ(parse_go_duration("1m30s"), 90);
  EXPECT_DOUBLE_EQ(parse_go_duration("1.5h"), 5400);
  EXPECT_THROW(parse_go_duration("5"), SimError);
  EXPECT_THROW(parse_go_duration("fast"), SimError);
}

TEST_F(SimParts, YamlQuotesWhatWouldChangeType) {
  nlohmann::ordered_json v = {{"n", "3"}, {"b", "true"}, {"s", "x"}, {"e", ""}, {"l", {1, 2}}};
  EXPECT_EQ(to_yaml(v), "n: \"3\"\nb: \"true\"\ns: x\ne: \"\"\nl:\n  - 1\n  - 2\n");
}

}  // namespace
}  // namespace ops_sim::testing
