// RedisClientCharm: the smallest useful requirer of the `redis` interface.
//
// It links the charms.redis_k8s.v0 library and keeps its unit status on what
// the relation says: Blocked("Needs a redis relation") without one,
// Waiting("Waiting for Redis to publish its address") until the remote unit
// has published an address and a port, then Active("<redis url>"). The demo
// and end-to-end tests read the URL from the status. Through RedisRequires
// its leader says `auth-capable: "true"`, so redis-k8s keeps its password on
// and publishes it (`password` in its unit data) instead of switching auth off.
#pragma once

#include "charms/redis_k8s/v0/redis.hpp"
#include "ops/charm.hpp"

namespace redis_client {

inline constexpr const char* kNoRelationMessage = "Needs a redis relation";
inline constexpr const char* kWaitingMessage = "Waiting for Redis to publish its address";

// The example requirer charm. Handle root "RedisClientCharm".
class RedisClientCharm : public ops::CharmBase {
 public:
  explicit RedisClientCharm(ops::Framework& framework);

  // The status the relation's current data calls for.
  ops::StatusBase wanted_status();

  // Handlers (stable names for deferred notices).
  void on_redis_relation_updated(charms::redis_k8s::v0::RedisRelationUpdatedEvent& event);
  void on_lifecycle(ops::HookEvent& event);

 private:
  charms::redis_k8s::v0::RedisRequires redis_;
};

}  // namespace redis_client
