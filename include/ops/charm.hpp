// The charm and its events. Charm metadata (CharmMeta and the *Meta types)
// is in charm_meta.hpp, included here, so that code which only reads a
// charm's metadata does not need the framework, the Model or Pebble.
#pragma once

#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ops/charm_meta.hpp"
#include "ops/framework.hpp"
#include "ops/model.hpp"
#include "ops/pebble.hpp"

// ===========================================================================
// The charm and its events (Python ops' CharmBase, CharmEvents and the event
// classes of ops/charm.py).
//
// A charm is a subclass of CharmBase. Its constructor observes the events it
// cares about on `on`, the CharmEvents object that holds one EventSource per
// Juju event: the fixed ones (install, config_changed, collect_unit_status,
// ...) as members, and the ones named after the charm's metadata (per
// endpoint `db_relation_changed`, per storage `data_storage_attached`, per
// action `get_password_action`, per container `redis_pebble_ready`) defined
// at run time. The run-time ones are reached through an accessor per name:
//
//   fw.observe<&MyCharm::on_peers_changed>(on["redis-peers"].relation_changed, *this);
//   fw.observe<&MyCharm::on_get_password>(on.action("get-password").action, *this);
//   fw.observe<&MyCharm::on_ready>(on.container("redis").pebble_ready, *this);
//
// or by kind with on.get<RelationChangedEvent>("redis_peers_relation_changed").
// (Unlike Python, on[name] is for relation endpoints only: observe() needs
// the event source's static type, so each kind of name has its accessor.)
//
// Every event carries what its Juju hook is about (relation, remote unit,
// storage, container, secret, action) as one typed E::Args (e.g.
// RelationEvent::Args{relation_name, relation_id, app_name, unit_name,
// departing_unit}); ops::main builds it from the JUJU_* environment, the
// testing Harness and Context from their state, and the event's
// snapshot() / restore() are Args::snapshot() / Args::from_snapshot() with
// Python ops' snapshot keys, so a deferred event finds the same relation,
// remote app and unit, or secret in a later dispatch. Action events, stop, remove,
// secret-rotate, secret-expired and the collect-status events cannot be
// deferred (defer() throws FrameworkError).
//
// Errors: restore() throws FrameworkError when the snapshot is malformed;
// accessors that reach the Model throw its ModelError subclasses.
// ===========================================================================

namespace ops {

class CharmBase;

// Thrown by charm code to end the dispatch at once with `exit_code` and
// without committing anything (Python ops' internal _Abort): load_config()
// and load_params() use it to stop after reporting invalid input.
class AbortDispatch : public std::exception {
 public:
  explicit AbortDispatch(int exit_code = 0) : exit_code_(exit_code) {}
  int exit_code() const noexcept { return exit_code_; }
  const char* what() const noexcept override { return "dispatch aborted"; }

