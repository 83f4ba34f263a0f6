// Harness: drive one charm unit through events in a unit test.
//
// A Harness<MyCharm> holds a whole simulated unit: the charm's metadata
// (parsed once), an in-memory Juju (FakeBackend), an in-memory Pebble per
// container (FakePebble), and the real Model, Framework (over a
// MemoryStorage) and charm, which live as long as the Harness, as in Python
// ops' Harness. Test code changes the world with the methods below
// (add_relation, update_config, set_leader ...); each change fires the event
// Juju would fire, through the same steps ops::main takes: events deferred
// earlier are re-emitted first, then the event is emitted, then the
// framework commits (the Model's relation writes reach the backend then).
// collect-status runs only when the test calls evaluate_status(), as in
// Python ops.
//
//   ops::testing::Harness<MyCharm> harness(kMetadata, kConfig, kActions);
//   harness.set_leader(true);
//   harness.begin_with_initial_hooks();
//   int id = harness.add_relation("db", "postgresql",
//                                 {.unit_data = ops::testing::Databag{{"host", "pg"}}});
//   EXPECT_EQ(harness.get_relation_data(id, "myapp/0").at("ready"), "yes");
//
// Before begin() (and inside a hooks_disabled() scope) changes are made
// silently. Between events the backend's access rules are off (test code
// may read any databag through the Model); while an event runs they are on,
// as in production.
//
// Errors: HarnessError for a mistake in the test (undeclared relation,
// container, storage, action or config option, a value of the wrong type);
// UncaughtCharmError when charm code throws (its message names the handler
// and event; original() is the charm's exception); ActionFailed from
// run_action() when the handler called fail(). After a charm exception the
// events' uncommitted framework state is rolled back, as in production.
// The Harness routes ops::log lines to its juju-log record for its
// lifetime. Not thread-safe; one Harness at a time per thread of logging.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ops/charm.hpp"
#include "ops/framework.hpp"
#include "ops/main.hpp"
#include "ops/model.hpp"
#include "ops/storage.hpp"
#include "ops/testing/errors.hpp"
#include "ops/testing/fake_backend.hpp"
#include "ops/testing/fake_pebble.hpp"

namespace ops::testing {

// A charm directory with metadata.yaml (+ config.yaml, actions.yaml) or
// charmcraft.yaml, for the Harness and Context constructors.
struct CharmDir {
  std::filesystem::path path;
};

// Optional data for add_relation(): with either, a unit <remote_app>/0 joins.
struct AddRelationOptions {
  std::optional<Databag> app_data = std::nullopt;
  std::optional<Databag> unit_data = std::nullopt;
};

// Where add_network() puts an address.
struct AddNetworkOptions {
  std::optional<std::string> endpoint = std::nullopt;  // none: the default of every binding
  std::optional<int> relation_id = std::nullopt;       // requires endpoint
  std::string cidr = {};                               // default: address/24
  std::string interface = "eth0";
  std::vector<std::string> ingress_addresses = {};  // default: {address}
  std::vector<std::string> egress_subnets = {};     // default: {cidr}
};

class HarnessBase;

// Events are not fired while this lives (harness.hooks_disabled()).
class HooksDisabled {
 public:
  explicit HooksDisabled(HarnessBase& harness);
  ~HooksDisabled();
  HooksDisabled(const HooksDisabled&) = delete;
  HooksDisabled& operator=(const HooksDisabled&) = delete;

 private:
  HarnessBase& harness_;
  bool was_enabled_;
};

// The non-template part of Harness<Charm>; see the top of this file.
class HarnessBase {
 public:
  // A harness for the charm `factory` builds, with metadata/config/actions
  // YAML texts; CharmMetaError when they are malformed.
  HarnessBase(CharmFactory factory, std::string_view metadata, std::string_view config,
              std::string_view actions);
  // A harness for a charm directory.
  HarnessBase(CharmFactory factory, const CharmDir& dir);
  virtual ~HarnessBase();
  HarnessBase(const HarnessBase&) = delete;
  HarnessBase& operator=(const HarnessBase&) = delete;

  // ---- lifecycle
  // Constructs the charm; no event is fired. HarnessError when called twice.
  void begin();
  // begin(), then the events Juju sends a new unit: storage-attached for
  // added storage, install, relation-created for every relation (a peer
  // relation is added first when the test added none), leader-elected or
  // leader-settings-changed, config-changed, start, pebble-ready for every
  // container (which becomes connectable), then for every relation
  // relation-changed for the remote app's data (when it has some) and
  // relation-joined + relation-changed for each remote unit. Relations go in
  // endpoint-name then id order. A unit left in MaintenanceStatus("") is
  // set to UnknownStatus(), as the Juju controller does.
  void begin_with_initial_hooks();
  // Whether begin() has run.
  bool begun() const noexcept { return charm_ != nullptr; }

