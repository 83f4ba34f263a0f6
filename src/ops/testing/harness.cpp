// Harness: a simulated unit whose world changes through test calls.
#include "ops/testing/harness.hpp"

#include <stdlib.h>

#include <algorithm>
#include <fstream>
#include <tuple>

#include "config_types.hpp"
#include "dispatch.hpp"
#include "ops/detail/access.hpp"
#include "ops/log.hpp"

namespace ops::testing {
namespace fs = std::filesystem;

namespace {

std::string app_of(const std::string& unit) { return unit.substr(0, unit.find('/')); }

std::pair<std::string, int> parse_storage_id(const std::string& storage_id) {
  const auto slash = storage_id.find('/');
  if (slash == std::string::npos || slash == 0) {
    throw HarnessError("invalid storage id \"" + storage_id + "\": expected NAME/INDEX");
  }
  try {
    std::size_t used = 0;
    const int index = std::stoi(storage_id.substr(slash + 1), &used);
    if (used != storage_id.size() - slash - 1 || index < 0) throw std::invalid_argument("index");
    return {storage_id.substr(0, slash), index};
  } catch (const std::exception&) {
    throw HarnessError("invalid storage id \"" + storage_id + "\": expected NAME/INDEX");
  }
}

std::string default_cidr(const std::string& address) {
  const auto dot = address.rfind('.');
  if (dot == std::string::npos || address.find(':') != std::string::npos) return address + "/64";
  return address.substr(0, dot) + ".0/24";
}

}  // namespace

// ------------------------------------------------------------- HooksDisabled

HooksDisabled::HooksDisabled(HarnessBase& harness)
    : harness_(harness), was_enabled_(harness.hooks_enabled()) {
  harness_.disable_hooks();
}

HooksDisabled::~HooksDisabled() {
  if (was_enabled_) harness_.enable_hooks();
}

// --------------------------------------------------------------- HarnessBase

HarnessBase::HarnessBase(CharmFactory factory, std::string_view metadata, std::string_view config,
                         std::string_view actions)
    : factory_(std::move(factory)), meta_(CharmMeta::from_yaml(metadata, actions, config)) {
  init();
}

HarnessBase::HarnessBase(CharmFactory factory, const CharmDir& dir)
    : factory_(std::move(factory)), meta_(CharmMeta::from_charm_dir(dir.path)) {
  init();
}

void HarnessBase::init() {
  if (!factory_) throw HarnessError("the Harness needs a charm factory");
  backend_ = std::make_unique<FakeBackend>(meta_, meta_.name + "/0");
  model_ = std::make_unique<Model>(meta_, *backend_);
  FakeBackend* backend = backend_.get();
  ops::detail::ModelAccess::set_pebble_client_factory(
      *model_,
      [backend](const std::string& container) { return backend->pebble(container).client(); });
  framework_ = std::make_unique<Framework>(storage_, model_.get());
  log::set_sink([backend](log::Level level, std::string_view message) {
    backend->juju_log(std::string(log::to_string(level)), std::string(message));
  });
}

HarnessBase::~HarnessBase() {
  log::set_sink({});
  flusher_.reset();
  charm_.reset();
  framework_.reset();
  if (temp_dir_) {
    std::error_code ec;
    fs::remove_all(*temp_dir_, ec);
  }
}

CharmBase& HarnessBase::charm_base() {
  require_begun("use the charm");
  return *charm_;
}

void HarnessBase::require_begun(const char* what) const {
  if (!charm_) {
    throw HarnessError(std::string("cannot ") + what + " before begin()");
  }
}

void HarnessBase::require_endpoint(const std::string& endpoint) const {
  if (!meta_.relations.count(endpoint)) {
    throw HarnessError("relation endpoint '" + endpoint + "' is not declared in the metadata");
  }
}

void HarnessBase::require_container(const std::string& container) const {
  if (!meta_.containers.count(container)) {
    throw HarnessError("container '" + container + "' is not declared in the metadata");
  }
}

RelationRecord& HarnessBase::relation_record(int relation_id) {
  return backend_->relation(relation_id);
}

const fs::path& HarnessBase::temp_dir() {
  if (!temp_dir_) {
    std::string pattern = (fs::temp_directory_path() / "ops-testing-harness-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw HarnessError("cannot make a temporary directory for the Harness");
    }
    temp_dir_ = fs::path(pattern);
  }
  return *temp_dir_;
}

void HarnessBase::changed() { ops::detail::ModelAccess::invalidate_caches(*model_); }

// ---------------------------------------------------------------- lifecycle

void HarnessBase::begin() {
  if (charm_) throw HarnessError("begin() was already called");
  changed();
  // Juju constructs the charm inside the hook: the access rules hold in the
  // constructor too (a charm that writes a remote bag there fails here).
  backend_->data().hook_running = true;
  struct AfterConstruction {
    FakeBackend::Data& data;
    ~AfterConstruction() { data.hook_running = false; }
  } after{backend_->data()};
  charm_ = factory_(*framework_);
  if (!charm_) throw HarnessError("the charm factory returned no charm");
  flusher_ = std::make_unique<detail::CommitFlusher>(*framework_, *model_, "ops_testing");
}

void HarnessBase::fire_relation_event(std::string_view suffix, const RelationEvent::Args& args,
                                      std::optional<int> broken_relation_id) {
  if (!charm_ || !hooks_enabled_) return;
  // Taken out while the event runs: a handler that fires another event
  // (through the Harness) builds its own.
  std::optional<RelationEventMemo> memo = std::move(last_relation_event_);
  last_relation_event_.reset();
  if (!memo || memo->suffix != suffix || memo->args != args) {
    std::string kind = CharmEvents::kind_prefix(args.relation_name);
    kind.append("_").append(suffix);
    memo = RelationEventMemo{std::string(suffix), args, std::move(kind), args.snapshot()};
  }
  fire_kind(memo->kind, memo->snapshot, broken_relation_id);
  last_relation_event_ = std::move(memo);
}

void HarnessBase::fire_kind(std::string_view kind, const nlohmann::json& snapshot,
                            std::optional<int> broken_relation_id) {
  if (!charm_ || !hooks_enabled_) return;
  FakeBackend::Data& data = backend_->data();
  data.hook_running = true;
  if (broken_relation_id)
    ops::detail::ModelAccess::set_broken_relation_id(*model_, broken_relation_id);
  struct AfterEvent {
    HarnessBase& harness;
    bool broken;
    ~AfterEvent() {
      harness.backend_->data().hook_running = false;
      if (broken) {
        ops::detail::ModelAccess::set_broken_relation_id(*harness.model_, std::nullopt);
        harness.changed();
      }
    }
  } after{*this, broken_relation_id.has_value()};
  try {
    detail::run_dispatch_steps(*framework_, *charm_, kind, snapshot,
                               {.reemit = true, .collect_status = false, .commit = true});
  } catch (const AbortDispatch&) {
    storage_.rollback();
  } catch (...) {
    // As in production nothing of the framework's state is committed; the
    // relation writes the charm made are kept visible, as Python's Harness does.
    storage_.rollback();
    try {
      model_->flush();
    } catch (...) {
    }
    throw;
  }
}

void HarnessBase::begin_with_initial_hooks() {
  begin();
  for (auto& [name, instances] : backend_->data().storages) {
    std::vector<int> indices;
    for (const auto& [index, record] : instances) indices.push_back(index);
    for (int index : indices) {
      StorageRecord& record = backend_->data().storages.at(name).at(index);
      if (record.attached) {
        fire_storage<StorageAttachedEvent>(name, index);
      } else {
        attach_storage(name + "/" + std::to_string(index));
      }
    }
  }
  fire<InstallEvent>();
  for (const auto& [endpoint, relation_meta] : meta_.relations) {
    const std::vector<int> ids = backend_->relation_ids(endpoint);
    if (relation_meta.role == RelationRole::kPeer && ids.empty()) {
      add_relation(endpoint, model_->app().name());
      continue;
    }
    for (int id : ids) fire_relation<RelationCreatedEvent>(relation_record(id), std::nullopt);
  }
  if (backend_->data().leader) {
    fire<LeaderElectedEvent>();
  } else {
    fire<LeaderSettingsChangedEvent>();
  }
  fire<ConfigChangedEvent>();
  fire<StartEvent>();
  for (const auto& [container, container_meta] : meta_.containers) {
    container_pebble_ready(container);
  }
  FakeBackend::Data& data = backend_->data();
  if (data.unit_status == StatusBase::from_name("maintenance", "")) {
    data.unit_status = UnknownStatus();
    changed();
  }
  std::vector<std::pair<std::string, int>> order;
  for (const auto& [id, record] : data.relations) order.emplace_back(record.endpoint, id);
  std::sort(order.begin(), order.end());
  for (const auto& [endpoint, id] : order) {
    RelationRecord& record = relation_record(id);
    auto app_bag = record.app_data.find(record.remote_app);
    if (app_bag != record.app_data.end() && !app_bag->second.empty() &&
        record.remote_app != model_->app().name()) {
      fire_relation<RelationChangedEvent>(record, std::nullopt);
    }
    std::vector<std::string> units = record.remote_units;
    std::sort(units.begin(), units.end());
    for (const auto& unit : units) {
      fire_relation<RelationJoinedEvent>(relation_record(id), unit);
      fire_relation<RelationChangedEvent>(relation_record(id), unit);
    }
  }
}

// ---------------------------------------------------------------- relations

template <class E>
void HarnessBase::fire_relation(const RelationRecord& relation,
                                const std::optional<std::string>& unit,
                                const std::optional<std::string>& departing) {
  if (!charm_ || !hooks_enabled_) return;
  fire<E>({.relation_name = relation.endpoint,
           .relation_id = relation.id,
           .app_name = relation.remote_app,
           .unit_name = unit,
           .departing_unit = departing});
}

int HarnessBase::add_relation(const std::string& endpoint, const std::string& remote_app,
                              const AddRelationOptions& options) {
  require_endpoint(endpoint);
  const bool peer = meta_.peer_relations.count(endpoint) != 0;
  const std::string our_app = backend_->app_name();
  if (peer && remote_app != our_app) {
    throw HarnessError("'" + endpoint + "' is a peer endpoint: its remote application must be " +
                       our_app + ", not " + remote_app);
  }
  if (!peer && remote_app == our_app) {
    throw HarnessError("'" + endpoint + "' is not a peer endpoint: it cannot relate " + our_app +
                       " to itself");
  }
  if (remote_app.empty() || remote_app.find('/') != std::string::npos) {
    throw HarnessError("invalid remote application name \"" + remote_app + "\"");
  }
  const int id = next_relation_id_++;
  RelationRecord record;
  record.endpoint = endpoint;
  record.id = id;
  record.remote_app = remote_app;
  record.unit_data[backend_->unit_name()] = {};
  record.app_data[our_app] = {};
  record.app_data[remote_app] = {};
  backend_->data().relations.emplace(id, std::move(record));
  changed();
  fire_relation<RelationCreatedEvent>(relation_record(id), std::nullopt);

  if (options.app_data || options.unit_data) {
    const std::string unit = remote_app + (peer ? "/1" : "/0");
    RelationRecord& stored = relation_record(id);
    if (options.unit_data) stored.unit_data[unit] = *options.unit_data;
    if (options.app_data) stored.app_data[remote_app] = *options.app_data;
    add_relation_unit(id, unit);
    if (options.app_data) fire_relation<RelationChangedEvent>(relation_record(id), std::nullopt);
  }
  return id;
}

void HarnessBase::add_relation_unit(int relation_id, const std::string& remote_unit) {
  RelationRecord& record = relation_record(relation_id);
  if (app_of(remote_unit) != record.remote_app || remote_unit.find('/') == std::string::npos) {
    throw HarnessError("unit \"" + remote_unit + "\" cannot join relation " +
                       std::to_string(relation_id) + ": its units are named " + record.remote_app +
                       "/<number>");
  }
  if (remote_unit == backend_->unit_name()) {
    throw HarnessError("unit " + remote_unit + " is this unit, not a remote one");
  }
  if (std::find(record.remote_units.begin(), record.remote_units.end(), remote_unit) !=
      record.remote_units.end()) {
    throw HarnessError("unit " + remote_unit + " is already in relation " +
                       std::to_string(relation_id));
  }
  record.remote_units.push_back(remote_unit);
  record.unit_data.try_emplace(remote_unit);
  changed();
  fire_relation<RelationJoinedEvent>(relation_record(relation_id), remote_unit);
  fire_relation<RelationChangedEvent>(relation_record(relation_id), remote_unit);
}

void HarnessBase::remove_relation_unit(int relation_id, const std::string& remote_unit) {
  RelationRecord& record = relation_record(relation_id);
  auto it = std::find(record.remote_units.begin(), record.remote_units.end(), remote_unit);
  if (it == record.remote_units.end()) {
    throw HarnessError("unit " + remote_unit + " is not in relation " +
                       std::to_string(relation_id));
  }
  record.remote_units.erase(it);
  changed();
  fire_relation<RelationDepartedEvent>(relation_record(relation_id), remote_unit, remote_unit);
  relation_record(relation_id).unit_data.erase(remote_unit);
  changed();
}

void HarnessBase::remove_relation(int relation_id) {
  const std::vector<std::string> units = relation_record(relation_id).remote_units;
  for (const auto& unit : units) remove_relation_unit(relation_id, unit);
  fire_relation<RelationBrokenEvent>(relation_record(relation_id), std::nullopt);
  backend_->data().relations.erase(relation_id);
  for (auto& secret : backend_->data().secrets) secret.grants.erase(relation_id);
  changed();
}

void HarnessBase::update_relation_data(int relation_id, const std::string& app_or_unit,
                                       const Databag& values) {
  RelationRecord& record = relation_record(relation_id);
  const bool is_unit = app_or_unit.find('/') != std::string::npos;
  const std::string our_app = backend_->app_name();
  Databag* bag = nullptr;
  if (is_unit) {
    const bool member = app_or_unit == backend_->unit_name() ||
                        std::find(record.remote_units.begin(), record.remote_units.end(),
                                  app_or_unit) != record.remote_units.end();
    if (!member) {
      throw HarnessError("unit " + app_or_unit + " is not in relation " +
                         std::to_string(relation_id) + " (add it with add_relation_unit)");
    }
    bag = &record.unit_data[app_or_unit];
  } else {
    if (app_or_unit != our_app && app_or_unit != record.remote_app) {
      throw HarnessError("application " + app_or_unit + " is not in relation " +
                         std::to_string(relation_id));
    }
    bag = &record.app_data[app_or_unit];
  }
  if (model_->has_pending_writes()) model_->flush();
  bool differs = false;
  for (const auto& [key, value] : values) {
    if (key.empty()) throw HarnessError("relation data keys must not be empty");
    auto it = bag->find(key);
    if (value.empty() ? it != bag->end() : it == bag->end() || it->second != value) differs = true;
  }
  if (!differs) return;
  for (const auto& [key, value] : values) {
    if (value.empty()) {
      bag->erase(key);
    } else {
      (*bag)[key] = value;
    }
  }
  changed();
  if (app_or_unit == backend_->unit_name()) return;
  if (app_or_unit == our_app) {
    const bool peer = meta_.peer_relations.count(record.endpoint) != 0;
    if (!peer || backend_->data().leader) return;
  }
  fire_relation<RelationChangedEvent>(
      record, is_unit ? std::optional<std::string>(app_or_unit) : std::nullopt);
}

Databag HarnessBase::get_relation_data(int relation_id, const std::string& app_or_unit) {
  if (model_->has_pending_writes()) model_->flush();
  RelationRecord& record = relation_record(relation_id);
  const bool is_unit = app_or_unit.find('/') != std::string::npos;
  const auto& bags = is_unit ? record.unit_data : record.app_data;
  auto it = bags.find(app_or_unit);
  if (it == bags.end()) {
    throw HarnessError(std::string(is_unit ? "unit " : "application ") + app_or_unit +
                       " is not in relation " + std::to_string(relation_id));
  }
  return it->second;
}

// ------------------------------------------------- leadership, config, model

void HarnessBase::set_leader(bool is_leader) {
  const bool was_leader = backend_->data().leader;
  backend_->data().leader = is_leader;
  changed();
  if (is_leader && !was_leader) fire<LeaderElectedEvent>();
}

void HarnessBase::update_config(const nlohmann::json& values,
                                const std::vector<std::string>& unset) {
  if (!values.is_object() && !values.is_null())
    throw HarnessError("update_config takes a JSON object of options");
  static const nlohmann::json kNoOptions = nlohmann::json::object();
  const nlohmann::json& options = values.is_null() ? kNoOptions : values;
  for (const auto& [key, value] : options.items()) {
    auto it = meta_.config.find(key);
    if (it == meta_.config.end()) {
      throw HarnessError("unknown config option '" + key + "' (not in config.yaml)");
    }
    if (!detail::config_type_fits(it->second.type, value)) {
      throw HarnessError("config option '" + key + "' is of type " + it->second.type + ", not " +
                         value.dump());
    }
  }
  for (const auto& key : unset) {
    if (!meta_.config.count(key)) {
      throw HarnessError("unknown config option '" + key + "' (not in config.yaml)");
    }
  }
  nlohmann::json& config = backend_->data().config;
  for (const auto& [key, value] : options.items()) config[key] = value;
  for (const auto& key : unset) config.erase(key);
  changed();
  fire<ConfigChangedEvent>();
}

void HarnessBase::set_planned_units(int count) {
  if (count < 0) throw HarnessError("planned units cannot be negative");
  backend_->data().planned_units = count;
  changed();
}

void HarnessBase::reset_planned_units() {
  backend_->data().planned_units.reset();
  changed();
}

void HarnessBase::add_network(const std::string& address, const AddNetworkOptions& options) {
  if (options.relation_id && !options.endpoint) {
    throw HarnessError("add_network: a relation_id needs its endpoint");
  }
  if (options.endpoint) {
    const bool declared = meta_.relations.count(*options.endpoint) != 0 ||
                          std::find(meta_.extra_bindings.begin(), meta_.extra_bindings.end(),
                                    *options.endpoint) != meta_.extra_bindings.end();
    if (!declared) {
      throw HarnessError("add_network: binding '" + *options.endpoint +
                         "' is not declared in the metadata");
    }
  }
  if (options.relation_id) {
    const RelationRecord& record = relation_record(*options.relation_id);
    if (record.endpoint != *options.endpoint) {
      throw HarnessError("add_network: relation " + std::to_string(*options.relation_id) +
                         " is on endpoint '" + record.endpoint + "', not '" + *options.endpoint +
                         "'");
    }
  }
  const std::string cidr = options.cidr.empty() ? default_cidr(address) : options.cidr;
  Network network;
  network.interfaces.push_back({options.interface, address, cidr});
  network.ingress_addresses = options.ingress_addresses.empty() ? std::vector<std::string>{address}
                                                                : options.ingress_addresses;
  network.egress_subnets =
      options.egress_subnets.empty() ? std::vector<std::string>{cidr} : options.egress_subnets;
  backend_->data().networks[{options.endpoint.value_or(""), options.relation_id}] =
      std::move(network);
  changed();
}

void HarnessBase::set_model_name(const std::string& name) {
  if (charm_) throw HarnessError("cannot set the model name after begin()");
  backend_->data().model_name = name;
}

void HarnessBase::set_model_uuid(const std::string& uuid) {
  if (charm_) throw HarnessError("cannot set the model uuid after begin()");
  backend_->data().model_uuid = uuid;
}

// ---------------------------------------------------- storage and resources

template <class E>
void HarnessBase::fire_storage(const std::string& name, int index) {
  const StorageRecord& record = backend_->data().storages.at(name).at(index);
  fire<E>({.storage_name = name, .storage_index = index, .storage_location = record.location});
}

std::vector<std::string> HarnessBase::add_storage(const std::string& name, int count, bool attach) {
  if (!meta_.storages.count(name)) {
    throw HarnessError("storage '" + name + "' is not declared in the metadata");
  }
  if (count < 1) throw HarnessError("add_storage needs a count of at least 1");
  std::vector<std::string> ids;
  for (int i = 0; i < count; ++i) {
    const int index = next_storage_index_[name]++;
    const fs::path location = temp_dir() / "storage" / name / std::to_string(index);
    fs::create_directories(location);
    backend_->data().storages[name][index] = StorageRecord{location.string(), false};
    ids.push_back(name + "/" + std::to_string(index));
  }
  changed();
  if (attach) {
    for (const auto& id : ids) attach_storage(id);
  }
  return ids;
}

void HarnessBase::attach_storage(const std::string& storage_id) {
  const auto [name, index] = parse_storage_id(storage_id);
  auto& storages = backend_->data().storages;
  if (!storages.count(name) || !storages.at(name).count(index)) {
    throw HarnessError("storage " + storage_id + " does not exist (add it with add_storage)");
  }
  StorageRecord& record = storages.at(name).at(index);
  if (record.attached) return;
  record.attached = true;
  changed();
  fire_storage<StorageAttachedEvent>(name, index);
}

void HarnessBase::detach_storage(const std::string& storage_id) {
  require_begun("detach storage");
  const auto [name, index] = parse_storage_id(storage_id);
  auto& storages = backend_->data().storages;
  if (!storages.count(name) || !storages.at(name).count(index)) {
    throw HarnessError("storage " + storage_id + " does not exist");
  }
  if (!storages.at(name).at(index).attached) return;
  fire_storage<StorageDetachingEvent>(name, index);
  backend_->data().storages.at(name).at(index).attached = false;
  changed();
}

void HarnessBase::remove_storage(const std::string& storage_id) {
  const auto [name, index] = parse_storage_id(storage_id);
  auto& storages = backend_->data().storages;
  if (!storages.count(name) || !storages.at(name).count(index)) {
    throw HarnessError("storage " + storage_id + " does not exist");
  }
  if (storages.at(name).at(index).attached) fire_storage<StorageDetachingEvent>(name, index);
  backend_->data().storages.at(name).erase(index);
  changed();
}

void HarnessBase::add_resource(const std::string& name, std::string_view content) {
  auto it = meta_.resources.find(name);
  if (it == meta_.resources.end()) {
    throw HarnessError("resource '" + name + "' is not declared in the metadata");
  }
  if (it->second.type != "file") {
    throw HarnessError("resource '" + name + "' is of type " + it->second.type +
                       ", not a file resource");
  }
  const fs::path dir = temp_dir() / "resources" / name;
  fs::create_directories(dir);
  const fs::path file = dir / it->second.filename.value_or(name);
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) throw HarnessError("cannot write resource file " + file.string());
  backend_->data().resources[name] = file;
  changed();
}

