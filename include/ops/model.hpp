// The Juju model as this unit sees it.
//
// Model is the charm's view of Juju: its unit and application, the relations
// on each endpoint and their databags, config, statuses, resources, storage,
// secrets, opened ports, network bindings and leadership. Everything is read
// lazily, at most once per dispatch (a second read of config or of a databag
// runs no hook tool), and relation writes are kept in the Model and sent by
// flush() with one relation-set per databag; ops::main calls flush() when it
// commits the dispatch, and reads of a written databag already see the new
// values.
//
// All access to Juju goes through ModelBackend, an abstract class whose
// methods mean exactly what one hook tool does. ops::main builds the Model
// on the framework's own backend over the real hook tools (see
// hookcmds.hpp); the testing library implements the same interface in
// memory. Charm authors never construct a backend for production.
//
// Workload containers (Kubernetes charms) are reached through Pebble:
// Unit::get_container(name) returns a Container whose pebble::Client is made
// on first use by the Model's client factory (by default a client on
// pebble::socket_path(name); the testing library installs an in-memory one).
//
// Ownership: the Model owns every Unit, Application, Relation, Binding,
// Container and databag it hands out, and returns references or pointers to them that stay
// valid for the Model's lifetime. The CharmMeta passed to the constructor
// must outlive the Model.
//
// Naming: as in Python ops, `ops::Storage` is one attached storage instance
// (`ops.model.Storage`), listed by `StorageMapping`; the framework's state
// store is `ops::StateStorage` (storage.hpp).
//
// Errors: ModelError and its subclasses from errors.hpp —
// RelationDataAccessError for a databag this unit may not read or write,
// InvalidStatusError for a status that cannot be set (or an application
// status touched by a non-leader), TooManyRelatedAppsError from
// get_relation(), SecretNotFoundError, ResourceNotFoundError, and
// RelationNotFoundError when a relation has gone.
#pragma once

#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ops/errors.hpp"
#include "ops/model_types.hpp"
#include "ops/pebble.hpp"

namespace ops::detail {
class ModelAccess;
}  // namespace ops::detail

namespace ops {

struct CharmMeta;
class Application;
class Model;
class Relation;
class Unit;

// ------------------------------------------------------------------ statuses

// A unit or application status: a kind ("active", "blocked", ...) and a
// message. Values compare equal when kind and message are equal, so tests
// can write `EXPECT_EQ(unit.status(), ops::BlockedStatus("need a db"))`.
class StatusBase {
 public:
  // "active", "blocked", "maintenance", "waiting", "error" or "unknown".
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

  // The status named `name`; "unknown" ignores the message. Throws
  // InvalidStatusError for any other name.
  [[nodiscard]] static StatusBase from_name(const std::string& name, const std::string& message);

  // The most severe of `statuses` (error > blocked > maintenance > waiting >
  // active > unknown), the first one on ties; UnknownStatus when empty.
  static StatusBase highest_priority(const std::vector<StatusBase>& statuses);

  // Whether a charm may set this status (not unknown or error).
  bool is_settable() const noexcept;

  // "BlockedStatus(\"need a db\")", "UnknownStatus()".
  [[nodiscard]] std::string to_string() const;

  bool operator==(const StatusBase& other) const = default;

 protected:
  StatusBase(std::string name, std::string message)
      : name_(std::move(name)), message_(std::move(message)) {}

 private:
  std::string name_;
  std::string message_;
};

std::ostream& operator<<(std::ostream& out, const StatusBase& status);

// The unit or application is ready and active.
class ActiveStatus : public StatusBase {
 public:
  explicit ActiveStatus(std::string message = {}) : StatusBase("active", std::move(message)) {}
};
// A human must intervene.
class BlockedStatus : public StatusBase {
 public:
  explicit BlockedStatus(std::string message) : StatusBase("blocked", std::move(message)) {}
};
// The charm is doing work of its own (installing, configuring).
class MaintenanceStatus : public StatusBase {
 public:
  explicit MaintenanceStatus(std::string message) : StatusBase("maintenance", std::move(message)) {}
};
// The charm waits for something outside it (a related application).
class WaitingStatus : public StatusBase {
 public:
  explicit WaitingStatus(std::string message) : StatusBase("waiting", std::move(message)) {}
};
// No status has been set yet (read-only).
class UnknownStatus : public StatusBase {
 public:
  UnknownStatus() : StatusBase("unknown", "") {}
};
// A hook failed (read-only).
class ErrorStatus : public StatusBase {
 public:
  explicit ErrorStatus(std::string message = {}) : StatusBase("error", std::move(message)) {}
};

// Options for add_secret() and Secret::set_info(); all optional.
using SecretOptions = hookcmds::SecretAttributes;

// -------------------------------------------------------------- ModelBackend

// Juju as the Model sees it: one method per hook-tool meaning, with typed
// arguments and results. Implementations: the framework's backend over the
// real hook tools (made by ops::main) and the testing library's in-memory
// one. Failures throw the errors listed in errors.hpp (RelationNotFoundError
// when a relation id is unknown, SecretNotFoundError, ResourceNotFoundError,
// ModelError otherwise).
class ModelBackend {
 public:
  virtual ~ModelBackend() = default;

