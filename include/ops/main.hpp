// The entry point of a charm's `dispatch` executable.
//
// Juju runs `dispatch` once per event. ops::main<Charm>(argc, argv) (or
// OPS_MAIN(Charm) in place of main) does one dispatch, in Python ops' order:
//   1. reads the JUJU_* environment (JujuContext) and checks the variables
//      the event needs; a missing one is printed to stderr and exits 1;
//   2. sends log lines (ops::log) to Juju with juju-log;
//   3. derives the event kind from JUJU_DISPATCH_PATH ("hooks/db-relation-
//      changed" -> "db_relation_changed", "actions/get-password" ->
//      "get_password_action");
//   4. reads the metadata from the charm directory (JUJU_CHARM_DIR, else the
//      directory of argv[0]), builds the Model on the real hook tools (during
//      relation-broken that relation is inactive and left out of
//      Model::relations()), opens `<charm_dir>/.unit-state.db` and a
//      Framework on it, and constructs the charm;
//   5. re-emits deferred events (not for collect-metrics and
//      meter-status-changed, which run in Juju's restricted context), emits
//      the event if the charm defines it (unknown kinds are ignored, for
//      rollbacks), runs collect-status (evaluate_status);
//   6. commits: the pre_commit and commit events, then the Model's pending
//      relation writes (relation-set), then stored state and the state file's
//      transaction - so Juju has every write before the state says it
//      happened.
// An exception from charm code is logged with juju-log at ERROR, naming the
// handler and the event ("Uncaught exception in MyCharm.on_config_changed
// while handling config_changed (MyCharm/on/config_changed[4]): ..."), also
// written to stderr; nothing is committed and the exit status is 1, so Juju
// retries the hook. AbortDispatch(code) ends the dispatch with `code` and
// commits nothing.
//
// Logging policy. Every juju-log call is a process, so the dispatch does not
// forward debug lines by default: lines at INFO and above go to juju-log,
// debug lines (the framework's "Emitting ..." and "Re-emitting ..." lines)
// only when JUJU_DEBUG is set or OPS_LOG_LEVEL=debug. OPS_LOG_LEVEL=warning
// or error raises the threshold.
#pragma once

#include <functional>
#include <memory>

#include "ops/charm.hpp"
#include "ops/framework.hpp"

namespace ops {

// Builds the charm on a framework whose Model is set.
using CharmFactory = std::function<std::unique_ptr<CharmBase>(Framework& framework)>;

// One dispatch with the charm `factory` builds; returns the process exit
// status (0 on success). Never throws.
int run_dispatch(const CharmFactory& factory, int argc, char** argv);

// One dispatch of Charm (constructible from Framework&); returns the exit status.
template <class Charm>
int main(int argc, char** argv) {
  static_assert(std::is_base_of_v<CharmBase, Charm>,
                "ops::main<Charm>: Charm must derive from ops::CharmBase");
  static_assert(std::is_constructible_v<Charm, Framework&>,
                "ops::main<Charm>: Charm needs a constructor Charm(ops::Framework&)");
  return run_dispatch(
      [](Framework& framework) -> std::unique_ptr<CharmBase> {
        return std::make_unique<Charm>(framework);
      },
      argc, argv);
}

// The event kind a dispatch path names: "hooks/config-changed" ->
// "config_changed", "actions/get-password" -> "get_password_action".
std::string event_kind_from_dispatch_path(std::string_view dispatch_path);

}  // namespace ops

// Defines the program's main() as ops::main<Charm>.
#define OPS_MAIN(Charm) \
  int main(int argc, char** argv) { return ::ops::main<Charm>(argc, argv); }