 private:
  int exit_code_;
};

// Input that does not fit the type a charm asked for (load_params(); config
// errors are ModelError from Config::load). The message names what is wrong.
class InvalidParamsError : public Error {
 public:
  using Error::Error;
};

namespace detail {
// A copy of a JSON object with "-" in its top-level keys turned into "_".
nlohmann::json underscore_keys(const nlohmann::json& object);
}  // namespace detail

// The arguments of an event that carries no data (install, start, ...):
// its snapshot is null.
struct NoEventArgs {
  [[nodiscard]] nlohmann::json snapshot() const { return nullptr; }
  bool operator==(const NoEventArgs&) const = default;
};

// Base of the events Juju sends (hooks). Every event class E has one typed
// description of its data, E::Args, used by ops::main (built from the
// JUJU_* environment), the testing Harness and Context, and the event's
// snapshot()/restore(): Args::snapshot() and Args::from_snapshot() are the
// only places the snapshot keys are spelled. E::kKind names the event
// (for per-endpoint, storage and container events, the kind after the
// "<name>_" prefix); event_kind<E>(args) gives the full kind.
class HookEvent : public EventBase {
 public:
  using EventBase::EventBase;
  using Args = NoEventArgs;
};

// A hook event that must run now: defer() throws FrameworkError.
class UndeferrableHookEvent : public HookEvent {
 public:
  using HookEvent::HookEvent;
  bool deferrable() const noexcept override { return false; }
};

class InstallEvent : public HookEvent {
 public:
  using HookEvent::HookEvent;
  static constexpr std::string_view kKind = "install";
};
class StartEvent : public HookEvent {
 public:
  using HookEvent::HookEvent;
  static constexpr std::string_view kKind = "start";
};
// The unit is shutting down; there is no later dispatch to defer to.
class StopEvent : public UndeferrableHookEvent {
 public:
  using UndeferrableHookEvent::UndeferrableHookEvent;
  static constexpr std::string_view kKind = "stop";
};
// The unit is about to be removed; there is no later dispatch to defer to.
class RemoveEvent : public UndeferrableHookEvent {
 public:
  using UndeferrableHookEvent::UndeferrableHookEvent;
  static constexpr std::string_view kKind = "remove";
};
class ConfigChangedEvent : public HookEvent {
 public:
  using HookEvent::HookEvent;
  static constexpr std::string_view kKind = "config_changed";
};
class UpdateStatusEvent : public HookEvent {
 public:
  using HookEvent::HookEvent;
  static constexpr std::string_view kKind = "update_status";
};
class UpgradeCharmEvent : public HookEvent {
 public:
  using HookEvent::HookEvent;
  static constexpr std::string_view kKind = "upgrade_charm";
};
class PreSeriesUpgradeEvent : public HookEvent {
 public:
  using HookEvent::HookEvent;
  static constexpr std::string_view kKind = "pre_series_upgrade";
};
class PostSeriesUpgradeEvent : public HookEvent {
 public:
  using HookEvent::HookEvent;
  static constexpr std::string_view kKind = "post_series_upgrade";
};
class LeaderElectedEvent : public HookEvent {
 public:
  using HookEvent::HookEvent;
  static constexpr std::string_view kKind = "leader_elected";
};
class LeaderSettingsChangedEvent : public HookEvent {
 public:
  using HookEvent::HookEvent;
  static constexpr std::string_view kKind = "leader_settings_changed";
};
// Runs in Juju's restricted context: deferred events are not re-emitted and
// collect-status does not run before or after it.
class CollectMetricsEvent : public HookEvent {
 public:
  using HookEvent::HookEvent;
  static constexpr std::string_view kKind = "collect_metrics";
};

// ------------------------------------------------------------ relation events

// Base of the <endpoint>_relation_* events.
class RelationEvent : public HookEvent {
 public:
  // What Juju says about a relation event (JUJU_RELATION, JUJU_RELATION_ID,
  // JUJU_REMOTE_APP, JUJU_REMOTE_UNIT, JUJU_DEPARTING_UNIT). The snapshot
  // keeps app_name and unit_name, so a deferred event re-emitted in a later
  // dispatch still names its remote app and unit.
  struct Args {
    std::string relation_name = {};
    int relation_id = -1;
    std::optional<std::string> app_name = std::nullopt;        // the remote application
    std::optional<std::string> unit_name = std::nullopt;       // the remote unit that triggered it
    std::optional<std::string> departing_unit = std::nullopt;  // relation-departed only
    // {"relation_name", "relation_id"} plus "app_name", "unit_name",
    // "departing_unit" when set.
    [[nodiscard]] nlohmann::json snapshot() const;
    // FrameworkError naming `event_path` when relation_name or relation_id
    // is missing or mistyped.
    [[nodiscard]] static Args from_snapshot(const nlohmann::json& snapshot,
                                            std::string_view event_path);
    bool operator==(const Args&) const = default;
  };

  using HookEvent::HookEvent;
  RelationEvent(Handle handle, Args args);
  // An event about relation `relation_id` on `relation_name`, from remote
  // application `app_name` and unit `unit_name` (either may be empty).
  RelationEvent(Handle handle, std::string relation_name, int relation_id,
                std::optional<std::string> app_name, std::optional<std::string> unit_name);

  nlohmann::json snapshot() const override;
  // Throws FrameworkError when relation_name or relation_id is missing.
  void restore(const nlohmann::json& snapshot) override;
  [[nodiscard]] const Args& args() const noexcept { return args_; }

  // The relation; during relation-broken it is inactive.
  [[nodiscard]] Relation& relation() const;
  // The remote application, or null when Juju did not say (ops logs a warning).
  [[nodiscard]] Application* app() const;
  // The remote unit that triggered the event; null for relation-created,
  // relation-broken and application-level changes.
  [[nodiscard]] Unit* unit() const;

