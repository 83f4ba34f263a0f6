// A Pebble server for tests and local runs: the real HTTP API on a real unix
// socket, so that the production client (ops::pebble::make_client), charm
// processes and ops-sim talk to it exactly as to Pebble in a container.
//
// What it serves: system-info; layers and the plan (with combine); services
// (start/stop/restart/replan/autostart) as changes with ids that can be
// waited on; files under a root directory that stands for the container's
// filesystem (push/pull/list/make-dir/remove with permissions, every path
// resolved inside the root without following a link out of it; an owner
// that exists on the host is applied with fchown before the file appears,
// one the host does not know is recorded and listed); exec, which REALLY runs the command on the
// host (posix_spawn) with its standard streams on the websockets, its
// environment, working directory (default: the root directory) and timeout,
// as the server's own user (user/group are accepted and ignored);
// signals; checks (state only: they are "up" unless a test sets them);
// notices; warnings.
//
// Services go through ServiceManager. SimulatedServiceManager keeps state
// only (and can be told to make a start fail); another implementation can
// really run the service commands (ops-sim does) without touching the
// server. The manager is called from one worker thread, one call at a time;
// status() may also be called from the server's I/O thread. A manager that
// runs processes must reap only its own (waitpid on their pids, never -1):
// the server reaps the commands exec runs.
//
// Errors: the constructor throws std::runtime_error when the socket cannot
// be bound or the root directory does not exist. Constructing a Server sets
// SIGPIPE to ignored for the whole process (a closed pipe or socket must be
// an error code, not the server's death); exec'd commands get the default
// SIGPIPE back.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ops/pebble.hpp"

namespace ops::pebble_server {

// How the server starts, stops and signals services.
class ServiceManager {
 public:
  virtual ~ServiceManager() = default;
  // Starts service `name` as the plan defines it. Throws std::exception whose
  // what() becomes the task's error ("cannot perform the following tasks").
  virtual void start(const std::string& name, const pebble::Service& service) = 0;
  // Stops a running service; throws like start().
  virtual void stop(const std::string& name, const pebble::Service& service) = 0;
  // The service's current state; kInactive for a service never started.
  virtual pebble::ServiceStatus status(const std::string& name) = 0;
  // Delivers signal `signum` to the running service; throws when it cannot.
  virtual void signal(const std::string& name, int signum) = 0;
};

// State-only services: start makes a service active, stop inactive. Each call
// is recorded in history() as "start NAME", "stop NAME", "signal NAME SIGHUP".
class SimulatedServiceManager : public ServiceManager {
 public:
  void start(const std::string& name, const pebble::Service& service) override;
  void stop(const std::string& name, const pebble::Service& service) override;
  pebble::ServiceStatus status(const std::string& name) override;
  void signal(const std::string& name, int signum) override;

  // Makes every later start of `name` fail with `message` (the service goes
  // to "error"); an empty message clears it.
  void set_start_failure(const std::string& name, const std::string& message);
  // The calls so far, oldest first.
  std::vector<std::string> history() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, pebble::ServiceStatus> status_;
  std::map<std::string, std::string> start_failures_;
  std::vector<std::string> history_;
};

struct ServerOptions {
  std::string socket_path{};  // created (a stale socket file is replaced)
  std::string root_dir{};     // must exist; file paths are resolved under it
  // Services; a SimulatedServiceManager when null.
  std::unique_ptr<ServiceManager> services{};
  std::string version = "1.10.0";  // reported by system-info
  // Run in front of every exec'd command (its argv then follows): how a
  // host that stands in for a container makes exec run inside it. ops-sim
  // passes its own `container-exec`, which enters the container's mount
  // namespace as its services do. Empty: the command runs as it is.
  std::vector<std::string> exec_prefix{};
};

// A running server. Construction binds the socket; start() serves on a
// background thread; the destructor stops it and kills running exec
// commands.
class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serves on a background thread; returns at once.
  void start();
  // Serves on the calling thread until stop() (from another thread or a
  // signal handler's thread).
  void run();
  // Stops serving and waits for the background thread, if any.
  void stop();

  const std::string& socket_path() const;
  ServiceManager& services();

  // Test hooks: sets a check's status and failure count as a check run would.
  void set_check_status(const std::string& name, pebble::CheckStatus status, int failures = 0);
  // Test hook: records a warning as Pebble would.
  void add_warning(const std::string& message);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ops::pebble_server
