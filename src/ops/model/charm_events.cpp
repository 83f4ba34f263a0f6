// The charm event classes: snapshot/restore with Python ops' keys, and what
// each event gives its handler (relation, storage, secret, action...).
#include <map>
#include <type_traits>
#include <vector>

#include "ops/charm.hpp"

namespace ops {

namespace detail {

nlohmann::json underscore_keys(const nlohmann::json& object) {
  if (!object.is_object()) return object;
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, value] : object.items()) {
    std::string name = key;
    for (char& c : name) {
      if (c == '-') c = '_';
    }
    out[name] = value;
  }
  return out;
}

}  // namespace detail

namespace {

// The entry of `name` in one of CharmEvents' name maps, or null.
template <class Map>
auto find_in(const Map& map, std::string_view name) -> decltype(map.begin()->second.get()) {
  const auto it = map.find(name);
  return it == map.end() ? nullptr : it->second.get();
}

// "<charm>/on: 'db' is not a storage in the charm's metadata, so there is no
// event db_storage_attached": the error of a missing source of on[name].
std::string missing_event_message(const detail::MissingEvent& missing) {
  return missing.events->handle().path() + ": '" + std::string(missing.name) + "' is not " +
         std::string(missing.what) + " in the charm's metadata, so there is no event " +
         CharmEvents::kind_prefix(missing.name) + std::string(missing.suffix);
}

// The value of `key` in snapshot, or null.
const nlohmann::json* find_key(const nlohmann::json& snapshot, std::string_view key) {
  if (!snapshot.is_object()) return nullptr;
  auto it = snapshot.find(key);
  return it == snapshot.end() ? nullptr : &*it;
}

// The value of a required snapshot key (`value`, null when absent) as T;
// FrameworkError names the event and key.
template <class T>
T required_value_as(const nlohmann::json* value, std::string_view key,
                    std::string_view event_path) {
  if (value == nullptr || value->is_null()) {
    throw FrameworkError("cannot restore " + std::string(event_path) + ": snapshot has no '" +
                         std::string(key) + "'");
  }
  try {
    return value->get<T>();
  } catch (const nlohmann::json::exception&) {
    throw FrameworkError("cannot restore " + std::string(event_path) + ": snapshot key '" +
                         std::string(key) + "' has the wrong type: " + value->dump());
  }
}

template <class T>
T required_as(const nlohmann::json& snapshot, const char* key, std::string_view event_path) {
  return required_value_as<T>(find_key(snapshot, key), key, event_path);
}

// A non-empty string value (`value`, null when absent), else nullopt.
std::optional<std::string> non_empty_string(const nlohmann::json* value) {
  if (value == nullptr || !value->is_string()) return std::nullopt;
  const auto& text = value->get_ref<const std::string&>();
  if (text.empty()) return std::nullopt;
  return text;
}

std::optional<std::string> optional_string(const nlohmann::json& snapshot, const char* key) {
  return non_empty_string(find_key(snapshot, key));
}

}  // namespace

// ---- relations ---------------------------------------------------------------
// The snapshot keys are Python ops' (RelationEvent.snapshot).

nlohmann::json RelationEvent::Args::snapshot() const {
  // Built key by key: a JSON initializer list costs several times more, and
  // this runs for every relation event.
  nlohmann::json out(nlohmann::json::value_t::object);
  auto& fields = out.get_ref<nlohmann::json::object_t&>();
  fields.emplace("relation_name", relation_name);
  fields.emplace("relation_id", relation_id);
  if (app_name) fields.emplace("app_name", *app_name);
  if (unit_name) fields.emplace("unit_name", *unit_name);
  if (departing_unit) fields.emplace("departing_unit", *departing_unit);
  return out;
}

RelationEvent::Args RelationEvent::Args::from_snapshot(const nlohmann::json& snapshot,
                                                       std::string_view event_path) {
  // One pass over the snapshot's keys, not a lookup per key: this runs for
  // every observer of every relation event. Same rules as required_as and
  // optional_string.
  const nlohmann::json* fields[5] = {};
  static constexpr std::string_view kKeys[5] = {"relation_name", "relation_id", "app_name",
                                                "unit_name", "departing_unit"};
  if (snapshot.is_object()) {
    for (const auto& [key, value] : snapshot.get_ref<const nlohmann::json::object_t&>()) {
      for (std::size_t i = 0; i < 5; ++i) {
        if (key == kKeys[i]) {
          fields[i] = &value;
          break;
        }
      }
    }
  }
  return {required_value_as<std::string>(fields[0], kKeys[0], event_path),
          required_value_as<int>(fields[1], kKeys[1], event_path), non_empty_string(fields[2]),
          non_empty_string(fields[3]), non_empty_string(fields[4])};
}