  // "redis-k8s/0".
  [[nodiscard]] virtual std::string unit_name() const = 0;
  // The unit's application: unit_name() up to the "/".
  [[nodiscard]] std::string app_name() const;
  [[nodiscard]] virtual std::string model_name() const = 0;
  [[nodiscard]] virtual std::string model_uuid() const = 0;
  // Whether ops' access rules on databags and statuses apply. True while a
  // hook runs; a testing backend may answer false between simulated events
  // so test code can read and write any databag.
  [[nodiscard]] virtual bool hook_is_running() const { return true; }

  // Relation ids on an endpoint (relation-ids).
  [[nodiscard]] virtual std::vector<int> relation_ids(const std::string& endpoint) = 0;
  // Remote units in a relation (relation-list); RelationNotFoundError if gone.
  [[nodiscard]] virtual std::vector<std::string> relation_list(int relation_id) = 0;
  // The remote application's name, if Juju can tell.
  [[nodiscard]] virtual std::optional<std::string> relation_remote_app_name(int relation_id) = 0;
  // One databag: `member` is a unit name, or an application name with is_app.
  [[nodiscard]] virtual std::map<std::string, std::string> relation_get(int relation_id,
                                                                        const std::string& member,
                                                                        bool is_app) = 0;
  // Writes keys of this unit's (or, with is_app, this application's)
  // databag in one call; a "" value deletes the key.
  virtual void relation_set(int relation_id, const std::map<std::string, std::string>& data,
                            bool is_app) = 0;

  // All set (or defaulted) config options (config-get).
  [[nodiscard]] virtual nlohmann::json config_get() = 0;
  // Whether this unit leads its application (is-leader).
  [[nodiscard]] virtual bool is_leader() = 0;
  // The path of a fetched resource (resource-get).
  [[nodiscard]] virtual std::filesystem::path resource_get(const std::string& name) = 0;
  // This unit's status, or with is_app its application's (status-get).
  [[nodiscard]] virtual StatusBase status_get(bool is_app) = 0;
  // Sets the unit's (or application's) status (status-set).
  virtual void status_set(const StatusBase& status, bool is_app) = 0;
  // application-version-set.
  virtual void application_version_set(const std::string& version) = 0;
  // Units planned for this application, not counting dying ones (goal-state).
  [[nodiscard]] virtual int planned_units() = 0;

  // Indices of attached instances of a storage (storage-list).
  [[nodiscard]] virtual std::vector<int> storage_list(const std::string& name) = 0;
  // An attribute such as "location" of storage "name/index" (storage-get).
  [[nodiscard]] virtual std::string storage_get(const std::string& storage_id,
                                                const std::string& attribute) = 0;
  // Asks Juju for `count` more instances of a storage (storage-add).
  virtual void storage_add(const std::string& name, int count) = 0;

  // network-get for a binding, optionally for one relation.
  [[nodiscard]] virtual Network network_get(const std::string& binding,
                                            std::optional<int> relation_id) = 0;

  // open-port / close-port / opened-ports.
  virtual void open_port(const std::string& protocol, std::optional<int> port) = 0;
  virtual void close_port(const std::string& protocol, std::optional<int> port) = 0;
  [[nodiscard]] virtual std::vector<Port> opened_ports() = 0;

