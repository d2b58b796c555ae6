// threads.cpp: exports of omnivore_threads.h: the calling thread's kernel thread count
// (a thread-local override of om_set_num_threads, kept in blas.cpp where threads() reads
// it) and OpenBLAS's process-wide count, for concurrent CPU replicas.
#include <cblas.h>

#include "internal.h"

using namespace om;

extern "C" {

OM_API int32_t om_set_thread_threads(int32_t n) {
  return guard("om_set_thread_threads", [&] {
    check_nonneg("n", n);
    set_thread_threads(n);
  });
}

OM_API int32_t om_get_blas_threads(void) { return openblas_get_num_threads(); }

OM_API int32_t om_set_blas_threads(int32_t n) {
  return guard("om_set_blas_threads", [&] {
    check_positive("n", n);
    openblas_set_num_threads(n);
  });
}

}  // extern "C"
