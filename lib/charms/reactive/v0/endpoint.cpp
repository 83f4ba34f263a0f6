// Reactive-style endpoints: Endpoint, its events, JSON views.
#include "charms/reactive/v0/endpoint.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <stdexcept>
#include <utility>

#include "ops/errors.hpp"

namespace charms::reactive::v0 {

namespace {

// StoredState keys.
constexpr const char* kSeen = "seen";  // {"<rid>": {"<unit>": {"<key>": "<hash>"}}}
constexpr const char* kChanged = "changed";
constexpr const char* kChangedFields = "changed_fields";
constexpr const char* kDeparted = "departed";
constexpr const char* kDepartedUnits = "departed_units";

// 64-bit FNV-1a of value, as 16 hex digits: stable across builds and hosts.
std::string value_hash(const std::string& value) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : value) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(hash));
  return out;
}

// Appends `s` as a JSON string the way Python's json.dumps (ensure_ascii)
// writes it.
void append_python_string(std::string& out, const std::string& s) {
  out += '"';
  // Decode UTF-8 into code points; nlohmann's strings are valid UTF-8.
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::uint32_t cp = c;
    std::size_t len = 1;
    if (c >= 0xF0 && i + 3 < s.size()) {
      cp = ((c & 0x07U) << 18) | ((static_cast<unsigned char>(s[i + 1]) & 0x3FU) << 12) |
           ((static_cast<unsigned char>(s[i + 2]) & 0x3FU) << 6) |
           (static_cast<unsigned char>(s[i + 3]) & 0x3FU);
      len = 4;
    } else if (c >= 0xE0 && i + 2 < s.size()) {
      cp = ((c & 0x0FU) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3FU) << 6) |
           (static_cast<unsigned char>(s[i + 2]) & 0x3FU);
      len = 3;
    } else if (c >= 0xC0 && i + 1 < s.size()) {
      cp = ((c & 0x1FU) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3FU);
      len = 2;
    }
    i += len;
    char buf[16];
    switch (cp) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      default:
        break;
    }
    if (cp < 0x20 || (cp >= 0x7F && cp < 0x10000)) {
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
      out += buf;
    } else if (cp >= 0x10000) {
      const std::uint32_t v = cp - 0x10000;
      std::snprintf(buf, sizeof buf, "\\u%04x\\u%04x", static_cast<unsigned>(0xD800 + (v >> 10)),
                    static_cast<unsigned>(0xDC00 + (v & 0x3FF)));
      out += buf;
    } else {
      out += static_cast<char>(cp);
    }
  }
  out += '"';
}

void append_python_json(std::string& out, const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::object: {
      // nlohmann's objects are std::map: keys already sorted (sort_keys=True).
      out += '{';
      bool first = true;
      for (const auto& [key, item] : value.items()) {
        if (!first) out += ", ";
        first = false;
        append_python_string(out, key);
        out += ": ";
        append_python_json(out, item);
      }
      out += '}';
      return;
    }
    case nlohmann::json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& item : value) {
        if (!first) out += ", ";
        first = false;
        append_python_json(out, item);
      }
      out += ']';
      return;
    }
    case nlohmann::json::value_t::string:
      append_python_string(out, value.get_ref<const std::string&>());
      return;
    case nlohmann::json::value_t::number_float: {
      // Shortest round-trip digits in both ("80.0", "0.1", "1e+20");
      // Python spells the non-finite values NaN and Infinity.
      const double d = value.get<double>();
      if (std::isnan(d)) {
        out += "NaN";
      } else if (std::isinf(d)) {
        out += d > 0 ? "Infinity" : "-Infinity";
      } else {
        out += value.dump();
      }
      return;
    }
    default:
      out += value.dump();  // null, true, false, integers: same text as Python
      return;
  }
}

void check_field_name(const std::string& field) {
  if (field.empty() || field.find_first_of("/[]") != std::string::npos) {
    throw std::invalid_argument("field name '" + field +
                                "' cannot name an event: it must be non-empty and contain none of "
                                "'/', '[' and ']'");
  }
}

