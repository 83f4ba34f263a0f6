// One simulated dispatch, shared by the Harness and the Context: the steps
// ops::main takes after constructing the charm (re-emit deferred events,
// emit the event, collect status, commit), with charm exceptions turned
// into UncaughtCharmError naming the handler as ops::main's log line does.
#pragma once

#include <exception>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ops/charm.hpp"
#include "ops/framework.hpp"
#include "ops/testing/errors.hpp"

namespace ops::testing::detail {

// Sends the Model's pending relation writes when the framework commits,
// after the charm's own commit handlers (as ops::main does).
class CommitFlusher final : public Object {
 public:
  CommitFlusher(Framework& framework, Model& model);
  void on_commit(CommitEvent& event);

 private:
  Model& model_;
};

// What a dispatch does besides emitting the event.
struct DispatchSteps {
  bool reemit = true;          // re-emit deferred events first
  bool collect_status = true;  // run evaluate_status() after the event
  bool commit = true;          // Framework::commit() at the end
};

// Runs one event on `charm` in ops::main's order. `kind` is the event kind
// on charm.on ("config_changed"); a kind the charm does not define is not
// emitted (the other steps still run), as in production. A charm exception
// becomes UncaughtCharmError; AbortDispatch passes through. Nothing is
// rolled back here: the caller owns the storage.
void run_dispatch_steps(Framework& framework, CharmBase& charm, std::string_view kind,
                        const nlohmann::json& snapshot, const DispatchSteps& steps);

// True for events Juju runs in its restricted context (no re-emit, no
// collect-status): collect_metrics and meter_status_changed.
bool is_restricted_event(std::string_view kind);

// The parameters an action runs with: `params` plus the defaults of
// actions.yaml. HarnessError for an undeclared action, a missing required
// parameter, an unknown one when additionalProperties is false, or a value
// of the wrong JSON-schema type.
nlohmann::json validated_action_params(const CharmMeta& meta, const std::string& action,
                                       const nlohmann::json& params);

// The C++ type name of e ("std::runtime_error").
std::string type_name(const std::exception& e);

}  // namespace ops::testing::detail