  // Secrets (secret-add/get/info-get/set/grant/revoke/remove). `owner` is
  // "application" or "unit".
  virtual std::string secret_add(const std::map<std::string, std::string>& content,
                                 const SecretOptions& options, const std::string& owner) = 0;
  [[nodiscard]] virtual std::map<std::string, std::string> secret_get(
      const std::optional<std::string>& id, const std::optional<std::string>& label, bool refresh,
      bool peek) = 0;
  [[nodiscard]] virtual SecretInfo secret_info_get(const std::optional<std::string>& id,
                                                   const std::optional<std::string>& label) = 0;
  virtual void secret_set(const std::string& id,
                          const std::optional<std::map<std::string, std::string>>& content,
                          const SecretOptions& options) = 0;
  virtual void secret_grant(const std::string& id, int relation_id,
                            const std::optional<std::string>& unit) = 0;
  virtual void secret_revoke(const std::string& id, int relation_id,
                             const std::optional<std::string>& unit) = 0;
  virtual void secret_remove(const std::string& id, std::optional<int> revision) = 0;

  // Action hook tools (used by action events).
  [[nodiscard]] virtual nlohmann::json action_get() = 0;
  virtual void action_set(const nlohmann::json& results) = 0;
  virtual void action_log(const std::string& message) = 0;
  virtual void action_fail(const std::string& message) = 0;

  // juju-log at LEVEL ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL").
  virtual void juju_log(const std::string& level, const std::string& message) = 0;
  // juju-reboot [--now].
  virtual void reboot(bool now) = 0;
};

// ------------------------------------------------------------------ databags

// One databag of a relation: the keys and values a unit or an application
// publishes. Values are strings; setting "" deletes a key. Reads load the
// whole bag once (relation-get) and are then served from memory; writes are
// checked at once (your own unit's bag, or your application's as leader) and
// sent by Model::flush(). A non-leader reading its own application's bag on
// a non-peer relation gets RelationDataAccessError.
class RelationDataContent {
 public:
  RelationDataContent(Model& model, const Relation& relation, std::string entity_name, bool is_app);
  RelationDataContent(const RelationDataContent&) = delete;
  RelationDataContent& operator=(const RelationDataContent&) = delete;

  // The value of `key`, if set.
  [[nodiscard]] std::optional<std::string> get(const std::string& key) const;
  // The value of `key`; RelationDataError if it is not set.
  [[nodiscard]] std::string at(const std::string& key) const;
  [[nodiscard]] bool contains(const std::string& key) const;
  // The whole bag as it will be once pending writes are sent.
  [[nodiscard]] std::map<std::string, std::string> as_map() const;
  [[nodiscard]] std::size_t size() const;
  [[nodiscard]] bool empty() const;

  // Sets `key` to `value` ("" deletes). RelationDataAccessError if this unit
  // may not write the bag; RelationDataTypeError for an empty key.
  void set(const std::string& key, const std::string& value);
  // Sets several keys at once (same rules as set()).
  void update(const std::map<std::string, std::string>& values);
  // Deletes `key` (same as set(key, "")).
  void erase(const std::string& key);

  // The unit or application this bag belongs to.
  [[nodiscard]] const std::string& entity_name() const noexcept { return entity_; }
  [[nodiscard]] bool is_app() const noexcept { return is_app_; }

  // The writes not yet sent (key -> value, "" deletes).
  [[nodiscard]] const std::map<std::string, std::string>& pending() const noexcept {
    return pending_;
  }

 private:
  friend class Model;
  friend class Relation;
  void validate_read() const;
  void validate_write();
  const std::map<std::string, std::string>& loaded() const;
  // Sends pending writes with one relation-set, dropping those that change nothing.
  void flush();
  void invalidate();

  Model& model_;
  const Relation& relation_;
  std::string entity_;
  bool is_app_;
  // as relation-get returned it (loaded by the first read)
  mutable std::optional<std::map<std::string, std::string>> remote_;
  std::map<std::string, std::string> pending_;
};

// ----------------------------------------------------------------- relations

// A relation between this application and another (or its peers) on one
// endpoint. Remote units and the remote application are read lazily.
class Relation {
 public:
  Relation(Model& model, std::string name, int id, bool is_peer, bool active);
  Relation(const Relation&) = delete;
  Relation& operator=(const Relation&) = delete;

  // The local endpoint name, e.g. "db".
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] int id() const noexcept { return id_; }
  // False during this relation's relation-broken event, or once Juju says
  // the relation is gone.
  [[nodiscard]] bool active() const;
  [[nodiscard]] bool is_peer() const noexcept { return is_peer_; }
  // The remote application (this application for peers); nullptr when Juju
  // cannot tell (a relation with no remote units left and no JUJU_REMOTE_APP).
  [[nodiscard]] Application* app() const;
  // The remote units that have joined (for peers, the other units).
  [[nodiscard]] const std::vector<Unit*>& units() const;

