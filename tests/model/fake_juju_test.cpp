// The fake Juju hook tools' model (tests/support/fake_juju), driven through
// ops::hookcmds: each refusal is the one Juju gives, so that a charm test
// over the fake fails where the charm would fail under Juju.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <nlohmann/json.hpp>

#include "ops/errors.hpp"
#include "ops/hookcmds.hpp"
#include "support/fake_juju.hpp"

namespace {

using Argv = std::vector<std::string>;
namespace hc = ops::hookcmds;

class FakeJujuTest : public ::testing::Test {
 protected:
  void SetUp() override { ::setenv("JUJU_UNIT_NAME", "redis/0", 1); }
  void TearDown() override { ::unsetenv("JUJU_UNIT_NAME"); }
  void model(bool leader) {
    juju_.set_state(nlohmann::json{{"leader", leader},
                                   {"config", {{"port", 6379}}},
                                   {"relations",
                                    {{"3",
                                      {{"endpoint", "db"},
                                       {"remote-app", "pg"},
                                       {"units", {"pg/0"}},
                                       {"data", {{"pg/0", {{"host", "10.0.0.1"}}}}}}}}}}
                        .dump());
  }
  nlohmann::json state() const { return nlohmann::json::parse(juju_.state()); }

  ops_test::FakeJuju juju_;
};

TEST_F(FakeJujuTest, ReadsTheModel) {
  model(false);
  EXPECT_FALSE(hc::is_leader());
  EXPECT_EQ(hc::config_get(), (nlohmann::json{{"port", 6379}}));
  EXPECT_EQ(hc::relation_ids("db"), (std::vector<int>{3}));
  EXPECT_EQ(hc::relation_ids("cache"), (std::vector<int>{}));
  EXPECT_EQ(hc::relation_list(3), (std::vector<std::string>{"pg/0"}));
  EXPECT_EQ(hc::relation_list_app(3), "pg");
  EXPECT_EQ(hc::relation_get(3, "pg/0", false),
            (std::map<std::string, std::string>{{"host", "10.0.0.1"}}));
  EXPECT_EQ(juju_.argvs().front(), (Argv{"is-leader", "--format=json"}));
}

TEST_F(FakeJujuTest, AnUnknownRelationIsNotFound) {
  model(true);
  try {
    (void)hc::relation_list(9);
    FAIL() << "expected RelationNotFoundError";
  } catch (const ops::RelationNotFoundError& e) {
    EXPECT_EQ(e.stderr(), "ERROR invalid value \"9\" for option -r: relation not found\n");
  }
  EXPECT_THROW(hc::relation_set(9, {{"a", "1"}}, false), ops::RelationNotFoundError);
  EXPECT_EQ(hc::relation_list_app(9), std::nullopt);
}

TEST_F(FakeJujuTest, RelationSetMergesAndAnEmptyValueDeletes) {
  model(true);
  hc::relation_set(3, {{"a", "1"}, {"b", "2"}}, false);
  hc::relation_set(3, {{"a", ""}, {"c", "3"}}, false);
  hc::relation_set(3, {{"secret", "x"}}, true);
  EXPECT_EQ(state()["relations"]["3"]["data"]["redis/0"], (nlohmann::json{{"b", "2"}, {"c", "3"}}));
  EXPECT_EQ(state()["relations"]["3"]["data"]["redis"], (nlohmann::json{{"secret", "x"}}));
  EXPECT_EQ(juju_.calls().back().stdin_text, R"({"secret":"x"})");
}

TEST_F(FakeJujuTest, AppDataAndAppStatusAreTheLeaders) {
  model(false);
  try {
    hc::relation_set(3, {{"a", "1"}}, true);
    FAIL() << "expected ModelError";
  } catch (const ops::ModelError& e) {
    EXPECT_EQ(e.stderr(), "ERROR cannot write relation settings: permission denied\n");
  }
  try {
    hc::status_set("active", "up", true);
    FAIL() << "expected ModelError";
  } catch (const ops::ModelError& e) {
    EXPECT_EQ(e.stderr(), "ERROR cannot set application status: this unit is not the leader\n");
  }
  EXPECT_THROW(hc::status_get(true), ops::ModelError);
  EXPECT_THROW(hc::relation_get(3, "redis", true), ops::ModelError);
  hc::status_set("blocked", "no peers", false);
  EXPECT_EQ(hc::status_get(false).status, "blocked");
  EXPECT_EQ(state()["status"],
            (nlohmann::json{{"unit", {{"status", "blocked"}, {"message", "no peers"}}}}));
}

TEST_F(FakeJujuTest, ACannedAnswerWinsOverTheModel) {
  model(false);
  juju_.tool("is-leader", "true");
  EXPECT_TRUE(hc::is_leader());
  juju_.script("config-get", "echo \"{\\\"argc\\\": $#}\"\n");
  EXPECT_EQ(hc::config_get(), (nlohmann::json{{"argc", 1}}));
}

}  // namespace
