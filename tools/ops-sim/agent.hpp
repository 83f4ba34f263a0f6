// The model lock and the model agent.
//
// ModelLock is an exclusive flock on <model dir>/.lock, held by whatever
// runs hooks (a command, or the agent), so that two never run at once. The
// holder writes its pid and what it does into the file; a command that has
// to wait says who it waits for.
//
// The model agent is a detached ops-sim process per model (hidden
// subcommand `model-agent`), started with the model and stopped by destroy.
// Once a second it looks at the model: it runs the hooks that commands
// queued with --no-wait (or left when their --timeout ran out), and runs
// update-status on every unit at the model's update-status-hook-interval
// (5m by default, `ops-sim model-config update-status-hook-interval=...`),
// as Juju's unit agents do. It exits when the model dir is gone.
#pragma once

#include <filesystem>
#include <string>

namespace ops_sim {

class ModelLock {
 public:
  // Takes the lock (creating the dir when `create`); when another process
  // holds it, prints "waiting for the model lock ..." on stderr unless
  // `quiet`, then waits. `what` describes the holder for others.
  ModelLock(const std::filesystem::path& dir, bool create, const std::string& what,
            bool quiet = false);
  // Takes the lock only if it is free; held() says whether it was.
  ModelLock(const std::filesystem::path& dir, const std::string& what);
  ~ModelLock();
  ModelLock(const ModelLock&) = delete;
  ModelLock& operator=(const ModelLock&) = delete;
  bool held() const { return fd_ >= 0; }

 private:
  void record(const std::string& what);
  int fd_ = -1;
  std::filesystem::path created_;
};

// Starts the model's agent unless it runs already.
void ensure_model_agent(const std::filesystem::path& model_dir, const std::string& exe);
// Stops the model's agent and waits for it (up to the hook timeout).
void stop_model_agent(const std::filesystem::path& model_dir);
// The agent's main loop (the hidden `model-agent` subcommand).
int model_agent_main(const std::filesystem::path& model_dir, const std::string& exe);

// update-status-hook-interval: the model's value in seconds (default 300).
double update_status_interval(const std::string& value);

}  // namespace ops_sim
