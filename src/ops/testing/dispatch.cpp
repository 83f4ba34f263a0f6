// The dispatch steps shared by the Harness and the Context.
#include "dispatch.hpp"

#include <algorithm>

#include "ops/model.hpp"

namespace ops::testing::detail {
namespace {

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

void run_dispatch_steps(Framework& framework, CharmBase& charm, std::string_view kind,
                        const nlohmann::json& snapshot, const DispatchSteps& steps) {
  try {
    ops::detail::run_dispatch_steps_with_snapshot(framework, charm, kind, snapshot, steps);
  } catch (const ops::detail::DispatchFailure& failure) {
    throw UncaughtCharmError(failure.what(), failure.handler, failure.event_kind, failure.original);
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
