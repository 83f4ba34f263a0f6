// Harness events per second and Context runs per second for a minimal charm:
// config-changed bumps a stored counter and sets a status; relation-changed
// writes one key into the unit's databag.
#include <benchmark/benchmark.h>

#include <string>

#include "ops/ops.hpp"
#include "ops/testing/context.hpp"
#include "ops/testing/harness.hpp"

namespace {

constexpr const char* kMetadata = R"(
name: bench
requires:
  db:
    interface: pgsql
)";
constexpr const char* kConfig = R"(
options:
  level:
    type: int
    default: 0
)";

class BenchCharm : public ops::CharmBase {
 public:
  explicit BenchCharm(ops::Framework& fw) : CharmBase(fw, "BenchCharm") {
    stored_.set_default("count", 0);
    fw.observe<&BenchCharm::on_config_changed>(on.config_changed, *this);
    fw.observe<&BenchCharm::on_db_changed>(on["db"].relation_changed, *this);
  }
  void on_config_changed(ops::ConfigChangedEvent&) {
    stored_.set("count", stored_.get<int>("count") + 1);
    unit().set_status(ops::ActiveStatus("ok"));
  }
  void on_db_changed(ops::RelationChangedEvent& event) {
    event.relation().data(unit()).set("seen", event.relation().data(*event.unit()).at("n"));
  }

 private:
  ops::StoredState stored_{*this};
};

void BM_HarnessConfigChanged(benchmark::State& state) {
  ops::testing::Harness<BenchCharm> harness(kMetadata, kConfig);
  harness.begin();
  for (auto _ : state) harness.fire<ops::ConfigChangedEvent>();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HarnessConfigChanged);

void BM_HarnessUpdateConfig(benchmark::State& state) {
  ops::testing::Harness<BenchCharm> harness(kMetadata, kConfig);
  harness.begin();
  const nlohmann::json values = {{"level", 1}};
  for (auto _ : state) harness.update_config(values);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HarnessUpdateConfig);

void BM_HarnessRelationChanged(benchmark::State& state) {
  ops::testing::Harness<BenchCharm> harness(kMetadata, kConfig);
  harness.begin();
  const int id = harness.add_relation("db", "pg");
  {
    auto off = harness.hooks_disabled();
    harness.add_relation_unit(id, "pg/0");
    harness.update_relation_data(id, "pg/0", {{"n", "1"}});
  }
  const ops::RelationChangedEvent::Args args{
      .relation_name = "db", .relation_id = id, .app_name = "pg", .unit_name = "pg/0"};
  for (auto _ : state) harness.fire<ops::RelationChangedEvent>(args);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HarnessRelationChanged);

void BM_HarnessUpdateRelationData(benchmark::State& state) {
  ops::testing::Harness<BenchCharm> harness(kMetadata, kConfig);
  harness.begin();
  const int id = harness.add_relation("db", "pg", {.unit_data = ops::testing::Databag{{"n", "0"}}});
  const ops::testing::Databag one = {{"n", "1"}}, two = {{"n", "2"}};
  bool flip = false;
  for (auto _ : state) {
    harness.update_relation_data(id, "pg/0", (flip = !flip) ? one : two);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HarnessUpdateRelationData);

// The mix timed for Python's Harness: update_config alternating with
// update_relation_data, each firing its event.
void BM_HarnessUpdateConfigAndRelationDataMix(benchmark::State& state) {
  ops::testing::Harness<BenchCharm> harness(kMetadata, kConfig);
  harness.begin();
  const int id = harness.add_relation("db", "pg", {.unit_data = ops::testing::Databag{{"n", "0"}}});
  const ops::testing::Databag one = {{"n", "1"}}, two = {{"n", "2"}};
  const nlohmann::json level_one = {{"level", 1}}, level_two = {{"level", 2}};
  bool flip = false;
  for (auto _ : state) {
    flip = !flip;
    harness.update_config(flip ? level_one : level_two);
    harness.update_relation_data(id, "pg/0", flip ? one : two);
  }
  state.SetItemsProcessed(2 * state.iterations());
}
BENCHMARK(BM_HarnessUpdateConfigAndRelationDataMix);

void BM_ContextConfigChanged(benchmark::State& state) {
  ops::testing::Context<BenchCharm> ctx(kMetadata, kConfig);
  const ops::testing::State in{.config = {{"level", 2}}};
  for (auto _ : state) {
    ops::testing::State out = ctx.run(ctx.on.config_changed(), in);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ContextConfigChanged);

void BM_ContextRelationChanged(benchmark::State& state) {
  ops::testing::Context<BenchCharm> ctx(kMetadata, kConfig);
  const ops::testing::Relation db{
      .endpoint = "db", .remote_app_name = "pg", .remote_units_data = {{0, {{"n", "1"}}}}};
  const ops::testing::State in{.relations = {db}};
  const ops::testing::Event event = ctx.on.relation_changed(db);
  for (auto _ : state) {
    ops::testing::State out = ctx.run(event, in);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ContextRelationChanged);

}  // namespace
