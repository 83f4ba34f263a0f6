// One simulated dispatch, shared by the Harness and the Context: the very
// steps ops::main takes after constructing the charm
// (ops::detail::run_dispatch_steps), with charm exceptions turned into
// UncaughtCharmError carrying ops::main's report line.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ops/charm.hpp"
#include "ops/detail/main_dispatch.hpp"
#include "ops/framework.hpp"
#include "ops/testing/errors.hpp"

namespace ops::testing::detail {

using ops::detail::CommitFlusher;
using ops::detail::DispatchSteps;

// Runs one event on `charm` in ops::main's order. `kind` is the event kind
// on charm.on ("config_changed"); a kind the charm does not define is not
// emitted (the other steps still run), as in production. A charm exception
// becomes UncaughtCharmError; AbortDispatch passes through. Nothing is
// rolled back here: the caller owns the storage. The snapshot is read, not
// copied.
void run_dispatch_steps(Framework& framework, CharmBase& charm, std::string_view kind,
                        const nlohmann::json& snapshot, const DispatchSteps& steps);

// The parameters an action runs with: `params` plus the defaults of
// actions.yaml. HarnessError for an undeclared action, a missing required
// parameter, an unknown one when additionalProperties is false, or a value
// of the wrong JSON-schema type.
nlohmann::json validated_action_params(const CharmMeta& meta, const std::string& action,
                                       const nlohmann::json& params);

}  // namespace ops::testing::detail