// --------------------------------------------------------------- containers

FakePebble& HarnessBase::pebble(const std::string& container) {
  require_container(container);
  return backend_->pebble(container);
}

void HarnessBase::set_can_connect(const std::string& container, bool can_connect) {
  pebble(container).set_can_connect(can_connect);
}

void HarnessBase::container_pebble_ready(const std::string& container) {
  FakePebble& fake = pebble(container);
  if (!charm_) return;
  fake.set_can_connect(true);
  fire<PebbleReadyEvent>({.container_name = container});
}

std::string HarnessBase::pebble_notify(const std::string& container, const std::string& key,
                                       const std::map<std::string, std::string>& data,
                                       std::optional<pebble::Duration> repeat_after) {
  auto [id, new_or_repeated] = pebble(container).record_notice("custom", key, data, repeat_after);
  if (new_or_repeated) {
    fire<PebbleCustomNoticeEvent>(
        {.container_name = container, .notice = {.id = id, .type = "custom", .key = key}});
  }
  return id;
}

void HarnessBase::pebble_check_failed(const std::string& container, const std::string& check) {
  FakePebble& fake = pebble(container);
  auto infos = fake.check_infos();
  auto it = std::find_if(infos.begin(), infos.end(),
                         [&](const pebble::CheckInfo& info) { return info.name == check; });
  if (it == infos.end()) {
    throw HarnessError("check '" + check + "' is not in the plan of container '" + container + "'");
  }
  it->status = pebble::CheckStatus::kDown;
  it->failures = std::max(it->threshold, 1);
  fake.set_check_info(*it);
  fire<PebbleCheckFailedEvent>({.container_name = container, .check_name = check});
}

