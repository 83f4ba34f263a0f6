# cmake -DCXX=<compiler> -DSOURCE=<file> -DCASE=<macro> -DINCLUDE=<dir>
#       [-DEXPECTED=<sentence>] -P check_compile_error.cmake
# With EXPECTED: the compile must fail, its output must contain EXPECTED, and
# it must be short (the sentence, not a page of unsatisfied constraints).
# Without: the compile must succeed.
execute_process(
  COMMAND "${CXX}" -std=c++20 -fsyntax-only "-D${CASE}" "-I${INCLUDE}" "${SOURCE}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(all "${out}${err}")
if(NOT DEFINED EXPECTED)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${CASE}: expected to compile, failed:\n${all}")
  endif()
  return()
endif()
if(rc EQUAL 0)
  message(FATAL_ERROR "${CASE}: expected a compile error, it compiled")
endif()
string(FIND "${all}" "${EXPECTED}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${CASE}: the error does not say \"${EXPECTED}\":\n${all}")
endif()
string(REGEX MATCHALL "error:" errors "${all}")
list(LENGTH errors count)
if(NOT count EQUAL 1)
  message(FATAL_ERROR "${CASE}: expected exactly one error, got ${count}:\n${all}")
endif()
string(FIND "${all}" "constraints not satisfied" dump)
if(NOT dump EQUAL -1)
  message(FATAL_ERROR "${CASE}: the error still dumps the concept:\n${all}")
endif()
