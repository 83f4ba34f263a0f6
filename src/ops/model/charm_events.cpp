// The charm event classes: snapshot/restore with Python ops' keys, and what
// each event gives its handler (relation, storage, secret, action...).
#include <map>

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

// The value of a required snapshot key; FrameworkError names the event and key.
const nlohmann::json& required(const nlohmann::json& snapshot, const char* key,
                               const EventBase& event) {
  if (!snapshot.is_object() || !snapshot.contains(key) || snapshot.at(key).is_null()) {
    throw FrameworkError("cannot restore " + event.handle().path() + ": snapshot has no '" + key +
                         "'");
  }
  return snapshot.at(key);
}

template <class T>
T required_as(const nlohmann::json& snapshot, const char* key, const EventBase& event) {
  const nlohmann::json& value = required(snapshot, key, event);
  try {
    return value.get<T>();
  } catch (const nlohmann::json::exception&) {
    throw FrameworkError("cannot restore " + event.handle().path() + ": snapshot key '" + key +
                         "' has the wrong type: " + value.dump());
  }
}

std::optional<std::string> optional_string(const nlohmann::json& snapshot, const char* key) {
  if (!snapshot.is_object()) return std::nullopt;
  auto it = snapshot.find(key);
  if (it == snapshot.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    return std::nullopt;
  }
  return it->get<std::string>();
}

}  // namespace

// ---- relations ---------------------------------------------------------------

RelationEvent::RelationEvent(Handle handle, std::string relation_name, int relation_id,
                             std::optional<std::string> app_name,
                             std::optional<std::string> unit_name)
    : HookEvent(std::move(handle)),
      relation_name_(std::move(relation_name)),
      relation_id_(relation_id),
      app_name_(std::move(app_name)),
      unit_name_(std::move(unit_name)) {}

nlohmann::json RelationEvent::snapshot() const {
  nlohmann::json out = {{"relation_name", relation_name_}, {"relation_id", relation_id_}};
  if (app_name_) out["app_name"] = *app_name_;
  if (unit_name_) out["unit_name"] = *unit_name_;
  return out;
}

void RelationEvent::restore(const nlohmann::json& snapshot) {
  relation_name_ = required_as<std::string>(snapshot, "relation_name", *this);
  relation_id_ = required_as<int>(snapshot, "relation_id", *this);
  app_name_ = optional_string(snapshot, "app_name");
  unit_name_ = optional_string(snapshot, "unit_name");
}

Relation& RelationEvent::relation() const {
  Relation* relation = framework().model().get_relation(relation_name_, relation_id_);
  if (relation == nullptr) {
    throw RelationNotFoundError("relation " + relation_name_ + ":" + std::to_string(relation_id_) +
                                " not found");
  }
  return *relation;
}

Application* RelationEvent::app() const {
  if (!app_name_) return nullptr;
  return &framework().model().get_app(*app_name_);
}

Unit* RelationEvent::unit() const {
  if (!unit_name_) return nullptr;
  return &framework().model().get_unit(*unit_name_);
}

RelationDepartedEvent::RelationDepartedEvent(Handle handle, std::string relation_name,
                                             int relation_id, std::optional<std::string> app_name,
                                             std::optional<std::string> unit_name,
                                             std::optional<std::string> departing_unit_name)
    : RelationEvent(std::move(handle), std::move(relation_name), relation_id, std::move(app_name),
                    std::move(unit_name)),
      departing_(std::move(departing_unit_name)) {}

nlohmann::json RelationDepartedEvent::snapshot() const {
  nlohmann::json out = RelationEvent::snapshot();
  if (departing_) out["departing_unit"] = *departing_;
  return out;
}

void RelationDepartedEvent::restore(const nlohmann::json& snapshot) {
  RelationEvent::restore(snapshot);
  departing_ = optional_string(snapshot, "departing_unit");
}

Unit* RelationDepartedEvent::departing_unit() const {
  if (!departing_) return nullptr;
  return &framework().model().get_unit(*departing_);
}

// ---- storage -----------------------------------------------------------------

StorageEvent::StorageEvent(Handle handle, std::string storage_name, int storage_index,
                           std::string storage_location)
    : HookEvent(std::move(handle)),
      name_(std::move(storage_name)),
      index_(storage_index),
      location_(std::move(storage_location)) {}

nlohmann::json StorageEvent::snapshot() const {
  return {{"storage_name", name_}, {"storage_index", index_}, {"storage_location", location_}};
}

void StorageEvent::restore(const nlohmann::json& snapshot) {
  name_ = required_as<std::string>(snapshot, "storage_name", *this);
  index_ = required_as<int>(snapshot, "storage_index", *this);
  location_ = required_as<std::string>(snapshot, "storage_location", *this);
}