RelationEvent::RelationEvent(Handle handle, Args args)
    : HookEvent(std::move(handle)), args_(std::move(args)) {}

RelationEvent::RelationEvent(Handle handle, std::string relation_name, int relation_id,
                             std::optional<std::string> app_name,
                             std::optional<std::string> unit_name)
    : RelationEvent(std::move(handle), Args{std::move(relation_name), relation_id,
                                            std::move(app_name), std::move(unit_name)}) {}

nlohmann::json RelationEvent::snapshot() const { return args_.snapshot(); }

void RelationEvent::restore(const nlohmann::json& snapshot) {
  args_ = Args::from_snapshot(snapshot, handle().path());
}

Relation& RelationEvent::relation() const {
  Relation* relation = framework().model().get_relation(args_.relation_name, args_.relation_id);
  if (relation == nullptr) {
    throw RelationNotFoundError("relation " + args_.relation_name + ":" +
                                std::to_string(args_.relation_id) + " not found");
  }
  return *relation;
}

Application* RelationEvent::app() const {
  if (!args_.app_name) return nullptr;
  return &framework().model().get_app(*args_.app_name);
}

Unit* RelationEvent::unit() const {
  if (!args_.unit_name) return nullptr;
  return &framework().model().get_unit(*args_.unit_name);
}

RelationDepartedEvent::RelationDepartedEvent(Handle handle, std::string relation_name,
                                             int relation_id, std::optional<std::string> app_name,
                                             std::optional<std::string> unit_name,
                                             std::optional<std::string> departing_unit_name)
    : RelationEvent(std::move(handle),
                    Args{std::move(relation_name), relation_id, std::move(app_name),
                         std::move(unit_name), std::move(departing_unit_name)}) {}

Unit* RelationDepartedEvent::departing_unit() const {
  if (!args().departing_unit) return nullptr;
  return &framework().model().get_unit(*args().departing_unit);
}

// ---- storage -----------------------------------------------------------------

nlohmann::json StorageEvent::Args::snapshot() const {
  return {{"storage_name", storage_name},
          {"storage_index", storage_index},
          {"storage_location", storage_location}};
}

StorageEvent::Args StorageEvent::Args::from_snapshot(const nlohmann::json& snapshot,
                                                     std::string_view event_path) {
  return {required_as<std::string>(snapshot, "storage_name", event_path),
          required_as<int>(snapshot, "storage_index", event_path),
          required_as<std::string>(snapshot, "storage_location", event_path)};
}

StorageEvent::StorageEvent(Handle handle, Args args)
    : HookEvent(std::move(handle)), args_(std::move(args)) {}

StorageEvent::StorageEvent(Handle handle, std::string storage_name, int storage_index,
                           std::string storage_location)
    : StorageEvent(std::move(handle),
                   Args{std::move(storage_name), storage_index, std::move(storage_location)}) {}

nlohmann::json StorageEvent::snapshot() const { return args_.snapshot(); }

void StorageEvent::restore(const nlohmann::json& snapshot) {
  args_ = Args::from_snapshot(snapshot, handle().path());
}

Storage& StorageEvent::storage() const {
  for (Storage& instance : framework().model().storages()[args_.storage_name]) {
    if (instance.index() == args_.storage_index) return instance;
  }
  throw ModelError("storage " + args_.storage_name + "/" + std::to_string(args_.storage_index) +
                   " is not attached");
}

// ---- workloads ---------------------------------------------------------------

nlohmann::json WorkloadEvent::Args::snapshot() const {
  return {{"container_name", container_name}};
}

WorkloadEvent::Args WorkloadEvent::Args::from_snapshot(const nlohmann::json& snapshot,
                                                       std::string_view event_path) {
  return {required_as<std::string>(snapshot, "container_name", event_path)};
}

WorkloadEvent::WorkloadEvent(Handle handle, Args args)
    : HookEvent(std::move(handle)), container_(std::move(args.container_name)) {}

WorkloadEvent::WorkloadEvent(Handle handle, std::string container_name)
    : WorkloadEvent(std::move(handle), Args{std::move(container_name)}) {}

nlohmann::json WorkloadEvent::snapshot() const { return Args{container_}.snapshot(); }