  // The databag of `unit` or `app` in this relation. RelationDataError if
  // the unit or application is not part of the relation.
  [[nodiscard]] RelationDataContent& data(const Unit& unit);
  [[nodiscard]] RelationDataContent& data(const Application& app);
  // The same bags, read-only.
  [[nodiscard]] const RelationDataContent& data(const Unit& unit) const;
  [[nodiscard]] const RelationDataContent& data(const Application& app) const;

  // The bag of `src` as JSON: each value parsed as JSON text (ops'
  // Relation.load). RelationDataTypeError names a value that is not JSON.
  [[nodiscard]] nlohmann::json load_json(const Unit& src) const;
  [[nodiscard]] nlohmann::json load_json(const Application& src) const;
  // Writes each field of a JSON object as JSON text into `dst`'s bag (ops'
  // Relation.save). RelationDataTypeError if `fields` is not an object.
  void save_json(const nlohmann::json& fields, const Unit& dst);
  void save_json(const nlohmann::json& fields, const Application& dst);

  // Typed load/save through nlohmann's from_json/to_json for T.
  template <typename T, typename Entity>
  T load(const Entity& src) const {
    nlohmann::json doc = load_json(src);
    try {
      return doc.template get<T>();
    } catch (const nlohmann::json::exception& e) {
      throw RelationDataTypeError("cannot load relation " + name_ + ":" + std::to_string(id_) +
                                  " data: " + e.what());
    }
  }
  template <typename T, typename Entity>
  void save(const T& value, const Entity& dst) {
    save_json(nlohmann::json(value), dst);
  }

 private:
  friend class Model;
  friend class RelationDataContent;
  RelationDataContent& bag(const std::string& entity, bool is_app) const;
  void load_members() const;
  void invalidate();
  nlohmann::json load_bag(const RelationDataContent& bag) const;
  void save_bag(const nlohmann::json& fields, RelationDataContent& bag);

  Model& model_;
  std::string name_;
  int id_;
  bool is_peer_;
  // Read lazily from Juju by the const queries, hence mutable.
  mutable bool active_;
  mutable bool members_loaded_ = false;
  mutable Application* app_ = nullptr;
  mutable std::vector<Unit*> units_;
  mutable std::map<std::pair<bool, std::string>, std::unique_ptr<RelationDataContent>> bags_;
};

// ---------------------------------------------------------------- secrets

// A Juju secret, by id and/or label. Content is fetched on first use and
// kept; get_content(true) asks for (and starts tracking) the latest revision.
class Secret {
 public:
  Secret(ModelBackend& backend, std::optional<std::string> id, std::optional<std::string> label,
         std::optional<std::map<std::string, std::string>> content = std::nullopt);

  // "secret:..." (empty when only the label is known so far).
  [[nodiscard]] const std::optional<std::string>& id() const noexcept { return id_; }
  const std::optional<std::string>& label() const noexcept { return label_; }
  // The id without the "secret:" prefix or model part.
  [[nodiscard]] std::optional<std::string> unique_identifier() const;

  // The content of the tracked revision (refresh: of the latest, which
  // becomes tracked). SecretNotFoundError if the secret is gone.
  std::map<std::string, std::string> get_content(bool refresh = false);
  // The latest revision's content, without tracking it.
  [[nodiscard]] std::map<std::string, std::string> peek_content();
  // The secret's metadata (owners only).
  [[nodiscard]] SecretInfo get_info();
  // Creates a new revision with `content` (owners only). Keys must be at
  // least 3 lowercase letters, digits or single hyphens, starting with a
  // letter; ModelError otherwise.
  void set_content(const std::map<std::string, std::string>& content);
  // Updates label, description, expiry or rotation; at least one must be
  // given (ModelError otherwise).
  void set_info(const SecretOptions& options);
  // Grants read access to the remote application of `relation` (or one unit).
  void grant(const Relation& relation, const Unit* unit = nullptr);
  // Revokes what grant() gave.
  void revoke(const Relation& relation, const Unit* unit = nullptr);
  // Removes one revision, or every revision.
  void remove_revision(int revision);
  void remove_all_revisions();

  // "secret:ID" for ids given without the prefix.
  [[nodiscard]] static std::string canonicalize_id(const std::string& id);
  // Throws ModelError naming the bad keys, or for empty content.
  static void validate_content(const std::map<std::string, std::string>& content);