std::vector<std::string> string_list(const nlohmann::json& array) {
  std::vector<std::string> out;
  for (const auto& item : array) out.push_back(item.get<std::string>());
  return out;
}

}  // namespace

// ------------------------------------------------------------------- JSON

std::string encode_json(const nlohmann::json& value) {
  std::string out;
  append_python_json(out, value);
  return out;
}

nlohmann::json decode_json(const std::string& raw) {
  nlohmann::json parsed = nlohmann::json::parse(raw, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return raw;
  return parsed;
}

nlohmann::json JsonDataView::operator[](const std::string& key) const {
  auto raw = bag_->get(key);
  if (!raw) return nullptr;
  return decode_json(*raw);
}

std::optional<nlohmann::json> JsonDataView::get(const std::string& key) const {
  auto raw = bag_->get(key);
  if (!raw) return std::nullopt;
  return decode_json(*raw);
}

void JsonDataView::set(const std::string& key, const nlohmann::json& value) const {
  if (value.is_null()) {
    bag_->erase(key);
    return;
  }
  bag_->set(key, encode_json(value));
}

nlohmann::json JsonDataView::setdefault(const std::string& key, const nlohmann::json& value) const {
  if (!bag_->contains(key)) set(key, value);
  return (*this)[key];
}

std::map<std::string, nlohmann::json> JsonDataView::as_map() const {
  std::map<std::string, nlohmann::json> out;
  for (const auto& [key, raw] : bag_->as_map()) out.emplace(key, decode_json(raw));
  return out;
}

// ------------------------------------------------------------ RelatedUnit

const std::string& RelatedUnit::unit_name() const { return unit->name(); }

std::string RelatedUnit::application_name() const {
  const std::string& name = unit->name();
  return name.substr(0, name.find('/'));
}

JsonDataView RelatedUnit::received() const { return JsonDataView(relation->data(*unit)); }

ops::RelationDataContent& RelatedUnit::received_raw() const { return relation->data(*unit); }

// ----------------------------------------------------------------- events

EndpointEvent::EndpointEvent(ops::Handle handle, std::string endpoint_name, int relation_id,
                             std::optional<std::string> unit_name)
    : EventBase(std::move(handle)),
      endpoint_name_(std::move(endpoint_name)),
      relation_id_(relation_id),
      unit_name_(std::move(unit_name)) {}

nlohmann::json EndpointEvent::snapshot() const {
  nlohmann::json out = {{"endpoint_name", endpoint_name_}, {"relation_id", relation_id_}};
  if (unit_name_) out["unit_name"] = *unit_name_;
  return out;
}

void EndpointEvent::restore(const nlohmann::json& snapshot) {
  if (!snapshot.is_object() || !snapshot.contains("endpoint_name") ||
      !snapshot.contains("relation_id")) {
    throw ops::FrameworkError("snapshot of " + handle().path() +
                              " lacks endpoint_name or relation_id: " + snapshot.dump());
  }
  endpoint_name_ = snapshot.at("endpoint_name").get<std::string>();
  relation_id_ = snapshot.at("relation_id").get<int>();
  if (auto it = snapshot.find("unit_name"); it != snapshot.end()) {
    unit_name_ = it->get<std::string>();
  } else {
    unit_name_.reset();
  }
}

ops::Relation& EndpointEvent::relation() const {
  ops::Relation* relation = framework().model().get_relation(endpoint_name_, relation_id_);
  if (relation == nullptr) {
    throw ops::RelationNotFoundError("relation " + endpoint_name_ + ":" +
                                     std::to_string(relation_id_) + " not found");
  }
  return *relation;
}

EndpointChangedEvent::EndpointChangedEvent(ops::Handle handle, std::string endpoint_name,
                                           int relation_id, std::optional<std::string> unit_name,
                                           std::vector<std::string> fields)
    : EndpointEvent(std::move(handle), std::move(endpoint_name), relation_id, std::move(unit_name)),
      fields_(std::move(fields)) {}

nlohmann::json EndpointChangedEvent::snapshot() const {
  nlohmann::json out = EndpointEvent::snapshot();
  out["fields"] = fields_;
  return out;
}

void EndpointChangedEvent::restore(const nlohmann::json& snapshot) {
  EndpointEvent::restore(snapshot);
  fields_ = string_list(snapshot.value("fields", nlohmann::json::array()));
}

FieldChangedEvent::FieldChangedEvent(ops::Handle handle, std::string endpoint_name, int relation_id,
                                     std::optional<std::string> unit_name, std::string field)
    : EndpointEvent(std::move(handle), std::move(endpoint_name), relation_id, std::move(unit_name)),
      field_(std::move(field)) {}

nlohmann::json FieldChangedEvent::snapshot() const {
  nlohmann::json out = EndpointEvent::snapshot();
  out["field"] = field_;
  return out;
}

void FieldChangedEvent::restore(const nlohmann::json& snapshot) {
  EndpointEvent::restore(snapshot);
  field_ = snapshot.value("field", "");
}

FieldEvents::FieldEvents(ops::Object& parent, const std::string& field)
    : Object(parent, "field", field) {}

EndpointEvents::~EndpointEvents() = default;

ops::EventSource<FieldChangedEvent>& EndpointEvents::field_changed(const std::string& field) {
  if (auto it = fields_.find(field); it != fields_.end()) return it->second->changed;
  check_field_name(field);
  auto events = std::make_unique<FieldEvents>(*this, field);
  ops::EventSource<FieldChangedEvent>& source = events->changed;
  fields_.emplace(field, std::move(events));
  return source;
}

ops::EventSource<FieldChangedEvent>* EndpointEvents::find_field(const std::string& field) const {
  auto it = fields_.find(field);
  return it == fields_.end() ? nullptr : &it->second->changed;
}

// --------------------------------------------------------------- Endpoint

Endpoint::Endpoint(ops::CharmBase& charm, const std::string& endpoint_name, std::string_view kind)
    : ops::Object(charm, kind, endpoint_name), charm_(charm), endpoint_name_(endpoint_name) {
  if (charm.meta().relations.count(endpoint_name) == 0) {
    throw ops::FrameworkError("charm " + charm.handle().path() + " declares no endpoint '" +
                              endpoint_name + "' (needed by " + handle().path() + ")");
  }
  const ops::RelationEndpointEvents& events = charm.on[endpoint_name];
  ops::Framework& fw = framework();
  fw.observe<&Endpoint::on_relation_event>(events.relation_created, *this);
  fw.observe<&Endpoint::on_relation_event>(events.relation_joined, *this);
  fw.observe<&Endpoint::on_relation_event>(events.relation_changed, *this);
  fw.observe<&Endpoint::on_relation_event>(events.relation_departed, *this);
  fw.observe<&Endpoint::on_relation_event>(events.relation_broken, *this);
}

Endpoint::~Endpoint() = default;

const std::vector<ops::Relation*>& Endpoint::relations() const {
  return charm_.framework().model().relations(endpoint_name_);
}

bool Endpoint::is_joined() const {
  for (ops::Relation* relation : relations()) {
    if (!relation->units().empty()) return true;
  }
  return false;
}

std::vector<RelatedUnit> Endpoint::all_joined_units() const {
  std::vector<ops::Relation*> rels = relations();
  std::sort(rels.begin(), rels.end(),
            [](const ops::Relation* a, const ops::Relation* b) { return a->id() < b->id(); });
  std::vector<RelatedUnit> out;
  for (ops::Relation* relation : rels) {
    std::vector<ops::Unit*> units = relation->units();
    std::sort(units.begin(), units.end(),
              [](const ops::Unit* a, const ops::Unit* b) { return a->name() < b->name(); });
    for (ops::Unit* unit : units) out.push_back(RelatedUnit{relation, unit});
  }
  return out;
}

bool Endpoint::is_changed() const {
  return stored_.contains(kChanged) && stored_.get<bool>(kChanged);
}

bool Endpoint::is_changed(const std::string& field) const {
  if (!stored_.contains(kChangedFields)) return false;
  const nlohmann::json& fields = stored_.get(kChangedFields);
  return std::find(fields.begin(), fields.end(), field) != fields.end();
}

std::vector<std::string> Endpoint::changed_fields() const {
  if (!stored_.contains(kChangedFields)) return {};
  return string_list(stored_.get(kChangedFields));
}

void Endpoint::clear_changed() {
  if (is_changed()) stored_.erase(kChanged);
}

void Endpoint::clear_changed(const std::string& field) {
  if (!is_changed(field)) return;
  std::vector<std::string> fields = changed_fields();
  fields.erase(std::remove(fields.begin(), fields.end(), field), fields.end());
  if (fields.empty()) {
    stored_.erase(kChangedFields);
  } else {
    stored_.set(kChangedFields, fields);
  }
}

bool Endpoint::is_departed() const {
  return stored_.contains(kDeparted) && stored_.get<bool>(kDeparted);
}

void Endpoint::clear_departed() {
  if (is_departed()) stored_.erase(kDeparted);
}

std::vector<DepartedUnit> Endpoint::departed_units() const {
  std::vector<DepartedUnit> out;
  if (!stored_.contains(kDepartedUnits)) return out;
  for (const auto& item : stored_.get(kDepartedUnits)) {
    out.push_back(DepartedUnit{item.at("unit_name").get<std::string>(),
                               item.at("relation_id").get<int>(),
                               item.at("data").get<std::map<std::string, std::string>>()});
  }
  return out;
}

void Endpoint::clear_departed_units() {
  if (stored_.contains(kDepartedUnits)) stored_.erase(kDepartedUnits);
}

JsonDataView Endpoint::to_publish(ops::Relation& relation) const {
  return JsonDataView(to_publish_raw(relation));
}

ops::RelationDataContent& Endpoint::to_publish_raw(ops::Relation& relation) const {
  return relation.data(charm_.framework().model().unit());
}

JsonDataView Endpoint::to_publish_app(ops::Relation& relation) const {
  return JsonDataView(to_publish_app_raw(relation));
}

ops::RelationDataContent& Endpoint::to_publish_app_raw(ops::Relation& relation) const {
  return relation.data(charm_.framework().model().app());
}

JsonDataView Endpoint::received_app(ops::Relation& relation) const {
  return JsonDataView(received_app_raw(relation));
}

ops::RelationDataContent& Endpoint::received_app_raw(ops::Relation& relation) const {
  ops::Application* app = relation.app();
  if (app == nullptr) {
    throw ops::ModelError("relation " + endpoint_name_ + ":" + std::to_string(relation.id()) +
                          " has no known remote application");
  }
  return relation.data(*app);
}

std::string Endpoint::expand_name(std::string_view flag) const {
  std::string out(flag);
  if (out.find("{endpoint_name}") == std::string::npos) out = "endpoint.{endpoint_name}." + out;
  const std::string placeholder = "{endpoint_name}";
  for (std::size_t pos = out.find(placeholder); pos != std::string::npos;
       pos = out.find(placeholder, pos + endpoint_name_.size())) {
    out.replace(pos, placeholder.size(), endpoint_name_);
  }
  return out;
}

void Endpoint::on_relation_event(ops::RelationEvent& event) { track(event); }

void Endpoint::track(ops::RelationEvent& event) {
  const bool departed_hook = dynamic_cast<ops::RelationDepartedEvent*>(&event) != nullptr;
  const bool broken_hook = dynamic_cast<ops::RelationBrokenEvent*>(&event) != nullptr;
  const bool joined_hook = dynamic_cast<ops::RelationJoinedEvent*>(&event) != nullptr;
  std::optional<std::string> departing;
  if (departed_hook) {
    const auto& departed = static_cast<ops::RelationDepartedEvent&>(event);
    // The remote unit that left (JUJU_REMOTE_UNIT, as reactive's
    // remote_unit()); the departing unit when Juju did not say.
    departing = departed.unit_name() ? departed.unit_name() : departed.departing_unit_name();
  }

  // A unit that leaves: remember it with its last data (reactive's
  // all_departed_units) and raise the departed flag.
  if (departed_hook && departing) {
    std::map<std::string, std::string> data;
    try {
      ops::Relation& relation = event.relation();
      data = relation.data(charm_.framework().model().get_unit(*departing)).as_map();
    } catch (const ops::ModelError&) {
      // Juju no longer answers for the unit: keep it without data.
    }
    nlohmann::json units =
        stored_.contains(kDepartedUnits) ? stored_.get(kDepartedUnits) : nlohmann::json::array();
    units.push_back(
        {{"unit_name", *departing}, {"relation_id", event.relation_id()}, {"data", data}});
    stored_.set(kDepartedUnits, std::move(units));
    stored_.set(kDeparted, true);
  }

  // What each joined unit published, against what was seen before.
  nlohmann::json seen = stored_.contains(kSeen) ? stored_.get(kSeen) : nlohmann::json::object();
  nlohmann::json now = nlohmann::json::object();
  std::set<std::string> changed;
  const std::vector<RelatedUnit> units = all_joined_units();
  if (!departed_hook && !broken_hook && !units.empty()) clear_departed();
  for (const RelatedUnit& unit : units) {
    if (departing && unit.unit_name() == *departing && unit.relation_id() == event.relation_id()) {
      continue;  // as in reactive: departed as soon as its departed hook starts
    }
    const std::string rid = std::to_string(unit.relation_id());
    const nlohmann::json* before = nullptr;
    if (auto r = seen.find(rid); r != seen.end()) {
      if (auto u = r->find(unit.unit_name()); u != r->end()) before = &*u;
    }
    nlohmann::json hashes = nlohmann::json::object();
    for (const auto& [key, value] : unit.received_raw().as_map()) {
      const std::string hash = value_hash(value);
      hashes[key] = hash;
      if (before == nullptr || !before->contains(key) || before->at(key) != hash) {
        changed.insert(key);
      }
    }
    if (before != nullptr) {
      for (const auto& [key, hash] : before->items()) {
        if (!hashes.contains(key)) changed.insert(key);  // a field that is gone
      }
    }
    now[rid][unit.unit_name()] = std::move(hashes);
  }
  if (now != seen) stored_.set(kSeen, now);

  if (!changed.empty()) {
    stored_.set(kChanged, true);
    std::vector<std::string> fields = changed_fields();
    for (const std::string& field : changed) {
      if (std::find(fields.begin(), fields.end(), field) == fields.end()) fields.push_back(field);
    }
    std::sort(fields.begin(), fields.end());
    stored_.set(kChangedFields, fields);
  }

  const int rid = event.relation_id();
  const std::optional<std::string>& unit = departed_hook ? departing : event.unit_name();
  if (joined_hook) on.joined.emit(endpoint_name_, rid, unit);
  if (!changed.empty()) {
    on.changed.emit(endpoint_name_, rid, event.unit_name(),
                    std::vector<std::string>(changed.begin(), changed.end()));
    for (const std::string& field : changed) {
      if (auto* source = on.find_field(field)) {
        source->emit(endpoint_name_, rid, event.unit_name(), field);
      }
    }
  }
  if (departed_hook) on.departed.emit(endpoint_name_, rid, unit);
  if (broken_hook) on.broken.emit(endpoint_name_, rid, std::nullopt);
}

}  // namespace charms::reactive::v0
