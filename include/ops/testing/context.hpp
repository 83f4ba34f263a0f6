// Context and State: charm tests as state transitions (Python ops' Scenario).
//
// A State is a plain value describing everything Juju and Pebble know about
// one unit before an event: config, leadership, relations and their
// databags, containers (layers, service statuses, files, exec results,
// notices, checks), storage, resources, secrets, ports, networks, statuses,
// and the framework's own deferred events and stored state. A
// Context<MyCharm> (metadata parsed once) runs one event against a State:
//
//   ops::testing::Context<MyCharm> ctx(kMetadata, kConfig, kActions);
//   ops::testing::Relation db{.endpoint = "db", .remote_app_data = {{"host", "pg"}}};
//   ops::testing::State out = ctx.run(ctx.on.relation_changed(db), {.leader = true,
//                                                                  .relations = {db}});
//   EXPECT_EQ(out.get_relation(db.id).local_app_data.at("ready"), "yes");
//
// Each run is a whole dispatch, as ops::main does it: a fresh Model over an
// in-memory backend built from the State, a fresh Framework over a
// MemoryStorage loaded with the State's deferred events and stored state,
// the charm constructed, deferred events re-emitted, the event emitted,
// collect-status, commit. The returned State is the input with what the
// charm changed. What the run produced besides state is kept on the
// Context until the next run: juju-log lines, status history, the emitted
// events, action results, logs and failure, the exec calls.
//
// Errors: InconsistentStateError before anything runs when the State and
// event could not come from Juju (an undeclared endpoint, a remote unit
// that is not in the relation, a container not in the metadata, ...): the
// message lists every problem. UncaughtCharmError when the charm throws
// (nothing is returned, as nothing would be committed). ActionFailed when
// an action handler called fail(). Not thread-safe.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ops/charm.hpp"
#include "ops/main.hpp"
#include "ops/model.hpp"
#include "ops/pebble.hpp"
#include "ops/testing/errors.hpp"
#include "ops/testing/fake_backend.hpp"
#include "ops/testing/fake_pebble.hpp"
#include "ops/testing/harness.hpp"

namespace ops::testing {

// A new relation id, unique in the process (the default of Relation::id).
int next_relation_id();

// A relation of this unit. For a peer endpoint the remote application is
// this one: remote_units_data holds the other units' bags (by unit number)
// and remote_app_data must stay empty (local_app_data is the shared bag).
struct Relation {
  std::string endpoint = {};
  int id = next_relation_id();
  std::string remote_app_name = "remote";  // unused on a peer endpoint (peer_relation: "")
  Databag local_app_data = {};
  Databag local_unit_data = {};
  Databag remote_app_data = {};
  std::map<int, Databag> remote_units_data = {{0, {}}};  // unit number -> bag

  bool operator==(const Relation&) const = default;
};

// A peer relation (no other unit unless given).
Relation peer_relation(std::string endpoint, std::map<int, Databag> peers_data = {},
                       Databag app_data = {});

// A workload container and its Pebble.
struct Container {
  std::string name = {};
  bool can_connect = false;
  std::vector<std::pair<std::string, pebble::Layer>> layers = {};  // label, layer; in order
  std::map<std::string, pebble::ServiceStatus> service_statuses = {};
  std::map<std::string, std::string> files = {};  // absolute container path -> content
  // Canned exec results by command prefix (the longest prefix wins).
  std::vector<std::pair<std::vector<std::string>, ExecResult>> execs = {};
  std::vector<pebble::Notice> notices = {};
  std::vector<pebble::CheckInfo> check_infos = {};

  // Every layer combined in order.
  pebble::Plan plan() const;
  bool operator==(const Container&) const = default;
};

// An attached storage instance; location defaults to
// /var/lib/juju/storage/<name>/<index>.
struct Storage {
  std::string name = {};
  int index = 0;
  std::string location = {};

  bool operator==(const Storage&) const = default;
};

// A file resource and the host file that resource-get returns.
struct Resource {
  std::string name = {};
  std::filesystem::path path = {};

