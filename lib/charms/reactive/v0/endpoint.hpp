// Reactive-style endpoints for ops-cpp charms: what charms.reactive's
// `Endpoint` gave interface authors (automatic per-endpoint and per-field
// flags, `to_publish` and `received`), as ops objects and events.
//
// An interface library derives from Endpoint, one object per endpoint of the
// charm's metadata. The Endpoint observes the endpoint's relation events and,
// in each of them, keeps what charms.reactive kept in its flags:
//
//   endpoint.<name>.joined           is_joined() (some remote unit on some
//                                    relation), event on.joined at each
//                                    relation-joined
//   endpoint.<name>.changed          is_changed(), cleared by clear_changed();
//                                    event on.changed when a remote field changed
//   endpoint.<name>.changed.<field>  is_changed(field), cleared by
//                                    clear_changed(field); event
//                                    on.field_changed(field)
//   endpoint.<name>.departed         is_departed(), cleared by clear_departed()
//                                    (and, as in reactive, by the next relation
//                                    event while units remain); departed_units()
//                                    until clear_departed_units(); event on.departed
//   (relation-broken)                event on.broken
//
// "Changed" means: a remote unit's value of a field differs from the value
// this unit saw in an earlier dispatch, or the field is new or gone. What was
// seen and which flags are set live in the Endpoint's StoredState
// ("<handle>/StoredStateData[_endpoint]"), so they survive across dispatches
// until the charm clears them. Values are compared by a 64-bit FNV-1a hash of
// the raw string (what charms.reactive's data_changed does with an md5).
//
// Usage (an interface author):
//
//   class HttpRequires : public charms::reactive::v0::Endpoint {
//    public:
//     HttpRequires(ops::CharmBase& charm, const std::string& name)
//         : Endpoint(charm, name, "HttpRequires") {
//       framework().observe<&HttpRequires::on_port>(on.field_changed("port"), *this);
//     }
//     void on_port(charms::reactive::v0::FieldChangedEvent& e) {
//       for (const auto& unit : all_joined_units()) use(unit.received_raw().get("port"));
//       clear_changed("port");
//     }
//   };
//
// Errors: the constructor throws ops::FrameworkError when the charm declares
// no such endpoint; field_changed() throws std::invalid_argument for a field
// name that cannot be part of a handle (empty, or with '/', '[' or ']');
// the views throw the Model's errors (ops::RelationDataAccessError when
// writing a bag this unit may not write).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ops/charm.hpp"
#include "ops/framework.hpp"
#include "ops/model.hpp"

namespace charms::reactive::v0 {

inline constexpr const char* LIBID = "8d2f5c1e0b4a4f6e9c3d7a1b2e4f6a80";
inline constexpr int LIBAPI = 0;
inline constexpr int LIBPATCH = 1;

// charms.reactive's JSON encoding of one value: Python's
// json.dumps(value, sort_keys=True) byte for byte (", " and ": "
// separators, non-ASCII as \uXXXX), so a value published by ops-cpp equals
// the one a reactive charm would publish.
std::string encode_json(const nlohmann::json& value);
// charms.reactive's decoding: the value parsed as JSON, or the raw string
// when it is not JSON ("10.1.1.1" stays a string, "80" becomes 80).
nlohmann::json decode_json(const std::string& raw);

// A databag seen through JSON (charms.reactive's JSONUnitDataView):
// reads decode with decode_json, writes encode with encode_json. Writing a
// remote bag throws ops::RelationDataAccessError (the Model refuses it).
class JsonDataView {
 public:
  explicit JsonDataView(ops::RelationDataContent& bag) : bag_(&bag) {}