  [[nodiscard]] const std::string& relation_name() const noexcept { return args_.relation_name; }
  [[nodiscard]] int relation_id() const noexcept { return args_.relation_id; }
  [[nodiscard]] const std::optional<std::string>& app_name() const noexcept {
    return args_.app_name;
  }
  [[nodiscard]] const std::optional<std::string>& unit_name() const noexcept {
    return args_.unit_name;
  }

 private:
  Args args_;
};

class RelationCreatedEvent : public RelationEvent {
 public:
  using RelationEvent::RelationEvent;
  static constexpr std::string_view kKind = "relation_created";
};
class RelationJoinedEvent : public RelationEvent {
 public:
  using RelationEvent::RelationEvent;
  static constexpr std::string_view kKind = "relation_joined";
};
class RelationChangedEvent : public RelationEvent {
 public:
  using RelationEvent::RelationEvent;
  static constexpr std::string_view kKind = "relation_changed";
};
// A unit leaves the relation; Args::departing_unit says which.
class RelationDepartedEvent : public RelationEvent {
 public:
  using RelationEvent::RelationEvent;
  static constexpr std::string_view kKind = "relation_departed";
  RelationDepartedEvent(Handle handle, std::string relation_name, int relation_id,
                        std::optional<std::string> app_name, std::optional<std::string> unit_name,
                        std::optional<std::string> departing_unit_name);
  // The unit that is leaving (maybe this one), or null when Juju did not say.
  [[nodiscard]] Unit* departing_unit() const;
  [[nodiscard]] const std::optional<std::string>& departing_unit_name() const noexcept {
    return args().departing_unit;
  }
};
// The relation is gone: it is inactive and absent from Model::relations().
class RelationBrokenEvent : public RelationEvent {
 public:
  using RelationEvent::RelationEvent;
  static constexpr std::string_view kKind = "relation_broken";
};

// ------------------------------------------------------------- storage events

// Base of <storage>_storage_attached/detaching.
class StorageEvent : public HookEvent {
 public:
  // JUJU_STORAGE_ID ("data/1") and the location storage-get reports.
  struct Args {
    std::string storage_name = {};
    int storage_index = -1;
    std::string storage_location = {};
    // {"storage_name", "storage_index", "storage_location"}.
    [[nodiscard]] nlohmann::json snapshot() const;
    // FrameworkError naming `event_path` when a key is missing or mistyped.
    [[nodiscard]] static Args from_snapshot(const nlohmann::json& snapshot,
                                            std::string_view event_path);
    bool operator==(const Args&) const = default;
  };

  using HookEvent::HookEvent;
  StorageEvent(Handle handle, Args args);
  StorageEvent(Handle handle, std::string storage_name, int storage_index,
               std::string storage_location);
  nlohmann::json snapshot() const override;
  void restore(const nlohmann::json& snapshot) override;
  [[nodiscard]] const Args& args() const noexcept { return args_; }

  [[nodiscard]] const std::string& storage_name() const noexcept { return args_.storage_name; }
  [[nodiscard]] int storage_index() const noexcept { return args_.storage_index; }
  // Where the instance is mounted, as Juju said when the event was emitted.
  [[nodiscard]] const std::string& storage_location() const noexcept {
    return args_.storage_location;
  }
  // The attached instance from Model::storages() (storage-list); ModelError
  // when it is no longer attached.
  [[nodiscard]] Storage& storage() const;

 private:
  Args args_;
};
class StorageAttachedEvent : public StorageEvent {
 public:
  using StorageEvent::StorageEvent;
  static constexpr std::string_view kKind = "storage_attached";
};
class StorageDetachingEvent : public StorageEvent {
 public:
  using StorageEvent::StorageEvent;
  static constexpr std::string_view kKind = "storage_detaching";
};

// ------------------------------------------------------------ workload events

// Base of the <container>_pebble_* events.
class WorkloadEvent : public HookEvent {
 public:
  // JUJU_WORKLOAD_NAME.
  struct Args {
    std::string container_name = {};
    // {"container_name"}.
    [[nodiscard]] nlohmann::json snapshot() const;
    [[nodiscard]] static Args from_snapshot(const nlohmann::json& snapshot,
                                            std::string_view event_path);
    bool operator==(const Args&) const = default;
  };

