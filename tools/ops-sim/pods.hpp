// Pods: each unit runs in its own network namespace, as a Kubernetes pod.
//
// A model gets one "bridge" namespace (opssim-<id>-net) holding a bridge
// osbr0, and one namespace per unit (opssim-<id>-<app>-<N>) joined to it by a
// veth pair. Addresses come from 10.213.<X>.0/24, X chosen per model from a
// registry under /run/ops-sim so concurrent models never collide; they exist
// only inside these namespaces, nothing is routed to or from the host. Each
// pod also gets a hosts file resolving every unit's Kubernetes FQDN
// (app-N.app-endpoints.<model>.svc.cluster.local) and its own hostname.
//
// The host's own network namespace is never changed. Every name carries the
// "opssim-" prefix so that destroy (and `destroy --all-leftovers`) can find
// what was created. Failures throw SimError with the failing command.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "model_db.hpp"

namespace ops_sim {

// What a process needs to enter a unit's pod (prepared before fork()).
struct PodSpec {
  std::string netns;       // name under /run/netns, empty when pods are off
  std::string hosts_file;  // bind-mounted on /etc/hosts
  std::string hostname;    // app-N
};

// Whether this machine lets ops-sim create network namespaces (root, ip).
bool pods_supported(std::string* why = nullptr);

// Creates the model's bridge namespace and returns the subnet index X.
int create_model_network(ModelDb& db);
// Creates unit's pod namespace and veth; returns its address (10.213.X.Y).
std::string create_pod(ModelDb& db, const std::string& unit_name);
// Deletes a unit's pod namespace (its veth goes with it).
void delete_pod(ModelDb& db, const std::string& unit_name);
// The namespace name of a unit's pod in the model with this uuid.
std::string pod_netns_name(const std::string& model_uuid, const std::string& unit_name);
// Deletes a network namespace if it exists.
void delete_netns(const std::string& name);
// Deletes the namespaces of the model with this uuid and frees its subnet
// registry entry (for undoing a failed deploy, when the meta rows are gone).
void delete_network(const std::string& model_uuid, const std::string& subnet_index);
// Deletes every namespace of the model and releases its subnet.
void delete_model_network(ModelDb& db);
// What destroy --leftovers removed, and the opssim-* namespaces it kept
// because nothing proves their model gone (no registry record of them).
struct LeftoverSweep {
  std::vector<std::string> removed;
  std::vector<std::string> kept;
};
// Deletes the namespaces and registrations of models that are provably gone:
// the model dir recorded for them (in /run/ops-sim) holds no model database,
// or one of another model. Namespaces with no record are kept and listed.
LeftoverSweep sweep_leftover_networks();

// The FQDN Kubernetes gives a unit's pod.
std::string unit_fqdn(const std::string& unit_name, const std::string& model_name);
// The pod hostname of a unit ("app-N").
std::string unit_hostname(const std::string& unit_name);
// Rewrites every unit's hosts file (call after units come or go).
void write_hosts_files(ModelDb& db);
// The PodSpec of a unit (netns empty when the model runs without pods).
PodSpec pod_spec(ModelDb& db, const std::string& unit_name);
// The directory ops-sim keeps a unit's files in.
std::filesystem::path unit_dir(ModelDb& db, const std::string& unit_name);

// In a forked child, before exec: joins the pod's network namespace, takes a
// private mount and UTS namespace, bind-mounts the hosts file and sets the
// hostname. Uses only system calls; returns false (errno set) on failure.
bool enter_pod(const PodSpec& pod);

}  // namespace ops_sim
