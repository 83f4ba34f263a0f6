// The one check of a config value against its option's declared type,
// shared by Harness::update_config and Context's consistency checker.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace ops::testing::detail {

// Whether `value` has the JSON type of a `type` option. Exact, as both of
// Python's test tools check it: an integer is not a float (Harness compares
// type(value), Scenario uses isinstance), a string is not a boolean. A
// float option's default from config.yaml is stored as a float already.
[[nodiscard]] inline bool config_type_fits(const std::string& type, const nlohmann::json& value) {
  if (type == "string" || type == "secret") return value.is_string();
  if (type == "int") return value.is_number_integer();
  if (type == "float") return value.is_number_float();
  if (type == "boolean") return value.is_boolean();
  return false;
}

}  // namespace ops::testing::detail