  using HookEvent::HookEvent;
  WorkloadEvent(Handle handle, Args args);
  WorkloadEvent(Handle handle, std::string container_name);
  nlohmann::json snapshot() const override;
  void restore(const nlohmann::json& snapshot) override;
  // The container's name as declared in metadata.
  [[nodiscard]] const std::string& workload_name() const noexcept { return container_; }
  // The container (Model::unit().get_container()); its Pebble client is
  // made on first use.
  [[nodiscard]] Container& workload() const;

 private:
  std::string container_;
};
// Pebble in the container answers.
class PebbleReadyEvent : public WorkloadEvent {
 public:
  using WorkloadEvent::WorkloadEvent;
  static constexpr std::string_view kKind = "pebble_ready";
};

// The notice a Pebble notice event is about.
struct PebbleNoticeRef {
  std::string id;
  std::string type;  // e.g. "custom"
  std::string key;   // e.g. "example.com/reload"
  bool operator==(const PebbleNoticeRef&) const = default;
};

class PebbleNoticeEvent : public WorkloadEvent {
 public:
  // JUJU_WORKLOAD_NAME, JUJU_NOTICE_ID, JUJU_NOTICE_TYPE, JUJU_NOTICE_KEY.
  struct Args {
    std::string container_name = {};
    PebbleNoticeRef notice = {};
    // {"container_name", "notice_id", "notice_type", "notice_key"}.
    [[nodiscard]] nlohmann::json snapshot() const;
    [[nodiscard]] static Args from_snapshot(const nlohmann::json& snapshot,
                                            std::string_view event_path);
    bool operator==(const Args&) const = default;
  };

  using WorkloadEvent::WorkloadEvent;
  PebbleNoticeEvent(Handle handle, Args args);
  PebbleNoticeEvent(Handle handle, std::string container_name, PebbleNoticeRef notice);
  nlohmann::json snapshot() const override;
  void restore(const nlohmann::json& snapshot) override;
  const PebbleNoticeRef& notice() const noexcept { return notice_; }
  // The notice's current details from Pebble (a request to the container).
  [[nodiscard]] pebble::Notice fetch_notice() const;

 private:
  PebbleNoticeRef notice_;
};
class PebbleCustomNoticeEvent : public PebbleNoticeEvent {
 public:
  using PebbleNoticeEvent::PebbleNoticeEvent;
  static constexpr std::string_view kKind = "pebble_custom_notice";
};

class PebbleCheckEvent : public WorkloadEvent {
 public:
  // JUJU_WORKLOAD_NAME, JUJU_PEBBLE_CHECK_NAME.
  struct Args {
    std::string container_name = {};
    std::string check_name = {};
    // {"container_name", "check_name"}.
    [[nodiscard]] nlohmann::json snapshot() const;
    [[nodiscard]] static Args from_snapshot(const nlohmann::json& snapshot,
                                            std::string_view event_path);
    bool operator==(const Args&) const = default;
  };

  using WorkloadEvent::WorkloadEvent;
  PebbleCheckEvent(Handle handle, Args args);
  PebbleCheckEvent(Handle handle, std::string container_name, std::string check_name);
  nlohmann::json snapshot() const override;
  void restore(const nlohmann::json& snapshot) override;
  // The check that failed or recovered.
  const std::string& check_name() const noexcept { return check_; }
  // The check's current state from Pebble (a request to the container).
  [[nodiscard]] pebble::CheckInfo info() const;

 private:
  std::string check_;
};
class PebbleCheckFailedEvent : public PebbleCheckEvent {
 public:
  using PebbleCheckEvent::PebbleCheckEvent;
  static constexpr std::string_view kKind = "pebble_check_failed";
};
class PebbleCheckRecoveredEvent : public PebbleCheckEvent {
 public:
  using PebbleCheckEvent::PebbleCheckEvent;
  static constexpr std::string_view kKind = "pebble_check_recovered";
};

// -------------------------------------------------------------- secret events

// Base of the secret_* events.
class SecretEvent : public HookEvent {
 public:
  // JUJU_SECRET_ID, JUJU_SECRET_LABEL.
  struct Args {
    std::string id = {};
    std::optional<std::string> label = std::nullopt;
    // {"id", "label"} (label null when the secret has none).
    [[nodiscard]] nlohmann::json snapshot() const;
    [[nodiscard]] static Args from_snapshot(const nlohmann::json& snapshot,
                                            std::string_view event_path);
    bool operator==(const Args&) const = default;
  };

