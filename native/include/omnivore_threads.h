/*
 * omnivore_threads.h: per-thread kernel thread counts and OpenBLAS's process-wide
 * thread count, for the multi-device scheduler (included by omnivore.h).
 *
 * om_set_num_threads sets one count for the whole process. A scheduler that runs several
 * CPU replicas at once, each on its own worker thread, instead gives each worker thread
 * its own count with om_set_thread_threads: the OpenMP loops of kernels called FROM that
 * thread then use it (om_get_num_threads, called from that thread, returns it).
 * OpenBLAS's thread count cannot be per thread (one pool per process): while several
 * replicas run concurrently it must be 1, which om_set_blas_threads sets; OpenBLAS
 * (pthreads build) is safe for concurrent calls at 1 thread. The convolution engine's
 * partitioned regions save and restore this value, so a value of 1 stays 1.
 */
#ifndef OMNIVORE_THREADS_H
#define OMNIVORE_THREADS_H

#include <stdint.h>

#include "omnivore.h" /* OM_API */

#ifdef __cplusplus
extern "C" {
#endif

/* Calling thread only: n >= 1 overrides the process-wide kernel thread count; n = 0 clears
 * the override. OM_INVALID_ARGUMENT for n < 0. */
OM_API int32_t om_set_thread_threads(int32_t n);

/* OpenBLAS's process-wide thread count (a count, not a status). */
OM_API int32_t om_get_blas_threads(void);

/* Sets OpenBLAS's process-wide thread count only (n >= 1), leaving the OpenMP setting. */
OM_API int32_t om_set_blas_threads(int32_t n);

#ifdef __cplusplus
}
#endif

#endif /* OMNIVORE_THREADS_H */
