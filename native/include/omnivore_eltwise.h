/*
 * omnivore_eltwise.h: kernels of Caffe's Eltwise layer beyond omnivore.h's flat-array
 * ones: the running maximum over several inputs with the index of the winner (MAX),
 * its backward routing, and elementwise division (PROD's unstable gradient).
 *
 * Same conventions as omnivore.h. Included at the end of omnivore.h.
 */
#ifndef OMNIVORE_ELTWISE_H
#define OMNIVORE_ELTWISE_H

#include <stdint.h>

#include "omnivore.h" /* OM_API */

#ifdef __cplusplus
extern "C" {
#endif

/* One step of the running maximum over inputs 0, 1, 2, ... (call with index 0 first):
 *   index 0:  top = x, mask = 0;
 *   index 1:  where !(top > x): top = x, mask = 1  (Caffe: input 0 wins only when
 *             strictly greater, so ties go to input 1);
 *   index >1: where x > top:    top = x, mask = index.
 * mask holds int32 input indices; x must not overlap top. index >= 0. */
OM_API int32_t om_eltwise_max_fwd(float* top, int32_t* mask, const float* x, int64_t count,
                                  int32_t index);

/* bottom_diff = mask == index ? top_diff : 0 (overwrites). */
OM_API int32_t om_eltwise_max_bwd(float* bottom_diff, const float* top_diff,
                                  const int32_t* mask, int64_t count, int32_t index);

/* y = a / b elementwise (IEEE: x/0 gives inf or NaN). y may alias a or b. */
OM_API int32_t om_eltwise_div(float* y, const float* a, const float* b, int64_t count);

#ifdef __cplusplus
}
#endif

#endif /* OMNIVORE_ELTWISE_H */
