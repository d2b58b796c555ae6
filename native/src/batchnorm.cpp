// batchnorm.cpp: kernels and exports of omnivore_batchnorm.h: the per-channel steps of
// Caffe's BatchNorm between the per-element reductions and the normalisation: the
// moving-average update of the unnormalised running sums with the unbiased variance
// correction, and the inverse standard deviation, in training mode; the scaled global
// statistics otherwise. Vectors of C floats, so no threading.
#include <cmath>
#include <cstdint>

#include "internal.h"

using namespace om;

extern "C" {

OM_API int32_t om_batchnorm_train_stats(float* inv_std, float* mean_sum, float* var_sum,
                                        float* factor, const float* neg_mean, const float* var,
                                        int64_t channels, float maf, float correction,
                                        float eps) {
  return guard("om_batchnorm_train_stats", [&] {
    check_nonneg("channels", channels);
    check_ptr("inv_std", inv_std, channels);
    check_ptr("mean_sum", mean_sum, channels);
    check_ptr("var_sum", var_sum, channels);
    check_ptr("factor", factor, 1);
    check_ptr("neg_mean", neg_mean, channels);
    check_ptr("var", var, channels);
    factor[0] = maf * factor[0] + 1.0f;
    for (int64_t c = 0; c < channels; ++c) {
      mean_sum[c] = maf * mean_sum[c] - neg_mean[c];
      var_sum[c] = maf * var_sum[c] + correction * var[c];
    }
    for (int64_t c = 0; c < channels; ++c) inv_std[c] = 1.0f / std::sqrt(var[c] + eps);
  });
}

OM_API int32_t om_batchnorm_global_stats(float* neg_mean, float* inv_std, const float* mean_sum,
                                         const float* var_sum, const float* factor,
                                         int64_t channels, float eps) {
  return guard("om_batchnorm_global_stats", [&] {
    check_nonneg("channels", channels);
    check_ptr("neg_mean", neg_mean, channels);
    check_ptr("inv_std", inv_std, channels);
    check_ptr("mean_sum", mean_sum, channels);
    check_ptr("var_sum", var_sum, channels);
    check_ptr("factor", factor, 1);
    const float s = factor[0] == 0.0f ? 0.0f : 1.0f / factor[0];
    for (int64_t c = 0; c < channels; ++c) {
      neg_mean[c] = -(s * mean_sum[c]);
      inv_std[c] = 1.0f / std::sqrt(s * var_sum[c] + eps);
    }
  });
}

}  // extern "C"