  CharmBase& charm_base();
  Model& model() noexcept { return *model_; }
  Framework& framework() noexcept { return *framework_; }
  FakeBackend& backend() noexcept { return *backend_; }
  const CharmMeta& meta() const noexcept { return meta_; }
  // The framework's storage (deferred notices, stored state).
  MemoryStorage& storage() noexcept { return storage_; }

  // ---- relations
  // Adds a relation with `remote_app` (this app for a peer endpoint) and
  // fires relation-created. With app_data or unit_data, a unit
  // <remote_app>/0 joins with unit_data (relation-joined, relation-changed)
  // and then, with app_data, relation-changed for the app. Returns the id.
  int add_relation(const std::string& endpoint, const std::string& remote_app,
                   const AddRelationOptions& options = {});
  // A remote unit joins: relation-joined then relation-changed, as Juju does.
  void add_relation_unit(int relation_id, const std::string& remote_unit);
  // A remote unit leaves: relation-departed (it is no longer listed; its
  // data is still readable during the event, and gone after).
  void remove_relation_unit(int relation_id, const std::string& remote_unit);
  // Every remote unit departs, then relation-broken; then the relation and
  // the secret grants made through it are gone.
  void remove_relation(int relation_id);
  // Updates (""-valued keys are deleted) the bag of `app_or_unit` and fires
  // relation-changed when something changed and the bag is not ours (our
  // app's bag fires only on a peer relation when we are not the leader).
  void update_relation_data(int relation_id, const std::string& app_or_unit, const Databag& values);
  // The bag of `app_or_unit` as Juju holds it (after the Model's pending
  // writes), without access checks. HarnessError for an unknown relation.
  Databag get_relation_data(int relation_id, const std::string& app_or_unit);

  // ---- leadership, config, model facts
  // Sets leadership; becoming leader fires leader-elected.
  void set_leader(bool is_leader);
  // Sets options (and unsets `unset`), then fires config-changed.
  // HarnessError for an option config.yaml does not declare or a value of
  // the wrong type.
  void update_config(const nlohmann::json& values = nlohmann::json::object(),
                     const std::vector<std::string>& unset = {});
  // What goal-state reports as planned units (no event).
  void set_planned_units(int count);
  // Undoes set_planned_units (back to 1 + peer units).
  void reset_planned_units();
  // Sets the address network-get answers (no event). HarnessError for an
  // undeclared endpoint or unknown relation.
  void add_network(const std::string& address, const AddNetworkOptions& options = {});
  // Sets the model's name / uuid; HarnessError after begin().
  void set_model_name(const std::string& name);
  void set_model_uuid(const std::string& uuid);

  // ---- storage and resources
  // Adds `count` instances of a storage ("data/0", ...), each a fresh
  // directory; with attach, attaches them (storage-attached after begin()).
  std::vector<std::string> add_storage(const std::string& name, int count = 1, bool attach = false);
  // Attaches a detached instance (storage-attached after begin()).
  void attach_storage(const std::string& storage_id);
  // Detaches an attached instance (storage-detaching first). HarnessError
  // before begin().
  void detach_storage(const std::string& storage_id);
  // Detaches (storage-detaching, when attached) and forgets the instance.
  void remove_storage(const std::string& storage_id);
  // Makes resource-get answer a file holding `content`. HarnessError for an
  // undeclared or non-file resource.
  void add_resource(const std::string& name, std::string_view content);

  // ---- containers
  // Whether the container's Pebble answers.
  void set_can_connect(const std::string& container, bool can_connect);
  // Makes the container connectable and fires <container>-pebble-ready
  // (nothing before begin()).
  void container_pebble_ready(const std::string& container);
  // Records a custom notice; when it is new or repeated fires
  // <container>-pebble-custom-notice. Returns the notice id.
  std::string pebble_notify(const std::string& container, const std::string& key,
                            const std::map<std::string, std::string>& data = {},
                            std::optional<pebble::Duration> repeat_after = std::nullopt);
  // Marks a check down (failures = threshold) and fires
  // <container>-pebble-check-failed; or up and fires ...-check-recovered.
  void pebble_check_failed(const std::string& container, const std::string& check);
  void pebble_check_recovered(const std::string& container, const std::string& check);
  // The plan the container's Pebble holds.
  pebble::Plan get_container_pebble_plan(const std::string& container);
  // The host directory that is the container's "/" (push/pull land there).
  std::filesystem::path get_filesystem_root(const std::string& container);
  // Canned results for exec() of commands starting with `prefix`.
  void handle_exec(const std::string& container, std::vector<std::string> prefix,
                   ExecResult result);
  void handle_exec(const std::string& container, std::vector<std::string> prefix,
                   ExecHandler handler);
  // The container's Pebble (services, checks, notices, exec history).
  FakePebble& pebble(const std::string& container);

