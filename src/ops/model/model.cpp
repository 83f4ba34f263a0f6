// The Model: lazy, cached views of Juju over a ModelBackend.
#include "ops/model.hpp"

#include <algorithm>

#include "ops/charm.hpp"
#include "ops/detail/juju_names.hpp"
#include "ops/hookcmds.hpp"

namespace ops {
namespace {

std::string app_of(const std::string& unit_name) {
  return unit_name.substr(0, unit_name.find('/'));
}

std::string join_names(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "(none)" : out;
}

int status_priority(const std::string& name) {
  if (name == "error") return 5;
  if (name == "blocked") return 4;
  if (name == "maintenance") return 3;
  if (name == "waiting") return 2;
  if (name == "active") return 1;
  return 0;
}

}  // namespace

// ------------------------------------------------------------------ statuses

StatusBase StatusBase::from_name(const std::string& name, const std::string& message) {
  if (name == "unknown") return UnknownStatus();
  if (name == "active" || name == "blocked" || name == "maintenance" || name == "waiting" ||
      name == "error") {
    return StatusBase(name, message);
  }
  throw InvalidStatusError("unknown status name \"" + name + "\"");
}

StatusBase StatusBase::highest_priority(const std::vector<StatusBase>& statuses) {
  if (statuses.empty()) return UnknownStatus();
  const StatusBase* best = &statuses.front();
  for (const auto& s : statuses) {
    if (status_priority(s.name()) > status_priority(best->name())) best = &s;
  }
  return *best;
}

bool StatusBase::is_settable() const noexcept { return name_ != "unknown" && name_ != "error"; }

std::string StatusBase::to_string() const {
  if (name_ == "unknown") return "UnknownStatus()";
  std::string kind = name_;
  kind[0] = static_cast<char>(kind[0] - 'a' + 'A');
  return kind + "Status(" + nlohmann::json(message_).dump() + ")";
}

std::ostream& operator<<(std::ostream& out, const StatusBase& status) {
  return out << status.to_string();
}

// ------------------------------------------------------------------ databags

RelationDataContent::RelationDataContent(Model& model, const Relation& relation,
                                         std::string entity_name, bool is_app)
    : model_(model), relation_(relation), entity_(std::move(entity_name)), is_app_(is_app) {}

const std::map<std::string, std::string>& RelationDataContent::loaded() const {
  if (!remote_) {
    try {
      remote_ = model_.backend().relation_get(relation_.id(), entity_, is_app_);
    } catch (const RelationNotFoundError&) {
      remote_.emplace();  // a relation that has gone has no data
    }
  }
  return *remote_;
}

void RelationDataContent::validate_read() const {
  ModelBackend& backend = model_.backend();
  if (!backend.hook_is_running() || !is_app_) return;  // unit bags are readable by all
  if (entity_ != backend.app_name()) return;           // the remote application's bag
  if (relation_.is_peer()) return;                     // peer app data is shared by all units
  if (backend.is_leader()) return;
  throw RelationDataAccessError(backend.unit_name() +
                                " is not leader and cannot read its own application databag");
}

void RelationDataContent::validate_write() {
  ModelBackend& backend = model_.backend();
  if (!backend.hook_is_running()) return;
  if (is_app_) {
    if (entity_ != backend.app_name()) {
      throw RelationDataAccessError(backend.app_name() +
                                    " cannot write the data of remote application " + entity_);
    }
    if (!backend.is_leader()) {
      throw RelationDataAccessError(backend.unit_name() +
                                    " is not leader and cannot write application data");
    }
  } else if (entity_ != backend.unit_name()) {
    throw RelationDataAccessError(backend.unit_name() + " cannot write the databag of " + entity_ +
                                  ": not the same unit");
  }
}

std::optional<std::string> RelationDataContent::get(const std::string& key) const {
  validate_read();
  if (auto it = pending_.find(key); it != pending_.end()) {
    if (it->second.empty()) return std::nullopt;
    return it->second;
  }
  const auto& data = loaded();
  auto it = data.find(key);
  if (it == data.end()) return std::nullopt;
  return it->second;
}

std::string RelationDataContent::at(const std::string& key) const {
  auto value = get(key);
  if (!value) {
    throw RelationDataError("key \"" + key + "\" is not set in the databag of " + entity_ +
                            " in relation " + relation_.name() + ":" +
                            std::to_string(relation_.id()));
  }
  return *value;
}

bool RelationDataContent::contains(const std::string& key) const { return get(key).has_value(); }

std::map<std::string, std::string> RelationDataContent::as_map() const {
  validate_read();
  std::map<std::string, std::string> out = loaded();
  for (const auto& [key, value] : pending_) {
    if (value.empty()) {
      out.erase(key);
    } else {
      out[key] = value;
    }
  }
  return out;
}

std::size_t RelationDataContent::size() const { return as_map().size(); }
bool RelationDataContent::empty() const { return as_map().empty(); }

void RelationDataContent::set(const std::string& key, const std::string& value) {
  if (key.empty()) throw RelationDataTypeError("relation data keys must not be empty");
  validate_write();
  pending_[key] = value;
}

void RelationDataContent::update(const std::map<std::string, std::string>& values) {
  for (const auto& [key, value] : values) {
    if (key.empty()) throw RelationDataTypeError("relation data keys must not be empty");
  }
  validate_write();
  for (const auto& [key, value] : values) pending_[key] = value;
}

void RelationDataContent::erase(const std::string& key) { set(key, ""); }

void RelationDataContent::flush() {
  if (pending_.empty()) return;
  if (remote_) {
    // What Juju already has is not sent again.
    std::erase_if(pending_, [&](const auto& entry) {
      const auto it = remote_->find(entry.first);
      return entry.second == (it == remote_->end() ? std::string_view() : it->second);
    });
  }
  if (!pending_.empty()) model_.backend().relation_set(relation_.id(), pending_, is_app_);
  if (remote_) {
    for (auto& [key, value] : pending_) {
      if (value.empty()) {
        remote_->erase(key);
      } else {
        (*remote_)[key] = std::move(value);
      }
    }
  }
  pending_.clear();
}

void RelationDataContent::invalidate() { remote_.reset(); }

// ----------------------------------------------------------------- relations

Relation::Relation(Model& model, std::string name, int id, bool is_peer, bool active)
    : model_(model), name_(std::move(name)), id_(id), is_peer_(is_peer), active_(active) {}

void Relation::load_members() const {
  if (members_loaded_) return;
  members_loaded_ = true;
  units_.clear();
  app_ = is_peer_ ? &model_.app() : nullptr;
  try {
    for (const auto& unit_name : model_.backend().relation_list(id_)) {
      Unit& unit = model_.get_unit(unit_name);
      units_.push_back(&unit);
      if (app_ == nullptr) app_ = &unit.app();
    }
  } catch (const RelationNotFoundError&) {
    active_ = false;  // the relation has gone: no remote units
  }
  std::sort(units_.begin(), units_.end(),
            [](const Unit* a, const Unit* b) { return a->name() < b->name(); });
  if (app_ == nullptr) {
    if (auto name = model_.backend().relation_remote_app_name(id_)) app_ = &model_.get_app(*name);
  }
}

void Relation::invalidate() {
  members_loaded_ = false;
  for (auto& [key, bag] : bags_) bag->invalidate();
}

bool Relation::active() const {
  if (active_) load_members();
  return active_;
}

Application* Relation::app() const {
  if (is_peer_) return &model_.app();
  load_members();
  return app_;
}

const std::vector<Unit*>& Relation::units() const {
  load_members();
  return units_;
}

RelationDataContent& Relation::bag(const std::string& entity, bool is_app) const {
  auto key = std::make_pair(is_app, entity);
  if (auto it = bags_.find(key); it != bags_.end()) return *it->second;

  ModelBackend& backend = model_.backend();
  const std::string entity_app = is_app ? entity : app_of(entity);
  bool ours = is_app ? entity == backend.app_name() : entity == backend.unit_name();
  bool member = ours || (is_peer_ && entity_app == backend.app_name());
  if (!member) {
    Application* remote = app();
    member = remote != nullptr && remote->name() == entity_app;
  }
  if (!member) {
    throw RelationDataError(std::string(is_app ? "application " : "unit ") + entity +
                            " is not part of relation " + name_ + ":" + std::to_string(id_));
  }
  auto [it, inserted] =
      bags_.emplace(key, std::make_unique<RelationDataContent>(model_, *this, entity, is_app));
  return *it->second;
}

RelationDataContent& Relation::data(const Unit& unit) { return bag(unit.name(), false); }
RelationDataContent& Relation::data(const Application& app) { return bag(app.name(), true); }
const RelationDataContent& Relation::data(const Unit& unit) const {
  return bag(unit.name(), false);
}
const RelationDataContent& Relation::data(const Application& app) const {
  return bag(app.name(), true);
}

nlohmann::json Relation::load_bag(const RelationDataContent& data) const {
  nlohmann::json doc = nlohmann::json::object();
  for (const auto& [key, value] : data.as_map()) {
    try {
      doc[key] = nlohmann::json::parse(value);
    } catch (const nlohmann::json::exception&) {
      throw RelationDataTypeError("relation " + name_ + ":" + std::to_string(id_) + " key \"" +
                                  key + "\" of " + data.entity_name() + " is not JSON: " + value);
    }
  }
  return doc;
}

void Relation::save_bag(const nlohmann::json& fields, RelationDataContent& data) {
  if (!fields.is_object()) {
    throw RelationDataTypeError("relation data to save must be a JSON object, not " +
                                std::string(fields.type_name()));
  }
  std::map<std::string, std::string> values;
  for (const auto& [key, value] : fields.items()) values[key] = value.dump();
  data.update(values);
}

nlohmann::json Relation::load_json(const Unit& src) const { return load_bag(data(src)); }
nlohmann::json Relation::load_json(const Application& src) const { return load_bag(data(src)); }
void Relation::save_json(const nlohmann::json& fields, const Unit& dst) {
  save_bag(fields, data(dst));
}
void Relation::save_json(const nlohmann::json& fields, const Application& dst) {
  save_bag(fields, data(dst));
}

// ------------------------------------------------------------------- secrets

Secret::Secret(ModelBackend& backend, std::optional<std::string> id,
               std::optional<std::string> label,
               std::optional<std::map<std::string, std::string>> content)
    : backend_(&backend),
      id_(std::move(id)),
      label_(std::move(label)),
      content_(std::move(content)) {}

std::string Secret::canonicalize_id(const std::string& id) {
  auto start = id.find_first_not_of(" \t\n");
  auto end = id.find_last_not_of(" \t\n");
  std::string trimmed = start == std::string::npos ? "" : id.substr(start, end - start + 1);
  if (trimmed.rfind("secret:", 0) == 0) return trimmed;
  return "secret:" + trimmed;
}

void Secret::validate_content(const std::map<std::string, std::string>& content) {
  if (content.empty()) throw ModelError("secret content must not be empty");
  std::string invalid;
  for (const auto& [key, value] : content) {
    if (!detail::is_secret_content_key(key))
      invalid += (invalid.empty() ? "\"" : ", \"") + key + "\"";
  }
  if (!invalid.empty()) {
    throw ModelError("invalid secret keys: " + invalid +
                     ". Keys should be lowercase letters and digits, at least 3 characters "
                     "long, start with a letter, and not start or end with a hyphen");
  }
}

std::optional<std::string> Secret::unique_identifier() const {
  if (!id_) return std::nullopt;
  std::string rest = *id_;
  if (rest.rfind("secret:", 0) == 0) rest.erase(0, 7);
  auto slash = rest.rfind('/');
  return slash == std::string::npos ? rest : rest.substr(slash + 1);
}

const std::string& Secret::ensure_id() {
  if (!id_) id_ = get_info().id;
  return *id_;
}

std::map<std::string, std::string> Secret::get_content(bool refresh) {
  if (refresh || !content_) content_ = backend_->secret_get(id_, label_, refresh, false);
  return *content_;
}

std::map<std::string, std::string> Secret::peek_content() {
  return backend_->secret_get(id_, label_, false, true);
}

SecretInfo Secret::get_info() { return backend_->secret_info_get(id_, label_); }

void Secret::set_content(const std::map<std::string, std::string>& content) {
  validate_content(content);
  backend_->secret_set(ensure_id(), content, {});
}

void Secret::set_info(const SecretOptions& options) {
  if (!options.label && !options.description && !options.expire && !options.rotate) {
    throw ModelError("set_info needs a label, description, expiration time or rotation policy");
  }
  backend_->secret_set(ensure_id(), std::nullopt, options);
  if (options.label) label_ = options.label;
}

void Secret::grant(const Relation& relation, const Unit* unit) {
  backend_->secret_grant(ensure_id(), relation.id(),
                         unit ? std::optional<std::string>(unit->name()) : std::nullopt);
}

void Secret::revoke(const Relation& relation, const Unit* unit) {
  backend_->secret_revoke(ensure_id(), relation.id(),
                          unit ? std::optional<std::string>(unit->name()) : std::nullopt);
}

void Secret::remove_revision(int revision) { backend_->secret_remove(ensure_id(), revision); }

void Secret::remove_all_revisions() { backend_->secret_remove(ensure_id(), std::nullopt); }

// ------------------------------------------------------- units, applications

Unit::Unit(Model& model, std::string name) : model_(model), name_(std::move(name)) {}

Application& Unit::app() const { return model_.get_app(app_of(name_)); }

bool Unit::is_ours() const { return name_ == model_.backend().unit_name(); }

void Unit::require_ours(const char* what) const {
  if (!is_ours()) throw ModelError(std::string("cannot ") + what + " of remote unit " + name_);
}

bool Unit::is_leader() const {
  if (!is_ours()) {
    throw ModelError("leadership status of unit " + name_ + " is not visible to " +
                     model_.backend().unit_name());
  }
  return model_.backend().is_leader();
}

StatusBase Unit::status() const {
  if (!is_ours()) return UnknownStatus();
  if (!status_) status_ = model_.backend().status_get(false);
  return *status_;
}

void Unit::set_status(const StatusBase& status) {
  if (!status.is_settable()) {
    throw InvalidStatusError("invalid status for unit " + name_ + ": " + status.to_string() +
                             " cannot be set");
  }
  if (!is_ours()) throw InvalidStatusError("cannot set the status of remote unit " + name_);
  // Juju applies a status-set at once: repeating the one we last set is not observable.
  if (status_set_ && status_ == status) return;
  model_.backend().status_set(status, false);
  status_ = status;
  status_set_ = true;
}

void Unit::set_workload_version(const std::string& version) {
  require_ours("set the workload version");
  if (workload_version_ == version) return;  // already set in this dispatch
  model_.backend().application_version_set(version);
  workload_version_ = version;
}

Secret Unit::add_secret(const std::map<std::string, std::string>& content,
                        const SecretOptions& options) {
  require_ours("add a secret");
  Secret::validate_content(content);
  std::string id = model_.backend().secret_add(content, options, "unit");
  return Secret(model_.backend(), id, options.label, content);
}

void Unit::open_port(const std::string& protocol, std::optional<int> port) {
  require_ours("open a port");
  hookcmds::validate_port(protocol, port);
  model_.backend().open_port(protocol, port);
}

void Unit::close_port(const std::string& protocol, std::optional<int> port) {
  require_ours("close a port");
  hookcmds::validate_port(protocol, port);
  model_.backend().close_port(protocol, port);
}

std::set<Port> Unit::opened_ports() const {
  require_ours("list the opened ports");
  auto ports = model_.backend().opened_ports();
  return {ports.begin(), ports.end()};
}

void Unit::set_ports(const std::vector<Port>& ports) {
  require_ours("set the ports");
  for (const auto& p : ports) hookcmds::validate_port(p.protocol, p.port);
  std::set<Port> wanted(ports.begin(), ports.end());
  std::set<Port> current = opened_ports();
  for (const auto& p : current) {
    if (!wanted.count(p)) model_.backend().close_port(p.protocol, p.port);
  }
  for (const auto& p : wanted) {
    if (!current.count(p)) model_.backend().open_port(p.protocol, p.port);
  }
}

void Unit::reboot(bool now) {
  require_ours("reboot the machine");
  model_.backend().reboot(now);
}

Application::Application(Model& model, std::string name) : model_(model), name_(std::move(name)) {}

bool Application::is_ours() const { return name_ == model_.backend().app_name(); }

StatusBase Application::status() const {
  if (!is_ours()) return UnknownStatus();
  if (!model_.backend().is_leader()) {
    throw InvalidStatusError("cannot get application status as a non-leader unit");
  }
  if (!status_) status_ = model_.backend().status_get(true);
  return *status_;
}

void Application::set_status(const StatusBase& status) {
  if (!status.is_settable()) {
    throw InvalidStatusError("invalid status for application " + name_ + ": " + status.to_string() +
                             " cannot be set");
  }
  if (!is_ours()) throw InvalidStatusError("cannot set the status of remote application " + name_);
  if (!model_.backend().is_leader()) {
    throw InvalidStatusError("cannot set application status as a non-leader unit");
  }
  if (status_set_ && status_ == status) return;  // as Unit::set_status
  model_.backend().status_set(status, true);
  status_ = status;
  status_set_ = true;
}

int Application::planned_units() const {
  if (!is_ours()) throw ModelError("cannot get planned units for remote application " + name_);
  if (!planned_units_) planned_units_ = model_.backend().planned_units();
  return *planned_units_;
}

Secret Application::add_secret(const std::map<std::string, std::string>& content,
                               const SecretOptions& options) {
  if (!is_ours()) throw ModelError("cannot add a secret to remote application " + name_);
  Secret::validate_content(content);
  std::string id = model_.backend().secret_add(content, options, "application");
  return Secret(model_.backend(), id, options.label, content);
}

// --------------------------------------------------------- config, resources

const nlohmann::json& Config::values() const {
  if (!values_) values_ = backend_.config_get();
  return *values_;
}

bool Config::contains(const std::string& key) const { return values().contains(key); }

const nlohmann::json& Config::at(const std::string& key) const {
  const auto& all = values();
  auto it = all.find(key);
  if (it == all.end()) throw ModelError("config option '" + key + "' is not set");
  return *it;
}

std::filesystem::path Resources::fetch(const std::string& name) {
  if (!names_.count(name)) {
    throw ResourceNotFoundError("invalid resource name: " + name +
                                " (the charm declares: " + join_names(names_) + ")");
  }
  auto it = paths_.find(name);
  if (it != paths_.end()) return it->second;
  if (auto failed = failures_.find(name); failed != failures_.end()) {
    std::rethrow_exception(failed->second);
  }
  try {
    return paths_.emplace(name, backend_.resource_get(name)).first->second;
  } catch (const ModelError&) {
    failures_.emplace(name, std::current_exception());
    throw;
  }
}

const std::filesystem::path& Storage::location() const {
  if (!location_) location_ = backend_->storage_get(full_id(), "location");
  return *location_;
}

std::vector<Storage>& StorageMapping::operator[](const std::string& name) {
  if (!contains(name)) {
    throw ModelError("storage '" + name + "' not found (the charm declares: " + join_names(names_) +
                     ")");
  }
  auto it = instances_.find(name);
  if (it == instances_.end()) {
    std::vector<Storage> list;
    for (int index : backend_.storage_list(name)) list.emplace_back(backend_, name, index);
    it = instances_.emplace(name, std::move(list)).first;
  }
  return it->second;
}

void StorageMapping::request(const std::string& name, int count) {
  if (!contains(name)) {
    throw ModelError("cannot add storage '" + name + "': it is not in the charm metadata");
  }
  backend_.storage_add(name, count);
}

const Network& Binding::network() const {
  if (!network_) {
    try {
      network_ = backend_.network_get(name_, relation_id_);
    } catch (const RelationNotFoundError&) {
      if (!relation_id_) throw;
      network_ = backend_.network_get(name_, std::nullopt);  // the relation has gone
    }
  }
  return *network_;
}

// --------------------------------------------------------------------- Model

namespace {
std::set<std::string> keys_of(const auto& map) {
  std::set<std::string> out;
  for (const auto& [key, value] : map) out.insert(key);
  return out;
}
}  // namespace

Model::Model(const CharmMeta& meta, std::unique_ptr<ModelBackend> backend)
    : meta_(meta),
      owned_backend_(std::move(backend)),
      backend_(*owned_backend_),
      unit_name_(backend_.unit_name()),
      app_name_(app_of(unit_name_)),
      config_(backend_),
      resources_(backend_, keys_of(meta.resources)),
      storages_(backend_, keys_of(meta.storages)) {}

Model::Model(const CharmMeta& meta, ModelBackend& backend)
    : meta_(meta),
      backend_(backend),
      unit_name_(backend_.unit_name()),
      app_name_(app_of(unit_name_)),
      config_(backend_),
      resources_(backend_, keys_of(meta.resources)),
      storages_(backend_, keys_of(meta.storages)) {}

Model::~Model() = default;

Unit& Model::unit() { return get_unit(unit_name_); }
Application& Model::app() { return get_app(app_name_); }
std::string Model::name() const { return backend_.model_name(); }
std::string Model::uuid() const { return backend_.model_uuid(); }

Unit& Model::get_unit(const std::string& name) {
  auto it = units_.find(name);
  if (it == units_.end()) it = units_.emplace(name, std::make_unique<Unit>(*this, name)).first;
  return *it->second;
}

Application& Model::get_app(const std::string& name) {
  auto it = apps_.find(name);
  if (it == apps_.end()) it = apps_.emplace(name, std::make_unique<Application>(*this, name)).first;
  return *it->second;
}

std::vector<std::string> Model::relation_names() const {
  std::vector<std::string> names;
  for (const auto& [name, meta] : meta_.relations) names.push_back(name);
  return names;
}

Relation& Model::relation_object(const std::string& endpoint, int id, bool active) {
  auto it = relations_by_id_.find(id);
  if (it == relations_by_id_.end()) {
    bool is_peer = meta_.peer_relations.count(endpoint) != 0;
    it = relations_by_id_
             .emplace(id, std::make_unique<Relation>(*this, endpoint, id, is_peer, active))
             .first;
  }
  return *it->second;
}

const std::vector<Relation*>& Model::relations(const std::string& endpoint) {
  if (!meta_.relations.count(endpoint)) {
    throw ModelError("unknown relation endpoint '" + endpoint +
                     "' (the charm declares: " + join_names(keys_of(meta_.relations)) + ")");
  }
  auto it = relations_.find(endpoint);
  if (it != relations_.end()) return it->second;
  std::vector<Relation*> list;
  for (int id : backend_.relation_ids(endpoint)) {
    if (id == broken_relation_id_) continue;
    list.push_back(&relation_object(endpoint, id, true));
  }
  return relations_.emplace(endpoint, std::move(list)).first->second;
}

Relation* Model::get_relation(const std::string& endpoint, std::optional<int> relation_id) {
  if (relation_id) {
    if (!meta_.relations.count(endpoint)) {
      (void)relations(endpoint);  // throws the unknown-endpoint error
    }
    // No relation-ids needed: the relation's liveness is learnt lazily.
    Relation& relation =
        relation_object(endpoint, *relation_id, *relation_id != broken_relation_id_);
    if (relation.name() != endpoint) {
      throw ModelError("relation " + std::to_string(*relation_id) + " is on endpoint '" +
                       relation.name() + "', not '" + endpoint + "'");
    }
    return &relation;
  }
  const auto& list = relations(endpoint);
  if (list.empty()) return nullptr;
  if (list.size() > 1) {
    throw TooManyRelatedAppsError("too many remote applications on " + endpoint + " (" +
                                  std::to_string(list.size()) + " > 1)");
  }
  return list.front();
}

Binding& Model::get_binding(const std::string& name) {
  auto key = std::make_pair(name, std::optional<int>());
  auto it = bindings_.find(key);
  if (it == bindings_.end()) {
    it = bindings_.emplace(key, std::make_unique<Binding>(backend_, name, std::nullopt)).first;
  }
  return *it->second;
}

Binding& Model::get_binding(const Relation& relation) {
  auto key = std::make_pair(relation.name(), std::optional<int>(relation.id()));
  auto it = bindings_.find(key);
  if (it == bindings_.end()) {
    it = bindings_.emplace(key, std::make_unique<Binding>(backend_, relation.name(), relation.id()))
             .first;
  }
  return *it->second;
}

Secret Model::get_secret(const std::optional<std::string>& id,
                         const std::optional<std::string>& label) {
  if (!id && !label) throw ModelError("get_secret needs an id or a label, or both");
  std::optional<std::string> canonical;
  if (id) canonical = Secret::canonicalize_id(*id);
  auto content = backend_.secret_get(canonical, label, false, false);
  return Secret(backend_, canonical, label, std::move(content));
}

void Model::flush() {
  for (auto& [id, relation] : relations_by_id_) {
    for (auto& [key, bag] : relation->bags_) bag->flush();
  }
}

bool Model::has_pending_writes() const {
  for (const auto& [id, relation] : relations_by_id_) {
    for (const auto& [key, bag] : relation->bags_) {
      if (!bag->pending().empty()) return true;
    }
  }
  return false;
}

void Model::set_broken_relation_id(std::optional<int> relation_id) {
  broken_relation_id_ = relation_id;
  relations_.clear();
  if (relation_id) {
    if (auto it = relations_by_id_.find(*relation_id); it != relations_by_id_.end()) {
      it->second->active_ = false;
    }
  }
}

void Model::invalidate_caches() {
  config_.invalidate();
  resources_.invalidate();
  relations_.clear();
  for (auto& [id, relation] : relations_by_id_) {
    relation->invalidate();
    relation->active_ = id != broken_relation_id_;
  }
  for (auto& [name, unit] : units_) {
    unit->status_.reset();
    unit->status_set_ = false;
    unit->workload_version_.reset();
  }
  for (auto& [name, app] : apps_) {
    app->status_.reset();
    app->status_set_ = false;
    app->planned_units_.reset();
  }
  for (const auto& name : storages_.names()) storages_.invalidate(name);
  for (auto& [key, binding] : bindings_) binding->invalidate();
}

}  // namespace ops