void HarnessBase::pebble_check_recovered(const std::string& container, const std::string& check) {
  FakePebble& fake = pebble(container);
  auto infos = fake.check_infos();
  auto it = std::find_if(infos.begin(), infos.end(),
                         [&](const pebble::CheckInfo& info) { return info.name == check; });
  if (it == infos.end()) {
    throw HarnessError("check '" + check + "' is not in the plan of container '" + container + "'");
  }
  it->status = pebble::CheckStatus::kUp;
  it->failures = 0;
  fake.set_check_info(*it);
  fire<PebbleCheckRecoveredEvent>({.container_name = container, .check_name = check});
}

pebble::Plan HarnessBase::get_container_pebble_plan(const std::string& container) {
  return pebble(container).plan();
}

fs::path HarnessBase::get_filesystem_root(const std::string& container) {
  return pebble(container).filesystem_root();
}

void HarnessBase::handle_exec(const std::string& container, std::vector<std::string> prefix,
                              ExecResult result) {
  pebble(container).handle_exec(std::move(prefix), std::move(result));
}

void HarnessBase::handle_exec(const std::string& container, std::vector<std::string> prefix,
                              ExecHandler handler) {
  pebble(container).handle_exec(std::move(prefix), std::move(handler));
}

// ------------------------------------------------------------------ actions