  // ---- actions
  // Runs an action with `params` (defaults from actions.yaml filled in) and
  // returns its results and logs. HarnessError before begin(), for an
  // undeclared action, a missing required parameter, an unknown parameter
  // when additionalProperties is false, or a parameter of the wrong type.
  // ActionFailed when the handler called fail().
  ActionOutput run_action(const std::string& action,
                          const nlohmann::json& params = nlohmann::json::object());

  // ---- secrets
  // Adds a secret owned by another application (revision 1); the charm can
  // read it once grant_secret() gave it access. Returns the id.
  std::string add_model_secret(const std::string& owner_app, const Databag& content);
  // Adds a secret the user made (juju add-secret; revision 1), for a
  // config option of type secret: the charm can read it, never change it,
  // once grant_secret(id, <this app>) gave it access. Returns the id.
  std::string add_user_secret(const Databag& content);
  // Gives `observer` (this app or this unit; a user secret: this app) read
  // access to a secret owned by another app or by the user.
  void grant_secret(const std::string& secret_id, const std::string& observer);
  void revoke_secret(const std::string& secret_id, const std::string& observer);
  // Adds a revision; when another app owns the secret fires secret-changed.
  void set_secret_content(const std::string& secret_id, const Databag& content);
  // The grantees of a secret through one relation.
  std::set<std::string> get_secret_grants(const std::string& secret_id, int relation_id);
  // The secret's revisions, ascending.
  std::vector<int> get_secret_revisions(const std::string& secret_id);
  // Fire secret-rotate / secret-remove / secret-expired for a secret this
  // charm owns; HarnessError for a secret it does not own.
  void trigger_secret_rotation(const std::string& secret_id,
                               const std::optional<std::string>& label = std::nullopt);
  void trigger_secret_removal(const std::string& secret_id, int revision,
                              const std::optional<std::string>& label = std::nullopt);
  void trigger_secret_expiration(const std::string& secret_id, int revision,
                                 const std::optional<std::string>& label = std::nullopt);

  // ---- status and assertions
  // Runs collect-status as at the end of a dispatch (app on the leader,
  // then unit) and sets the collected statuses.
  void evaluate_status();
  // Statuses, workload version, ports and log lines as Juju holds them.
  StatusBase unit_status() const { return backend_->data().unit_status; }
  StatusBase app_status() const { return backend_->data().app_status; }
  std::optional<std::string> get_workload_version() const {
    return backend_->data().workload_version;
  }
  std::set<Port> opened_ports() const { return backend_->data().opened_ports; }
  const std::vector<JujuLogLine>& juju_log() const { return backend_->data().juju_log; }

  // ---- hooks
  // Events are not fired between disable_hooks() and enable_hooks().
  void disable_hooks() noexcept { hooks_enabled_ = false; }
  void enable_hooks() noexcept { hooks_enabled_ = true; }
  bool hooks_enabled() const noexcept { return hooks_enabled_; }
  // A scope without events: { auto off = harness.hooks_disabled(); ... }.
  HooksDisabled hooks_disabled() { return HooksDisabled(*this); }

  // Fires an event of type E with `args` (what Juju's environment would
  // say) through the dispatch steps; a no-op before begin() or with hooks
  // disabled. The building block of every method above:
  //   harness.fire<ops::RelationChangedEvent>(
  //       {.relation_name = "db", .relation_id = id, .app_name = "pg", .unit_name = "pg/0"});
  //   harness.fire<ops::UpdateStatusEvent>();
  // Only the event is fired: the world (relations, units, data) is what
  // the test set up. Actions run with run_action().
  template <class E>
  void fire(const typename E::Args& args = {}) {
    static_assert(!std::is_base_of_v<ActionEvent, E>,
                  "Harness::fire<E>: run an action with run_action()");
    std::optional<int> broken_relation_id;
    if constexpr (std::is_base_of_v<RelationBrokenEvent, E>) broken_relation_id = args.relation_id;
    if constexpr (std::is_base_of_v<RelationEvent, E>) {
      fire_relation_event(E::kKind, args, broken_relation_id);
    } else {
      fire_kind(event_kind<E>(args), args.snapshot(), broken_relation_id);
    }
  }