 private:
  const std::string& ensure_id();

  ModelBackend* backend_;
  std::optional<std::string> id_;
  std::optional<std::string> label_;
  std::optional<std::map<std::string, std::string>> content_;
};

// ---------------------------------------------------------------- containers

// Makes the Pebble client of a container, given the container's name.
using PebbleClientFactory =
    std::function<std::unique_ptr<pebble::Client>(const std::string& container_name)>;

// A workload container and its Pebble. Methods mirror Python ops'
// Container and throw pebble::Error subclasses (APIError, ConnectionError,
// PathError, ChangeError, ExecError, TimeoutError) when Pebble fails, and
// ModelError for what the Model itself checks (unknown service or check,
// no service names given).
class Container {
 public:
  Container(Model& model, std::string name);
  Container(const Container&) = delete;
  Container& operator=(const Container&) = delete;

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  // The container's Pebble client, made on first use.
  [[nodiscard]] pebble::Client& pebble() const;

  // Whether Pebble answers (system-info); any Pebble error means false.
  [[nodiscard]] bool can_connect() const;

  // Adds a layer (or merges it into the layer with the same label).
  void add_layer(const std::string& label, const pebble::Layer& layer, bool combine = false);
  // Adds a layer given as YAML; pebble::ProtocolError for malformed YAML.
  void add_layer(const std::string& label, const std::string& yaml, bool combine = false);
  // The combined plan of all layers.
  [[nodiscard]] pebble::Plan get_plan() const;

  // Starts the services marked `startup: enabled`.
  void autostart();
  // Starts/restarts services so they match the current plan.
  void replan();
  // Starts, stops or restarts the named services (at least one: ModelError).
  void start(const std::vector<std::string>& services);
  void stop(const std::vector<std::string>& services);
  // Restarts; on an old Pebble without "restart" (HTTP 400) stops the
  // running ones and starts them all.
  void restart(const std::vector<std::string>& services);

  // The named services (all when empty), by name.
  [[nodiscard]] std::map<std::string, pebble::ServiceInfo> get_services(
      const std::vector<std::string>& names = {}) const;
  // One service; ModelError "service 'x' not found" when absent.
  [[nodiscard]] pebble::ServiceInfo get_service(const std::string& name) const;
  // The named checks (all when empty), optionally of one level, by name.
  [[nodiscard]] std::map<std::string, pebble::CheckInfo> get_checks(
      const std::vector<std::string>& names = {},
      pebble::CheckLevel level = pebble::CheckLevel::kUnset) const;
  // One check; ModelError "check 'x' not found" when absent.
  [[nodiscard]] pebble::CheckInfo get_check(const std::string& name) const;

  // Reads a file from the container.
  [[nodiscard]] std::string pull(const std::string& path) const;
  // Writes a file into the container.
  void push(const std::string& path, std::string_view data,
            const pebble::PushOptions& options = {});
  // Copies local files or directories (recursively) into `dest_dir` in the
  // container: "/a/b" lands at "<dest_dir>/b". Keeps permission bits.
  // ModelError listing every path that failed.
  void push_path(const std::vector<std::filesystem::path>& sources, const std::string& dest_dir);
  // Copies container files or directories (recursively) into the local
  // `dest_dir`, the same way. ModelError listing every path that failed.
  void pull_path(const std::vector<std::string>& sources, const std::filesystem::path& dest_dir);
  [[nodiscard]] std::vector<pebble::FileInfo> list_files(
      const std::string& path, const pebble::ListFilesOptions& options = {}) const;
  void make_dir(const std::string& path, const pebble::MakeDirOptions& options = {});
  void remove_path(const std::string& path, bool recursive = false);
  // Whether `path` exists in the container (Pebble's 404 means no).
  [[nodiscard]] bool exists(const std::string& path) const;
  // Whether `path` is a directory in the container.
  [[nodiscard]] bool isdir(const std::string& path) const;

  // Runs a command in the container.
  std::unique_ptr<pebble::ExecProcess> exec(const std::vector<std::string>& command,
                                            const pebble::ExecOptions& options = {});
  // Sends a signal ("SIGHUP") to the named services (at least one).
  void send_signal(const std::string& signal, const std::vector<std::string>& services);

  // Pebble notices, filtered.
  [[nodiscard]] std::vector<pebble::Notice> get_notices(
      const pebble::NoticesFilter& filter = {}) const;
  [[nodiscard]] pebble::Notice get_notice(const std::string& id) const;

