/*
 * omnivore_tensor.h: shape-level kernels of the native library: strided block copies
 * (Concat, Slice), per-channel broadcast and reduction over an (outer, channels, inner)
 * view of a tensor (Bias, Scale, BatchNorm), and Caffe's top-k ArgMax.
 *
 * Same conventions as omnivore.h: 0 on success, a status and om_last_error() on
 * failure; sizes are element counts. Included at the end of omnivore.h.
 */
#ifndef OMNIVORE_TENSOR_H
#define OMNIVORE_TENSOR_H

#include <stdint.h>

#include "omnivore.h" /* OM_API */

#ifdef __cplusplus
extern "C" {
#endif

/* dst[b*dst_stride + j] = src[b*src_stride + j] for b < blocks, j < block_len.
 * With more than one block, dst_stride must be >= block_len (the destination blocks
 * do not overlap); the spans of dst and src must not overlap. */
OM_API int32_t om_copy_blocks(float* dst, int64_t dst_stride, const float* src,
                              int64_t src_stride, int64_t blocks, int64_t block_len);

/* y[o,c,i] = x[o,c,i] * scale[c] + bias[c] over (outer, channels, inner). scale or bias
 * may be NULL (meaning 1 and 0). y may alias x exactly (in place). */
OM_API int32_t om_channel_affine(float* y, const float* x, const float* scale, const float* bias,
                                 int64_t outer, int64_t channels, int64_t inner);

/* sums[c] = alpha * S[c] + beta * sums[c], S[c] = sum over o, i of x[o,c,i] * y[o,c,i]
 * (y may be NULL: sum of x), accumulated in double. beta == 0 overwrites sums (NaN in
 * the old values does not propagate). sums must not overlap x or y. */
OM_API int32_t om_channel_sums(float* sums, const float* x, const float* y, int64_t outer,
                               int64_t channels, int64_t inner, float alpha, float beta);

/* Caffe's ArgMax over `dim` values at stride `inner` of bottom (outer, dim, inner):
 * for each (o, i) the top_k largest values in descending order, ties going to the
 * larger index (Caffe sorts (value, index) pairs with std::greater); NaN counts as
 * larger than any number. Indices are written as floats. mode:
 *   0: top (outer, top_k, inner) = indices
 *   1: top (outer, top_k, inner) = values
 *   2: (inner must be 1) top (outer, 2, top_k): the top_k indices, then their values.
 * 1 <= top_k <= dim. top must not overlap bottom. */
OM_API int32_t om_argmax_fwd(float* top, const float* bottom, int64_t outer, int64_t dim,
                             int64_t inner, int64_t top_k, int32_t mode);

#ifdef __cplusplus
}
#endif

#endif /* OMNIVORE_TENSOR_H */