 private:
  // Fires the event `kind` ("db_relation_changed") with the snapshot its
  // Args wrote; the one path of fire<E> and run_action.
  void fire_kind(std::string_view kind, const nlohmann::json& snapshot,
                 std::optional<int> broken_relation_id = std::nullopt);
  // fire_kind for the relation event "<endpoint>_<suffix>" with args; the
  // kind and snapshot of the last one fired are kept for the next one.
  void fire_relation_event(std::string_view suffix, const RelationEvent::Args& args,
                           std::optional<int> broken_relation_id);
  void init();
  void require_begun(const char* what) const;
  RelationRecord& relation_record(int relation_id);
  void require_endpoint(const std::string& endpoint) const;
  void require_container(const std::string& container) const;
  template <class E>
  void fire_relation(const RelationRecord& relation, const std::optional<std::string>& unit,
                     const std::optional<std::string>& departing = std::nullopt);
  template <class E>
  void fire_storage(const std::string& name, int index);
  template <class E>
  void fire_secret(const SecretRecord& secret, const std::optional<std::string>& label,
                   std::optional<int> revision);
  SecretRecord& secret_record(const std::string& secret_id);
  const std::filesystem::path& temp_dir();
  // The backend changed under the Model: forget what it read.
  void changed();

  CharmFactory factory_;
  CharmMeta meta_;
  std::unique_ptr<FakeBackend> backend_;
  std::unique_ptr<Model> model_;
  MemoryStorage storage_;
  std::unique_ptr<Framework> framework_;
  std::unique_ptr<CharmBase> charm_;
  std::unique_ptr<Object> flusher_;
  // The last relation event fired: tests (and update_relation_data in a
  // loop) fire the same one again and again, and its snapshot is the
  // costliest part of building it.
  struct RelationEventMemo {
    std::string suffix;
    RelationEvent::Args args;
    std::string kind;
    nlohmann::json snapshot;
  };
  std::optional<RelationEventMemo> last_relation_event_;
  std::optional<std::filesystem::path> temp_dir_;
  bool hooks_enabled_ = true;
  int next_relation_id_ = 0;
  int next_action_id_ = 0;
  std::map<std::string, int> next_storage_index_;
};

// Builds a Charm for the Harness or Context: a charm with collaborators
// beyond the Framework is tested through one, e.g.
//   ops::testing::Harness<MyCharm> harness(
//       [&](ops::Framework& f) { return std::make_unique<MyCharm>(f, fake_client); },
//       kMetadata);
template <class Charm>
using TypedCharmFactory = std::function<std::unique_ptr<Charm>(Framework&)>;

namespace detail {
// Wraps a typed factory; a factory that returns no charm is a HarnessError.
template <class Charm>
CharmFactory erase_factory(TypedCharmFactory<Charm> factory) {
  if (!factory) throw HarnessError("the charm factory is empty");
  return [factory = std::move(factory)](Framework& framework) -> std::unique_ptr<CharmBase> {
    std::unique_ptr<Charm> charm = factory(framework);
    if (!charm) throw HarnessError("the charm factory returned no charm");
    return charm;
  };
}
template <class Charm>
CharmFactory default_factory() {
  return [](Framework& framework) -> std::unique_ptr<CharmBase> {
    return std::make_unique<Charm>(framework);
  };
}
}  // namespace detail

// Harness for a charm class: constructible from ops::Framework&, or built
// by a factory.
template <class Charm>
class Harness : public HarnessBase {
  static_assert(std::is_base_of_v<CharmBase, Charm>,
                "Harness<Charm>: Charm must derive from "
                "ops::CharmBase");

 public:
  using Factory = TypedCharmFactory<Charm>;

  // From metadata.yaml, config.yaml and actions.yaml texts.
  explicit Harness(
      std::string_view metadata, std::string_view config = {},
      std::string_view actions = {}) requires std::is_constructible_v<Charm, Framework&>
      : HarnessBase(detail::default_factory<Charm>(), metadata, config, actions) {}
  // From a charm directory.
  explicit Harness(const CharmDir& dir) requires std::is_constructible_v<Charm, Framework&>
      : HarnessBase(detail::default_factory<Charm>(), dir) {}
  // With a factory that builds the charm (at begin()), from YAML texts ...
  Harness(Factory factory, std::string_view metadata, std::string_view config = {},
          std::string_view actions = {})
      : HarnessBase(detail::erase_factory<Charm>(std::move(factory)), metadata, config, actions) {}
  // ... or from a charm directory.
  Harness(Factory factory, const CharmDir& dir)
      : HarnessBase(detail::erase_factory<Charm>(std::move(factory)), dir) {}

  // The charm; HarnessError before begin().
  Charm& charm() { return ops::detail::checked_cast<Charm>(charm_base()); }
};

}  // namespace ops::testing
