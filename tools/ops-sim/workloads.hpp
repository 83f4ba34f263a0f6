// Workload containers: one Pebble daemon per unit container, and the service
// manager that really runs the planned services.
//
// The daemon is ops-sim itself (hidden subcommand `pebble-daemon`), started
// detached by start_pebble_daemons(). It enters the unit's pod, serves the
// Pebble API (tools/pebble-server) on <unit dir>/pebble/<container>/
// pebble.socket -- the path the charm finds through OPS_PEBBLE_SOCKET_DIR --
// with files under <unit dir>/containers/<container>/rootfs.
//
// With --workloads=run each service is a process in the pod's network
// namespace and a private mount namespace where the container's directories
// (e.g. /etc/redis-server, /var/lib/redis) are bind-mounted from the rootfs,
// running as the service's user when it exists, restarted on exit with
// Pebble's backoff, and stopped with SIGTERM then SIGKILL after kill-delay.
// With --workloads=simulate services are plan state only.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "model_db.hpp"

namespace ops_sim {

// Options of the pebble-daemon subcommand.
struct PebbleDaemonOptions {
  std::string socket;
  std::string root;              // the container's rootfs
  std::string mode;              // "run" or "simulate"
  std::string netns;             // pod namespace, empty for none
  std::string hosts;             // pod hosts file
  std::string hostname;          // pod hostname
  std::string log_dir;           // service output goes to <log_dir>/<service>.log
  std::string mountpoints_file;  // records host mountpoint dirs created
  std::string pid_file;          // written once the socket is served
};

// The rootfs of a unit's container.
std::filesystem::path container_root(ModelDb& db, const std::string& unit,
                                     const std::string& container);
// Starts one Pebble daemon per container of the unit and waits for sockets.
void start_pebble_daemons(ModelDb& db, const std::string& unit, const std::string& exe);
// Stops the unit's Pebble daemons (which stop their services) and waits.
void stop_pebble_daemons(ModelDb& db, const std::string& unit);
// The bind mounts (rootfs dir, host path) that lay a container's directories
// over the host's, e.g. <rootfs>/var/lib/redis on /var/lib/redis; creates
// missing host mountpoints and appends them to `record` for destroy.
std::vector<std::pair<std::string, std::string>> container_mounts(const std::filesystem::path& root,
                                                                  const std::string& record);
// Removes the empty host directories created as mountpoints for the model.
void remove_created_mountpoints(ModelDb& db);
// Queues <container>-pebble-custom-notice for custom notices recorded in the
// unit's Pebble servers since the last call; returns how many were queued.
int queue_pebble_notices(ModelDb& db, const std::string& unit);
// The services whose process runs in a unit's container (--workloads=run):
// name -> pid, from the pid files the Pebble daemon writes, checked to be
// its live children.
std::map<std::string, int> running_services(ModelDb& db, const std::string& unit,
                                            const std::string& container);
// Stops Pebble daemons whose socket no longer exists (their model dir was
// removed without destroy); returns their pids.
std::vector<int> stop_orphan_pebble_daemons();
// Runs a Pebble daemon in the foreground until SIGTERM; returns exit code.
int pebble_daemon_main(const PebbleDaemonOptions& options);
// `ops-sim container-exec ROOT MOUNTPOINTS_FILE -- /abs/command args...`
// (started by a run-mode Pebble daemon for each exec): enters a mount
// namespace of its own with the container's paths of ROOT bind-mounted, as
// the container's services have, and execs the command there. Returns only
// on failure (126: no namespace, 127: the command cannot run).
int container_exec_main(const std::string& root, const std::string& mountpoints_file,
                        const std::vector<std::string>& command);

// Splits a command line the way Pebble does (shell-like quoting, no expansion).
std::vector<std::string> split_command(const std::string& command);
// Parses a Go duration ("500ms", "1m30s"); throws SimError.
double parse_go_duration(const std::string& text);

}  // namespace ops_sim
