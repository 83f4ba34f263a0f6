// String helpers shared by the ops modules, the tools and the tests (one of
// each): joining, splitting, trimming and ASCII lower-casing.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace ops::detail {

// The items with `sep` between them ("" for none).
[[nodiscard]] inline std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i != 0) out += sep;
    out += items[i];
  }
  return out;
}

// The fields of `text` between occurrences of `sep`; empty fields are kept
// ("a,,b" gives "a", "", "b"; "" gives one empty field).
[[nodiscard]] inline std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> out;
  for (;;) {
    const auto pos = text.find(sep);
    out.emplace_back(text.substr(0, pos));
    if (pos == std::string_view::npos) return out;
    text.remove_prefix(pos + 1);
  }
}

// `text` without ASCII whitespace (space, \t, \n, \v, \f, \r) at either end.
[[nodiscard]] inline std::string trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\n\v\f\r";
  const auto start = text.find_first_not_of(kSpace);
  if (start == std::string_view::npos) return {};
  const auto end = text.find_last_not_of(kSpace);
  return std::string(text.substr(start, end - start + 1));
}

// `text` with ASCII letters lower-cased (HTTP header names, hex digits).
[[nodiscard]] inline std::string ascii_lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c);
  });
  return text;
}

}  // namespace ops::detail
