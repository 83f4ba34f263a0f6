// The shared test-support library: string helpers, the project's one copy
// (ops::detail, shared with the library and the tools).
#pragma once

#include "ops/detail/strings.hpp"

namespace ops_test {

using ops::detail::join;

}  // namespace ops_test
