// The `redis` interface library: both sides of a relation over the `redis`
// interface, as the redis-k8s charm's Python library charms.redis_k8s.v0.redis
// offers them, for charms written with ops-cpp.
//
// The provider (RedisProvides, used by redis-k8s) answers every
// `redis` relation-changed by publishing, in its unit databag, where Redis
// is: `hostname` (the current master's address) and `port`. As an extension
// it also publishes `host` (same address) and `password` (when Redis needs
// one), the keys the reactive-era requirers (interface-redis) read.
//
// The requirer (RedisRequires, used by any charm that needs a Redis) emits
// `redis_relation_updated` on the charm whenever a remote unit joins or
// changes its data, and when the relation is broken. The charm observes it
// and reads the connection details through url(), relation_data() and
// app_data(), or, reactive style, is_available() and units().
//
// Usage (requirer):
//
//   class MyCharm : public ops::CharmBase {
//    public:
//     explicit MyCharm(ops::Framework& fw) : CharmBase(fw, "MyCharm"), redis_(*this) {
//       fw.observe<&MyCharm::on_redis_updated>(redis_.on_updated(), *this);
//     }
//     void on_redis_updated(charms::redis_k8s::v0::RedisRelationUpdatedEvent&) {
//       if (auto url = redis_.url()) unit().set_status(ops::ActiveStatus(*url));
//     }
//    private:
//     charms::redis_k8s::v0::RedisRequires redis_;
//   };
//
// and in metadata.yaml: `requires: {redis: {interface: redis}}`.
//
// Errors: the constructors throw ops::FrameworkError when the charm declares
// no such endpoint; readers throw the Model's errors (ops::ModelError and its
// subclasses) when Juju cannot answer.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ops/charm.hpp"
#include "ops/framework.hpp"

namespace charms::redis_k8s::v0 {

// The library's identity, named as charmcraft names the constants of a
// charm library (so `charmcraft` tooling and readers find them).
// The unique Charmhub library identifier; never changes.
inline constexpr const char* LIBID = "fe18a608cec5465fa5153e419abcad7b";
// The major API version; raised on breaking changes.
inline constexpr int LIBAPI = 0;
// This port's patch version (ours, independent of the Python library's).
inline constexpr int LIBPATCH = 2;

// The endpoint both sides use by default.
inline constexpr const char* kDefaultRelationName = "redis";

// The requirer's application-databag key saying that it authenticates
// ("true"): it reads the `password` the provider publishes and sends AUTH.
// A requirer that does not set it is legacy: redis-k8s then turns Redis's
// password off (as the reference charm does for every client) until the last
// legacy relation is gone. RedisRequires sets it (extension of the Python
// library, which has no such key).
inline constexpr const char* kAuthCapableKey = "auth-capable";

// The relation's data changed (a unit joined or changed) or the relation is
// gone. Carries nothing: read the current data from RedisRequires.
class RedisRelationUpdatedEvent : public ops::EventBase {
 public:
  using ops::EventBase::EventBase;
};

// The charm's `redis_relation_updated` event source (kind
// "redis_relation_updated" on charm.on), defined on first use.
ops::EventSource<RedisRelationUpdatedEvent>& redis_relation_updated(ops::CharmBase& charm);

// One remote unit's published connection details (the reactive view).
struct RedisUnitData {
  std::string unit_name;
  int relation_id = -1;
  std::string host;  // `host`, else `hostname`
  std::string port;
  std::optional<std::string> password;
  bool operator==(const RedisUnitData&) const = default;
};

// The requirer side: observes `<relation_name>` joined/changed/broken and
// emits redis_relation_updated on the charm. Handle "<charm>/RedisRequires[<relation_name>]".
class RedisRequires : public ops::Object {
 public:
  // Observes the endpoint's events on charm. FrameworkError when the charm
  // declares no such endpoint.
  // The leader writes `auth-capable`="true" in its application databag of
  // every relation of the endpoint unless auth_capable is false (a charm that
  // cannot send a password). FrameworkError when the charm declares no such
  // endpoint.
  explicit RedisRequires(ops::CharmBase& charm,
                         const std::string& relation_name = kDefaultRelationName,
                         bool auth_capable = true);

  // The event this object emits (charm.on's redis_relation_updated).
  ops::EventSource<RedisRelationUpdatedEvent>& on_updated() const noexcept { return updated_; }

  // The remote application's databag of the relation, or nullopt when there
  // is no relation (or Juju cannot tell the remote application).
  std::optional<std::map<std::string, std::string>> app_data();
  // The databag of the relation's first remote unit, or nullopt when there is
  // no relation or no remote unit yet.
  std::optional<std::map<std::string, std::string>> relation_data();
  // "redis://<host>:<port>": host is the remote application's `leader-host`
  // when set, else the unit's `hostname`; nullopt until a unit has published
  // both an address and a port.
  std::optional<std::string> url();

  // Reactive style: some joined unit, on any relation of the endpoint, has
  // published a port.
  bool is_available();
  // Reactive style: {host, port, password} of every joined unit that has
  // published an address and a port, over every relation of the endpoint.
  std::vector<RedisUnitData> units();

  const std::string& relation_name() const noexcept { return relation_name_; }

  // Handlers (public so the framework can name them; not for charm code).
  void on_relation_changed(ops::RelationEvent& event);
  void on_relation_broken(ops::RelationBrokenEvent& event);
  void on_announce(ops::HookEvent& event);

 private:
  ops::CharmBase& charm_;
  std::string relation_name_;
  bool auth_capable_;
  ops::EventSource<RedisRelationUpdatedEvent>& updated_;
};

// The provider side: on every `redis` relation-changed, publishes this
// unit's `hostname`, `host`, `port` and, when a password is given, `password`.
// Handle "<charm>/RedisProvides[redis]".
class RedisProvides : public ops::Object {
 public:
  // The current master's address (an IP), asked on every relation-changed;
  // nullopt while it is not known (nothing is published then).
  using AddressSource = std::function<std::optional<std::string>()>;
  // The password clients must use, or nullopt when Redis needs none.
  using PasswordSource = std::function<std::optional<std::string>()>;

  // Publishes `port` and what master_address (and password, if given) answer.
  // FrameworkError when the charm declares no `redis` endpoint.
  RedisProvides(ops::CharmBase& charm, int port, AddressSource master_address,
                PasswordSource password = {});

  // Writes this unit's connection details into `relation`'s unit databag;
  // returns false (writing nothing) while the master's address is unknown.
  bool publish(ops::Relation& relation);
  // publish() on every relation of the endpoint.
  void publish_all();

  // The requirer of `relation` is legacy: a remote unit has joined and the
  // remote application has not said `auth-capable`="true".
  bool is_legacy(ops::Relation& relation);
  // Some relation of the endpoint, other than `excluded` (one being broken),
  // is legacy.
  bool any_legacy(std::optional<int> excluded = std::nullopt);

  int port() const noexcept { return port_; }

  // Handler (public so the framework can name it; not for charm code).
  void on_relation_changed(ops::RelationChangedEvent& event);

 private:
  ops::CharmBase& charm_;
  int port_;
  AddressSource master_address_;
  PasswordSource password_;
};

// The first IPv4 address `hostname` resolves to (as Python's
// socket.gethostbyname); the input itself when it already is an IPv4
// address. Throws ops::Error naming the host when it cannot be resolved.
std::string resolve_ipv4(const std::string& hostname);

}  // namespace charms::redis_k8s::v0
