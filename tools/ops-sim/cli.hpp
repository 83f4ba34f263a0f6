// The ops-sim command line (CLI11): parses a command, runs it on the
// Simulator, prints the result. Errors print "ERROR <message>" and exit 1.
#pragma once

namespace ops_sim {

// Runs the ops-sim command line; returns the process exit code.
int cli_main(int argc, char** argv);

}  // namespace ops_sim