ActionOutput HarnessBase::run_action(const std::string& action, const nlohmann::json& params) {
  require_begun("run an action");
  nlohmann::json full = detail::validated_action_params(meta_, action, params);

  ActionRecord record;
  record.name = action;
  record.id = std::to_string(++next_action_id_);
  record.params = std::move(full);
  backend_->data().action = std::move(record);
  struct ClearAction {
    FakeBackend& backend;
    ~ClearAction() { backend.data().action.reset(); }
  } clear{*backend_};
  const bool enabled = hooks_enabled_;
  hooks_enabled_ = true;
  try {
    fire_kind(CharmEvents::kind_prefix(action) + "_action",
              ActionEvent::Args{backend_->data().action->id}.snapshot());
  } catch (...) {
    hooks_enabled_ = enabled;
    throw;
  }
  hooks_enabled_ = enabled;
  const ActionRecord& done = *backend_->data().action;
  ActionOutput output{done.results, done.logs};
  if (done.failure) throw ActionFailed(*done.failure, std::move(output));
  return output;
}

// ------------------------------------------------------------------ secrets

SecretRecord& HarnessBase::secret_record(const std::string& secret_id) {
  SecretRecord* secret = backend_->find_secret(secret_id, std::nullopt);
  if (secret == nullptr) throw HarnessError("there is no secret " + secret_id);
  return *secret;
}

