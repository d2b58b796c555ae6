# OmnivoreOptions.cmake: build options and compile settings shared by Omnivore's
# native targets. Use omnivore_target_options(<target>) on every native target.
#
#   OMNIVORE_ARCH   empty (default): portable code; otherwise passed as -march=<value>
#                   (e.g. native, haswell, skylake-avx512).
#   OMNIVORE_WARNINGS_AS_ERRORS  OFF by default.

include_guard(GLOBAL)

set(OMNIVORE_ARCH "" CACHE STRING "Target CPU for -march=<value>; empty builds portable code")
option(OMNIVORE_WARNINGS_AS_ERRORS "Treat compiler warnings as errors" OFF)

# A single-config generator without a build type would build unoptimised code.
get_property(_omnivore_multi_config GLOBAL PROPERTY GENERATOR_IS_MULTI_CONFIG)
if(NOT _omnivore_multi_config AND NOT CMAKE_BUILD_TYPE)
  set(CMAKE_BUILD_TYPE Release CACHE STRING "Build type" FORCE)
  message(STATUS "Omnivore: no CMAKE_BUILD_TYPE given, using Release")
endif()
unset(_omnivore_multi_config)

function(omnivore_target_options target)
  set_target_properties(${target} PROPERTIES
    CXX_STANDARD 17
    CXX_STANDARD_REQUIRED ON
    CXX_EXTENSIONS OFF
    POSITION_INDEPENDENT_CODE ON)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    # -fno-trapping-math and -fno-math-errno change no result; without them GCC will not
    # if-convert float compares (ReLU, max pooling) or inline sqrt, so such loops stay scalar.
    target_compile_options(${target} PRIVATE
      -Wall -Wextra -fno-trapping-math -fno-math-errno
      $<$<NOT:$<CONFIG:Debug>>:-O3>
      $<$<BOOL:${OMNIVORE_WARNINGS_AS_ERRORS}>:-Werror>)
    if(NOT OMNIVORE_ARCH STREQUAL "")
      target_compile_options(${target} PRIVATE "-march=${OMNIVORE_ARCH}")
    endif()
  elseif(MSVC)
    target_compile_options(${target} PRIVATE /W3 $<$<NOT:$<CONFIG:Debug>>:/O2>)
  endif()
endfunction()

option(OMNIVORE_STATIC_OPENBLAS "Link OpenBLAS statically into libomnivore_native (for the bundle)" OFF)