  using HookEvent::HookEvent;
  SecretEvent(Handle handle, Args args);
  SecretEvent(Handle handle, std::string id, std::optional<std::string> label);
  nlohmann::json snapshot() const override;
  void restore(const nlohmann::json& snapshot) override;
  // The secret; its content is fetched only when asked for.
  [[nodiscard]] Secret secret() const;
  [[nodiscard]] const std::string& id() const noexcept { return id_; }
  const std::optional<std::string>& label() const noexcept { return label_; }

 private:
  std::string id_;
  std::optional<std::string> label_;
};
class SecretChangedEvent : public SecretEvent {
 public:
  using SecretEvent::SecretEvent;
  static constexpr std::string_view kKind = "secret_changed";
};
// Juju fires it again until the owner makes a new revision: not deferrable.
class SecretRotateEvent : public SecretEvent {
 public:
  using SecretEvent::SecretEvent;
  static constexpr std::string_view kKind = "secret_rotate";
  bool deferrable() const noexcept override { return false; }
};
// A secret event about one revision.
class SecretRevisionEvent : public SecretEvent {
 public:
  // JUJU_SECRET_ID, JUJU_SECRET_LABEL, JUJU_SECRET_REVISION.
  struct Args {
    std::string id = {};
    std::optional<std::string> label = std::nullopt;
    int revision = 0;
    // {"id", "label", "revision"}.
    [[nodiscard]] nlohmann::json snapshot() const;
    [[nodiscard]] static Args from_snapshot(const nlohmann::json& snapshot,
                                            std::string_view event_path);
    bool operator==(const Args&) const = default;
  };

  using SecretEvent::SecretEvent;
  SecretRevisionEvent(Handle handle, Args args);
  SecretRevisionEvent(Handle handle, std::string id, std::optional<std::string> label,
                      int revision);
  nlohmann::json snapshot() const override;
  void restore(const nlohmann::json& snapshot) override;
  int revision() const noexcept { return revision_; }
  // Removes the revision this event is about (secret-remove --revision).
  void remove_revision() const;

 private:
  int revision_ = 0;
};
class SecretRemoveEvent : public SecretRevisionEvent {
 public:
  using SecretRevisionEvent::SecretRevisionEvent;
  static constexpr std::string_view kKind = "secret_remove";
};
// Juju fires it again until the revision is removed: not deferrable.
class SecretExpiredEvent : public SecretRevisionEvent {
 public:
  using SecretRevisionEvent::SecretRevisionEvent;
  static constexpr std::string_view kKind = "secret_expired";
  bool deferrable() const noexcept override { return false; }
};

// ------------------------------------------------------------- action events

// What load_config() and load_params() do with input that does not fit.
enum class OnInvalid {
  kRaise,    // throw (ModelError / InvalidParamsError)
  kBlocked,  // load_config: set the unit BlockedStatus("Invalid config: ...") and AbortDispatch(0)
  kFail,     // load_params: action-fail "Error in action parameters: ..." and AbortDispatch(0)
};

// <action>_action: an administrator ran an action and waits for its result,
// so it cannot be deferred. The parameters are read again (action-get) when
// the event is restored.
class ActionEvent : public EventBase {
 public:
  // JUJU_ACTION_UUID.
  struct Args {
    std::string id = {};
    // {"id"}.
    [[nodiscard]] nlohmann::json snapshot() const;
    [[nodiscard]] static Args from_snapshot(const nlohmann::json& snapshot,
                                            std::string_view event_path);
    bool operator==(const Args&) const = default;
  };

  using EventBase::EventBase;
  ActionEvent(Handle handle, Args args);
  ActionEvent(Handle handle, std::string id);

  bool deferrable() const noexcept override { return false; }
  nlohmann::json snapshot() const override;
  // Reads the parameters with action-get.
  void restore(const nlohmann::json& snapshot) override;