std::string HarnessBase::add_model_secret(const std::string& owner_app, const Databag& content) {
  if (owner_app.empty() || owner_app.find('/') != std::string::npos) {
    throw HarnessError("invalid owner application name \"" + owner_app + "\"");
  }
  Secret::validate_content(content);
  SecretRecord secret;
  secret.id = backend_->new_secret_id();
  secret.owner_name = owner_app;
  if (owner_app == backend_->app_name()) secret.owner = "app";
  secret.revisions[1] = content;
  secret.tracked_revision = 1;
  backend_->data().secrets.push_back(secret);
  changed();
  return secret.id;
}

std::string HarnessBase::add_user_secret(const Databag& content) {
  Secret::validate_content(content);
  SecretRecord secret;
  secret.id = backend_->new_secret_id();
  // A user secret (juju add-secret) belongs to the model.
  secret.owner_name = backend_->model_uuid();
  secret.revisions[1] = content;
  secret.tracked_revision = 1;
  backend_->data().secrets.push_back(secret);
  changed();
  return secret.id;
}

void HarnessBase::grant_secret(const std::string& secret_id, const std::string& observer) {
  SecretRecord& secret = secret_record(secret_id);
  if (secret.owner.empty() && secret.owner_name == backend_->model_uuid() &&
      observer != backend_->app_name()) {
    // juju grant-secret takes applications only.
    throw HarnessError("grant_secret: a user secret is granted to an application (" +
                       backend_->app_name() + "), not " + observer);
  }
  if (observer != backend_->app_name() && observer != backend_->unit_name()) {
    throw HarnessError("grant_secret: the observer must be " + backend_->app_name() + " or " +
                       backend_->unit_name() + ", not " + observer);
  }
  int via = -1;  // granted outside any relation the test added
  for (const auto& [id, record] : backend_->data().relations) {
    if (record.remote_app == secret.owner_name) {
      via = id;
      break;
    }
  }
  secret.grants[via].insert(observer);
  changed();
}

