// What the charm inherits from the Python reference charm
// (canonical/redis-k8s-operator) after `juju refresh --path` from it.
//
// The unit's state file is migrated by ops (see the README, "Refreshing from
// a Python ops charm"); this file says which of our handlers answer for the
// reference charm's, so that events it deferred are re-emitted to ours in the
// first hook after the refresh:
//   RedisK8sCharm._redis_pebble_ready          -> RedisK8sCharm.on_redis_pebble_ready
//   RedisK8sCharm/Sentinel[sentinel]._sentinel_pebble_ready
//                                              -> RedisK8sCharm.on_sentinel_pebble_ready
//   RedisK8sCharm/RedisProvides[redis]._on_relation_changed
//                                              -> the same object's on_relation_changed
// and each other handler of the reference's charm.py (_leader_elected,
// _config_changed, _upgrade_charm, _update_status, _on_redis_relation_created,
// _peer_relation_changed, _peer_relation_departed and the three actions) to
// our on_<event> handler. Our charm has the reference's root handle
// ("RedisK8sCharm"), so event paths match as they are.
//
// Stored state: the reference's charm.py keeps none (everything lives in the
// peer relation); this port keeps only the workload version and app status
// it last set (RedisK8sCharm/StoredStateData[_stored]), which a refresh
// starts without, so it sets both once. The reference's observability
// libraries (grafana-dashboard, loki, prometheus) keep StoredState and
// observe events under their own objects; this port does not include them,
// so their stored state is migrated but unused, and a notice deferred by one
// of their handlers is dropped with a WARNING naming it.
#pragma once

#include <vector>

#include "ops/framework.hpp"

namespace redis_k8s {

// The reference charm's handlers and the observations that answer for them.
const std::vector<ops::PythonHandlerAlias>& python_handler_aliases();

// Registers python_handler_aliases() with framework (the charm's constructor calls it).
void declare_python_aliases(ops::Framework& framework);

}  // namespace redis_k8s
