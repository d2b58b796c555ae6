// batchnorm.cu: the per-channel statistics steps of Caffe's BatchNorm, mirroring
// native/src/batchnorm.cpp: the moving-average update of the unnormalised running sums
// (thread 0 also updates the scalar factor, which no other thread reads) and the inverse
// standard deviation in training; the scaled global statistics otherwise.
#include "common.cuh"

extern "C" __global__ void omk_batchnorm_train_stats(float* inv_std, float* mean_sum, float* var_sum,
                                                     float* factor, const float* neg_mean, const float* var,
                                                     i64 channels, float maf, float correction, float eps) {
  OM_LOOP(c, channels > 0 ? channels : 1) {
    if (c == 0) factor[0] = maf * factor[0] + 1.0f;
    if (c < channels) {
      mean_sum[c] = maf * mean_sum[c] - neg_mean[c];
      var_sum[c] = maf * var_sum[c] + correction * var[c];
      inv_std[c] = 1.0f / sqrtf(var[c] + eps);
    }
  }
}

extern "C" __global__ void omk_batchnorm_global_stats(float* neg_mean, float* inv_std, const float* mean_sum,
                                                      const float* var_sum, const float* factor, i64 channels,
                                                      float eps) {
  OM_LOOP(c, channels) {
    const float s = factor[0] == 0.0f ? 0.0f : 1.0f / factor[0];
    neg_mean[c] = -(s * mean_sum[c]);
    inv_std[c] = 1.0f / sqrtf(s * var_sum[c] + eps);
  }
}
