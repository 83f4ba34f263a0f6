// The hello-k8s charm's `dispatch` executable.
#include "hello_charm.hpp"
#include "ops/main.hpp"

OPS_MAIN(HelloCharm)