  // The decoded value of key; null when the key is not set (reactive's None).
  nlohmann::json operator[](const std::string& key) const;
  // The decoded value of key, or nullopt when it is not set.
  std::optional<nlohmann::json> get(const std::string& key) const;
  bool contains(const std::string& key) const { return bag_->contains(key); }
  // Publishes encode_json(value) under key; a null value deletes the key.
  void set(const std::string& key, const nlohmann::json& value) const;
  // Sets key only when it is not set yet; returns the (decoded) value.
  nlohmann::json setdefault(const std::string& key, const nlohmann::json& value) const;
  void erase(const std::string& key) const { bag_->erase(key); }
  // Every key with its decoded value.
  std::map<std::string, nlohmann::json> as_map() const;
  // The bag without encoding (reactive's raw_data / *_raw views).
  ops::RelationDataContent& raw() const noexcept { return *bag_; }

 private:
  ops::RelationDataContent* bag_;
};

// One remote unit on one relation of the endpoint (reactive's RelatedUnit).
struct RelatedUnit {
  ops::Relation* relation;
  ops::Unit* unit;

  const std::string& unit_name() const;
  int relation_id() const { return relation->id(); }
  // The remote application's name (the unit name before '/').
  std::string application_name() const;
  // What the unit published, JSON-decoded / as plain strings.
  JsonDataView received() const;
  ops::RelationDataContent& received_raw() const;
};

// A unit that left a relation of the endpoint, with the data it had
// published when it left (reactive's all_departed_units entries).
struct DepartedUnit {
  std::string unit_name;
  int relation_id = -1;
  std::map<std::string, std::string> data;
  bool operator==(const DepartedUnit&) const = default;
};

// Base of the Endpoint's events: which relation (and remote unit, if any)
// the relation event that raised it was about.
class EndpointEvent : public ops::EventBase {
 public:
  using ops::EventBase::EventBase;
  EndpointEvent(ops::Handle handle, std::string endpoint_name, int relation_id,
                std::optional<std::string> unit_name);
  nlohmann::json snapshot() const override;
  // Throws ops::FrameworkError when the snapshot misses a field.
  void restore(const nlohmann::json& snapshot) override;

  const std::string& endpoint_name() const noexcept { return endpoint_name_; }
  int relation_id() const noexcept { return relation_id_; }
  const std::optional<std::string>& unit_name() const noexcept { return unit_name_; }
  // The relation (inactive once broken).
  ops::Relation& relation() const;

 private:
  std::string endpoint_name_;
  int relation_id_ = -1;
  std::optional<std::string> unit_name_;
};

// A remote unit joined (relation-joined).
class EndpointJoinedEvent : public EndpointEvent {
 public:
  using EndpointEvent::EndpointEvent;
};
// A remote unit departed (relation-departed); unit_name() is the departing unit.
class EndpointDepartedEvent : public EndpointEvent {
 public:
  using EndpointEvent::EndpointEvent;
};
// A relation of the endpoint is gone (relation-broken).
class EndpointBrokenEvent : public EndpointEvent {
 public:
  using EndpointEvent::EndpointEvent;
};

// Remote fields changed in this dispatch: fields() lists them, sorted.
class EndpointChangedEvent : public EndpointEvent {
 public:
  using EndpointEvent::EndpointEvent;
  EndpointChangedEvent(ops::Handle handle, std::string endpoint_name, int relation_id,
                       std::optional<std::string> unit_name, std::vector<std::string> fields);
  nlohmann::json snapshot() const override;
  void restore(const nlohmann::json& snapshot) override;
  const std::vector<std::string>& fields() const noexcept { return fields_; }

 private:
  std::vector<std::string> fields_;
};

// One remote field changed in this dispatch (on some unit of some relation).
class FieldChangedEvent : public EndpointEvent {
 public:
  using EndpointEvent::EndpointEvent;
  FieldChangedEvent(ops::Handle handle, std::string endpoint_name, int relation_id,
                    std::optional<std::string> unit_name, std::string field);
  nlohmann::json snapshot() const override;
  void restore(const nlohmann::json& snapshot) override;
  const std::string& field() const noexcept { return field_; }