void WorkloadEvent::restore(const nlohmann::json& snapshot) {
  container_ = Args::from_snapshot(snapshot, handle().path()).container_name;
}

Container& WorkloadEvent::workload() const {
  return framework().model().unit().get_container(container_);
}

nlohmann::json PebbleNoticeEvent::Args::snapshot() const {
  return {{"container_name", container_name},
          {"notice_id", notice.id},
          {"notice_type", notice.type},
          {"notice_key", notice.key}};
}

PebbleNoticeEvent::Args PebbleNoticeEvent::Args::from_snapshot(const nlohmann::json& snapshot,
                                                               std::string_view event_path) {
  return {WorkloadEvent::Args::from_snapshot(snapshot, event_path).container_name,
          PebbleNoticeRef{required_as<std::string>(snapshot, "notice_id", event_path),
                          required_as<std::string>(snapshot, "notice_type", event_path),
                          required_as<std::string>(snapshot, "notice_key", event_path)}};
}

PebbleNoticeEvent::PebbleNoticeEvent(Handle handle, Args args)
    : WorkloadEvent(std::move(handle), std::move(args.container_name)),
      notice_(std::move(args.notice)) {}

PebbleNoticeEvent::PebbleNoticeEvent(Handle handle, std::string container_name,
                                     PebbleNoticeRef notice)
    : PebbleNoticeEvent(std::move(handle), Args{std::move(container_name), std::move(notice)}) {}

nlohmann::json PebbleNoticeEvent::snapshot() const {
  return Args{workload_name(), notice_}.snapshot();
}

void PebbleNoticeEvent::restore(const nlohmann::json& snapshot) {
  WorkloadEvent::restore(snapshot);
  notice_ = Args::from_snapshot(snapshot, handle().path()).notice;
}

pebble::Notice PebbleNoticeEvent::fetch_notice() const {
  return workload().pebble().get_notice(notice_.id);
}

nlohmann::json PebbleCheckEvent::Args::snapshot() const {
  return {{"container_name", container_name}, {"check_name", check_name}};
}

PebbleCheckEvent::Args PebbleCheckEvent::Args::from_snapshot(const nlohmann::json& snapshot,
                                                             std::string_view event_path) {
  return {WorkloadEvent::Args::from_snapshot(snapshot, event_path).container_name,
          required_as<std::string>(snapshot, "check_name", event_path)};
}

PebbleCheckEvent::PebbleCheckEvent(Handle handle, Args args)
    : WorkloadEvent(std::move(handle), std::move(args.container_name)),
      check_(std::move(args.check_name)) {}

PebbleCheckEvent::PebbleCheckEvent(Handle handle, std::string container_name,
                                   std::string check_name)
    : PebbleCheckEvent(std::move(handle), Args{std::move(container_name), std::move(check_name)}) {}

nlohmann::json PebbleCheckEvent::snapshot() const {
  return Args{workload_name(), check_}.snapshot();
}

void PebbleCheckEvent::restore(const nlohmann::json& snapshot) {
  WorkloadEvent::restore(snapshot);
  check_ = Args::from_snapshot(snapshot, handle().path()).check_name;
}

pebble::CheckInfo PebbleCheckEvent::info() const { return workload().get_check(check_); }

// ---- secrets -----------------------------------------------------------------

nlohmann::json SecretEvent::Args::snapshot() const {
  return {{"id", id}, {"label", label ? nlohmann::json(*label) : nlohmann::json(nullptr)}};
}

SecretEvent::Args SecretEvent::Args::from_snapshot(const nlohmann::json& snapshot,
                                                   std::string_view event_path) {
  return {required_as<std::string>(snapshot, "id", event_path), optional_string(snapshot, "label")};
}

SecretEvent::SecretEvent(Handle handle, Args args)
    : HookEvent(std::move(handle)), id_(std::move(args.id)), label_(std::move(args.label)) {}

SecretEvent::SecretEvent(Handle handle, std::string id, std::optional<std::string> label)
    : SecretEvent(std::move(handle), Args{std::move(id), std::move(label)}) {}

nlohmann::json SecretEvent::snapshot() const { return Args{id_, label_}.snapshot(); }

void SecretEvent::restore(const nlohmann::json& snapshot) {
  Args args = Args::from_snapshot(snapshot, handle().path());
  id_ = std::move(args.id);
  label_ = std::move(args.label);
}

Secret SecretEvent::secret() const { return Secret(framework().model().backend(), id_, label_); }

