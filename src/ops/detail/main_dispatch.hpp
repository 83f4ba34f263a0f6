// The steps of one dispatch after the charm is constructed, shared by
// ops::main (production) and ops::testing's Harness and Context, so that
// tests run exactly the sequence Juju's dispatch runs: re-emit the deferred
// events (not for restricted events), emit the event, collect status,
// commit (the Model's relation writes are sent during commit).
//
// A failure is reported once, in one format: "Uncaught exception in
// <observer>.<method> while handling <kind> (<event path>): <type>: <what>"
// when a handler threw, else "Uncaught exception while <stage> for <kind>:
// <type>: <what>". AbortDispatch passes through untouched.
#pragma once

#include <exception>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ops/charm.hpp"
#include "ops/framework.hpp"
#include "ops/model.hpp"

namespace ops::detail {

// Sends the Model's pending relation writes when the framework commits,
// after the pre_commit and commit events' handlers and before the state is
// saved. Not an observer of the commit event (that would cost an event
// delivery per dispatch): Framework::commit() calls it directly.
class CommitFlusher final : public Object {
 public:
  // `name` is the object's handle kind ("ops_main", "ops_testing").
  CommitFlusher(Framework& framework, Model& model, std::string_view name);
  ~CommitFlusher() override;
  CommitFlusher(const CommitFlusher&) = delete;
  CommitFlusher& operator=(const CommitFlusher&) = delete;
};

// What a dispatch does besides emitting the event (the Harness turns some
// off, e.g. collect-status alone).
struct DispatchSteps {
  bool reemit = true;          // re-emit deferred events first
  bool collect_status = true;  // run evaluate_status() after the event
  bool commit = true;          // Framework::commit() at the end
  // The source to emit instead of charm.on's `kind` (a custom event a
  // test runs, ops::testing's ctx.on.custom); null: charm.on.find(kind).
  std::function<EventSourceBase*(CharmBase&)> find_source = nullptr;
};

// The snapshot of the event to emit, made only when the charm defines it.
using SnapshotMaker = std::function<nlohmann::json(const EventSourceBase& source)>;

// A dispatch step failed: what() is the report line (see above). `handler`
// ("Observer.method") is set when a handler threw; `event_kind` is the kind
// being handled ("config_changed"), or the dispatched kind when no handler
// threw; `original` is the exception itself.
struct DispatchFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
  std::optional<std::string> handler;
  std::string event_kind;
  std::exception_ptr original;
};

// Runs one event on `charm` in ops::main's order. A kind the charm does not
// define is not emitted (the other steps still run), as in production.
// Throws DispatchFailure for any exception but AbortDispatch. Nothing is
// rolled back here: the caller owns the storage.
void run_dispatch_steps(Framework& framework, CharmBase& charm, std::string_view kind,
                        const SnapshotMaker& make_snapshot, const DispatchSteps& steps = {});
// The same with the event's snapshot already built: it is read, not copied,
// and must outlive the call (the Harness and the Context keep theirs).
void run_dispatch_steps_with_snapshot(Framework& framework, CharmBase& charm, std::string_view kind,
                                      const nlohmann::json& snapshot,
                                      const DispatchSteps& steps = {});

// The report line for an exception escaping `stage` of dispatching `kind`
// (no handler involved, e.g. while setting up).
std::string describe_uncaught(std::string_view stage, std::string_view kind,
                              const std::exception& e);

// True for events Juju runs in its restricted context (most hook tools are
// missing: no re-emit, no collect-status): collect_metrics and
// meter_status_changed.
bool is_restricted_event(std::string_view kind);

// The C++ type name of e ("std::runtime_error").
std::string type_name(const std::exception& e);

}  // namespace ops::detail