  bool operator==(const Resource&) const = default;
};

// A secret. owner "app" or "unit" when this charm owns it, "" when another
// application does (this unit may read it).
struct Secret {
  std::string id = {};  // "secret:..." (leave empty for a generated one)
  Databag tracked_content = {};
  std::optional<Databag> latest_content = std::nullopt;  // when newer than tracked
  std::string owner = {};
  int tracked_revision = 1;
  std::optional<std::string> label = std::nullopt;
  std::optional<std::string> description = std::nullopt;
  std::optional<std::string> expire = std::nullopt;
  std::optional<SecretRotate> rotate = std::nullopt;
  std::map<int, std::set<std::string>> remote_grants = {};  // relation id -> grantees

  bool operator==(const Secret&) const = default;
};

// An event a previous dispatch deferred: the notice and the event's snapshot.
struct DeferredEvent {
  std::string handle_path = {};    // "DemoCharm/on/config_changed[3]"
  std::string observer_path = {};  // "DemoCharm"
  std::string method_name = {};    // "on_config_changed"
  nlohmann::json snapshot = nullptr;

  bool operator==(const DeferredEvent&) const = default;
};

// The stored state of one object ("DemoCharm", attribute "_stored").
struct StoredStateValue {
  std::string owner_path = {};
  std::string name = "_stored";
  nlohmann::json content = nlohmann::json::object();

  bool operator==(const StoredStateValue&) const = default;
};

// The model the unit is in.
struct ModelInfo {
  std::string name = "test-model";
  std::string uuid = "00000000-0000-4000-8000-000000000000";

  bool operator==(const ModelInfo&) const = default;
};

// Everything one unit's world holds before (and after) an event.
struct State {
  nlohmann::json config = nlohmann::json::object();  // options set (defaults are added)
  bool leader = false;
  std::vector<Relation> relations = {};
  std::vector<Container> containers = {};
  std::vector<Storage> storages = {};
  std::vector<Resource> resources = {};
  std::vector<Secret> secrets = {};
  std::set<Port> opened_ports = {};
  std::optional<int> planned_units = std::nullopt;  // unset: 1 + peer units
  ModelInfo model = {};
  std::map<std::string, Network> networks = {};  // binding -> network (else a default)
  StatusBase unit_status = UnknownStatus();
  StatusBase app_status = UnknownStatus();
  std::optional<std::string> workload_version = std::nullopt;
  std::vector<DeferredEvent> deferred = {};
  std::vector<StoredStateValue> stored_states = {};

  // Lookups; HarnessError when absent.
  const Relation& get_relation(int id) const;
  const Container& get_container(const std::string& name) const;
  const Secret& get_secret(const std::string& id_or_label) const;
  const StoredStateValue& get_stored_state(const std::string& owner_path,
                                           const std::string& name = "_stored") const;
};

// One Juju event to run, made by the factories on Context::on.
struct Event {
  std::string kind = {};              // "config_changed", "db_relation_changed", "greet_action"
  nlohmann::json snapshot = nullptr;  // the event's data, as ops::main would build it
  std::optional<int> relation_id = std::nullopt;
  std::optional<std::string> endpoint = std::nullopt;
  std::optional<int> remote_unit = std::nullopt;
  std::optional<int> departing_unit = std::nullopt;
  std::optional<std::string> container = std::nullopt;
  std::optional<std::string> check = std::nullopt;
  std::optional<std::string> notice_id = std::nullopt;
  std::optional<Storage> storage = std::nullopt;
  std::optional<std::string> secret_id = std::nullopt;
  std::optional<std::string> action = std::nullopt;
  nlohmann::json action_params = nlohmann::json::object();
  std::string action_id = {};
  // A custom event (ctx.on.custom): finds its source on the charm of the run.
  std::function<EventSourceBase&(CharmBase&)> custom_source = nullptr;

  // This event as deferred by `observer_path`'s `method_name` in an earlier
  // dispatch, with event key `key`: for State::deferred.
  DeferredEvent deferred(const std::string& observer_path, const std::string& method_name,
                         int key = 1) const;
};

// The event factories (ctx.on.config_changed(), ctx.on.relation_changed(r) ...).
class EventFactory {
 public:
  Event install() const { return {.kind = "install"}; }
  Event start() const { return {.kind = "start"}; }
  Event stop() const { return {.kind = "stop"}; }
  Event remove() const { return {.kind = "remove"}; }
  Event update_status() const { return {.kind = "update_status"}; }
  Event config_changed() const { return {.kind = "config_changed"}; }
  Event upgrade_charm() const { return {.kind = "upgrade_charm"}; }
  Event pre_series_upgrade() const { return {.kind = "pre_series_upgrade"}; }
  Event post_series_upgrade() const { return {.kind = "post_series_upgrade"}; }
  Event leader_elected() const { return {.kind = "leader_elected"}; }
  Event leader_settings_changed() const { return {.kind = "leader_settings_changed"}; }
  Event collect_metrics() const { return {.kind = "collect_metrics"}; }

