// Running one hook tool as a child process, without a shell.
//
// run_process() starts argv[0] (looked up on PATH) with posix_spawnp, writes
// `input` to its stdin, collects stdout and stderr without deadlocking on full
// pipes, and waits for it. It knows nothing of Juju: hookcmds.cpp maps the
// result to typed errors.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ops::detail {

struct ProcessResult {
  int exit_code = 0;  // the exit status, or 128 + signal number
  std::string out;    // everything written to stdout
  std::string err;    // everything written to stderr
};

// Runs argv (argv[0] found on PATH) to completion. Throws std::system_error
// when the process cannot be started (errc::no_such_file_or_directory when
// the tool is not on PATH).
ProcessResult run_process(const std::vector<std::string>& argv, std::string_view input = {});

}  // namespace ops::detail
