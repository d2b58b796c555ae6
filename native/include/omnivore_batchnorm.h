/*
 * omnivore_batchnorm.h: the per-channel statistics steps of Caffe's BatchNorm layer
 * (the per-element work uses om_channel_sums and om_channel_affine). Caffe keeps three
 * blobs: mean_sum (C), var_sum (C) and factor (1), the running sums stored unnormalised;
 * the statistics in use are mean_sum / factor and var_sum / factor.
 *
 * Same conventions as omnivore.h. Included at the end of omnivore.h.
 */
#ifndef OMNIVORE_BATCHNORM_H
#define OMNIVORE_BATCHNORM_H

#include <stdint.h>

#include "omnivore.h" /* OM_API */

#ifdef __cplusplus
extern "C" {
#endif

/* Training step, given the batch's neg_mean (C) = -mean and var (C) = biased variance:
 *   factor[0] = maf * factor[0] + 1
 *   mean_sum  = maf * mean_sum - neg_mean
 *   var_sum   = maf * var_sum + correction * var     (correction = m / (m - 1))
 *   inv_std   = 1 / sqrt(var + eps)
 * inv_std must not overlap the other arrays. */
OM_API int32_t om_batchnorm_train_stats(float* inv_std, float* mean_sum, float* var_sum,
                                        float* factor, const float* neg_mean, const float* var,
                                        int64_t channels, float maf, float correction,
                                        float eps);

/* Global statistics: s = factor[0] == 0 ? 0 : 1 / factor[0];
 *   neg_mean = -s * mean_sum;  inv_std = 1 / sqrt(s * var_sum + eps). */
OM_API int32_t om_batchnorm_global_stats(float* neg_mean, float* inv_std, const float* mean_sum,
                                         const float* var_sum, const float* factor,
                                         int64_t channels, float eps);

#ifdef __cplusplus
}
#endif

#endif /* OMNIVORE_BATCHNORM_H */