  // The action's invocation id (JUJU_ACTION_UUID).
  [[nodiscard]] const std::string& id() const noexcept { return id_; }
  // The parameters, a JSON object as Juju passed them.
  [[nodiscard]] const nlohmann::json& params() const noexcept { return params_; }
  // The parameters as T through nlohmann's from_json, with "-" in names
  // turned into "_". Bad input: InvalidParamsError naming the problem, or
  // with OnInvalid::kFail the action fails with that message and the
  // dispatch ends (AbortDispatch(0)).
  template <class T>
  T load_params(OnInvalid on_invalid = OnInvalid::kRaise) const;

  // Reports results (action-set); nested objects are flattened with dots.
  // ModelError for a key Juju would refuse.
  void set_results(const nlohmann::json& results) const;
  // Shows a progress message to the user (action-log).
  void log(const std::string& message) const;
  // Marks the action failed (action-fail).
  void fail(const std::string& message = {}) const;

 private:
  [[noreturn]] void invalid_params(const std::string& message, OnInvalid on_invalid) const;

  std::string id_;
  nlohmann::json params_ = nlohmann::json::object();
};

// ------------------------------------------------------------ collect-status

// collect_app_status / collect_unit_status: emitted at the end of every
// dispatch (the app one on the leader only) so that each part of the charm
// can add the status it wants; the framework then sets the most severe one:
// blocked > maintenance > waiting > active, the first added on ties. Not
// deferrable.
class CollectStatusEvent : public LifecycleEvent {
 public:
  using LifecycleEvent::LifecycleEvent;
  // Adds a status for evaluation; InvalidStatusError for error/unknown.
  void add_status(const StatusBase& status);
};

// --------------------------------------------------------------- CharmEvents

// The five events of one relation endpoint: on["db"].relation_changed.
struct RelationEndpointEvents {
  EventSource<RelationCreatedEvent>& relation_created;
  EventSource<RelationJoinedEvent>& relation_joined;
  EventSource<RelationChangedEvent>& relation_changed;
  EventSource<RelationDepartedEvent>& relation_departed;
  EventSource<RelationBrokenEvent>& relation_broken;
};
// The events of one storage: on.storage("data").storage_attached.
struct StorageNameEvents {
  EventSource<StorageAttachedEvent>& storage_attached;
  EventSource<StorageDetachingEvent>& storage_detaching;
};
// The event of one action: on.action("get-password").action.
struct ActionNameEvents {
  EventSource<ActionEvent>& action;
};
// The events of one container: on.container("redis").pebble_ready.
struct ContainerEvents {
  EventSource<PebbleReadyEvent>& pebble_ready;
  EventSource<PebbleCustomNoticeEvent>& pebble_custom_notice;
  EventSource<PebbleCheckFailedEvent>& pebble_check_failed;
  EventSource<PebbleCheckRecoveredEvent>& pebble_check_recovered;
};

// The events named after one name of the charm's metadata, as ops'
// PrefixedEvents (charm.on[name]): on["db"].relation_changed,
// on["data"].storage_attached, on["redis"].pebble_ready,
// on["get-password"].action. Only the kinds the metadata declares for the
// name exist; using another throws FrameworkError naming the event.
struct PrefixedEvents {
  EventSourceRef<RelationCreatedEvent> relation_created;
  EventSourceRef<RelationJoinedEvent> relation_joined;
  EventSourceRef<RelationChangedEvent> relation_changed;
  EventSourceRef<RelationDepartedEvent> relation_departed;
  EventSourceRef<RelationBrokenEvent> relation_broken;
  EventSourceRef<StorageAttachedEvent> storage_attached;
  EventSourceRef<StorageDetachingEvent> storage_detaching;
  EventSourceRef<ActionEvent> action;
  EventSourceRef<PebbleReadyEvent> pebble_ready;
  EventSourceRef<PebbleCustomNoticeEvent> pebble_custom_notice;
  EventSourceRef<PebbleCheckFailedEvent> pebble_check_failed;
  EventSourceRef<PebbleCheckRecoveredEvent> pebble_check_recovered;
  // The endpoint's events when name is a relation endpoint (set by CharmEvents).
  const RelationEndpointEvents* endpoint_events = nullptr;

