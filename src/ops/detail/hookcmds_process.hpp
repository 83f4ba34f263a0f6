// Running one hook tool as a child process, without a shell.
//
// run_process() starts argv[0] (looked up on PATH) with posix_spawnp, in a
// process group of its own, writes `input` to its stdin, collects stdout and
// stderr without deadlocking on full pipes, and waits for it, at most until
// its timeout: then the group gets SIGTERM, SIGKILL after a grace period, and
// the child is reaped before ProcessTimeout is thrown. It knows nothing of
// Juju: run_hook_tool() adds the hook tool timeout, and hookcmds.cpp maps the
// result to typed errors.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ops::detail {

struct ProcessResult {
  int exit_code = 0;  // the exit status, or 128 + signal number
  std::string out;    // everything written to stdout
  std::string err;    // everything written to stderr
};

struct ProcessOptions {
  // How long the process may run; none: as long as it takes.
  std::optional<std::chrono::nanoseconds> timeout = std::nullopt;
  // After the timeout: how long SIGTERM has to end the process group before
  // SIGKILL does.
  std::chrono::nanoseconds kill_grace = std::chrono::seconds(2);
};

// The process ran past its timeout and was killed (and reaped).
class ProcessTimeout : public std::runtime_error {
 public:
  ProcessTimeout(const std::string& message, std::string err)
      : std::runtime_error(message), err_(std::move(err)) {}
  // What it wrote to stderr before it was killed.
  const std::string& err() const noexcept { return err_; }

 private:
  std::string err_;
};

// Runs argv (argv[0] found on PATH) to completion. Throws std::system_error
// when the process cannot be started (errc::no_such_file_or_directory when
// the tool is not on PATH), ProcessTimeout when options.timeout passed.
ProcessResult run_process(const std::vector<std::string>& argv, std::string_view input = {},
                          const ProcessOptions& options = {});

// The hook tool timeout: $OPS_HOOK_TOOL_TIMEOUT seconds (fractions allowed;
// 0 for none) when set and not empty, else kHookToolTimeout. Throws
// ModelError naming the variable when its value is not such a number.
std::optional<std::chrono::nanoseconds> hook_tool_timeout();

// run_process() within hook_tool_timeout(); a tool that runs past it throws
// ModelError "hook tool TOOL (N arguments) did not finish within Ts: killed"
// (arguments are not shown: they may hold secrets), with its stderr so far.
ProcessResult run_hook_tool(const std::vector<std::string>& argv, std::string_view input = {});

}  // namespace ops::detail
