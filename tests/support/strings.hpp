// The shared test-support library: string helpers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ops_test {

// The items with `sep` between them ("" for none).
inline std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& item : items) {
    if (&item != &items.front()) out += sep;
    out += item;
  }
  return out;
}

}  // namespace ops_test