  // As RelationEndpointEvents, for code written against on.relation(name);
  // FrameworkError when name is not a relation endpoint.
  operator const RelationEndpointEvents&() const {  // NOLINT(google-explicit-constructor)
    if (endpoint_events == nullptr) static_cast<void>(relation_changed.source());
    return *endpoint_events;
  }
};

// A charm's `on`: the fixed Juju events as members and, defined from the
// charm's metadata, the events of each endpoint, storage, action and
// container (names with "-" become "_" in kinds: "redis-peers" ->
// "redis_peers_relation_changed").
class CharmEvents : public ObjectEvents {
 public:
  // Defines the metadata's events on charm's `on` ("<charm>/on").
  CharmEvents(Object& charm, const CharmMeta& meta);
  ~CharmEvents() override;

  EventSource<InstallEvent> install{*this, "install"};
  EventSource<StartEvent> start{*this, "start"};
  EventSource<StopEvent> stop{*this, "stop"};
  EventSource<RemoveEvent> remove{*this, "remove"};
  EventSource<UpdateStatusEvent> update_status{*this, "update_status"};
  EventSource<ConfigChangedEvent> config_changed{*this, "config_changed"};
  EventSource<UpgradeCharmEvent> upgrade_charm{*this, "upgrade_charm"};
  EventSource<PreSeriesUpgradeEvent> pre_series_upgrade{*this, "pre_series_upgrade"};
  EventSource<PostSeriesUpgradeEvent> post_series_upgrade{*this, "post_series_upgrade"};
  EventSource<LeaderElectedEvent> leader_elected{*this, "leader_elected"};
  EventSource<LeaderSettingsChangedEvent> leader_settings_changed{*this, "leader_settings_changed"};
  EventSource<CollectMetricsEvent> collect_metrics{*this, "collect_metrics"};
  EventSource<SecretChangedEvent> secret_changed{*this, "secret_changed"};
  EventSource<SecretExpiredEvent> secret_expired{*this, "secret_expired"};
  EventSource<SecretRotateEvent> secret_rotate{*this, "secret_rotate"};
  EventSource<SecretRemoveEvent> secret_remove{*this, "secret_remove"};
  EventSource<CollectStatusEvent> collect_app_status{*this, "collect_app_status"};
  EventSource<CollectStatusEvent> collect_unit_status{*this, "collect_unit_status"};

  // The events named after `name`, a relation endpoint, storage, container
  // or action of the metadata (ops' on[name]); throws FrameworkError when
  // the metadata declares nothing of that name. For an event kind known
  // only at run time ("install", "db_relation_changed"), use event(kind),
  // find(kind) or get<E>(kind).
  const PrefixedEvents& operator[](std::string_view name) const;
  // Same as operator[].
  [[nodiscard]] const RelationEndpointEvents& relation(std::string_view endpoint) const;
  // The events of a storage, action or container declared in metadata;
  // FrameworkError for an undeclared name.
  [[nodiscard]] const StorageNameEvents& storage(std::string_view name) const;
  [[nodiscard]] const ActionNameEvents& action(std::string_view name) const;
  [[nodiscard]] const ContainerEvents& container(std::string_view name) const;

  // The source of an event kind ("install", "db_relation_changed"), or null.
  using ObjectEvents::find;
  using ObjectEvents::get;

  // "redis-peers" -> "redis_peers".
  [[nodiscard]] static std::string kind_prefix(std::string_view name);