  // Relation events; remote_unit defaults to the relation's first remote
  // unit (joined, changed, departed). relation_changed with
  // app_level = true is the remote app's data changing (no unit).
  Event relation_created(const Relation& relation) const;
  Event relation_joined(const Relation& relation, std::optional<int> remote_unit = {}) const;
  Event relation_changed(const Relation& relation, std::optional<int> remote_unit = {},
                         bool app_level = false) const;
  Event relation_departed(const Relation& relation, std::optional<int> remote_unit = {},
                          std::optional<int> departing_unit = {}) const;
  Event relation_broken(const Relation& relation) const;

  Event pebble_ready(const Container& container) const;
  Event pebble_custom_notice(const Container& container, const pebble::Notice& notice) const;
  Event pebble_check_failed(const Container& container, const std::string& check) const;
  Event pebble_check_recovered(const Container& container, const std::string& check) const;

  Event storage_attached(const Storage& storage) const;
  Event storage_detaching(const Storage& storage) const;

  Event secret_changed(const Secret& secret) const;
  Event secret_rotate(const Secret& secret) const;
  Event secret_remove(const Secret& secret, int revision) const;
  Event secret_expired(const Secret& secret, int revision) const;

  // An action with its parameters (defaults from actions.yaml are added).
  Event action(const std::string& name, nlohmann::json params = nlohmann::json::object(),
               std::string id = "1") const;

 private:
  Event relation_event(const std::string& suffix, const Relation& relation,
                       std::optional<int> unit) const;
};

// An event the framework emitted during a run, recorded at emission (before
// its handlers, observed or not), custom events included, as Scenario's
// Context.emitted_events: not pre-commit, commit or collect-status unless
// capture_framework_events, not the re-emitted deferred events unless
// capture_deferred_events.
struct EmittedEvent {
  std::string kind = {};
  nlohmann::json snapshot = nullptr;
  bool operator==(const EmittedEvent&) const = default;
};

// The non-template part of Context<Charm>; see the top of this file.
class ContextBase {
 public:
  ContextBase(CharmFactory factory, std::string_view metadata, std::string_view config,
              std::string_view actions, int unit_id = 0);
  ContextBase(CharmFactory factory, const CharmDir& dir, int unit_id = 0);
  virtual ~ContextBase();
  ContextBase(const ContextBase&) = delete;
  ContextBase& operator=(const ContextBase&) = delete;

  // Runs `event` against `state` and returns the state after it.
  State run(const Event& event, const State& state);

  const CharmMeta& meta() const noexcept { return meta_; }
  const std::string& unit_name() const noexcept { return unit_name_; }
  const std::string& app_name() const noexcept { return app_name_; }

  // The event factories.
  const EventFactory on{};

  // ---- outputs of the last run
  std::vector<JujuLogLine> juju_log;
  std::vector<StatusBase> unit_status_history;  // each status the charm replaced
  std::vector<StatusBase> app_status_history;
  std::vector<EmittedEvent> emitted_events;
  std::optional<nlohmann::json> action_results;
  std::vector<std::string> action_logs;
  std::optional<std::string> action_failure;
  std::vector<ExecArgs> exec_history;
  std::map<std::string, int> requested_storages;  // storage-add counts
  int reboot_count = 0;
  // Each workload version the charm replaced (not the current one; an
  // unset version is not recorded), as Scenario's workload_version_history.
  std::vector<std::string> workload_version_history;

  // ---- options
  // Also record in emitted_events the deferred events re-emitted before the
  // event (first, in the order they were deferred), as Scenario's
  // Context(capture_deferred_events=True).
  bool capture_deferred_events = false;
  // Also record pre_commit, commit and the collect-status events, as
  // Scenario's Context(capture_framework_events=True).
  bool capture_framework_events = false;

