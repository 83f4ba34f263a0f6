// ops-sim's entry point. It is a multi-call executable: invoked through a
// link named after a hook tool (relation-get, status-set, ...) it is that
// tool; otherwise it is the ops-sim command line.
#include <filesystem>
#include <string>
#include <vector>

#include "cli.hpp"
#include "hook_tools.hpp"

int main(int argc, char** argv) {
  const std::string name = std::filesystem::path(argv[0]).filename().string();
  if (ops_sim::is_hook_tool(name)) {
    return ops_sim::run_hook_tool(name, std::vector<std::string>(argv + 1, argv + argc));
  }
  return ops_sim::cli_main(argc, argv);
}