nlohmann::json SecretRevisionEvent::Args::snapshot() const {
  nlohmann::json out = SecretEvent::Args{id, label}.snapshot();
  out["revision"] = revision;
  return out;
}

SecretRevisionEvent::Args SecretRevisionEvent::Args::from_snapshot(const nlohmann::json& snapshot,
                                                                   std::string_view event_path) {
  SecretEvent::Args base = SecretEvent::Args::from_snapshot(snapshot, event_path);
  return {std::move(base.id), std::move(base.label),
          required_as<int>(snapshot, "revision", event_path)};
}

SecretRevisionEvent::SecretRevisionEvent(Handle handle, Args args)
    : SecretEvent(std::move(handle), SecretEvent::Args{std::move(args.id), std::move(args.label)}),
      revision_(args.revision) {}

SecretRevisionEvent::SecretRevisionEvent(Handle handle, std::string id,
                                         std::optional<std::string> label, int revision)
    : SecretRevisionEvent(std::move(handle), Args{std::move(id), std::move(label), revision}) {}

nlohmann::json SecretRevisionEvent::snapshot() const {
  return Args{id(), label(), revision_}.snapshot();
}

void SecretRevisionEvent::restore(const nlohmann::json& snapshot) {
  SecretEvent::restore(snapshot);
  revision_ = Args::from_snapshot(snapshot, handle().path()).revision;
}

void SecretRevisionEvent::remove_revision() const { secret().remove_revision(revision_); }

// ---- actions -----------------------------------------------------------------

nlohmann::json ActionEvent::Args::snapshot() const { return {{"id", id}}; }

ActionEvent::Args ActionEvent::Args::from_snapshot(const nlohmann::json& snapshot,
                                                   std::string_view event_path) {
  return {required_as<std::string>(snapshot, "id", event_path)};
}

ActionEvent::ActionEvent(Handle handle, Args args)
    : EventBase(std::move(handle)), id_(std::move(args.id)) {}

ActionEvent::ActionEvent(Handle handle, std::string id)
    : ActionEvent(std::move(handle), Args{std::move(id)}) {}

nlohmann::json ActionEvent::snapshot() const { return Args{id_}.snapshot(); }

void ActionEvent::restore(const nlohmann::json& snapshot) {
  id_ = Args::from_snapshot(snapshot, handle().path()).id;
  nlohmann::json params = framework().model().backend().action_get();
  params_ = params.is_object() ? std::move(params) : nlohmann::json::object();
}

void ActionEvent::set_results(const nlohmann::json& results) const {
  framework().model().backend().action_set(results);
}

void ActionEvent::log(const std::string& message) const {
  framework().model().backend().action_log(message);
}

void ActionEvent::fail(const std::string& message) const {
  framework().model().backend().action_fail(message);
}

void ActionEvent::invalid_params(const std::string& message, OnInvalid on_invalid) const {
  const std::string text =
      "invalid parameters for action " + std::string(handle().kind()) + ": " + message;
  if (on_invalid == OnInvalid::kFail) {
    fail("Error in action parameters: " + message);
    throw AbortDispatch(0);
  }
  throw InvalidParamsError(text);
}

// ---- CharmEvents -------------------------------------------------------------

std::string CharmEvents::kind_prefix(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (c == '-') c = '_';
  }
  return out;
}