void HarnessBase::revoke_secret(const std::string& secret_id, const std::string& observer) {
  SecretRecord& secret = secret_record(secret_id);
  for (auto it = secret.grants.begin(); it != secret.grants.end();) {
    it->second.erase(observer);
    it = it->second.empty() ? secret.grants.erase(it) : std::next(it);
  }
  changed();
}

void HarnessBase::set_secret_content(const std::string& secret_id, const Databag& content) {
  Secret::validate_content(content);
  SecretRecord& secret = secret_record(secret_id);
  secret.latest_revision += 1;
  secret.revisions[secret.latest_revision] = content;
  changed();
  if (secret.owner.empty()) {
    fire<SecretChangedEvent>({.id = secret.id, .label = secret.consumer_label});
  }
}

std::set<std::string> HarnessBase::get_secret_grants(const std::string& secret_id,
                                                     int relation_id) {
  const SecretRecord& secret = secret_record(secret_id);
  auto it = secret.grants.find(relation_id);
  return it == secret.grants.end() ? std::set<std::string>{} : it->second;
}

std::vector<int> HarnessBase::get_secret_revisions(const std::string& secret_id) {
  std::vector<int> revisions;
  for (const auto& [revision, content] : secret_record(secret_id).revisions) {
    revisions.push_back(revision);
  }
  return revisions;
}