 private:
  Model& model_;
  std::string name_;
  mutable std::unique_ptr<pebble::Client> client_;  // made by the first use
};

// ------------------------------------------------------- units, applications

// A unit of an application. Only this charm's own unit (model.unit()) can
// set status, open ports, add secrets and so on; other units' status reads
// as unknown.
class Unit {
 public:
  Unit(Model& model, std::string name);
  Unit(const Unit&) = delete;
  Unit& operator=(const Unit&) = delete;

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] Application& app() const;
  // Whether this is the unit running the charm.
  [[nodiscard]] bool is_ours() const;

  // Whether this unit leads its application; only for our own unit
  // (ModelError otherwise). Cached by the backend.
  [[nodiscard]] bool is_leader() const;

  // The unit's status: read once (status-get), then what was last set.
  // Other units read as UnknownStatus.
  [[nodiscard]] StatusBase status() const;
  // Sets our unit's status at once (status-set). InvalidStatusError for
  // unknown/error or another unit.
  void set_status(const StatusBase& status);
  // Reports the workload's version (application-version-set).
  void set_workload_version(const std::string& version);

  // Adds a secret owned by this unit; returns it with its new id.
  Secret add_secret(const std::map<std::string, std::string>& content,
                    const SecretOptions& options = {});

  // Opens a port ("tcp"/"udp" with a port, "icmp" without). ModelError for
  // a bad protocol or port.
  void open_port(const std::string& protocol, std::optional<int> port = std::nullopt);
  void close_port(const std::string& protocol, std::optional<int> port = std::nullopt);
  // The ports opened for this unit (opened-ports).
  [[nodiscard]] std::set<Port> opened_ports() const;
  // Makes exactly `ports` open: closes the others, opens the missing ones.
  void set_ports(const std::vector<Port>& ports);

  // Asks Juju to reboot the machine after this hook (now: at once).
  void reboot(bool now = false);

  // The workload container `name` declared in metadata (our unit only);
  // ModelError for an undeclared name or another unit.
  [[nodiscard]] Container& get_container(const std::string& name);
  // Every declared container, by name (our unit only).
  [[nodiscard]] std::map<std::string, Container*> containers();

 private:
  friend class Model;
  void require_ours(const char* what) const;

  Model& model_;
  std::string name_;
  // The status as last read or set in this dispatch; status_set_ when we set it.
  mutable std::optional<StatusBase> status_;
  bool status_set_ = false;
  // The workload version last set in this dispatch.
  std::optional<std::string> workload_version_;
};

// An application: ours, or one we are related to.
class Application {
 public:
  Application(Model& model, std::string name);
  Application(const Application&) = delete;
  Application& operator=(const Application&) = delete;

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] bool is_ours() const;

  // Our application's status (leader only; InvalidStatusError otherwise).
  // Remote applications read as UnknownStatus.
  [[nodiscard]] StatusBase status() const;
  // Sets our application's status (leader only). InvalidStatusError for
  // unknown/error, a remote application, or a non-leader.
  void set_status(const StatusBase& status);
  // Units Juju plans for our application, without dying ones (goal-state).
  [[nodiscard]] int planned_units() const;
  // Adds a secret owned by the application (leader only, enforced by Juju).
  Secret add_secret(const std::map<std::string, std::string>& content,
                    const SecretOptions& options = {});

 private:
  friend class Model;
  Model& model_;
  std::string name_;
  // The status as last read or set in this dispatch; status_set_ when we set it.
  mutable std::optional<StatusBase> status_;
  bool status_set_ = false;
  mutable std::optional<int> planned_units_;  // goal-state, read once per dispatch
};

// --------------------------------------------------------- config, resources

// The application's config (config-get, read once). Values are JSON:
// booleans, integers, floats and strings; secret options are secret ids.
class Config {
 public:
  explicit Config(ModelBackend& backend) : backend_(backend) {}

