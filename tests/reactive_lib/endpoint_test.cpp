// Reactive-style endpoints (charms/reactive/v0/endpoint.hpp): every
// flag-equivalent event (joined, changed, changed.<field>, departed, broken)
// and flag, through the Harness (one charm across events) and through
// Context/State (a fresh process per dispatch: the flags live in the
// State's stored state), plus the JSON views' encoding.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>

#include "charms/reactive/v0/endpoint.hpp"
#include "ops/testing/context.hpp"
#include "ops/testing/harness.hpp"

namespace {

namespace lib = charms::reactive::v0;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr const char* kMeta = R"(
name: app
requires:
  db:
    interface: thing
  other:
    interface: thing
)";

// What the interface saw, kept across dispatches by the test.
struct Log {
  std::vector<std::string> events;
  bool defer_port = false;  // the port handler defers
  bool ack_host = false;    // the host handler clears changed.host
};

// An interface layer: observes every event its Endpoint base raises.
class Iface : public lib::Endpoint {
 public:
  Iface(ops::CharmBase& charm, Log& log) : Endpoint(charm, "db", "Iface"), log_(log) {
    ops::Framework& fw = framework();
    fw.observe<&Iface::on_joined>(on.joined, *this);
    fw.observe<&Iface::on_changed>(on.changed, *this);
    fw.observe<&Iface::on_field>(on.field_changed("port"), *this);
    fw.observe<&Iface::on_field>(on.field_changed("host"), *this);
    fw.observe<&Iface::on_departed>(on.departed, *this);
    fw.observe<&Iface::on_broken>(on.broken, *this);
  }
  void on_joined(lib::EndpointJoinedEvent& e) {
    log_.events.push_back("joined " + std::to_string(e.relation_id()) + " " + *e.unit_name());
  }
  void on_changed(lib::EndpointChangedEvent& e) {
    std::string fields;
    for (const auto& f : e.fields()) fields += (fields.empty() ? "" : ",") + f;
    log_.events.push_back("changed " + fields);
  }
  void on_field(lib::FieldChangedEvent& e) {
    log_.events.push_back("field " + e.field() + " " + e.unit_name().value_or("-"));
    if (e.field() == "port" && log_.defer_port) e.defer();
    if (e.field() == "host" && log_.ack_host) clear_changed("host");
  }
  void on_departed(lib::EndpointDepartedEvent& e) {
    log_.events.push_back("departed " + *e.unit_name());
  }
  void on_broken(lib::EndpointBrokenEvent& e) {
    log_.events.push_back("broken " + std::to_string(e.relation_id()));
  }

 private:
  Log& log_;
};

class IfaceCharm : public ops::CharmBase {
 public:
  IfaceCharm(ops::Framework& fw, Log& log) : CharmBase(fw, "IfaceCharm"), db(*this, log) {}
  Iface db;
};

// ------------------------------------------------------------------ Harness

class EndpointHarness : public ::testing::Test {
 protected:
  EndpointHarness()
      : harness(
            [this](ops::Framework& fw) -> std::unique_ptr<ops::CharmBase> {
              return std::make_unique<IfaceCharm>(fw, log);
            },
            kMeta, "", "") {
    harness.begin();
  }
  Iface& db() { return static_cast<IfaceCharm&>(harness.charm_base()).db; }

  Log log;
  ops::testing::HarnessBase harness;
};

TEST_F(EndpointHarness, JoinedIsRaisedAndTheJoinedFlagFollowsTheUnits) {
  const int rel = harness.add_relation("db", "remote");
  EXPECT_FALSE(db().is_joined());
  harness.add_relation_unit(rel, "remote/0");
  EXPECT_THAT(log.events, ElementsAre("joined " + std::to_string(rel) + " remote/0"));
  EXPECT_TRUE(db().is_joined());
  EXPECT_FALSE(db().is_changed());  // the unit published nothing yet
  ASSERT_EQ(db().all_joined_units().size(), 1U);
  EXPECT_EQ(db().all_joined_units()[0].unit_name(), "remote/0");
  EXPECT_EQ(db().all_joined_units()[0].application_name(), "remote");
}

