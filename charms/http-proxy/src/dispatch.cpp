// The http-proxy charm's `dispatch` executable.
#include "charm.hpp"
#include "ops/main.hpp"

OPS_MAIN(http_proxy::HttpProxyCharm)
