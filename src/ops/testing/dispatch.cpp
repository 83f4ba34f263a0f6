// The dispatch steps shared by the Harness and the Context.
#include "dispatch.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <typeinfo>

#include "ops/log.hpp"
#include "ops/model.hpp"

namespace ops::testing::detail {
namespace {

UncaughtCharmError describe(Framework& framework, std::string_view kind, const char* stage,
                            const std::exception& e, const std::optional<HandlerCall>& stale) {
  // The framework remembers the first handler that ever failed; one already
  // reported by an earlier event of a long-lived framework is not this one.
  std::optional<HandlerCall> failure = framework.failed_handler();
  if (failure && stale && *failure == *stale) failure.reset();
  if (failure) {
    std::string event_kind = failure->event_path;
    try {
      event_kind = std::string(Handle::from_path(failure->event_path).kind());
    } catch (const FrameworkError&) {
    }
    std::string handler = failure->observer_path + "." + failure->method_name;
    const std::string message = "Uncaught exception in " + handler + " while handling " +
                                event_kind + " (" + failure->event_path + "): " + type_name(e) +
                                ": " + e.what();
    return UncaughtCharmError(message, std::move(handler), event_kind, std::current_exception());
  }
  const std::string message = std::string("Uncaught exception while ") + stage + " for " +
                              std::string(kind) + ": " + type_name(e) + ": " + e.what();
  return UncaughtCharmError(message, std::nullopt, std::string(kind), std::current_exception());
}

// Whether `value` fits a JSON-schema "type" (a name or a list of names).
bool schema_type_fits(const nlohmann::json& type, const nlohmann::json& value) {
  if (type.is_array()) {
    return std::any_of(type.begin(), type.end(),
                       [&](const nlohmann::json& t) { return schema_type_fits(t, value); });
  }
  if (!type.is_string()) return true;
  const std::string name = type.get<std::string>();
  if (name == "string") return value.is_string();
  if (name == "integer") return value.is_number_integer();
  if (name == "number") return value.is_number();
  if (name == "boolean") return value.is_boolean();
  if (name == "array") return value.is_array();
  if (name == "object") return value.is_object();
  if (name == "null") return value.is_null();
  return true;
}

}  // namespace

CommitFlusher::CommitFlusher(Framework& framework, Model& model)
    : Object(framework, "ops_testing"), model_(model) {
  framework.observe<&CommitFlusher::on_commit>(framework.on().commit, *this);
}

void CommitFlusher::on_commit(CommitEvent& /*event*/) { model_.flush(); }

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

void run_dispatch_steps(Framework& framework, CharmBase& charm, std::string_view kind,
                        const nlohmann::json& snapshot, const DispatchSteps& steps) {
  const std::optional<HandlerCall> stale = framework.failed_handler();
  const bool restricted = is_restricted_event(kind);
  const char* stage = "re-emitting deferred events";
  try {
    if (steps.reemit && !restricted) framework.reemit();
    stage = "emitting the event";
    if (EventSourceBase* source = charm.on.find(kind)) {
      if (log::enabled(log::Level::debug)) {
        log::debug("Emitting Juju event " + std::string(kind) + ".");
      }
      source->emit_snapshot(snapshot);
    }
    stage = "collecting status";
    if (steps.collect_status && !restricted) evaluate_status(charm);
    stage = "committing";
    if (steps.commit) framework.commit();
  } catch (const AbortDispatch&) {
    throw;
  } catch (const std::exception& e) {
    throw describe(framework, kind, stage, e, stale);
  }
}

nlohmann::json validated_action_params(const CharmMeta& meta, const std::string& action,
                                       const nlohmann::json& params) {
  auto it = meta.actions.find(action);
  if (it == meta.actions.end()) {
    throw HarnessError("action '" + action + "' is not declared in actions.yaml");
  }
  if (!params.is_object()) throw HarnessError("action parameters must be a JSON object");
  const ActionMeta& declared = it->second;
  nlohmann::json full = params;
  for (const auto& [name, schema] : declared.parameters.items()) {
    if (!full.contains(name) && schema.is_object() && schema.contains("default")) {
      full[name] = schema["default"];
    }
  }
  for (const auto& name : declared.required) {
    if (!full.contains(name)) {
      throw HarnessError("action '" + action + "' requires parameter '" + name + "'");
    }
  }
  for (const auto& [name, value] : full.items()) {
    if (!declared.parameters.contains(name)) {
      if (!declared.additional_properties) {
        throw HarnessError("action '" + action + "' has no parameter '" + name + "'");
      }
      continue;
    }
    const nlohmann::json& schema = declared.parameters[name];
    if (schema.is_object() && schema.contains("type") && !schema_type_fits(schema["type"], value)) {
      throw HarnessError("parameter '" + name + "' of action '" + action + "' must be of type " +
                         schema["type"].dump() + ", not " + value.dump());
    }
  }
  return full;
}

}  // namespace ops::testing::detail
