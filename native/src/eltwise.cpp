// eltwise.cpp: kernels and exports of omnivore_eltwise.h: the MAX operation of Caffe's
// Eltwise layer as a running maximum with the winning input's index (and Caffe's tie
// rule), its backward routing through that index, and elementwise division. Every
// element is independent; large arrays split across OpenMP threads.
#include <cstdint>

#include "internal.h"

using namespace om;

namespace {

void eltwise_max_fwd(float* top, int32_t* mask, const float* x, int64_t count, int32_t index) {
  const bool par = count >= kParallelMin;
  if (index == 0) {
#pragma omp parallel for simd schedule(static) num_threads(threads()) if (parallel : par)
    for (int64_t i = 0; i < count; ++i) {
      top[i] = x[i];
      mask[i] = 0;
    }
  } else if (index == 1) {
#pragma omp parallel for simd schedule(static) num_threads(threads()) if (parallel : par)
    for (int64_t i = 0; i < count; ++i)
      if (!(top[i] > x[i])) {
        top[i] = x[i];
        mask[i] = 1;
      }
  } else {
#pragma omp parallel for simd schedule(static) num_threads(threads()) if (parallel : par)
    for (int64_t i = 0; i < count; ++i)
      if (x[i] > top[i]) {
        top[i] = x[i];
        mask[i] = index;
      }
  }
}

void eltwise_max_bwd(float* bottom_diff, const float* top_diff, const int32_t* mask,
                     int64_t count, int32_t index) {
#pragma omp parallel for simd schedule(static) num_threads(threads()) if (parallel : count >= kParallelMin)
  for (int64_t i = 0; i < count; ++i) bottom_diff[i] = mask[i] == index ? top_diff[i] : 0.0f;
}

void eltwise_div(float* y, const float* a, const float* b, int64_t count) {
#pragma omp parallel for simd schedule(static) num_threads(threads()) if (parallel : count >= kParallelMin)
  for (int64_t i = 0; i < count; ++i) y[i] = a[i] / b[i];
}

bool overlap(const void* a, int64_t an, const void* b, int64_t bn) {
  if (an == 0 || bn == 0) return false;
  const auto pa = reinterpret_cast<uintptr_t>(a), pb = reinterpret_cast<uintptr_t>(b);
  return pa < pb + static_cast<uintptr_t>(bn) * 4 && pb < pa + static_cast<uintptr_t>(an) * 4;
}

}  // namespace

extern "C" {

OM_API int32_t om_eltwise_max_fwd(float* top, int32_t* mask, const float* x, int64_t count,
                                  int32_t index) {
  return guard("om_eltwise_max_fwd", [&] {
    check_nonneg("count", count);
    check_nonneg("index", index);
    check_ptr("top", top, count);
    check_ptr("mask", mask, count);
    check_ptr("x", x, count);
    if (overlap(top, count, x, count)) invalid("x must not overlap top");
    if (overlap(mask, count, x, count) || overlap(mask, count, top, count))
      invalid("mask must not overlap top or x");
    eltwise_max_fwd(top, mask, x, count, index);
  });
}

OM_API int32_t om_eltwise_max_bwd(float* bottom_diff, const float* top_diff,
                                  const int32_t* mask, int64_t count, int32_t index) {
  return guard("om_eltwise_max_bwd", [&] {
    check_nonneg("count", count);
    check_ptr("bottom_diff", bottom_diff, count);
    check_ptr("top_diff", top_diff, count);
    check_ptr("mask", mask, count);
    eltwise_max_bwd(bottom_diff, top_diff, mask, count, index);
  });
}

OM_API int32_t om_eltwise_div(float* y, const float* a, const float* b, int64_t count) {
  return guard("om_eltwise_div", [&] {
    check_nonneg("count", count);
    check_ptr("y", y, count);
    check_ptr("a", a, count);
    check_ptr("b", b, count);
    eltwise_div(y, a, b, count);
  });
}

}  // extern "C"
