// RedisClientCharm: status from the redis relation.
#include "charm.hpp"

#include "ops/model.hpp"

namespace redis_client {

RedisClientCharm::RedisClientCharm(ops::Framework& framework)
    : CharmBase(framework, "RedisClientCharm"), redis_(*this, "redis") {
  framework.observe<&RedisClientCharm::on_redis_relation_updated>(redis_.on_updated(), *this);
  framework.observe<&RedisClientCharm::on_lifecycle>(on.install, *this);
  framework.observe<&RedisClientCharm::on_lifecycle>(on.start, *this);
  framework.observe<&RedisClientCharm::on_lifecycle>(on.update_status, *this);
}

ops::StatusBase RedisClientCharm::wanted_status() {
  if (model().relations(redis_.relation_name()).empty()) {
    return ops::BlockedStatus(kNoRelationMessage);
  }
  if (auto url = redis_.url()) return ops::ActiveStatus(*url);
  return ops::WaitingStatus(kWaitingMessage);
}

void RedisClientCharm::on_redis_relation_updated(
    charms::redis_k8s::v0::RedisRelationUpdatedEvent&) {
  unit().set_status(wanted_status());
}

void RedisClientCharm::on_lifecycle(ops::HookEvent&) { unit().set_status(wanted_status()); }

}  // namespace redis_client
