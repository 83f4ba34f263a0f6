// Juju's naming rules, each written once, as plain character checks (no
// std::regex: it is slow to compile and to run for patterns this simple).
// Shared by the ops library (hook-tool wrappers, Secret, the testing
// consistency checker) and ops-sim (the hook tools and CLI), so that the
// double refuses exactly what Juju refuses.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ops::detail {

// One "."-separated part of an action-set key: Juju's
// ^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$ (worker/uniter/runner/jujuc/action-set.go).
[[nodiscard]] bool is_action_key_part(std::string_view part) noexcept;

// The keys Juju keeps for an action's own output; no part of a key may be one.
[[nodiscard]] bool is_reserved_action_key(std::string_view part) noexcept;

// Why Juju's action-set refuses a dotted key ("foo.bar-baz"): the first part
// that breaks is_action_key_part, or is reserved.
struct ActionKeyProblem {
  std::string part;       // the offending "."-separated part ("" for "a..b")
  bool reserved = false;  // true: a reserved key; false: the character rule
  // Juju's text, without its "ERROR " prefix.
  [[nodiscard]] std::string message() const;
};

// nullopt when Juju accepts the key: every part follows is_action_key_part
// and none is reserved.
[[nodiscard]] std::optional<ActionKeyProblem> action_key_problem(std::string_view key);

// A secret content key: Juju's ^([a-z](?:-?[a-z0-9]){2,})$ (core/secrets):
// starts with a letter, lowercase letters and digits with single inner
// hyphens, at least three letters or digits.
[[nodiscard]] bool is_secret_content_key(std::string_view key) noexcept;

// A secret URI as Juju's core/secrets ParseURI takes it: "secret:" and a
// 20-character xid (base32hex, 0-9a-v), optionally
// "secret://<model uuid>/<xid>".
[[nodiscard]] bool is_secret_uri(std::string_view value) noexcept;

// A model name (juju/names): ^[a-z0-9]+[a-z0-9-]*$, lowercase letters, digits
// and hyphens, not starting with a hyphen.
[[nodiscard]] bool is_model_name(std::string_view name) noexcept;

// An application name (juju/names): ^[a-z][a-z0-9]*(-[a-z0-9]*[a-z][a-z0-9]*)*$,
// hyphen-separated parts of lowercase letters and digits, the first starting
// with a letter and each containing one.
[[nodiscard]] bool is_application_name(std::string_view name) noexcept;

}  // namespace ops::detail