template <class E>
void HarnessBase::fire_secret(const SecretRecord& secret, const std::optional<std::string>& label,
                              std::optional<int> revision) {
  if (secret.owner.empty()) {
    throw HarnessError(std::string(E::kKind) + " goes to the owner of a secret; " + secret.id +
                       " is owned by " + secret.owner_name);
  }
  const std::optional<std::string> shown = label ? label : secret.label;
  if constexpr (std::is_base_of_v<SecretRevisionEvent, E>) {
    fire<E>({.id = secret.id, .label = shown, .revision = revision.value_or(0)});
  } else {
    fire<E>({.id = secret.id, .label = shown});
  }
}

void HarnessBase::trigger_secret_rotation(const std::string& secret_id,
                                          const std::optional<std::string>& label) {
  fire_secret<SecretRotateEvent>(secret_record(secret_id), label, std::nullopt);
}

void HarnessBase::trigger_secret_removal(const std::string& secret_id, int revision,
                                         const std::optional<std::string>& label) {
  fire_secret<SecretRemoveEvent>(secret_record(secret_id), label, revision);
}

void HarnessBase::trigger_secret_expiration(const std::string& secret_id, int revision,
                                            const std::optional<std::string>& label) {
  fire_secret<SecretExpiredEvent>(secret_record(secret_id), label, revision);
}

// ------------------------------------------------------------------- status

void HarnessBase::evaluate_status() {
  require_begun("evaluate status");
  FakeBackend::Data& data = backend_->data();
  data.hook_running = true;
  struct AfterStatus {
    FakeBackend::Data& data;
    ~AfterStatus() { data.hook_running = false; }
  } after{data};
  detail::run_dispatch_steps(*framework_, *charm_, "collect_status", nullptr,
                             {.reemit = false, .collect_status = true, .commit = false});
}

}  // namespace ops::testing
