// The Juju hook tools (relation-get, status-set, config-get, ...), run by a
// charm's dispatch against the model database.
//
// ops-sim is a multi-call executable: a bin dir on the dispatch's PATH holds
// one symlink per tool, and main() sends any argv[0] that names a tool here.
// The hook run comes from the environment the scheduler sets (OPS_SIM_DIR,
// OPS_SIM_RUN_ID and the JUJU_* variables). Reads see the model as committed
// plus this run's own writes; writes are recorded as pending ops (see
// model_changes.hpp). Errors print "ERROR <message>" on stderr and exit 1 (2
// for bad usage), as Juju's tools do.
#pragma once

#include <string>
#include <vector>

namespace ops_sim {

// Every tool name ops-sim implements.
const std::vector<std::string>& hook_tool_names();
// True when name is one of hook_tool_names().
bool is_hook_tool(const std::string& name);
// Runs tool `name` with its arguments (argv without the program name);
// returns the process exit code.
int run_hook_tool(const std::string& name, const std::vector<std::string>& args);

}  // namespace ops_sim