CharmEvents::CharmEvents(Object& charm, const CharmMeta& meta) : ObjectEvents(charm, "on") {
  for (const auto& [name, relation] : meta.relations) {
    const std::string p = kind_prefix(name);
    relations_.emplace(name, std::make_unique<RelationEndpointEvents>(
                                 define_event<RelationCreatedEvent>(p + "_relation_created"),
                                 define_event<RelationJoinedEvent>(p + "_relation_joined"),
                                 define_event<RelationChangedEvent>(p + "_relation_changed"),
                                 define_event<RelationDepartedEvent>(p + "_relation_departed"),
                                 define_event<RelationBrokenEvent>(p + "_relation_broken")));
  }
  for (const auto& [name, storage] : meta.storages) {
    const std::string p = kind_prefix(name);
    storages_.emplace(name, std::make_unique<StorageNameEvents>(
                                define_event<StorageAttachedEvent>(p + "_storage_attached"),
                                define_event<StorageDetachingEvent>(p + "_storage_detaching")));
  }
  for (const auto& [name, action] : meta.actions) {
    actions_.emplace(name, std::make_unique<ActionNameEvents>(
                               define_event<ActionEvent>(kind_prefix(name) + "_action")));
  }
  for (const auto& [name, container] : meta.containers) {
    const std::string p = kind_prefix(name);
    containers_.emplace(
        name, std::make_unique<ContainerEvents>(
                  define_event<PebbleReadyEvent>(p + "_pebble_ready"),
                  define_event<PebbleCustomNoticeEvent>(p + "_pebble_custom_notice"),
                  define_event<PebbleCheckFailedEvent>(p + "_pebble_check_failed"),
                  define_event<PebbleCheckRecoveredEvent>(p + "_pebble_check_recovered")));
  }
  // on[name] for every name of the metadata, its sources taken from the
  // maps above (no lookup by kind); a missing one keeps only views for its
  // message, which is built if the charm uses it.
  auto add_prefixed = [&](const std::string& name) {
    if (prefixed_.count(name) != 0) return;
    const auto* rel = find_in(relations_, name);
    const auto* sto = find_in(storages_, name);
    const auto* act = find_in(actions_, name);
    const auto* con = find_in(containers_, name);
    auto it = prefixed_.emplace(name, nullptr).first;
    const std::string_view key = it->first;  // a map key: stable while `on` lives
    auto ref = [&]<class E>(EventSource<E>* source, std::string_view suffix,
                            std::string_view what) {
      return EventSourceRef<E>(
          source, detail::MissingEvent{&missing_event_message, this, key, what, suffix});
    };
    constexpr std::string_view kRel = "a relation endpoint";
    constexpr std::string_view kSto = "a storage";
    constexpr std::string_view kCon = "a container";
    it->second = std::make_unique<PrefixedEvents>(PrefixedEvents{
        ref(rel ? &rel->relation_created : nullptr, "_relation_created", kRel),
        ref(rel ? &rel->relation_joined : nullptr, "_relation_joined", kRel),
        ref(rel ? &rel->relation_changed : nullptr, "_relation_changed", kRel),
        ref(rel ? &rel->relation_departed : nullptr, "_relation_departed", kRel),
        ref(rel ? &rel->relation_broken : nullptr, "_relation_broken", kRel),
        ref(sto ? &sto->storage_attached : nullptr, "_storage_attached", kSto),
        ref(sto ? &sto->storage_detaching : nullptr, "_storage_detaching", kSto),
        ref(act ? &act->action : nullptr, "_action", "an action"),
        ref(con ? &con->pebble_ready : nullptr, "_pebble_ready", kCon),
        ref(con ? &con->pebble_custom_notice : nullptr, "_pebble_custom_notice", kCon),
        ref(con ? &con->pebble_check_failed : nullptr, "_pebble_check_failed", kCon),
        ref(con ? &con->pebble_check_recovered : nullptr, "_pebble_check_recovered", kCon), rel});
  };
  for (const auto& [name, relation] : meta.relations) add_prefixed(name);
  for (const auto& [name, storage] : meta.storages) add_prefixed(name);
  for (const auto& [name, action] : meta.actions) add_prefixed(name);
  for (const auto& [name, container] : meta.containers) add_prefixed(name);
}

CharmEvents::~CharmEvents() {
  // The member sources are destroyed next: none need taking out of the list.
  release_sources();
}

namespace {
template <class T>
const T& lookup(const std::map<std::string, std::unique_ptr<T>, std::less<>>& map,
                std::string_view name, const char* what, const std::string& path) {
  auto it = map.find(name);
  if (it == map.end()) {
    std::string known;
    for (const auto& [key, value] : map) known += (known.empty() ? "" : ", ") + key;
    throw FrameworkError(path + ": the charm's metadata declares no " + what + " '" +
                         std::string(name) + "' (declared: " + (known.empty() ? "none" : known) +
                         ")");
  }
  return *it->second;
}
}  // namespace

const PrefixedEvents& CharmEvents::operator[](std::string_view name) const {
  return lookup(prefixed_, name, "relation endpoint, storage, container or action",
                handle().path());
}

const RelationEndpointEvents& CharmEvents::relation(std::string_view endpoint) const {
  return lookup(relations_, endpoint, "relation endpoint", handle().path());
}

const StorageNameEvents& CharmEvents::storage(std::string_view name) const {
  return lookup(storages_, name, "storage", handle().path());
}

const ActionNameEvents& CharmEvents::action(std::string_view name) const {
  return lookup(actions_, name, "action", handle().path());
}

const ContainerEvents& CharmEvents::container(std::string_view name) const {
  return lookup(containers_, name, "container", handle().path());
}

}  // namespace ops
