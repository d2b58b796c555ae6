// api_basic.cpp: exported C functions for the runtime (ABI version, threads, BLAS
// description), om_sgemm and the elementwise kernels. Each one validates its
// arguments and runs the kernel inside om::guard, which maps exceptions to status
// codes; the kernels themselves live in blas.cpp and elementwise.cpp.
#include <algorithm>

#include "internal.h"

using namespace om;

namespace {
constexpr int32_t kAbiVersion = 4;  // 2: om_conv_packed_forward_relu, om_sgd_update_l2_clear; 3: om_maxpool_bwd_relu; 4: its top
}  // namespace

extern "C" {

OM_API int32_t om_abi_version(void) { return kAbiVersion; }

OM_API int32_t om_set_num_threads(int32_t n) {
  return guard("om_set_num_threads", [&] {
    if (n > 0) set_threads(n);
  });
}

OM_API int32_t om_get_num_threads(void) { return threads(); }

OM_API int32_t om_blas_info(char* buf, int32_t len) {
  return guard("om_blas_info", [&] {
    check_positive("len", len);
    check_ptr("buf", buf, len);
    blas_info(buf, len);
  });
}

OM_API int32_t om_sgemm(int32_t trans_a, int32_t trans_b, int32_t m, int32_t n, int32_t k,
                        float alpha, const float* a, int32_t lda, const float* b, int32_t ldb,
                        float beta, float* c, int32_t ldc) {
  return guard("om_sgemm", [&] {
    if (trans_a != 0 && trans_a != 1) invalid("trans_a must be 0 or 1 (got %d)", trans_a);
    if (trans_b != 0 && trans_b != 1) invalid("trans_b must be 0 or 1 (got %d)", trans_b);
    check_nonneg("m", m);
    check_nonneg("n", n);
    check_nonneg("k", k);
    // Row-major: op(A) is m x k, stored as m x k (no transpose) or k x m (transpose).
    const int64_t a_rows = trans_a ? k : m, a_cols = trans_a ? m : k;
    const int64_t b_rows = trans_b ? n : k, b_cols = trans_b ? k : n;
    if (lda < std::max<int64_t>(1, a_cols))
      invalid("lda must be >= max(1, %lld) (got %d)", static_cast<long long>(a_cols), lda);
    if (ldb < std::max<int64_t>(1, b_cols))
      invalid("ldb must be >= max(1, %lld) (got %d)", static_cast<long long>(b_cols), ldb);
    if (ldc < std::max<int64_t>(1, n)) invalid("ldc must be >= max(1, %d) (got %d)", n, ldc);
    if (m > 0 && n > 0) {
      check_ptr("a", a, a_rows * a_cols);
      check_ptr("b", b, b_rows * b_cols);
      check_ptr("c", c, int64_t{m} * n);
    }
    sgemm(trans_a == 1, trans_b == 1, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  });
}

OM_API int32_t om_relu_fwd(float* top, const float* bottom, int64_t count, float slope) {
  return guard("om_relu_fwd", [&] {
    check_nonneg("count", count);
    check_ptr("top", top, count);
    check_ptr("bottom", bottom, count);
    relu_fwd(top, bottom, count, slope);
  });
}

OM_API int32_t om_relu_bwd(float* bottom_diff, const float* top_diff, const float* bottom,
                           int64_t count, float slope) {
  return guard("om_relu_bwd", [&] {
    check_nonneg("count", count);
    check_ptr("bottom_diff", bottom_diff, count);
    check_ptr("top_diff", top_diff, count);
    check_ptr("bottom", bottom, count);
    relu_bwd(bottom_diff, top_diff, bottom, count, slope);
  });
}

OM_API int32_t om_set(float* y, float value, int64_t count) {
  return guard("om_set", [&] {
    check_nonneg("count", count);
    check_ptr("y", y, count);
    set(y, value, count);
  });
}

OM_API int32_t om_copy(float* y, const float* x, int64_t count) {
  return guard("om_copy", [&] {
    check_nonneg("count", count);
    check_ptr("y", y, count);
    check_ptr("x", x, count);
    copy(y, x, count);
  });
}

OM_API int32_t om_axpby(float* y, float alpha, const float* x, float beta, int64_t count) {
  return guard("om_axpby", [&] {
    check_nonneg("count", count);
    check_ptr("y", y, count);
    check_ptr("x", x, count);
    axpby(y, alpha, x, beta, count);
  });
}

OM_API int32_t om_scale(float* y, float alpha, int64_t count) {
  return guard("om_scale", [&] {
    check_nonneg("count", count);
    check_ptr("y", y, count);
    scale(y, alpha, count);
  });
}

OM_API int32_t om_mul(float* y, const float* a, const float* b, int64_t count) {
  return guard("om_mul", [&] {
    check_nonneg("count", count);
    check_ptr("y", y, count);
    check_ptr("a", a, count);
    check_ptr("b", b, count);
    mul(y, a, b, count);
  });
}

OM_API int32_t om_dot(double* result, const float* x, const float* y, int64_t count) {
  return guard("om_dot", [&] {
    check_ptr("result", result, 1);
    check_nonneg("count", count);
    check_ptr("x", x, count);
    check_ptr("y", y, count);
    *result = dot(x, y, count);
  });
}

OM_API int32_t om_asum(double* result, const float* x, int64_t count) {
  return guard("om_asum", [&] {
    check_ptr("result", result, 1);
    check_nonneg("count", count);
    check_ptr("x", x, count);
    *result = asum(x, count);
  });
}

OM_API int32_t om_sgd_update(float* w, float* g, float* h, float momentum, float lr,
                             int64_t count) {
  return guard("om_sgd_update", [&] {
    check_nonneg("count", count);
    check_ptr("w", w, count);
    check_ptr("g", g, count);
    check_ptr("h", h, count);
    sgd_update(w, g, h, momentum, lr, count);
  });
}

}  // extern "C"
