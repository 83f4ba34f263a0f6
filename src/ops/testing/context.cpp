// Context: one dispatch from a State to the next State.
#include "ops/testing/context.hpp"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <sstream>
#include <typeinfo>

#include "dispatch.hpp"
#include "ops/detail/access.hpp"
#include "ops/log.hpp"

namespace ops::testing {
namespace fs = std::filesystem;

int next_relation_id() {
  static std::atomic<int> counter{0};
  return counter++;
}

Relation peer_relation(std::string endpoint, std::map<int, Databag> peers_data, Databag app_data) {
  Relation relation;
  relation.endpoint = std::move(endpoint);
  relation.remote_app_name.clear();  // the peers are this app, named by the Context
  relation.remote_units_data = std::move(peers_data);
  relation.local_app_data = std::move(app_data);
  return relation;
}

pebble::Plan Container::plan() const {
  pebble::Layer combined;
  for (const auto& [label, layer] : layers) combined.combine(layer);
  return {std::move(combined.services), std::move(combined.checks),
          std::move(combined.log_targets)};
}

// -------------------------------------------------------------------- State

const Relation& State::get_relation(int id) const {
  for (const auto& relation : relations) {
    if (relation.id == id) return relation;
  }
  throw HarnessError("the state has no relation with id " + std::to_string(id));
}

const Container& State::get_container(const std::string& name) const {
  for (const auto& container : containers) {
    if (container.name == name) return container;
  }
  throw HarnessError("the state has no container '" + name + "'");
}

const Secret& State::get_secret(const std::string& id_or_label) const {
  for (const auto& secret : secrets) {
    if (secret.id == id_or_label || secret.label == id_or_label) return secret;
  }
  throw HarnessError("the state has no secret with id or label '" + id_or_label + "'");
}

const StoredStateValue& State::get_stored_state(const std::string& owner_path,
                                                const std::string& name) const {
  for (const auto& value : stored_states) {
    if (value.owner_path == owner_path && value.name == name) return value;
  }
  throw HarnessError("the state has no stored state " + owner_path + "/StoredStateData[" + name +
                     "]");
}

// -------------------------------------------------------------------- Events

DeferredEvent Event::deferred(const std::string& observer_path, const std::string& method_name,
                              int key) const {
  std::string emitter = observer_path.substr(0, observer_path.find('/'));
  return {emitter + "/on/" + kind + "[" + std::to_string(key) + "]", observer_path, method_name,
          snapshot};
}

Event EventFactory::relation_event(const std::string& suffix, const Relation& relation,
                                   std::optional<int> unit) const {
  Event event;
  event.kind = CharmEvents::kind_prefix(relation.endpoint) + "_" + suffix;
  event.relation_id = relation.id;
  event.endpoint = relation.endpoint;
  event.remote_unit = unit;
  // The snapshot names the remote app and unit, as Juju's environment does,
  // so that the event deferred (Event::deferred) keeps them. A peer
  // relation's remote app is this app, which only the Context knows:
  // Context::run sets app_name and unit_name again from the metadata.
  RelationEvent::Args args{.relation_name = relation.endpoint, .relation_id = relation.id};
  if (!relation.remote_app_name.empty()) {
    args.app_name = relation.remote_app_name;
    if (unit) args.unit_name = relation.remote_app_name + "/" + std::to_string(*unit);
  }
  event.snapshot = args.snapshot();
  return event;
}

namespace {
std::optional<int> first_unit(const Relation& relation) {
  if (relation.remote_units_data.empty()) return std::nullopt;
  return relation.remote_units_data.begin()->first;
}
}  // namespace

Event EventFactory::relation_created(const Relation& relation) const {
  return relation_event("relation_created", relation, std::nullopt);
}

Event EventFactory::relation_joined(const Relation& relation,
                                    std::optional<int> remote_unit) const {
  return relation_event("relation_joined", relation,
                        remote_unit ? remote_unit : first_unit(relation));
}

Event EventFactory::relation_changed(const Relation& relation, std::optional<int> remote_unit,
                                     bool app_level) const {
  return relation_event(
      "relation_changed", relation,
      app_level ? std::nullopt : (remote_unit ? remote_unit : first_unit(relation)));
}

Event EventFactory::relation_departed(const Relation& relation, std::optional<int> remote_unit,
                                      std::optional<int> departing_unit) const {
  Event event = relation_event("relation_departed", relation,
                               remote_unit ? remote_unit : first_unit(relation));
  event.departing_unit = departing_unit ? departing_unit : event.remote_unit;
  if (event.departing_unit && !relation.remote_app_name.empty()) {
    auto args = RelationEvent::Args::from_snapshot(event.snapshot, event.kind);
    args.departing_unit = relation.remote_app_name + "/" + std::to_string(*event.departing_unit);
    event.snapshot = args.snapshot();
  }
  return event;
}

Event EventFactory::relation_broken(const Relation& relation) const {
  return relation_event("relation_broken", relation, std::nullopt);
}

Event EventFactory::pebble_ready(const Container& container) const {
  return {.kind = CharmEvents::kind_prefix(container.name) + "_pebble_ready",
          .snapshot = WorkloadEvent::Args{container.name}.snapshot(),
          .container = container.name};
}

Event EventFactory::pebble_custom_notice(const Container& container,
                                         const pebble::Notice& notice) const {
  return {
      .kind = CharmEvents::kind_prefix(container.name) + "_pebble_custom_notice",
      .snapshot =
          PebbleNoticeEvent::Args{container.name, {notice.id, notice.type, notice.key}}.snapshot(),
      .container = container.name,
      .notice_id = notice.id};
}

Event EventFactory::pebble_check_failed(const Container& container,
                                        const std::string& check) const {
  return {.kind = CharmEvents::kind_prefix(container.name) + "_pebble_check_failed",
          .snapshot = PebbleCheckEvent::Args{container.name, check}.snapshot(),
          .container = container.name,
          .check = check};
}

Event EventFactory::pebble_check_recovered(const Container& container,
                                           const std::string& check) const {
  return {.kind = CharmEvents::kind_prefix(container.name) + "_pebble_check_recovered",
          .snapshot = PebbleCheckEvent::Args{container.name, check}.snapshot(),
          .container = container.name,
          .check = check};
}

namespace {
std::string storage_location(const Storage& storage) {
  if (!storage.location.empty()) return storage.location;
  return "/var/lib/juju/storage/" + storage.name + "/" + std::to_string(storage.index);
}
}  // namespace

Event EventFactory::storage_attached(const Storage& storage) const {
  return {.kind = CharmEvents::kind_prefix(storage.name) + "_storage_attached",
          .snapshot =
              StorageEvent::Args{storage.name, storage.index, storage_location(storage)}.snapshot(),
          .storage = storage};
}

Event EventFactory::storage_detaching(const Storage& storage) const {
  Event event = storage_attached(storage);
  event.kind = CharmEvents::kind_prefix(storage.name) + "_storage_detaching";
  return event;
}

namespace {
Event secret_event(const std::string& kind, const Secret& secret, std::optional<int> revision) {
  Event event{.kind = kind, .secret_id = secret.id};
  event.snapshot = revision
                       ? SecretRevisionEvent::Args{secret.id, secret.label, *revision}.snapshot()
                       : SecretEvent::Args{secret.id, secret.label}.snapshot();
  return event;
}
}  // namespace

Event EventFactory::secret_changed(const Secret& secret) const {
  return secret_event("secret_changed", secret, std::nullopt);
}
Event EventFactory::secret_rotate(const Secret& secret) const {
  return secret_event("secret_rotate", secret, std::nullopt);
}
Event EventFactory::secret_remove(const Secret& secret, int revision) const {
  return secret_event("secret_remove", secret, revision);
}
Event EventFactory::secret_expired(const Secret& secret, int revision) const {
  return secret_event("secret_expired", secret, revision);
}

Event EventFactory::action(const std::string& name, nlohmann::json params, std::string id) const {
  // Taken before `id` is moved below (the order of a braced list is the
  // order of evaluation, but clang-tidy 16's use-after-move does not know it).
  nlohmann::json snapshot = ActionEvent::Args{id}.snapshot();
  return {.kind = CharmEvents::kind_prefix(name) + "_action",
          .snapshot = std::move(snapshot),
          .action = name,
          .action_params = std::move(params),
          .action_id = std::move(id)};
}

// -------------------------------------------------------------- ContextBase

namespace {

// Whether a source's events are of one of `Events`. The same type_info
// object answers at once; only another one (a custom event type, possibly
// from another shared object) is compared by name.
template <class... Events>
bool is_one_of(const std::type_info& type) {
  if (((&type == &typeid(Events)) || ...)) return true;
  return ((type == typeid(Events)) || ...);
}

// Records each event the framework emits during a run, as Scenario's
// CapturingFramework._emit does: at emission, before its handlers, whether
// anything observes it, custom events included; pre-commit, commit and
// collect-status only when `framework_events`.
class EmittedRecorder {
 public:
  EmittedRecorder(Framework& framework, std::vector<EmittedEvent>& out, bool framework_events)
      : framework_(framework) {
    ops::detail::FrameworkAccess::set_emit_listener(
        framework,
        [&out, framework_events](const EventSourceBase& source, const nlohmann::json& snapshot) {
          if (!framework_events &&
              is_one_of<PreCommitEvent, CommitEvent, CollectStatusEvent>(source.event_type())) {
            return;
          }
          out.push_back({std::string(source.kind()), snapshot});
        });
  }
  ~EmittedRecorder() { ops::detail::FrameworkAccess::set_emit_listener(framework_, {}); }
  EmittedRecorder(const EmittedRecorder&) = delete;
  EmittedRecorder& operator=(const EmittedRecorder&) = delete;

