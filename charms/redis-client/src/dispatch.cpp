// The redis-client charm's `dispatch` executable.
#include "charm.hpp"
#include "ops/main.hpp"

OPS_MAIN(redis_client::RedisClientCharm)