  // Every option that is set or has a default.
  [[nodiscard]] const nlohmann::json& values() const;
  [[nodiscard]] bool contains(const std::string& key) const;
  // The raw value; ModelError naming the key if it is unset.
  [[nodiscard]] const nlohmann::json& at(const std::string& key) const;
  // The value converted to T; ModelError naming the key if it is unset or
  // of another type.
  template <typename T>
  T get(const std::string& key) const {
    const nlohmann::json& value = at(key);
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      // nlohmann would wrap 99999999999 into an int, or truncate 1.5: refuse.
      bool fits = false;
      if (value.is_number_unsigned()) {
        fits = std::in_range<T>(value.template get<std::uint64_t>());
      } else if (value.is_number_integer()) {
        fits = std::in_range<T>(value.template get<std::int64_t>());
      } else {
        throw ModelError("config option '" + key + "' has the wrong type: " + value.dump());
      }
      if (!fits) {
        throw ModelError("config option '" + key + "' is out of range for the requested " +
                         std::to_string(sizeof(T) * 8) + "-bit " +
                         (std::is_signed_v<T> ? "signed" : "unsigned") +
                         " integer: " + value.dump());
      }
    }
    try {
      return value.template get<T>();
    } catch (const nlohmann::json::exception&) {
      throw ModelError("config option '" + key + "' has the wrong type: " + value.dump());
    }
  }
  // The value converted to T, or nullopt when unset.
  template <typename T>
  [[nodiscard]] std::optional<T> get_optional(const std::string& key) const {
    if (!contains(key)) return std::nullopt;
    return get<T>(key);
  }
  // The whole config as a T through nlohmann's from_json (ops' load_config).
  // ModelError says what did not fit.
  template <typename T>
  T load() const {
    try {
      return values().template get<T>();
    } catch (const nlohmann::json::exception& e) {
      throw ModelError(std::string("invalid config: ") + e.what());
    }
  }
  // Forgets the cached values (testing backends, after changing config).
  void invalidate() { values_.reset(); }

 private:
  ModelBackend& backend_;
  mutable std::optional<nlohmann::json> values_;  // config-get, read by the first query
};

// The charm's resources, fetched on demand (resource-get).
class Resources {
 public:
  Resources(ModelBackend& backend, std::set<std::string> names)
      : backend_(backend), names_(std::move(names)) {}
  // The path of the resource's file. ResourceNotFoundError when `name` is
  // not declared in metadata or Juju cannot provide it.
  std::filesystem::path fetch(const std::string& name);
  void invalidate() {
    paths_.clear();
    failures_.clear();
  }

 private:
  ModelBackend& backend_;
  std::set<std::string> names_;
  std::map<std::string, std::filesystem::path> paths_;
  // resource-get failures of this dispatch, rethrown instead of asking again.
  std::map<std::string, std::exception_ptr> failures_;
};

// ------------------------------------------------------------------- storage

// One attached instance of a storage declared in metadata (Python ops'
// `ops.model.Storage`).
class Storage {
 public:
  Storage(ModelBackend& backend, std::string name, int index)
      : backend_(&backend), name_(std::move(name)), index_(index) {}
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] int index() const noexcept { return index_; }
  // "data/0".
  [[nodiscard]] std::string full_id() const { return name_ + "/" + std::to_string(index_); }
  // Where it is mounted (storage-get, read once).
  [[nodiscard]] const std::filesystem::path& location() const;

 private:
  ModelBackend* backend_;
  std::string name_;
  int index_;
  mutable std::optional<std::filesystem::path> location_;
};

// The storages declared in metadata, each with its attached instances
// (storage-list, read once per name).
class StorageMapping {
 public:
  StorageMapping(ModelBackend& backend, std::set<std::string> names)
      : backend_(backend), names_(std::move(names)) {}
  [[nodiscard]] const std::set<std::string>& names() const noexcept { return names_; }
  [[nodiscard]] bool contains(const std::string& name) const { return names_.count(name) != 0; }
  // The attached instances of `name`; ModelError if it is not declared.
  std::vector<Storage>& operator[](const std::string& name);
  // Asks Juju for `count` more instances (storage-add); ModelError if not declared.
  void request(const std::string& name, int count = 1);
  void invalidate(const std::string& name) { instances_.erase(name); }

 private:
  ModelBackend& backend_;
  std::set<std::string> names_;
  std::map<std::string, std::vector<Storage>> instances_;
};

// --------------------------------------------------------------- networking

// A network binding (an endpoint or extra-binding), optionally for one relation.
class Binding {
 public:
  Binding(ModelBackend& backend, std::string name, std::optional<int> relation_id)
      : backend_(backend), name_(std::move(name)), relation_id_(relation_id) {}
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  // The binding's addresses (network-get, read once). For a relation that
  // has gone, falls back to the endpoint's binding.
  [[nodiscard]] const Network& network() const;
  void invalidate() { network_.reset(); }

 private:
  ModelBackend& backend_;
  std::string name_;
  std::optional<int> relation_id_;
  mutable std::optional<Network> network_;
};