StorageInstance& StorageEvent::storage() const {
  for (StorageInstance& instance : framework().model().storages()[name_]) {
    if (instance.index() == index_) return instance;
  }
  throw ModelError("storage " + name_ + "/" + std::to_string(index_) + " is not attached");
}

// ---- workloads ---------------------------------------------------------------

WorkloadEvent::WorkloadEvent(Handle handle, std::string container_name)
    : HookEvent(std::move(handle)), container_(std::move(container_name)) {}

nlohmann::json WorkloadEvent::snapshot() const { return {{"container_name", container_}}; }

void WorkloadEvent::restore(const nlohmann::json& snapshot) {
  container_ = required_as<std::string>(snapshot, "container_name", *this);
}

Container& WorkloadEvent::workload() const {
  return framework().model().unit().get_container(container_);
}

PebbleNoticeEvent::PebbleNoticeEvent(Handle handle, std::string container_name,
                                     PebbleNoticeRef notice)
    : WorkloadEvent(std::move(handle), std::move(container_name)), notice_(std::move(notice)) {}

nlohmann::json PebbleNoticeEvent::snapshot() const {
  nlohmann::json out = WorkloadEvent::snapshot();
  out["notice_id"] = notice_.id;
  out["notice_type"] = notice_.type;
  out["notice_key"] = notice_.key;
  return out;
}

void PebbleNoticeEvent::restore(const nlohmann::json& snapshot) {
  WorkloadEvent::restore(snapshot);
  notice_.id = required_as<std::string>(snapshot, "notice_id", *this);
  notice_.type = required_as<std::string>(snapshot, "notice_type", *this);
  notice_.key = required_as<std::string>(snapshot, "notice_key", *this);
}

pebble::Notice PebbleNoticeEvent::fetch_notice() const {
  return workload().pebble().get_notice(notice_.id);
}

PebbleCheckEvent::PebbleCheckEvent(Handle handle, std::string container_name,
                                   std::string check_name)
    : WorkloadEvent(std::move(handle), std::move(container_name)), check_(std::move(check_name)) {}

nlohmann::json PebbleCheckEvent::snapshot() const {
  nlohmann::json out = WorkloadEvent::snapshot();
  out["check_name"] = check_;
  return out;
}

void PebbleCheckEvent::restore(const nlohmann::json& snapshot) {
  WorkloadEvent::restore(snapshot);
  check_ = required_as<std::string>(snapshot, "check_name", *this);
}

pebble::CheckInfo PebbleCheckEvent::info() const { return workload().get_check(check_); }

// ---- secrets -----------------------------------------------------------------

SecretEvent::SecretEvent(Handle handle, std::string id, std::optional<std::string> label)
    : HookEvent(std::move(handle)), id_(std::move(id)), label_(std::move(label)) {}

nlohmann::json SecretEvent::snapshot() const {
  return {{"id", id_}, {"label", label_ ? nlohmann::json(*label_) : nlohmann::json(nullptr)}};
}

void SecretEvent::restore(const nlohmann::json& snapshot) {
  id_ = required_as<std::string>(snapshot, "id", *this);
  label_ = optional_string(snapshot, "label");
}

Secret SecretEvent::secret() const { return Secret(framework().model().backend(), id_, label_); }

SecretRevisionEvent::SecretRevisionEvent(Handle handle, std::string id,
                                         std::optional<std::string> label, int revision)
    : SecretEvent(std::move(handle), std::move(id), std::move(label)), revision_(revision) {}

nlohmann::json SecretRevisionEvent::snapshot() const {
  nlohmann::json out = SecretEvent::snapshot();
  out["revision"] = revision_;
  return out;
}

void SecretRevisionEvent::restore(const nlohmann::json& snapshot) {
  SecretEvent::restore(snapshot);
  revision_ = required_as<int>(snapshot, "revision", *this);
}

void SecretRevisionEvent::remove_revision() const { secret().remove_revision(revision_); }

// ---- actions -----------------------------------------------------------------

ActionEvent::ActionEvent(Handle handle, std::string id)
    : EventBase(std::move(handle)), id_(std::move(id)) {}

nlohmann::json ActionEvent::snapshot() const { return {{"id", id_}}; }

void ActionEvent::restore(const nlohmann::json& snapshot) {
  id_ = required_as<std::string>(snapshot, "id", *this);
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
}

CharmEvents::~CharmEvents() = default;

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

const RelationEndpointEvents& CharmEvents::operator[](std::string_view endpoint) const {
  return relation(endpoint);
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
