# cuda_emulated.cmake: the GPU kernels' tests on a machine without a GPU (g++ only).
# - cuda_kernels_nvrtc_like: compiles every native/cuda/*.cu alone with g++ under the
#   emulation header and without any standard header (-nostdinc -nostdinc++), so a kernel
#   file that uses what NVRTC lacks (std::, <cmath>, ...) fails the build here.
# - test_cuda_emulated_*: each includes a few .cu files, runs every kernel on the CPU
#   under the emulator and compares it with libomnivore_native's exports.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  return()
endif()

set(OMNIVORE_CUDA_DIR "${CMAKE_CURRENT_SOURCE_DIR}/../cuda")
file(GLOB OMNIVORE_CUDA_SOURCES CONFIGURE_DEPENDS "${OMNIVORE_CUDA_DIR}/*.cu")
set_source_files_properties(${OMNIVORE_CUDA_SOURCES} PROPERTIES LANGUAGE CXX)
# CudaDevice hands NVRTC all the .cu files joined into one program: they must also compile
# together (no clashing helper names).
set(_all "${CMAKE_CURRENT_BINARY_DIR}/all_cuda_kernels.cpp")
set(_text "// generated: every kernel file in one translation unit, as NVRTC sees them\n")
foreach(cu IN LISTS OMNIVORE_CUDA_SOURCES)
  string(APPEND _text "#include \"${cu}\"\n")
endforeach()
file(WRITE "${_all}.in" "${_text}")
configure_file("${_all}.in" "${_all}" COPYONLY)
add_library(cuda_kernels_nvrtc_like OBJECT ${OMNIVORE_CUDA_SOURCES} "${_all}")
target_compile_options(cuda_kernels_nvrtc_like PRIVATE
  -x c++ -nostdinc -nostdinc++ -DOM_EMU_NO_STD -include "${OMNIVORE_CUDA_DIR}/emulate/cuda_emulation.h"
  -Wall -Wextra)
set_target_properties(cuda_kernels_nvrtc_like PROPERTIES CXX_STANDARD 17 CXX_EXTENSIONS OFF)

foreach(name IN ITEMS test_cuda_emulated_basic test_cuda_emulated_lowering test_cuda_emulated_norm
                      test_cuda_emulated_activations)
  add_executable(${name} ${name}.cpp)
  target_link_libraries(${name} PRIVATE omnivore_native Threads::Threads)
  # -O1: the emulator calls each kernel once per GPU thread; no need for -O3 build times.
  set_target_properties(${name} PROPERTIES CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON CXX_EXTENSIONS OFF)
  target_compile_options(${name} PRIVATE -O1 -Wall -Wextra)
  add_dependencies(${name} cuda_kernels_nvrtc_like)
  add_test(NAME native.${name} COMMAND ${name})
  set_tests_properties(native.${name} PROPERTIES TIMEOUT 300 LABELS "native;cuda_emulated")
endforeach()

# A CPU stand-in for libcuda/libnvrtc/libcublas (native/cuda/emulate/fake_cuda.cpp), so the
# managed GPU engine can run end to end here: OMNIVORE_CUDA_LIB=<build>/fake_cuda.
set(_names "")
foreach(cu IN LISTS OMNIVORE_CUDA_SOURCES)
  file(STRINGS "${cu}" _lines REGEX "extern \"C\" __global__ void omk_[a-z0-9_]+\\(")
  foreach(line IN LISTS _lines)
    string(REGEX MATCH "omk_[a-z0-9_]+" _k "${line}")
    string(APPEND _names "OM_KERNEL(${_k})\n")
  endforeach()
endforeach()
set(_gen "${CMAKE_CURRENT_BINARY_DIR}/fake_cuda_gen")
file(WRITE "${_gen}/all_cuda_kernel_names.inc.in" "${_names}")
configure_file("${_gen}/all_cuda_kernel_names.inc.in" "${_gen}/all_cuda_kernel_names.inc" COPYONLY)
configure_file("${_all}" "${_gen}/all_cuda_kernels.inc" COPYONLY)
find_package(OpenBLAS REQUIRED)
add_library(fake_cuda SHARED "${OMNIVORE_CUDA_DIR}/emulate/fake_cuda.cpp")
target_include_directories(fake_cuda PRIVATE "${_gen}" "${OMNIVORE_CUDA_DIR}/emulate")
target_link_libraries(fake_cuda PRIVATE OpenBLAS::OpenBLAS)
set_target_properties(fake_cuda PROPERTIES CXX_STANDARD 17 CXX_EXTENSIONS OFF
  LIBRARY_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/fake_cuda" OUTPUT_NAME "cuda" SUFFIX ".so.1" PREFIX "lib")
target_compile_options(fake_cuda PRIVATE -O2 -Wall -Wno-unused-parameter)
add_custom_command(TARGET fake_cuda POST_BUILD
  COMMAND ${CMAKE_COMMAND} -E create_symlink libcuda.so.1 "${CMAKE_BINARY_DIR}/fake_cuda/libnvrtc.so"
  COMMAND ${CMAKE_COMMAND} -E create_symlink libcuda.so.1 "${CMAKE_BINARY_DIR}/fake_cuda/libcublas.so")

# - native.cuda_kernels_clang: where a clang is installed, every kernel file compiled
#   together for a GPU (sm_80 PTX, clang's CUDA mode, no CUDA toolkit needed: the few
#   built-ins NVRTC provides come from clang_cuda_prelude.h). g++ under the emulator
#   accepts host-only C++ that a GPU compiler rejects; this catches it without a GPU.
find_program(OMNIVORE_CLANG NAMES clang clang-19 clang-18 clang-17 clang-16 clang-15 clang-14)
if(OMNIVORE_CLANG)
  add_test(NAME native.cuda_kernels_clang
    COMMAND "${OMNIVORE_CLANG}" -x cuda --cuda-device-only --cuda-gpu-arch=sm_80 -nocudainc -nocudalib
            -Wno-unknown-cuda-version -Werror -O2 -S -o "${CMAKE_CURRENT_BINARY_DIR}/all_cuda_kernels.ptx"
            -include "${CMAKE_CURRENT_SOURCE_DIR}/clang_cuda_prelude.h" "${_all}")
  set_tests_properties(native.cuda_kernels_clang PROPERTIES TIMEOUT 300 LABELS "native;cuda_emulated")
else()
  message(STATUS "no clang found: native.cuda_kernels_clang (the kernels compiled for a GPU) is not run")
endif()
