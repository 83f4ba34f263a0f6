// How fast the framework's hot paths are: an observed emit on in-memory
// storage (what the testing Harness does), a defer + reemit cycle, a commit of
// changed stored state to the SQLite state file, and one whole dispatch on
// the file (open, reemit, emit, commit, close).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "ops/framework.hpp"
#include "ops/storage.hpp"
#include "support/temp_dir.hpp"

namespace {

struct ConfigChangedEvent : ops::EventBase {
  using EventBase::EventBase;
};

// A relation event's snapshot has ops' five keys.
class RelationChangedEvent : public ops::EventBase {
 public:
  explicit RelationChangedEvent(ops::Handle handle) : EventBase(std::move(handle)) {}
  RelationChangedEvent(ops::Handle handle, int relation_id, std::string unit)
      : EventBase(std::move(handle)), relation_id_(relation_id), unit_(std::move(unit)) {}
  nlohmann::json snapshot() const override {
    return {{"relation_name", "redis-peers"},
            {"relation_id", relation_id_},
            {"app_name", "redis-k8s"},
            {"unit_name", unit_},
            {"departing_unit", nullptr}};
  }
  void restore(const nlohmann::json& snapshot) override {
    relation_id_ = snapshot.at("relation_id").get<int>();
    unit_ = snapshot.at("unit_name").get<std::string>();
  }
  int relation_id_ = 0;
  std::string unit_;
};

struct CharmEvents : ops::ObjectEvents {
  using ObjectEvents::ObjectEvents;
  ops::EventSource<ConfigChangedEvent> config_changed{*this, "config_changed"};
  ops::EventSource<ConfigChangedEvent> update_status{*this, "update_status"};
  ops::EventSource<RelationChangedEvent> redis_peers_relation_changed{
      *this, "redis_peers_relation_changed"};
};

struct Charm : ops::Object {
  explicit Charm(ops::Framework& fw) : Object(fw, "RedisCharm") {
    fw.observe<&Charm::on_config_changed>(on.config_changed, *this);
    fw.observe<&Charm::on_update_status>(on.update_status, *this);
    fw.observe<&Charm::on_peers_changed>(on.redis_peers_relation_changed, *this);
  }
  void on_peers_changed(RelationChangedEvent& event) { calls += event.relation_id_; }
  void on_config_changed(ConfigChangedEvent&) { ++calls; }
  void on_update_status(ConfigChangedEvent& event) {
    ++calls;
    if (defer_next) event.defer();
  }
  CharmEvents on{*this};
  ops::StoredState stored{*this};
  std::int64_t calls = 0;
  bool defer_next = false;
};

void BM_EmitObservedInMemory(benchmark::State& state) {
  ops::MemoryStorage storage;
  ops::Framework fw(storage);
  Charm charm(fw);
  for (auto _ : state) charm.on.config_changed.emit();
  benchmark::DoNotOptimize(charm.calls);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EmitObservedInMemory);

void BM_EmitRelationEventInMemory(benchmark::State& state) {
  ops::MemoryStorage storage;
  ops::Framework fw(storage);
  Charm charm(fw);
  for (auto _ : state) charm.on.redis_peers_relation_changed.emit(3, "redis-k8s/1");
  benchmark::DoNotOptimize(charm.calls);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EmitRelationEventInMemory);

void BM_DeferAndReemitInMemory(benchmark::State& state) {
  ops::MemoryStorage storage;
  ops::Framework fw(storage);
  Charm charm(fw);
  for (auto _ : state) {
    charm.defer_next = true;
    charm.on.update_status.emit();  // deferred: snapshot and notice stay
    charm.defer_next = false;
    fw.reemit();  // runs it again; done: both dropped
  }
  if (!storage.notices().empty()) state.SkipWithError("a notice was left behind");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DeferAndReemitInMemory);

void BM_CommitChangedStoredStateToFile(benchmark::State& state) {
  const ops_test::TempDir dir("ops-bench-");
  {
    ops::Framework fw(ops::open_sqlite_storage(ops::default_state_file(dir.path())));
    Charm charm(fw);
    std::int64_t counter = 0;
    for (auto _ : state) {
      charm.stored.set("counter", ++counter);
      fw.commit();
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CommitChangedStoredStateToFile)->Unit(benchmark::kMicrosecond);

// Argument 1: commit waits for the disk (the default); 0: sync_to_disk off.
void BM_WholeDispatchOnFile(benchmark::State& state) {
  const ops_test::TempDir dir("ops-bench-");
  const auto file = ops::default_state_file(dir.path());
  ops::SQLiteStorageOptions options;
  options.sync_to_disk = state.range(0) != 0;
  for (auto _ : state) {
    ops::Framework fw(ops::open_sqlite_storage(file, options));
    Charm charm(fw);
    charm.stored.set_default({{"counter", 0}});
    fw.reemit();
    charm.on.config_changed.emit();
    charm.stored.set("counter", charm.stored.get<std::int64_t>("counter") + 1);
    fw.commit();
  }
}
BENCHMARK(BM_WholeDispatchOnFile)->Arg(1)->Arg(0)->Unit(benchmark::kMicrosecond);

}  // namespace