 protected:
  // The charm of the run in progress (for Context<Charm>::run_with).
  CharmBase* running_charm_ = nullptr;
  // Called after the event, before the state is read back (null: nothing).
  std::function<void(CharmBase&)> after_event_;

 private:
  // Refuses a State Juju could not produce (context_consistency.cpp).
  void check_consistency(const Event& event, const State& state) const;
  void reset_outputs();
  // The seams of run(): state -> backend, state -> framework storage, the
  // dispatch, backend -> state. load_world returns the snapshot of a
  // relation event as Juju's environment completes it (null for others);
  // dispatch emits `snapshot` (the event's own when null).
  [[nodiscard]] nlohmann::json load_world(const State& state, const Event& event,
                                          FakeBackend& backend) const;
  void load_framework_state(const State& state, MemoryStorage& storage) const;
  bool dispatch(const Event& event, const nlohmann::json& snapshot, const State& state,
                FakeBackend& backend, MemoryStorage& storage);
  State read_back(const State& state, FakeBackend& backend, MemoryStorage& storage) const;

  CharmFactory factory_;
  CharmMeta meta_;
  std::string unit_name_;
  std::string app_name_;
};

// The event factories of a Context<Charm>: those of EventFactory, and
// custom events (Scenario's ctx.on.custom): an event a charm library's
// object (or the charm) emits, run as the whole dispatch, chosen on the
// charm constructed for the run:
//   ctx.run(ctx.on.custom([](MyCharm& c) -> ops::EventSourceBase& {
//             return c.database.on.database_created; }), state);
// The event's snapshot is `snapshot` (what its restore() reads); it has no
// Juju hook context of its own.
template <class Charm>
class TypedEventFactory : public EventFactory {
 public:
  Event custom(std::function<EventSourceBase&(Charm&)> select,
               nlohmann::json snapshot = nullptr) const {
    if (!select) throw HarnessError("ctx.on.custom: no event source given");
    Event event;
    event.kind = "custom";
    event.snapshot = std::move(snapshot);
    event.custom_source = [select = std::move(select)](CharmBase& charm) -> EventSourceBase& {
      return select(ops::detail::checked_cast<Charm>(charm));
    };
    return event;
  }
};

// A Context for a charm class: constructible from ops::Framework&, or
// built by a factory (TypedCharmFactory, harness.hpp) for each run().
template <class Charm>
class Context : public ContextBase {
  static_assert(std::is_base_of_v<CharmBase, Charm>,
                "Context<Charm>: Charm must derive from ops::CharmBase");

 public:
  using Factory = TypedCharmFactory<Charm>;

  // The event factories, with custom events for this charm.
  const TypedEventFactory<Charm> on{};

  explicit Context(std::string_view metadata, std::string_view config = {},
                   std::string_view actions = {},
                   int unit_id = 0) requires std::is_constructible_v<Charm, Framework&>
      : ContextBase(detail::default_factory<Charm>(), metadata, config, actions, unit_id) {}
  explicit Context(const CharmDir& dir,
                   int unit_id = 0) requires std::is_constructible_v<Charm, Framework&>
      : ContextBase(detail::default_factory<Charm>(), dir, unit_id) {}
  Context(Factory factory, std::string_view metadata, std::string_view config = {},
          std::string_view actions = {}, int unit_id = 0)
      : ContextBase(detail::erase_factory<Charm>(std::move(factory)), metadata, config, actions,
                    unit_id) {}
  Context(Factory factory, const CharmDir& dir, int unit_id = 0)
      : ContextBase(detail::erase_factory<Charm>(std::move(factory)), dir, unit_id) {}

  // Runs the event and, before the state is read back, `inspect` with the
  // charm (to assert on charm internals after the event).
  State run_with(const Event& event, const State& state,
                 const std::function<void(Charm&)>& inspect) {
    after_event_ = [&inspect](CharmBase& charm) {
      inspect(ops::detail::checked_cast<Charm>(charm));
    };
    struct Reset {
      std::function<void(CharmBase&)>& hook;
      ~Reset() { hook = nullptr; }
    } reset{after_event_};
    return run(event, state);
  }
};

}  // namespace ops::testing
