/*
 * omnivore_random.h: counter-based random fills (included by omnivore.h).
 *
 * Every value is a pure function of (seed, element index): a 32-bit hash of the index
 * keyed by the 64-bit seed, so a fill gives the same array for any thread count and
 * is repeatable for a seed. Callers draw a fresh seed from the run's generator for
 * each fill. Uniform deviates have 24 random bits: u = k * 2^-24, k in [0, 2^24).
 */
#ifndef OMNIVORE_RANDOM_H
#define OMNIVORE_RANDOM_H

#include <stdint.h>

#include "omnivore.h" /* OM_API */

#ifdef __cplusplus
extern "C" {
#endif

/* y[i] = lo + (hi - lo) * u_i, u_i in [0, 1). */
OM_API int32_t om_rng_uniform(float* y, int64_t count, float lo, float hi, uint64_t seed);

/* y[i] ~ N(mean, std^2) by Box-Muller on pairs: y[2j] = mean + std * r cos(t),
 * y[2j+1] = mean + std * r sin(t), r = sqrt(-2 ln(1 - u)), t = 2 pi u', with u, u' the
 * uniforms of indices 2j and 2j+1 (so |y - mean| <= 5.8 std). */
OM_API int32_t om_rng_gaussian(float* y, int64_t count, float mean, float std, uint64_t seed);

/* y[i] = value with probability p (u_i < p), else 0: a dropout mask when p is the keep
 * probability and value its scale. p must be in [0, 1]. */
OM_API int32_t om_rng_bernoulli(float* y, int64_t count, float p, float value, uint64_t seed);

#ifdef __cplusplus
}
#endif

#endif /* OMNIVORE_RANDOM_H */
