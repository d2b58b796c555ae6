/*
 * omnivore_lrn_within.h: local response normalisation within each channel (Caffe's
 * LRN with norm_region: WITHIN_CHANNEL) on (N, C, H, W). Included by omnivore.h.
 *
 * Caffe composes this layer from smaller ones: the squares of the input are average
 * pooled over a size x size window (stride 1, zero padding (size-1)/2), then
 *   scale = 1 + alpha * pooled,   top = bottom * scale^-beta.
 * With that padding every window lies inside the padded image, so Caffe's AVE divisor
 * is always size*size (padding counts). LRNParameter.k is not used, as in Caffe.
 * size must be odd. scale (same shape) is kept for the backward pass; top may alias
 * bottom; bottom_diff may alias top_diff.
 */
#ifndef OMNIVORE_LRN_WITHIN_H
#define OMNIVORE_LRN_WITHIN_H

#include "omnivore.h"

#ifdef __cplusplus
extern "C" {
#endif

OM_API int32_t om_lrn_within_fwd(float* top, float* scale, const float* bottom,
                                 int32_t n, int32_t c, int32_t h, int32_t w,
                                 int32_t size, float alpha, float beta);
/* bottom_diff = d(sum top_diff * top)/d(bottom), from the forward pass's top and scale. */
OM_API int32_t om_lrn_within_bwd(float* bottom_diff, const float* top_diff, const float* top,
                                 const float* scale, const float* bottom,
                                 int32_t n, int32_t c, int32_t h, int32_t w,
                                 int32_t size, float alpha, float beta);

#ifdef __cplusplus
}
#endif

#endif /* OMNIVORE_LRN_WITHIN_H */