TEST_F(EndpointHarness, ChangedAndChangedFieldAreRaisedForNewAndChangedValuesOnly) {
  const int rel = harness.add_relation("db", "remote");
  harness.add_relation_unit(rel, "remote/0");
  log.events.clear();

  harness.update_relation_data(rel, "remote/0", {{"port", "80"}, {"extra", "x"}});
  EXPECT_THAT(log.events, ElementsAre("changed extra,port", "field port remote/0"));
  EXPECT_TRUE(db().is_changed());
  EXPECT_TRUE(db().is_changed("port"));
  EXPECT_TRUE(db().is_changed("extra"));
  EXPECT_FALSE(db().is_changed("host"));
  EXPECT_THAT(db().changed_fields(), ElementsAre("extra", "port"));

  // The same value again is no change; the flags stay until cleared.
  log.events.clear();
  harness.update_relation_data(rel, "remote/0", {{"extra", "y"}});
  EXPECT_THAT(log.events, ElementsAre("changed extra"));

  db().clear_changed("port");
  db().clear_changed();
  EXPECT_FALSE(db().is_changed());
  EXPECT_FALSE(db().is_changed("port"));
  EXPECT_THAT(db().changed_fields(), ElementsAre("extra"));  // per-field flags are separate

  // A field that goes away is a change too.
  log.events.clear();
  harness.update_relation_data(rel, "remote/0", {{"port", ""}});
  EXPECT_THAT(log.events, ElementsAre("changed port", "field port remote/0"));
  EXPECT_TRUE(db().is_changed("port"));
}

TEST_F(EndpointHarness, ASecondUnitsFieldsAreTrackedSeparately) {
  const int rel = harness.add_relation("db", "remote");
  harness.add_relation_unit(rel, "remote/0");
  harness.update_relation_data(rel, "remote/0", {{"port", "80"}});
  harness.add_relation_unit(rel, "remote/1");
  log.events.clear();
  // remote/1 publishing the value remote/0 has is still new for remote/1.
  harness.update_relation_data(rel, "remote/1", {{"port", "80"}});
  EXPECT_THAT(log.events, ElementsAre("changed port", "field port remote/1"));
}

TEST_F(EndpointHarness, DepartedKeepsTheUnitAndItsDataUntilCleared) {
  const int rel = harness.add_relation("db", "remote");
  harness.add_relation_unit(rel, "remote/0");
  harness.add_relation_unit(rel, "remote/1");
  harness.update_relation_data(rel, "remote/1", {{"port", "81"}});
  log.events.clear();

  harness.remove_relation_unit(rel, "remote/1");
  EXPECT_THAT(log.events, ElementsAre("departed remote/1"));
  EXPECT_TRUE(db().is_departed());
  EXPECT_TRUE(db().is_joined());  // remote/0 is still there
  EXPECT_THAT(db().departed_units(),
              ElementsAre(lib::DepartedUnit{"remote/1", rel, {{"port", "81"}}}));

  // As in reactive: the next relation event with units joined clears the
  // departed flag; the departed units stay until the charm clears them.
  harness.update_relation_data(rel, "remote/0", {{"port", "80"}});
  EXPECT_FALSE(db().is_departed());
  EXPECT_EQ(db().departed_units().size(), 1U);
  db().clear_departed_units();
  EXPECT_THAT(db().departed_units(), IsEmpty());

  harness.remove_relation_unit(rel, "remote/0");
  EXPECT_FALSE(db().is_joined());
  EXPECT_TRUE(db().is_departed());
  db().clear_departed();
  EXPECT_FALSE(db().is_departed());
}

TEST_F(EndpointHarness, BrokenIsRaisedAfterTheUnitsDepart) {
  const int rel = harness.add_relation("db", "remote");
  harness.add_relation_unit(rel, "remote/0");
  log.events.clear();
  harness.remove_relation(rel);
  EXPECT_THAT(log.events, ElementsAre("departed remote/0", "broken " + std::to_string(rel)));
  EXPECT_FALSE(db().is_joined());
  EXPECT_THAT(db().relations(), IsEmpty());
}

TEST_F(EndpointHarness, EventsOfAnotherEndpointAreNotSeen) {
  const int rel = harness.add_relation("other", "remote");
  harness.add_relation_unit(rel, "remote/0");
  harness.update_relation_data(rel, "remote/0", {{"port", "80"}});
  EXPECT_THAT(log.events, IsEmpty());
  EXPECT_FALSE(db().is_changed());
}