 private:
  Framework& framework_;
};

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

ContextBase::ContextBase(CharmFactory factory, std::string_view metadata, std::string_view config,
                         std::string_view actions, int unit_id)
    : factory_(std::move(factory)),
      meta_(CharmMeta::from_yaml(metadata, actions, config)),
      unit_name_(meta_.name + "/" + std::to_string(unit_id)),
      app_name_(meta_.name) {}

ContextBase::ContextBase(CharmFactory factory, const CharmDir& dir, int unit_id)
    : factory_(std::move(factory)),
      meta_(CharmMeta::from_charm_dir(dir.path)),
      unit_name_(meta_.name + "/" + std::to_string(unit_id)),
      app_name_(meta_.name) {}

ContextBase::~ContextBase() = default;

void ContextBase::reset_outputs() {
  juju_log.clear();
  unit_status_history.clear();
  app_status_history.clear();
  emitted_events.clear();
  action_results.reset();
  action_logs.clear();
  action_failure.reset();
  exec_history.clear();
  requested_storages.clear();
  reboot_count = 0;
  workload_version_history.clear();
}

State ContextBase::run(const Event& input_event, const State& state) {
  check_consistency(input_event, state);
  reset_outputs();
  FakeBackend backend(meta_, unit_name_);
  backend.data().keep_history = true;
  const nlohmann::json relation_snapshot = load_world(state, input_event, backend);
  MemoryStorage storage;
  load_framework_state(state, storage);
  const nlohmann::json& snapshot =
      relation_snapshot.is_null() ? input_event.snapshot : relation_snapshot;
  if (dispatch(input_event, snapshot, state, backend, storage)) {
    storage.rollback();  // AbortDispatch
  }
  return read_back(state, backend, storage);
}

// State -> backend: Juju's and Pebble's side of the state, and what Juju's
// environment says about the event (the relation event's remote app/unit).
nlohmann::json ContextBase::load_world(const State& state, const Event& event,
                                       FakeBackend& backend) const {
  nlohmann::json relation_snapshot;
  FakeBackend::Data& data = backend.data();
  data.model_name = state.model.name;
  data.model_uuid = state.model.uuid;
  data.leader = state.leader;
  data.config = state.config;
  data.unit_status = state.unit_status;
  data.app_status = state.app_status;
  data.workload_version = state.workload_version;
  data.planned_units = state.planned_units;
  data.opened_ports = state.opened_ports;
  for (const auto& relation : state.relations) {
    const bool peer = meta_.peer_relations.count(relation.endpoint) != 0;
    RelationRecord record;
    record.endpoint = relation.endpoint;
    record.id = relation.id;
    record.remote_app = peer ? app_name_ : relation.remote_app_name;
    record.unit_data[unit_name_] = relation.local_unit_data;
    record.app_data[app_name_] = relation.local_app_data;
    if (!peer) record.app_data[record.remote_app] = relation.remote_app_data;
    for (const auto& [number, bag] : relation.remote_units_data) {
      const std::string unit = record.remote_app + "/" + std::to_string(number);
      record.unit_data[unit] = bag;
      // During relation-departed the departing unit is no longer listed.
      const bool departing = event.relation_id == relation.id && event.departing_unit == number;
      if (!departing) record.remote_units.push_back(unit);
    }
    if (event.relation_id == relation.id) {
      // What Juju's environment says: the remote app (this app on a peer
      // relation), the remote unit and the departing unit.
      auto args = RelationEvent::Args::from_snapshot(event.snapshot, event.kind);
      args.app_name = record.remote_app;
      args.unit_name.reset();
      args.departing_unit.reset();
      if (event.remote_unit) {
        args.unit_name = record.remote_app + "/" + std::to_string(*event.remote_unit);
      }
      if (event.departing_unit) {
        args.departing_unit = record.remote_app + "/" + std::to_string(*event.departing_unit);
      }
      relation_snapshot = args.snapshot();
    }
    data.relations.emplace(relation.id, std::move(record));
  }
  for (const auto& storage : state.storages) {
    data.storages[storage.name][storage.index] = StorageRecord{storage_location(storage), true};
  }
  for (const auto& resource : state.resources) data.resources[resource.name] = resource.path;
  for (const auto& [binding, network] : state.networks) {
    data.networks[{binding, std::nullopt}] = network;
  }
  for (const auto& secret : state.secrets) {
    SecretRecord record;
    record.id =
        secret.id.empty() ? backend.new_secret_id() : ops::Secret::canonicalize_id(secret.id);
    record.owner = secret.owner;
    record.owner_name = secret.owner == "app"    ? app_name_
                        : secret.owner == "unit" ? unit_name_
                                                 : std::string("remote");
    record.revisions[secret.tracked_revision] = secret.tracked_content;
    record.tracked_revision = secret.tracked_revision;
    record.latest_revision = secret.tracked_revision;
    if (secret.latest_content) {
      record.latest_revision = secret.tracked_revision + 1;
      record.revisions[record.latest_revision] = *secret.latest_content;
    }
    if (secret.owner.empty()) {
      record.consumer_label = secret.label;
      record.grants[-1].insert(app_name_);  // in the state: visible to this unit
    } else {
      record.label = secret.label;
      for (const auto& [relation_id, grantees] : secret.remote_grants) {
        record.grants[relation_id] = grantees;
      }
    }
    record.description = secret.description;
    record.expire = secret.expire;
    record.rotate = secret.rotate;
    data.secrets.push_back(std::move(record));
  }
  for (const auto& container : state.containers) {
    FakePebble& pebble = backend.pebble(container.name);
    pebble.set_can_connect(container.can_connect);
    for (const auto& [label, layer] : container.layers) pebble.add_layer(label, layer, false);
    for (const auto& [service, status] : container.service_statuses) {
      pebble.set_service_status(service, status);
    }
    for (const auto& [path, content] : container.files) {
      const fs::path host = pebble.host_path(path);
      fs::create_directories(host.parent_path());
      std::ofstream(host, std::ios::binary) << content;
    }
    for (const auto& [prefix, result] : container.execs) pebble.handle_exec(prefix, result);
    for (const auto& notice : container.notices) pebble.add_notice(notice);
    for (const auto& info : container.check_infos) pebble.set_check_info(info);
  }
  if (event.action) {
    ActionRecord action;
    action.name = *event.action;
    action.id = event.action_id;
    action.params = detail::validated_action_params(meta_, *event.action, event.action_params);
    data.action = std::move(action);
  }
  return relation_snapshot;
}

// State -> storage: deferred notices, the event counter, stored state.
void ContextBase::load_framework_state(const State& state, MemoryStorage& storage) const {
  std::int64_t last_key = 0;
  for (const auto& deferred : state.deferred) {
    storage.save_snapshot(deferred.handle_path, deferred.snapshot);
    storage.save_notice(deferred.handle_path, deferred.observer_path, deferred.method_name);
    try {
      const Handle handle = Handle::from_path(deferred.handle_path);
      const auto key = handle.key();
      if (key) last_key = std::max<std::int64_t>(last_key, std::stoll(std::string(*key)));
    } catch (const std::exception&) {
      throw InconsistentStateError("deferred event handle \"" + deferred.handle_path +
                                   "\" is not of the form Emitter/on/kind[number]");
    }
  }
  if (last_key > 0) {
    storage.save_snapshot(Framework::kStatePath, {{"event_count", last_key}});
  }
  for (const auto& value : state.stored_states) {
    storage.save_snapshot(value.owner_path + "/StoredStateData[" + value.name + "]", value.content);
  }
  storage.commit();
}

// One dispatch, as ops::main runs it: the charm is built inside the hook,
// then re-emit, the event, collect-status, commit. Returns whether the
// charm ended it with AbortDispatch (the caller rolls the storage back).
bool ContextBase::dispatch(const Event& event, const nlohmann::json& snapshot, const State& state,
                           FakeBackend& backend, MemoryStorage& storage) {
  log::set_sink([&backend](log::Level level, std::string_view message) {
    backend.juju_log(std::string(log::to_string(level)), std::string(message));
  });
  struct RestoreLog {
    ~RestoreLog() { log::set_sink({}); }
  } restore_log;
  FakeBackend::Data& data = backend.data();
  bool aborted = false;
  {
    Model model(meta_, backend);
    ops::detail::ModelAccess::set_pebble_client_factory(
        model,
        [&backend](const std::string& container) { return backend.pebble(container).client(); });
    if (event.kind.size() > 16 &&
        event.kind.compare(event.kind.size() - 16, 16, "_relation_broken") == 0) {
      ops::detail::ModelAccess::set_broken_relation_id(model, event.relation_id);
    }
    Framework framework(storage, &model);
    // As in production the charm is constructed inside the hook: the access
    // rules hold in its constructor, and what it throws fails the run.
    data.hook_running = true;
    std::unique_ptr<CharmBase> charm;
    try {
      charm = factory_(framework);
    } catch (const HarnessError&) {
      throw;
    } catch (const AbortDispatch&) {
      throw;
    } catch (const std::exception& e) {
      throw UncaughtCharmError(
          ops::detail::describe_uncaught("constructing the charm", event.kind, e), std::nullopt,
          event.kind, std::current_exception());
    }
    if (!charm) throw HarnessError("the charm factory returned no charm");
    detail::CommitFlusher flusher(framework, model, "ops_testing");
    EmittedRecorder recorder(framework, emitted_events, capture_framework_events);
    auto capture = [&] {
      juju_log = data.juju_log;
      unit_status_history = data.unit_status_history;
      app_status_history = data.app_status_history;
      if (data.action) {
        if (data.action->results_set) action_results = data.action->results;
        action_logs = data.action->logs;
        action_failure = data.action->failure;
      }
      for (const auto& container : state.containers) {
        const auto& history = backend.pebble(container.name).exec_history();
        exec_history.insert(exec_history.end(), history.begin(), history.end());
      }
      requested_storages = data.storage_requests;
      workload_version_history = data.workload_version_history;
      reboot_count = data.reboot_count;
    };
    std::string kind = event.kind;
    detail::DispatchSteps steps;
    if (event.custom_source) {
      // A custom event: its source is found on the charm built for this run.
      EventSourceBase* source = nullptr;
      try {
        source = &event.custom_source(*charm);
      } catch (const std::exception& e) {
        throw HarnessError(std::string("ctx.on.custom: cannot find the event source: ") + e.what());
      }
      kind = std::string(source->kind());
      steps.find_source = [source](CharmBase&) { return source; };
    }
    if (capture_deferred_events && !ops::detail::is_restricted_event(kind)) {
      // The deferred events the framework will re-emit first (one record per
      // event, however many observers deferred it); a kind the charm no
      // longer defines is dropped, not emitted.
      const std::string charm_on = charm->handle().path() + "/on";
      std::string last_path;
      for (const auto& deferred : state.deferred) {
        if (deferred.handle_path == last_path) continue;
        last_path = deferred.handle_path;
        const Handle handle = Handle::from_path(deferred.handle_path);
        const std::string event_kind(handle.kind());
        if (handle.parent_path() == charm_on && charm->on.find(event_kind) == nullptr) continue;
        emitted_events.push_back({event_kind, deferred.snapshot});
      }
    }
    try {
      detail::run_dispatch_steps(framework, *charm, kind, snapshot, steps);
    } catch (const AbortDispatch&) {
      aborted = true;
    } catch (...) {
      capture();
      throw;
    }
    if (after_event_) after_event_(*charm);
    capture();
  }
  return aborted;
}

// Backend and storage -> the State after the event; ActionFailed when the
// action handler called fail().
State ContextBase::read_back(const State& state, FakeBackend& backend,
                             MemoryStorage& storage) const {
  FakeBackend::Data& data = backend.data();
  State out = state;
  out.leader = data.leader;
  out.unit_status = data.unit_status;
  out.app_status = data.app_status;
  out.workload_version = data.workload_version;
  out.opened_ports = data.opened_ports;
  for (auto& relation : out.relations) {
    auto it = data.relations.find(relation.id);
    if (it == data.relations.end()) continue;
    relation.local_unit_data = it->second.unit_data[unit_name_];
    relation.local_app_data = it->second.app_data[app_name_];
  }
  out.secrets.clear();
  for (const auto& record : data.secrets) {
    Secret secret;
    secret.id = record.id;
    secret.owner = record.owner;
    secret.tracked_revision = record.tracked_revision.value_or(record.latest_revision);
    if (auto it = record.revisions.find(secret.tracked_revision); it != record.revisions.end()) {
      secret.tracked_content = it->second;
    }
    if (record.latest_revision != secret.tracked_revision) {
      if (auto it = record.revisions.find(record.latest_revision); it != record.revisions.end()) {
        secret.latest_content = it->second;
      }
    }
    secret.label = record.owner.empty() ? record.consumer_label : record.label;
    secret.description = record.description;
    secret.expire = record.expire;
    secret.rotate = record.rotate;
    if (!record.owner.empty()) {
      for (const auto& [relation_id, grantees] : record.grants) {
        secret.remote_grants[relation_id] = grantees;
      }
    }
    out.secrets.push_back(std::move(secret));
  }
  for (auto& container : out.containers) {
    FakePebble& pebble = backend.pebble(container.name);
    container.layers = pebble.layers();
    container.service_statuses = pebble.service_statuses();
    container.notices = pebble.notices();
    std::vector<pebble::CheckInfo> checks;
    for (const auto& [name, info] : pebble.explicit_check_infos()) checks.push_back(info);
    container.check_infos = std::move(checks);
    if (!pebble.has_filesystem_root()) continue;
    container.files.clear();
    const fs::path& root = pebble.filesystem_root();
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      if (!entry.is_regular_file()) continue;
      container.files["/" + fs::relative(entry.path(), root).generic_string()] =
          read_text(entry.path());
    }
  }
  out.deferred.clear();
  for (const auto& notice : storage.notices()) {
    out.deferred.push_back({notice.event_path, notice.observer_path, notice.method_name,
                            storage.load_snapshot(notice.event_path).value_or(nullptr)});
  }
  out.stored_states.clear();
  static constexpr std::string_view kMarker = "StoredStateData[";
  for (const auto& path : storage.list_snapshots()) {
    if (path == Framework::kStatePath) continue;
    const auto at = path.rfind(kMarker);
    if (at == std::string::npos || path.back() != ']') continue;
    if (at != 0 && path[at - 1] != '/') continue;
    StoredStateValue value;
    value.owner_path = at == 0 ? std::string() : path.substr(0, at - 1);
    value.name = path.substr(at + kMarker.size(), path.size() - at - kMarker.size() - 1);
    value.content = storage.load_snapshot(path).value_or(nlohmann::json::object());
    out.stored_states.push_back(std::move(value));
  }
  if (action_failure) {
    throw ActionFailed(
        *action_failure,
        ActionOutput{action_results.value_or(nlohmann::json::object()), action_logs});
  }
  return out;
}

}  // namespace ops::testing
