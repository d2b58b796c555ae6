// elementwise.cpp: kernels that treat a tensor as a flat array of `count` floats:
// ReLU (leaky when slope != 0), fill/copy/axpby/scale/multiply, double-accumulated
// dot and absolute sum, and Caffe's momentum SGD step. Large arrays are split across
// OpenMP threads; every element is independent, so in-place use (output aliasing an
// input element for element) is safe.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "internal.h"

namespace om {

void relu_fwd(float* top, const float* bottom, int64_t count, float slope) {
#pragma omp parallel for simd schedule(static) num_threads(threads()) if (parallel : count >= kParallelMin)
  for (int64_t i = 0; i < count; ++i) {
    const float x = bottom[i];
    top[i] = x > 0.0f ? x : slope * x;
  }
}

void relu_bwd(float* bottom_diff, const float* top_diff, const float* bottom, int64_t count,
              float slope) {
#pragma omp parallel for simd schedule(static) num_threads(threads()) if (parallel : count >= kParallelMin)
  for (int64_t i = 0; i < count; ++i) bottom_diff[i] = relu_grad(top_diff[i], bottom[i], slope);
}

void set(float* y, float value, int64_t count) {
#pragma omp parallel for simd schedule(static) num_threads(threads()) if (parallel : count >= kParallelMin)
  for (int64_t i = 0; i < count; ++i) y[i] = value;
}

void copy(float* y, const float* x, int64_t count) {
  if (y == x || count == 0) return;
  const auto ys = reinterpret_cast<uintptr_t>(y), xs = reinterpret_cast<uintptr_t>(x);
  const auto bytes = static_cast<uintptr_t>(count) * sizeof(float);
  const bool overlap = ys < xs + bytes && xs < ys + bytes;
  if (overlap || count < kParallelMin) {
    std::memmove(y, x, static_cast<size_t>(count) * sizeof(float));
    return;
  }
  const int64_t chunk = kParallelMin;
  const int64_t chunks = (count + chunk - 1) / chunk;
#pragma omp parallel for schedule(static) num_threads(threads())
  for (int64_t b = 0; b < chunks; ++b) {
    const int64_t begin = b * chunk;
    const int64_t len = std::min(chunk, count - begin);
    std::memcpy(y + begin, x + begin, static_cast<size_t>(len) * sizeof(float));
  }
}

void axpby(float* y, float alpha, const float* x, float beta, int64_t count) {
#pragma omp parallel for simd schedule(static) num_threads(threads()) if (parallel : count >= kParallelMin)
  for (int64_t i = 0; i < count; ++i) y[i] = alpha * x[i] + beta * y[i];
}

void scale(float* y, float alpha, int64_t count) {
#pragma omp parallel for simd schedule(static) num_threads(threads()) if (parallel : count >= kParallelMin)
  for (int64_t i = 0; i < count; ++i) y[i] *= alpha;
}

void mul(float* y, const float* a, const float* b, int64_t count) {
#pragma omp parallel for simd schedule(static) num_threads(threads()) if (parallel : count >= kParallelMin)
  for (int64_t i = 0; i < count; ++i) y[i] = a[i] * b[i];
}

double dot(const float* x, const float* y, int64_t count) {
  double acc = 0.0;
#pragma omp parallel for simd schedule(static) num_threads(threads()) \
    if (count >= kParallelMin) reduction(+ : acc)
  for (int64_t i = 0; i < count; ++i)
    acc += static_cast<double>(x[i]) * static_cast<double>(y[i]);
  return acc;
}

double asum(const float* x, int64_t count) {
  double acc = 0.0;
#pragma omp parallel for simd schedule(static) num_threads(threads()) \
    if (count >= kParallelMin) reduction(+ : acc)
  for (int64_t i = 0; i < count; ++i) acc += std::fabs(static_cast<double>(x[i]));
  return acc;
}

void sgd_update(float* w, float* g, float* h, float momentum, float lr, int64_t count) {
#pragma omp parallel for simd schedule(static) num_threads(threads()) if (parallel : count >= kParallelMin)
  for (int64_t i = 0; i < count; ++i) {
    const float step = momentum * h[i] + lr * g[i];
    h[i] = step;
    g[i] = step;
    w[i] -= step;
  }
}

}  // namespace om