TEST_F(EndpointHarness, ToPublishEncodesAsJsonAndReceivedDecodes) {
  const int rel = harness.add_relation("db", "remote");
  harness.add_relation_unit(rel, "remote/0");
  ops::Relation& relation = *db().relations().at(0);
  db().to_publish(relation).set("config", {{"b", {1, "x"}}, {"a", true}});
  db().to_publish(relation).set("name", "café");
  db().to_publish_raw(relation).set("plain", "10.0.0.1");
  EXPECT_EQ(db().to_publish(relation).setdefault("name", "other"), "café");
  EXPECT_EQ(harness.get_relation_data(rel, "app/0"),
            (ops::testing::Databag{{"config", R"({"a": true, "b": [1, "x"]})"},
                                   {"name", R"("caf\u00e9")"},
                                   {"plain", "10.0.0.1"}}));
  db().to_publish(relation).set("name", nullptr);  // null deletes
  EXPECT_FALSE(db().to_publish(relation).contains("name"));

  harness.update_relation_data(rel, "remote/0",
                               {{"port", "80"}, {"host", "10.0.0.9"}, {"cfg", R"({"k": [1]})"}});
  const lib::JsonDataView received = db().all_joined_units()[0].received();
  EXPECT_EQ(received["port"], 80);
  EXPECT_EQ(received["host"], "10.0.0.9");  // not JSON: the raw string
  EXPECT_EQ(received["cfg"], (nlohmann::json{{"k", {1}}}));
  EXPECT_EQ(received["missing"], nullptr);
  EXPECT_EQ(received.get("missing"), std::nullopt);
  EXPECT_EQ(db().all_joined_units()[0].received_raw().get("port"), "80");
}

TEST(EndpointJson, EncodesAsPythonJsonDumpsWithSortedKeys) {
  EXPECT_EQ(lib::encode_json(nlohmann::json::parse(R"({"z": null, "a": [1.5, 2.0, -3]})")),
            R"({"a": [1.5, 2.0, -3], "z": null})");
  EXPECT_EQ(lib::encode_json("line\n\"q\"\t\u0001"), R"("line\n\"q\"\t\u0001")");
  EXPECT_EQ(lib::encode_json("\xF0\x9F\x98\x80"), R"("\ud83d\ude00")");
  EXPECT_EQ(lib::encode_json(nlohmann::json::object()), "{}");
  EXPECT_EQ(lib::encode_json(false), "false");
  EXPECT_EQ(lib::decode_json("[1, 2]"), (nlohmann::json{1, 2}));
  EXPECT_EQ(lib::decode_json("not json"), "not json");
}

TEST(EndpointErrors, UndeclaredEndpointAndBadFieldNamesAreRefused) {
  Log log;
  ops::testing::HarnessBase harness(
      [&log](ops::Framework& fw) -> std::unique_ptr<ops::CharmBase> {
        return std::make_unique<IfaceCharm>(fw, log);
      },
      "name: app\nrequires:\n  cache:\n    interface: thing\n", "", "");
  try {
    harness.begin();
    FAIL() << "an Endpoint on an undeclared endpoint was built";
  } catch (const ops::FrameworkError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("declares no endpoint 'db'"));
  }

  ops::testing::HarnessBase ok(
      [&log](ops::Framework& fw) -> std::unique_ptr<ops::CharmBase> {
        return std::make_unique<IfaceCharm>(fw, log);
      },
      kMeta, "", "");
  ok.begin();
  Iface& db = static_cast<IfaceCharm&>(ok.charm_base()).db;
  EXPECT_THROW(db.on.field_changed("a/b"), std::invalid_argument);
  EXPECT_THROW(db.on.field_changed(""), std::invalid_argument);
  EXPECT_EQ(&db.on.field_changed("port"), &db.on.field_changed("port"));
  EXPECT_EQ(db.expand_name("changed.port"), "endpoint.db.changed.port");
  EXPECT_EQ(db.expand_name("{endpoint_name}.available"), "db.available");
  EXPECT_EQ(db.handle().path(), "IfaceCharm/Iface[db]");
}

// ------------------------------------------------------------------ Context

class EndpointContext : public ::testing::Test {
 protected:
  EndpointContext()
      : ctx([this](ops::Framework& fw) { return std::make_unique<IfaceCharm>(fw, log); }, kMeta) {}

  // Runs `event` and keeps the world for the next dispatch.
  void run(const ops::testing::Event& event) {
    log.events.clear();
    state = ctx.run(event, state);
  }
  ops::testing::Relation& rel() { return state.relations.at(0); }
  const nlohmann::json& flags() {
    return state.get_stored_state("IfaceCharm/Iface[db]", "_endpoint").content;
  }

