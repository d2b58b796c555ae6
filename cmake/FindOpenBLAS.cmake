# FindOpenBLAS.cmake: locates OpenBLAS (its CBLAS header and shared library).
#
# Hints: OpenBLAS_ROOT (CMake variable or environment variable) or OpenBLAS_HOME.
# Result variables: OpenBLAS_FOUND, OpenBLAS_INCLUDE_DIRS, OpenBLAS_LIBRARIES,
# OpenBLAS_VERSION (when openblas_config.h states it).
# Imported target: OpenBLAS::OpenBLAS.
#
# The include directory is the one that holds openblas_config.h next to cblas.h, so
# that <cblas.h> resolves to OpenBLAS's own header (which declares
# openblas_set_num_threads and openblas_get_config) rather than to another CBLAS
# picked by the Debian alternatives system.

set(_openblas_hints $ENV{OpenBLAS_HOME} $ENV{OpenBLAS_ROOT})
set(_openblas_suffixes openblas-pthread openblas-openmp openblas-serial openblas)

find_path(OpenBLAS_INCLUDE_DIR
  NAMES openblas_config.h
  HINTS ${_openblas_hints}
  PATH_SUFFIXES include ${_openblas_suffixes}
                include/openblas include/x86_64-linux-gnu/openblas-pthread
  DOC "Directory holding OpenBLAS's cblas.h and openblas_config.h")

if(OpenBLAS_INCLUDE_DIR AND NOT EXISTS "${OpenBLAS_INCLUDE_DIR}/cblas.h")
  message(STATUS "FindOpenBLAS: ${OpenBLAS_INCLUDE_DIR} has openblas_config.h but no cblas.h")
  set(OpenBLAS_INCLUDE_DIR "OpenBLAS_INCLUDE_DIR-NOTFOUND" CACHE PATH "" FORCE)
endif()

# OMNIVORE_STATIC_OPENBLAS: link libopenblas.a into the library (the bundle for machines
# without OpenBLAS installed; only the BLAS parts it uses are pulled in, no gfortran).
if(OMNIVORE_STATIC_OPENBLAS)
  set(_openblas_names libopenblas.a)
else()
  set(_openblas_names openblas openblasp openblas_pthread openblaso)
endif()
find_library(OpenBLAS_LIBRARY
  NAMES ${_openblas_names}
  HINTS ${_openblas_hints}
  PATH_SUFFIXES lib lib64 ${_openblas_suffixes}
  DOC "OpenBLAS library")

if(OpenBLAS_INCLUDE_DIR AND EXISTS "${OpenBLAS_INCLUDE_DIR}/openblas_config.h")
  file(STRINGS "${OpenBLAS_INCLUDE_DIR}/openblas_config.h" _openblas_version_line
       REGEX "^#define[ \t]+OPENBLAS_VERSION[ \t]")
  if(_openblas_version_line MATCHES "OpenBLAS ([0-9]+\\.[0-9]+(\\.[0-9]+)?)")
    set(OpenBLAS_VERSION "${CMAKE_MATCH_1}")
  endif()
  unset(_openblas_version_line)
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(OpenBLAS
  REQUIRED_VARS OpenBLAS_LIBRARY OpenBLAS_INCLUDE_DIR
  VERSION_VAR OpenBLAS_VERSION
  REASON_FAILURE_MESSAGE
    "OpenBLAS (cblas.h, openblas_config.h and libopenblas) was not found. On Debian/Ubuntu install it with `apt-get install libopenblas-dev`, or point OpenBLAS_ROOT at an OpenBLAS installation.")

if(OpenBLAS_FOUND)
  set(OpenBLAS_INCLUDE_DIRS "${OpenBLAS_INCLUDE_DIR}")
  set(OpenBLAS_LIBRARIES "${OpenBLAS_LIBRARY}")
  if(NOT TARGET OpenBLAS::OpenBLAS)
    add_library(OpenBLAS::OpenBLAS UNKNOWN IMPORTED)
    set_target_properties(OpenBLAS::OpenBLAS PROPERTIES
      IMPORTED_LOCATION "${OpenBLAS_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${OpenBLAS_INCLUDE_DIR}")
  endif()
endif()

mark_as_advanced(OpenBLAS_INCLUDE_DIR OpenBLAS_LIBRARY)
unset(_openblas_hints)
unset(_openblas_suffixes)