 private:
  std::string field_;
};

// The events of one field: "<endpoint>/on/field[<field>]/changed".
class FieldEvents final : public ops::Object {
 public:
  FieldEvents(ops::Object& parent, const std::string& field);
  ops::EventSource<FieldChangedEvent> changed{*this, "changed"};
};

// An Endpoint's `on`.
class EndpointEvents final : public ops::ObjectEvents {
 public:
  using ops::ObjectEvents::ObjectEvents;
  ~EndpointEvents() override;

  ops::EventSource<EndpointJoinedEvent> joined{*this, "joined"};
  ops::EventSource<EndpointChangedEvent> changed{*this, "changed"};
  ops::EventSource<EndpointDepartedEvent> departed{*this, "departed"};
  ops::EventSource<EndpointBrokenEvent> broken{*this, "broken"};

  // The changed event of one field (defined on first use; the same source
  // afterwards). Only fields asked for here get an event; every changed
  // field is in EndpointChangedEvent::fields() and is_changed(field).
  ops::EventSource<FieldChangedEvent>& field_changed(const std::string& field);
  // The source of field when field_changed(field) was called, else null.
  ops::EventSource<FieldChangedEvent>* find_field(const std::string& field) const;

 private:
  std::map<std::string, std::unique_ptr<FieldEvents>, std::less<>> fields_;
};

// The base an interface library derives from. Handle "<charm>/<kind>[<endpoint>]".
class Endpoint : public ops::Object {
 public:
  // Observes the endpoint's relation events. ops::FrameworkError when the
  // charm declares no endpoint `endpoint_name`.
  Endpoint(ops::CharmBase& charm, const std::string& endpoint_name,
           std::string_view kind = "Endpoint");
  ~Endpoint() override;

  const std::string& endpoint_name() const noexcept { return endpoint_name_; }
  ops::CharmBase& charm() const noexcept { return charm_; }

  // The relations of the endpoint (the one being broken excluded).
  const std::vector<ops::Relation*>& relations() const;
  // Some relation of the endpoint has a remote unit (the joined flag).
  bool is_joined() const;
  // Every remote unit of every relation, by relation id then unit name.
  std::vector<RelatedUnit> all_joined_units() const;

  // The flags, as persisted; see the top of this file.
  bool is_changed() const;
  bool is_changed(const std::string& field) const;
  // The fields whose changed flag is set, sorted.
  std::vector<std::string> changed_fields() const;
  // Clears endpoint.<name>.changed (the per-field flags stay, as in reactive).
  void clear_changed();
  // Clears endpoint.<name>.changed.<field>.
  void clear_changed(const std::string& field);
  bool is_departed() const;
  void clear_departed();
  // Units that departed since clear_departed_units(), oldest first.
  std::vector<DepartedUnit> departed_units() const;
  void clear_departed_units();

  // This unit's databag of `relation`, JSON-encoded / plain.
  JsonDataView to_publish(ops::Relation& relation) const;
  ops::RelationDataContent& to_publish_raw(ops::Relation& relation) const;
  // This application's databag (leader only for writes).
  JsonDataView to_publish_app(ops::Relation& relation) const;
  ops::RelationDataContent& to_publish_app_raw(ops::Relation& relation) const;
  // The remote application's databag; ops::ModelError when Juju cannot tell
  // the remote application.
  JsonDataView received_app(ops::Relation& relation) const;
  ops::RelationDataContent& received_app_raw(ops::Relation& relation) const;

  // reactive's expand_name: "changed" -> "endpoint.<name>.changed", and
  // "{endpoint_name}" replaced by the endpoint's name (for logs and docs).
  std::string expand_name(std::string_view flag) const;

  EndpointEvents on{*this};

  // Handlers (public so the framework can name them; not for charm code).
  void on_relation_event(ops::RelationEvent& event);

 private:
  void track(ops::RelationEvent& event);

  ops::CharmBase& charm_;
  std::string endpoint_name_;
  ops::StoredState stored_{*this, "_endpoint"};
};

}  // namespace charms::reactive::v0