  Log log;
  ops::testing::Context<IfaceCharm> ctx;
  ops::testing::State state{
      .relations = {ops::testing::Relation{.endpoint = "db", .remote_units_data = {{0, {}}}}}};
};

TEST_F(EndpointContext, ChangedFieldFlagsPersistAcrossDispatchesUntilCleared) {
  run(ctx.on.relation_joined(rel()));
  EXPECT_THAT(log.events, ElementsAre("joined " + std::to_string(rel().id) + " remote/0"));

  rel().remote_units_data[0] = {{"port", "80"}};
  run(ctx.on.relation_changed(rel()));
  EXPECT_THAT(log.events, ElementsAre("changed port", "field port remote/0"));
  EXPECT_EQ(flags().at("changed_fields"), (nlohmann::json{"port"}));

  // A new process: the port is remembered (no event for it), the host is
  // new; the host handler acknowledges its flag, the port flag stays.
  log.ack_host = true;
  rel().remote_units_data[0] = {{"port", "80"}, {"host", "10.0.0.9"}};
  run(ctx.on.relation_changed(rel()));
  EXPECT_THAT(log.events, ElementsAre("changed host", "field host remote/0"));
  EXPECT_EQ(flags().at("changed_fields"), (nlohmann::json{"port"}));
  EXPECT_EQ(flags().at("changed"), true);

  // Nothing new: no event; unrelated hooks do not touch the flags.
  run(ctx.on.relation_changed(rel()));
  EXPECT_THAT(log.events, IsEmpty());
  run(ctx.on.update_status());
  EXPECT_THAT(log.events, IsEmpty());
  EXPECT_EQ(flags().at("changed_fields"), (nlohmann::json{"port"}));

  rel().remote_units_data[0]["port"] = "81";
  run(ctx.on.relation_changed(rel()));
  EXPECT_THAT(log.events, ElementsAre("changed port", "field port remote/0"));
}

TEST_F(EndpointContext, ARemoteUnitsBagCannotBeWrittenDuringAHook) {
  rel().remote_units_data[0] = {{"port", "80"}};
  bool checked = false;
  ctx.run_with(ctx.on.relation_changed(rel()), state, [&checked](IfaceCharm& charm) {
    const lib::RelatedUnit unit = charm.db.all_joined_units().at(0);
    EXPECT_EQ(unit.received()["port"], 80);
    EXPECT_THROW(unit.received().set("port", 81), ops::RelationDataAccessError);
    checked = true;
  });
  EXPECT_TRUE(checked);
}

TEST_F(EndpointContext, ADeferredFieldEventComesBackInTheNextDispatch) {
  log.defer_port = true;
  rel().remote_units_data[0] = {{"port", "80"}};
  run(ctx.on.relation_changed(rel()));
  EXPECT_THAT(log.events, ElementsAre("changed port", "field port remote/0"));
  ASSERT_EQ(state.deferred.size(), 1U);
  EXPECT_EQ(state.deferred[0].observer_path, "IfaceCharm/Iface[db]");
  EXPECT_EQ(state.deferred[0].method_name, "on_field");

  log.defer_port = false;
  run(ctx.on.update_status());
  EXPECT_THAT(log.events, ElementsAre("field port remote/0"));
  EXPECT_THAT(state.deferred, IsEmpty());
}

TEST_F(EndpointContext, DepartedAndBrokenAcrossDispatches) {
  rel().remote_units_data = {{0, {{"port", "80"}}}, {1, {{"port", "81"}}}};
  run(ctx.on.relation_changed(rel(), 0));
  EXPECT_THAT(log.events, ElementsAre("changed port", "field port remote/0"));

  // remote/1 leaves: it counts as departed from its departed hook on.
  run(ctx.on.relation_departed(rel(), 1, 1));
  EXPECT_THAT(log.events, ElementsAre("departed remote/1"));
  EXPECT_EQ(flags().at("departed"), true);
  EXPECT_EQ(flags().at("seen").size(), 1U);
  EXPECT_EQ(flags().at("seen").begin()->size(), 1U);  // only remote/0 is remembered

  run(ctx.on.relation_broken(rel()));
  EXPECT_THAT(log.events, ElementsAre("broken " + std::to_string(rel().id)));
  EXPECT_EQ(flags().at("seen"), nlohmann::json::object());  // a broken relation is forgotten
  EXPECT_EQ(flags().at("departed_units").size(), 1U);
  EXPECT_EQ(flags().at("departed_units")[0].at("unit_name"), "remote/1");
}

}  // namespace
