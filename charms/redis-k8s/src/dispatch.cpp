// The redis-k8s charm's `dispatch` executable: one Juju event per run.
#include "charm.hpp"
#include "ops/main.hpp"

OPS_MAIN(redis_k8s::RedisK8sCharm)