// --------------------------------------------------------------------- Model

class Model {
 public:
  // A Model over a backend it owns.
  Model(const CharmMeta& meta, std::unique_ptr<ModelBackend> backend);
  // A Model over a backend that outlives it (the testing library's).
  Model(const CharmMeta& meta, ModelBackend& backend);
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  // The unit running this code, and its application.
  [[nodiscard]] Unit& unit();
  [[nodiscard]] Application& app();
  // The model's name and uuid (JUJU_MODEL_NAME / JUJU_MODEL_UUID).
  [[nodiscard]] std::string name() const;
  [[nodiscard]] std::string uuid() const;

  // The unit or application called `name` (the same object every time).
  [[nodiscard]] Unit& get_unit(const std::string& name);
  [[nodiscard]] Application& get_app(const std::string& name);

  // The relations on `endpoint` (relation-ids, read once), without the one
  // being broken. ModelError if the charm declares no such endpoint.
  [[nodiscard]] const std::vector<Relation*>& relations(const std::string& endpoint);
  // Every endpoint the charm declares.
  [[nodiscard]] std::vector<std::string> relation_names() const;
  // The relation on `endpoint` with `relation_id`, or the only one: nullptr
  // when there is none, TooManyRelatedAppsError when there are several. With
  // an id that Juju no longer lists, an inactive Relation.
  [[nodiscard]] Relation* get_relation(const std::string& endpoint,
                                       std::optional<int> relation_id = std::nullopt);

  // The binding for an endpoint or extra-binding, or for one relation.
  [[nodiscard]] Binding& get_binding(const std::string& name);
  [[nodiscard]] Binding& get_binding(const Relation& relation);

  [[nodiscard]] Config& config() noexcept { return config_; }
  [[nodiscard]] Resources& resources() noexcept { return resources_; }
  [[nodiscard]] StorageMapping& storages() noexcept { return storages_; }

  // The secret with `id` and/or `label` (at least one; with both, looked
  // up by id and given the label). SecretNotFoundError if it does not exist.
  [[nodiscard]] Secret get_secret(const std::optional<std::string>& id,
                                  const std::optional<std::string>& label = std::nullopt);

  // Sends every pending relation write: one relation-set per written
  // databag, in relation-id order. ops::main calls this at commit.
  void flush();
  // Whether any relation write waits for flush().
  [[nodiscard]] bool has_pending_writes() const;

  // The relation whose relation-broken event is running, if any.
  [[nodiscard]] std::optional<int> broken_relation_id() const noexcept {
    return broken_relation_id_;
  }

  [[nodiscard]] const CharmMeta& meta() const noexcept { return meta_; }
  [[nodiscard]] ModelBackend& backend() noexcept { return backend_; }

 private:
  friend class Relation;
  friend class Unit;
  friend class Container;
  friend class detail::ModelAccess;
  // Marks the relation whose relation-broken event is running: inactive
  // and absent from relations().
  void set_broken_relation_id(std::optional<int> relation_id);
  // Forgets everything read from Juju (not pending writes), so the next
  // read asks the backend again. For testing backends between events.
  void invalidate_caches();
  // Replaces how containers' Pebble clients are made (the testing library
  // installs an in-memory Pebble). Clients already made are kept.
  void set_pebble_client_factory(PebbleClientFactory factory);
  // A new Pebble client for `container_name` from the current factory.
  std::unique_ptr<pebble::Client> make_pebble_client(const std::string& container_name);
  Container& container_object(const std::string& name);
  Relation& relation_object(const std::string& endpoint, int id, bool active);

  const CharmMeta& meta_;
  std::unique_ptr<ModelBackend> owned_backend_;
  ModelBackend& backend_;
  std::string unit_name_;
  std::string app_name_;
  std::optional<int> broken_relation_id_;
  std::map<std::string, std::unique_ptr<Unit>> units_;
  std::map<std::string, std::unique_ptr<Application>> apps_;
  std::map<int, std::unique_ptr<Relation>> relations_by_id_;
  std::map<std::string, std::vector<Relation*>> relations_;  // endpoint -> listed relations
  std::map<std::pair<std::string, std::optional<int>>, std::unique_ptr<Binding>> bindings_;
  std::map<std::string, std::unique_ptr<Container>> containers_;
  PebbleClientFactory pebble_factory_;
  Config config_;
  Resources resources_;
  StorageMapping storages_;
};

}  // namespace ops
