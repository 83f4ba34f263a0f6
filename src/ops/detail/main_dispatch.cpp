// The dispatch steps shared by ops::main and ops::testing.
#include "ops/detail/main_dispatch.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <typeinfo>

#include "ops/detail/access.hpp"
#include "ops/log.hpp"

namespace ops::detail {
namespace {

DispatchFailure make_failure(const std::string& report, std::optional<std::string> handler,
                             std::string event_kind) {
  DispatchFailure failure(report);
  failure.handler = std::move(handler);
  failure.event_kind = std::move(event_kind);
  failure.original = std::current_exception();
  return failure;
}

DispatchFailure failure_of(Framework& framework, std::string_view kind, const char* stage,
                           const std::exception* e) {
  const std::string type = e != nullptr ? type_name(*e) : "unknown exception";
  const std::string what = e != nullptr ? std::string(": ") + e->what() : "";
  if (const std::optional<HandlerCall>& failed = framework.failed_handler()) {
    std::string event_kind = failed->event_path;
    try {
      event_kind = std::string(Handle::from_path(failed->event_path).kind());
    } catch (const FrameworkError&) {
    }
    std::string handler = failed->observer_path + "." + failed->method_name;
    const std::string report = "Uncaught exception in " + handler + " while handling " +
                               event_kind + " (" + failed->event_path + "): " + type + what;
    return make_failure(report, std::move(handler), std::move(event_kind));
  }
  const std::string report = std::string("Uncaught exception while ") + stage + " for " +
                             std::string(kind) + ": " + type + what;
  return make_failure(report, std::nullopt, std::string(kind));
}

}  // namespace

CommitFlusher::CommitFlusher(Framework& framework, Model& model, std::string_view name)
    : Object(framework, std::string(name)) {
  detail::FrameworkAccess::set_before_save(framework, [&model] { model.flush(); });
}

CommitFlusher::~CommitFlusher() { detail::FrameworkAccess::set_before_save(framework(), {}); }

namespace {

// run_dispatch_steps with the snapshot either built (`snapshot`) or made by
// make_snapshot when the charm defines the event.
void run_steps(Framework& framework, CharmBase& charm, std::string_view kind,
               const SnapshotMaker* make_snapshot, const nlohmann::json* snapshot,
               const DispatchSteps& steps) {
  const bool restricted = is_restricted_event(kind);
  const char* stage = "re-emitting deferred events";
  try {
    if (steps.reemit && !restricted) framework.reemit();
    stage = "emitting the event";
    if (EventSourceBase* source =
            steps.find_source ? steps.find_source(charm) : charm.on.find(kind)) {
      if (log::enabled(log::Level::debug)) {
        log::debug("Emitting Juju event " + std::string(kind) + ".");
      }
      if (snapshot != nullptr) {
        detail::FrameworkAccess::emit_snapshot(*source, *snapshot);
      } else {
        const nlohmann::json made =
            make_snapshot != nullptr && *make_snapshot ? (*make_snapshot)(*source) : nullptr;
        detail::FrameworkAccess::emit_snapshot(*source, made);
      }
    } else if (log::enabled(log::Level::debug)) {
      log::debug("Event " + std::string(kind) + " not defined for " + charm.handle().path() + ".");
    }
    stage = "collecting status";
    if (steps.collect_status && !restricted) evaluate_status(charm);
    stage = "committing";
    if (steps.commit) framework.commit();
  } catch (const AbortDispatch&) {
    throw;
  } catch (const std::exception& e) {
    throw failure_of(framework, kind, stage, &e);
  } catch (...) {
    throw failure_of(framework, kind, stage, nullptr);
  }
}

}  // namespace

void run_dispatch_steps(Framework& framework, CharmBase& charm, std::string_view kind,
                        const SnapshotMaker& make_snapshot, const DispatchSteps& steps) {
  run_steps(framework, charm, kind, &make_snapshot, nullptr, steps);
}

void run_dispatch_steps_with_snapshot(Framework& framework, CharmBase& charm, std::string_view kind,
                                      const nlohmann::json& snapshot, const DispatchSteps& steps) {
  run_steps(framework, charm, kind, nullptr, &snapshot, steps);
}

std::string describe_uncaught(std::string_view stage, std::string_view kind,
                              const std::exception& e) {
  return "Uncaught exception while " + std::string(stage) + " for " + std::string(kind) + ": " +
         type_name(e) + ": " + e.what();
}

bool is_restricted_event(std::string_view kind) {
  return kind == "collect_metrics" || kind == "meter_status_changed";
}

std::string type_name(const std::exception& e) {
  const char* mangled = typeid(e).name();
  int status = 0;
  char* demangled = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string name = status == 0 && demangled != nullptr ? demangled : mangled;
  std::free(demangled);  // NOLINT: __cxa_demangle allocates with malloc
  return name;
}

}  // namespace ops::detail
