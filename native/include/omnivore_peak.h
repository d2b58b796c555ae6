/*
 * omnivore_peak.h: the machine peak probe (included by omnivore.h): a register-only
 * FMA throughput loop and an sgemm throughput measurement, used to report achieved
 * GFLOP/s as a fraction of what the machine can do.
 *
 * The build is portable (no -march), so the FMA loop has one variant per instruction
 * set, compiled with target attributes and chosen at run time:
 *   OM_ISA_SSE = 1 (4 lanes, separate multiply and add), OM_ISA_AVX2 = 2 (AVX2 + FMA,
 *   8 lanes), OM_ISA_AVX512 = 3 (AVX-512F, 16 lanes); OM_ISA_BEST = 0 picks the widest
 *   one the CPU supports.
 */
#ifndef OMNIVORE_PEAK_H
#define OMNIVORE_PEAK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum om_isa { OM_ISA_BEST = 0, OM_ISA_SSE = 1, OM_ISA_AVX2 = 2, OM_ISA_AVX512 = 3 };

/* The widest FMA-loop variant this CPU supports (OM_ISA_SSE..OM_ISA_AVX512); returns
 * the value itself, not a status. */
OM_API int32_t om_peak_best_isa(void);

/* Runs the FMA loop: on each of `threads` OpenMP threads (>= 1), `iters` rounds over
 * independent vector accumulators, each round one multiply-add per lane per accumulator
 * (acc = acc * 1 + 1, so no denormals and nothing to fold away). isa is an om_isa value;
 * asking for a variant the CPU lacks is OM_INVALID_ARGUMENT. Outputs:
 *   *flops   = floating-point operations done, 2 per multiply-add, all threads;
 *   *seconds = wall time of the parallel region;
 *   *checksum = the sum over threads, accumulators and lanes of the final accumulators,
 *               which equals flops / 2 while each lane's count stays below 2^24.
 * *isa_used (may be NULL) receives the variant that ran. */
OM_API int32_t om_peak_fma(int32_t isa, int32_t threads, int64_t iters, double* flops,
                           double* seconds, double* checksum, int32_t* isa_used);

/* Median seconds of `reps` (>= 1) timed C(m,n) = A(m,k) * B(k,n) sgemms through the
 * library's sgemm on `threads` (>= 1) threads, after one untimed warm-up call; the
 * matrices are allocated and filled here. The thread setting is restored afterwards.
 * *flops receives 2*m*n*k (one sgemm). */
OM_API int32_t om_peak_sgemm(int32_t threads, int32_t m, int32_t n, int32_t k, int32_t reps,
                             double* median_seconds, double* flops);

#ifdef __cplusplus
}
#endif

#endif /* OMNIVORE_PEAK_H */
