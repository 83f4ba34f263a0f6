// `ops-sim ssh`: runs a command inside a unit's pod, as `juju ssh` does on
// Kubernetes.
//
// The command joins the unit's network namespace and sees the pod's hosts
// file and hostname, so that the units' Kubernetes FQDNs resolve as they do
// for the charm. With a container it also gets that container's filesystem
// paths (the same bind mounts the container's services get) and starts in
// the container's root, as Pebble exec does, running as root. Standard
// input, output and error are the caller's; the exit code is the command's.
#pragma once

#include <string>
#include <vector>

#include "model_db.hpp"

namespace ops_sim {

// Runs `command` in the pod of `unit` (and `container` when not empty) and
// returns its exit code (128 + signal when killed). Throws SimError for an
// unknown unit or container, a model without pods, or an empty command; a
// command that cannot be run exits 127 after saying why on stderr.
int ssh_unit(ModelDb& db, const std::string& unit, const std::string& container,
             const std::vector<std::string>& command);

}  // namespace ops_sim
