#include "ops/detail/juju_names.hpp"

#include <array>

namespace ops::detail {
namespace {

constexpr bool is_lower(char c) noexcept { return c >= 'a' && c <= 'z'; }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_lower_or_digit(char c) noexcept { return is_lower(c) || is_digit(c); }
constexpr bool is_hex_lower(char c) noexcept { return is_digit(c) || (c >= 'a' && c <= 'f'); }

// n characters of s from pos are lowercase hex digits.
bool hex_run(std::string_view s, std::size_t pos, std::size_t n) noexcept {
  if (s.size() < pos + n) return false;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!is_hex_lower(s[i])) return false;
  }
  return true;
}

}  // namespace

bool is_action_key_part(std::string_view part) noexcept {
  if (part.empty() || !is_lower_or_digit(part.front()) || !is_lower_or_digit(part.back())) {
    return false;
  }
  for (char c : part) {
    if (!is_lower_or_digit(c) && c != '-') return false;
  }
  return true;
}

bool is_reserved_action_key(std::string_view part) noexcept {
  static constexpr std::array<std::string_view, 4> kReserved = {"stdout", "stdout-encoding",
                                                                "stderr", "stderr-encoding"};
  for (std::string_view reserved : kReserved) {
    if (part == reserved) return true;
  }
  return false;
}

std::string ActionKeyProblem::message() const {
  if (reserved) return "cannot set reserved action key \"" + part + "\"";
  return "key \"" + part +
         "\" must start and end with lowercase alphanumeric, and contain only lowercase "
         "alphanumeric and hyphens";
}

std::optional<ActionKeyProblem> action_key_problem(std::string_view key) {
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = key.find('.', start);
    const std::string_view part =
        key.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!is_action_key_part(part)) return ActionKeyProblem{std::string(part), false};
    if (is_reserved_action_key(part)) return ActionKeyProblem{std::string(part), true};
    if (dot == std::string_view::npos) return std::nullopt;
    start = dot + 1;
  }
}

bool is_secret_content_key(std::string_view key) noexcept {
  if (key.empty() || !is_lower(key.front()) || key.back() == '-') return false;
  std::size_t alnum = 0;
  for (std::size_t i = 0; i < key.size(); ++i) {
    const char c = key[i];
    if (is_lower_or_digit(c)) {
      ++alnum;
    } else if (c != '-' || key[i - 1] == '-') {  // i > 0: key[0] is a letter
      return false;
    }
  }
  return alnum >= 3;
}

bool is_secret_uri(std::string_view value) noexcept {
  constexpr std::string_view kScheme = "secret:";
  if (value.substr(0, kScheme.size()) != kScheme) return false;
  std::string_view rest = value.substr(kScheme.size());
  if (rest.substr(0, 2) == "//") {
    // "//" + 8-4-4-4-12 lowercase hex + "/"
    std::size_t pos = 2;
    for (std::size_t group : {8, 4, 4, 4, 12}) {
      if (!hex_run(rest, pos, group)) return false;
      pos += group;
      const char sep = group == 12 ? '/' : '-';
      if (rest.size() <= pos || rest[pos] != sep) return false;
      ++pos;
    }
    rest = rest.substr(pos);
  }
  if (rest.size() != 20) return false;
  for (char c : rest) {
    if (!is_digit(c) && !(c >= 'a' && c <= 'v')) return false;
  }
  return true;
}

bool is_model_name(std::string_view name) noexcept {
  if (name.empty() || name.front() == '-') return false;
  for (char c : name) {
    if (!is_lower_or_digit(c) && c != '-') return false;
  }
  return true;
}

bool is_application_name(std::string_view name) noexcept {
  if (name.empty() || !is_lower(name.front())) return false;
  // Parts between hyphens: every part is lowercase letters and digits; each
  // part after the first contains a letter (the first starts with one).
  std::size_t start = 0;
  while (true) {
    const std::size_t dash = name.find('-', start);
    const std::string_view part =
        name.substr(start, dash == std::string_view::npos ? std::string_view::npos : dash - start);
    bool has_letter = false;
    for (char c : part) {
      if (!is_lower_or_digit(c)) return false;
      has_letter = has_letter || is_lower(c);
    }
    if (!has_letter) return false;
    if (dash == std::string_view::npos) return true;
    start = dash + 1;
  }
}

}  // namespace ops::detail
