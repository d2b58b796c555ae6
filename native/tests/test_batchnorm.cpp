// test_batchnorm.cpp: om_batchnorm_train_stats and om_batchnorm_global_stats against
// the formulas of omnivore_batchnorm.h (Caffe's BatchNorm), including a zero factor.
#include "test_util.h"

int main() {
  Rng rng(5);
  const int64_t c = 5;
  std::vector<float> neg_mean = rng.vec(c), var = rng.vec(c, 0.1f, 2.0f);
  std::vector<float> mean_sum = rng.vec(c), var_sum = rng.vec(c, 0.0f, 3.0f), factor = {2.5f};
  std::vector<float> inv_std(c), w_mean(c), w_var(c), w_inv(c);
  const float maf = 0.9f, corr = 8.0f / 7.0f, eps = 1e-3f;
  for (int64_t i = 0; i < c; ++i) {
    w_mean[i] = maf * mean_sum[i] - neg_mean[i];
    w_var[i] = maf * var_sum[i] + corr * var[i];
    w_inv[i] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(var[i]) + eps));
  }
  CHECK_OK(om_batchnorm_train_stats(inv_std.data(), mean_sum.data(), var_sum.data(), factor.data(),
                                    neg_mean.data(), var.data(), c, maf, corr, eps));
  all_close("train mean_sum", mean_sum, w_mean, 1e-6, 1e-7);
  all_close("train var_sum", var_sum, w_var, 1e-6, 1e-7);
  all_close("train inv_std", inv_std, w_inv, 1e-6, 1e-7);
  CHECK(near(factor[0], 0.9 * 2.5 + 1.0, 1e-6, 1e-7));

  std::vector<float> nm(c);
  CHECK_OK(om_batchnorm_global_stats(nm.data(), inv_std.data(), mean_sum.data(), var_sum.data(),
                                     factor.data(), c, eps));
  for (int64_t i = 0; i < c; ++i) {
    const double s = 1.0 / factor[0];
    w_mean[i] = static_cast<float>(-s * mean_sum[i]);
    w_inv[i] = static_cast<float>(1.0 / std::sqrt(s * var_sum[i] + eps));
  }
  all_close("global neg_mean", nm, w_mean, 1e-6, 1e-7);
  all_close("global inv_std", inv_std, w_inv, 1e-5, 1e-7);

  factor[0] = 0.0f;  // never trained: mean 0, variance 0
  CHECK_OK(om_batchnorm_global_stats(nm.data(), inv_std.data(), mean_sum.data(), var_sum.data(),
                                     factor.data(), c, eps));
  all_close("zero factor neg_mean", nm, std::vector<float>(c, 0.0f), 0.0, 0.0);
  all_close("zero factor inv_std", inv_std, std::vector<float>(c, 1.0f / std::sqrt(eps)), 1e-6, 0.0);

  CHECK(om_batchnorm_global_stats(nm.data(), inv_std.data(), mean_sum.data(), var_sum.data(),
                                  nullptr, c, eps) == OM_INVALID_ARGUMENT);
  CHECK(om_batchnorm_train_stats(inv_std.data(), mean_sum.data(), var_sum.data(), factor.data(),
                                 neg_mean.data(), var.data(), -1, maf, corr, eps) == OM_INVALID_ARGUMENT);
  return finish("test_batchnorm");
}