 private:
  template <class T>
  using NameMap = std::map<std::string, std::unique_ptr<T>, std::less<>>;
  NameMap<RelationEndpointEvents> relations_;
  NameMap<StorageNameEvents> storages_;
  NameMap<ActionNameEvents> actions_;
  NameMap<ContainerEvents> containers_;
  NameMap<PrefixedEvents> prefixed_;
};

// The kind Juju's dispatch gives an event of type E with `args`:
// event_kind<InstallEvent>({}) is "install",
// event_kind<RelationChangedEvent>({.relation_name = "redis-peers", ...}) is
// "redis_peers_relation_changed". Action events are named by their action
// (CharmEvents::kind_prefix(name) + "_action"), which their Args do not hold.
template <class E>
std::string event_kind(const typename E::Args& args) {
  static_assert(!std::is_base_of_v<ActionEvent, E>,
                "an action event's kind is <action>_action: its Args do not name the action");
  if constexpr (std::is_base_of_v<RelationEvent, E>) {
    return CharmEvents::kind_prefix(args.relation_name) + "_" + std::string(E::kKind);
  } else if constexpr (std::is_base_of_v<StorageEvent, E>) {
    return CharmEvents::kind_prefix(args.storage_name) + "_" + std::string(E::kKind);
  } else if constexpr (std::is_base_of_v<WorkloadEvent, E>) {
    return CharmEvents::kind_prefix(args.container_name) + "_" + std::string(E::kKind);
  } else {
    static_cast<void>(args);
    return std::string(E::kKind);
  }
}

// ----------------------------------------------------------------- CharmBase

// Base class of every charm. A charm's constructor takes the Framework (whose
// Model must be set), passes a stable name to CharmBase (the root of every
// handle path the charm stores, e.g. "RedisK8sCharm") and observes events:
//
//   class MyCharm : public ops::CharmBase {
//    public:
//     explicit MyCharm(ops::Framework& fw) : CharmBase(fw, "MyCharm") {
//       fw.observe<&MyCharm::on_config_changed>(on.config_changed, *this);
//     }
//     void on_config_changed(ops::ConfigChangedEvent& event);
//   };
class CharmBase : public Object {
 public:
  // The charm "name" on framework; throws FrameworkError when the framework
  // has no Model (the metadata comes from Model::meta()).
  CharmBase(Framework& framework, std::string_view name);
  ~CharmBase() override;

  // This unit and its application.
  [[nodiscard]] Unit& unit() const;
  [[nodiscard]] Application& app() const;
  // The charm's metadata.
  [[nodiscard]] const CharmMeta& meta() const;
  // The charm's config (config-get on first use).
  [[nodiscard]] Config& config() const;

  // The whole config as T through nlohmann's from_json, with "-" in option
  // names turned into "_" (ops' load_config). Bad config: ModelError naming
  // what does not fit, or with OnInvalid::kBlocked the unit is set
  // BlockedStatus("Invalid config: ...") and the dispatch ends
  // (AbortDispatch(0): no retry by Juju, nothing committed). An exception
  // the charm's own from_json throws (any std::exception) counts as bad
  // config too, its what() as the message; with kRaise it propagates.
  template <class T>
  T load_config(OnInvalid on_invalid = OnInvalid::kRaise) const;

  // Statuses added by collect-status handlers since evaluate_status() began.
  const std::vector<StatusBase>& collected_app_statuses() const noexcept { return app_statuses_; }
  const std::vector<StatusBase>& collected_unit_statuses() const noexcept { return unit_statuses_; }

 private:
  Model& model_;
  [[noreturn]] void invalid_config(const std::string& message, OnInvalid on_invalid) const;

 public:
  // The charm's events (declared after model_ so the metadata is at hand).
  CharmEvents on;

 private:
  friend class CollectStatusEvent;
  friend void evaluate_status(CharmBase& charm);
  std::vector<StatusBase> app_statuses_;
  std::vector<StatusBase> unit_statuses_;
};

// Runs collect-status: on the leader collect_app_status, then
// collect_unit_status, and sets the most severe status each collected (none
// when nothing was added). Leadership (is-leader) is asked only when
// collect_app_status is observed. ops::main calls this after the event.
void evaluate_status(CharmBase& charm);

// ---- template definitions --------------------------------------------------

template <class T>
T ActionEvent::load_params(OnInvalid on_invalid) const {
  try {
    return detail::underscore_keys(params_).template get<T>();
  } catch (const nlohmann::json::exception& e) {
    invalid_params(e.what(), on_invalid);
  } catch (const AbortDispatch&) {
    throw;
  } catch (const std::exception& e) {
    // The charm's own from_json refused the input (a validation error).
    if (on_invalid == OnInvalid::kRaise) throw;
    invalid_params(e.what(), on_invalid);
  }
}

template <class T>
T CharmBase::load_config(OnInvalid on_invalid) const {
  try {
    return detail::underscore_keys(config().values()).template get<T>();
  } catch (const nlohmann::json::exception& e) {
    invalid_config(e.what(), on_invalid);
  } catch (const AbortDispatch&) {
    throw;
  } catch (const std::exception& e) {
    // The charm's own from_json refused the config (a validation error).
    if (on_invalid == OnInvalid::kRaise) throw;
    invalid_config(e.what(), on_invalid);
  }
}

}  // namespace ops
